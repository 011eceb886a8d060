#!/bin/bash
# mcd-leg: kamailio
# Arguments (SPEC sections 2, 4, 5): a generated matrix of function x
# argument position x argument kind (literal, string and integer $var,
# $avp and $sht, header, transformation, format string mixing them), in
# combinations across the arguments of one call; every function and
# pseudo-variable in the script, every KEMI export from Lua and Python.
# Each cell is checked against what memcached holds (value, flags, TTL)
# and what the script reads back. MCD_SEED=N repeats a matrix.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached python3 ss kamcmd
need_module
MODDIR=$(dirname "$STOCK_MODULE")
for m in htable app_lua app_python3; do
	if [ ! -f "$MODDIR/$m.so" ]; then
		echo "  skipped: $m.so not installed (kamailio-lua-modules," \
			"kamailio-python3-modules)"
		exit 77
	fi
done

GEN="$TOP/tests/lib/argmatrix.py"
M="$T_DIR/matrix"
mkdir -p "$M"
python3 "$GEN" gen "$M" || exit 1

start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""

# lang NAME LANG CFG DEFINES...: one Kamailio running the cells of LANG.
# The generated script is large: Kamailio 6.0 needs more than 64 MB of pkg
# memory to parse it (5.6 less); the pool is only touched as it is used.
lang() {
	local name=$1 what=$2 cfg=$3; shift 3
	echo "-- $what"
	if ! start_kamailio "$name" "$cfg" -M 256 -A "$SRV" "$@"; then
		local log="KAM_LOG_$name"
		if grep -qE "could not open module|cannot open shared object" \
			"${!log}" 2>/dev/null; then
			SKIPPED+=("$what: a KEMI module does not load here")
		else
			t_fail "$what: Kamailio did not start with the generated script"
		fi
		return
	fi
	local pv="SIP_PORT_$name" round used=() wpid
	# twice: the second round shows the worker's pkg memory does not grow
	# (copies of arguments are freed); native only, KEMI has no X-Pid
	for round in 1 2; do
		[ "$round" = 1 ] || [ "$what" = native ] || break
		if python3 "$GEN" run "$M" "$what" "${!pv}" "$MC_PORT_A"; then
			t_pass "$what round $round: every cell"
		else
			t_fail "$what round $round: cells failed"
		fi
		wpid=$(cat "$M/pid-$what" 2>/dev/null)
		used+=("$(kamcmd_to "$name" pkg.stats 2>/dev/null | awk -v p="$wpid" '
			$1=="pid:" {cur=$2}
			$1=="used:" && cur==p {print $2; exit}')")
	done
	if [ "$what" = native ]; then
		if [[ "${used[0]:-}" =~ ^[0-9]+$ && "${used[1]:-}" =~ ^[0-9]+$ ]]; then
			t_range "$what: worker pkg memory growth over a second round" \
				-65536 65536 $((used[1] - used[0]))
		else
			t_fail "$what: no pkg.stats for the worker [${wpid:-}]"
		fi
	fi
	kam_alive "$name" || t_fail "$what: Kamailio exited"
	local pid="KAM_PID_$name"
	stop_pid "${!pid}"
}

SKIPPED=()
lang N native "$M/matrix.cfg"
lang L lua "$M/kemi.cfg" -A KEMI_LUA -A "KEMI_SCRIPT=\"$M/matrix.lua\""
lang P py "$M/kemi.cfg" -A KEMI_PY -A "KEMI_SCRIPT=\"$M/matrix.py\""
# a part that could not run is never a pass
if [ "$T_FAILS" -eq 0 ] && [ "${#SKIPPED[@]}" -gt 0 ]; then
	printf '  skipped: %s\n' "${SKIPPED[@]}"
	exit 77
fi
t_done
