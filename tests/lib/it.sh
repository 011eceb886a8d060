#!/bin/bash
# Helpers for the integration suites 30-39 (source after common.sh):
# requests with X-* headers, log positions, server key listings, hex.

# rq NAME [HEADER...]: one request (OPTIONS); the reply is left in REPLY.
REPLY=""
rq() {
	local name=$1; shift
	REPLY=$(sip_req "$name" OPTIONS "$@")
}
# hv NAME: a header of the last reply.
hv() { reply_hdr "$REPLY" "$1"; }
# answered: the last request got a final reply.
answered() { printf '%s\n' "$REPLY" | grep -q '^SIP/2.0 [2-6][0-9][0-9] '; }

# log_mark NAME: current length (lines) of the instance's log.
log_mark() {
	local v="KAM_LOG_$1"
	wc -l < "${!v}"
}
# log_since NAME MARK: log lines written after MARK.
log_since() {
	local v="KAM_LOG_$1"
	tail -n +"$(($2 + 1))" "${!v}"
}
# log_count NAME MARK REGEX: how many lines after MARK match REGEX.
log_count() {
	log_since "$1" "$2" | grep -c -e "$3"
}

# hex STRING: lower-case hex of the bytes; unhex HEX: the bytes back.
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
unhex() {
	local h=$1 out="" i
	for ((i = 0; i < ${#h}; i += 2)); do out+="\\x${h:i:2}"; done
	printf '%b' "$out"
}
md5hex() { printf '%s' "$1" | md5sum | cut -c1-32; }
# repeat CHAR N: CHAR N times.
repeat() { local s; printf -v s '%*s' "$2" ''; printf '%s' "${s// /$1}"; }

# mc_has NAME KEY: the server holds KEY (a plain get, counted as cmd_get).
mc_has() { mc_cmd "$1" "get $2" | grep -q '^VALUE '; }
# bytes STRING: its length in bytes (${#var} counts characters in a
# UTF-8 locale; the protocol counts bytes).
bytes() { printf '%s' "$1" | LC_ALL=C wc -c | tr -d ' '; }
# mc_set NAME KEY FLAGS EXPTIME DATA: raw text-protocol set.
mc_set() {
	local v="MC_PORT_$1"
	{ printf 'set %s %s %s %s\r\n' "$2" "$3" "$4" "$(bytes "$5")"; printf '%s\r\n' "$5"
		printf 'quit\r\n'; } | timeout 10 nc -N 127.0.0.1 "${!v}" | tr -d '\r'
}
# mc_ttl NAME KEY: remaining seconds (-1 = never) or nothing when missing.
mc_ttl() {
	mc_cmd "$1" "mg $2 t" | awk '/^(HD|VA)/{for(i=2;i<=NF;i++) if($i ~ /^t/) print substr($i,2)}'
}
# mc_items NAME: curr_items of a server.
mc_items() { mc_stat "$1" curr_items; }

# kam_alive NAME: the instance's main process is running.
kam_alive() {
	local v="KAM_PID_$1"
	kill -0 "${!v}" 2>/dev/null
}

# need_tools TOOL...: skip the suite (77) when one is missing.
need_tools() {
	local t
	for t in "$@"; do
		if ! command -v "$t" >/dev/null 2>&1; then
			echo "  skipped: $t not installed (run scripts/deps.sh)"
			exit 77
		fi
	done
}
need_module() {
	if [ ! -f "$OUR_MODULE" ]; then
		echo "  skipped: $OUR_MODULE not built (run make)"
		exit 77
	fi
}

# kam_int64: sets KVER to the version of $KAMAILIO and INT64 to 1 when its
# script integers (and KEMI's) are 64-bit, as from Kamailio 5.7, else 0.
# shellcheck disable=SC2034 # KVER and INT64 are for the suites
kam_int64() {
	KVER=$("$KAMAILIO" -v 2>/dev/null | awk '/^version:/ {print $3; exit}')
	if [ -z "$KVER" ]; then
		echo "  cannot read the version of $KAMAILIO"
		return 1
	fi
	if [ "$(printf '5.7\n%s\n' "$KVER" | sort -V | head -1)" = 5.7 ]; then
		INT64=1
	else
		INT64=0
	fi
}
