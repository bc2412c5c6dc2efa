/*
 * trigger - wake the queue manager (trigger.h).
 */
#include <errno.h>
#include <string.h>

#include "fd.h"
#include "listen.h"
#include "sock.h"
#include "trigger.h"

static int
send_bytes(const char *path, const char *bytes, size_t n, int timeout_ms,
    struct str *err)
{
	int fd = sock_unix_connect(path, timeout_ms, err);
	ssize_t w;

	if (fd < 0)
		return -1;
	/* Never block on a busy qmgr: its backlog holds the connection. */
	fd_nonblock(fd, true);
	w = fd_write(fd, bytes, n);
	if (w != (ssize_t)n)
		str_copyf(err, "write %s: %s", path,
		    w < 0 ? strerror(errno) : "short write");
	fd_close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

int
trigger_qmgr(const char *qmgr_listen, const char *run_dir,
    const char *bytes, int timeout_ms, int each, struct str *err)
{
	struct str path = STR_INIT;
	int rc;

	if ((rc = listen_unix_path("qmgr_listen", qmgr_listen, run_dir, &path,
	    err)) == 0) {
		if (!each)
			rc = send_bytes(path.s, bytes, strlen(bytes),
			    timeout_ms, err);
		for (; each && rc == 0 && *bytes != '\0'; bytes++)
			rc = send_bytes(path.s, bytes, 1, timeout_ms, err);
	}
	str_free(&path);
	return rc;
}
