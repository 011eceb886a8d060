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
 * The operations. Each is described once (its library call, whether it
 * may be sent again after a broken connection, whether noreply may send it
 * quietly, how the library's answer maps to mcd_rc) and all of them run
 * through one pipeline, run_op(): build the wire key, route, book fail-fast
 * refusals, set the reply mode, call, retry, map, and finish (statistics,
 * breaker, error detail, slow log).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "mcd_client_int.h"
#include "mcd_value.h"

typedef enum op_kind {
	OP_GET,
	OP_SET,
	OP_ADD,
	OP_REPLACE,
	OP_APPEND,
	OP_PREPEND,
	OP_DELETE,
	OP_TOUCH,
	OP_INCR,
	OP_DECR
} op_kind;

/* One operation's arguments and results. */
typedef struct op_req {
	op_kind kind;
	const char *val;
	size_t val_len;
	uint32_t expire;
	uint32_t flags;
	uint64_t delta;
	uint64_t initial;
	uint64_t value;   /* counters: the new value */
	mcd_buf *out;     /* get: the value */
	uint32_t out_flags;
	bool nomem;       /* get: the value could not be copied out */
	bool quiet;       /* sent without waiting for the answer */
} op_req;

typedef memcached_return_t (*op_call_fn)(
		mcd_client *c, const mcd_route *r, op_req *q);
typedef mcd_rc (*op_outcome_fn)(
		mcd_client *c, memcached_return_t lr, op_req *q, int attempts);

typedef struct op_desc {
	const char *name;
	bool retry;      /* idempotent: may be sent again on a new connection */
	bool quiet;      /* noreply may send it without waiting for the answer */
	bool has_expire; /* validates q->expire */
	op_call_fn call;
	op_outcome_fn outcome;
} op_desc;

/* ---- library calls ---- */

static memcached_return_t call_get(
		mcd_client *c, const mcd_route *r, op_req *q)
{
	memcached_return_t lr = MEMCACHED_SUCCESS;
	size_t vlen = 0;
	uint32_t fl = 0;
	char *v = memcached_get_by_key(&c->mc, r->group, r->group_len, r->key,
			r->key_len, &vlen, &fl, &lr);

	if(v == NULL && lr != MEMCACHED_SUCCESS)
		return lr;
	/* copied out by its length, freed at once by its allocator */
	q->nomem = mcd_buf_set(q->out, v ? v : "", v ? vlen : 0) != 0;
	q->out_flags = fl;
	mcd_lm_free(&c->lm, v);
	return MEMCACHED_SUCCESS;
}

static memcached_return_t call_store(
		mcd_client *c, const mcd_route *r, op_req *q)
{
	memcached_st *mc = &c->mc;
	time_t ex = (time_t)q->expire;

	switch(q->kind) {
		case OP_SET:
			return memcached_set_by_key(mc, r->group, r->group_len, r->key,
					r->key_len, q->val, q->val_len, ex, q->flags);
		case OP_ADD:
			return memcached_add_by_key(mc, r->group, r->group_len, r->key,
					r->key_len, q->val, q->val_len, ex, q->flags);
		case OP_REPLACE:
			return memcached_replace_by_key(mc, r->group, r->group_len,
					r->key, r->key_len, q->val, q->val_len, ex, q->flags);
		case OP_APPEND:
			return memcached_append_by_key(mc, r->group, r->group_len, r->key,
					r->key_len, q->val, q->val_len, 0, 0);
		case OP_PREPEND:
			return memcached_prepend_by_key(mc, r->group, r->group_len,
					r->key, r->key_len, q->val, q->val_len, 0, 0);
		default:
			return MEMCACHED_INVALID_ARGUMENTS;
	}
}

static memcached_return_t call_delete(
		mcd_client *c, const mcd_route *r, op_req *q)
{
	(void)q;
	return memcached_delete_by_key(
			&c->mc, r->group, r->group_len, r->key, r->key_len, 0);
}

static memcached_return_t call_touch(
		mcd_client *c, const mcd_route *r, op_req *q)
{
	return memcached_touch_by_key(&c->mc, r->group, r->group_len, r->key,
			r->key_len, (time_t)q->expire);
}

static memcached_return_t call_counter(
		mcd_client *c, const mcd_route *r, op_req *q)
{
	memcached_st *mc = &c->mc;
	bool incr = q->kind == OP_INCR;
	memcached_return_t lr;
	int i;

	if(memcached_behavior_get(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL)) {
		/* one command; the server answers NOT_STORED when another client
		 * created the key between its lookup and its add: it exists now */
		for(i = 0; i < 2; i++) {
			lr = (incr ? memcached_increment_with_initial_by_key
					   : memcached_decrement_with_initial_by_key)(mc,
					r->group, r->group_len, r->key, r->key_len, q->delta,
					q->initial, (time_t)q->expire, &q->value);
			if(lr != MEMCACHED_NOTSTORED && lr != MEMCACHED_DATA_EXISTS)
				break;
		}
		return lr;
	}
	/* text protocol: incr; a missing key is added; if another client
	 * added it first, incr again */
	lr = (incr ? memcached_increment_by_key : memcached_decrement_by_key)(
			mc, r->group, r->group_len, r->key, r->key_len, q->delta,
			&q->value);
	if(lr != MEMCACHED_NOTFOUND)
		return lr;
	{
		char num[MCD_I64_STR_MAX + 1];
		int n = snprintf(
				num, sizeof(num), "%llu", (unsigned long long)q->initial);
		lr = memcached_add_by_key(mc, r->group, r->group_len, r->key,
				r->key_len, num, (size_t)n, (time_t)q->expire, 0);
	}
	if(lr == MEMCACHED_SUCCESS || lr == MEMCACHED_STORED) {
		q->value = q->initial;
		return MEMCACHED_SUCCESS;
	}
	if(lr == MEMCACHED_NOTSTORED || lr == MEMCACHED_DATA_EXISTS)
		lr = (incr ? memcached_increment_by_key : memcached_decrement_by_key)(
				mc, r->group, r->group_len, r->key, r->key_len, q->delta,
				&q->value);
	return lr;
}

/* ---- outcomes ---- */

static mcd_rc out_get(
		mcd_client *c, memcached_return_t lr, op_req *q, int attempts)
{
	(void)attempts;
	if(lr == MEMCACHED_SUCCESS)
		return q->nomem ? mcd_set_err(c, MCD_E_NOMEM, "no memory for the value")
						: MCD_OK;
	return mcd_map_rc(lr);
}

static mcd_rc out_store(
		mcd_client *c, memcached_return_t lr, op_req *q, int attempts)
{
	mcd_rc rc = mcd_map_rc(lr);

	(void)attempts;
	if(rc == MCD_NOT_STORED || rc == MCD_NOT_FOUND || rc == MCD_EXISTS) {
		/* text and binary protocol differ here; report the meaning */
		if(q->kind == OP_ADD)
			return MCD_EXISTS;
		return q->kind == OP_SET ? MCD_NOT_STORED : MCD_NOT_FOUND;
	}
	if(rc == MCD_E_SERVER) {
		/* the text protocol says SERVER_ERROR object too large */
		const char *m = memcached_last_error_message(&c->mc);
		if(m && (strstr(m, "too large") || strstr(m, "TOO_LARGE")))
			return MCD_E_TOO_BIG;
	}
	return rc;
}

static mcd_rc out_delete(
		mcd_client *c, memcached_return_t lr, op_req *q, int attempts)
{
	mcd_rc rc = mcd_map_rc(lr);

	(void)c;
	(void)q;
	/* sent again after the connection broke: the first send may have
	 * deleted it, and the key is gone either way */
	if(rc == MCD_NOT_FOUND && attempts > 1)
		return MCD_OK;
	return rc;
}

static mcd_rc out_plain(
		mcd_client *c, memcached_return_t lr, op_req *q, int attempts)
{
	(void)c;
	(void)q;
	(void)attempts;
	return mcd_map_rc(lr);
}

static mcd_rc out_counter(
		mcd_client *c, memcached_return_t lr, op_req *q, int attempts)
{
	const memcached_st *mc = &c->mc;
	const char *m;

	(void)q;
	(void)attempts;
	if(lr == MEMCACHED_CLIENT_ERROR) {
		/* text protocol: only this CLIENT_ERROR means a non-number */
		m = memcached_last_error_message(mc);
		if(m && strstr(m, "non-numeric"))
			return mcd_set_err(c, MCD_E_NOT_NUMBER, "value is not a number");
		return MCD_E_SERVER;
	}
	/* binary protocol: the library reports the DELTA_BADVAL status as an
	 * unknown read failure without errno, after reading the reply whole;
	 * a broken read has an errno or a connection error instead */
	if(lr == MEMCACHED_UNKNOWN_READ_FAILURE
			&& memcached_behavior_get(
					(memcached_st *)mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL)
			&& memcached_last_error_errno(mc) == 0)
		return mcd_set_err(c, MCD_E_NOT_NUMBER, "value is not a number");
	return mcd_map_rc(lr);
}

/* ---- the table ---- */

static const op_desc ops[] = {
	[OP_GET] = {"get", true, false, false, call_get, out_get},
	[OP_SET] = {"set", true, true, true, call_store, out_store},
	[OP_ADD] = {"add", false, false, true, call_store, out_store},
	[OP_REPLACE] = {"replace", false, false, true, call_store, out_store},
	[OP_APPEND] = {"append", false, false, false, call_store, out_store},
	[OP_PREPEND] = {"prepend", false, false, false, call_store, out_store},
	[OP_DELETE] = {"delete", true, false, false, call_delete, out_delete},
	[OP_TOUCH] = {"touch", true, false, true, call_touch, out_plain},
	[OP_INCR] = {"incr", false, false, true, call_counter, out_counter},
	[OP_DECR] = {"decr", false, false, true, call_counter, out_counter},
};

/* ---- the pipeline ---- */


static mcd_rc done(mcd_client *c, mcd_rc rc)
{
	c->last_rc = rc;
	return rc;
}

static void bump(uint64_t *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
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

	if(attempt > 0 || !idempotent || !s->connected
			|| mcd_map_rc(lr) != MCD_E_CONN)
		return false;
	s->connected = false;
	return true;
}

/*
 * Books the outcome of one operation: statistics, breaker, error detail,
 * slow log. A timeout marks the server dead at once (waiting again would
 * cost another timeout); a connection failure does when the connection had
 * not just been working, so a restarted server costs one failure.
 */
static mcd_rc finish(mcd_client *c, const op_desc *d, const op_req *q,
		const mcd_route *r, const char *key, size_t key_len,
		memcached_return_t lr, mcd_rc rc, uint64_t t0)
{
	mcd_server_stats *st = &c->stats[r->idx];
	mcd_server *s = &c->srv[r->idx];
	uint64_t took;
	mcd_rc lrc;

	bump(&st->ops);
	if(q->kind == OP_GET && (rc == MCD_OK || rc == MCD_NOT_FOUND))
		bump(rc == MCD_OK ? &st->hits : &st->misses);
	/* the library holds the server back for a moment after refused
	 * credentials: still the credentials, not a dead server */
	if(rc == MCD_E_CONN && s->auth_failed
			&& lr == MEMCACHED_SERVER_TEMPORARILY_DISABLED)
		rc = MCD_E_AUTH;
	if(rc == MCD_E_AUTH) {
		s->auth_failed = true;
		mcd_set_err(c, MCD_E_AUTH, "%s: the server refused the credentials",
				mcd_strerror(MCD_E_AUTH));
	}
	if(rc < 0) {
		bump(&st->errors);
		if(rc == MCD_E_TIMEOUT)
			bump(&st->timeouts);
		if(c->err[0] == '\0')
			mcd_set_lib_err(c, &c->mc, rc, lr);
		lrc = mcd_map_rc(lr);
		if(rc == MCD_E_TIMEOUT || (rc == MCD_E_CONN && !s->connected))
			mcd_server_dead(c, r->idx, c->err);
		else if(mcd_rc_is_server_fault(lrc) || lrc == MCD_E_AUTH
				|| lrc == MCD_E_NOMEM)
			/* no answer either way: the trial, if any, goes back */
			mcd_breaker_release(&c->brk, r->idx, r->seen);
		else
			/* the server answered, with a refusal */
			mcd_server_alive(c, r->idx, r->seen);
		if(rc == MCD_E_TIMEOUT || rc == MCD_E_CONN)
			s->connected = false;
	} else if(q->quiet) {
		/* a quiet write is not an answer: it proves nothing about the
		 * server's health, so a trial it took goes back */
		mcd_breaker_release(&c->brk, r->idx, r->seen);
	} else {
		s->connected = true;
		s->auth_failed = false;
		mcd_server_alive(c, r->idx, r->seen);
	}
	if(c->cfg.slow_threshold_us > 0) {
		took = mcd_clock_mono_us() - t0;
		if(took > (uint64_t)c->cfg.slow_threshold_us) {
			char shown[MCD_KEY_SHOW_MAX];
			mcd_key_printable(key, key_len, shown, sizeof(shown));
			mcd_logf(c, MCD_LOG_WARN, "memcached: slow %s '%s': %llu us",
					d->name, shown, (unsigned long long)took);
		}
	}
	return done(c, rc);
}

/* only a flag inside the library: connections are kept; false when the
 * library refused it */
static bool set_reply(mcd_client *c, bool reply)
{
	return memcached_behavior_set(&c->mc, MEMCACHED_BEHAVIOR_NOREPLY,
				   reply ? 0 : 1)
		   == MEMCACHED_SUCCESS;
}

/*
 * Keeps the near cache in step with what this operation did: a read fills
 * it, a plain set that the server confirmed puts the value, every other
 * change (and any write whose outcome is unknown) drops the entry.
 */
static void near_update(mcd_client *c, const op_req *q, const char *key,
		size_t key_len, mcd_rc rc, bool quiet, int64_t sent, uint64_t ticket)
{
	switch(q->kind) {
		case OP_GET:
			if(rc == MCD_OK)
				mcd_near_put(c->near, key, key_len, q->out->data, q->out->len,
						q->out_flags, sent, ticket);
			else if(rc == MCD_NOT_FOUND)
				mcd_near_put(c->near, key, key_len, NULL, 0, 0, sent, ticket);
			return;
		case OP_SET:
			if(rc == MCD_OK && !quiet) {
				mcd_near_set(c->near, key, key_len, q->val, q->val_len,
						q->flags, sent, ticket);
				return;
			}
			break;
		default:
			break;
	}
	mcd_near_drop(c->near, key, key_len);
}

/* The wire key of a script key into r (prefix, and MD5 where needed). */
static mcd_rc wire_key(
		mcd_client *c, const char *key, size_t key_len, mcd_route *r)
{
	if(key == NULL || key_len == 0)
		return mcd_set_err(c, MCD_E_ARG, "empty key");
	r->key_len = mcd_key_build(
			c->prefix, c->prefix_len, key, key_len, r->key, NULL);
	if(r->key_len == 0)
		return mcd_set_err(c, MCD_E_ARG, "key could not be built");
	return MCD_OK;
}

/* The library call, sent again once after a broken connection when the
 * operation allows it. *attempts: how many were sent. */
static memcached_return_t call_retry(mcd_client *c, const op_desc *d,
		const mcd_route *r, op_req *q, int *attempts)
{
	memcached_return_t lr;
	int n;

	for(n = 1;; n++) {
		lr = d->call(c, r, q);
		if(!retry_now(c, r, lr, n - 1, d->retry))
			break;
	}
	*attempts = n;
	return lr;
}

/* call_retry under the abort guard: a library assertion (a broken reply)
 * fails this operation, and the handle, in an unknown state, is renewed */
static memcached_return_t call_guarded(mcd_client *c, const op_desc *d,
		const mcd_route *r, op_req *q, int *attempts)
{
	sigjmp_buf env;
	memcached_return_t lr;

	*attempts = 1;
	if(sigsetjmp(env, 0) != 0) {
		mcd_guard_leave();
		mcd_set_err(c, MCD_E_CONN,
				"%s: the server's reply broke the protocol; connection "
				"reset",
				mcd_strerror(MCD_E_CONN));
		mcd_logf(c, MCD_LOG_ERROR,
				"memcached: %s to %s: the client library gave up on the "
				"server's reply; its connections are reset",
				d->name, c->srv[r->idx].name);
		mcd_client_renew(c);
		return MEMCACHED_PROTOCOL_ERROR;
	}
	mcd_guard_enter(&env);
	lr = call_retry(c, d, r, q, attempts);
	mcd_guard_leave();
	return lr;
}

static mcd_rc run_op(mcd_client *c, const char *key, size_t key_len, op_req *q)
{
	const op_desc *d = &ops[q->kind];
	memcached_return_t lr;
	mcd_route r;
	mcd_rc rc;
	uint64_t t0;
	bool quiet;
	int attempts;
	uint32_t near_ttl = 0;
	uint64_t near_ticket = 0;
	int64_t near_sent = 0;

	c->err[0] = '\0';
	if(c->gen != mcd_fork_generation)
		return done(c, mcd_set_err(c, MCD_E_FOREIGN,
							   "client made by another process"));
	/* a handle renewed after a library abort may have failed to come up */
	if(!c->mc_created && mcd_client_renew(c) != MCD_OK)
		return done(c, mcd_set_err(c, MCD_E_NOMEM, "no library handle"));
	if(key == NULL || key_len == 0)
		return done(c, mcd_set_err(c, MCD_E_ARG, "empty key"));
	if(d->has_expire && q->expire > MCD_EXPIRE_MAX)
		return done(c, mcd_set_err(c, MCD_E_ARG, "expire out of range"));
	if(c->near && (near_ttl = mcd_near_ttl_ms(c->near, key, key_len)) > 0) {
		if(q->kind == OP_GET) {
			switch(mcd_near_get(c->near, key, key_len, q->out, &q->out_flags)) {
				case MCD_NEAR_VALUE:
					return done(c, MCD_OK);
				case MCD_NEAR_ABSENT:
					return done(c, MCD_NOT_FOUND);
				default:
					break;
			}
		}
		/* taken before sending, so an older answer cannot be cached
		 * over a newer local write */
		near_ticket = mcd_near_ticket(c->near, key, key_len);
		near_sent = mcd_near_now(c->near);
	}
	if((rc = wire_key(c, key, key_len, &r)) != MCD_OK)
		return done(c, rc);
	if((rc = mcd_route_key(c, &r)) != MCD_OK) {
		/* refused without sending: still an operation, and an error */
		mcd_server_stats *st = &c->stats[r.idx];
		bump(&st->ops);
		bump(&st->errors);
		bump(&st->failfast);
		return done(c, rc);
	}
	/* a change going to a stand-in is remembered before it is sent */
	if(r.idx != r.home && q->kind != OP_GET && c->journal)
		mcd_failback_record(c, &r);
	/* only a plain set may go quietly: the answer of every other command
	 * is its meaning, and the library discards the answers of quiet
	 * stores only, so any other quiet command would shift the replies.
	 * A near-cached key waits for its answer: the entry is updated only
	 * once the server holds the value, so no read that overtook the write
	 * can cache the value it replaced. */
	quiet = d->quiet && c->quiet_set && near_ttl == 0 && set_reply(c, false);
	q->quiet = quiet;
	/* the clock is read only when someone wants slow operations logged */
	t0 = c->cfg.slow_threshold_us > 0 ? mcd_clock_mono_us() : 0;
	lr = call_guarded(c, d, &r, q, &attempts);
	if(quiet && !set_reply(c, true))
		mcd_logf(c, MCD_LOG_ERROR, "memcached: cannot leave quiet mode");
	rc = d->outcome(c, lr, q, attempts);
	rc = finish(c, d, q, &r, key, key_len, lr, rc, t0);
	if(near_ttl > 0)
		near_update(c, q, key, key_len, rc, quiet, near_sent, near_ticket);
	return rc;
}

/* ---- public operations ---- */

mcd_rc mcd_get(mcd_client *c, const char *key, size_t key_len, mcd_buf *out,
		uint32_t *flags)
{
	op_req q = {.kind = OP_GET, .out = out};
	mcd_rc rc = run_op(c, key, key_len, &q);

	if(rc == MCD_OK && flags)
		*flags = q.out_flags;
	return rc;
}

mcd_rc mcd_store(mcd_client *c, mcd_store_op op, const char *key,
		size_t key_len, const char *val, size_t val_len, uint32_t expire,
		uint32_t flags)
{
	static const op_kind kinds[] = {
			OP_SET, OP_ADD, OP_REPLACE, OP_APPEND, OP_PREPEND};
	op_req q = {.val = val ? val : "",
			.val_len = val_len,
			.expire = expire,
			.flags = flags};

	if((unsigned)op > MCD_PREPEND || (val == NULL && val_len > 0))
		return done(c, mcd_set_err(c, MCD_E_ARG, "bad store arguments"));
	q.kind = kinds[op];
	return run_op(c, key, key_len, &q);
}

mcd_rc mcd_delete(mcd_client *c, const char *key, size_t key_len)
{
	op_req q = {.kind = OP_DELETE};

	return run_op(c, key, key_len, &q);
}

mcd_rc mcd_touch(
		mcd_client *c, const char *key, size_t key_len, uint32_t expire)
{
	op_req q = {.kind = OP_TOUCH, .expire = expire};

	return run_op(c, key, key_len, &q);
}

static mcd_rc counter(mcd_client *c, op_kind kind, const char *key,
		size_t key_len, uint64_t delta, uint64_t initial, uint32_t expire,
		uint64_t *value)
{
	op_req q = {.kind = kind,
			.delta = delta,
			.initial = initial,
			.expire = expire};
	mcd_rc rc = run_op(c, key, key_len, &q);

	if(rc == MCD_OK && value)
		*value = q.value;
	return rc;
}

mcd_rc mcd_incr(mcd_client *c, const char *key, size_t key_len,
		uint64_t delta, uint64_t initial, uint32_t expire, uint64_t *value)
{
	return counter(c, OP_INCR, key, key_len, delta, initial, expire, value);
}

mcd_rc mcd_decr(mcd_client *c, const char *key, size_t key_len,
		uint64_t delta, uint64_t initial, uint32_t expire, uint64_t *value)
{
	return counter(c, OP_DECR, key, key_len, delta, initial, expire, value);
}

mcd_rc mcd_server_for_key(
		mcd_client *c, const char *key, size_t key_len, size_t *idx)
{
	mcd_route r;
	mcd_rc rc;

	c->err[0] = '\0';
	if((rc = wire_key(c, key, key_len, &r)) != MCD_OK)
		return rc;
	rc = mcd_route_key(c, &r);
	if(rc == MCD_OK) {
		*idx = r.idx;
		/* nothing was tried: a trial claimed by routing goes back */
		mcd_breaker_release(&c->brk, r.idx, r.seen);
	}
	return rc;
}
