#include "mcd_rpc.h"

int mcd_rpc_register(void)
{
	return 0;
}
