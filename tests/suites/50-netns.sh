#!/bin/bash
# mcd-leg: core
# A real cluster across hosts: three memcached servers, each in a network
# namespace of its own behind a veth pair, and Kamailio (root namespace,
# timeout=300 ms, retry_timeout=2 s) under SIPp traffic at 100 requests/s.
# Each request writes its key and reads it back. While it runs: one server's
# link is cut and restored, one server is frozen (SIGSTOP) and thawed, one is
# killed and restarted empty. Checked:
#  - every SIP request is answered 200 (SIPp: no failed call);
#  - keys of healthy servers always succeed;
#  - the faulty server costs a request at most one timeout, and each process
#    pays it at most once per retry_timeout (then fails fast / fails over);
#  - the outage is logged per process, not per request;
#  - within retry_timeout + 1 s (+ slack for this busy machine) after the
#    fault ends the server is used again, and its keys succeed;
#  - at the end every server takes traffic.
# Needs root (network namespaces); exits 77 saying why when it cannot.
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../netns/lib.sh
. "$TOP/tests/netns/lib.sh"

RATE=100
TIMEOUT_MS=300 # as in tests/cfg/rel-netns.cfg
RETRY_S=2
FAULT_S=5      # length of each fault
SETTLE_S=5     # after each fault, > retry_timeout + 1 s
SLACK_S=1.5    # scheduling noise allowed on top of the spec's bounds
NKEYS=300

for t in ip sipp memcached nc kamcmd; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed (scripts/deps.sh)"; exit 77; }
done
if [ "$(id -u)" != 0 ]; then
	echo "  skipped: network namespaces need root (ip netns add)"
	exit 77
fi
for n in 1 2 3; do
	if ! rel_ns_add "$n" 2> "$T_DIR/netns.err"; then
		echo "  skipped: cannot build the test network: $(cat "$T_DIR/netns.err")"
		exit 77
	fi
done
servers=""
for n in 1 2 3; do
	rel_ns_memcached "$n" || { t_fail "memcached in namespace $n"; t_done; }
	ipv="NSIP_$n" portv="NSMC_PORT_$n"
	SRV[n]="${!ipv}:${!portv}"
	servers="$servers${servers:+,}${SRV[n]}"
done
t_log "servers: $servers"
start_kamailio K "$TOP/tests/cfg/rel-netns.cfg" -A "MCD_SERVERS=\"$servers\"" ||
	{ t_fail "Kamailio does not start"; t_done; }

# Where each key lives: written once through Kamailio, then looked for on
# every server directly.
r=$(sip_req K MESSAGE "X-Init: $NKEYS")
[[ "$r" == *"SIP/2.0 200"* ]] || { t_fail "key set-up request: $r"; t_done; }
keys=$(seq -f 'nk%g' 0 $((NKEYS - 1)) | tr '\n' ' ')
: > "$T_DIR/keymap"
for n in 1 2 3; do
	rel_ns_mc_cmd "$n" "get $keys" | awk -v n="$n" '$1=="VALUE" {print $2, n}' >> "$T_DIR/keymap"
done
per=$(awk '{c[$2]++} END {printf "%d %d %d", c[1], c[2], c[3]}' "$T_DIR/keymap")
t_eq "every key stored on exactly one server" "$NKEYS $NKEYS" \
	"$(wc -l < "$T_DIR/keymap") $(awk '{print $1}' "$T_DIR/keymap" | sort -u | wc -l)"
read -r c1 c2 c3 <<< "$per"
if [ "$c1" -ge 20 ] && [ "$c2" -ge 20 ] && [ "$c3" -ge 20 ]; then
	t_pass "keys spread over the servers: $per"
else
	t_fail "keys badly spread: $per"
	t_done
fi

# SIPp takes the keys in turn, alternating servers, so a key comes back
# only every NKEYS requests (no two requests on one key at the same time).
{
	echo SEQUENTIAL
	awk '{k[$2, c[$2]++] = $1} END {for (i = 0; i < 1000; i++) for (n = 1; n <= 3; n++)
		if ((n, i) in k) print k[n, i] ";" n}' "$T_DIR/keymap"
} > "$T_DIR/keys.csv"
rel_scenario "$T_DIR/rel.xml" "X-K: [field0]"

now() { date +%s.%N; }
# phase NAME SERVER START END
: > "$T_DIR/phases"
total_s=$((3 + 3 * (FAULT_S + SETTLE_S) + 3))
calls=$((RATE * total_s))
t_log "SIPp: $calls requests at $RATE/s; faults of ${FAULT_S}s each"
rel_sipp K "$T_DIR/rel.xml" "$calls" "$RATE" "$T_DIR/sipp" -inf "$T_DIR/keys.csv"
sleep 3

t0=$(now)
rel_ns_link 1 down
sleep "$FAULT_S"
rel_ns_link 1 up
t1=$(now)
echo "link-down 1 $t0 $t1" >> "$T_DIR/phases"
sleep "$SETTLE_S"

t0=$(now)
kill -STOP "$NSMC_PID_2"
sleep "$FAULT_S"
kill -CONT "$NSMC_PID_2"
t1=$(now)
echo "frozen 2 $t0 $t1" >> "$T_DIR/phases"
sleep "$SETTLE_S"

t0=$(now)
stop_pid "$NSMC_PID_3"
sleep "$FAULT_S"
rel_ns_memcached 3 || t_fail "memcached 3 does not restart"
t1=$(now)
echo "killed 3 $t0 $t1" >> "$T_DIR/phases"
sleep "$SETTLE_S"

# from here on nothing is wrong: every server must take traffic
for n in 1 2 3; do base_set[n]=$(rel_ns_mc_stat "$n" cmd_set); done
tq=$(now)

wait "$SIPP_PID" # bounded: rel_sipp runs it under timeout
sipp_rc=$?
tend=$(now)

# ---- what happened ----
read -r sip_ok sip_ko <<< "$(rel_sipp_counts "$T_DIR/sipp")"
if [ "$sipp_rc" -eq 0 ] && [ "$sip_ok" -eq "$calls" ] && [ "$sip_ko" -eq 0 ]; then
	t_pass "SIPp: all $calls requests answered 200"
else
	t_fail "SIPp: rc=$sipp_rc, $sip_ok answered, $sip_ko failed of $calls"
	tail -5 "$T_DIR/sipp.log" | sed 's/^/    /'
fi
if kill -0 "$KAM_PID_K" 2>/dev/null; then t_pass "Kamailio alive"; else t_fail "Kamailio died"; fi

# Requests: "t pid key server res us" (t = start). Module log lines carry no
# time: each is dated by the end of the next request of the same process.
for n in 1 2 3; do echo "${SRV[n]} $n"; done > "$T_DIR/srvmap"
awk -v req="$T_DIR/req.txt" -v ev="$T_DIR/ev.txt" '
	FILENAME == ARGV[1] {srv[$1] = $2; next}
	FILENAME == ARGV[2] {owner[$1] = $2; next}
	/ MCDT / {
		for (i = 1; i <= NF; i++) if ($i == "MCDT") break
		t = $(i + 1) + $(i + 2) / 1e6; p = $(i + 3)
		printf "%.6f %s %s %s %s %s\n", t, p, $(i + 4), owner[$(i + 4)], $(i + 5), $(i + 6) > req
		for (j = 0; j < np[p]; j++) printf "%.6f %s %s\n", t + $(i + 6) / 1e6, p, pend[p, j] > ev
		np[p] = 0
		next
	}
	/ memcached / && match($0, /^ *[0-9]+\([0-9]+\)/) {
		p = $1; sub(/^[0-9]+\(/, "", p); sub(/\).*/, "", p)
		if (match($0, /server [^ ]+ marked dead/)) {
			split(substr($0, RSTART, RLENGTH), a, " "); e = "DEAD " srv[a[2]]
		} else if (match($0, /server [^ ]+ is back/)) {
			split(substr($0, RSTART, RLENGTH), a, " "); e = "BACK " srv[a[2]]
		} else if (match($0, /ERROR: .* (set|get) .nk[0-9]+. failed/)) {
			k = substr($0, RSTART, RLENGTH); sub(/^.*(set|get) ./, "", k); sub(/. failed$/, "", k)
			e = "ERR " owner[k]
		} else next
		pend[p, np[p]++] = e
	}' "$T_DIR/srvmap" "$T_DIR/keymap" "${KAM_LOG_K}"
nreq=$(wc -l < "$T_DIR/req.txt")
t_log "$nreq requests logged by Kamailio, $(wc -l < "$T_DIR/ev.txt") module log events"

allow=$(calc "$RETRY_S + 1 + $SLACK_S")
slow_us=$((TIMEOUT_MS * 1000 / 2))
worst_bound_us=$((TIMEOUT_MS * 1000 + 400000))
figures=()
while read -r name f a b; do
	# one line of figures, and the verdicts, per fault
	read -r answered h_ok h_all f_ok f_ko worst slowmax slowlim dead errs rec <<< "$(
	awk -v f="$f" -v a="$a" -v b="$b" -v al="$allow" -v su="$slow_us" -v rt="$RETRY_S" '
		FILENAME == ARGV[1] {
			if ($1 >= a && $1 <= b) n++
			if ($1 >= a && $1 <= b + al) {
				if ($4 != f) {hall++; if ($5 == "ok") hok++}
				if ($6 > w) w = $6
				if ($6 > su) slow[$2]++
			}
			if ($1 >= a && $1 <= b && $4 == f) {if ($5 == "ok") fok++; else fko++}
			next
		}
		$4 == f && $1 >= a && $1 <= b + al {if ($3 == "DEAD") d++; if ($3 == "ERR") e++}
		$4 == f && $3 == "BACK" && $1 >= b && (rec == "" || $1 - b < rec) {rec = $1 - b}
		END {
			for (p in slow) if (slow[p] > sm) sm = slow[p]
			lim = int((b + al - a) / rt) + 2
			printf "%d %d %d %d %d %d %d %d %d %d %s\n", n, hok, hall, fok, fko, w, sm,
				lim, d, e, (rec == "" ? "none" : sprintf("%.2f", rec))
		}' "$T_DIR/req.txt" "$T_DIR/ev.txt")"
	win=$(calc "$b - $a")
	figures+=("$(printf '%-13s %5.1fs %8d %12s %9s %8dms %5d %6d/%-3d %8s' \
		"$name srv$f" "$win" "$answered" "$h_ok/$h_all" "$f_ok/$f_ko" \
		$((worst / 1000)) "$slowmax" "$dead" "$errs" "${rec}s")")
	if [ "$h_ok" -eq "$h_all" ] && [ "$h_all" -gt 0 ]; then
		t_pass "$name: healthy servers' keys all succeed ($h_ok/$h_all)"
	else
		t_fail "$name: healthy servers' keys: $h_ok of $h_all succeed"
	fi
	if [ "$worst" -le "$worst_bound_us" ]; then
		t_pass "$name: worst request $((worst / 1000)) ms (one timeout is ${TIMEOUT_MS} ms)"
	else
		t_fail "$name: a request took $((worst / 1000)) ms (> one timeout + 400 ms)"
	fi
	if [ "$slowmax" -le "$slowlim" ]; then
		t_pass "$name: at most $slowmax slow request(s) per process (limit $slowlim: once per retry_timeout)"
	else
		t_fail "$name: a process had $slowmax slow requests (limit $slowlim)"
	fi
	# per process: one "dead" line, and one failed probe per retry window
	if [ "$errs" -le $((4 * slowlim)) ] && [ "$dead" -le 8 ]; then
		t_pass "$name: $dead dead / $errs error log lines, not one per request"
	else
		t_fail "$name: $dead dead / $errs error log lines for $f_ko failed requests"
	fi
	if [ "$rec" != none ] && [ "$(calc "$rec <= $allow")" = 1 ]; then
		t_pass "$name: server used again ${rec}s after the fault ended"
	else
		t_fail "$name: server not back in time (recovery: $rec s)"
	fi
done < "$T_DIR/phases"

# Outside the fault windows (a fault and retry_timeout + 1 s + slack after
# it, for its own server's keys) every request must succeed.
bad=$(awk -v al="$allow" 'FILENAME == ARGV[1] {f[NR] = $2; a[NR] = $3; b[NR] = $4; nf = NR; next}
	$5 != "ok" {
		excused = 0
		for (i = 1; i <= nf; i++) if ($4 == f[i] && $1 >= a[i] && $1 <= b[i] + al) excused = 1
		if (!excused) print
	}' "$T_DIR/phases" "$T_DIR/req.txt")
if [ -z "$bad" ]; then
	t_pass "outside the fault windows every request succeeds"
else
	t_fail "$(echo "$bad" | wc -l) request(s) failed outside a fault window, e.g.:"
	echo "$bad" | head -5 | sed 's/^/    /'
fi

grow=""
for n in 1 2 3; do
	d=$(( $(rel_ns_mc_stat "$n" cmd_set) - base_set[n] ))
	items=$(rel_ns_mc_stat "$n" curr_items)
	grow="$grow srv$n:+$d sets/${items} items"
	if [ "$d" -le 0 ] || [ "$items" -le 0 ]; then
		t_fail "server $n takes no traffic after recovery (+$d sets, $items items)"
	fi
done
t_pass "after recovery, traffic per server:$grow"

rtt=$(rel_rtt_max)
final_s=$(calc "int($tend - $tq)")
cat <<EOF2

  --- figures: 3 memcached in network namespaces, Kamailio children=4, $RATE req/s,
  --- each request = 1 write + 1 read; timeout=${TIMEOUT_MS}ms retry_timeout=${RETRY_S}s, faults of ${FAULT_S}s
  fault             time answered  healthy ok  fault ok/ko    worst  slow  dead/err  recovery
$(printf '  %s\n' "${figures[@]}")
  SIP: $sip_ok/$calls answered 200, $sip_ko failed; worst SIPp response time ${rtt} ms
  final ${final_s}s without faults:$grow

EOF2
t_done
