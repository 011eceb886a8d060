# Builds memcached.so with Kamailio's own module rules, outside its tree.
# Called from Makefile with COREPATH=<kamailio source>/src.

# Kamailio's config.mak, once generated, leaves CC_OPT empty: without this
# the module would be built unoptimised. -O2 is what Debian builds with.
ifeq ($(strip $(CC_OPT)),)
override CC_OPT := -O2
endif

include $(COREPATH)/Makefile.defs

auto_gen=
NAME=memcached.so

DEFS += -I$(COREPATH) $(shell pkg-config --cflags libmemcached)
LIBS += $(shell pkg-config --libs libmemcached) -lcrypto

include $(COREPATH)/Makefile.modules
