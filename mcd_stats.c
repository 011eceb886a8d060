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
 * Statistics of group "memcached". Each is a function (STAT_IS_FUNC) that
 * sums the counters the core keeps in shared memory, so every process,
 * whichever runs the statistics RPC, shows the totals of the instance
 * without a second set of counters to keep in step.
 */
#include "core/counters.h"
#include "core/dprint.h"

#include "memcached.h"
#include "mcd_stats.h"
#include "mcd_near.h"
#include "mcd_fbmod.h"

#ifdef STATISTICS

static int mcd_stats_totals(mcd_totals *t)
{
	mcd_client *c = mcd_client_get();

	if(c == NULL)
		return 0;
	mcd_totals_get(c, t);
	return 1;
}

/* counter_val_t is a long: a counter beyond it (not in a lifetime) wraps */
#define MCD_STAT_FN(field)                       \
	static counter_val_t mcd_stat_##field(void)  \
	{                                            \
		mcd_totals t;                            \
		if(!mcd_stats_totals(&t))                \
			return 0;                            \
		return (counter_val_t)t.field;           \
	}

MCD_STAT_FN(ops)
MCD_STAT_FN(hits)
MCD_STAT_FN(misses)
MCD_STAT_FN(errors)
MCD_STAT_FN(timeouts)
MCD_STAT_FN(failfast)
MCD_STAT_FN(servers_dead)

/* near cache: read straight from shm, no client needed */
static counter_val_t mcd_stat_near_hits(void)
{
	uint64_t v = 0;

	mcd_near_stats(mcd_near_shared(), &v, NULL, NULL);
	return (counter_val_t)v;
}

static counter_val_t mcd_stat_near_misses(void)
{
	uint64_t v = 0;

	mcd_near_stats(mcd_near_shared(), NULL, &v, NULL);
	return (counter_val_t)v;
}

/* failback: read straight from the journal in shm */
static counter_val_t mcd_stat_failback_settled(void)
{
	uint64_t v = 0;

	mcd_journal_stats(mcd_fbmod_journal(), &v, NULL);
	return (counter_val_t)v;
}

static counter_val_t mcd_stat_failback_overflows(void)
{
	uint64_t v = 0;

	mcd_journal_stats(mcd_fbmod_journal(), NULL, &v);
	return (counter_val_t)v;
}

/* clang-format off */
static stat_export_t mcd_stats[] = {
	{"ops",          STAT_IS_FUNC, (stat_var **)mcd_stat_ops},
	{"hits",         STAT_IS_FUNC, (stat_var **)mcd_stat_hits},
	{"misses",       STAT_IS_FUNC, (stat_var **)mcd_stat_misses},
	{"errors",       STAT_IS_FUNC, (stat_var **)mcd_stat_errors},
	{"timeouts",     STAT_IS_FUNC, (stat_var **)mcd_stat_timeouts},
	{"failfast",     STAT_IS_FUNC, (stat_var **)mcd_stat_failfast},
	{"servers_dead", STAT_IS_FUNC, (stat_var **)mcd_stat_servers_dead},
	/* always registered (0 while the near cache is off): a monitoring
	 * template need not know whether it is on */
	{"near_hits",    STAT_IS_FUNC, (stat_var **)mcd_stat_near_hits},
	{"near_misses",  STAT_IS_FUNC, (stat_var **)mcd_stat_near_misses},
	{"failback_settled",   STAT_IS_FUNC,
			(stat_var **)mcd_stat_failback_settled},
	{"failback_overflows", STAT_IS_FUNC,
			(stat_var **)mcd_stat_failback_overflows},
	{0, 0, 0}
};
/* clang-format on */

int mcd_stats_register(void)
{
	if(register_module_stats("memcached", mcd_stats) != 0) {
		LM_ERR("memcached: cannot register the statistics\n");
		return -1;
	}
	return 0;
}

#else /* Kamailio built without statistics */

int mcd_stats_register(void)
{
	return 0;
}

#endif
