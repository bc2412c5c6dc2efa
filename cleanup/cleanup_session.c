/*
 * cleanup_session - one client of the queue writer; see cleanup.h.
 */
#include "cleanup.h"
#include "log.h"
#include "session.h"

void
cleanup_session(int fd, const struct server_listener *l, void *ctx)
{
	struct session ss;
	size_t attrs = 0;

	(void)ctx;
	session_open(&ss, fd, l->role, 60);
	buf_puts(&ss.b, "proto=" CLEANUP_PROTO "\nversion=" CLEANUP_VERSION
	    "\n\n");
	while (buf_getline(&ss.b, &ss.line, CLEANUP_LINE_MAX) == BUF_OK) {
		if (ss.line.len > 1) {
			attrs++;
			continue;
		}
		buf_puts(&ss.b, "status=tempfail\nreason=queue not available"
		    "\n\n");
		log_warn("request with %zu attributes refused: queue not "
		    "available", attrs);
		attrs = 0;
	}
	session_close(&ss);
}
