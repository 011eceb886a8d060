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
 * Script functions (mcd_add, mcd_incr, ...) and the KEMI exports
 * (KSR.memcached.*). Both front ends parse their arguments and call the
 * same implementation, which takes plain str keys and values and returns
 * the script return code.
 *
 * Return codes:
 *    1  done
 *   -1  the condition failed: key exists (add), key missing (replace,
 *       append, prepend, delete, touch), or the server declined the write
 *   -2  server or connection error, and everything else the server
 *       refuses: a counter on a value that is not a number, a value too
 *       large, authentication, out of memory. The outcome depends on what
 *       the server holds, not on what the script passed, so it is not -3.
 *   -3  bad argument given by the script: empty key, an expire or delta
 *       that is not a non-negative integer. Nothing is sent.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/pvar.h"
#include "core/kemi.h"
#include "core/lvalue.h"

#include "memcached.h"
#include "mcd_arg.h"
#include "mcd_func.h"
#include "mcd_key.h"
#include "mcd_kint.h"
#include "mcd_value.h"
#include "mcd_var.h"

/* ---- shared implementation ---- */

/*
 * Reports the outcome once (mcd_log_result sets $mcd(rc)/$mcd(err) and
 * logs: a lost mcd_add race, the normal case of a lock, at debug level)
 * and gives the script return code. Every front end ends here, bad
 * arguments found before anything is sent included.
 */
static int mcd_finish(const char *op, const str *key, mcd_rc rc)
{
	static str none = STR_STATIC_INIT("");

	mcd_log_result(op, key ? key : &none, rc);
	return mcd_script_rc(rc);
}

static int mcd_key_ok(const str *key)
{
	if(key != NULL && key->s != NULL && key->len > 0)
		return 1;
	mcd_arg_error("empty key");
	return 0;
}

static const char *mcd_store_fn(mcd_store_op op)
{
	switch(op) {
		case MCD_SET:
			return "set";
		case MCD_ADD:
			return "add";
		case MCD_REPLACE:
			return "replace";
		case MCD_APPEND:
			return "append";
		case MCD_PREPEND:
			return "prepend";
	}
	return "store";
}

/*
 * Stores a string value (flags 1, as $mct does for strings).
 * expire < 0 means the module's default expiry.
 */
static int mcd_do_store(
		mcd_store_op op, const str *key, const str *val, int64_t expire)
{
	const char *fn = mcd_store_fn(op);
	mcd_client *c;
	mcd_rc rc;

	if(!mcd_key_ok(key))
		return mcd_finish(fn, key, MCD_E_ARG);
	if((c = mcd_client_get()) == NULL)
		return mcd_finish(fn, key, MCD_E_NOMEM);
	rc = mcd_store(c, op, key->s, (size_t)key->len,
			(val && val->s) ? val->s : "",
			(val && val->s && val->len > 0) ? (size_t)val->len : 0,
			expire < 0 ? (uint32_t)mcd_expire : (uint32_t)expire, MCD_FLAG_STR);
	return mcd_finish(fn, key, rc);
}

static int mcd_do_delete(const str *key)
{
	mcd_client *c;

	if(!mcd_key_ok(key))
		return mcd_finish("delete", key, MCD_E_ARG);
	if((c = mcd_client_get()) == NULL)
		return mcd_finish("delete", key, MCD_E_NOMEM);
	return mcd_finish("delete", key, mcd_delete(c, key->s, (size_t)key->len));
}

static int mcd_do_touch(const str *key, uint32_t expire)
{
	mcd_client *c;

	if(!mcd_key_ok(key))
		return mcd_finish("touch", key, MCD_E_ARG);
	if((c = mcd_client_get()) == NULL)
		return mcd_finish("touch", key, MCD_E_NOMEM);
	return mcd_finish(
			"touch", key, mcd_touch(c, key->s, (size_t)key->len, expire));
}

/*
 * Atomic counter; a missing key is created (flags 0, default expiry) with
 * delta for incr and 0 for decr, as $mcinc/$mcdec do. Not reported yet:
 * the caller still has to hand the value over.
 */
static mcd_rc mcd_do_counter(
		int incr, const str *key, uint64_t delta, uint64_t *value)
{
	mcd_client *c;

	if(!mcd_key_ok(key))
		return MCD_E_ARG;
	if((c = mcd_client_get()) == NULL)
		return MCD_E_NOMEM;
	return (incr ? mcd_incr : mcd_decr)(c, key->s, (size_t)key->len, delta,
			incr ? delta : 0, (uint32_t)mcd_expire, value);
}

/*
 * Reads a value into one of the module's value slots and types it as $mct
 * does (*out). Not reported yet: the caller still has to hand it over.
 */
static mcd_rc mcd_do_get(const str *key, pv_value_t *out)
{
	if(!mcd_key_ok(key))
		return MCD_E_ARG;
	return mcd_read_value(key, out);
}

/* ---- script functions: parameters ---- */

/*
 * Parameter kinds, one letter per parameter of a function:
 * k key, v value, e expire, d delta (all format strings), o output variable.
 */
static const char *mcd_param_name(char kind)
{
	switch(kind) {
		case 'k':
			return "key";
		case 'v':
			return "value";
		case 'e':
			return "expire";
		case 'd':
			return "delta";
		case 'o':
			return "output variable";
	}
	return "parameter";
}

/* A non-negative expiry or delta in text; false when it is not one. */
static int mcd_parse_num(char kind, const str *s, uint64_t *out)
{
	uint32_t e;

	if(s == NULL || s->s == NULL || s->len <= 0)
		return 0;
	if(kind == 'e') {
		if(!mcd_parse_expire(s->s, (size_t)s->len, &e))
			return 0;
		*out = e;
		return 1;
	}
	return mcd_parse_u64(s->s, (size_t)s->len, out) ? 1 : 0;
}

/* param_no 0: not known (run time) */
static void mcd_bad_num(const char *fn, int param_no, char kind, const str *s)
{
	char shown[MCD_KEY_SHOW_MAX];
	char pos[24] = "";

	mcd_key_printable(s && s->s ? s->s : "",
			s && s->s && s->len > 0 ? (size_t)s->len : 0, shown, sizeof(shown));
	if(param_no > 0) {
		/* a literal: Kamailio does not start, so say exactly why */
		snprintf(pos, sizeof(pos), "parameter %d ", param_no);
		LM_ERR("memcached: %s(): %s(%s) must be a non-negative integer%s, "
			   "got '%s'\n",
				fn, pos, mcd_param_name(kind),
				kind == 'e' ? " of seconds, 0 = never" : "", shown);
	} else {
		mcd_arg_error("%s(): %s must be a non-negative integer, got '%s'",
				fn, mcd_param_name(kind), shown);
	}
}

/*
 * Fixup shared by every function: format strings for k/v/e/d, a writable
 * variable for o. A static expire or delta is checked here, so a bad
 * literal stops Kamailio at start-up with the function and parameter named.
 */
static int mcd_fixup(
		const char *fn, const char *kinds, void **param, int param_no)
{
	char kind;
	fparam_t *fp;
	pv_spec_t *sp;
	uint64_t n;

	if(param_no < 1 || param_no > (int)strlen(kinds))
		return 0;
	kind = kinds[param_no - 1];
	if(kind == 'o') {
		if(fixup_pvar_all(param, 1) < 0) {
			LM_ERR("memcached: %s(): parameter %d (%s) must be a variable, "
				   "e.g. $var(x)\n",
					fn, param_no, mcd_param_name(kind));
			return E_CFG;
		}
		sp = (pv_spec_t *)*param;
		if(sp->setf == NULL) {
			LM_ERR("memcached: %s(): parameter %d (%s) is read-only\n", fn,
					param_no, mcd_param_name(kind));
			fixup_free_pvar_all(param, 1);
			return E_CFG;
		}
		return 0;
	}
	if(fixup_spve_null(param, 1) < 0) {
		LM_ERR("memcached: %s(): parameter %d (%s): bad format string\n", fn,
				param_no, mcd_param_name(kind));
		return E_CFG;
	}
	fp = (fparam_t *)*param;
	if((kind == 'e' || kind == 'd') && fp->type == FPARAM_STR
			&& !mcd_parse_num(kind, &fp->v.str, &n)) {
		mcd_bad_num(fn, param_no, kind, &fp->v.str);
		fixup_free_spve_null(param, 1);
		return E_CFG;
	}
	if(kind == 'k' && fp->type == FPARAM_STR && fp->v.str.len <= 0) {
		LM_ERR("memcached: %s(): parameter %d (key) is empty\n", fn, param_no);
		fixup_free_spve_null(param, 1);
		return E_CFG;
	}
	return 0;
}

static int mcd_fixup_free(const char *kinds, void **param, int param_no)
{
	if(param_no < 1 || param_no > (int)strlen(kinds))
		return 0;
	if(kinds[param_no - 1] == 'o')
		return fixup_free_pvar_all(param, 1);
	return fixup_free_spve_null(param, 1);
}

#define MCD_FIXUP(fn, kinds)                               \
	static int fixup_##fn(void **param, int param_no)      \
	{                                                      \
		return mcd_fixup(#fn, kinds, param, param_no);     \
	}                                                      \
	static int fixup_free_##fn(void **param, int param_no) \
	{                                                      \
		return mcd_fixup_free(kinds, param, param_no);     \
	}

MCD_FIXUP(mcd_get, "ko")
MCD_FIXUP(mcd_add, "kve")
MCD_FIXUP(mcd_replace, "kve")
MCD_FIXUP(mcd_append, "kv")
MCD_FIXUP(mcd_prepend, "kv")
MCD_FIXUP(mcd_delete, "k")
MCD_FIXUP(mcd_touch, "ke")
MCD_FIXUP(mcd_incr, "kdo")
MCD_FIXUP(mcd_decr, "kdo")

/* ---- script functions: run time ---- */

/*
 * Run time. Kamailio may hand an expanded argument back in a buffer that
 * the next expansion reuses (see mcd_arg.h), so every function reads its
 * arguments in one order: numbers first, parsed into integers; then the
 * key, copied; the value last, used in place until the operation is done.
 * The helpers log the reason of a bad argument with mcd_arg_error; the
 * caller reports the outcome, once, through mcd_finish.
 */

/* The one variable a format string is made of, or NULL. */
static pv_spec_t *mcd_lone_pv(const fparam_t *fp)
{
	const pv_elem_t *e;

	if(fp->type != FPARAM_PVE || (e = fp->v.pve) == NULL)
		return NULL;
	if(e->next != NULL || e->text.len != 0)
		return NULL;
	return e->spec;
}

/*
 * Expands a key into *key (to be released with mcd_arg_release whatever
 * the outcome): a literal is borrowed, anything expanded is copied.
 * MCD_E_ARG when it cannot be expanded or is empty.
 */
static mcd_rc mcd_get_key(sip_msg_t *msg, const char *fn, char *p, mcd_arg *key)
{
	fparam_t *fp = (fparam_t *)p;
	str s = STR_NULL;

	mcd_arg_borrow(key, &s);
	if(fp->type == FPARAM_STR) {
		/* a literal: fixed at start-up, checked not empty there */
		mcd_arg_borrow(key, &fp->v.str);
		return MCD_OK;
	}
	if(fixup_get_svalue(msg, (gparam_t *)p, &s) < 0) {
		mcd_arg_error("%s(): cannot expand the key", fn);
		return MCD_E_ARG;
	}
	if(s.len <= 0) {
		mcd_arg_error("%s(): empty key", fn);
		return MCD_E_ARG;
	}
	if(mcd_arg_copy(key, &s) < 0)
		return MCD_E_NOMEM;
	return MCD_OK;
}

/*
 * Expands a value, last of the arguments: *val may point into Kamailio's
 * buffers (an integer's text into its static one) and is used before
 * anything else is expanded. A value that is one variable alone is taken
 * as it is, so it is not cut to the size of Kamailio's print buffer.
 */
static mcd_rc mcd_get_val(sip_msg_t *msg, const char *fn, char *p, str *val,
		char num[MCD_I64_STR_MAX])
{
	pv_spec_t *sp;
	pv_value_t v;

	if((sp = mcd_lone_pv((fparam_t *)p)) != NULL) {
		memset(&v, 0, sizeof(v));
		if(pv_get_spec_value(msg, sp, &v) != 0) {
			mcd_arg_error("%s(): cannot get the value", fn);
			return MCD_E_ARG;
		}
		if(v.flags & PV_VAL_NULL) {
			/* as a format string prints it */
			val->s = "<null>";
			val->len = 6;
		} else if(v.flags & PV_VAL_STR) {
			/* the text a format string prints ($rm is "INVITE", not its
			 * number); nothing is expanded after it */
			*val = v.rs;
		} else {
			val->s = num;
			val->len = (int)mcd_format_i64((int64_t)v.ri, num);
		}
		return MCD_OK;
	}
	if(fixup_get_svalue(msg, (gparam_t *)p, val) < 0) {
		mcd_arg_error("%s(): cannot expand the value", fn);
		return MCD_E_ARG;
	}
	return MCD_OK;
}

/*
 * Expands and parses an expire or delta, at once: only the integer is
 * kept. A variable alone is read, not printed into a buffer.
 */
static mcd_rc mcd_get_num(
		sip_msg_t *msg, const char *fn, char kind, char *p, uint64_t *out)
{
	char num[MCD_I64_STR_MAX];
	pv_spec_t *sp;
	pv_value_t v;
	str s;

	if((sp = mcd_lone_pv((fparam_t *)p)) != NULL) {
		memset(&v, 0, sizeof(v));
		if(pv_get_spec_value(msg, sp, &v) != 0) {
			mcd_arg_error("%s(): cannot get the %s", fn, mcd_param_name(kind));
			return MCD_E_ARG;
		}
		if(v.flags & PV_VAL_NULL) {
			s.s = "<null>";
			s.len = 6;
		} else if(v.flags & PV_VAL_STR) {
			/* the text, as a format string prints it; parsed at once */
			s = v.rs;
		} else {
			s.s = num;
			s.len = (int)mcd_format_i64((int64_t)v.ri, num);
		}
	} else if(fixup_get_svalue(msg, (gparam_t *)p, &s) < 0) {
		mcd_arg_error("%s(): cannot expand the %s", fn,
				mcd_param_name(kind));
		return MCD_E_ARG;
	}
	if(!mcd_parse_num(kind, &s, out)) {
		mcd_bad_num(fn, 0, kind, &s);
		return MCD_E_ARG;
	}
	return MCD_OK;
}

static int w_mcd_store(sip_msg_t *msg, const char *fn, mcd_store_op op,
		char *pkey, char *pval, char *pexp)
{
	char num[MCD_I64_STR_MAX];
	mcd_arg key;
	str val;
	uint64_t e = 0;
	mcd_rc rc, erc = MCD_OK;
	int ret;

	if(pexp != NULL)
		erc = mcd_get_num(msg, fn, 'e', pexp, &e);
	rc = mcd_get_key(msg, fn, pkey, &key);
	if(rc == MCD_OK)
		rc = erc;
	if(rc == MCD_OK)
		rc = mcd_get_val(msg, fn, pval, &val, num);
	if(rc != MCD_OK)
		ret = mcd_finish(mcd_store_fn(op), &key.s, rc);
	else
		ret = mcd_do_store(op, &key.s, &val, pexp != NULL ? (int64_t)e : -1);
	mcd_arg_release(&key);
	return ret;
}

static int w_mcd_add2(sip_msg_t *msg, char *k, char *v)
{
	return w_mcd_store(msg, "mcd_add", MCD_ADD, k, v, NULL);
}

static int w_mcd_add(sip_msg_t *msg, char *k, char *v, char *e)
{
	return w_mcd_store(msg, "mcd_add", MCD_ADD, k, v, e);
}

static int w_mcd_replace2(sip_msg_t *msg, char *k, char *v)
{
	return w_mcd_store(msg, "mcd_replace", MCD_REPLACE, k, v, NULL);
}

static int w_mcd_replace(sip_msg_t *msg, char *k, char *v, char *e)
{
	return w_mcd_store(msg, "mcd_replace", MCD_REPLACE, k, v, e);
}

static int w_mcd_append(sip_msg_t *msg, char *k, char *v)
{
	return w_mcd_store(msg, "mcd_append", MCD_APPEND, k, v, NULL);
}

static int w_mcd_prepend(sip_msg_t *msg, char *k, char *v)
{
	return w_mcd_store(msg, "mcd_prepend", MCD_PREPEND, k, v, NULL);
}

static int w_mcd_delete(sip_msg_t *msg, char *k, char *unused)
{
	mcd_arg key;
	mcd_rc rc;
	int ret;

	rc = mcd_get_key(msg, "mcd_delete", k, &key);
	ret = rc != MCD_OK ? mcd_finish("delete", &key.s, rc)
					   : mcd_do_delete(&key.s);
	mcd_arg_release(&key);
	return ret;
}

static int w_mcd_touch(sip_msg_t *msg, char *k, char *e)
{
	mcd_arg key;
	uint64_t expire = 0;
	mcd_rc rc, erc;
	int ret;

	erc = mcd_get_num(msg, "mcd_touch", 'e', e, &expire);
	rc = mcd_get_key(msg, "mcd_touch", k, &key);
	if(rc == MCD_OK)
		rc = erc;
	ret = rc != MCD_OK ? mcd_finish("touch", &key.s, rc)
					   : mcd_do_touch(&key.s, (uint32_t)expire);
	mcd_arg_release(&key);
	return ret;
}

/* Writes a value to the script's output variable; -1 (logged) on failure. */
static int mcd_set_var(
		sip_msg_t *msg, const char *fn, pv_spec_t *sp, pv_value_t *v)
{
	if(pv_set_spec_value(msg, sp, EQ_T, v) < 0) {
		LM_ERR("memcached: %s(): cannot write the output variable\n", fn);
		return -1;
	}
	return 0;
}

/*
 * mcd_get(key, $var(out)): 1 found (out typed as for $mct), -1 missing,
 * -2 server or connection error, -3 bad argument. Unless found, out is
 * left as it was: the return code, not the variable, tells what happened.
 */
static int w_mcd_get(sip_msg_t *msg, char *k, char *o)
{
	mcd_arg key;
	pv_value_t v;
	mcd_rc rc;
	int ret;

	if((rc = mcd_get_key(msg, "mcd_get", k, &key)) == MCD_OK) {
		memset(&v, 0, sizeof(v));
		rc = mcd_do_get(&key.s, &v);
		/* v is in a value slot: the output variable's own name may be
		 * expanded without touching it */
		if(rc == MCD_OK
				&& mcd_set_var(msg, "mcd_get", (pv_spec_t *)o, &v) < 0)
			rc = MCD_E_NOMEM; /* a variable fails to take a value for memory */
	}
	ret = mcd_finish("get", &key.s, rc);
	mcd_arg_release(&key);
	return ret;
}

/* A counter as a script value: an integer when the host's script integers
 * hold it (64-bit from Kamailio 5.7), else its decimal text in num. */
static void mcd_counter_value(
		pv_value_t *v, uint64_t value, char num[MCD_I64_STR_MAX])
{
	memset(v, 0, sizeof(*v));
	if(value <= (uint64_t)MCD_KINT_MAX) {
		v->ri = (mcd_kint)value;
		v->flags = PV_VAL_INT | PV_TYPE_INT;
	} else {
		/* counters are unsigned 64-bit; above 2^63 print them as such */
		v->rs.len = snprintf(
				num, MCD_I64_STR_MAX, "%llu", (unsigned long long)value);
		v->rs.s = num;
		v->flags = PV_VAL_STR;
	}
}

static int w_mcd_counter(sip_msg_t *msg, int incr, char *k, char *d, char *o)
{
	const char *fn = incr ? "mcd_incr" : "mcd_decr";
	const char *op = incr ? "incr" : "decr";
	char num[MCD_I64_STR_MAX];
	mcd_arg key;
	uint64_t delta = 0, value = 0;
	pv_value_t v;
	mcd_rc rc, drc;
	int ret;

	drc = mcd_get_num(msg, fn, 'd', d, &delta);
	rc = mcd_get_key(msg, fn, k, &key);
	if(rc == MCD_OK)
		rc = drc;
	if(rc == MCD_OK)
		rc = mcd_do_counter(incr, &key.s, delta, &value);
	if(rc == MCD_OK) {
		mcd_counter_value(&v, value, num);
		if(mcd_set_var(msg, fn, (pv_spec_t *)o, &v) < 0)
			rc = MCD_E_NOMEM;
	}
	ret = mcd_finish(op, &key.s, rc);
	mcd_arg_release(&key);
	return ret;
}

static int w_mcd_incr(sip_msg_t *msg, char *k, char *d, char *o)
{
	return w_mcd_counter(msg, 1, k, d, o);
}

static int w_mcd_decr(sip_msg_t *msg, char *k, char *d, char *o)
{
	return w_mcd_counter(msg, 0, k, d, o);
}

/* clang-format off */
cmd_export_t mcd_cmds[] = {
	{"mcd_get", (cmd_function)w_mcd_get, 2,
		fixup_mcd_get, fixup_free_mcd_get, ANY_ROUTE},
	{"mcd_add", (cmd_function)w_mcd_add2, 2,
		fixup_mcd_add, fixup_free_mcd_add, ANY_ROUTE},
	{"mcd_add", (cmd_function)w_mcd_add, 3,
		fixup_mcd_add, fixup_free_mcd_add, ANY_ROUTE},
	{"mcd_replace", (cmd_function)w_mcd_replace2, 2,
		fixup_mcd_replace, fixup_free_mcd_replace, ANY_ROUTE},
	{"mcd_replace", (cmd_function)w_mcd_replace, 3,
		fixup_mcd_replace, fixup_free_mcd_replace, ANY_ROUTE},
	{"mcd_append", (cmd_function)w_mcd_append, 2,
		fixup_mcd_append, fixup_free_mcd_append, ANY_ROUTE},
	{"mcd_prepend", (cmd_function)w_mcd_prepend, 2,
		fixup_mcd_prepend, fixup_free_mcd_prepend, ANY_ROUTE},
	{"mcd_delete", (cmd_function)w_mcd_delete, 1,
		fixup_mcd_delete, fixup_free_mcd_delete, ANY_ROUTE},
	{"mcd_touch", (cmd_function)w_mcd_touch, 2,
		fixup_mcd_touch, fixup_free_mcd_touch, ANY_ROUTE},
	{"mcd_incr", (cmd_function)w_mcd_incr, 3,
		fixup_mcd_incr, fixup_free_mcd_incr, ANY_ROUTE},
	{"mcd_decr", (cmd_function)w_mcd_decr, 3,
		fixup_mcd_decr, fixup_free_mcd_decr, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};
/* clang-format on */

/* ---- KEMI ---- */

static sr_kemi_xval_t mcd_kemi_xval;

/* A negative KEMI expiry: logged at debug, reported by the caller. */
static int mcd_kemi_expire(const char *fn, int expire)
{
	if(expire < 0) {
		mcd_arg_error("KSR.memcached.%s: expire must be a non-negative "
					  "integer, got %d",
				fn, expire);
		return -1;
	}
	return 0;
}

/* The value, a string; nil (Lua) / None (Python) when missing or on error. */
static sr_kemi_xval_t *ki_mcd_get(sip_msg_t *msg, str *key)
{
	pv_value_t v;
	mcd_rc rc;

	memset(&mcd_kemi_xval, 0, sizeof(mcd_kemi_xval));
	memset(&v, 0, sizeof(v));
	rc = mcd_do_get(key, &v);
	mcd_finish("get", key, rc);
	if(rc != MCD_OK) {
		sr_kemi_xval_null(&mcd_kemi_xval, SR_KEMI_XVAL_NULL_NONE);
		return &mcd_kemi_xval;
	}
	mcd_kemi_xval.vtype = SR_KEMIP_STR;
	mcd_kemi_xval.v.s = v.rs;
	return &mcd_kemi_xval;
}

/* set follows the mode parameter, as a $mct write does */
static int ki_mcd_set(sip_msg_t *msg, str *key, str *val)
{
	return mcd_do_store(mcd_mode == 1 ? MCD_ADD : MCD_SET, key, val, -1);
}

static int ki_mcd_setex(sip_msg_t *msg, str *key, str *val, int expire)
{
	mcd_store_op op = mcd_mode == 1 ? MCD_ADD : MCD_SET;

	if(mcd_kemi_expire("setex", expire) < 0)
		return mcd_finish(mcd_store_fn(op), key, MCD_E_ARG);
	return mcd_do_store(op, key, val, (int64_t)expire);
}

static int ki_mcd_add(sip_msg_t *msg, str *key, str *val, int expire)
{
	if(mcd_kemi_expire("add", expire) < 0)
		return mcd_finish("add", key, MCD_E_ARG);
	return mcd_do_store(MCD_ADD, key, val, (int64_t)expire);
}

static int ki_mcd_replace(sip_msg_t *msg, str *key, str *val, int expire)
{
	if(mcd_kemi_expire("replace", expire) < 0)
		return mcd_finish("replace", key, MCD_E_ARG);
	return mcd_do_store(MCD_REPLACE, key, val, (int64_t)expire);
}

static int ki_mcd_append(sip_msg_t *msg, str *key, str *val)
{
	return mcd_do_store(MCD_APPEND, key, val, -1);
}

static int ki_mcd_prepend(sip_msg_t *msg, str *key, str *val)
{
	return mcd_do_store(MCD_PREPEND, key, val, -1);
}

static int ki_mcd_delete(sip_msg_t *msg, str *key)
{
	return mcd_do_delete(key);
}

static int ki_mcd_touch(sip_msg_t *msg, str *key, int expire)
{
	if(mcd_kemi_expire("touch", expire) < 0)
		return mcd_finish("touch", key, MCD_E_ARG);
	return mcd_do_touch(key, (uint32_t)expire);
}

/*
 * The new value of the counter: a number (64-bit where the host has
 * SR_KEMIP_LONG, else up to 2147483647), beyond that its decimal text. On
 * failure the negative return code of the script functions (-2, -3; -1
 * only if the key vanished while it was being created), which a counter
 * value never is.
 */
static sr_kemi_xval_t *ki_mcd_counter(int incr, str *key, int delta)
{
	static char num[MCD_I64_STR_MAX];
	const char *op = incr ? "incr" : "decr";
	uint64_t value = 0;
	mcd_rc rc;

	memset(&mcd_kemi_xval, 0, sizeof(mcd_kemi_xval));
	if(delta < 0) {
		mcd_arg_error("KSR.memcached.%s: delta must be a non-negative "
					  "integer, got %d",
				op, delta);
		rc = MCD_E_ARG;
	} else {
		rc = mcd_do_counter(incr, key, (uint64_t)delta, &value);
	}
	if(rc != MCD_OK) {
		mcd_kemi_xval.vtype = SR_KEMIP_INT;
		mcd_kemi_xval.v.n = mcd_finish(op, key, rc);
		return &mcd_kemi_xval;
	}
	mcd_finish(op, key, rc);
	mcd_kint_kemi_u64(&mcd_kemi_xval, value, num, sizeof(num));
	return &mcd_kemi_xval;
}

static sr_kemi_xval_t *ki_mcd_incr(sip_msg_t *msg, str *key, int delta)
{
	return ki_mcd_counter(1, key, delta);
}

static sr_kemi_xval_t *ki_mcd_decr(sip_msg_t *msg, str *key, int delta)
{
	return ki_mcd_counter(0, key, delta);
}

/* clang-format off */
static sr_kemi_t mcd_kemi_exports[] = {
	{ str_init("memcached"), str_init("get"),
		SR_KEMIP_XVAL, ki_mcd_get,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("set"),
		SR_KEMIP_INT, ki_mcd_set,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("setex"),
		SR_KEMIP_INT, ki_mcd_setex,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("add"),
		SR_KEMIP_INT, ki_mcd_add,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("replace"),
		SR_KEMIP_INT, ki_mcd_replace,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("append"),
		SR_KEMIP_INT, ki_mcd_append,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("prepend"),
		SR_KEMIP_INT, ki_mcd_prepend,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("delete"),
		SR_KEMIP_INT, ki_mcd_delete,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("incr"),
		SR_KEMIP_XVAL, ki_mcd_incr,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("decr"),
		SR_KEMIP_XVAL, ki_mcd_decr,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("touch"),
		SR_KEMIP_INT, ki_mcd_touch,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mcd_kemi_register(void)
{
	sr_kemi_modules_add(mcd_kemi_exports);
	return 0;
}
