/*
 * qmgr_trigger - one-byte wake-up requests on the trigger socket.
 *
 * A client connects, writes a few trigger bytes and closes.  We read
 * what is there without waiting (a slow client must not stall the queue
 * manager) and act on each distinct byte once.
 *
 * XXX Scanning is the delivery work's; for now triggers are logged.
 */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <sys/socket.h>

#include "fd.h"
#include "log.h"
#include "qmgr.h"

void
qmgr_trigger_accept(int lfd)
{
	char buf[64];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ssize_t n, i;
	int seen_i = 0, seen_d = 0;

	if (fd < 0) {
		if (errno != EAGAIN && errno != ECONNABORTED)
			log_warn("accept: %m");
		return;
	}
	/* Give the writer a moment: it connected and writes right away. */
	if (fd_wait(fd, POLLIN, 100) > 0 &&
	    (n = fd_read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++) {
			if (buf[i] == QMGR_TRIGGER_INCOMING)
				seen_i = 1;
			else if (buf[i] == QMGR_TRIGGER_DEFERRED)
				seen_d = 1;
		}
	fd_close(fd);
	if (seen_i)
		log_info("trigger incoming");
	if (seen_d)
		log_info("trigger deferred");
}
