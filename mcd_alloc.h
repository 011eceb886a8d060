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
 * Pluggable allocator. The client library, the client handle and every
 * value buffer go through one of these, so the host decides where memory
 * lives (system heap, Kamailio pkg or shm) and tests can count or fail.
 */
#ifndef MCD_ALLOC_H
#define MCD_ALLOC_H

#include <stddef.h>

typedef struct mcd_allocator {
	void *(*malloc_fn)(size_t size, void *ctx);
	void *(*realloc_fn)(void *ptr, size_t size, void *ctx);
	void (*free_fn)(void *ptr, void *ctx); /* never called with NULL */
	void *ctx;
} mcd_allocator;

/* malloc/realloc/free of the C library. */
const mcd_allocator *mcd_allocator_system(void);

void *mcd_alloc(const mcd_allocator *a, size_t size);
void *mcd_calloc(const mcd_allocator *a, size_t n, size_t size);
void *mcd_realloc(const mcd_allocator *a, void *ptr, size_t size);
void mcd_free(const mcd_allocator *a, void *ptr); /* NULL-safe */

/*
 * A growable byte buffer that remembers the allocator that made it, so the
 * one who frees it cannot pick the wrong one. Data is always followed by a
 * NUL byte (not counted in len) for the convenience of C-string consumers;
 * the value itself may hold NULs, so use len.
 */
typedef struct mcd_buf {
	char *data;
	size_t len;
	size_t cap;
	const mcd_allocator *alloc;
} mcd_buf;

void mcd_buf_init(mcd_buf *b, const mcd_allocator *a);
/* Makes room for len bytes + NUL; keeps nothing of the old content. */
int mcd_buf_reserve(mcd_buf *b, size_t len);
/* Copies len bytes in (replacing the content); 0 ok, -1 no memory. */
int mcd_buf_set(mcd_buf *b, const char *data, size_t len);
void mcd_buf_free(mcd_buf *b); /* NULL-safe, leaves an empty buffer */

#endif
