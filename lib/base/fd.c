/*
 * fd - EINTR-safe descriptor wrappers; see fd.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "fd.h"

ssize_t
fd_read(int fd, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t
fd_write(int fd, const void *buf, size_t n)
{
	ssize_t r;

	do
		r = write(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

int
fd_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t r = fd_write(fd, p, n);

		if (r < 0) {
			if (errno == EAGAIN && fd_wait(fd, POLLOUT, -1) >= 0)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
fd_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long end = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int r, ms = timeout_ms;

	/* Restart after EINTR with only the time that is left; restarting
	 * with the full timeout lets a steady signal stretch it forever. */
	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR) {
		if (timeout_ms > 0 && (ms = (int)(end - now_ms())) <= 0)
			return 0;
	}
	return r;
}

int
fd_close(int fd)
{
	/* Linux closes the descriptor even when close() says EINTR. */
	if (close(fd) < 0 && errno != EINTR)
		return -1;
	return 0;
}

static int
setflag(int fd, int get, int set, int flag, bool on)
{
	int fl = fcntl(fd, get);

	if (fl < 0)
		return -1;
	fl = on ? fl | flag : fl & ~flag;
	return fcntl(fd, set, fl);
}

int
fd_cloexec(int fd, bool on)
{
	return setflag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

int
fd_nonblock(int fd, bool on)
{
	return setflag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int
fd_move(int to, int from)
{
	if (to == from)
		return 0;
	if (dup2(from, to) < 0)
		return -1;
	return fd_close(from);
}

bool
fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}
