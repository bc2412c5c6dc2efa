/*
 * test-fd - the EINTR-safe descriptor wrappers: reads and writes through
 * pipes (including EAGAIN and EINTR), fd_wait, flags, fd_move, fd_is_open.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd.h"
#include "str.h"
#include "tap.h"

static volatile sig_atomic_t ticks, max_ticks;

static void
xpipe(int p[2])
{
	if (pipe(p) < 0)
		bail("pipe");
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_alarm(int sig)
{
	static const struct itimerval off;

	(void)sig;
	/* Stop by ourselves, so a wait that never ends still ends. */
	if (++ticks >= max_ticks)
		(void)setitimer(ITIMER_REAL, &off, NULL);
}

/* ticker - SIGALRM every us microseconds, at most max times, without
 * SA_RESTART, so blocking calls see EINTR. */
static void
ticker(long us, int max)
{
	struct sigaction sa;
	struct itimerval it = { { 0, us }, { 0, us } };

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		bail("sigaction");
	ticks = 0;
	max_ticks = max;
	if (setitimer(ITIMER_REAL, &it, NULL) < 0)
		bail("setitimer");
}

static void
ticker_stop(void)
{
	static const struct itimerval off;

	(void)setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);
}

static void
pattern(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)(i * 7 + i / 251);
}

/* check_pattern - child: read fd to EOF, exit 0 when it is n bytes of
 * pattern(). */
static void
check_pattern(int fd, size_t n)
{
	struct str got = STR_INIT;
	char p[8192], *want;
	ssize_t r;

	while ((r = fd_read(fd, p, sizeof p)) > 0)
		str_catb(&got, p, (size_t)r);
	if ((want = malloc(n ? n : 1)) == NULL)
		_exit(2);
	pattern(want, n);
	_exit(r == 0 && got.len == n && memcmp(got.s, want, n) == 0 ? 0 : 1);
}

static void
test_read_write(void)
{
	char p[64], *big;
	const size_t bign = 300000;
	int fds[2];
	pid_t pid;

	xpipe(fds);
	is_int(fd_write_all(fds[1], "hello", 5), 0, "fd_write_all small: 0");
	memset(p, 0, sizeof p);
	is_int(fd_read(fds[0], p, sizeof p), 5, "fd_read gets the 5 bytes");
	is_str(p, "hello", "  content");
	is_int(fd_write(fds[1], "abc", 3), 3, "fd_write returns the count");
	close(fds[1]);
	is_int(fd_read(fds[0], p, sizeof p), 3, "fd_read the rest");
	is_int(fd_read(fds[0], p, sizeof p), 0, "fd_read at EOF: 0");
	close(fds[0]);

	/* More than a pipe holds, non-blocking: EAGAIN is waited out. */
	if ((big = malloc(bign)) == NULL)
		bail("malloc");
	pattern(big, bign);
	xpipe(fds);
	if ((pid = xfork()) == 0) {
		close(fds[1]);
		usleep(20000);
		check_pattern(fds[0], bign);
	}
	close(fds[0]);
	fd_nonblock(fds[1], true);
	is_int(fd_write_all(fds[1], big, bign), 0,
	    "fd_write_all 300 KB to a non-blocking pipe: 0");
	close(fds[1]);
	is_int(reap(pid), 0, "  the reader got it intact");
	free(big);

	xpipe(fds);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	ok(fd_write_all(fds[1], "x", 1) == -1 && errno == EPIPE,
	    "fd_write_all to a closed pipe: -1, EPIPE");
	close(fds[1]);
	errno = 0;
	ok(fd_read(fds[1], p, 1) == -1 && errno == EBADF,
	    "fd_read on a closed fd: -1, EBADF");
}

static void
test_eintr(void)
{
	char p[4096];
	int fds[2];
	pid_t pid;
	ssize_t r;

	xpipe(fds);
	if ((pid = xfork()) == 0) {
		close(fds[0]);
		usleep(100000);
		(void)fd_write_all(fds[1], "hello", 5);
		_exit(0);
	}
	close(fds[1]);
	ticker(5000, 1000);
	r = fd_read(fds[0], p, sizeof p);
	ticker_stop();
	ok(r == 5 && memcmp(p, "hello", 5) == 0,
	    "fd_read retries after EINTR (%d signals)", (int)ticks);
	close(fds[0]);
	reap(pid);

	/* Full pipe; the reader drains it later. */
	xpipe(fds);
	fd_nonblock(fds[1], true);
	memset(p, 'f', sizeof p);
	while (write(fds[1], p, sizeof p) > 0)
		;
	fd_nonblock(fds[1], false);
	if ((pid = xfork()) == 0) {
		close(fds[1]);
		usleep(100000);
		while (fd_read(fds[0], p, sizeof p) > 0)
			;
		_exit(0);
	}
	close(fds[0]);
	ticker(5000, 1000);
	r = fd_write(fds[1], "0123456789", 10);
	ticker_stop();
	is_int(r, 10, "fd_write retries after EINTR (%d signals)", (int)ticks);
	close(fds[1]);
	reap(pid);
}

static void
test_wait(void)
{
	long long t0, dt;
	int fds[2], r;
	char c;

	xpipe(fds);
	t0 = now_ms();
	is_int(fd_wait(fds[0], POLLIN, 50), 0, "fd_wait on an empty pipe: 0");
	dt = now_ms() - t0;
	ok(dt >= 45 && dt < 2000, "  after the timeout (%lld ms)", dt);
	is_int(fd_wait(fds[0], POLLIN, 0), 0, "fd_wait 0 ms: 0 at once");
	is_int(fd_wait(fds[1], POLLOUT, 0), 1, "write end is writable: 1");
	if (fd_write_all(fds[1], "x", 1) < 0)
		bail("write");
	t0 = now_ms();
	is_int(fd_wait(fds[0], POLLIN, 5000), 1, "input there: 1");
	ok(now_ms() - t0 < 1000, "  at once");
	is_int(fd_wait(fds[0], POLLIN, -1), 1, "no timeout, input there: 1");

	/* Signals every 10 ms must not restart the timeout each time (the
	 * ticker stops itself after a second, so a broken wait still ends). */
	(void)fd_read(fds[0], &c, 1);
	ticker(10000, 100);
	t0 = now_ms();
	r = fd_wait(fds[0], POLLIN, 200);
	dt = now_ms() - t0;
	ticker_stop();
	is_int(r, 0, "fd_wait under a stream of signals: 0");
	ok(dt >= 190 && dt < 600, "  after its own timeout (%lld ms, "
	    "%d signals)", dt, (int)ticks);

	close(fds[1]);
	is_int(fd_wait(fds[0], POLLIN, 5000), 1,
	    "write end closed: readable (EOF), 1");
	close(fds[0]);
}

static void
test_flags(void)
{
	int fds[2], fd, fl;

	xpipe(fds);
	is_int(fd_cloexec(fds[0], true), 0, "fd_cloexec on: 0");
	ok(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, "  FD_CLOEXEC set");
	is_int(fd_cloexec(fds[0], false), 0, "fd_cloexec off: 0");
	ok(!(fcntl(fds[0], F_GETFD) & FD_CLOEXEC), "  FD_CLOEXEC clear");

	is_int(fd_nonblock(fds[1], true), 0, "fd_nonblock on: 0");
	fl = fcntl(fds[1], F_GETFL);
	ok((fl & O_NONBLOCK) && (fl & O_ACCMODE) == O_WRONLY,
	    "  O_NONBLOCK set, access mode kept");
	is_int(fd_nonblock(fds[1], false), 0, "fd_nonblock off: 0");
	ok(!(fcntl(fds[1], F_GETFL) & O_NONBLOCK), "  O_NONBLOCK clear");
	close(fds[0]);
	close(fds[1]);

	if ((fd = open("/dev/null", O_WRONLY | O_APPEND)) < 0)
		bail("open /dev/null");
	fd_nonblock(fd, true);
	fl = fcntl(fd, F_GETFL);
	ok((fl & O_APPEND) && (fl & O_NONBLOCK), "other status flags kept");
	close(fd);

	errno = 0;
	ok(fd_cloexec(fds[0], true) == -1 && errno == EBADF,
	    "fd_cloexec on a closed fd: -1, EBADF");
	errno = 0;
	ok(fd_nonblock(fds[0], true) == -1 && errno == EBADF,
	    "fd_nonblock on a closed fd: -1, EBADF");
}

static void
test_move(void)
{
	int fds[2], other[2], to = 40;
	char c = 0;

	while (fd_is_open(to))
		to++;
	xpipe(fds);
	fd_cloexec(fds[1], true);
	is_int(fd_move(to, fds[1]), 0, "fd_move: 0");
	ok(!fd_is_open(fds[1]), "  old fd closed");
	ok(fd_is_open(to), "  new fd open");
	ok(!(fcntl(to, F_GETFD) & FD_CLOEXEC),
	    "  new fd not close-on-exec (ready to hand to a child)");
	ok(fd_write_all(to, "m", 1) == 0 && fd_read(fds[0], &c, 1) == 1 &&
	    c == 'm', "  and refers to the same pipe");
	is_int(fd_move(to, to), 0, "fd_move onto itself: 0");
	ok(fd_is_open(to), "  and leaves it open");

	xpipe(other);
	is_int(fd_move(to, other[1]), 0, "fd_move onto an open fd: 0");
	ok(fd_write_all(to, "n", 1) == 0 && fd_read(other[0], &c, 1) == 1 &&
	    c == 'n', "  the target now refers to the new pipe");
	errno = 0;
	ok(fd_move(to, other[1]) == -1 && errno == EBADF,
	    "fd_move from a closed fd: -1, EBADF");
	close(to);
	close(fds[0]);
	close(other[0]);
}

static void
test_open_close(void)
{
	int fds[2];

	xpipe(fds);
	ok(fd_is_open(fds[0]), "fd_is_open on an open fd");
	is_int(fd_close(fds[0]), 0, "fd_close: 0");
	ok(!fd_is_open(fds[0]), "fd_is_open after close: false");
	errno = 0;
	ok(fd_close(fds[0]) == -1 && errno == EBADF,
	    "fd_close twice: -1, EBADF");
	ok(!fd_is_open(-1), "fd_is_open(-1): false");
	close(fds[1]);
}

int
main(void)
{
	test_read_write();
	test_eintr();
	test_wait();
	test_flags();
	test_move();
	test_open_close();
	return done_testing();
}
