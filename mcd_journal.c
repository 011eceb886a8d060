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
 * The journal block: header, entries, then an open-addressing index of
 * entry numbers. One spin lock guards entries and index; its critical
 * sections are short (a lookup, a copy of a batch), and every wait is
 * bounded: a writer that cannot get the lock flags an overflow, which is
 * the safe answer (the owner is flushed on return).
 */
#include <sched.h>
#include <string.h>

#include "mcd_journal.h"

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define LOCK_SPINS 2000000 /* yields, about seconds: far beyond any holder */
#define NO_ENTRY 0u

typedef struct jent {
	uint64_t pending; /* servers whose return must settle it; 0 = free */
	uint64_t seq;
	uint64_t hash;
	uint16_t len;
	char key[MCD_KEY_MAX + 1];
} jent;

typedef struct jsrv {
	uint64_t count;    /* entries with this server's pending bit */
	uint32_t overflow; /* keys were lost since the last take */
	uint64_t standins; /* servers that stood in while it was out */
	int64_t recheck_at;
} jsrv;

struct mcd_journal {
	mcd_allocator alloc;
	int lock;
	size_t max;      /* entries */
	size_t used;     /* entries handed out (free ones included) */
	size_t nfree;    /* handed out, pending 0 */
	size_t mask;     /* index slots - 1 */
	size_t nservers;
	uint64_t seq;
	uint64_t settled;
	uint64_t overflows;
	jsrv srv[64];
	jent *ent;
	uint32_t *idx; /* entry number + 1, NO_ENTRY = empty */
};

static size_t slots_for(size_t max_keys)
{
	size_t s = 16;

	while(s < 2 * max_keys)
		s <<= 1;
	return s;
}

size_t mcd_journal_size(size_t max_keys)
{
	return sizeof(mcd_journal) + max_keys * sizeof(jent)
		   + slots_for(max_keys) * sizeof(uint32_t);
}

mcd_rc mcd_journal_new_shm(size_t max_keys, size_t nservers,
		const mcd_allocator *a, mcd_journal **out)
{
	mcd_journal *j;
	size_t sz;

	*out = NULL;
	if(max_keys == 0 || max_keys > MCD_JOURNAL_MAX_KEYS || nservers == 0
			|| nservers > 64)
		return MCD_E_ARG;
	if(a == NULL)
		a = mcd_allocator_system();
	sz = mcd_journal_size(max_keys);
	j = mcd_alloc(a, sz);
	if(j == NULL)
		return MCD_E_NOMEM;
	/* entries need no clearing: only the first `used` are ever read */
	memset(j, 0, sizeof(*j));
	j->alloc = *a;
	j->max = max_keys;
	j->mask = slots_for(max_keys) - 1;
	j->nservers = nservers;
	j->ent = (jent *)(j + 1);
	j->idx = (uint32_t *)(j->ent + max_keys);
	memset(j->idx, 0, (j->mask + 1) * sizeof(uint32_t));
	*out = j;
	return MCD_OK;
}

void mcd_journal_free_shm(mcd_journal *j)
{
	mcd_allocator a;

	if(j == NULL)
		return;
	a = j->alloc;
	mcd_free(&a, j);
}

static bool lock(mcd_journal *j)
{
	long i;

	for(i = 0; i < LOCK_SPINS; i++) {
		if(!__atomic_exchange_n(&j->lock, 1, __ATOMIC_ACQUIRE))
			return true;
		sched_yield();
	}
	return false;
}

static void unlock(mcd_journal *j)
{
	__atomic_store_n(&j->lock, 0, __ATOMIC_RELEASE);
}

static uint64_t hash_key(const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	size_t i;

	for(i = 0; i < len; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The index slot of the key: its entry, or the empty slot to fill. */
static uint32_t *find_slot(mcd_journal *j, uint64_t h, const char *k,
		size_t len)
{
	size_t s = (size_t)h & j->mask, n;

	/* at most half the slots are in use: an empty one is always found */
	for(n = 0; n <= j->mask; n++, s = (s + 1) & j->mask) {
		uint32_t e = j->idx[s];
		const jent *en;
		if(e == NO_ENTRY)
			return &j->idx[s];
		en = &j->ent[e - 1];
		if(en->hash == h && en->len == len && memcmp(en->key, k, len) == 0)
			return &j->idx[s];
	}
	return NULL;
}

/* Drops the free entries and rebuilds the index (under the lock). */
static void compact(mcd_journal *j)
{
	size_t i, k = 0;

	memset(j->idx, 0, (j->mask + 1) * sizeof(uint32_t));
	for(i = 0; i < j->used; i++) {
		uint32_t *slot;
		if(j->ent[i].pending == 0)
			continue;
		if(k != i)
			j->ent[k] = j->ent[i];
		slot = find_slot(j, j->ent[k].hash, j->ent[k].key, j->ent[k].len);
		if(slot)
			*slot = (uint32_t)(k + 1);
		k++;
	}
	j->used = k;
	j->nfree = 0;
}

static mcd_jrec overflow(mcd_journal *j, uint64_t owners)
{
	mcd_jrec jr = MCD_JREC_OVERFLOW;
	size_t i;

	for(i = 0; i < j->nservers; i++) {
		if(!(owners & (1ULL << i))
				|| __atomic_exchange_n(&j->srv[i].overflow, 1, __ATOMIC_ACQ_REL))
			continue;
		__atomic_fetch_add(&j->overflows, 1, __ATOMIC_RELAXED);
		jr = MCD_JREC_OVERFLOW_NEW;
	}
	return jr;
}

static void add_pending(mcd_journal *j, jent *e, uint64_t bits)
{
	size_t i;

	for(i = 0; i < j->nservers; i++)
		if((bits & (1ULL << i)) && !(e->pending & (1ULL << i)))
			j->srv[i].count++;
	if(e->pending == 0 && bits != 0)
		j->nfree--;
	e->pending |= bits;
}

mcd_jrec mcd_journal_record(mcd_journal *j, uint64_t owners, size_t standin,
		const char *key, size_t len)
{
	uint64_t h;
	uint32_t *slot;
	jent *e;
	size_t i;

	if(j == NULL || len == 0 || len > MCD_KEY_MAX)
		return MCD_JREC_KEPT;
	if(j->nservers < 64)
		owners &= (1ULL << j->nservers) - 1;
	owners &= ~(1ULL << standin);
	if(owners == 0)
		return MCD_JREC_KEPT;
	for(i = 0; i < j->nservers; i++)
		if(owners & (1ULL << i))
			__atomic_fetch_or(&j->srv[i].standins, 1ULL << standin,
					__ATOMIC_ACQ_REL);
	h = hash_key(key, len);
	if(!lock(j))
		return overflow(j, owners);
	slot = find_slot(j, h, key, len);
	if(slot && *slot == NO_ENTRY && j->used == j->max && j->nfree > 0) {
		compact(j);
		slot = find_slot(j, h, key, len);
	}
	if(slot == NULL || (*slot == NO_ENTRY && j->used == j->max)) {
		unlock(j);
		return overflow(j, owners);
	}
	if(*slot == NO_ENTRY) {
		e = &j->ent[j->used];
		e->pending = 0;
		e->hash = h;
		e->len = (uint16_t)len;
		memcpy(e->key, key, len);
		e->key[len] = '\0';
		j->used++;
		j->nfree++; /* counted free until add_pending below */
		*slot = (uint32_t)j->used;
	} else {
		e = &j->ent[*slot - 1];
	}
	add_pending(j, e, owners);
	e->seq = ++j->seq;
	unlock(j);
	return MCD_JREC_KEPT;
}

size_t mcd_journal_pending(const mcd_journal *j, size_t srv)
{
	if(j == NULL || srv >= j->nservers)
		return 0;
	return (size_t)LD(&j->srv[srv].count);
}

bool mcd_journal_overflowed(const mcd_journal *j, size_t srv)
{
	return j && srv < j->nservers && LD(&j->srv[srv].overflow) != 0;
}

bool mcd_journal_owed(const mcd_journal *j, size_t srv)
{
	return mcd_journal_pending(j, srv) > 0 || mcd_journal_overflowed(j, srv);
}

bool mcd_journal_take_overflow(mcd_journal *j, size_t srv, uint64_t *standins)
{
	*standins = 0;
	if(j == NULL || srv >= j->nservers)
		return false;
	if(!__atomic_exchange_n(&j->srv[srv].overflow, 0, __ATOMIC_ACQ_REL))
		return false;
	*standins = __atomic_exchange_n(&j->srv[srv].standins, 0, __ATOMIC_ACQ_REL);
	return true;
}

void mcd_journal_raise_overflow(mcd_journal *j, size_t srv)
{
	if(j && srv < j->nservers)
		ST(&j->srv[srv].overflow, 1);
}

size_t mcd_journal_snapshot(mcd_journal *j, size_t srv, mcd_jkey *out,
		size_t cap, size_t *cursor)
{
	uint64_t bit = 1ULL << srv;
	size_t n = 0, i;

	if(j == NULL || srv >= j->nservers || !lock(j))
		return 0;
	for(i = *cursor; i < j->used && n < cap; i++) {
		const jent *e = &j->ent[i];
		if(!(e->pending & bit))
			continue;
		out[n].seq = e->seq;
		out[n].fail = 0;
		out[n].len = e->len;
		memcpy(out[n].key, e->key, e->len + 1u);
		n++;
	}
	*cursor = i;
	unlock(j);
	return n;
}

size_t mcd_journal_settled(mcd_journal *j, size_t srv, const mcd_jkey *k,
		size_t n)
{
	uint64_t bit = 1ULL << srv;
	size_t i, done = 0;

	if(j == NULL || srv >= j->nservers || !lock(j))
		return 0;
	for(i = 0; i < n; i++) {
		uint32_t *slot = find_slot(j, hash_key(k[i].key, k[i].len),
				k[i].key, k[i].len);
		jent *e;
		if(slot == NULL || *slot == NO_ENTRY)
			continue;
		e = &j->ent[*slot - 1];
		if(e->seq != k[i].seq || !(e->pending & bit))
			continue;
		/* owed to the servers it could not be settled on, first */
		add_pending(j, e, k[i].fail & ~bit);
		e->pending &= ~bit;
		j->srv[srv].count--;
		if(e->pending == 0)
			j->nfree++;
		done++;
	}
	unlock(j);
	return done;
}

void mcd_journal_count_settled(mcd_journal *j, uint64_t n)
{
	if(j)
		__atomic_fetch_add(&j->settled, n, __ATOMIC_RELAXED);
}

void mcd_journal_stats(
		const mcd_journal *j, uint64_t *settled, uint64_t *overflows)
{
	if(settled)
		*settled = j ? LD(&j->settled) : 0;
	if(overflows)
		*overflows = j ? LD(&j->overflows) : 0;
}

int64_t *mcd_journal_recheck_at(mcd_journal *j, size_t srv)
{
	return &j->srv[srv].recheck_at;
}
