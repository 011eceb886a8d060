#!/bin/bash
# mcd-leg: core
# The core unit tests under valgrind (one process per suite, CK_FORK=no):
# no leak (definite, indirect, possible) and no invalid access allowed.
# The model suite runs a shorter sequence here (MCD_MODEL_OPS, default
# 5000 under valgrind); the native run (10-unit) does the full count.
# Skipped tests (printed "SKIP: ...") make the suite exit 77 when nothing
# failed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)

if ! command -v valgrind >/dev/null 2>&1; then
	echo "skipped: valgrind is not installed (scripts/deps.sh)"
	exit 77
fi

timeout 60 make -s -C "$root/tests/unit" || exit 1
out=$(mktemp /tmp/mcd-vg.XXXXXX)
trap 'rm -f "$out"' EXIT
MCD_MODEL_OPS=${MCD_MODEL_OPS:-5000} timeout 1800 make -s -C "$root/tests/unit" valgrind 2>&1 |
	tee "$out"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || exit "$rc"
if grep -q '^SKIP: ' "$out"; then
	echo "11-unit-valgrind: clean, but some tests were skipped (below)"
	grep '^SKIP: ' "$out" | sort -u | sed 's/^SKIP: /  skipped: /'
	exit 77
fi
exit 0
