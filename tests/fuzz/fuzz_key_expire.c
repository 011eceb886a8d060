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
 * "key=>N" splitting and expiry parsing against a plain reference:
 * the split is at the first "=>", the expiry is all digits and at most
 * MCD_EXPIRE_MAX, and nothing is read outside the input.
 */
#include <stdint.h>
#include <string.h>

#include "mcd_key.h"
#include "fuzz_common.h"

/* Reference expiry parser: digits only, saturating, range checked. */
static int ref_expire(const uint8_t *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if(len == 0)
		return 0;
	for(i = 0; i < len; i++) {
		if(s[i] < '0' || s[i] > '9')
			return 0;
		if(v <= MCD_EXPIRE_MAX)
			v = v * 10 + (s[i] - '0');
	}
	if(v > MCD_EXPIRE_MAX)
		return 0;
	*out = (uint32_t)v;
	return 1;
}

static size_t first_arrow(const uint8_t *s, size_t len)
{
	size_t i;

	for(i = 0; i + 1 < len; i++)
		if(s[i] == '=' && s[i + 1] == '>')
			return i;
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *key = NULL;
	size_t key_len = (size_t)-1, arrow;
	bool has_expire = true, ok, rok;
	uint32_t expire = 0xdeadbeef, rexp = 0;

	/* the expiry parser alone, on the whole input */
	ok = mcd_parse_expire(in, size, &expire);
	rok = ref_expire(data, size, &rexp);
	FZ_CHECK(ok == rok, "parse_expire says %d, reference %d", ok, rok);
	if(ok)
		FZ_CHECK(expire == rexp, "expire %u, reference %u", expire, rexp);

	expire = 0xdeadbeef;
	ok = mcd_split_key_expire(in, size, &key, &key_len, &has_expire, &expire);
	arrow = first_arrow(data, size);
	FZ_CHECK(key == in, "key does not start at the input");
	if(arrow == size) {
		FZ_CHECK(ok && !has_expire && key_len == size,
				"no \"=>\": ok=%d has_expire=%d key_len=%zu size=%zu", ok,
				has_expire, key_len, size);
		return 0;
	}
	FZ_CHECK(has_expire, "\"=>\" at %zu not seen", arrow);
	FZ_CHECK(key_len == arrow, "key_len %zu, first \"=>\" at %zu", key_len,
			arrow);
	rok = ref_expire(data + arrow + 2, size - arrow - 2, &rexp);
	FZ_CHECK(ok == rok, "split ok=%d, reference expiry ok=%d", ok, rok);
	if(ok)
		FZ_CHECK(expire == rexp && expire <= MCD_EXPIRE_MAX,
				"expire %u, reference %u", expire, rexp);
	return 0;
}
