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
#include <stdint.h>
#include <string.h>

#include "mcd_key.h"
#include "mcd_md5.h"
#include "mcd_value.h"

bool mcd_parse_expire(const char *s, size_t len, uint32_t *out)
{
	uint64_t v;

	if(!mcd_parse_u64(s, len, &v) || v > MCD_EXPIRE_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool mcd_split_key_expire(const char *in, size_t len, const char **key,
		size_t *key_len, bool *has_expire, uint32_t *expire)
{
	const char *p = in, *end = in + len, *eq;

	*key = in;
	*key_len = len;
	*has_expire = false;
	while(p < end && (eq = memchr(p, '=', (size_t)(end - p))) != NULL) {
		if(eq + 1 < end && eq[1] == '>') {
			*key_len = (size_t)(eq - in);
			*has_expire = true;
			return mcd_parse_expire(eq + 2, (size_t)(end - eq - 2), expire);
		}
		p = eq + 1;
	}
	return true;
}

bool mcd_key_byte_ok(unsigned char b)
{
	/* the text protocol splits on space and ends lines with CR/LF */
	return b > 0x20 && b != 0x7f;
}

/*
 * mcd_key_byte_ok over a whole key. This runs over every key of every
 * call, so eight bytes are looked at a time: a word is flagged when one of
 * its bytes is below 0x21 or equal to 0x7f (exact, never a false alarm
 * for bytes of 0x80 and above), and only then are its bytes checked.
 */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
static bool bytes_ok(const char *s, size_t len)
{
	const unsigned char *p, *end;
	uint64_t w, x;

	if(len == 0)
		return true; /* s may be NULL then */
	p = (const unsigned char *)s;
	end = p + len;

	for(; end - p >= 8; p += 8) {
		memcpy(&w, p, 8);
		x = w ^ (0x7f * ONES);
		if((((w - 0x21 * ONES) & ~w) | ((x - ONES) & ~x)) & HIGHS)
			break;
	}
	for(; p < end; p++)
		if(*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool mcd_prefix_ok(const char *prefix, size_t len)
{
	return len + MCD_MD5_HEX_LEN <= MCD_KEY_MAX && bytes_ok(prefix, len);
}

size_t mcd_key_build(const char *prefix, size_t prefix_len, const char *key,
		size_t key_len, char out[MCD_KEY_MAX + 1], bool *hashed)
{
	bool h;

	if(key == NULL || key_len == 0 || prefix_len + MCD_MD5_HEX_LEN > MCD_KEY_MAX)
		return 0;
	h = prefix_len + key_len > MCD_KEY_MAX || !bytes_ok(key, key_len);
	if(hashed)
		*hashed = h;
	if(prefix_len)
		memcpy(out, prefix, prefix_len);
	if(h) {
		if(mcd_md5_hex(key, key_len, out + prefix_len) < 0)
			return 0;
		key_len = MCD_MD5_HEX_LEN;
	} else {
		memcpy(out + prefix_len, key, key_len);
	}
	out[prefix_len + key_len] = '\0';
	return prefix_len + key_len;
}

void mcd_key_printable(const char *key, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if(outlen == 0)
		return;
	for(i = 0; i < len; i++) {
		unsigned char b = (unsigned char)key[i];
		size_t need = (b >= 0x20 && b < 0x7f && b != '\\') ? 1 : 4;
		if(o + need + 4 > outlen) { /* room for "..." and NUL */
			if(o + 4 <= outlen) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if(need == 1) {
			out[o++] = (char)b;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[b >> 4];
			out[o++] = hex[b & 15];
		}
	}
	out[o] = '\0';
}
