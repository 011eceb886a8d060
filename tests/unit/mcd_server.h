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
 * A private memcached for tests: 127.0.0.1 on a free port, started and
 * stopped by PID, with stop/freeze/thaw/restart for fault tests, and a few
 * raw text-protocol helpers so tests can look at the server directly
 * (without going through the code under test).
 */
#ifndef MCD_TEST_SERVER_H
#define MCD_TEST_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct mcd_ts {
	pid_t pid;      /* 0 when not running */
	int port;       /* kept across stop/restart */
	int frozen;     /* SIGSTOP sent, no SIGCONT yet */
	char sasl_dir[256]; /* SASL_CONF_PATH for -S, "" = no SASL */
} mcd_ts;

/* Starts on a new free port. sasl_dir NULL = no SASL. 0 ok, -1 failure. */
int mcd_ts_start(mcd_ts *s, const char *sasl_dir);
/* SIGTERM, then SIGKILL if it lingers (150 ms); waits for it. NULL-safe,
 * idempotent. */
void mcd_ts_stop(mcd_ts *s);
/* SIGSTOP: the port stays open (the kernel still accepts) but nothing answers. */
int mcd_ts_freeze(mcd_ts *s);
/* SIGCONT. */
int mcd_ts_thaw(mcd_ts *s);
/* Stops it if running, starts a fresh one (empty) on the same port. */
int mcd_ts_restart(mcd_ts *s);

/*
 * Sends req and reads until the reply ends with one of the terminators
 * ("END\r\n", "STORED\r\n"...). Returns the reply length (NUL-terminated
 * in resp) or -1 on error/timeout.
 */
long mcd_ts_raw(int port, const char *req, size_t req_len, char *resp,
		size_t resp_cap, int timeout_ms);
/* "stats" value by name; 0 ok, -1 missing/error. */
int mcd_ts_stat(int port, const char *name, uint64_t *val);
/*
 * "get key" on the wire. 1 found (value copied, *len and *flags set),
 * 0 missing, -1 error or value larger than cap.
 */
int mcd_ts_get(int port, const char *key, char *val, size_t cap, size_t *len,
		uint32_t *flags);
/* "set key flags 0 len" with raw bytes; 0 ok (STORED), -1 otherwise. */
int mcd_ts_set(int port, const char *key, const char *val, size_t len,
		uint32_t flags);

#endif
