#!/bin/bash
# mcd-leg: kamailio
# Failback (SPEC section 10) through Kamailio: two servers, failover=1, two
# Kamailio instances through the one pool. 40 keys written; one server
# frozen (SIGSTOP) for 2 s while the instances rewrite 20 keys and delete
# 20; resumed. Once it is back in use: no key reads a replaced value, no
# deleted key is back (also when the server goes out again, so no copy left
# on the stand-in resurfaces); the settling is logged before
# event_route[memcached:server-up]; statistics failback_settled, and
# memcached.stats "remembered". Then the overflow: failback_keys=4, more
# keys changed: the server is flushed, one warning, failback_overflows 1,
# and the rule holds.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"

need_tools memcached sipsak nc ss kamcmd
need_module

CFG="$TOP/tests/cfg/it-failback.cfg"
N=40
now_ms() { date +%s%3N; }
# bk NAME OP FROM N VAL: one bulk request (see the cfg); sets OK MISS STALE BACK
OK=0 MISS=0 STALE=0 BACK=0
bk() {
	rq "$1" "X-Op: $2" "X-Key: fb" "X-From: $3" "X-N: $4" "X-Val: $5"
	OK=$(hv X-Ok) MISS=$(hv X-Miss) STALE=$(hv X-Stale) BACK=$(hv X-Back)
}
# st NAME FIELD: one statistic of group memcached
st() {
	kamcmd_to "$1" stats.get_statistics memcached: |
		awk -v f="memcached:$2" '$1 == f { print $3; exit }'
}
# rst NAME ADDR FIELD: one field of a server in memcached.stats
rst() {
	kamcmd_to "$1" memcached.stats | awk -v want="$2" -v f="$3:" '
		$1 == "address:" { cur = $2 }
		cur == want && $1 == f { print $2; exit }'
}
# wait_up NAME ADDR: until the instance uses the server again (10 s at most)
wait_up() {
	for _ in $(seq 1 100); do
		[ "$(rst "$1" "$2" state)" == "up" ] && return 0
		sleep 0.1
	done
	return 1
}
# check NAME WHEN: every key reads its last value or missing
check() {
	local stale=0 back=0
	bk "$1" get 0 20 new
	stale=$((stale + STALE))
	t_log "$1 $2: rewritten keys: $OK last value, $MISS missing, $STALE replaced value"
	bk "$1" get 20 20 -
	back=$((back + BACK))
	t_log "$1 $2: deleted keys: $MISS missing, $BACK back"
	t_eq "$1 $2: 0 keys read back a replaced value" 0 "$stale"
	t_eq "$1 $2: 0 deleted keys come back" 0 "$back"
}

start_memcached A || exit 1
start_memcached B || exit 1
S="127.0.0.1:$MC_PORT_A,127.0.0.1:$MC_PORT_B"
B="127.0.0.1:$MC_PORT_B"
for k in K1 K2; do
	start_kamailio "$k" "$CFG" -A "MCD_SERVERS=\"$S\"" -A MCD_TIMEOUT=500 || exit 1
done

echo "-- one server frozen for 2 s, two instances change keys"
bk K1 set 0 $N old
onb=0
for ((i = 0; i < N; i++)); do mc_has B "fb$i" && onb=$((onb + 1)); done
t_log "$onb of $N keys live on the server to be frozen"
m1=$(log_mark K1) m2=$(log_mark K2)
t0=$(now_ms)
kill -STOP "$MC_PID_B"
bk K1 set 0 10 new
bk K2 set 10 10 new
bk K1 del 20 10 x
bk K2 del 30 10 x
t_eq "the frozen server is marked dead" dead "$(rst K1 "$B" state)"
rem=$(rst K1 "$B" remembered)
t_log "K1 remembers $rem keys of the frozen server"
if [ "${rem:-0}" -gt 0 ]; then t_pass "memcached.stats shows the keys remembered"; else t_fail "remembered: '$rem'"; fi
left=$((2000 - ($(now_ms) - t0)))
[ "$left" -gt 0 ] && sleep "$(printf '0.%03d' "$left")"
kill -CONT "$MC_PID_B"
t1=$(now_ms)
if wait_up K1 "$B" && wait_up K2 "$B"; then
	t_pass "back in use in both instances after $(($(now_ms) - t1)) ms"
else
	t_fail "not back in use within 10 s"
fi
check K1 "after the return"
check K2 "after the return"
t_eq "K1 remembers no key of it now" 0 "$(rst K1 "$B" remembered)"
s1=$(st K1 failback_settled) s2=$(st K2 failback_settled)
t_log "failback_settled: K1 $s1, K2 $s2"
if [ "$((s1 + s2))" -gt 0 ]; then t_pass "keys settled are counted"; else t_fail "failback_settled: $s1 $s2"; fi
t_eq "no overflow" 0 "$(st K1 failback_overflows)"
# the settling is logged, then the event route runs
order=$(log_since K1 "$m1" | grep -n -e 'failback: .* keys settled' -e 'MCD-EVENT up' |
	cut -d: -f2- | sed 's/.*\(keys settled\).*/settled/; s/.*MCD-EVENT up.*/event/' | xargs)
t_log "K1 log: $order"
if [ "$s1" -eq 0 ] || [ "${order%% *}" == "settled" ]; then
	t_pass "server-up runs after the settling"
else
	t_fail "order of settling and server-up: $order"
fi
t_eq "K2: one server-up event" 1 "$(log_count K2 "$m2" 'MCD-EVENT up')"

echo "-- out again: reads go to the stand-in, nothing resurfaces"
kill -STOP "$MC_PID_B"
bk K1 get 0 1 new
check K1 "second outage"
kill -CONT "$MC_PID_B"
wait_up K1 "$B" || t_fail "K1: not back after the second outage"

echo "-- overflow: failback_keys=4"
start_memcached C || exit 1
start_memcached D || exit 1
D="127.0.0.1:$MC_PORT_D"
start_kamailio K3 "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_C,$D\"" \
	-A MCD_TIMEOUT=500 -A MCD_FAILBACK_KEYS=4 || exit 1
bk K3 set 0 $N old
m3=$(log_mark K3)
kill -STOP "$MC_PID_D"
bk K3 set 0 20 new
bk K3 del 20 20 x
sleep 1
kill -CONT "$MC_PID_D"
wait_up K3 "$D" || t_fail "K3: not back within 10 s"
check K3 "after an overflow"
t_eq "failback_overflows" 1 "$(st K3 failback_overflows)"
t_eq "one overflow warning while out" 1 "$(log_count K3 "$m3" 'than it remembers')"
t_eq "one flush warning on return" 1 "$(log_count K3 "$m3" 'flushing it')"
kill -STOP "$MC_PID_D"
bk K3 get 0 1 new
check K3 "second outage after an overflow"
kill -CONT "$MC_PID_D"

for k in K1 K2 K3; do kam_alive "$k" || t_fail "$k died"; done
t_done
