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
#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/script_cb.h"

#include "memcached.h"
#include "mcd_slot.h"

static mcd_buf mcd_slots[MCD_SLOT_COUNT];
static int mcd_slot_next = 0;

void mcd_slot_trim(void)
{
	size_t total, big;
	int i, at;

	/* eight slots: a few passes cost less than keeping them sorted */
	for(;;) {
		total = 0;
		big = 0;
		at = -1;
		for(i = 0; i < MCD_SLOT_COUNT; i++) {
			total += mcd_slots[i].cap;
			if(mcd_slots[i].cap > big) {
				big = mcd_slots[i].cap;
				at = i;
			}
		}
		if(total <= MCD_SLOT_BUDGET || at < 0)
			return;
		mcd_buf_free(&mcd_slots[at]);
	}
}

/* after a request or a reply has been through its route: nothing read for
 * it is in use any more */
static int mcd_slot_after_msg(struct sip_msg *msg, unsigned int flags, void *p)
{
	mcd_slot_trim();
	return 1;
}

int mcd_slot_init(void)
{
	int i;

	for(i = 0; i < MCD_SLOT_COUNT; i++)
		mcd_buf_init(&mcd_slots[i], &mcd_pkg_allocator);
	/* top-level routes only: a branch route runs inside the request
	 * route, which may still use the values it read */
	if(register_script_cb(mcd_slot_after_msg,
			   POST_SCRIPT_CB | REQUEST_CB | ONREPLY_CB, NULL)
			< 0) {
		LM_ERR("memcached: cannot register the script callback\n");
		return -1;
	}
	return 0;
}

void mcd_slot_destroy(void)
{
	int i;

	for(i = 0; i < MCD_SLOT_COUNT; i++)
		mcd_buf_free(&mcd_slots[i]);
}

mcd_buf *mcd_value_slot(void)
{
	mcd_buf *b = &mcd_slots[mcd_slot_next];

	mcd_slot_next = (mcd_slot_next + 1) % MCD_SLOT_COUNT;
	return b;
}
