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
#define _GNU_SOURCE /* memrchr */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mcd_config.h"
#include "mcd_key.h"
#include "mcd_value.h"

int64_t mcd_clock_mono_ms(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t mcd_clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void mcd_config_defaults(mcd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->servers = "localhost:11211";
	cfg->prefix = "";
	cfg->timeout_ms = 5000;
	cfg->retry_timeout_s = 5;
	cfg->failover = 1;
	cfg->probe_interval_ms = 500;
}

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if(err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* Parses a decimal in [min, max] of exactly len bytes. */
static bool parse_num(const char *s, size_t len, unsigned min, unsigned max,
		unsigned *out)
{
	uint64_t v;

	if(!mcd_parse_u64(s, len, &v) || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* One entry, already trimmed: host[:port][:weight], [v6][:port][:weight]
 * or /path/to/socket[:weight]. */
static bool parse_entry(const char *s, size_t len, mcd_server_addr *a,
		char *err, size_t errlen)
{
	const char *host, *rest, *colon;
	size_t host_len, rest_len;

	memset(a, 0, sizeof(*a));
	a->port = MCD_DEFAULT_PORT;
	a->weight = 1;
	if(len == 0)
		return fail(err, errlen, "empty server entry");

	if(s[0] == '/') {
		/* a socket path may contain ':'; only a trailing ":<digits>" is a weight */
		colon = memrchr(s, ':', len);
		host_len = len;
		if(colon && colon + 1 < s + len
				&& parse_num(colon + 1, s + len - colon - 1, 1, 1000000,
						&a->weight))
			host_len = colon - s;
		if(host_len >= MCD_HOST_MAX)
			return fail(err, errlen, "socket path too long in '%.*s'",
					(int)len, s);
		memcpy(a->host, s, host_len);
		a->is_unix = true;
		a->port = 0;
		return true;
	}

	if(s[0] == '[') {
		const char *end = memchr(s, ']', len);
		if(end == NULL || end == s + 1)
			return fail(err, errlen, "bad IPv6 address in '%.*s'", (int)len, s);
		host = s + 1;
		host_len = end - host;
		rest = end + 1;
	} else {
		colon = memchr(s, ':', len);
		host = s;
		host_len = colon ? (size_t)(colon - s) : len;
		rest = s + host_len;
	}
	rest_len = s + len - rest;
	if(host_len == 0)
		return fail(err, errlen, "missing host in '%.*s'", (int)len, s);
	if(host_len >= MCD_HOST_MAX)
		return fail(err, errlen, "host name too long in '%.*s'", (int)len, s);
	for(size_t i = 0; i < host_len; i++)
		if(is_space(host[i]) || host[i] == '[' || host[i] == ']')
			return fail(err, errlen, "bad host in '%.*s'", (int)len, s);
	memcpy(a->host, host, host_len);

	if(rest_len == 0)
		return true;
	if(rest[0] != ':')
		return fail(err, errlen, "unexpected text after host in '%.*s'",
				(int)len, s);
	rest++;
	rest_len--;
	colon = memchr(rest, ':', rest_len);
	if(!parse_num(rest, colon ? (size_t)(colon - rest) : rest_len, 1, 65535,
			   &a->port))
		return fail(err, errlen, "bad port in '%.*s' (1-65535)", (int)len, s);
	if(colon
			&& !parse_num(colon + 1, rest + rest_len - colon - 1, 1, 1000000,
					&a->weight))
		return fail(err, errlen, "bad weight in '%.*s' (1-1000000)", (int)len,
				s);
	return true;
}

bool mcd_servers_parse(const char *text, mcd_server_list *out, char *err,
		size_t errlen)
{
	const char *p, *end, *comma;

	memset(out, 0, sizeof(*out));
	if(text == NULL)
		return fail(err, errlen, "no servers given");
	p = text;
	end = text + strlen(text);
	for(;;) {
		const char *s, *e;
		comma = memchr(p, ',', end - p);
		e = comma ? comma : end;
		s = p;
		while(s < e && is_space(*s))
			s++;
		while(e > s && is_space(e[-1]))
			e--;
		if(out->count == MCD_MAX_SERVERS)
			return fail(err, errlen, "more than %d servers", MCD_MAX_SERVERS);
		if(!parse_entry(s, e - s, &out->addr[out->count], err, errlen))
			return false;
		out->count++;
		if(comma == NULL)
			break;
		p = comma + 1;
	}
	for(size_t i = 0; i < out->count; i++)
		if(out->addr[i].weight != 1)
			out->weighted = true;
	return true;
}

bool mcd_config_check(const mcd_config *cfg, mcd_server_list *servers,
		char *err, size_t errlen)
{
	char detail[MCD_ERRBUF_SIZE];
	const char *prefix = cfg->prefix ? cfg->prefix : "";

	if(servers == NULL) {
		/* the caller only wants the verdict: parse into scratch space */
		mcd_server_list scratch;
		return mcd_config_check(cfg, &scratch, err, errlen);
	}
	if(!mcd_servers_parse(cfg->servers, servers, detail, sizeof(detail)))
		return fail(err, errlen, "servers: %s", detail);
	if(cfg->timeout_ms <= 0 || cfg->timeout_ms > MCD_TIMEOUT_MAX_MS)
		return fail(err, errlen, "timeout: must be 1..%d milliseconds",
				MCD_TIMEOUT_MAX_MS);
	if(cfg->binary != 0 && cfg->binary != 1)
		return fail(err, errlen, "binary: must be 0 or 1");
	if(cfg->retry_timeout_s < 0)
		return fail(err, errlen, "retry_timeout: must be >= 0 seconds");
	if(cfg->failover != 0 && cfg->failover != 1)
		return fail(err, errlen, "failover: must be 0 or 1");
	if(cfg->slow_threshold_us < 0)
		return fail(err, errlen, "slow_threshold: must be >= 0 microseconds");
	if(cfg->noreply != 0 && cfg->noreply != 1)
		return fail(err, errlen, "noreply: must be 0 or 1");
	if(cfg->probe_interval_ms < 0)
		return fail(err, errlen, "probe_interval: must be >= 0 milliseconds");
	if(!mcd_prefix_ok(prefix, strlen(prefix)))
		return fail(err, errlen,
				"prefix: must be at most %d bytes without spaces or control "
				"characters",
				MCD_KEY_MAX - 32);
	if((cfg->username && *cfg->username) != (cfg->password && *cfg->password))
		return fail(err, errlen,
				"username/password: both must be set for SASL, or neither");
	return true;
}
