#!/bin/bash
# The core unit tests under valgrind (one process per suite, CK_FORK=no):
# no leak (definite, indirect, possible) and no invalid access allowed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)

if ! command -v valgrind >/dev/null 2>&1; then
	echo "11-unit-valgrind: valgrind is not installed, skipped"
	exit 77
fi

timeout 60 make -s -C "$root/tests/unit" || exit 1
timeout 1800 make -s -C "$root/tests/unit" valgrind
