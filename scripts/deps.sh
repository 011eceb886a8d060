#!/bin/sh
# Installs what building, running and testing the module needs (Debian 12).
# Quiet and quick when everything is there already.
set -eu
PKGS="kamailio kamailio-memcached-modules kamailio-lua-modules
 kamailio-python3-modules kamailio-extra-modules memcached libmemcached-dev
 libmemcached-tools check pkg-config libssl-dev sip-tester sipsak sasl2-bin
 libsasl2-dev libsasl2-modules dpkg-dev valgrind xsltproc docbook-xsl
 docbook-xml lynx gnuplot-nox clang libclang-rt-14-dev debhelper lintian
 iproute2 netcat-openbsd make gcc bison flex libxml2-utils"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# The service scripts would start system memcached/kamailio; tests
	# start their own on free ports, so keep the packaged ones from starting.
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y -q --no-install-recommends $missing
	rm -f /usr/sbin/policy-rc.d
fi
