/*
 * RPC commands memcached.stats and memcached.check.
 */
#ifndef MCD_RPC_H
#define MCD_RPC_H

/* Registers the RPC commands; 0 on success, -1 (logged) on failure. */
int mcd_rpc_register(void);

#endif
