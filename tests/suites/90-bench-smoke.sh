#!/bin/bash
# mcd-leg: core
# The benchmark in smoke mode (every scenario for about 1 s, output in a
# temp dir): every table has its rows, and the deterministic figures hold:
# one memcached command per $mct read, $mct write, $mcinc and $mctex of ours
# (none for a near-cache hit), and in the SIP worker exactly two system calls
# (one send, one receive) on top of the SIP message's own per such operation.
# Nothing here depends on timing.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

for t in sipp memcached kamailio kamcmd gnuplot gcc taskset ss strace; do
	if ! command -v "$t" >/dev/null; then
		echo "skipped: $t not installed (scripts/deps.sh installs it)"
		exit 77
	fi
done
if [ ! -f "$ROOT/memcached.so" ]; then
	echo "skipped: $ROOT/memcached.so not built (run make)"
	exit 77
fi
if [ ! -f /usr/lib/x86_64-linux-gnu/kamailio/modules/memcached.so ]; then
	echo "skipped: the shipped module is not installed (kamailio-memcached-modules)"
	exit 77
fi

out=$(mktemp -d /tmp/mcd-bench-smoke.XXXXXX)
trap 'rm -rf "$out"' EXIT

start=$(date +%s)
BENCH_SMOKE=1 BENCH_OUT="$out" timeout 240 "$ROOT/bench/run.sh" >"$out/stdout" 2>"$out/stderr"
rc=$?
echo "bench smoke: exit $rc after $(($(date +%s) - start)) s"
if [ $rc -ne 0 ]; then
	tail -30 "$out/stderr"
	exit 1
fi

res=$out/results.txt
det=$out/det.txt
thr=$out/thr.txt
sed -n '/^DETERMINISTIC/,/^Targets/p' "$res" >"$det"
sed -n '/^NOISE-BOUND/,/^Ratios/p' "$res" >"$thr"
fail=0
skipped=0
check() { # description, then a command that must succeed
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		fail=1
	fi
}

check "results.txt written" test -s "$res"
check "results.png written" test -s "$out/results.png"
check "header names the machine" grep -q '^machine: nproc=[0-9]*, cpu=.*, kernel=.*, date=' "$res"

# A throughput row: name, module, 2 numbers, the spread (lo-hi), 8 numbers.
# shellcheck disable=SC2317 # called through check
row_ok() { # scenario module
	awk -v s="$1" -v m="$2" '
		$1 == s && $2 == m {
			if (NF != 13 || $5 !~ /^[0-9]+-[0-9]+$/) exit 1
			for (i = 3; i <= 13; i++) if (i != 5 && $i !~ /^-?[0-9]+(\.[0-9]+)?$/) exit 1
			found = 1
		}
		END { exit found ? 0 : 1 }' "$thr"
}
for s in ceiling htable sht_read mct_read mct_write mcinc mctex mix; do
	for m in ours shipped; do
		check "row $s $m" row_ok "$s" "$m"
	done
	check "ratio row $s" grep -Eq "^$s +[0-9]" "$res"
done
for f in "memcached frozen +ours" "memcached frozen +shipped" \
	"memcached killed\+restarted +ours" "memcached killed\+restarted +shipped" \
	"2 servers, 1 frozen: live +ours" "2 servers, 1 frozen +shipped +n/a"; do
	check "fault row: $f" grep -Eq "^$f" "$res"
done
check "core microbenchmark rows" test "$(grep -Ec '^  (get|set|incr) +libmemcached .* ratio [0-9.]+ ' "$res")" = 3
check "key hashing row" grep -Eq '^  mcd_key_build hash300 +[0-9]+ keys/s' "$res"

# Deterministic figures: field of a row of the deterministic table
# (scenario module cmds/req sys/req +sys/req waits/req function Ir/call list).
dfield() { # scenario module field
	awk -v s="$1" -v m="$2" -v f="$3" '$1 == s && $2 == m { print $f; exit }' "$det"
}
dlist() { # scenario module: the system calls added per request
	awk -v s="$1" -v m="$2" '$1 == s && $2 == m {
		for (i = 9; i <= NF; i++) l = l (i > 9 ? " " : "") $i; print l; exit }' "$det"
}
check "deterministic table present" grep -Eq '^scenario +module +cmds/req +sys/req' "$det"
v=$(dfield ceiling ours 4)
check "ceiling: the SIP message's own system calls ${v:-none} == 2.00" test "${v:-}" = 2.00
for s in mct_read mct_write mcinc mctex; do
	v=$(dfield "$s" ours 3)
	check "ours $s: memcached commands per request ${v:-none} == 1.00" test "${v:-}" = 1.00
	v=$(dfield "$s" ours 5)
	check "ours $s: system calls added per request ${v:-none} == 2.00" test "${v:-}" = 2.00
	v=$(dlist "$s" ours)
	check "ours $s: one send, one receive (${v:-none})" test "${v:-}" = "recvfrom +1.00, sendto +1.00"
done
v=$(dfield mix ours 3)
check "ours mix: memcached commands per request ${v:-none} == 4.00" test "${v:-}" = 4.00
for s in mcinc mctex; do
	v=$(dfield "$s" shipped 3)
	check "shipped $s: memcached commands per request ${v:-none} == 2.00 (it reads first)" test "${v:-}" = 2.00
done
v=$(dfield sht_read htable 5)
check "htable read: no system call added (${v:-none})" test "${v:-}" = 0.00
# The module has a near cache: near_hot must be measured.
v=$(dfield near_hot ours 3)
check "ours near-cache hit: memcached commands per request ${v:-none} == 0.00" test "${v:-}" = 0.00
v=$(dfield near_hot ours 5)
check "ours near-cache hit: system calls added per request ${v:-none} == 0.00" test "${v:-}" = 0.00
if command -v valgrind >/dev/null; then
	for r in "htable sht_read" "ours mct_read" "ours mct_write" "ours mcinc" "ours mctex" \
		"shipped mct_read" "shipped mct_write" "shipped mcinc" "shipped mctex"; do
		v=$(dfield "${r#* }" "${r%% *}" 8)
		check "$r: instructions per call counted (${v:-none})" grep -Eq '^[1-9][0-9]*$' <<<"${v:-}"
	done
else
	echo "skipped: instructions per call not checked: valgrind not installed (scripts/deps.sh)"
	skipped=1
fi

if [ $fail -ne 0 ]; then
	echo "--- results.txt"
	cat "$res"
	echo "--- stderr (tail)"
	tail -20 "$out/stderr"
	exit 1
fi
[ "$skipped" = 0 ] || exit 77
exit 0
