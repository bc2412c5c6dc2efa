/*
 * user - roostctl user and expire.
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

int
ctl_cmd_expire(struct ctl *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	fprintf(stderr, "roostctl: expire: not available yet\n");
	return 1;
}
