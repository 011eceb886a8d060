#!/bin/bash
# A Debian 13 (trixie) root under build/trixie for the second leg of
# `make check` on Debian 12 hosts: Kamailio 6.0 from trixie, our module built
# and tested there against trixie's own kamailio source.
#
#   scripts/trixie.sh setup       debootstrap the root (once; it is kept) and
#                                 install the packages (scripts/deps.sh)
#   scripts/trixie.sh run CMD...  copy the working tree to /src in the root and
#                                 run CMD there (e.g. run make check)
#   scripts/trixie.sh shell       an interactive shell in /src
#   scripts/trixie.sh clean       unmount and remove the root
#
# The root itself (bound onto itself), /proc, /dev, /dev/pts, /dev/shm and
# /sys are mounted only while a command
# runs; a trap unmounts them on exit, INT and TERM. Nothing is ever removed
# while something is mounted under the root (scripts/umount-under.sh).
# Inside, MCD_IN_TRIXIE=1 keeps the nested `make check` from starting a leg
# of its own. TRIXIE_ROOT overrides the place of the root.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
root=${TRIXIE_ROOT:-$top/build/trixie}
suite=trixie
marker=.mcd-trixie-root

die() { echo "trixie: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount)"
for t in chroot mount umount flock; do
	command -v "$t" >/dev/null || die "$t not found"
done

mkdir -p "$(dirname "$root")"
# One user of the root at a time: a second one would unmount under the first.
exec 9>"$root.lock"
flock -w 7200 9 || die "another trixie.sh holds $root.lock"

# Processes still running inside the root (servers a killed test left
# behind) keep mounts busy: end them by PID, TERM first, bounded.
inside_pids() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[ "$r" = "$root" ] && echo "${p#/proc/}"
	done
	return 0
}
stop_inside() {
	local pids
	pids=$(inside_pids)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # one word per PID
	kill -TERM $pids 2>/dev/null || true
	for _ in $(seq 1 50); do
		pids=$(inside_pids)
		[ -n "$pids" ] || return 0
		sleep 0.2
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	sleep 0.5
}

unmount_all() {
	stop_inside
	"$top/scripts/umount-under.sh" "$root"
}

mounted=no
cleanup() {
	[ "$mounted" = yes ] || return 0
	unmount_all || echo "trixie: could not unmount everything under $root" >&2
	mounted=no
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_all() {
	# Left over from a run that was killed with -9: start clean.
	unmount_all
	mounted=yes
	# The root as a mount point of its own: inside, / must be one for
	# `ip netns add` (it remounts / as a slave).
	mount --bind "$root" "$root"
	mount --make-private "$root"
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	mount --make-private "$root/dev"
	mount --bind /dev/pts "$root/dev/pts"
	mount --make-private "$root/dev/pts"
	mount -t tmpfs -o mode=1777,size=256m tmpfs "$root/dev/shm"
	mount --bind /sys "$root/sys"
	mount --make-private "$root/sys"
	# sipsak resolves 127.0.0.1 through the host's files; apt needs DNS.
	cp /etc/hosts "$root/etc/hosts"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# The archive the host's apt uses, for trixie.
archive() {
	local a
	a=$("$top/scripts/apt-archive.sh") || die "cannot read the archive from the apt sources"
	echo "${a%% *}"
}

# A root that is thrown away with build/ needs neither fsync nor manuals:
# dpkg unpacks without syncing each file, apt fetches no translations and
# no recommended packages, and man pages, info and translations of
# messages are not unpacked (nothing in the tests reads them).
tune_root() {
	local r=$1
	mkdir -p "$r/etc/dpkg/dpkg.cfg.d" "$r/etc/apt/apt.conf.d"
	printf 'force-unsafe-io\n' >"$r/etc/dpkg/dpkg.cfg.d/mcd-unsafe-io"
	printf '%s\n' 'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
		'path-exclude=/usr/share/locale/*/LC_MESSAGES/*.mo' \
		>"$r/etc/dpkg/dpkg.cfg.d/mcd-nodoc"
	printf '%s\n' 'Acquire::Languages "none";' 'APT::Install-Recommends "false";' \
		'APT::Install-Suggests "false";' >"$r/etc/apt/apt.conf.d/99mcd"
}

make_root() {
	[ -f "$root/$marker" ] && return 0
	command -v debootstrap >/dev/null || die "debootstrap not found (scripts/deps.sh installs it)"
	local uri new="$root.new"
	uri=$(archive)
	if [ -e "$root" ]; then
		echo "trixie: $root is incomplete; building it again" >&2
		"$top/scripts/umount-under.sh" "$root"
		rm -rf --one-file-system "$root"
	fi
	"$top/scripts/umount-under.sh" "$new"
	rm -rf --one-file-system "$new"
	echo "trixie: debootstrap $suite from $uri into $root" >&2
	if ! timeout 1800 debootstrap --variant=minbase --include=make,ca-certificates \
		"$suite" "$new" "$uri" >"$root.debootstrap.log" 2>&1; then
		tail -n 20 "$root.debootstrap.log" >&2
		"$top/scripts/umount-under.sh" "$new" || true
		die "debootstrap failed (log: $root.debootstrap.log)"
	fi
	# Services never start inside the root: tests start their own servers.
	printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
	chmod +x "$new/usr/sbin/policy-rc.d"
	tune_root "$new"
	touch "$new/$marker"
	mv "$new" "$root"
}

# The working tree (tracked and new files, not build/ or ignored ones) into
# /src; /src/build (Kamailio source, packages) is kept between runs.
copy_tree() {
	local dst="$root/src" f
	mkdir -p "$dst"
	find "$dst" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf --one-file-system {} +
	if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$top" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				[ -f "$top/$f" ] && printf '%s\0' "$f"
			done |
			tar -C "$top" --null -T - -cf - | tar -C "$dst" -xf -
	else
		tar -C "$top" --exclude=./build --exclude='*.o' --exclude='*.d' \
			--exclude='*.so' -cf - . | tar -C "$dst" -xf -
	fi
}

# Runs "$@" inside the root in /src with a clean environment. In the
# background, so that INT/TERM reach the trap at once.
in_root() {
	local rc=0
	chroot "$root" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" MCD_IN_TRIXIE=1 \
		/bin/bash -c 'cd /src && exec "$@"' bash "$@" &
	wait $! || rc=$?
	return "$rc"
}

setup() {
	make_root
	tune_root "$root"
	mount_all
	copy_tree
	in_root scripts/deps.sh
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
setup)
	setup
	;;
run)
	[ $# -gt 0 ] || die "usage: $0 run CMD..."
	setup
	in_root "$@"
	;;
shell)
	setup
	chroot "$root" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" MCD_IN_TRIXIE=1 \
		/bin/bash -c 'cd /src && exec bash -i'
	;;
clean)
	unmount_all
	rm -rf --one-file-system "$root" "$root.new"
	rm -f "$root.debootstrap.log"
	;;
*)
	echo "usage: $0 setup | run CMD... | shell | clean" >&2
	exit 2
	;;
esac
