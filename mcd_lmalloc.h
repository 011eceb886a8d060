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
 * The adapter that gives libmemcached the host allocator. Every block the
 * library allocates goes through it, and it counts them, so tests can tell
 * the library's allocations from the module's own.
 */
#ifndef MCD_LMALLOC_H
#define MCD_LMALLOC_H

#include <stdint.h>

#include <libmemcached/memcached.h>

#include "mcd_alloc.h"

typedef struct mcd_lm_ctx {
	mcd_allocator alloc;    /* the host allocator the library uses */
	int native;             /* alloc is the system heap: the library keeps
							 * its own malloc, with nothing in between */
	uint64_t calls;         /* malloc/calloc/realloc calls of the library */
	uint64_t sys_fallbacks; /* of those, served by the system heap */
} mcd_lm_ctx;

/* Makes mc allocate through ctx (which must outlive mc). 0 ok, -1 refused.
 * With the system allocator the library is left on its own malloc, which
 * is the same heap at less cost, and nothing is counted. */
int mcd_lm_attach(memcached_st *mc, mcd_lm_ctx *ctx);

/* Frees a block the library returned to us (e.g. a value of memcached_get). */
void mcd_lm_free(mcd_lm_ctx *ctx, void *mem);

#endif
