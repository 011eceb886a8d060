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
#include "mcd_breaker.h"

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define CAS(p, expp, v)                                     \
	__atomic_compare_exchange_n((p), (expp), (v), false, \
			__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)

void mcd_breaker_init(mcd_breaker *b, mcd_server_stats *st, size_t n,
		const mcd_config *cfg)
{
	b->st = st;
	b->n = n;
	b->retry_ms = 1000 * (int64_t)cfg->retry_timeout_s;
	/* long enough for a trial to finish or time out */
	b->claim_ms = 2 * (int64_t)cfg->timeout_ms + 1000;
	b->grace_ms = cfg->probe_interval_ms > 0
						  ? 2 * (int64_t)cfg->probe_interval_ms + b->claim_ms
						  : 0;
	b->now_fn = cfg->now_ms ? cfg->now_ms : mcd_clock_mono_ms;
	b->clock_ctx = cfg->now_ms ? cfg->clock_ctx : NULL;
}

int64_t mcd_breaker_now(const mcd_breaker *b)
{
	/* never 0: 0 means "up" in dead_until */
	int64_t t = b->now_fn(b->clock_ctx);
	return t > 0 ? t : 1;
}

bool mcd_breaker_is_dead(const mcd_breaker *b, size_t i)
{
	return LD(&b->st[i].dead_until) != 0;
}

bool mcd_breaker_blocked(const mcd_breaker *b, size_t i, int64_t *seen)
{
	int64_t *dup = &b->st[i].dead_until;
	int64_t du = LD(dup), now;

	*seen = du;
	if(du == 0)
		return false;
	now = mcd_breaker_now(b);
	if(now < du + b->grace_ms)
		return true;
	/* the mark ran out: the winner of the swap tries the server */
	if(!CAS(dup, &du, now + b->claim_ms))
		return true;
	*seen = now + b->claim_ms;
	return false;
}

bool mcd_breaker_trip(const mcd_breaker *b, size_t i)
{
	mcd_server_stats *st = &b->st[i];
	int64_t until = mcd_breaker_now(b) + b->retry_ms;
	int64_t old = LD(&st->dead_until);

	/* the later of the marks wins, and the mark always changes, so that a
	 * success seen with the mark from before cannot clear this one */
	for(;;) {
		int64_t want = (old != 0 && old >= until) ? old + 1 : until;
		if(CAS(&st->dead_until, &old, want))
			break;
	}
	if(old != 0)
		return false;
	__atomic_fetch_add(&st->dead_gen, 1, __ATOMIC_ACQ_REL);
	return true;
}

bool mcd_breaker_ok(const mcd_breaker *b, size_t i, int64_t seen)
{
	if(seen == 0)
		return false; /* it was up: a mark put since is fresh, keep it */
	return CAS(&b->st[i].dead_until, &seen, 0);
}

void mcd_breaker_release(const mcd_breaker *b, size_t i, int64_t seen)
{
	/* 1: a mark that ran out long ago, so the next caller may claim */
	if(seen != 0)
		(void)CAS(&b->st[i].dead_until, &seen, 1);
}

int64_t mcd_breaker_hold(const mcd_breaker *b, size_t i, int64_t hold_ms)
{
	int64_t *dup = &b->st[i].dead_until;
	int64_t du = LD(dup), want;

	for(;;) {
		if(du == 0)
			return 0;
		want = mcd_breaker_now(b) + hold_ms;
		if(want <= du)
			return du;
		if(CAS(dup, &du, want))
			return want;
	}
}

void mcd_breaker_transitions(
		const mcd_breaker *b, size_t i, bool *went_down, bool *came_up)
{
	mcd_server_stats *st = &b->st[i];
	uint64_t gen = LD(&st->dead_gen);
	bool dead = LD(&st->dead_until) != 0;

	*went_down = *came_up = false;
	if(gen != LD(&st->announced_gen)) {
		ST(&st->announced_gen, gen);
		if(!LD(&st->announced_dead)) {
			*went_down = true;
			ST(&st->announced_dead, 1);
		}
	}
	if(!dead && LD(&st->announced_dead)) {
		*came_up = true;
		ST(&st->announced_dead, 0);
	}
}
