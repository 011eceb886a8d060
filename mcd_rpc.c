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
 * RPC commands:
 *   memcached.stats  counters of every server and their sum, over all
 *                    Kamailio processes (they live in shared memory)
 *   memcached.check  contacts every server now: state and round trip
 */
#include <string.h>
#include <time.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"

#include "memcached.h"
#include "mcd_rpc.h"
#include "mcd_near.h"
#include "mcd_fbmod.h"

static mcd_client *mcd_rpc_client(rpc_t *rpc, void *ctx)
{
	mcd_client *c = mcd_client_get();

	if(c == NULL)
		rpc->fault(ctx, 500, "memcached client not available");
	return c;
}

/* the near cache's figures as a "near" member; nothing when it is off */
static void mcd_rpc_near_add(rpc_t *rpc, void *th)
{
	mcd_near *n = mcd_near_shared();
	uint64_t hits, misses, entries;
	void *nh;

	if(n == NULL)
		return;
	mcd_near_stats(n, &hits, &misses, &entries);
	if(rpc->struct_add(th, "{", "near", &nh) < 0)
		return;
	rpc->struct_add(nh, "JJJ", "hits", (unsigned long long)hits, "misses",
			(unsigned long long)misses, "entries",
			(unsigned long long)entries);
}

/* failback's figures as a "failback" member; nothing when it is off */
static void mcd_rpc_failback_add(rpc_t *rpc, void *th)
{
	mcd_journal *j = mcd_fbmod_journal();
	uint64_t settled, overflows;
	void *fh;

	if(j == NULL)
		return;
	mcd_journal_stats(j, &settled, &overflows);
	if(rpc->struct_add(th, "{", "failback", &fh) < 0)
		return;
	rpc->struct_add(fh, "JJ", "settled", (unsigned long long)settled,
			"overflows", (unsigned long long)overflows);
}

static const char *mcd_rpc_stats_doc[] = {
		"Per server: address, state (up/dead), ops, hits, misses, errors, "
		"timeouts, failfast, remembered (failback: keys to settle before "
		"it is used again); and their totals over all processes, with "
		"servers_dead; with the near cache on, its hits, misses and "
		"entries.",
		0};

static void mcd_rpc_stats(rpc_t *rpc, void *ctx)
{
	mcd_client *c;
	void *th, *ah, *sh, *toth;
	mcd_totals s, tot;
	size_t i, n;

	if((c = mcd_rpc_client(rpc, ctx)) == NULL)
		return;
	memset(&tot, 0, sizeof(tot));
	n = mcd_server_count(c);
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	if(rpc->struct_add(th, "[", "servers", &ah) < 0)
		return;
	for(i = 0; i < n; i++) {
		/* the client counts into shared memory, for all processes; each
		 * counter is atomic, together they are a close snapshot; the totals
		 * are summed here so that they always match the servers shown */
		mcd_server_counts(c, i, &s);
		mcd_totals_add(&tot, &s);
		if(rpc->array_add(ah, "{", &sh) < 0)
			return;
		if(rpc->struct_add(sh, "ssJJJJJJ", "address", mcd_server_name(c, i),
				   "state", s.servers_dead ? "dead" : "up", "ops",
				   (unsigned long long)s.ops, "hits",
				   (unsigned long long)s.hits, "misses",
				   (unsigned long long)s.misses, "errors",
				   (unsigned long long)s.errors, "timeouts",
				   (unsigned long long)s.timeouts, "failfast",
				   (unsigned long long)s.failfast)
				< 0)
			return;
		/* failback: keys to settle before it is used again */
		if(rpc->struct_add(sh, "J", "remembered",
				   (unsigned long long)mcd_journal_pending(
						   mcd_fbmod_journal(), i))
				< 0)
			return;
	}
	if(rpc->struct_add(th, "{", "totals", &toth) < 0)
		return;
	if(rpc->struct_add(toth, "JJJJJJJ", "ops", (unsigned long long)tot.ops,
			   "hits", (unsigned long long)tot.hits, "misses",
			   (unsigned long long)tot.misses, "errors",
			   (unsigned long long)tot.errors, "timeouts",
			   (unsigned long long)tot.timeouts, "failfast",
			   (unsigned long long)tot.failfast, "servers_dead",
			   (unsigned long long)tot.servers_dead)
			< 0)
		return;
	mcd_rpc_near_add(rpc, th);
	mcd_rpc_failback_add(rpc, th);
}

static const char *mcd_rpc_check_doc[] = {
		"Contacts every server now; per server: address, state (up/dead), "
		"rtt_us, and the error when it failed.",
		0};

static void mcd_rpc_check(rpc_t *rpc, void *ctx)
{
	mcd_client *c;
	void *th, *ah, *sh;
	uint64_t rtt;
	mcd_rc rc;
	size_t i, n;

	if((c = mcd_rpc_client(rpc, ctx)) == NULL)
		return;
	n = mcd_server_count(c);
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	if(rpc->struct_add(th, "[", "servers", &ah) < 0)
		return;
	for(i = 0; i < n; i++) {
		rtt = 0;
		rc = mcd_server_check(c, i, &rtt);
		if(rpc->array_add(ah, "{", &sh) < 0)
			return;
		if(rpc->struct_add(sh, "ssJ", "address", mcd_server_name(c, i), "state",
				   rc == MCD_OK ? "up" : "dead", "rtt_us",
				   (unsigned long long)rtt)
				< 0)
			return;
		if(rc != MCD_OK)
			rpc->struct_add(sh, "s", "error", mcd_client_errdetail(c));
	}
}

static const char *mcd_rpc_near_flush_doc[] = {
		"Empties the near cache of this instance (all processes); returns "
		"the number of entries dropped.",
		0};

static void mcd_rpc_near_flush(rpc_t *rpc, void *ctx)
{
	mcd_near *n = mcd_near_shared();
	uint64_t entries = 0;
	void *th;

	if(n == NULL) {
		rpc->fault(ctx, 400, "near cache is off (modparam near_cache)");
		return;
	}
	/* a read in another process may add an entry between the two calls:
	 * the count is what was there just before */
	mcd_near_stats(n, NULL, NULL, &entries);
	mcd_near_flush(n);
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "J", "dropped", (unsigned long long)entries);
}

/* clang-format off */
static rpc_export_t mcd_rpc_cmds[] = {
	{"memcached.stats", mcd_rpc_stats, mcd_rpc_stats_doc, 0},
	{"memcached.check", mcd_rpc_check, mcd_rpc_check_doc, 0},
	{"memcached.near_flush", mcd_rpc_near_flush, mcd_rpc_near_flush_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

int mcd_rpc_register(void)
{
	if(rpc_register_array(mcd_rpc_cmds) != 0) {
		LM_ERR("memcached: cannot register the RPC commands\n");
		return -1;
	}
	return 0;
}
