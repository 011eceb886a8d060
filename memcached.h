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

/* The near cache shared by all processes (NULL when off). */
struct mcd_near;
struct mcd_near *mcd_near_shared(void);

/* Script return codes (SPEC section 4). */
#define MCD_RET_OK 1      /* done or found */
#define MCD_RET_COND -1   /* missing, exists, not stored */
#define MCD_RET_SERVER -2 /* server or connection error */
#define MCD_RET_ARG -3    /* bad argument */

/* The script code of an outcome: the one mapping functions, KEMI and
 * $mcd(rc) share. */
int mcd_script_rc(mcd_rc rc);

/* Kamailio's private (pkg) and shared (shm) memory as core allocators. */
extern const mcd_allocator mcd_pkg_allocator;
extern const mcd_allocator mcd_shm_allocator;

/*
 * Every script-facing operation calls this exactly once with its outcome
 * (MCD_OK included): it sets $mcd(rc) and $mcd(err), and logs a failure
 * once, at the level it deserves: debug for the expected answers
 * (NOT_FOUND, EXISTS, NOT_STORED) and fail-fast on a dead server, error
 * otherwise. Bad arguments found by the caller come here as MCD_E_ARG.
 */
void mcd_log_result(const char *op, const str *key, mcd_rc rc);

/*
 * Notes why an argument was refused in the Kamailio layer; the next
 * mcd_log_result(..., MCD_E_ARG) logs this reason (once, at error level)
 * and puts it in $mcd(err).
 */
void mcd_arg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
