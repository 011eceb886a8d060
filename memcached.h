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
 * Kamailio memcached module: what the Kamailio-facing files share.
 */
#ifndef MEMCACHED_H
#define MEMCACHED_H

#include "core/str.h"

#include "mcd_alloc.h"
#include "mcd_client.h"

/* module parameters */
extern char *mcd_srv_str;
extern int mcd_expire;
extern int mcd_mode;
extern int mcd_stringify;

/*
 * This process's client, created on first use (child_init creates it in
 * every worker). NULL only when it cannot be created (logged once).
 */
mcd_client *mcd_client_get(void);

/*
 * One of a small ring of pkg buffers that hold values read for the script:
 * a value stays valid until the ring comes round again, as with Kamailio's
 * own PV print buffers.
 */
mcd_buf *mcd_value_slot(void);

/*
 * Logs a failed operation once, at the level its outcome deserves:
 * debug for NOT_FOUND and fail-fast on a dead server, error otherwise.
 */
void mcd_log_result(const char *op, const str *key, mcd_rc rc);

#endif
