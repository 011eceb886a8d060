#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# Pseudo-variables through a real Kamailio (SPEC sections 2 and 7): values,
# flags, expiry, delete, counters, touch, big and binary values, stringify.
# Every result is checked in the SIP reply and on the memcached server.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss md5sum od
need_module

CFG="$TOP/tests/cfg/it-pv.cfg"
start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""
start_kamailio K "$CFG" -M 64 -A "$SRV" || exit 1
start_kamailio E "$CFG" -A "$SRV" -A MCD_EXPIRE=77 || exit 1
start_kamailio S "$CFG" -A "$SRV" -A MCD_STRINGIFY=1 || exit 1

# errors NAME MARK: ERROR lines since MARK
errors() { log_count "$1" "$2" 'ERROR'; }

# Script integers are 64-bit from Kamailio 5.7 (long), 32-bit before.
kam_int64 || exit 1
t_log "Kamailio $KVER: 64-bit script integers: $INT64"

echo "-- strings and integers"
m=$(log_mark K)
rq K "X-Op: set" "X-Key: s1" "X-Val: hello" "X-Get: s1"
t_eq "string read back" "$(hex hello)" "$(hv X-Hex)"
t_eq "string is a string (+1 concatenates)" "hello1" "$(hv X-Plus)"
t_eq "string on server" "hello" "$(mc_get A s1)"
t_eq "string flags 1" "1" "$(mc_flags A s1)"
rq K "X-Op: set-int" "X-Key: i1" "X-Val: 42" "X-Get: i1"
t_eq "int read back (string form)" "$(hex 42)" "$(hv X-Hex)"
t_eq "int read back (int form)" "43" "$(hv X-Plus)"
t_eq "int on server" "42" "$(mc_get A i1)"
t_eq "int flags 0" "0" "$(mc_flags A i1)"
rq K "X-Op: set" "X-Key: s5" "X-Val: 5" "X-Get: s5"
t_eq "digit string stays a string" "51" "$(hv X-Plus)"
t_eq "digit string flags 1" "1" "$(mc_flags A s5)"
t_eq "no error for plain writes" "0" "$(errors K "$m")"

echo "-- missing key"
m=$(log_mark K)
rq K "X-Get: nosuchkey"
t_eq "missing key reads \$null" "yes" "$(hv X-Null)"
t_eq "missing key logs nothing above debug" "0" \
	"$(log_count K "$m" 'ERROR\|WARNING')"

echo "-- expiry"
rq K "X-Op: set" "X-Key: e2=>2" "X-Val: short" "X-Get: e2"
t_eq "key=>N: value stored under the key" "$(hex short)" "$(hv X-Hex)"
ttl=$(mc_ttl A e2)
if [ -n "$ttl" ] && [ "$ttl" -ge 0 ] && [ "$ttl" -le 2 ]; then
	t_pass "key=>2 sets ttl ($ttl)"
else
	t_fail "key=>2 sets ttl: got [$ttl]"
fi
t_eq "no key named with =>" "" "$(mc_get A 'e2=>2')"
rq K "X-Op: set" "X-Key: e0=>0" "X-Val: forever"
t_eq "key=>0: never expires" "-1" "$(mc_ttl A e0)"
rq K "X-Op: set" "X-Key: edef" "X-Val: v"
ttl=$(mc_ttl A edef)
if [ -n "$ttl" ] && [ "$ttl" -ge 10790 ] && [ "$ttl" -le 10800 ]; then
	t_pass "default expiry 10800 ($ttl)"
else
	t_fail "default expiry 10800: got [$ttl]"
fi
rq E "X-Op: set" "X-Key: emod" "X-Val: v"
ttl=$(mc_ttl A emod)
if [ -n "$ttl" ] && [ "$ttl" -ge 70 ] && [ "$ttl" -le 77 ]; then
	t_pass "modparam expire 77 ($ttl)"
else
	t_fail "modparam expire 77: got [$ttl]"
fi
rq E "X-Op: inc" "X-Key: emodc" "X-Val: 3"
ttl=$(mc_ttl A emodc)
if [ -n "$ttl" ] && [ "$ttl" -ge 70 ] && [ "$ttl" -le 77 ]; then
	t_pass "counter created with modparam expire 77 ($ttl)"
else
	t_fail "counter created with modparam expire 77: got [$ttl]"
fi

echo "-- \$mctex"
rq K "X-Op: set" "X-Key: tx" "X-Val: keepme"
m=$(log_mark K)
rq K "X-Op: tex" "X-Key: tx" "X-Val: 2" "X-Get: tx"
t_eq "\$mctex leaves the value" "$(hex keepme)" "$(hv X-Hex)"
t_eq "\$mctex leaves the flags" "1" "$(mc_flags A tx)"
ttl=$(mc_ttl A tx)
if [ -n "$ttl" ] && [ "$ttl" -ge 0 ] && [ "$ttl" -le 2 ]; then
	t_pass "\$mctex sets ttl ($ttl)"
else
	t_fail "\$mctex sets ttl: got [$ttl]"
fi
rq K "X-Op: tex" "X-Key: txmissing" "X-Val: 100"
t_eq "\$mctex on a missing key keeps it missing" "" "$(mc_get A txmissing)"
t_eq "\$mctex: no error lines" "0" "$(errors K "$m")"
# One wait for every short expiry above, polling the server (memcached's
# clock ticks in seconds, and a busy machine may delay its tick): both keys
# had 2 s, they must be gone within 10 s.
t0=$(date +%s%3N)
for _ in $(seq 1 100); do
	[ -z "$(mc_get A e2)" ] && [ -z "$(mc_get A tx)" ] && break
	sleep 0.1
done
t_log "the 2 s keys expired after $(($(date +%s%3N) - t0)) ms"
rq K "X-Get: e2"
t_eq "key=>2 gone (reply)" "yes" "$(hv X-Null)"
t_eq "key=>2 gone (server)" "" "$(mc_get A e2)"
t_eq "\$mctex 2: gone" "" "$(mc_get A tx)"
t_eq "key=>0 still there" "forever" "$(mc_get A e0)"

echo "-- delete"
rq K "X-Op: set" "X-Key: d1" "X-Val: x"
m=$(log_mark K)
rq K "X-Op: del" "X-Key: d1" "X-Get: d1"
t_eq "\$null deletes (reply)" "yes" "$(hv X-Null)"
t_eq "\$null deletes (server)" "" "$(mc_get A d1)"
rq K "X-Op: del" "X-Key: d1"
t_eq "delete of a missing key answered" "0" "$(answered; echo $?)"
t_eq "delete of a missing key: no error line" "0" "$(errors K "$m")"

echo "-- counters"
m=$(log_mark K)
rq K "X-Op: inc" "X-Key: cnt" "X-Val: 5" "X-Get: cnt"
t_eq "\$mcinc(missing) = 5 creates 5: string form" "$(hex 5)" "$(hv X-Hex)"
t_eq "\$mcinc(missing) = 5 creates 5: int form" "6" "$(hv X-Plus)"
t_eq "created counter on server" "5" "$(mc_get A cnt)"
t_eq "created counter flags 0" "0" "$(mc_flags A cnt)"
rq K "X-Op: inc" "X-Key: cnt" "X-Val: 5" "X-Get: cnt"
t_eq "\$mcinc adds: string form" "$(hex 10)" "$(hv X-Hex)"
t_eq "\$mcinc adds: int form" "11" "$(hv X-Plus)"
rq K "X-Op: dec" "X-Key: cnt" "X-Val: 5" "X-Get: cnt"
# the server pads a shrunk counter ("10" -> "5 "): the module must trim it
t_eq "\$mcdec 10-5: string form exactly 5" "$(hex 5)" "$(hv X-Hex)"
t_eq "\$mcdec 10-5: int form" "6" "$(hv X-Plus)"
rq K "X-Op: dec" "X-Key: dmiss" "X-Val: 3" "X-Get: dmiss"
t_eq "\$mcdec(missing) creates 0" "$(hex 0)" "$(hv X-Hex)"
t_eq "\$mcdec(missing) on server" "0" "$(mc_get A dmiss)"
t_eq "\$mcdec(missing) flags 0" "0" "$(mc_flags A dmiss)"
rq K "X-Op: set-int" "X-Key: d3" "X-Val: 3"
rq K "X-Op: dec" "X-Key: d3" "X-Val: 10" "X-Get: d3"
t_eq "\$mcdec stops at 0 (reply)" "1" "$(hv X-Plus)"
t_eq "\$mcdec stops at 0 (server)" "0" "$(mc_get A d3)"
t_eq "counters: no error lines" "0" "$(errors K "$m")"

echo "-- negative and 64-bit integers"
rq K "X-Op: set-int" "X-Key: neg" "X-Val: -5" "X-Get: neg"
t_eq "negative int: string form" "$(hex -5)" "$(hv X-Hex)"
t_eq "negative int: int form" "-4" "$(hv X-Plus)"
t_eq "negative int on server" "-5" "$(mc_get A neg)"
t_eq "negative int flags 0" "0" "$(mc_flags A neg)"
rq K "X-Op: set" "X-Key: big" "X-Val: 5000000000"
rq K "X-Op: inc" "X-Key: big" "X-Val: 1" "X-Get: big"
t_eq "above 2^32 (string + \$mcinc): exact digits" "$(hex 5000000001)" "$(hv X-Hex)"
t_eq "above 2^32 on server" "5000000001" "$(mc_get A big)"
mc_set A big0 0 0 5000000000 >/dev/null
rq K "X-Op: inc" "X-Key: big0" "X-Val: 1" "X-Get: big0"
t_eq "above 2^32 with flags 0: exact digits" "$(hex 5000000001)" "$(hv X-Hex)"
t_eq "above 2^32 with flags 0 on server" "5000000001" "$(mc_get A big0)"
mc_set A nbig 0 0 -5000000000 >/dev/null
rq K "X-Get: nbig"
t_eq "below -2^32 with flags 0: exact digits" "$(hex -5000000000)" "$(hv X-Hex)"
mc_set A umax 0 0 18446744073709551615 >/dev/null
rq K "X-Get: umax"
t_eq "above 2^63: exact digits" "$(hex 18446744073709551615)" "$(hv X-Hex)"
t_eq "above 2^63: a string on every host" "184467440737095516151" "$(hv X-Plus)"
rq K "X-Get: big0"
if [ "$INT64" = 1 ]; then
	t_eq "64-bit host: 5000000001 reads as an integer" 5000000002 "$(hv X-Plus)"
	rq K "X-Get: nbig"
	t_eq "64-bit host: -5000000000 reads as an integer" -4999999999 "$(hv X-Plus)"
	rq K "X-Op: set-int" "X-Key: wbig" "X-Val: -5000000000" "X-Get: wbig"
	t_eq "64-bit host: \$mct = -5000000000 stored exactly" -5000000000 "$(mc_get A wbig)"
	t_eq "64-bit host: written as an integer (flags 0)" 0 "$(mc_flags A wbig)"
	t_eq "64-bit host: read back as an integer" -4999999999 "$(hv X-Plus)"
	rq K "X-Op: inc" "X-Key: big0" "X-Val: 5000000000" "X-Get: big0"
	t_eq "64-bit host: \$mcinc by 5000000000" 10000000001 "$(mc_get A big0)"
	t_eq "64-bit host: counter reads as an integer" 10000000002 "$(hv X-Plus)"
else
	t_eq "32-bit script ints: 5000000001 reads as text" 50000000011 "$(hv X-Plus)"
	rq K "X-Get: nbig"
	t_eq "32-bit script ints: -5000000000 reads as text" -50000000001 "$(hv X-Plus)"
	mc_set A i31 0 0 2147483646 >/dev/null
	rq K "X-Get: i31"
	t_eq "32-bit script ints: 2^31-2 still an integer" 2147483647 "$(hv X-Plus)"
fi

echo "-- \$null, empty or text assigned to \$mcinc, \$mcdec, \$mctex"
# an unset AVP must not create a counter nor make a key immortal: each is
# one error line, the outcome -3 in \$mcd(rc), and nothing sent
mc_set A nz-cnt 0 0 10 >/dev/null
mc_set A nz-ttl 1 300 keep >/dev/null
for o in inc-null dec-null inc-avp inc-empty dec-empty dec-str; do
	m=$(log_mark K)
	before=$(mc_cmds A)
	rq K "X-Op: $o" "X-Key: nz-miss-$o" "X-Val: abc"
	t_eq "$o: nothing sent" "$before" "$(mc_cmds A)"
	t_eq "$o on a missing key: not created" "" "$(mc_get A "nz-miss-$o")"
	t_eq "$o: \$mcd(rc) -3" -3 "$(hv X-Rc)"
	t_eq "$o: one error line" 1 "$(errors K "$m")"
	t_eq "$o: the error line says why" 1 \
		"$(log_count K "$m" 'ERROR.*the value is not an integer')"
	rq K "X-Op: $o" "X-Key: nz-cnt" "X-Val: abc"
	t_eq "$o on a counter: unchanged" 10 "$(mc_get A nz-cnt)"
done
for o in tex-null tex-avp tex-empty tex-str; do
	m=$(log_mark K)
	before=$(mc_cmds A)
	rq K "X-Op: $o" "X-Key: nz-ttl" "X-Val: abc"
	t_eq "$o: nothing sent" "$before" "$(mc_cmds A)"
	t_eq "$o: \$mcd(rc) -3" -3 "$(hv X-Rc)"
	t_eq "$o: one error line" 1 "$(errors K "$m")"
	t_eq "$o: the error line says why" 1 \
		"$(log_count K "$m" 'ERROR.*expiry is not a non-negative integer')"
	t_range "$o: expiry unchanged (not made immortal)" 280 300 "$(mc_ttl A nz-ttl)"
done
rq K "X-Op: tex" "X-Key: nz-ttl" "X-Val: 200"
t_eq "\$mctex = 200 after them: 1" 1 "$(hv X-Rc)"
t_range "\$mctex = 200 after them: ttl" 190 200 "$(mc_ttl A nz-ttl)"
rq K "X-Op: inc" "X-Key: nz-cnt" "X-Val: 0"
t_eq "\$mcinc = 0 (an integer) is no error: 1" 1 "$(hv X-Rc)"

echo "-- counter errors"
m=$(log_mark K)
rq K "X-Op: inc-str" "X-Key: badinc" "X-Val: abc"
t_eq "\$mcinc = \"abc\": answered" "0" "$(answered; echo $?)"
t_eq "\$mcinc = \"abc\": nothing written" "" "$(mc_get A badinc)"
n=$(log_count K "$m" 'ERROR.*memcached')
if [ "$n" -ge 1 ]; then t_pass "\$mcinc = \"abc\": error logged"; else t_fail "\$mcinc = \"abc\": no error logged"; fi
rq K "X-Op: inc-str" "X-Key: stinc" "X-Val: 7" "X-Get: stinc"
t_eq "\$mcinc = \"7\" (integer text) accepted" "$(hex 7)" "$(hv X-Hex)"
mc_set A txt 1 0 hello >/dev/null
m=$(log_mark K)
rq K "X-Op: inc" "X-Key: txt" "X-Val: 1"
t_eq "\$mcinc on text: value untouched" "hello" "$(mc_get A txt)"
n=$(log_count K "$m" 'ERROR.*memcached')
if [ "$n" -ge 1 ]; then t_pass "\$mcinc on text: error logged"; else t_fail "\$mcinc on text: no error logged"; fi

echo "-- big values"
big=$(head -c 700000 /dev/urandom | base64 -w0 | head -c 921600)
t_eq "900 KB value stored on the server" "STORED" "$(mc_set A big900 1 0 "$big" | head -1)"
rq K "X-Get: big900"
t_eq "900 KB read: length" "921600" "$(hv X-Len)"
t_eq "900 KB read: md5" "$(md5hex "$big")" "$(hv X-Md5)"
unset big
m=$(log_mark K)
rq K "X-Op: set-big" "X-Key: big2m" "X-Val: 17"
t_eq "2 MB write: request answered" "0" "$(answered; echo $?)"
t_eq "2 MB value built by the script" "2097152" "$(hv X-Wrote)"
t_eq "2 MB write: nothing stored" "" "$(mc_get A big2m)"
n=$(log_count K "$m" 'ERROR.*memcached')
if [ "$n" -ge 1 ]; then t_pass "2 MB write: error logged"; else t_fail "2 MB write: no error logged"; fi
rq K "X-Get: s1"
t_eq "after 2 MB write Kamailio still answers" "$(hex hello)" "$(hv X-Hex)"
if kam_alive K; then t_pass "Kamailio alive after 2 MB write"; else t_fail "Kamailio died after 2 MB write"; fi
t_eq "no crash in the log" "0" "$(log_count K 0 'segfault\|SIGSEGV\|SIGABRT\|core dump\|signal 11\|signal 6')"

echo "-- binary-safe values"
crlf=$(hex $'a\r\nb\r\n c')
rq K "X-Op: set-hex" "X-Key: bin" "X-Val: $crlf" "X-Get: bin"
t_eq "CR/LF value read back" "$crlf" "$(hv X-Hex)"
t_eq "CR/LF value length" "8" "$(hv X-Len)"
got=$(mc_cmd A "get bin" | od -An -v -tx1 | tr -d ' \n')
# mc_cmd strips CR: compare what is left of the server's answer
t_eq "CR/LF value on server" "$(hex $'VALUE bin 1 8\na\nb\n c\nEND\n')" "$got"
rq K "X-Op: set-hex" "X-Key: bin0" "X-Val: 61006200" "X-Get: bin0"
t_eq "NUL bytes kept" "61006200" "$(hv X-Hex)"
t_eq "NUL bytes: length" "4" "$(hv X-Len)"

echo "-- stringify=1"
rq K "X-Op: inc" "X-Key: scnt" "X-Val: 5"
rq S "X-Get: scnt"
t_eq "stringify=1: integer reads as a string" "51" "$(hv X-Plus)"
t_eq "stringify=1: string form" "$(hex 5)" "$(hv X-Hex)"
rq K "X-Get: scnt"
t_eq "stringify=0: same counter reads as an integer" "6" "$(hv X-Plus)"
# the server pads a counter that lost a digit ("100" -> "99 ")
rq K "X-Op: set-int" "X-Key: s100" "X-Val: 100"
rq K "X-Op: dec" "X-Key: s100" "X-Val: 1"
t_eq "counter 100 - 1 padded on the server" "99 " "$(mc_get A s100)"
rq S "X-Get: s100"
t_eq "stringify=1: 100 - 1 reads \"99\", no padding" "$(hex 99)" "$(hv X-Hex)"
t_eq "stringify=1: its length" 2 "$(hv X-Len)"
t_eq "stringify=1: still a string" 991 "$(hv X-Plus)"

for n in K E S; do
	if ! kam_alive "$n"; then t_fail "Kamailio $n died"; fi
done
t_done
