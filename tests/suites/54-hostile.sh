#!/bin/bash
# mcd-leg: kamailio
# Hostile keys and values from SIP headers (tests/cfg/rel-hostile.cfg): keys
# with spaces, CR/LF (hex-decoded, and header folding), NUL, control bytes,
# non-UTF-8 bytes, 250/251/4096 bytes, 64 KB (longer than Kamailio's PV
# buffer); values with CR/LF, NUL and protocol commands, 64 KB and 1 MB;
# "=>" with huge, negative and non-numeric expiry; counters and touch with
# bad numbers. Each case ends in a value read back byte-exact under the
# expected wire key (the key itself, or md5hex of it), or in a clear error
# with nothing written. After each case Kamailio answers the next request.
# At the end the server holds exactly the expected keys (nothing injected,
# nothing flushed or deleted). Text protocol, then binary.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

CFG="$TOP/tests/cfg/rel-hostile.cfg"
for t in memcached sipsak nc md5sum od; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed (scripts/deps.sh)"; exit 77; }
done

hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# bytes HEX [DOUBLINGS]: the bytes of HEX, doubled N times, to stdout
bytes() {
	local f="$T_DIR/bytes" i
	printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')" > "$f"
	for ((i = 0; i < ${2:-0}; i++)); do cat "$f" "$f" > "$f.2" && mv "$f.2" "$f"; done
	cat "$f"
}
md5of() { bytes "$@" | md5sum | cut -c1-32; }
# wirehex KEYHEX [DOUBLINGS]: hex of the memcached key expected for it
wirehex() {
	local len hashed=0 i b
	len=$(bytes "$@" | wc -c)
	[ "$len" -gt 250 ] && hashed=1
	for ((i = 0; i < ${#1} && !hashed; i += 2)); do
		b=$((16#${1:i:2}))
		if [ "$b" -le 32 ] || [ "$b" = 127 ]; then hashed=1; fi
	done
	if [ "$hashed" = 1 ]; then hex "$(md5of "$@")"; else bytes "$@" | od -An -v -tx1 | tr -d ' \n'; fi
}
# server_keys NAME: hex of every key the server holds, sorted
server_keys() {
	local v="MC_PORT_$1"
	printf 'lru_crawler metadump all\r\n' | timeout 5 nc -N 127.0.0.1 "${!v}" | tr -d '\r' |
		awk 'BEGIN {for (i = 32; i < 127; i++) ord[sprintf("%c", i)] = i
			for (i = 0; i < 16; i++) hv[sprintf("%X", i)] = i}
		/^key=/ {
			k = substr($1, 5); out = ""
			for (i = 1; i <= length(k); i++) {
				c = substr(k, i, 1)
				if (c == "%") {
					out = out sprintf("%02x", hv[substr(k, i + 1, 1)] * 16 + hv[substr(k, i + 2, 1)]); i += 2
				} else out = out sprintf("%02x", ord[c])
			}
			print out
		}' | sort
}
# snap NAME: "cmd_set cmd_touch cmd_flush curr_items"
snap() {
	mc_cmd "$1" stats | awk '$1=="STAT" {s[$2] = $3}
		END {print s["cmd_set"] + 0, s["cmd_touch"] + 0, s["cmd_flush"] + 0, s["curr_items"] + 0}'
}

# case_ PROTO DESC EXPECT KEYHEX KEYDBL VALUE_MD5 HEADER...
# EXPECT: stored  - read back gives VALUE_MD5; the wire key is expected
#         error   - a module error is logged, nothing is stored or touched
#         refused - the server refuses the value: error logged, key missing
#         kept    - an error is logged, the earlier value stays untouched
# KEYHEX "-": take the key bytes from Kamailio's reply (header folding).
case_() {
	local p=$1 desc=$2 expect=$3 khex=$4 kdbl=$5 vmd5=$6 r mark s0 s1 null got kh
	shift 6
	s0=$(snap "M$p")
	mark=$(wc -l < "$klog")
	r=$(sip_req "K$p" MESSAGE "$@")
	s1=$(snap "M$p")
	read -r set0 touch0 flush0 items0 <<< "$s0"
	read -r set1 touch1 flush1 items1 <<< "$s1"
	null=$(reply_hdr "$r" X-Null)
	got=$(reply_hdr "$r" X-Got-Md5)
	kh=$(reply_hdr "$r" X-KeyHex)
	errs=$(tail -n +"$((mark + 1))" "$klog" | grep -c 'ERROR: memcached')
	local why=""
	[[ "$r" == *"SIP/2.0 200 OK"* ]] || why="no 200 reply;"
	[ "$flush1" = "$flush0" ] || why="$why a flush reached the server;"
	[ "$items1" -ge "$items0" ] || why="$why items went from $items0 to $items1;"
	case $expect in
	stored)
		[ "$null" = no ] && [ "$got" = "$vmd5" ] || why="$why read back null=$null md5=$got want $vmd5;"
		[ "$errs" = 0 ] || why="$why $errs error line(s);"
		[ "$khex" = - ] && khex=$kh
		[ -z "$kh" ] || [ "$kh" = "$(bytes "$khex" "$kdbl" | od -An -v -tx1 | tr -d ' \n')" ] ||
			why="$why Kamailio used key $kh;"
		{ wirehex "$khex" "$kdbl"; echo; } >> "$T_DIR/expected-$p"
		;;
	error | refused)
		[ "$null" = yes ] || why="$why key readable after an error;"
		[ "$errs" -ge 1 ] || why="$why no error logged;"
		if [ "$expect" = error ] && { [ "$set1" != "$set0" ] || [ "$touch1" != "$touch0" ]; }; then
			why="$why a write reached the server (sets $set0->$set1, touches $touch0->$touch1);"
		fi
		;;
	kept)
		[ "$null" = no ] && [ "$got" = "$vmd5" ] || why="$why value changed: null=$null md5=$got;"
		[ "$errs" -ge 1 ] || why="$why no error logged;"
		[ "$touch1" = "$touch0" ] || why="$why a touch reached the server;"
		;;
	esac
	r=$(sip_req "K$p" OPTIONS "X-Op: ping")
	[[ "$r" == *"SIP/2.0 200 pong"* ]] || why="$why Kamailio does not answer the next request;"
	if [ -z "$why" ]; then
		t_pass "$proto: $desc"
	else
		t_fail "$proto: $desc:$why"
		tail -n +"$((mark + 1))" "$klog" | grep 'memcached\|CRITICAL\|signal' | head -3 | sed 's/^/    /'
	fi
}

a64k=$(md5of 61 16)
for p in 0 1; do
	proto=$([ "$p" = 1 ] && echo binary || echo text)
	start_memcached "M$p" || { t_fail "memcached"; continue; }
	mv="MC_PORT_M$p"
	start_kamailio "K$p" "$CFG" -A "MCD_SERVERS=\"127.0.0.1:${!mv}\"" -A "MCD_BINARY=$p" -M 32 ||
		{ t_fail "$proto: Kamailio does not start"; continue; }
	kl="KAM_LOG_K$p"
	klog=${!kl}
	mc_cmd "M$p" "set canary 0 0 2" "ok" > /dev/null
	{ hex canary; echo; } > "$T_DIR/expected-$p"
	v1=$(hex v1)
	m1=$(md5of "$v1")

	# keys
	case_ "$p" "key with spaces (raw header) is hashed" stored "$(hex 'user name with spaces')" 0 "$m1" \
		"X-Op: set" "X-KR: user name with spaces" "X-VH: $v1"
	k=$(hex $'k\r\nset injected 0 0 1\r\nX')
	case_ "$p" "CR/LF + set command in the key: hashed, nothing injected" stored "$k" 0 "$m1" \
		"X-Op: set" "X-KH: $k" "X-VH: $v1"
	k=$(hex $'k2\r\nflush_all\r\n')
	case_ "$p" "CR/LF + flush_all in the key: hashed, nothing flushed" stored "$k" 0 "$m1" \
		"X-Op: set" "X-KH: $k" "X-VH: $v1"
	k=$(hex $'k3\r\ndelete canary\r\n')
	case_ "$p" "CR/LF + delete in the key: hashed, nothing deleted" stored "$k" 0 "$m1" \
		"X-Op: set" "X-KH: $k" "X-VH: $v1"
	case_ "$p" "NUL inside the key: hashed over all 3 bytes" stored 610062 0 "$m1" \
		"X-Op: set" "X-KH: 610062" "X-VH: $v1"
	m2=$(md5of "$(hex v2)")
	case_ "$p" "key 'a' stays distinct from 'a<NUL>b'" stored 61 0 "$m2" \
		"X-Op: set" "X-KH: 61" "X-VH: $(hex v2)"
	case_ "$p" "folded header (CR LF SP inside the key) is hashed" stored - 0 "$m1" \
		"X-Op: set" "X-KR: fold" " ed" "X-VH: $v1"
	case_ "$p" "DEL and control bytes in the key: hashed" stored 64656c7f01090200 0 "$m1" \
		"X-Op: set" "X-KH: 64656c7f01090200" "X-VH: $v1"
	case_ "$p" "non-UTF-8 bytes are valid key bytes: stored as they are" stored fffec328 0 "$m1" \
		"X-Op: set" "X-KH: fffec328" "X-VH: $v1"
	k=$(printf 'x%.0s' $(seq 1 250))
	case_ "$p" "250-byte key stored as it is" stored "$(hex "$k")" 0 "$m1" \
		"X-Op: set" "X-KR: $k" "X-VH: $v1"
	case_ "$p" "251-byte key is hashed" stored "$(hex "${k}y")" 0 "$m1" \
		"X-Op: set" "X-KR: ${k}y" "X-VH: $v1"
	case_ "$p" "4096-byte key is hashed" stored 6162 11 "$m1" \
		"X-Op: set" "X-KR: ab" "X-KDbl: 11" "X-VH: $v1"
	case_ "$p" "64 KB key (beyond the PV buffer): clear error" error 7a 16 - \
		"X-Op: set" "X-KR: z" "X-KDbl: 16" "X-VH: $v1"
	case_ "$p" "empty key: clear error" error "" 0 - \
		"X-Op: set" "X-KH: " "X-VH: $v1"

	# values
	v=$(hex $'line\r\nset injected2 0 0 1\r\nX\r\nEND\r\n')00ff00fe0d0a
	case_ "$p" "value with CR/LF, commands, NUL, 0xff: byte-exact" stored "$(hex val1)" 0 "$(md5of "$v")" \
		"X-Op: set" "X-KR: val1" "X-VH: $v"
	case_ "$p" "64 KB value read back whole" stored "$(hex val64k)" 0 "$a64k" \
		"X-Op: set" "X-KR: val64k" "X-VH: 61" "X-VDbl: 16"
	case_ "$p" "1 MB value refused by the server: clear error" refused "" 0 - \
		"X-Op: set" "X-KR: val1m" "X-VH: 61" "X-VDbl: 20"

	# expiry: "=>N" written in the key (hex, so spaces survive) and from X-E
	for e in 99999999999999999999 4294967296 -5 abc "" " 5" "5 " 5x 1.5 0x10 "=>5"; do
		case_ "$p" "'badexp=>$e' is rejected, nothing written" error "" 0 - \
			"X-Op: set" "X-KH: $(hex "badexp=>$e")" "X-VH: $v1"
	done
	for e in 99999999999999999999 -5 abc; do
		case_ "$p" "'\$mct(key=>\$hdr(X-E))' with X-E '$e' is rejected" error "" 0 - \
			"X-Op: setexp" "X-KR: badexp" "X-E: $e" "X-VH: $v1"
	done
	case_ "$p" "'=>0' and '=>60' work" stored "$(hex exp0)" 0 "$m1" \
		"X-Op: setexp" "X-KR: exp0" "X-E: 0" "X-VH: $v1"
	case_ "$p" "'=>60' works" stored "$(hex exp60)" 0 "$m1" \
		"X-Op: setexp" "X-KR: exp60" "X-E: 60" "X-VH: $v1"

	# counters and touch
	for d in abc 99999999999999999999 "" "1 2"; do
		case_ "$p" "\$mcinc by '$d' is rejected, no counter created" error "" 0 - \
			"X-Op: inc" "X-KR: cnt$p" "X-D: $d"
	done
	for e in -1 abc 99999999999999999999; do
		case_ "$p" "\$mctex '$e' is rejected, the value stays" kept "" 0 "$m1" \
			"X-Op: tex" "X-KR: exp60" "X-E: $e"
	done

	# the server holds what the cases stored, and nothing else
	sort -u "$T_DIR/expected-$p" > "$T_DIR/want-$p"
	server_keys "M$p" > "$T_DIR/have-$p"
	stray=$(comm -13 "$T_DIR/want-$p" "$T_DIR/have-$p")
	lost=$(comm -23 "$T_DIR/want-$p" "$T_DIR/have-$p")
	if [ -z "$stray$lost" ]; then
		t_pass "$proto: the server holds exactly the $(wc -l < "$T_DIR/want-$p") expected keys (canary included)"
	else
		t_fail "$proto: stray keys [$(echo "$stray" | head -5 | tr '\n' ' ')], missing [$(echo "$lost" | head -5 | tr '\n' ' ')] (hex)"
	fi
	pv="KAM_PID_K$p"
	if kill -0 "${!pv}" && ! grep -qE 'CRITICAL|signal 6|signal 11|assert' "$klog"; then
		t_pass "$proto: Kamailio alive, no crash or assertion in its log"
	else
		t_fail "$proto: Kamailio crashed or logged an assertion"
	fi
done
t_done
