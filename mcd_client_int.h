/*
 * Copyright (C) 2026 Seed 29351211 maintainers
 *
 * This file is part of Kamailio, a free SIP server.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Kamailio is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * Kamailio is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 */
/*
 * The client handle's insides, shared by the files that implement it:
 * mcd_client.c (life cycle, servers, prober), mcd_route.c (which server
 * holds a key) and mcd_ops.c (the operations and their one pipeline).
 * Not for the host.
 */
#ifndef MCD_CLIENT_INT_H
#define MCD_CLIENT_INT_H

#include <setjmp.h>
#include <stdbool.h>

#include <libmemcached/memcached.h>

#include "mcd_client.h"
#include "mcd_breaker.h"
#include "mcd_key.h"
#include "mcd_lmalloc.h"
#include "mcd_near.h"
#include "mcd_failback.h"

typedef struct mcd_server {
	mcd_server_addr addr;
	char name[MCD_HOST_MAX + 8];
	bool logged_dead; /* this process logged it dead, owes a "back" */
	bool connected;   /* the last operation on it got an answer */
	bool auth_failed; /* the last connect was refused credentials */
	char token[24];   /* a group key that hashes to this server, "" if none */
} mcd_server;

struct mcd_client {
	memcached_st mc; /* embedded: created without an allocation of its own */
	bool mc_created;
	bool weighted;   /* the servers list gave weights (for a new handle) */
	bool quiet_set;  /* noreply: plain set is sent quietly */
	unsigned gen;    /* mcd_fork_generation of the creating process */
	mcd_allocator alloc;
	mcd_lm_ctx lm;   /* the library's view of alloc, with its counters */
	mcd_config cfg;  /* its strings belong to the host and outlive us */
	char prefix[MCD_KEY_MAX + 1];
	size_t prefix_len;
	size_t nservers;
	mcd_server srv[MCD_MAX_SERVERS];
	mcd_server_stats *stats;
	mcd_server_stats own_stats[MCD_MAX_SERVERS];
	mcd_breaker brk;
	mcd_near *near; /* shared read cache; NULL = off; not ours to free */
	mcd_journal *journal; /* failback; NULL = off; not ours to free */
	mcd_fb_overflow fb_overflow;
	mcd_rc last_rc;
	char err[MCD_ERRBUF_SIZE];
};

/* What an operation needs to know about its key and server. */
typedef struct mcd_route {
	char key[MCD_KEY_MAX + 1]; /* wire key */
	size_t key_len;
	const char *group; /* hashes to the chosen server; not sent: the key
						* itself, or gbuf with failover */
	size_t group_len;
	char gbuf[MCD_KEY_MAX + 24];
	size_t idx;   /* the chosen server */
	size_t home;  /* the server the key hashes to */
	int64_t seen; /* breaker mark seen when routing (0 = up) */
	uint64_t skipped; /* servers passed over because marked dead */
} mcd_route;

/* mcd_client.c */
void mcd_logf(const mcd_client *c, mcd_log_level lvl, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
mcd_rc mcd_set_err(mcd_client *c, mcd_rc rc, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
mcd_rc mcd_set_lib_err(mcd_client *c, const memcached_st *mc, mcd_rc rc,
		memcached_return_t lr);
mcd_rc mcd_map_rc(memcached_return_t r);
void mcd_server_dead(mcd_client *c, size_t idx, const char *why);
void mcd_server_alive(mcd_client *c, size_t idx, int64_t seen);
/* A handle of the client's settings on servers srv[0..nsrv) only. */
mcd_rc mcd_setup_handle(mcd_client *c, memcached_st *mc,
		const mcd_server *srv, size_t nsrv, bool weighted);

/* mcd_failback.c */
/* Before a change of r->key is sent to a server standing in for its
 * owner: remembers it (logs and counts an overflow once). */
void mcd_failback_record(mcd_client *c, const mcd_route *r);
/* The prober: server idx answered while marked (*seen, refreshed while
 * this runs). Settles its keys; true when it may be put back in use. */
bool mcd_failback_settle(mcd_client *c, size_t idx, int64_t *seen);
/* The prober, each tick: settles again, a grace of `timeout` after a
 * server was put back, the keys recorded by changes already under way. */
void mcd_failback_tick(mcd_client *c);
/* The prober put idx back in use. */
void mcd_failback_back(mcd_client *c, size_t idx);

/*
 * libmemcached 1.1.4 asserts on some server replies (a store answered
 * "END" aborts in memcached_send_ascii) and on states a broken stream
 * leaves behind: an abort there must not stop the host. Library calls run
 * between mcd_guard_enter and mcd_guard_leave; a SIGABRT raised meanwhile
 * (in this process) jumps back to env instead of ending the process. The
 * handle is then in an unknown state: mcd_client_renew replaces it.
 * Outside a guarded call the previous SIGABRT disposition applies.
 */
void mcd_guard_enter(sigjmp_buf *env);
void mcd_guard_leave(void);
/* Replaces c's library handle by a new one (the old one's connections are
 * closed, under the guard; if that aborts too, it is abandoned). */
mcd_rc mcd_client_renew(mcd_client *c);

/* mcd_route.c */
void mcd_route_tokens(mcd_client *c);
/* Picks the server for r->key (failover applied). MCD_E_DEAD (error
 * detail set, r->idx = r->home) when no server may be used. */
mcd_rc mcd_route_key(mcd_client *c, mcd_route *r);

#endif
