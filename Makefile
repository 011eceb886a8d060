# Kamailio memcached module (drop-in replacement for the shipped one).
#
#   make            build memcached.so against the Kamailio source that
#                   matches the installed kamailio (fetched into build/)
#   make install    install into Kamailio's module folder (DESTDIR honoured)
#   make check      the whole test suite (installs what is missing)
#   make run        memcached + Kamailio with doc/examples/kamailio.cfg
#   make bench      benchmark against the shipped module
#   make doc        render README from doc/*.xml
#   make deb        Debian package
#   make trixie     make check inside a Debian 13 root (build/trixie);
#                   make check runs it too on Debian 12 (suite 95-trixie)
#   make trixie-shell  a shell in that root, the tree copied to /src
#   make intree KAMAILIO_TREE=/path   put the module into a Kamailio tree
#                   as src/modules/memcached (its make and CMake build it)
#
# KAMAILIO_SRC=/path/to/kamailio uses an existing source tree.

BUILD_DIR    ?= $(CURDIR)/build
KAMAILIO_VER ?= $(shell dpkg-query -W -f='$${Version}' kamailio 2>/dev/null | sed 's/-[^-]*$$//; s/^[0-9]*://')
KAMAILIO_SRC ?= $(BUILD_DIR)/kamailio-$(KAMAILIO_VER)
MODULES_DIR  ?= $(shell dpkg -L kamailio 2>/dev/null | grep -m1 '/modules/tm.so$$' | xargs -r dirname)
ifeq ($(MODULES_DIR),)
MODULES_DIR  := /usr/lib/x86_64-linux-gnu/kamailio/modules
endif

CORE_SRCS = mcd_err.c mcd_alloc.c mcd_md5.c mcd_key.c mcd_value.c \
            mcd_config.c mcd_near.c mcd_client.c \
             mcd_lmalloc.c mcd_breaker.c mcd_route.c mcd_ops.c \
             mcd_journal.c mcd_failback.c
export CORE_SRCS

.PHONY: all module install deps kamailio-src check unit bench doc deb run clean distclean \
        trixie trixie-shell trixie-clean intree

all: module

module: $(KAMAILIO_SRC)/src/Makefile.defs
	$(MAKE) -f module.mk COREPATH=$(KAMAILIO_SRC)/src

$(KAMAILIO_SRC)/src/Makefile.defs:
	KAMAILIO_VER=$(KAMAILIO_VER) BUILD_DIR=$(BUILD_DIR) scripts/fetch-kamailio-src.sh

kamailio-src: $(KAMAILIO_SRC)/src/Makefile.defs

deps:
	scripts/deps.sh

install: module
	install -d $(DESTDIR)$(MODULES_DIR)
	install -m 0644 memcached.so $(DESTDIR)$(MODULES_DIR)/memcached.so

check:
	scripts/deps.sh
	$(MAKE) module
	tests/run-all.sh

unit:
	$(MAKE) -C tests/unit

run:
	scripts/deps.sh
	$(MAKE) module
	scripts/run.sh

bench:
	scripts/deps.sh
	$(MAKE) module
	bench/run.sh

doc:
	$(MAKE) -C doc

deb:
	scripts/make-deb.sh

clean:
	rm -f *.o *.d memcached.so librpath.lst makecfg.lst
	-$(MAKE) -C tests/unit clean

trixie:
	scripts/trixie.sh run make check

trixie-shell:
	scripts/trixie.sh shell

trixie-clean:
	scripts/trixie.sh clean

intree:
	@test -n "$(KAMAILIO_TREE)" || { echo "usage: make intree KAMAILIO_TREE=/path/to/kamailio" >&2; exit 2; }
	scripts/intree.sh $(KAMAILIO_TREE)

# build/ may hold the trixie root: unmount whatever is under it first, and
# never cross into another file system while removing.
distclean: clean
	scripts/umount-under.sh $(BUILD_DIR)
	rm -rf --one-file-system $(BUILD_DIR)
