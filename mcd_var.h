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
 * Pseudo-variables $mct, $mcinc, $mcdec and $mctex.
 */
#ifndef MCD_VAR_H
#define MCD_VAR_H

#include "core/pvar.h"

int pv_parse_mcd_name(pv_spec_p sp, str *in);
int pv_get_mcd_value(struct sip_msg *msg, pv_param_t *param, pv_value_t *res);
int pv_set_mcd_value(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val);
int pv_inc_mcd_value(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val);
int pv_dec_mcd_value(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val);
int pv_set_mcd_expire(
		struct sip_msg *msg, pv_param_t *param, int op, pv_value_t *val);

/*
 * Reads a (non-empty) script key into one of the module's value slots and
 * gives it as the script sees it (out points into the slot): an integer
 * (flags 0, decimal text, within the host's script integers, stringify=0)
 * is an int with its text, the server's padding trimmed; anything else is
 * a string. Not reported: the caller hands the outcome to mcd_log_result.
 */
mcd_rc mcd_read_value(const str *key, pv_value_t *out);

#endif
