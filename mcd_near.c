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
 * Near cache in shared memory; see mcd_near.h for the contract.
 *
 * Layout: a power-of-two array of hash buckets; bucket i belongs to stripe
 * i & (nstripes - 1), so one stripe lock guards its buckets' chains, their
 * generation counters (the tickets) and the stripe's LRU list. Entries are
 * one block each: header, key bytes, value bytes.
 */
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "mcd_near.h"

#define NEAR_MAX_STRIPES 64
#define NEAR_MIN_PER_STRIPE 16 /* small caches: fewer stripes, exact LRU */
#define NEAR_SPINS 128	   /* busy turns before yielding the CPU */

typedef struct near_entry {
	struct near_entry *hnext;		/* bucket chain */
	struct near_entry *prev, *next; /* stripe LRU, head = most recent */
	uint64_t hash;
	int64_t expires; /* served while now < expires */
	uint32_t klen;
	uint32_t vlen;
	uint32_t flags;
	uint32_t absent;
	char data[]; /* key, then value */
} near_entry;

typedef struct near_stripe {
	int lock; /* 0 free, 1 held */
	uint32_t count;
	near_entry *head, *tail;
	uint64_t hits, misses;
	/* one stripe per cache line: workers on other stripes do not bounce
	 * this one's line */
	char pad[64 - 2 * sizeof(uint32_t) - 2 * sizeof(void *)
			 - 2 * sizeof(uint64_t)];
} near_stripe;

#define NEAR_LINE 64
_Static_assert(sizeof(near_stripe) == NEAR_LINE, "near_stripe: one cache line");

typedef struct near_prefix {
	char *str; /* not NUL-terminated */
	uint32_t len;
	uint32_t ms;
} near_prefix;

struct mcd_near {
	mcd_allocator alloc; /* a copy: the caller's may not be shared */
	mcd_clock_fn now_ms;
	void *clock_ctx;
	near_prefix *prefixes; /* longest first */
	uint32_t nprefixes;
	uint32_t smask;		 /* nstripes - 1 */
	uint32_t bmask;		 /* nbuckets - 1 */
	uint32_t stripe_cap; /* entries per stripe */
	near_stripe *stripes; /* 64-byte aligned, inside stripes_mem */
	void *stripes_mem;    /* as allocated (shm gives 8/16-byte alignment) */
	near_entry **buckets;
	uint64_t *gens; /* per bucket, bumped by every local change */
};

/* ---- spec parsing ---- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *len)
{
	while(*len && is_blank(**s)) {
		(*s)++;
		(*len)--;
	}
	while(*len && is_blank((*s)[*len - 1]))
		(*len)--;
}

/* Next non-empty ';' field of *p, trimmed; 0 at the end. */
static int next_field(const char **p, const char **f, size_t *flen)
{
	const char *semi;

	while(**p) {
		semi = strchr(*p, ';');
		*f = *p;
		*flen = semi ? (size_t)(semi - *p) : strlen(*p);
		*p = semi ? semi + 1 : *p + *flen;
		trim(f, flen);
		if(*flen)
			return 1;
	}
	return 0;
}

/* Splits "prefix=ms" at its last '=' (a prefix may hold '='). */
static const char *parse_entry(const char *f, size_t flen, const char **pfx,
		size_t *plen, uint32_t *ms)
{
	const char *eq = NULL, *d;
	size_t i, dlen;
	uint64_t v = 0;

	for(i = 0; i < flen; i++)
		if(f[i] == '=')
			eq = f + i;
	if(eq == NULL)
		return "missing '=ms'";
	*pfx = f;
	*plen = (size_t)(eq - f);
	trim(pfx, plen);
	if(*plen == 0)
		return "empty prefix";
	d = eq + 1;
	dlen = flen - (size_t)(d - f);
	trim(&d, &dlen);
	if(dlen == 0)
		return "missing ms after '='";
	for(i = 0; i < dlen; i++) {
		if(d[i] < '0' || d[i] > '9')
			return "ms must be a positive integer";
		v = v * 10 + (uint64_t)(d[i] - '0');
		if(v > MCD_NEAR_MAX_MS)
			return "ms too large (at most 86400000)";
	}
	if(v == 0)
		return "ms must be a positive integer";
	*ms = (uint32_t)v;
	return NULL;
}

/*
 * Validates spec; with out != NULL (room for *count entries, as counted by
 * a first call) also fills it, prefixes pointing into spec.
 */
static mcd_rc parse_spec(const char *spec, near_prefix *out, uint32_t *count,
		char *err, size_t errlen)
{
	const char *p = spec, *f, *q, *g, *pfx, *pfx2, *why;
	size_t flen, glen, plen, plen2;
	uint32_t n = 0, ms, ms2, j;

	while(next_field(&p, &f, &flen)) {
		n++;
		why = parse_entry(f, flen, &pfx, &plen, &ms);
		if(why == NULL) {
			/* the same prefix twice is most likely a typo */
			q = spec;
			for(j = 1; j < n && next_field(&q, &g, &glen); j++) {
				if(parse_entry(g, glen, &pfx2, &plen2, &ms2) == NULL
						&& plen2 == plen && memcmp(pfx, pfx2, plen) == 0) {
					why = "duplicate prefix";
					break;
				}
			}
		}
		if(why) {
			if(err && errlen)
				snprintf(err, errlen, "near_cache: entry %u '%.*s': %s",
						(unsigned)n, (int)(flen > 200 ? 200 : flen), f, why);
			return MCD_E_CONFIG;
		}
		if(out) {
			out[n - 1].str = (char *)pfx;
			out[n - 1].len = (uint32_t)plen;
			out[n - 1].ms = ms;
		}
	}
	*count = n;
	return MCD_OK;
}

mcd_rc mcd_near_check_spec(const char *spec, char *err, size_t errlen)
{
	uint32_t n;

	if(err && errlen)
		err[0] = '\0';
	return parse_spec(spec ? spec : "", NULL, &n, err, errlen);
}

/* ---- creation and destruction ---- */

static uint32_t pow2_floor(size_t v)
{
	uint32_t p = 1;

	while((size_t)p * 2 <= v)
		p *= 2;
	return p;
}

static uint32_t pow2_ceil(size_t v)
{
	uint32_t p = 1;

	while(p < v)
		p *= 2;
	return p;
}

static void set_err(char *err, size_t errlen, const char *msg)
{
	if(err && errlen)
		snprintf(err, errlen, "%s", msg);
}

mcd_rc mcd_near_new_shared(const char *spec, size_t max_entries,
		const mcd_allocator *shm, mcd_clock_fn now_ms, void *clock_ctx,
		mcd_near **out, char *err, size_t errlen)
{
	mcd_near *n;
	near_prefix tmp;
	uint32_t count, i, j, nb, ns;
	mcd_rc rc;

	if(out == NULL)
		return MCD_E_ARG;
	*out = NULL;
	if(err && errlen)
		err[0] = '\0';
	if(spec == NULL)
		spec = "";
	rc = parse_spec(spec, NULL, &count, err, errlen);
	if(rc != MCD_OK)
		return rc;
	if(count == 0)
		return MCD_OK; /* off */
	if(max_entries == 0)
		max_entries = MCD_NEAR_DEFAULT_SIZE;
	if(max_entries > MCD_NEAR_MAX_SIZE) {
		set_err(err, errlen, "near_cache_size: at most 1048576 entries");
		return MCD_E_CONFIG;
	}
	if(shm == NULL)
		shm = mcd_allocator_system();

	n = mcd_calloc(shm, 1, sizeof(*n));
	if(n == NULL)
		goto nomem;
	n->alloc = *shm;
	n->now_ms = now_ms;
	n->clock_ctx = clock_ctx;
	ns = pow2_floor(max_entries / NEAR_MIN_PER_STRIPE);
	if(ns > NEAR_MAX_STRIPES)
		ns = NEAR_MAX_STRIPES;
	nb = pow2_ceil(max_entries);
	if(nb < ns)
		nb = ns;
	n->smask = ns - 1;
	n->bmask = nb - 1;
	n->stripe_cap = (uint32_t)(max_entries / ns);

	n->prefixes = mcd_calloc(&n->alloc, count, sizeof(*n->prefixes));
	/* one more line than needed, so the array can start on a line */
	n->stripes_mem = mcd_calloc(&n->alloc, ns + 1, sizeof(*n->stripes));
	if(n->stripes_mem)
		n->stripes = (near_stripe *)(((uintptr_t)n->stripes_mem
											 + NEAR_LINE - 1)
									 & ~(uintptr_t)(NEAR_LINE - 1));
	n->buckets = mcd_calloc(&n->alloc, nb, sizeof(*n->buckets));
	n->gens = mcd_calloc(&n->alloc, nb, sizeof(*n->gens));
	if(!n->prefixes || !n->stripes || !n->buckets || !n->gens)
		goto nomem;
	/* tickets start at 1: a zero ticket (cache off) never matches */
	for(i = 0; i < nb; i++)
		n->gens[i] = 1;

	parse_spec(spec, n->prefixes, &count, NULL, 0);
	/* copy the prefixes into the shared block (they point into spec) */
	for(i = 0; i < count; i++) {
		char *s = mcd_alloc(&n->alloc, n->prefixes[i].len);
		if(s == NULL) {
			n->nprefixes = i; /* free only the copies made */
			goto nomem;
		}
		memcpy(s, n->prefixes[i].str, n->prefixes[i].len);
		n->prefixes[i].str = s;
		n->nprefixes = i + 1;
	}
	/* longest first: the first match is the longest one */
	for(i = 1; i < count; i++) {
		tmp = n->prefixes[i];
		for(j = i; j > 0 && n->prefixes[j - 1].len < tmp.len; j--)
			n->prefixes[j] = n->prefixes[j - 1];
		n->prefixes[j] = tmp;
	}
	*out = n;
	return MCD_OK;

nomem:
	mcd_near_free(n);
	set_err(err, errlen, "near_cache: out of shared memory");
	return MCD_E_NOMEM;
}

void mcd_near_free(mcd_near *n)
{
	mcd_allocator a;
	near_entry *e, *next;
	uint32_t i;

	if(n == NULL)
		return;
	a = n->alloc;
	if(n->stripes) {
		for(i = 0; i <= n->smask; i++) {
			for(e = n->stripes[i].head; e; e = next) {
				next = e->next;
				mcd_free(&a, e);
			}
		}
	}
	if(n->prefixes) {
		for(i = 0; i < n->nprefixes; i++)
			mcd_free(&a, n->prefixes[i].str);
	}
	mcd_free(&a, n->prefixes);
	mcd_free(&a, n->stripes_mem);
	mcd_free(&a, n->buckets);
	mcd_free(&a, n->gens);
	mcd_free(&a, n);
}

int mcd_near_stripes_aligned(const mcd_near *n)
{
	return n != NULL && ((uintptr_t)n->stripes & (NEAR_LINE - 1)) == 0;
}

/* ---- helpers ---- */

static inline void near_lock(int *l)
{
	int spins = 0;

	while(__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) {
		while(__atomic_load_n(l, __ATOMIC_RELAXED)) {
			if(++spins >= NEAR_SPINS) {
				/* the holder may be descheduled: let it run */
				sched_yield();
				spins = 0;
			}
#if defined(__x86_64__) || defined(__i386__)
			else
				__builtin_ia32_pause();
#endif
		}
	}
}

static inline void near_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* FNV-1a, folded so the low bits (bucket index) see the high ones. */
static inline uint64_t near_hash(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for(i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

int64_t mcd_near_now(const mcd_near *n)
{
	if(n && n->now_ms)
		return n->now_ms(n->clock_ctx);
	return mcd_clock_mono_ms(NULL);
}

uint32_t mcd_near_ttl_ms(const mcd_near *n, const char *key, size_t len)
{
	const near_prefix *p;
	uint32_t i;

	if(n == NULL || key == NULL)
		return 0;
	/* prefixes are short: a plain loop costs less than a call to memcmp */
	for(i = 0; i < n->nprefixes; i++) {
		uint32_t j;

		p = &n->prefixes[i];
		if(p->len > len)
			continue;
		for(j = 0; j < p->len && p->str[j] == key[j]; j++)
			;
		if(j == p->len)
			return p->ms;
	}
	return 0;
}

static inline void count_add(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

static inline void set_count(near_stripe *s, uint32_t v)
{
	/* written under the lock, read by stats without it */
	__atomic_store_n(&s->count, v, __ATOMIC_RELAXED);
}

static inline void bump_gen(mcd_near *n, uint32_t idx)
{
	__atomic_store_n(&n->gens[idx], n->gens[idx] + 1, __ATOMIC_RELEASE);
}

static inline near_entry *find(mcd_near *n, uint32_t idx, uint64_t h,
		const char *key, size_t len)
{
	near_entry *e;

	for(e = n->buckets[idx]; e; e = e->hnext)
		if(e->hash == h && e->klen == len && memcmp(e->data, key, len) == 0)
			return e;
	return NULL;
}

static inline void lru_unlink(near_stripe *s, near_entry *e)
{
	if(e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if(e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static inline void lru_push(near_stripe *s, near_entry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if(s->head)
		s->head->prev = e;
	else
		s->tail = e;
	s->head = e;
}

/* Unlinks e from its chain and LRU; the caller frees it after unlocking. */
static void unlink_entry(mcd_near *n, near_stripe *s, near_entry *e)
{
	near_entry **pp = &n->buckets[e->hash & n->bmask];

	while(*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	e->hnext = NULL;
	lru_unlink(s, e);
	set_count(s, s->count - 1);
}

/* Frees a list linked through hnext (entries already unlinked). */
static void free_list(mcd_near *n, near_entry *e)
{
	near_entry *next;

	for(; e; e = next) {
		next = e->hnext;
		mcd_free(&n->alloc, e);
	}
}

/* ---- operations ---- */

mcd_near_hit mcd_near_get(mcd_near *n, const char *key, size_t len,
		mcd_buf *out, uint32_t *flags)
{
	near_stripe *s;
	near_entry *e;
	uint64_t h;
	uint32_t idx;
	int64_t now;
	size_t need;
	int tries;

	if(n == NULL || key == NULL || out == NULL)
		return MCD_NEAR_NONE;
	h = near_hash(key, len);
	idx = (uint32_t)h & n->bmask;
	s = &n->stripes[idx & n->smask];
	now = mcd_near_now(n);
	for(tries = 0; tries < 3; tries++) {
		near_lock(&s->lock);
		e = find(n, idx, h, key, len);
		if(e == NULL) {
			count_add(&s->misses);
			near_unlock(&s->lock);
			return MCD_NEAR_NONE;
		}
		if(now >= e->expires) {
			unlink_entry(n, s, e);
			count_add(&s->misses);
			near_unlock(&s->lock);
			mcd_free(&n->alloc, e);
			return MCD_NEAR_NONE;
		}
		if(!e->absent && e->vlen + 1 > out->cap) {
			/* grow outside the lock, then look again: the entry may
			 * have changed meanwhile */
			need = e->vlen;
			near_unlock(&s->lock);
			if(mcd_buf_reserve(out, need) < 0)
				break;
			continue;
		}
		if(e != s->head) {
			lru_unlink(s, e);
			lru_push(s, e);
		}
		count_add(&s->hits);
		if(e->absent) {
			near_unlock(&s->lock);
			return MCD_NEAR_ABSENT;
		}
		memcpy(out->data, e->data + e->klen, e->vlen);
		out->data[e->vlen] = '\0';
		out->len = e->vlen;
		if(flags)
			*flags = e->flags;
		near_unlock(&s->lock);
		return MCD_NEAR_VALUE;
	}
	count_add(&s->misses);
	return MCD_NEAR_NONE;
}

uint64_t mcd_near_ticket(mcd_near *n, const char *key, size_t len)
{
	if(n == NULL || key == NULL)
		return 0;
	return __atomic_load_n(
			&n->gens[(uint32_t)near_hash(key, len) & n->bmask],
			__ATOMIC_ACQUIRE);
}

/* Entry for key/val, or NULL when it cannot be cached (size, memory). */
static near_entry *make_entry(mcd_near *n, uint64_t h, const char *key,
		size_t len, const char *val, size_t vlen, uint32_t flags,
		int64_t expires)
{
	near_entry *e;

	if(len > MCD_NEAR_MAX_VALUE || (val && vlen > MCD_NEAR_MAX_VALUE))
		return NULL;
	if(val == NULL)
		vlen = 0;
	e = mcd_alloc(&n->alloc, sizeof(*e) + len + vlen);
	if(e == NULL)
		return NULL;
	e->hnext = e->prev = e->next = NULL;
	e->hash = h;
	e->expires = expires;
	e->klen = (uint32_t)len;
	e->vlen = (uint32_t)vlen;
	e->flags = flags;
	e->absent = val == NULL;
	memcpy(e->data, key, len);
	if(vlen)
		memcpy(e->data + len, val, vlen);
	return e;
}

/*
 * Common path of put (write == 0: a read's fill, ticket must still hold)
 * and set (write == 1: spoils all tickets, stores only if ticket held).
 */
static void near_store(mcd_near *n, const char *key, size_t len,
		const char *val, size_t vlen, uint32_t flags, int64_t t0,
		uint64_t ticket, int write)
{
	near_stripe *s;
	near_entry *e = NULL, *old, *garbage = NULL;
	uint64_t h;
	uint32_t idx, ttl;
	int64_t expires;
	int valid;

	if(n == NULL || key == NULL)
		return;
	ttl = mcd_near_ttl_ms(n, key, len);
	if(ttl == 0)
		return; /* never cached: no entry, no reader to fence off */
	h = near_hash(key, len);
	idx = (uint32_t)h & n->bmask;
	s = &n->stripes[idx & n->smask];
	expires = t0 + ttl;
	if(mcd_near_now(n) < expires)
		e = make_entry(n, h, key, len, val, vlen, flags, expires);

	near_lock(&s->lock);
	valid = __atomic_load_n(&n->gens[idx], __ATOMIC_RELAXED) == ticket;
	if(write)
		bump_gen(n, idx);
	else if(!valid)
		goto out; /* changed locally since the fetch: older than that */
	old = find(n, idx, h, key, len);
	if(!write && old && old->expires > expires)
		goto out; /* another reader fetched later: keep the fresher one */
	if(old) {
		unlink_entry(n, s, old);
		old->hnext = garbage;
		garbage = old;
	}
	if(e == NULL || !valid)
		goto out; /* the old value is gone; nothing (sure) to store */
	while(s->count >= n->stripe_cap && s->tail) {
		old = s->tail;
		unlink_entry(n, s, old);
		old->hnext = garbage;
		garbage = old;
	}
	e->hnext = n->buckets[idx];
	n->buckets[idx] = e;
	lru_push(s, e);
	set_count(s, s->count + 1);
	e = NULL;
out:
	near_unlock(&s->lock);
	if(e)
		mcd_free(&n->alloc, e);
	free_list(n, garbage);
}

void mcd_near_put(mcd_near *n, const char *key, size_t len, const char *val,
		size_t vlen, uint32_t flags, int64_t fetched_ms, uint64_t ticket)
{
	near_store(n, key, len, val, vlen, flags, fetched_ms, ticket, 0);
}

void mcd_near_set(mcd_near *n, const char *key, size_t len, const char *val,
		size_t vlen, uint32_t flags, int64_t sent_ms, uint64_t ticket)
{
	near_store(n, key, len, val, vlen, flags, sent_ms, ticket, 1);
}

void mcd_near_drop(mcd_near *n, const char *key, size_t len)
{
	near_stripe *s;
	near_entry *e;
	uint64_t h;
	uint32_t idx;

	if(n == NULL || key == NULL || mcd_near_ttl_ms(n, key, len) == 0)
		return;
	h = near_hash(key, len);
	idx = (uint32_t)h & n->bmask;
	s = &n->stripes[idx & n->smask];
	near_lock(&s->lock);
	bump_gen(n, idx);
	e = find(n, idx, h, key, len);
	if(e)
		unlink_entry(n, s, e);
	near_unlock(&s->lock);
	if(e)
		mcd_free(&n->alloc, e);
}

void mcd_near_flush(mcd_near *n)
{
	near_stripe *s;
	near_entry *e, *next, *garbage;
	uint32_t i, b;

	if(n == NULL)
		return;
	for(i = 0; i <= n->smask; i++) {
		s = &n->stripes[i];
		near_lock(&s->lock);
		for(b = i; b <= n->bmask; b += n->smask + 1) {
			n->buckets[b] = NULL;
			bump_gen(n, b);
		}
		garbage = s->head;
		s->head = s->tail = NULL;
		set_count(s, 0);
		near_unlock(&s->lock);
		for(e = garbage; e; e = next) {
			next = e->next;
			mcd_free(&n->alloc, e);
		}
	}
}

void mcd_near_stats(const mcd_near *n, uint64_t *hits, uint64_t *misses,
		uint64_t *entries)
{
	uint64_t h = 0, m = 0, c = 0;
	uint32_t i;

	if(n) {
		for(i = 0; i <= n->smask; i++) {
			h += __atomic_load_n(&n->stripes[i].hits, __ATOMIC_RELAXED);
			m += __atomic_load_n(&n->stripes[i].misses, __ATOMIC_RELAXED);
			c += __atomic_load_n(&n->stripes[i].count, __ATOMIC_RELAXED);
		}
	}
	if(hits)
		*hits = h;
	if(misses)
		*misses = m;
	if(entries)
		*entries = c;
}
