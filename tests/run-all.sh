#!/bin/bash
# Runs every suite in tests/suites in name order. A suite exits 0 (pass),
# 77 (skipped: it prints why) or anything else (fail). Summary at the end.
set -u
cd "$(dirname "$0")/.."
only=${1:-}
pass=() skip=() fail=()
for s in tests/suites/*.sh; do
	name=$(basename "$s" .sh)
	[ -n "$only" ] && [[ "$name" != *"$only"* ]] && continue
	echo "=== $name"
	start=$(date +%s)
	bash "$s"
	rc=$?
	t=$(( $(date +%s) - start ))
	case $rc in
	0)  pass+=("$name") ; echo "=== $name: PASS (${t}s)" ;;
	77) skip+=("$name") ; echo "=== $name: SKIP (${t}s)" ;;
	*)  fail+=("$name") ; echo "=== $name: FAIL rc=$rc (${t}s)" ;;
	esac
done
echo
echo "passed: ${#pass[@]}  skipped: ${#skip[@]} ${skip[*]:-}  failed: ${#fail[@]} ${fail[*]:-}"
[ ${#fail[@]} -eq 0 ]
