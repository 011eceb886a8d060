#!/bin/bash
# mcd-leg: kamailio
# Concurrency: two Kamailio instances, children=4 each, under SIPp traffic
# at the same time, increment one counter ($mcinc, and the mcd_incr()
# function when the module has it); the final value equals the number of
# requests the scripts ran. Counters created from missing: fresh keys per
# 20 ms slot of the clock, incremented at the end of the slot by every
# request that arrived in it (tests/cfg/rel-concurrency.cfg), so workers of
# both instances find each key missing at about the same instant; each
# counter ends at exactly the number of requests of its slot, with flags 0.
# Then bursts: memcached frozen, eight requests (four per instance) wait on
# one missing key, memcached thaws and serves them all at once.
# Once with the text protocol (incr, add on miss, incr again if the add lost)
# and once with the binary one (increment with initial value).
# shellcheck source-path=SCRIPTDIR
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../netns/lib.sh
. "$TOP/tests/netns/lib.sh"

CALLS=${CONC_CALLS:-1500} # per instance and protocol
RATE=100
CFG="$TOP/tests/cfg/rel-concurrency.cfg"
NEW=8 # fresh $mcinc counters per slot, as in the cfg
BURSTS=10

for t in sipp memcached nc; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed (scripts/deps.sh)"; exit 77; }
done

fn=(-A WITH_FN)
if ! "$KAMAILIO" -c -f "$CFG" -A WITH_FN -A SIP_PORT=5 -A 'CTL_SOCK="unix:/nonexistent"' \
	-A "OUR_MODULE=\"$OUR_MODULE\"" -A 'MCD_SERVERS="127.0.0.1:1"' > "$T_DIR/check.log" 2>&1; then
	t_log "NOTE: kamailio -c rejects mcd_incr(); testing \$mcinc only:"
	grep -m3 -i 'error' "$T_DIR/check.log" | sed 's/^/    /'
	fn=()
fi
rel_scenario "$T_DIR/conc.xml"

# mc_values NAME KEY...: "key value flags" for the keys present, 100 a command.
mc_values() {
	local name=$1 cmds=() i
	shift
	for ((i = 1; i <= $#; i += 100)); do cmds+=("get ${*:i:100}"); done
	mc_cmd "$name" "${cmds[@]}" |
		awk '$1=="VALUE" {k=$2; f=$3; getline v; sub(/ +$/, "", v); print k, v, f}'
}

for bin in 0 1; do
	proto=$([ "$bin" = 1 ] && echo binary || echo text)
	# more server threads than cores: a thread can be preempted between
	# its miss and its add, which widens the window of the creation race
	start_memcached "M$bin" -t 8 || { t_fail "memcached"; continue; }
	portv="MC_PORT_M$bin"
	srv="127.0.0.1:${!portv}"
	ok=1
	for k in A B; do
		start_kamailio "$k$bin" "$CFG" -A "MCD_SERVERS=\"$srv\"" -A "MCD_BINARY=$bin" "${fn[@]}" ||
			ok=0
	done
	[ "$ok" = 1 ] || { t_fail "$proto: Kamailio does not start"; continue; }

	rel_sipp "A$bin" "$T_DIR/conc.xml" "$CALLS" "$RATE" "$T_DIR/sipp-A$bin"
	pa=$SIPP_PID
	rel_sipp "B$bin" "$T_DIR/conc.xml" "$CALLS" "$RATE" "$T_DIR/sipp-B$bin"
	pb=$SIPP_PID
	wait "$pa"
	ra=$?
	wait "$pb"
	rb=$?
	read -r aok ako <<< "$(rel_sipp_counts "$T_DIR/sipp-A$bin")"
	read -r bok bko <<< "$(rel_sipp_counts "$T_DIR/sipp-B$bin")"
	answered=$((aok + bok))
	if [ "$ra" = 0 ] && [ "$rb" = 0 ] && [ "$answered" = $((2 * CALLS)) ]; then
		t_pass "$proto: SIPp: $answered of $((2 * CALLS)) requests answered"
	else
		t_fail "$proto: SIPp rc=$ra/$rb, answered $aok+$bok, failed $ako+$bko"
	fi

	# what the scripts ran: "slot f1 f2" per request, both instances
	la="KAM_LOG_A$bin" lb="KAM_LOG_B$bin"
	grep -h ' MCDC ' "${!la}" "${!lb}" | sed 's/.* MCDC //' > "$T_DIR/runs-$bin"
	ran=$(wc -l < "$T_DIR/runs-$bin")
	[ "$ran" = "$answered" ] ||
		t_log "note: scripts ran $ran times for $answered answers (SIPp retransmissions)"

	cnt=$(mc_get "M$bin" cnt:pv | tr -d ' ')
	t_eq "$proto: \$mcinc counter = requests run ($ran)" "$ran" "$cnt"
	if [ ${#fn[@]} -gt 0 ]; then
		t_eq "$proto: mcd_incr returned 1 every time" "$ran" "$(awk '$2==1' "$T_DIR/runs-$bin" | wc -l)"
		t_eq "$proto: mcd_incr counter = requests run" "$ran" "$(mc_get "M$bin" cnt:fn | tr -d ' ')"
	fi

	# counters created from missing, NEW per slot
	awk -v k="$NEW" '{n[$1]++} END {for (r in n) for (j = 0; j < k; j++) print "new:" r ":" j, n[r]}' \
		"$T_DIR/runs-$bin" | sort > "$T_DIR/want-$bin"
	# shellcheck disable=SC2046
	mc_values "M$bin" $(awk '{print $1}' "$T_DIR/want-$bin") | sort > "$T_DIR/got-$bin"
	nkeys=$(wc -l < "$T_DIR/want-$bin")
	bad=$(join "$T_DIR/want-$bin" "$T_DIR/got-$bin" | awk '$2 != $3 || $4 != 0' | wc -l)
	missing=$(($(join -v1 "$T_DIR/want-$bin" "$T_DIR/got-$bin" | wc -l)))
	if [ "$bad" = 0 ] && [ "$missing" = 0 ] && [ "$nkeys" -gt 0 ]; then
		t_pass "$proto: $nkeys counters created concurrently (up to $(awk '$2 > m {m = $2} END {print m}' "$T_DIR/want-$bin") creators each): all exact, flags 0"
	else
		t_fail "$proto: of $nkeys fresh counters, $bad wrong and $missing missing, e.g.:"
		join -a1 "$T_DIR/want-$bin" "$T_DIR/got-$bin" | awk '$2 != $3 || $4 != 0' | head -5 |
			sed 's/^/    key want got flags: /'
	fi
	if [ ${#fn[@]} -gt 0 ]; then
		awk '$3==1 {n[$1]++} END {for (r in n) print "newf:" r, n[r]}' "$T_DIR/runs-$bin" |
			sort > "$T_DIR/wantf-$bin"
		# shellcheck disable=SC2046
		mc_values "M$bin" $(awk '{print $1}' "$T_DIR/wantf-$bin") | sort > "$T_DIR/gotf-$bin"
		bad=$(join -a1 "$T_DIR/wantf-$bin" "$T_DIR/gotf-$bin" | awk '$2 != $3 || $4 != 0' | wc -l)
		t_eq "$proto: mcd_incr counters created concurrently, wrong or missing" 0 "$bad"
		nkeys=$((nkeys + $(wc -l < "$T_DIR/wantf-$bin")))
	fi
	# more misses than keys created: several creators found one key missing
	# (the binary protocol's increment with initial value is not counted)
	[ "$bin" = 1 ] ||
		t_log "$proto: $(mc_stat "M$bin" incr_misses) increments found their key missing, for $nkeys keys created"
	# Bursts: the server is frozen, four requests per instance increment one
	# missing key (all workers wait), the server thaws and gets them at once.
	mp="MC_PID_M$bin"
	for r in $(seq 1 "$BURSTS"); do
		kill -STOP "${!mp}"
		senders=()
		for k in A B A B A B A B; do
			sip_req "$k$bin" MESSAGE "X-Burst: $r" > /dev/null &
			senders+=($!)
		done
		sleep 0.3
		kill -CONT "${!mp}"
		wait "${senders[@]}"
	done
	grep -h ' MCDB ' "${!la}" "${!lb}" | sed 's/.* MCDB //' |
		awk '{n[$1]++} END {for (r in n) print "burst:" r, n[r]}' | sort > "$T_DIR/wantb-$bin"
	# shellcheck disable=SC2046
	mc_values "M$bin" $(awk '{print $1}' "$T_DIR/wantb-$bin") | sort > "$T_DIR/gotb-$bin"
	bad=$(join -a1 "$T_DIR/wantb-$bin" "$T_DIR/gotb-$bin" | awk '$2 != $3 || $4 != 0')
	if [ -z "$bad" ] && [ "$(wc -l < "$T_DIR/wantb-$bin")" = "$BURSTS" ]; then
		t_pass "$proto: $BURSTS bursts, $(awk '{s += $2} END {print s}' "$T_DIR/wantb-$bin") creators in all, each burst on one missing key: all exact"
	else
		t_fail "$proto: bursts: wrong or missing counters (key want got flags):"
		echo "$bad" | head -5 | sed 's/^/    /'
	fi

	for k in A B; do
		pv="KAM_PID_$k$bin"
		kill -0 "${!pv}" 2>/dev/null || t_fail "$proto: Kamailio $k died"
		stop_pid "${!pv}"
	done
	stop_pid "${!mp}"
done
t_done
