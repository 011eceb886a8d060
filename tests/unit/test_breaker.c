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
 * The shared breaker on its own, with an injected clock: marks run out on
 * the breaker's clock only, exactly one caller wins a trial, a fresher
 * mark survives a late "alive", a claimed trial is always handed back,
 * and the prober sees each transition once.
 */
#include <string.h>

#include "tests.h"
#include "mcd_breaker.h"

static int64_t g_now;

static int64_t fake_clock(void *ctx)
{
	(void)ctx;
	return g_now;
}

static mcd_server_stats g_st[2];
static mcd_breaker g_b;

static void setup_b(int retry_s, int probe_ms)
{
	mcd_config cfg;

	mcd_config_defaults(&cfg);
	cfg.retry_timeout_s = retry_s;
	cfg.timeout_ms = 100;
	cfg.probe_interval_ms = probe_ms;
	cfg.now_ms = fake_clock;
	memset(g_st, 0, sizeof(g_st));
	g_now = 1000000;
	mcd_breaker_init(&g_b, g_st, 2, &cfg);
}

START_TEST(t_mark_runs_out_on_its_clock)
{
	int64_t seen;

	setup_b(5, 0);
	ck_assert(!mcd_breaker_blocked(&g_b, 0, &seen));
	ck_assert_int_eq(seen, 0);
	ck_assert(mcd_breaker_trip(&g_b, 0)); /* first mark: reported */
	ck_assert(!mcd_breaker_trip(&g_b, 0)); /* already dead: not again */
	ck_assert(mcd_breaker_is_dead(&g_b, 0));
	ck_assert(!mcd_breaker_is_dead(&g_b, 1));
	g_now += 4999;
	ck_assert(mcd_breaker_blocked(&g_b, 0, &seen));
	/* the wall clock is not consulted: only the injected one moves it */
	g_now += 2; /* the second trip moved the mark on by 1 ms */
	ck_assert(!mcd_breaker_blocked(&g_b, 0, &seen)); /* this caller's trial */
	ck_assert(seen != 0);
	ck_assert(mcd_breaker_blocked(&g_b, 0, &seen)); /* the others wait */
}
END_TEST

START_TEST(t_one_trial_then_alive)
{
	int64_t s1, s2;

	setup_b(1, 0);
	mcd_breaker_trip(&g_b, 1);
	g_now += 1000;
	ck_assert(!mcd_breaker_blocked(&g_b, 1, &s1));
	ck_assert(mcd_breaker_blocked(&g_b, 1, &s2));
	ck_assert(mcd_breaker_ok(&g_b, 1, s1));
	ck_assert(!mcd_breaker_is_dead(&g_b, 1));
	ck_assert(!mcd_breaker_blocked(&g_b, 1, &s2));
	ck_assert_int_eq(s2, 0);
}
END_TEST

START_TEST(t_fresh_mark_survives_late_alive)
{
	int64_t seen;

	setup_b(1, 0);
	/* process A routes while the server is up... */
	ck_assert(!mcd_breaker_blocked(&g_b, 0, &seen));
	/* ...process B times out and marks it dead... */
	ck_assert(mcd_breaker_trip(&g_b, 0));
	/* ...A's answer, which came from before, must not erase B's mark */
	ck_assert(!mcd_breaker_ok(&g_b, 0, seen));
	ck_assert(mcd_breaker_is_dead(&g_b, 0));
	/* a trial that saw an older mark cannot clear a newer one either */
	g_now += 1000;
	ck_assert(!mcd_breaker_blocked(&g_b, 0, &seen));
	g_now += 10;
	ck_assert(!mcd_breaker_trip(&g_b, 0)); /* another process: fresh mark */
	ck_assert(!mcd_breaker_ok(&g_b, 0, seen));
	ck_assert(mcd_breaker_is_dead(&g_b, 0));
}
END_TEST

START_TEST(t_trial_released)
{
	int64_t s1, s2;

	setup_b(1, 0);
	mcd_breaker_trip(&g_b, 0);
	g_now += 1000;
	ck_assert(!mcd_breaker_blocked(&g_b, 0, &s1));
	ck_assert(mcd_breaker_blocked(&g_b, 0, &s2));
	/* the trial ended without an answer either way: handed back */
	mcd_breaker_release(&g_b, 0, s1);
	ck_assert(mcd_breaker_is_dead(&g_b, 0));
	ck_assert(!mcd_breaker_blocked(&g_b, 0, &s2));
}
END_TEST

START_TEST(t_prober_holds_workers_off)
{
	int64_t seen, held;

	setup_b(1, 500);
	mcd_breaker_trip(&g_b, 0);
	/* with a prober, a run-out mark is left to it for a grace period */
	g_now += 1000;
	ck_assert(mcd_breaker_blocked(&g_b, 0, &seen));
	held = mcd_breaker_hold(&g_b, 0, 1200);
	ck_assert(held == g_now + 1200);
	g_now += 2000; /* past the hold: still the prober's, for the grace */
	ck_assert(mcd_breaker_blocked(&g_b, 0, &seen));
	/* the prober's answer puts it back for everyone */
	ck_assert(mcd_breaker_ok(&g_b, 0, held));
	ck_assert(!mcd_breaker_blocked(&g_b, 0, &seen));
	/* a prober that stopped: after the grace, a worker may try */
	mcd_breaker_trip(&g_b, 0);
	g_now += 1000 + g_b.grace_ms;
	ck_assert(!mcd_breaker_blocked(&g_b, 0, &seen));
	ck_assert_int_eq(mcd_breaker_hold(&g_b, 1, 100), 0); /* up: nothing */
}
END_TEST

START_TEST(t_transitions_once)
{
	bool down, up;
	int64_t seen;

	setup_b(1, 500);
	mcd_breaker_transitions(&g_b, 0, &down, &up);
	ck_assert(!down && !up);
	mcd_breaker_trip(&g_b, 0);
	mcd_breaker_trip(&g_b, 0); /* several processes: one transition */
	mcd_breaker_transitions(&g_b, 0, &down, &up);
	ck_assert(down && !up);
	mcd_breaker_transitions(&g_b, 0, &down, &up);
	ck_assert(!down && !up);
	seen = __atomic_load_n(&g_st[0].dead_until, __ATOMIC_RELAXED);
	ck_assert(mcd_breaker_ok(&g_b, 0, seen));
	mcd_breaker_transitions(&g_b, 0, &down, &up);
	ck_assert(!down && up);
	mcd_breaker_transitions(&g_b, 0, &down, &up);
	ck_assert(!down && !up);
	/* down and back between two looks: reported as down, then up */
	mcd_breaker_trip(&g_b, 1);
	seen = __atomic_load_n(&g_st[1].dead_until, __ATOMIC_RELAXED);
	ck_assert(mcd_breaker_ok(&g_b, 1, seen));
	mcd_breaker_transitions(&g_b, 1, &down, &up);
	ck_assert(down && up);
}
END_TEST

Suite *suite_breaker(void)
{
	Suite *s = suite_create("breaker");
	TCase *tc = tcase_create("breaker");

	tcase_add_test(tc, t_mark_runs_out_on_its_clock);
	tcase_add_test(tc, t_one_trial_then_alive);
	tcase_add_test(tc, t_fresh_mark_survives_late_alive);
	tcase_add_test(tc, t_trial_released);
	tcase_add_test(tc, t_prober_holds_workers_off);
	tcase_add_test(tc, t_transitions_once);
	suite_add_tcase(s, tc);
	return s;
}
