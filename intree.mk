# The module's Makefile inside a Kamailio source tree, installed as
# src/modules/memcached/Makefile by scripts/intree.sh (the top Makefile and
# module.mk build the same sources out of a tree).

include ../../Makefile.defs

# The core's files (core.mk, copied here by scripts/intree.sh) must all be
# here: the module is them and every other .c of the folder.
include core.mk
$(foreach f,$(CORE_SRCS),$(if $(wildcard $(f)),,$(error core.mk names $(f), which is missing)))
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
