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
 * the outcome into a Kamailio value. Every access reports its outcome once
 * through mcd_log_result (which sets $mcd(rc) and logs failures); the
 * setters then return 0, since a failing setter makes the core log two
 * more lines about the assignment, and the script goes on either way.
 */
#include <string.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/pvapi.h"

#include "memcached.h"
#include "mcd_arg.h"
#include "mcd_var.h"
#include "mcd_key.h"
#include "mcd_kint.h"
#include "mcd_slot.h"
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

/* The name is literal text: reading it expands nothing. */
static bool pv_mcd_name_literal(const pv_param_t *param)
{
	const pv_elem_t *fmt = param->pvn.u.dname;

	return fmt != NULL && fmt->next == NULL && fmt->spec == NULL;
}

/*
 * Expands the name. MCD_E_ARG when it cannot be expanded, holds a bad
 * "=>N" or leaves an empty key; k->key is then what there is of the name,
 * for the log. Logs nothing: the caller reports the outcome. k->key
 * points into Kamailio's print buffer (or the parsed name): valid until
 * something else is expanded.
 */
static mcd_rc pv_mcd_key(struct sip_msg *msg, pv_param_t *param, mcd_pv_key *k)
{
	str name;
	const char *ks;
	size_t klen;

	k->key.s = NULL;
	k->key.len = 0;
	if(msg == NULL || param == NULL || param->pvn.u.dname == NULL)
		return MCD_E_ARG;
	if(pv_mcd_name_literal(param)) {
		name = ((pv_elem_t *)param->pvn.u.dname)->text;
	} else if(pv_printf_s(msg, (pv_elem_t *)param->pvn.u.dname, &name) != 0) {
		mcd_arg_error("cannot expand the key (too long?)");
		return MCD_E_ARG;
	}
	k->key = name;
	if(!mcd_split_key_expire(name.s, (size_t)name.len, &ks, &klen,
			   &k->has_expire, &k->expire)) {
		mcd_arg_error("\"=>N\" needs N a non-negative integer");
		return MCD_E_ARG;
	}
	if(klen == 0) {
		mcd_arg_error("empty key");
		return MCD_E_ARG;
	}
	k->key.s = (char *)ks;
	k->key.len = (int)klen;
	if(!k->has_expire)
		k->expire = (uint32_t)mcd_expire;
	return MCD_OK;
}

/* a value as the script sees it: see mcd_read_value */
static void mcd_pv_value(
		pv_value_t *res, char *data, size_t len, uint32_t flags)
{
	int64_t iv;
	bool num;

	res->rs.s = data;
	res->rs.len = (int)len;
	res->ri = 0;
	res->flags = PV_VAL_STR;
	num = !(flags & MCD_FLAG_STR) && mcd_parse_stored_int(data, len, &iv);
	if(!num)
		return;
	/* the server pads a shrunk counter with spaces: not part of it,
	 * whether it is read as an integer or (stringify=1) as a string */
	while(res->rs.len > 0 && res->rs.s[res->rs.len - 1] == ' ')
		res->rs.len--;
	/* beyond the host's script integers: the exact decimal text */
	if(!mcd_stringify && mcd_kint_fits(iv)) {
		res->ri = (mcd_kint)iv;
		res->flags = PV_VAL_STR | PV_VAL_INT | PV_TYPE_INT;
	}
}

mcd_rc mcd_read_value(const str *key, pv_value_t *out)
{
	mcd_client *c;
	mcd_buf *b;
	uint32_t flags = 0;
	mcd_rc rc;

	if((c = mcd_client_get()) == NULL)
		return MCD_E_NOMEM;
	b = mcd_value_slot();
	rc = mcd_get(c, key->s, (size_t)key->len, b, &flags);
	if(rc == MCD_OK)
		mcd_pv_value(out, b->data, b->len, flags);
	return rc;
}

int pv_get_mcd_value(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	mcd_pv_key k;
	mcd_rc rc;

	if(res == NULL)
		return pv_get_null(msg, param, res);
	if((rc = pv_mcd_key(msg, param, &k)) == MCD_OK)
		rc = mcd_read_value(&k.key, res);
	mcd_log_result("get", &k.key, rc);
	return rc == MCD_OK ? 0 : pv_get_null(msg, param, res);
}

/*
 * The value assigned to $mct, taken before the name is expanded: the core
 * evaluated it first, and it may sit in a buffer that the name's expansion
 * reuses (see mcd_arg.h). An integer becomes its text in num (flags 0);
 * text is copied unless the name is literal.
 * Release v whatever the outcome.
 */
static mcd_rc pv_mcd_store_value(pv_param_t *param, pv_value_t *val,
		mcd_arg *v, char num[MCD_I64_STR_MAX], uint32_t *flags)
{
	str s;

	if(val->flags & PV_TYPE_INT || !(val->flags & PV_VAL_STR)) {
		/* ri is a long on hosts with 64-bit script integers */
		s.s = num;
		s.len = (int)mcd_format_i64((int64_t)val->ri, num);
		mcd_arg_borrow(v, &s);
		*flags = 0;
		return MCD_OK;
	}
	*flags = MCD_FLAG_STR;
	if(pv_mcd_name_literal(param)) {
		mcd_arg_borrow(v, &val->rs);
		return MCD_OK;
	}
	return mcd_arg_copy(v, &val->rs) < 0 ? MCD_E_NOMEM : MCD_OK;
}

int pv_set_mcd_value(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val)
{
	char num[MCD_I64_STR_MAX];
	static str none = STR_NULL;
	const char *fn;
	mcd_client *c = NULL;
	mcd_pv_key k;
	mcd_arg v;
	uint32_t flags = 0;
	mcd_rc rc = MCD_OK, krc;
	bool del;

	del = val == NULL || (val->flags & PV_VAL_NULL);
	fn = del ? "delete" : (mcd_mode == 1 ? "add" : "set");
	mcd_arg_borrow(&v, &none);
	if(!del)
		rc = pv_mcd_store_value(param, val, &v, num, &flags);
	/* a bad name is the first thing to report */
	if((krc = pv_mcd_key(msg, param, &k)) != MCD_OK)
		rc = krc;
	if(rc == MCD_OK && (c = mcd_client_get()) == NULL)
		rc = MCD_E_NOMEM;
	if(rc != MCD_OK) {
		mcd_log_result(fn, &k.key, rc);
	} else if(del) {
		mcd_log_result(fn, &k.key, mcd_delete(c, k.key.s, (size_t)k.key.len));
	} else {
		rc = mcd_store(c, mcd_mode == 1 ? MCD_ADD : MCD_SET, k.key.s,
				(size_t)k.key.len, v.s.s, (size_t)v.s.len, k.expire, flags);
		if(rc == MCD_EXISTS || rc == MCD_NOT_STORED) {
			/* an answer to a function (debug there), but a write of this
			 * PV that did not happen: the script has no other way to
			 * learn it */
			char shown[MCD_KEY_SHOW_MAX];
			mcd_key_printable(
					k.key.s, (size_t)k.key.len, shown, sizeof(shown));
			LM_ERR("memcached: %s '%s' failed: %s\n", fn, shown,
					mcd_strerror(rc));
		}
		mcd_log_result(fn, &k.key, rc);
	}
	mcd_arg_release(&v);
	return 0;
}

/*
 * An integer the script gave: an int, or text that is exactly one. $null
 * (an unset AVP), an empty string and other text are not: a counter step
 * or an expiry of 0 taken from them would change or immortalise a key.
 */
static bool pv_mcd_int(const pv_value_t *val, int64_t *out)
{
	if(val == NULL || (val->flags & PV_VAL_NULL))
		return false;
	if(val->flags & PV_TYPE_INT) {
		*out = (int64_t)val->ri;
		return true;
	}
	if(val->flags & PV_VAL_STR)
		return mcd_parse_i64(val->rs.s, (size_t)val->rs.len, out);
	if(val->flags & PV_VAL_INT) {
		*out = (int64_t)val->ri;
		return true;
	}
	return false;
}

static int pv_mcd_counter(struct sip_msg *msg, pv_param_t *param,
		pv_value_t *val, int sign, const char *pv)
{
	const char *fn = sign > 0 ? "incr" : "decr";
	mcd_client *c;
	mcd_pv_key k;
	int64_t n = 0;
	uint64_t delta, value;
	mcd_rc rc;
	bool up, is_int;

	/* the value first, into an integer: the name's expansion may reuse
	 * the buffer it is in */
	is_int = pv_mcd_int(val, &n);
	if((rc = pv_mcd_key(msg, param, &k)) != MCD_OK) {
		mcd_log_result(fn, &k.key, rc);
		return 0;
	}
	if(!is_int) {
		mcd_arg_error("%s: the value is not an integer", pv);
		mcd_log_result(fn, &k.key, MCD_E_ARG);
		return 0;
	}
	/* a negative step goes the other way; the server stops at 0 */
	up = (n >= 0) == (sign > 0);
	fn = up ? "incr" : "decr";
	if((c = mcd_client_get()) == NULL) {
		mcd_log_result(fn, &k.key, MCD_E_NOMEM);
		return 0;
	}
	delta = n >= 0 ? (uint64_t)n : (uint64_t)0 - (uint64_t)n;
	rc = (up ? mcd_incr : mcd_decr)(c, k.key.s, (size_t)k.key.len, delta,
			(up && sign > 0) ? delta : 0, k.expire, &value);
	mcd_log_result(fn, &k.key, rc);
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
	mcd_rc rc;
	bool ok;

	/* the value first: see pv_mcd_counter */
	ok = pv_mcd_int(val, &n) && n >= 0 && n <= (int64_t)MCD_EXPIRE_MAX;
	if((rc = pv_mcd_key(msg, param, &k)) != MCD_OK) {
		mcd_log_result("touch", &k.key, rc);
		return 0;
	}
	if(!ok) {
		mcd_arg_error("$mctex: the expiry is not a non-negative integer");
		mcd_log_result("touch", &k.key, MCD_E_ARG);
		return 0;
	}
	if((c = mcd_client_get()) == NULL) {
		mcd_log_result("touch", &k.key, MCD_E_NOMEM);
		return 0;
	}
	rc = mcd_touch(c, k.key.s, (size_t)k.key.len, (uint32_t)n);
	mcd_log_result("touch", &k.key, rc);
	return 0;
}
