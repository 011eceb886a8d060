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
#ifndef MCD_MD5_H
#define MCD_MD5_H

#include <stddef.h>

#define MCD_MD5_HEX_LEN 32

/* Writes the 32 lower-case hex digits of MD5(data) to out (no NUL).
 * Returns 0, or -1 when OpenSSL fails. */
int mcd_md5_hex(const void *data, size_t len, char out[MCD_MD5_HEX_LEN]);

#endif
