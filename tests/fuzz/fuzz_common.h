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
/* Shared by the fuzz targets: a failed property aborts with a message,
 * so libFuzzer keeps the input as a crash. */
#ifndef MCD_FUZZ_COMMON_H
#define MCD_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#define FZ_CHECK(cond, ...) \
	do { \
		if(!(cond)) { \
			fprintf(stderr, "property failed at %s:%d: %s: ", __FILE__, \
					__LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while(0)

#endif
