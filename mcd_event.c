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
 * One prober process per Kamailio instance: every probe_interval it calls
 * the core's mcd_probe_tick(), which reports the dead/alive transitions of
 * the shared breaker and brings back the dead servers that answer. Each
 * transition runs the matching event route once, here, outside the SIP
 * workers (as dispatcher's dst-down/dst-up routes run from its timer).
 */
#include <string.h>

#include "core/dprint.h"
#include "core/fmsg.h"
#include "core/kemi.h"
#include "core/pt.h"
#include "core/route.h"
#include "core/sr_module.h"
#include "core/timer_proc.h"

#include "memcached.h"
#include "mcd_event.h"
#include "mcd_pvinfo.h"

#define MCD_EV_DOWN "memcached:server-down"
#define MCD_EV_UP "memcached:server-up"
#define MCD_PROBE_MAX_MS 600000

static int mcd_rt_down = -1;
static int mcd_rt_up = -1;

/* index of event_route[name] in the config, -1 when it has none */
static int mcd_event_route(char *name)
{
	int rt = route_lookup(&event_rt, name);

	return (rt >= 0 && event_rt.rlist[rt] != NULL) ? rt : -1;
}

int mcd_event_init(void)
{
	/* the upper bound keeps the interval in microseconds within an int */
	if(mcd_probe_interval < 0 || mcd_probe_interval > MCD_PROBE_MAX_MS) {
		LM_ERR("memcached: probe_interval: must be 0..%d milliseconds\n",
				MCD_PROBE_MAX_MS);
		return -1;
	}
	if(mcd_event_callback.s != NULL && mcd_event_callback.len <= 0)
		mcd_event_callback.s = NULL;
	/* looked up once: the routes are fixed after the config was parsed */
	mcd_rt_down = mcd_event_route(MCD_EV_DOWN);
	mcd_rt_up = mcd_event_route(MCD_EV_UP);
	if(mcd_probe_interval == 0) {
		if(mcd_rt_down >= 0 || mcd_rt_up >= 0 || mcd_event_callback.s)
			LM_WARN("memcached: probe_interval is 0: the memcached events "
					"never run\n");
		return 0;
	}
	register_basic_timers(1);
	return 0;
}

static void mcd_event_run(const char *server, int up)
{
	const char *name = up ? MCD_EV_UP : MCD_EV_DOWN;
	int rt = up ? mcd_rt_up : mcd_rt_down;
	sr_kemi_eng_t *keng = NULL;
	struct run_act_ctx ctx;
	sip_msg_t *fmsg;
	int backup_rt;
	str evname;

	if(mcd_event_callback.s != NULL) {
		keng = sr_kemi_eng_get();
		if(keng == NULL) {
			LM_DBG("memcached: event_callback set, but no KEMI engine\n");
			return;
		}
	} else if(rt < 0) {
		return;
	}
	if(faked_msg_init() < 0) {
		LM_ERR("memcached: cannot make the message for event %s\n", name);
		return;
	}
	fmsg = faked_msg_next();
	mcd_pvinfo_set_server(server);
	backup_rt = get_route_type();
	set_route_type(REQUEST_ROUTE);
	init_run_actions_ctx(&ctx);
	if(keng != NULL) {
		evname.s = (char *)name;
		evname.len = strlen(name);
		if(sr_kemi_route(keng, fmsg, EVENT_ROUTE, &mcd_event_callback, &evname)
				< 0)
			LM_ERR("memcached: event callback for %s failed\n", name);
	} else {
		run_top_route(event_rt.rlist[rt], fmsg, &ctx);
	}
	set_route_type(backup_rt);
	mcd_pvinfo_set_server(NULL);
}

static void mcd_event_cb(void *arg, size_t idx, const char *server, int up)
{
	LM_DBG("memcached: server %s %s\n", server, up ? "up" : "down");
	mcd_event_run(server, up);
}

static void mcd_probe_timer(unsigned int ticks, void *param)
{
	mcd_client *c = mcd_client_get();

	if(c != NULL)
		mcd_probe_tick(c, mcd_event_cb, NULL);
}

int mcd_event_child_init(int rank)
{
	if(rank != PROC_MAIN || mcd_probe_interval <= 0)
		return 0;
	/* fork_basic_utimer sleeps in microseconds */
	if(fork_basic_utimer(PROC_TIMER, "MEMCACHED PROBER", 1, mcd_probe_timer,
			   NULL, 1000 * mcd_probe_interval)
			< 0) {
		LM_ERR("memcached: cannot start the prober process\n");
		return -1;
	}
	return 0;
}
