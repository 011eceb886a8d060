#!/bin/bash
# mcd-leg: kamailio
# KEMI (SPEC section 5): KSR.memcached.* from a Lua script (app_lua) and,
# when app_python3 loads, from a Python script; every export, its return
# codes and types, checked in the SIP reply and on the memcached server.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"

for t in memcached sipsak nc ss; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed"; exit 77; }
done
[ -f "$OUR_MODULE" ] || { echo "  skipped: $OUR_MODULE not built (run make)"; exit 77; }
MODDIR=$(dirname "$STOCK_MODULE")
[ -f "$MODDIR/app_lua.so" ] ||
	{ echo "  skipped: app_lua.so not installed (kamailio-lua-modules)"; exit 77; }

CFG="$TOP/tests/cfg/func-kemi.cfg"

# KEMI returns 64-bit integers (SR_KEMIP_LONG) from Kamailio 5.7.
kam_int64 || exit 1

# op NAME OP [HEADER...]: runs X-Op; sets RC and TYPE from the reply.
RC="" TYPE=""
op() {
	local name=$1 o=$2 r; shift 2
	r=$(sip_req "$name" OPTIONS "X-Op: $o" "$@")
	RC=$(reply_hdr "$r" X-Rc)
	TYPE=$(reply_hdr "$r" X-Type)
}

# checks NAME LANG: the whole KSR.memcached API through instance NAME;
# keys are prefixed with LANG so instances do not meet.
checks() {
	local K=$1 L=$2
	echo "-- $L: set / get"
	op "$K" set "X-Key: $L-s" "X-Val: hello"
	t_eq "$L set: 1" 1 "$RC"
	t_eq "$L set: returns a number" number "$TYPE"
	t_eq "$L set: value on server" hello "$(mc_get A "$L-s")"
	t_eq "$L set: string flags 1" 1 "$(mc_flags A "$L-s")"
	t_range "$L set: default expiry" 1200 1234 "$(mc_ttl A "$L-s")"
	op "$K" get "X-Key: $L-s"
	t_eq "$L get: the value" hello "$RC"
	t_eq "$L get: a string" string "$TYPE"
	op "$K" get "X-Key: $L-missing"
	t_eq "$L get missing: nil" nil "$TYPE"
	op "$K" get "X-Key: "
	t_eq "$L get, empty key: nil" nil "$TYPE"
	op "$K" setex "X-Key: $L-x" "X-Val: ex" "X-Exp: 60"
	t_eq "$L setex: 1" 1 "$RC"
	t_range "$L setex 60: ttl" 50 60 "$(mc_ttl A "$L-x")"
	op "$K" setex "X-Key: $L-x0" "X-Val: ex" "X-Exp: 0"
	t_eq "$L setex 0: never expires" -1 "$(mc_ttl A "$L-x0")"
	op "$K" setex "X-Key: $L-xbad" "X-Val: ex" "X-Exp: -5"
	t_eq "$L setex, expire -5: -3" -3 "$RC"
	t_eq "$L setex, bad expire: nothing written" "" "$(mc_get A "$L-xbad")"
	op "$K" set "X-Key: " "X-Val: v"
	t_eq "$L set, empty key: -3" -3 "$RC"

	echo "-- $L: add / replace / append / prepend"
	op "$K" add "X-Key: $L-a" "X-Val: first" "X-Exp: 100"
	t_eq "$L add new: 1" 1 "$RC"
	t_range "$L add 100: ttl" 90 100 "$(mc_ttl A "$L-a")"
	op "$K" add "X-Key: $L-a" "X-Val: second" "X-Exp: 100"
	t_eq "$L add existing: -1" -1 "$RC"
	t_eq "$L add existing: value unchanged" first "$(mc_get A "$L-a")"
	op "$K" add "X-Key: $L-abad" "X-Val: v" "X-Exp: -1"
	t_eq "$L add, expire -1: -3" -3 "$RC"
	op "$K" replace "X-Key: $L-a" "X-Val: third" "X-Exp: 0"
	t_eq "$L replace existing: 1" 1 "$RC"
	t_eq "$L replace: value" third "$(mc_get A "$L-a")"
	t_eq "$L replace 0: never expires" -1 "$(mc_ttl A "$L-a")"
	op "$K" replace "X-Key: $L-rmissing" "X-Val: v" "X-Exp: 10"
	t_eq "$L replace missing: -1" -1 "$RC"
	op "$K" append "X-Key: $L-a" "X-Val: >"
	t_eq "$L append: 1" 1 "$RC"
	op "$K" prepend "X-Key: $L-a" "X-Val: <"
	t_eq "$L prepend: 1" 1 "$RC"
	t_eq "$L append+prepend: value" "<third>" "$(mc_get A "$L-a")"
	op "$K" append "X-Key: $L-apmissing" "X-Val: v"
	t_eq "$L append missing: -1" -1 "$RC"
	op "$K" prepend "X-Key: $L-apmissing" "X-Val: v"
	t_eq "$L prepend missing: -1" -1 "$RC"

	echo "-- $L: touch / delete"
	op "$K" touch "X-Key: $L-a" "X-Exp: 300"
	t_eq "$L touch: 1" 1 "$RC"
	t_range "$L touch 300: ttl" 290 300 "$(mc_ttl A "$L-a")"
	op "$K" touch "X-Key: $L-tmissing" "X-Exp: 300"
	t_eq "$L touch missing: -1" -1 "$RC"
	op "$K" touch "X-Key: $L-a" "X-Exp: -2"
	t_eq "$L touch, expire -2: -3" -3 "$RC"
	op "$K" delete "X-Key: $L-a"
	t_eq "$L delete: 1" 1 "$RC"
	t_eq "$L delete: gone" "" "$(mc_get A "$L-a")"
	op "$K" delete "X-Key: $L-a"
	t_eq "$L delete missing: -1" -1 "$RC"
	op "$K" delete "X-Key: "
	t_eq "$L delete, empty key: -3" -3 "$RC"

	echo "-- $L: incr / decr"
	op "$K" incr "X-Key: $L-c" "X-Delta: 5"
	t_eq "$L incr missing: created with delta" 5 "$RC"
	t_eq "$L incr: returns a number" number "$TYPE"
	t_eq "$L incr: flags 0" 0 "$(mc_flags A "$L-c")"
	op "$K" incr "X-Key: $L-c" "X-Delta: 10"
	t_eq "$L incr: new value" 15 "$RC"
	op "$K" decr "X-Key: $L-c" "X-Delta: 4"
	t_eq "$L decr: new value" 11 "$RC"
	op "$K" decr "X-Key: $L-c" "X-Delta: 50"
	t_eq "$L decr: stops at 0" 0 "$RC"
	op "$K" decr "X-Key: $L-d" "X-Delta: 3"
	t_eq "$L decr missing: created with 0" 0 "$RC"
	t_eq "$L decr missing: on server" 0 "$(mc_get A "$L-d")"
	op "$K" get "X-Key: $L-c"
	t_eq "$L get of a shrunk counter: no padding" 0 "$RC"
	op "$K" incr "X-Key: $L-c" "X-Delta: -1"
	t_eq "$L incr, delta -1: -3" -3 "$RC"
	op "$K" incr "X-Key: $L-s" "X-Delta: 1"
	t_eq "$L incr on a non-numeric value: -2" -2 "$RC"
	mc_cmd A "set $L-big 0 0 10" "4294967296" >/dev/null
	op "$K" incr "X-Key: $L-big" "X-Delta: 1"
	t_eq "$L incr above 2^31: the exact value" 4294967297 "$RC"
	if [ "$INT64" = 1 ]; then
		t_eq "$L incr above 2^31, host with 64-bit KEMI ints: a number" number "$TYPE"
	else
		t_eq "$L incr above 2^31, 32-bit KEMI ints: a string" string "$TYPE"
	fi
	mc_cmd A "set $L-umax 0 0 20" "18446744073709551614" >/dev/null
	op "$K" incr "X-Key: $L-umax" "X-Delta: 1"
	t_eq "$L incr above 2^63: the value as text" 18446744073709551615 "$RC"
	t_eq "$L incr above 2^63: a string" string "$TYPE"

	echo "-- $L: end to end in one request"
	op "$K" e2e "X-Key: $L-e2e"
	t_eq "$L set/get/add/add/incr/incr/get/get" "1,v1,1,-1,2,5,5,nil" "$RC"
	t_eq "$L e2e: lock on server" me "$(mc_get A "$L-e2e:lock")"
	t_eq "$L e2e: counter on server" 5 "$(mc_get A "$L-e2e:cnt")"
}

start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""

start_kamailio L "$CFG" -A "$SRV" -A KEMI_LUA \
	-A "KEMI_SCRIPT=\"$TOP/tests/cfg/func-kemi.lua\"" || exit 1
checks L lua

echo "-- lua: mode=1 makes set an add"
start_kamailio M "$CFG" -A "$SRV" -A KEMI_LUA -A MCD_MODE=1 \
	-A "KEMI_SCRIPT=\"$TOP/tests/cfg/func-kemi.lua\"" || exit 1
op M set "X-Key: m1" "X-Val: one"
t_eq "mode=1 set new: 1" 1 "$RC"
op M set "X-Key: m1" "X-Val: two"
t_eq "mode=1 set existing: -1" -1 "$RC"
t_eq "mode=1: value unchanged" one "$(mc_get A m1)"

echo "-- lua: server stopped"
stop_pid "$MC_PID_A"
op L set "X-Key: down" "X-Val: v"
t_eq "lua set, server stopped: -2" -2 "$RC"
op L get "X-Key: down"
t_eq "lua get, server stopped: nil" nil "$TYPE"
op L incr "X-Key: down" "X-Delta: 1"
t_eq "lua incr, server stopped: -2" -2 "$RC"
op L add "X-Key: down" "X-Val: v" "X-Exp: 10"
t_eq "lua add, server stopped: -2" -2 "$RC"
restart_memcached A || t_fail "memcached restart"

echo "-- python"
if [ ! -f "$MODDIR/app_python3.so" ]; then
	t_skip "Python part: app_python3.so not installed (kamailio-python3-modules)"
elif ! start_kamailio P "$CFG" -A "$SRV" -A KEMI_PY \
	-A "KEMI_SCRIPT=\"$TOP/tests/cfg/func-kemi.py\"" 2>/dev/null ||
	! kill -0 "$KAM_PID_P" 2>/dev/null; then
	t_skip "Python part: app_python3 does not load here (log: $KAM_LOG_P)"
else
	# the server restarted empty: the python checks start from scratch
	checks P py
fi

t_done
