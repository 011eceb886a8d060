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
/* Near cache: spec parsing, freshness, bounds, invalidation, processes. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"
#include "mcd_near.h"

#define K(s) s, strlen(s)

/* The injected clock: ms held by the test. */
static int64_t clk(void *ctx)
{
	return *(const int64_t *)ctx;
}

static mcd_near *mk(const char *spec, size_t max, const mcd_allocator *a,
		int64_t *now)
{
	mcd_near *n = NULL;
	char err[256] = "";
	mcd_rc rc;

	rc = mcd_near_new_shared(spec, max, a, now ? clk : NULL, now, &n, err,
			sizeof(err));
	ck_assert_msg(rc == MCD_OK && n != NULL, "new_shared('%s'): rc=%d err='%s'",
			spec, rc, err);
	return n;
}

/* The value cached for key, as a string; "" when none, "<absent>". */
static const char *lookup(mcd_near *n, const char *key, mcd_buf *b)
{
	switch (mcd_near_get(n, K(key), b, NULL)) {
	case MCD_NEAR_VALUE:
		return b->data;
	case MCD_NEAR_ABSENT:
		return "<absent>";
	default:
		return "";
	}
}

static uint64_t n_entries(const mcd_near *n)
{
	uint64_t e;

	mcd_near_stats(n, NULL, NULL, &e);
	return e;
}

/* ---- spec parsing ---- */

static const struct {
	const char *spec;
	int ok;
	int on;			 /* ok and not off */
	const char *err; /* substring of the message */
} spec_cases[] = {
	{ "", 1, 0, NULL },
	{ "   ", 1, 0, NULL },
	{ ";", 1, 0, NULL },
	{ "bl:=2000", 1, 1, NULL },
	{ "bl:=2000;route:=5000", 1, 1, NULL },
	{ " bl: = 2000 ; route:=5000 ;", 1, 1, NULL },
	{ "a=b=3", 1, 1, NULL },
	{ "k=86400000", 1, 1, NULL },
	{ "bl:=2000;route:", 0, 0, "near_cache: entry 2 'route:': missing '=ms'" },
	{ "route:", 0, 0, "near_cache: entry 1 'route:': missing '=ms'" },
	{ "=5", 0, 0, "entry 1 '=5': empty prefix" },
	{ "a=", 0, 0, "entry 1 'a=': missing ms" },
	{ "a=0", 0, 0, "positive integer" },
	{ "a=-1", 0, 0, "positive integer" },
	{ "a=1x", 0, 0, "positive integer" },
	{ "a=1.5", 0, 0, "positive integer" },
	{ "a= ", 0, 0, "missing ms" },
	{ "a=86400001", 0, 0, "too large" },
	{ "a=99999999999999999999999", 0, 0, "too large" },
	{ "a=1;b=2;a=3", 0, 0, "entry 3 'a=3': duplicate prefix" },
};

START_TEST(t_spec)
{
	t_counter c;
	mcd_near *n = (mcd_near *)&c; /* must be reset to NULL on failure */
	char err[256];
	mcd_rc rc, rc2;

	t_counter_init(&c, -1);
	rc = mcd_near_check_spec(spec_cases[_i].spec, err, sizeof(err));
	rc2 = mcd_near_new_shared(spec_cases[_i].spec, 0, &c.a, NULL, NULL, &n,
			err, sizeof(err));
	ck_assert_int_eq(rc, rc2);
	if (spec_cases[_i].ok) {
		ck_assert_msg(rc == MCD_OK, "'%s' refused: %s", spec_cases[_i].spec,
				err);
		ck_assert_msg((n != NULL) == spec_cases[_i].on,
				"'%s': on=%d expected %d", spec_cases[_i].spec, n != NULL,
				spec_cases[_i].on);
	} else {
		ck_assert_msg(rc == MCD_E_CONFIG, "'%s' accepted",
				spec_cases[_i].spec);
		ck_assert_ptr_null(n);
		ck_assert_msg(strstr(err, spec_cases[_i].err) != NULL,
				"'%s': message '%s' lacks '%s'", spec_cases[_i].spec, err,
				spec_cases[_i].err);
	}
	mcd_near_free(n);
	ck_assert_int_eq(c.live, 0);
}
END_TEST

START_TEST(t_ttl_longest)
{
	mcd_near *n = mk("a=1;abc=3;ab=2;a=b=4", 0, NULL, NULL);

	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("a")), 1);
	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("ax")), 1);
	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("abd")), 2);
	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("abc")), 3);
	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("abcx")), 3);
	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("a=bc")), 4);
	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("b")), 0);
	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("")), 0);
	ck_assert_uint_eq(mcd_near_ttl_ms(n, K("Abc")), 0);
	mcd_near_free(n);
}
END_TEST

START_TEST(t_off_and_null)
{
	mcd_near *n = (mcd_near *)1;
	mcd_buf b;
	uint64_t h = 9, m = 9, e = 9;

	ck_assert_int_eq(mcd_near_new_shared("", 0, NULL, NULL, NULL, &n, NULL,
			0), MCD_OK);
	ck_assert_ptr_null(n);
	ck_assert_int_eq(mcd_near_new_shared("a=1", MCD_NEAR_MAX_SIZE + 1, NULL,
			NULL, NULL, &n, NULL, 0), MCD_E_CONFIG);
	mcd_buf_init(&b, NULL);
	ck_assert_uint_eq(mcd_near_ttl_ms(NULL, K("a")), 0);
	ck_assert_int_eq(mcd_near_get(NULL, K("a"), &b, NULL), MCD_NEAR_NONE);
	ck_assert_uint_eq(mcd_near_ticket(NULL, K("a")), 0);
	mcd_near_put(NULL, K("a"), K("v"), 0, 0, 0);
	mcd_near_set(NULL, K("a"), K("v"), 0, 0, 0);
	mcd_near_drop(NULL, K("a"));
	mcd_near_flush(NULL);
	mcd_near_stats(NULL, &h, &m, &e);
	ck_assert(h == 0 && m == 0 && e == 0);
	mcd_near_free(NULL);
	ck_assert_ptr_null(b.data);
}
END_TEST

/* ---- freshness ---- */

START_TEST(t_hit_miss)
{
	int64_t now = 1000;
	mcd_near *n = mk("bl:=2000", 0, NULL, &now);
	mcd_buf b;
	uint32_t fl = 0;
	uint64_t h, m, e;

	mcd_buf_init(&b, NULL);
	ck_assert_int_eq(mcd_near_get(n, K("bl:1"), &b, &fl), MCD_NEAR_NONE);
	mcd_near_put(n, K("bl:1"), K("blocked"), 7, now,
			mcd_near_ticket(n, K("bl:1")));
	ck_assert_int_eq(mcd_near_get(n, K("bl:1"), &b, &fl), MCD_NEAR_VALUE);
	ck_assert_uint_eq(b.len, 7);
	ck_assert_str_eq(b.data, "blocked");
	ck_assert_uint_eq(fl, 7);
	ck_assert_int_eq(mcd_near_get(n, K("bl:2"), &b, &fl), MCD_NEAR_NONE);
	/* a key of no prefix is never stored */
	mcd_near_put(n, K("other"), K("x"), 0, now, mcd_near_ticket(n, K("other")));
	ck_assert_int_eq(mcd_near_get(n, K("other"), &b, NULL), MCD_NEAR_NONE);
	mcd_near_stats(n, &h, &m, &e);
	ck_assert_uint_eq(h, 1);
	ck_assert_uint_eq(m, 3);
	ck_assert_uint_eq(e, 1);
	/* values with NULs come back whole */
	mcd_near_put(n, K("bl:z"), "a\0b", 3, 0, now, mcd_near_ticket(n, K("bl:z")));
	ck_assert_int_eq(mcd_near_get(n, K("bl:z"), &b, NULL), MCD_NEAR_VALUE);
	ck_assert(b.len == 3 && memcmp(b.data, "a\0b", 3) == 0);
	mcd_buf_free(&b);
	mcd_near_free(n);
}
END_TEST

START_TEST(t_expiry_bound)
{
	int64_t now = 1000;
	mcd_near *n = mk("bl:=2000", 0, NULL, &now);
	mcd_buf b;
	uint64_t t;

	mcd_buf_init(&b, NULL);
	/* fetched at 1000, stored later: the age counts from the fetch */
	t = mcd_near_ticket(n, K("bl:1"));
	now = 1500;
	mcd_near_put(n, K("bl:1"), K("v"), 0, 1000, t);
	now = 2999;
	ck_assert_str_eq(lookup(n, "bl:1", &b), "v");
	now = 3000;
	ck_assert_str_eq(lookup(n, "bl:1", &b), "");
	ck_assert_uint_eq(n_entries(n), 0); /* the stale entry is freed */
	now = 2999;
	ck_assert_str_eq(lookup(n, "bl:1", &b), ""); /* and stays gone */

	/* a reply that took the whole bound is never stored */
	t = mcd_near_ticket(n, K("bl:2"));
	now = 5000;
	mcd_near_put(n, K("bl:2"), K("v"), 0, 3000, t);
	ck_assert_uint_eq(n_entries(n), 0);
	mcd_near_put(n, K("bl:2"), K("v"), 0, 3001, t);
	ck_assert_uint_eq(n_entries(n), 1);
	ck_assert_str_eq(lookup(n, "bl:2", &b), "v");
	mcd_buf_free(&b);
	mcd_near_free(n);
}
END_TEST

START_TEST(t_absent)
{
	int64_t now = 0;
	mcd_near *n = mk("bl:=100", 0, NULL, &now);
	mcd_buf b;
	uint64_t h;

	mcd_buf_init(&b, NULL);
	mcd_buf_set(&b, K("untouched"));
	mcd_near_put(n, K("bl:x"), NULL, 0, 0, now, mcd_near_ticket(n, K("bl:x")));
	ck_assert_int_eq(mcd_near_get(n, K("bl:x"), &b, NULL), MCD_NEAR_ABSENT);
	ck_assert_str_eq(b.data, "untouched");
	mcd_near_stats(n, &h, NULL, NULL);
	ck_assert_uint_eq(h, 1);
	now = 99;
	ck_assert_str_eq(lookup(n, "bl:x", &b), "<absent>");
	now = 100;
	ck_assert_str_eq(lookup(n, "bl:x", &b), "");
	mcd_buf_free(&b);
	mcd_near_free(n);
}
END_TEST

START_TEST(t_value_limit)
{
	int64_t now = 0;
	mcd_near *n = mk("v:=1000", 0, NULL, &now);
	char *big = malloc(MCD_NEAR_MAX_VALUE + 1);
	mcd_buf b;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', MCD_NEAR_MAX_VALUE + 1);
	big[0] = 'a';
	big[MCD_NEAR_MAX_VALUE - 1] = 'z';
	mcd_buf_init(&b, NULL);
	mcd_near_put(n, K("v:64k"), big, MCD_NEAR_MAX_VALUE, 0, now,
			mcd_near_ticket(n, K("v:64k")));
	ck_assert_int_eq(mcd_near_get(n, K("v:64k"), &b, NULL), MCD_NEAR_VALUE);
	ck_assert_uint_eq(b.len, MCD_NEAR_MAX_VALUE);
	ck_assert(memcmp(b.data, big, MCD_NEAR_MAX_VALUE) == 0);
	mcd_near_put(n, K("v:more"), big, MCD_NEAR_MAX_VALUE + 1, 0, now,
			mcd_near_ticket(n, K("v:more")));
	ck_assert_int_eq(mcd_near_get(n, K("v:more"), &b, NULL), MCD_NEAR_NONE);
	/* a newer fetch too large to keep removes the older value */
	now = 10;
	mcd_near_put(n, K("v:64k"), big, MCD_NEAR_MAX_VALUE + 1, 0, now,
			mcd_near_ticket(n, K("v:64k")));
	ck_assert_int_eq(mcd_near_get(n, K("v:64k"), &b, NULL), MCD_NEAR_NONE);
	ck_assert_uint_eq(n_entries(n), 0);
	free(big);
	mcd_buf_free(&b);
	mcd_near_free(n);
}
END_TEST

/* ---- bounds ---- */

static void put_now(mcd_near *n, const char *key, const char *val,
		int64_t now)
{
	mcd_near_put(n, K(key), K(val), 0, now, mcd_near_ticket(n, K(key)));
}

START_TEST(t_lru_order)
{
	int64_t now = 0;
	mcd_near *n = mk("k=1000", 3, NULL, &now); /* small: one stripe */
	mcd_buf b;

	mcd_buf_init(&b, NULL);
	put_now(n, "ka", "A", now);
	put_now(n, "kb", "B", now);
	put_now(n, "kc", "C", now);
	ck_assert_str_eq(lookup(n, "ka", &b), "A"); /* a is now the newest */
	put_now(n, "kd", "D", now);					/* b goes */
	ck_assert_uint_eq(n_entries(n), 3);
	ck_assert_str_eq(lookup(n, "kb", &b), "");
	ck_assert_str_eq(lookup(n, "ka", &b), "A");
	ck_assert_str_eq(lookup(n, "kc", &b), "C");
	ck_assert_str_eq(lookup(n, "kd", &b), "D");
	/* order now a, c, d (oldest first); replacing a counts as use */
	put_now(n, "ka", "A2", now);
	put_now(n, "ke", "E", now); /* c goes */
	ck_assert_str_eq(lookup(n, "kc", &b), "");
	ck_assert_str_eq(lookup(n, "ka", &b), "A2");
	ck_assert_str_eq(lookup(n, "kd", &b), "D");
	ck_assert_str_eq(lookup(n, "ke", &b), "E");
	mcd_buf_free(&b);
	mcd_near_free(n);
}
END_TEST

START_TEST(t_size_bound)
{
	int64_t now = 0;
	t_counter c;
	mcd_near *n;
	char key[32];
	long live = -1;
	long long bytes = -1;
	uint64_t e;

	t_counter_init(&c, -1);
	n = mk("k:=1000", MCD_NEAR_DEFAULT_SIZE, &c.a, &now);
	for (int i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "k:%08d", i);
		put_now(n, key, "value", now);
		e = n_entries(n);
		ck_assert_msg(e <= MCD_NEAR_DEFAULT_SIZE, "%llu entries after %d",
				(unsigned long long)e, i);
		ck_assert_int_eq(c.live - 6, (long)e); /* near, 4 arrays, 1 prefix */
		if (i == 50000) {
			live = c.live;
			bytes = c.bytes;
		} else if (i > 50000 && i % 1000 == 0) {
			ck_assert_int_eq(c.live, live);
			ck_assert_int_eq(c.bytes, bytes);
		}
	}
	ck_assert_uint_eq(n_entries(n), MCD_NEAR_DEFAULT_SIZE);
	mcd_near_flush(n);
	ck_assert_int_eq(c.live, 6);
	mcd_near_free(n);
	ck_assert_int_eq(c.live, 0);
	ck_assert_int_eq(c.bytes, 0);
}
END_TEST

/* ---- local writes ---- */

START_TEST(t_drop_put)
{
	int64_t now = 0;
	mcd_near *n = mk("k:=1000", 0, NULL, &now);
	mcd_buf b;
	uint64_t t;

	mcd_buf_init(&b, NULL);
	/* the ticket of a cache that is off never matches a live one */
	mcd_near_put(n, K("k:1"), K("v0"), 0, now, 0);
	ck_assert_str_eq(lookup(n, "k:1", &b), "");
	put_now(n, "k:1", "v1", now);
	ck_assert_str_eq(lookup(n, "k:1", &b), "v1");
	t = mcd_near_ticket(n, K("k:1"));
	mcd_near_drop(n, K("k:1"));
	ck_assert_str_eq(lookup(n, "k:1", &b), "");
	/* a fetch started before the drop may hold the old value */
	mcd_near_put(n, K("k:1"), K("v1"), 0, now, t);
	ck_assert_str_eq(lookup(n, "k:1", &b), "");
	/* one started after it may be kept */
	put_now(n, "k:1", "v2", now);
	ck_assert_str_eq(lookup(n, "k:1", &b), "v2");
	/* a plain set stores its value at once */
	t = mcd_near_ticket(n, K("k:1"));
	mcd_near_set(n, K("k:1"), K("v3"), 5, now, t);
	ck_assert_str_eq(lookup(n, "k:1", &b), "v3");
	/* and absent as well (cached miss replaced by a set) */
	mcd_near_put(n, K("k:2"), NULL, 0, 0, now, mcd_near_ticket(n, K("k:2")));
	ck_assert_str_eq(lookup(n, "k:2", &b), "<absent>");
	mcd_near_set(n, K("k:2"), K("new"), 0, now, mcd_near_ticket(n, K("k:2")));
	ck_assert_str_eq(lookup(n, "k:2", &b), "new");
	mcd_near_drop(n, K("k:2"));
	ck_assert_str_eq(lookup(n, "k:2", &b), "");
	mcd_buf_free(&b);
	mcd_near_free(n);
}
END_TEST

START_TEST(t_ticket_race)
{
	int64_t now = 0;
	mcd_near *n = mk("k:=1000", 0, NULL, &now);
	mcd_buf b;
	uint64_t tr, tw, tw2;

	mcd_buf_init(&b, NULL);
	/* reader fetches old, writer sets new, reader's put lands last */
	tr = mcd_near_ticket(n, K("k:1"));
	tw = mcd_near_ticket(n, K("k:1"));
	mcd_near_set(n, K("k:1"), K("new"), 0, now, tw);
	mcd_near_put(n, K("k:1"), K("old"), 0, now, tr);
	ck_assert_str_eq(lookup(n, "k:1", &b), "new");

	/* two local writers: whichever lands second, the entry is dropped */
	tw = mcd_near_ticket(n, K("k:1"));
	tw2 = mcd_near_ticket(n, K("k:1"));
	mcd_near_set(n, K("k:1"), K("w2"), 0, now, tw2);
	ck_assert_str_eq(lookup(n, "k:1", &b), "w2");
	mcd_near_set(n, K("k:1"), K("w1"), 0, now, tw);
	ck_assert_str_eq(lookup(n, "k:1", &b), "");

	/* two readers: an earlier fetch does not replace a later one */
	tr = mcd_near_ticket(n, K("k:1"));
	now = 100;
	mcd_near_put(n, K("k:1"), K("later"), 0, 50, tr);
	mcd_near_put(n, K("k:1"), K("earlier"), 0, 10, tr);
	ck_assert_str_eq(lookup(n, "k:1", &b), "later");
	mcd_near_put(n, K("k:1"), K("latest"), 0, 60, tr);
	ck_assert_str_eq(lookup(n, "k:1", &b), "latest");
	mcd_buf_free(&b);
	mcd_near_free(n);
}
END_TEST

START_TEST(t_flush)
{
	int64_t now = 0;
	t_counter c;
	mcd_near *n;
	mcd_buf b;
	char key[32];
	uint64_t t;
	long base;

	t_counter_init(&c, -1);
	n = mk("k:=1000", 64, &c.a, &now);
	base = c.live;
	mcd_buf_init(&b, NULL);
	for (int i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k:%d", i);
		put_now(n, key, "v", now);
	}
	ck_assert_uint_eq(n_entries(n), 50);
	t = mcd_near_ticket(n, K("k:1"));
	mcd_near_flush(n);
	ck_assert_uint_eq(n_entries(n), 0);
	ck_assert_int_eq(c.live, base);
	ck_assert_str_eq(lookup(n, "k:2", &b), "");
	mcd_near_put(n, K("k:1"), K("v"), 0, now, t);
	ck_assert_str_eq(lookup(n, "k:1", &b), "");
	put_now(n, "k:1", "v", now);
	ck_assert_str_eq(lookup(n, "k:1", &b), "v");
	mcd_buf_free(&b);
	mcd_near_free(n);
	ck_assert_int_eq(c.live, 0);
}
END_TEST

/* ---- memory ---- */

START_TEST(t_alloc_fail_create)
{
	t_counter c;
	mcd_near *n;
	char err[128];
	mcd_rc rc;
	int fails = 0;

	for (long k = 0; k < 50; k++) {
		t_counter_init(&c, k);
		n = (mcd_near *)&c;
		rc = mcd_near_new_shared("a=1;bb=2;ccc=3", 0, &c.a, NULL, NULL, &n,
				err, sizeof(err));
		if (rc == MCD_OK) {
			ck_assert_ptr_nonnull(n);
			mcd_near_free(n);
			ck_assert_int_eq(c.live, 0);
			break;
		}
		fails++;
		ck_assert_int_eq(rc, MCD_E_NOMEM);
		ck_assert_ptr_null(n);
		ck_assert_msg(strstr(err, "memory") != NULL, "err '%s'", err);
		ck_assert_int_eq(c.live, 0);
	}
	ck_assert_int_eq(fails, 8); /* near, 4 arrays, 3 prefixes */
}
END_TEST

START_TEST(t_alloc_fail_put)
{
	int64_t now = 0;
	t_counter c;
	mcd_near *n;
	mcd_buf b;

	t_counter_init(&c, -1);
	n = mk("k:=1000", 0, &c.a, &now);
	mcd_buf_init(&b, NULL);
	put_now(n, "k:1", "v1", now);
	ck_assert_str_eq(lookup(n, "k:1", &b), "v1");
	c.fail_after = c.ok; /* memory exhausted from now on */
	put_now(n, "k:2", "v2", now);
	ck_assert_str_eq(lookup(n, "k:2", &b), "");
	mcd_near_put(n, K("k:3"), NULL, 0, 0, now, mcd_near_ticket(n, K("k:3")));
	ck_assert_str_eq(lookup(n, "k:3", &b), "");
	/* the newer value could not be kept: the older one must not stay */
	now = 10;
	put_now(n, "k:1", "v1b", now);
	ck_assert_str_eq(lookup(n, "k:1", &b), "");
	mcd_near_set(n, K("k:4"), K("v4"), 0, now, mcd_near_ticket(n, K("k:4")));
	ck_assert_str_eq(lookup(n, "k:4", &b), "");
	ck_assert_uint_eq(n_entries(n), 0);
	ck_assert(c.failed >= 4);
	c.fail_after = -1;
	put_now(n, "k:2", "v2", now);
	ck_assert_str_eq(lookup(n, "k:2", &b), "v2");
	mcd_buf_free(&b);
	mcd_near_free(n);
	ck_assert_int_eq(c.live, 0);
}
END_TEST

START_TEST(t_get_buffer)
{
	int64_t now = 0;
	t_counter cb;
	mcd_near *n = mk("k:=1000", 0, NULL, &now);
	mcd_buf b;
	long calls;

	t_counter_init(&cb, -1);
	mcd_buf_init(&b, &cb.a);
	put_now(n, "k:1", "a fairly long value", now);
	put_now(n, "k:2", "short", now);
	mcd_buf_set(&b, K("ab"));
	ck_assert_str_eq(lookup(n, "k:1", &b), "a fairly long value");
	/* a hit into a large enough buffer allocates nothing */
	calls = cb.calls;
	ck_assert_str_eq(lookup(n, "k:2", &b), "short");
	ck_assert_str_eq(lookup(n, "k:1", &b), "a fairly long value");
	ck_assert_int_eq(cb.calls, calls);
	/* a buffer that cannot grow: no answer, the caller asks the server */
	mcd_buf_free(&b);
	cb.fail_after = cb.ok;
	ck_assert_int_eq(mcd_near_get(n, K("k:1"), &b, NULL), MCD_NEAR_NONE);
	ck_assert_uint_eq(n_entries(n), 2);
	mcd_buf_free(&b);
	ck_assert_int_eq(cb.live, 0);
	mcd_near_free(n);
}
END_TEST

/* ---- processes ---- */

/*
 * Memory shared across fork, standing in for Kamailio's shm: one anonymous
 * shared mapping with a first-fit free list under one lock. A freed block
 * is poisoned (0x6b) and reused by later allocations, so a use after free
 * in any process reads poison or another entry's bytes, and shows.
 */
typedef struct shm_arena {
	int lock;
	long live;
	size_t used;
	size_t cap;
	size_t free_head; /* offset + 1 of the first free block, 0 = none */
	char mem[];
} shm_arena;

#define ARENA_SIZE (64u * 1024 * 1024)
#define ARENA_HDR 16 /* capacity, then requested size */
#define ARENA_POISON 0x6b

static void arena_lock(shm_arena *a)
{
	while (__atomic_exchange_n(&a->lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void arena_unlock(shm_arena *a)
{
	__atomic_store_n(&a->lock, 0, __ATOMIC_RELEASE);
}

static void *arena_malloc(size_t size, void *ctx)
{
	shm_arena *a = ctx;
	size_t need = (size + 15) & ~(size_t)15;
	size_t *prev, off, cap;
	char *blk = NULL;
	int steps = 0;

	arena_lock(a);
	/* first fit; the walk is bounded (the list is at most that long) */
	for (prev = &a->free_head; *prev && steps < 1000000; steps++) {
		off = *prev - 1;
		memcpy(&cap, a->mem + off, sizeof(cap));
		if (cap >= need) {
			memcpy(prev, a->mem + off + ARENA_HDR, sizeof(*prev));
			blk = a->mem + off;
			break;
		}
		prev = (size_t *)(void *)(a->mem + off + ARENA_HDR);
	}
	if (blk == NULL && a->used + need + ARENA_HDR <= a->cap) {
		blk = a->mem + a->used;
		a->used += need + ARENA_HDR;
		memcpy(blk, &need, sizeof(need));
	}
	if (blk) {
		memcpy(blk + sizeof(size_t), &size, sizeof(size));
		a->live++;
	}
	arena_unlock(a);
	return blk ? blk + ARENA_HDR : NULL;
}

static void *arena_realloc(void *ptr, size_t size, void *ctx);

static void arena_free(void *ptr, void *ctx)
{
	shm_arena *a = ctx;
	char *blk;
	size_t cap, off;

	if (ptr == NULL)
		return;
	blk = (char *)ptr - ARENA_HDR;
	memcpy(&cap, blk, sizeof(cap));
	memset(ptr, ARENA_POISON, cap);
	off = (size_t)(blk - a->mem);
	arena_lock(a);
	memcpy(ptr, &a->free_head, sizeof(a->free_head));
	a->free_head = off + 1;
	a->live--;
	arena_unlock(a);
}

static void *arena_realloc(void *ptr, size_t size, void *ctx)
{
	void *p = arena_malloc(size, ctx);
	size_t old;

	if (p && ptr) {
		memcpy(&old, (char *)ptr - ARENA_HDR + sizeof(size_t), sizeof(old));
		memcpy(p, ptr, old < size ? old : size);
		arena_free(ptr, ctx);
	}
	return p;
}

static shm_arena *arena_new(mcd_allocator *al)
{
	shm_arena *a = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert(a != MAP_FAILED);
	a->cap = ARENA_SIZE - sizeof(*a);
	al->malloc_fn = arena_malloc;
	al->realloc_fn = arena_realloc;
	al->free_fn = arena_free;
	al->ctx = a;
	return a;
}

static int wait_child(pid_t pid)
{
	int st;

	ck_assert(pid > 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(t_cross_process)
{
	mcd_allocator al;
	shm_arena *a = arena_new(&al);
	mcd_near *n = mk("bl:=60000", 0, &al, NULL);
	mcd_buf b;
	pid_t pid;

	mcd_buf_init(&b, NULL);
	put_now(n, "bl:parent", "p", mcd_near_now(n));
	put_now(n, "bl:gone", "g", mcd_near_now(n));
	pid = fork();
	if (pid == 0) {
		mcd_buf c;
		int bad = 0;

		mcd_buf_init(&c, NULL);
		bad |= strcmp(lookup(n, "bl:parent", &c), "p") != 0;
		put_now(n, "bl:child", "c", mcd_near_now(n));
		mcd_near_drop(n, K("bl:gone"));
		mcd_buf_free(&c);
		_exit(bad);
	}
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_str_eq(lookup(n, "bl:child", &b), "c");
	ck_assert_str_eq(lookup(n, "bl:gone", &b), "");
	ck_assert_str_eq(lookup(n, "bl:parent", &b), "p");
	mcd_buf_free(&b);
	mcd_near_free(n);
	ck_assert_int_eq(a->live, 0);
	munmap(a, ARENA_SIZE);
}
END_TEST

/*
 * Processes hammer the same few keys with puts, sets, drops and gets; a
 * value always spells its key, so a torn copy or a lost lock shows as a
 * value of the wrong key, a crash or a hang.
 */
#define HAMMER_PROCS 3
#define HAMMER_OPS 20000
#define HAMMER_KEYS 40

static int hammer(mcd_near *n, unsigned seed)
{
	mcd_buf b;
	char key[32], val[64];
	int bad = 0;

	mcd_buf_init(&b, NULL);
	for (int i = 0; i < HAMMER_OPS; i++) {
		int k, op;
		uint64_t t;

		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 8) % HAMMER_KEYS);
		op = (int)((seed >> 20) % 4);
		snprintf(key, sizeof(key), "h:%d", k);
		snprintf(val, sizeof(val), "%s=%d", key, i);
		t = mcd_near_ticket(n, K(key));
		switch (op) {
		case 0:
			mcd_near_put(n, K(key), K(val), 0, mcd_near_now(n), t);
			break;
		case 1:
			mcd_near_set(n, K(key), K(val), 0, mcd_near_now(n), t);
			break;
		case 2:
			mcd_near_drop(n, K(key));
			break;
		default:
			if (mcd_near_get(n, K(key), &b, NULL) == MCD_NEAR_VALUE
					&& (strncmp(b.data, key, strlen(key)) != 0
							|| b.data[strlen(key)] != '='))
				bad++;
		}
	}
	mcd_buf_free(&b);
	return bad > 99 ? 99 : bad;
}

START_TEST(t_processes_hammer)
{
	mcd_allocator al;
	shm_arena *a = arena_new(&al);
	/* 32 entries: one stripe, so every process meets on one lock */
	mcd_near *n = mk("h:=60000", 32, &al, NULL);
	pid_t pid[HAMMER_PROCS];
	uint64_t e;
	int bad;

	for (int i = 0; i < HAMMER_PROCS; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(hammer(n, (unsigned)i + 1));
	}
	bad = hammer(n, 99);
	for (int i = 0; i < HAMMER_PROCS; i++)
		bad += wait_child(pid[i]);
	ck_assert_int_eq(bad, 0);
	mcd_near_stats(n, NULL, NULL, &e);
	ck_assert_uint_le(e, 32);
	mcd_near_free(n);
	ck_assert_int_eq(a->live, 0);
	munmap(a, ARENA_SIZE);
}
END_TEST


/* An allocator that gives 16-byte alignment and never 64, as Kamailio's
 * shm may: the stripes still start on cache lines. */
static void *misaligned_malloc(size_t size, void *ctx)
{
	char *p = malloc(size + 64 + 16);

	(void)ctx;
	if (p == NULL)
		return NULL;
	/* the block starts 16 bytes past a 64-byte boundary */
	char *q = (char *)((((uintptr_t)p + 16 + 63) & ~(uintptr_t)63) + 16);
	memcpy(q - sizeof(void *), &p, sizeof(p));
	return q;
}

static void misaligned_free(void *ptr, void *ctx)
{
	char *p;

	(void)ctx;
	if (ptr == NULL)
		return;
	memcpy(&p, (char *)ptr - sizeof(void *), sizeof(p));
	free(p);
}

static void *misaligned_realloc(void *ptr, size_t size, void *ctx)
{
	(void)ptr;
	(void)size;
	(void)ctx;
	return NULL; /* the near cache does not realloc */
}

START_TEST(t_stripes_aligned)
{
	mcd_allocator al = {misaligned_malloc, misaligned_realloc,
			misaligned_free, NULL};
	mcd_near *n = mk("bl:=1000", 4096, &al, NULL);

	ck_assert(mcd_near_stripes_aligned(n));
	mcd_near_free(n);
}
END_TEST

Suite *suite_near(void)
{
	Suite *s = suite_create("near");
	TCase *tc;

	tc = tcase_create("spec");
	tcase_add_loop_test(tc, t_spec, 0,
			(int)(sizeof(spec_cases) / sizeof(spec_cases[0])));
	tcase_add_test(tc, t_ttl_longest);
	tcase_add_test(tc, t_off_and_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("fresh");
	tcase_add_test(tc, t_hit_miss);
	tcase_add_test(tc, t_expiry_bound);
	tcase_add_test(tc, t_absent);
	tcase_add_test(tc, t_value_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("bound");
	tcase_add_test(tc, t_lru_order);
	tcase_add_test(tc, t_size_bound);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("writes");
	tcase_add_test(tc, t_drop_put);
	tcase_add_test(tc, t_ticket_race);
	tcase_add_test(tc, t_flush);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_add_test(tc, t_alloc_fail_create);
	tcase_add_test(tc, t_stripes_aligned);
	tcase_add_test(tc, t_alloc_fail_put);
	tcase_add_test(tc, t_get_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("processes");
	tcase_add_test(tc, t_cross_process);
	tcase_add_test(tc, t_processes_hammer);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
