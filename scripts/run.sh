#!/bin/bash
# `make run`: a memcached on 127.0.0.1 and Kamailio in the foreground with
# doc/examples/kamailio.cfg and the memcached.so of this tree.
#
#   SIP_PORT  UDP port of Kamailio (default 5060; when the default is taken,
#             a free port is used)
#   MCD_PORT  TCP port of memcached (default 11211; when taken, a free port
#             is used)
#
# Ctrl-C (or TERM to this script) stops Kamailio and memcached.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFG=$ROOT/doc/examples/kamailio.cfg

die() { echo "run: $*" >&2; exit 1; }

for tool in kamailio memcached ss; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (scripts/deps.sh installs it)"
done
[ -f "$ROOT/memcached.so" ] || die "$ROOT/memcached.so is missing: run make first"

# Kamailio's own module folder, after ours in the search path, for sl, pv...
SYS_MODS=$(kamailio -h 2>&1 | sed -n 's/.*Modules search path (default: \(.*\)).*/\1/p')
[ -n "$SYS_MODS" ] || SYS_MODS=/usr/lib/x86_64-linux-gnu/kamailio/modules

tcp_busy() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
udp_busy() { [ -n "$(ss -Hlun "sport = :$1" 2>/dev/null)" ]; }

# Ports come from below the kernel's ephemeral range (32768-60999 by
# default), where outgoing connections take their local ports: a port picked
# there can be taken by a client socket between the check and the bind.
PORT_LO=20000
PORT_HI=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[ "${PORT_HI:-0}" -gt $((PORT_LO + 2000)) ] 2>/dev/null || PORT_HI=32768
# A random port that nothing listens on (TCP and UDP).
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((PORT_LO + RANDOM % (PORT_HI - PORT_LO)))
		if ! tcp_busy "$p" && ! udp_busy "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

valid_port() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

mcd_port=${MCD_PORT:-11211}
valid_port "$mcd_port" || die "MCD_PORT: not a port: $mcd_port"
if tcp_busy "$mcd_port"; then
	p=$(free_port) || die "no free TCP port for memcached"
	echo "run: port $mcd_port is taken, memcached uses $p" >&2
	mcd_port=$p
fi

sip_port=${SIP_PORT:-5060}
valid_port "$sip_port" || die "SIP_PORT: not a port: $sip_port"
if udp_busy "$sip_port"; then
	[ -z "${SIP_PORT:-}" ] || die "UDP port $sip_port is taken (SIP_PORT)"
	p=$(free_port) || die "no free UDP port for SIP"
	echo "run: port $sip_port is taken, Kamailio uses $p" >&2
	sip_port=$p
fi

RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/kamailio-memcached-run.XXXXXX") ||
	die "cannot create a runtime folder"
mcd_pid=""
kam_pid=""

# shellcheck disable=SC2317 # called from the EXIT trap
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# shellcheck disable=SC2317 # the EXIT trap
cleanup() {
	trap '' INT TERM
	stop_pid "$kam_pid"
	stop_pid "$mcd_pid"
	rm -rf "$RUNDIR"
	[ -z "$mcd_pid" ] || echo "run: Kamailio and memcached stopped" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# memcached refuses to run as root without a user to switch to.
mcd_user=()
[ "$(id -u)" != 0 ] || mcd_user=(-u nobody)
memcached -l 127.0.0.1 -p "$mcd_port" -U 0 "${mcd_user[@]}" &
mcd_pid=$!
for _ in $(seq 1 50); do
	tcp_busy "$mcd_port" && break
	kill -0 "$mcd_pid" 2>/dev/null || die "memcached did not start"
	sleep 0.1
done
tcp_busy "$mcd_port" || die "memcached does not listen on 127.0.0.1:$mcd_port"

ctl="unix:$RUNDIR/kamailio_ctl"
kamailio -DD -E -f "$CFG" -L "$ROOT:$SYS_MODS" -Y "$RUNDIR" -w "$RUNDIR" \
	-A "SIP_PORT=$sip_port" -A "MCD_SERVERS=\"127.0.0.1:$mcd_port\"" \
	-A "CTL_SOCKET=\"$ctl\"" &
kam_pid=$!
for _ in $(seq 1 100); do
	udp_busy "$sip_port" && break
	kill -0 "$kam_pid" 2>/dev/null || break
	sleep 0.1
done
if ! udp_busy "$sip_port"; then
	kill -0 "$kam_pid" 2>/dev/null || die "Kamailio did not start (see its log above)"
	die "Kamailio does not listen on udp:127.0.0.1:$sip_port"
fi

cat <<EOF

memcached  127.0.0.1:$mcd_port (pid $mcd_pid)
Kamailio   udp:127.0.0.1:$sip_port (pid $kam_pid), doc/examples/kamailio.cfg

Try, from another terminal:
  sipsak -vv -s sip:color@127.0.0.1:$sip_port -j 'X-Set: blue'
  sipsak -vv -s sip:color@127.0.0.1:$sip_port
  sipsak -vv -s sip:hits@127.0.0.1:$sip_port -j 'X-Incr: 5'
  sipsak -vv -f doc/examples/message.sip -s sip:note@127.0.0.1:$sip_port
  kamcmd -s $ctl memcached.stats
  kamcmd -s $ctl memcached.check

Ctrl-C stops Kamailio and memcached.

EOF

wait "$kam_pid"
rc=$?
kam_pid=""
exit "$rc"
