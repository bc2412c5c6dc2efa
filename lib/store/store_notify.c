/*
 * store_notify - change notification: every committed change touches
 * u/<user>/notify (its times, with futimens); sessions watch the file
 * with inotify (IN_ATTRIB).  See store.h and roost-store(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "str.h"

void
store_notify_touch(struct store *s)
{
	if (s->notify_fd >= 0)
		(void)futimens(s->notify_fd, NULL);
}

int
store_notify_open(struct store *s, struct str *err)
{
	struct str p = STR_INIT;
	int fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		str_copyf(err, "inotify_init1: %s", strerror(errno));
		return -1;
	}
	str_copyf(&p, "%s/notify", s->path.s);
	if (inotify_add_watch(fd, p.s, IN_ATTRIB | IN_MODIFY |
	    IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		str_copyf(err, "inotify_add_watch %s: %s", p.s,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	str_free(&p);
	return fd;
}

void
store_notify_drain(int fd)
{
	char buf[4096];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && errno == EINTR));
}
