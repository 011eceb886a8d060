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
 * Model-based randomized test: seeded sequences of every operation run
 * against real memcached servers, and every reply is compared with an
 * in-memory model of what memcached must hold. Hand-picked tests missed a
 * reply handed to the wrong request; a long random sequence does not.
 *
 *   MCD_MODEL_OPS=N    operations per mode (default 20000)
 *   MCD_MODEL_SEED=S   replay a seed (default: a new one, printed)
 *   MCD_MODEL_MODE=M   run only the mode (or fault test) named M
 *   MCD_MODEL_TRACE=1  print every operation and its answer
 *
 * A divergence prints the mode, the seed and the first divergent operation
 * with the operations before it; the same seed replays the sequence.
 *
 * With faults (a server killed and restarted, or stopped and continued)
 * every value is self-describing (it names its key), so a reply belonging
 * to another request is caught even where the model cannot know the value.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mcd_key.h"
#include "tests.h"

#define NKEYS 48
#define BIG_KEYS 4          /* ids below this may hold values up to FIT_MAX */
#define FIT_MAX 1000000     /* fits the 1 MB item limit with room to spare */
#define TOO_BIG_MIN 1048577 /* beyond the 1 MB item limit whatever the overhead */
#define TOO_BIG_MAX 1100000
#define POOL_SIZE (TOO_BIG_MAX + 4096)
#define HIST 12             /* operations shown before a divergence */
#define MAXS 3
#define FAULT_TIMEOUT_MS 300
#define DEFAULT_OPS 20000

/* ---- modes ---- */

typedef struct mode_def {
	const char *name;
	int binary;
	int noreply;
	int nservers;
	int sasl;
	const char *prefix;
} mode_def;

static const mode_def g_modes[] = {
	{ "ascii", 0, 0, 1, 0, NULL },
	{ "binary", 1, 0, 1, 0, NULL },
	{ "binary-noreply", 1, 1, 1, 0, NULL },
	{ "ascii-prefix", 0, 0, 1, 0, "model:ns:" },
	{ "cluster-failover", 1, 1, 3, 0, NULL },
	{ "sasl", 1, 0, 1, 1, NULL },
};
#define NMODES (sizeof(g_modes) / sizeof(g_modes[0]))

typedef struct fault_def {
	const char *name;
	int mode;    /* index in g_modes */
	int restart; /* 1 killed and restarted, 0 stopped and continued */
} fault_def;

static const fault_def g_faults[] = {
	{ "fault-ascii-restart", 0, 1 },
	{ "fault-ascii-freeze", 0, 0 },
	{ "fault-noreply-restart", 2, 1 },
	{ "fault-noreply-freeze", 2, 0 },
	{ "fault-cluster-restart", 4, 1 },
	{ "fault-cluster-freeze", 4, 0 },
};
#define NFAULTS (sizeof(g_faults) / sizeof(g_faults[0]))

/* ---- the model ---- */

typedef struct mkey {
	char name[320];
	size_t name_len;
	int home;          /* server holding it while all are up */
	bool present;
	bool doubt;        /* the server may hold any value of this key's, or none */
	bool counter;      /* fault runs: a numeric key (counter ops only) */
	unsigned char *val;
	size_t len, cap;
	uint32_t flags;
	uint32_t ver;      /* versions of the self-describing segments */
	/*
	 * After incr/decr the server rewrites the text in place padded with
	 * spaces, or as a new item without them (when something else holds a
	 * reference to the item): val holds the digits, and the server's text
	 * is them plus any spaces up to pad_max bytes, until a read shows it.
	 */
	bool loose;
	size_t pad_max;
} mkey;

typedef enum op_kind {
	OP_GET, OP_SET, OP_ADD, OP_REPLACE, OP_APPEND, OP_PREPEND,
	OP_DELETE, OP_TOUCH, OP_INCR, OP_DECR
} op_kind;

static const char *g_op_names[] = { "get", "set", "add", "replace", "append",
	"prepend", "delete", "touch", "incr", "decr" };

typedef struct model {
	const mode_def *mode;
	const char *run_name;
	uint64_t seed;
	uint64_t rng;
	bool faulty;        /* fault run: self-describing values only */
	bool allow_errors;  /* during a fault an error is an acceptable answer */
	int fault_srv;      /* server under fault, -1 none */
	mkey k[NKEYS];
	mcd_client *cli;
	mcd_ts srv[MAXS];
	char servers[256];
	char sasl_dir[128];
	unsigned char *scratch; /* value being written */
	mcd_buf got;
	uint32_t got_flags;
	long ops_done;
	bool trace;         /* MCD_MODEL_TRACE=1: every operation and its answer */
	long seen[10][5];   /* outcomes per operation: ok, miss, exists, error, big */
	char hist[HIST][200];
	long hist_n;
} model;

static unsigned char *g_pool;

/* splitmix64: small, fast, and the same sequence everywhere */
static uint64_t rnd(model *m)
{
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(model *m, uint64_t n)
{
	return n ? rnd(m) % n : 0;
}

/* Random bytes with the protocol's own words in them: NUL, CR, LF,
 * "END", "VALUE": a value split at the wrong place shows. */
static void pool_init(void)
{
	static const char *words[] = { "\r\nEND\r\n", "VALUE k 0 5\r\n", "\r\n",
		"STORED\r\n", "\0\0\0", "NOT_FOUND\r\n", "\x80\x01\x00\x00" };
	uint64_t s = 0x5eed;

	if (g_pool)
		return;
	g_pool = malloc(POOL_SIZE);
	ck_assert(g_pool != NULL);
	for (size_t i = 0; i < POOL_SIZE; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		g_pool[i] = (unsigned char)(s >> 56);
	}
	for (size_t i = 0; i + 32 < POOL_SIZE; i += 97 + (i % 31)) {
		const char *w = words[(i / 97) % (sizeof(words) / sizeof(words[0]))];
		size_t l = w[0] ? strlen(w) : 3;

		memcpy(g_pool + i, w, l);
	}
}

/* ---- value shapes ---- */

/*
 * A segment: "[k<id> v<ver> #<n>]" and n payload bytes. A value written
 * by set/add/replace is one segment, append/prepend add segments: any
 * value of a key parses into segments that all name it.
 */
static size_t make_segment(model *m, unsigned char *out, int id, uint32_t ver,
		size_t n)
{
	int h = snprintf((char *)out, 64, "[k%d v%" PRIu32 " #%zu]", id, ver, n);
	size_t off = (size_t)below(m, POOL_SIZE - n + 1);

	memcpy(out + h, g_pool + off, n);
	return (size_t)h + n;
}

/* The segments of v all belong to key id. */
static bool segments_of(const unsigned char *v, size_t len, int id)
{
	size_t pos = 0;

	for (int guard = 0; pos < len && guard < 1000000; guard++) {
		char hdr[64];
		size_t hl = len - pos < sizeof(hdr) - 1 ? len - pos : sizeof(hdr) - 1;
		int kid, used = 0;
		uint32_t ver;
		size_t n;

		memcpy(hdr, v + pos, hl);
		hdr[hl] = '\0';
		if (sscanf(hdr, "[k%d v%" SCNu32 " #%zu]%n", &kid, &ver, &n, &used) != 3
				|| used == 0 || kid != id || n > len - pos - (size_t)used)
			return false;
		pos += (size_t)used + n;
	}
	return pos == len && len > 0;
}

/* Counters of fault runs carry their key in the high bits. */
static uint64_t counter_base(int id)
{
	return ((uint64_t)(id + 1) << 40) | (1ULL << 39);
}

/*
 * memcached's safe_strtoull on an item's data (followed by "\r\n"):
 * strtoull, then the next byte must be white space or the end (NUL).
 * Empty values are refused before (nothing to parse).
 */
static bool server_number(const unsigned char *v, size_t len, uint64_t *out)
{
	size_t i = 0, digits = 0;
	bool neg = false;
	uint64_t x = 0;
	unsigned char end;

	if (len == 0)
		return false;
	while (i < len && isspace(v[i]))
		i++;
	if (i < len && (v[i] == '+' || v[i] == '-')) {
		neg = v[i] == '-';
		i++;
	}
	for (; i < len && v[i] >= '0' && v[i] <= '9'; i++, digits++) {
		unsigned d = (unsigned)(v[i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return false; /* ERANGE */
		x = x * 10 + d;
	}
	if (digits == 0)
		return false; /* strtoull parsed nothing */
	if (neg) {
		x = (uint64_t)0 - x;
		if ((int64_t)x < 0)
			return false;
	}
	end = i < len ? v[i] : '\r';
	if (!(isspace(end) || end == '\0'))
		return false;
	*out = x;
	return true;
}

/* ---- model state ---- */

static void mk_set(mkey *k, const unsigned char *v, size_t len, uint32_t flags)
{
	if (k->cap < len + 1) {
		size_t cap = len + 1 < 64 ? 64 : len + 1;
		unsigned char *n = realloc(k->val, cap);

		ck_assert(n != NULL);
		k->val = n;
		k->cap = cap;
	}
	memmove(k->val, v, len);
	k->len = len;
	k->flags = flags;
	k->present = true;
	k->doubt = false;
	k->loose = false;
}

static void mk_forget(mkey *k)
{
	k->present = false;
	k->len = 0;
}

/* Key names: short, hashed for bytes (space, control, NUL, 0x7f), hashed
 * for length (prefix + key > 250), and exactly 250 bytes with the prefix. */
static void key_names(model *m)
{
	size_t plen = m->mode->prefix ? strlen(m->mode->prefix) : 0;

	for (int i = 0; i < NKEYS; i++) {
		mkey *k = &m->k[i];
		char *p = k->name;
		int n;

		switch (i % 6) {
		case 0:
		case 1:
			n = snprintf(p, sizeof(k->name), "k%d", i);
			break;
		case 2:
			n = snprintf(p, sizeof(k->name), "k %d\x01\r\nx", i);
			p[n++] = '\0'; /* a NUL inside the key */
			p[n++] = 0x7f;
			break;
		case 3:
			n = snprintf(p, sizeof(k->name), "L%d-", i);
			memset(p + n, 'l', 300 - plen - (size_t)n);
			n = (int)(300 - plen);
			break;
		case 4:
			n = snprintf(p, sizeof(k->name), "E%d-", i);
			memset(p + n, 'e', MCD_KEY_MAX - plen - (size_t)n);
			n = (int)(MCD_KEY_MAX - plen);
			break;
		default:
			n = snprintf(p, sizeof(k->name), "u\xc3\xa9\xe2\x82\xac%d\tt", i);
			break;
		}
		k->name_len = (size_t)n;
	}
}

static void show_bytes(const unsigned char *v, size_t len, char *out, size_t cap)
{
	mcd_key_printable((const char *)v, len, out, cap);
}

/* ---- running an operation ---- */

/* What the model says an operation must answer. */
typedef struct expect {
	mcd_rc rc;
	mcd_rc rc_alt;      /* a second acceptable answer (quiet set), else rc */
	bool any;           /* in doubt: any answer consistent with the key */
	const unsigned char *val;
	size_t len;
	uint32_t flags;
	uint64_t num;
	size_t pad_max;     /* get: val plus spaces up to this length will do */
} expect;

typedef struct op_rec {
	op_kind op;
	int id;
	size_t vlen;
	uint32_t flags;
	uint64_t delta, initial;
	uint32_t expire;
} op_rec;

static void describe(const model *m, const op_rec *o, char *out, size_t cap)
{
	char kp[64];

	mcd_key_printable(m->k[o->id].name, m->k[o->id].name_len, kp, 40);
	switch (o->op) {
	case OP_SET: case OP_ADD: case OP_REPLACE: case OP_APPEND: case OP_PREPEND:
		snprintf(out, cap, "%s key#%d '%s' value %zu bytes flags %" PRIu32,
				g_op_names[o->op], o->id, kp, o->vlen, o->flags);
		break;
	case OP_INCR: case OP_DECR:
		snprintf(out, cap, "%s key#%d '%s' delta %" PRIu64 " initial %" PRIu64,
				g_op_names[o->op], o->id, kp, o->delta, o->initial);
		break;
	case OP_TOUCH:
		snprintf(out, cap, "touch key#%d '%s' expire %" PRIu32, o->id, kp, o->expire);
		break;
	default:
		snprintf(out, cap, "%s key#%d '%s'", g_op_names[o->op], o->id, kp);
		break;
	}
}

static void hist_add(model *m, const char *what)
{
	snprintf(m->hist[m->hist_n % HIST], sizeof(m->hist[0]), "#%ld %.170s", m->ops_done,
			what);
	m->hist_n++;
}

/* Fails the test with everything needed to understand and replay it. */
static void diverge(model *m, const op_rec *o, const expect *e, mcd_rc rc,
		const unsigned char *gv, size_t glen, uint32_t gflags, uint64_t gnum,
		const char *why)
{
	static char msg[8192];
	char what[200], ev[128], gvs[128];
	size_t used = 0;
	uint64_t ev_cnt = 0;
	int have_ev = -1;

	describe(m, o, what, sizeof(what));
	ev[0] = gvs[0] = '\0';
	if (e->val)
		show_bytes(e->val, e->len, ev, 60);
	if (gv)
		show_bytes(gv, glen, gvs, 60);
	if (!m->mode->sasl)
		have_ev = mcd_ts_stat(m->srv[m->k[o->id].home].port, "evictions", &ev_cnt);
	used += (size_t)snprintf(msg + used, sizeof(msg) - used,
			"model divergence: run=%s seed=%" PRIu64 " op #%ld: %s\n"
			"  expected: rc=%d (%s)%s value(%zu)='%s' flags=%" PRIu32 " num=%" PRIu64 "\n"
			"  got:      rc=%d (%s) value(%zu)='%s' flags=%" PRIu32 " num=%" PRIu64 "\n"
			"  why: %s; detail: '%s'; server evictions: %s%" PRIu64 "\n"
			"  replay: MCD_MODEL_SEED=%" PRIu64 " MCD_MODEL_MODE=%s CK_RUN_SUITE=model "
			"./test_core\n  operations before it:\n",
			m->run_name, m->seed, m->ops_done, what, e->rc, mcd_strerror(e->rc),
			e->any ? " (in doubt: any value of this key)" : "", e->len, ev, e->flags,
			e->num, rc, mcd_strerror(rc), glen, gvs, gflags, gnum, why,
			mcd_client_errdetail(m->cli), have_ev == 0 ? "" : "unknown ", ev_cnt,
			m->seed, m->run_name);
	for (long i = m->hist_n > HIST ? m->hist_n - HIST : 0; i < m->hist_n
			&& used < sizeof(msg) - 1; i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "    %s\n",
				m->hist[i % HIST]);
	fputs(msg, stderr);
	ck_abort_msg("%s", msg);
}

static bool allowed_doubt_rc(op_kind op, mcd_rc rc)
{
	if (rc < 0)
		return true;
	switch (op) {
	case OP_GET: return rc == MCD_OK || rc == MCD_NOT_FOUND;
	case OP_SET: return rc == MCD_OK;
	case OP_ADD: return rc == MCD_OK || rc == MCD_EXISTS;
	case OP_REPLACE: case OP_APPEND: case OP_PREPEND:
	case OP_DELETE: case OP_TOUCH:
		return rc == MCD_OK || rc == MCD_NOT_FOUND;
	case OP_INCR: case OP_DECR: return rc == MCD_OK;
	}
	return false;
}

/*
 * Checks a reply. Strict: exactly the model's. In a fault run an error is
 * acceptable for a key of the server under fault only (the key becomes
 * doubtful when it was a write); keys of live servers must succeed. A
 * doubtful key accepts any answer that belongs to it.
 */
static void check(model *m, const op_rec *o, const expect *e, mcd_rc rc,
		uint64_t num)
{
	const unsigned char *gv = o->op == OP_GET ? (const unsigned char *)m->got.data : NULL;
	size_t glen = o->op == OP_GET ? m->got.len : 0;
	uint32_t gflags = o->op == OP_GET ? m->got_flags : 0;

	/* failover: a fault on one server is no excuse for an error on a key
	 * another server holds */
	if (m->allow_errors && m->fault_srv >= 0 && rc < 0
			&& rc != MCD_E_NOT_NUMBER && rc != MCD_E_TOO_BIG
			&& m->k[o->id].home != m->fault_srv)
		diverge(m, o, e, rc, NULL, 0, 0, num,
				"error on a key of a live server");
	if (e->any) {
		if (!allowed_doubt_rc(o->op, rc))
			diverge(m, o, e, rc, NULL, 0, 0, num, "not an answer this operation has");
		if (rc != MCD_OK)
			return;
		if (o->op == OP_GET) {
			uint64_t x;
			bool mine = m->k[o->id].counter
				? server_number(gv, glen, &x) && (x >> 40) == (uint64_t)o->id + 1
				: segments_of(gv, glen, o->id);

			if (!mine)
				diverge(m, o, e, rc, gv, glen, 0, 0, "value of another key");
		} else if ((o->op == OP_INCR || o->op == OP_DECR)
				&& (num >> 40) != (uint64_t)o->id + 1) {
			diverge(m, o, e, rc, NULL, 0, 0, num, "counter of another key");
		}
		return;
	}
	if (m->allow_errors && rc < 0 && rc != MCD_E_NOT_NUMBER && rc != MCD_E_TOO_BIG)
		return; /* an error is an acceptable answer during a fault */
	if (rc != e->rc && rc != e->rc_alt)
		diverge(m, o, e, rc, gv, glen, gflags, num, "wrong outcome");
	if (rc != MCD_OK)
		return;
	if (o->op == OP_GET) {
		bool same = glen == e->len && memcmp(gv, e->val, glen) == 0;

		if (!same && e->pad_max && glen >= e->len && glen <= e->pad_max
				&& memcmp(gv, e->val, e->len) == 0) {
			same = true;
			for (size_t i = e->len; i < glen; i++)
				same = same && gv[i] == ' ';
		}
		if (!same)
			diverge(m, o, e, rc, gv, glen, gflags, 0, "wrong value");
		if (gflags != e->flags)
			diverge(m, o, e, rc, gv, glen, gflags, 0, "wrong flags");
	}
	if ((o->op == OP_INCR || o->op == OP_DECR) && num != e->num)
		diverge(m, o, e, rc, NULL, 0, 0, num, "wrong counter value");
}

/* Writes that failed leave the key in doubt; a fault run only. */
static void failed_write(model *m, const op_rec *o, mcd_rc rc)
{
	if (m->allow_errors && rc < 0 && rc != MCD_E_TOO_BIG && rc != MCD_E_NOT_NUMBER
			&& o->op != OP_GET)
		m->k[o->id].doubt = true;
}

static size_t pick_size(model *m, int id)
{
	uint64_t r = below(m, 1000);

	if (r < 700)
		return (size_t)below(m, 101);
	if (r < 900)
		return 100 + (size_t)below(m, 3900);
	if (r < 980 || id >= BIG_KEYS)
		return 4000 + (size_t)below(m, 96000);
	return 100000 + (size_t)below(m, FIT_MAX - 100000 - 64);
}

static uint64_t pick_number(model *m)
{
	static const uint64_t special[] = { 0, 1, 9, 10, 99, 100, 4294967295ULL,
		4294967296ULL, 9223372036854775807ULL, 9223372036854775808ULL,
		18446744073709551614ULL, 18446744073709551615ULL };

	if (below(m, 3) == 0)
		return special[below(m, sizeof(special) / sizeof(special[0]))];
	return below(m, 1000000);
}

static uint32_t pick_flags(model *m, int id)
{
	static const uint32_t f[] = { 0, 1, 2, 0xffffffffu, 0x80000000u };

	if (m->faulty)
		return 1000u + (uint32_t)id;
	if (below(m, 4) == 0)
		return (uint32_t)rnd(m);
	return f[below(m, sizeof(f) / sizeof(f[0]))];
}

static op_kind pick_op(model *m)
{
	/* weights: get 25, set 18, add 7, replace 7, append 6, prepend 5,
	 * delete 9, touch 7, incr 8, decr 8 */
	static const int w[] = { 25, 18, 7, 7, 6, 5, 9, 7, 8, 8 };
	int r = (int)below(m, 100);

	for (int i = 0; i < 10; i++) {
		if (r < w[i])
			return (op_kind)i;
		r -= w[i];
	}
	return OP_GET;
}

/* One operation, chosen from the seed and the model, run and checked. */
static void step(model *m)
{
	op_rec o;
	expect e;
	mkey *k;
	mcd_rc rc = MCD_OK;
	uint64_t num = 0;
	size_t vlen = 0;
	bool too_big = false;
	char what[200];
	static unsigned char exp_buf[FIT_MAX + 256];

	memset(&o, 0, sizeof(o));
	memset(&e, 0, sizeof(e));
	/* half the operations on a few hot keys: hits, conflicts, long histories */
	o.id = below(m, 2) ? (int)below(m, 12) : (int)below(m, NKEYS);
	k = &m->k[o.id];
	o.op = pick_op(m);
	/* fault runs: counter keys hold numbers, the others segments, so that
	 * any reply tells whose it is */
	if (m->faulty && k->counter && (o.op == OP_APPEND || o.op == OP_PREPEND))
		o.op = OP_INCR;
	if (m->faulty && !k->counter && (o.op == OP_INCR || o.op == OP_DECR))
		o.op = OP_GET;
	/* keep appends within the item limit */
	if ((o.op == OP_APPEND || o.op == OP_PREPEND) && k->present && k->len > FIT_MAX - 5000)
		o.op = OP_GET;
	/* a counter's padding is known once read */
	if ((o.op == OP_APPEND || o.op == OP_PREPEND) && k->present && k->loose)
		o.op = OP_GET;
	e.any = k->doubt;

	switch (o.op) {
	case OP_SET: case OP_ADD: case OP_REPLACE: case OP_APPEND: case OP_PREPEND:
		o.flags = pick_flags(m, o.id);
		if (m->faulty && k->counter) {
			vlen = (size_t)snprintf((char *)m->scratch, 32, "%" PRIu64,
					counter_base(o.id) + below(m, 1000));
		} else if (o.op == OP_APPEND || o.op == OP_PREPEND) {
			if (!m->faulty && below(m, 8) == 0) {
				/* digits joined to a counter's text */
				vlen = (size_t)snprintf((char *)m->scratch, 32, "%" PRIu64,
						below(m, 1000));
			} else {
				vlen = make_segment(m, m->scratch, o.id, ++k->ver,
						below(m, 20) ? (size_t)below(m, 65) : (size_t)below(m, 4000));
			}
		} else if (!m->faulty && below(m, 8) == 0) {
			vlen = (size_t)snprintf((char *)m->scratch, 32, "%" PRIu64, pick_number(m));
		} else if (!m->faulty && below(m, 400) == 0) {
			vlen = make_segment(m, m->scratch, o.id, ++k->ver,
					TOO_BIG_MIN + (size_t)below(m, TOO_BIG_MAX - TOO_BIG_MIN));
			too_big = true;
		} else {
			vlen = make_segment(m, m->scratch, o.id, ++k->ver, pick_size(m, o.id));
		}
		o.vlen = vlen;
		break;
	case OP_INCR: case OP_DECR:
		if (m->faulty) {
			o.delta = 1 + below(m, 100);
			o.initial = counter_base(o.id);
		} else {
			o.delta = below(m, 5) ? 1 + below(m, 100) : pick_number(m);
			o.initial = below(m, 2) ? below(m, 1000) : pick_number(m);
		}
		break;
	case OP_TOUCH:
		o.expire = below(m, 2) ? 0 : 86400;
		break;
	default:
		break;
	}
	describe(m, &o, what, sizeof(what));
	hist_add(m, what);

	/* what the model says, then the call */
	e.rc = e.rc_alt = MCD_OK;
	switch (o.op) {
	case OP_GET:
		e.rc = e.rc_alt = k->present ? MCD_OK : MCD_NOT_FOUND;
		e.val = k->val;
		e.len = k->len;
		e.flags = k->flags;
		e.pad_max = k->loose ? k->pad_max : 0;
		m->got_flags = 0xdeadbeef;
		rc = mcd_get(m->cli, k->name, k->name_len, &m->got, &m->got_flags);
		break;
	case OP_SET: case OP_ADD: case OP_REPLACE: {
		static const mcd_store_op sop[] = { MCD_SET, MCD_ADD, MCD_REPLACE };

		if (too_big)
			e.rc = e.rc_alt = MCD_E_TOO_BIG;
		else if (o.op == OP_ADD && k->present)
			e.rc = e.rc_alt = MCD_EXISTS;
		else if (o.op == OP_REPLACE && !k->present)
			e.rc = e.rc_alt = MCD_NOT_FOUND;
		/* a quiet set does not see the server's refusal */
		if (too_big && o.op == OP_SET && m->mode->noreply)
			e.rc_alt = MCD_OK;
		rc = mcd_store(m->cli, sop[o.op - OP_SET], k->name, k->name_len,
				(const char *)m->scratch, vlen, 0, o.flags);
		break;
	}
	case OP_APPEND: case OP_PREPEND:
		e.rc = e.rc_alt = k->present ? MCD_OK : MCD_NOT_FOUND;
		rc = mcd_store(m->cli, o.op == OP_APPEND ? MCD_APPEND : MCD_PREPEND, k->name,
				k->name_len, (const char *)m->scratch, vlen, 0, o.flags);
		break;
	case OP_DELETE:
		e.rc = e.rc_alt = k->present ? MCD_OK : MCD_NOT_FOUND;
		rc = mcd_delete(m->cli, k->name, k->name_len);
		break;
	case OP_TOUCH:
		e.rc = e.rc_alt = k->present ? MCD_OK : MCD_NOT_FOUND;
		rc = mcd_touch(m->cli, k->name, k->name_len, o.expire);
		break;
	case OP_INCR: case OP_DECR: {
		uint64_t cur;

		if (!k->present) {
			e.num = o.initial;
		} else if (server_number(k->val, k->len, &cur)) {
			/* memcached 1.6 looks for a '-' in a number from 2^63 up with
			 * strchr, past the item's data into whatever memory follows:
			 * such a counter may be refused as not a number */
			if (cur >= (1ULL << 63))
				e.rc_alt = MCD_E_NOT_NUMBER;
			if (o.op == OP_INCR)
				e.num = cur + o.delta; /* wraps, as the server's */
			else
				e.num = cur < o.delta ? 0 : cur - o.delta;
		} else {
			e.rc = e.rc_alt = MCD_E_NOT_NUMBER;
		}
		rc = (o.op == OP_INCR ? mcd_incr : mcd_decr)(m->cli, k->name, k->name_len,
				o.delta, o.initial, 0, &num);
		break;
	}
	}
	check(m, &o, &e, rc, num);
	failed_write(m, &o, rc);
	if (m->trace) {
		char ev[48] = "";

		if (o.op == OP_GET && rc == MCD_OK)
			show_bytes((const unsigned char *)m->got.data, m->got.len, ev, 40);
		printf("trace #%ld %s -> rc=%d num=%" PRIu64 " '%s'\n", m->ops_done, what, rc,
				num, ev);
		fflush(stdout);
	}
	m->seen[o.op][rc == MCD_OK ? (o.vlen > 100000 ? 4 : 0) : rc == MCD_NOT_FOUND ? 1
			: rc == MCD_EXISTS ? 2 : 3]++;

	/* the model follows what the server did */
	if (k->doubt || rc < 0) {
		if (rc == MCD_E_TOO_BIG && o.op == OP_SET && !k->doubt)
			mk_forget(k); /* memcached drops the old value of a refused set */
		m->ops_done++;
		return;
	}
	switch (o.op) {
	case OP_GET:
		if (rc == MCD_OK && k->loose) /* the padding read: exact again */
			mk_set(k, (unsigned char *)m->got.data, m->got.len, k->flags);
		break;
	case OP_SET:
		if (too_big)
			mk_forget(k); /* quiet set refused: the old value is dropped too */
		else
			mk_set(k, m->scratch, vlen, o.flags);
		break;
	case OP_ADD: case OP_REPLACE:
		if (rc == MCD_OK)
			mk_set(k, m->scratch, vlen, o.flags);
		break;
	case OP_APPEND: case OP_PREPEND:
		if (rc == MCD_OK) {
			size_t old = k->len;

			ck_assert(old + vlen <= sizeof(exp_buf));
			if (o.op == OP_APPEND) {
				memcpy(exp_buf, k->val, old);
				memcpy(exp_buf + old, m->scratch, vlen);
			} else {
				memcpy(exp_buf, m->scratch, vlen);
				memcpy(exp_buf + vlen, k->val, old);
			}
			mk_set(k, exp_buf, old + vlen, k->flags);
		}
		break;
	case OP_DELETE:
		mk_forget(k);
		break;
	case OP_INCR: case OP_DECR:
		if (rc == MCD_OK) {
			char t[32];
			size_t n = (size_t)snprintf(t, sizeof(t), "%" PRIu64, e.num);

			if (!k->present) {
				mk_set(k, (unsigned char *)t, n, 0);
			} else {
				size_t longest = k->loose ? k->pad_max : k->len;

				mk_set(k, (unsigned char *)t, n, k->flags);
				k->loose = true;
				k->pad_max = longest > n ? longest : n;
			}
		}
		break;
	default:
		break;
	}
	m->ops_done++;
}

/* ---- set-up ---- */

static void mode_tweak(mcd_config *cfg, void *arg)
{
	model *m = arg;

	cfg->prefix = m->mode->prefix;
	cfg->noreply = m->mode->noreply;
	cfg->failover = 1;
	cfg->probe_interval_ms = 0; /* nothing calls the prober here */
	if (m->mode->sasl) {
		cfg->username = T_SASL_USER;
		cfg->password = T_SASL_PASS;
	}
	if (m->faulty) {
		cfg->timeout_ms = FAULT_TIMEOUT_MS;
		cfg->retry_timeout_s = 1;
	}
}

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	char *end;
	long x;

	if (!v || !*v)
		return dflt;
	x = strtol(v, &end, 10);
	return *end == '\0' && x > 0 ? x : dflt;
}

static uint64_t pick_seed(void)
{
	const char *v = getenv("MCD_MODEL_SEED");
	struct timespec ts;

	if (v && *v)
		return strtoull(v, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
}

/* False (with a skip reported) when the run is not wanted or not possible. */
static bool model_open(model *m, const mode_def *md, const char *run_name, bool faulty)
{
	const char *only = getenv("MCD_MODEL_MODE");
	char why[256];
	int n = md->nservers;

	memset(m, 0, sizeof(*m));
	m->mode = md;
	m->run_name = run_name;
	m->faulty = faulty;
	m->allow_errors = faulty;
	m->fault_srv = -1;
	if (only && *only && strcmp(only, run_name) != 0) {
		printf("model %s: not selected (MCD_MODEL_MODE=%s)\n", run_name, only);
		return false;
	}
	if (md->sasl && t_sasl_prepare(m->sasl_dir, sizeof(m->sasl_dir), why, sizeof(why)) < 0) {
		char name[64];

		snprintf(name, sizeof(name), "model/%s", run_name);
		t_skip(name, "%s", why);
		return false;
	}
	for (int i = 0; i < n; i++) {
		if (mcd_ts_start(&m->srv[i], md->sasl ? m->sasl_dir : NULL) != 0) {
			if (md->sasl) {
				char name[64];

				snprintf(name, sizeof(name), "model/%s", run_name);
				t_skip(name, "memcached -S did not start (no SASL support?)");
				t_sasl_cleanup(m->sasl_dir);
				return false;
			}
			ck_abort_msg("cannot start memcached %d", i);
		}
	}
	t_servers_str(m->servers, sizeof(m->servers), m->srv, (size_t)n);
	m->cli = t_client(m->servers, md->binary, NULL, mode_tweak, m);
	pool_init();
	m->scratch = malloc(TOO_BIG_MAX + 256);
	ck_assert(m->scratch != NULL);
	mcd_buf_init(&m->got, mcd_allocator_system());
	m->seed = pick_seed();
	m->trace = getenv("MCD_MODEL_TRACE") && atoi(getenv("MCD_MODEL_TRACE")) > 0;
	m->rng = m->seed;
	key_names(m);
	for (int i = 0; i < NKEYS; i++) {
		size_t idx = 0;

		ck_assert_int_eq(mcd_server_for_key(m->cli, m->k[i].name, m->k[i].name_len, &idx),
				MCD_OK);
		m->k[i].home = (int)idx;
		m->k[i].counter = faulty && i % 4 == 1;
	}
	printf("model %s: seed %" PRIu64 "\n", run_name, m->seed);
	fflush(stdout);
	return true;
}

static void model_close(model *m)
{
	mcd_client_free(m->cli);
	m->cli = NULL;
	for (int i = 0; i < MAXS; i++)
		mcd_ts_stop(&m->srv[i]);
	for (int i = 0; i < NKEYS; i++)
		free(m->k[i].val);
	free(m->scratch);
	mcd_buf_free(&m->got);
	if (m->sasl_dir[0])
		t_sasl_cleanup(m->sasl_dir);
}

/* What the run covered: a sequence that never missed or never failed
 * checked less than it seems. */
static void coverage(const model *m)
{
	char line[1024];
	size_t used = 0;

	for (int op = 0; op < 10; op++)
		used += (size_t)snprintf(line + used, sizeof(line) - used,
				" %s %ld/%ld/%ld/%ld/%ld", g_op_names[op], m->seen[op][0], m->seen[op][1],
				m->seen[op][2], m->seen[op][3], m->seen[op][4]);
	printf("model %s: ok/miss/exists/error/ok-over-100KB:%s\n", m->run_name, line);
}

static void no_evictions(model *m)
{
	if (m->mode->sasl)
		return; /* the text protocol is off on a SASL server */
	for (int i = 0; i < m->mode->nservers; i++) {
		uint64_t ev = 1;

		ck_assert_msg(mcd_ts_stat(m->srv[i].port, "evictions", &ev) == 0 && ev == 0,
				"run %s seed %" PRIu64 ": server %d evicted %" PRIu64 " items: the "
				"model cannot hold (raise -m or lower the sizes)", m->run_name, m->seed,
				i, ev);
	}
}

START_TEST(t_model)
{
	model m;
	long ops = env_long("MCD_MODEL_OPS", DEFAULT_OPS);
	double t0 = t_now_ms();

	if (!model_open(&m, &g_modes[_i], g_modes[_i].name, false))
		return;
	for (long i = 0; i < ops; i++)
		step(&m);
	no_evictions(&m);
	coverage(&m);
	printf("model %s: seed %" PRIu64 ": %ld operations, 0 divergences (%.1f s)\n",
			m.run_name, m.seed, m.ops_done, (t_now_ms() - t0) / 1000.0);
	model_close(&m);
}
END_TEST

/* ---- faults ---- */

/*
 * After a fault: once the servers are usable again, every key is read;
 * a key in doubt takes what its server holds (after checking it belongs
 * to it), every other key must hold exactly the model's value.
 */
static void resync(model *m)
{
	/* the dead mark runs out after retry_timeout (1 s) */
	t_sleep_ms(1200);
	for (int i = 0; i < NKEYS; i++) {
		mkey *k = &m->k[i];
		op_rec o = { .op = OP_GET, .id = i };
		expect e;
		mcd_rc rc = MCD_E_CONN;

		for (int attempt = 0; attempt < 5; attempt++) {
			m->got_flags = 0xdeadbeef;
			rc = mcd_get(m->cli, k->name, k->name_len, &m->got, &m->got_flags);
			if (rc >= 0)
				break;
			t_sleep_ms(400);
		}
		memset(&e, 0, sizeof(e));
		e.rc = e.rc_alt = k->present ? MCD_OK : MCD_NOT_FOUND;
		e.val = k->val;
		e.len = k->len;
		e.flags = k->flags;
		e.pad_max = k->loose ? k->pad_max : 0;
		e.any = k->doubt;
		m->ops_done++;
		hist_add(m, "resync get");
		if (rc < 0)
			diverge(m, &o, &e, rc, NULL, 0, 0, 0, "servers not usable again after the fault");
		m->allow_errors = false; /* a key not in doubt must be exact now */
		check(m, &o, &e, rc, 0);
		if (k->doubt || k->loose) {
			if (rc == MCD_OK)
				mk_set(k, (unsigned char *)m->got.data, m->got.len, m->got_flags);
			else
				mk_forget(k);
			k->doubt = false;
		}
	}
}

/* Keys the faulty server holds are in doubt from the fault to the resync. */
static void doubt_server(model *m, int s)
{
	for (int i = 0; i < NKEYS; i++)
		if (m->k[i].home == s)
			m->k[i].doubt = true;
}

START_TEST(t_model_fault)
{
	const fault_def *fd = &g_faults[_i];
	model m;
	long ops = env_long("MCD_MODEL_OPS", DEFAULT_OPS);
	long phase = ops / 10 < 200 ? 200 : ops / 10;
	long window = 300;
	int f;
	double t0 = t_now_ms();

	if (!model_open(&m, &g_modes[fd->mode], fd->name, true))
		return;
	/* the faulty server: one holding some keys */
	f = (int)below(&m, (uint64_t)m.mode->nservers);
	m.fault_srv = f;
	for (long i = 0; i < phase; i++)
		step(&m);

	doubt_server(&m, f);
	if (fd->restart) {
		mcd_ts_stop(&m.srv[f]);
		for (long i = 0; i < window; i++)
			step(&m);
		ck_assert_msg(mcd_ts_restart(&m.srv[f]) == 0, "restart of server %d failed", f);
	} else {
		ck_assert_msg(mcd_ts_freeze(&m.srv[f]) == 0, "freeze of server %d failed", f);
		for (long i = 0; i < window; i++)
			step(&m);
		ck_assert_msg(mcd_ts_thaw(&m.srv[f]) == 0, "thaw of server %d failed", f);
		/* requests queued while it was stopped are served now */
		t_sleep_ms(200);
	}
	doubt_server(&m, f);
	for (long i = 0; i < window; i++)
		step(&m);

	resync(&m);
	/* agreed again: from here on an error is a divergence too (values stay
	 * self-describing) */
	m.allow_errors = false;
	for (long i = 0; i < phase; i++)
		step(&m);
	no_evictions(&m);
	coverage(&m);
	printf("model %s: seed %" PRIu64 ": server %d, %ld operations, 0 divergences "
			"(%.1f s)\n", m.run_name, m.seed, f, m.ops_done, (t_now_ms() - t0) / 1000.0);
	model_close(&m);
}
END_TEST

Suite *suite_model(void)
{
	Suite *s = suite_create("model");
	TCase *tc;

	tc = tcase_create("modes");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, t_model, 0, (int)NMODES);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, t_model_fault, 0, (int)NFAULTS);
	suite_add_tcase(s, tc);
	return s;
}
