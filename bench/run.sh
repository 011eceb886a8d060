#!/bin/bash
# Benchmark of our memcached.so against the module Kamailio ships, in one run,
# on one memcached, with the same SIP load (see bench/README).
#
#   bench/run.sh                 full run (about 8 minutes on 2 cores),
#                                results in doc/bench/
#   BENCH_SMOKE=1 bench/run.sh   every part in short, results in a
#                                temp dir (printed), about 80 s
#
# Knobs (environment): BENCH_OUT (output dir), BENCH_RATE (sipp calls/s,
# default 20000), BENCH_DUR (seconds of load per run), BENCH_ROUNDS (A B
# rounds), BENCH_OURS / BENCH_SHIPPED (module files), BENCH_KEEP=1 (keep the
# work dir), BENCH_CHILDREN (Kamailio children, default 4), BENCH_PIN=0 (do
# not pin: by default, with 2 or more CPUs, the load generators run on CPU 0
# and Kamailio + memcached on CPU 1, so the generator never steals the
# measured side's CPU), BENCH_PARTS (subset of "det scenarios faults micro"),
# BENCH_SCENARIOS (subset of the scenario names, for a closer look),
# BENCH_DET_N (SIP requests per system-call count, default 200), BENCH_CG_N
# (requests per instruction count under callgrind, default 2000).
# BENCH_FAILBACK_KEYS (remembered keys settled by the failback run, default
# "1000 100000").
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
OURS=${BENCH_OURS:-$ROOT/memcached.so}
SHIPPED=${BENCH_SHIPPED:-/usr/lib/x86_64-linux-gnu/kamailio/modules/memcached.so}
MODDIR=$(dirname "$SHIPPED")
SMOKE=${BENCH_SMOKE:-0}
CHILDREN=${BENCH_CHILDREN:-4}
TIMEOUT_MS=1000 # memcached timeout modparam, same for both modules
SCENARIOS=${BENCH_SCENARIOS:-ceiling htable sht_read mct_read mct_write mcinc mctex mix near_hot}
PARTS=" ${BENCH_PARTS:-det scenarios faults micro} "
GEN=() SUT=() PIN_NOTE="not pinned"
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
	GEN=(taskset -c 0) SUT=(taskset -c 1)
	PIN_NOTE="sipp and probes pinned to CPU 0, Kamailio and memcached to CPU 1"
fi
MODULES="ours shipped"

if [ "$SMOKE" = 1 ]; then
	RATE=${BENCH_RATE:-5000} DUR=${BENCH_DUR:-1} ROUNDS=${BENCH_ROUNDS:-1}
	LIGHT_DUR=0.2 FREEZE=0.2 DOWN=0.2 AFTER=0.5 WARM=0.2 MICRO_SECS=0.05 MICRO_ROUNDS=2
	PROBE_WAIT=0.3 SETTLE=0.1 WARMUP=0.2 CG_N=${BENCH_CG_N:-200}
	FB_KEYS=${BENCH_FAILBACK_KEYS:-1000}
else
	RATE=${BENCH_RATE:-20000} DUR=${BENCH_DUR:-6} ROUNDS=${BENCH_ROUNDS:-2}
	LIGHT_DUR=2 FREEZE=3 DOWN=1 AFTER=8 WARM=2 MICRO_SECS=0.2 MICRO_ROUNDS=10
	PROBE_WAIT=1 SETTLE=0.2 WARMUP=2 CG_N=${BENCH_CG_N:-2000}
	FB_KEYS=${BENCH_FAILBACK_KEYS:-1000 100000}
fi
DET_N=${BENCH_DET_N:-200} # SIP requests per strace / server-stats count
CG_RATE=500               # requests/s to a Kamailio under callgrind
LIGHT_RATE=1000  # latency probe alone (light load)
LOAD_PROBE=200   # latency probe next to the sipp load
FAULT_RATE=500   # probe rate during faults
OK_RTT_US=50000  # an answer slower than this is not "recovered"

WORK=$(mktemp -d /tmp/mcd-bench.XXXXXX)
if [ -n "${BENCH_OUT:-}" ]; then
	OUT=$BENCH_OUT
elif [ "$SMOKE" = 1 ]; then
	OUT=$WORK/out
else
	OUT=$ROOT/doc/bench
fi
mkdir -p "$OUT"

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- processes
# Every process we start is recorded; cleanup ends them by PID (Kamailio by
# its process group, which setsid made equal to its PID).
KAM_PIDS=() MC_PIDS=()

# Live (not zombie) processes whose process group is $1.
pgrp_members() {
	local f line rest state pgrp
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		rest=${line##*) }
		read -r state _ pgrp _ <<<"$rest"
		[ "$pgrp" = "$1" ] && [ "$state" != Z ] && echo "${f//[!0-9]/}"
	done
}

alive() { # pid: running and not a zombie
	local st
	st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

forget() { # array-name pid: drop pid from the list of started processes
	local -n arr=$1
	local keep=() p
	for p in "${arr[@]}"; do [ "$p" != "$2" ] && keep+=("$p"); done
	arr=("${keep[@]}")
}

stop_kamailio() { # main pid
	local pid=$1 i
	alive "$pid" && kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		[ -z "$(pgrp_members "$pid")" ] && break
		sleep 0.1
	done
	if [ -n "$(pgrp_members "$pid")" ]; then
		log "kamailio $pid did not stop in 10 s, killing its group"
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	forget KAM_PIDS "$pid"
}

stop_memcached() { # pid
	local pid=$1 i
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
	alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget MC_PIDS "$pid"
}

cleanup() {
	local p
	for p in "${KAM_PIDS[@]}"; do [ -n "$p" ] && stop_kamailio "$p"; done
	for p in "${MC_PIDS[@]}"; do [ -n "$p" ] && stop_memcached "$p"; done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "work dir kept: $WORK"
	else
		# Smoke output lives in WORK unless BENCH_OUT was given.
		if [ "$OUT" = "$WORK/out" ]; then
			find "$WORK" -mindepth 1 -maxdepth 1 ! -name out -exec rm -rf {} +
		else
			rm -rf "$WORK"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# Ports come from below the kernel's ephemeral range, so no client socket
# (ours or anyone's) can be holding the one we pick.
USED_PORTS=" "
EPH_LOW=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
PORT_HI=$(( ${EPH_LOW:-32768} > 12000 ? ${EPH_LOW:-32768} : 61000 ))
PORT_LO=$(( PORT_HI == 61000 ? 40000 : 10000 ))
free_port() { # a port free for both TCP and UDP on 127.0.0.1
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((PORT_LO + RANDOM % (PORT_HI - PORT_LO)))
		[[ "$USED_PORTS" == *" $p "* ]] && continue
		if [ -z "$(ss -Hantu "sport = :$p" 2>/dev/null)" ]; then
			USED_PORTS+="$p "
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

now_us() { date +%s%6N; }

# Sum of CPU time (ns, schedstat first field) of every thread of the pids.
cpu_ns() {
	local p t sum=0 v
	for p in "$@"; do
		for t in /proc/"$p"/task/*/schedstat; do
			read -r v _ <"$t" 2>/dev/null || continue
			sum=$((sum + v))
		done
	done
	echo "$sum"
}

start_memcached() { # port -> sets MC_PID
	local port=$1 i try user=()
	[ "$(id -u)" = 0 ] && user=(-u root)
	# A restart on the same port can find it still held for a moment.
	for ((try = 0; try < 5; try++)); do
		"${SUT[@]}" memcached -l 127.0.0.1 -p "$port" -U 0 -t 2 -m 64 -c 1024 "${user[@]}" \
			>"$WORK/memcached-$port.log" 2>&1 &
		MC_PID=$!
		MC_PIDS+=("$MC_PID")
		for ((i = 0; i < 50; i++)); do
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
			alive "$MC_PID" || break
			sleep 0.1
		done
		stop_memcached "$MC_PID"
		sleep 0.3
	done
	cat "$WORK/memcached-$port.log" >&2
	die "memcached on port $port did not start"
}

# Text-protocol request to memcached; prints the answer lines up to END or
# the expected number of lines.
mc_cmd() { # port request nlines
	local port=$1 req=$2 n=$3 fd line i
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf '%b' "$req" >&"$fd"
	for ((i = 0; n == 0 || i < n; i++)); do
		IFS= read -r -t 3 line <&"$fd" || break
		line=${line%$'\r'}
		[ "$line" = END ] && break
		echo "$line"
	done
	exec {fd}>&-
}

# Server commands so far: every counter the brief names.
mc_cmds() { # port
	mc_cmd "$1" 'stats\r\n' 0 | awk '
		$1 == "STAT" && $2 ~ /^(cmd_get|cmd_set|cmd_touch|incr_hits|incr_misses|decr_hits|decr_misses|delete_hits|delete_misses)$/ { s += $3 }
		END { printf "%d\n", s }'
}

seed_keys() { # port: keys the scenarios read, increment and touch
	mc_cmd "$1" 'set bench:r 1 0 32\r\nregistered:sip:alice@example.com\r\nset hot:r 1 0 32\r\nregistered:sip:alice@example.com\r\nset bench:c 0 0 1\r\n0\r\nset bench:t 1 0 5\r\ntouch\r\nset bench:f 1 0 1\r\nv\r\n' 5 >/dev/null
}

# --------------------------------------------------------------- kamailio
# start_kamailio name module servers [live_key]; sets KPID, KPORT, KCTL.
# Optional, read once and reset: K_CHILDREN (children), K_EXTRA (modparam
# lines for the memcached module), K_WRAP (array: a command Kamailio runs
# under, e.g. valgrind).
K_CHILDREN="" K_EXTRA="" K_WRAP=()
start_kamailio() {
	local name=$1 module=$2 servers=$3 live=${4:-bench:live}
	local d=$WORK/kam-$name i out answered children=${K_CHILDREN:-$CHILDREN}
	local extra=$K_EXTRA wrap=("${K_WRAP[@]}")
	K_CHILDREN="" K_EXTRA="" K_WRAP=()
	mkdir -p "$d"
	KPORT=$(free_port)
	KCTL=$d/ctl
	sed -e "s|@CHILDREN@|$children|; s|@SIP_PORT@|$KPORT|; s|@MODULE@|$module|" \
		-e "s|@CTL_SOCK@|$KCTL|; s|@SERVERS@|$servers|; s|@TIMEOUT_MS@|$TIMEOUT_MS|" \
		-e "s|@LIVE_KEY@|$live|g" "$BENCH_DIR/kamailio.cfg.in" |
		EXTRA=$extra awk '$0 == "@EXTRA_PARAMS@" { if (ENVIRON["EXTRA"] != "") print ENVIRON["EXTRA"]; next } { print }' \
		>"$d/kamailio.cfg"
	"${SUT[@]}" setsid "${wrap[@]}" kamailio -DD -E -f "$d/kamailio.cfg" -L "$MODDIR" -P "$d/kamailio.pid" \
		-w "$d" -Y "$d" -m 64 -M 8 >"$d/kamailio.log" 2>&1 &
	KPID=$!
	KAM_PIDS+=("$KPID")
	for ((i = 0; i < 50; i++)); do
		alive "$KPID" || break
		out=$(timeout 5 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$KPORT" -s ceiling -r 20 \
			-d 0.1 -w 0.3 -o /dev/null 2>/dev/null)
		read -r _ answered _ <<<"${out:-0 0}"
		if [ "${answered:-0}" -gt 0 ]; then
			# -P names the main process; setsid made it our child's PID.
			[ "$(cat "$d/kamailio.pid" 2>/dev/null)" = "$KPID" ] ||
				log "note: $d/kamailio.pid does not hold $KPID"
			return 0
		fi
		sleep 0.2
	done
	tail -20 "$d/kamailio.log" >&2
	die "kamailio ($name) did not start or does not answer"
}

kam_requests() { # ctl socket
	timeout 5 kamcmd -s "unix:$1" stats.get_statistics rcv_requests 2>/dev/null |
		awk -F'= ' '/rcv_requests/ { print $2 + 0; f = 1 } END { if (!f) print 0 }'
}

# ------------------------------------------------------------------ build
build_tools() {
	gcc -O2 -Wall -std=gnu99 -o "$WORK/sip_probe" "$BENCH_DIR/sip_probe.c" ||
		die "cannot build sip_probe"
	local srcs=() f
	CORE_OK=1
	# The core's files: CORE_SRCS (the Makefile exports it), else core.mk's list.
	local core=${CORE_SRCS:-$(make -s --no-print-directory -C "$ROOT" -f - <<'MK'
include core.mk
all: ; @echo $(CORE_SRCS)
MK
)}
	for f in $core; do
		[ -f "$ROOT/$f" ] || CORE_OK=0
		srcs+=("$ROOT/$f")
	done
	if [ "$CORE_OK" = 1 ]; then
		# shellcheck disable=SC2046 # pkg-config output is a word list
		gcc -O2 -Wall -std=gnu99 -I"$ROOT" -o "$WORK/core_bench" \
			"$BENCH_DIR/core_bench.c" "${srcs[@]}" \
			$(pkg-config --cflags --libs libmemcached) -lcrypto \
			>"$WORK/core_bench.build" 2>&1 || CORE_OK=0
		[ "$CORE_OK" = 1 ] || { log "core_bench does not build:"; tail -5 "$WORK/core_bench.build" >&2; }
	else
		log "core sources missing: microbenchmark skipped"
	fi
}

# ------------------------------------------------------------ measurement
# The requests of a probe file sent in [from, to): prints
#   sent n200 n_other_answers lost p50_us p99_us max_us
# (latencies over the answered ones, -1 when none was answered).
probe_window() { # file from_us to_us
	awk -v a="$2" -v b="$3" '
		$1 >= a && $1 < b {
			sent++
			if ($3 == 200) n200++; else if ($3 == 0) lost++; else nother++
			if ($3 != 0) print "R", $2
		}
		END { printf "C %d %d %d %d\n", sent, n200, nother, lost }' "$1" |
		sort -k1,1 -k2,2n | awk '
		$1 == "C" { c = $2 " " $3 " " $4 " " $5; next }
		{ v[n++] = $2 }
		END {
			if (n == 0) { print c, -1, -1, -1; exit }
			print c, v[int((n - 1) * 0.5)], v[int((n - 1) * 0.99)], v[n - 1]
		}'
}

# Time (s) from t_us until requests are served again: the send time of the
# first request after which every request got 200 within OK_RTT_US.
recovery_s() { # file t_us
	awk -v t="$2" -v ok="$OK_RTT_US" '
		$1 >= t {
			n++; last = $1
			if ($3 != 200 || $2 > ok) { bad = n; good = 0 }
			else if (good == 0) good = $1
		}
		END {
			if (n == 0) print "n/a"
			else if (bad == n) printf ">%.1f\n", (last - t) / 1e6
			else if (bad == 0) print "0.00"
			else printf "%.2f\n", (good - t) / 1e6
		}' "$1"
}

RUNS=$OUT/runs.tsv

# One scenario run on one module: light-load latency, then the sipp load with
# a latency probe next to it; CPU and server commands over both phases.
run_one() { # round module scenario kpid kport kctl
	local round=$1 mod=$2 scen=$3 kpid=$4 kport=$5 kctl=$6
	local pids req0 req1 kc0 kc1 mc0 mc1 cmd0 cmd1 light load sp st sport
	local d=$WORK/run-$round-$mod-$scen
	mkdir -p "$d"
	read -ra pids <<<"$(pgrp_members "$kpid" | tr '\n' ' ')"
	req0=$(kam_requests "$kctl")
	cmd0=$(mc_cmds "$MC_PORT")
	kc0=$(cpu_ns "${pids[@]}")
	mc0=$(cpu_ns "$MC_PID")

	light=$(timeout 30 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$kport" -s "$scen" \
		-r "$LIGHT_RATE" -d "$LIGHT_DUR" -w 2 -o "$d/light.txt")

	sport=$(free_port)
	(cd "$d" && timeout $((${DUR%.*} + 15)) "${GEN[@]}" sipp -sf "$BENCH_DIR/options.xml" -s "$scen" \
		-i 127.0.0.1 -p "$sport" "127.0.0.1:$kport" -nr -r "$RATE" -l 100000 \
		-timeout "${DUR}s" -trace_stat -stf "$d/sipp.csv" -fd 1 -nostdin \
		>"$d/sipp.out" 2>&1) &
	sp=$!
	sleep 0.3
	load=$(timeout 30 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$kport" -s "$scen" -r "$LOAD_PROBE" \
		-d "$(awk -v d="$DUR" 'BEGIN { x = d - 0.8; print (x < 0.3 ? 0.3 : x) }')" \
		-w "$PROBE_WAIT" -o "$d/load.txt")
	wait "$sp"
	# Let the last answers land before reading the counters.
	sleep "$SETTLE"
	req1=$(kam_requests "$kctl")
	cmd1=$(mc_cmds "$MC_PORT")
	kc1=$(cpu_ns "${pids[@]}")
	mc1=$(cpu_ns "$MC_PID")

	st=$(tail -n 1 "$d/sipp.csv" 2>/dev/null | awk -F';' '{ print $13, $16, $18 }')
	[ -n "$st" ] || { log "sipp gave no statistics for $mod/$scen"; tail -3 "$d/sipp.out" >&2; st="0 0 0"; }
	read -r created okcalls failed <<<"$st"
	read -r _ _ _ lp50 lp99 _ <<<"${light:-0 0 0 -1 -1 -1}"
	read -r _ _ _ hp50 hp99 _ <<<"${load:-0 0 0 -1 -1 -1}"
	awk -v r="$round" -v m="$mod" -v s="$scen" -v dur="$DUR" -v cr="$created" \
		-v ok="$okcalls" -v f="$failed" -v lp50="$lp50" -v lp99="$lp99" \
		-v hp50="$hp50" -v hp99="$hp99" -v req=$((req1 - req0)) \
		-v kc=$((kc1 - kc0)) -v mc=$((mc1 - mc0)) -v cmd=$((cmd1 - cmd0)) 'BEGIN {
		q = req > 0 ? req : 1
		printf "%s\t%s\t%s\t%.0f\t%.0f\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.4f\t%d\n",
			r, m, s, cr / dur, ok / dur, f, lp50, lp99, hp50, hp99,
			kc / 1000 / q, mc / 1000 / q, cmd / q, req
	}' >>"$RUNS"
	log "$(tail -n 1 "$RUNS" | tr '\t' ' ')"
}

# ---------------------------------------------------------- deterministic
# Figures that do not depend on the load of the machine, per scenario, with
# Kamailio at children=1 (one SIP worker) on each module in turn:
# - memcached commands per SIP request (server stats deltas),
# - system calls per SIP request in the worker (strace -c -p), split into
#   the calls that do the work and the waits (a receive that found nothing
#   yet, EAGAIN, and the poll after it: how often that happens depends on
#   timing, so they are counted apart),
# - instructions of the module's own pseudo-variable function per call
#   (callgrind --toggle-collect: inclusive count of the getter or setter
#   alone; the whole request's count swings with the pkg allocator's state).
DET_SYS=$OUT/syscalls.tsv
DET_IR=$OUT/instructions.tsv
HAS_NEAR=0 HAS_PROBE=0
grep -aqx near_cache <(strings "$OURS") && HAS_NEAR=1
grep -aqx probe_interval <(strings "$OURS") && HAS_PROBE=1

worker_pid() { # ctl socket: the single SIP worker (UDP receiver)
	timeout 5 kamcmd -s "unix:$1" core.psx 2>/dev/null |
		awk '$1 == "PID:" { p = $2 } /DSC: udp receiver/ { print p; exit }'
}

send_n() { # kport scenario n rate: n requests at rate/s; prints the summary
	timeout 120 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$1" -s "$2" -r "$4" \
		-d "$(awk -v n="$3" -v r="$4" 'BEGIN { printf "%.3f", n / r }')" -w 3 -o /dev/null 2>/dev/null
}

# strace -c summary -> "work waits name:n,name:n" (counts, not per request)
strace_counts() { # file
	awk '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {
			calls = $4; err = NF == 6 ? $5 : 0; name = $NF
			if (name ~ /^(poll|ppoll|select|pselect6|epoll_wait|epoll_pwait)$/) { w += calls; next }
			w += err; k += calls - err
			if (calls - err > 0) l = l sprintf("%s%s:%d", l == "" ? "" : ",", name, calls - err)
		}
		END { printf "%d %d %s\n", k, w, l == "" ? "-" : l }' "$1"
}

det_module() { # module so scenario...: commands and system calls per request
	local mod=$1 so=$2 scen wpid req0 req1 cmd0 cmd1 sp i d counts extra=""
	shift 2
	[ "$mod" = ours ] && [ "$HAS_NEAR" = 1 ] && extra="#!define MCD_NEAR"
	K_CHILDREN=1 K_EXTRA=$extra start_kamailio "det-$mod" "$so" "127.0.0.1:$MC_PORT"
	wpid=$(worker_pid "$KCTL")
	[ -n "$wpid" ] || { log "no SIP worker found for $mod"; stop_kamailio "$KPID"; return; }
	for scen in "$@"; do
		d=$WORK/det-$mod-$scen
		mkdir -p "$d"
		# warm: connection open, near cache filled
		send_n "$KPORT" "$scen" 5 100 >/dev/null
		req0=$(kam_requests "$KCTL")
		cmd0=$(mc_cmds "$MC_PORT")
		strace -c -p "$wpid" -o "$d/strace.txt" 2>"$d/strace.err" &
		sp=$!
		for ((i = 0; i < 100; i++)); do
			grep -q attached "$d/strace.err" 2>/dev/null && break
			sleep 0.05
		done
		send_n "$KPORT" "$scen" "$DET_N" 1000 >/dev/null
		sleep 0.2
		kill -INT "$sp" 2>/dev/null
		wait "$sp" 2>/dev/null
		req1=$(kam_requests "$KCTL")
		cmd1=$(mc_cmds "$MC_PORT")
		counts=$(strace_counts "$d/strace.txt")
		printf '%s\t%s\t%d\t%d\t%s\n' "$mod" "$scen" $((req1 - req0)) $((cmd1 - cmd0)) \
			"$(tr ' ' '\t' <<<"$counts")" >>"$DET_SYS"
		log "det $mod $scen: requests $((req1 - req0)), commands $((cmd1 - cmd0)), syscalls work waits list = $counts"
	done
	stop_kamailio "$KPID"
}

# Instructions of one function per call, under callgrind: the scenario runs
# a few times first (connection open, buffers allocated, near cache filled),
# then one cg_zero request zeroes the counts (callgrind --zero-before on the
# getter of $TF, which nothing else calls), then the counted requests.
det_ir() { # module so scenario function
	local mod=$1 so=$2 scen=$3 fn=$4 d req0 req1 tot extra="" i prev
	d=$WORK/cg-$mod-$scen
	mkdir -p "$d"
	[ "$mod" = ours ] && [ "$HAS_NEAR" = 1 ] && extra="#!define MCD_NEAR"
	K_WRAP=(valgrind --tool=callgrind "--toggle-collect=$fn" --zero-before=pv_get_timenowf
		"--callgrind-out-file=$d/cg.%p")
	K_CHILDREN=1 K_EXTRA=$extra start_kamailio "cg-$mod-$scen" "$so" "127.0.0.1:$MC_PORT"
	send_n "$KPORT" "$scen" 20 100 >/dev/null
	send_n "$KPORT" cg_zero 1 100 >/dev/null
	req0=$(kam_requests "$KCTL")
	send_n "$KPORT" "$scen" "$CG_N" "$CG_RATE" >/dev/null
	# Every request the worker took is counted: wait until it is idle.
	req1=$(kam_requests "$KCTL")
	for ((i = 0; i < 60; i++)); do
		sleep 0.5
		prev=$req1
		req1=$(kam_requests "$KCTL")
		[ "$req1" = "$prev" ] && break
	done
	stop_kamailio "$KPID"
	tot=$(awk '$1 == "totals:" { s += $2 } END { print s + 0 }' "$d"/cg.* 2>/dev/null)
	printf '%s\t%s\t%s\t%d\t%d\n' "$mod" "$scen" "$fn" $((req1 - req0)) "$tot" >>"$DET_IR"
	log "callgrind $mod $scen $fn: $tot instructions over $((req1 - req0)) calls"
}

run_deterministic() {
	local s near=""
	printf 'module\tscenario\trequests\tcommands\tsyscalls\twaits\tlist\n' >"$DET_SYS"
	printf 'module\tscenario\tfunction\tcalls\tinstructions\n' >"$DET_IR"
	[ "$HAS_NEAR" = 1 ] && near=near_hot
	if command -v strace >/dev/null; then
		det_module ours "$OURS" ceiling sht_read mct_read mct_write mcinc mctex mix $near
		det_module shipped "$SHIPPED" ceiling mct_read mct_write mcinc mctex mix
	else
		log "strace not installed: system calls per request skipped"
	fi
	if command -v valgrind >/dev/null; then
		det_ir htable "$OURS" sht_read pv_get_ht_cell
		for s in ours shipped; do
			local so=$OURS
			[ "$s" = shipped ] && so=$SHIPPED
			det_ir "$s" "$so" mct_read pv_get_mcd_value
			det_ir "$s" "$so" mct_write pv_set_mcd_value
			det_ir "$s" "$so" mcinc pv_inc_mcd_value
			det_ir "$s" "$so" mctex pv_set_mcd_expire
		done
		[ "$HAS_NEAR" = 1 ] && det_ir ours "$OURS" near_hot pv_get_mcd_value
	else
		log "valgrind not installed: instructions per call skipped"
	fi
}

# ---------------------------------------------------------------- faults
FAULTS=$OUT/faults.tsv

# Ours runs the faults with retry_timeout=30 and the prober (probe_interval
# 500 ms, its default): recovery must come from the prober, within 1 s.
FAULT_PARAMS='modparam("memcached", "retry_timeout", 30)'
if [ "$HAS_PROBE" = 1 ]; then
	FAULT_PARAMS+=$'\nmodparam("memcached", "probe_interval", 500)'
	FAULT_NOTE="ours: retry_timeout=30 s, probe_interval=500 ms (the prober brings a server back)"
else
	FAULT_NOTE="ours: retry_timeout=30 s; this build has no probe_interval parameter (no prober): recovery waits for retry_timeout"
fi

# Probe traffic with a fault in the middle: memcached frozen (SIGSTOP), then
# killed and restarted on the same port, on one Kamailio + memcached pair.
run_faults() { # module so
	local mod=$1 so=$2 port d t_stop t_back p total ws rec kind mcpid
	port=$(free_port)
	start_memcached "$port"
	mcpid=$MC_PID
	seed_keys "$port"
	[ "$mod" = ours ] && K_EXTRA=$FAULT_PARAMS
	start_kamailio "fault-$mod" "$so" "127.0.0.1:$port"
	for kind in freeze kill; do
		d=$WORK/fault-$mod-$kind
		mkdir -p "$d"
		total=$(awk -v a="$WARM" -v b="$FREEZE" -v c="$DOWN" -v e="$AFTER" -v k="$kind" \
			'BEGIN { print a + (k == "freeze" ? b : c) + e }')
		timeout 90 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$KPORT" -s fault -r "$FAULT_RATE" \
			-d "$total" -w 2 -o "$d/probe.txt" >"$d/probe.sum" &
		p=$!
		sleep "$WARM"
		t_stop=$(now_us)
		if [ "$kind" = freeze ]; then
			kill -STOP "$mcpid"
			sleep "$FREEZE"
			t_back=$(now_us)
			kill -CONT "$mcpid"
		else
			kill -KILL "$mcpid"
			wait "$mcpid" 2>/dev/null
			forget MC_PIDS "$mcpid"
			sleep "$DOWN"
			start_memcached "$port"
			mcpid=$MC_PID
			t_back=$(now_us)
		fi
		wait "$p"
		ws=$(probe_window "$d/probe.txt" "$t_stop" "$t_back")
		rec=$(recovery_s "$d/probe.txt" "$t_back")
		printf '%s\t%s\t%s\t%s\n' "$kind" "$mod" "$ws" "$rec" | tr ' ' '\t' >>"$FAULTS"
		log "fault $kind $mod: sent 200 503 lost p50 p99 max = $ws, recover $rec s"
	done
	stop_kamailio "$KPID"
	stop_memcached "$mcpid"
}

# Two servers, one frozen: latency of a key held by the live one, and of
# keys spread over both (ours only: the shipped module takes one server).
run_two_servers() {
	local p1 p2 pid1 pid2 live d t0 t1 a b ws1 ws2 i
	d=$WORK/fault-two
	mkdir -p "$d"
	p1=$(free_port) p2=$(free_port)
	start_memcached "$p1"; pid1=$MC_PID
	start_memcached "$p2"; pid2=$MC_PID
	live=""
	if [ "$CORE_OK" = 1 ]; then
		live=$(timeout 10 "$WORK/core_bench" -k "127.0.0.1:$p1,127.0.0.1:$p2" \
			live:0 live:1 live:2 live:3 live:4 live:5 live:6 live:7 live:8 live:9 |
			awk '$2 == 0 { print $1; exit }')
	fi
	K_EXTRA=$FAULT_PARAMS
	start_kamailio two "$OURS" "127.0.0.1:$p1,127.0.0.1:$p2" "${live:-live:0}"
	if [ -z "$live" ]; then
		# No core_bench: the module writes live:0..9, the first server tells
		# which of them it holds.
		timeout 10 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$KPORT" -s place -r 10 -d 0.1 \
			-w 2 -o /dev/null >/dev/null
		for ((i = 0; i < 10; i++)); do
			if [ -n "$(mc_cmd "$p1" "get live:$i\r\n" 0)" ]; then live=live:$i; break; fi
		done
		if [ -n "$live" ]; then
			timeout 5 kamcmd -s "unix:$KCTL" pv.shvSet live str "$live" >/dev/null
		else
			live=live:0
			log "could not tell which server holds the live key"
		fi
	fi
	local dur
	dur=$(awk -v a="$WARM" -v b="$FREEZE" -v e="$AFTER" 'BEGIN { print a + b + e / 2 }')
	timeout 90 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$KPORT" -s live -r "$FAULT_RATE" \
		-d "$dur" -w 2 -o "$d/live.txt" >/dev/null &
	a=$!
	timeout 90 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$KPORT" -s dead -r 100 \
		-d "$dur" -w 2 -o "$d/dead.txt" >/dev/null &
	b=$!
	sleep "$WARM"
	t0=$(now_us)
	kill -STOP "$pid2"
	wait "$a" "$b"
	t1=$(now_us)
	kill -CONT "$pid2"
	ws1=$(probe_window "$d/live.txt" "$t0" "$t1")
	ws2=$(probe_window "$d/dead.txt" "$t0" "$t1")
	printf 'two-live\tours\t%s\t-\n' "$ws1" | tr ' ' '\t' >>"$FAULTS"
	printf 'two-spread\tours\t%s\t-\n' "$ws2" | tr ' ' '\t' >>"$FAULTS"
	log "two servers, one frozen: live key $live: $ws1; spread keys: $ws2"
	stop_kamailio "$KPID"
	stop_memcached "$pid1"
	stop_memcached "$pid2"
}

# Failback: how long the prober takes to settle the keys remembered during
# an outage before the server is used again (core_bench -f: each key
# deleted on both servers, one round trip at a time). The server stays
# marked dead meanwhile; its keys go on being served by the stand-in.
FAILBACK=$OUT/failback.tsv
run_failback() {
	local p1 p2 pid1 pid2 n line
	printf 'keys\tservers\tsettle_ms\tkeys_per_s\n' >"$FAILBACK"
	[ "$CORE_OK" = 1 ] || return 0
	p1=$(free_port) p2=$(free_port)
	start_memcached "$p1"; pid1=$MC_PID
	start_memcached "$p2"; pid2=$MC_PID
	for n in $FB_KEYS; do
		line=$(timeout 300 "${SUT[@]}" "$WORK/core_bench" -f "$n" "127.0.0.1:$p1,127.0.0.1:$p2" 2>&1) ||
			{ log "failback settle of $n keys failed: $line"; continue; }
		echo "$line" | awk '$1 == "failback" { printf "%s\t%s\t%s\t%s\n", $3, $5, $7, $9 }' >>"$FAILBACK"
		log "failback: $line"
	done
	stop_memcached "$pid1"
	stop_memcached "$pid2"
}

# ------------------------------------------------------------------- main
START=$(date +%s)
[ -f "$OURS" ] || die "$OURS not found (run make first)"
[ -f "$SHIPPED" ] || die "$SHIPPED not found (package kamailio-memcached-modules)"
for t in kamailio kamcmd sipp memcached gcc gnuplot ss setsid; do
	command -v "$t" >/dev/null || die "$t not found (scripts/deps.sh installs it)"
done
build_tools

MACHINE="machine: nproc=$(nproc), cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), kernel=$(uname -r), date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
VERSIONS="kamailio $(kamailio -v 2>/dev/null | awk '/^version:/ { print $3; exit }'), memcached $(memcached -V | awk '{ print $2 }'), libmemcached $(pkg-config --modversion libmemcached 2>/dev/null), sipp $(sipp -v 2>/dev/null | awk '/SIPp v/ { print $2; exit }')"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "$MACHINE"
printf 'round\tmodule\tscenario\toffered_cps\tanswered_cps\tfailed\tlight_p50_us\tlight_p99_us\tload_p50_us\tload_p99_us\tkam_us_req\tmc_us_req\tcmds_req\trequests\n' >"$RUNS"
printf 'fault\tmodule\tsent\tn200\tn503\tlost\tp50_us\tp99_us\tmax_us\trecover_s\n' >"$FAULTS"

MC_PORT=$(free_port)
start_memcached "$MC_PORT"
MC_MAIN=$MC_PID
seed_keys "$MC_PORT"

if [[ "$PARTS" == *" det "* ]]; then
	log "deterministic figures (children=1; strace, callgrind)"
	run_deterministic
fi

[ "$HAS_NEAR" = 1 ] && K_EXTRA="#!define MCD_NEAR"
start_kamailio ours "$OURS" "127.0.0.1:$MC_PORT"
K_OURS=$KPID KP_OURS=$KPORT KC_OURS=$KCTL
start_kamailio shipped "$SHIPPED" "127.0.0.1:$MC_PORT"
K_SHIP=$KPID KP_SHIP=$KPORT KC_SHIP=$KCTL

# Warm-up, not measured: every worker connects to memcached and the server
# touches its memory before the first measured run, which would otherwise
# pay for it (always ours: it runs first).
if [[ "$PARTS" == *" scenarios "* ]]; then
	for kp in "$KP_OURS" "$KP_SHIP"; do
		timeout 30 "${GEN[@]}" "$WORK/sip_probe" -t "127.0.0.1:$kp" -s mix -r 2000 \
			-d "$WARMUP" -w 1 -o /dev/null >/dev/null
	done
fi

# Rounds A B A B: each scenario runs on ours then on the shipped module, so
# both see the same machine state; repeated rounds show the noise.
for ((round = 1; round <= ROUNDS; round++)); do
	[[ "$PARTS" == *" scenarios "* ]] || break
	for scen in $SCENARIOS; do
		MC_PID=$MC_MAIN
		# near_hot: ours with its near cache only (the shipped module has none)
		[ "$scen" = near_hot ] && [ "$HAS_NEAR" = 0 ] && continue
		run_one "$round" ours "$scen" "$K_OURS" "$KP_OURS" "$KC_OURS"
		[ "$scen" = near_hot ] && continue
		run_one "$round" shipped "$scen" "$K_SHIP" "$KP_SHIP" "$KC_SHIP"
	done
done
stop_kamailio "$K_OURS"
stop_kamailio "$K_SHIP"

MICRO=""
if [ "$CORE_OK" = 1 ] && [[ "$PARTS" == *" micro "* ]]; then
	log "core microbenchmark"
	# Client and server share a CPU: the cheapest round trip shows the
	# client's own cost best.
	MICRO=$(timeout 120 "${SUT[@]}" "$WORK/core_bench" -s "127.0.0.1:$MC_PORT" -d "$MICRO_SECS" \
		-n "$MICRO_ROUNDS" 2>&1) || log "core_bench failed: $MICRO"
fi
stop_memcached "$MC_MAIN"

if [[ "$PARTS" == *" faults "* ]]; then
	run_faults ours "$OURS"
	run_faults shipped "$SHIPPED"
	run_two_servers
	run_failback
fi

# ----------------------------------------------------------------- report
# A paragraph for the README: the machine, the headline ratios, the tables.
readme_paragraph() {
	local ratios cpu freeze
	# field: 5 answered calls/s; 0 CPU per request (Kamailio + memcached)
	ratio_list() {
		awk -F'\t' -v scen="$SCENARIOS" -v f="$1" 'NR > 1 {
				k = $3 SUBSEP $2; n[k]++; c[k] += (f ? $f : $11 + $12) }
			END { ns = split(scen, S, " ")
				for (a = 1; a <= ns; a++) {
					o = S[a] SUBSEP "ours"; h = S[a] SUBSEP "shipped"
					if (n[o] && n[h] && c[h] > 0)
						out = out sprintf("%s%s %.2f", out == "" ? "" : ", ", S[a], (c[o] / n[o]) / (c[h] / n[h]))
				}
				print out }' "$RUNS"
	}
	ratios=$(ratio_list 5)
	cpu=$(ratio_list 0)
	freeze=$(awk -F'\t' 'function ms(us) { return sprintf(us >= 100000 ? "%.0f" : "%.2f", us / 1000) }
		$1 == "freeze" { r[$2] = $0 } END {
		if (!("ours" in r) || !("shipped" in r)) exit
		split(r["ours"], o, "\t"); split(r["shipped"], h, "\t")
		printf "Of the %d requests sent while memcached was frozen (SIGSTOP, %s s), ours answered", o[3], fr
		printf " %d (%d with 200, %d with 503; median %s ms, %d lost) and served again", o[4] + o[5], o[4], o[5], ms(o[7]), o[6]
		printf " %s s after SIGCONT; the shipped module answered %d of %d", o[10], h[4] + h[5], h[3]
		printf " (%d with 200, %d with 503; median %s ms, %d lost) and served", h[4], h[5], ms(h[7]), h[6]
		printf " again %s s after SIGCONT.", h[10] }' fr="$FREEZE" "$FAULTS")
	fmt -w 76 <<EOF
Benchmark (make bench; ${MACHINE#machine: }). Both modules run in the same
run, on the same memcached, under the same sipp load (OPTIONS over UDP at
$RATE calls/s; every scenario is a request_route answered with
sl_send_reply; $PIN_NOTE). Decision-grade, the same on every run:
ours sends one memcached command and makes one send and one receive per
\$mct read, \$mct write, \$mcinc and \$mctex (the shipped module two of
each for \$mcinc and \$mctex, it reads the key first); the instructions
of each module's own pseudo-variable functions are in the first table.
Noise-bound: answered calls/s, ours / shipped: $ratios. CPU time per
request (Kamailio + memcached), ours / shipped: $cpu. $freeze
Full results: doc/bench/results.txt and doc/bench/results.png.
EOF
	cat <<EOF

$(sed -n '/^scenario  /,/^$/p' "$RESULTS" | sed '/^$/d; s/^/    /')

$(sed -n '/^Targets/,/^$/p' "$RESULTS" | sed '/^$/d; s/^/    /')

$(sed -n '/^fault  /,/^$/p' "$RESULTS" | sed '/^$/d; s/^/    /')
EOF
}

ELAPSED=$(($(date +%s) - START))
RESULTS=$OUT/results.txt
{
	echo "$MACHINE"
	echo "load average (1 5 15 min): before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows here)"
	echo "versions: $VERSIONS"
	echo "modules: ours $OURS; shipped $SHIPPED"
	echo "setup: Kamailio children=$CHILDREN, fork=yes, UDP 127.0.0.1, every request answered by sl_send_reply;" \
		"memcached -t 2 on 127.0.0.1; modparam timeout=$TIMEOUT_MS ms, other parameters at their defaults;" \
		"$PIN_NOTE; rounds=$ROUNDS; whole run ${ELAPSED} s"
	echo
	if [[ "$PARTS" == *" det "* ]]; then
		echo "DETERMINISTIC FIGURES (decision-grade: the same on every run, whatever else the machine is doing)"
		echo "Kamailio with children=1 (one SIP worker), fork=yes; each module in turn on the same memcached."
		echo "  cmds/req: memcached commands per SIP request (server stats deltas over $DET_N requests)"
		echo "  sys/req: system calls of the SIP worker per request (strace -c -p over $DET_N requests), waits excluded;"
		echo "    +sys/req: over the ceiling scenario (no memcached), whose 2 calls are the SIP message's own (recvfrom, sendto)"
		echo "  waits/req: a receive that found no answer yet (EAGAIN) and the poll after it; depends on timing, not decision-grade"
		echo "  Ir/call: instructions of the module's own pseudo-variable function per call, inclusive of what it calls"
		echo "    (callgrind --toggle-collect, counted over $CG_N requests after 20 uncounted ones: connection open, buffers"
		echo "    allocated, near cache filled); the whole request is not counted: it swings with the pkg allocator's state"
		echo "  sht_read: \$var(x) = \$sht(b=>hot:r), htable's getter, the local copy operators build by hand;"
		echo "  near_hot: \$var(x) = \$mct(hot:r) with modparam near_cache \"hot:=5000\" (ours)"
		awk -F'\t' -v near="$HAS_NEAR" -f "$BENCH_DIR/det_report.awk" "$DET_SYS" "$DET_IR" "$FAULTS"
		echo
	fi
	echo "NOISE-BOUND FIGURES (calls/s, latency, CPU time: they move with the load of the machine; read the spread)"
	echo
	echo "SIP scenarios: sipp OPTIONS over UDP at a fixed -r $RATE for ${DUR} s per run, no retransmissions;"
	echo "each round runs every scenario on ours then on the shipped module (A B A B); mean of the rounds, failed summed."
	echo "  ceiling: no memcached at all; htable: \$sht set + get; sht_read: \$sht get; mct_read: \$var(x) = \$mct(k);"
	echo "  mct_write: \$mct(k) = \$ci; mcinc: \$mcinc(k) = 1; mctex: \$mctex(k) = 600; mix: all four of them;"
	echo "  near_hot: \$mct read of a near-cached key (ours only, when the module has near_cache)"
	echo "  offered/answered: calls/s sent by sipp / answered 200 (answered = offered: the module kept up with the rate)"
	echo "  spread: lowest-highest answered/s of the $ROUNDS rounds (the noise of the machine)"
	echo "  failed: sipp calls without an answer in 0.5 s (dropped under overload)"
	echo "  light50/99: latency (us) of a probe alone at ${LIGHT_RATE}/s; load50/99: the probe at ${LOAD_PROBE}/s under the sipp load"
	echo "  kam_us / mc_us: CPU time (us, schedstat) of all Kamailio processes / of memcached per SIP request"
	echo "  cmds/req: memcached commands per SIP request (stats: get, set, touch, incr, decr, delete counters)"
	awk -F'\t' -v scen="$SCENARIOS" -v mods="$MODULES" '
		NR == 1 { next }
		{
			k = $3 SUBSEP $2; n[k]++
			for (i = 4; i <= 13; i++) s[k, i] += $i
			if (!(k in lo) || $5 < lo[k]) lo[k] = $5
			if (!(k in hi) || $5 > hi[k]) hi[k] = $5
			if ($2 == "ours") o[$3, $1] = $0; else sh[$3, $1] = $0
			rounds[$1] = 1
		}
		END {
			printf "%-10s %-8s %9s %10s %-13s %7s %8s %8s %8s %8s %8s %8s %8s\n",
				"scenario", "module", "offered/s", "answered/s", "spread", "failed",
				"light50", "light99", "load50", "load99", "kam_us", "mc_us", "cmds/req"
			ns = split(scen, S, " "); nm = split(mods, M, " ")
			for (a = 1; a <= ns; a++) for (b = 1; b <= nm; b++) {
				k = S[a] SUBSEP M[b]
				if (!n[k]) {
					if (S[a] == "near_hot") printf "%-10s %-8s n/a (%s)\n", S[a], M[b], M[b] == "ours" ? "no near_cache parameter in this build" : "no near cache"
					else printf "%-10s %-8s missing\n", S[a], M[b]
					continue
				}
				printf "%-10s %-8s %9.0f %10.0f %-13s %7d %8.0f %8.0f %8.0f %8.0f %8.2f %8.2f %8.2f\n",
					S[a], M[b], s[k, 4] / n[k], s[k, 5] / n[k], sprintf("%.0f-%.0f", lo[k], hi[k]), s[k, 6],
					s[k, 7] / n[k], s[k, 8] / n[k], s[k, 9] / n[k], s[k, 10] / n[k],
					s[k, 11] / n[k], s[k, 12] / n[k], s[k, 13] / n[k]
			}
			print ""
			print "Ratios ours/shipped per round (A B A B): answered/s | kamailio us/req | cmds/req"
			for (r in rounds) nr++
			for (a = 1; a <= ns; a++) {
				line = sprintf("%-10s", S[a]); l2 = ""; l3 = ""
				for (r = 1; r <= nr; r++) {
					if (!((S[a], r) in o) || !((S[a], r) in sh)) continue
					split(o[S[a], r], x, "\t"); split(sh[S[a], r], y, "\t")
					line = line sprintf(" %5.2f", y[5] > 0 ? x[5] / y[5] : 0)
					l2 = l2 sprintf(" %5.2f", y[11] > 0 ? x[11] / y[11] : 0)
					l3 = l3 sprintf(" %5.2f", y[13] > 0 ? x[13] / y[13] : 0)
				}
				if (l2 != "") print line " |" l2 " |" l3
			}
		}' "$RUNS"
	echo
	echo "Faults (route: write + read back one key; probe at ${FAULT_RATE}/s; latencies of requests sent during the fault, ms)"
	echo "  $FAULT_NOTE; shipped: its defaults (it has neither)"
	echo "  frozen: memcached SIGSTOP for ${FREEZE} s; killed: SIGKILL, restarted after ${DOWN} s;"
	echo "  recover: s from SIGCONT / restart until every request gets 200 in under $((OK_RTT_US / 1000)) ms"
	echo "  2 servers: the second one frozen for the last $(awk -v b="$FREEZE" -v e="$AFTER" 'BEGIN { print b + e / 2 }') s; live: a key held by the first,"
	echo "  probe at ${FAULT_RATE}/s; spread: one key per request (Call-ID), probe at 100/s, at the same time;"
	echo "  a live-server key that failed during the outage shows as 503 or lost in the 'live' row"
	awk -F'\t' '
		BEGIN {
			printf "%-26s %-8s %6s %6s %6s %6s %8s %8s %8s %8s\n", "fault", "module",
				"sent", "200", "503", "lost", "p50_ms", "p99_ms", "max_ms", "recover_s"
			name["freeze"] = "memcached frozen"; name["kill"] = "memcached killed+restarted"
			name["two-live"] = "2 servers, 1 frozen: live"; name["two-spread"] = "2 servers, 1 frozen: spread"
		}
		NR == 1 { next }
		{
			printf "%-26s %-8s %6d %6d %6d %6d %8.2f %8.2f %8.2f %8s\n", name[$1], $2,
				$3, $4, $5, $6, $7 / 1000, $8 / 1000, $9 / 1000, $10
		}
		END {
			printf "%-26s %-8s n/a (the shipped module takes one server only)\n", "2 servers, 1 frozen", "shipped"
		}' "$FAULTS"
	echo
	echo "Core microbenchmark (bench/core_bench.c, no Kamailio; one connection, one operation at a time; medians of"
	echo "$MICRO_ROUNDS rounds of ${MICRO_SECS} s per side; ratio = core ops/s / libmemcached ops/s: 1.000 = no overhead over the bare calls)"
	if [ -n "$MICRO" ] && [ "$CORE_OK" = 1 ]; then
		echo "$MICRO" | awk '
			$1 == "op" { printf "  %-6s libmemcached %9.0f ops/s   mcd_%-5s %9.0f ops/s   ratio %.3f (rounds %.2f-%.2f)\n", $2, $4, $2, $6, $8, $10, $12 }
			$1 == "keys" { printf "  mcd_key_build %-8s %12.0f keys/s\n", $2, $3 }'
	else
		echo "  n/a (core sources missing or not building)"
	fi
	if [ -s "$FAILBACK" ] && [ "$(wc -l <"$FAILBACK")" -gt 1 ]; then
		echo
		echo "Failback settling (bench/core_bench.c -f, no Kamailio; 2 servers: the keys remembered during an outage"
		echo "are deleted on both before the returning server is used again; it stays marked dead meanwhile)"
		awk -F'\t' 'NR > 1 { printf "  %7d keys remembered: settled in %9.1f ms (%.0f keys/s)\n", $1, $3, $4 }' "$FAILBACK"
	fi
} >"$RESULTS"

# Plot: answered calls/s and Kamailio CPU per request, ours vs shipped.
awk -F'\t' -v scen="$SCENARIOS" 'NR > 1 { k = $3 SUBSEP $2; n[k]++; c[k] += $5; u[k] += $11; m[k] += $13 }
	END { ns = split(scen, S, " ")
		for (a = 1; a <= ns; a++) {
			o = S[a] SUBSEP "ours"; h = S[a] SUBSEP "shipped"
			if (!n[o] || !n[h]) continue
			printf "%s %.0f %.0f %.2f %.2f %.2f %.2f\n", S[a], c[o] / n[o], c[h] / n[h],
				u[o] / n[o], u[h] / n[h], m[o] / n[o], m[h] / n[h] } }' "$RUNS" >"$WORK/plot.dat"
gnuplot <<EOF 2>"$WORK/gnuplot.err" || log "gnuplot failed: $(cat "$WORK/gnuplot.err")"
set terminal png size 1000,1000 font ",10" noenhanced
set output "$OUT/results.png"
set multiplot layout 3,1 title "memcached module: ours vs shipped (${MACHINE#machine: }; sipp -r $RATE)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right top vertical
set grid ytics
set yrange [0:*]
set offset 0, 0, graph 0.1, 0
set ylabel "answered calls/s"
plot "$WORK/plot.dat" using 2:xtic(1) title "ours", "" using 3 title "shipped"
set ylabel "Kamailio CPU us / request"
plot "$WORK/plot.dat" using 4:xtic(1) title "ours", "" using 5 title "shipped"
set ylabel "memcached commands / request"
plot "$WORK/plot.dat" using 6:xtic(1) title "ours", "" using 7 title "shipped"
unset multiplot
EOF

cat "$RESULTS"
echo
echo "----- README paragraph -----"
readme_paragraph | tee "$OUT/readme.txt"
echo "results: $RESULTS"
