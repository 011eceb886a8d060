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
 * Near cache: recently read values of chosen script keys, kept in memory
 * shared by all processes of one instance, so that hot, rarely written keys
 * (block lists, routing data, flags) are answered without a network trip.
 *
 * Which keys and for how long: a spec "prefix=ms;prefix=ms" (longest
 * matching prefix wins). An entry is served only while younger than its
 * prefix's bound, measured from the moment the value was fetched from the
 * server (the caller takes that time before sending the request). Absent
 * keys are cached as such, for the same bound. Values over
 * MCD_NEAR_MAX_VALUE bytes are not cached.
 *
 * The structure is split into stripes by key hash, each with its own small
 * spinlock (an atomic int, so processes, not only threads, may share it)
 * and its own least-recently-used list: the size bound holds overall, but
 * the eviction order is per stripe (caches of up to 31 entries have one
 * stripe, hence an exact LRU).
 *
 * Race with local writes: a reader takes a ticket before fetching; a
 * write (mcd_near_drop, mcd_near_set, mcd_near_flush) that lands between
 * the ticket and the reader's mcd_near_put makes that put a no-op, so an
 * older value never overwrites a newer write. Tickets are per hash bucket:
 * an unrelated key of the same bucket may spoil a put (one more miss), never
 * the other way round.
 *
 * Memory: the structure and every entry come from the allocator given at
 * creation (Kamailio shm); processes that use it must be forked after it
 * was made (raw pointers, the allocator and clock functions are shared).
 * When the allocator fails, the entry is simply not cached.
 */
#ifndef MCD_NEAR_H
#define MCD_NEAR_H

#include <stddef.h>
#include <stdint.h>

#include "mcd_alloc.h"
#include "mcd_config.h"
#include "mcd_err.h"

#define MCD_NEAR_DEFAULT_SIZE 4096
#define MCD_NEAR_MAX_SIZE (1024u * 1024) /* entries */
#define MCD_NEAR_MAX_VALUE 65536              /* bytes; larger: not cached */
#define MCD_NEAR_MAX_MS 86400000u             /* bound of one prefix */

typedef struct mcd_near mcd_near;

/*
 * Makes the cache in memory of *shm (copied, so the allocator struct
 * itself need not outlive the call). spec "" (or only blanks) means off:
 * *out = NULL and MCD_OK. max_entries 0 = MCD_NEAR_DEFAULT_SIZE.
 * now_ms NULL = CLOCK_MONOTONIC. On MCD_E_CONFIG / MCD_E_NOMEM err
 * (may be NULL) holds a message such as
 * "near_cache: entry 2 'route:': missing '=ms'".
 * The caller owns *out and frees it with mcd_near_free().
 */
mcd_rc mcd_near_new_shared(const char *spec, size_t max_entries,
		const mcd_allocator *shm, mcd_clock_fn now_ms, void *clock_ctx,
		mcd_near **out, char *err, size_t errlen);

/* Only checks spec (for a configuration check before shm exists). */
mcd_rc mcd_near_check_spec(const char *spec, char *err, size_t errlen);

/* Frees every entry and the structure; NULL-safe. No process may use it
 * any more. */
void mcd_near_free(mcd_near *n);

/* 1 when the stripe locks start on 64-byte cache lines (whatever the
 * alignment the allocator gives), so stripes never share a line. */
int mcd_near_stripes_aligned(const mcd_near *n);

/* Bound in ms of this script key, 0 = not cached (or n NULL). */
uint32_t mcd_near_ttl_ms(const mcd_near *n, const char *key, size_t len);

typedef enum mcd_near_hit {
	MCD_NEAR_NONE = 0, /* nothing fresh: ask the server */
	MCD_NEAR_VALUE,	   /* *out holds the value, *flags its flags */
	MCD_NEAR_ABSENT	   /* the server had no such key: out untouched */
} mcd_near_hit;

/*
 * Looks the key up and copies a fresh value into the caller's buffer (no
 * allocation when out->cap is large enough). Counts a hit or a miss: call it
 * only for keys with mcd_near_ttl_ms() > 0. flags may be NULL. If out cannot
 * grow, the answer is MCD_NEAR_NONE (the caller then asks the server).
 */
mcd_near_hit mcd_near_get(mcd_near *n, const char *key, size_t len,
		mcd_buf *out, uint32_t *flags);

/* To be taken BEFORE the request for the key is sent; 0 when n is NULL. */
uint64_t mcd_near_ticket(mcd_near *n, const char *key, size_t len);

/* The cache's clock (ms). Take fetched_ms with it, before the request. */
int64_t mcd_near_now(const mcd_near *n);

/*
 * Caches what the server answered to a read: val NULL = key absent.
 * fetched_ms is mcd_near_now() taken before the request was sent; ticket
 * is mcd_near_ticket() taken before too. A no-op if the key has no prefix,
 * the entry would already be stale, or the key was changed locally since
 * the ticket. A value too large or a failed allocation drops the entry
 * instead (whatever was cached is older).
 */
void mcd_near_put(mcd_near *n, const char *key, size_t len, const char *val,
		size_t vlen, uint32_t flags, int64_t fetched_ms, uint64_t ticket);

/*
 * After a successful local write that leaves the key holding exactly val
 * (a plain set): every pending ticket of the key is spoilt, and the entry
 * becomes val when nothing else changed the key since ticket (taken, with
 * sent_ms, before the write was sent); otherwise it is dropped, since two
 * local writers may reach the server in either order.
 */
void mcd_near_set(mcd_near *n, const char *key, size_t len, const char *val,
		size_t vlen, uint32_t flags, int64_t sent_ms, uint64_t ticket);

/* After any other local change (delete, touch, append, counters...): drops
 * the entry and spoils pending tickets of the key. */
void mcd_near_drop(mcd_near *n, const char *key, size_t len);

/* Empties the cache and spoils every pending ticket. */
void mcd_near_flush(mcd_near *n);

/* Any pointer may be NULL; all 0 when n is NULL. */
void mcd_near_stats(const mcd_near *n, uint64_t *hits, uint64_t *misses,
		uint64_t *entries);

#endif
