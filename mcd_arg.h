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
 * Copies of script arguments. Kamailio hands back an expanded argument in
 * a buffer that the next expansion may reuse: the text of an integer
 * variable in one static buffer (int2str), format strings in the ring of
 * PV print buffers, transformations in a ring of their own, and some PVs
 * in static buffers of their own. An argument still needed while another
 * is expanded is copied first: small ones into the caller's mcd_arg,
 * larger ones into pkg memory that mcd_arg_release frees.
 */
#ifndef MCD_ARG_H
#define MCD_ARG_H

#include "core/str.h"

#define MCD_ARG_INLINE 256 /* most keys and small values: no allocation */

typedef struct mcd_arg {
	str s;      /* the copy; valid until mcd_arg_release */
	char *pkg;  /* owned pkg block when the copy did not fit in buf */
	char buf[MCD_ARG_INLINE];
} mcd_arg;

/*
 * Makes a->s a copy of src (which may be empty). 0 ok, -1 when pkg memory
 * is short (a->s is then empty; nothing to release). Logs nothing: the
 * caller reports the outcome.
 */
int mcd_arg_copy(mcd_arg *a, const str *src);

/*
 * Makes a->s refer to src without copying: for text that outlives the call
 * (a literal fixed at start-up). Release is still allowed.
 */
void mcd_arg_borrow(mcd_arg *a, const str *src);

/* Frees what mcd_arg_copy allocated; a->s is empty afterwards. */
void mcd_arg_release(mcd_arg *a);

#endif
