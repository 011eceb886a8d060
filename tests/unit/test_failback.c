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
 * Failback (SPEC section 10): after a server returns, a read of any key
 * gives the value of the last change made through any instance, or
 * missing; never a value that was replaced or deleted.
 *
 * - journal: the remembered-keys store alone (record, settle, overflow);
 * - settle: one client, a frozen server, keys rewritten and deleted;
 * - overflow: more changed keys than remembered: the returning server is
 *   flushed, and the rule still holds (also on a second outage);
 * - model: two instances (each a worker and a prober process sharing
 *   breaker and journal in a shared mapping) and three servers; seeded
 *   random set/delete/add/append/incr/touch/get while servers are frozen,
 *   killed and restarted, or cut off from one instance only (its prober
 *   paused and its mark set: the routing of a partition), one or two at a
 *   time; after every return each key of both instances reads its last
 *   value or missing.
 *
 *   MCD_SEED=S       replay a seed (printed on every run)
 *   MCD_FB_ROUNDS=N  fault rounds of the model test (default 4)
 *   MCD_FB_OFF=1     run without failback (shows what it prevents)
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests.h"

#if defined(__has_include)
#if __has_include("mcd_failback.h")
#include "mcd_failback.h"
#define T_HAVE_FAILBACK 1
#endif
#endif

#define MAXS 3
#define TIMEOUT_MS 300
#define PROBE_MS 100
#define SETTLE_WAIT_MS 15000

/* ---- a shared bump allocator: what Kamailio's shm is to the module ---- */

typedef struct t_arena {
	size_t cap, used;
	char mem[];
} t_arena;

static void *ar_malloc(size_t size, void *ctx)
{
	t_arena *a = ctx;
	size_t at = __atomic_fetch_add(&a->used, (size + 15) & ~(size_t)15,
			__ATOMIC_RELAXED);

	return at + size <= a->cap ? a->mem + at : NULL;
}

static void *ar_realloc(void *p, size_t size, void *ctx)
{
	(void)p;
	(void)size;
	(void)ctx;
	return NULL;
}

static void ar_free(void *p, void *ctx)
{
	(void)p;
	(void)ctx;
}

static t_arena *arena_new(size_t cap, mcd_allocator *al)
{
	t_arena *a = mmap(NULL, cap, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert(a != MAP_FAILED);
	a->cap = cap - sizeof(*a);
	a->used = 0;
	al->malloc_fn = ar_malloc;
	al->realloc_fn = ar_realloc;
	al->free_fn = ar_free;
	al->ctx = a;
	return a;
}

static unsigned seed_get(void)
{
	const char *e = getenv("MCD_SEED");

	return e && *e ? (unsigned)strtoul(e, NULL, 10)
				   : (unsigned)time(NULL) ^ (unsigned)getpid();
}

static int fb_off(void)
{
#ifndef T_HAVE_FAILBACK
	return 1;
#else
	const char *e = getenv("MCD_FB_OFF");

	return e && *e == '1';
#endif
}

/* ---- clients ---- */

typedef struct fb_opts {
	int probe;
} fb_opts;

static void tweak(mcd_config *cfg, void *arg)
{
	fb_opts *o = arg;

	cfg->timeout_ms = TIMEOUT_MS;
	cfg->retry_timeout_s = 1;
	cfg->failover = 1;
	cfg->probe_interval_ms = o->probe;
}

static void trace_log(void *ctx, mcd_log_level lvl, const char *msg)
{
	(void)ctx;
	(void)lvl;
	fprintf(stderr, "L %.0f pid %d %s\n", t_now_ms(), (int)getpid(), msg);
}

static mcd_client *fb_client(const char *servers, mcd_server_stats *stats,
		void *journal, int overflow)
{
	mcd_config cfg;
	mcd_client *c = NULL;
	char err[MCD_ERRBUF_SIZE] = "";
	fb_opts o = { PROBE_MS };

	mcd_config_defaults(&cfg);
	cfg.servers = servers;
	cfg.binary = 1;
	tweak(&cfg, &o);
	if (getenv("MCD_FB_TRACE"))
		cfg.log = trace_log;
	if (mcd_client_new(&cfg, NULL, stats, &c, err, sizeof(err)) != MCD_OK)
		return NULL;
#ifdef T_HAVE_FAILBACK
	if (journal && !fb_off())
		mcd_client_set_failback(c, journal, overflow);
#else
	(void)journal;
	(void)overflow;
#endif
	return c;
}

static void *journal_new(size_t max, size_t n, const mcd_allocator *a)
{
#ifdef T_HAVE_FAILBACK
	mcd_journal *j = NULL;

	ck_assert_int_eq(mcd_journal_new_shm(max, n, a, &j), MCD_OK);
	return j;
#else
	(void)max;
	(void)n;
	(void)a;
	return NULL;
#endif
}

static mcd_rc get_str(mcd_client *c, const char *k, char *out, size_t cap)
{
	mcd_buf b;
	uint32_t fl;
	mcd_rc rc;

	mcd_buf_init(&b, mcd_allocator_system());
	rc = mcd_get(c, k, strlen(k), &b, &fl);
	out[0] = '\0';
	if (rc == MCD_OK)
		snprintf(out, cap, "%.*s", (int)b.len, b.data);
	mcd_buf_free(&b);
	return rc;
}

/* Probes (as the prober would) until no server is marked dead. */
static int probe_until_up(mcd_client *c, int max_ms)
{
	double end = t_now_ms() + max_ms;

	for (;;) {
		int dead = 0;

		mcd_probe_tick(c, NULL, NULL);
		for (size_t i = 0; i < mcd_server_count(c); i++)
			dead += mcd_server_is_dead(c, i);
		if (!dead)
			return 0;
		if (t_now_ms() > end)
			return -1;
		t_sleep_ms(50);
	}
}

#ifdef T_HAVE_FAILBACK
/* ---- the journal alone ---- */

START_TEST(t_journal)
{
	mcd_journal *j = NULL;
	mcd_jkey k[8];
	size_t cur = 0, n;
	uint64_t st = 0, settled = 9, ov = 9;

	ck_assert_int_eq(mcd_journal_new_shm(0, 2, NULL, &j), MCD_E_ARG);
	ck_assert_int_eq(mcd_journal_new_shm(4, 2, NULL, &j), MCD_OK);
	ck_assert_int_eq(mcd_journal_record(j, 1u << 0, 1, "a", 1), MCD_JREC_KEPT);
	ck_assert_int_eq(mcd_journal_record(j, 1u << 0, 1, "a", 1), MCD_JREC_KEPT);
	ck_assert_int_eq(mcd_journal_record(j, 1u << 0, 1, "b", 1), MCD_JREC_KEPT);
	ck_assert_int_eq(mcd_journal_record(j, 1u << 1, 0, "c", 1), MCD_JREC_KEPT);
	ck_assert_uint_eq(mcd_journal_pending(j, 0), 2);
	ck_assert_uint_eq(mcd_journal_pending(j, 1), 1);
	n = mcd_journal_snapshot(j, 0, k, 8, &cur);
	ck_assert_uint_eq(n, 2);
	/* "a" changes again while being settled: it stays */
	ck_assert_int_eq(mcd_journal_record(j, 1u << 0, 1, "a", 1), MCD_JREC_KEPT);
	k[1].fail = 1ULL << 1; /* "b" could not be reached on server 1 */
	ck_assert_uint_eq(mcd_journal_settled(j, 0, k, n), 1);
	ck_assert_uint_eq(mcd_journal_pending(j, 0), 1);
	ck_assert_uint_eq(mcd_journal_pending(j, 1), 2); /* "c", and "b" owed */
	/* full: a fifth key overflows once, the flag is taken once */
	ck_assert_int_eq(mcd_journal_record(j, 1u << 1, 0, "d", 1), MCD_JREC_KEPT);
	ck_assert_int_eq(mcd_journal_record(j, 1u << 1, 0, "e", 1), MCD_JREC_OVERFLOW_NEW);
	ck_assert_int_eq(mcd_journal_record(j, 1u << 1, 0, "f", 1), MCD_JREC_OVERFLOW);
	ck_assert(mcd_journal_overflowed(j, 1));
	ck_assert(mcd_journal_take_overflow(j, 1, &st));
	ck_assert_uint_eq(st, 1);
	ck_assert(!mcd_journal_take_overflow(j, 1, &st));
	/* settling frees room: compaction reuses it */
	cur = 0;
	n = mcd_journal_snapshot(j, 1, k, 8, &cur);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(mcd_journal_settled(j, 1, k, n), 3);
	ck_assert_int_eq(mcd_journal_record(j, 1u << 1, 0, "g", 1), MCD_JREC_KEPT);
	ck_assert_int_eq(mcd_journal_record(j, 1u << 1, 0, "h", 1), MCD_JREC_KEPT);
	ck_assert_uint_eq(mcd_journal_pending(j, 1), 2);
	mcd_journal_count_settled(j, 4);
	mcd_journal_stats(j, &settled, &ov);
	ck_assert_uint_eq(settled, 4);
	ck_assert_uint_eq(ov, 1);
	mcd_journal_free_shm(j);
	mcd_journal_free_shm(NULL);
}
END_TEST
#endif

/* ---- one client, a frozen server ---- */

static mcd_ts g_srv[MAXS];

static void setup(void)
{
	memset(g_srv, 0, sizeof(g_srv));
	for (int i = 0; i < MAXS; i++)
		ck_assert_msg(mcd_ts_start(&g_srv[i], NULL) == 0, "cannot start memcached %d", i);
}

static void teardown(void)
{
	for (int i = 0; i < MAXS; i++)
		mcd_ts_stop(&g_srv[i]);
}

#define SK 40

/*
 * 2 servers, SK keys written; server `bad` frozen while half of the keys
 * are rewritten and half deleted; thawed; after it is back no key reads
 * a replaced value and no deleted key is back, also when it goes out
 * again (no stand-in copy resurfaces). limit: keys remembered.
 */
static void run_settle(size_t limit, int overflow, int expect_overflow)
{
	char servers[128], k[16], v[32], got[64];
	mcd_client *c;
	void *j;
	mcd_allocator al;
	t_arena *a = arena_new(1 << 20, &al);
	size_t bad = 1;
	int stale = 0, back = 0;
	mcd_rc rc;

	t_servers_str(servers, sizeof(servers), g_srv, 2);
	j = journal_new(limit, 2, &al);
	c = fb_client(servers, NULL, j, overflow);
	ck_assert(c != NULL);
	for (int i = 0; i < SK; i++) {
		snprintf(k, sizeof(k), "s%d", i);
		snprintf(v, sizeof(v), "old%d", i);
		ck_assert_int_eq(mcd_store(c, MCD_SET, k, strlen(k), v, strlen(v), 0, 1), MCD_OK);
	}
	ck_assert(mcd_ts_freeze(&g_srv[bad]) == 0);
	for (int i = 0; i < SK; i++) {
		snprintf(k, sizeof(k), "s%d", i);
		snprintf(v, sizeof(v), "new%d", i);
		if (i % 2 == 0)
			rc = mcd_store(c, MCD_SET, k, strlen(k), v, strlen(v), 0, 1);
		else
			rc = mcd_delete(c, k, strlen(k));
		if (rc < 0) /* the first one finds the server out */
			rc = i % 2 == 0 ? mcd_store(c, MCD_SET, k, strlen(k), v, strlen(v), 0, 1)
							: mcd_delete(c, k, strlen(k));
		ck_assert_msg(rc == MCD_OK || rc == MCD_NOT_FOUND, "change %s: rc=%d", k, rc);
	}
	ck_assert(mcd_server_is_dead(c, bad));
	ck_assert(mcd_ts_thaw(&g_srv[bad]) == 0);
	ck_assert_msg(probe_until_up(c, SETTLE_WAIT_MS) == 0, "server did not come back");
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < SK; i++) {
			snprintf(k, sizeof(k), "s%d", i);
			snprintf(v, sizeof(v), "new%d", i);
			rc = get_str(c, k, got, sizeof(got));
			ck_assert_msg(rc == MCD_OK || rc == MCD_NOT_FOUND, "get %s: rc=%d", k, rc);
			if (rc == MCD_OK && (i % 2 == 1 || strcmp(got, v) != 0)) {
				fprintf(stderr, "failback: %s: %s read '%s' (last change: %s)\n",
						round ? "second outage" : "after return", k, got,
						i % 2 ? "deleted" : v);
				if (i % 2)
					back++;
				else
					stale++;
			}
		}
		if (round == 0) {
			/* out again: reads fail over to the stand-in */
			ck_assert(mcd_ts_freeze(&g_srv[bad]) == 0);
			(void)get_str(c, "s0", got, sizeof(got));
			for (int i = 0; i < SK && !mcd_server_is_dead(c, bad); i++) {
				snprintf(k, sizeof(k), "s%d", i);
				(void)get_str(c, k, got, sizeof(got));
			}
		}
	}
	ck_assert(mcd_ts_thaw(&g_srv[bad]) == 0);
	fprintf(stderr, "failback settle (limit %zu): %d replaced values, %d deleted keys "
			"back\n", limit, stale, back);
	ck_assert_msg(stale == 0 && back == 0, "%d keys read a replaced value, %d deleted "
			"keys came back", stale, back);
#ifdef T_HAVE_FAILBACK
	{
		uint64_t settled = 0, ov = 0;

		mcd_journal_stats(j, &settled, &ov);
		ck_assert_uint_eq(ov, (uint64_t)expect_overflow);
		if (!expect_overflow)
			ck_assert_msg(settled > 0, "no key settled");
		ck_assert_uint_eq(mcd_journal_pending(j, bad), 0);
	}
#else
	(void)expect_overflow;
#endif
	mcd_client_free(c);
	munmap(a, a->cap + sizeof(*a));
}

START_TEST(t_settle)
{
	run_settle(1000, 1, 0);
}
END_TEST

START_TEST(t_overflow)
{
	/* 8 keys remembered, about 20 change: flush (owner and stand-in) */
	run_settle(8, 1, 1);
}
END_TEST

/* ---- the model under faults: two instances, three servers ---- */

#define NK 40 /* keys per instance */
#define NINST 2

enum { M_MISSING = 0, M_VALUE = 1, M_UNKNOWN = 2 };

typedef struct mkey {
	int state;
	char val[48];
} mkey;

typedef struct shared {
	mcd_server_stats stats[NINST][MAXS];
	mkey model[NINST][NK];
	int stop;
	int pause[NINST]; /* the instance's prober does not run (a cut) */
} shared;

typedef struct inst {
	pid_t worker, prober;
	int cmd[2], res[2]; /* parent -> worker, worker -> parent */
} inst;

static shared *g_sh;
static char g_servers[128];

static void key_name(char *out, size_t cap, int who, int id)
{
	snprintf(out, cap, "fb%d:%d", who, id);
}

static int is_counter(int id)
{
	return id % 4 == 0;
}

/*
 * A read of key `id` of instance `who`: the last value, or missing. Only
 * changes move the model: a miss is always allowed (a settled key, a
 * restarted server, a stand-in during an outage) and tells nothing about
 * the last change.
 */
static int check_read(int who, int id, mcd_rc rc, const char *got)
{
	mkey *m = &g_sh->model[who][id];
	char k[24];

	if (rc < 0 || rc == MCD_NOT_FOUND || m->state == M_UNKNOWN)
		return 0;
	if (m->state == M_VALUE && strcmp(got, m->val) == 0)
		return 0;
	key_name(k, sizeof(k), who, id);
	fprintf(stderr, "failback model: %s read '%s', last change: %s%s\n", k, got,
			m->state == M_MISSING ? "deleted" : "'", m->state == M_MISSING ? "" : m->val);
	if (m->state == M_VALUE)
		fprintf(stderr, "failback model: (%s: '%s')\n", k, m->val);
	return 1;
}

static const char *op_names[] = { "set", "add", "append", "delete", "incr/touch", "delete" };

/* MCD_FB_TRACE=1: every operation, its outcome and where its key routes. */
static void trace(mcd_client *c, int who, const char *op, const char *k, mcd_rc rc,
		const char *model)
{
	static int on = -1;
	size_t idx = 99;

	if (on < 0)
		on = getenv("MCD_FB_TRACE") != NULL;
	if (!on)
		return;
	(void)mcd_server_for_key(c, k, strlen(k), &idx);
	fprintf(stderr, "T %.0f i%d %s %s rc=%d srv=%zu -> %s\n", t_now_ms(), who, op, k, rc,
			idx, model);
}

/* One random operation on an own key; returns violations seen. */
static int one_op(mcd_client *c, int who, unsigned *rs, unsigned *n)
{
	int id = (int)(rand_r(rs) % NK), op = (int)(rand_r(rs) % 7), bad = 0;
	mkey *m = &g_sh->model[who][id];
	char k[24], v[48], got[64];
	uint64_t cnt = 0;
	mcd_rc rc;

	key_name(k, sizeof(k), who, id);
	snprintf(v, sizeof(v), "v%d.%d.%u", who, id, ++*n);
	if (is_counter(id) && (op == 1 || op == 2 || op == 3))
		op = 4; /* counters: no add/append/set of text */
	switch (op) {
	case 0:
		if (is_counter(id))
			snprintf(v, sizeof(v), "%u", *n);
		rc = mcd_store(c, MCD_SET, k, strlen(k), v, strlen(v), 0, 1);
		if (rc == MCD_OK) {
			m->state = M_VALUE;
			snprintf(m->val, sizeof(m->val), "%s", v);
		}
		break;
	case 1:
		rc = mcd_store(c, MCD_ADD, k, strlen(k), v, strlen(v), 0, 1);
		if (rc == MCD_OK) {
			m->state = M_VALUE;
			snprintf(m->val, sizeof(m->val), "%s", v);
		} else if (rc == MCD_EXISTS && m->state == M_MISSING) {
			fprintf(stderr, "failback model: add %s: exists, last change deleted it\n", k);
			bad = 1;
		}
		break;
	case 2:
		rc = mcd_store(c, MCD_APPEND, k, strlen(k), "+", 1, 0, 1);
		if (rc == MCD_OK && m->state == M_VALUE && strlen(m->val) < sizeof(m->val) - 2)
			strcat(m->val, "+");
		else if (rc == MCD_OK && m->state == M_MISSING) {
			fprintf(stderr, "failback model: append %s: found, last change deleted it\n", k);
			bad = 1;
			m->state = M_UNKNOWN;
		} else if (rc == MCD_OK)
			m->state = M_UNKNOWN;
		break;
	case 3:
	case 5:
		rc = mcd_delete(c, k, strlen(k));
		if (rc == MCD_OK || rc == MCD_NOT_FOUND)
			m->state = M_MISSING;
		break;
	case 4:
		if (!is_counter(id)) {
			rc = mcd_touch(c, k, strlen(k), 3600);
			if (rc == MCD_OK && m->state == M_MISSING) {
				fprintf(stderr, "failback model: touch %s: found, last change deleted it\n", k);
				bad = 1;
				m->state = M_UNKNOWN;
			}
			break;
		}
		rc = mcd_incr(c, k, strlen(k), 1, 1, 0, &cnt);
		if (rc == MCD_OK) {
			uint64_t want = m->state == M_VALUE ? strtoull(m->val, NULL, 10) + 1 : 1;

			if (m->state != M_UNKNOWN && cnt != want && cnt != 1) {
				fprintf(stderr, "failback model: incr %s gave %" PRIu64 ", last value %s\n",
						k, cnt, m->state == M_VALUE ? m->val : "deleted");
				bad = 1;
			}
			m->state = M_VALUE;
			snprintf(m->val, sizeof(m->val), "%" PRIu64, cnt);
		}
		break;
	default:
		rc = get_str(c, k, got, sizeof(got));
		bad = check_read(who, id, rc, got);
		trace(c, who, "get", k, rc, got);
		return bad;
	}
	trace(c, who, op_names[op], k, rc, m->state == M_VALUE ? m->val : m->state == M_MISSING ? "(missing)" : "(unknown)");
	/* sent and not answered: it may or may not have happened */
	if (rc < 0 && rc != MCD_E_DEAD && rc != MCD_E_ARG)
		m->state = M_UNKNOWN;
	return bad;
}

static int wait_up(mcd_client *c, int srv)
{
	double end = t_now_ms() + SETTLE_WAIT_MS;

	while (mcd_server_is_dead(c, (size_t)srv)) {
		if (t_now_ms() > end)
			return -1;
		t_sleep_ms(20);
	}
	return 0;
}

static int check_all(mcd_client *c)
{
	char k[24], got[64];
	int bad = 0;

	for (int w = 0; w < NINST; w++)
		for (int id = 0; id < NK; id++) {
			mcd_rc rc;

			key_name(k, sizeof(k), w, id);
			rc = get_str(c, k, got, sizeof(got));
			bad += check_read(w, id, rc, got);
			trace(c, w, "check", k, rc, got);
		}
	return bad;
}

#define OPS_PER_PHASE 120

static void worker_main(int who, int cmd_fd, int res_fd, void *journal, unsigned seed)
{
	mcd_client *c = fb_client(g_servers, g_sh->stats[who], journal, 1);
	unsigned rs = seed * 2654435761u + (unsigned)who, n = 0;
	int cmd[2];

	if (c == NULL)
		_exit(3);
	while (read(cmd_fd, cmd, sizeof(cmd)) == (ssize_t)sizeof(cmd)) {
		int res = 0;

		switch (cmd[0]) {
		case 'o':
			for (int i = 0; i < OPS_PER_PHASE; i++)
				res += one_op(c, who, &rs, &n);
			break;
		case 'w':
			res = wait_up(c, cmd[1]) < 0 ? -1 : 0;
			break;
		case 'c':
			res = check_all(c);
			break;
		default:
			mcd_client_free(c);
			_exit(0);
		}
		if (write(res_fd, &res, sizeof(res)) != (ssize_t)sizeof(res))
			break;
	}
	mcd_client_free(c);
	_exit(0);
}

static void prober_main(int who, void *journal)
{
	mcd_client *c = fb_client(g_servers, g_sh->stats[who], journal, 1);
	double end = t_now_ms() + 300000; /* bounded, whatever the parent does */

	if (c == NULL)
		_exit(3);
	while (!__atomic_load_n(&g_sh->stop, __ATOMIC_ACQUIRE) && t_now_ms() < end
			&& getppid() != 1) {
		if (!__atomic_load_n(&g_sh->pause[who], __ATOMIC_ACQUIRE))
			mcd_probe_tick(c, NULL, NULL);
		t_sleep_ms(PROBE_MS);
	}
	mcd_client_free(c);
	_exit(0);
}

/* Sends a command to every worker; the sum of their answers (-1000 when
 * one failed to answer). */
static int all_do(inst *in, int what, int arg)
{
	int cmd[2] = { what, arg }, sum = 0;

	for (int i = 0; i < NINST; i++)
		ck_assert(write(in[i].cmd[1], cmd, sizeof(cmd)) == (ssize_t)sizeof(cmd));
	for (int i = 0; i < NINST; i++) {
		int r = 0;

		if (read(in[i].res[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
			return -1000;
		sum += r;
	}
	return sum;
}

enum { F_FREEZE, F_KILL, F_CUT };
static const char *f_name[] = { "frozen", "killed", "cut off from instance 0" };
static const char *r_name[] = { "thawed", "restarted", "reachable again" };

/*
 * F_CUT: server s is unreachable from instance 0 only, as behind a
 * network partition: its prober stops (it could not reach s) and the
 * shared mark its workers route by is set, as their first timeout would;
 * instance 1 keeps using s.
 */
static void cut(int s, int on)
{
	mcd_server_stats *st = &g_sh->stats[0][s];

	if (on) {
		__atomic_store_n(&g_sh->pause[0], 1, __ATOMIC_RELEASE);
		__atomic_store_n(&st->dead_until, mcd_clock_mono_ms(NULL) + 600000,
				__ATOMIC_RELEASE);
		__atomic_fetch_add(&st->dead_gen, 1, __ATOMIC_ACQ_REL);
	} else {
		__atomic_store_n(&g_sh->pause[0], 0, __ATOMIC_RELEASE);
	}
}

static int restore(int s, int kind, inst *in, int *violations)
{
	int r, bad;

	if (kind == F_KILL)
		ck_assert(mcd_ts_restart(&g_srv[s]) == 0);
	else if (kind == F_FREEZE)
		ck_assert(mcd_ts_thaw(&g_srv[s]) == 0);
	else
		cut(s, 0);
	r = all_do(in, 'w', s);
	ck_assert_msg(r == 0, "server %d (%s) not back in use within %d ms", s, r_name[kind],
			SETTLE_WAIT_MS);
	bad = all_do(in, 'c', 0);
	fprintf(stderr, "failback model: server %d %s, back: %d violations\n", s, r_name[kind],
			bad);
	*violations += bad;
	return bad;
}

static void fault(int s, int kind)
{
	if (kind == F_KILL)
		mcd_ts_stop(&g_srv[s]);
	else if (kind == F_FREEZE)
		ck_assert(mcd_ts_freeze(&g_srv[s]) == 0);
	else
		cut(s, 1);
}

START_TEST(t_model)
{
	unsigned seed = seed_get(), rs;
	const char *e = getenv("MCD_FB_ROUNDS");
	int rounds = e && *e ? atoi(e) : 4, violations = 0;
	inst in[NINST];
	void *journal[NINST];
	mcd_allocator al;
	t_arena *a = arena_new(8 << 20, &al);

	fprintf(stderr, "failback model: seed %u (MCD_SEED=%u replays), %d rounds, failback %s\n",
			seed, seed, rounds, fb_off() ? "OFF" : "on");
	rs = seed;
	g_sh = mmap(NULL, sizeof(shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);
	ck_assert(g_sh != MAP_FAILED);
	memset(g_sh, 0, sizeof(*g_sh));
	t_servers_str(g_servers, sizeof(g_servers), g_srv, MAXS);
	for (int i = 0; i < NINST; i++) {
		journal[i] = journal_new(4096, MAXS, &al);
		ck_assert(pipe(in[i].cmd) == 0 && pipe(in[i].res) == 0);
		in[i].prober = fork();
		ck_assert(in[i].prober >= 0);
		if (in[i].prober == 0)
			prober_main(i, journal[i]);
		in[i].worker = fork();
		ck_assert(in[i].worker >= 0);
		if (in[i].worker == 0) {
			close(in[i].cmd[1]);
			close(in[i].res[0]);
			worker_main(i, in[i].cmd[0], in[i].res[1], journal[i], seed);
		}
		close(in[i].cmd[0]);
		close(in[i].res[1]);
	}
	violations += all_do(in, 'o', 0);
	for (int r = 0; r < rounds; r++) {
		/* a cut stops instance 0's prober: first fault only, so that
		 * the second one's return is probed */
		int f1 = (int)(rand_r(&rs) % MAXS), k1 = (int)(rand_r(&rs) % 3);
		int f2 = -1, k2 = 0;

		if (rand_r(&rs) % 2) {
			f2 = (f1 + 1 + (int)(rand_r(&rs) % (MAXS - 1))) % MAXS;
			k2 = (int)(rand_r(&rs) % 2);
		}
		fprintf(stderr, "failback model: round %d: server %d %s%s", r, f1, f_name[k1],
				f2 >= 0 ? ", then " : "\n");
		if (f2 >= 0)
			fprintf(stderr, "server %d %s\n", f2, f_name[k2]);
		fault(f1, k1);
		violations += all_do(in, 'o', 0);
		if (f2 >= 0) {
			fault(f2, k2);
			violations += all_do(in, 'o', 0);
		}
		restore(f1, k1, in, &violations);
		violations += all_do(in, 'o', 0);
		if (f2 >= 0) {
			restore(f2, k2, in, &violations);
			violations += all_do(in, 'o', 0);
		}
	}
	violations += all_do(in, 'c', 0);
	__atomic_store_n(&g_sh->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NINST; i++) {
		int cmd[2] = { 'q', 0 }, st;

		ck_assert(write(in[i].cmd[1], cmd, sizeof(cmd)) == (ssize_t)sizeof(cmd));
		close(in[i].cmd[1]);
		close(in[i].res[0]);
		waitpid(in[i].worker, &st, 0);
		waitpid(in[i].prober, &st, 0);
	}
#ifdef T_HAVE_FAILBACK
	for (int i = 0; i < NINST; i++) {
		uint64_t settled = 0, ov = 0;

		mcd_journal_stats(journal[i], &settled, &ov);
		fprintf(stderr, "failback model: instance %d: %" PRIu64 " keys settled, %" PRIu64
				" overflows\n", i, settled, ov);
	}
#endif
	fprintf(stderr, "failback model: seed %u: %d violations\n", seed, violations);
	munmap(g_sh, sizeof(shared));
	munmap(a, a->cap + sizeof(*a));
	ck_assert_msg(violations == 0, "seed %u: %d reads or answers showed a value that was "
			"replaced or deleted (MCD_SEED=%u replays)", seed, violations, seed);
}
END_TEST

Suite *suite_failback(void)
{
	Suite *s = suite_create("failback");
	TCase *tc;

#ifdef T_HAVE_FAILBACK
	tc = tcase_create("journal");
	tcase_add_test(tc, t_journal);
	suite_add_tcase(s, tc);
#endif
	tc = tcase_create("settle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_settle);
	tcase_add_test(tc, t_overflow);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, t_model);
	suite_add_tcase(s, tc);
	return s;
}
