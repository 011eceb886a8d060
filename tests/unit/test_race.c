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
 * A missing counter created by two processes at once: each has its own
 * client (as each Kamailio worker does) and no increment may be lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"
#include "mcd_value.h"

#define RACERS 2
#define ROUNDS 500

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

/* Child: waits for the start signal, then increments. Exit code = the
 * number of failed increments, capped. */
static void racer(int binary, int start_fd)
{
	mcd_config cfg;
	mcd_client *cl = NULL;
	char err[MCD_ERRBUF_SIZE];
	char go;
	int fails = 0;

	mcd_config_defaults(&cfg);
	cfg.servers = g_servers;
	cfg.binary = binary;
	cfg.timeout_ms = 5000;
	if (mcd_client_new(&cfg, NULL, NULL, &cl, err, sizeof(err)) != MCD_OK)
		_exit(100);
	if (read(start_fd, &go, 1) < 0)
		fails++;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t v = 0;

		if (mcd_incr(cl, "race", 4, 1, 1, 0, &v) != MCD_OK)
			fails++;
	}
	mcd_client_free(cl);
	_exit(fails > 99 ? 99 : fails);
}

START_TEST(t_race_create)
{
	int pfd[2];
	pid_t pid[RACERS];
	char v[64];
	size_t len = 0;
	uint32_t fl = 9;
	int64_t n = -1;

	ck_assert_int_eq(mcd_ts_set(g_srv.port, "race", "junk", 4, 0), 0);
	/* delete first: the counter must be missing when the race starts */
	ck_assert(mcd_ts_raw(g_srv.port, "delete race\r\n", 13, v, sizeof(v), 2000) > 0);
	ck_assert_int_eq(mcd_ts_get(g_srv.port, "race", v, sizeof(v), &len, NULL), 0);

	ck_assert_int_eq(pipe(pfd), 0);
	for (int i = 0; i < RACERS; i++) {
		pid[i] = fork();
		ck_assert(pid[i] >= 0);
		if (pid[i] == 0) {
			close(pfd[1]);
			racer(_i, pfd[0]);
		}
	}
	close(pfd[0]);
	/* both connect, then closing the pipe starts them together */
	t_sleep_ms(100);
	close(pfd[1]);
	for (int i = 0; i < RACERS; i++) {
		int st = 0;
		pid_t r;
		double deadline = t_now_ms() + 60000;

		while ((r = waitpid(pid[i], &st, WNOHANG)) == 0 && t_now_ms() < deadline)
			t_sleep_ms(20);
		if (r == 0) {
			kill(pid[i], SIGKILL);
			waitpid(pid[i], &st, 0);
			ck_abort_msg("racer %d did not finish in 60 s", i);
		}
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
				"racer %d: %s %d", i, WIFEXITED(st) ? "failed increments/exit code"
				: "killed by signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	ck_assert_int_eq(mcd_ts_get(g_srv.port, "race", v, sizeof(v) - 1, &len, &fl), 1);
	v[len] = '\0';
	ck_assert_msg(mcd_parse_stored_int(v, len, &n) && n == RACERS * ROUNDS,
			"counter is '%s', want %d (binary=%d)", v, RACERS * ROUNDS, _i);
	ck_assert_uint_eq(fl, 0);
}
END_TEST

Suite *suite_race(void)
{
	Suite *s = suite_create("race");
	TCase *tc = tcase_create("incr-create");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_loop_test(tc, t_race_create, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
