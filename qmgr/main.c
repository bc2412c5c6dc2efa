/*
 * qmgr - the queue manager: one long-lived event loop that owns the
 * queue.  It is woken by one-byte triggers on its Unix socket ('I': scan
 * incoming, 'D': scan deferred) and by its own timers; the queue
 * directories stay the record of truth, so a lost trigger costs latency,
 * never mail.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg.h"
#include "daemon.h"
#include "fd.h"
#include "log.h"
#include "qmgr.h"
#include "server.h"
#include "sig.h"

int
main(int argc, char **argv)
{
	struct daemon d;
	struct server s;	/* only for its listeners */
	struct str err = STR_INIT;
	int sigfd;

	daemon_start(&d, "qmgr", argc, argv);
	memset(&s, 0, sizeof s);
	if (server_listen(&s, "qmgr_listen", "trigger", cfg_str("qmgr_user"),
	    &err) < 0)
		log_fatal("%s", err.s);
	if (s.nls != 1)
		log_fatal_config("%s: qmgr_listen: want exactly one endpoint",
		    d.conf);
	daemon_drop(&d, "qmgr_user");
	sigfd = sig_pipe();
	sig_catch(SIGTERM);
	sig_catch(SIGINT);
	sig_ignore(SIGPIPE);
	sig_ignore(SIGHUP);
	daemon_ready(&d);
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = s.ls[0].fd, .events = POLLIN },
		};
		int signo;

		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			log_fatal("poll: %s", strerror(errno));
		while ((signo = sig_next()) != 0)
			if (signo == SIGTERM || signo == SIGINT) {
				log_info("stopped");
				exit(0);
			}
		if (pfd[1].revents & POLLIN)
			qmgr_trigger_accept(s.ls[0].fd);
	}
}
