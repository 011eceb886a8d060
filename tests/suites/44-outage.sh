#!/bin/bash
# mcd-leg: kamailio
# Outages (SPEC sections 1, 2, 5, 6) through the real Kamailio, timeout
# 300 ms, retry_timeout 30 s, so that only the prober can bring a server
# back within the second:
# - $mcd(rc) / $mcd(err) after a found read, a miss, a bad key, an outage;
# - a frozen memcached (SIGSTOP): event_route[memcached:server-down] once,
#   operations fail fast and are counted (ops, errors, failfast,
#   servers_dead) in stats.get_statistics and memcached.stats, one error
#   line per process; after SIGCONT back within 1 s, server-up once;
# - a restart on the same port: the same, empty server back within 1 s;
# - the events run once per transition while several workers send;
# - statistics through xhttp_prom's /metrics;
# - probe_interval=0: no prober, no event; a negative one stops start-up.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"

need_tools memcached sipsak nc ss kamcmd
need_module

CFG="$TOP/tests/cfg/it-outage.cfg"
CHILDREN=4
defs=()
# mcd_get is tested when the module exports it (the config check parses it)
if "$KAMAILIO" -c -f "$CFG" -A HAVE_MCD_GET -A SIP_PORT=5060 -A CTL_SOCK=\"unix:/tmp/x\" \
	-A "OUR_MODULE=\"$OUR_MODULE\"" -A 'MCD_SERVERS="127.0.0.1:1"' >/dev/null 2>&1; then
	defs+=(-A HAVE_MCD_GET)
fi

now_ms() { date +%s%3N; }
# op NAME OP [HEADER...]: one request; RC, ERR, VAL, FRC, PID from the reply
RC="" ERR="" VAL="" FRC="" PID=""
op() {
	local name=$1 o=$2; shift 2
	rq "$name" "X-Op: $o" "$@"
	RC=$(hv X-Rc) ERR=$(hv X-Err) VAL=$(hv X-Val) FRC=$(hv X-Frc) PID=$(hv X-Pid)
	US=$(hv X-Us)
}
# st NAME FIELD: one statistic of group memcached
st() {
	kamcmd_to "$1" stats.get_statistics memcached: |
		awk -v f="memcached:$2" '$1 == f { print $3; exit }'
}
# rst NAME ADDR|totals FIELD: one field of memcached.stats
rst() {
	kamcmd_to "$1" memcached.stats | awk -v want="$2" -v f="$3:" '
		$1 == "address:" { cur = $2 }
		$1 == "totals:" { cur = "totals" }
		cur == want && $1 == f { print $2; exit }'
}
# wait_stat NAME FIELD VALUE: until the statistic has VALUE (5 s at most)
wait_stat() {
	for _ in $(seq 1 50); do
		[ "$(st "$1" "$2")" == "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
# events NAME MARK up|down SERVER: event lines for SERVER since MARK, after
# waiting until one shows (3 s) and a second more for a duplicate
events() {
	local re="MCD-EVENT $3 server=$4 "
	for _ in $(seq 1 30); do
		[ "$(log_count "$1" "$2" "$re")" -ge 1 ] && break
		sleep 0.1
	done
	sleep 1
	log_count "$1" "$2" "$re"
}
# recover NAME KEY VALUE: reads KEY until one gives VALUE (5 s at most);
# prints "SENT LASTFAIL": ms from now to the sending of the first read that
# gave VALUE, and to the sending of the last read that did not (-1: none);
# "never" when none gave VALUE. Send times, not reply times: a busy machine
# may delay a reply, never make a read sent after recovery fail.
recover() {
	local t0 r s lastfail=-1
	t0=$(now_ms)
	for _ in $(seq 1 100); do
		s=$(now_ms)
		r=$(sip_req "$1" OPTIONS "X-Op: get" "X-Key: $2")
		if [ "$(reply_hdr "$r" X-Val)" == "$3" ]; then
			echo "$((s - t0)) $lastfail"
			return 0
		fi
		lastfail=$((s - t0))
		[ $(($(now_ms) - t0)) -gt 5000 ] && break
		sleep 0.02
	done
	echo never
}
# back_within WHAT LIMIT_MS "SENT LASTFAIL": reads were served again within
# LIMIT_MS: a read gave the value, and none sent after LIMIT_MS failed.
back_within() {
	local sent lastfail
	read -r sent lastfail <<<"$3"
	if [ "$sent" = never ]; then
		t_fail "$1: no read served within 5 s"
	elif [ "$lastfail" -le "$2" ]; then
		t_pass "$1: first served read sent after $sent ms, none failed after $2 ms (last failed read sent after $lastfail ms)"
	else
		t_fail "$1: a read sent $lastfail ms after failed (limit $2 ms)"
	fi
}
# all_ok NAME KEY VALUE N: N reads at least, more (up to 10 N) until two
# worker processes have answered (which worker gets a UDP request is the
# kernel's choice): "BAD PROCS", the reads that did not give VALUE and how
# many workers answered.
all_ok() {
	local bad=0 pids=() n=0 procs=0
	while [ "$n" -lt $((10 * $4)) ]; do
		op "$1" get "X-Key: $2"
		[ "$VAL" == "$3" ] || bad=$((bad + 1))
		pids+=("$PID")
		n=$((n + 1))
		procs=$(printf '%s\n' "${pids[@]}" | sort -u | grep -c .)
		[ "$n" -ge "$4" ] && [ "$procs" -ge 2 ] && break
	done
	echo "$bad $procs"
}
# load_start NAME: 3 senders in the background, each reading and writing
# until $T_DIR/stop-load exists (bounded to 600 requests each)
LOAD_PIDS=()
load_start() {
	local i
	rm -f "$T_DIR/stop-load"
	for i in 1 2 3; do
		(
			for n in $(seq 1 600); do
				[ -e "$T_DIR/stop-load" ] && break
				sip_req "$1" OPTIONS "X-Op: set" "X-Key: load$i" "X-Val: $n" |
					awk '$1 == "X-Pid:" { print $2 }' >> "$T_DIR/load-pids"
			done
		) &
		LOAD_PIDS+=($!)
		T_PIDS+=($!)
	done
}
load_stop() {
	local p
	touch "$T_DIR/stop-load"
	for p in "${LOAD_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	LOAD_PIDS=()
}

start_memcached A || exit 1
SA="127.0.0.1:$MC_PORT_A"
start_kamailio K "$CFG" -A "MCD_SERVERS=\"$SA\"" -A "KAM_CHILDREN=$CHILDREN" \
	"${defs[@]}" || exit 1

echo "-- \$mcd(rc) and \$mcd(err)"
op K set "X-Key: pv1" "X-Val: hello"
t_eq "set: rc 1" 1 "$RC"
t_eq "set: err empty" "" "$ERR"
op K get "X-Key: pv1"
t_eq "found read: value" hello "$VAL"
t_eq "found read: rc 1" 1 "$RC"
t_eq "found read: err empty" "" "$ERR"
op K get "X-Key: pv-missing"
t_eq "missing read: rc -1" -1 "$RC"
t_eq "missing read: err says not found" "not found" "$ERR"
op K set "X-Key: pv1" "X-Val: again"
t_eq "success after a miss: err empty again" "" "$ERR"
op K get "X-Key: "
t_eq "empty key: rc -3" -3 "$RC"
if [ -n "$ERR" ]; then t_pass "empty key: err [$ERR]"; else t_fail "empty key: err is empty"; fi
if [ ${#defs[@]} -gt 0 ]; then
	op K getf "X-Key: pv1"
	t_eq "mcd_get found: 1, value" "1 again 1" "$FRC $VAL $RC"
	op K getf "X-Key: pv-missing"
	t_eq "mcd_get missing: -1, \$mcd(rc) -1" "-1 -1" "$FRC $RC"
	op K getf "X-Key: "
	t_eq "mcd_get empty key: -3, \$mcd(rc) -3" "-3 -3" "$FRC $RC"
else
	t_log "mcd_get is not exported by mcd_func.c yet: its checks are left out"
fi

echo "-- a frozen server: server-down once, operations fail fast and count"
op K set "X-Key: fz" "X-Val: before"
rm -f "$T_DIR/load-pids"
m=$(log_mark K)
load_start K
sleep 0.3
kill -STOP "$MC_PID_A"
if wait_stat K servers_dead 1; then t_pass "servers_dead 1 while frozen"; else
	t_fail "servers_dead [$(st K servers_dead)] while frozen"; fi
t_eq "server-down ran once, naming the server" 1 "$(events K "$m" down "$SA")"
load_stop
t_eq "no server-up while frozen" 0 "$(log_count K "$m" "MCD-EVENT up")"
t_eq "memcached.stats: state dead" dead "$(rst K "$SA" state)"
ops0=$(st K ops) err0=$(st K errors) ff0=$(st K failfast)
fails=0 us_sum=0
for _ in $(seq 1 20); do
	op K get "X-Key: fz"
	[ "$RC" == -2 ] && [ "$VAL" == "<null>" ] || fails=$((fails + 1))
	[[ "$US" =~ ^[0-9]+$ ]] && us_sum=$((us_sum + US)) || us_sum=$((us_sum + 1000000))
done
t_eq "20 reads while frozen: each -2 and \$null" 0 "$fails"
# time in the worker (X-Us): what the module costs, whatever the client's pace
t_range "20 reads fail fast (ms in the workers, a timeout each would be 6000)" 0 300 $((us_sum / 1000))
op K get "X-Key: fz"
t_eq "while frozen: \$mcd(rc) -2" -2 "$RC"
if [ -n "$ERR" ]; then t_pass "while frozen: \$mcd(err) [$ERR]"; else
	t_fail "while frozen: \$mcd(err) empty"; fi
t_eq "stats: ops grew by the 21 reads" 21 "$(($(st K ops) - ops0))"
t_eq "stats: errors grew by the 21 reads" 21 "$(($(st K errors) - err0))"
t_eq "stats: failfast grew by the 21 reads" 21 "$(($(st K failfast) - ff0))"
t_eq "memcached.stats agrees on ops" "$(st K ops)" "$(rst K totals ops)"
t_eq "memcached.stats agrees on failfast" "$(st K failfast)" "$(rst K "$SA" failfast)"
t_eq "memcached.stats totals: servers_dead" 1 "$(rst K totals servers_dead)"
to=$(st K timeouts)
t_range "stats: timeouts, at most one per process" 1 $((CHILDREN + 1)) "$to"
dead_lines=$(log_count K "$m" "ERROR.*$SA marked dead")
t_range "one 'marked dead' error line per process at most" 1 $((CHILDREN + 1)) "$dead_lines"
t_eq "no error line for operations failing fast" 0 \
	"$(log_count K "$m" "ERROR.*get 'fz'.*marked dead")"

echo "-- SIGCONT: back within 1 s (retry_timeout is 30 s), server-up once"
m=$(log_mark K)
load_start K
kill -CONT "$MC_PID_A"
back_within "served again after SIGCONT" 1000 "$(recover K fz before)"
sleep 0.5
load_stop
t_eq "server-up ran once, naming the server" 1 "$(events K "$m" up "$SA")"
t_eq "no second server-down" 0 "$(log_count K "$m" "MCD-EVENT down")"
read -r bad procs <<< "$(all_ok K fz before $((4 * CHILDREN)))"
t_eq "every read served again (reads that failed)" 0 "$bad"
t_range "the reads went to several workers" 2 "$CHILDREN" "$procs"
t_eq "servers_dead back to 0" 0 "$(st K servers_dead)"
t_eq "memcached.stats: state up" up "$(rst K "$SA" state)"
back=$(log_count K "$m" "INFO.*$SA is back")
t_range "one 'is back' info line per process at most" 0 $((CHILDREN + 1)) "$back"
senders=$(sort -u "$T_DIR/load-pids" | grep -c .)
t_range "the load came from several workers" 2 "$CHILDREN" "$senders"

echo "-- restart on the same port: back within 1 s, events once each"
m=$(log_mark K)
load_start K
sleep 0.3
stop_pid "$MC_PID_A"
if wait_stat K servers_dead 1; then t_pass "servers_dead 1 while stopped"; else
	t_fail "servers_dead [$(st K servers_dead)] while stopped"; fi
t_eq "server-down once for the stop" 1 "$(events K "$m" down "$SA")"
restart_memcached A || t_fail "memcached did not restart"
mc_set A fz 1 0 after >/dev/null
back_within "served again after the restart" 1000 "$(recover K fz after)"
sleep 0.5
load_stop
t_eq "server-up once for the restart" 1 "$(events K "$m" up "$SA")"
t_eq "still one server-down" 1 "$(log_count K "$m" "MCD-EVENT down")"
read -r bad procs <<< "$(all_ok K fz after $((4 * CHILDREN)))"
t_eq "every read served by the restarted server (reads that failed)" 0 "$bad"
t_range "the reads went to several workers" 2 "$CHILDREN" "$procs"
t_eq "servers_dead 0 after the restart" 0 "$(st K servers_dead)"

echo "-- xhttp_prom exports the statistics"
MODDIR=$(dirname "$STOCK_MODULE")
if [ ! -f "$MODDIR/xhttp_prom.so" ] || [ ! -f "$MODDIR/xhttp.so" ]; then
	t_skip "Prometheus part: xhttp_prom.so not installed (kamailio-extra-modules)"
elif ! command -v curl >/dev/null; then
	t_skip "Prometheus part: curl not installed (scripts/deps.sh)"
else
	hp=$(free_port)
	start_kamailio P "$CFG" -A "MCD_SERVERS=\"$SA\"" -A KAM_CHILDREN=1 \
		-A WITH_PROM -A "HTTP_PORT=$hp" || exit 1
	op P set "X-Key: prom" "X-Val: x"
	op P get "X-Key: prom"
	op P get "X-Key: prom-missing"
	metrics=$(timeout 10 curl -s "http://127.0.0.1:$hp/metrics")
	prom() { printf '%s\n' "$metrics" | awk -v m="kamailio_memcached_$1" '$1 == m { print $2; exit }'; }
	t_eq "metrics: ops" 3 "$(prom ops)"
	t_eq "metrics: hits" 1 "$(prom hits)"
	t_eq "metrics: misses" 1 "$(prom misses)"
	t_eq "metrics: servers_dead" 0 "$(prom servers_dead)"
	t_eq "metrics: failfast" 0 "$(prom failfast)"
fi

echo "-- probe_interval=0: no prober, no event, the mark runs out alone"
start_memcached Z || exit 1
SZ="127.0.0.1:$MC_PORT_Z"
start_kamailio Z "$CFG" -A "MCD_SERVERS=\"$SZ\"" -A KAM_CHILDREN=1 \
	-A MCD_PROBE=0 -A MCD_RETRY=2 || exit 1
t_eq "no prober process" 0 "$(kamcmd_to Z core.psx | grep -c 'MEMCACHED PROBER')"
t_eq "with the default, a prober process" 1 "$(kamcmd_to K core.psx | grep -c 'MEMCACHED PROBER')"
m=$(log_mark Z)
stop_pid "$MC_PID_Z"
op Z get "X-Key: z"
t_eq "stopped: -2" -2 "$RC"
restart_memcached Z || t_fail "memcached Z did not restart"
mc_set Z z 1 0 zval >/dev/null
op Z get "X-Key: z"
t_eq "restarted, still marked dead: -2" -2 "$RC"
res=$(recover Z z zval)
back_within "served once retry_timeout ran out" 3000 "$res"
t_range "not served before retry_timeout ran out (ms to the first served read's sending)" \
	500 3000 "${res%% *}"
t_eq "no event without the prober" 0 "$(log_count Z "$m" "MCD-EVENT")"

echo "-- a negative probe_interval stops start-up, naming the parameter"
start_kamailio N "$CFG" -A "MCD_SERVERS=\"$SZ\"" -A "MCD_PROBE=-1" 2>/dev/null
for _ in $(seq 1 50); do kam_alive N || break; sleep 0.1; done
if kam_alive N; then t_fail "Kamailio runs with probe_interval=-1"; else
	t_pass "Kamailio did not start"; fi
t_eq "one error line names probe_interval" 1 \
	"$(grep -c "ERROR.*probe_interval" "$KAM_LOG_N")"

t_done
