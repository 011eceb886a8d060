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
 * The client handle: one per process, owns the libmemcached handle, its
 * connections, the per-server circuit breaker and the last error detail.
 *
 * Keys passed to operations are SCRIPT keys: the client adds the prefix and
 * hashes them (mcd_key_build), so every caller gets the same wire key.
 */
#ifndef MCD_CLIENT_H
#define MCD_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mcd_alloc.h"
#include "mcd_breaker.h"
#include "mcd_config.h"
#include "mcd_err.h"

typedef struct mcd_client mcd_client;


/* Sums over every server, for module totals and host statistics. */
typedef struct mcd_totals {
	uint64_t ops, hits, misses, errors, timeouts, failfast;
	uint64_t servers_dead; /* marked dead now */
} mcd_totals;

typedef enum mcd_store_op {
	MCD_SET,
	MCD_ADD,
	MCD_REPLACE,
	MCD_APPEND,
	MCD_PREPEND
} mcd_store_op;

/*
 * Creates a client. cfg must pass mcd_config_check (else MCD_E_CONFIG with
 * the detail in *err when err != NULL). alloc NULL = system allocator.
 * stats: array of mcd_server_stats, one per server, owned by the caller and
 * outliving the client; NULL = the client keeps its own.
 * The strings of cfg must outlive the client (module parameters do).
 * Does not connect: the first operation on a server does.
 */
mcd_rc mcd_client_new(const mcd_config *cfg, const mcd_allocator *alloc,
		mcd_server_stats *stats, mcd_client **out, char *err, size_t errlen);

/* Closes connections and frees everything the client allocated. NULL-safe.
 * A client made by another process is left alone: nothing is sent
 * through its sockets and nothing freed (its memory may be the owner's,
 * e.g. shm). */
void mcd_client_free(mcd_client *c);

/*
 * A client belongs to the process that created it. mcd_fork_generation
 * changes in the child of every fork (a pthread_atfork handler, so no
 * system call per operation); a client made under another value was
 * inherited, and its operations return MCD_E_FOREIGN without touching its
 * sockets: the process makes a client of its own.
 */
extern unsigned mcd_fork_generation;
int mcd_client_is_mine(const mcd_client *c);

/*
 * A process's client as a host keeps it: made on first use, made anew in
 * a process that inherited it over fork (the inherited one is left to its
 * owner), and, when making it failed (memory short for a moment), tried
 * again at most once per retry_ms; the first failure in a row is logged
 * at error level (cfg->log), the recovery at info level.
 * Zero-initialise. mcd_proc_client_ready is the per-operation check.
 */
typedef struct mcd_proc_client {
	mcd_client *c;
	unsigned gen;      /* mcd_fork_generation when c was made */
	unsigned failures; /* creations failed in a row */
	int64_t retry_at;  /* cfg clock, ms: no attempt before */
} mcd_proc_client;

static inline mcd_client *mcd_proc_client_ready(const mcd_proc_client *p)
{
	return (p->c != NULL && p->gen == mcd_fork_generation) ? p->c : NULL;
}

/* The client when ready, else makes one (see above); NULL when it cannot
 * (now, or not yet again). */
mcd_client *mcd_proc_client_get(mcd_proc_client *p, const mcd_config *cfg,
		const mcd_allocator *alloc, mcd_server_stats *stats,
		int64_t retry_ms);

/* Detail of the last failure on this client ("" after success). */
const char *mcd_client_errdetail(const mcd_client *c);

/* Outcome of the last operation on this client (MCD_OK after success). */
mcd_rc mcd_client_last_rc(const mcd_client *c);

/*
 * Puts the near cache (mcd_near.h) in front of this client's reads of the
 * keys it lists: gets are answered from it while fresh, every local write
 * updates or drops its entry. n (NULL = none) must outlive the client.
 */
struct mcd_near;
void mcd_client_set_near(mcd_client *c, struct mcd_near *n);

/* Allocations libmemcached made through the host allocator (calls), and
 * of those the ones served by the system heap because the host allocator
 * was exhausted (sys_fallbacks). Either pointer may be NULL. */
void mcd_client_lib_allocs(
		const mcd_client *c, uint64_t *calls, uint64_t *sys_fallbacks);

/* Operations. expire: seconds (0 never, >2592000 absolute), as memcached. */
mcd_rc mcd_get(mcd_client *c, const char *key, size_t key_len, mcd_buf *out,
		uint32_t *flags);
mcd_rc mcd_store(mcd_client *c, mcd_store_op op, const char *key,
		size_t key_len, const char *val, size_t val_len, uint32_t expire,
		uint32_t flags);
mcd_rc mcd_delete(mcd_client *c, const char *key, size_t key_len);
mcd_rc mcd_touch(mcd_client *c, const char *key, size_t key_len,
		uint32_t expire);

/*
 * Atomic counters; *value gets the new value. A missing key is created with
 * `initial` (flags 0, given expiry): binary protocol in one command, text
 * protocol as incr, add on NOT_FOUND, incr again if the add lost a race.
 */
mcd_rc mcd_incr(mcd_client *c, const char *key, size_t key_len,
		uint64_t delta, uint64_t initial, uint32_t expire, uint64_t *value);
mcd_rc mcd_decr(mcd_client *c, const char *key, size_t key_len,
		uint64_t delta, uint64_t initial, uint32_t expire, uint64_t *value);

/* Servers, in the order of the servers parameter. */
size_t mcd_server_count(const mcd_client *c);
const char *mcd_server_name(const mcd_client *c, size_t idx); /* "host:port" */
int mcd_server_is_dead(const mcd_client *c, size_t idx);
const mcd_server_stats *mcd_server_stats_get(const mcd_client *c, size_t idx);

/* One server's counters (servers_dead: 1 when it is marked dead), each
 * read atomically from the (possibly shared) record. */
void mcd_server_counts(const mcd_client *c, size_t idx, mcd_totals *out);

/* Adds one set of counters to a sum. */
void mcd_totals_add(mcd_totals *sum, const mcd_totals *one);

/* Sums of the counters of every server, and how many are marked dead. */
void mcd_totals_get(const mcd_client *c, mcd_totals *out);

/*
 * The prober, called every probe_interval by one process per host
 * instance (never a worker): first reports every transition of the shared
 * dead marks since the last call through ev (up = 0 went dead, 1 came
 * back; a short outage seen only between two calls is reported as down
 * then up), then contacts each server marked dead (bounded by timeout)
 * and marks alive, for every process at once, those that answer,
 * reporting them up. ev may be NULL.
 */
typedef void (*mcd_event_fn)(void *arg, size_t idx, const char *server, int up);
void mcd_probe_tick(mcd_client *c, mcd_event_fn ev, void *arg);

/* Index of the server that holds a script key right now (failover applied).
 * MCD_E_DEAD, *idx untouched, when that server is dead and failover is off
 * or no server is live. */
mcd_rc mcd_server_for_key(mcd_client *c, const char *key, size_t key_len,
		size_t *idx);

/* Contacts server idx now (a version request); *rtt_us gets the round trip. */
mcd_rc mcd_server_check(mcd_client *c, size_t idx, uint64_t *rtt_us);

#endif
