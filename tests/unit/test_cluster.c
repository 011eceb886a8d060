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
 * Clusters of 2 and 3 servers with faults: a stopped server (port closed)
 * and a frozen one (SIGSTOP: connections accepted, nothing answered).
 * timeout 500 ms and retry_timeout 1 s keep the run short; time bounds
 * are generous because the machine is shared.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests.h"

#define MAXS 3
#define TIMEOUT_MS 500
#define RETRY_S 1
#define FIRST_FAIL_MAX_MS 2500.0 /* one timeout, plus slack */
#define FAST_MS 50.0             /* failing fast while marked dead */
#define LIVE_MS 500.0            /* a normal round trip, very generous */

static mcd_ts g_srv[MAXS];
static mcd_client *g_cli;
static char g_keys[MAXS][2][16];

static void setup(void)
{
	g_cli = NULL;
	memset(g_srv, 0, sizeof(g_srv));
	for (int i = 0; i < MAXS; i++)
		ck_assert_msg(mcd_ts_start(&g_srv[i], NULL) == 0, "cannot start memcached %d", i);
}

static void teardown(void)
{
	mcd_client_free(g_cli);
	g_cli = NULL;
	for (int i = 0; i < MAXS; i++)
		mcd_ts_stop(&g_srv[i]);
}

typedef struct cl_opts {
	int failover;
} cl_opts;

static void tweak(mcd_config *cfg, void *arg)
{
	cl_opts *o = arg;

	cfg->timeout_ms = TIMEOUT_MS;
	cfg->retry_timeout_s = RETRY_S;
	cfg->failover = o->failover;
}

static void make_client(size_t n, int binary, int failover)
{
	static char servers[256];
	cl_opts o = { failover };

	t_servers_str(servers, sizeof(servers), g_srv, n);
	g_cli = t_client(servers, binary, NULL, tweak, &o);
	ck_assert_uint_eq(mcd_server_count(g_cli), n);
}

/* Two keys per server, found through the client's own mapping. */
static void find_keys(size_t n)
{
	int have[MAXS] = { 0 };
	int done = 0;

	for (int i = 0; i < 20000 && done < (int)n * 2; i++) {
		char k[16];
		size_t idx = 999;

		snprintf(k, sizeof(k), "ck%d", i);
		ck_assert_int_eq(mcd_server_for_key(g_cli, k, strlen(k), &idx), MCD_OK);
		ck_assert_msg(idx < n, "mcd_server_for_key gave %zu of %zu", idx, n);
		if (have[idx] < 2) {
			strcpy(g_keys[idx][have[idx]++], k);
			done++;
		}
	}
	ck_assert_msg(done == (int)n * 2, "keys do not spread over %zu servers", n);
}

static void val_of(char *out, size_t s, int j)
{
	snprintf(out, 16, "v%zu%d", s, j);
}

static mcd_rc get_val(const char *k, char *out, size_t cap)
{
	mcd_buf b;
	uint32_t fl;
	mcd_rc rc;

	mcd_buf_init(&b, mcd_allocator_system());
	rc = mcd_get(g_cli, k, strlen(k), &b, &fl);
	out[0] = '\0';
	if (rc == MCD_OK)
		snprintf(out, cap, "%.*s", (int)b.len, b.data);
	mcd_buf_free(&b);
	return rc;
}

static void expect_val(const char *k, const char *want)
{
	char got[64];
	mcd_rc rc = get_val(k, got, sizeof(got));

	ck_assert_msg(rc == MCD_OK && strcmp(got, want) == 0,
			"get %s: rc=%d (%s) '%s', want '%s' (%s)", k, rc, mcd_strerror(rc), got, want,
			mcd_client_errdetail(g_cli));
}

static void set_all(size_t n)
{
	for (size_t s = 0; s < n; s++)
		for (int j = 0; j < 2; j++) {
			char v[16];
			mcd_rc rc;

			val_of(v, s, j);
			rc = mcd_store(g_cli, MCD_SET, g_keys[s][j], strlen(g_keys[s][j]), v,
					strlen(v), 0, 1);
			ck_assert_msg(rc == MCD_OK, "set %s on server %zu: rc=%d", g_keys[s][j], s, rc);
		}
}

/* Live servers keep working, at normal speed. */
static void check_live(size_t n, unsigned faulty)
{
	for (size_t s = 0; s < n; s++) {
		char v[16];
		double t0;

		if (faulty & (1u << s))
			continue;
		val_of(v, s, 0);
		t0 = t_now_ms();
		expect_val(g_keys[s][0], v);
		ck_assert_msg(t_now_ms() - t0 < LIVE_MS, "live server %zu took %.0f ms", s,
				t_now_ms() - t0);
		ck_assert(!mcd_server_is_dead(g_cli, s));
	}
}

/* Every kind of operation on a server marked dead fails at once. */
static void check_fast_dead(size_t s)
{
	const char *k = g_keys[s][0];
	size_t kl = strlen(k);

	for (int op = 0; op < 6; op++) {
		mcd_buf b;
		uint32_t fl;
		uint64_t v;
		mcd_rc rc = MCD_OK;
		double t0 = t_now_ms(), dt;

		mcd_buf_init(&b, mcd_allocator_system());
		switch (op) {
		case 0: rc = mcd_get(g_cli, k, kl, &b, &fl); break;
		case 1: rc = mcd_store(g_cli, MCD_SET, k, kl, "x", 1, 0, 1); break;
		case 2: rc = mcd_incr(g_cli, k, kl, 1, 1, 0, &v); break;
		case 3: rc = mcd_delete(g_cli, k, kl); break;
		case 4: rc = mcd_touch(g_cli, k, kl, 10); break;
		case 5: rc = mcd_store(g_cli, MCD_ADD, k, kl, "x", 1, 0, 1); break;
		}
		dt = t_now_ms() - t0;
		mcd_buf_free(&b);
		ck_assert_msg(rc == MCD_E_DEAD, "op %d on dead server %zu: rc=%d (%s), want "
				"MCD_E_DEAD", op, s, rc, mcd_strerror(rc));
		ck_assert_msg(dt < FAST_MS, "op %d on dead server %zu took %.1f ms", op, s, dt);
	}
}

/*
 * failover=0: servers in stop_mask are stopped, those in freeze_mask
 * frozen; the first operation on each fails within about one timeout,
 * the next ones fail at once; after recovery and retry_timeout + 1 s
 * they work again, with the right values (no stale reply from the
 * request that timed out).
 */
static void run_fault(size_t n, int binary, unsigned stop_mask, unsigned freeze_mask)
{
	unsigned faulty = stop_mask | freeze_mask;

	make_client(n, binary, 0);
	find_keys(n);
	set_all(n);
	check_live(n, 0);

	for (size_t s = 0; s < n; s++) {
		if (stop_mask & (1u << s))
			mcd_ts_stop(&g_srv[s]);
		if (freeze_mask & (1u << s))
			ck_assert(mcd_ts_freeze(&g_srv[s]) == 0);
	}
	check_live(n, faulty);

	for (size_t s = 0; s < n; s++) {
		char got[64];
		double t0, dt;
		mcd_rc rc;
		size_t idx = 99;
		const mcd_server_stats *st;

		if (!(faulty & (1u << s)))
			continue;
		t0 = t_now_ms();
		rc = get_val(g_keys[s][1], got, sizeof(got));
		dt = t_now_ms() - t0;
		ck_assert_msg(rc < 0, "first get on %s server %zu: rc=%d (%s), want an error",
				(stop_mask & (1u << s)) ? "stopped" : "frozen", s, rc, mcd_strerror(rc));
		ck_assert_msg(dt < FIRST_FAIL_MAX_MS, "first get on %s server %zu took %.0f ms "
				"(timeout %d ms)", (stop_mask & (1u << s)) ? "stopped" : "frozen", s, dt,
				TIMEOUT_MS);
		ck_assert_msg(mcd_server_is_dead(g_cli, s), "server %zu not marked dead", s);
		st = mcd_server_stats_get(g_cli, s);
		ck_assert(st && st->errors >= 1 && st->dead_until > 0);
		/* failover=0: the key stays on its dead server (or is refused as such) */
		rc = mcd_server_for_key(g_cli, g_keys[s][0], strlen(g_keys[s][0]), &idx);
		ck_assert_msg(rc == MCD_E_DEAD || (rc == MCD_OK && idx == s),
				"failover=0: key of dead server %zu: rc=%d idx=%zu", s, rc, idx);
		check_fast_dead(s);
	}
	check_live(n, faulty);

	for (size_t s = 0; s < n; s++) {
		if (stop_mask & (1u << s))
			ck_assert_msg(mcd_ts_restart(&g_srv[s]) == 0, "restart %zu", s);
		if (freeze_mask & (1u << s))
			ck_assert(mcd_ts_thaw(&g_srv[s]) == 0);
	}
	t_sleep_ms(RETRY_S * 1000 + 1000 + 200);

	for (size_t s = 0; s < n; s++) {
		char v[16];
		mcd_rc rc;

		if (stop_mask & (1u << s)) {
			/* restarted empty: writes and reads work again */
			rc = mcd_store(g_cli, MCD_SET, g_keys[s][0], strlen(g_keys[s][0]), "new", 3,
					0, 1);
			ck_assert_msg(rc == MCD_OK, "set on restarted server %zu after %d s: rc=%d (%s)",
					s, RETRY_S + 1, rc, mcd_strerror(rc));
			expect_val(g_keys[s][0], "new");
		}
		if (freeze_mask & (1u << s)) {
			/* same data; the reply to the timed-out get must not surface */
			val_of(v, s, 0);
			expect_val(g_keys[s][0], v);
			val_of(v, s, 1);
			expect_val(g_keys[s][1], v);
		}
		ck_assert(!mcd_server_is_dead(g_cli, s));
	}
	check_live(n, faulty);
}

START_TEST(t_two_stopped)
{
	run_fault(2, _i, 1u << 1, 0);
}
END_TEST

START_TEST(t_two_frozen)
{
	run_fault(2, _i, 0, 1u << 0);
}
END_TEST

START_TEST(t_three_stopped_frozen)
{
	run_fault(3, _i, 1u << 1, 1u << 2);
}
END_TEST

/*
 * failover=1: keys of the faulty server are served by the others; keys of
 * the live servers stay where they are (consistent hashing); when the
 * server is back its keys go home again.
 */
static void run_failover(size_t n, int binary, size_t bad, int freeze)
{
	double t0, dt, deadline;
	mcd_rc rc;
	char got[64];
	int home = 0;

	make_client(n, binary, 1);
	find_keys(n);
	set_all(n);

	if (freeze)
		ck_assert(mcd_ts_freeze(&g_srv[bad]) == 0);
	else
		mcd_ts_stop(&g_srv[bad]);

	/* the first contact may fail (it finds out), within about one timeout */
	t0 = t_now_ms();
	rc = mcd_store(g_cli, MCD_SET, g_keys[bad][0], strlen(g_keys[bad][0]), "fo", 2, 0, 1);
	dt = t_now_ms() - t0;
	ck_assert_msg(dt < FIRST_FAIL_MAX_MS, "first op on the %s server took %.0f ms",
			freeze ? "frozen" : "stopped", dt);
	if (getenv("MCD_TEST_DEBUG"))
		fprintf(stderr, "first op on %s server: rc=%d after %.0f ms\n",
				freeze ? "frozen" : "stopped", rc, dt);

	for (int j = 0; j < 2; j++) {
		const char *k = g_keys[bad][j];
		size_t idx = 99;
		uint64_t v = 0;

		t0 = t_now_ms();
		rc = mcd_store(g_cli, MCD_SET, k, strlen(k), "fo", 2, 0, 1);
		dt = t_now_ms() - t0;
		ck_assert_msg(rc == MCD_OK, "failover set %s: rc=%d (%s) %s", k, rc,
				mcd_strerror(rc), mcd_client_errdetail(g_cli));
		ck_assert_msg(dt < LIVE_MS, "failover set took %.0f ms", dt);
		expect_val(k, "fo");
		ck_assert_int_eq(mcd_server_for_key(g_cli, k, strlen(k), &idx), MCD_OK);
		ck_assert_msg(idx != bad && idx < n, "key %s still maps to dead server %zu", k, idx);
		rc = mcd_incr(g_cli, "fo-cnt", 6, 1, 1, 0, &v);
		ck_assert_msg(rc == MCD_OK, "incr during failover: rc=%d", rc);
	}
	for (size_t s = 0; s < n; s++) {
		size_t idx = 99;
		char v[16];

		if (s == bad)
			continue;
		ck_assert_int_eq(mcd_server_for_key(g_cli, g_keys[s][0], strlen(g_keys[s][0]),
				&idx), MCD_OK);
		ck_assert_msg(idx == s, "a key of live server %zu moved to %zu", s, idx);
		val_of(v, s, 0);
		expect_val(g_keys[s][0], v);
	}

	if (freeze)
		ck_assert(mcd_ts_thaw(&g_srv[bad]) == 0);
	else
		ck_assert(mcd_ts_restart(&g_srv[bad]) == 0);
	t_sleep_ms(RETRY_S * 1000 + 1000);
	/* back home within retry_timeout + 1 s (+ slack for a busy machine) */
	deadline = t_now_ms() + 1500;
	for (int i = 0; i < 30 && !home; i++) {
		char wire[64];
		size_t len = 0;

		rc = mcd_store(g_cli, MCD_SET, g_keys[bad][1], strlen(g_keys[bad][1]), "home", 4,
				0, 1);
		ck_assert_msg(rc == MCD_OK, "set after recovery: rc=%d (%s)", rc, mcd_strerror(rc));
		if (mcd_ts_get(g_srv[bad].port, g_keys[bad][1], wire, sizeof(wire), &len, NULL) == 1
				&& len == 4 && memcmp(wire, "home", 4) == 0)
			home = 1;
		else if (t_now_ms() > deadline)
			break;
		else
			t_sleep_ms(100);
	}
	ck_assert_msg(home, "keys of server %zu did not go back to it after recovery", bad);
	ck_assert(!mcd_server_is_dead(g_cli, bad));
	{
		size_t idx = 99;

		ck_assert_int_eq(mcd_server_for_key(g_cli, g_keys[bad][0], strlen(g_keys[bad][0]),
				&idx), MCD_OK);
		ck_assert_uint_eq(idx, bad);
	}
	rc = get_val(g_keys[bad][1], got, sizeof(got));
	ck_assert_msg(rc == MCD_OK && strcmp(got, "home") == 0, "get after recovery: rc=%d '%s'",
			rc, got);
}

START_TEST(t_failover_stopped)
{
	run_failover(3, _i, 1, 0);
}
END_TEST

START_TEST(t_failover_frozen)
{
	run_failover(2, _i, 0, 1);
}
END_TEST

START_TEST(t_all_down)
{
	/* every server stopped, failover on: errors, bounded, no crash */
	double t0;
	mcd_rc rc;
	char got[64];

	make_client(2, _i, 1);
	find_keys(2);
	set_all(2);
	mcd_ts_stop(&g_srv[0]);
	mcd_ts_stop(&g_srv[1]);
	for (int i = 0; i < 4; i++) {
		t0 = t_now_ms();
		rc = get_val(g_keys[i % 2][0], got, sizeof(got));
		ck_assert_msg(rc < 0, "get with all servers down: rc=%d", rc);
		ck_assert_msg(t_now_ms() - t0 < FIRST_FAIL_MAX_MS * 2, "took %.0f ms",
				t_now_ms() - t0);
	}
	rc = mcd_store(g_cli, MCD_SET, "z", 1, "z", 1, 0, 0);
	ck_assert(rc < 0);
}
END_TEST

START_TEST(t_down_at_start)
{
	/* a server down when the client is made is not an error; it works
	 * once the server is up (within retry_timeout + 1 s) */
	double deadline;
	mcd_rc rc = MCD_E_CONN;

	mcd_ts_stop(&g_srv[0]);
	make_client(1, _i, 1);
	rc = mcd_store(g_cli, MCD_SET, "up", 2, "1", 1, 0, 0);
	ck_assert(rc < 0);
	ck_assert(mcd_ts_restart(&g_srv[0]) == 0);
	t_sleep_ms(RETRY_S * 1000 + 1000);
	deadline = t_now_ms() + 1000;
	do {
		rc = mcd_store(g_cli, MCD_SET, "up", 2, "1", 1, 0, 0);
		if (rc == MCD_OK)
			break;
		t_sleep_ms(100);
	} while (t_now_ms() < deadline);
	ck_assert_msg(rc == MCD_OK, "server up again, set still fails: rc=%d (%s)", rc,
			mcd_strerror(rc));
	expect_val("up", "1");
}
END_TEST

Suite *suite_cluster(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc;

	tc = tcase_create("no-failover");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_two_stopped, 0, 2);
	tcase_add_loop_test(tc, t_two_frozen, 0, 2);
	tcase_add_loop_test(tc, t_three_stopped_frozen, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("failover");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_failover_stopped, 0, 2);
	tcase_add_loop_test(tc, t_failover_frozen, 0, 2);
	tcase_add_loop_test(tc, t_all_down, 0, 2);
	tcase_add_loop_test(tc, t_down_at_start, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
