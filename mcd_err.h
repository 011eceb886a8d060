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
 * Outcomes of every core operation: one enum, one to-string function.
 * Negative values are failures; MCD_OK and the "condition" outcomes
 * (NOT_FOUND, EXISTS, NOT_STORED) are answers the server gave on purpose.
 */
#ifndef MCD_ERR_H
#define MCD_ERR_H

typedef enum mcd_rc {
	MCD_OK = 0,
	MCD_NOT_FOUND = 1,  /* key missing (get, delete, touch, replace, append) */
	MCD_EXISTS = 2,     /* add on a key that is present */
	MCD_NOT_STORED = 3, /* the server declined the write for another reason */

	MCD_E_ARG = -1,     /* bad argument: empty key, bad expire or delta */
	MCD_E_NOMEM = -2,   /* the allocator failed */
	MCD_E_NOT_NUMBER = -3, /* incr/decr on a value that is not a number */
	MCD_E_TOO_BIG = -4, /* value refused by the server for its size */
	MCD_E_DEAD = -5,    /* server marked dead: failed fast, nothing sent */
	MCD_E_TIMEOUT = -6, /* server did not answer within the timeout */
	MCD_E_CONN = -7,    /* could not connect, or the connection broke */
	MCD_E_AUTH = -8,    /* SASL authentication failed */
	MCD_E_SERVER = -9,  /* any other error reported by server or library */
	MCD_E_CONFIG = -10, /* invalid configuration */
	MCD_E_FOREIGN = -11 /* client made by another process (inherited over
						 * fork): nothing sent, its sockets are not ours */
} mcd_rc;

/* Static, never NULL, e.g. "not found", "server marked dead". */
const char *mcd_strerror(mcd_rc rc);

/* True for the outcomes that count against a server's health. */
int mcd_rc_is_server_fault(mcd_rc rc);

#endif
