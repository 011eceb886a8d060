#!/bin/sh
# Installs what building, running and testing the module needs, on Debian 12
# (bookworm) and Debian 13 (trixie). Packages whose name carries a version
# (the sanitizer/fuzzer runtime) are picked by what this release's clang is.
# Quiet and quick when everything is there already.
set -eu
PKGS="kamailio kamailio-memcached-modules kamailio-lua-modules
 kamailio-python3-modules kamailio-extra-modules memcached libmemcached-dev
 libmemcached-tools pkg-config libssl-dev sip-tester sipsak sasl2-bin
 libsasl2-dev libsasl2-modules dpkg-dev xsltproc docbook-xsl
 docbook-xml lynx debhelper lintian
 iproute2 netcat-openbsd make gcc bison flex libxml2-utils cmake python3
 curl build-essential"
# What only the core suites (tests/README: "mcd-leg: core") need: unit
# tests (check), valgrind, fuzzing and sanitizers (clang and its runtime),
# the benchmark (gnuplot, strace). The Debian 13 leg inside its root
# (MCD_IN_TRIXIE) runs no core suite, so its root goes without them.
CORE_PKGS="check valgrind clang gnuplot-nox strace"
core_pkgs=yes
[ -z "${MCD_IN_TRIXIE:-}" ] || core_pkgs=no
[ "$core_pkgs" = no ] || PKGS="$PKGS $CORE_PKGS"

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
# The Debian 13 leg of `make check` builds its root with debootstrap; only
# hosts older than trixie run that leg.
case $codename in
bookworm) PKGS="$PKGS debootstrap" ;;
esac

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}

# libclang-rt-N-dev for the clang this release has: the installed clang's
# dependency, else what apt's clang package depends on (clang-N).
clang_rt() {
	n=$(dpkg-query -W -f='${Depends}\n' clang 2>/dev/null |
		tr ',' '\n' | sed -n 's/^ *clang-\([0-9][0-9]*\).*/\1/p' | head -n 1)
	[ -n "$n" ] || n=$(apt-cache depends clang 2>/dev/null |
		sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
	[ -n "$n" ] || return 1
	apt-cache show "libclang-rt-$n-dev" >/dev/null 2>&1 || return 1
	echo "libclang-rt-$n-dev"
}

updated=no
update() {
	[ "$updated" = yes ] && return 0
	apt-get update -q
	updated=yes
}

if [ "$core_pkgs" = yes ]; then
	rt=$(clang_rt || true)
	if [ -z "$rt" ] && [ "$(id -u)" = 0 ]; then
		# Fresh machine or root: apt's lists are not there yet.
		update
		rt=$(clang_rt || true)
	fi
	if [ -z "$rt" ]; then
		echo "cannot tell which libclang-rt-N-dev matches clang (apt-get update?)" >&2
		exit 1
	fi
	PKGS="$PKGS $rt"
fi

missing=""
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	update
	# The service scripts would start system memcached/kamailio; tests
	# start their own on free ports, so keep the packaged ones from starting.
	# One that is there already (a chroot's) is left in place.
	own_policy=no
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		own_policy=yes
	fi
	rc=0
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y -q --no-install-recommends $missing || rc=$?
	[ "$own_policy" = no ] || rm -f /usr/sbin/policy-rc.d
	exit "$rc"
fi
