/*
 * proc - running helper programs and finding our processes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "ctl.h"
#include "fd.h"
#include "log.h"
#include "priv.h"

static int
run(char *const argv[], struct str *out, bool quiet);

int
ctl_run(char *const argv[], struct str *out)
{
	return run(argv, out, false);
}

int
ctl_run_quiet(char *const argv[])
{
	return run(argv, NULL, true);
}

static int
run(char *const argv[], struct str *out, bool quiet)
{
	int p[2] = { -1, -1 }, status;
	pid_t pid;

	if (out && pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			if (quiet)
				dup2(null, 2);
		}
		if (out)
			dup2(p[1], 1);
		execvp(argv[0], argv);
		fprintf(stderr, "roostctl: cannot run %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (out) {
		char buf[4096];
		ssize_t n;

		fd_close(p[1]);
		str_clear(out);
		while ((n = fd_read(p[0], buf, sizeof buf)) > 0)
			str_catb(out, buf, (size_t)n);
		fd_close(p[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool
under(const char *path, const struct str *dir)
{
	return dir->len && strncmp(path, dir->s, dir->len) == 0 &&
	    (path[dir->len] == '/' || path[dir->len] == '\0');
}

/* comm - the process's command name (as in /proc/PID/comm). */
static void
comm(const char *pid, char *out, size_t max)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof path, "/proc/%s/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = fd_read(fd, out, max - 1);
	fd_close(fd);
	if (n > 0 && out[n - 1] == '\n')
		n--;
	out[n > 0 ? n : 0] = '\0';
}

/*
 * mine - whether pid is one of ours: an s6 program (s6-svscan,
 * s6-supervise, s6-log) working inside our scan or log directory, or a
 * program from daemon_dir run with our configuration file.  A shell or
 * an editor that merely sits in those directories is not.
 */
static bool
mine(struct ctl *c, const char *pid)
{
	char path[64], link[4096], cmd[8192], name[32];
	ssize_t n;
	int fd;

	comm(pid, name, sizeof name);
	if (strncmp(name, "s6-", 3) == 0) {
		snprintf(path, sizeof path, "/proc/%s/cwd", pid);
		n = readlink(path, link, sizeof link - 1);
		if (n <= 0)
			return false;
		link[n] = '\0';
		return under(link, &c->scandir) || under(link, &c->logdir);
	}
	snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = fd_read(fd, cmd, sizeof cmd - 1);
	fd_close(fd);
	if (n <= 0)
		return false;
	cmd[n] = '\0';
	/* argv[0] is daemon_dir/NAME; a later argument is the config. */
	return under(cmd, &c->bindir) && strchr(cmd + c->bindir.len + 1,
	    '/') == NULL && memmem(cmd, (size_t)n, c->conf.s,
	    c->conf.len + 1) != NULL;
}

size_t
ctl_procs(struct ctl *c, pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t n = 0;
	pid_t self = getpid();

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end != '\0' || v <= 0 || v == self)
			continue;
		if (mine(c, de->d_name))
			pids[n++] = (pid_t)v;
	}
	closedir(d);
	return n;
}

void
ctl_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int
ctl_write_file(const char *path, const char *content, mode_t mode)
{
	struct str tmp = STR_INIT;
	int fd, rc = -1;

	str_copyf(&tmp, "%s.tmp", path);
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd >= 0) {
		bool ok = fd_write_all(fd, content, strlen(content)) == 0 &&
		    fchmod(fd, mode) == 0 && fsync(fd) == 0;

		if (fd_close(fd) == 0 && ok && rename(tmp.s, path) == 0)
			rc = 0;
	}
	if (rc < 0) {
		fprintf(stderr, "roostctl: cannot write %s: %s\n", path,
		    strerror(errno));
		(void)unlink(tmp.s);
	}
	str_free(&tmp);
	return rc;
}

int
ctl_as_store_owner(int (*fn)(void *arg), void *arg)
{
	struct str err = STR_INIT;
	int status, rc;
	pid_t pid;

	if (!priv_is_root())
		return fn(arg);
	/* root never works inside the store: the owner could have put
	 * links there that lead anywhere */
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		fprintf(stderr, "roostctl: fork: %s\n", strerror(errno));
		return 111;
	}
	if (pid == 0) {
		if (priv_drop(var_lmtpd_user, &err) < 0) {
			fprintf(stderr, "roostctl: %s\n", err.s);
			_exit(111);
		}
		rc = fn(arg);
		fflush(stdout);
		fflush(stderr);
		_exit(rc & 0xff);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 111;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 111;
}
