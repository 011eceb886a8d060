#!/bin/bash
# mcd-leg: core
# Failback (SPEC section 10) under a real partition from ONE instance. Two
# Kamailio instances A and B, each in a network namespace of its own, and two
# memcached servers S1 and S2, each in a namespace of its own. Every instance
# is joined to every server by a veth pair of its own (direct links, no
# forwarding). A server has ONE address, configured on both its link ends
# (towards A and towards B), with /32 routes on both sides: both instances
# list the same "ip:port" texts, so ketama (which hashes the server names)
# maps keys the same way in both; checked by where the keys land.
# Scenario: 40 keys written; the link A<->S1 is cut (B still uses S1); A
# rewrites 20 keys and deletes 20 (A fails them over to S2); the link is restored; once A uses S1 again and its settling is logged,
# every key is read through A, through B and on both servers directly: no
# replaced value, no deleted key back. Then B rewrites the 20 keys and S1 is
# cut from B (a second outage): no copy A left on the stand-in S2 resurfaces
# through B, and once S1 is back nothing old is read or held anywhere.
# Needs root (network namespaces); exits 77 saying why when it cannot.
# OUR_MODULE in the environment selects another memcached.so.
# shellcheck source-path=SCRIPTDIR
_mod=${OUR_MODULE:-}
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
[ -n "$_mod" ] && OUR_MODULE=$_mod
# shellcheck source=../lib/it.sh
. "$TOP/tests/lib/it.sh"
# shellcheck source=../netns/lib.sh
. "$TOP/tests/netns/lib.sh"

need_tools ip memcached sipsak nc ss kamcmd
need_module
if [ "$(id -u)" != 0 ]; then
	echo "  skipped: network namespaces need root (ip netns add)"
	exit 77
fi

CFG="$TOP/tests/cfg/it-failback.cfg"
N=40

# ---- the network ----
# namespaces mcdt-<tag>-{A,B,1,2}; veth <I><S> in instance I towards server
# S, <S><I> its other end; server S is 10.213.X.S, instance I 10.213.X.10I
net_fail() {
	echo "  skipped: cannot build the test network: $*"
	exit 77
}
X=$(rel_free_net) || net_fail "no free 10.213.X.0/24 network"
declare -A ADDR=([A]="10.213.$X.101" [B]="10.213.$X.102" [1]="10.213.$X.1" [2]="10.213.$X.2")
ns_of() { echo "mcdt-$REL_TAG-$1"; }
for n in A B 1 2; do
	ns=$(ns_of "$n")
	err=$(ip netns add "$ns" 2>&1) || net_fail "ip netns add $ns: $err"
	REL_NS+=("$ns")
	ip -n "$ns" link set lo up || net_fail "lo up in $ns"
done
# link_make I S: the veth pair between instance I and server S (created
# inside the namespaces: nothing is left in the root namespace)
link_make() {
	local i=$1 s=$2 ni si vi vs
	ni=$(ns_of "$i") si=$(ns_of "$s") vi="mp$REL_TAG$i$s" vs="mp$REL_TAG$s$i"
	ip -n "$ni" link add "$vi" type veth peer name "$vs" netns "$si" &&
		ip -n "$ni" addr add "${ADDR[$i]}/32" dev "$vi" &&
		ip -n "$si" addr add "${ADDR[$s]}/32" dev "$vs" &&
		ip -n "$ni" link set "$vi" up && ip -n "$si" link set "$vs" up &&
		link_routes "$i" "$s"
}
link_routes() {
	local i=$1 s=$2
	ip -n "$(ns_of "$i")" route replace "${ADDR[$s]}/32" dev "mp$REL_TAG$i$s" src "${ADDR[$i]}" &&
		ip -n "$(ns_of "$s")" route replace "${ADDR[$i]}/32" dev "mp$REL_TAG$s$i" src "${ADDR[$s]}"
}
# link_cut I S / link_heal I S: the server's end of the link down (the
# instance's end loses carrier and drops what it sends: a cable pulled at
# the server), then up again with its routes back
link_cut() { ip -n "$(ns_of "$2")" link set "mp$REL_TAG$2$1" down; }
link_heal() {
	ip -n "$(ns_of "$2")" link set "mp$REL_TAG$2$1" up && link_routes "$1" "$2"
}
for i in A B; do
	for s in 1 2; do
		link_make "$i" "$s" 2> "$T_DIR/netns.err" || net_fail "link $i-$s: $(cat "$T_DIR/netns.err")"
	done
done

for s in 1 2; do
	printf -v "NS_$s" '%s' "$(ns_of "$s")"
	printf -v "NSIP_$s" '%s' "${ADDR[$s]}"
	rel_ns_memcached "$s" || { t_fail "memcached in namespace $s"; t_done; }
done
SRV1="${ADDR[1]}:$NSMC_PORT_1" SRV2="${ADDR[2]}:$NSMC_PORT_2"
for i in A B; do
	for s in 1 2; do
		portv="NSMC_PORT_$s"
		{ printf 'version\r\nquit\r\n'; } |
			timeout 5 ip netns exec "$(ns_of "$i")" nc -N "${ADDR[$s]}" "${!portv}" |
			grep -q VERSION || net_fail "instance $i does not reach server $s at ${ADDR[$s]}"
	done
done
SERVERS="$SRV1,$SRV2"
t_log "servers: $SERVERS (each on one address, reached by A and B on links of their own)"

# ---- Kamailio in a namespace ----
# kam_ns NAME NS: start_kamailio's job inside NS (SIP on 127.0.0.1 there;
# the ctl socket is a file, reached from anywhere)
kam_ns() {
	local name=$1 ns=$2 dir="$T_DIR/kam-$1" port pid
	mkdir -p "$dir"
	port=$(free_port) || return 1
	ip netns exec "$ns" "$KAMAILIO" -f "$CFG" -DD -E -w "$dir" -Y "$dir" \
		-A "SIP_PORT=$port" -A "CTL_SOCK=\"unix:$dir/ctl\"" \
		-A "OUR_MODULE=\"$OUR_MODULE\"" -A "MCD_SERVERS=\"$SERVERS\"" \
		-A MCD_TIMEOUT=500 > "$dir/kamailio.log" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	printf -v "SIP_PORT_$name" '%s' "$port"
	printf -v "KAM_PID_$name" '%s' "$pid"
	printf -v "CTL_$name" '%s' "unix:$dir/ctl"
	printf -v "KAM_LOG_$name" '%s' "$dir/kamailio.log"
	printf -v "KNS_$name" '%s' "$ns"
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		if ip netns exec "$ns" ss -Huan "sport = :$port" 2>/dev/null | grep -q .; then
			sleep 0.5
			kill -0 "$pid" 2>/dev/null && return 0
			break
		fi
		sleep 0.1
	done
	echo "kamailio $name did not start; log:" >&2
	tail -20 "$dir/kamailio.log" >&2
	return 1
}
# sip_req NAME METHOD [HEADER...]: as common.sh's, sent inside NAME's namespace
sip_req() {
	local name=$1 method=$2; shift 2
	local portv="SIP_PORT_$name" nsv="KNS_$name" f h uniq
	f=$(mktemp "$T_DIR/req.XXXXXX") || return 1
	uniq="$BASHPID.$SRANDOM"
	{
		printf '%s sip:test@127.0.0.1:%s SIP/2.0\r\n' "$method" "${!portv}"
		printf 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK%s\r\n' "${uniq/./x}"
		printf 'From: <sip:tester@127.0.0.1>;tag=%s\r\n' "$RANDOM"
		printf 'To: <sip:test@127.0.0.1>\r\n'
		printf 'Call-ID: %s@test\r\n' "$uniq"
		printf 'CSeq: 1 %s\r\n' "$method"
		printf 'Max-Forwards: 70\r\n'
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'Content-Length: 0\r\n\r\n'
	} > "$f"
	timeout 15 ip netns exec "${!nsv}" sipsak -f "$f" -s "sip:test@127.0.0.1:${!portv}" -vv 2>&1 |
		tr -d '\r'
	rm -f "$f"
}

for k in A B; do
	kam_ns "$k" "$(ns_of "$k")" || { t_fail "Kamailio $k does not start"; t_done; }
done

# bk NAME OP FROM N VAL: one bulk request (see the cfg); sets OK MISS STALE BACK
OK=0 MISS=0 STALE=0 BACK=0
bk() {
	rq "$1" "X-Op: $2" "X-Key: fb" "X-From: $3" "X-N: $4" "X-Val: $5"
	if ! answered; then
		t_fail "$1: no answer to $2 $3..$(($3 + $4 - 1))"
		OK=0 MISS=0 STALE=-1 BACK=-1
		return 1
	fi
	OK=$(hv X-Ok) MISS=$(hv X-Miss) STALE=$(hv X-Stale) BACK=$(hv X-Back)
}
# rst NAME ADDR FIELD: one field of a server in memcached.stats
rst() {
	kamcmd_to "$1" memcached.stats 2>/dev/null | awk -v want="$2" -v f="$3:" '
		$1 == "address:" { cur = $2 }
		cur == want && $1 == f { print $2; exit }'
}
# wait_for SECONDS CMD...: until CMD succeeds (bounded)
wait_for() {
	local n=$(($1 * 10))
	shift
	for ((j = 0; j < n; j++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# shellcheck disable=SC2317 # called through wait_for
is_up() { [ "$(rst "$1" "$2" state)" == "up" ]; }
# shellcheck disable=SC2317 # called through wait_for
is_dead() { [ "$(rst "$1" "$2" state)" == "dead" ]; }
# shellcheck disable=SC2317 # called through wait_for
settled_logged() { log_since "$1" "$2" | grep -q "failback: $3: .*keys settled"; }
# dump S: "key value" of every fb key server S holds
dump() {
	local keys
	keys=$(seq -f 'fb%g' 0 $((N - 1)) | tr '\n' ' ')
	rel_ns_mc_cmd "$1" "get $keys" | awk '$1 == "VALUE" {k = $2; getline; print k, $0}'
}
# check NAME WHEN: every key reads its last value or missing, through NAME
# (keys 0-19 were last written "$WANT<i>", keys 20-39 deleted)
WANT=new
check() {
	bk "$1" get 0 20 "$WANT"
	local stale=$STALE ok=$OK miss=$MISS
	bk "$1" get 20 20 -
	t_log "$1 $2: rewritten keys: $ok last value, $miss missing, $stale replaced value;" \
		"deleted keys: $MISS missing, $BACK back"
	t_eq "$1 $2: 0 keys read back a replaced value" 0 "$stale"
	t_eq "$1 $2: 0 deleted keys come back" 0 "$BACK"
}
# check_servers WHEN: on the servers directly, no key holds a value replaced
# or deleted (a rewritten key may hold its new value or nothing)
check_servers() {
	local s bad
	for s in 1 2; do
		dump "$s" > "$T_DIR/dump$s"
		bad=$(awk -v w="$WANT" '{i = substr($1, 3) + 0}
			(i < 20 && $2 != w i) || i >= 20 {print}' "$T_DIR/dump$s")
		t_log "S$s $1: $(wc -l < "$T_DIR/dump$s") keys held," \
			"$(printf '%s' "$bad" | grep -c .) with a replaced or deleted value"
		if [ -z "$bad" ]; then
			t_pass "S$s $1: no replaced or deleted value held"
		else
			t_fail "S$s $1: holds replaced or deleted values: $(echo "$bad" | head -3 | xargs)"
		fi
	done
}

echo "-- both instances map keys to the same servers"
bk A set 0 $N old
{ dump 1 | awk '{print $1, 1}'; dump 2 | awk '{print $1, 2}'; } | sort > "$T_DIR/mapA"
for s in 1 2; do rel_ns_mc_cmd "$s" flush_all > /dev/null; done
bk B set 0 $N old
{ dump 1 | awk '{print $1, 1}'; dump 2 | awk '{print $1, 2}'; } | sort > "$T_DIR/mapB"
on1=$(awk '$2 == 1' "$T_DIR/mapA" | wc -l)
t_eq "every key stored once through A" $N "$(wc -l < "$T_DIR/mapA")"
if cmp -s "$T_DIR/mapA" "$T_DIR/mapB"; then
	t_pass "A and B put every key on the same server ($on1 of $N on S1)"
else
	t_fail "A and B map keys differently: $(diff "$T_DIR/mapA" "$T_DIR/mapB" | grep -c '^[<>]') differences"
fi
if [ "$on1" -lt 4 ] || [ "$on1" -gt $((N - 4)) ]; then
	t_fail "keys badly spread: $on1 of $N on S1"
fi

echo "-- the link A<->S1 is cut; A rewrites 20 keys and deletes 20; B still uses S1"
mA=$(log_mark A)
link_cut A 1 || t_fail "cannot cut the link A-S1"
bk A set 0 20 new
bk A del 20 20 x
if wait_for 5 is_dead A "$SRV1"; then t_pass "A marks S1 dead"; else t_fail "A: S1 is '$(rst A "$SRV1" state)'"; fi
t_eq "B still uses S1" up "$(rst B "$SRV1" state)"
t_log "A remembers $(rst A "$SRV1" remembered) keys of S1"
bk B get 0 20 new
t_log "B meanwhile (S1 still holds the keys A rewrote): $OK keys read A's value, $STALE another value, $MISS missing"
sleep 1
link_heal A 1 || t_fail "cannot restore the link A-S1"
t1=$(date +%s%3N)
if wait_for 10 is_up A "$SRV1"; then
	t_pass "A uses S1 again after $(($(date +%s%3N) - t1)) ms"
else
	t_fail "A: S1 not back in use within 10 s"
fi
if wait_for 5 settled_logged A "$mA" "$SRV1"; then
	t_log "A: $(log_since A "$mA" | grep -o 'failback: .*keys settled.*' | head -1)"
	t_pass "A logged its settling of S1"
else
	t_fail "A logged no 'keys settled' for S1"
fi
check A "after the partition"
check B "after the partition"
check_servers "after the partition"

echo "-- B rewrites the 20 keys; then S1 is cut from B: nothing A left on S2 resurfaces"
WANT=v2
bk B set 0 20 v2
check A "after B's rewrite"
link_cut B 1 || t_fail "cannot cut the link B-S1"
check B "S1 cut from B"
if wait_for 5 is_dead B "$SRV1"; then t_pass "B marks S1 dead"; else t_fail "B: S1 is '$(rst B "$SRV1" state)'"; fi
check A "S1 cut from B"
link_heal B 1 || t_fail "cannot restore the link B-S1"
wait_for 10 is_up B "$SRV1" || t_fail "B: S1 not back in use within 10 s"
check B "after the second outage"
check_servers "after the second outage"

for k in A B; do kam_alive "$k" || t_fail "$k died"; done
t_done
