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
/* The servers list parser and the parameter checks. */
#include <stdio.h>
#include <string.h>

#include "tests.h"
#include "mcd_config.h"
#include "mcd_key.h"

typedef struct want_srv {
	const char *host;
	unsigned port;
	unsigned weight;
	bool is_unix;
} want_srv;

static const struct {
	const char *in;
	size_t n;
	bool weighted;
	want_srv s[3];
} good_cases[] = {
	{ "localhost", 1, false, { { "localhost", 11211, 1, false } } },
	{ "h:1", 1, false, { { "h", 1, 1, false } } },
	{ "h:65535", 1, false, { { "h", 65535, 1, false } } },
	{ "h:1:3", 1, true, { { "h", 1, 3, false } } },
	{ "127.0.0.1:11311", 1, false, { { "127.0.0.1", 11311, 1, false } } },
	{ "[::1]:11211", 1, false, { { "::1", 11211, 1, false } } },
	{ "[::1]:11211:2", 1, true, { { "::1", 11211, 2, false } } },
	{ "[fe80::1:2]:99", 1, false, { { "fe80::1:2", 99, 1, false } } },
	{ "/tmp/x.sock", 1, false, { { "/tmp/x.sock", 0, 1, true } } },
	{ "a:1,b:2", 2, false, { { "a", 1, 1, false }, { "b", 2, 1, false } } },
	{ "a:1, b:2,  c", 3, false,
		{ { "a", 1, 1, false }, { "b", 2, 1, false }, { "c", 11211, 1, false } } },
	{ "a:1:5, [::1]:7, /run/m.sock", 3, true,
		{ { "a", 1, 5, false }, { "::1", 7, 1, false }, { "/run/m.sock", 0, 1, true } } },
};

START_TEST(t_servers_good)
{
	mcd_server_list l;
	char err[MCD_ERRBUF_SIZE] = "";
	bool ok;

	memset(&l, 0x5a, sizeof(l));
	ok = mcd_servers_parse(good_cases[_i].in, &l, err, sizeof(err));
	ck_assert_msg(ok, "mcd_servers_parse(\"%s\") refused: %s", good_cases[_i].in, err);
	ck_assert_msg(l.count == good_cases[_i].n, "\"%s\": count %zu, want %zu",
			good_cases[_i].in, l.count, good_cases[_i].n);
	ck_assert_msg(l.weighted == good_cases[_i].weighted, "\"%s\": weighted %d",
			good_cases[_i].in, l.weighted);
	for (size_t i = 0; i < l.count; i++) {
		const want_srv *w = &good_cases[_i].s[i];

		ck_assert_msg(strcmp(l.addr[i].host, w->host) == 0,
				"\"%s\"[%zu]: host '%s', want '%s'", good_cases[_i].in, i,
				l.addr[i].host, w->host);
		ck_assert_msg(l.addr[i].port == w->port, "\"%s\"[%zu]: port %u, want %u",
				good_cases[_i].in, i, l.addr[i].port, w->port);
		ck_assert_msg(l.addr[i].weight == w->weight, "\"%s\"[%zu]: weight %u, want %u",
				good_cases[_i].in, i, l.addr[i].weight, w->weight);
		ck_assert_msg(l.addr[i].is_unix == w->is_unix, "\"%s\"[%zu]: is_unix %d",
				good_cases[_i].in, i, l.addr[i].is_unix);
	}
}
END_TEST

static const char *const bad_cases[] = {
	"",
	" ",
	",",
	"a:1,",
	",a:1",
	"a:1,,b:2",
	"h:",
	"h:0",
	"h:70000",
	"h:65536",
	"h:-1",
	"h:x",
	"h:1x",
	"h:1:0",
	"h:1:x",
	"h:1:",
	"[::1",
	"[::1]x",
	"[]:1",
	":11211",
};

START_TEST(t_servers_bad)
{
	mcd_server_list l;
	char err[MCD_ERRBUF_SIZE];

	memset(err, 0, sizeof(err));
	ck_assert_msg(!mcd_servers_parse(bad_cases[_i], &l, err, sizeof(err)),
			"mcd_servers_parse(\"%s\") accepted", bad_cases[_i]);
	ck_assert_msg(err[0] != '\0', "mcd_servers_parse(\"%s\"): empty error message",
			bad_cases[_i]);
	ck_assert_msg(memchr(err, '\0', sizeof(err)) != NULL, "error not NUL-terminated");
}
END_TEST

static void make_list(char *buf, size_t cap, int n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, cap - used, "%sh%d:%d", i ? "," : "",
				i, 10000 + i);
}

START_TEST(t_servers_max)
{
	static char buf[MCD_MAX_SERVERS * 32];
	mcd_server_list l;
	char err[MCD_ERRBUF_SIZE] = "";

	make_list(buf, sizeof(buf), MCD_MAX_SERVERS);
	ck_assert_msg(mcd_servers_parse(buf, &l, err, sizeof(err)),
			"%d servers refused: %s", MCD_MAX_SERVERS, err);
	ck_assert_uint_eq(l.count, MCD_MAX_SERVERS);
	ck_assert_str_eq(l.addr[MCD_MAX_SERVERS - 1].host, "h63");
	make_list(buf, sizeof(buf), MCD_MAX_SERVERS + 1);
	err[0] = '\0';
	ck_assert_msg(!mcd_servers_parse(buf, &l, err, sizeof(err)),
			"%d servers accepted", MCD_MAX_SERVERS + 1);
	ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(t_servers_long_host)
{
	char buf[MCD_HOST_MAX + 16];
	mcd_server_list l;
	char err[MCD_ERRBUF_SIZE] = "";

	memset(buf, 'h', MCD_HOST_MAX + 5);
	strcpy(buf + MCD_HOST_MAX + 5, ":1");
	ck_assert_msg(!mcd_servers_parse(buf, &l, err, sizeof(err)),
			"host of %d bytes accepted", MCD_HOST_MAX + 5);
	ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(t_servers_small_errbuf)
{
	/* The message is cut, never overflows, always terminated. */
	mcd_server_list l;
	char err[8];

	memset(err, 'Z', sizeof(err));
	ck_assert(!mcd_servers_parse("h:70000,some-very-long-entry", &l, err, 4));
	ck_assert(memchr(err, '\0', 4) != NULL);
	ck_assert(err[4] == 'Z');
}
END_TEST

/* ---- mcd_config ---- */

START_TEST(t_defaults)
{
	mcd_config c;
	char err[MCD_ERRBUF_SIZE] = "";

	memset(&c, 0x5a, sizeof(c));
	mcd_config_defaults(&c);
	ck_assert_str_eq(c.servers, "localhost:11211");
	ck_assert_int_eq(c.timeout_ms, 5000);
	ck_assert_int_eq(c.binary, 0);
	ck_assert_int_eq(c.retry_timeout_s, 5);
	ck_assert_int_eq(c.failover, 1);
	ck_assert_int_eq(c.slow_threshold_us, 0);
	ck_assert_int_eq(c.noreply, 0);
	ck_assert_int_eq(c.probe_interval_ms, 500);
	ck_assert(c.prefix == NULL || c.prefix[0] == '\0');
	ck_assert(c.username == NULL || c.username[0] == '\0');
	ck_assert(c.log == NULL);
	ck_assert_msg(mcd_config_check(&c, NULL, err, sizeof(err)), "defaults refused: %s", err);
}
END_TEST

enum { F_TIMEOUT, F_PROBE, F_PREFIX, F_RETRY, F_SERVERS, F_SLOW };

static const struct {
	int field;
	int ival;
	const char *sval;
	bool ok;
	const char *param;
} check_cases[] = {
	{ F_TIMEOUT, -1, NULL, false, "timeout" },
	{ F_TIMEOUT, 1, NULL, true, NULL },
	{ F_TIMEOUT, 2147483, NULL, true, NULL },
	{ F_TIMEOUT, 2147484, NULL, false, "timeout" },
	{ F_TIMEOUT, 2147483647, NULL, false, "timeout" },
	{ F_PROBE, -1, NULL, false, "probe_interval" },
	{ F_PROBE, 0, NULL, true, NULL },
	{ F_PROBE, 100, NULL, true, NULL },
	{ F_PREFIX, 0, "a b", false, "prefix" },
	{ F_PREFIX, 0, "a\nb", false, "prefix" },
	{ F_PREFIX, 0, "edge1:", true, NULL },
	{ F_PREFIX, 0, "", true, NULL },
	{ F_RETRY, -1, NULL, false, "retry_timeout" },
	{ F_RETRY, 0, NULL, true, NULL },
	{ F_SERVERS, 0, "", false, "servers" },
	{ F_SERVERS, 0, "h:70000", false, "servers" },
	{ F_SERVERS, 0, "a:1, b:2", true, NULL },
	{ F_SLOW, -1, NULL, false, "slow_threshold" },
};

START_TEST(t_config_check)
{
	mcd_config c;
	char err[MCD_ERRBUF_SIZE];
	bool ok;

	mcd_config_defaults(&c);
	switch (check_cases[_i].field) {
	case F_TIMEOUT: c.timeout_ms = check_cases[_i].ival; break;
	case F_PROBE: c.probe_interval_ms = check_cases[_i].ival; break;
	case F_PREFIX: c.prefix = check_cases[_i].sval; break;
	case F_RETRY: c.retry_timeout_s = check_cases[_i].ival; break;
	case F_SERVERS: c.servers = check_cases[_i].sval; break;
	case F_SLOW: c.slow_threshold_us = check_cases[_i].ival; break;
	}
	memset(err, 0, sizeof(err));
	ok = mcd_config_check(&c, NULL, err, sizeof(err));
	ck_assert_msg(ok == check_cases[_i].ok, "case %d (%s%s): check=%d, want %d (%s)",
			_i, check_cases[_i].param ? check_cases[_i].param : "",
			check_cases[_i].sval ? check_cases[_i].sval : "", ok,
			check_cases[_i].ok, err);
	if (!ok)
		ck_assert_msg(strstr(err, check_cases[_i].param) != NULL,
				"error '%s' does not name the parameter '%s'", err,
				check_cases[_i].param);
}
END_TEST

START_TEST(t_config_long_prefix)
{
	mcd_config c;
	char pfx[300];
	char err[MCD_ERRBUF_SIZE] = "";

	mcd_config_defaults(&c);
	memset(pfx, 'p', sizeof(pfx));
	pfx[MCD_KEY_MAX - 32] = '\0';
	c.prefix = pfx;
	ck_assert_msg(mcd_config_check(&c, NULL, err, sizeof(err)), "218-byte prefix: %s", err);
	pfx[MCD_KEY_MAX - 32] = 'p';
	pfx[MCD_KEY_MAX] = '\0';
	ck_assert(!mcd_config_check(&c, NULL, err, sizeof(err)));
	ck_assert(strstr(err, "prefix") != NULL);
}
END_TEST

START_TEST(t_client_new_bad_config)
{
	mcd_config c;
	mcd_client *cl = (mcd_client *)0x1;
	char err[MCD_ERRBUF_SIZE] = "";
	mcd_rc rc;

	mcd_config_defaults(&c);
	c.timeout_ms = -1;
	rc = mcd_client_new(&c, NULL, NULL, &cl, err, sizeof(err));
	ck_assert_int_eq(rc, MCD_E_CONFIG);
	ck_assert(strstr(err, "timeout") != NULL);
	ck_assert(cl == NULL || cl == (mcd_client *)0x1);
	mcd_client_free(NULL);
}
END_TEST

Suite *suite_config(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("servers");
	tcase_add_loop_test(tc, t_servers_good, 0,
			(int)(sizeof(good_cases) / sizeof(good_cases[0])));
	tcase_add_loop_test(tc, t_servers_bad, 0,
			(int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, t_servers_max);
	tcase_add_test(tc, t_servers_long_host);
	tcase_add_test(tc, t_servers_small_errbuf);
	suite_add_tcase(s, tc);

	tc = tcase_create("check");
	tcase_add_test(tc, t_defaults);
	tcase_add_loop_test(tc, t_config_check, 0,
			(int)(sizeof(check_cases) / sizeof(check_cases[0])));
	tcase_add_test(tc, t_config_long_prefix);
	tcase_add_test(tc, t_client_new_bad_config);
	suite_add_tcase(s, tc);
	return s;
}
