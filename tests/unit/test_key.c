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
/* Expiry parsing, "key=>N" splitting, MD5 and wire-key building. */
#include <stdbool.h>
#include <string.h>

#include "tests.h"
#include "mcd_key.h"
#include "mcd_md5.h"

#define S(x) x, sizeof(x) - 1

/* ---- mcd_parse_expire ---- */

static const struct {
	const char *in;
	size_t len;
	bool ok;
	uint32_t val;
} expire_cases[] = {
	{ S(""), false, 0 },
	{ S("12x"), false, 0 },
	{ S("x12"), false, 0 },
	{ S("-1"), false, 0 },
	{ S("+1"), false, 0 },
	{ S(" 1"), false, 0 },
	{ S("1 "), false, 0 },
	{ S("1\n"), false, 0 },
	{ S("1.5"), false, 0 },
	{ S("0x10"), false, 0 },
	{ "1\0" "2", 3, false, 0 },            /* NUL inside: not a number */
	{ S("2147483648"), false, 0 },         /* MCD_EXPIRE_MAX + 1 */
	{ S("4294967296"), false, 0 },         /* 2^32: wraps to 0 in 32 bits */
	{ S("4294967306"), false, 0 },         /* 2^32 + 10: wraps to 10 */
	{ S("18446744073709551617"), false, 0 }, /* 2^64 + 1: wraps to 1 */
	{ S("99999999999999999999999999999"), false, 0 },
	{ S("0"), true, 0 },
	{ S("1"), true, 1 },
	{ S("10"), true, 10 },
	{ S("2592000"), true, 2592000 },       /* 30 days: still relative */
	{ S("2592001"), true, 2592001 },       /* absolute unix time */
	{ S("2147483647"), true, 2147483647u },
	{ S("007"), true, 7 },                 /* leading zeros are digits */
	{ "123", 2, true, 12 },                /* exactly len bytes are read */
	{ "10junk", 2, true, 10 },
};

START_TEST(t_parse_expire)
{
	uint32_t v = 0xdeadbeef;
	bool ok = mcd_parse_expire(expire_cases[_i].in, expire_cases[_i].len, &v);

	ck_assert_msg(ok == expire_cases[_i].ok,
			"mcd_parse_expire(\"%.*s\", %zu): got %d, want %d", (int)expire_cases[_i].len,
			expire_cases[_i].in, expire_cases[_i].len, ok, expire_cases[_i].ok);
	if (ok)
		ck_assert_msg(v == expire_cases[_i].val,
				"mcd_parse_expire(\"%.*s\"): %u, want %u", (int)expire_cases[_i].len,
				expire_cases[_i].in, v, expire_cases[_i].val);
}
END_TEST

/* ---- mcd_split_key_expire ---- */

enum { SPLIT_BAD, SPLIT_OK, SPLIT_EMPTY_KEY };

static const struct {
	const char *in;
	size_t len;
	int want;
	const char *key;
	size_t key_len;
	bool has_expire;
	uint32_t expire;
} split_cases[] = {
	{ S("k"), SPLIT_OK, S("k"), false, 0 },
	{ S("k=>10"), SPLIT_OK, S("k"), true, 10 },
	{ S("k=>0"), SPLIT_OK, S("k"), true, 0 },
	{ S("reg:abc@x=>3600"), SPLIT_OK, S("reg:abc@x"), true, 3600 },
	{ S("k=>2147483647"), SPLIT_OK, S("k"), true, 2147483647u },
	{ S("k=>2592001"), SPLIT_OK, S("k"), true, 2592001 },
	{ S("k==>5"), SPLIT_OK, S("k="), true, 5 },
	{ S("a=b"), SPLIT_OK, S("a=b"), false, 0 },
	{ S("a>b"), SPLIT_OK, S("a>b"), false, 0 },
	{ S("a=>"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=>"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=>x"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=>10x"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=>-1"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=>+1"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=> 1"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=>1 "), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=>2147483648"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("k=>99999999999999999999"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("a=>b=>10"), SPLIT_BAD, NULL, 0, false, 0 }, /* split at the first => */
	{ S("a=>10=>5"), SPLIT_BAD, NULL, 0, false, 0 },
	{ S("=>10"), SPLIT_EMPTY_KEY, S(""), true, 10 },
	{ "k=>10tail", 5, SPLIT_OK, S("k"), true, 10 }, /* length, not NUL, bounds it */
	{ "ab\0c=>7", 7, SPLIT_OK, "ab\0c", 4, true, 7 },
};

START_TEST(t_split)
{
	const char *key = NULL;
	size_t klen = 12345;
	bool has = false;
	uint32_t exp = 777;
	bool ok = mcd_split_key_expire(split_cases[_i].in, split_cases[_i].len,
			&key, &klen, &has, &exp);
	int w = split_cases[_i].want;

	if (w == SPLIT_BAD) {
		ck_assert_msg(!ok, "split(\"%.*s\") accepted, must be refused",
				(int)split_cases[_i].len, split_cases[_i].in);
		return;
	}
	if (w == SPLIT_EMPTY_KEY) {
		/* Refusing here, or giving an empty key that mcd_key_build then
		 * refuses: either way nothing can be written. */
		char out[MCD_KEY_MAX + 1];

		if (!ok)
			return;
		ck_assert_msg(klen == 0, "split(\"=>10\"): key length %zu, want 0", klen);
		ck_assert_uint_eq(mcd_key_build(NULL, 0, key, klen, out, NULL), 0);
		return;
	}
	ck_assert_msg(ok, "split(\"%.*s\") refused", (int)split_cases[_i].len,
			split_cases[_i].in);
	ck_assert_msg(key == split_cases[_i].in, "key must point into the input");
	ck_assert_msg(klen == split_cases[_i].key_len, "split(\"%.*s\"): key length %zu, want %zu",
			(int)split_cases[_i].len, split_cases[_i].in, klen, split_cases[_i].key_len);
	ck_assert_mem_eq(key, split_cases[_i].key, klen);
	ck_assert_int_eq(has, split_cases[_i].has_expire);
	if (split_cases[_i].has_expire)
		ck_assert_uint_eq(exp, split_cases[_i].expire);
}
END_TEST

/* ---- MD5 (RFC 1321, appendix A.5) ---- */

static const struct {
	const char *in;
	const char *hex;
} md5_cases[] = {
	{ "", "d41d8cd98f00b204e9800998ecf8427e" },
	{ "a", "0cc175b9c0f1b6a831c399e269772661" },
	{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
	{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
	{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
	{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		"d174ab98d277d9f5a5611c2c9f419d9f" },
	{ "1234567890123456789012345678901234567890"
		"1234567890123456789012345678901234567890",
		"57edf4a22be3c955ac49da2e2107b67a" },
};

START_TEST(t_md5)
{
	char out[MCD_MD5_HEX_LEN + 1];

	memset(out, 'Z', sizeof(out));
	ck_assert_int_eq(mcd_md5_hex(md5_cases[_i].in, strlen(md5_cases[_i].in), out), 0);
	ck_assert_msg(out[MCD_MD5_HEX_LEN] == 'Z', "mcd_md5_hex wrote past 32 bytes");
	ck_assert_msg(memcmp(out, md5_cases[_i].hex, 32) == 0,
			"md5(\"%s\") = %.32s, want %s", md5_cases[_i].in, out, md5_cases[_i].hex);
}
END_TEST

START_TEST(t_md5_binary)
{
	/* Length, not strlen: bytes after a NUL count. */
	char a[32], b[32];

	ck_assert_int_eq(mcd_md5_hex("a\0b", 3, a), 0);
	ck_assert_int_eq(mcd_md5_hex("a", 1, b), 0);
	ck_assert_msg(memcmp(a, b, 32) != 0, "md5 stopped at a NUL byte");
}
END_TEST

/* ---- key bytes and prefixes ---- */

START_TEST(t_key_byte_ok)
{
	for (int b = 0; b < 256; b++) {
		bool want = b > 0x20 && b != 0x7f;

		ck_assert_msg(mcd_key_byte_ok((unsigned char)b) == want,
				"mcd_key_byte_ok(0x%02x) = %d, want %d", b,
				mcd_key_byte_ok((unsigned char)b), want);
	}
}
END_TEST

START_TEST(t_prefix_ok)
{
	char p[300];

	ck_assert(mcd_prefix_ok("", 0));
	ck_assert(mcd_prefix_ok(NULL, 0));
	ck_assert(mcd_prefix_ok(S("edge1:")));
	ck_assert(mcd_prefix_ok(S("\x80\xff")));
	ck_assert(!mcd_prefix_ok(S("a b")));
	ck_assert(!mcd_prefix_ok(S("a\tb")));
	ck_assert(!mcd_prefix_ok(S("a\r\n")));
	ck_assert(!mcd_prefix_ok(S("a\x7f")));
	ck_assert(!mcd_prefix_ok("a\0b", 3));
	/* prefix + 32 hex digits must fit in 250 */
	memset(p, 'p', sizeof(p));
	ck_assert_msg(mcd_prefix_ok(p, MCD_KEY_MAX - 32), "prefix of 218 refused");
	ck_assert_msg(!mcd_prefix_ok(p, MCD_KEY_MAX - 31), "prefix of 219 accepted");
	ck_assert(!mcd_prefix_ok(p, 300));
}
END_TEST

/* ---- mcd_key_build ---- */

static void build_check(const char *prefix, size_t plen, const char *key,
		size_t klen, bool want_hashed, const char *what)
{
	char out[MCD_KEY_MAX + 1];
	char want[MCD_KEY_MAX + 64];
	size_t wlen;
	bool hashed = !want_hashed;
	size_t n;

	memset(out, 'Z', sizeof(out));
	n = mcd_key_build(prefix, plen, key, klen, out, &hashed);
	if (plen)
		memcpy(want, prefix, plen);
	if (want_hashed) {
		ck_assert_int_eq(mcd_md5_hex(key, klen, want + plen), 0);
		wlen = plen + 32;
	} else {
		memcpy(want + plen, key, klen);
		wlen = plen + klen;
	}
	ck_assert_msg(n == wlen, "%s: length %zu, want %zu", what, n, wlen);
	ck_assert_msg(hashed == want_hashed, "%s: hashed=%d, want %d", what, hashed,
			want_hashed);
	ck_assert_msg(memcmp(out, want, wlen) == 0, "%s: wrong wire key '%.*s'", what,
			(int)n, out);
	ck_assert_msg(out[n] == '\0', "%s: wire key not NUL-terminated", what);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(mcd_key_byte_ok((unsigned char)out[i]),
				"%s: forbidden byte 0x%02x in wire key", what, (unsigned char)out[i]);
}

START_TEST(t_key_lengths)
{
	char k[400];

	memset(k, 'k', sizeof(k));
	build_check(NULL, 0, k, 249, false, "249 bytes");
	build_check(NULL, 0, k, 250, false, "250 bytes");
	build_check(NULL, 0, k, 251, true, "251 bytes");
	build_check(NULL, 0, k, 400, true, "400 bytes");
	build_check("", 0, k, 250, false, "250 bytes, empty prefix");
	build_check("p:", 2, k, 247, false, "p: + 247");
	build_check("p:", 2, k, 248, false, "p: + 248 = 250");
	build_check("p:", 2, k, 249, true, "p: + 249 = 251");
	build_check("p:", 2, k, 250, true, "p: + 250");
	build_check("p:", 2, k, 1, false, "p: + 1");
}
END_TEST

START_TEST(t_key_long_prefix)
{
	char p[MCD_KEY_MAX];
	char k[64];

	memset(p, 'p', sizeof(p));
	memset(k, 'k', sizeof(k));
	/* 218-byte prefix: a hashed key still fits, exactly 250 */
	build_check(p, 218, k, 32, false, "218 + 32");
	build_check(p, 218, k, 33, true, "218 + 33 (hashed to 250)");
}
END_TEST

static const struct {
	const char *key;
	size_t len;
	bool hashed;
	const char *what;
} byte_cases[] = {
	{ S("plain-key:1@x.org"), false, "plain" },
	{ S("a b"), true, "space" },
	{ S(" lead"), true, "leading space" },
	{ S("trail "), true, "trailing space" },
	{ S("a\tb"), true, "tab" },
	{ S("a\rb"), true, "CR" },
	{ S("a\nb"), true, "LF" },
	{ S("a\r\nflush_all\r\n"), true, "CRLF injection" },
	{ S("a\x7f" "b"), true, "0x7f" },
	{ S("a\x01" "b"), true, "0x01" },
	{ S("a\x1f" "b"), true, "0x1f" },
	{ "a\0b", 3, true, "NUL inside" },
	{ S("\x80"), false, "0x80" },
	{ S("caf\xc3\xa9"), false, "UTF-8" },
	{ S("\xff\xfe"), false, "0xff 0xfe" },
	{ S("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), false, "punctuation" },
};

START_TEST(t_key_bytes)
{
	build_check(NULL, 0, byte_cases[_i].key, byte_cases[_i].len,
			byte_cases[_i].hashed, byte_cases[_i].what);
	build_check("pre:", 4, byte_cases[_i].key, byte_cases[_i].len,
			byte_cases[_i].hashed, byte_cases[_i].what);
}
END_TEST

START_TEST(t_key_empty)
{
	char out[MCD_KEY_MAX + 1];
	bool hashed;

	ck_assert_uint_eq(mcd_key_build(NULL, 0, "", 0, out, &hashed), 0);
	ck_assert_uint_eq(mcd_key_build("p:", 2, "", 0, out, &hashed), 0);
	ck_assert_uint_eq(mcd_key_build("p:", 2, "x", 0, out, NULL), 0);
}
END_TEST

START_TEST(t_key_distinct)
{
	/* Hashing must not merge distinct keys: whitespace is hashed as is. */
	char a[MCD_KEY_MAX + 1], b[MCD_KEY_MAX + 1];
	size_t na = mcd_key_build(NULL, 0, S("a b"), a, NULL);
	size_t nb = mcd_key_build(NULL, 0, S("a b "), b, NULL);

	ck_assert(na > 0 && nb > 0);
	ck_assert_msg(na != nb || memcmp(a, b, na) != 0,
			"\"a b\" and \"a b \" map to the same wire key");
}
END_TEST

Suite *suite_key(void)
{
	Suite *s = suite_create("key");
	TCase *tc;

	tc = tcase_create("expire");
	tcase_add_loop_test(tc, t_parse_expire, 0,
			(int)(sizeof(expire_cases) / sizeof(expire_cases[0])));
	tcase_add_loop_test(tc, t_split, 0,
			(int)(sizeof(split_cases) / sizeof(split_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("md5");
	tcase_add_loop_test(tc, t_md5, 0, (int)(sizeof(md5_cases) / sizeof(md5_cases[0])));
	tcase_add_test(tc, t_md5_binary);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_test(tc, t_key_byte_ok);
	tcase_add_test(tc, t_prefix_ok);
	tcase_add_test(tc, t_key_lengths);
	tcase_add_test(tc, t_key_long_prefix);
	tcase_add_loop_test(tc, t_key_bytes, 0,
			(int)(sizeof(byte_cases) / sizeof(byte_cases[0])));
	tcase_add_test(tc, t_key_empty);
	tcase_add_test(tc, t_key_distinct);
	suite_add_tcase(s, tc);
	return s;
}
