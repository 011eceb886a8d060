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
/* Shared bits of the core unit tests. */
#ifndef MCD_TESTS_H
#define MCD_TESTS_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "mcd_alloc.h"
#include "mcd_client.h"
#include "mcd_config.h"
#include "mcd_server.h"

/* Suites, one per test file. */
Suite *suite_key(void);
Suite *suite_value(void);
Suite *suite_config(void);
Suite *suite_alloc(void);
Suite *suite_client(void);
Suite *suite_race(void);
Suite *suite_cluster(void);
Suite *suite_sasl(void);
Suite *suite_near(void);
Suite *suite_breaker(void);
Suite *suite_model(void);
Suite *suite_failback(void);

/* Monotonic milliseconds, and a sleep that survives signals. */
double t_now_ms(void);
void t_sleep_ms(int ms);

/* "127.0.0.1:<port>,..." for the servers of a test. */
void t_servers_str(char *out, size_t cap, const mcd_ts *srv, size_t n);

/*
 * A client on the given servers list, with test-friendly timeouts; fails
 * the test when it cannot be made. cfg_out (may be NULL) receives the
 * config used, tweak is applied before creation (may be NULL).
 */
typedef void (*t_cfg_tweak)(mcd_config *cfg, void *arg);
mcd_client *t_client(const char *servers, int binary, const mcd_allocator *a,
		t_cfg_tweak tweak, void *arg);

/*
 * A counting allocator: live blocks and bytes, and the number of
 * malloc/realloc calls made. fail_after >= 0 makes every allocation after
 * that many successful ones fail (a NULL return: memory exhausted);
 * with fail_once only that one allocation fails (a transient failure).
 */
typedef struct t_counter {
	long live;
	long calls;
	long ok;
	long failed;
	long long bytes;
	long fail_after;
	int fail_once;
	mcd_allocator a;
} t_counter;

void t_counter_init(t_counter *c, long fail_after);

/*
 * Check has no "skipped" outcome: a test whose precondition is missing
 * calls t_skip (prints "SKIP: name: reason" and records it) and returns.
 * The runner lists the skips at the end and, when nothing failed, exits
 * with T_SKIP_RC (77, automake's "skipped"), so a skip is never counted
 * as a pass.
 */
#define T_SKIP_RC 77
void t_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A private sasldb and memcached SASL config (user T_SASL_USER, password
 * T_SASL_PASS) in a new directory written to dir: 0 ok; -1 with the reason
 * in why (SASL cannot be set up here). t_sasl_cleanup removes it.
 */
#define T_SASL_USER "mcduser"
#define T_SASL_PASS "s3cret-pw"
int t_sasl_prepare(char *dir, size_t dircap, char *why, size_t whycap);
void t_sasl_cleanup(char *dir);

#endif
