#include "core/sr_module.h"

#include "mcd_func.h"

cmd_export_t mcd_cmds[] = {
	{0, 0, 0, 0, 0, 0}
};

int mcd_kemi_register(void)
{
	return 0;
}
