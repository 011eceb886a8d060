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
 * SASL against `memcached -S` with a private sasldb. When SASL cannot be
 * set up here, every test reports a skip with the reason (t_skip): the
 * runner lists it, and the suite is reported skipped, not passed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"

#define USER T_SASL_USER
#define PASS T_SASL_PASS

static char g_dir[128];
static char g_why[256];
static mcd_ts g_srv;
static mcd_client *g_cli;
static char g_servers[64];

void t_sasl_cleanup(char *dir)
{
	char p[512];

	if (!dir[0])
		return;
	snprintf(p, sizeof(p), "%s/sasldb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/memcached.conf", dir);
	unlink(p);
	rmdir(dir);
	dir[0] = '\0';
}

int t_sasl_prepare(char *dir, size_t dircap, char *why, size_t whycap)
{
	char db[300], conf[300], cmd[700];
	FILE *f;
	int rc;

	why[0] = '\0';
	dir[0] = '\0';
	if (access("/usr/sbin/saslpasswd2", X_OK) != 0 && system("command -v saslpasswd2 "
			">/dev/null 2>&1") != 0) {
		snprintf(why, whycap, "saslpasswd2 not installed (package sasl2-bin)");
		return -1;
	}
	if (dircap < sizeof("/tmp/mcd-sasl.XXXXXX")) {
		snprintf(why, whycap, "directory buffer too small");
		return -1;
	}
	strcpy(dir, "/tmp/mcd-sasl.XXXXXX");
	if (!mkdtemp(dir)) {
		dir[0] = '\0';
		snprintf(why, whycap, "mkdtemp failed");
		return -1;
	}
	snprintf(db, sizeof(db), "%s/sasldb", dir);
	snprintf(conf, sizeof(conf), "%s/memcached.conf", dir);
	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin saslpasswd2 -a memcached -c -f '%s' "
			"-p " USER " 2>&1", db);
	f = popen(cmd, "w");
	if (!f) {
		snprintf(why, whycap, "cannot run saslpasswd2");
		t_sasl_cleanup(dir);
		return -1;
	}
	fputs(PASS, f);
	rc = pclose(f);
	if (rc != 0) {
		snprintf(why, whycap, "saslpasswd2 failed (status %d)", rc);
		t_sasl_cleanup(dir);
		return -1;
	}
	f = fopen(conf, "w");
	if (!f) {
		snprintf(why, whycap, "cannot write %s", conf);
		t_sasl_cleanup(dir);
		return -1;
	}
	fprintf(f, "mech_list: plain\nsasldb_path: %s\n", db);
	fclose(f);
	return 0;
}

/* Once per test case: the sasldb and the config memcached reads. */
static void prepare(void)
{
	t_sasl_prepare(g_dir, sizeof(g_dir), g_why, sizeof(g_why));
}

static void cleanup(void)
{
	t_sasl_cleanup(g_dir);
}

static void setup(void)
{
	g_cli = NULL;
	memset(&g_srv, 0, sizeof(g_srv));
	if (g_why[0])
		return;
	if (mcd_ts_start(&g_srv, g_dir) != 0)
		snprintf(g_why, sizeof(g_why), "memcached -S did not start (no SASL support?)");
	else
		t_servers_str(g_servers, sizeof(g_servers), &g_srv, 1);
}

static void teardown(void)
{
	mcd_client_free(g_cli);
	g_cli = NULL;
	mcd_ts_stop(&g_srv);
}

static int skipped(const char *test, int i)
{
	if (!g_why[0])
		return 0;
	{
		char name[64];

		snprintf(name, sizeof(name), "sasl/%s:%d", test, i);
		t_skip(name, "%s", g_why);
	}
	return 1;
}

typedef struct creds {
	const char *user;
	const char *pass;
} creds;

static void cred_tweak(mcd_config *cfg, void *arg)
{
	creds *c = arg;

	cfg->username = c->user;
	cfg->password = c->pass;
	cfg->timeout_ms = 2000;
}

START_TEST(t_sasl_ok)
{
	creds c = { USER, PASS };
	mcd_buf b;
	uint32_t fl = 0;
	uint64_t v = 0;
	mcd_rc rc;

	if (skipped("ok", _i))
		return;
	/* binary=0 in the config: a username implies the binary protocol */
	g_cli = t_client(g_servers, _i, NULL, cred_tweak, &c);
	rc = mcd_store(g_cli, MCD_SET, "sk", 2, "sv", 2, 0, 1);
	ck_assert_msg(rc == MCD_OK, "set with the right password (binary=%d): rc=%d (%s) %s",
			_i, rc, mcd_strerror(rc), mcd_client_errdetail(g_cli));
	mcd_buf_init(&b, mcd_allocator_system());
	rc = mcd_get(g_cli, "sk", 2, &b, &fl);
	ck_assert_msg(rc == MCD_OK && b.len == 2 && memcmp(b.data, "sv", 2) == 0 && fl == 1,
			"get with the right password: rc=%d", rc);
	mcd_buf_free(&b);
	ck_assert_int_eq(mcd_incr(g_cli, "sn", 2, 1, 5, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 5);
}
END_TEST

START_TEST(t_sasl_wrong)
{
	creds c = { USER, "wrong-password" };
	mcd_buf b;
	uint32_t fl;
	mcd_rc rc;

	if (skipped("wrong", _i))
		return;
	g_cli = t_client(g_servers, _i, NULL, cred_tweak, &c);
	rc = mcd_store(g_cli, MCD_SET, "sk", 2, "sv", 2, 0, 1);
	/* refused credentials are an authentication error, not an outage */
	ck_assert_msg(rc == MCD_E_AUTH,
			"set with a wrong password: rc=%d (%s), want MCD_E_AUTH", rc,
			mcd_strerror(rc));
	ck_assert_msg(strstr(mcd_client_errdetail(g_cli), "credentials") != NULL,
			"detail does not name the credentials: %s",
			mcd_client_errdetail(g_cli));
	ck_assert(!mcd_server_is_dead(g_cli, 0));
	mcd_buf_init(&b, mcd_allocator_system());
	rc = mcd_get(g_cli, "sk", 2, &b, &fl);
	mcd_buf_free(&b);
	ck_assert_msg(rc == MCD_E_AUTH, "get with a wrong password: rc=%d (%s)",
			rc, mcd_strerror(rc));
	rc = mcd_store(g_cli, MCD_SET, "sk", 2, "sv", 2, 0, 1);
	ck_assert_msg(rc == MCD_E_AUTH, "second set with a wrong password: rc=%d (%s)",
			rc, mcd_strerror(rc));
}
END_TEST

START_TEST(t_sasl_none)
{
	/* No credentials on a SASL server: writes fail. (A binary get is not
	 * checked: libmemcached 1.1.4 itself reports the server's auth error
	 * to a quiet get as a miss.) */
	mcd_rc rc;

	if (skipped("none", _i))
		return;
	g_cli = t_client(g_servers, _i, NULL, NULL, NULL);
	rc = mcd_store(g_cli, MCD_SET, "sk", 2, "sv", 2, 0, 1);
	ck_assert_msg(rc < 0, "set without credentials on a SASL server: rc=%d (%s)", rc,
			mcd_strerror(rc));
}
END_TEST

Suite *suite_sasl(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc = tcase_create("auth");

	tcase_add_unchecked_fixture(tc, prepare, cleanup);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, t_sasl_ok, 0, 2);
	tcase_add_loop_test(tc, t_sasl_wrong, 0, 2);
	tcase_add_loop_test(tc, t_sasl_none, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
