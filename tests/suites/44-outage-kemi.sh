#!/bin/bash
# mcd-leg: kamailio
# Outages from KEMI (SPEC sections 2, 6): KSR.pv.get("$mcd(rc)") and
# "$mcd(err)" after a found read, a miss and an outage; the memcached
# events reach the Lua function named by event_callback, once per
# transition, with $mcd(server) naming the server.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"

need_tools memcached sipsak nc ss kamcmd
need_module
[ -f "$(dirname "$STOCK_MODULE")/app_lua.so" ] ||
	{ echo "  skipped: app_lua.so not installed (kamailio-lua-modules)"; exit 77; }

RC="" ERR="" VAL="" SRV=""
op() {
	local name=$1 o=$2; shift 2
	rq "$name" "X-Op: $o" "$@"
	RC=$(hv X-Rc) ERR=$(hv X-Err) VAL=$(hv X-Val) SRV=$(hv X-Srv)
}
# events MARK up|down: callback lines for server SA since MARK, after
# waiting until one shows (3 s) and a second more for a duplicate
events() {
	local re="MCD-KEMI-EVENT memcached:server-$2 server=$SA\$"
	for _ in $(seq 1 30); do
		[ "$(log_count L "$1" "$re")" -ge 1 ] && break
		sleep 0.1
	done
	sleep 1
	log_count L "$1" "$re"
}

start_memcached A || exit 1
SA="127.0.0.1:$MC_PORT_A"
start_kamailio L "$TOP/tests/cfg/it-outage-kemi.cfg" -A "MCD_SERVERS=\"$SA\"" \
	-A "KEMI_SCRIPT=\"$TOP/tests/cfg/it-outage-kemi.lua\"" || exit 1

echo "-- KSR.pv.get of \$mcd(...)"
op L set "X-Key: k1" "X-Val: v1"
t_eq "set: rc 1, err empty" "1 []" "$RC [$ERR]"
op L get "X-Key: k1"
t_eq "found: value, rc 1, err empty" "v1 1 []" "$VAL $RC [$ERR]"
op L get "X-Key: k-missing"
t_eq "missing: nil, rc -1, not found" "<nil> -1 [not found]" "$VAL $RC [$ERR]"
t_eq "\$mcd(server) outside an event is null" "<nil>" "$SRV"

echo "-- event_callback: down and up once each"
m=$(log_mark L)
stop_pid "$MC_PID_A"
op L get "X-Key: k1"
t_eq "stopped: nil, rc -2" "<nil> -2" "$VAL $RC"
if [ -n "$ERR" ]; then t_pass "stopped: err [$ERR]"; else t_fail "stopped: err empty"; fi
t_eq "callback ran once for server-down" 1 "$(events "$m" down)"
restart_memcached A || t_fail "memcached did not restart"
t_eq "callback ran once for server-up" 1 "$(events "$m" up)"
t_eq "no other event" 2 "$(log_count L "$m" "MCD-KEMI-EVENT")"
op L set "X-Key: k2" "X-Val: v2"
op L get "X-Key: k2"
t_eq "after the restart: value, rc 1" "v2 1" "$VAL $RC"

t_done
