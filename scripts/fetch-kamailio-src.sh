#!/bin/sh
# Fetches the Kamailio source matching the installed kamailio into BUILD_DIR
# (Debian's source package; a bookworm deb-src entry is added if missing).
set -eu
: "${BUILD_DIR:=build}"
: "${KAMAILIO_VER:?kamailio is not installed (run scripts/deps.sh)}"
dest="$BUILD_DIR/kamailio-$KAMAILIO_VER"
[ -f "$dest/src/Makefile.defs" ] && exit 0
mkdir -p "$BUILD_DIR"
if ! apt-get source --print-uris kamailio 2>/dev/null | grep -q orig; then
	echo "adding a deb-src entry for bookworm" >&2
	cat > /etc/apt/sources.list.d/kamailio-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt-get update -q
fi
tmp=$(mktemp -d "$BUILD_DIR/src.XXXXXX")
( cd "$tmp" && apt-get source -q "kamailio=$(dpkg-query -W -f='${Version}' kamailio)" >/dev/null )
rm -rf "$dest"
mv "$tmp/kamailio-$KAMAILIO_VER" "$dest"
rm -rf "$tmp"
echo "Kamailio source in $dest"
