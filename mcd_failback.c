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
 * Failback: recording changes sent to stand-ins, and settling them in the
 * prober before a returning server is used again (see mcd_failback.h).
 *
 * Races, and why they are covered:
 * - a worker routes to a stand-in, then the mark is cleared: it recorded
 *   before sending, and the prober settles the journal again a grace of
 *   `timeout` after the clear (every operation ends within it);
 * - a change during settling: the owner is still marked, so it goes to a
 *   stand-in and is recorded again (new seq); the prober forgets a key
 *   only when its seq did not move, and clears the mark only when no key
 *   is left;
 * - a stand-in that goes out while the owner is still out: the next
 *   change goes to another stand-in and is owed to both servers passed
 *   over, so when the first stand-in returns (and the owner's keys fail
 *   over to it again) its older copy is settled before it is used;
 * - a server that cannot be reached while a key is settled: the key is
 *   then owed to that server too, and is settled everywhere when it
 *   returns, so a copy left there cannot resurface on a later failover.
 * Settling only deletes: whatever interleaves, a read finds the last
 * value written or nothing.
 */
#include <stdio.h>
#include <string.h>

#include "mcd_client_int.h"

#define SETTLE_BATCH 1024
#define SETTLE_PASSES 4 /* per tick; the rest waits for the next one */

void mcd_client_set_failback(
		mcd_client *c, mcd_journal *j, mcd_fb_overflow overflow)
{
	c->journal = j;
	c->fb_overflow = overflow == MCD_FB_FLUSH_OWNER ? MCD_FB_FLUSH_OWNER
													: MCD_FB_FLUSH_ALL;
}

mcd_journal *mcd_client_journal(const mcd_client *c)
{
	return c ? c->journal : NULL;
}

void mcd_failback_record(mcd_client *c, const mcd_route *r)
{
	/* owed to every server passed over: the home, and a stand-in that
	 * is out too (its copy is older than this change) */
	mcd_jrec jr = mcd_journal_record(c->journal,
			r->skipped | (1ULL << r->home), r->idx, r->key, r->key_len);

	if(jr == MCD_JREC_OVERFLOW_NEW)
		mcd_logf(c, MCD_LOG_WARN,
				"memcached: failback: more keys changed while %s is out "
				"than it remembers: it will be flushed when it returns",
				c->srv[r->home].name);
}

/* Deletes key on server s, through the group token that maps to it.
 * true: gone there (deleted or missing). */
static bool delete_on(mcd_client *c, size_t s, const mcd_jkey *k)
{
	const char *t = c->srv[s].token;
	memcached_return_t lr = MEMCACHED_FAILURE;
	sigjmp_buf env;
	int i;

	if(t[0] == '\0')
		return false;
	/* a broken reply may make the library abort: as for any operation */
	if(sigsetjmp(env, 0) != 0) {
		mcd_guard_leave();
		mcd_set_err(c, MCD_E_CONN, "%s: the server's reply broke the "
				"protocol; connection reset", mcd_strerror(MCD_E_CONN));
		mcd_client_renew(c);
		return false;
	}
	mcd_guard_enter(&env);
	/* twice: the first try may find a connection the server closed */
	for(i = 0; i < 2; i++) {
		lr = memcached_delete_by_key(&c->mc, t, strlen(t), k->key, k->len, 0);
		if(lr == MEMCACHED_SUCCESS || lr == MEMCACHED_DELETED
				|| lr == MEMCACHED_NOTFOUND) {
			mcd_guard_leave();
			return true;
		}
		if(mcd_map_rc(lr) != MCD_E_CONN)
			break;
	}
	mcd_guard_leave();
	mcd_set_lib_err(c, &c->mc, mcd_map_rc(lr), lr);
	return false;
}

/* Flushes server s alone, on a handle of its own. */
static mcd_rc flush_one(mcd_client *c, size_t s)
{
	memcached_st h;
	memcached_return_t lr;
	sigjmp_buf env;
	mcd_rc rc;

	if(memcached_create(&h) == NULL)
		return mcd_set_err(c, MCD_E_NOMEM, "out of memory");
	rc = mcd_setup_handle(c, &h, &c->srv[s], 1, false);
	if(rc != MCD_OK) {
		memcached_free(&h);
		return rc;
	}
	if(sigsetjmp(env, 0) != 0) {
		/* the library aborted on a broken reply: the handle is abandoned
		 * (its state is unknown), the flush counts as failed */
		mcd_guard_leave();
		return mcd_set_err(c, MCD_E_CONN, "%s: the server's reply broke "
				"the protocol", mcd_strerror(MCD_E_CONN));
	}
	mcd_guard_enter(&env);
	lr = memcached_flush(&h, 0);
	rc = mcd_map_rc(lr);
	if(rc != MCD_OK)
		mcd_set_lib_err(c, &h, rc, lr);
	memcached_free(&h);
	mcd_guard_leave();
	return rc;
}

/* Overflowed: flushes idx (and, by choice, the servers that stood in for
 * it; one that is dead is flagged to be flushed when it returns). */
static bool settle_overflow(mcd_client *c, size_t idx)
{
	uint64_t standins;
	size_t s;

	if(!mcd_journal_take_overflow(c->journal, idx, &standins))
		return true;
	mcd_logf(c, MCD_LOG_WARN,
			"memcached: failback: %s returns after more changes than "
			"remembered: flushing it%s",
			c->srv[idx].name,
			c->fb_overflow == MCD_FB_FLUSH_ALL ? " and its stand-ins" : "");
	if(flush_one(c, idx) != MCD_OK) {
		mcd_journal_raise_overflow(c->journal, idx);
		mcd_server_dead(c, idx, c->err);
		return false;
	}
	if(c->fb_overflow != MCD_FB_FLUSH_ALL)
		return true;
	for(s = 0; s < c->nservers; s++) {
		if(s == idx || !(standins & (1ULL << s)))
			continue;
		if(mcd_breaker_is_dead(&c->brk, s) || flush_one(c, s) != MCD_OK)
			mcd_journal_raise_overflow(c->journal, s);
	}
	return true;
}

/*
 * Deletes the keys remembered for idx on every server. A server other
 * than idx that cannot be reached owes the key (settled on its return).
 * false when idx itself failed (it is marked dead again).
 */
static bool settle_keys(
		mcd_client *c, size_t idx, int64_t *seen, uint64_t *total)
{
	mcd_jkey *buf;
	size_t n, i, s, cursor, pass, forgot;
	bool ok = true;

	if(mcd_journal_pending(c->journal, idx) == 0)
		return true;
	buf = mcd_alloc(&c->alloc, SETTLE_BATCH * sizeof(*buf));
	if(buf == NULL)
		return false;
	for(pass = 0; ok && pass < SETTLE_PASSES
				  && mcd_journal_pending(c->journal, idx) > 0;
			pass++) {
		cursor = 0;
		/* each snapshot moves the cursor on: bounded by the entries */
		while(ok
				&& (n = mcd_journal_snapshot(c->journal, idx, buf,
							SETTLE_BATCH, &cursor))
						   > 0) {
			for(i = 0; ok && i < n; i++) {
				for(s = 0; s < c->nservers; s++) {
					if(s != idx && mcd_breaker_is_dead(&c->brk, s)) {
						buf[i].fail |= 1ULL << s;
						continue;
					}
					if(delete_on(c, s, &buf[i]))
						continue;
					if(s == idx) {
						ok = false;
						break;
					}
					buf[i].fail |= 1ULL << s;
					mcd_server_dead(c, s, c->err);
				}
			}
			/* the keys fully done before a failure of idx count */
			forgot = mcd_journal_settled(c->journal, idx, buf, ok ? n : i - 1);
			mcd_journal_count_settled(c->journal, forgot);
			*total += forgot;
			if(seen != NULL)
				*seen = mcd_breaker_hold(&c->brk, idx, c->brk.claim_ms);
		}
	}
	mcd_free(&c->alloc, buf);
	if(!ok)
		mcd_server_dead(c, idx, c->err);
	return ok;
}

bool mcd_failback_settle(mcd_client *c, size_t idx, int64_t *seen)
{
	uint64_t total = 0, t0 = mcd_clock_mono_us();
	bool ok;

	if(c->journal == NULL)
		return true;
	ok = settle_overflow(c, idx) && settle_keys(c, idx, seen, &total);
	/* a mark that is no longer ours (0: cleared elsewhere) is left as is */
	ok = ok && *seen != 0 && !mcd_journal_owed(c->journal, idx);
	if(total > 0)
		mcd_logf(c, MCD_LOG_INFO,
				"memcached: failback: %s: %llu keys settled in %llu ms%s",
				c->srv[idx].name, (unsigned long long)total,
				(unsigned long long)((mcd_clock_mono_us() - t0) / 1000),
				ok ? ", back in use" : ", more to settle");
	return ok;
}

void mcd_failback_back(mcd_client *c, size_t idx)
{
	int64_t *at;

	if(c->journal == NULL)
		return;
	at = mcd_journal_recheck_at(c->journal, idx);
	*at = mcd_breaker_now(&c->brk) + c->cfg.timeout_ms;
}

void mcd_failback_tick(mcd_client *c)
{
	uint64_t total = 0;
	int64_t now, *at;
	size_t i;

	if(c->journal == NULL)
		return;
	now = mcd_breaker_now(&c->brk);
	for(i = 0; i < c->nservers; i++) {
		at = mcd_journal_recheck_at(c->journal, i);
		/* a dead one is settled when it returns */
		if(now < *at || mcd_breaker_is_dead(&c->brk, i))
			continue;
		*at = 0;
		if(!mcd_journal_owed(c->journal, i))
			continue;
		if(settle_overflow(c, i))
			(void)settle_keys(c, i, NULL, &total);
	}
}
