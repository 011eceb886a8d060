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
#include <stdio.h>
#include <string.h>

#include "mcd_client_int.h"

#define ROUTE_TOKEN_TRIES 4096

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
void mcd_route_tokens(mcd_client *c)
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

static bool usable(mcd_client *c, size_t idx, mcd_route *r)
{
	int64_t seen;

	/* a trial claimed on a server with keys to settle is not made: only
	 * the prober puts it back, once they are settled */
	if(mcd_breaker_blocked(&c->brk, idx, &seen)
			|| (seen != 0 && mcd_journal_owed(c->journal, idx))) {
		r->skipped |= 1ULL << idx;
		return false;
	}
	r->idx = idx;
	r->seen = seen;
	return true;
}

/*
 * A dead server's keys go, with failover, to the server an alternative
 * group key maps to (spread, and the same in every process), else to the
 * next live server in list order.
 */
mcd_rc mcd_route_key(mcd_client *c, mcd_route *r)
{
	size_t i, n = c->nservers;

	r->home = r->idx = hash_index(c, r->key, r->key_len);
	r->skipped = 0;
	r->group = r->key;
	r->group_len = r->key_len;
	if(usable(c, r->home, r))
		return MCD_OK;
	if(!c->cfg.failover || n == 1)
		return mcd_set_err(c, MCD_E_DEAD, "server %s marked dead",
				c->srv[r->home].name);
	for(i = 1; i <= 2 * n; i++) {
		int len = snprintf(r->gbuf, sizeof(r->gbuf), "%.*s#%zu",
				(int)r->key_len, r->key, i);
		if(usable(c, hash_index(c, r->gbuf, (size_t)len), r)) {
			r->group = r->gbuf;
			r->group_len = (size_t)len;
			return MCD_OK;
		}
	}
	for(i = 1; i < n; i++) {
		size_t idx = (r->home + i) % n;
		if(c->srv[idx].token[0] && usable(c, idx, r)) {
			r->group = c->srv[idx].token;
			r->group_len = strlen(c->srv[idx].token);
			return MCD_OK;
		}
	}
	r->idx = r->home;
	r->group = r->key;
	r->group_len = r->key_len;
	return mcd_set_err(c, MCD_E_DEAD, "all servers marked dead");
}
