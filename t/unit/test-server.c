/* test-server - the pre-forked worker pool. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "buf.h"
#include "fd.h"
#include "log.h"
#include "server.h"
#include "sock.h"
#include "tap.h"

static char sockpath[256];

/* serve - say our pid, then hold the session until the client closes. */
static void
serve(int fd, const struct server_listener *l, void *ctx)
{
	char buf[64];
	int n;

	(void)l;
	(void)ctx;
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	fd_write_all(fd, buf, (size_t)n);
	while (fd_read(fd, buf, sizeof buf) > 0)
		;
}

static pid_t
start(unsigned min, unsigned limit, unsigned max_use)
{
	static struct server s;
	struct str err = STR_INIT;
	pid_t pid;

	memset(&s, 0, sizeof s);
	s.name = "test";
	s.min = min;
	s.limit = limit;
	s.max_use = max_use;
	s.idle_timeout = 1;
	s.shutdown_timeout = 2;
	s.serve = serve;
	s.nls = 1;
	s.ls[0].role = "test";
	s.ls[0].fd = sock_unix_listen(sockpath, 0600, 64, &err);
	if (s.ls[0].fd < 0) {
		diag("%s", err.s);
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		log_set_fd(open("/dev/null", O_WRONLY));
		server_run(&s);
	}
	fd_close(s.ls[0].fd);
	str_free(&err);
	return pid;
}

/* session - connect and return the serving worker's pid (fd kept). */
static long
session(int *fdp, int timeout_ms)
{
	struct str err = STR_INIT;
	char buf[64];
	ssize_t n;
	int fd = sock_unix_connect(sockpath, 1000, &err);

	str_free(&err);
	*fdp = fd;
	if (fd < 0 || fd_wait(fd, POLLIN, timeout_ms) <= 0)
		return -1;
	n = fd_read(fd, buf, sizeof buf - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int
nchildren(pid_t parent)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)) != NULL) {
		char path[300], buf[512], *rp;
		int fd;
		ssize_t len;
		long ppid;
		char state;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		rp = strrchr(buf, ')');
		if (rp && sscanf(rp + 2, "%c %ld", &state, &ppid) == 2 &&
		    ppid == parent && state != 'Z')
			n++;
	}
	closedir(d);
	return n;
}

/* gone - pid has exited (a zombie whose parent died counts as gone). */
static int
gone(pid_t pid)
{
	char path[64], buf[512], *rp;
	int fd;
	ssize_t len;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return 1;
	buf[len] = '\0';
	rp = strrchr(buf, ')');
	return rp == NULL || rp[2] == 'Z' || rp[2] == 'X';
}

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
exited_within(pid_t pid, int ms, int *status)
{
	int i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 1;
		msleep(10);
	}
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/test-server-XXXXXX";
	long pids[40], first;
	int fds[8], fd, i, distinct, status;
	pid_t master;

	signal(SIGPIPE, SIG_IGN);
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(sockpath, sizeof sockpath, "%s/s", dir);

	master = start(2, 4, 0);
	first = session(&fd, 2000);
	ok(first > 0 && first != master, "a worker, not the master, serves");
	close(fd);
	for (i = 0; i < 20; i++) {
		pids[i] = session(&fd, 2000);
		close(fd);
	}
	distinct = 0;
	for (i = 0; i < 20; i++) {
		int j, seen = 0;

		for (j = 0; j < i; j++)
			seen |= pids[j] == pids[i];
		distinct += !seen && pids[i] > 0;
	}
	ok(distinct >= 1 && distinct <= 3,
	    "20 sequential sessions reuse workers (%d distinct)", distinct);

	for (i = 0; i < 4; i++)
		pids[i] = session(&fds[i], 2000);
	ok(pids[0] > 0 && pids[1] > 0 && pids[2] > 0 && pids[3] > 0,
	    "4 simultaneous sessions all served: the pool grew");
	ok(pids[0] != pids[1] && pids[1] != pids[2] && pids[2] != pids[3] &&
	    pids[0] != pids[3], "by 4 different workers");
	is_int(session(&fds[4], 300), -1, "a 5th waits: limit is 4");
	close(fds[0]);
	ok(session(&fds[5], 0) > 0 || fd_wait(fds[4], POLLIN, 2000) == 1,
	    "the 5th is served once a worker is free");
	close(fds[5]);

	/* A worker killed mid-session is replaced; the pool goes on. */
	kill((pid_t)pids[1], SIGKILL);
	msleep(100);
	first = session(&fd, 2000);
	ok(first > 0 && first != pids[1], "service continues after a crash");
	close(fd);
	for (i = 1; i < 5; i++)
		close(fds[i]);

	/* Idle workers above the minimum go away after idle_timeout. */
	msleep(1800);
	ok(nchildren(master) <= 2, "idle pool shrinks to the minimum (%d)",
	    nchildren(master));

	/* SIGTERM: a busy session finishes, then the master exits 0. */
	first = session(&fd, 2000);
	kill(master, SIGTERM);
	msleep(200);
	ok(waitpid(master, &status, WNOHANG) == 0,
	    "master waits for the busy session");
	close(fd);
	ok(exited_within(master, 2000, &status) && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "then exits 0");
	ok(gone((pid_t)first), "worker is gone");

	/* A session that does not end is cut at shutdown_timeout. */
	master = start(1, 2, 0);
	first = session(&fd, 2000);
	kill(master, SIGTERM);
	ok(exited_within(master, 4000, &status) && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "stuck session killed after timeout");
	close(fd);

	/* max_use 1: every session gets a fresh worker. */
	master = start(1, 2, 1);
	pids[0] = session(&fd, 2000);
	close(fd);
	msleep(50);
	pids[1] = session(&fd, 2000);
	close(fd);
	ok(pids[0] > 0 && pids[1] > 0 && pids[0] != pids[1],
	    "max_use replaces workers");

	kill(master, SIGTERM);
	exited_within(master, 4000, &status);

	/* Workers die with their master, even when it is killed. */
	master = start(1, 2, 0);
	pids[2] = session(&fd, 2000);
	close(fd);
	msleep(50);
	kill(master, SIGKILL);
	waitpid(master, &status, 0);
	for (i = 0; i < 100 && !gone((pid_t)pids[2]); i++)
		msleep(10);
	ok(gone((pid_t)pids[2]), "idle worker exits when the master "
	    "is killed");
	unlink(sockpath);
	rmdir(dir);
	return done_testing();
}
