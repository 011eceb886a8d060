#!/bin/sh
# Fetches the Kamailio source of exactly the installed kamailio version into
# BUILD_DIR (Debian's source package). When apt has no source for that
# version, a deb-src entry is added for the running release, on the archive
# this machine's apt already uses (scripts/apt-archive.sh).
set -eu
: "${BUILD_DIR:=build}"
: "${KAMAILIO_VER:?kamailio is not installed (run scripts/deps.sh)}"
dest="$BUILD_DIR/kamailio-$KAMAILIO_VER"
[ -f "$dest/src/Makefile.defs" ] && exit 0
full=$(dpkg-query -W -f='${Version}' kamailio)
has_source() {
	apt-get source --print-uris "kamailio=$full" 2>/dev/null | grep -q "\.dsc'"
}
if ! has_source; then
	codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
	archive=$("$(dirname "$0")/apt-archive.sh" "$codename")
	uri=${archive%% *}
	signed=${archive#* }
	# An installed security or point update lives in a suite of its own.
	suites=$codename
	for s in "$codename-updates" "$codename-security"; do
		a=$("$(dirname "$0")/apt-archive.sh" "$s" 2>/dev/null) || continue
		[ "${a%% *}" = "$uri" ] && suites="$suites $s"
	done
	echo "adding a deb-src entry for $suites ($uri)" >&2
	{
		echo "Types: deb-src"
		echo "URIs: $uri"
		echo "Suites: $suites"
		echo "Components: main"
		[ -z "$signed" ] || echo "Signed-By: $signed"
	} > /etc/apt/sources.list.d/kamailio-src.sources
	apt-get update -q
	has_source || {
		echo "no source package for kamailio $full on $uri ($suites)" >&2
		exit 1
	}
fi
mkdir -p "$BUILD_DIR"
tmp=$(mktemp -d "$BUILD_DIR/src.XXXXXX")
# Some mirrors lack the upstream signature (*.asc) that the .dsc lists, and
# apt-get source then gives up. Fall back to fetching each file with the hash
# from apt's (signed) Sources index, without the missing signature.
fetch_files() {
	apt-get source --print-uris "kamailio=$full" 2>/dev/null | grep "^'" | tr -d "'" |
		while read -r uri name _ hash; do
			/usr/lib/apt/apt-helper download-file "$uri" "$name" "$hash" >/dev/null 2>&1 && continue
			case $name in
			*.asc) echo "no $name on the mirror: unpacking without it" >&2 ;;
			*) echo "cannot fetch $uri" >&2; return 1 ;;
			esac
		done
	dpkg-source --no-check -x ./*.dsc >/dev/null
}
if ! ( cd "$tmp" && apt-get source -q "kamailio=$full" >/dev/null ); then
	echo "apt-get source failed; fetching the files one by one" >&2
	find "$tmp" -mindepth 1 -delete
	( cd "$tmp" && fetch_files )
fi
rm -rf "$dest"
mv "$tmp/kamailio-$KAMAILIO_VER" "$dest"
rm -rf "$tmp"
echo "Kamailio source in $dest"
