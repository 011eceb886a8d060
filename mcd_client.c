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
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmemcached/memcached.h>

#include "mcd_client.h"
#include "mcd_key.h"
#include "mcd_value.h"

#if !defined(LIBMEMCACHED_VERSION_HEX) || LIBMEMCACHED_VERSION_HEX < 0x01001004
/* 1.1.0-1.1.3 can hand back another request's value after a timeout */
#error "libmemcached 1.1.4 or later is required"
#endif

#define ROUTE_TOKEN_TRIES 4096

typedef struct mcd_server {
	mcd_server_addr addr;
	char name[MCD_HOST_MAX + 8];
	bool logged_dead;    /* this process logged it dead, owes a "back" */
	bool connected;      /* the last operation on it succeeded */
	bool auth_failed;    /* the last connect was refused credentials */
	char token[24];      /* a group key that hashes to this server, "" if none */
} mcd_server;

struct mcd_client {
	memcached_st mc; /* embedded: created without an allocation of its own */
	bool mc_created;
	mcd_allocator alloc;
	mcd_config cfg; /* its strings belong to the host and outlive us */
	char prefix[MCD_KEY_MAX + 1];
	size_t prefix_len;
	size_t nservers;
	mcd_server srv[MCD_MAX_SERVERS];
	mcd_server_stats *stats;
	mcd_server_stats own_stats[MCD_MAX_SERVERS];
	char err[MCD_ERRBUF_SIZE];
};

/* What an operation needs to know about its key and server. */
typedef struct mcd_route {
	char key[MCD_KEY_MAX + 1]; /* wire key */
	size_t key_len;
	char group[MCD_KEY_MAX + 24]; /* hashes to the chosen server; not sent */
	size_t group_len;
	size_t idx;
} mcd_route;

/* ---- allocator adapters for libmemcached ---- */

/*
 * libmemcached 1.1.4 aborts (an assert kept in distribution builds) when
 * it cannot allocate the record of an error, which is what follows a
 * failed allocation. So the library never sees one: when the host
 * allocator is exhausted the block comes from the system heap, tagged so
 * that free and realloc hand it back where it came from.
 */
typedef struct lm_hdr {
	size_t size;
	int sys; /* 1: from malloc(), 0: from the host allocator */
} lm_hdr;
#define LM_HDR ((sizeof(lm_hdr) + 15) & ~(size_t)15) /* keeps alignment */

static void *lm_tag(char *p, size_t size, int sys)
{
	lm_hdr h = {size, sys};

	if(p == NULL)
		return NULL;
	memcpy(p, &h, sizeof(h));
	return p + LM_HDR;
}

static lm_hdr lm_hdr_of(const void *mem)
{
	lm_hdr h;

	memcpy(&h, (const char *)mem - LM_HDR, sizeof(h));
	return h;
}

static void *lm_malloc(const memcached_st *mc, const size_t size, void *ctx)
{
	char *p;

	(void)mc;
	if(size > SIZE_MAX - LM_HDR)
		return NULL;
	if((p = mcd_alloc(ctx, size + LM_HDR)) != NULL)
		return lm_tag(p, size, 0);
	return lm_tag(malloc(size + LM_HDR), size, 1);
}

static void lm_free(const memcached_st *mc, void *mem, void *ctx)
{
	char *p;

	(void)mc;
	if(mem == NULL)
		return;
	p = (char *)mem - LM_HDR;
	if(lm_hdr_of(mem).sys)
		free(p);
	else
		mcd_free(ctx, p);
}

static void *lm_realloc(
		const memcached_st *mc, void *mem, const size_t size, void *ctx)
{
	lm_hdr h;
	char *p, *n;

	if(mem == NULL)
		return lm_malloc(mc, size, ctx);
	if(size > SIZE_MAX - LM_HDR)
		return NULL;
	h = lm_hdr_of(mem);
	p = (char *)mem - LM_HDR;
	n = h.sys ? realloc(p, size + LM_HDR) : mcd_realloc(ctx, p, size + LM_HDR);
	if(n != NULL)
		return lm_tag(n, size, h.sys);
	/* the host heap is exhausted: move the block to the system heap */
	n = lm_malloc(mc, size, ctx);
	if(n == NULL)
		return NULL;
	memcpy(n, mem, h.size < size ? h.size : size);
	lm_free(mc, mem, ctx);
	return n;
}

static void *lm_calloc(
		const memcached_st *mc, size_t nelem, const size_t elsize, void *ctx)
{
	void *p;

	if(elsize && nelem > SIZE_MAX / elsize)
		return NULL;
	p = lm_malloc(mc, nelem * elsize, ctx);
	if(p)
		memset(p, 0, nelem * elsize);
	return p;
}

/* ---- time, logging, errors ---- */

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Unix time in ms: the breaker's marks are shared with other processes
 * and shown by the host, so they use the clock everyone reads. */
static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(const mcd_client *c, mcd_log_level lvl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if(c->cfg.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->cfg.log(c->cfg.log_ctx, lvl, msg);
}

/* The one setter of the error detail; returns rc for tail calls. */
static mcd_rc set_err(mcd_client *c, mcd_rc rc, const char *fmt, ...)
{
	va_list ap;

	if(fmt == NULL) {
		snprintf(c->err, sizeof(c->err), "%s", mcd_strerror(rc));
		return rc;
	}
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* "<our reason>: <library reason>[ (<errno text>)]", without the library's
 * pointer and source location */
static mcd_rc set_lib_err(mcd_client *c, const memcached_st *mc, mcd_rc rc,
		memcached_return_t lr)
{
	int e = memcached_last_error_errno(mc);

	if(e)
		return set_err(c, rc, "%s: %s (%s)", mcd_strerror(rc),
				memcached_strerror(mc, lr), strerror(e));
	return set_err(c, rc, "%s: %s", mcd_strerror(rc), memcached_strerror(mc, lr));
}

static mcd_rc map_rc(memcached_return_t r)
{
	switch(r) {
		case MEMCACHED_SUCCESS:
		case MEMCACHED_STORED:
		case MEMCACHED_DELETED:
		case MEMCACHED_BUFFERED:
		case MEMCACHED_END:
			return MCD_OK;
		case MEMCACHED_NOTFOUND:
			return MCD_NOT_FOUND;
		case MEMCACHED_DATA_EXISTS:
			return MCD_EXISTS;
		case MEMCACHED_NOTSTORED:
			return MCD_NOT_STORED;
		case MEMCACHED_E2BIG:
			return MCD_E_TOO_BIG;
		case MEMCACHED_TIMEOUT:
			return MCD_E_TIMEOUT;
		case MEMCACHED_MEMORY_ALLOCATION_FAILURE:
			return MCD_E_NOMEM;
		case MEMCACHED_AUTH_FAILURE:
		case MEMCACHED_AUTH_PROBLEM:
		case MEMCACHED_AUTH_CONTINUE:
			return MCD_E_AUTH;
		case MEMCACHED_BAD_KEY_PROVIDED:
		case MEMCACHED_KEY_TOO_BIG:
			return MCD_E_ARG;
		case MEMCACHED_CONNECTION_FAILURE:
		case MEMCACHED_CONNECTION_SOCKET_CREATE_FAILURE:
		case MEMCACHED_CONNECTION_BIND_FAILURE:
		case MEMCACHED_HOST_LOOKUP_FAILURE:
		case MEMCACHED_ERRNO:
		case MEMCACHED_WRITE_FAILURE:
		case MEMCACHED_READ_FAILURE:
		case MEMCACHED_UNKNOWN_READ_FAILURE:
		case MEMCACHED_SERVER_MARKED_DEAD:
		case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
		case MEMCACHED_NO_SERVERS:
		case MEMCACHED_PROTOCOL_ERROR:
			return MCD_E_CONN;
		default:
			return MCD_E_SERVER;
	}
}

/* ---- circuit breaker ----
 *
 * The mark lives in the server's stats record, which the host may share
 * between processes: one process's timeout makes every process fail fast,
 * and when the mark runs out a single process (the one that wins the
 * compare-and-swap) probes the server while the others go on failing
 * fast. So a frozen server costs one timeout per retry_timeout in all,
 * not one per process.
 */

/* Read-only view: marked dead and the mark has not run out. */
static bool server_marked(const mcd_client *c, size_t idx)
{
	int64_t du = __atomic_load_n(&c->stats[idx].dead_until, __ATOMIC_RELAXED);

	return du != 0 && unix_ms() < du;
}

/* For routing: dead, unless this caller just became the one to probe. */
static bool server_dead(mcd_client *c, size_t idx)
{
	int64_t *dup = &c->stats[idx].dead_until;
	int64_t du = __atomic_load_n(dup, __ATOMIC_RELAXED);
	int64_t now = unix_ms();
	/* long enough for the probe to finish or time out */
	int64_t claim = now + 2 * (int64_t)c->cfg.timeout_ms + 1000;

	if(du == 0)
		return false;
	if(now < du)
		return true;
	return !__atomic_compare_exchange_n(
			dup, &du, claim, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

static void mark_dead(mcd_client *c, size_t idx, const char *why)
{
	mcd_server *s = &c->srv[idx];

	__atomic_store_n(&c->stats[idx].dead_until,
			unix_ms() + 1000 * (int64_t)c->cfg.retry_timeout_s, __ATOMIC_RELAXED);
	if(!s->logged_dead) {
		s->logged_dead = true;
		logf_(c, MCD_LOG_ERROR, "memcached: server %s marked dead for %d s: %s",
				s->name, c->cfg.retry_timeout_s, why);
	}
}

static void mark_alive(mcd_client *c, size_t idx)
{
	mcd_server *s = &c->srv[idx];

	if(__atomic_load_n(&c->stats[idx].dead_until, __ATOMIC_RELAXED) != 0)
		__atomic_store_n(&c->stats[idx].dead_until, 0, __ATOMIC_RELAXED);
	if(s->logged_dead) {
		s->logged_dead = false;
		logf_(c, MCD_LOG_INFO, "memcached: server %s is back", s->name);
	}
}

/* ---- routing ---- */

static size_t hash_index(mcd_client *c, const char *k, size_t len)
{
	uint32_t i;

	if(c->nservers == 1)
		return 0;
	i = memcached_generate_hash(&c->mc, k, len);
	return i < c->nservers ? i : 0;
}

/* Finds, once, a short group key per server that the distribution maps to
 * it, so failover can address any live server. */
static void find_tokens(mcd_client *c)
{
	size_t found = 0, i;
	char t[24];

	for(i = 0; i < ROUTE_TOKEN_TRIES && found < c->nservers; i++) {
		int n = snprintf(t, sizeof(t), "mcd-route-%zu", i);
		size_t idx = hash_index(c, t, (size_t)n);
		if(c->srv[idx].token[0] == '\0') {
			memcpy(c->srv[idx].token, t, (size_t)n + 1);
			found++;
		}
	}
}

/*
 * Chooses the server for a wire key. A dead server's keys go, with
 * failover, to the server an alternative group key maps to (spread and the
 * same in every process), else to the next live server in list order.
 */
static mcd_rc route(mcd_client *c, mcd_route *r)
{
	size_t i, n = c->nservers;

	r->idx = hash_index(c, r->key, r->key_len);
	memcpy(r->group, r->key, r->key_len + 1);
	r->group_len = r->key_len;
	if(!server_dead(c, r->idx))
		return MCD_OK;
	if(!c->cfg.failover || n == 1)
		return set_err(c, MCD_E_DEAD, "server %s marked dead",
				c->srv[r->idx].name);
	for(i = 1; i <= 2 * n; i++) {
		int len = snprintf(r->group, sizeof(r->group), "%.*s#%zu",
				(int)r->key_len, r->key, i);
		size_t idx = hash_index(c, r->group, (size_t)len);
		if(!server_dead(c, idx)) {
			r->group_len = (size_t)len;
			r->idx = idx;
			return MCD_OK;
		}
	}
	for(i = 1; i < n; i++) {
		size_t idx = (r->idx + i) % n;
		if(!server_dead(c, idx) && c->srv[idx].token[0]) {
			r->group_len = strlen(c->srv[idx].token);
			memcpy(r->group, c->srv[idx].token, r->group_len + 1);
			r->idx = idx;
			return MCD_OK;
		}
	}
	return set_err(c, MCD_E_DEAD, "all servers marked dead");
}

static mcd_rc prepare(mcd_client *c, const char *key, size_t key_len,
		mcd_route *r)
{
	c->err[0] = '\0';
	if(key == NULL || key_len == 0)
		return set_err(c, MCD_E_ARG, "empty key");
	r->key_len = mcd_key_build(
			c->prefix, c->prefix_len, key, key_len, r->key, NULL);
	if(r->key_len == 0)
		return set_err(c, MCD_E_ARG, "key could not be built");
	return route(c, r);
}

/*
 * Whether to send the same command again at once: only idempotent ones,
 * only once, and only when the connection had worked before, which is
 * what a server restart looks like (the library reconnects).
 */
static bool retry_now(mcd_client *c, const mcd_route *r, memcached_return_t lr,
		int attempt, bool idempotent)
{
	mcd_server *s = &c->srv[r->idx];

	if(attempt > 0 || !idempotent || !s->connected || map_rc(lr) != MCD_E_CONN)
		return false;
	s->connected = false;
	return true;
}

/*
 * Books the outcome of one operation: stats, breaker, error detail, slow
 * log. A timeout marks the server dead at once (waiting again would cost
 * another timeout); a connection failure does when the connection had not
 * just been working, so a restarted server costs one failure, not a
 * retry_timeout of them.
 */
static mcd_rc finish(mcd_client *c, const mcd_route *r, const char *op,
		memcached_return_t lr, mcd_rc rc, uint64_t start_us)
{
	mcd_server_stats *st = &c->stats[r->idx];
	mcd_server *s = &c->srv[r->idx];
	uint64_t took = now_us() - start_us;

	__atomic_fetch_add(&st->ops, 1, __ATOMIC_RELAXED);
	if(rc == MCD_E_AUTH) {
		s->auth_failed = true;
	} else if(rc == MCD_E_CONN && s->auth_failed
			  && lr == MEMCACHED_SERVER_TEMPORARILY_DISABLED) {
		/* the library holds the server back for a moment after refused
		 * credentials: still the credentials, not a dead server */
		rc = set_err(c, MCD_E_AUTH, "%s: server refused the credentials",
				mcd_strerror(MCD_E_AUTH));
	}
	if(rc < 0) {
		__atomic_fetch_add(&st->errors, 1, __ATOMIC_RELAXED);
		if(c->err[0] == '\0')
			set_lib_err(c, &c->mc, rc, lr);
		if(rc == MCD_E_TIMEOUT || (rc == MCD_E_CONN && !s->connected))
			mark_dead(c, r->idx, c->err);
		if(rc == MCD_E_TIMEOUT || rc == MCD_E_CONN)
			s->connected = false;
	} else {
		s->connected = true;
		s->auth_failed = false;
		mark_alive(c, r->idx);
	}
	if(c->cfg.slow_threshold_us > 0 && took > (uint64_t)c->cfg.slow_threshold_us)
		logf_(c, MCD_LOG_WARN, "memcached: slow %s '%s': %llu us", op, r->key,
				(unsigned long long)took);
	return rc;
}

static void set_reply(mcd_client *c, bool reply)
{
	/* only a flag inside the library: connections are kept */
	memcached_behavior_set(&c->mc, MEMCACHED_BEHAVIOR_NOREPLY, reply ? 0 : 1);
}

/* ---- lifecycle ---- */

static mcd_rc setup_handle(mcd_client *c, memcached_st *mc,
		const mcd_server *srv, size_t nsrv, bool weighted,
		const mcd_config *cfg)
{
	memcached_return_t r;
	size_t i;
	uint64_t to_ms = (uint64_t)cfg->timeout_ms;

	if(memcached_set_memory_allocators(mc, lm_malloc, lm_free, lm_realloc,
			   lm_calloc, &c->alloc)
			!= MEMCACHED_SUCCESS)
		return set_err(c, MCD_E_CONFIG, "cannot set allocators");
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL,
			(cfg->binary || cfg->noreply || (cfg->username && *cfg->username)));
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
			MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
	if(weighted)
		memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, to_ms);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, to_ms);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, to_ms * 1000);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, to_ms * 1000);
	/* the breaker here decides when to retry; the library should not
	 * keep a server disabled on its own beyond the current second */
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0);
	for(i = 0; i < nsrv; i++) {
		const mcd_server_addr *a = &srv[i].addr;
		if(a->is_unix)
			r = memcached_server_add_unix_socket_with_weight(
					mc, a->host, a->weight);
		else
			r = memcached_server_add_with_weight(
					mc, a->host, (in_port_t)a->port, a->weight);
		if(r != MEMCACHED_SUCCESS)
			return set_err(c, map_rc(r) == MCD_E_NOMEM ? MCD_E_NOMEM : MCD_E_CONFIG,
					"cannot add server %s: %s", a->host,
					memcached_strerror(mc, r));
	}
	if(cfg->username && *cfg->username) {
		r = memcached_set_sasl_auth_data(mc, cfg->username, cfg->password);
		if(r != MEMCACHED_SUCCESS)
			return set_err(c, map_rc(r) == MCD_E_NOMEM ? MCD_E_NOMEM : MCD_E_CONFIG,
					"cannot set SASL credentials: %s",
					memcached_strerror(mc, r));
	}
	return MCD_OK;
}

mcd_rc mcd_client_new(const mcd_config *cfg, const mcd_allocator *alloc,
		mcd_server_stats *stats, mcd_client **out, char *err, size_t errlen)
{
	mcd_server_list *list = NULL;
	mcd_client *c = NULL;
	mcd_rc rc;
	size_t i;

	*out = NULL;
	if(alloc == NULL)
		alloc = mcd_allocator_system();
	if(err && errlen)
		err[0] = '\0';
	list = mcd_alloc(alloc, sizeof(*list));
	if(list == NULL)
		goto nomem;
	if(!mcd_config_check(cfg, list, err, errlen)) {
		mcd_free(alloc, list);
		return MCD_E_CONFIG;
	}
	c = mcd_calloc(alloc, 1, sizeof(*c));
	if(c == NULL)
		goto nomem;
	c->alloc = *alloc;
	c->cfg = *cfg;
	c->prefix_len = cfg->prefix ? strlen(cfg->prefix) : 0;
	memcpy(c->prefix, cfg->prefix ? cfg->prefix : "", c->prefix_len + 1);
	c->stats = stats ? stats : c->own_stats;

	c->nservers = list->count;
	for(i = 0; i < list->count; i++) {
		const mcd_server_addr *a = &list->addr[i];
		c->srv[i].addr = *a;
		if(a->is_unix)
			snprintf(c->srv[i].name, sizeof(c->srv[i].name), "%s", a->host);
		else if(strchr(a->host, ':'))
			snprintf(c->srv[i].name, sizeof(c->srv[i].name), "[%s]:%u",
					a->host, a->port);
		else
			snprintf(c->srv[i].name, sizeof(c->srv[i].name), "%s:%u", a->host,
					a->port);
	}

	if(memcached_create(&c->mc) == NULL)
		goto nomem;
	c->mc_created = true;
	rc = setup_handle(c, &c->mc, c->srv, c->nservers, list->weighted, cfg);
	if(rc != MCD_OK) {
		if(err && errlen)
			snprintf(err, errlen, "%s", c->err);
		mcd_free(alloc, list);
		mcd_client_free(c);
		return rc;
	}
	mcd_free(alloc, list);
	find_tokens(c);
	*out = c;
	return MCD_OK;

nomem:
	if(err && errlen)
		snprintf(err, errlen, "out of memory");
	mcd_free(alloc, list);
	mcd_client_free(c);
	return MCD_E_NOMEM;
}

void mcd_client_free(mcd_client *c)
{
	mcd_allocator a;

	if(c == NULL)
		return;
	a = c->alloc;
	if(c->mc_created)
		memcached_free(&c->mc);
	mcd_free(&a, c);
}

const char *mcd_client_errdetail(const mcd_client *c)
{
	return c ? c->err : "";
}

/* ---- operations ---- */

mcd_rc mcd_get(mcd_client *c, const char *key, size_t key_len, mcd_buf *out,
		uint32_t *flags)
{
	mcd_route r;
	mcd_rc rc;
	memcached_return_t lr = MEMCACHED_SUCCESS;
	uint64_t t0;
	int attempt;

	if((rc = prepare(c, key, key_len, &r)) != MCD_OK)
		return rc;
	t0 = now_us();
	for(attempt = 0; attempt < 2; attempt++) {
		size_t vlen = 0;
		uint32_t fl = 0;
		char *v = memcached_get_by_key(&c->mc, r.group, r.group_len, r.key,
				r.key_len, &vlen, &fl, &lr);
		if(v != NULL || lr == MEMCACHED_SUCCESS) {
			/* copied out by its length, freed at once by its allocator */
			int bad = mcd_buf_set(out, v ? v : "", v ? vlen : 0);
			lm_free(&c->mc, v, &c->alloc);
			if(bad) {
				rc = set_err(c, MCD_E_NOMEM, NULL);
				return finish(c, &r, "get", lr, rc, t0);
			}
			if(flags)
				*flags = fl;
			__atomic_fetch_add(&c->stats[r.idx].hits, 1, __ATOMIC_RELAXED);
			return finish(c, &r, "get", lr, MCD_OK, t0);
		}
		if(!retry_now(c, &r, lr, attempt, true))
			break;
	}
	rc = map_rc(lr);
	if(rc == MCD_NOT_FOUND)
		__atomic_fetch_add(&c->stats[r.idx].misses, 1, __ATOMIC_RELAXED);
	return finish(c, &r, "get", lr, rc, t0);
}

static memcached_return_t store_call(mcd_client *c, mcd_store_op op,
		const mcd_route *r, const char *val, size_t val_len, uint32_t expire,
		uint32_t flags)
{
	memcached_st *mc = &c->mc;

	switch(op) {
		case MCD_SET:
			return memcached_set_by_key(mc, r->group, r->group_len, r->key,
					r->key_len, val, val_len, (time_t)expire, flags);
		case MCD_ADD:
			return memcached_add_by_key(mc, r->group, r->group_len, r->key,
					r->key_len, val, val_len, (time_t)expire, flags);
		case MCD_REPLACE:
			return memcached_replace_by_key(mc, r->group, r->group_len, r->key,
					r->key_len, val, val_len, (time_t)expire, flags);
		case MCD_APPEND:
			return memcached_append_by_key(mc, r->group, r->group_len, r->key,
					r->key_len, val, val_len, 0, 0);
		case MCD_PREPEND:
			return memcached_prepend_by_key(mc, r->group, r->group_len, r->key,
					r->key_len, val, val_len, 0, 0);
	}
	return MEMCACHED_INVALID_ARGUMENTS;
}

static const char *store_name(mcd_store_op op)
{
	static const char *names[] = {"set", "add", "replace", "append", "prepend"};
	return names[op];
}

mcd_rc mcd_store(mcd_client *c, mcd_store_op op, const char *key,
		size_t key_len, const char *val, size_t val_len, uint32_t expire,
		uint32_t flags)
{
	mcd_route r;
	mcd_rc rc;
	memcached_return_t lr;
	uint64_t t0;
	int attempt;

	if((unsigned)op > MCD_PREPEND || (val == NULL && val_len > 0))
		return set_err(c, MCD_E_ARG, "bad store arguments");
	if(expire > MCD_EXPIRE_MAX)
		return set_err(c, MCD_E_ARG, "expire out of range");
	if((rc = prepare(c, key, key_len, &r)) != MCD_OK)
		return rc;
	if(val == NULL)
		val = "";
	/* noreply only for plain set: the answer of the others is their meaning */
	set_reply(c, !(c->cfg.noreply && op == MCD_SET));
	t0 = now_us();
	for(attempt = 0;; attempt++) {
		lr = store_call(c, op, &r, val, val_len, expire, flags);
		/* set is idempotent; the others could apply twice */
		if(!retry_now(c, &r, lr, attempt, op == MCD_SET))
			break;
	}
	set_reply(c, true);
	rc = map_rc(lr);
	if(rc == MCD_NOT_STORED || rc == MCD_NOT_FOUND || rc == MCD_EXISTS) {
		/* text and binary protocol differ here; report the meaning */
		if(op == MCD_ADD)
			rc = MCD_EXISTS;
		else if(op != MCD_SET)
			rc = MCD_NOT_FOUND;
		else
			rc = MCD_NOT_STORED;
	} else if(rc == MCD_E_SERVER) {
		const char *m = memcached_last_error_message(&c->mc);
		if(m && (strstr(m, "too large") || strstr(m, "TOO_LARGE")
				   || strstr(m, "E2BIG")))
			rc = MCD_E_TOO_BIG;
	}
	return finish(c, &r, store_name(op), lr, rc, t0);
}

mcd_rc mcd_delete(mcd_client *c, const char *key, size_t key_len)
{
	mcd_route r;
	mcd_rc rc;
	memcached_return_t lr;
	uint64_t t0;
	int attempt;

	if((rc = prepare(c, key, key_len, &r)) != MCD_OK)
		return rc;
	set_reply(c, !c->cfg.noreply);
	t0 = now_us();
	for(attempt = 0;; attempt++) {
		lr = memcached_delete_by_key(
				&c->mc, r.group, r.group_len, r.key, r.key_len, 0);
		if(!retry_now(c, &r, lr, attempt, true))
			break;
	}
	set_reply(c, true);
	return finish(c, &r, "delete", lr, map_rc(lr), t0);
}

mcd_rc mcd_touch(
		mcd_client *c, const char *key, size_t key_len, uint32_t expire)
{
	mcd_route r;
	mcd_rc rc;
	memcached_return_t lr;
	uint64_t t0;
	int attempt;

	if(expire > MCD_EXPIRE_MAX)
		return set_err(c, MCD_E_ARG, "expire out of range");
	if((rc = prepare(c, key, key_len, &r)) != MCD_OK)
		return rc;
	set_reply(c, !c->cfg.noreply);
	t0 = now_us();
	for(attempt = 0;; attempt++) {
		lr = memcached_touch_by_key(&c->mc, r.group, r.group_len, r.key,
				r.key_len, (time_t)expire);
		if(!retry_now(c, &r, lr, attempt, true))
			break;
	}
	set_reply(c, true);
	return finish(c, &r, "touch", lr, map_rc(lr), t0);
}

static mcd_rc counter(mcd_client *c, bool incr, const char *key,
		size_t key_len, uint64_t delta, uint64_t initial, uint32_t expire,
		uint64_t *value)
{
	const char *op = incr ? "incr" : "decr";
	memcached_st *mc = &c->mc;
	memcached_return_t lr;
	mcd_route r;
	mcd_rc rc;
	uint64_t v = 0, t0;

	if(expire > MCD_EXPIRE_MAX)
		return set_err(c, MCD_E_ARG, "expire out of range");
	if((rc = prepare(c, key, key_len, &r)) != MCD_OK)
		return rc;
	t0 = now_us();
	if(memcached_behavior_get(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL)) {
		int attempt;
		/* the server answers NOT_STORED when another client created the
		 * key between its lookup and its add: the key exists now */
		for(attempt = 0; attempt < 2; attempt++) {
			lr = (incr ? memcached_increment_with_initial_by_key
					   : memcached_decrement_with_initial_by_key)(mc,
					r.group, r.group_len, r.key, r.key_len, delta, initial,
					(time_t)expire, &v);
			if(lr != MEMCACHED_NOTSTORED && lr != MEMCACHED_DATA_EXISTS)
				break;
		}
	} else {
		/* text protocol: incr; a missing key is added; if another client
		 * added it first, incr again */
		lr = (incr ? memcached_increment_by_key : memcached_decrement_by_key)(
				mc, r.group, r.group_len, r.key, r.key_len, delta, &v);
		if(lr == MEMCACHED_NOTFOUND) {
			char num[MCD_I64_STR_MAX + 1];
			int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)initial);
			lr = memcached_add_by_key(mc, r.group, r.group_len, r.key,
					r.key_len, num, (size_t)n, (time_t)expire, 0);
			if(lr == MEMCACHED_SUCCESS || lr == MEMCACHED_STORED)
				v = initial;
			else if(lr == MEMCACHED_NOTSTORED || lr == MEMCACHED_DATA_EXISTS)
				lr = (incr ? memcached_increment_by_key
						   : memcached_decrement_by_key)(mc, r.group,
						r.group_len, r.key, r.key_len, delta, &v);
		}
	}
	rc = map_rc(lr);
	/* text protocol: CLIENT_ERROR; binary: the library reports the
	 * DELTA_BADVAL status as an unknown read failure without errno, the
	 * reply itself having been read in full */
	if(lr == MEMCACHED_CLIENT_ERROR
			|| (lr == MEMCACHED_UNKNOWN_READ_FAILURE
					&& memcached_last_error_errno(mc) == 0))
		rc = set_err(c, MCD_E_NOT_NUMBER, "value is not a number");
	if(rc == MCD_OK && value)
		*value = v;
	return finish(c, &r, op, lr, rc, t0);
}

mcd_rc mcd_incr(mcd_client *c, const char *key, size_t key_len,
		uint64_t delta, uint64_t initial, uint32_t expire, uint64_t *value)
{
	return counter(c, true, key, key_len, delta, initial, expire, value);
}

mcd_rc mcd_decr(mcd_client *c, const char *key, size_t key_len,
		uint64_t delta, uint64_t initial, uint32_t expire, uint64_t *value)
{
	return counter(c, false, key, key_len, delta, initial, expire, value);
}

/* ---- servers ---- */

size_t mcd_server_count(const mcd_client *c)
{
	return c->nservers;
}

const char *mcd_server_name(const mcd_client *c, size_t idx)
{
	return idx < c->nservers ? c->srv[idx].name : "";
}

int mcd_server_is_dead(const mcd_client *c, size_t idx)
{
	return idx < c->nservers && server_marked(c, idx);
}

const mcd_server_stats *mcd_server_stats_get(const mcd_client *c, size_t idx)
{
	return idx < c->nservers ? &c->stats[idx] : NULL;
}

mcd_rc mcd_server_for_key(
		mcd_client *c, const char *key, size_t key_len, size_t *idx)
{
	mcd_route r;
	mcd_rc rc = prepare(c, key, key_len, &r);

	if(rc == MCD_OK)
		*idx = r.idx;
	return rc;
}

mcd_rc mcd_server_check(mcd_client *c, size_t idx, uint64_t *rtt_us)
{
	memcached_st probe;
	memcached_return_t lr;
	mcd_rc rc;
	uint64_t t0;

	if(idx >= c->nservers)
		return set_err(c, MCD_E_ARG, "no server %zu", idx);
	/* a handle of its own, so only this server is contacted */
	if(memcached_create(&probe) == NULL)
		return set_err(c, MCD_E_NOMEM, NULL);
	rc = setup_handle(c, &probe, &c->srv[idx], 1, false, &c->cfg);
	if(rc == MCD_OK) {
		t0 = now_us();
		lr = memcached_version(&probe);
		if(rtt_us)
			*rtt_us = now_us() - t0;
		if(lr == MEMCACHED_SOME_ERRORS) {
			/* the one server failed: report its own error */
			const memcached_instance_st *inst =
					memcached_server_instance_by_position(&probe, 0);
			lr = inst ? memcached_server_error_return(inst) : lr;
		}
		rc = map_rc(lr);
		if(rc == MCD_E_SERVER)
			rc = MCD_E_CONN;
		if(rc != MCD_OK)
			set_lib_err(c, &probe, rc, lr);
	}
	memcached_free(&probe);
	if(rc == MCD_OK)
		mark_alive(c, idx);
	return rc;
}

mcd_rc mcd_client_last_rc(const mcd_client *c)
{
	return c && c->err[0] ? MCD_E_SERVER : MCD_OK;
}

void mcd_totals_get(const mcd_client *c, mcd_totals *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for(i = 0; i < c->nservers; i++) {
		const mcd_server_stats *st = &c->stats[i];
		t->ops += __atomic_load_n(&st->ops, __ATOMIC_RELAXED);
		t->hits += __atomic_load_n(&st->hits, __ATOMIC_RELAXED);
		t->misses += __atomic_load_n(&st->misses, __ATOMIC_RELAXED);
		t->errors += __atomic_load_n(&st->errors, __ATOMIC_RELAXED);
		t->timeouts += __atomic_load_n(&st->timeouts, __ATOMIC_RELAXED);
		t->failfast += __atomic_load_n(&st->failfast, __ATOMIC_RELAXED);
		t->servers_dead += server_marked(c, i) ? 1 : 0;
	}
}

void mcd_probe_tick(mcd_client *c, mcd_event_fn ev, void *arg)
{
	size_t i;

	for(i = 0; i < c->nservers; i++) {
		if(server_marked(c, i) && mcd_server_check(c, i, NULL) == MCD_OK
				&& ev)
			ev(arg, i, c->srv[i].name, 1);
	}
}
