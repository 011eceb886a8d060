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
 * $mcd(rc), $mcd(err), $mcd(server). The outcome lives in this process's
 * private memory: every process runs its own operations, one at a time.
 */
#include <string.h>

#include "core/dprint.h"
#include "core/pvar.h"

#include "mcd_pvinfo.h"

#define MCD_INFO_RC 1
#define MCD_INFO_ERR 2
#define MCD_INFO_SERVER 3

#define MCD_INFO_ERR_MAX 256

static int mcd_info_rc = 0; /* no operation yet */
static char mcd_info_err[MCD_INFO_ERR_MAX];
static int mcd_info_err_len = 0;
static const char *mcd_info_server = NULL;

int pv_parse_mcd_info_name(pv_spec_p sp, str *in)
{
	int id;

	if(sp == NULL || in == NULL || in->len <= 0)
		return -1;
	if(in->len == 2 && strncmp(in->s, "rc", 2) == 0)
		id = MCD_INFO_RC;
	else if(in->len == 3 && strncmp(in->s, "err", 3) == 0)
		id = MCD_INFO_ERR;
	else if(in->len == 6 && strncmp(in->s, "server", 6) == 0)
		id = MCD_INFO_SERVER;
	else {
		LM_ERR("memcached: unknown $mcd(%.*s): use rc, err or server\n",
				in->len, in->s);
		return -1;
	}
	sp->pvp.pvn.type = PV_NAME_INTSTR;
	sp->pvp.pvn.u.isname.type = 0;
	sp->pvp.pvn.u.isname.name.n = id;
	return 0;
}

int pv_get_mcd_info(struct sip_msg *msg, pv_param_t *param, pv_value_t *res)
{
	str s;

	if(param == NULL)
		return -1;
	switch(param->pvn.u.isname.name.n) {
		case MCD_INFO_RC:
			return pv_get_sintval(msg, param, res, mcd_info_rc);
		case MCD_INFO_ERR:
			s.s = mcd_info_err;
			s.len = mcd_info_err_len;
			return pv_get_strval(msg, param, res, &s);
		case MCD_INFO_SERVER:
			if(mcd_info_server == NULL)
				return pv_get_null(msg, param, res);
			s.s = (char *)mcd_info_server;
			s.len = strlen(mcd_info_server);
			return pv_get_strval(msg, param, res, &s);
		default:
			return pv_get_null(msg, param, res);
	}
}

void mcd_pvinfo_record(int script_rc, const char *err)
{
	size_t i, n = 0;

	mcd_info_rc = script_rc;
	if(err != NULL) {
		/* one line of text: a detail from the server never breaks a
		 * header or a log line the script builds from it */
		for(i = 0; err[i] != '\0' && n < sizeof(mcd_info_err) - 1; i++)
			mcd_info_err[n++] =
					(err[i] == '\r' || err[i] == '\n') ? ' ' : err[i];
	}
	mcd_info_err[n] = '\0';
	mcd_info_err_len = (int)n;
}

void mcd_pvinfo_set_server(const char *server)
{
	mcd_info_server = server;
}
