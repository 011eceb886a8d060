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
 * $mcd(rc), $mcd(err), $mcd(server): what the script can learn about the
 * last memcached operation of this process and, in event_route[memcached:*],
 * about the server the event is for.
 */
#ifndef MCD_PVINFO_H
#define MCD_PVINFO_H

#include "core/pvar.h"

#include "mcd_err.h"

int pv_parse_mcd_info_name(pv_spec_p sp, str *in);
int pv_get_mcd_info(struct sip_msg *msg, pv_param_t *param, pv_value_t *res);

/* Records the outcome of a script-facing operation: its script code and,
 * unless it succeeded, the text of the failure (truncated, NUL-free). */
void mcd_pvinfo_record(int script_rc, const char *err);

/* The server of the event being run; NULL when no event runs. */
void mcd_pvinfo_set_server(const char *server);

#endif
