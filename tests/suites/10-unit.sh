#!/bin/bash
# mcd-leg: core
# Check unit tests of the host-independent core (tests/unit), each run
# against a private memcached on a free 127.0.0.1 port. The model suite
# runs MCD_MODEL_OPS (default 20000) random operations per mode; its seed
# is printed, MCD_MODEL_SEED replays it.
# A test whose precondition is missing (e.g. no SASL) reports a skip: the
# runner lists them and this suite exits 77 (skipped), never 0, unless
# something failed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)

for tool in memcached pkg-config; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "10-unit: $tool not found (run scripts/deps.sh)" >&2
		exit 1
	fi
done
if ! pkg-config --exists check libmemcached; then
	echo "10-unit: check or libmemcached development files missing (run scripts/deps.sh)" >&2
	exit 1
fi

timeout 60 make -s -C "$root/tests/unit" || exit 1
# CK_DEFAULT_TIMEOUT bounds the test cases that set no timeout of their own.
cd "$root/tests/unit" || exit 1
CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-10} timeout 900 ./test_core
rc=$?
if [ "$rc" -eq 77 ]; then
	echo "10-unit: every test that ran passed, but some were skipped (listed above)"
fi
exit "$rc"
