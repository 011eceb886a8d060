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
 * Client configuration: the module parameters in plain C types, and the
 * parser of the "servers" list. Validation happens once, before any
 * connection, so a bad value can stop start-up with one clear message.
 */
#ifndef MCD_CONFIG_H
#define MCD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCD_MAX_SERVERS 64
#define MCD_HOST_MAX 256
#define MCD_DEFAULT_PORT 11211
#define MCD_ERRBUF_SIZE 256
/* the library keeps send/receive timeouts in microseconds in an int32 */
#define MCD_TIMEOUT_MAX_MS 2147483

typedef struct mcd_server_addr {
	char host[MCD_HOST_MAX]; /* name, IPv4/IPv6 literal (no brackets) or socket path */
	unsigned port;           /* 0 for a unix socket */
	unsigned weight;         /* >= 1 */
	bool is_unix;
} mcd_server_addr;

typedef struct mcd_server_list {
	size_t count;
	bool weighted; /* some entry gave an explicit weight */
	mcd_server_addr addr[MCD_MAX_SERVERS];
} mcd_server_list;

typedef enum mcd_log_level {
	MCD_LOG_DEBUG,
	MCD_LOG_INFO,
	MCD_LOG_WARN,
	MCD_LOG_ERROR
} mcd_log_level;

/* Host logger; the core never writes to stderr itself. */
typedef void (*mcd_log_fn)(void *ctx, mcd_log_level level, const char *msg);

/* Milliseconds of a monotonic clock; injectable for tests. */
typedef int64_t (*mcd_clock_fn)(void *ctx);

/* The default mcd_clock_fn: CLOCK_MONOTONIC in ms (ctx unused), one clock
 * for every process of a host; and the same clock in microseconds. */
int64_t mcd_clock_mono_ms(void *ctx);
uint64_t mcd_clock_mono_us(void);

typedef struct mcd_config {
	const char *servers;       /* "host[:port][:weight],[v6]:port,/path" */
	const char *prefix;        /* may be NULL or "" */
	int timeout_ms;            /* connect, send, receive and poll bound */
	int binary;                /* 1 = binary protocol */
	int retry_timeout_s;       /* seconds a failed server stays dead */
	int failover;              /* 1 = keys of a dead server go to live ones */
	const char *username;      /* SASL; NULL or "" = none */
	const char *password;
	int slow_threshold_us;     /* > 0: warn on slower operations */
	int noreply;               /* 1 = plain set does not wait (binary) */
	int probe_interval_ms;     /* 0 = no prober: dead marks run out alone */
	mcd_clock_fn now_ms;       /* NULL = CLOCK_MONOTONIC */
	void *clock_ctx;
	mcd_log_fn log;            /* may be NULL */
	void *log_ctx;
} mcd_config;

/* Defaults of SPEC section 1 (servers "localhost:11211", timeout 5000...).
 * expire, mode and stringify are the host's: the core does not use them. */
void mcd_config_defaults(mcd_config *cfg);

/*
 * Parses the servers parameter. On failure returns false and writes a
 * message naming the bad entry to err (NUL-terminated, errlen bytes).
 */
bool mcd_servers_parse(const char *text, mcd_server_list *out, char *err,
		size_t errlen);

/*
 * Checks every field, parsing the servers into *servers (may be NULL when
 * the caller does not need them). On failure returns false and writes
 * "<param>: <reason>" to err, e.g. "timeout: must be > 0 milliseconds".
 */
bool mcd_config_check(const mcd_config *cfg, mcd_server_list *servers,
		char *err, size_t errlen);

#endif
