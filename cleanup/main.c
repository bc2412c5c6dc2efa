/*
 * cleanup - turns a submitted message into a durable queue entry.  It
 * listens on a Unix socket for smtpd and the sendmail wrapper.  main()
 * only wires; the protocol lives in cleanup_session.c.
 */
#include "cleanup.h"
#include "daemon.h"
#include "queue.h"

static const struct daemon_endpoint endpoints[] = {
	{ "cleanup_listen", "cleanup" },
};

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "cleanup", argc, argv);
	/* queue_dir may be relative: daemon_start is in base_dir now */
	queue_prepare(d.conf);
	daemon_run_subdir(&d, CLEANUP_SLOTS, "cleanup_user");
	daemon_unix_mode(0666);	/* any local user may submit */
	daemon_serve(&d, "cleanup", endpoints, 1, "cleanup_user",
	    cleanup_session);
}
