/*
 * user - roostctl user.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_cmd_user(struct ctl *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	fprintf(stderr, "roostctl: user: not available yet\n");
	return 1;
}
