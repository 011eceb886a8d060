#!/bin/bash
# mcd-leg: core
# Fuzzing of the pure parsers (tests/fuzz): the committed corpus, past
# crash inputs included, is replayed first; then each libFuzzer target runs
# for FUZZ_SECS seconds (default 20) under ASan + UBSan. New inputs and any
# crash go to a temporary directory; a crash input is printed so it can be
# committed to tests/fuzz/corpus/<target>/ as a regression.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

secs=${FUZZ_SECS:-20}
if ! command -v clang >/dev/null; then
	echo "  skipped: clang not installed (scripts/deps.sh)"
	exit 77
fi
if [ ! -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ] &&
	! compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' >/dev/null; then
	echo "  skipped: libFuzzer runtime missing (package libclang-rt-N-dev of the installed clang)"
	exit 77
fi

fz() { timeout "$1" make -s -C "$TOP/tests/fuzz" OUT="$T_DIR/fuzz" "${@:2}"; }

if fz 300 all > "$T_DIR/build.log" 2>&1; then
	t_pass "fuzz targets built"
else
	tail -30 "$T_DIR/build.log"
	t_fail "fuzz targets do not build"
	t_done
fi
for t in fuzz_key_expire fuzz_key_build fuzz_int fuzz_servers; do
	# replays corpus/$t first, then fuzzes
	if fz $((secs + 120)) fuzz TARGETS="$t" SECS="$secs" > "$T_DIR/$t.out" 2>&1; then
		t_pass "$(grep -h "^replay $t" "$T_DIR/$t.out"); $(grep -h "^fuzz $t" "$T_DIR/$t.out")"
	else
		sed 's/^/    /' "$T_DIR/$t.out"
		t_fail "$t"
	fi
done
t_done
