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
#include "mcd_err.h"

const char *mcd_strerror(mcd_rc rc)
{
	switch(rc) {
		case MCD_OK: return "ok";
		case MCD_NOT_FOUND: return "not found";
		case MCD_EXISTS: return "key exists";
		case MCD_NOT_STORED: return "not stored";
		case MCD_E_ARG: return "bad argument";
		case MCD_E_NOMEM: return "out of memory";
		case MCD_E_NOT_NUMBER: return "value is not a number";
		case MCD_E_TOO_BIG: return "value too large for the server";
		case MCD_E_DEAD: return "server marked dead";
		case MCD_E_TIMEOUT: return "server timeout";
		case MCD_E_CONN: return "connection failure";
		case MCD_E_AUTH: return "authentication failure";
		case MCD_E_SERVER: return "server error";
		case MCD_E_CONFIG: return "invalid configuration";
		case MCD_E_FOREIGN: return "client belongs to another process";
	}
	return "unknown error";
}

int mcd_rc_is_server_fault(mcd_rc rc)
{
	return rc == MCD_E_TIMEOUT || rc == MCD_E_CONN || rc == MCD_E_DEAD;
}
