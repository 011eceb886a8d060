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
 * Every client operation against a real memcached, text and binary
 * protocol (loop index = binary), with checks made on the server itself.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "tests.h"
#include "mcd_key.h"
#include "mcd_md5.h"
#include "mcd_near.h"
#include "mcd_value.h"

#define K(s) s, strlen(s)

static mcd_ts g_srv;
static mcd_client *g_cli;
static char g_servers[64];

static void setup(void)
{
	g_cli = NULL;
	ck_assert_msg(mcd_ts_start(&g_srv, NULL) == 0, "cannot start memcached");
	t_servers_str(g_servers, sizeof(g_servers), &g_srv, 1);
}

static void teardown(void)
{
	mcd_client_free(g_cli);
	g_cli = NULL;
	mcd_ts_stop(&g_srv);
}

static mcd_client *cli(int binary)
{
	g_cli = t_client(g_servers, binary, NULL, NULL, NULL);
	return g_cli;
}

static void put_k(const char *k, size_t klen, const char *v, size_t vlen,
		uint32_t flags)
{
	mcd_rc rc = mcd_store(g_cli, MCD_SET, k, klen, v, vlen, 0, flags);

	ck_assert_msg(rc == MCD_OK, "set '%.*s': rc=%d (%s) %s", (int)klen, k, rc,
			mcd_strerror(rc), mcd_client_errdetail(g_cli));
}

/* Reads k and compares with want (NULL = must be missing). */
static void expect_k(const char *k, size_t klen, const char *want, size_t wlen,
		uint32_t wflags)
{
	mcd_buf b;
	uint32_t fl = 0xdeadbeef;
	mcd_rc rc;

	mcd_buf_init(&b, mcd_allocator_system());
	rc = mcd_get(g_cli, k, klen, &b, &fl);
	if (!want) {
		mcd_buf_free(&b);
		ck_assert_msg(rc == MCD_NOT_FOUND, "get '%.*s': rc=%d (%s), want NOT_FOUND",
				(int)klen, k, rc, mcd_strerror(rc));
		return;
	}
	if (rc != MCD_OK || b.len != wlen || memcmp(b.data, want, wlen) != 0
			|| b.data[b.len] != '\0' || fl != wflags) {
		char msg[512];

		snprintf(msg, sizeof(msg), "get '%.*s': rc=%d (%s) len=%zu flags=%u '%.*s', "
				"want len=%zu flags=%u '%.*s'", (int)klen, k, rc, mcd_strerror(rc),
				b.len, fl, b.len > 40 ? 40 : (int)b.len, b.data ? b.data : "", wlen,
				wflags, wlen > 40 ? 40 : (int)wlen, want);
		mcd_buf_free(&b);
		ck_abort_msg("%s", msg);
	}
	mcd_buf_free(&b);
}

#define put(k, v, vlen, f) put_k(K(k), v, vlen, f)
#define expect(k, v, vlen, f) expect_k(K(k), v, vlen, f)
#define EXPECT_S(k, v, f) expect(k, v, strlen(v), f)
#define PUT_S(k, v, f) put(k, v, strlen(v), f)
#define MISSING(k) expect(k, NULL, 0, 0)

static uint64_t stat_of(const char *name)
{
	uint64_t v = 0;

	ck_assert_msg(mcd_ts_stat(g_srv.port, name, &v) == 0, "stats %s", name);
	return v;
}

/* ---- storage commands ---- */

START_TEST(t_set_get)
{
	cli(_i);
	PUT_S("k1", "hello", 0);
	EXPECT_S("k1", "hello", 0);
	PUT_S("k1", "world", MCD_FLAG_STR);
	EXPECT_S("k1", "world", MCD_FLAG_STR);
	PUT_S("k2", "", MCD_FLAG_STR); /* empty value */
	EXPECT_S("k2", "", MCD_FLAG_STR);
	PUT_S("k3", "x", 12345);
	EXPECT_S("k3", "x", 12345);
	put("k4", "a\0b\r\nEND\r\n", 10, 1);
	expect("k4", "a\0b\r\nEND\r\n", 10, 1);
	{
		/* the server holds exactly what was sent, under the plain key */
		char v[64];
		size_t l = 0;
		uint32_t f = 9;

		ck_assert_int_eq(mcd_ts_get(g_srv.port, "k1", v, sizeof(v), &l, &f), 1);
		ck_assert(l == 5 && memcmp(v, "world", 5) == 0 && f == 1);
	}
}
END_TEST

START_TEST(t_get_missing)
{
	cli(_i);
	MISSING("nope");
	expect("nope", NULL, 0, 0);
	{
		/* flags may be NULL */
		mcd_buf b;

		mcd_buf_init(&b, mcd_allocator_system());
		PUT_S("there", "1", 0);
		ck_assert_int_eq(mcd_get(g_cli, K("there"), &b, NULL), MCD_OK);
		mcd_buf_free(&b);
	}
}
END_TEST

START_TEST(t_add)
{
	mcd_rc rc;

	cli(_i);
	rc = mcd_store(g_cli, MCD_ADD, K("a"), "first", 5, 0, MCD_FLAG_STR);
	ck_assert_msg(rc == MCD_OK, "add missing: rc=%d", rc);
	rc = mcd_store(g_cli, MCD_ADD, K("a"), "second", 6, 0, MCD_FLAG_STR);
	ck_assert_msg(rc == MCD_EXISTS, "add present: rc=%d (%s), want MCD_EXISTS", rc,
			mcd_strerror(rc));
	EXPECT_S("a", "first", MCD_FLAG_STR);
	ck_assert(!mcd_server_is_dead(g_cli, 0));
}
END_TEST

START_TEST(t_replace)
{
	mcd_rc rc;

	cli(_i);
	rc = mcd_store(g_cli, MCD_REPLACE, K("r"), "x", 1, 0, 0);
	ck_assert_msg(rc == MCD_NOT_FOUND, "replace missing: rc=%d (%s), want NOT_FOUND", rc,
			mcd_strerror(rc));
	MISSING("r");
	PUT_S("r", "old", 1);
	rc = mcd_store(g_cli, MCD_REPLACE, K("r"), "new", 3, 0, 1);
	ck_assert_int_eq(rc, MCD_OK);
	EXPECT_S("r", "new", 1);
}
END_TEST

START_TEST(t_append_prepend)
{
	mcd_rc rc;

	cli(_i);
	rc = mcd_store(g_cli, MCD_APPEND, K("ap"), "x", 1, 0, 1);
	ck_assert_msg(rc == MCD_NOT_FOUND, "append missing: rc=%d (%s), want NOT_FOUND", rc,
			mcd_strerror(rc));
	rc = mcd_store(g_cli, MCD_PREPEND, K("ap"), "x", 1, 0, 1);
	ck_assert_msg(rc == MCD_NOT_FOUND, "prepend missing: rc=%d (%s), want NOT_FOUND", rc,
			mcd_strerror(rc));
	MISSING("ap");
	PUT_S("ap", "b", 1);
	ck_assert_int_eq(mcd_store(g_cli, MCD_APPEND, K("ap"), "c", 1, 0, 1), MCD_OK);
	ck_assert_int_eq(mcd_store(g_cli, MCD_PREPEND, K("ap"), "a", 1, 0, 1), MCD_OK);
	EXPECT_S("ap", "abc", 1);
	ck_assert_int_eq(mcd_store(g_cli, MCD_APPEND, K("ap"), "\0z", 2, 0, 1), MCD_OK);
	expect("ap", "abc\0z", 5, 1);
}
END_TEST

START_TEST(t_delete)
{
	mcd_rc rc;

	cli(_i);
	rc = mcd_delete(g_cli, K("d"));
	ck_assert_msg(rc == MCD_NOT_FOUND, "delete missing: rc=%d (%s), want NOT_FOUND", rc,
			mcd_strerror(rc));
	PUT_S("d", "v", 1);
	ck_assert_int_eq(mcd_delete(g_cli, K("d")), MCD_OK);
	MISSING("d");
	ck_assert(!mcd_server_is_dead(g_cli, 0));
}
END_TEST

START_TEST(t_touch)
{
	mcd_rc rc;

	cli(_i);
	rc = mcd_touch(g_cli, K("t"), 100);
	ck_assert_msg(rc == MCD_NOT_FOUND, "touch missing: rc=%d (%s), want NOT_FOUND", rc,
			mcd_strerror(rc));
	MISSING("t"); /* a missing key stays missing */
	PUT_S("t", "keep", 1);
	ck_assert_int_eq(mcd_touch(g_cli, K("t"), 100), MCD_OK);
	EXPECT_S("t", "keep", 1);
}
END_TEST

START_TEST(t_expiry)
{
	/* memcached's clock ticks once a second: items set to expire in 1 s
	 * are surely gone 3 s later. */
	cli(_i);
	ck_assert_int_eq(mcd_store(g_cli, MCD_SET, K("ea"), "a", 1, 1, 1), MCD_OK);
	ck_assert_int_eq(mcd_store(g_cli, MCD_SET, K("eb"), "b", 1, 1, 1), MCD_OK);
	ck_assert_int_eq(mcd_touch(g_cli, K("eb"), 100), MCD_OK);
	ck_assert_int_eq(mcd_store(g_cli, MCD_SET, K("ec"), "c", 1, 100, 1), MCD_OK);
	ck_assert_int_eq(mcd_touch(g_cli, K("ec"), 1), MCD_OK);
	ck_assert_int_eq(mcd_store(g_cli, MCD_SET, K("ed"), "d", 1, 0, 1), MCD_OK);
	t_sleep_ms(3000);
	MISSING("ea");
	EXPECT_S("eb", "b", 1);
	MISSING("ec");
	EXPECT_S("ed", "d", 1);
}
END_TEST

/* ---- sizes ---- */

START_TEST(t_big_value)
{
	size_t n = 900 * 1024;
	char *v = malloc(n);
	mcd_buf b;
	uint32_t fl = 0;
	mcd_rc rc;

	ck_assert(v != NULL);
	for (size_t i = 0; i < n; i++)
		v[i] = (char)((i * 131u + (i >> 9)) & 0xff); /* NULs, CR, LF inside */
	cli(_i);
	rc = mcd_store(g_cli, MCD_SET, K("big"), v, n, 0, 1);
	if (rc != MCD_OK) {
		free(v);
		ck_abort_msg("set 900 KB: rc=%d (%s) %s", rc, mcd_strerror(rc),
				mcd_client_errdetail(g_cli));
	}
	mcd_buf_init(&b, mcd_allocator_system());
	rc = mcd_get(g_cli, K("big"), &b, &fl);
	{
		int same = rc == MCD_OK && b.len == n && memcmp(b.data, v, n) == 0
			&& b.data[n] == '\0';
		size_t got = b.len;

		mcd_buf_free(&b);
		free(v);
		ck_assert_msg(same, "900 KB value: rc=%d len=%zu, not byte-exact", rc, got);
	}
	ck_assert_int_eq(fl, 1);
}
END_TEST

START_TEST(t_too_big)
{
	size_t n = 2 * 1024 * 1024;
	char *v = malloc(n);
	mcd_rc rc;

	ck_assert(v != NULL);
	memset(v, 'x', n);
	cli(_i);
	PUT_S("before", "1", 0);
	rc = mcd_store(g_cli, MCD_SET, K("huge"), v, n, 0, 1);
	free(v);
	ck_assert_msg(rc < 0, "set 2 MB: rc=%d (%s), want an error", rc, mcd_strerror(rc));
	ck_assert_msg(rc == MCD_E_TOO_BIG, "set 2 MB: rc=%d (%s), want MCD_E_TOO_BIG", rc,
			mcd_strerror(rc));
	/* nothing written, and the client still works on the same server */
	MISSING("huge");
	ck_assert_msg(!mcd_server_is_dead(g_cli, 0), "a refused value marked the server dead");
	EXPECT_S("before", "1", 0);
	PUT_S("after", "2", 0);
	EXPECT_S("after", "2", 0);
}
END_TEST

/* ---- counters ---- */

START_TEST(t_incr_decr)
{
	uint64_t v = 0;

	cli(_i);
	PUT_S("n", "10", 0);
	ck_assert_int_eq(mcd_incr(g_cli, K("n"), 5, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 15);
	EXPECT_S("n", "15", 0);
	ck_assert_int_eq(mcd_decr(g_cli, K("n"), 20, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 0); /* memcached stops at 0 */
	ck_assert_int_eq(mcd_decr(g_cli, K("n"), 1, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(mcd_incr(g_cli, K("n"), 0, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 0);

	/* beyond 32 bits */
	PUT_S("big", "4294967296", 0);
	ck_assert_int_eq(mcd_incr(g_cli, K("big"), 1, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 4294967297ULL);
	ck_assert_int_eq(mcd_incr(g_cli, K("big"), 4294967296ULL, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 8589934593ULL);
}
END_TEST

START_TEST(t_decr_padding)
{
	/* decr 100 -> 99: the server keeps "99 " (padded); still a number */
	uint64_t v = 0;
	mcd_buf b;
	uint32_t fl;
	int64_t n = -1;

	cli(_i);
	PUT_S("p", "100", 0);
	ck_assert_int_eq(mcd_decr(g_cli, K("p"), 1, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 99);
	mcd_buf_init(&b, mcd_allocator_system());
	ck_assert_int_eq(mcd_get(g_cli, K("p"), &b, &fl), MCD_OK);
	ck_assert_msg(mcd_parse_stored_int(b.data, b.len, &n) && n == 99,
			"stored '%.*s' does not parse as 99", (int)b.len, b.data);
	mcd_buf_free(&b);
	ck_assert_int_eq(mcd_incr(g_cli, K("p"), 1, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 100);
}
END_TEST

START_TEST(t_incr_not_number)
{
	uint64_t v = 0;
	mcd_rc rc;

	cli(_i);
	PUT_S("s", "abc", 1);
	rc = mcd_incr(g_cli, K("s"), 1, 0, 0, &v);
	ck_assert_msg(rc == MCD_E_NOT_NUMBER, "incr on 'abc': rc=%d (%s), want NOT_NUMBER",
			rc, mcd_strerror(rc));
	rc = mcd_decr(g_cli, K("s"), 1, 0, 0, &v);
	ck_assert_msg(rc == MCD_E_NOT_NUMBER, "decr on 'abc': rc=%d (%s), want NOT_NUMBER",
			rc, mcd_strerror(rc));
	EXPECT_S("s", "abc", 1);
	PUT_S("neg", "-5", 0); /* negative numbers are not counters to memcached */
	rc = mcd_incr(g_cli, K("neg"), 1, 0, 0, &v);
	ck_assert_msg(rc == MCD_E_NOT_NUMBER, "incr on '-5': rc=%d (%s), want NOT_NUMBER",
			rc, mcd_strerror(rc));
	EXPECT_S("neg", "-5", 0);
	ck_assert(!mcd_server_is_dead(g_cli, 0));
	PUT_S("ok", "1", 0); /* the connection is still in step */
	EXPECT_S("ok", "1", 0);
}
END_TEST

START_TEST(t_incr_create)
{
	uint64_t v = 0;

	cli(_i);
	ck_assert_int_eq(mcd_incr(g_cli, K("c1"), 5, 7, 0, &v), MCD_OK);
	ck_assert_msg(v == 7, "incr on missing key: value %" PRIu64 ", want initial 7", v);
	EXPECT_S("c1", "7", 0); /* flags 0: reads back as an integer */
	ck_assert_int_eq(mcd_incr(g_cli, K("c1"), 5, 7, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 12);
	ck_assert_int_eq(mcd_decr(g_cli, K("c2"), 3, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 0);
	EXPECT_S("c2", "0", 0);
	ck_assert_int_eq(mcd_decr(g_cli, K("c3"), 3, 42, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 42);
	EXPECT_S("c3", "42", 0);
	ck_assert_int_eq(mcd_incr(g_cli, K("c4"), 1, 4294967296ULL, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 4294967296ULL);
	EXPECT_S("c4", "4294967296", 0);
}
END_TEST

START_TEST(t_incr_create_expire)
{
	/* a counter created with an expiry goes away with it */
	uint64_t v = 0;

	cli(_i);
	ck_assert_int_eq(mcd_incr(g_cli, K("ce"), 1, 1, 1, &v), MCD_OK);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(mcd_incr(g_cli, K("cn"), 1, 1, 0, &v), MCD_OK);
	t_sleep_ms(3000);
	MISSING("ce");
	EXPECT_S("cn", "1", 0);
}
END_TEST

/* ---- arguments ---- */

START_TEST(t_empty_key)
{
	static const char *const names[] = { "cmd_get", "cmd_set", "cmd_touch",
		"delete_hits", "delete_misses", "incr_hits", "incr_misses",
		"decr_hits", "decr_misses" };
	uint64_t before[9], v = 0;
	mcd_buf b;
	uint32_t fl;

	cli(_i);
	PUT_S("warm", "1", 0);
	for (int i = 0; i < 9; i++)
		before[i] = stat_of(names[i]);
	mcd_buf_init(&b, mcd_allocator_system());
	ck_assert_int_eq(mcd_get(g_cli, "", 0, &b, &fl), MCD_E_ARG);
	mcd_buf_free(&b);
	ck_assert_int_eq(mcd_store(g_cli, MCD_SET, "", 0, "v", 1, 0, 0), MCD_E_ARG);
	ck_assert_int_eq(mcd_store(g_cli, MCD_ADD, "x", 0, "v", 1, 0, 0), MCD_E_ARG);
	ck_assert_int_eq(mcd_delete(g_cli, "", 0), MCD_E_ARG);
	ck_assert_int_eq(mcd_touch(g_cli, "", 0, 5), MCD_E_ARG);
	ck_assert_int_eq(mcd_incr(g_cli, "", 0, 1, 0, 0, &v), MCD_E_ARG);
	ck_assert_int_eq(mcd_decr(g_cli, "", 0, 1, 0, 0, &v), MCD_E_ARG);
	for (int i = 0; i < 9; i++)
		ck_assert_msg(stat_of(names[i]) == before[i], "an empty key reached the server (%s)",
				names[i]);
	ck_assert(!mcd_server_is_dead(g_cli, 0));
}
END_TEST

/* ---- wire keys, seen from the server ---- */

static void prefix_tweak(mcd_config *cfg, void *arg)
{
	cfg->prefix = arg;
}

static void wire_expect(const char *wire, const char *val)
{
	char v[256];
	size_t l = 0;
	int r = mcd_ts_get(g_srv.port, wire, v, sizeof(v), &l, NULL);

	ck_assert_msg(r == 1 && l == strlen(val) && memcmp(v, val, l) == 0,
			"raw get '%s': r=%d '%.*s', want '%s'", wire, r, (int)l, v, val);
}

START_TEST(t_wire_keys)
{
	char hex[33];
	char wire[320];
	char lk[300];
	static const char inj[] = "x\r\nflush_all\r\nset y 0 0 1";

	g_cli = t_client(g_servers, _i, NULL, prefix_tweak, "t:");
	PUT_S("plain", "v0", 1);
	wire_expect("t:plain", "v0");

	/* a space: hashed, prefix kept */
	PUT_S("a b", "v1", 1);
	ck_assert_int_eq(mcd_md5_hex("a b", 3, hex), 0);
	hex[32] = '\0';
	snprintf(wire, sizeof(wire), "t:%s", hex);
	wire_expect(wire, "v1");
	EXPECT_S("a b", "v1", 1);

	/* a NUL byte inside: hashed over all bytes */
	put_k("n\0l", 3, "v2", 2, 1);
	expect_k("n\0l", 3, "v2", 2, 1);
	ck_assert_int_eq(mcd_md5_hex("n\0l", 3, hex), 0);
	snprintf(wire, sizeof(wire), "t:%s", hex);
	wire_expect(wire, "v2");
	MISSING("n"); /* not cut at the NUL */

	/* CR/LF cannot inject commands */
	PUT_S("sentinel", "s", 1);
	PUT_S(inj, "v3", 1);
	EXPECT_S(inj, "v3", 1);
	EXPECT_S("sentinel", "s", 1);
	ck_assert_int_eq(mcd_md5_hex(inj, strlen(inj), hex), 0);
	snprintf(wire, sizeof(wire), "t:%s", hex);
	wire_expect(wire, "v3");
	ck_assert_int_eq(mcd_ts_get(g_srv.port, "y", wire, sizeof(wire), &(size_t){ 0 },
			NULL), 0);

	/* high bytes are valid key bytes: sent as they are */
	PUT_S("\x80\xff", "v4", 1);
	wire_expect("t:\x80\xff", "v4");

	/* prefix + key > 250: prefix + md5(key) */
	memset(lk, 'L', sizeof(lk));
	lk[249] = '\0';
	PUT_S(lk, "v5", 1);
	ck_assert_int_eq(mcd_md5_hex(lk, 249, hex), 0);
	snprintf(wire, sizeof(wire), "t:%s", hex);
	wire_expect(wire, "v5");
	lk[248] = '\0'; /* exactly 250 with the prefix: plain */
	PUT_S(lk, "v6", 1);
	snprintf(wire, sizeof(wire), "t:%s", lk);
	wire_expect(wire, "v6");
}
END_TEST

START_TEST(t_wire_key_250)
{
	/* memcached takes 250-byte keys: no hash without a prefix */
	char lk[251];

	cli(_i);
	memset(lk, 'q', 250);
	lk[250] = '\0';
	PUT_S(lk, "w", 1);
	wire_expect(lk, "w");
	EXPECT_S(lk, "w", 1);
}
END_TEST

/* ---- one command per operation, counted by the server ---- */

START_TEST(t_one_command)
{
	uint64_t v = 0;
	uint64_t g0, s0, t0, i0, d0, th0;

	cli(_i);
	PUT_S("cnt", "5", 0);
	PUT_S("tch", "x", 1);

	g0 = stat_of("cmd_get");
	s0 = stat_of("cmd_set");
	i0 = stat_of("incr_hits") + stat_of("incr_misses");
	d0 = stat_of("decr_hits") + stat_of("decr_misses");
	ck_assert_int_eq(mcd_incr(g_cli, K("cnt"), 1, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 6);
	ck_assert_msg(stat_of("incr_hits") + stat_of("incr_misses") - i0 == 1,
			"one mcd_incr made %" PRIu64 " incr commands",
			stat_of("incr_hits") + stat_of("incr_misses") - i0);
	ck_assert_msg(stat_of("cmd_get") == g0, "mcd_incr made a get");
	ck_assert_msg(stat_of("cmd_set") == s0, "mcd_incr made a set");
	ck_assert_int_eq(mcd_decr(g_cli, K("cnt"), 2, 0, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 4);
	ck_assert_msg(stat_of("decr_hits") + stat_of("decr_misses") - d0 == 1,
			"one mcd_decr made %" PRIu64 " decr commands",
			stat_of("decr_hits") + stat_of("decr_misses") - d0);
	ck_assert_msg(stat_of("cmd_get") == g0, "mcd_decr made a get");
	ck_assert_msg(stat_of("cmd_set") == s0, "mcd_decr made a set");

	t0 = stat_of("cmd_touch");
	th0 = stat_of("touch_hits");
	ck_assert_int_eq(mcd_touch(g_cli, K("tch"), 50), MCD_OK);
	ck_assert_msg(stat_of("cmd_touch") - t0 == 1, "one mcd_touch made %" PRIu64
			" touch commands", stat_of("cmd_touch") - t0);
	ck_assert_uint_eq(stat_of("touch_hits") - th0, 1);
	ck_assert_msg(stat_of("cmd_get") == g0, "mcd_touch made a get");
	ck_assert_msg(stat_of("cmd_set") == s0, "mcd_touch made a set");
	EXPECT_S("tch", "x", 1);
}
END_TEST

/* ---- noreply ---- */

static void noreply_tweak(mcd_config *cfg, void *arg)
{
	(void)arg;
	cfg->noreply = 1;
}

START_TEST(t_noreply)
{
	uint64_t v = 0;

	g_cli = t_client(g_servers, _i, NULL, noreply_tweak, NULL);
	PUT_S("nr", "1", 1);
	EXPECT_S("nr", "1", 1); /* the same connection keeps the order */
	ck_assert_int_eq(mcd_touch(g_cli, K("nr"), 100), MCD_OK);
	ck_assert_int_eq(mcd_delete(g_cli, K("nr")), MCD_OK);
	MISSING("nr");
	/* counters still wait for the answer */
	ck_assert_int_eq(mcd_incr(g_cli, K("nc"), 1, 3, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 3);
	ck_assert_int_eq(mcd_incr(g_cli, K("nc"), 1, 3, 0, &v), MCD_OK);
	ck_assert_uint_eq(v, 4);
	for (int i = 0; i < 50; i++) {
		char k[16];

		snprintf(k, sizeof(k), "nr%d", i);
		PUT_S(k, k, 1);
	}
	EXPECT_S("nr49", "nr49", 1);
	EXPECT_S("nr0", "nr0", 1);
}
END_TEST

/* ---- servers, stats, errors ---- */

START_TEST(t_server_info)
{
	mcd_server_stats st[1];
	mcd_config cfg;
	char err[MCD_ERRBUF_SIZE] = "";
	char name[64];
	size_t idx = 99;
	uint64_t rtt = 0;
	const mcd_server_stats *sp;

	memset(st, 0, sizeof(st));
	mcd_config_defaults(&cfg);
	cfg.servers = g_servers;
	cfg.binary = _i;
	cfg.timeout_ms = 2000;
	ck_assert_int_eq(mcd_client_new(&cfg, NULL, st, &g_cli, err, sizeof(err)), MCD_OK);
	ck_assert_uint_eq(mcd_server_count(g_cli), 1);
	snprintf(name, sizeof(name), "127.0.0.1:%d", g_srv.port);
	ck_assert_str_eq(mcd_server_name(g_cli, 0), name);
	ck_assert(!mcd_server_is_dead(g_cli, 0));
	ck_assert_int_eq(mcd_server_for_key(g_cli, K("any"), &idx), MCD_OK);
	ck_assert_uint_eq(idx, 0);

	PUT_S("h", "1", 0);
	EXPECT_S("h", "1", 0);
	MISSING("m");
	sp = mcd_server_stats_get(g_cli, 0);
	ck_assert(sp != NULL);
	ck_assert_msg(sp->ops >= 3 && sp->hits >= 1 && sp->misses >= 1 && sp->errors == 0,
			"stats ops=%" PRIu64 " hits=%" PRIu64 " misses=%" PRIu64 " errors=%" PRIu64,
			sp->ops, sp->hits, sp->misses, sp->errors);
	ck_assert_msg(st[0].ops == sp->ops && st[0].hits == sp->hits,
			"caller's stats array not used");
	ck_assert(st[0].dead_until == 0);

	ck_assert_int_eq(mcd_server_check(g_cli, 0, &rtt), MCD_OK);
	ck_assert_msg(rtt < 2000000, "rtt_us %" PRIu64, rtt);
	ck_assert_str_eq(mcd_client_errdetail(g_cli), "");
}
END_TEST

START_TEST(t_errdetail)
{
	mcd_rc rc;

	cli(_i);
	PUT_S("e", "1", 0);
	ck_assert_str_eq(mcd_client_errdetail(g_cli), "");
	mcd_ts_stop(&g_srv);
	rc = mcd_store(g_cli, MCD_SET, K("e"), "2", 1, 0, 0);
	ck_assert_msg(rc < 0, "set on a stopped server: rc=%d", rc);
	ck_assert_msg(mcd_client_errdetail(g_cli)[0] != '\0', "no error detail after rc=%d", rc);
	ck_assert_msg(mcd_rc_is_server_fault(rc) || rc == MCD_E_DEAD,
			"stopped server gave rc=%d (%s)", rc, mcd_strerror(rc));
}
END_TEST

START_TEST(t_server_restart)
{
	/* a restarted server (data lost) costs at most one failed operation */
	int fails = 0;

	cli(_i);
	PUT_S("r1", "1", 0);
	ck_assert_msg(mcd_ts_restart(&g_srv) == 0, "restart failed");
	for (int i = 0; i < 4; i++) {
		char k[16];
		mcd_rc rc;

		snprintf(k, sizeof(k), "rr%d", i);
		rc = mcd_store(g_cli, MCD_SET, K(k), "x", 1, 0, 0);
		if (rc != MCD_OK)
			fails++;
	}
	ck_assert_msg(fails <= 1, "%d operations failed after a server restart", fails);
	MISSING("r1");
	EXPECT_S("rr3", "x", 0);
}
END_TEST

START_TEST(t_delete_after_restart)
{
	/* the first delete on a connection the server dropped is sent again
	 * on a new one; "not found" then may be its own earlier effect, and
	 * the key is gone either way: a success, not -1 */
	mcd_rc rc;

	cli(_i);
	PUT_S("dr", "1", 0);
	ck_assert_msg(mcd_ts_restart(&g_srv) == 0, "restart failed");
	rc = mcd_delete(g_cli, K("dr"));
	ck_assert_msg(rc == MCD_OK, "delete after a restart: rc=%d (%s) %s", rc,
			mcd_strerror(rc), mcd_client_errdetail(g_cli));
	/* without a retry in between, a missing key is still "not found" */
	rc = mcd_delete(g_cli, K("dr"));
	ck_assert_int_eq(rc, MCD_NOT_FOUND);
}
END_TEST

/* collects what the client logs */
static char g_log[4096];

static void grab_log(void *ctx, mcd_log_level lvl, const char *msg)
{
	(void)ctx;
	if(lvl == MCD_LOG_WARN)
		snprintf(g_log + strlen(g_log), sizeof(g_log) - strlen(g_log), "%s|",
				msg);
}

static void slow_tweak(mcd_config *cfg, void *arg)
{
	(void)arg;
	cfg->slow_threshold_us = 1;
	cfg->log = grab_log;
}

START_TEST(t_slow_key_log_safe)
{
	/* a key from a SIP message must not forge log lines */
	static const char key[] = "evil\nFAKE LOG LINE\x01\x7f";
	mcd_buf b;
	uint32_t fl;

	g_log[0] = '\0';
	g_cli = t_client(g_servers, _i, NULL, slow_tweak, NULL);
	mcd_buf_init(&b, mcd_allocator_system());
	(void)mcd_get(g_cli, key, sizeof(key) - 1, &b, &fl);
	mcd_buf_free(&b);
	ck_assert_msg(strstr(g_log, "slow get") != NULL, "no slow warning: %s",
			g_log);
	ck_assert_msg(strchr(g_log, '\n') == NULL && strchr(g_log, '\x01') == NULL
					&& strchr(g_log, '\x7f') == NULL,
			"raw control bytes in the log: %s", g_log);
	ck_assert_msg(strstr(g_log, "evil\\x0aFAKE LOG LINE\\x01\\x7f") != NULL,
			"key not shown log-safe: %s", g_log);
}
END_TEST


/*
 * A client inherited over fork belongs to the parent: in the child every
 * operation is refused before anything is sent through its socket, and
 * freeing it sends no quit; a client of the child's own works. The parent
 * keeps using its connection after the child ended.
 */
START_TEST(t_inherited_client)
{
	uint64_t g0 = 0, g1 = 0, c0 = 0, c1 = 0;
	int st = 0;
	pid_t pid;

	cli(_i);
	put_k(K("pk"), K("parent"), 1);
	expect_k(K("pk"), K("parent"), 1);
	ck_assert(mcd_client_is_mine(g_cli));
	ck_assert_int_eq(mcd_ts_stat(g_srv.port, "cmd_get", &g0), 0);
	ck_assert_int_eq(mcd_ts_stat(g_srv.port, "total_connections", &c0), 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		mcd_buf b;
		mcd_client *own;
		int bad = 0;

		mcd_buf_init(&b, mcd_allocator_system());
		bad |= mcd_client_is_mine(g_cli) ? 1 : 0;
		bad |= mcd_get(g_cli, K("pk"), &b, NULL) != MCD_E_FOREIGN ? 2 : 0;
		bad |= mcd_store(g_cli, MCD_SET, K("pk"), K("child"), 0, 1)
						!= MCD_E_FOREIGN
				? 4 : 0;
		mcd_client_free(g_cli); /* must send no quit, free nothing */
		own = t_client(g_servers, _i, NULL, NULL, NULL);
		bad |= mcd_get(own, K("pk"), &b, NULL) != MCD_OK ? 8 : 0;
		bad |= (b.len != 6 || memcmp(b.data, "parent", 6) != 0) ? 16 : 0;
		mcd_client_free(own);
		mcd_buf_free(&b);
		_exit(bad);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: status %d",
			st);
	/* the child's one get went over a connection of its own */
	ck_assert_int_eq(mcd_ts_stat(g_srv.port, "cmd_get", &g1), 0);
	ck_assert_uint_eq(g1, g0 + 1);
	ck_assert_int_eq(mcd_ts_stat(g_srv.port, "total_connections", &c1), 0);
	ck_assert_uint_ge(c1, c0 + 1);
	/* the parent's connection was not touched (no quit): still in step */
	put_k(K("pk"), K("again"), 1);
	expect_k(K("pk"), K("again"), 1);
}
END_TEST


/* ---- quiet writes are not answers ---- */

static void quiet_dead_tweak(mcd_config *cfg, void *arg)
{
	(void)arg;
	cfg->noreply = 1;
	cfg->timeout_ms = 300;
	cfg->retry_timeout_s = 1;
	cfg->probe_interval_ms = 0;
}

/*
 * A server marked dead, whose mark ran out: a quiet set sent to it as the
 * trial is no answer, so the mark stays (the old code cleared it: every
 * process went back to a server that answers nothing).
 */
START_TEST(t_quiet_set_not_alive)
{
	mcd_buf b;
	const mcd_server_stats *st;

	mcd_buf_init(&b, mcd_allocator_system());
	g_cli = t_client(g_servers, 1, NULL, quiet_dead_tweak, NULL);
	PUT_S("qd", "1", 1); /* connected */
	ck_assert_int_eq(mcd_ts_freeze(&g_srv), 0);
	ck_assert_int_eq(mcd_get(g_cli, K("qd"), &b, NULL), MCD_E_TIMEOUT);
	ck_assert(mcd_server_is_dead(g_cli, 0));
	t_sleep_ms(1200); /* the mark runs out: the next operation is a trial */
	ck_assert_int_eq(
			mcd_store(g_cli, MCD_SET, K("qd"), K("2"), 0, 1), MCD_OK);
	st = mcd_server_stats_get(g_cli, 0);
	ck_assert_msg(__atomic_load_n(&st->dead_until, __ATOMIC_ACQUIRE) != 0,
			"a quiet set cleared the dead mark");
	ck_assert_int_eq(mcd_ts_thaw(&g_srv), 0);
	mcd_buf_free(&b);
}
END_TEST

/*
 * noreply=1 with a near cache: a set of a near-cached key waits for the
 * server's answer (a refused value is an error, and the entry is set only
 * once the server holds the value); other keys still go quietly.
 */
START_TEST(t_quiet_set_near)
{
	static char big[2 * 1024 * 1024];
	mcd_near *n = NULL;
	char err[MCD_ERRBUF_SIZE];
	uint64_t g0 = 0, g1 = 0;
	mcd_buf b;

	mcd_buf_init(&b, mcd_allocator_system());
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(mcd_near_new_shared("n:=60000", 64, NULL, NULL, NULL,
							 &n, err, sizeof(err)),
			MCD_OK);
	g_cli = t_client(g_servers, 1, NULL, noreply_tweak, NULL);
	mcd_client_set_near(g_cli, n);
	/* larger than the server takes: only a write that waits can tell */
	ck_assert_int_eq(mcd_store(g_cli, MCD_SET, K("n:big"), big, sizeof(big),
							 0, 1),
			MCD_E_TOO_BIG);
	ck_assert_int_eq(mcd_store(g_cli, MCD_SET, K("o:big"), big, sizeof(big),
							 0, 1),
			MCD_OK); /* quiet: the refusal is not seen */
	/* a confirmed write fills the entry: the read sends nothing */
	PUT_S("n:k", "v1", 1);
	ck_assert_int_eq(mcd_ts_stat(g_srv.port, "cmd_get", &g0), 0);
	ck_assert_int_eq(mcd_get(g_cli, K("n:k"), &b, NULL), MCD_OK);
	ck_assert(b.len == 2 && memcmp(b.data, "v1", 2) == 0);
	ck_assert_int_eq(mcd_ts_stat(g_srv.port, "cmd_get", &g1), 0);
	ck_assert_uint_eq(g1, g0);
	mcd_client_free(g_cli);
	g_cli = NULL;
	mcd_near_free(n);
	mcd_buf_free(&b);
}
END_TEST


/*
 * The near cache's ticket is taken before the read is sent: a local
 * change of the key made while the read is in flight (here: the server
 * held still) keeps the value that read brings back out of the cache.
 */
typedef struct inflight {
	mcd_client *c;
	mcd_rc rc;
	char val[16];
} inflight;

static void *inflight_get(void *arg)
{
	inflight *f = arg;
	mcd_buf b;

	mcd_buf_init(&b, mcd_allocator_system());
	f->rc = mcd_get(f->c, K("n:t"), &b, NULL);
	if (f->rc == MCD_OK && b.len < sizeof(f->val))
		memcpy(f->val, b.data, b.len);
	mcd_buf_free(&b);
	return NULL;
}

START_TEST(t_near_ticket_before_send)
{
	mcd_near *n = NULL;
	char err[MCD_ERRBUF_SIZE];
	inflight f;
	pthread_t th;
	mcd_buf b;

	memset(&f, 0, sizeof(f));
	mcd_buf_init(&b, mcd_allocator_system());
	ck_assert_int_eq(mcd_near_new_shared("n:=60000", 64, NULL, NULL, NULL,
							 &n, err, sizeof(err)),
			MCD_OK);
	ck_assert_int_eq(mcd_ts_set(g_srv.port, "n:t", "old", 3, 1), 0);
	f.c = g_cli = t_client(g_servers, _i, NULL, NULL, NULL);
	mcd_client_set_near(g_cli, n);
	ck_assert_int_eq(mcd_ts_freeze(&g_srv), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, inflight_get, &f), 0);
	t_sleep_ms(200);
	/* what a write of n:t by another process does to the shared cache */
	mcd_near_drop(n, K("n:t"));
	ck_assert_int_eq(mcd_ts_thaw(&g_srv), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(f.rc, MCD_OK);
	ck_assert_str_eq(f.val, "old");
	ck_assert_int_eq(mcd_near_get(n, K("n:t"), &b, NULL), MCD_NEAR_NONE);
	mcd_client_free(g_cli);
	g_cli = NULL;
	mcd_near_free(n);
	mcd_buf_free(&b);
}
END_TEST


/* ---- a server that answers every request with "END" ---- */

typedef struct end_server {
	int lfd;
	int port;
	pthread_t th;
} end_server;

static void *end_serve(void *arg)
{
	end_server *e = arg;
	char buf[4096];

	/* bounded: a few connections, each served until it closes */
	for (int n = 0; n < 8; n++) {
		int fd = accept(e->lfd, NULL, NULL);

		if (fd < 0)
			break;
		for (int i = 0; i < 1000; i++) {
			ssize_t got = recv(fd, buf, sizeof(buf), 0);

			if (got <= 0 || send(fd, "END\r\n", 5, MSG_NOSIGNAL) != 5)
				break;
		}
		close(fd);
	}
	return NULL;
}

static void end_server_start(end_server *e)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	e->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert(e->lfd >= 0);
	ck_assert_int_eq(bind(e->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(e->lfd, 8), 0);
	ck_assert_int_eq(getsockname(e->lfd, (struct sockaddr *)&a, &len), 0);
	e->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&e->th, NULL, end_serve, e), 0);
}

static void end_server_stop(end_server *e)
{
	shutdown(e->lfd, SHUT_RDWR);
	close(e->lfd);
	pthread_join(e->th, NULL);
}

/*
 * libmemcached 1.1.4 asserts when a text-protocol store is answered
 * "END": the operation fails, the process goes on, and the client (its
 * handle renewed) works against a good server afterwards.
 */
START_TEST(t_broken_reply_no_abort)
{
	end_server e;
	char servers[64];
	mcd_client *c;
	mcd_buf b;

	mcd_buf_init(&b, mcd_allocator_system());
	end_server_start(&e);
	snprintf(servers, sizeof(servers), "127.0.0.1:%d", e.port);
	c = t_client(servers, 0, NULL, NULL, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_lt(mcd_store(c, MCD_SET, K("bk"), K("v"), 0, 1), 0);
	ck_assert_int_lt(mcd_get(c, K("bk"), &b, NULL), 2);
	mcd_client_free(c);
	end_server_stop(&e);
	/* the same process, a good server: everything as usual */
	cli(0);
	PUT_S("bk", "v", 1);
	EXPECT_S("bk", "v", 1);
	mcd_buf_free(&b);
}
END_TEST


/* ---- a process's client: retried after a failure, remade after fork ---- */

static int64_t g_fake_ms;
static int g_log_err, g_log_info;

static int64_t fake_clock(void *ctx)
{
	(void)ctx;
	return g_fake_ms;
}

static void count_log(void *ctx, mcd_log_level lvl, const char *msg)
{
	(void)ctx;
	(void)msg;
	if (lvl == MCD_LOG_ERROR)
		g_log_err++;
	else if (lvl == MCD_LOG_INFO)
		g_log_info++;
}

START_TEST(t_proc_client_retry)
{
	mcd_proc_client p;
	mcd_config cfg;
	t_counter cnt;
	mcd_client *c;
	long calls;
	int st = 0;
	pid_t pid;

	memset(&p, 0, sizeof(p));
	mcd_config_defaults(&cfg);
	cfg.servers = g_servers;
	cfg.now_ms = fake_clock;
	cfg.log = count_log;
	g_fake_ms = 5000;
	g_log_err = g_log_info = 0;
	t_counter_init(&cnt, 0); /* the first allocation fails, once */
	cnt.fail_once = 1;
	/* memory short for a moment: no client, one error line */
	ck_assert_ptr_null(mcd_proc_client_get(&p, &cfg, &cnt.a, NULL, 1000));
	ck_assert_int_eq(g_log_err, 1);
	/* within the second: not tried again (no allocation at all) */
	calls = cnt.calls;
	g_fake_ms += 999;
	ck_assert_ptr_null(mcd_proc_client_get(&p, &cfg, &cnt.a, NULL, 1000));
	ck_assert_int_eq(cnt.calls, calls);
	/* then tried again, and it works: the module is not off for good */
	g_fake_ms += 1;
	c = mcd_proc_client_get(&p, &cfg, &cnt.a, NULL, 1000);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(g_log_err, 1);
	ck_assert_int_eq(g_log_info, 1);
	ck_assert_ptr_eq(mcd_proc_client_ready(&p), c);
	ck_assert_int_eq(mcd_store(c, MCD_SET, K("pc"), K("v"), 0, 1), MCD_OK);
	mcd_client_free(c);
	ck_assert_int_eq(cnt.live, 0);
	/* made before a fork (system heap: what the child inherits stays
	 * reachable for valgrind) */
	memset(&p, 0, sizeof(p));
	c = mcd_proc_client_get(&p, &cfg, NULL, NULL, 1000);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(mcd_store(c, MCD_SET, K("pc"), K("v"), 0, 1), MCD_OK);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		/* inherited: not ready here; a client of the child's own */
		mcd_client *own;
		int bad = mcd_proc_client_ready(&p) != NULL;

		own = mcd_proc_client_get(&p, &cfg, NULL, NULL, 1000);
		bad |= (own == NULL || own == c) << 1;
		bad |= (mcd_store(own, MCD_SET, K("pc"), K("w"), 0, 1) != MCD_OK) << 2;
		mcd_client_free(own);
		_exit(bad);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: status %d", st);
	ck_assert_int_eq(mcd_store(c, MCD_SET, K("pc"), K("x"), 0, 1), MCD_OK);
	mcd_client_free(c);
}
END_TEST

Suite *suite_client(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = tcase_create("ops");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, t_set_get, 0, 2);
	tcase_add_loop_test(tc, t_get_missing, 0, 2);
	tcase_add_loop_test(tc, t_add, 0, 2);
	tcase_add_loop_test(tc, t_replace, 0, 2);
	tcase_add_loop_test(tc, t_append_prepend, 0, 2);
	tcase_add_loop_test(tc, t_delete, 0, 2);
	tcase_add_loop_test(tc, t_touch, 0, 2);
	tcase_add_loop_test(tc, t_expiry, 0, 2);
	tcase_add_loop_test(tc, t_big_value, 0, 2);
	tcase_add_loop_test(tc, t_too_big, 0, 2);
	tcase_add_loop_test(tc, t_incr_decr, 0, 2);
	tcase_add_loop_test(tc, t_decr_padding, 0, 2);
	tcase_add_loop_test(tc, t_incr_not_number, 0, 2);
	tcase_add_loop_test(tc, t_incr_create, 0, 2);
	tcase_add_loop_test(tc, t_incr_create_expire, 0, 2);
	tcase_add_loop_test(tc, t_empty_key, 0, 2);
	tcase_add_loop_test(tc, t_noreply, 0, 2);
	tcase_add_loop_test(tc, t_inherited_client, 0, 2);
	tcase_add_test(tc, t_quiet_set_not_alive);
	tcase_add_test(tc, t_quiet_set_near);
	tcase_add_loop_test(tc, t_near_ticket_before_send, 0, 2);
	tcase_add_test(tc, t_broken_reply_no_abort);
	tcase_add_test(tc, t_proc_client_retry);
	suite_add_tcase(s, tc);

	tc = tcase_create("wire");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, t_wire_keys, 0, 2);
	tcase_add_loop_test(tc, t_wire_key_250, 0, 2);
	tcase_add_loop_test(tc, t_one_command, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("servers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, t_server_info, 0, 2);
	tcase_add_loop_test(tc, t_errdetail, 0, 2);
	tcase_add_loop_test(tc, t_server_restart, 0, 2);
	tcase_add_loop_test(tc, t_delete_after_restart, 0, 2);
	tcase_add_loop_test(tc, t_slow_key_log_safe, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
