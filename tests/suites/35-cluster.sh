#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# Clusters through a real Kamailio (SPEC sections 1 and 6): keys spread over
# two and three servers, weights, a dead server with failover on and off, its
# return, an IPv6 server and a unix socket.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss
need_module

CFG="$TOP/tests/cfg/it-cluster.cfg"
now_ms() { date +%s%3N; }
# bulk NAME OP PREFIX N: one request over N keys; sets OK, FAILED, MS (ms
# the worker spent on it, X-Us: a busy machine delays the client, not this).
bulk() {
	local t0 us
	t0=$(now_ms)
	rq "$1" "X-Op: $2" "X-Key: $3" "X-N: $4"
	MS=$(($(now_ms) - t0))
	us=$(hv X-Us)
	[[ "$us" =~ ^[0-9]+$ ]] && MS=$((us / 1000))
	OK=$(hv X-Ok)
	FAILED=$(hv X-Failed | xargs)
}
# holders PREFIX N SRV...: for each key index, the server holding it
# ("none" when no server does); one line per index.
holders() {
	local p=$1 n=$2 i s h
	shift 2
	for ((i = 0; i < n; i++)); do
		h=none
		for s in "$@"; do
			if mc_has "$s" "$p$i"; then h=$s; break; fi
		done
		echo "$h"
	done
}
# indexes_on SRV: from a holders listing on stdin, the indexes on SRV.
indexes_on() { awk -v s="$1" '$1==s {printf "%s%d", (n++ ? " " : ""), NR - 1}'; }

for n in A B C; do start_memcached $n || exit 1; done
S3="127.0.0.1:$MC_PORT_A,127.0.0.1:$MC_PORT_B,127.0.0.1:$MC_PORT_C"

echo "-- three servers"
start_kamailio K3 "$CFG" -A "MCD_SERVERS=\"$S3\"" || exit 1
bulk K3 set s 60
bulk K3 get s 60
t_eq "60 keys read back" 60 "$OK"
a=$(mc_items A) b=$(mc_items B) c=$(mc_items C)
t_log "items per server: $a $b $c"
if [ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ "$c" -gt 0 ]; then t_pass "every server holds some keys"; else t_fail "keys not spread: $a $b $c"; fi
t_eq "each key stored once" 60 $((a + b + c))

echo "-- two servers"
start_memcached D || exit 1
start_memcached E || exit 1
start_kamailio K2 "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_D,127.0.0.1:$MC_PORT_E\"" || exit 1
bulk K2 set s 60
bulk K2 get s 60
t_eq "60 keys read back" 60 "$OK"
d=$(mc_items D) e=$(mc_items E)
t_log "items per server: $d $e"
if [ "$d" -gt 0 ] && [ "$e" -gt 0 ]; then t_pass "both servers hold some keys"; else t_fail "keys not spread: $d $e"; fi
t_eq "each key stored once" 60 $((d + e))

echo "-- weights 3:1"
start_memcached F || exit 1
start_memcached G || exit 1
start_kamailio KW "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_F:3,127.0.0.1:$MC_PORT_G:1\"" || exit 1
bulk KW set w 400
f=$(mc_items F) g=$(mc_items G)
t_log "items: weight 3: $f, weight 1: $g"
t_eq "each key stored once" 400 $((f + g))
if [ $((2 * f)) -gt $((3 * g)) ]; then t_pass "weight 3 server holds over 1.5 times the keys of weight 1"; else t_fail "weights not applied: $f vs $g"; fi
if [ "$g" -gt 0 ]; then t_pass "weight 1 server still gets keys"; else t_fail "weight 1 server holds no keys"; fi

echo "-- one server dead, failover=1"
RETRY=3
start_kamailio KF "$CFG" -A "MCD_SERVERS=\"$S3\"" -A MCD_TIMEOUT=500 \
	-A "MCD_RETRY=$RETRY" -A MCD_FAILOVER=1 || exit 1
bulk KF set h 60
map=$(holders h 60 A B C)
onc=$(printf '%s\n' "$map" | indexes_on C)
t_log "keys on C: $onc"
[ -n "$onc" ] || t_fail "no key of the 60 maps to C"
stop_pid "$MC_PID_C"
a0=$(mc_items A) b0=$(mc_items B)
bulk KF rw h 60
t_log "first pass after C stopped: $OK/60 ok in $MS ms (failed: ${FAILED:-none})"
if [ "$OK" -ge 59 ]; then t_pass "failover=1: writes+reads succeed (at most one failure while C is found dead)"; else t_fail "failover=1: only $OK/60 succeeded"; fi
if [ "$MS" -lt 3000 ]; then t_pass "failover=1: at most one timeout ($MS ms)"; else t_fail "failover=1: pass took $MS ms"; fi
bulk KF rw h 60
t_eq "failover=1: second pass all succeed" 60 "$OK"
moved=0
for i in $onc; do
	if mc_has A "h$i" || mc_has B "h$i"; then moved=$((moved + 1)); fi
done
t_eq "failover=1: keys of C now on A or B" "$(wc -w <<< "$onc")" "$moved"
a1=$(mc_items A) b1=$(mc_items B)
t_log "items on A, B before/after: $a0/$a1 $b0/$b1"

echo "-- one server dead, failover=0"
start_kamailio K0 "$CFG" -A "MCD_SERVERS=\"$S3\"" -A MCD_TIMEOUT=500 \
	-A "MCD_RETRY=$RETRY" -A MCD_FAILOVER=0 || exit 1
bulk K0 rw h 60
t_log "first pass: $OK/60 ok in $MS ms (failed: ${FAILED:-none})"
t_eq "failover=0: exactly the keys of C fail" "$onc" "$FAILED"
bulk K0 rw h 60
t_eq "failover=0: second pass, same keys fail" "$onc" "$FAILED"
if [ "$MS" -lt 1000 ]; then t_pass "failover=0: they fail fast ($MS ms for 60 keys)"; else t_fail "failover=0: pass took $MS ms"; fi

echo "-- dead server back"
restart_memcached C || t_fail "memcached C restart"
sleep $((RETRY + 1))
bulk KF rw n 60
t_eq "failover=1 after C is back: all succeed" 60 "$OK"
bulk K0 rw n 60
t_eq "failover=0 after C is back: all succeed" 60 "$OK"
c=$(mc_items C)
if [ "$c" -gt 0 ]; then t_pass "traffic reaches C again ($c items)"; else t_fail "C gets no keys after its return"; fi
bulk KF rw h 60
back=$(for ((i = 0; i < 60; i++)); do mc_has C "h$i" && echo "$i"; done)
t_eq "C holds again exactly the keys that map to it" "$onc" "$(printf '%s\n' "$back" | xargs)"

echo "-- IPv6 [::1]"
p6=$(free_port)
if [ -n "$p6" ] && ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
	memcached -u root -l ::1 -p "$p6" -U 0 -t 2 > "$T_DIR/memcached-v6.log" 2>&1 &
	T_PIDS+=("$!")
	up=no
	for i in $(seq 1 30); do
		if { printf 'version\r\nquit\r\n'; } | timeout 2 nc -N ::1 "$p6" 2>/dev/null | grep -q VERSION; then up=yes; break; fi
		sleep 0.1
	done
	if [ "$up" = yes ]; then
		start_kamailio K6 "$CFG" -A "MCD_SERVERS=\"[::1]:$p6\"" || exit 1
		bulk K6 rw six 5
		t_eq "IPv6 server: 5 keys written and read" 5 "$OK"
		v=$({ printf 'get six3\r\nquit\r\n'; } | timeout 5 nc -N ::1 "$p6" | tr -d '\r' | sed -n 2p)
		t_eq "IPv6 server holds the value" v3 "$v"
	else
		t_skip "IPv6 part: memcached cannot listen on [::1] here"
	fi
else
	t_skip "IPv6 part: no IPv6 loopback here"
fi

echo "-- unix socket"
sock="$T_DIR/mc.sock"
memcached -u root -s "$sock" -t 2 > "$T_DIR/memcached-unix.log" 2>&1 &
T_PIDS+=("$!")
for i in $(seq 1 30); do [ -S "$sock" ] && break; sleep 0.1; done
start_kamailio KU "$CFG" -A "MCD_SERVERS=\"$sock\"" || exit 1
bulk KU rw ux 5
t_eq "unix socket: 5 keys written and read" 5 "$OK"
v=$({ printf 'get ux2\r\nquit\r\n'; } | timeout 5 nc -N -U "$sock" | tr -d '\r' | sed -n 2p)
t_eq "unix socket server holds the value" v2 "$v"

for n in K3 K2 KW KF K0 KU; do kam_alive "$n" || t_fail "Kamailio $n died"; done
t_done
