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
/* Integer parsing/formatting (memcached's safe_strto* habit) and mcd_err. */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "tests.h"
#include "mcd_err.h"
#include "mcd_value.h"

#define S(x) x, sizeof(x) - 1

/* ---- mcd_parse_i64 ---- */

static const struct {
	const char *in;
	size_t len;
	bool ok;
	int64_t val;
} i64_cases[] = {
	{ S("0"), true, 0 },
	{ S("1"), true, 1 },
	{ S("-1"), true, -1 },
	{ S("42"), true, 42 },
	{ S("4294967295"), true, 4294967295LL },
	{ S("4294967296"), true, 4294967296LL },
	{ S("-4294967296"), true, -4294967296LL },
	{ S("9223372036854775807"), true, INT64_MAX },
	{ S("-9223372036854775808"), true, INT64_MIN },
	{ S("9223372036854775808"), false, 0 },
	{ S("-9223372036854775809"), false, 0 },
	{ S("18446744073709551615"), false, 0 },
	{ S("18446744073709551616"), false, 0 },
	{ S("99999999999999999999999"), false, 0 },
	{ S("-99999999999999999999999"), false, 0 },
	{ S(""), false, 0 },
	{ S("-"), false, 0 },
	{ S("+1"), false, 0 },
	{ S(" 1"), false, 0 },
	{ S("1 "), false, 0 },
	{ S("1\t"), false, 0 },
	{ S("1x"), false, 0 },
	{ S("x1"), false, 0 },
	{ S("--1"), false, 0 },
	{ S("1-"), false, 0 },
	{ S("0x10"), false, 0 },
	{ S("1.0"), false, 0 },
	{ S("1e3"), false, 0 },
	{ "1\0", 2, false, 0 },
	{ "123", 2, true, 12 },
	{ "-5abc", 2, true, -5 },
};

START_TEST(t_parse_i64)
{
	int64_t v = 0x5a5a;
	bool ok = mcd_parse_i64(i64_cases[_i].in, i64_cases[_i].len, &v);

	ck_assert_msg(ok == i64_cases[_i].ok, "mcd_parse_i64(\"%.*s\"): got %d, want %d",
			(int)i64_cases[_i].len, i64_cases[_i].in, ok, i64_cases[_i].ok);
	if (ok)
		ck_assert_msg(v == i64_cases[_i].val,
				"mcd_parse_i64(\"%.*s\") = %" PRId64 ", want %" PRId64,
				(int)i64_cases[_i].len, i64_cases[_i].in, v, i64_cases[_i].val);
}
END_TEST

/* ---- mcd_parse_u64 ---- */

static const struct {
	const char *in;
	size_t len;
	bool ok;
	uint64_t val;
} u64_cases[] = {
	{ S("0"), true, 0 },
	{ S("1"), true, 1 },
	{ S("4294967296"), true, 4294967296ULL },
	{ S("9223372036854775808"), true, 9223372036854775808ULL },
	{ S("18446744073709551615"), true, UINT64_MAX },
	{ S("18446744073709551616"), false, 0 },
	{ S("36893488147419103232"), false, 0 }, /* 2^65: wraps to 0 */
	{ S("99999999999999999999999"), false, 0 },
	{ S(""), false, 0 },
	{ S("-1"), false, 0 },
	{ S("-0"), false, 0 },
	{ S("+1"), false, 0 },
	{ S(" 1"), false, 0 },
	{ S("1 "), false, 0 },
	{ S("1x"), false, 0 },
	{ S("0x1"), false, 0 },
	{ "1\0", 2, false, 0 },
	{ "987", 1, true, 9 },
};

START_TEST(t_parse_u64)
{
	uint64_t v = 0x5a5a;
	bool ok = mcd_parse_u64(u64_cases[_i].in, u64_cases[_i].len, &v);

	ck_assert_msg(ok == u64_cases[_i].ok, "mcd_parse_u64(\"%.*s\"): got %d, want %d",
			(int)u64_cases[_i].len, u64_cases[_i].in, ok, u64_cases[_i].ok);
	if (ok)
		ck_assert_msg(v == u64_cases[_i].val,
				"mcd_parse_u64(\"%.*s\") = %" PRIu64 ", want %" PRIu64,
				(int)u64_cases[_i].len, u64_cases[_i].in, v, u64_cases[_i].val);
}
END_TEST

/* ---- mcd_parse_stored_int ---- */

static const struct {
	const char *in;
	size_t len;
	bool ok;
	int64_t val;
} stored_cases[] = {
	{ S("5"), true, 5 },
	{ S("5 "), true, 5 },
	{ S("99 "), true, 99 },     /* what decr 100 -> 99 leaves on the server */
	{ S("5    "), true, 5 },
	{ S("-5"), true, -5 },
	{ S("-5 "), true, -5 },
	{ S("0"), true, 0 },
	{ S("9223372036854775807 "), true, INT64_MAX },
	{ S("-9223372036854775808"), true, INT64_MIN },
	{ S("9223372036854775808"), false, 0 },
	{ S(""), false, 0 },
	{ S(" "), false, 0 },
	{ S("   "), false, 0 },
	{ S(" 5"), false, 0 },
	{ S("5 x"), false, 0 },
	{ S("5 5"), false, 0 },
	{ S("5\t"), false, 0 },
	{ S("5\r\n"), false, 0 },
	{ S("5\n"), false, 0 },
	{ S("+5"), false, 0 },
	{ S("abc"), false, 0 },
	{ S("- 5"), false, 0 },
	{ "5\0", 2, false, 0 },
};

START_TEST(t_parse_stored)
{
	int64_t v = 0x5a5a;
	bool ok = mcd_parse_stored_int(stored_cases[_i].in, stored_cases[_i].len, &v);

	ck_assert_msg(ok == stored_cases[_i].ok,
			"mcd_parse_stored_int(\"%.*s\"): got %d, want %d",
			(int)stored_cases[_i].len, stored_cases[_i].in, ok, stored_cases[_i].ok);
	if (ok)
		ck_assert_msg(v == stored_cases[_i].val,
				"mcd_parse_stored_int(\"%.*s\") = %" PRId64 ", want %" PRId64,
				(int)stored_cases[_i].len, stored_cases[_i].in, v,
				stored_cases[_i].val);
}
END_TEST

/* ---- mcd_format_i64 ---- */

static const struct {
	int64_t v;
	const char *s;
} fmt_cases[] = {
	{ 0, "0" },
	{ 1, "1" },
	{ -1, "-1" },
	{ 10, "10" },
	{ -10, "-10" },
	{ 4294967295LL, "4294967295" },
	{ 4294967296LL, "4294967296" },
	{ -4294967296LL, "-4294967296" },
	{ INT64_MAX, "9223372036854775807" },
	{ INT64_MIN, "-9223372036854775808" },
	{ INT64_MIN + 1, "-9223372036854775807" },
};

START_TEST(t_format_i64)
{
	char out[MCD_I64_STR_MAX + 8];
	size_t n;
	int64_t back = 0;

	memset(out, 'Z', sizeof(out));
	n = mcd_format_i64(fmt_cases[_i].v, out);
	ck_assert_msg(n == strlen(fmt_cases[_i].s), "format(%s): length %zu",
			fmt_cases[_i].s, n);
	ck_assert_msg(memcmp(out, fmt_cases[_i].s, n) == 0, "format(%s): '%.*s'",
			fmt_cases[_i].s, (int)n, out);
	ck_assert_msg(out[n] == '\0', "format(%s): not NUL-terminated", fmt_cases[_i].s);
	ck_assert_msg(out[MCD_I64_STR_MAX] == 'Z', "format wrote past MCD_I64_STR_MAX");
	ck_assert(mcd_parse_i64(out, n, &back));
	ck_assert(back == fmt_cases[_i].v);
}
END_TEST

START_TEST(t_format_roundtrip)
{
	/* Powers of two and their neighbours, both signs. */
	for (int b = 0; b < 63; b++) {
		int64_t base = (int64_t)1 << b;

		for (int d = -1; d <= 1; d++) {
			int64_t vs[2] = { base + d, -(base + d) };

			for (int k = 0; k < 2; k++) {
				char out[MCD_I64_STR_MAX];
				int64_t back = 0;
				size_t n = mcd_format_i64(vs[k], out);

				ck_assert(n > 0 && n < MCD_I64_STR_MAX);
				ck_assert_msg(mcd_parse_i64(out, n, &back) && back == vs[k],
						"round trip of %" PRId64 " via '%s'", vs[k], out);
			}
		}
	}
}
END_TEST

/* ---- mcd_err ---- */

START_TEST(t_strerror)
{
	static const mcd_rc all[] = { MCD_OK, MCD_NOT_FOUND, MCD_EXISTS,
		MCD_NOT_STORED, MCD_E_ARG, MCD_E_NOMEM, MCD_E_NOT_NUMBER,
		MCD_E_TOO_BIG, MCD_E_DEAD, MCD_E_TIMEOUT, MCD_E_CONN, MCD_E_AUTH,
		MCD_E_SERVER, MCD_E_CONFIG };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *s = mcd_strerror(all[i]);

		ck_assert_msg(s != NULL && s[0] != '\0', "mcd_strerror(%d) empty", all[i]);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(s, mcd_strerror(all[j])) != 0,
					"mcd_strerror(%d) == mcd_strerror(%d)", all[i], all[j]);
	}
	ck_assert(mcd_strerror((mcd_rc)1000) != NULL);
	ck_assert(mcd_strerror((mcd_rc)-1000) != NULL);
}
END_TEST

START_TEST(t_server_fault)
{
	ck_assert(mcd_rc_is_server_fault(MCD_E_TIMEOUT));
	ck_assert(mcd_rc_is_server_fault(MCD_E_CONN));
	/* Answers and caller-side failures say nothing about the server. */
	ck_assert(!mcd_rc_is_server_fault(MCD_OK));
	ck_assert(!mcd_rc_is_server_fault(MCD_NOT_FOUND));
	ck_assert(!mcd_rc_is_server_fault(MCD_EXISTS));
	ck_assert(!mcd_rc_is_server_fault(MCD_NOT_STORED));
	ck_assert(!mcd_rc_is_server_fault(MCD_E_ARG));
	ck_assert(!mcd_rc_is_server_fault(MCD_E_NOMEM));
	ck_assert(!mcd_rc_is_server_fault(MCD_E_NOT_NUMBER));
	ck_assert(!mcd_rc_is_server_fault(MCD_E_TOO_BIG));
	ck_assert(!mcd_rc_is_server_fault(MCD_E_CONFIG));
}
END_TEST

Suite *suite_value(void)
{
	Suite *s = suite_create("value");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, t_parse_i64, 0, (int)(sizeof(i64_cases) / sizeof(i64_cases[0])));
	tcase_add_loop_test(tc, t_parse_u64, 0, (int)(sizeof(u64_cases) / sizeof(u64_cases[0])));
	tcase_add_loop_test(tc, t_parse_stored, 0,
			(int)(sizeof(stored_cases) / sizeof(stored_cases[0])));
	tcase_add_loop_test(tc, t_format_i64, 0, (int)(sizeof(fmt_cases) / sizeof(fmt_cases[0])));
	tcase_add_test(tc, t_format_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("err");
	tcase_add_test(tc, t_strerror);
	tcase_add_test(tc, t_server_fault);
	suite_add_tcase(s, tc);
	return s;
}
