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
 * The failback journal: the keys this instance changed on another server
 * while their own server (the owner) was marked dead, so that the prober
 * can settle them before the owner is used again (mcd_failback.c). One
 * block from the host's allocator (shared memory under Kamailio, so every
 * process of the instance records into it), bounded by max_keys; a key
 * that does not fit flags its owner as overflowed instead. Pure: no I/O.
 */
#ifndef MCD_JOURNAL_H
#define MCD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcd_alloc.h"
#include "mcd_err.h"
#include "mcd_key.h"

#define MCD_JOURNAL_MAX_KEYS 10000000u

typedef struct mcd_journal mcd_journal;

/* What mcd_journal_record did. */
typedef enum mcd_jrec {
	MCD_JREC_KEPT = 0,     /* remembered */
	MCD_JREC_OVERFLOW = 1, /* no room: the owner is flagged overflowed */
	MCD_JREC_OVERFLOW_NEW = 2 /* as OVERFLOW, and this call raised the flag
							   * (the caller logs and counts it, once) */
} mcd_jrec;

/* A remembered key as the prober copies it out to settle it. */
typedef struct mcd_jkey {
	uint64_t seq;  /* changes each time the key is recorded again */
	uint64_t fail; /* out: servers where settling could not reach it */
	uint16_t len;
	char key[MCD_KEY_MAX + 1]; /* wire key */
} mcd_jkey;

/* Bytes one journal of max_keys takes (for the host's sizing and docs). */
size_t mcd_journal_size(size_t max_keys);

/*
 * One block of mcd_journal_size(max_keys) bytes from a (the host's shared
 * allocator, NULL = system); nservers <= 64. MCD_E_ARG for max_keys 0 or
 * above MCD_JOURNAL_MAX_KEYS, MCD_E_NOMEM.
 */
mcd_rc mcd_journal_new_shm(size_t max_keys, size_t nservers,
		const mcd_allocator *a, mcd_journal **out);

/* Frees the block with the allocator that made it. NULL-safe. */
void mcd_journal_free_shm(mcd_journal *j);

/*
 * Remembers that key (a wire key) is being changed on server `standin`
 * while the servers in `owners` (its own, and any other it would go to
 * first) are out: the return of each of them settles it. Called BEFORE
 * the change is sent, so the prober, once it has settled a server, can
 * never miss a change that was in flight. OVERFLOW flags every owner.
 */
mcd_jrec mcd_journal_record(mcd_journal *j, uint64_t owners, size_t standin,
		const char *key, size_t len);

/* Keys remembered for server srv now. */
size_t mcd_journal_pending(const mcd_journal *j, size_t srv);

/* Whether keys of srv were lost to overflow (read only). */
bool mcd_journal_overflowed(const mcd_journal *j, size_t srv);

/* srv still owes settling (keys remembered, or an overflow to flush): it
 * must not be put back in use yet. False for a NULL journal. */
bool mcd_journal_owed(const mcd_journal *j, size_t srv);

/* Takes (and clears) the overflow flag of srv and the mask of the servers
 * that stood in for it; false when it had not overflowed. */
bool mcd_journal_take_overflow(mcd_journal *j, size_t srv, uint64_t *standins);

/* Flags srv overflowed again (a flush that could not be done). */
void mcd_journal_raise_overflow(mcd_journal *j, size_t srv);

/*
 * Copies up to cap keys remembered for srv, scanning from *cursor (0 to
 * start; moved on); returns how many. 0 with *cursor at the end = none
 * left in this scan.
 */
size_t mcd_journal_snapshot(mcd_journal *j, size_t srv, mcd_jkey *out,
		size_t cap, size_t *cursor);

/*
 * The keys of a snapshot were settled on srv: each one not recorded again
 * since (same seq) is forgotten for srv, and becomes owed to the servers
 * in its fail mask (their return settles it). Returns how many were
 * forgotten for srv.
 */
size_t mcd_journal_settled(mcd_journal *j, size_t srv, const mcd_jkey *k,
		size_t n);

/* Counters for statistics: keys settled, overflows (since start). */
void mcd_journal_count_settled(mcd_journal *j, uint64_t n);
void mcd_journal_stats(
		const mcd_journal *j, uint64_t *settled, uint64_t *overflows);

/* The prober's own note of when to settle srv once more after putting it
 * back in use (0 = not due). Only the prober reads and writes it. */
int64_t *mcd_journal_recheck_at(mcd_journal *j, size_t srv);

#endif
