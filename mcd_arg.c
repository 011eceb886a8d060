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
 * Copies of script arguments: see mcd_arg.h.
 */
#include <string.h>

#include "core/mem/mem.h"

#include "mcd_arg.h"

int mcd_arg_copy(mcd_arg *a, const str *src)
{
	size_t len = (src != NULL && src->s != NULL && src->len > 0)
						 ? (size_t)src->len
						 : 0;

	a->pkg = NULL;
	a->s.s = a->buf;
	a->s.len = 0;
	if(len > sizeof(a->buf)) {
		if((a->pkg = pkg_malloc(len)) == NULL)
			return -1;
		a->s.s = a->pkg;
	}
	if(len > 0)
		memcpy(a->s.s, src->s, len);
	a->s.len = (int)len;
	return 0;
}

void mcd_arg_borrow(mcd_arg *a, const str *src)
{
	a->pkg = NULL;
	a->s = *src;
}

void mcd_arg_release(mcd_arg *a)
{
	if(a->pkg != NULL) {
		pkg_free(a->pkg);
		a->pkg = NULL;
	}
	a->s.s = a->buf;
	a->s.len = 0;
}
