/*
 * mailbox - roostctl mailbox, user undelete and expire.
 */
#include <stdio.h>

#include "ctl.h"

int
ctl_cmd_mailbox(struct ctl *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	fprintf(stderr, "roostctl: mailbox: not available yet\n");
	return 1;
}

int
ctl_user_undelete(struct ctl *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	fprintf(stderr, "roostctl: undelete: not available yet\n");
	return 1;
}

int
ctl_cmd_expire(struct ctl *c, int argc, char **argv)
{
	(void)c, (void)argc, (void)argv;
	fprintf(stderr, "roostctl: expire: not available yet\n");
	return 1;
}
