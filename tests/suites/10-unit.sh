#!/bin/bash
# Check unit tests of the host-independent core (tests/unit), each run
# against a private memcached on a free 127.0.0.1 port.
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
CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-10} timeout 600 make -s -C "$root/tests/unit" run
