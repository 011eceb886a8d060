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

#include "mcd_lmalloc.h"

/*
 * libmemcached 1.1.4 aborts (an assert kept in distribution builds) when
 * it cannot allocate the record of an error, which is what follows a
 * failed allocation. So the library never sees one: when the host
 * allocator is exhausted the block comes from the system heap, tagged so
 * that free and realloc hand it back where it came from.
 */
typedef struct lm_hdr {
	size_t size;
	int sys; /* 1: from malloc(), 0: from the host allocator */
} lm_hdr;
#define LM_HDR ((sizeof(lm_hdr) + 15) & ~(size_t)15) /* keeps alignment */

static void *lm_tag(char *p, size_t size, int sys)
{
	lm_hdr h = {size, sys};

	if(p == NULL)
		return NULL;
	memcpy(p, &h, sizeof(h));
	return p + LM_HDR;
}

static lm_hdr lm_hdr_of(const void *mem)
{
	lm_hdr h;

	memcpy(&h, (const char *)mem - LM_HDR, sizeof(h));
	return h;
}

static void *lm_malloc(const memcached_st *mc, const size_t size, void *vctx)
{
	mcd_lm_ctx *ctx = vctx;
	char *p;

	(void)mc;
	if(size > SIZE_MAX - LM_HDR)
		return NULL;
	ctx->calls++;
	if((p = mcd_alloc(&ctx->alloc, size + LM_HDR)) != NULL)
		return lm_tag(p, size, 0);
	ctx->sys_fallbacks++;
	return lm_tag(malloc(size + LM_HDR), size, 1);
}

static void lm_free(const memcached_st *mc, void *mem, void *vctx)
{
	mcd_lm_ctx *ctx = vctx;
	char *p;

	(void)mc;
	if(mem == NULL)
		return;
	p = (char *)mem - LM_HDR;
	if(lm_hdr_of(mem).sys)
		free(p);
	else
		mcd_free(&ctx->alloc, p);
}

static void *lm_realloc(
		const memcached_st *mc, void *mem, const size_t size, void *vctx)
{
	mcd_lm_ctx *ctx = vctx;
	lm_hdr h;
	char *p, *n;

	if(mem == NULL)
		return lm_malloc(mc, size, vctx);
	if(size > SIZE_MAX - LM_HDR)
		return NULL;
	ctx->calls++;
	h = lm_hdr_of(mem);
	p = (char *)mem - LM_HDR;
	n = h.sys ? realloc(p, size + LM_HDR)
			  : mcd_realloc(&ctx->alloc, p, size + LM_HDR);
	if(n != NULL)
		return lm_tag(n, size, h.sys);
	/* the host heap is exhausted: move the block to the system heap */
	n = lm_malloc(mc, size, vctx);
	if(n == NULL)
		return NULL;
	memcpy(n, mem, h.size < size ? h.size : size);
	lm_free(mc, mem, vctx);
	return n;
}

static void *lm_calloc(
		const memcached_st *mc, size_t nelem, const size_t elsize, void *vctx)
{
	void *p;

	if(elsize && nelem > SIZE_MAX / elsize)
		return NULL;
	p = lm_malloc(mc, nelem * elsize, vctx);
	if(p)
		memset(p, 0, nelem * elsize);
	return p;
}

int mcd_lm_attach(memcached_st *mc, mcd_lm_ctx *ctx)
{
	const mcd_allocator *sys = mcd_allocator_system();

	ctx->native = ctx->alloc.malloc_fn == sys->malloc_fn
				  && ctx->alloc.realloc_fn == sys->realloc_fn
				  && ctx->alloc.free_fn == sys->free_fn;
	if(ctx->native)
		return 0;
	return memcached_set_memory_allocators(
				   mc, lm_malloc, lm_free, lm_realloc, lm_calloc, ctx)
						   == MEMCACHED_SUCCESS
				   ? 0
				   : -1;
}

void mcd_lm_free(mcd_lm_ctx *ctx, void *mem)
{
	if(ctx->native)
		free(mem);
	else
		lm_free(NULL, mem, ctx);
}
