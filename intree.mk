# The module's Makefile inside a Kamailio source tree, installed as
# src/modules/memcached/Makefile by scripts/intree.sh (the top Makefile and
# module.mk build the same sources out of a tree).

include ../../Makefile.defs
auto_gen=
NAME=memcached.so

ifeq ($(CROSS_COMPILE),)
	BUILDER = $(shell which pkg-config)
endif

ifneq ($(BUILDER),)
	DEFS += $(shell $(BUILDER) --cflags libmemcached libcrypto)
	LIBS += $(shell $(BUILDER) --libs libmemcached libcrypto)
else
	DEFS += -I$(LOCALBASE)/include -I$(SYSBASE)/include
	LIBS += -L$(LOCALBASE)/lib -L$(SYSBASE)/lib -lmemcached -lcrypto
endif

# The sources include Kamailio's headers as "core/...".
DEFS += -I../..

include ../../Makefile.modules
