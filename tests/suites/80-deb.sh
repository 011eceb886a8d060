#!/bin/bash
# mcd-leg: kamailio
# The Debian package: `make deb` builds it, apt installs it (replacing
# kamailio-memcached-modules through Conflicts/Replaces), and a Kamailio that
# says just loadmodule "memcached.so" gets OUR module from Kamailio's module
# folder. Afterwards the machine is put back as it was: our package removed,
# the stock one reinstalled (in a trap, so also on failure).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
pkg=kamailio-memcached-ng-module
stock=kamailio-memcached-modules

if [ "$(id -u)" != 0 ]; then
	echo "skip: installing packages needs root"
	exit 77
fi
for f in README doc/examples/kamailio.cfg; do
	if [ ! -f "$f" ]; then
		echo "skip: $f is not written yet (the package ships it)"
		exit 77
	fi
done
for t in dpkg-buildpackage apt-get memcached kamailio kamcmd sipsak ss; do
	if ! command -v "$t" >/dev/null; then
		echo "skip: $t not installed (run scripts/deps.sh)"
		exit 77
	fi
done

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}
# shellcheck disable=SC2317  # called through check
absent() { ! installed "$1"; }

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=120)
stock_was=no ours_was=no
installed "$stock" && stock_was=yes
installed "$pkg" && ours_was=yes

# Restoring needs the stock package: have it in apt's cache before touching
# anything, so the restore works even if the network goes away meanwhile.
if [ "$stock_was" = yes ] &&
   ! timeout 300 apt-get "${apt_opts[@]}" install --reinstall --download-only "$stock" >/dev/null; then
	echo "skip: cannot fetch $stock, so it could not be restored afterwards"
	exit 77
fi

tmp=$(mktemp -d /tmp/mcd-deb.XXXXXX)
kam_pid="" mc_pid=""
# shellcheck disable=SC2317  # runs from the trap
cleanup() {
	[ -n "$kam_pid" ] && kill "$kam_pid" 2>/dev/null && wait "$kam_pid" 2>/dev/null
	[ -n "$mc_pid" ] && kill "$mc_pid" 2>/dev/null && wait "$mc_pid" 2>/dev/null
	if [ "$ours_was" = no ] && installed "$pkg"; then
		timeout 300 apt-get "${apt_opts[@]}" remove "$pkg" >/dev/null ||
			echo "cleanup: removing $pkg failed" >&2
	fi
	if [ "$stock_was" = yes ] && ! installed "$stock"; then
		timeout 300 apt-get "${apt_opts[@]}" install "$stock" >/dev/null ||
			echo "cleanup: reinstalling $stock failed" >&2
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fails=0
ok()   { echo "ok: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# check DESCRIPTION COMMAND...: ok or fail by the command's status
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# Ports come from below the kernel's ephemeral range (32768-60999 by
# default), where outgoing connections take their local ports: a port picked
# there can be taken by a client socket between the check and the bind.
PORT_LO=20000
PORT_HI=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[ "${PORT_HI:-0}" -gt $((PORT_LO + 2000)) ] 2>/dev/null || PORT_HI=32768
# A port nobody uses (TCP and UDP), picked at random.
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((PORT_LO + RANDOM % (PORT_HI - PORT_LO)))
		if [ -z "$(ss -Htan "sport = :$p")$(ss -Huan "sport = :$p")" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# --- build
deb=$(timeout 1200 make -s deb | tail -n 1)
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
	echo "FAIL: make deb did not produce a package"
	exit 1
fi
ok "make deb: $deb"
check "package is inside the repository's build/" test "${deb#"$root"/build/}" != "$deb"
leftover=$(find "$root/.." -maxdepth 1 -name 'kamailio-memcached-ng*' 2>/dev/null)
check "nothing left next to the repository${leftover:+: $leftover}" test -z "$leftover"

moddir=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/kamailio/modules
kver=$(dpkg-query -W -f='${Version}' kamailio)
dep=$(dpkg-deb -f "$deb" Depends)
check "depends on kamailio (= $kver) [$dep]" grep -qF "kamailio (= $kver)" <<<"$dep"
for field in Provides Conflicts Replaces; do
	check "$field: $stock" grep -qF "$stock" <<<"$(dpkg-deb -f "$deb" "$field")"
done
contents=$(dpkg-deb -c "$deb")
for f in "$moddir/memcached.so" \
	"/usr/share/doc/$pkg/copyright" \
	"/usr/share/doc/$pkg/examples/kamailio.cfg"; do
	check "ships $f" grep -q " \.$f\$" <<<"$contents"
done
check "ships README" grep -Eq " \./usr/share/doc/$pkg/README(\.gz)?\$" <<<"$contents"

# --- install
if ! timeout 300 apt-get "${apt_opts[@]}" install "$deb" >"$tmp/apt.log" 2>&1; then
	cat "$tmp/apt.log"
	echo "FAIL: apt-get install $deb"
	exit 1
fi
check "$pkg installed" installed "$pkg"
check "$stock removed (Conflicts)" absent "$stock"
owner=$(dpkg -S "$moddir/memcached.so" 2>/dev/null | cut -d: -f1)
check "$moddir/memcached.so belongs to $pkg" test "$owner" = "$pkg"

# --- run: a private memcached and a Kamailio loading "memcached.so" by name
mport=$(free_port) || { echo "FAIL: no free port"; exit 1; }
kport=$(free_port) || { echo "FAIL: no free port"; exit 1; }
memcached -l 127.0.0.1 -p "$mport" -U 0 -u nobody -m 16 -c 64 >"$tmp/memcached.log" 2>&1 &
mc_pid=$!
up=no
for _ in $(seq 1 50); do
	if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$mport" 2>/dev/null; then up=yes; break; fi
	sleep 0.2
done
[ "$up" = yes ] || { echo "FAIL: memcached did not start"; exit 1; }

key="deb80:$RANDOM$RANDOM"
ctl="unix:$tmp/kamailio_ctl"
cat >"$tmp/kamailio.cfg" <<EOF
#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:$kport

loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "ctl.so"
loadmodule "memcached.so"

modparam("ctl", "binrpc", "$ctl")
modparam("memcached", "servers", "127.0.0.1:$mport")

request_route {
	# Only our module creates a missing counter; the stock one leaves it missing.
	\$mcinc($key) = 7;
	sl_send_reply("200", "MC <\$mct($key)>");
	exit;
}
EOF
mkdir -p "$tmp/run"
kamailio -f "$tmp/kamailio.cfg" -L "$moddir" -Y "$tmp/run" -w "$tmp" \
	-m 64 -M 8 -DD -E >"$tmp/kamailio.log" 2>&1 &
kam_pid=$!
up=no
for _ in $(seq 1 60); do
	kill -0 "$kam_pid" 2>/dev/null || break
	if timeout 5 kamcmd -s "$ctl" core.uptime >/dev/null 2>&1; then up=yes; break; fi
	sleep 0.5
done
if [ "$up" != yes ]; then
	tail -n 30 "$tmp/kamailio.log"
	echo "FAIL: Kamailio with the packaged module did not start"
	exit 1
fi
ok "Kamailio started with loadmodule \"memcached.so\" from $moddir"

reply=$(timeout 20 sipsak -vv -s "sip:probe@127.0.0.1:$kport" -H 127.0.0.1 2>&1 | grep -m1 '^SIP/2.0 ')
if [[ "$reply" == *"MC <7>"* ]]; then
	ok "SIP reply shows the counter our module created: $reply"
else
	fail "SIP reply does not show our module's counter: '${reply:-no reply}'"
fi

stats=$(timeout 10 kamcmd -s "$ctl" memcached.stats 2>&1)
if [[ "$stats" == *"127.0.0.1"*"$mport"* ]]; then
	ok "kamcmd memcached.stats answers (only our module has it)"
else
	fail "kamcmd memcached.stats: $stats"
fi

if [ "$fails" -ne 0 ]; then
	echo "--- kamailio log (tail)"
	tail -n 30 "$tmp/kamailio.log"
	echo "$fails check(s) failed"
	exit 1
fi
echo "all checks passed"
exit 0
