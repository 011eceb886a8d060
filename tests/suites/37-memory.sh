#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# Allocators (SPEC sections 1, 6 and 7): memory=0 (system), 1 (pkg) and
# 2 (shm) each run a few hundred operations and shut down cleanly (the
# shipped module crashes at shutdown with memory=1); with memory=1 the
# worker's pkg memory does not grow between batches of 1000 operations.
# Read buffers (SPEC section 2): after a request that read nine 900 KB
# values, the worker holds at most 1 MB more pkg memory than before.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss kamcmd
need_module

CFG="$TOP/tests/cfg/it-memory.cfg"
start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""
NOISE=2048

# pkg_used NAME PID: pkg memory "used" of one process (kamcmd pkg.stats).
pkg_used() {
	kamcmd_to "$1" pkg.stats 2>/dev/null | awk -v p="$2" '
		$1=="pid:" {cur=$2}
		$1=="used:" && cur==p {print $2; exit}'
}
# shm_used NAME: shared memory in use (kamcmd core.shmmem).
shm_used() {
	kamcmd_to "$1" core.shmmem 2>/dev/null | awk '$1=="used:" {print $2; exit}'
}
# stop_kam NAME: SIGTERM, wait; sets RC to the exit status (or "hung").
# Not in a subshell: only the parent shell can collect the status.
stop_kam() {
	local v="KAM_PID_$1" i
	kill "${!v}" 2>/dev/null
	for i in $(seq 1 100); do
		kill -0 "${!v}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${!v}" 2>/dev/null; then RC=hung; return; fi
	wait "${!v}" 2>/dev/null
	RC=$?
}
CRASH='segfault\|SIGSEGV\|SIGABRT\|signal 11\|signal 6\|core dump\|ABORT\|BUG:'

rounds=0
used=()
for mem in 0 1 2; do
	echo "-- memory=$mem"
	name="M$mem"
	start_kamailio "$name" "$CFG" -A "$SRV" -A "MCD_MEMORY=$mem" || exit 1
	rq "$name" "X-N: 60"
	t_eq "memory=$mem: 300 operations (60 rounds) succeed" 60 "$(hv X-Ok)"
	pid=$(hv X-Pid)
	used[mem]=$(pkg_used "$name" "$pid")
	if [ "$mem" = 1 ]; then
		rq "$name" "X-N: 200"
		u1=$(pkg_used "$name" "$pid")
		s1=$(shm_used "$name")
		rq "$name" "X-N: 200"
		t_eq "memory=1: batch 1 (1000 operations)" 200 "$(hv X-Ok)"
		u2=$(pkg_used "$name" "$pid")
		s2=$(shm_used "$name")
		rq "$name" "X-N: 200"
		t_eq "memory=1: batch 2 (1000 operations)" 200 "$(hv X-Ok)"
		u3=$(pkg_used "$name" "$pid")
		s3=$(shm_used "$name")
		t_log "worker $pid pkg used: $u1 -> $u2 -> $u3; shm used: $s1 -> $s2 -> $s3"
		if [ -n "$u1" ] && [ -n "$u3" ]; then
			if [ $((u3 - u2)) -le "$NOISE" ] && [ $((u2 - u1)) -le "$NOISE" ]; then
				t_pass "memory=1: pkg use stable across batches (growth <= $NOISE bytes)"
			else
				t_fail "memory=1: pkg use grows: $u1 -> $u2 -> $u3"
			fi
		else
			t_fail "memory=1: could not read pkg.stats for pid $pid"
		fi
	fi
	if [ "$mem" = 2 ]; then
		rq "$name" "X-N: 200"
		s1=$(shm_used "$name")
		rq "$name" "X-N: 200"
		s2=$(shm_used "$name")
		rq "$name" "X-N: 200"
		s3=$(shm_used "$name")
		t_log "shm used: $s1 -> $s2 -> $s3"
		if [ -n "$s1" ] && [ $((s3 - s2)) -le "$NOISE" ] && [ $((s2 - s1)) -le "$NOISE" ]; then
			t_pass "memory=2: shm use stable across batches (growth <= $NOISE bytes)"
		else
			t_fail "memory=2: shm use grows: $s1 -> $s2 -> $s3"
		fi
	fi
	rounds=$((rounds + 60 + (mem == 0 ? 0 : 600)))
	t_eq "memory=$mem: no increment lost (counter on the server)" "$rounds" \
		"$(mc_get A mcnt | tr -d ' ')"
	if [ "$mem" = 1 ]; then
		t_log "pkg used after 300 operations: memory=0 ${used[0]}, memory=1 ${used[1]}"
		if [ "${used[1]:-0}" -gt $((${used[0]:-0} + 4096)) ]; then
			t_pass "memory=1: the client library allocates from pkg"
		else
			t_fail "memory=1: pkg use (${used[1]}) not above memory=0 (${used[0]})"
		fi
	fi
	logv="KAM_LOG_$name"
	stop_kam "$name"
	t_eq "memory=$mem: Kamailio exits cleanly on SIGTERM" 0 "$RC"
	t_eq "memory=$mem: no crash in the log" 0 "$(grep -c "$CRASH" "${!logv}")"
	n=$(grep -c 'ERROR' "${!logv}")
	t_eq "memory=$mem: no error lines" 0 "$n"
	[ "$n" = 0 ] || grep ERROR "${!logv}" | head -5 | sed 's/^/    /'
done

echo "-- read buffers: nine 900 KB values in one request"
# 32 MB of pkg: the request itself may hold the values while it runs
start_kamailio B "$TOP/tests/cfg/it-pv.cfg" -M 32 -A "$SRV" || exit 1
SIZE=921600
big=$(head -c 700000 /dev/urandom | base64 -w0 | head -c "$SIZE")
for i in 1 2 3 4 5 6 7 8 9; do
	r=$(mc_set A "rb$i" 1 0 "$big" | head -1)
	[ "$r" = STORED ] || t_fail "storing rb$i: [$r]"
done
unset big
# every worker has served requests and read small values: its baseline
declare -A before
for _ in 1 2 3 4 5 6; do rq B "X-Op: get-many" "X-Key: none" "X-Val: 3" >/dev/null; done
for pid in $(kamcmd_to B pkg.stats 2>/dev/null | awk '$1=="pid:" {print $2}'); do
	before[$pid]=$(pkg_used B "$pid")
done
for round in 1 2; do
	rq B "X-Op: get-many" "X-Key: rb" "X-Val: 9"
	t_eq "round $round: nine values read whole" $((9 * SIZE)) "$(hv X-Sum)"
	pid=$(hv X-Pid)
	after=$(pkg_used B "$pid")
	if [ -z "$pid" ] || [ -z "${before[$pid]:-}" ] || [ -z "$after" ]; then
		t_fail "round $round: no pkg.stats for worker [$pid]"
		continue
	fi
	grow=$((after - ${before[$pid]}))
	t_log "worker $pid pkg used: ${before[$pid]} -> $after (+$grow)"
	if [ "$grow" -le 1048576 ]; then
		t_pass "round $round: worker keeps at most 1 MB of read buffers (+$grow bytes)"
	else
		t_fail "round $round: worker keeps $grow bytes more pkg memory after the request"
	fi
done
rq B "X-Get: rb1"
t_eq "a 900 KB value still reads whole afterwards" "$SIZE" "$(hv X-Len)"
t_eq "read buffers: no error lines" 0 "$(grep -c ERROR "$KAM_LOG_B")"
t_done
