#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# One server command per operation (SPEC sections 2 and 7), counted by the
# memcached server itself ("stats"): $mct write and read, $mcinc and $mcdec
# on an existing key, $mctex, delete; with binary=1 also a counter created
# on a missing key. The shipped module is measured too (it needs two for
# $mcinc/$mcdec and $mctex) and printed for comparison, not asserted.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss
need_module

CFG="$TOP/tests/cfg/it-count.cfg"
start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""
start_kamailio T "$CFG" -A "$SRV" || exit 1
start_kamailio B "$CFG" -A "$SRV" -A MCD_BINARY=1 || exit 1
stock=no
if [ -f "$STOCK_MODULE" ]; then
	start_kamailio S "$CFG" -A "$SRV" -A USE_STOCK || exit 1
	stock=yes
fi

# delta VAR INST OP KEY [VAL]: sets VAR to the server commands one request
# cost; the reply is left in REPLY.
delta() {
	local var=$1 inst=$2 op=$3 key=$4 c0 c1
	shift 4
	c0=$(mc_cmds A)
	rq "$inst" "X-Op: $op" "X-Key: $key" "${@/#/X-Val: }"
	c1=$(mc_cmds A)
	printf -v "$var" '%s' $((c1 - c0))
}
N_set="" N_get="" N_setint="" N_inc="" N_dec="" N_tex="" N_del="" N_incmiss=""
# measure INST PREFIX: runs the sequence, sets N_<op> for each operation.
measure() {
	local i=$1 p=$2
	delta N_set "$i" set "${p}s" hello
	delta N_get "$i" get "${p}s"
	GOT=$(hv X-Val)
	delta N_setint "$i" set-int "${p}c" 5
	delta N_inc "$i" inc "${p}c"
	V_inc=$(mc_get A "${p}c")
	delta N_dec "$i" dec "${p}c"
	V_dec=$(mc_get A "${p}c" | tr -d ' ')
	delta N_tex "$i" tex "${p}s"
	V_tex=$(mc_get A "${p}s")
	T_tex=$(mc_ttl A "${p}s")
	delta N_del "$i" del "${p}s"
	V_del=$(mc_get A "${p}s")
	delta N_incmiss "$i" inc "${p}m"
}
# check WHAT: asserts the last measure of ours.
check() {
	local w=$1
	t_eq "$w: \$mct write = 1 command" 1 "$N_set"
	t_eq "$w: \$mct read = 1 command" 1 "$N_get"
	t_eq "$w: read value" hello "$GOT"
	t_eq "$w: int write = 1 command" 1 "$N_setint"
	t_eq "$w: \$mcinc existing = 1 command" 1 "$N_inc"
	t_eq "$w: \$mcinc result" 6 "$V_inc"
	t_eq "$w: \$mcdec existing = 1 command" 1 "$N_dec"
	t_eq "$w: \$mcdec result" 5 "$V_dec"
	t_eq "$w: \$mctex = 1 command" 1 "$N_tex"
	t_eq "$w: \$mctex keeps the value" hello "$V_tex"
	if [ -n "$T_tex" ] && [ "$T_tex" -ge 95 ] && [ "$T_tex" -le 100 ]; then
		t_pass "$w: \$mctex set the expiry ($T_tex)"
	else
		t_fail "$w: \$mctex set the expiry: got [$T_tex]"
	fi
	t_eq "$w: delete = 1 command" 1 "$N_del"
	t_eq "$w: delete removed the key" "" "$V_del"
}
row() {
	printf '  %-14s set=%s get=%s inc=%s dec=%s tex=%s del=%s inc(missing)=%s\n' \
		"$1" "$N_set" "$N_get" "$N_inc" "$N_dec" "$N_tex" "$N_del" "$N_incmiss"
}

echo "-- ours, text protocol"
measure T t:
row "ours text:"
check "text"
t_eq "text: \$mcinc(missing) created the counter" 1 "$(mc_get A t:m)"
ROWS=$(row "ours text:")

echo "-- ours, binary protocol"
measure B b:
row "ours binary:"
check "binary"
t_eq "binary: \$mcinc(missing) created the counter" 1 "$(mc_get A b:m)"
ROWS+=$'\n'$(row "ours binary:")
# A binary increment that creates the key (initial value + expiry) is not
# counted in any "stats" command counter, so count items and bytes instead:
# one increment request is 24 (header) + 20 (extras) + key bytes.
st() { printf '%s\n' "$1" | awk -v f="$2" '$2==f {print $3}'; }
# a "stats" alone on its connection (no "quit"), so bytes_read counts a
# fixed 7 bytes per snapshot
snap() {
	printf 'stats\r\n' | timeout 5 nc -N 127.0.0.1 "$MC_PORT_A" | tr -d '\r'
}
s0=$(snap)
s1=$(snap)
overhead=$(($(st "$s1" bytes_read) - $(st "$s0" bytes_read)))
for op in inc dec; do
	key="b:new$op"
	s0=$(snap)
	rq B "X-Op: $op" "X-Key: $key"
	s1=$(snap)
	d_items=$(($(st "$s1" total_items) - $(st "$s0" total_items)))
	d_bytes=$(($(st "$s1" bytes_read) - $(st "$s0" bytes_read) - overhead))
	d_miss=$(($(st "$s1" ${op}r_misses) - $(st "$s0" ${op}r_misses)))
	d_set=$(($(st "$s1" cmd_set) - $(st "$s0" cmd_set)))
	want=$(( $([ $op = inc ] && echo 1 || echo 0) ))
	t_eq "binary: \$mc$op(missing) created the key" "$want" "$(mc_get A "$key")"
	t_eq "binary: \$mc$op(missing): one item stored" 1 "$d_items"
	t_eq "binary: \$mc$op(missing): no miss-then-add" "0 0" "$d_miss $d_set"
	t_eq "binary: \$mc$op(missing): one request on the wire (bytes)" \
		$((24 + 20 + ${#key})) "$d_bytes"
done

echo "-- shipped module"
if [ "$stock" = yes ]; then
	measure S s:
	ROWS+=$'\n'$(row "shipped:")
else
	t_skip "shipped module part: $STOCK_MODULE not installed (kamailio-memcached-modules)"
fi
echo "  server commands per operation:"
printf '%s\n' "$ROWS"
t_done
