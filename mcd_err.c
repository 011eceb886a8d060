#include "mcd_err.h"

const char *mcd_strerror(mcd_rc rc)
{
	switch(rc) {
		case MCD_OK: return "ok";
		case MCD_NOT_FOUND: return "not found";
		case MCD_EXISTS: return "key exists";
		case MCD_NOT_STORED: return "not stored";
		case MCD_E_ARG: return "bad argument";
		case MCD_E_NOMEM: return "out of memory";
		case MCD_E_NOT_NUMBER: return "value is not a number";
		case MCD_E_TOO_BIG: return "value too large for the server";
		case MCD_E_DEAD: return "server marked dead";
		case MCD_E_TIMEOUT: return "server timeout";
		case MCD_E_CONN: return "connection failure";
		case MCD_E_AUTH: return "authentication failure";
		case MCD_E_SERVER: return "server error";
		case MCD_E_CONFIG: return "invalid configuration";
	}
	return "unknown error";
}

int mcd_rc_is_server_fault(mcd_rc rc)
{
	return rc == MCD_E_TIMEOUT || rc == MCD_E_CONN || rc == MCD_E_DEAD;
}
