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
 * Value slots: the pkg buffers that hold values read for the script. A
 * value stays valid until the ring comes round again (as Kamailio's own PV
 * print buffers do) and, at the latest, until the SIP message that read
 * it has been handled: then slots above the budget are freed, so reading
 * large values does not pin a worker's private memory.
 */
#ifndef MCD_SLOT_H
#define MCD_SLOT_H

#include "mcd_alloc.h"

#define MCD_SLOT_COUNT 8
/* pkg memory the slots may keep between two SIP messages */
#define MCD_SLOT_BUDGET (1024 * 1024)

/* mod_init: sets up the slots and the after-message trim; 0 ok, -1 error */
int mcd_slot_init(void);
/* mod_destroy */
void mcd_slot_destroy(void);

/* The next slot of the ring. */
mcd_buf *mcd_value_slot(void);

/* Frees the largest slots until the rest fit the budget. */
void mcd_slot_trim(void);

#endif
