#!/bin/bash
# Builds the Debian package kamailio-memcached-ng-module for the installed
# kamailio and prints the path of the .deb (the only line on stdout).
#
# The package is built from a copy of the working tree under build/deb/, so
# the developer build (memcached.so, objects) is left alone and every file
# dpkg-buildpackage writes (.deb, .buildinfo, .changes) lands in build/deb/.
# The Kamailio source tree in build/ is reused (KAMAILIO_SRC), not fetched
# again. Then lintian checks the result (LINTIAN=0 skips it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

for t in dpkg-buildpackage dpkg-parsechangelog dpkg-architecture dh; do
	command -v "$t" >/dev/null ||
		{ echo "make-deb: $t not found (run scripts/deps.sh)" >&2; exit 1; }
done
kver=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null || true)
[ -n "$kver" ] ||
	{ echo "make-deb: kamailio is not installed (run scripts/deps.sh)" >&2; exit 1; }
for f in README doc/examples/kamailio.cfg; do
	[ -f "$f" ] ||
		{ echo "make-deb: $f is missing: the package ships it" >&2; exit 1; }
done

kupstream=$(echo "$kver" | sed 's/-[^-]*$//; s/^[0-9]*://')
export KAMAILIO_SRC="${KAMAILIO_SRC:-$root/build/kamailio-$kupstream}"
case $KAMAILIO_SRC in /*) ;; *) KAMAILIO_SRC="$root/$KAMAILIO_SRC" ;; esac
# Fetches the source once (apt-get source) when it is not there yet.
make -s kamailio-src KAMAILIO_SRC="$KAMAILIO_SRC" >&2

src=$(dpkg-parsechangelog -S Source)
ver=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
out="$root/build/deb"
stage="$out/$src-$ver"
mkdir -p "$out"
rm -rf "$stage"
rm -f "$out/${src}_${ver}_$arch".{buildinfo,changes} \
	"$out"/kamailio-memcached-ng-module{,-dbgsym}_"${ver}_$arch".*deb
mkdir "$stage"
tar -C "$root" --exclude=./build --exclude=./.git \
	--exclude='*.o' --exclude='*.d' --exclude='*.so' \
	--exclude=./librpath.lst --exclude=./makecfg.lst \
	--exclude=./debian/kamailio-memcached-ng-module --exclude=./debian/.debhelper \
	-cf - . | tar -C "$stage" -xf -

echo "make-deb: building $src $ver for kamailio $kver (log: $out/build.log)" >&2
if ! (cd "$stage" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "make-deb: dpkg-buildpackage failed; full log: $out/build.log" >&2
	exit 1
fi
rm -rf "$stage"

deb="$out/kamailio-memcached-ng-module_${ver}_$arch.deb"
[ -f "$deb" ] || { echo "make-deb: $deb was not produced" >&2; exit 1; }

if [ "${LINTIAN:-1}" != 0 ] && command -v lintian >/dev/null; then
	echo "make-deb: lintian" >&2
	lintian --fail-on error "$out/${src}_${ver}_$arch.changes" >&2 ||
		{ echo "make-deb: lintian reports errors" >&2; exit 1; }
fi
echo "$deb"
