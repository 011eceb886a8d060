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
 * Kamailio memcached module: exports, parameters, process lifecycle.
 * The work is done by the host-independent core (mcd_client.h); this file
 * only translates Kamailio's types and life cycle to it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/rpc_lookup.h"
#include "core/kemi.h"

#include <libmemcached/memcached.h>

#include "memcached.h"
#include "mcd_var.h"
#include "mcd_func.h"
#include "mcd_rpc.h"
#include "mcd_key.h"
#include "mcd_slot.h"
#include "mcd_pvinfo.h"
#include "mcd_event.h"
#include "mcd_stats.h"
#include "mcd_near.h"
#include "mcd_fbmod.h"

MODULE_VERSION

char *mcd_srv_str = "localhost:11211";
int mcd_expire = 10800;
int mcd_mode = 0;
int mcd_timeout = 5000;
int mcd_memory = 0;
int mcd_stringify = 0;
char *mcd_prefix = "";
int mcd_binary = 0;
int mcd_retry_timeout = 5;
int mcd_failover = 1;
char *mcd_username = "";
char *mcd_password = "";
int mcd_slow_threshold = 0;
int mcd_noreply = 0;
char *mcd_near_spec = "";
int mcd_probe_interval = 500;
str mcd_event_callback = STR_NULL;
int mcd_near_size = MCD_NEAR_DEFAULT_SIZE;

static mcd_config mcd_cfg;
static mcd_server_stats *mcd_stats_shm = NULL;
static mcd_client *mcd_client_h = NULL;
/* this process's client: made again after a fork, retried after a failure */
static mcd_proc_client mcd_client_p;
#define MCD_CLIENT_RETRY_MS 1000
/* made in mod_init, before the fork, so every process shares it */
static mcd_near *mcd_near_h = NULL;

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);

static pv_export_t mod_pvs[] = {
	{{"mct", sizeof("mct") - 1}, PVT_OTHER, pv_get_mcd_value,
			pv_set_mcd_value, pv_parse_mcd_name, 0, 0, 0},
	{{"mcinc", sizeof("mcinc") - 1}, PVT_OTHER, pv_get_mcd_value,
			pv_inc_mcd_value, pv_parse_mcd_name, 0, 0, 0},
	{{"mcdec", sizeof("mcdec") - 1}, PVT_OTHER, pv_get_mcd_value,
			pv_dec_mcd_value, pv_parse_mcd_name, 0, 0, 0},
	{{"mctex", sizeof("mctex") - 1}, PVT_OTHER, pv_get_null,
			pv_set_mcd_expire, pv_parse_mcd_name, 0, 0, 0},
	{{"mcd", sizeof("mcd") - 1}, PVT_OTHER, pv_get_mcd_info, 0,
			pv_parse_mcd_info_name, 0, 0, 0},
	{{0, 0}, 0, 0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"servers", PARAM_STRING, &mcd_srv_str},
	{"expire", PARAM_INT, &mcd_expire},
	{"timeout", PARAM_INT, &mcd_timeout},
	{"mode", PARAM_INT, &mcd_mode},
	{"memory", PARAM_INT, &mcd_memory},
	{"stringify", PARAM_INT, &mcd_stringify},
	{"prefix", PARAM_STRING, &mcd_prefix},
	{"binary", PARAM_INT, &mcd_binary},
	{"retry_timeout", PARAM_INT, &mcd_retry_timeout},
	{"failover", PARAM_INT, &mcd_failover},
	{"username", PARAM_STRING, &mcd_username},
	{"password", PARAM_STRING, &mcd_password},
	{"slow_threshold", PARAM_INT, &mcd_slow_threshold},
	{"noreply", PARAM_INT, &mcd_noreply},
	{"probe_interval", PARAM_INT, &mcd_probe_interval},
	{"event_callback", PARAM_STR, &mcd_event_callback},
	{"near_cache", PARAM_STRING, &mcd_near_spec},
	{"near_cache_size", PARAM_INT, &mcd_near_size},
	{"failback", PARAM_INT, &mcd_failback},
	{"failback_keys", PARAM_INT, &mcd_failback_keys},
	{"failback_overflow", PARAM_INT, &mcd_failback_overflow},
	{0, 0, 0}
};

struct module_exports exports = {
	"memcached",
	DEFAULT_DLFLAGS,
	mcd_cmds,
	params,
	0, /* RPC methods are registered in mod_init */
	mod_pvs,
	0,
	mod_init,
	child_init,
	mod_destroy
};

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	return mcd_kemi_register();
}

/* ---- allocators for memory=1 (pkg) and memory=2 (shm) ---- */

static void *pkg_malloc_fn(size_t size, void *ctx)
{
	return pkg_malloc(size);
}

static void *pkg_realloc_fn(void *p, size_t size, void *ctx)
{
	return pkg_realloc(p, size);
}

static void pkg_free_fn(void *p, void *ctx)
{
	pkg_free(p);
}

static void *shm_malloc_fn(size_t size, void *ctx)
{
	return shm_malloc(size);
}

static void *shm_realloc_fn(void *p, size_t size, void *ctx)
{
	return shm_realloc(p, size);
}

static void shm_free_fn(void *p, void *ctx)
{
	shm_free(p);
}

const mcd_allocator mcd_pkg_allocator = {
		pkg_malloc_fn, pkg_realloc_fn, pkg_free_fn, NULL};
const mcd_allocator mcd_shm_allocator = {
		shm_malloc_fn, shm_realloc_fn, shm_free_fn, NULL};

static const mcd_allocator *client_allocator(void)
{
	switch(mcd_memory) {
		case 1: return &mcd_pkg_allocator;
		case 2: return &mcd_shm_allocator;
		default: return mcd_allocator_system();
	}
}

static void core_log(void *ctx, mcd_log_level level, const char *msg)
{
	switch(level) {
		case MCD_LOG_ERROR: LM_ERR("%s\n", msg); break;
		case MCD_LOG_WARN: LM_WARN("%s\n", msg); break;
		case MCD_LOG_INFO: LM_INFO("%s\n", msg); break;
		default: LM_DBG("%s\n", msg); break;
	}
}

/* ---- life cycle ---- */

mcd_near *mcd_near_shared(void)
{
	return mcd_near_h;
}

/* The near cache, in shm (memory= does not apply: it must be shared). */
static int mcd_near_shm_init(void)
{
	char err[MCD_ERRBUF_SIZE];
	mcd_rc rc;

	if(mcd_near_size < 1 || (unsigned)mcd_near_size > MCD_NEAR_MAX_SIZE) {
		LM_ERR("memcached: near_cache_size: must be 1..%u entries\n",
				MCD_NEAR_MAX_SIZE);
		return -1;
	}
	rc = mcd_near_new_shared(mcd_near_spec ? mcd_near_spec : "",
			(size_t)mcd_near_size, &mcd_shm_allocator, NULL, NULL,
			&mcd_near_h, err, sizeof(err));
	if(rc != MCD_OK) {
		/* the core's message names the parameter (near_cache: ...) */
		LM_ERR("memcached: %s\n", err);
		return -1;
	}
	if(mcd_near_h != NULL)
		LM_INFO("memcached: near cache on (%s), up to %d entries\n",
				mcd_near_spec, mcd_near_size);
	return 0;
}

static int mod_init(void)
{
	char err[MCD_ERRBUF_SIZE];
	mcd_server_list *list;
	size_t n;

	if(mcd_memory < 0 || mcd_memory > 2) {
		LM_ERR("memcached: memory: must be 0 (system), 1 (pkg) or 2 (shm)\n");
		return -1;
	}
	if(mcd_expire < 0 || (uint32_t)mcd_expire > MCD_EXPIRE_MAX) {
		LM_ERR("memcached: expire: must be 0..%u seconds\n", MCD_EXPIRE_MAX);
		return -1;
	}
	if(mcd_mode != 0 && mcd_mode != 1) {
		LM_ERR("memcached: mode: must be 0 (set) or 1 (add)\n");
		return -1;
	}
	if(mcd_stringify != 0 && mcd_stringify != 1) {
		LM_ERR("memcached: stringify: must be 0 or 1\n");
		return -1;
	}
	if(mcd_event_init() < 0)
		return -1;
	if(mcd_near_shm_init() < 0)
		return -1;
	mcd_config_defaults(&mcd_cfg);
	mcd_cfg.servers = mcd_srv_str;
	mcd_cfg.prefix = mcd_prefix;
	mcd_cfg.timeout_ms = mcd_timeout;
	mcd_cfg.binary = mcd_binary;
	mcd_cfg.retry_timeout_s = mcd_retry_timeout;
	mcd_cfg.failover = mcd_failover;
	mcd_cfg.username = mcd_username;
	mcd_cfg.password = mcd_password;
	mcd_cfg.slow_threshold_us = mcd_slow_threshold;
	mcd_cfg.noreply = mcd_noreply;
	mcd_cfg.probe_interval_ms = mcd_probe_interval;
	mcd_cfg.log = core_log;
	list = pkg_malloc(sizeof(*list));
	if(list == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	if(!mcd_config_check(&mcd_cfg, list, err, sizeof(err))) {
		LM_ERR("memcached: %s\n", err);
		pkg_free(list);
		return -1;
	}
	n = list->count;
	pkg_free(list);
	mcd_stats_shm = shm_malloc(n * sizeof(mcd_server_stats));
	if(mcd_stats_shm == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(mcd_stats_shm, 0, n * sizeof(mcd_server_stats));
	if(mcd_fbmod_init(n, mcd_failover, mcd_probe_interval) < 0)
		return -1;

	if(mcd_slot_init() < 0)
		return -1;
	if(mcd_rpc_register() < 0 || mcd_stats_register() < 0)
		return -1;
	LM_INFO("memcached: %zu server(s), libmemcached %s\n", n,
			memcached_lib_version());
	return 0;
}

/* The first call in a process, the first after a fork, or a retry after a
 * failed creation: kept apart so the common path stays small. A client
 * inherited over fork (e.g. made by a read in event_route[htable:mod-init],
 * in the main process) is left to its owner: nothing is sent through it. */
static __attribute__((noinline)) mcd_client *mcd_client_create(void)
{
	mcd_client *c = mcd_proc_client_get(&mcd_client_p, &mcd_cfg,
			client_allocator(), mcd_stats_shm, MCD_CLIENT_RETRY_MS);

	if(c != NULL) {
		mcd_client_set_near(c, mcd_near_h);
		mcd_fbmod_attach(c);
	}
	mcd_client_h = c;
	return c;
}

mcd_client *mcd_client_get(void)
{
	/* one load and compare: the generation changes in every forked child */
	mcd_client *c = mcd_proc_client_ready(&mcd_client_p);

	return c ? c : mcd_client_create();
}

static int child_init(int rank)
{
	/* the prober is forked from the main process */
	if(rank == PROC_MAIN)
		return mcd_event_child_init(rank);
	/* the first process and the TCP main process do not run scripts */
	if(rank == PROC_INIT || rank == PROC_TCP_MAIN)
		return 0;
	/* a failure is logged and retried by the first operation */
	mcd_client_get();
	return 0;
}

static void mod_destroy(void)
{
	mcd_client_free(mcd_client_p.c);
	mcd_client_p.c = NULL;
	mcd_client_h = NULL;
	/* called once, in the main process, after the workers ended */
	mcd_near_free(mcd_near_h);
	mcd_near_h = NULL;
	mcd_slot_destroy();
	mcd_fbmod_destroy();
	if(mcd_stats_shm) {
		shm_free(mcd_stats_shm);
		mcd_stats_shm = NULL;
	}
}

/* ---- shared helpers ---- */

int mcd_script_rc(mcd_rc rc)
{
	switch(rc) {
		case MCD_OK:
			return MCD_RET_OK;
		case MCD_NOT_FOUND:
		case MCD_EXISTS:
		case MCD_NOT_STORED:
			return MCD_RET_COND;
		case MCD_E_ARG:
			return MCD_RET_ARG;
		default:
			/* a value that is not a number counts as a server error, as
			 * the shipped module has it */
			return MCD_RET_SERVER;
	}
}

/* The text $mcd(err) shows: the client's detail when it belongs to this
 * outcome; a bad argument found before the client was called has none of
 * its own (the client may still hold an older failure). */
/* why the Kamailio layer refused an argument; consumed by the next log */
static char mcd_arg_reason[MCD_ERRBUF_SIZE];

void mcd_arg_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mcd_arg_reason, sizeof(mcd_arg_reason), fmt, ap);
	va_end(ap);
}

static const char *mcd_result_text(mcd_client *c, mcd_rc rc)
{
	const char *d = c ? mcd_client_errdetail(c) : "";

	if(rc == MCD_E_ARG && mcd_arg_reason[0])
		return mcd_arg_reason;
	if(rc == MCD_E_ARG && c && mcd_client_last_rc(c) != MCD_E_ARG)
		return mcd_strerror(rc);
	if(rc == MCD_NOT_FOUND || rc == MCD_EXISTS || rc == MCD_NOT_STORED)
		return mcd_strerror(rc);
	return *d ? d : mcd_strerror(rc);
}

/* a failure: kept apart so that a success costs next to nothing */
static __attribute__((noinline)) void mcd_log_failure(
		const char *op, const str *key, mcd_rc rc)
{
	char shown[MCD_KEY_SHOW_MAX];
	const char *text;

	text = mcd_result_text(mcd_client_h, rc);
	mcd_pvinfo_record(mcd_script_rc(rc), text);
	mcd_key_printable(key && key->s ? key->s : "",
			(size_t)(key && key->s && key->len > 0 ? key->len : 0), shown,
			sizeof(shown));
	/* expected answers and fail-fast on a dead server are no news: the
	 * server going dead was logged once when it happened */
	if(rc == MCD_NOT_FOUND || rc == MCD_EXISTS || rc == MCD_NOT_STORED
			|| rc == MCD_E_DEAD)
		LM_DBG("memcached: %s '%s': %s\n", op, shown, text);
	else
		LM_ERR("memcached: %s '%s' failed: %s\n", op, shown, text);
	mcd_arg_reason[0] = '\0';
}

void mcd_log_result(const char *op, const str *key, mcd_rc rc)
{
	if(rc != MCD_OK) {
		mcd_log_failure(op, key, rc);
		return;
	}
	mcd_pvinfo_record(MCD_RET_OK, NULL);
	mcd_arg_reason[0] = '\0';
}
