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
 * Integer parsers and the formatter: each parser agrees with a reference
 * built on strtoll/strtoull, formatting then parsing gives the same
 * number back, and a canonical decimal survives parse + format unchanged.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcd_value.h"
#include "fuzz_common.h"

#define MAXTXT 64

static int all_digits(const char *s, size_t len)
{
	size_t i;

	if(len == 0)
		return 0;
	for(i = 0; i < len; i++)
		if(s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int ref_u64(const char *s, size_t len, uint64_t *out)
{
	char buf[MAXTXT + 1];
	char *end;

	if(!all_digits(s, len))
		return 0;
	/* leading zeros do not change the value; keep the text short */
	while(len > 1 && s[0] == '0') {
		s++;
		len--;
	}
	if(len > 20)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return errno == 0 && *end == '\0';
}

static int ref_i64(const char *s, size_t len, int64_t *out)
{
	char buf[MAXTXT + 2];
	char *end;
	int neg = len > 0 && s[0] == '-';

	if(!all_digits(s + neg, len - neg))
		return 0;
	s += neg;
	len -= neg;
	while(len > 1 && s[0] == '0') {
		s++;
		len--;
	}
	if(len > 20)
		return 0;
	buf[0] = '-';
	memcpy(buf + 1, s, len);
	buf[len + 1] = '\0';
	errno = 0;
	*out = strtoll(neg ? buf : buf + 1, &end, 10);
	return errno == 0 && *end == '\0';
}

static void round_trip(int64_t v)
{
	char txt[MCD_I64_STR_MAX];
	int64_t back = 0;
	size_t n;

	memset(txt, 'x', sizeof(txt));
	n = mcd_format_i64(v, txt);
	FZ_CHECK(n > 0 && n < MCD_I64_STR_MAX && txt[n] == '\0'
					&& strlen(txt) == n,
			"format of %lld: length %zu", (long long)v, n);
	FZ_CHECK(mcd_parse_i64(txt, n, &back) && back == v,
			"format/parse of %lld gave '%s' -> %lld", (long long)v, txt,
			(long long)back);
	FZ_CHECK(mcd_parse_stored_int(txt, n, &back) && back == v,
			"stored_int of '%s'", txt);
	if(v >= 0) {
		uint64_t u = 0;
		FZ_CHECK(mcd_parse_u64(txt, n, &u) && u == (uint64_t)v,
				"parse_u64 of '%s'", txt);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint64_t u = 0, ru = 0;
	int64_t i = 0, ri = 0, si = 0;
	size_t trimmed = size;
	int ok, rok;

	ok = mcd_parse_u64(s, size, &u);
	rok = ref_u64(s, size, &ru);
	FZ_CHECK(ok == rok && (!ok || u == ru), "u64: ok=%d ref=%d %llu/%llu", ok,
			rok, (unsigned long long)u, (unsigned long long)ru);

	ok = mcd_parse_i64(s, size, &i);
	rok = ref_i64(s, size, &ri);
	FZ_CHECK(ok == rok && (!ok || i == ri), "i64: ok=%d ref=%d %lld/%lld", ok,
			rok, (long long)i, (long long)ri);
	if(ok) {
		char txt[MCD_I64_STR_MAX];
		size_t n = mcd_format_i64(i, txt);
		int canonical = size > 0 && !(size > 1 && s[0] == '0')
						&& !(size > 1 && s[0] == '-' && s[1] == '0')
						&& !(size == 1 && s[0] == '-');
		if(canonical)
			FZ_CHECK(n == size && memcmp(txt, s, n) == 0,
					"canonical '%.*s' formatted as '%s'", (int)size, s, txt);
		round_trip(i);
	}

	/* stored ints: trailing spaces (and only those) are padding */
	while(trimmed > 0 && s[trimmed - 1] == ' ')
		trimmed--;
	ok = mcd_parse_stored_int(s, size, &si);
	rok = ref_i64(s, trimmed, &ri);
	FZ_CHECK(ok == rok && (!ok || si == ri), "stored: ok=%d ref=%d", ok, rok);

	/* raw bytes as a number */
	if(size >= sizeof(int64_t)) {
		int64_t v;
		memcpy(&v, data, sizeof(v));
		round_trip(v);
	}
	round_trip(INT64_MIN);
	round_trip(INT64_MAX);
	return 0;
}
