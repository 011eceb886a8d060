#!/bin/bash
# shellcheck source-path=SCRIPTDIR disable=SC2153
# Rolling upgrade (SPEC sections 2, 3): the shipped module and ours share one
# memcached and read each other's strings, integers, counters and long keys.
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

# xfer WHAT WRITER READER OP KEY VAL: READER reads what WRITER wrote; the
# reader's reply is left in REPLY.
xfer() {
	local what=$1 w=$2 r=$3 op=$4 key=$5 val=$6
	rq "$w" "X-Op: $op" "X-Key: $key" "X-Val: $val"
	rq "$r" "X-Key: $key" "X-Read: yes"
	t_eq "$what: found" "no" "$(hv X-Null)"
}

echo "-- strings"
xfer "ours -> shipped string" O S set os1 "hello world"
t_eq "ours -> shipped string: value" "hello world" "$(hv X-Val)"
t_eq "ours -> shipped string: is a string" "hello world1" "$(hv X-Plus)"
xfer "shipped -> ours string" S O set so1 "bye"
t_eq "shipped -> ours string: value" "bye" "$(hv X-Val)"
t_eq "shipped -> ours string: is a string" "bye1" "$(hv X-Plus)"
t_eq "same flags on the server" "1 1" "$(mc_flags A os1) $(mc_flags A so1)"

echo "-- integers"
xfer "ours -> shipped int" O S set-int oi1 42
t_eq "ours -> shipped int: int form" "43" "$(hv X-Plus)"
xfer "shipped -> ours int" S O set-int si1 42
t_eq "shipped -> ours int: string form" "42" "$(hv X-Val)"
t_eq "shipped -> ours int: int form" "43" "$(hv X-Plus)"
t_eq "same int encoding on the server" "42 0 42 0" \
	"$(mc_get A oi1) $(mc_flags A oi1) $(mc_get A si1) $(mc_flags A si1)"

echo "-- counters"
xfer "ours creates a counter, shipped reads" O S inc cnt 5
t_eq "counter created by ours: shipped int form" "6" "$(hv X-Plus)"
xfer "shipped increments it, ours reads" S O inc cnt 2
t_eq "counter after shipped \$mcinc: ours string form" "7" "$(hv X-Val)"
t_eq "counter after shipped \$mcinc: ours int form" "8" "$(hv X-Plus)"
rq O "X-Op: inc" "X-Key: cnt" "X-Val: 3"
t_eq "ours increments after shipped" "10" "$(mc_get A cnt)"

echo "-- long keys (300 bytes, no whitespace)"
lk1="L$(repeat x 298)1"
lk2="L$(repeat y 298)2"
xfer "ours -> shipped long key" O S set "$lk1" long1
t_eq "ours -> shipped long key: value" "long1" "$(hv X-Val)"
t_eq "ours -> shipped long key: md5 on the server" "long1" "$(mc_get A "$(md5hex "$lk1")")"
xfer "shipped -> ours long key" S O set "$lk2" long2
t_eq "shipped -> ours long key: value" "long2" "$(hv X-Val)"
t_eq "shipped -> ours long key: md5 on the server" "long2" "$(mc_get A "$(md5hex "$lk2")")"

kam_alive O || t_fail "Kamailio with our module died"
kam_alive S || t_fail "Kamailio with the shipped module died"
t_done
