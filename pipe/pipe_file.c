/*
 * pipe_file - append a message to a file in mbox form, as the account
 * the alias belongs to (the caller has switched already).
 *
 * The file is opened O_APPEND|O_NOFOLLOW (a symbolic link planted in
 * its place is refused, not followed), created 0600 if missing, and
 * must be a regular file (a FIFO or device could block us or be an
 * attack).  Both lock kinds are taken, fcntl and flock, because mail
 * readers use either; then one write, fsync, and on any failure the
 * file is cut back to its size before, so a reader never sees half a
 * message.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"
#include "pipe.h"

#define LOCK_TRIES 300 /* 100 ms apart: half a minute */

/* lock - both locks, waiting in steps so a stuck holder cannot keep
 * us forever: 0, or -1 with errno. */
static int
lock(int fd)
{
	struct flock fl;
	struct timespec ts = {0, 100 * 1000 * 1000};
	int i;

	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (i = 0; i < LOCK_TRIES; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0) {
			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				return 0;
			fl.l_type = F_UNLCK;
			(void)fcntl(fd, F_SETLK, &fl);
			fl.l_type = F_WRLCK;
		}
		if (errno != EAGAIN && errno != EACCES && errno != EWOULDBLOCK)
			return -1;
		nanosleep(&ts, NULL);
	}
	errno = EWOULDBLOCK;
	return -1;
}

/* failed - the result for errno e while doing what. */
static void
failed(struct pipe_result *res, const char *what, const char *path, int e)
{
	struct str t = STR_INIT;

	str_copyf(&t, "cannot %s %s: %s", what, path, strerror(e));
	switch (e) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		pipe_result_set(res, PIPE_DEFER, "4.2.2", t.s);
		break;
	case EACCES:
	case EPERM:
	case ELOOP:
	case EISDIR:
	case ENOENT:
	case ENOTDIR:
	case EROFS:
	case ENXIO:
		pipe_result_set(res, PIPE_BOUNCE, "5.2.0", t.s);
		break;
	default:
		pipe_result_set(res, PIPE_DEFER, "4.2.0", t.s);
	}
	str_free(&t);
}

void
pipe_file(const struct pipe_req *r, const char *msg, size_t len,
    struct pipe_result *res)
{
	struct str out = STR_INIT;
	struct stat st;
	int fd, e;

	/* O_NONBLOCK: opening a FIFO must not hang before the check */
	fd = open(r->target,
	    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		O_CLOEXEC,
	    0600);
	if (fd < 0) {
		failed(res, "open", r->target, errno);
		return;
	}
	if (fstat(fd, &st) < 0) {
		failed(res, "stat", r->target, errno);
		fd_close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		fd_close(fd);
		str_copyf(
		    &out, "cannot append to %s: not a regular file", r->target);
		pipe_result_set(res, PIPE_BOUNCE, "5.2.0", out.s);
		str_free(&out);
		return;
	}
	if (fd_nonblock(fd, false) < 0 || lock(fd) < 0) {
		e = errno;
		fd_close(fd);
		if (e == EWOULDBLOCK)
			pipe_result_set(
			    res, PIPE_DEFER, "4.2.0", "mailbox file is locked");
		else
			failed(res, "lock", r->target, e);
		return;
	}
	/* the size once we hold the lock is what a failure returns to */
	if (fstat(fd, &st) < 0) {
		failed(res, "stat", r->target, errno);
		fd_close(fd);
		return;
	}
	pipe_mbox_from(r->sender, time(NULL), &out);
	pipe_prefix(r, &out);
	pipe_mbox_body(msg, len, &out);
	if (fd_write_all(fd, out.s, out.len) < 0 || fsync(fd) < 0) {
		e = errno;
		if (ftruncate(fd, st.st_size) < 0 || fsync(fd) < 0)
			log_error("cannot cut %s back to %lld octets: %s",
			    r->target, (long long)st.st_size, strerror(errno));
		failed(res, "write", r->target, e);
	} else
		pipe_result_set(res, PIPE_OK, "2.0.0", "delivered to file");
	fd_close(fd);
	str_free(&out);
}
