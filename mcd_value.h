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
 * Value typing shared with the shipped module: integers are stored as
 * decimal text with flags 0, strings with flags 1 (MCD_FLAG_STR).
 * Parsers follow memcached's safe_strto* habit: the whole input or nothing.
 */
#ifndef MCD_VALUE_H
#define MCD_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCD_FLAG_STR 1u
#define MCD_I64_STR_MAX 21 /* "-9223372036854775808" + NUL */

/* Signed 64-bit decimal, optional leading '-', no '+', no spaces. */
bool mcd_parse_i64(const char *s, size_t len, int64_t *out);

/* Unsigned 64-bit decimal, digits only. */
bool mcd_parse_u64(const char *s, size_t len, uint64_t *out);

/*
 * An integer as memcached holds it: after incr/decr shrank a number the
 * server pads it with trailing spaces, so trailing spaces are allowed here
 * (and only here).
 */
bool mcd_parse_stored_int(const char *s, size_t len, int64_t *out);

/* Decimal text of v into out; returns its length. */
size_t mcd_format_i64(int64_t v, char out[MCD_I64_STR_MAX]);

#endif
