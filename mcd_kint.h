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
 * Script integers of the host Kamailio, in one place. Up to 5.6 script
 * integers (pv_value_t.ri) are int; from 5.7 they are long and KEMI has
 * SR_KEMIP_LONG. Decided from the headers we build against, never from a
 * version number.
 */
#ifndef MCD_KINT_H
#define MCD_KINT_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "core/pvar.h"
#include "core/kemi.h"

/* the type of a script integer: int (5.6) or long (5.7 and later) */
typedef __typeof__(((pv_value_t *)0)->ri) mcd_kint;

#define MCD_KINT_IS64 (sizeof(mcd_kint) >= sizeof(int64_t))
#define MCD_KINT_MAX (MCD_KINT_IS64 ? INT64_MAX : (int64_t)INT_MAX)
#define MCD_KINT_MIN (MCD_KINT_IS64 ? INT64_MIN : (int64_t)INT_MIN)

/* v can be a script integer on this host */
static inline int mcd_kint_fits(int64_t v)
{
	return v >= MCD_KINT_MIN && v <= MCD_KINT_MAX;
}

/*
 * A KEMI return value for a counter: a number when the host can carry it
 * (64-bit with SR_KEMIP_LONG, else 32-bit), else its decimal text in num.
 */
static inline void mcd_kint_kemi_u64(
		sr_kemi_xval_t *x, uint64_t v, char *num, size_t numlen)
{
	if(v <= (uint64_t)INT_MAX) {
		x->vtype = SR_KEMIP_INT;
		x->v.n = (int)v;
		return;
	}
#ifdef SR_KEMIP_LONG
	if(sizeof(long) >= sizeof(int64_t) && v <= (uint64_t)INT64_MAX) {
		x->vtype = SR_KEMIP_LONG;
		x->v.l = (long)v;
		return;
	}
#endif
	x->vtype = SR_KEMIP_STR;
	x->v.s.s = num;
	x->v.s.len = snprintf(num, numlen, "%llu", (unsigned long long)v);
}

#endif
