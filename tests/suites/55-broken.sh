#!/bin/bash
# mcd-leg: kamailio
# Nothing a server sends stops Kamailio (SPEC section 6): a proxy in front
# of a real memcached (tests/tools/mcd-hostile-proxy.py) answers with
# broken protocol on demand: replies of other commands (a store answered
# END trips an assertion in libmemcached), truncated values, wrong and
# huge lengths, garbage after END, answers to requests never sent, binary
# headers with absurd lengths. After each, Kamailio is alive and, once the
# proxy behaves again, the next write and read of a key work. Text
# protocol, then binary.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss python3
need_module

CFG="$TOP/tests/cfg/rel-broken.cfg"
PROXY="$TOP/tests/tools/mcd-hostile-proxy.py"
MODE="$T_DIR/mode"
# libmemcached still prints its assertion to stderr (the log) before the
# module takes the abort back: a crash is the process gone, or a signal
CRASH='segfault\|SIGSEGV\|signal 11\|signal 6\|core dump'
TEXT_MODES="end deleted ok stat version value truncated wronglen shortlen
after_end stored_twice huge negative badflags incr_text empty_line garbage
error server_error unsolicited silent bin_huge"
BIN_MODES="bin_huge bin_magic bin_opaque bin_short bin_extlen garbage end
truncated unsolicited silent"

start_memcached A || exit 1
echo good > "$MODE"
PPORT=$(free_port) || exit 1
python3 "$PROXY" "$PPORT" "$MC_PORT_A" "$MODE" > "$T_DIR/proxy.log" 2>&1 &
T_PIDS+=("$!")
for _ in $(seq 1 50); do
	mc_cmd_port "$PPORT" version 2>/dev/null | grep -q VERSION && break
	sleep 0.1
done

run_modes() {
	local name=$1 modes=$2 mode n=0 ok
	for mode in $modes; do
		n=$((n + 1))
		echo "$mode" > "$MODE"
		rq "$name" "X-Op: all" "X-Key: b:$mode"
		answered || t_fail "$name $mode: no answer while broken"
		echo good > "$MODE"
		if ! kam_alive "$name"; then
			t_fail "$name $mode: Kamailio died"
			return
		fi
		# a server that broke a connection is marked dead: wait for the
		# prober to bring it back (probe_interval 100 ms), bounded
		ok=no
		for _ in $(seq 1 30); do
			rq "$name" "X-Op: check" "X-Key: g:$mode" "X-Val: v$n"
			if [ "$(hv X-Ok)" = yes ]; then ok=yes; break; fi
			sleep 0.1
		done
		t_eq "$name $mode: alive, and a write and read work afterwards" yes "$ok"
	done
}

echo "# text protocol"
start_kamailio T "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$PPORT\"" || exit 1
run_modes T "$TEXT_MODES"
t_eq "T: no assertion or crash in the log" 0 "$(grep -c "$CRASH" "$KAM_LOG_T")"

echo "# binary protocol"
start_kamailio B "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$PPORT\"" -A MCD_BINARY=1 || exit 1
run_modes B "$BIN_MODES"
t_eq "B: no assertion or crash in the log" 0 "$(grep -c "$CRASH" "$KAM_LOG_B")"
t_range "T: library aborts were taken back (logged, Kamailio went on)" 1 1000 \
	"$(grep -c "gave up on the server" "$KAM_LOG_T")"
t_done
