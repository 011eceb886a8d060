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
 * Script functions (mcd_add, mcd_incr, ...) and their KEMI exports.
 */
#ifndef MCD_FUNC_H
#define MCD_FUNC_H

#include "core/sr_module.h"

extern cmd_export_t mcd_cmds[];

/* Registers KEMI exports (KSR.memcached.*); called from mod_register. */
int mcd_kemi_register(void);

#endif
