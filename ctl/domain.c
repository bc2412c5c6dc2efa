/*
 * domain - roostctl domain.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_cmd_domain(struct ctl *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	fprintf(stderr, "roostctl: domain: not available yet\n");
	return 1;
}

int
ctl_tables_refresh(struct ctl *c)
{
	(void)c;
	return 0;
}
