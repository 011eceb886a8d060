#!/bin/sh
# Unmounts everything mounted at or under DIR (deepest first) and fails if
# anything is still mounted there afterwards, so that a following
# `rm -rf --one-file-system DIR` can never delete through a mount.
# usage: scripts/umount-under.sh DIR
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
[ -e "$1" ] || exit 0
dir=$(cd "$1" && pwd -P)
[ "$dir" != / ] || { echo "umount-under: refusing /" >&2; exit 2; }
# /proc/mounts escapes blanks as \040 etc.; print the field decoded.
under() {
	awk -v d="$dir" '{
		m = $2
		gsub(/\\040/, " ", m); gsub(/\\011/, "\t", m); gsub(/\\012/, "\n", m); gsub(/\\134/, "\\", m)
		if (m == d || index(m, d "/") == 1) print length(m) "\t" m
	}' /proc/mounts | sort -rn | cut -f2-
}
# Stacked and nested mounts may need a few passes; bounded.
for _ in 1 2 3 4 5 6 7 8; do
	list=$(under)
	[ -n "$list" ] || exit 0
	printf '%s\n' "$list" | while IFS= read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
done
list=$(under)
[ -z "$list" ] && exit 0
echo "umount-under: still mounted under $dir:" >&2
printf '  %s\n' "$list" >&2
exit 1
