#!/bin/bash
# Helpers of the reliability suites (tests/suites/5x-*.sh), sourced after
# tests/lib/common.sh: network namespaces holding memcached servers, SIPp
# load against a test Kamailio, Kamailio memory figures over RPC.
#
# Namespaces are named mcdt-<random>-<n>, their veth pairs mcdt<random>h<n>
# (root side) / mcdt<random>n<n> (namespace side), addresses 10.213.X.2
# (root) and 10.213.X.1 (namespace) with X picked among unused /24s. Only
# what this file created is deleted, at exit.

REL_TAG=$(printf '%04x' $((RANDOM % 65536)))
REL_NS=()   # namespaces created by this run
REL_VETH=() # root-side veth names created by this run

rel_cleanup() {
	local rc=$? n
	# processes first (they may live in the namespaces), then the network
	t_cleanup
	for n in "${REL_VETH[@]:-}"; do
		[ -n "$n" ] && ip link del "$n" 2>/dev/null
	done
	for n in "${REL_NS[@]:-}"; do
		[ -n "$n" ] && ip netns del "$n" 2>/dev/null
	done
	exit "$rc"
}
trap rel_cleanup EXIT
trap 'exit 130' INT TERM

# calc EXPR: floating-point arithmetic and comparisons (1/0), by awk
calc() { awk "BEGIN {print ($1)}"; }

# ---- network namespaces ----

# A 10.213.X.0/24 no interface or route of this machine uses yet.
rel_free_net() {
	local i x
	for i in $(seq 1 50); do
		x=$((1 + RANDOM % 250))
		if ! ip -o addr show | grep -q "inet 10\.213\.$x\." &&
			! ip route show | grep -q "^10\.213\.$x\."; then
			echo "$x"
			return 0
		fi
	done
	return 1
}

# rel_ns_add N: namespace mcdt-<tag>-N joined to the root namespace by a
# veth pair. Sets NS_<N> (name), NSIF_<N> (namespace-side interface),
# NSHOST_<N> (root-side interface), NSIP_<N> (the namespace's address).
# Returns 1 with a reason on stderr when it cannot.
rel_ns_add() {
	local n=$1 ns="mcdt-$REL_TAG-$1" h="mcdt${REL_TAG}h$1" i="mcdt${REL_TAG}n$1" x err
	x=$(rel_free_net) || { echo "no free 10.213.X.0/24 network" >&2; return 1; }
	if ! err=$(ip netns add "$ns" 2>&1); then
		echo "ip netns add $ns: $err" >&2
		return 1
	fi
	REL_NS+=("$ns")
	if ! err=$(ip link add "$h" type veth peer name "$i" 2>&1); then
		echo "ip link add (veth): $err" >&2
		return 1
	fi
	REL_VETH+=("$h")
	if ! { ip link set "$i" netns "$ns" &&
		ip addr add "10.213.$x.2/24" dev "$h" &&
		ip link set "$h" up &&
		ip -n "$ns" link set lo up &&
		ip -n "$ns" addr add "10.213.$x.1/24" dev "$i" &&
		ip -n "$ns" link set "$i" up; }; then
		echo "cannot configure $ns" >&2
		return 1
	fi
	printf -v "NS_$n" '%s' "$ns"
	printf -v "NSIF_$n" '%s' "$i"
	printf -v "NSHOST_$n" '%s' "$h"
	printf -v "NSIP_$n" '%s' "10.213.$x.1"
}

# rel_ns_link N up|down: the namespace side of the link (the root side then
# loses carrier and drops what it sends: a cable pulled at the server).
rel_ns_link() {
	local nsv="NS_$1" ifv="NSIF_$1"
	ip -n "${!nsv}" link set "${!ifv}" "$2"
}

# rel_ns_mc_cmd N "cmd"...: raw text-protocol commands to the memcached of
# namespace N, from inside it (works whatever the state of the link).
rel_ns_mc_cmd() {
	local nsv="NS_$1" ipv="NSIP_$1" portv="NSMC_PORT_$1"
	shift
	{ printf '%s\r\n' "$@"; printf 'quit\r\n'; } |
		timeout 5 ip netns exec "${!nsv}" nc -N "${!ipv}" "${!portv}" | tr -d '\r'
}
rel_ns_mc_stat() {
	rel_ns_mc_cmd "$1" stats | awk -v f="$2" '$1=="STAT" && $2==f {print $3}'
}

# rel_ns_memcached N: (re)starts memcached in namespace N on NSIP_N, port
# NSMC_PORT_N (chosen on the first start, kept on restarts). Sets NSMC_PID_N.
rel_ns_memcached() {
	local n=$1 nsv="NS_$1" ipv="NSIP_$1" portv="NSMC_PORT_$1" pidv="NSMC_PID_$1" pid i
	[ -n "${!portv:-}" ] || printf -v "$portv" '%s' $((20000 + RANDOM % 40000))
	[ -n "${!pidv:-}" ] && stop_pid "${!pidv}"
	ip netns exec "${!nsv}" memcached -u root -l "${!ipv}" -p "${!portv}" -U 0 \
		-t 2 >> "$T_DIR/memcached-ns$n.log" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	printf -v "$pidv" '%s' "$pid"
	for i in $(seq 1 50); do
		rel_ns_mc_cmd "$n" version 2>/dev/null | grep -q VERSION && return 0
		sleep 0.1
	done
	echo "memcached in ${!nsv} did not start" >&2
	return 1
}

# ---- SIPp ----

# rel_scenario [-n N] FILE [HEADER...]: a MESSAGE + 200 scenario; headers
# may use SIPp keywords ([call_number], [field0]...). With -n N a call sends
# N requests back to back (same X-N), then takes their N answers: requests
# that reach Kamailio at the same instant. Response times are measured.
rel_scenario() {
	local burst=1 f h i
	if [ "$1" = -n ]; then
		burst=$2
		shift 2
	fi
	f=$1
	shift
	{
		echo '<?xml version="1.0" encoding="ISO-8859-1" ?>'
		echo '<scenario name="mcd-rel">'
		for ((i = 1; i <= burst; i++)); do
			# a lost request is sent again; SIPp retransmits the last one only
			if [ "$i" = "$burst" ]; then echo '  <send retrans="500">'; else echo '  <send>'; fi
			cat <<'EOF'
    <![CDATA[
      MESSAGE sip:rel@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[call_number]
      To: <sip:rel@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      Max-Forwards: 70
      X-N: [call_number]
EOF
			printf '      CSeq: %d MESSAGE\n' "$i"
			for h in "$@"; do printf '      %s\n' "$h"; done
			cat <<'EOF'
      Content-Length: 0

    ]]>
  </send>
EOF
		done
		for ((i = 1; i < burst; i++)); do echo '  <recv response="200"/>'; done
		echo '  <recv response="200" rtd="true"/>'
		echo '</scenario>'
	} > "$f"
}

# rel_sipp KAMNAME SCENARIO CALLS RATE OUTPREFIX [sipp args...]: runs SIPp
# in the background against Kamailio KAMNAME; sets SIPP_PID. Its output,
# statistics and response times are OUTPREFIX.{log,stat.csv,rtt.csv}.
rel_sipp() {
	local scen=$2 calls=$3 rate=$4 out=$5 portv="SIP_PORT_$1" lport
	shift 5
	lport=$(free_port) || return 1
	# run from the scenario's folder: sipp writes its rtt file in the cwd
	(cd "$(dirname "$scen")" &&
		exec timeout $((calls / rate + 120)) sipp -sf "$scen" -i 127.0.0.1 \
		-p "$lport" -m "$calls" -r "$rate" -rp 1000 -nostdin \
		-timeout $((calls / rate + 90)) -timeout_error \
		-trace_stat -stf "$out.stat.csv" -fd 1 -trace_rtt -rtt_freq 1 \
		-trace_err -error_file "$out.err.log" \
		"$@" "127.0.0.1:${!portv}" > "$out.log" 2>&1 < /dev/null) &
	SIPP_PID=$!
	T_PIDS+=("$SIPP_PID")
	REL_RTT_GLOB="$(dirname "$scen")/$(basename "$scen" .xml)_*_rtt.csv"
}

# rel_sipp_counts OUTPREFIX: "<successful> <failed>" from the last stats row.
rel_sipp_counts() {
	awk -F';' 'NR==1 {for (i=1;i<=NF;i++) {if ($i=="SuccessfulCall(C)") s=i;
		if ($i=="FailedCall(C)") f=i}} NR>1 {ok=$s; ko=$f} END {print ok+0, ko+0}' \
		"$1.stat.csv" 2>/dev/null
}

# rel_rtt_max: the largest response time (ms) SIPp saw in the rtt files.
rel_rtt_max() {
	# shellcheck disable=SC2086
	cat $REL_RTT_GLOB 2>/dev/null | awk -F';' 'NR > 1 && $2+0 > m {m = $2+0} END {printf "%.0f\n", m}'
}

# ---- Kamailio memory over RPC (needs kex.so and ctl.so in the cfg) ----

# rel_pkg_used KAMNAME: "pid real_used" per process, sorted by pid.
rel_pkg_used() {
	kamcmd_to "$1" pkg.stats | awk '$1=="pid:" {p=$2} $1=="real_used:" {print p, $2}' |
		sort -n
}
# rel_shm_used KAMNAME: real_used of the shared memory.
rel_shm_used() {
	kamcmd_to "$1" core.shmmem | awk '$1=="real_used:" {print $2}'
}
