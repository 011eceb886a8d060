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
 * The pluggable allocator: mcd_alloc helpers, mcd_buf, and a client whose
 * every allocation goes through a counting (or failing) allocator.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "tests.h"

#define K(s) s, strlen(s)

/* ---- helpers and mcd_buf, no server ---- */

START_TEST(t_alloc_helpers)
{
	t_counter c;
	char *p, *q;

	t_counter_init(&c, -1);
	p = mcd_alloc(&c.a, 10);
	ck_assert(p != NULL && c.live == 1 && c.bytes == 10);
	memset(p, 'a', 10);
	q = mcd_realloc(&c.a, p, 1000);
	ck_assert(q != NULL && c.live == 1 && c.bytes == 1000);
	ck_assert(q[9] == 'a');
	mcd_free(&c.a, q);
	ck_assert(c.live == 0 && c.bytes == 0);

	p = mcd_calloc(&c.a, 8, 16);
	ck_assert(p != NULL && c.live == 1);
	for (int i = 0; i < 128; i++)
		ck_assert_msg(p[i] == 0, "mcd_calloc: byte %d not zero", i);
	mcd_free(&c.a, p);

	/* n * size overflows: refused, never a short block */
	p = mcd_calloc(&c.a, SIZE_MAX / 2 + 2, 2);
	ck_assert_msg(p == NULL, "mcd_calloc overflow gave a block");
	if (p)
		mcd_free(&c.a, p);

	mcd_free(&c.a, NULL); /* free_fn asserts it never sees NULL */
	p = mcd_realloc(&c.a, NULL, 5);
	ck_assert(p != NULL && c.live == 1);
	mcd_free(&c.a, p);
	ck_assert(c.live == 0 && c.bytes == 0);
}
END_TEST

START_TEST(t_alloc_system)
{
	const mcd_allocator *a = mcd_allocator_system();
	char *p;

	ck_assert(a != NULL && a->malloc_fn && a->realloc_fn && a->free_fn);
	ck_assert(a == mcd_allocator_system());
	p = mcd_alloc(a, 100);
	ck_assert(p != NULL);
	memset(p, 1, 100);
	p = mcd_realloc(a, p, 100000);
	ck_assert(p != NULL && p[99] == 1);
	mcd_free(a, p);
}
END_TEST

START_TEST(t_buf)
{
	t_counter c;
	mcd_buf b;
	static char big[100000];

	t_counter_init(&c, -1);
	mcd_buf_init(&b, &c.a);
	ck_assert(b.len == 0 && b.alloc == &c.a);
	ck_assert_int_eq(mcd_buf_set(&b, "abc", 3), 0);
	ck_assert(b.len == 3 && b.cap >= 3 && memcmp(b.data, "abc", 4) == 0);
	ck_assert_int_eq(mcd_buf_set(&b, "a\0b\0", 4), 0);
	ck_assert(b.len == 4 && memcmp(b.data, "a\0b\0", 5) == 0);
	memset(big, 'B', sizeof(big));
	ck_assert_int_eq(mcd_buf_set(&b, big, sizeof(big)), 0);
	ck_assert(b.len == sizeof(big) && b.cap >= sizeof(big));
	ck_assert(memcmp(b.data, big, sizeof(big)) == 0 && b.data[b.len] == '\0');
	ck_assert_int_eq(mcd_buf_set(&b, "", 0), 0);
	ck_assert(b.len == 0 && b.data != NULL && b.data[0] == '\0');
	ck_assert_int_eq(mcd_buf_reserve(&b, 300000), 0);
	ck_assert(b.cap >= 300000);
	ck_assert_msg(c.live == 1, "mcd_buf holds %ld blocks", c.live);
	mcd_buf_free(&b);
	ck_assert_msg(c.live == 0 && c.bytes == 0, "mcd_buf_free left %ld blocks, %lld bytes",
			c.live, c.bytes);
	ck_assert(b.data == NULL && b.len == 0);
	mcd_buf_free(&b); /* again: harmless */
	mcd_buf_free(NULL);
	/* reusable after free */
	ck_assert_int_eq(mcd_buf_set(&b, "x", 1), 0);
	mcd_buf_free(&b);
	ck_assert(c.live == 0);
}
END_TEST

START_TEST(t_buf_nomem)
{
	t_counter c;
	mcd_buf b;
	static char big[1 << 21];

	t_counter_init(&c, 0);
	mcd_buf_init(&b, &c.a);
	ck_assert_int_eq(mcd_buf_set(&b, "abc", 3), -1);
	mcd_buf_free(&b);
	ck_assert(c.live == 0);

	t_counter_init(&c, 1);
	mcd_buf_init(&b, &c.a);
	ck_assert_int_eq(mcd_buf_set(&b, "abc", 3), 0);
	ck_assert_int_eq(mcd_buf_set(&b, big, sizeof(big)), -1);
	ck_assert_int_eq(mcd_buf_reserve(&b, 1 << 20), -1);
	mcd_buf_free(&b); /* a failed grow leaves a freeable buffer */
	ck_assert_msg(c.live == 0 && c.bytes == 0, "left %ld blocks", c.live);
}
END_TEST

/* ---- a client on a counting / failing allocator ---- */

static mcd_ts g_srv;
static char g_servers[64];

static void setup(void)
{
	ck_assert_msg(mcd_ts_start(&g_srv, NULL) == 0, "cannot start memcached");
	t_servers_str(g_servers, sizeof(g_servers), &g_srv, 1);
}

static void teardown(void)
{
	mcd_ts_stop(&g_srv);
}

/* A client of the test server allocating through a. */
static mcd_rc alloc_client(
		int binary, const mcd_allocator *a, mcd_client **out)
{
	mcd_config cfg;
	char err[MCD_ERRBUF_SIZE] = "";

	mcd_config_defaults(&cfg);
	cfg.servers = g_servers;
	cfg.binary = binary;
	cfg.timeout_ms = 2000;
	cfg.retry_timeout_s = 1;
	cfg.prefix = "al:";
	*out = NULL;
	return mcd_client_new(&cfg, a, NULL, out, err, sizeof(err));
}

static mcd_rc new_client(int binary, t_counter *c, mcd_client **out)
{
	return alloc_client(binary, &c->a, out);
}

START_TEST(t_client_counting)
{
	t_counter c;
	mcd_client *cl = NULL;
	mcd_buf b;
	uint32_t fl;
	uint64_t v;
	long calls0, live0;
	static char val[200000];

	t_counter_init(&c, -1);
	ck_assert_int_eq(new_client(_i, &c, &cl), MCD_OK);
	ck_assert_msg(c.ok > 0 && c.live > 0, "mcd_client_new allocated nothing through the "
			"allocator (ok=%ld live=%ld)", c.ok, c.live);
	calls0 = c.calls;
	live0 = c.live;

	memset(val, 'v', sizeof(val));
	ck_assert_int_eq(mcd_store(cl, MCD_SET, K("k"), val, sizeof(val), 0, 1), MCD_OK);
	ck_assert_int_eq(mcd_store(cl, MCD_SET, K("a long key with spaces"), "s", 1, 0, 1),
			MCD_OK);
	mcd_buf_init(&b, &c.a);
	ck_assert_int_eq(mcd_get(cl, K("k"), &b, &fl), MCD_OK);
	ck_assert(b.len == sizeof(val) && memcmp(b.data, val, sizeof(val)) == 0);
	ck_assert_msg(c.calls > calls0, "a get of 200 KB allocated nothing");
	ck_assert_msg(c.live > live0, "the value read is not in the allocator's memory");
	mcd_buf_free(&b);
	ck_assert_int_eq(mcd_get(cl, K("missing"), &b, &fl), MCD_NOT_FOUND);
	mcd_buf_free(&b);
	ck_assert_int_eq(mcd_incr(cl, K("n"), 1, 1, 0, &v), MCD_OK);
	ck_assert_int_eq(mcd_incr(cl, K("n"), 1, 1, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 2);
	ck_assert_int_eq(mcd_delete(cl, K("k")), MCD_OK);
	mcd_client_free(cl);
	ck_assert_msg(c.live == 0 && c.bytes == 0,
			"after mcd_client_free: %ld blocks, %lld bytes still live", c.live, c.bytes);
}
END_TEST

/*
 * An allocator that never touches the system heap (a bump arena of its own
 * pages), so the heap's figures show whatever was allocated around it.
 */
typedef struct arena {
	char *base;
	size_t used, cap;
	long calls, live;
	long big;      /* blocks of 200000 bytes or more */
	mcd_allocator a;
} arena;

#define AR_HDR 16

static void *ar_malloc(size_t size, void *ctx)
{
	arena *ar = ctx;
	size_t need = (size + AR_HDR + 15) & ~(size_t)15;
	char *p;

	ar->calls++;
	if (size >= 200000)
		ar->big++;
	if (size > ar->cap || need > ar->cap - ar->used)
		return NULL;
	p = ar->base + ar->used;
	ar->used += need;
	memcpy(p, &size, sizeof(size));
	ar->live++;
	return p + AR_HDR;
}

static void *ar_realloc(void *ptr, size_t size, void *ctx)
{
	arena *ar = ctx;
	size_t old;
	char *n;

	if (!ptr)
		return ar_malloc(size, ctx);
	memcpy(&old, (char *)ptr - AR_HDR, sizeof(old));
	n = ar_malloc(size, ctx);
	if (!n)
		return NULL;
	memcpy(n, ptr, old < size ? old : size);
	ar->live--; /* the old block is dropped (an arena never reuses it) */
	return n;
}

static void ar_free(void *ptr, void *ctx)
{
	arena *ar = ctx;

	ck_assert_msg(ptr != NULL, "allocator free_fn called with NULL");
	ck_assert_msg((char *)ptr > ar->base && (char *)ptr < ar->base + ar->used,
			"free_fn got a block the allocator never gave");
	ar->live--;
}

static void arena_init(arena *ar, size_t cap)
{
	memset(ar, 0, sizeof(*ar));
	ar->base = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
			| MAP_NORESERVE, -1, 0);
	ck_assert(ar->base != MAP_FAILED);
	ar->cap = cap;
	ar->a.malloc_fn = ar_malloc;
	ar->a.realloc_fn = ar_realloc;
	ar->a.free_fn = ar_free;
	ar->a.ctx = ar;
}

static void arena_done(arena *ar)
{
	munmap(ar->base, ar->cap);
}

/* Bytes the system heap holds in use now (brk heap and mmapped chunks).
 * Under valgrind, whose malloc replaces the C library's, this reads 0: the
 * heap check is made by the native run. */
static long long heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long long)mi.uordblks + (long long)mi.hblkhd;
}

/* Connect and a few operations, a 200 KB value among them; every result
 * lands in memory of the arena. */
static void lib_workload(mcd_client *cl, arena *ar)
{
	static char val[200000];
	mcd_buf b;
	uint32_t fl;
	uint64_t v, lib0, lib1;
	long big0 = ar->big;

	memset(val, 'w', sizeof(val));
	ck_assert_int_eq(mcd_store(cl, MCD_SET, K("lib"), val, sizeof(val), 0, 1), MCD_OK);
	mcd_buf_init(&b, &ar->a);
	mcd_client_lib_allocs(cl, &lib0, NULL);
	big0 = ar->big;
	ck_assert_int_eq(mcd_get(cl, K("lib"), &b, &fl), MCD_OK);
	ck_assert(b.len == sizeof(val));
	mcd_client_lib_allocs(cl, &lib1, NULL);
	/* the library reads the value into a block of its own, the module
	 * copies it out: two big blocks, both from the host allocator */
	ck_assert_msg(lib1 > lib0, "a get of 200 KB made no library allocation through "
			"the adapter");
	ck_assert_msg(ar->big - big0 >= 2, "a get of 200 KB: %ld blocks of its size reached "
			"the host allocator, want 2 (the library's and the module's copy)",
			ar->big - big0);
	mcd_buf_free(&b);
	ck_assert_int_eq(mcd_get(cl, K("lib-missing"), &b, &fl), MCD_NOT_FOUND);
	mcd_buf_free(&b);
	ck_assert_int_eq(mcd_incr(cl, K("lib-n"), 1, 1, 0, &v), MCD_OK);
	ck_assert_int_eq(mcd_touch(cl, K("lib"), 100), MCD_OK);
	ck_assert_int_eq(mcd_delete(cl, K("lib")), MCD_OK);
}

static mcd_client *arena_client(int binary, arena *ar)
{
	mcd_client *cl = NULL;

	ck_assert_int_eq(alloc_client(binary, &ar->a, &cl), MCD_OK);
	return cl;
}

/*
 * The library's allocations, counted apart from the module's own by the
 * adapter: there are some, each reached the host allocator (none fell
 * back to the system heap while memory is plentiful), and the system heap
 * holds nothing of a live, connected client: nothing went around.
 */
START_TEST(t_client_lib_allocs)
{
	arena warm, ar;
	mcd_client *cl;
	uint64_t calls = 0, fallbacks = 1;
	long long h0, h1;

	/* once, so one-time caches of the C library are not counted */
	arena_init(&warm, 64u << 20);
	cl = arena_client(_i, &warm);
	lib_workload(cl, &warm);
	mcd_client_free(cl);
	arena_done(&warm);

	arena_init(&ar, 64u << 20);
	h0 = heap_in_use();
	cl = arena_client(_i, &ar);
	lib_workload(cl, &ar);
	h1 = heap_in_use();
	mcd_client_lib_allocs(cl, &calls, &fallbacks);
	ck_assert_msg(calls > 0, "binary=%d: libmemcached made no allocation through the "
			"adapter (allocator not installed?)", _i);
	ck_assert_msg(fallbacks == 0, "binary=%d: %" PRIu64 " of %" PRIu64 " library "
			"allocations fell back to the system heap with memory plentiful", _i,
			fallbacks, calls);
	ck_assert_msg((uint64_t)ar.calls >= calls, "binary=%d: the library made %" PRIu64
			" allocations, the host allocator saw %ld", _i, calls, ar.calls);
	ck_assert_msg(h1 - h0 <= 1024, "binary=%d: the system heap grew by %lld bytes with a "
			"live client: something allocated around the host allocator", _i, h1 - h0);
	printf("alloc lib binary=%d: %" PRIu64 " library allocations, %ld host calls, system "
			"heap %+lld bytes\n", _i, calls, ar.calls, h1 - h0);
	mcd_client_free(cl);
	ck_assert_msg(ar.live == 0, "binary=%d: %ld blocks live after mcd_client_free", _i,
			ar.live);
	arena_done(&ar);
}
END_TEST

/* Exhausted: the library's allocations still succeed, on the system heap,
 * and are counted as fallbacks. */
START_TEST(t_client_lib_fallback)
{
	t_counter c;
	mcd_client *cl = NULL;
	uint64_t calls = 0, fallbacks = 0;
	mcd_rc rc;

	mcd_buf b;
	uint32_t fl;

	t_counter_init(&c, -1);
	ck_assert_int_eq(new_client(_i, &c, &cl), MCD_OK);
	ck_assert_int_eq(mcd_store(cl, MCD_SET, K("fb"), "value", 5, 0, 1), MCD_OK);
	c.fail_after = c.ok; /* nothing more from the host allocator */
	/* the library allocates the value it reads */
	mcd_buf_init(&b, &c.a);
	rc = mcd_get(cl, K("fb"), &b, &fl);
	mcd_buf_free(&b);
	ck_assert_msg(rc == MCD_E_NOMEM, "get with the host allocator exhausted: rc=%d (%s)",
			rc, mcd_strerror(rc));
	mcd_client_lib_allocs(cl, &calls, &fallbacks);
	ck_assert_msg(calls > 0 && fallbacks > 0, "binary=%d: host allocator exhausted, "
			"library calls %" PRIu64 ", fallbacks %" PRIu64 " (want both > 0)", _i, calls,
			fallbacks);
	ck_assert_msg(fallbacks <= calls, "more fallbacks than calls");
	mcd_client_free(cl);
	ck_assert_msg(c.live == 0, "%ld blocks live after mcd_client_free", c.live);
}
END_TEST

static int rc_in(mcd_rc rc, mcd_rc a, mcd_rc b, mcd_rc c)
{
	return rc == a || rc == b || rc == c;
}

/* One pass of a small workload; every result must be a normal answer or
 * MCD_E_NOMEM. Returns the number of unexpected results (details in msg). */
static int workload(int binary, t_counter *c, char *msg, size_t cap)
{
	mcd_client *cl = NULL;
	mcd_buf b;
	uint32_t fl;
	uint64_t v;
	mcd_rc rc;
	int bad = 0;

	msg[0] = '\0';
	rc = new_client(binary, c, &cl);
	if (rc != MCD_OK) {
		if (rc != MCD_E_NOMEM) {
			snprintf(msg, cap, "mcd_client_new rc=%d", rc);
			bad++;
		}
		if (cl != NULL) {
			snprintf(msg, cap, "mcd_client_new failed (rc=%d) but set *out", rc);
			bad++;
		}
		return bad;
	}
#define CHECK(expr, a, b2, c2) do { \
		rc = (expr); \
		if (!rc_in(rc, a, b2, c2)) { \
			bad++; \
			snprintf(msg, cap, "%s: rc=%d (%s)", #expr, rc, mcd_strerror(rc)); \
		} \
	} while (0)
	CHECK(mcd_store(cl, MCD_SET, K("w1"), "value", 5, 0, 1), MCD_OK, MCD_E_NOMEM, MCD_OK);
	CHECK(mcd_store(cl, MCD_SET, K("w 2"), "v2", 2, 0, 1), MCD_OK, MCD_E_NOMEM, MCD_OK);
	mcd_buf_init(&b, &c->a);
	CHECK(mcd_get(cl, K("w1"), &b, &fl), MCD_OK, MCD_NOT_FOUND, MCD_E_NOMEM);
	mcd_buf_free(&b);
	CHECK(mcd_get(cl, K("w-missing"), &b, &fl), MCD_NOT_FOUND, MCD_E_NOMEM, MCD_NOT_FOUND);
	mcd_buf_free(&b);
	CHECK(mcd_incr(cl, K("w3"), 1, 1, 0, &v), MCD_OK, MCD_E_NOMEM, MCD_OK);
	CHECK(mcd_touch(cl, K("w1"), 100), MCD_OK, MCD_NOT_FOUND, MCD_E_NOMEM);
	CHECK(mcd_delete(cl, K("w1")), MCD_OK, MCD_NOT_FOUND, MCD_E_NOMEM);
#undef CHECK
	mcd_client_free(cl);
	return bad;
}

/* Every allocation from the K-th on fails (memory exhausted), or only the
 * K-th (a transient failure); K runs over every allocation of a pass. */
static void run_failing(int binary, int once)
{
	t_counter c;
	char msg[256];
	long total;
	long k, bound;

	/* how many allocations a full pass makes */
	t_counter_init(&c, -1);
	ck_assert_int_eq(workload(binary, &c, msg, sizeof(msg)), 0);
	ck_assert(c.live == 0);
	total = c.ok;
	bound = total + 3 < 400 ? total + 3 : 400;
	for (k = 0; k <= bound; k++) {
		int bad;

		t_counter_init(&c, k);
		c.fail_once = once;
		bad = workload(binary, &c, msg, sizeof(msg));
		ck_assert_msg(bad == 0, "allocation %ld failing%s: %s", k, once ? " (once)" : "",
				msg);
		ck_assert_msg(c.live == 0 && c.bytes == 0,
				"allocation %ld failing%s: %ld blocks, %lld bytes leaked", k,
				once ? " (once)" : "", c.live, c.bytes);
	}
}

START_TEST(t_client_fail_once)
{
	run_failing(_i, 1);
}
END_TEST

START_TEST(t_client_fail_after)
{
	run_failing(_i, 0);
}
END_TEST

Suite *suite_alloc(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc;

	tc = tcase_create("basic");
	tcase_add_test(tc, t_alloc_helpers);
	tcase_add_test(tc, t_alloc_system);
	tcase_add_test(tc, t_buf);
	tcase_add_test(tc, t_buf_nomem);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_client_counting, 0, 2);
	tcase_add_loop_test(tc, t_client_lib_allocs, 0, 2);
	tcase_add_loop_test(tc, t_client_lib_fallback, 0, 2);
	tcase_add_loop_test(tc, t_client_fail_once, 0, 2);
	tcase_add_loop_test(tc, t_client_fail_after, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
