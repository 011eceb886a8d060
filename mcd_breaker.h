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
 * The per-server circuit breaker, shared by every process that shares the
 * server records: one process's timeout makes all of them fail fast, and
 * the way back is decided by compare-and-swap on the shared mark, never
 * by read-then-write. Pure: no I/O, the clock is injectable.
 */
#ifndef MCD_BREAKER_H
#define MCD_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mcd_config.h"

/*
 * Per-server counters and breaker state. The host may place an array of
 * these (one per server, in list order) in memory shared by several
 * processes; every field is read and written atomically.
 *
 * ops counts every operation routed to the server, those failed fast
 * while it was marked dead included (they count in errors and failfast
 * too). dead_until is a time of the breaker's clock (CLOCK_MONOTONIC ms:
 * one clock for all processes of a host, which a step of the wall clock
 * cannot move) until which the server is marked dead; 0 = up. dead_gen
 * counts the marks put on a live server; announced_gen and announced_dead
 * are written only by the prober, so each transition is reported once for
 * all the processes sharing the array.
 */
typedef struct mcd_server_stats {
	uint64_t ops;
	uint64_t hits;
	uint64_t misses;
	uint64_t errors;
	uint64_t timeouts;
	uint64_t failfast;
	int64_t dead_until;
	uint64_t dead_gen;
	uint64_t announced_gen;
	int32_t announced_dead;
} mcd_server_stats;

typedef struct mcd_breaker {
	mcd_server_stats *st; /* shared, one per server */
	size_t n;
	int64_t retry_ms;     /* how long a mark lasts */
	int64_t grace_ms;     /* with a prober: how long after a mark ran out
						   * a worker waits before trying the server itself
						   * (the prober refreshes marks, so this only
						   * happens when no prober runs) */
	int64_t claim_ms;     /* how long a claimed trial holds the others off */
	mcd_clock_fn now_fn;  /* NULL = CLOCK_MONOTONIC */
	void *clock_ctx;
} mcd_breaker;

void mcd_breaker_init(mcd_breaker *b, mcd_server_stats *st, size_t n,
		const mcd_config *cfg);

int64_t mcd_breaker_now(const mcd_breaker *b);

/* Marked dead now (read only: for display and statistics). */
bool mcd_breaker_is_dead(const mcd_breaker *b, size_t i);

/*
 * For routing. Returns false when the server may be used; *seen gets the
 * mark observed (0 = it was up), to be handed to mcd_breaker_ok. When a
 * mark has run out, exactly one caller wins the right to try the server
 * (its mark moves claim_ms ahead) and the others keep failing fast.
 */
bool mcd_breaker_blocked(const mcd_breaker *b, size_t i, int64_t *seen);

/* A timeout or a failed connection: marks the server dead for retry_ms.
 * Returns true when the server was up until now (the caller logs it). */
bool mcd_breaker_trip(const mcd_breaker *b, size_t i);

/*
 * The server answered. Clears the mark only when it is still the one seen
 * when routing (or probing): a fresher mark put by another process in
 * between stays. Returns true when this call cleared a mark.
 */
bool mcd_breaker_ok(const mcd_breaker *b, size_t i, int64_t seen);

/*
 * A trial claimed by mcd_breaker_blocked ended without an answer either
 * way (e.g. no memory before sending): hands the trial back so the next
 * caller may take it, instead of holding the others off for claim_ms.
 */
void mcd_breaker_release(const mcd_breaker *b, size_t i, int64_t seen);

/*
 * For the prober, before it contacts a marked server: pushes the mark
 * ahead so that no worker claims the server meanwhile. Returns the mark
 * now in place (to hand to mcd_breaker_ok), 0 when the server is up.
 */
int64_t mcd_breaker_hold(const mcd_breaker *b, size_t i, int64_t hold_ms);

/*
 * For the prober: the transitions since the last call. Sets *went_down
 * when the server was marked dead since (even if it is up again), and
 * *came_up when it is up now after a reported down. Only one process may
 * call this (it owns the announced_* fields).
 */
void mcd_breaker_transitions(
		const mcd_breaker *b, size_t i, bool *went_down, bool *came_up);

#endif
