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
 * Runner of the core unit tests, and the helpers they share.
 * CK_RUN_SUITE / CK_RUN_CASE (Check's own variables) select a part;
 * CK_FORK=no runs everything in one process (for valgrind);
 * MCD_TEST_CORE=1 keeps core dumps of crashing tests;
 * Skipped tests, when none failed, make it exit 77 (automake's "skipped"):
 * a skip is never a pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tests.h"

double t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void t_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void t_servers_str(char *out, size_t cap, const mcd_ts *srv, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%s127.0.0.1:%d",
				i ? "," : "", srv[i].port);
}

mcd_client *t_client(const char *servers, int binary, const mcd_allocator *a,
		t_cfg_tweak tweak, void *arg)
{
	mcd_config cfg;
	mcd_client *c = NULL;
	char err[MCD_ERRBUF_SIZE] = "";
	mcd_rc rc;

	mcd_config_defaults(&cfg);
	cfg.servers = servers;
	cfg.binary = binary;
	cfg.timeout_ms = 2000;
	cfg.retry_timeout_s = 1;
	cfg.probe_interval_ms = 0; /* no prober runs in these tests */
	if (tweak)
		tweak(&cfg, arg);
	rc = mcd_client_new(&cfg, a, NULL, &c, err, sizeof(err));
	ck_assert_msg(rc == MCD_OK && c != NULL,
			"mcd_client_new(%s, binary=%d): rc=%d (%s) err='%s'", servers,
			binary, rc, mcd_strerror(rc), err);
	return c;
}

/* Blocks carry their size in front, so free and realloc can keep count. */
#define HDR 16

static int must_fail(const t_counter *c)
{
	if (c->fail_after < 0 || c->ok < c->fail_after)
		return 0;
	return !c->fail_once || c->failed == 0;
}

static void *cnt_malloc(size_t size, void *ctx)
{
	t_counter *c = ctx;
	char *p;

	c->calls++;
	if (must_fail(c) || size > SIZE_MAX - HDR) {
		c->failed++;
		return NULL;
	}
	p = malloc(size + HDR);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	c->ok++;
	c->live++;
	c->bytes += (long long)size;
	return p + HDR;
}

static void *cnt_realloc(void *ptr, size_t size, void *ctx)
{
	t_counter *c = ctx;
	char *p;
	size_t old;

	if (!ptr)
		return cnt_malloc(size, ctx);
	c->calls++;
	if (must_fail(c) || size > SIZE_MAX - HDR) {
		c->failed++;
		return NULL;
	}
	p = (char *)ptr - HDR;
	memcpy(&old, p, sizeof(old));
	p = realloc(p, size + HDR);
	if (!p)
		return NULL;
	memcpy(p, &size, sizeof(size));
	c->ok++;
	c->bytes += (long long)size - (long long)old;
	return p + HDR;
}

static void cnt_free(void *ptr, void *ctx)
{
	t_counter *c = ctx;
	char *p;
	size_t old;

	ck_assert_msg(ptr != NULL, "allocator free_fn called with NULL");
	p = (char *)ptr - HDR;
	memcpy(&old, p, sizeof(old));
	c->live--;
	c->bytes -= (long long)old;
	free(p);
}

void t_counter_init(t_counter *c, long fail_after)
{
	memset(c, 0, sizeof(*c));
	c->fail_after = fail_after;
	c->a.malloc_fn = cnt_malloc;
	c->a.realloc_fn = cnt_realloc;
	c->a.free_fn = cnt_free;
	c->a.ctx = c;
}

/* Tests run in forked children: skips are collected in a file all of them
 * append to, named by this variable (set by main, inherited). */
#define SKIP_ENV "MCD_TEST_SKIP_FILE"

void t_skip(const char *name, const char *fmt, ...)
{
	char line[1024];
	const char *path = getenv(SKIP_ENV);
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "SKIP: %s: ", name);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	line[sizeof(line) - 2] = '\0';
	strcat(line, "\n");
	fputs(line, stderr);
	if (path) {
		int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

		if (fd >= 0) {
			ssize_t w = write(fd, line, strlen(line));

			(void)w;
			close(fd);
		}
	}
}

/* Prints the recorded skips; returns how many there were. */
static int report_skips(const char *path)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (n < 100000 && fgets(line, sizeof(line), f)) {
		if (n++ == 0)
			fputs("Skipped tests (not passed, not run):\n", stdout);
		fputs("  ", stdout);
		fputs(line, stdout);
	}
	fclose(f);
	return n;
}

int main(void)
{
	SRunner *sr;
	int failed, skips;
	struct rlimit no_core = { 0, 0 };
	char skip_file[] = "/tmp/mcd-skips.XXXXXX";
	int fd;

	/* A test that crashes is reported by Check; no core files in the tree. */
	if (!getenv("MCD_TEST_CORE"))
		setrlimit(RLIMIT_CORE, &no_core);
	fd = mkstemp(skip_file);
	if (fd >= 0) {
		close(fd);
		setenv(SKIP_ENV, skip_file, 1);
	}
	sr = srunner_create(suite_key());
	srunner_add_suite(sr, suite_value());
	srunner_add_suite(sr, suite_config());
	srunner_add_suite(sr, suite_alloc());
	srunner_add_suite(sr, suite_client());
	srunner_add_suite(sr, suite_race());
	srunner_add_suite(sr, suite_cluster());
	srunner_add_suite(sr, suite_sasl());
	srunner_add_suite(sr, suite_near());
	srunner_add_suite(sr, suite_breaker());
	srunner_add_suite(sr, suite_model());
	srunner_add_suite(sr, suite_failback());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	skips = fd >= 0 ? report_skips(skip_file) : 0;
	if (fd >= 0)
		unlink(skip_file);
	if (failed)
		return EXIT_FAILURE;
	if (skips)
		return T_SKIP_RC;
	return EXIT_SUCCESS;
}
