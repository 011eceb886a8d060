# Builds memcached.so with Kamailio's own module rules, outside its tree.
# Called from Makefile with COREPATH=<kamailio source>/src.

# Kamailio's config.mak, once generated, leaves CC_OPT empty: without this
# the module would be built unoptimised. -O2 is what Debian builds with.
ifeq ($(strip $(CC_OPT)),)
override CC_OPT := -O2
endif

include $(COREPATH)/Makefile.defs

# The core's files (core.mk) must all be here: the module is them and the
# Kamailio layer (every other .c of the folder, Kamailio's own rule).
include core.mk
$(foreach f,$(CORE_SRCS),$(if $(wildcard $(f)),,$(error core.mk names $(f), which is missing)))

auto_gen=
NAME=memcached.so

DEFS += -I$(COREPATH) $(shell pkg-config --cflags libmemcached)
LIBS += $(shell pkg-config --libs libmemcached) -lcrypto

include $(COREPATH)/Makefile.modules
