#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# Rolling upgrade (SPEC sections 2, 3, 7): the shipped module and ours share
# one memcached. Proven on what is defined:
#  - the bytes, flags and expiry each module leaves on the server, read with
#    the memcached text protocol (get, mg): the same for the same write;
#  - what each module reads of the other where the shipped module's result
#    is defined: strings (flags 1) both ways, long keys (MD5) both ways, and
#    ours reading the shipped module's integers and counters.
# The shipped module's integer read ($mct of a value with flags 0) points
# into freed memory (SPEC section 7): its result depends on the heap, so no
# check here reads an integer or a counter through the shipped module.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss md5sum
need_module
if [ ! -f "$STOCK_MODULE" ]; then
	echo "  skipped: shipped module not installed ($STOCK_MODULE, package kamailio-memcached-modules)"
	exit 77
fi

CFG="$TOP/tests/cfg/it-interop.cfg"
start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""
start_kamailio O "$CFG" -A "$SRV" || exit 1
start_kamailio S "$CFG" -A "$SRV" -A USE_STOCK || exit 1

# write INST OP KEY VAL: one write through an instance (no read back).
write() {
	rq "$1" "X-Op: $2" "X-Key: $3" "X-Val: $4"
	answered || t_fail "$1 $2 $3: no reply"
}
# readback WHAT INST KEY: INST reads KEY; the reply is left in REPLY.
# Never with INST=S on an integer or a counter (see the top).
readback() {
	rq "$2" "X-Key: $3" "X-Read: yes"
	t_eq "$1: found" "no" "$(hv X-Null)"
}
# on_server KEY: "value flags" as memcached holds them ("" when missing).
on_server() {
	local v f
	v=$(mc_get A "$1")
	f=$(mc_flags A "$1")
	printf '%s' "${f:+$v $f}"
}

echo "-- strings (flags 1): the same on the server, read both ways"
write O set os1 "hello world"
write S set ss1 "hello world"
t_eq "string written by ours on the server" "hello world 1" "$(on_server os1)"
t_eq "string written by shipped on the server" "hello world 1" "$(on_server ss1)"
readback "ours -> shipped string" S os1
t_eq "ours -> shipped string: value" "hello world" "$(hv X-Val)"
t_eq "ours -> shipped string: is a string" "hello world1" "$(hv X-Plus)"
readback "shipped -> ours string" O ss1
t_eq "shipped -> ours string: value" "hello world" "$(hv X-Val)"
t_eq "shipped -> ours string: is a string" "hello world1" "$(hv X-Plus)"

echo "-- integers (flags 0): the same bytes on the server, ours reads shipped's"
write O set-int oi1 42
write S set-int si1 42
t_eq "integer written by ours on the server" "42 0" "$(on_server oi1)"
t_eq "integer written by shipped on the server" "42 0" "$(on_server si1)"
readback "shipped -> ours int" O si1
t_eq "shipped -> ours int: string form" "42" "$(hv X-Val)"
t_eq "shipped -> ours int: int form" "43" "$(hv X-Plus)"

echo "-- counters: created by ours, changed by both, read by ours and the server"
write O inc cnt 5
t_eq "counter created by ours on the server" "5 0" "$(on_server cnt)"
write S inc cnt 2
t_eq "shipped \$mcinc on ours' counter: server" "7 0" "$(on_server cnt)"
readback "counter after shipped \$mcinc" O cnt
t_eq "counter after shipped \$mcinc: ours string form" "7" "$(hv X-Val)"
t_eq "counter after shipped \$mcinc: ours int form" "8" "$(hv X-Plus)"
write O inc cnt 3
t_eq "ours increments after shipped" "10 0" "$(on_server cnt)"
write S dec cnt 4
t_eq "shipped \$mcdec on ours' counter: server" "6" "$(mc_get A cnt | tr -d ' ')"
readback "counter after shipped \$mcdec" O cnt
t_eq "counter after shipped \$mcdec: ours int form" "7" "$(hv X-Plus)"
# a counter the shipped module made from an integer write, ours changes it
write S set-int sc 100
write O dec sc 1
t_eq "ours \$mcdec on shipped's integer: server (no padding read)" "99" "$(mc_get A sc | tr -d ' ')"
readback "shipped's integer after ours \$mcdec" O sc
t_eq "shipped's integer after ours \$mcdec: ours string form" "99" "$(hv X-Val)"

echo "-- long keys (300 bytes, no whitespace): the same MD5 key"
lk1="L$(repeat x 298)1"
lk2="L$(repeat y 298)2"
write O set "$lk1" long1
write S set "$lk2" long2
t_eq "ours' long key: md5 on the server" "long1 1" "$(on_server "$(md5hex "$lk1")")"
t_eq "shipped's long key: md5 on the server" "long2 1" "$(on_server "$(md5hex "$lk2")")"
readback "ours -> shipped long key" S "$lk1"
t_eq "ours -> shipped long key: value" "long1" "$(hv X-Val)"
readback "shipped -> ours long key" O "$lk2"
t_eq "shipped -> ours long key: value" "long2" "$(hv X-Val)"

echo "-- deletes: each removes the other's key"
write O del ss1 x
t_eq "ours deleted shipped's key" "" "$(on_server ss1)"
write S del os1 x
t_eq "shipped deleted ours' key" "" "$(on_server os1)"

kam_alive O || t_fail "Kamailio with our module died"
kam_alive S || t_fail "Kamailio with the shipped module died"
t_done
