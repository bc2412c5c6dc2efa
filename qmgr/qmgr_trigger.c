/*
 * qmgr_trigger - one-byte wake-up requests on the trigger socket.
 *
 * A client connects, writes a few trigger bytes and closes.  We read
 * what is there without waiting long (a slow client must not stall the
 * queue manager) and report each distinct request once.
 */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <sys/socket.h>

#include "fd.h"
#include "log.h"
#include "qmgr.h"

int
qmgr_trigger_accept(int lfd)
{
	char buf[64];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ssize_t n, i;
	int want = 0;

	if (fd < 0) {
		if (errno == ECONNABORTED)
			return 0;
		if (errno != EAGAIN)
			log_warn("accept: %m");
		return -1;
	}
	/* Give the writer a moment: it connected and writes right away. */
	if (fd_wait(fd, POLLIN, 100) > 0 &&
	    (n = fd_read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++) {
			if (buf[i] == QMGR_TRIGGER_INCOMING)
				want |= QMGR_WANT_INCOMING;
			else if (buf[i] == QMGR_TRIGGER_DEFERRED)
				want |= QMGR_WANT_DEFERRED;
			else if (buf[i] == QMGR_TRIGGER_FLUSH)
				want |= QMGR_WANT_FLUSH;
		}
	fd_close(fd);
	return want;
}

void
qmgr_trigger_log(int want)
{
	/* one line per wake-up, however many connections asked for it:
	 * it shows when a scan was asked for */
	if (want & QMGR_WANT_INCOMING)
		log_info("trigger incoming");
	if (want & QMGR_WANT_DEFERRED)
		log_info("trigger deferred");
	if (want & QMGR_WANT_FLUSH)
		log_info("trigger flush");
}
