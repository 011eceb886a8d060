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
#include "core/dprint.h"
#include "core/mem/shm_mem.h"

#include "memcached.h"
#include "mcd_failback.h"
#include "mcd_fbmod.h"

int mcd_failback = 1;
int mcd_failback_keys = 10000;
int mcd_failback_overflow = MCD_FB_FLUSH_ALL;

static mcd_journal *mcd_fb_journal = NULL;

int mcd_fbmod_init(size_t nservers, int failover, int probe_interval)
{
	size_t bytes;
	mcd_rc rc;

	if(mcd_failback != 0 && mcd_failback != 1) {
		LM_ERR("memcached: failback: must be 0 or 1\n");
		return -1;
	}
	if(mcd_failback_keys < 1
			|| (unsigned)mcd_failback_keys > MCD_JOURNAL_MAX_KEYS) {
		LM_ERR("memcached: failback_keys: must be 1..%u keys\n",
				MCD_JOURNAL_MAX_KEYS);
		return -1;
	}
	if(mcd_failback_overflow != MCD_FB_FLUSH_ALL
			&& mcd_failback_overflow != MCD_FB_FLUSH_OWNER) {
		LM_ERR("memcached: failback_overflow: must be 1 (flush the returning "
			   "server and its stand-ins) or 2 (the returning server only)\n");
		return -1;
	}
	/* nothing to settle with one server or without failover */
	if(!mcd_failback || nservers < 2 || !failover)
		return 0;
	if(probe_interval <= 0) {
		LM_WARN("memcached: failback needs the prober (probe_interval > 0): "
				"off, a returning server may show values from before its "
				"outage\n");
		return 0;
	}
	bytes = mcd_journal_size((size_t)mcd_failback_keys);
	rc = mcd_journal_new_shm((size_t)mcd_failback_keys, nservers,
			&mcd_shm_allocator, &mcd_fb_journal);
	if(rc != MCD_OK) {
		LM_ERR("memcached: failback_keys: %d keys need %zu KB of shared "
			   "memory: %s (raise kamailio -m or lower failback_keys)\n",
				mcd_failback_keys, bytes / 1024, mcd_strerror(rc));
		return -1;
	}
	LM_INFO("memcached: failback on: up to %d keys remembered (%zu KB of "
			"shared memory)\n",
			mcd_failback_keys, bytes / 1024);
	return 0;
}

void mcd_fbmod_attach(mcd_client *c)
{
	if(c != NULL && mcd_fb_journal != NULL)
		mcd_client_set_failback(
				c, mcd_fb_journal, (mcd_fb_overflow)mcd_failback_overflow);
}

mcd_journal *mcd_fbmod_journal(void)
{
	return mcd_fb_journal;
}

void mcd_fbmod_destroy(void)
{
	mcd_journal_free_shm(mcd_fb_journal);
	mcd_fb_journal = NULL;
}
