#!/bin/bash
# mcd-leg: kamailio
# Parameters whose effect shows only in logs or on the server:
# slow_threshold, noreply and mode, through the real Kamailio.
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
CFG="$TOP/tests/cfg/it-count.cfg"
start_memcached A || exit 1
SRV="MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""

echo "# slow_threshold=1 us: every operation is reported, with its key"
start_kamailio S "$CFG" -A "$SRV" -A MCD_SLOW=1 || exit 1
m=$(log_mark S)
rq S "X-Op: set" "X-Key: slowkey" "X-Val: v"
rq S "X-Op: get" "X-Key: slowkey"
t_eq "value read back" v "$(hv X-Val)"
n=$(log_count S "$m" "WARNING: .*memcached: slow set 'slowkey': [0-9]* us")
t_eq "one slow-set warning" 1 "$n"
n=$(log_count S "$m" "WARNING: .*memcached: slow get 'slowkey': [0-9]* us")
t_eq "one slow-get warning" 1 "$n"
stop_pid "$KAM_PID_S"

echo "# slow_threshold=0 (default): no warning"
start_kamailio Q "$CFG" -A "$SRV" || exit 1
m=$(log_mark Q)
rq Q "X-Op: get" "X-Key: slowkey"
t_eq "no slow warning" 0 "$(log_count Q "$m" "memcached: slow")"
stop_pid "$KAM_PID_Q"

echo "# noreply=1: writes land without waiting; reads still answer"
start_kamailio N "$CFG" -A "$SRV" -A MCD_NOREPLY=1 || exit 1
before=$(mc_cmds A)
rq N "X-Op: set" "X-Key: nrkey" "X-Val: quiet"
rq N "X-Op: get" "X-Key: nrkey"
t_eq "value written with noreply reads back" quiet "$(hv X-Val)"
t_eq "on the server" quiet "$(mc_get A nrkey)"
t_eq "server flags" 1 "$(mc_flags A nrkey)"
rq N "X-Op: tex" "X-Key: nrkey"
rq N "X-Op: del" "X-Key: nrkey"
after=$(mc_cmds A)
# set, get, the two reads of this test, touch, delete
t_eq "one server command per operation" 6 "$((after - before))"
t_eq "deleted with noreply" "" "$(mc_get A nrkey)"
stop_pid "$KAM_PID_N"

echo "# mode=1: a write only creates; a second write to the key fails"
start_kamailio M "$CFG" -A "$SRV" -A MCD_MODE=1 || exit 1
m=$(log_mark M)
rq M "X-Op: set" "X-Key: modekey" "X-Val: first"
rq M "X-Op: set" "X-Key: modekey" "X-Val: second"
t_eq "first write kept" first "$(mc_get A modekey)"
n=$(log_count M "$m" "ERROR: .*memcached: add 'modekey' failed: key exists")
t_eq "the refused write logged once" 1 "$n"
if answered; then t_pass "Kamailio answered"; else t_fail "no reply"; fi
stop_pid "$KAM_PID_M"
t_done
