#!/bin/bash
# Runs every suite in tests/suites in name order (or those whose name holds
# the argument: tests/run-all.sh 33-interop). A suite exits 0 (pass),
# 77 (skipped) or anything else (fail). A skipping suite prints why, in
# lines starting (after blanks) with "skipped:", "skip:" or "SKIP:"; the
# run fails on a skip unless every
# such line matches an entry of tests/allowed-skips for that suite
# (`make check` installs its own dependencies, so a skip is a defect).
# MCD_SKIPS_OK=1 reports unlisted skips without failing (local runs on a
# machine without every dependency; never in CI).
#
# Legs (tests/README): a suite file holds a tag line
#   # mcd-leg: core       Debian 12 host leg only (host-independent core)
#   # mcd-leg: kamailio   every leg (depends on the Kamailio release)
# (no tag: every leg). Inside the Debian 13 leg (MCD_IN_TRIXIE set) core
# suites are not run; they are listed as such, not as skips.
set -u
cd "$(dirname "$0")/.." || exit 1
only=${1:-}
allowed_file=tests/allowed-skips
pass=() skip=() fail=() other=() unlisted=()
skip_lines=()

# leg_of FILE: core, kamailio or all (no tag).
leg_of() {
	local t
	t=$(sed -n 's/^#[[:space:]]*mcd-leg:[[:space:]]*\([a-z]*\).*/\1/p' "$1" | head -n 1)
	echo "${t:-all}"
}

# allowed NAME REASON: REASON matches a "NAME  text" line of allowed-skips
# (text is a fixed substring of the reason the suite printed).
allowed() {
	local n r
	[ -f "$allowed_file" ] || return 1
	while read -r n r; do
		case $n in '' | '#'*) continue ;; esac
		[ "$n" = "$1" ] || continue
		[ -n "$r" ] || continue
		[[ "$2" == *"$r"* ]] && return 0
	done <"$allowed_file"
	return 1
}

spid=""
# shellcheck disable=SC2317 # signal traps
stop_suite() {
	[ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null
	exit 130
}
trap stop_suite INT TERM

out=$(mktemp /tmp/mcd-run.XXXXXX) || exit 1
trap 'rm -f "$out"' EXIT
t_all=$(date +%s)
for s in tests/suites/*.sh; do
	name=$(basename "$s" .sh)
	[ -n "$only" ] && [[ "$name" != *"$only"* ]] && continue
	leg=$(leg_of "$s")
	if [ -n "${MCD_IN_TRIXIE:-}" ] && [ "$leg" = core ]; then
		echo "=== $name: NOT IN THIS LEG (mcd-leg: core runs on the Debian 12 host leg only)"
		other+=("$name")
		continue
	fi
	echo "=== $name"
	start=$(date +%s)
	# The suite writes to a file that is shown as it grows: a server it
	# left behind cannot hold the runner on a pipe.
	: >"$out"
	bash "$s" >"$out" 2>&1 </dev/null &
	spid=$!
	tail -s 0.2 -n +1 --pid="$spid" -f "$out"
	wait "$spid"
	rc=$?
	spid=""
	t=$(($(date +%s) - start))
	case $rc in
	0)
		pass+=("$name")
		echo "=== $name: PASS (${t}s)"
		;;
	77)
		skip+=("$name")
		echo "=== $name: SKIP (${t}s)"
		reasons=$(grep -iE '^[[:space:]]*skip(ped)?:' "$out" | sed 's/^[[:space:]]*//' | sort -u)
		[ -n "$reasons" ] || reasons="(the suite printed no reason)"
		ok=yes
		while IFS= read -r r; do
			if allowed "$name" "$r"; then
				skip_lines+=("$name: $r (allowed: $allowed_file)")
			else
				skip_lines+=("$name: $r (NOT in $allowed_file)")
				ok=no
			fi
		done <<<"$reasons"
		[ "$ok" = yes ] || unlisted+=("$name")
		;;
	*)
		fail+=("$name")
		echo "=== $name: FAIL rc=$rc (${t}s)"
		;;
	esac
done
echo
if [ ${#other[@]} -gt 0 ]; then
	echo "not in this leg (mcd-leg: core): ${other[*]}"
fi
if [ ${#skip_lines[@]} -gt 0 ]; then
	echo "skips:"
	printf '  %s\n' "${skip_lines[@]}"
fi
echo "total time: $(($(date +%s) - t_all))s"
echo "passed: ${#pass[@]}  skipped: ${#skip[@]} ${skip[*]:-}  failed: ${#fail[@]} ${fail[*]:-}"
if [ ${#unlisted[@]} -gt 0 ]; then
	if [ -n "${MCD_SKIPS_OK:-}" ]; then
		echo "skips not in $allowed_file: ${unlisted[*]} (MCD_SKIPS_OK set: not a failure)"
	else
		echo "FAILED: skips not in $allowed_file: ${unlisted[*]}"
		exit 1
	fi
fi
[ ${#fail[@]} -eq 0 ]
