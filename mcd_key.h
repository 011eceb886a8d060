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
 * Script keys: the "key=>N" expiry suffix, expiry numbers, and the mapping
 * of any script key to a valid memcached key (prefix + key, or
 * prefix + md5hex(key) when too long or holding bytes the protocol forbids).
 * Pure functions: no I/O, no allocation.
 */
#ifndef MCD_KEY_H
#define MCD_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCD_KEY_MAX 250          /* memcached's limit, prefix included */
#define MCD_EXPIRE_MAX 0x7fffffffu /* largest expiry the server takes */

/*
 * Splits "key=>N" at the first "=>", as the shipped module does, so both
 * modules see the same key. Without "=>", *key = whole input and
 * *has_expire = false. The text after "=>" must parse with
 * mcd_parse_expire, otherwise returns false (nothing may be written).
 */
bool mcd_split_key_expire(const char *in, size_t len, const char **key,
		size_t *key_len, bool *has_expire, uint32_t *expire);

/*
 * Parses a non-negative decimal expiry of exactly len bytes. Rejects "",
 * signs, spaces, any non-digit and values above MCD_EXPIRE_MAX.
 */
bool mcd_parse_expire(const char *s, size_t len, uint32_t *out);

/* True when b may appear in a memcached text-protocol key. */
bool mcd_key_byte_ok(unsigned char b);

/* True when the prefix is usable: valid bytes and room left for a hash. */
bool mcd_prefix_ok(const char *prefix, size_t len);

/*
 * Writes the wire key for a script key into out (MCD_KEY_MAX + 1 bytes,
 * NUL-terminated) and returns its length, or 0 when the key is empty or
 * hashing failed. *hashed tells whether MD5 was used (may be NULL).
 */
size_t mcd_key_build(const char *prefix, size_t prefix_len, const char *key,
		size_t key_len, char out[MCD_KEY_MAX + 1], bool *hashed);

#define MCD_KEY_SHOW_MAX 100 /* bytes of a key shown in a log line */

/*
 * Writes a log-safe rendering of a key to out (NUL-terminated): bytes
 * outside printable ASCII as \xNN, cut with "..." when longer than fits,
 * so a key from a SIP message cannot forge log lines.
 */
void mcd_key_printable(const char *key, size_t len, char *out, size_t outlen);

#endif
