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
#include <string.h>

#include "mcd_value.h"

bool mcd_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if(s == NULL || len == 0)
		return false;
	for(i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if(d > 9)
			return false;
		if(v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool mcd_parse_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t mag;
	bool neg;

	if(s == NULL || len == 0)
		return false;
	neg = (s[0] == '-');
	if(!mcd_parse_u64(s + neg, len - neg, &mag))
		return false;
	if(neg) {
		if(mag > (uint64_t)INT64_MAX + 1)
			return false;
		*out = (mag == (uint64_t)INT64_MAX + 1) ? INT64_MIN : -(int64_t)mag;
	} else {
		if(mag > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)mag;
	}
	return true;
}

bool mcd_parse_stored_int(const char *s, size_t len, int64_t *out)
{
	while(len > 0 && s[len - 1] == ' ')
		len--;
	return mcd_parse_i64(s, len, out);
}

size_t mcd_format_i64(int64_t v, char out[MCD_I64_STR_MAX])
{
	char tmp[MCD_I64_STR_MAX];
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + mag % 10);
		mag /= 10;
	} while(mag);
	if(v < 0)
		out[i++] = '-';
	while(n)
		out[i++] = tmp[--n];
	out[i] = '\0';
	return i;
}
