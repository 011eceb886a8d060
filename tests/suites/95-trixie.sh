#!/bin/bash
# mcd-leg: core
# The Debian 13 leg: on a Debian 12 host, `make check` runs again inside a
# trixie root (scripts/trixie.sh, kept in build/trixie) with Debian 13's
# kamailio 6.0, its shipped memcached module (33-interop) and package
# (80-deb). Only suites tagged "mcd-leg: kamailio" (or untagged) run there:
# the core suites ("mcd-leg: core") do not depend on the Kamailio release
# and run on the Debian 12 host only (tests/README). Fails if the inner run
# fails, skips any suite, or runs a core suite.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

if [ -n "${MCD_IN_TRIXIE:-}" ]; then
	echo "  skipped: this is the Debian 13 leg itself"
	exit 77
fi
codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
if [ "$codename" != bookworm ]; then
	echo "  skipped: the Debian 13 leg runs on Debian 12 hosts (this is ${codename:-unknown})"
	exit 77
fi
if [ "$(id -u)" != 0 ]; then
	echo "  skipped: debootstrap, chroot and mount need root"
	exit 77
fi
for t in debootstrap chroot flock; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed (scripts/deps.sh)"; exit 77; }
done

fails=0
ok() { echo "  ok - $*"; }
fail() { echo "  FAIL - $*"; fails=$((fails + 1)); }
troot="$root/build/trixie"
log="$root/build/trixie-check.log"
mkdir -p "$root/build"

start=$(date +%s)
if ! timeout 1800 scripts/trixie.sh setup >"$root/build/trixie-setup.log" 2>&1; then
	tail -n 30 "$root/build/trixie-setup.log"
	echo "  FAIL - the trixie root could not be set up (log: build/trixie-setup.log)"
	exit 1
fi
ok "trixie root ready in $(( $(date +%s) - start ))s"

# shellcheck disable=SC2016 # the format is dpkg-query's, not the shell's
kver=$(scripts/trixie.sh run dpkg-query -W -f='${Version}' kamailio 2>/dev/null)
case $kver in
6.0.*) ok "kamailio in the root is $kver" ;;
*) fail "kamailio in the root is '$kver', not 6.0" ;;
esac

# The whole inner run, its output shown as it goes (indented).
start=$(date +%s)
timeout 3000 scripts/trixie.sh run make check 2>&1 | tee "$log" | sed -u 's/^/  | /'
rc=${PIPESTATUS[0]}
t=$(( $(date +%s) - start ))
if [ "$rc" -eq 0 ]; then ok "make check inside trixie (${t}s)"; else fail "make check inside trixie: rc=$rc (${t}s)"; fi

summary=$(grep '^passed: ' "$log" | tail -n 1)
if [ -z "$summary" ]; then
	fail "no summary from the inner run (log: build/trixie-check.log)"
else
	echo "  inner: $summary"
	skipped=$(sed -n 's/^=== \(.*\): SKIP.*/\1/p' "$log" | tr '\n' ' ')
	if [ -z "$skipped" ]; then ok "no suite skipped inside trixie"; else fail "skipped inside trixie: $skipped"; fi
	failed=$(sed -n 's/^=== \(.*\): FAIL.*/\1/p' "$log" | tr '\n' ' ')
	if [ -z "$failed" ]; then ok "no suite failed inside trixie"; else fail "failed inside trixie: $failed"; fi
	for s in 30-pv 33-interop 80-deb 85-intree; do
		if grep -q "^=== $s: PASS" "$log"; then ok "$s passed inside trixie"; else fail "$s did not pass inside trixie"; fi
	done
	# the core suites are left to this (Debian 12) leg
	for f in tests/suites/*.sh; do
		s=$(basename "$f" .sh)
		grep -q '^# mcd-leg: core' "$f" || continue
		if grep -q "^=== $s: NOT IN THIS LEG" "$log"; then ok "$s (core) left to the Debian 12 leg"; else fail "$s (core) was run inside trixie"; fi
	done
fi

left=$(awk -v d="$troot" 'index($2, d) == 1 {print $2}' /proc/mounts)
if [ -z "$left" ]; then ok "nothing left mounted under build/trixie"; else fail "still mounted: $left"; fi

[ "$fails" -eq 0 ] || { echo "  $fails check(s) failed (log: build/trixie-check.log)"; exit 1; }
exit 0
