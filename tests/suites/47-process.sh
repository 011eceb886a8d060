#!/bin/bash
# mcd-leg: kamailio
# Processes (SPEC section 6), through the real Kamailio
# (tests/cfg/rel-process.cfg): the main process reads memcached in
# event_route[htable:mod-init] before the fork, so every process inherits
# that connection. Then 600 concurrent requests over 6 SIP workers, 600
# more in async workers (async_task_route), and an rtimer process, each
# writing and reading keys of its own: no wrong value, none lost, no abort,
# and every process that ran an operation on a connection of its own.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipp sipsak nc ss kamcmd
need_module
for m in htable rtimer async tm; do
	if [ ! -f "$(dirname "$STOCK_MODULE")/$m.so" ]; then
		echo "  skipped: Kamailio module $m not installed"
		exit 77
	fi
done

CFG="$TOP/tests/cfg/rel-process.cfg"
UAC="$TOP/tests/cfg/rel-process-uac.xml"
CALLS=600
CRASH='Assertion\|segfault\|SIGSEGV\|SIGABRT\|signal 11\|signal 6\|core dump'

start_memcached A || exit 1
start_kamailio A "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\"" || exit 1

t_eq "the main process read memcached before the fork" 1 \
	"$(grep -c 'warm read in pid' "$KAM_LOG_A")"
t_eq "the first worker read memcached in core:worker-one-init" 1 \
	"$(grep -c 'worker-one read in pid' "$KAM_LOG_A")"

# burst MODE: CALLS requests, all sent at once (up to CALLS in flight);
# prints "<successful> <failed>"
burst() {
	local out="$T_DIR/sipp-$1"
	mkdir -p "$out"
	(cd "$out" && timeout 120 sipp -sf "$UAC" -key mode "$1" -m "$CALLS" \
		-r 3000 -l "$CALLS" -i 127.0.0.1 -p 0 -nostdin -trace_stat \
		-timeout 90s "127.0.0.1:$SIP_PORT_A" </dev/null >sipp.log 2>&1)
	awk -F';' 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i}
		END {print $col["SuccessfulCall(C)"] + 0, $col["FailedCall(C)"] + 0}' \
		"$out"/*.csv 2>/dev/null || echo "0 $CALLS"
}

for mode in sip async; do
	echo "# $CALLS concurrent requests, each its own key ($mode)"
	read -r ok bad < <(burst "$mode")
	t_eq "$mode: every request got its own value back" "$CALLS" "$ok"
	t_eq "$mode: no wrong or lost reply" 0 "$bad"
	t_eq "$mode: Kamailio alive" 0 "$(kam_alive A; echo $?)"
done

echo "# rtimer process"
sleep 1
rt_ok=$(kamcmd_to A pv.shvGet rt_ok 2>/dev/null | awk '$1=="value:" {print $2}')
rt_bad=$(kamcmd_to A pv.shvGet rt_bad 2>/dev/null | awk '$1=="value:" {print $2}')
t_range "rtimer: writes read back" 10 100000000 "${rt_ok:-0}"
t_eq "rtimer: no wrong value" 0 "${rt_bad:-x}"

echo "# every process on its own connection"
t_eq "no wrong value logged" 0 "$(grep -c MISMATCH "$KAM_LOG_A")"
t_eq "no assertion or crash" 0 "$(grep -c "$CRASH" "$KAM_LOG_A")"
# pids of the SIP workers (udp receivers), the async workers and rtimer
pids=$(kamcmd_to A core.psx 2>/dev/null | awk '
	$1=="PID:" {p=$2} $1=="DSC:" && tolower($0) ~ /receiver|async task|rtimer/ {print p}' |
	sort -u)
t_range "worker processes listed" 9 64 "$(printf '%s\n' "$pids" | grep -c .)"
# sockets to the server owned by one process only
own=$(ss -Htnp state established "dport = :$MC_PORT_A" |
	awk '{n = gsub(/pid=/, "&"); if (n == 1) {match($0, /pid=[0-9]+/);
		print substr($0, RSTART + 4, RLENGTH - 4)}}' | sort -u)
missing=0
for p in $pids; do
	printf '%s\n' "$own" | grep -qx "$p" || { missing=$((missing + 1)); t_log "pid $p has no connection of its own"; }
done
t_eq "each worker, async worker and rtimer has a connection of its own" 0 "$missing"
conns=$(mc_stat A curr_connections)
t_range "server counts a connection per process" 10 1000 "${conns:-0}"
t_eq "Kamailio alive at the end" 0 "$(kam_alive A; echo $?)"
t_done
