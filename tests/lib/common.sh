#!/bin/bash
# Shared test harness: private memcached and Kamailio instances on free
# loopback ports, SIP requests, raw memcached commands. Source it:
#   . "$(dirname "$0")/../lib/common.sh"
# Everything started is recorded and stopped by PID on exit.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUR_MODULE="$TOP/memcached.so"
STOCK_MODULE=/usr/lib/x86_64-linux-gnu/kamailio/modules/memcached.so
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}
# The suite's own folder (logs, sockets, request files), named after it.
T_DIR=$(mktemp -d "/tmp/mcd-$(basename "$0" .sh).XXXXXX") || exit 1
T_PIDS=()
T_FAILS=0
T_SKIPS=()

t_cleanup() {
	local p
	for p in "${T_PIDS[@]:-}"; do
		[ -n "$p" ] || continue
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	for p in "${T_PIDS[@]:-}"; do
		[ -n "$p" ] || continue
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T_DIR"
}
trap t_cleanup EXIT

t_log() { echo "  $*"; }
t_pass() { echo "  ok - $*"; }
t_fail() { echo "  FAIL - $*"; T_FAILS=$((T_FAILS + 1)); }
# t_eq "what" expected actual
t_eq() {
	if [ "$2" == "$3" ]; then t_pass "$1"; else t_fail "$1: expected [$2] got [$3]"; fi
}
# t_range "what" LOW HIGH VALUE: an integer within [LOW, HIGH]
t_range() {
	if [[ "$4" =~ ^-?[0-9]+$ ]] && [ "$4" -ge "$2" ] && [ "$4" -le "$3" ]; then
		t_pass "$1 ($4)"
	else
		t_fail "$1: expected $2..$3, got [$4]"
	fi
}
# t_skip "reason": a part of the suite that cannot run here. The rest goes
# on; t_done then reports the suite as skipped (77), never as passed, and
# repeats the reasons (tests/run-all.sh checks them against
# tests/allowed-skips).
t_skip() {
	echo "  skipped: $*"
	T_SKIPS+=("$*")
}
# t_done: exit 1 when a check failed, else 77 when a part was skipped,
# else 0.
t_done() {
	local r
	if [ "$T_FAILS" -gt 0 ]; then
		echo "  $T_FAILS check(s) failed (logs kept in $T_DIR)"
		KEEP_TEST_DIR=1
		exit 1
	fi
	if [ ${#T_SKIPS[@]} -gt 0 ]; then
		echo "  every check that ran passed, but parts were skipped (reasons below)"
		for r in "${T_SKIPS[@]}"; do echo "  skipped: $r"; done
		exit 77
	fi
	exit 0
}

# Ports come from below the kernel's ephemeral range (32768-60999 by
# default), where outgoing connections take their local ports: a port picked
# there can be taken by a client socket between the check and the bind.
PORT_LO=20000
PORT_HI=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
[ "${PORT_HI:-0}" -gt $((PORT_LO + 2000)) ] 2>/dev/null || PORT_HI=32768
# A free TCP+UDP port on 127.0.0.1 (bounded tries).
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((PORT_LO + RANDOM % (PORT_HI - PORT_LO)))
		if ! ss -Htan "sport = :$p" 2>/dev/null | grep -q . &&
			! ss -Huan "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# start_memcached NAME [extra args...]: sets MC_PORT_<NAME>, MC_PID_<NAME>
start_memcached() {
	local name=$1; shift
	local port pid
	local try
	# Another program may take the free port before memcached binds it:
	# then this memcached exits (and "version" must not be answered by the
	# other one), so try another port, a few times.
	for try in 1 2 3 4 5; do
		port=$(free_port) || return 1
		memcached -u root -l 127.0.0.1 -p "$port" -U 0 -t 2 "$@" \
			>> "$T_DIR/memcached-$name.log" 2>&1 &
		pid=$!
		T_PIDS+=("$pid")
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			if mc_cmd_port "$port" "version" 2>/dev/null | grep -q VERSION &&
				kill -0 "$pid" 2>/dev/null; then
				printf -v "MC_PORT_$name" '%s' "$port"
				printf -v "MC_PID_$name" '%s' "$pid"
				return 0
			fi
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && break
		echo "memcached $name exited on port $port (try $try); log:" >&2
		tail -3 "$T_DIR/memcached-$name.log" >&2
	done
	stop_pid "$pid"
	echo "memcached $name did not start" >&2
	return 1
}

# restart_memcached NAME [extra args...]: same port, new process, empty.
restart_memcached() {
	local name=$1; shift
	local portv="MC_PORT_$name" pidv="MC_PID_$name" port pid
	port=${!portv}
	stop_pid "${!pidv}"
	memcached -u root -l 127.0.0.1 -p "$port" -U 0 -t 2 "$@" \
		>> "$T_DIR/memcached-$name.log" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	printf -v "$pidv" '%s' "$pid"
	for _ in $(seq 1 50); do
		mc_cmd_port "$port" "version" 2>/dev/null | grep -q VERSION && return 0
		sleep 0.1
	done
	return 1
}

stop_pid() {
	local p=$1
	kill -CONT "$p" 2>/dev/null
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$p" 2>/dev/null
}

# mc_cmd_port PORT "command" ...: raw text-protocol commands, one per arg.
mc_cmd_port() {
	local port=$1; shift
	{ printf '%s\r\n' "$@"; printf 'quit\r\n'; } |
		timeout 5 nc -N 127.0.0.1 "$port" | tr -d '\r'
}
# mc_cmd NAME "command" ...
mc_cmd() {
	local v="MC_PORT_$1"; shift
	mc_cmd_port "${!v}" "$@"
}
# mc_get NAME KEY: prints the value (nothing when missing).
mc_get() {
	mc_cmd "$1" "get $2" | awk '/^VALUE /{v=1; next} /^END$/{v=0} v{print}'
}
# mc_flags NAME KEY: prints the flags of a key (nothing when missing).
mc_flags() {
	mc_cmd "$1" "get $2" | awk '/^VALUE /{print $3; exit}'
}
# mc_stat NAME FIELD: one counter from "stats".
mc_stat() {
	mc_cmd "$1" "stats" | awk -v f="$2" '$1=="STAT" && $2==f {print $3}'
}
# mc_cmds NAME: total server commands (get/set/touch/incr/decr/delete/flush).
mc_cmds() {
	mc_cmd "$1" "stats" | awk '$1=="STAT" && ($2=="cmd_get"||$2=="cmd_set"||
		$2=="cmd_touch"||$2=="incr_hits"||$2=="incr_misses"||$2=="decr_hits"||
		$2=="decr_misses"||$2=="delete_hits"||$2=="delete_misses") {s+=$3}
		END {print s+0}'
}

# start_kamailio NAME CFGFILE [-A DEF=...]...: Kamailio with its own dirs,
# SIP port and ctl socket. The cfg may use the defines SIP_PORT, CTL_SOCK,
# OUR_MODULE, STOCK_MODULE, MCD_SERVERS (pass it with -A MCD_SERVERS=...).
# Sets SIP_PORT_<NAME>, KAM_PID_<NAME>, CTL_<NAME>, KAM_LOG_<NAME>.
# A SIP port another program took between free_port and Kamailio's bind
# (Kamailio exits: "Address already in use") is retried on another port.
start_kamailio() {
	local try rc
	for try in 1 2 3; do
		_start_kamailio_once "$@"
		rc=$?
		[ "$rc" -eq 2 ] || return "$rc"
		echo "kamailio $1: its SIP port was taken meanwhile (try $try); another port" >&2
	done
	return 1
}
_start_kamailio_once() {
	local name=$1 cfg=$2; shift 2
	local dir="$T_DIR/kam-$name" port pid
	mkdir -p "$dir"
	port=$(free_port) || return 1
	"$KAMAILIO" -f "$cfg" -DD -E -w "$dir" -Y "$dir" \
		-A "SIP_PORT=$port" -A "CTL_SOCK=\"unix:$dir/ctl\"" \
		-A "OUR_MODULE=\"$OUR_MODULE\"" -A "STOCK_MODULE=\"$STOCK_MODULE\"" \
		"$@" > "$dir/kamailio.log" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	printf -v "SIP_PORT_$name" '%s' "$port"
	printf -v "KAM_PID_$name" '%s' "$pid"
	printf -v "CTL_$name" '%s' "unix:$dir/ctl"
	printf -v "KAM_LOG_$name" '%s' "$dir/kamailio.log"
	# ready when the SIP socket is bound and the process is still there
	# once the workers forked (a module failing in child_init ends it);
	# a socket that never comes up is a failure, not a slow start
	for _ in $(seq 1 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			grep -q "Address already in use" "$dir/kamailio.log" && return 2
			echo "kamailio $name exited; log:" >&2
			tail -20 "$dir/kamailio.log" >&2
			return 1
		fi
		if ss -Huan "sport = :$port" 2>/dev/null | grep -q .; then
			sleep 0.5
			if kill -0 "$pid" 2>/dev/null; then
				return 0
			fi
			wait "$pid" 2>/dev/null
			grep -q "Address already in use" "$dir/kamailio.log" && return 2
			echo "kamailio $name exited after binding its SIP socket; log:" >&2
			tail -20 "$dir/kamailio.log" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "kamailio $name: SIP socket 127.0.0.1:$port not up after 10 s; log:" >&2
	tail -20 "$dir/kamailio.log" >&2
	stop_pid "$pid"
	return 1
}

# sip_req NAME METHOD [HEADER...]: sends one request with sipsak, prints the
# reply (CR removed). Extra headers as "Name: value". Safe to run many at
# once: each request has a file of its own (mktemp) and its own Call-ID and
# branch (the subshell's PID and a 32-bit random number).
sip_req() {
	local name=$1 method=$2; shift 2
	local portv="SIP_PORT_$name" f h cid uniq
	f=$(mktemp "$T_DIR/req.XXXXXX") || { echo "sip_req: cannot create a file in $T_DIR" >&2; return 1; }
	uniq="$BASHPID.$SRANDOM"
	cid="$uniq@test"
	{
		printf '%s sip:test@127.0.0.1:%s SIP/2.0\r\n' "$method" "${!portv}"
		printf 'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK%s\r\n' "${uniq/./x}"
		printf 'From: <sip:tester@127.0.0.1>;tag=%s\r\n' "$RANDOM"
		printf 'To: <sip:test@127.0.0.1>\r\n'
		printf 'Call-ID: %s\r\n' "$cid"
		printf 'CSeq: 1 %s\r\n' "$method"
		printf 'Max-Forwards: 70\r\n'
		for h in "$@"; do printf '%s\r\n' "$h"; done
		printf 'Content-Length: 0\r\n\r\n'
	} > "$f"
	timeout 15 sipsak -f "$f" -s "sip:test@127.0.0.1:${!portv}" -vv 2>&1 |
		tr -d '\r'
	rm -f "$f"
}
# reply_hdr "REPLY" NAME: value of a header in a reply.
reply_hdr() {
	printf '%s\n' "$1" | awk -v h="$2:" '$1==h {sub(/^[^:]*: ?/, ""); print; exit}'
}

# kamcmd_to NAME args...: RPC to one instance.
kamcmd_to() {
	local v="CTL_$1"; shift
	timeout 15 kamcmd -s "${!v}" "$@"
}

need_root() {
	if [ "$(id -u)" != 0 ]; then echo "  skipped: needs root"; exit 77; fi
}
