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
 * The client handle's life cycle, its servers (names, statistics, direct
 * checks), the prober's tick, and the error and log helpers the other
 * parts of the client share. Routing is in mcd_route.c, the operations
 * in mcd_ops.c, the allocator adapter in mcd_lmalloc.c, the breaker in
 * mcd_breaker.c.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcd_client_int.h"

#if !defined(LIBMEMCACHED_VERSION_HEX) || LIBMEMCACHED_VERSION_HEX < 0x01001004
/* 1.1.0-1.1.3 can hand back another request's value after a timeout */
#error "libmemcached 1.1.4 or later is required"
#endif

/* ---- logging, errors ---- */

void mcd_logf(const mcd_client *c, mcd_log_level lvl, const char *fmt, ...)
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
mcd_rc mcd_set_err(mcd_client *c, mcd_rc rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* "<our reason>: <library reason>[ (<errno text>)]", without the library's
 * pointer and source location */
mcd_rc mcd_set_lib_err(mcd_client *c, const memcached_st *mc, mcd_rc rc,
		memcached_return_t lr)
{
	int e = memcached_last_error_errno(mc);

	if(e)
		return mcd_set_err(c, rc, "%s: %s (%s)", mcd_strerror(rc),
				memcached_strerror(mc, lr), strerror(e));
	return mcd_set_err(
			c, rc, "%s: %s", mcd_strerror(rc), memcached_strerror(mc, lr));
}

mcd_rc mcd_map_rc(memcached_return_t r)
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

/* ---- breaker, with this process's log lines ---- */

void mcd_server_dead(mcd_client *c, size_t idx, const char *why)
{
	mcd_server *s = &c->srv[idx];

	mcd_breaker_trip(&c->brk, idx);
	if(!s->logged_dead) {
		s->logged_dead = true;
		mcd_logf(c, MCD_LOG_ERROR, "memcached: server %s marked dead: %s",
				s->name, why);
	}
}

void mcd_server_alive(mcd_client *c, size_t idx, int64_t seen)
{
	mcd_server *s = &c->srv[idx];

	mcd_breaker_ok(&c->brk, idx, seen);
	if(s->logged_dead) {
		s->logged_dead = false;
		mcd_logf(c, MCD_LOG_INFO, "memcached: server %s is back", s->name);
	}
}

/* ---- life cycle ---- */

unsigned mcd_fork_generation = 1;

static void fork_child(void)
{
	/* the child runs single-threaded here: a plain increment will do */
	mcd_fork_generation++;
}

static void fork_watch(void)
{
	pthread_atfork(NULL, NULL, fork_child);
}

/* ---- the abort guard ---- */

static __thread sigjmp_buf *guard_env;
static struct sigaction guard_prev;

static void guard_handler(int sig)
{
	sigjmp_buf *env = guard_env;

	if(env != NULL) {
		guard_env = NULL;
		siglongjmp(*env, 1);
	}
	/* not ours: what was there before */
	sigaction(SIGABRT, &guard_prev, NULL);
	raise(sig);
}

static void guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = guard_handler;
	/* not blocked while handled: the jump leaves the handler for good */
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGABRT, &sa, &guard_prev);
}

void mcd_guard_enter(sigjmp_buf *env)
{
	guard_env = env;
}

void mcd_guard_leave(void)
{
	guard_env = NULL;
}

/* memcached_free under the guard; an abort in it abandons the handle */
static void free_handle_guarded(memcached_st *mc)
{
	sigjmp_buf env;

	if(sigsetjmp(env, 0) == 0) {
		mcd_guard_enter(&env);
		memcached_free(mc);
	}
	mcd_guard_leave();
}

int mcd_client_is_mine(const mcd_client *c)
{
	return c != NULL && c->gen == mcd_fork_generation;
}

/* One library setting; a refusal is a configuration error naming it. */
#define BEHAVE(c, mc, b, v)                                                 \
	do {                                                                   \
		memcached_return_t br_ = memcached_behavior_set((mc), (b), (v));   \
		if(br_ != MEMCACHED_SUCCESS)                                       \
			return mcd_set_err((c), MCD_E_CONFIG, "cannot set %s: %s", #b, \
					memcached_strerror((mc), br_));                        \
	} while(0)

mcd_rc mcd_setup_handle(mcd_client *c, memcached_st *mc,
		const mcd_server *srv, size_t nsrv, bool weighted)
{
	const mcd_config *cfg = &c->cfg;
	uint64_t to_ms = (uint64_t)cfg->timeout_ms;
	memcached_return_t r;
	size_t i;

	if(mcd_lm_attach(mc, &c->lm) != 0)
		return mcd_set_err(c, MCD_E_CONFIG, "cannot set allocators");
	/* timeout_ms <= MCD_TIMEOUT_MAX_MS (config check): the microseconds
	 * below fit the library's int32 */
	BEHAVE(c, mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL,
			(cfg->binary || cfg->noreply || (cfg->username && *cfg->username)));
	/* one server needs no distribution: ketama would hash every key */
	if(nsrv > 1) {
		BEHAVE(c, mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
				MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA);
		if(weighted)
			BEHAVE(c, mc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1);
	}
	BEHAVE(c, mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	BEHAVE(c, mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, to_ms);
	BEHAVE(c, mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, to_ms);
	BEHAVE(c, mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, to_ms * 1000);
	BEHAVE(c, mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, to_ms * 1000);
	/* the breaker here decides when to retry; the library should not
	 * keep a server disabled on its own beyond the current second */
	BEHAVE(c, mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0);
	for(i = 0; i < nsrv; i++) {
		const mcd_server_addr *a = &srv[i].addr;
		if(a->is_unix)
			r = memcached_server_add_unix_socket_with_weight(
					mc, a->host, a->weight);
		else
			r = memcached_server_add_with_weight(
					mc, a->host, (in_port_t)a->port, a->weight);
		if(r != MEMCACHED_SUCCESS)
			return mcd_set_err(c,
					mcd_map_rc(r) == MCD_E_NOMEM ? MCD_E_NOMEM : MCD_E_CONFIG,
					"cannot add server %s: %s", a->host,
					memcached_strerror(mc, r));
	}
	if(cfg->username && *cfg->username) {
		r = memcached_set_sasl_auth_data(mc, cfg->username, cfg->password);
		if(r != MEMCACHED_SUCCESS)
			return mcd_set_err(c,
					mcd_map_rc(r) == MCD_E_NOMEM ? MCD_E_NOMEM : MCD_E_CONFIG,
					"cannot set SASL credentials: %s",
					memcached_strerror(mc, r));
	}
	return MCD_OK;
}

static void server_name(mcd_server *s)
{
	const mcd_server_addr *a = &s->addr;

	if(a->is_unix)
		snprintf(s->name, sizeof(s->name), "%s", a->host);
	else if(strchr(a->host, ':'))
		snprintf(s->name, sizeof(s->name), "[%s]:%u", a->host, a->port);
	else
		snprintf(s->name, sizeof(s->name), "%s:%u", a->host, a->port);
}

mcd_rc mcd_client_new(const mcd_config *cfg, const mcd_allocator *alloc,
		mcd_server_stats *stats, mcd_client **out, char *err, size_t errlen)
{
	mcd_server_list *list = NULL;
	mcd_client *c = NULL;
	mcd_rc rc;
	size_t i;

	static pthread_once_t watch = PTHREAD_ONCE_INIT;
	static pthread_once_t guard = PTHREAD_ONCE_INIT;

	*out = NULL;
	pthread_once(&watch, fork_watch);
	pthread_once(&guard, guard_install);
	if(alloc == NULL)
		alloc = mcd_allocator_system();
	if(err && errlen)
		err[0] = '\0';
	/* parsed once, here: the check fills the list */
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
	c->lm.alloc = *alloc;
	c->cfg = *cfg;
	c->quiet_set = cfg->noreply != 0;
	c->gen = mcd_fork_generation;
	c->prefix_len = cfg->prefix ? strlen(cfg->prefix) : 0;
	memcpy(c->prefix, cfg->prefix ? cfg->prefix : "", c->prefix_len + 1);
	c->stats = stats ? stats : c->own_stats;
	c->nservers = list->count;
	for(i = 0; i < list->count; i++) {
		c->srv[i].addr = list->addr[i];
		server_name(&c->srv[i]);
	}
	mcd_breaker_init(&c->brk, c->stats, c->nservers, cfg);

	if(memcached_create(&c->mc) == NULL)
		goto nomem;
	c->mc_created = true;
	c->weighted = list->weighted;
	rc = mcd_setup_handle(c, &c->mc, c->srv, c->nservers, list->weighted);
	mcd_free(alloc, list);
	if(rc != MCD_OK) {
		if(err && errlen)
			snprintf(err, errlen, "%s", c->err);
		mcd_client_free(c);
		return rc;
	}
	mcd_route_tokens(c);
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

	/* inherited: quit would go out through the owner's socket */
	if(c == NULL || !mcd_client_is_mine(c))
		return;
	a = c->alloc;
	if(c->mc_created)
		free_handle_guarded(&c->mc);
	mcd_free(&a, c);
}

mcd_rc mcd_client_renew(mcd_client *c)
{
	char keep[MCD_ERRBUF_SIZE];
	mcd_rc rc;

	if(c->mc_created)
		free_handle_guarded(&c->mc);
	c->mc_created = false;
	memset(&c->mc, 0, sizeof(c->mc));
	if(memcached_create(&c->mc) == NULL)
		return MCD_E_NOMEM;
	c->mc_created = true;
	/* the error detail of the operation that broke stays */
	memcpy(keep, c->err, sizeof(keep));
	rc = mcd_setup_handle(c, &c->mc, c->srv, c->nservers, c->weighted);
	if(rc != MCD_OK) {
		free_handle_guarded(&c->mc);
		c->mc_created = false;
	}
	memcpy(c->err, keep, sizeof(keep));
	return rc;
}

mcd_client *mcd_proc_client_get(mcd_proc_client *p, const mcd_config *cfg,
		const mcd_allocator *alloc, mcd_server_stats *stats,
		int64_t retry_ms)
{
	char err[MCD_ERRBUF_SIZE], msg[MCD_ERRBUF_SIZE + 96];
	int64_t now;
	mcd_rc rc;

	if(mcd_proc_client_ready(p))
		return p->c;
	if(p->c != NULL) {
		/* inherited: frees nothing, sends nothing (see mcd_client_free) */
		mcd_client_free(p->c);
		p->c = NULL;
		p->failures = 0;
	}
	now = cfg->now_ms ? cfg->now_ms(cfg->clock_ctx) : mcd_clock_mono_ms(NULL);
	if(p->failures > 0 && now < p->retry_at)
		return NULL;
	rc = mcd_client_new(cfg, alloc, stats, &p->c, err, sizeof(err));
	if(rc != MCD_OK) {
		p->c = NULL;
		if(p->failures++ == 0 && cfg->log) {
			snprintf(msg, sizeof(msg),
					"memcached: cannot create the client (tried again at "
					"most every %lld ms): %s",
					(long long)retry_ms, err);
			cfg->log(cfg->log_ctx, MCD_LOG_ERROR, msg);
		}
		p->retry_at = now + retry_ms;
		return NULL;
	}
	if(p->failures > 0 && cfg->log) {
		snprintf(msg, sizeof(msg),
				"memcached: client created after %u failed attempt(s)",
				p->failures);
		cfg->log(cfg->log_ctx, MCD_LOG_INFO, msg);
	}
	p->failures = 0;
	p->gen = mcd_fork_generation;
	return p->c;
}

const char *mcd_client_errdetail(const mcd_client *c)
{
	return c ? c->err : "";
}

mcd_rc mcd_client_last_rc(const mcd_client *c)
{
	return c ? c->last_rc : MCD_OK;
}

void mcd_client_set_near(mcd_client *c, mcd_near *n)
{
	c->near = n;
}

void mcd_client_lib_allocs(
		const mcd_client *c, uint64_t *calls, uint64_t *sys_fallbacks)
{
	if(calls)
		*calls = c->lm.calls;
	if(sys_fallbacks)
		*sys_fallbacks = c->lm.sys_fallbacks;
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
	return idx < c->nservers && mcd_breaker_is_dead(&c->brk, idx);
}

const mcd_server_stats *mcd_server_stats_get(const mcd_client *c, size_t idx)
{
	return idx < c->nservers ? &c->stats[idx] : NULL;
}

void mcd_server_counts(const mcd_client *c, size_t idx, mcd_totals *t)
{
	const mcd_server_stats *st = &c->stats[idx];

	t->ops = __atomic_load_n(&st->ops, __ATOMIC_RELAXED);
	t->hits = __atomic_load_n(&st->hits, __ATOMIC_RELAXED);
	t->misses = __atomic_load_n(&st->misses, __ATOMIC_RELAXED);
	t->errors = __atomic_load_n(&st->errors, __ATOMIC_RELAXED);
	t->timeouts = __atomic_load_n(&st->timeouts, __ATOMIC_RELAXED);
	t->failfast = __atomic_load_n(&st->failfast, __ATOMIC_RELAXED);
	t->servers_dead = mcd_breaker_is_dead(&c->brk, idx) ? 1 : 0;
}

void mcd_totals_add(mcd_totals *sum, const mcd_totals *one)
{
	sum->ops += one->ops;
	sum->hits += one->hits;
	sum->misses += one->misses;
	sum->errors += one->errors;
	sum->timeouts += one->timeouts;
	sum->failfast += one->failfast;
	sum->servers_dead += one->servers_dead;
}

void mcd_totals_get(const mcd_client *c, mcd_totals *t)
{
	mcd_totals s;
	size_t i;

	memset(t, 0, sizeof(*t));
	for(i = 0; i < c->nservers; i++) {
		mcd_server_counts(c, i, &s);
		mcd_totals_add(t, &s);
	}
}


/* Contacts one server on a handle of its own (so only that server is
 * contacted, and the operations' connections are left alone). */
static mcd_rc contact(mcd_client *c, size_t idx, uint64_t *rtt_us)
{
	memcached_st probe;
	memcached_return_t lr;
	mcd_rc rc;
	uint64_t t0;

	if(memcached_create(&probe) == NULL)
		return mcd_set_err(c, MCD_E_NOMEM, "out of memory");
	rc = mcd_setup_handle(c, &probe, &c->srv[idx], 1, false);
	if(rc == MCD_OK) {
		sigjmp_buf env;

		t0 = mcd_clock_mono_us();
		if(sigsetjmp(env, 0) == 0) {
			mcd_guard_enter(&env);
			lr = memcached_version(&probe);
		} else {
			lr = MEMCACHED_PROTOCOL_ERROR;
		}
		mcd_guard_leave();
		if(rtt_us)
			*rtt_us = mcd_clock_mono_us() - t0;
		if(lr == MEMCACHED_SOME_ERRORS) {
			/* the one server failed: report its own error */
			const memcached_instance_st *inst =
					memcached_server_instance_by_position(&probe, 0);
			lr = inst ? memcached_server_error_return(inst) : lr;
		}
		rc = mcd_map_rc(lr);
		if(rc == MCD_E_SERVER)
			rc = MCD_E_CONN;
		if(rc != MCD_OK)
			mcd_set_lib_err(c, &probe, rc, lr);
	}
	free_handle_guarded(&probe);
	return rc;
}

mcd_rc mcd_server_check(mcd_client *c, size_t idx, uint64_t *rtt_us)
{
	int64_t seen;
	mcd_rc rc;

	c->err[0] = '\0';
	if(idx >= c->nservers)
		return mcd_set_err(c, MCD_E_ARG, "no server %zu", idx);
	seen = __atomic_load_n(&c->stats[idx].dead_until, __ATOMIC_ACQUIRE);
	rc = contact(c, idx, rtt_us);
	/* a server with keys to settle is put back by the prober only */
	if(rc == MCD_OK && !mcd_journal_owed(c->journal, idx))
		mcd_server_alive(c, idx, seen);
	return rc;
}

/* Reports server i's transitions since the prober last looked. */
static void report(mcd_client *c, size_t i, mcd_event_fn ev, void *arg)
{
	bool down, up;

	mcd_breaker_transitions(&c->brk, i, &down, &up);
	if(down && ev)
		ev(arg, i, c->srv[i].name, 0);
	if(up && ev)
		ev(arg, i, c->srv[i].name, 1);
}

void mcd_probe_tick(mcd_client *c, mcd_event_fn ev, void *arg)
{
	int64_t seen;
	size_t i;

	for(i = 0; i < c->nservers; i++)
		report(c, i, ev, arg);
	mcd_failback_tick(c);
	for(i = 0; i < c->nservers; i++) {
		/* hold the workers off while this probe runs */
		seen = mcd_breaker_hold(&c->brk, i, c->brk.claim_ms);
		if(seen == 0)
			continue;
		c->err[0] = '\0';
		if(contact(c, i, NULL) != MCD_OK) {
			mcd_server_dead(c, i, c->err);
			continue;
		}
		/* its keys first: workers keep away until this is done */
		if(!mcd_failback_settle(c, i, &seen))
			continue;
		mcd_server_alive(c, i, seen);
		mcd_failback_back(c, i);
		report(c, i, ev, arg);
	}
}
