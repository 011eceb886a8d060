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
 * Statistics of group "memcached" through Kamailio's statistics API
 * (kamcmd stats.get_statistics memcached:, xhttp_prom, snmpstats).
 */
#ifndef MCD_STATS_H
#define MCD_STATS_H

/* mod_init: registers the statistics. 0 or -1 (logged). */
int mcd_stats_register(void);

#endif
