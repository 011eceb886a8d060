#!/bin/bash
# The benchmark in smoke mode (every scenario for about 1 s, output in a temp
# dir): the table has every row, and our module sends exactly one server
# command per $mcinc and per $mctex request, the one deterministic figure.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

for t in sipp memcached kamailio kamcmd gnuplot gcc taskset ss; do
	if ! command -v "$t" >/dev/null; then
		echo "skip: $t not installed (scripts/deps.sh installs it)"
		exit 77
	fi
done
if [ ! -f "$ROOT/memcached.so" ]; then
	echo "skip: $ROOT/memcached.so not built (run make)"
	exit 77
fi
if [ ! -f /usr/lib/x86_64-linux-gnu/kamailio/modules/memcached.so ]; then
	echo "skip: the shipped module is not installed (kamailio-memcached-modules)"
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
fail=0
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

# A scenario row: name, module, then 10 numbers.
# shellcheck disable=SC2317 # called through check
row_ok() { # scenario module
	awk -v s="$1" -v m="$2" '
		$1 == s && $2 == m {
			if (NF != 12) exit 1
			for (i = 3; i <= 12; i++) if ($i !~ /^-?[0-9]+(\.[0-9]+)?$/) exit 1
			found = 1
		}
		END { exit found ? 0 : 1 }' "$res"
}
for s in ceiling htable mct_read mct_write mcinc mctex mix; do
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

# The deterministic figure: one server command per $mcinc / $mctex request.
for s in mcinc mctex; do
	v=$(awk -v s="$s" '$1 == s && $2 == "ours" { print $12; exit }' "$res")
	check "ours $s: commands per request ${v:-none} == 1.00" test "${v:-}" = 1.00
done

if [ $fail -ne 0 ]; then
	echo "--- results.txt"
	cat "$res"
	echo "--- stderr (tail)"
	tail -20 "$out/stderr"
	exit 1
fi
exit 0
