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
 * Failback in Kamailio: its parameters, and the journal in shared memory
 * (made in mod_init, before the fork, so every process of the instance
 * records into the one the prober settles).
 */
#ifndef MCD_FBMOD_H
#define MCD_FBMOD_H

#include <stddef.h>

#include "mcd_client.h"
#include "mcd_journal.h"

/* module parameters */
extern int mcd_failback;          /* 1 = on (default) */
extern int mcd_failback_keys;     /* keys remembered per instance */
extern int mcd_failback_overflow; /* 1 flush returning + stand-ins, 2 returning */

/* mod_init: checks the parameters and makes the journal when failback
 * applies (several servers, failover, a prober). 0 or -1 (logged). */
int mcd_fbmod_init(size_t nservers, int failover, int probe_interval);

/* Puts failback on a new client of this process (no-op when off). */
void mcd_fbmod_attach(mcd_client *c);

/* The journal (NULL when failback is off). */
mcd_journal *mcd_fbmod_journal(void);

/* mod_destroy: frees the journal. */
void mcd_fbmod_destroy(void);

#endif
