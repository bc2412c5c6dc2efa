/*
 * sendmail_mailq - list the queue as Postfix's mailq does (-bp).
 *
 * The listing is lib/mail/qlist's, the same as "roostctl queue list".  It
 * reads queue_dir directly, which ordinary users may not do on an
 * installed system: we then say so and exit EX_NOPERM rather than print
 * an empty queue.
 * XXX A privileged "roostctl queue" service will list it for them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cfg.h"
#include "qlist.h"
#include "sendmail.h"

int
sendmail_mailq(const struct sendmail_opts *o)
{
	struct str queue = STR_INIT, err = STR_INIT;

	(void)o;
	sendmail_path(var_queue_dir, &queue);
	if (access(queue.s, R_OK | X_OK) < 0)
		sendmail_fatal(errno == ENOENT ? EX_CONFIG : EX_NOPERM,
		    "cannot read the queue in %s: %s", queue.s,
		    strerror(errno));
	if (qlist_print(queue.s, stdout, &err) < 0)
		sendmail_fatal(errno == EACCES ? EX_NOPERM : EX_IOERR, "%s",
		    err.s);
	str_free(&queue);
	str_free(&err);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}
