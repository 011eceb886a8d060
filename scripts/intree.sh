#!/bin/sh
# Puts the module into a Kamailio (6.0 or later, or 5.x with make only)
# source tree as src/modules/memcached, replacing the module shipped there,
# so the tree's own make and CMake rules build it:
#   scripts/intree.sh /path/to/kamailio
#   make -C /path/to/kamailio/src/modules/memcached        (make rules)
#   cmake -S /path/to/kamailio -B out -DMODULE_GROUP_NAME="" \
#         -DINCLUDE_MODULES="memcached" && cmake --build out --target memcached
set -eu
[ $# -eq 1 ] || { echo "usage: $0 KAMAILIO_SOURCE_TREE" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
tree=$1
if [ ! -f "$tree/src/Makefile.defs" ] || [ ! -d "$tree/src/modules" ]; then
	echo "intree: $tree is not a Kamailio source tree (no src/Makefile.defs)" >&2
	exit 1
fi
dest="$tree/src/modules/memcached"
# The shipped module's files go: its sources would be built with ours.
rm -rf --one-file-system "$dest"
mkdir -p "$dest/doc"
cp "$top"/mcd_*.c "$top"/mcd_*.h "$top/memcached.c" "$top/memcached.h" "$dest/"
cp "$top/CMakeLists.txt" "$dest/CMakeLists.txt"
cp "$top/core.mk" "$dest/core.mk"
cp "$top/intree.mk" "$dest/Makefile"
[ ! -f "$top/README" ] || cp "$top/README" "$dest/README"
cp "$top/doc/memcached.xml" "$top/doc/memcached_admin.xml" "$top/doc/entities.xml" "$dest/doc/"
# Kamailio's rules render module documentation through doc/Makefile.
cat >"$dest/doc/Makefile" <<'MK'
docs = memcached.xml

docbook_dir = ../../../../doc/docbook
include $(docbook_dir)/Makefile.module
MK
echo "module copied to $dest"
