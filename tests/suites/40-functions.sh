#!/bin/bash
# mcd-leg: kamailio
# Script functions (SPEC section 4) through a real Kamailio: every function
# and every return code (1 done, -1 condition failed, -2 server error,
# -3 bad argument), checked in the SIP reply and on the memcached server;
# a bad literal expire/delta stops Kamailio at start-up.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"

for t in memcached sipsak nc ss; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed"; exit 77; }
done
[ -f "$OUR_MODULE" ] || { echo "  skipped: $OUR_MODULE not built (run make)"; exit 77; }

CFG="$TOP/tests/cfg/func-basic.cfg"

# op NAME OP [HEADER...]: runs X-Op; sets RC, OUT, PLUS, MCD from the reply.
RC="" OUT="" PLUS="" MCD=""
op() {
	local name=$1 o=$2 r; shift 2
	r=$(sip_req "$name" OPTIONS "X-Op: $o" "$@")
	RC=$(reply_hdr "$r" X-Rc)
	OUT=$(reply_hdr "$r" X-Out)
	PLUS=$(reply_hdr "$r" X-Plus)
	MCD=$(reply_hdr "$r" X-Mcd)
}

# Script integers are 64-bit from Kamailio 5.7 (long), 32-bit before.
kam_int64 || exit 1

start_memcached A || exit 1
start_kamailio K "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\"" || exit 1

echo "-- mcd_add"
op K add "X-Key: a1" "X-Val: hello"
t_eq "add new key: 1" 1 "$RC"
t_eq "add: value on server" hello "$(mc_get A a1)"
t_eq "add: string flags 1" 1 "$(mc_flags A a1)"
t_range "add: default expiry (modparam 1234)" 1200 1234 "$(mc_ttl A a1)"
op K add "X-Key: a1" "X-Val: other"
t_eq "add existing key: -1" -1 "$RC"
t_eq "add existing: value unchanged" hello "$(mc_get A a1)"
op K addex "X-Key: a2" "X-Val: v2" "X-Exp: 100"
t_eq "add with expire: 1" 1 "$RC"
t_range "add with expire 100: ttl" 90 100 "$(mc_ttl A a2)"
op K addex "X-Key: a3" "X-Val: v3" "X-Exp: 0"
t_eq "add with expire 0: 1" 1 "$RC"
t_eq "add with expire 0: never expires" -1 "$(mc_ttl A a3)"
op K addex "X-Key: a4" "X-Val: v4" "X-Exp: abc"
t_eq "add, expire 'abc' at run time: -3" -3 "$RC"
t_eq "add, bad expire: nothing written" "" "$(mc_get A a4)"
op K addex "X-Key: a4" "X-Val: v4" "X-Exp: -5"
t_eq "add, expire '-5' at run time: -3" -3 "$RC"
t_eq "add, negative expire: nothing written" "" "$(mc_get A a4)"
op K addemptykey
t_eq "add, empty key: -3" -3 "$RC"
op K addstatic
t_eq "add with literal arguments: 1" 1 "$RC"
t_eq "add literal: value" "static value" "$(mc_get A static-key)"
t_range "add literal expire 300" 290 300 "$(mc_ttl A static-key)"
op K add "X-Key: key with spaces" "X-Val: spaced"
t_eq "add, key with spaces: 1" 1 "$RC"
op K mct "X-Key: key with spaces"
t_eq "add, key with spaces: \$mct reads the same key" spaced "$OUT"
big=$(printf 'x%.0s' $(seq 1 200))
op K addbig "X-Key: big1" "X-Val: $big"
t_eq "add, 12800-byte value from one variable: 1" 1 "$RC"
t_eq "add, big value: length in Kamailio" 12800 "$OUT"
t_eq "add, big value: whole on server" 12800 "$(mc_get A big1 | tr -d '\n' | wc -c)"

echo "-- mcd_replace"
op K replace "X-Key: a1" "X-Val: replaced"
t_eq "replace existing: 1" 1 "$RC"
t_eq "replace: new value" replaced "$(mc_get A a1)"
t_eq "replace: string flags 1" 1 "$(mc_flags A a1)"
op K replace "X-Key: r-missing" "X-Val: x"
t_eq "replace missing: -1" -1 "$RC"
t_eq "replace missing: key still missing" "" "$(mc_get A r-missing)"
op K replaceex "X-Key: a1" "X-Val: again" "X-Exp: 50"
t_eq "replace with expire: 1" 1 "$RC"
t_range "replace with expire 50: ttl" 40 50 "$(mc_ttl A a1)"
op K replaceex "X-Key: a1" "X-Val: bad" "X-Exp: 1x"
t_eq "replace, expire '1x': -3" -3 "$RC"
t_eq "replace, bad expire: value unchanged" again "$(mc_get A a1)"

echo "-- mcd_append / mcd_prepend"
op K append "X-Key: a1" "X-Val: -tail"
t_eq "append existing: 1" 1 "$RC"
op K prepend "X-Key: a1" "X-Val: head-"
t_eq "prepend existing: 1" 1 "$RC"
t_eq "append+prepend: value" head-again-tail "$(mc_get A a1)"
t_eq "append keeps flags 1" 1 "$(mc_flags A a1)"
op K append "X-Key: ap-missing" "X-Val: x"
t_eq "append missing: -1" -1 "$RC"
op K prepend "X-Key: ap-missing" "X-Val: x"
t_eq "prepend missing: -1" -1 "$RC"
t_eq "append/prepend missing: nothing created" "" "$(mc_get A ap-missing)"

echo "-- mcd_touch"
op K touch "X-Key: a2" "X-Exp: 500"
t_eq "touch existing: 1" 1 "$RC"
t_range "touch: new ttl" 490 500 "$(mc_ttl A a2)"
t_eq "touch: value unchanged" v2 "$(mc_get A a2)"
op K touch "X-Key: a2" "X-Exp: 0"
t_eq "touch 0: 1" 1 "$RC"
t_eq "touch 0: never expires" -1 "$(mc_ttl A a2)"
op K touch "X-Key: t-missing" "X-Exp: 10"
t_eq "touch missing: -1" -1 "$RC"
t_eq "touch missing: stays missing" "" "$(mc_get A t-missing)"
op K touch "X-Key: a2" "X-Exp: -5"
t_eq "touch, expire '-5': -3" -3 "$RC"
op K touch "X-Key: a2" "X-Exp: soon"
t_eq "touch, expire 'soon': -3" -3 "$RC"
t_eq "touch, bad expire: ttl unchanged" -1 "$(mc_ttl A a2)"

echo "-- mcd_delete"
op K delete "X-Key: a3"
t_eq "delete existing: 1" 1 "$RC"
t_eq "delete: gone from server" "" "$(mc_get A a3)"
op K delete "X-Key: a3"
t_eq "delete missing: -1" -1 "$RC"
op K deleteempty
t_eq "delete, empty key: -3" -3 "$RC"

echo "-- mcd_incr / mcd_decr"
op K incr "X-Key: c1" "X-Delta: 5"
t_eq "incr missing key: 1 (created)" 1 "$RC"
t_eq "incr missing: output = delta" 5 "$OUT"
t_eq "incr: output is an integer" 6 "$PLUS"
t_eq "incr: counter on server" 5 "$(mc_get A c1)"
t_eq "incr: counter flags 0" 0 "$(mc_flags A c1)"
t_range "incr: created with the default expiry" 1200 1234 "$(mc_ttl A c1)"
op K incr "X-Key: c1" "X-Delta: 10"
t_eq "incr existing: 1" 1 "$RC"
t_eq "incr existing: new value" 15 "$OUT"
op K incrloop "X-Key: c1" "X-Delta: 1"
t_eq "incr three times: last value" 18 "$OUT"
t_eq "incr: integer arithmetic on the output" 19 "$PLUS"
op K mct "X-Key: c1"
t_eq "incr: \$mct reads the counter" 18 "$OUT"
op K decr "X-Key: c1" "X-Delta: 8"
t_eq "decr existing: 1" 1 "$RC"
t_eq "decr existing: new value" 10 "$OUT"
op K decr "X-Key: c1" "X-Delta: 100"
t_eq "decr below 0: stops at 0" 0 "$OUT"
op K decr "X-Key: c2" "X-Delta: 3"
t_eq "decr missing key: 1 (created)" 1 "$RC"
t_eq "decr missing: created with 0" 0 "$OUT"
t_eq "decr missing: counter on server" 0 "$(mc_get A c2)"
op K incrstatic
t_eq "incr with literal delta: 1" 1 "$RC"
t_eq "incr literal delta: output" 7 "$OUT"
mc_cmd A "set c3 0 0 10" "4294967296" >/dev/null
op K incr "X-Key: c3" "X-Delta: 1"
t_eq "incr above 2^32: 1" 1 "$RC"
t_eq "incr above 2^32: exact value" 4294967297 "$OUT"
if [ "$INT64" = 1 ]; then
	t_eq "incr above 2^32, 64-bit host: output is an integer" 4294967298 "$PLUS"
else
	t_eq "incr above 2^31, 32-bit script ints: output is a string" 42949672971 "$PLUS"
fi
mc_cmd A "set c4 0 0 20" "18446744073709551614" >/dev/null
op K incr "X-Key: c4" "X-Delta: 1"
t_eq "incr above 2^63: exact value" 18446744073709551615 "$OUT"
t_eq "incr above 2^63: output is a string" 184467440737095516151 "$PLUS"
op K incr "X-Key: c1" "X-Delta: -1"
t_eq "incr, delta '-1': -3" -3 "$RC"
op K decr "X-Key: c1" "X-Delta: abc"
t_eq "decr, delta 'abc': -3" -3 "$RC"
t_eq "incr/decr, bad delta: output untouched" none "$OUT"
t_eq "decr, bad delta: \$mcd(rc) -3" -3 "$MCD"
m=$(log_mark K)
op K replaceex "X-Key: a1" "X-Val: bad" "X-Exp: 1x"
t_eq "bad run-time expire: \$mcd(rc) -3" -3 "$MCD"
t_eq "bad run-time expire: one error line" 1 "$(log_count K "$m" ERROR)"
op K incr "X-Key: a2" "X-Delta: 1"
t_eq "incr on a non-numeric value: -2" -2 "$RC"
t_eq "incr non-numeric: value unchanged" v2 "$(mc_get A a2)"

echo "-- mcd_get"
mc_set A g-str 1 0 hello >/dev/null
op K get "X-Key: g-str"
t_eq "get string: 1" 1 "$RC"
t_eq "get string: value" hello "$OUT"
t_eq "get string: a string" hello1 "$PLUS"
t_eq "get string: \$mcd(rc) 1" 1 "$MCD"
mc_set A g-int 0 0 41 >/dev/null
op K get "X-Key: g-int"
t_eq "get integer: 1" 1 "$RC"
t_eq "get integer: an integer" 42 "$PLUS"
mc_set A g-digits 1 0 41 >/dev/null
op K get "X-Key: g-digits"
t_eq "get digits stored as a string: a string" 411 "$PLUS"
op K getavp "X-Key: g-int"
t_eq "get into an AVP: 1" 1 "$RC"
t_eq "get into an AVP: an integer" 42 "$PLUS"
m=$(log_mark K)
op K get "X-Key: g-missing"
t_eq "get missing: -1" -1 "$RC"
t_eq "get missing: output untouched" none "$OUT"
t_eq "get missing: \$mcd(rc) -1" -1 "$MCD"
t_eq "get missing: no error line" 0 "$(log_count K "$m" ERROR)"
m=$(log_mark K)
op K getempty
t_eq "get, empty key: -3" -3 "$RC"
t_eq "get, empty key: output untouched" none "$OUT"
t_eq "get, empty key: \$mcd(rc) -3" -3 "$MCD"
t_eq "get, empty key: one error line" 1 "$(log_count K "$m" ERROR)"
mc_set A g-pad 0 0 100 >/dev/null
op K decr "X-Key: g-pad" "X-Delta: 1"
op K get "X-Key: g-pad"
t_eq "get of a shrunk counter: no padding" 99 "$OUT"
t_eq "get of a shrunk counter: an integer" 100 "$PLUS"
mc_set A g-big 0 0 5000000000 >/dev/null
op K get "X-Key: g-big"
t_eq "get above 2^32: exact digits" 5000000000 "$OUT"
if [ "$INT64" = 1 ]; then
	t_eq "get above 2^32, 64-bit host: an integer" 5000000001 "$PLUS"
else
	t_eq "get above 2^32, 32-bit script ints: text" 50000000001 "$PLUS"
fi

echo "-- server stopped: -2"
stop_pid "$MC_PID_A"
op K get "X-Key: g-str"
t_eq "get with the server stopped: -2" -2 "$RC"
t_eq "get with the server stopped: output untouched" none "$OUT"
t_eq "get with the server stopped: \$mcd(rc) -2" -2 "$MCD"
for o in add replace append prepend; do
	op K "$o" "X-Key: down-$o" "X-Val: x"
	t_eq "$o with the server stopped: -2" -2 "$RC"
done
op K addex "X-Key: down-addex" "X-Val: x" "X-Exp: 10"
t_eq "add with expire, server stopped: -2" -2 "$RC"
op K delete "X-Key: down-del"
t_eq "delete with the server stopped: -2" -2 "$RC"
op K touch "X-Key: down-touch" "X-Exp: 10"
t_eq "touch with the server stopped: -2" -2 "$RC"
op K incr "X-Key: down-incr" "X-Delta: 1"
t_eq "incr with the server stopped: -2" -2 "$RC"
t_eq "incr failed: output untouched" none "$OUT"
op K decr "X-Key: down-decr" "X-Delta: 1"
t_eq "decr with the server stopped: -2" -2 "$RC"
op K addex "X-Key: down-bad" "X-Val: x" "X-Exp: abc"
t_eq "bad argument with the server stopped: still -3" -3 "$RC"
if kill -0 "$KAM_PID_K" 2>/dev/null; then t_pass "kamailio still running"; else t_fail "kamailio died"; fi

echo "-- server back"
restart_memcached A || t_fail "memcached restart"
ok=""
for _ in $(seq 1 20); do
	op K add "X-Key: back" "X-Val: again"
	[ "$RC" = 1 ] && { ok=1; break; }
	sleep 0.5
done
t_eq "add succeeds again after the server is back" 1 "${ok:-0}"

echo "-- prefix"
start_kamailio P "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\"" \
	-A 'MCD_PREFIX="pfx:"' || exit 1
op P add "X-Key: pk" "X-Val: pv"
t_eq "prefix: add 1" 1 "$RC"
t_eq "prefix: key stored with the prefix" pv "$(mc_get A pfx:pk)"
t_eq "prefix: no unprefixed key" "" "$(mc_get A pk)"
op P incr "X-Key: pc" "X-Delta: 2"
t_eq "prefix: counter stored with the prefix" 2 "$(mc_get A pfx:pc)"

echo "-- literal arguments checked at start-up"
# `kamailio -c` of 5.6 only parses the script (module fixups run later, at
# start-up), so a bad literal is caught when Kamailio starts: it must exit
# at once with an error naming the function and the parameter.
BADCFG="$TOP/tests/cfg/func-badparam.cfg"
kstart() {
	local dir="$T_DIR/bad-$1" port
	mkdir -p "$dir"
	port=$(free_port) || return 1
	timeout 20 "$KAMAILIO" -f "$BADCFG" -DD -E -w "$dir" -Y "$dir" \
		-A "SIP_PORT=$port" -A "OUR_MODULE=\"$OUR_MODULE\"" \
		-A 'MCD_SERVERS="127.0.0.1:1"' -A "$1" 2>&1
}
start_kamailio G "$BADCFG" -A 'MCD_SERVERS="127.0.0.1:1"' -A GOOD || exit 1
sleep 0.5
if kill -0 "$KAM_PID_G" 2>/dev/null; then t_pass "valid literals: kamailio starts"; else
	t_fail "valid literals: kamailio exited: $(grep ERROR "$KAM_LOG_G" | head -3)"; fi
for c in "BAD_EXP_ABC:mcd_add().*expire.*abc" "BAD_EXP_NEG:mcd_touch().*expire.*-5" \
	"BAD_EXP_NEG_NUM:mcd_replace().*expire.*-5" "BAD_DELTA:mcd_incr().*delta.*x1" \
	"BAD_OUT:mcd_decr().*output variable" "BAD_KEY:mcd_delete().*key.*empty"; do
	def=${c%%:*} re=${c#*:}
	out=$(kstart "$def")
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && printf '%s\n' "$out" | grep -q "ERROR.*$re"; then
		t_pass "start-up fails on $def with a clear error"
	else
		t_fail "start-up on $def: rc=$rc, log: $(printf '%s' "$out" | grep ERROR | head -2)"
	fi
done

t_done
