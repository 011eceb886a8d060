#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# Keys through a real Kamailio (SPEC section 3): the 250-byte limit counts
# the prefix, longer keys and keys with bytes the text protocol forbids
# become prefix + md5hex(key), nothing else reaches the server; empty keys
# and bad "=>N" are errors with nothing sent.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss md5sum od
need_module

CFG="$TOP/tests/cfg/it-keys.cfg"
PFX="edge1:"
start_memcached A || exit 1
start_memcached B || exit 1
start_kamailio K "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\"" || exit 1
start_kamailio P "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_B\"" \
	-A "MCD_PREFIX=\"$PFX\"" || exit 1

# check_key WHAT INST MC HEADER VALUE EXPECTED_SERVER_KEY: writes VALUE
# under the key given by HEADER ("X-Key: ..." or "X-KeyHex: ..."), reads it
# back through Kamailio, and checks the server gained exactly one item,
# stored under the expected key.
check_key() {
	local what=$1 inst=$2 mc=$3 h=$4 val=$5 want=$6 n0 n1
	n0=$(mc_items "$mc")
	rq "$inst" "$h" "X-Val: $val" "X-Read: yes"
	n1=$(mc_items "$mc")
	t_eq "$what: read back" "$val" "$(hv X-Val)"
	t_eq "$what: one new item on the server" "1" "$((n1 - n0))"
	t_eq "$what: stored under [$want]" "$val" "$(mc_get "$mc" "$want")"
}

echo "-- length limit, no prefix"
k249="a$(repeat b 247)z"
k250="a$(repeat c 248)z"
k251="a$(repeat d 249)z"
check_key "249-byte key verbatim" K A "X-Key: $k249" v249 "$k249"
check_key "250-byte key verbatim" K A "X-Key: $k250" v250 "$k250"
check_key "251-byte key hashed" K A "X-Key: $k251" v251 "$(md5hex "$k251")"

echo "-- length limit with prefix \"$PFX\""
p244="p$(repeat e 242)z"
p245="p$(repeat f 243)z"
check_key "prefix+key = 250 verbatim" P B "X-Key: $p244" vp244 "$PFX$p244"
check_key "prefix+key = 251 hashed, prefix kept" P B "X-Key: $p245" vp245 \
	"$PFX$(md5hex "$p245")"
check_key "short key gets the prefix" P B "X-Key: short" vshort "${PFX}short"

echo "-- forbidden bytes"
check_key "key with a space" K A "X-Key: a b" vsp "$(md5hex "a b")"
check_key "key with a tab (header value)" K A "$(printf 'X-Key: a\tb')" vtab \
	"$(md5hex $'a\tb')"
check_key "key with CR/LF" K A "X-KeyHex: $(hex $'x\r\nset y 0 0 1')" vcrlf \
	"$(md5hex $'x\r\nset y 0 0 1')"
check_key "key with 0x7f" K A "X-KeyHex: 617f62" vdel "$(md5hex $'a\x7fb')"
check_key "key with 0x01" K A "X-KeyHex: 610162" vctl "$(md5hex $'a\x01b')"
check_key "key with a space, prefix" P B "X-Key: a b" vpsp "$PFX$(md5hex "a b")"
t_eq "no injected key y" "" "$(mc_get A y)"

echo "-- keys built from PVs in the config"
rq K "X-User: alice" "X-Ttl: 60"
t_eq "\$mct(u:\$hdr(X-User)=>\$hdr(X-Ttl)): value" "f" "$(mc_get A u:alice)"
ttl=$(mc_ttl A u:alice)
if [ -n "$ttl" ] && [ "$ttl" -ge 55 ] && [ "$ttl" -le 60 ]; then
	t_pass "expiry from a PV ($ttl)"
else
	t_fail "expiry from a PV: got [$ttl]"
fi

echo "-- bad keys: error, nothing sent"
for h in "X-Key:" "X-Key: k=>abc" "X-Key: k=>-1" "X-Key: k=>" "X-Key: =>5"; do
	c0=$(mc_cmds A)
	n0=$(mc_items A)
	m=$(log_mark K)
	rq K "$h" "X-Val: bad"
	c1=$(mc_cmds A)
	n1=$(mc_items A)
	t_eq "[$h]: answered" "0" "$(answered; echo $?)"
	t_eq "[$h]: no command sent" "$c0" "$c1"
	t_eq "[$h]: no item written" "$n0" "$n1"
	n=$(log_count K "$m" 'ERROR.*memcached')
	if [ "$n" -ge 1 ]; then t_pass "[$h]: error logged"; else t_fail "[$h]: no error logged"; fi
done
t_eq "no key k on the server" "" "$(mc_get A k)"

kam_alive K || t_fail "Kamailio K died"
kam_alive P || t_fail "Kamailio P died"
t_done
