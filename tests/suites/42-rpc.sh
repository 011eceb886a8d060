#!/bin/bash
# mcd-leg: kamailio
# RPC (SPEC section 5): memcached.stats counts exactly the operations sent,
# summed over all Kamailio processes, through kamcmd (binrpc) and JSON-RPC;
# memcached.check reports a stopped server as dead and a live one as up;
# timeouts, failfast per server and in the totals, servers_dead in the totals.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

for t in memcached sipsak nc ss kamcmd python3 mkfifo; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed"; exit 77; }
done
[ -f "$OUR_MODULE" ] || { echo "  skipped: $OUR_MODULE not built (run make)"; exit 77; }

CFG="$TOP/tests/cfg/func-basic.cfg"

RC="" PID=""
op() {
	local name=$1 o=$2 r; shift 2
	r=$(sip_req "$name" OPTIONS "X-Op: $o" "$@")
	RC=$(reply_hdr "$r" X-Rc)
	PID=$(reply_hdr "$r" X-Pid)
}
# kstat NAME CMD ADDR|totals FIELD: one field of kamcmd's output for a
# server (by address) or of the totals.
kstat() {
	kamcmd_to "$1" "$2" | awk -v want="$3" -v f="$4:" '
		$1 == "address:" { cur = $2 }
		$1 == "totals:" { cur = "totals" }
		cur == want && $1 == f { print $2; exit }'
}
# jrpc NAME METHOD PYEXPR: evaluates PYEXPR on the JSON-RPC result `r`
# (the request goes through the jsonrpcs FIFO of instance NAME).
jrpc() {
	local rpl="jrpl-$1" p
	rm -f "$T_DIR/$rpl" "$T_DIR/$rpl.out"
	mkfifo "$T_DIR/$rpl"
	timeout 10 cat "$T_DIR/$rpl" > "$T_DIR/$rpl.out" &
	p=$!
	printf '{"jsonrpc":"2.0","method":"%s","id":1,"reply_name":"%s"}\n' \
		"$2" "$rpl" | timeout 10 tee "$T_DIR/jfifo-$1" >/dev/null
	wait "$p"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["result"]; print(eval(sys.argv[2]))' \
		"$T_DIR/$rpl.out" "$3" 2>&1 | tail -1
}
# the fields of every server and the totals, as one line per server
stats_line() {
	kamcmd_to "$1" memcached.stats | awk '
		$1 == "address:" { a = $2 }
		$1 == "totals:" { a = "totals" }
		$1 ~ /^(state|ops|hits|misses|errors|timeouts|failfast|servers_dead):$/ { v[a] = v[a] " " $1 $2 }
		END { for (k in v) print k v[k] }' | sort
}

start_memcached A || exit 1
start_kamailio R "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\"" \
	-A "JSONRPC_FIFO=\"$T_DIR/jfifo-R\"" -A "JSONRPC_DIR=\"$T_DIR/\"" || exit 1
SA="127.0.0.1:$MC_PORT_A"

echo "-- memcached.stats counts the operations sent"
t_eq "before any operation" "$SA state:up ops:0 hits:0 misses:0 errors:0 timeouts:0 failfast:0" \
	"$(stats_line R | grep "^$SA")"
op R add "X-Key: r1" "X-Val: v"        # ops 1
op R add "X-Key: r1" "X-Val: v"        # ops 2 (exists: not an error)
op R mct "X-Key: r1"                   # ops 3, hit
op R mct "X-Key: r-missing"            # ops 4, miss
op R incr "X-Key: rc" "X-Delta: 1"     # ops 5 (created: one operation)
op R delete "X-Key: r-missing"         # ops 6 (not found: not an error)
op R touch "X-Key: r1" "X-Exp: 100"    # ops 7
op R replace "X-Key: r1" "X-Val: w"    # ops 8
op R addex "X-Key: r2" "X-Val: v" "X-Exp: bad"   # -3: nothing sent
t_eq "bad argument was refused" -3 "$RC"
t_eq "8 operations: per server" "$SA state:up ops:8 hits:1 misses:1 errors:0 timeouts:0 failfast:0" \
	"$(stats_line R | grep "^$SA")"
t_eq "8 operations: totals" "totals ops:8 hits:1 misses:1 errors:0 timeouts:0 failfast:0 servers_dead:0" \
	"$(stats_line R | grep "^totals")"
for _ in $(seq 1 12); do op R incr "X-Key: rc" "X-Delta: 1"; done
t_eq "20 operations: ops" 20 "$(kstat R memcached.stats "$SA" ops)"
t_eq "counter on server agrees" 13 "$(mc_get A rc)"

echo "-- JSON-RPC reads the same structure"
t_eq "json: servers is an array of one" 1 "$(jrpc R memcached.stats 'len(r["servers"])')"
t_eq "json: address" "$SA" "$(jrpc R memcached.stats 'r["servers"][0]["address"]')"
t_eq "json: state" up "$(jrpc R memcached.stats 'r["servers"][0]["state"]')"
t_eq "json: ops is a number" 20 "$(jrpc R memcached.stats 'int(r["servers"][0]["ops"])')"
t_eq "json: totals" "20 1 1 0" \
	"$(jrpc R memcached.stats '"%d %d %d %d" % (r["totals"]["ops"], r["totals"]["hits"], r["totals"]["misses"], r["totals"]["errors"])')"
t_eq "json: timeouts, failfast, servers_dead in the totals" "0 0 0" \
	"$(jrpc R memcached.stats '"%d %d %d" % (r["totals"]["timeouts"], r["totals"]["failfast"], r["totals"]["servers_dead"])')"
t_eq "json: check" "up True" \
	"$(jrpc R memcached.check 'r["servers"][0]["state"] + " " + str(r["servers"][0]["rtt_us"] >= 0)')"

echo "-- totals over several worker processes"
start_kamailio W "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\"" -A KAM_CHILDREN=4 || exit 1
pids=()
for i in $(seq 1 30); do
	op W incr "X-Key: w-cnt" "X-Delta: 1"
	pids+=("$PID")
done
nproc=$(printf "%s\n" "${pids[@]}" | sort -u | grep -c .)
t_log "30 requests were handled by $nproc worker process(es)"
t_eq "counter on server" 30 "$(mc_get A w-cnt)"
# each Kamailio instance has its own counters (its own shared memory)
t_eq "totals of W: 30 ops from all its workers" 30 "$(kstat W memcached.stats totals ops)"

echo "-- a stopped server: check reports it dead, stats after it failed"
start_memcached B || exit 1
SB="127.0.0.1:$MC_PORT_B"
start_kamailio D "$CFG" -A "MCD_SERVERS=\"$SA,$SB\"" -A MCD_RETRY=60 || exit 1
t_eq "check: first server up" up "$(kstat D memcached.check "$SA" state)"
t_eq "check: second server up" up "$(kstat D memcached.check "$SB" state)"
rtt=$(kstat D memcached.check "$SA" rtt_us)
if [[ "$rtt" =~ ^[0-9]+$ ]]; then t_pass "check: rtt_us is a number ($rtt)"; else
	t_fail "check: rtt_us [$rtt]"; fi
t_eq "stats before the stop: second server up" up "$(kstat D memcached.stats "$SB" state)"
stop_pid "$MC_PID_B"
t_eq "check: stopped server is dead" dead "$(kstat D memcached.check "$SB" state)"
t_eq "check: live server still up" up "$(kstat D memcached.check "$SA" state)"
# keys spread over both servers: some land on the stopped one and fail
for i in $(seq 1 16); do op D add "X-Key: d$i" "X-Val: v"; done
t_eq "stats: stopped server is dead after it failed" dead "$(kstat D memcached.stats "$SB" state)"
t_eq "stats: live server is up" up "$(kstat D memcached.stats "$SA" state)"
t_eq "stats: one server dead in the totals" 1 "$(kstat D memcached.stats totals servers_dead)"
errs=$(kstat D memcached.stats "$SB" errors)
if [[ "$errs" =~ ^[0-9]+$ ]] && [ "$errs" -ge 1 ]; then t_pass "stats: errors counted ($errs)"; else
	t_fail "stats: errors of the stopped server [$errs]"; fi
tot=$(kstat D memcached.stats totals ops)
a=$(kstat D memcached.stats "$SA" ops) b=$(kstat D memcached.stats "$SB" ops)
t_eq "stats: totals are the sum of the servers" "$tot" "$((a + b))"
t_eq "stats: every operation counted once" 16 "$tot"

t_done
