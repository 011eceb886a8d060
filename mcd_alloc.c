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
#include <stdlib.h>
#include <string.h>

#include "mcd_alloc.h"

static void *sys_malloc(size_t size, void *ctx)
{
	(void)ctx;
	return malloc(size);
}

static void *sys_realloc(void *ptr, size_t size, void *ctx)
{
	(void)ctx;
	return realloc(ptr, size);
}

static void sys_free(void *ptr, void *ctx)
{
	(void)ctx;
	free(ptr);
}

static const mcd_allocator system_allocator = {
		sys_malloc, sys_realloc, sys_free, NULL};

const mcd_allocator *mcd_allocator_system(void)
{
	return &system_allocator;
}

void *mcd_alloc(const mcd_allocator *a, size_t size)
{
	/* some host allocators return NULL for 0 bytes; ask for one */
	return a->malloc_fn(size ? size : 1, a->ctx);
}

void *mcd_calloc(const mcd_allocator *a, size_t n, size_t size)
{
	void *p;

	if(size && n > (size_t)-1 / size)
		return NULL;
	p = mcd_alloc(a, n * size);
	if(p)
		memset(p, 0, n * size);
	return p;
}

void *mcd_realloc(const mcd_allocator *a, void *ptr, size_t size)
{
	if(ptr == NULL)
		return mcd_alloc(a, size);
	return a->realloc_fn(ptr, size ? size : 1, a->ctx);
}

void mcd_free(const mcd_allocator *a, void *ptr)
{
	if(ptr)
		a->free_fn(ptr, a->ctx);
}

void mcd_buf_init(mcd_buf *b, const mcd_allocator *a)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->alloc = a ? a : mcd_allocator_system();
}

int mcd_buf_reserve(mcd_buf *b, size_t len)
{
	char *p;

	if(len == (size_t)-1)
		return -1;
	if(len + 1 <= b->cap)
		return 0;
	/* old content is not kept: free first so peak memory stays low */
	mcd_free(b->alloc, b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	p = mcd_alloc(b->alloc, len + 1);
	if(p == NULL)
		return -1;
	b->data = p;
	b->cap = len + 1;
	return 0;
}

int mcd_buf_set(mcd_buf *b, const char *data, size_t len)
{
	if(mcd_buf_reserve(b, len) < 0)
		return -1;
	if(len)
		memcpy(b->data, data, len);
	b->data[len] = '\0';
	b->len = len;
	return 0;
}

void mcd_buf_free(mcd_buf *b)
{
	if(b == NULL)
		return;
	mcd_free(b->alloc, b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
