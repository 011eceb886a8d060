#!/bin/bash
# mcd-leg: core
# Sanitizers and memory under load.
#  1. The unit tests (tests/unit) built with AddressSanitizer, LeakSanitizer
#     and UndefinedBehaviorSanitizer, halting on the first report
#     (tests/fuzz/Makefile, target asan-unit; built in a temporary folder).
#  2. Kamailio with our module (children=2), for memory=0, 1 and 2: SIPp
#     drives LOAD_OPS (50,000) operations of every kind; pkg memory of each
#     process and shm memory (Kamailio's own statistics over RPC) must not
#     grow by more than MEM_BOUND bytes, nor the resident size of a worker
#     by more than RSS_BOUND (the system heap, memory=0). Kamailio must then
#     stop cleanly (no crash at shutdown, which the shipped module has with
#     memory=1).
# SAN_UNIT=0 skips part 1 (the suite then reports a skip), LOAD_OPS
# changes the size of part 2.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../netns/lib.sh
. "$TOP/tests/netns/lib.sh"

LOAD_OPS=${LOAD_OPS:-50000}
OPS_PER_REQ=10 # as in tests/cfg/rel-load.cfg
RATE=400
WARM_CALLS=500
MEM_BOUND=65536  # bytes: a leak of even one byte per operation is 50 KB
RSS_BOUND=1048576
CFG="$TOP/tests/cfg/rel-load.cfg"

# ---- 1. unit tests under ASan + UBSan ----
if [ "${SAN_UNIT:-1}" = 0 ]; then
	t_skip "part 1 (unit tests under sanitizers): SAN_UNIT=0"
elif ! command -v clang >/dev/null || ! pkg-config --exists check libmemcached; then
	t_skip "part 1 (unit tests under sanitizers): clang, check or libmemcached-dev missing (scripts/deps.sh)"
else
	out="$T_DIR/asan"
	timeout 900 make -s -C "$TOP/tests/fuzz" OUT="$out" asan-unit > "$T_DIR/asan-unit.log" 2>&1
	rc=$?
	reports=$(grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$T_DIR/asan-unit.log")
	summary=$(grep -E '^[0-9]+%: Checks:' "$T_DIR/asan-unit.log" | tail -1)
	if [ -n "$reports" ]; then
		t_fail "unit tests: sanitizer reports:"
		echo "$reports" | sort | uniq -c | head -10 | sed 's/^/    /'
		grep -m1 -A25 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
			"$T_DIR/asan-unit.log" | sed 's/^/    /'
	else
		t_pass "unit tests under ASan/LSan/UBSan: no sanitizer report"
	fi
	if [ "$rc" = 0 ]; then
		t_pass "unit tests under sanitizers: $summary"
	elif [ -z "$reports" ] && grep -q '^SKIP: ' "$T_DIR/asan-unit.log" &&
		[[ "$summary" == "100%:"* ]]; then
		t_pass "unit tests under sanitizers that ran: $summary"
		while IFS= read -r l; do
			t_skip "part 1 (unit tests under sanitizers): ${l#SKIP: }"
		done < <(grep '^SKIP: ' "$T_DIR/asan-unit.log" | sort -u)
	elif [ -z "$summary" ]; then
		t_fail "unit tests under sanitizers did not run (rc=$rc):"
		tail -15 "$T_DIR/asan-unit.log" | sed 's/^/    /'
	else
		t_fail "unit tests under sanitizers: $summary"
		grep -E '^[^ ]+:[0-9]+:[EF]:' "$T_DIR/asan-unit.log" | head -10 | sed 's/^/    /'
	fi
fi

# ---- 2. Kamailio memory under load ----
for t in sipp memcached kamcmd; do
	command -v "$t" >/dev/null || { t_skip "part 2 (Kamailio memory under load): $t missing (scripts/deps.sh)"; t_done; }
done
start_memcached M || { t_fail "memcached"; t_done; }
val=$(printf 'v%.0s' $(seq 1 1024))
rel_scenario "$T_DIR/load.xml" "X-V: $val"
calls=$((LOAD_OPS / OPS_PER_REQ))

# rss_of PIDS...: "pid rss_bytes" per process
rss_of() {
	local p
	for p in "$@"; do
		echo "$p $(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$p/status" 2>/dev/null)"
	done
}
# growth BEFORE AFTER: "pid delta" for the pids in both, largest delta first
growth() {
	join <(sort "$1") <(sort "$2") | awk '{print $1, $3 - $2}' | sort -k2,2nr
}

for mem in 0 1 2; do
	k="L$mem"
	start_kamailio "$k" "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_M\"" -A "MCD_MEMORY=$mem" ||
		{ t_fail "memory=$mem: Kamailio does not start"; continue; }
	rel_sipp "$k" "$T_DIR/load.xml" "$WARM_CALLS" "$RATE" "$T_DIR/warm-$mem"
	wait "$SIPP_PID" || t_fail "memory=$mem: warm-up traffic failed"

	rel_pkg_used "$k" > "$T_DIR/pkg0-$mem"
	shm0=$(rel_shm_used "$k")
	# workers: processes with a SIP rank (ranks >= 1 run the script)
	pids=$(kamcmd_to "$k" pkg.stats | awk '$1=="pid:" {p=$2} $1=="rank:" && $2>=1 {print p}')
	# shellcheck disable=SC2086
	rss_of $pids > "$T_DIR/rss0-$mem"
	cmds0=$(mc_cmds M)
	t0=$(date +%s.%N)

	rel_sipp "$k" "$T_DIR/load.xml" "$calls" "$RATE" "$T_DIR/load-$mem"
	wait "$SIPP_PID"
	src=$?
	secs=$(calc "int($(date +%s.%N) - $t0)")
	ops=$(($(mc_cmds M) - cmds0))
	read -r ok ko <<< "$(rel_sipp_counts "$T_DIR/load-$mem")"
	if [ "$src" = 0 ] && [ "$ok" = "$calls" ] && [ "$ops" -ge "$LOAD_OPS" ]; then
		t_pass "memory=$mem: $ok requests, $ops server operations in $secs s"
	else
		t_fail "memory=$mem: SIPp rc=$src, $ok answered, $ko failed; $ops operations"
	fi

	rel_pkg_used "$k" > "$T_DIR/pkg1-$mem"
	shm1=$(rel_shm_used "$k")
	# shellcheck disable=SC2086
	rss_of $pids > "$T_DIR/rss1-$mem"
	read -r ppid pgrow <<< "$(growth "$T_DIR/pkg0-$mem" "$T_DIR/pkg1-$mem" | head -1)"
	read -r rpid rgrow <<< "$(growth "$T_DIR/rss0-$mem" "$T_DIR/rss1-$mem" | head -1)"
	sgrow=$((shm1 - shm0))
	if [ -n "$pgrow" ] && [ "$pgrow" -lt "$MEM_BOUND" ]; then
		t_pass "memory=$mem: pkg growth at most $pgrow bytes per process (bound $MEM_BOUND)"
	else
		t_fail "memory=$mem: pkg of process $ppid grew by ${pgrow:-?} bytes"
		growth "$T_DIR/pkg0-$mem" "$T_DIR/pkg1-$mem" | sed 's/^/    pid delta: /'
	fi
	if [ "$sgrow" -lt "$MEM_BOUND" ]; then
		t_pass "memory=$mem: shm growth $sgrow bytes (bound $MEM_BOUND)"
	else
		t_fail "memory=$mem: shm grew by $sgrow bytes"
	fi
	if [ -n "$rgrow" ] && [ "$rgrow" -lt "$RSS_BOUND" ]; then
		t_pass "memory=$mem: worker resident size growth at most $rgrow bytes (bound $RSS_BOUND)"
	else
		t_fail "memory=$mem: resident size of worker $rpid grew by ${rgrow:-?} bytes"
	fi
	LOAD_FIG+=("memory=$mem: $ops ops in $secs s; growth: pkg <= $pgrow B/process, shm $sgrow B, worker RSS <= $rgrow B")

	lv="KAM_LOG_$k" pv="KAM_PID_$k"
	mism=$(grep -c 'MCDL mismatch' "${!lv}")
	errs=$(grep -c 'ERROR: memcached' "${!lv}")
	t_eq "memory=$mem: values read back as written, no module error" "0 0" "$mism $errs"
	kill "${!pv}"
	for i in $(seq 1 100); do kill -0 "${!pv}" 2>/dev/null || break; sleep 0.1; done
	wait "${!pv}" 2>/dev/null
	xrc=$?
	if [ "$xrc" -lt 128 ] && ! grep -qiE 'segfault|signal 11|signal 6|core dumped|destroy_memory.*error' "${!lv}"; then
		t_pass "memory=$mem: Kamailio stops cleanly (exit $xrc)"
	else
		t_fail "memory=$mem: Kamailio exit $xrc at shutdown:"
		tail -5 "${!lv}" | sed 's/^/    /'
	fi
done

printf '\n  --- figures: Kamailio children=2, %d ops per run, %d ops/request\n' "$LOAD_OPS" "$OPS_PER_REQ"
printf '  %s\n' "${LOAD_FIG[@]}"
echo
t_done
