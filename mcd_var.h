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

#endif
