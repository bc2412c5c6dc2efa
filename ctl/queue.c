/*
 * queue - roostctl queue.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_cmd_queue(struct ctl *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	fprintf(stderr, "roostctl: queue: not available yet\n");
	return 1;
}
