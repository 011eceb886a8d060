#!/bin/bash
# mcd-leg: kamailio
# shellcheck source-path=SCRIPTDIR disable=SC2153
# SASL (SPEC section 1): memcached started with -S and a sasldb; the module
# with username/password writes and reads; a wrong password is a clear error
# for each operation, never a crash.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/it.sh
. "$(dirname "$0")/../lib/it.sh"
need_tools memcached sipsak nc ss saslpasswd2 memcstat memccat
need_module

CFG="$TOP/tests/cfg/it-sasl.cfg"
USER=kamtest
PASS=s3cret-pw
SASLDIR="$T_DIR/sasl"
mkdir -p "$SASLDIR"
if ! printf '%s' "$PASS" | saslpasswd2 -a memcached -c -f "$SASLDIR/sasldb" -p "$USER" 2>"$SASLDIR/err"; then
	echo "  skipped: saslpasswd2 failed: $(cat "$SASLDIR/err")"
	exit 77
fi
printf 'mech_list: plain\nsasldb_path: %s\n' "$SASLDIR/sasldb" > "$SASLDIR/memcached.conf"

port=$(free_port) || exit 1
SASL_CONF_PATH="$SASLDIR" memcached -u root -S -l 127.0.0.1 -p "$port" -U 0 -t 2 \
	> "$T_DIR/memcached-sasl.log" 2>&1 &
T_PIDS+=("$!")
# stats NAME: one stats value, authenticated (the text protocol is off)
stat() {
	timeout 5 memcstat --servers="127.0.0.1:$port" --binary -u "$USER" -p "$PASS" 2>/dev/null |
		awk -v f="$1:" '$1==f {print $2}'
}
up=no
for i in $(seq 1 50); do
	if [ -n "$(stat pid)" ]; then up=yes; break; fi
	sleep 0.1
done
if [ "$up" != yes ]; then
	echo "  skipped: memcached -S with a sasldb did not accept the credentials (SASL support missing?)"
	exit 77
fi
get() {
	timeout 5 memccat --servers="127.0.0.1:$port" --binary -u "$USER" -p "$PASS" "$1" 2>/dev/null
}

echo "-- right credentials"
start_kamailio G "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$port\"" \
	-A "MCD_USER=\"$USER\"" -A "MCD_PASS=\"$PASS\"" || exit 1
m=$(log_mark G)
e0=$(stat auth_errors)
for i in 1 2 3 4; do
	rq G "X-Op: rw" "X-Key: sk$i" "X-Val: sv$i"
	t_eq "write+read $i" yes "$(hv X-Ok)"
done
t_eq "value on the server" sv3 "$(get sk3)"
rq G "X-Op: inc" "X-Key: sc" "X-Val: 1"
rq G "X-Op: inc" "X-Key: sc" "X-Val: 2"
t_eq "counter created and incremented" yes "$(hv X-Ok)"
t_eq "no authentication errors on the server" "$e0" "$(stat auth_errors)"
t_eq "no error lines" 0 "$(log_count G "$m" ERROR)"

echo "-- wrong password"
start_kamailio W "$CFG" -A "MCD_SERVERS=\"127.0.0.1:$port\"" \
	-A "MCD_USER=\"$USER\"" -A "MCD_PASS=\"wrong\"" || exit 1
m=$(log_mark W)
e0=$(stat auth_errors)
ans=0
for i in 1 2 3; do
	rq W "X-Op: rw" "X-Key: wk$i" "X-Val: wv$i"
	answered && ans=$((ans + 1))
	t_eq "wrong password: write+read $i fails" no "$(hv X-Ok)"
done
t_eq "wrong password: every request answered" 3 "$ans"
t_eq "wrong password: nothing written" "" "$(get wk1)"
n=$(log_count W "$m" 'ERROR: memcached.*[Aa][Uu][Tt][Hh]')
t_log "authentication error lines: $n (for 3 requests, 6 operations)"
log_since W "$m" | grep 'ERROR: memcached' | head -3 | sed 's/^/    /'
if [ "$n" -ge 3 ]; then t_pass "a clear authentication error per operation"; else t_fail "authentication errors logged: $n (expected one per operation, >= 3)"; fi
e1=$(stat auth_errors)
if [ "$e1" -gt "$e0" ]; then t_pass "server saw failed authentications ($((e1 - e0)))"; else t_fail "server saw no failed authentication"; fi
if kam_alive W; then t_pass "Kamailio alive"; else t_fail "Kamailio died"; fi
t_eq "no crash in the log" 0 "$(log_count W 0 'segfault\|SIGSEGV\|SIGABRT\|signal 11\|signal 6')"
rq G "X-Op: rw" "X-Key: after" "X-Val: ok"
t_eq "right credentials still work" yes "$(hv X-Ok)"
t_done
