#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# Near cache (SPEC section 9) through the real Kamailio, counting the
# commands that reach memcached from the server's own "stats":
# repeated reads answered locally, another client's change seen within the
# bound, local writes seen at once by every worker, misses cached, the size
# bound and flat shm, unlisted keys and counters/add untouched, near_flush,
# the statistics, and start-up errors for bad parameters.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss kamcmd
need_module

CFG="$TOP/tests/cfg/it-near.cfg"
start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""
BOUND=1000

now_ms() { date +%s%3N; }
gets() { mc_stat A cmd_get; }
# kstat NAME FIELD: one statistic of the memcached group
kstat() {
	kamcmd_to "$1" stats.get_statistics memcached: 2>/dev/null |
		awk -v f="memcached:$2" '$1==f {print $3}'
}
# near_field NAME FIELD: hits/misses/entries of the "near" member of
# memcached.stats
near_field() {
	kamcmd_to "$1" memcached.stats 2>/dev/null | awk -v f="$2:" '
		$1=="near:" {n=1} n && $1==f {print $2; exit}'
}
CRASH='segfault\|SIGSEGV\|SIGABRT\|signal 11\|signal 6\|core dump\|BUG:'
# stop_clean NAME: SIGTERM; the near cache is freed once, in the main
# process, after the workers ended: exit status 0 and no crash in the log
stop_clean() {
	local v="KAM_PID_$1" lv="KAM_LOG_$1" rc
	kill "${!v}" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "${!v}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${!v}" 2>/dev/null; then
		t_fail "$1: still running 10 s after SIGTERM"
		stop_pid "${!v}"
		return
	fi
	wait "${!v}" 2>/dev/null
	rc=$?
	t_eq "$1: exits cleanly on SIGTERM" 0 "$rc"
	t_eq "$1: no crash in the log" 0 "$(grep -c "$CRASH" "${!lv}")"
}
shm_used() {
	kamcmd_to "$1" core.shmmem 2>/dev/null | awk '$1=="used:" {print $2; exit}'
}

start_kamailio A "$CFG" -A "$SRV" \
	-A "NEAR_SPEC=\"nc:=$BOUND;big:=60000\"" || exit 1

echo "# 1000 reads of a near-cached key in one request: one command at most"
mc_set A big:k1 0 0 hello >/dev/null
h0=$(kstat A near_hits)
m0=$(kstat A near_misses)
g0=$(gets)
rq A "X-Op: get" "X-Key: big:k1" "X-N: 1000"
g1=$(gets)
t_eq "value read" hello "$(hv X-Val)"
t_range "commands sent for 1000 reads" 0 1 $((g1 - g0))
h1=$(kstat A near_hits)
m1=$(kstat A near_misses)
t_range "statistic near_hits grew by the reads answered locally" 999 1000 \
	$((h1 - h0))
t_range "statistic near_misses grew by the read that went out" 0 1 \
	$((m1 - m0))
rq A "X-Op: get" "X-Key: big:k1" "X-N: 1000"
t_eq "a second request: no command at all" "$g1" "$(gets)"

echo "# a key without a listed prefix is never cached"
mc_set A other:k 0 0 plain >/dev/null
g0=$(gets)
rq A "X-Op: get" "X-Key: other:k" "X-N: 100"
t_eq "value read" plain "$(hv X-Val)"
t_eq "100 reads, 100 commands" 100 $(($(gets) - g0))
# "n" alone is not the prefix "nc:"
mc_set A nc 0 0 short >/dev/null
g0=$(gets)
rq A "X-Op: get" "X-Key: nc" "X-N: 10"
t_eq "a key shorter than the prefix: every read sent" 10 $(($(gets) - g0))

echo "# another client's change is seen within the bound ($BOUND ms)"
# The entry's age counts from the fetch, which happens inside the first
# request, between t0 (before sending it) and t1 (its reply). So a read
# answered before t0 + BOUND must still see the old value, and a read sent
# after t1 + BOUND + 100 must see the new one. Both hold however slow the
# machine: they are bounds on when requests are sent and answered, and the
# polling in between only shows where the change appeared.
mc_set A nc:s 0 0 old >/dev/null
t0=$(now_ms)
rq A "X-Op: get" "X-Key: nc:s"
t1=$(now_ms)
t_eq "first read" old "$(hv X-Val)"
mc_set A nc:s 0 0 new >/dev/null
early_new=0 late_old=0 seen_at="" polls=0
# bounded: at most 4 s of polling
while [ $(($(now_ms) - t1)) -lt $((BOUND + 3000)) ]; do
	s=$(now_ms)
	rq A "X-Op: get" "X-Key: nc:s"
	e=$(now_ms)
	v=$(hv X-Val)
	polls=$((polls + 1))
	if [ "$v" = new ]; then
		[ -n "$seen_at" ] || seen_at=$((s - t1))
		[ "$e" -lt $((t0 + BOUND)) ] && early_new=$((early_new + 1))
	elif [ "$s" -gt $((t1 + BOUND + 100)) ]; then
		late_old=$((late_old + 1))
	fi
	[ -n "$seen_at" ] && [ "$s" -gt $((t1 + BOUND + 200)) ] && break
	sleep 0.05
done
t_log "$polls reads; first one showing the change sent ${seen_at:-never} ms after the fetch (fetch took $((t1 - t0)) ms)"
t_eq "no read answered before the bound saw the change" 0 "$early_new"
t_eq "no read sent after bound + 100 ms saw the old value" 0 "$late_old"
if [ -n "$seen_at" ]; then t_pass "the change was seen"; else t_fail "the change was never seen"; fi

echo "# a local write in one worker is seen at once by the others"
mc_set A nc:w 0 0 v1 >/dev/null
rq A "X-Op: get" "X-Key: nc:w"
t_eq "cached first" v1 "$(hv X-Val)"
# the writer sleeps 1.5 s after its write, so the read that follows is
# handled by another worker (checked by the process ids)
wf="$T_DIR/writer.reply"
sip_req A OPTIONS "X-Op: set" "X-Key: nc:w" "X-Val: v2" "X-Sleep: 1500" > "$wf" &
wpid=$!
# bounded: wait up to 5 s for the write to reach the server (the writer
# then sleeps 1.5 s, and the read below follows at once)
for _ in $(seq 1 100); do
	[ "$(mc_get A nc:w)" = v2 ] && break
	sleep 0.05
done
g0=$(gets)
rq A "X-Op: get" "X-Key: nc:w"
g1=$(gets)
rpid=$(hv X-Pid)
t_eq "the other worker reads the new value" v2 "$(hv X-Val)"
t_eq "answered from the near cache (no command)" "$g0" "$g1"
wait "$wpid"
w=$(reply_hdr "$(cat "$wf")" X-Pid)
if [ -n "$w" ] && [ -n "$rpid" ] && [ "$w" != "$rpid" ]; then
	t_pass "written by worker $w, read by worker $rpid"
else
	t_fail "writer [$w] and reader [$rpid] not two different workers"
fi
rq A "X-Op: get" "X-Key: nc:w"
t_eq "later read (any worker)" v2 "$(hv X-Val)"

echo "# a missing key is asked for once per bound"
g0=$(gets)
mi0=$(mc_stat A get_misses)
rq A "X-Op: get" "X-Key: nc:missing" "X-N: 200"
t_eq "read as absent" "<absent>" "$(hv X-Val)"
t_eq "200 reads, 1 command" 1 $(($(gets) - g0))
t_eq "one server miss" 1 $(($(mc_stat A get_misses) - mi0))
sleep $((BOUND / 1000 + 1))
rq A "X-Op: get" "X-Key: nc:missing" "X-N: 200"
t_eq "after the bound: asked once more" 2 $(($(gets) - g0))

echo "# counters and mcd_add always go to the server"
mc_set A nc:cnt 0 0 5 >/dev/null
rq A "X-Op: get" "X-Key: nc:cnt"
t_eq "counter read (now cached)" 5 "$(hv X-Val)"
rq A "X-Op: inc" "X-Key: nc:cnt" "X-Val: 1"
t_eq "a read after \$mcinc sees the new value" 6 "$(hv X-Val)"
mc_set A nc:cnt 0 0 100 >/dev/null
rq A "X-Op: inc" "X-Key: nc:cnt" "X-Val: 1"
t_eq "\$mcinc works on the server's value" 101 "$(hv X-Val)"
t_eq "server holds it" 101 "$(mc_get A nc:cnt)"
rq A "X-Op: get" "X-Key: nc:addk"
t_eq "missing, cached as absent" "<absent>" "$(hv X-Val)"
mc_set A nc:addk 0 0 theirs >/dev/null
rq A "X-Op: add" "X-Key: nc:addk" "X-Val: mine"
t_eq "mcd_add sees the server's key (not stored: -1)" -1 "$(hv X-Rc)"
t_eq "server value kept" theirs "$(mc_get A nc:addk)"
rq A "X-Op: add" "X-Key: nc:addnew" "X-Val: mine"
t_eq "mcd_add of a new key stores it" 1 "$(hv X-Rc)"
t_eq "on the server" mine "$(mc_get A nc:addnew)"

echo "# memcached.near_flush empties it"
e0=$(near_field A entries)
t_range "entries before" 1 4096 "$e0"
out=$(kamcmd_to A memcached.near_flush 2>&1)
d=$(printf '%s\n' "$out" | awk '$1=="dropped:" {print $2}')
t_range "near_flush reports the entries dropped" 1 "$e0" "$d"
t_eq "entries after" 0 "$(near_field A entries)"
g0=$(gets)
rq A "X-Op: get" "X-Key: big:k1"
t_eq "value read again" hello "$(hv X-Val)"
t_eq "the next read goes to the server" 1 $(($(gets) - g0))
stop_clean A

echo "# size bound: near_cache_size=100, 20,000 distinct keys"
start_kamailio B "$CFG" -A "$SRV" -A 'NEAR_SPEC="sz:=60000"' \
	-A NEAR_SIZE=100 || exit 1
N=20000 STEP=1000
for ((f = 0; f < N; f += STEP)); do
	rq B "X-Op: fill" "X-Key: sz:" "X-From: $f" "X-N: $STEP"
	answered || { t_fail "fill from $f: no reply"; break; }
done
t_eq "20,000 keys written" "$N" "$(mc_items A | awk -v n="$N" '{print ($1 >= n) ? n : $1}')"
maxe=0
# warm-up: the first 2,000 reads fill the cache to its bound
rq B "X-Op: many" "X-Key: sz:" "X-From: 0" "X-N: 2000"
s0=$(shm_used B)
g0=$(gets)
for ((f = 2000; f < N; f += STEP)); do
	rq B "X-Op: many" "X-Key: sz:" "X-From: $f" "X-N: $STEP"
	[ "$(hv X-Found)" = "$STEP" ] || t_fail "read from $f: found [$(hv X-Found)]"
	e=$(near_field B entries)
	[ "${e:-0}" -gt "$maxe" ] && maxe=$e
done
s1=$(shm_used B)
t_range "entries never above near_cache_size" 1 100 "$maxe"
t_eq "every read of a key not cached went out" $((N - 2000)) $(($(gets) - g0))
t_log "shm used: $s0 -> $s1"
# 18,000 entries of ~160 bytes would be ~3 MB; 64 KB is noise (timers,
# statistics, allocator fragments)
t_range "shm use flat (growth <= 64 KB)" -65536 65536 $((s1 - s0))
t_eq "no error lines" 0 "$(grep -c ERROR "$KAM_LOG_B")"
stop_clean B

echo "# near cache off (default): near_flush is a fault, statistics 0"
start_kamailio C "$CFG" -A "$SRV" || exit 1
mc_set A nc:off 0 0 x >/dev/null
g0=$(gets)
rq C "X-Op: get" "X-Key: nc:off" "X-N: 10"
t_eq "every read sent" 10 $(($(gets) - g0))
out=$(kamcmd_to C memcached.near_flush 2>&1)
if printf '%s\n' "$out" | grep -q 'near cache is off'; then
	t_pass "near_flush: clear fault"
else
	t_fail "near_flush while off answered [$out]"
fi
t_eq "near_hits 0" 0 "$(kstat C near_hits)"
t_eq "near_misses 0" 0 "$(kstat C near_misses)"
t_eq "no near member in memcached.stats" "" "$(near_field C entries)"
stop_pid "$KAM_PID_C"

echo "# doc/examples/near-cache.cfg gives what its header announces"
SYS_MODS=/usr/lib/x86_64-linux-gnu/kamailio/modules
start_kamailio E "$TOP/doc/examples/near-cache.cfg" -L "$TOP:$SYS_MODS" \
	-A "$SRV" -A "CTL_SOCKET=\"unix:$T_DIR/kam-E/ctl\"" || exit 1
rq E
t_eq "no route: default" default "$(reply_hdr "$REPLY" X-Mcd-Route)"
rq E "X-Route: gw1"
t_eq "a route written through the module shows at once" gw1 \
	"$(reply_hdr "$REPLY" X-Mcd-Route)"
t_eq "on the server" gw1 "$(mc_get A route:test)"
mc_set A route:test 0 0 gw2 >/dev/null
rq E
t_eq "another client's change: not yet (bound 5 s)" gw1 \
	"$(reply_hdr "$REPLY" X-Mcd-Route)"
rq E
t_eq "not blocked" 200 "$(printf '%s\n' "$REPLY" | awk '/^SIP\/2.0 /{c=$2} END {print c}')"
mc_set A bl:127.0.0.1 0 0 1 >/dev/null
ts=$(now_ms) code="" after=""
# bounded: 2 s bound + 2 s margin for a loaded machine
while [ $(($(now_ms) - ts)) -lt 4000 ]; do
	rq E
	code=$(printf '%s\n' "$REPLY" | awk '/^SIP\/2.0 /{c=$2} END {print c}')
	[ "$code" = 403 ] && { after=$(($(now_ms) - ts)); break; }
	sleep 0.1
done
t_eq "a blocked address gets 403 within the 2 s bound (+2 s margin)" 403 "$code"
t_log "403 after ${after:-never} ms"
mc_cmd A "delete bl:127.0.0.1" >/dev/null
stop_pid "$KAM_PID_E"

echo "# noreply=1: a write, then at once reads in other workers, never"
echo "# leave the value it replaced cached (the write waits for its answer);"
echo "# the server is held still meanwhile, so it may serve them in any order"
start_kamailio Q "$CFG" -A "$SRV" -A "NEAR_SPEC=\"nq:=60000\"" -A NOREPLY || exit 1
stale=0
for i in $(seq 1 10); do
	kill -STOP "$MC_PID_A"
	sip_req Q OPTIONS "X-Op: set" "X-Key: nq:k" "X-Val: v$i" >/dev/null &
	jobs_q=("$!")
	sleep 0.1
	for _ in 1 2 3; do
		sip_req Q OPTIONS "X-Op: get" "X-Key: nq:k" >/dev/null &
		jobs_q+=("$!")
	done
	sleep 0.3
	kill -CONT "$MC_PID_A"
	wait "${jobs_q[@]}"
	for _ in 1 2 3 4 5 6; do
		REPLY=$(sip_req Q OPTIONS "X-Op: get" "X-Key: nq:k")
		[ "$(hv X-Val)" = "v$i" ] || stale=$((stale + 1))
	done
done
t_eq "reads after each write: the written value, never an older one" 0 "$stale"
stop_pid "$KAM_PID_Q"

echo "# bad parameters stop start-up with one clear error"
# expect_fail NAME REGEX DEFS...: Kamailio must not start; its log names it
expect_fail() {
	local name=$1 re=$2 lv
	shift 2
	if start_kamailio "$name" "$CFG" -A "$SRV" "$@" 2>/dev/null; then
		lv="KAM_PID_$name"
		t_fail "$name: started"
		stop_pid "${!lv}"
		return
	fi
	lv="KAM_LOG_$name"
	t_eq "$name: one error line naming the parameter" 1 \
		"$(grep -c "ERROR: .*$re" "${!lv}")"
}
expect_fail Z0 "memcached: near_cache_size: must be" \
	-A 'NEAR_SPEC="nc:=1000"' -A NEAR_SIZE=0
expect_fail Z1 "memcached: near_cache_size: must be" \
	-A 'NEAR_SPEC="nc:=1000"' -A NEAR_SIZE=99999999
expect_fail Z2 "memcached: near_cache: " -A 'NEAR_SPEC="nc:"'
expect_fail Z3 "memcached: near_cache: " -A 'NEAR_SPEC="nc:=abc"'
t_done
