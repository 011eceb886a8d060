#!/bin/bash
# mcd-leg: kamailio
# In-tree builds: scripts/intree.sh puts the module into a copy of the
# installed Kamailio's source tree as src/modules/memcached. The tree's own
# make rules build it and the result runs in the installed kamailio; on a
# tree with CMake rules (6.0 and later) CMake builds and links it cleanly.
# (The 6.0.1 tarball's CMake rules stamp version 6.0.0-rc0, which Debian's
# binary refuses, so that build is checked but not loaded.)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

for t in make gcc pkg-config memcached sipsak nc ss readelf nm ldd comm dpkg-query; do
	command -v "$t" >/dev/null || { echo "  skipped: $t not installed (scripts/deps.sh)"; exit 77; }
done
kver=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null | sed 's/-[^-]*$//; s/^[0-9]*://')
[ -n "$kver" ] || { echo "  skipped: kamailio is not installed (scripts/deps.sh)"; exit 77; }
src="$TOP/build/kamailio-$kver"
[ -f "$src/src/Makefile.defs" ] ||
	{ echo "  skipped: no Kamailio $kver source in $src (make fetches it)"; exit 77; }

tree="$T_DIR/kamailio"
mod="$tree/src/modules/memcached"
cp -a "$src" "$tree" || { echo "  cannot copy $src"; exit 1; }
# Objects of the shipped module from earlier builds would hide a failure.
rm -rf --one-file-system "$mod"
if "$TOP/scripts/intree.sh" "$tree" >"$T_DIR/intree.log" 2>&1; then
	t_pass "scripts/intree.sh put the module into the tree"
else
	t_fail "scripts/intree.sh: $(cat "$T_DIR/intree.log")"
	t_done
fi

# CORE_SRCS of core.mk, the one list of the core's files (as make reads it).
core=$(make -s --no-print-directory -C "$TOP" -f - <<'MK'
include core.mk
all: ; @echo $(CORE_SRCS)
MK
)
[ -n "${core// /}" ] || t_fail "no CORE_SRCS in core.mk"
missing=""
for f in $core memcached.c; do
	[ -f "$mod/$f" ] || missing="$missing $f"
done
t_eq "every core source and memcached.c is in the module folder" "" "$missing"
nsrc=$(find "$mod" -maxdepth 1 -name '*.c' | wc -l)

# --- the tree's make rules
if timeout 600 make -C "$mod" >"$T_DIR/make.log" 2>&1; then
	t_pass "make -C src/modules/memcached"
else
	tail -n 30 "$T_DIR/make.log"
	t_fail "make -C src/modules/memcached failed"
fi
t_eq "make: no compiler warnings" "" "$(grep -i 'warning:' "$T_DIR/make.log" | head -n 5)"
t_eq "make: every source compiled" "$nsrc" "$(find "$mod" -maxdepth 1 -name '*.o' | wc -l)"
[ -f "$mod/memcached.so" ] || { t_fail "make built no memcached.so"; t_done; }

# kamailio -c loads the module (its version must be the installed core's).
cat >"$T_DIR/check.cfg" <<EOF
#!KAMAILIO
loadmodule "$mod/memcached.so"
modparam("memcached", "servers", "127.0.0.1:11211")
request_route { exit; }
EOF
if "$KAMAILIO" -c -f "$T_DIR/check.cfg" >"$T_DIR/check.log" 2>&1; then
	t_pass "kamailio -c loads the in-tree build"
else
	tail -n 10 "$T_DIR/check.log"
	t_fail "kamailio -c refuses the in-tree build"
fi

# And it serves: a counter only our module creates ($mcinc on a missing key).
start_memcached A || { t_fail "memcached did not start"; t_done; }
cat >"$T_DIR/run.cfg" <<'EOF'
#!KAMAILIO
debug=2
log_stderror=yes
children=1
auto_aliases=no
listen=udp:127.0.0.1:SIP_PORT
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule OUR_MODULE
modparam("memcached", "servers", MCD_SERVERS)
request_route {
	$mcinc($ci) = 7;
	append_to_reply("X-Counter: $mct($ci)\r\n");
	sl_send_reply("200", "OK");
	exit;
}
EOF
# shellcheck disable=SC2034 # start_kamailio (common.sh) reads it
OUR_MODULE="$mod/memcached.so"
if start_kamailio K "$T_DIR/run.cfg" -A "MCD_SERVERS=\"127.0.0.1:$MC_PORT_A\""; then
	REPLY=$(sip_req K OPTIONS)
	t_eq "SIP through the in-tree build: counter created" "7" "$(reply_hdr "$REPLY" X-Counter)"
else
	t_fail "Kamailio with the in-tree build did not start"
fi

# --- the tree's CMake rules
if [ ! -f "$tree/CMakeLists.txt" ]; then
	t_log "Kamailio $kver has no CMake rules: the CMake build is checked with 6.0 trees"
	t_done
fi
for t in cmake bison flex; do
	command -v "$t" >/dev/null || { t_fail "$t not installed (scripts/deps.sh)"; t_done; }
done
out="$T_DIR/cmake"
if timeout 300 cmake -S "$tree" -B "$out" -DMODULE_GROUP_NAME="" \
	-DINCLUDE_MODULES="memcached" >"$T_DIR/cmake-configure.log" 2>&1; then
	t_pass "cmake configures the tree with INCLUDE_MODULES=memcached"
else
	tail -n 30 "$T_DIR/cmake-configure.log"
	t_fail "cmake configure failed"
	t_done
fi
if timeout 600 cmake --build "$out" --target memcached >"$T_DIR/cmake-build.log" 2>&1; then
	t_pass "cmake --build --target memcached"
else
	tail -n 30 "$T_DIR/cmake-build.log"
	t_fail "cmake --build --target memcached failed"
fi
t_eq "cmake: no compiler or linker warnings" "" \
	"$(grep -i 'warning' "$T_DIR/cmake-build.log" | head -n 5)"
t_eq "cmake: every source compiled" "$nsrc" \
	"$(grep -c 'Building C object src/modules/memcached/' "$T_DIR/cmake-build.log")"
so=$(find "$out" -name memcached.so -path '*modules*' | head -n 1)
if [ -n "$so" ]; then
	t_pass "cmake built $so"
	needed=$(readelf -d "$so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	for lib in libmemcached libcrypto; do
		if [[ " $needed" == *" $lib.so"* ]]; then t_pass "links $lib"; else t_fail "does not link $lib: $needed"; fi
	done
	t_eq "exports the module interface" "exports" \
		"$(nm -D --defined-only "$so" | awk '$3 == "exports" {print $3}')"
	# Linked cleanly: every symbol the module needs comes from its
	# libraries or from the kamailio binary that loads it.
	nm -D --defined-only "$KAMAILIO" | awk '{print $3}' | sort -u >"$T_DIR/core.syms"
	undef=$(ldd -r "$so" 2>&1 | sed -n 's/^undefined symbol: \([^ \t]*\).*/\1/p' |
		sort -u | comm -23 - "$T_DIR/core.syms" | head -n 5 | tr '\n' ' ')
	t_eq "no undefined symbols beyond the kamailio binary's" "" "$undef"
else
	t_fail "cmake built no memcached.so"
fi
t_done
