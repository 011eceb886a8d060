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
 * Microbenchmark of the module's core without Kamailio: operations per
 * second of mcd_get / mcd_store / mcd_incr against the same calls made
 * straight to libmemcached on the same server, and wire-key building
 * (mcd_key_build) per second.
 *
 *   core_bench -s 127.0.0.1:PORT [-d SECONDS] [-n ROUNDS]
 *   core_bench -k SERVERS KEY...   prints "KEY INDEX" (server holding KEY)
 *   core_bench -f N SERVERS        failback: time to settle N remembered
 *                                  keys of the second server (2+ servers)
 *
 * Each round measures libmemcached then the core for SECONDS each, so a
 * noisy neighbour hits both sides of a pair alike. Output lines (medians
 * over the rounds; the ratio is the median of the per-round ratios, with
 * the lowest and highest):
 *   op <name> raw <ops/s> mcd <ops/s> ratio <mcd/raw> min <r> max <r>
 *   keys <name> <keys/s>
 *   failback keys <N> servers <S> settle_ms <ms> keys_per_s <k/s>
 */
#define _GNU_SOURCE
#include <libmemcached/memcached.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcd_alloc.h"
#include "mcd_client.h"
#include "mcd_config.h"
#include "mcd_err.h"
#include "mcd_key.h"
#include "mcd_failback.h"

#define VAL_LEN 100

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "core_bench: %s: %s\n", what, detail);
	exit(1);
}

typedef enum { OP_GET, OP_SET, OP_INCR } op_kind;
static const char *op_name[] = { "get", "set", "incr" };

static const char key_get[] = "cb:get";
static const char key_set[] = "cb:set";
static const char key_cnt[] = "cb:cnt";
static char value[VAL_LEN];

/* One call of op through libmemcached; false on any failure. */
static bool raw_op(memcached_st *mc, op_kind op)
{
	memcached_return_t rc;
	size_t len;
	uint32_t flags;
	uint64_t v;
	char *s;

	switch (op) {
	case OP_GET:
		s = memcached_get(mc, key_get, sizeof(key_get) - 1, &len, &flags, &rc);
		free(s);
		return s != NULL;
	case OP_SET:
		return memcached_set(mc, key_set, sizeof(key_set) - 1, value, VAL_LEN,
				0, 1) == MEMCACHED_SUCCESS;
	case OP_INCR:
		return memcached_increment(mc, key_cnt, sizeof(key_cnt) - 1, 1, &v)
				== MEMCACHED_SUCCESS;
	}
	return false;
}

/* The same call through the core; buf is reused, as a host would. */
static bool mcd_op(mcd_client *c, mcd_buf *buf, op_kind op)
{
	uint32_t flags;
	uint64_t v;

	switch (op) {
	case OP_GET:
		return mcd_get(c, key_get, sizeof(key_get) - 1, buf, &flags) == MCD_OK;
	case OP_SET:
		return mcd_store(c, MCD_SET, key_set, sizeof(key_set) - 1, value,
				VAL_LEN, 0, 1) == MCD_OK;
	case OP_INCR:
		return mcd_incr(c, key_cnt, sizeof(key_cnt) - 1, 1, 0, 0, &v) == MCD_OK;
	}
	return false;
}

static double run_raw(memcached_st *mc, op_kind op, double secs)
{
	double t0 = now_s(), t = t0;
	long n = 0;

	while (t - t0 < secs) {
		for (int i = 0; i < 64; i++, n++)
			if (!raw_op(mc, op))
				die("libmemcached", op_name[op]);
		t = now_s();
	}
	return (double)n / (t - t0);
}

static double run_mcd(mcd_client *c, mcd_buf *buf, op_kind op, double secs)
{
	double t0 = now_s(), t = t0;
	long n = 0;

	while (t - t0 < secs) {
		for (int i = 0; i < 64; i++, n++)
			if (!mcd_op(c, buf, op))
				die("mcd", mcd_client_errdetail(c));
		t = now_s();
	}
	return (double)n / (t - t0);
}

static double run_keys(const char *key, size_t key_len, double secs)
{
	char out[MCD_KEY_MAX + 1];
	volatile size_t sink = 0;
	double t0 = now_s(), t = t0;
	long n = 0;

	while (t - t0 < secs) {
		for (int i = 0; i < 1024; i++, n++)
			sink += mcd_key_build("pfx:", 4, key, key_len, out, NULL);
		t = now_s();
	}
	(void)sink;
	return (double)n / (t - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n values (sorts them). */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static mcd_client *new_client(const char *servers)
{
	mcd_config cfg;
	mcd_client *c = NULL;
	char err[MCD_ERRBUF_SIZE] = "";

	mcd_config_defaults(&cfg);
	cfg.servers = servers;
	cfg.timeout_ms = 2000;
	if (mcd_client_new(&cfg, NULL, NULL, &c, err, sizeof(err)) != MCD_OK)
		die("mcd_client_new", err);
	return c;
}

/* -k: which server holds each key (both servers up). */
static int server_of(const char *servers, int n, char **keys)
{
	mcd_client *c = new_client(servers);

	for (int i = 0; i < n; i++) {
		size_t idx;

		if (mcd_server_for_key(c, keys[i], strlen(keys[i]), &idx) != MCD_OK)
			die("mcd_server_for_key", keys[i]);
		printf("%s %zu\n", keys[i], idx);
	}
	mcd_client_free(c);
	return 0;
}

/*
 * -f: N keys of server 1 changed during an outage: written (they live on
 * it, as before the outage), remembered in a journal, then settled by the
 * prober's tick, as after the server's return (each key deleted on every
 * server). The time of the settling alone is printed.
 */
static int failback_bench(const char *servers, long n)
{
	mcd_client *c = new_client(servers);
	mcd_journal *j = NULL;
	size_t ns = mcd_server_count(c), idx, have = 0;
	char k[32];
	double t0, t1;

	if (n < 1 || ns < 2)
		die("failback", "needs N >= 1 and two servers or more");
	if (mcd_journal_new_shm((size_t)n, ns, NULL, &j) != MCD_OK)
		die("failback", "no memory for the journal");
	mcd_client_set_failback(c, j, MCD_FB_FLUSH_ALL);
	for (long i = 0; have < (size_t)n && i < 100 * n; i++) {
		int len = snprintf(k, sizeof(k), "fb:%ld", i);

		if (mcd_server_for_key(c, k, (size_t)len, &idx) != MCD_OK || idx != 1)
			continue;
		if (mcd_store(c, MCD_SET, k, (size_t)len, "old", 3, 0, 1) != MCD_OK)
			die("set", mcd_client_errdetail(c));
		mcd_journal_record(j, 1u << 1, 0, k, (size_t)len);
		have++;
	}
	t0 = now_s();
	for (int i = 0; i < 1000 && mcd_journal_pending(j, 1) > 0; i++)
		mcd_probe_tick(c, NULL, NULL);
	t1 = now_s();
	if (mcd_journal_pending(j, 1) > 0)
		die("failback", "keys left unsettled");
	printf("failback keys %zu servers %zu settle_ms %.1f keys_per_s %.0f\n", have, ns,
			(t1 - t0) * 1000, (double)have / (t1 - t0));
	mcd_client_free(c);
	mcd_journal_free_shm(j);
	return 0;
}

int main(int argc, char **argv)
{
	const char *server = NULL;
	double secs = 0.2;
	int rounds = 10, opt;
	char host[MCD_HOST_MAX];
	unsigned port;
	memcached_st *mc;
	mcd_client *c;
	mcd_buf buf;
	char longkey[300], shortkey[] = "sip:alice@example.com";

	while ((opt = getopt(argc, argv, "s:d:n:k:f:")) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'd': secs = atof(optarg); break;
		case 'n': rounds = atoi(optarg); break;
		case 'k': return server_of(optarg, argc - optind, argv + optind);
		case 'f':
			if (optind >= argc)
				die("usage", "core_bench -f N SERVERS");
			return failback_bench(argv[optind], atol(optarg));
		default:
			fprintf(stderr, "usage: core_bench -s HOST:PORT [-d SECONDS]"
					" [-n ROUNDS] | -k SERVERS KEY... | -f N SERVERS\n");
			return 2;
		}
	}
	if (server == NULL || secs <= 0 || rounds < 1 || rounds > 1000
			|| sscanf(server, "%255[^:]:%u", host, &port) != 2) {
		fprintf(stderr, "core_bench: -s HOST:PORT required\n");
		return 2;
	}
	memset(value, 'v', sizeof(value));

	mc = memcached_create(NULL);
	if (mc == NULL || memcached_server_add(mc, host, (in_port_t)port)
			!= MEMCACHED_SUCCESS)
		die("libmemcached", "cannot add server");
	/* Same socket habit as any latency-minded client. */
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	c = new_client(server);
	mcd_buf_init(&buf, mcd_allocator_system());

	/* Seed: a string value to read, a counter to increment. */
	if (memcached_set(mc, key_get, sizeof(key_get) - 1, value, VAL_LEN, 0, 1)
			!= MEMCACHED_SUCCESS
			|| memcached_set(mc, key_cnt, sizeof(key_cnt) - 1, "0", 1, 0, 0)
			!= MEMCACHED_SUCCESS)
		die("libmemcached", "seeding failed");

	double *a = calloc((size_t)rounds, sizeof(double));
	double *b = calloc((size_t)rounds, sizeof(double));
	double *q = calloc((size_t)rounds, sizeof(double));

	if (!a || !b || !q)
		die("calloc", "no memory");
	for (op_kind op = OP_GET; op <= OP_INCR; op++) {
		double ratio;

		/* Warm both connections, then alternate so drift hits both. */
		raw_op(mc, op);
		mcd_op(c, &buf, op);
		for (int r = 0; r < rounds; r++) {
			a[r] = run_raw(mc, op, secs);
			b[r] = run_mcd(c, &buf, op, secs);
			q[r] = b[r] / a[r];
		}
		ratio = median(q, rounds); /* sorted now: q[0] min, q[rounds-1] max */
		printf("op %s raw %.0f mcd %.0f ratio %.3f min %.3f max %.3f\n",
				op_name[op], median(a, rounds), median(b, rounds), ratio, q[0],
				q[rounds - 1]);
		fflush(stdout);
	}

	memset(longkey, 'k', sizeof(longkey));
	for (size_t i = 0; i < sizeof(longkey); i += 7)
		longkey[i] = (char)('a' + i % 26);
	for (int r = 0; r < rounds; r++) {
		a[r] = run_keys(longkey, sizeof(longkey), secs / 2);
		b[r] = run_keys(shortkey, sizeof(shortkey) - 1, secs / 2);
	}
	printf("keys hash300 %.0f\n", median(a, rounds));
	printf("keys plain21 %.0f\n", median(b, rounds));
	free(a);
	free(b);
	free(q);

	mcd_buf_free(&buf);
	mcd_client_free(c);
	memcached_free(mc);
	return 0;
}
