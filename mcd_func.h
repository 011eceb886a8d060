/*
 * Script functions (mcd_add, mcd_incr, ...) and their KEMI exports.
 */
#ifndef MCD_FUNC_H
#define MCD_FUNC_H

#include "core/sr_module.h"

extern cmd_export_t mcd_cmds[];

/* Registers KEMI exports (KSR.memcached.*); called from mod_register. */
int mcd_kemi_register(void);

#endif
