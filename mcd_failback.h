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
 * Failback (SPEC section 10): a server that returns never turns time
 * back. While a server is marked dead, every change this instance sends
 * to a server standing in for it is first recorded in the journal
 * (mcd_journal.h). When the server answers the prober again, the prober
 * settles those keys before it clears the mark: each is deleted on every
 * server (the owner, whose value predates the outage, and wherever a
 * stand-in copy may be), so a read afterwards misses once instead of
 * finding a value that was replaced or deleted. Keys that did not fit in
 * the journal make the returning server be flushed instead.
 */
#ifndef MCD_FAILBACK_H
#define MCD_FAILBACK_H

#include "mcd_client.h"
#include "mcd_journal.h"

typedef enum mcd_fb_overflow {
	MCD_FB_FLUSH_ALL = 1, /* flush the returning server and its stand-ins */
	MCD_FB_FLUSH_OWNER = 2 /* flush the returning server only */
} mcd_fb_overflow;

/*
 * Turns failback on for this client: j (shared by every process of the
 * instance, NULL = off) must outlive it. Needs the prober: the mark of a
 * returning server is cleared only by mcd_probe_tick once its keys are
 * settled.
 */
void mcd_client_set_failback(
		mcd_client *c, mcd_journal *j, mcd_fb_overflow overflow);

/* The journal of this client (NULL when failback is off). */
mcd_journal *mcd_client_journal(const mcd_client *c);

#endif
