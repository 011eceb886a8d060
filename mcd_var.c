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
 * Pseudo-variables: expand the name, split "=>N", call the core, and turn
 * the outcome into a Kamailio value. Errors are logged here, once: the
 * setters then return 0, since a failing setter makes the core log two
 * more lines about the assignment, and the script goes on either way.
 */
#include <limits.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/pvapi.h"

#include "memcached.h"
#include "mcd_var.h"
#include "mcd_key.h"
#include "mcd_value.h"

/* The name of a PV after expansion: key and the expiry of this write. */
typedef struct mcd_pv_key {
	str key;
	uint32_t expire;
	bool has_expire;
} mcd_pv_key;

static void pv_free_mcd_name(void *p)
{
	pv_name_t *pvn = p;

	if(pvn->u.dname) {
		pv_elem_free_all((pv_elem_t *)pvn->u.dname);
		pvn->u.dname = NULL;
	}
}

int pv_parse_mcd_name(pv_spec_p sp, str *in)
{
	pv_elem_t *fmt = NULL;

	if(sp == NULL || in == NULL || in->len <= 0) {
		LM_ERR("memcached: empty pseudo-variable name\n");
		return -1;
	}
	if(pv_parse_format(in, &fmt) < 0 || fmt == NULL) {
		LM_ERR("memcached: bad pseudo-variable name [%.*s]\n", in->len, in->s);
		return -1;
	}
	sp->pvp.pvn.u.dname = fmt;
	sp->pvp.pvn.type = PV_NAME_PVAR;
	sp->pvp.pvn.nfree = pv_free_mcd_name;
	return 0;
}

/* Expands the name; -1 (logged) when empty, unexpandable or bad "=>N". */
static int pv_mcd_key(struct sip_msg *msg, pv_param_t *param, mcd_pv_key *k)
{
	str name;
	const char *ks;
	size_t klen;

	if(msg == NULL || param == NULL || param->pvn.u.dname == NULL)
		return -1;
	if(pv_printf_s(msg, (pv_elem_t *)param->pvn.u.dname, &name) != 0) {
		LM_ERR("memcached: cannot expand the key (too long?)\n");
		return -1;
	}
	if(!mcd_split_key_expire(name.s, (size_t)name.len, &ks, &klen,
			   &k->has_expire, &k->expire)) {
		char shown[MCD_KEY_SHOW_MAX];
		mcd_key_printable(name.s, (size_t)name.len, shown, sizeof(shown));
		LM_ERR("memcached: bad expiry in '%s': \"=>N\" needs N a "
			   "non-negative integer\n",
				shown);
		return -1;
	}
	if(klen == 0) {
		LM_ERR("memcached: empty key\n");
		return -1;
	}
	k->key.s = (char *)ks;
	k->key.len = (int)klen;
	if(!k->has_expire)
		k->expire = (uint32_t)mcd_expire;
	return 0;
}

int pv_get_mcd_value(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	mcd_client *c;
	mcd_pv_key k;
	mcd_buf *b;
	uint32_t flags = 0;
	int64_t iv;
	mcd_rc rc;

	if(res == NULL || pv_mcd_key(msg, param, &k) < 0)
		return pv_get_null(msg, param, res);
	if((c = mcd_client_get()) == NULL)
		return pv_get_null(msg, param, res);
	b = mcd_value_slot();
	rc = mcd_get(c, k.key.s, (size_t)k.key.len, b, &flags);
	if(rc != MCD_OK) {
		mcd_log_result("get", &k.key, rc);
		return pv_get_null(msg, param, res);
	}
	res->rs.s = b->data;
	res->rs.len = (int)b->len;
	if(!(flags & MCD_FLAG_STR) && !mcd_stringify
			&& mcd_parse_stored_int(b->data, b->len, &iv) && iv >= INT_MIN
			&& iv <= INT_MAX) {
		/* the server pads a shrunk counter with spaces: not part of it */
		while(res->rs.len > 0 && res->rs.s[res->rs.len - 1] == ' ')
			res->rs.len--;
		res->ri = (int)iv;
		res->flags = PV_VAL_STR | PV_VAL_INT | PV_TYPE_INT;
		return 0;
	}
	/* strings, stringify=1, and integers beyond Kamailio's 32-bit ints */
	res->ri = 0;
	res->flags = PV_VAL_STR;
	return 0;
}

int pv_set_mcd_value(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val)
{
	char num[MCD_I64_STR_MAX];
	mcd_client *c;
	mcd_pv_key k;
	const char *v;
	size_t vlen;
	uint32_t flags;
	mcd_rc rc;

	if(pv_mcd_key(msg, param, &k) < 0)
		return 0; /* logged */
	if((c = mcd_client_get()) == NULL)
		return 0; /* logged */
	if(val == NULL || (val->flags & PV_VAL_NULL)) {
		rc = mcd_delete(c, k.key.s, (size_t)k.key.len);
		mcd_log_result("delete", &k.key, rc);
		return 0;
	}
	if(val->flags & PV_TYPE_INT || !(val->flags & PV_VAL_STR)) {
		vlen = mcd_format_i64(val->ri, num);
		v = num;
		flags = 0;
	} else {
		v = val->rs.s;
		vlen = (size_t)val->rs.len;
		flags = MCD_FLAG_STR;
	}
	rc = mcd_store(c, mcd_mode == 1 ? MCD_ADD : MCD_SET, k.key.s,
			(size_t)k.key.len, v, vlen, k.expire, flags);
	mcd_log_result(mcd_mode == 1 ? "add" : "set", &k.key, rc);
	return 0;
}

/* An integer the script gave: an int, or text that is exactly one. */
static int pv_mcd_int(const pv_value_t *val, int64_t *out)
{
	if(val == NULL || (val->flags & PV_VAL_NULL))
		return 0; /* logged */
	if(val->flags & PV_TYPE_INT || !(val->flags & PV_VAL_STR)) {
		*out = val->ri;
		return 0;
	}
	return mcd_parse_i64(val->rs.s, (size_t)val->rs.len, out) ? 0 : -1;
}

static int pv_mcd_counter(struct sip_msg *msg, pv_param_t *param,
		pv_value_t *val, int sign, const char *pv)
{
	mcd_client *c;
	mcd_pv_key k;
	int64_t n = 0;
	uint64_t delta, value;
	mcd_rc rc;
	bool up;

	if(pv_mcd_int(val, &n) < 0) {
		LM_ERR("memcached: %s: value is not an integer\n", pv);
		return 0; /* logged */
	}
	if(pv_mcd_key(msg, param, &k) < 0)
		return 0; /* logged */
	if((c = mcd_client_get()) == NULL)
		return 0; /* logged */
	/* a negative step goes the other way; the server stops at 0 */
	up = (n >= 0) == (sign > 0);
	delta = n >= 0 ? (uint64_t)n : (uint64_t)0 - (uint64_t)n;
	rc = (up ? mcd_incr : mcd_decr)(c, k.key.s, (size_t)k.key.len, delta,
			(up && sign > 0) ? delta : 0, k.expire, &value);
	mcd_log_result(up ? "incr" : "decr", &k.key, rc);
	return 0;
}

int pv_inc_mcd_value(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val)
{
	return pv_mcd_counter(msg, param, val, 1, "$mcinc");
}

int pv_dec_mcd_value(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val)
{
	return pv_mcd_counter(msg, param, val, -1, "$mcdec");
}

int pv_set_mcd_expire(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val)
{
	mcd_client *c;
	mcd_pv_key k;
	int64_t n = 0;
	uint32_t expire;
	mcd_rc rc;

	if(pv_mcd_int(val, &n) < 0 || n < 0 || n > MCD_EXPIRE_MAX) {
		LM_ERR("memcached: $mctex: expiry must be a non-negative integer\n");
		return 0; /* logged */
	}
	expire = (uint32_t)n;
	if(pv_mcd_key(msg, param, &k) < 0)
		return 0; /* logged */
	if((c = mcd_client_get()) == NULL)
		return 0; /* logged */
	rc = mcd_touch(c, k.key.s, (size_t)k.key.len, expire);
	mcd_log_result("touch", &k.key, rc);
	return 0;
}
