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
 * The prober process and the event routes it runs:
 * event_route[memcached:server-down] and event_route[memcached:server-up]
 * (or the KEMI function named by event_callback).
 */
#ifndef MCD_EVENT_H
#define MCD_EVENT_H

#include "core/str.h"

/* module parameters (memcached.c) */
extern int mcd_probe_interval; /* ms, 0 = no prober */
extern str mcd_event_callback;  /* KEMI function, empty = event routes */

/* mod_init: checks probe_interval, finds the event routes, reserves the
 * prober process. 0 or -1 (logged). */
int mcd_event_init(void);

/* child_init: forks the prober from the main process. 0 or -1 (logged). */
int mcd_event_child_init(int rank);

#endif
