#!/bin/bash
# mcd-leg: kamailio
# mcd_add as a distributed lock: two Kamailio instances (one on the text,
# one on the binary protocol) race for the same key with four requests at
# once; in every round exactly one wins (1), the others get -1, and the
# lock holds the winner's value. Then both increment one counter at once
# and no increment is lost.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

for t in memcached sipsak nc ss; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed"; exit 77; }
done
[ -f "$OUR_MODULE" ] || { echo "  skipped: $OUR_MODULE not built (run make)"; exit 77; }

CFG="$TOP/tests/cfg/func-basic.cfg"
ROUNDS=20
COUNTS=25

start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""
start_kamailio X "$CFG" -A "$SRV" -A KAM_CHILDREN=2 || exit 1
start_kamailio Y "$CFG" -A "$SRV" -A KAM_CHILDREN=2 -A MCD_BINARY || exit 1

# race ROUND: four adds of the same key at once, two through each instance;
# prints "contender rc" lines.
race() {
	local r=$1 c inst pids=() dir="$T_DIR/race-$1"
	mkdir -p "$dir"
	for c in X1 X2 Y1 Y2; do
		inst=${c:0:1}
		( reply=$(sip_req "$inst" OPTIONS "X-Op: addex" "X-Key: lock-$r" \
				"X-Val: $c" "X-Exp: 60")
			printf '%s %s\n' "$c" "$(reply_hdr "$reply" X-Rc)" > "$dir/$c" ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	cat "$dir"/X1 "$dir"/X2 "$dir"/Y1 "$dir"/Y2 2>/dev/null
}

echo "-- $ROUNDS rounds, 4 contenders each"
bad=0 xwins=0 ywins=0
for r in $(seq 1 "$ROUNDS"); do
	res=$(race "$r")
	wins=$(printf '%s\n' "$res" | awk '$2 == "1"' | wc -l)
	losses=$(printf '%s\n' "$res" | awk '$2 == "-1"' | wc -l)
	winner=$(printf '%s\n' "$res" | awk '$2 == "1" {print $1}')
	held=$(mc_get A "lock-$r")
	if [ "$wins" -ne 1 ] || [ "$losses" -ne 3 ] || [ "$held" != "$winner" ]; then
		t_fail "round $r: $(echo "$res" | tr '\n' ' ') lock holds [$held]"
		bad=$((bad + 1))
	fi
	case $winner in X*) xwins=$((xwins + 1)) ;; Y*) ywins=$((ywins + 1)) ;; esac
done
[ "$bad" -eq 0 ] && t_pass "every round: exactly one winner, three -1, lock holds the winner"
t_log "wins: text-protocol instance $xwins, binary-protocol instance $ywins"
t_eq "lock keys are strings (flags 1)" 1 "$(mc_flags A lock-1)"

echo "-- a released lock can be taken again, once"
res=$(race release-check)
t_eq "fresh key: one winner" 1 "$(printf '%s\n' "$res" | awk '$2 == "1"' | wc -l)"
reply=$(sip_req X OPTIONS "X-Op: delete" "X-Key: lock-release-check")
t_eq "release (delete): 1" 1 "$(reply_hdr "$reply" X-Rc)"
res=$(race release-check)
t_eq "after release: exactly one new winner" 1 "$(printf '%s\n' "$res" | awk '$2 == "1"' | wc -l)"

echo "-- concurrent counters: no increment lost"
loop() {
	local inst=$1
	for _ in $(seq 1 "$COUNTS"); do
		sip_req "$inst" OPTIONS "X-Op: incr" "X-Key: shared-cnt" "X-Delta: 1" |
			awk '$1 == "X-Rc:" {print $2}'
	done > "$T_DIR/cnt-$inst-$2"
}
loop X 1 & p1=$!
loop X 2 & p2=$!
loop Y 1 & p3=$!
loop Y 2 & p4=$!
wait "$p1" "$p2" "$p3" "$p4"
oks=$(cat "$T_DIR"/cnt-* | grep -c '^1$')
t_eq "every increment returned 1" $((4 * COUNTS)) "$oks"
t_eq "counter holds every increment" $((4 * COUNTS)) "$(mc_get A shared-cnt)"

t_done
