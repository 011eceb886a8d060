# The host-independent core of the module: C files that include no
# Kamailio header. The one list of them, read by every build:
#   Makefile, module.mk           make (out of a Kamailio tree)
#   intree.mk, CMakeLists.txt     a Kamailio tree's make and CMake rules
#                                 (scripts/intree.sh copies this file there)
#   tests/unit/Makefile           the unit tests (and, through it, valgrind)
#   tests/fuzz/Makefile           the sanitizer build of the unit tests
#   bench/run.sh, tests/suites/85-intree.sh
# The module is these files plus every other .c of the folder (the Kamailio
# layer). Keep the assignment one logical line (continuations with "\"):
# CMakeLists.txt reads it with a regular expression.
CORE_SRCS = mcd_err.c mcd_alloc.c mcd_md5.c mcd_key.c mcd_value.c \
            mcd_config.c mcd_near.c mcd_client.c \
            mcd_lmalloc.c mcd_breaker.c mcd_route.c mcd_ops.c \
            mcd_journal.c mcd_failback.c
