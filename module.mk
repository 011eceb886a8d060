# Builds memcached.so with Kamailio's own module rules, outside its tree.
# Called from Makefile with COREPATH=<kamailio source>/src.

include $(COREPATH)/Makefile.defs

auto_gen=
NAME=memcached.so

DEFS += -I$(COREPATH) $(shell pkg-config --cflags libmemcached)
LIBS += $(shell pkg-config --libs libmemcached) -lcrypto

include $(COREPATH)/Makefile.modules
