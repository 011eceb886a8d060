#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# Faults through a real Kamailio (SPEC sections 1 and 6): memcached down at
# start-up, restarted (quietly and under traffic), frozen (SIGSTOP) and
# resumed; bad parameter values stop start-up with one clear error line.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss
need_module

CFG="$TOP/tests/cfg/it-faults.cfg"
now_ms() { date +%s%3N; }
# pid_of_line: the process id in a Kamailio log line " 1(1234) ERROR: ..."
pid_of_line() { sed -n 's/^ *[0-9]*(\([0-9]*\)) .*/\1/p'; }
# per_pid_max NAME MARK REGEX: the largest count of matching lines of one
# process since MARK (0 when none).
per_pid_max() {
	log_since "$1" "$2" | grep -e "$3" | pid_of_line | sort | uniq -c |
		awk 'BEGIN{m=0} $1>m{m=$1} END{print m}'
}
# rw NAME KEY: write+read request; sets OK (yes/no), PID, MS (ms the worker
# spent on it, from X-Us: what the module's timeout bounds; a busy machine
# can delay the client and its reply, not this) and MS_CLIENT (round trip).
rw() {
	local t0 us
	t0=$(now_ms)
	rq "$1" "X-Op: rw" "X-Key: $2" "X-Val: v-$2"
	MS_CLIENT=$(($(now_ms) - t0))
	us=$(hv X-Us)
	if [[ "$us" =~ ^[0-9]+$ ]]; then MS=$((us / 1000)); else MS=$MS_CLIENT; fi
	OK=$(hv X-Ok)
	PID=$(hv X-Pid)
	answered || OK=unanswered
}

echo "-- memcached down when Kamailio starts"
RETRY=1
port=$(free_port) || exit 1
start_kamailio D "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$port\"" \
	-A MCD_TIMEOUT=500 -A "MCD_RETRY=$RETRY" || exit 1
if kam_alive D; then t_pass "Kamailio starts with memcached down"; else t_fail "Kamailio did not start with memcached down"; fi
rq D "X-Op: get" "X-Key: dk"
t_eq "request answered while memcached is down" "0" "$(answered; echo $?)"
t_eq "read gives \$null while memcached is down" "yes" "$(hv X-Null)"
rw D dk
t_eq "write+read answered while memcached is down" "no" "$OK"
# restart_memcached finds the port and the (absent) process by these names
# shellcheck disable=SC2034
MC_PORT_D=$port MC_PID_D=""
restart_memcached D || { t_fail "memcached did not start on port $port"; t_done; }
t_up=$(now_ms)
first=""
deadline=$((t_up + (RETRY + 2) * 1000))
for i in $(seq 1 100); do
	[ "$(now_ms)" -lt "$deadline" ] || break
	rw D "up$i"
	[ "$OK" = yes ] && [ -z "$first" ] && first=$(($(now_ms) - t_up))
	sleep 0.1
done
t_log "first success ${first:-never} ms after memcached came up (retry_timeout ${RETRY} s)"
okn=0
for i in $(seq 1 8); do rw D "after$i"; [ "$OK" = yes ] && okn=$((okn + 1)); done
t_eq "within retry_timeout + 2 s every write+read succeeds (8 requests)" 8 "$okn"
t_eq "the value written is on the server" "v-after8" "$(mc_get D after8)"

echo "-- memcached restarted between requests"
RETRY=2
start_memcached A || exit 1
start_kamailio R "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\"" \
	-A MCD_TIMEOUT=1000 -A "MCD_RETRY=$RETRY" || exit 1
okn=0
for i in $(seq 1 10); do rw R "w$i"; [ "$OK" = yes ] && okn=$((okn + 1)); done
t_eq "warm-up: 10 of 10 succeed" 10 "$okn"
restart_memcached A || { t_fail "memcached restart"; t_done; }
: > "$T_DIR/restart1"
for i in $(seq 1 20); do
	rw R "r$i"
	echo "$PID $OK" >> "$T_DIR/restart1"
done
t_eq "after restart: all 20 requests answered" 0 "$(grep -c unanswered "$T_DIR/restart1")"
fails=$(grep -c ' no$' "$T_DIR/restart1")
worst=$(awk '$2=="no"{n[$1]++} END{m=0; for(p in n) if(n[p]>m) m=n[p]; print m}' "$T_DIR/restart1")
t_log "failed requests after the restart: $fails (at most $worst in one process)"
if [ "$worst" -le 1 ]; then t_pass "at most one failed request per process after a restart"; else t_fail "a process failed $worst requests after a restart (expected <= 1)"; fi
t_eq "last request after restart succeeded" "yes" "$OK"

echo "-- memcached restarted under traffic"
# requests back to back for RETRY + 4 s (bounded by a count too); the
# restart happens 0.5 s in
t_start=$(now_ms)
(
	for i in $(seq 1 400); do
		[ "$(now_ms)" -lt $((t_start + (RETRY + 4) * 1000)) ] || break
		rw R "t$i"
		echo "$(now_ms) ${PID:-none} $OK"
	done > "$T_DIR/traffic"
) &
loop=$!
sleep 0.5
restart_memcached A || t_fail "memcached restart under traffic"
t_up=$(now_ms)
for i in $(seq 1 600); do kill -0 "$loop" 2>/dev/null || break; sleep 0.1; done
kill "$loop" 2>/dev/null
wait "$loop" 2>/dev/null
N=$(wc -l < "$T_DIR/traffic")
t_eq "under traffic: all $N requests answered" 0 "$(grep -c unanswered "$T_DIR/traffic")"
fails=$(grep -c ' no$' "$T_DIR/traffic")
late_t=$((t_up + (RETRY + 1) * 1000 + 500))
late_n=$(awk -v t="$late_t" '$1>t' "$T_DIR/traffic" | wc -l)
late=$(awk -v t="$late_t" '$1>t && $3!="yes"' "$T_DIR/traffic" | wc -l)
t_log "under traffic: $fails of $N requests failed around the restart; $late_n sent later than retry_timeout + 1.5 s after it"
if [ "$late_n" -gt 0 ]; then
	t_eq "under traffic: no failure later than retry_timeout + 1.5 s after the restart" 0 "$late"
else
	t_fail "under traffic: no request sent late enough to check recovery"
fi
rw R final
t_eq "after the traffic test a write+read succeeds" yes "$OK"

echo "-- frozen server (SIGSTOP), timeout 500 ms"
RETRY=3
start_memcached C || exit 1
start_kamailio F "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_C\"" -A KAM_CHILDREN=2 \
	-A MCD_TIMEOUT=500 -A "MCD_RETRY=$RETRY" || exit 1
okn=0
for i in $(seq 1 6); do rw F "f$i"; [ "$OK" = yes ] && okn=$((okn + 1)); done
t_eq "warm-up: 6 of 6 succeed" 6 "$okn"
m=$(log_mark F)
kill -STOP "$MC_PID_C"
t_stop=$(now_ms)
: > "$T_DIR/frozen"
for i in $(seq 1 12); do
	rw F "z$i"
	echo "$PID $MS $OK $MS_CLIENT" >> "$T_DIR/frozen"
	[ $(($(now_ms) - t_stop)) -lt $(((RETRY - 1) * 1000)) ] || break
done
awk '{printf "  pid %s: %s ms in the worker (%s; round trip %s ms)\n", $1, $2, $3, $4}' "$T_DIR/frozen"
slow=$(awk '!seen[$1]++ && $2>=1000' "$T_DIR/frozen" | wc -l)
t_eq "first request per process takes about timeout (< 1000 ms)" 0 "$slow"
slow=$(awk 'seen[$1]++ && $2>=300' "$T_DIR/frozen" | wc -l)
t_eq "following requests answer fast (< 300 ms each)" 0 "$slow"
t_eq "frozen: all requests answered" 0 "$(grep -c unanswered "$T_DIR/frozen")"
pids=$(awk '{print $1}' "$T_DIR/frozen" | sort -u | wc -l)
dead=$(log_count F "$m" 'marked dead')
t_log "processes that served requests: $pids, 'marked dead' lines: $dead"
t_eq "one 'marked dead' line per process" 1 "$(per_pid_max F "$m" 'marked dead')"
# a slow first request is retransmitted by sipsak (UDP, T1 = 500 ms) and the
# copy may reach the other worker: bound by the workers, not the replies
if [ "$dead" -ge 1 ] && [ "$dead" -le 2 ]; then t_pass "'marked dead' lines ($dead) <= SIP workers (2)"; else t_fail "'marked dead' lines: $dead for 2 SIP workers"; fi
worst=$(per_pid_max F "$m" 'ERROR: memcached')
if [ "$worst" -le 2 ]; then t_pass "module error lines per process during the outage: $worst (<= 2)"; else t_fail "module error lines per process during the outage: $worst (expected <= 2, not one per request)"; fi
worst=$(per_pid_max F "$m" 'ERROR')
if [ "$worst" -le 4 ]; then t_pass "all error lines per process during the outage: $worst (<= 4)"; else t_fail "all error lines (module and core) per process during the outage: $worst (expected <= 4, not growing with requests)"; log_since F "$m" | grep ERROR | head -8 | sed 's/^/    /'; fi
m=$(log_mark F)
kill -CONT "$MC_PID_C"
t_cont=$(now_ms)
first=""
deadline=$((t_cont + (RETRY + 1) * 1000 + 500))
for i in $(seq 1 100); do
	[ "$(now_ms)" -lt "$deadline" ] || break
	rw F "c$i"
	[ "$OK" = yes ] && [ -z "$first" ] && first=$(($(now_ms) - t_cont))
	sleep 0.1
done
t_log "after SIGCONT: first success after ${first:-never} ms"
okn=0
for i in $(seq 1 8); do rw F "cc$i"; [ "$OK" = yes ] && okn=$((okn + 1)); done
t_eq "after SIGCONT + retry_timeout + 1 s every write+read succeeds (8 requests)" 8 "$okn"
back=$(per_pid_max F "$m" 'is back')
t_eq "each process logs 'is back' once at most" 1 "$([ "$back" -le 1 ] && echo 1 || echo "$back")"

echo "-- bad parameter values stop start-up"
# bad_start LABEL PARAM [-A DEF=...]...: Kamailio must exit at start-up,
# with exactly one error line from the module, naming PARAM.
bad_start() {
	local label=$1 param=$2 dir port rc lines
	shift 2
	dir="$T_DIR/bad-${label//[^a-z0-9]/_}"
	mkdir -p "$dir"
	port=$(free_port)
	timeout 10 "$KAMAILIO" -f "$CFG" -DD -E -w "$dir" -Y "$dir" \
		-A "SIP_PORT=$port" -A "CTL_SOCK=\"unix:$dir/ctl\"" \
		-A "OUR_MODULE=\"$OUR_MODULE\"" -A "STOCK_MODULE=\"$STOCK_MODULE\"" \
		"$@" > "$dir/kamailio.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]; then
		t_pass "$label: start-up refused (exit $rc)"
	else
		t_fail "$label: Kamailio started (exit $rc)"
	fi
	lines=$(grep -c 'ERROR: memcached' "$dir/kamailio.log")
	t_eq "$label: one error line from the module" 1 "$lines"
	if grep 'ERROR: memcached' "$dir/kamailio.log" | grep -q "$param"; then
		t_pass "$label: the line names '$param'"
	else
		t_fail "$label: no module error line names '$param'"
	fi
	grep 'ERROR: memcached' "$dir/kamailio.log" | head -2 | sed 's/^/    /'
}
S="MCD_SERVERS=\"127.0.0.1:$MC_PORT_C\""
bad_start "servers 127.0.0.1:notaport" servers -A 'MCD_SERVERS="127.0.0.1:notaport"'
bad_start "servers [::1" servers -A 'MCD_SERVERS="[::1"'
bad_start "servers empty" servers -A 'MCD_SERVERS=""'
bad_start "servers port 70000" servers -A 'MCD_SERVERS="127.0.0.1:70000"'
bad_start "timeout -1" timeout -A "$S" -A MCD_TIMEOUT=-1
bad_start "memory 5" memory -A "$S" -A MCD_MEMORY=5
bad_start "prefix with a space" prefix -A "$S" -A 'MCD_PREFIX="a b"'
bad_start "expire -5" expire -A "$S" -A MCD_EXPIRE=-5
bad_start "retry_timeout -1" retry_timeout -A "$S" -A MCD_RETRY=-1

for n in D R F; do kam_alive "$n" || t_fail "Kamailio $n died"; done
t_done
