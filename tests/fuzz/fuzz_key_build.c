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
 * Wire keys and their log rendering.
 * mcd_key_build: empty key or oversized prefix give 0; otherwise the result
 * is prefix + key when that is at most 250 valid bytes, else prefix + the
 * lower-case MD5 hex of the key (checked against OpenSSL directly); the
 * part after the prefix is always valid memcached key bytes.
 * mcd_key_printable: stays inside its buffer, prints only visible ASCII,
 * and decodes back to the key (or a prefix of it, marked "...").
 * Input: byte 0 = prefix length, byte 1 = rendering buffer size, then
 * prefix bytes, then key bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mcd_key.h"
#include "mcd_md5.h"
#include "fuzz_common.h"

static int valid_byte(unsigned char b)
{
	return b > 0x20 && b != 0x7f;
}

static void md5_hex(const uint8_t *d, size_t len, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	FZ_CHECK(EVP_Digest(d, len, md, &mdlen, EVP_md5(), NULL) == 1 && mdlen == 16,
			"OpenSSL MD5 failed");
	for(i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[32] = '\0';
}

static int hexval(char c)
{
	if(c >= '0' && c <= '9')
		return c - '0';
	if(c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes a rendering of n chars; returns the decoded length. */
static size_t decode(const char *s, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;

	while(i < n) {
		if(s[i] == '\\') {
			FZ_CHECK(i + 4 <= n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0
							&& hexval(s[i + 3]) >= 0,
					"bad escape at %zu in '%.*s'", i, (int)n, s);
			out[o++] = (uint8_t)(hexval(s[i + 2]) * 16 + hexval(s[i + 3]));
			i += 4;
		} else {
			out[o++] = (uint8_t)s[i++];
		}
	}
	return o;
}

static void check_printable(const uint8_t *key, size_t klen, size_t outlen)
{
	char *out = malloc(outlen ? outlen : 1);
	uint8_t *dec;
	size_t n, i, full = 0, d;

	FZ_CHECK(out != NULL, "no memory");
	memset(out, 'Z', outlen ? outlen : 1);
	mcd_key_printable((const char *)key, klen, out, outlen);
	if(outlen == 0) {
		FZ_CHECK(out[0] == 'Z', "wrote into a zero-size buffer");
		free(out);
		return;
	}
	n = strnlen(out, outlen);
	FZ_CHECK(n < outlen, "rendering not NUL-terminated in %zu bytes", outlen);
	for(i = 0; i < n; i++)
		FZ_CHECK(out[i] >= 0x20 && out[i] < 0x7f,
				"byte 0x%02x in the rendering", (unsigned char)out[i]);
	for(i = 0; i < klen; i++)
		full += (key[i] >= 0x20 && key[i] < 0x7f && key[i] != '\\') ? 1 : 4;

	dec = malloc(n + 1);
	FZ_CHECK(dec != NULL, "no memory");
	d = decode(out, n, dec);
	if(d != klen || memcmp(dec, key, klen) != 0) {
		/* cut: "..." after the start of the key, or nothing at all when
		 * not even the mark fits */
		if(n == 0) {
			FZ_CHECK(outlen < 4, "nothing shown with %zu bytes of room", outlen);
		} else {
			FZ_CHECK(n >= 3 && memcmp(out + n - 3, "...", 3) == 0,
					"rendering neither whole nor marked as cut");
			d = decode(out, n - 3, dec);
			FZ_CHECK(d < klen && memcmp(dec, key, d) == 0,
					"cut rendering is not a start of the key");
		}
	}
	/* the whole key is shown when it fits with room for a cut mark */
	if(full + 4 <= outlen)
		FZ_CHECK(n == full, "key fits (%zu of %zu) but was cut", full, outlen);
	free(dec);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[MCD_KEY_MAX + 1 + 16];
	char want[33];
	const uint8_t *prefix, *key;
	size_t plen, klen, n, i, outlen;
	bool hashed = false, expect_hash, prefix_valid = true;

	if(size < 2)
		return 0;
	plen = data[0];
	outlen = data[1];
	data += 2;
	size -= 2;
	if(plen > size)
		plen = size;
	prefix = data;
	key = data + plen;
	klen = size - plen;

	/* canary after the buffer the API promises to stay within */
	memset(out, 'Q', sizeof(out));
	n = mcd_key_build((const char *)prefix, plen, (const char *)key, klen, out,
			&hashed);
	for(i = MCD_KEY_MAX + 1; i < sizeof(out); i++)
		FZ_CHECK(out[i] == 'Q', "wrote past MCD_KEY_MAX + 1");

	if(klen == 0 || plen + MCD_MD5_HEX_LEN > MCD_KEY_MAX) {
		FZ_CHECK(n == 0, "key of %zu bytes, prefix %zu: length %zu, want 0",
				klen, plen, n);
	} else {
		expect_hash = plen + klen > MCD_KEY_MAX;
		for(i = 0; i < klen; i++)
			if(!valid_byte(key[i]))
				expect_hash = true;
		FZ_CHECK(hashed == expect_hash, "hashed=%d, want %d (prefix %zu, key %zu)",
				hashed, expect_hash, plen, klen);
		FZ_CHECK(n > 0 && n <= MCD_KEY_MAX && out[n] == '\0',
				"length %zu / terminator", n);
		FZ_CHECK(memcmp(out, prefix, plen) == 0, "prefix not in front");
		if(hashed) {
			md5_hex(key, klen, want);
			FZ_CHECK(n == plen + MCD_MD5_HEX_LEN
							&& memcmp(out + plen, want, MCD_MD5_HEX_LEN) == 0,
					"hash part '%.*s', want '%s'", (int)(n - plen), out + plen,
					want);
		} else {
			FZ_CHECK(n == plen + klen && memcmp(out + plen, key, klen) == 0,
					"key not copied as is");
		}
		for(i = plen; i < n; i++)
			FZ_CHECK(valid_byte((unsigned char)out[i]),
					"invalid byte 0x%02x at %zu of the wire key",
					(unsigned char)out[i], i);
		for(i = 0; i < plen; i++)
			if(!valid_byte(prefix[i]))
				prefix_valid = false;
		FZ_CHECK(mcd_prefix_ok((const char *)prefix, plen) == prefix_valid,
				"mcd_prefix_ok disagrees (prefix %zu bytes)", plen);
	}

	check_printable(key, klen, outlen);
	check_printable(data, size, outlen);
	return 0;
}
