/*
 * s6 - the supervision tree: service directories, s6-svscan, and the
 * s6 tools that start, stop, inspect and restart services.
 *
 * Layout: run_dir/service/<svc>/{run,finish,notification-fd,timeout-kill}
 * and run_dir/service/<svc>/log/run (s6-log into log_dir/<svc>).  The
 * directories are rewritten at every start, so they always match the
 * configuration; s6-svscan's own pid is kept in run_dir/s6-svscan.pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "ctl.h"
#include "fd.h"
#include "priv.h"

/* authd comes before the daemons that use it; s6 starts them all at
 * once, and roostctl start waits until every one is ready. */
const char *const ctl_services[] = {
	"cleanup", "qmgr", "lmtpd", "pipe", "authd", "smtpd", "imapd", "popd",
	"imap-login", "pop3-login",
};
const size_t ctl_nservices = sizeof ctl_services / sizeof ctl_services[0];

static int
write_service(struct ctl *c, const char *svc)
{
	struct str dir = STR_INIT, path = STR_INIT, body = STR_INIT;
	int rc = -1;

	str_copyf(&dir, "%s/%s", c->scandir.s, svc);
	if ((mkdir(dir.s, 0755) < 0 && errno != EEXIST) ||
	    (str_copyf(&path, "%s/log", dir.s),
	    mkdir(path.s, 0755) < 0 && errno != EEXIST)) {
		fprintf(stderr, "roostctl: cannot create %s: %s\n", path.s,
		    strerror(errno));
		goto out;
	}
	str_copyf(&body, "#!/bin/sh\n"
	    "# roost service %s, written by roostctl at every start.\n"
	    "exec 2>&1\n"
	    "exec %s/%s -c %s -d 3\n", svc, c->bindir.s, svc, c->conf.s);
	str_copyf(&path, "%s/run", dir.s);
	if (ctl_write_file(path.s, body.s, 0755) < 0)
		goto out;
	/* Exit 100 is a configuration error: restarting cannot help, so
	 * tell s6-supervise to give up (125: permanent failure). */
	str_copyf(&path, "%s/finish", dir.s);
	if (ctl_write_file(path.s, "#!/bin/sh\n"
	    "[ \"$1\" = 100 ] && exit 125\nexit 0\n", 0755) < 0)
		goto out;
	str_copyf(&path, "%s/notification-fd", dir.s);
	if (ctl_write_file(path.s, "3\n", 0644) < 0)
		goto out;
	str_copyf(&path, "%s/timeout-kill", dir.s);
	str_copyf(&body, "%lld\n", (var_shutdown_timeout + 5) * 1000);
	if (ctl_write_file(path.s, body.s, 0644) < 0)
		goto out;
	/* The logger changes into its directory first, as root if need
	 * be, so that it works even where the parents are closed to it. */
	str_copyf(&body, "#!/bin/sh\n"
	    "cd %s/%s || exit 111\n"
	    "exec %s%s%ss6-log -b -- t s1000000 n20 ./\n", c->logdir.s, svc,
	    priv_is_root() ? "s6-setuidgid " : "",
	    priv_is_root() ? var_log_user : "",
	    priv_is_root() ? " " : "");
	str_copyf(&path, "%s/log/run", dir.s);
	rc = ctl_write_file(path.s, body.s, 0755);
out:
	str_free(&dir);
	str_free(&path);
	str_free(&body);
	return rc;
}

int
ctl_write_services(struct ctl *c)
{
	size_t i;

	for (i = 0; i < ctl_nservices; i++)
		if (write_service(c, ctl_services[i]) < 0)
			return -1;
	return 0;
}

static void
pidfile(struct str *out)
{
	ctl_abspath("run_dir", out);
	str_cats(out, "/s6-svscan.pid");
}

/* alive - pid exists and is not a zombie. */
static bool
alive(pid_t pid, const char *comm)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;
	char *rp;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = fd_read(fd, buf, sizeof buf - 1);
	fd_close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	if (rp == NULL || rp[1] == '\0' || rp[2] == 'Z' || rp[2] == 'X')
		return false;
	if (comm) {
		char *lp = strchr(buf, '(');

		*rp = '\0';
		return lp && strcmp(lp + 1, comm) == 0;
	}
	return true;
}

pid_t
ctl_svscan_pid(struct ctl *c)
{
	struct str path = STR_INIT;
	char buf[32];
	ssize_t n;
	pid_t pid = 0;
	int fd;

	(void)c;
	pidfile(&path);
	fd = open(path.s, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = fd_read(fd, buf, sizeof buf - 1);
		fd_close(fd);
		if (n > 0) {
			buf[n] = '\0';
			pid = (pid_t)strtol(buf, NULL, 10);
		}
	}
	str_free(&path);
	return pid > 0 && alive(pid, "s6-svscan") ? pid : 0;
}

int
ctl_svscan_start(struct ctl *c)
{
	struct str path = STR_INIT, logf = STR_INIT, pidtext = STR_INIT;
	pid_t pid;
	int rc, execed[2];
	char byte;

	str_copyf(&logf, "%s/s6-svscan.log", c->logdir.s);
	/* The pipe closes when the child execs (or dies): until then its
	 * process is still called roostctl, and ctl_svscan_pid() would take
	 * it for a dead s6-svscan. */
	if (pipe2(execed, O_CLOEXEC) < 0) {
		fprintf(stderr, "roostctl: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "roostctl: fork: %s\n", strerror(errno));
		close(execed[0]);
		close(execed[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY), out;

		setsid();
		out = open(logf.s, O_WRONLY | O_CREAT | O_APPEND, 0640);
		if (null < 0 || out < 0)
			_exit(111);
		dup2(null, 0);
		dup2(out, 1);
		dup2(out, 2);
		/* Keep the write end, close-on-exec, past closefrom. */
		if (execed[1] != 3 && dup3(execed[1], 3, O_CLOEXEC) < 0)
			_exit(111);
		closefrom(4);
		execlp("s6-svscan", "s6-svscan", c->scandir.s, (char *)NULL);
		fprintf(stderr, "roostctl: cannot run s6-svscan: %s\n",
		    strerror(errno));
		_exit(111);
	}
	close(execed[1]);
	while (read(execed[0], &byte, 1) < 0 && errno == EINTR)
		;
	close(execed[0]);
	pidfile(&path);
	str_copyf(&pidtext, "%ld\n", (long)pid);
	rc = ctl_write_file(path.s, pidtext.s, 0644);
	str_free(&path);
	str_free(&logf);
	str_free(&pidtext);
	return rc;
}

static void
svc_dir(struct ctl *c, const char *svc, struct str *out)
{
	str_copyf(out, "%s/%s", c->scandir.s, svc);
}

/* tail - print the last lines of a service's log, for a failed start. */
static void
tail(struct ctl *c, const char *svc, int lines)
{
	struct str path = STR_INIT, text = STR_INIT;
	char buf[4096];
	ssize_t n;
	size_t start;
	int fd, seen = 0;

	str_copyf(&path, "%s/%s/current", c->logdir.s, svc);
	fd = open(path.s, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while ((n = fd_read(fd, buf, sizeof buf)) > 0) {
			str_catb(&text, buf, (size_t)n);
			if (text.len > 65536) {
				memmove(text.s, text.s + text.len - 8192, 8192);
				str_truncate(&text, 8192);
			}
		}
		fd_close(fd);
	}
	start = text.len;
	while (start > 0 && seen <= lines)
		if (text.s[--start] == '\n')
			seen++;
	if (text.len)
		fprintf(stderr, "  last lines of %s:\n%s\n", path.s,
		    text.s + start + (start > 0));
	str_free(&path);
	str_free(&text);
}

/* Deaths of one daemon during start after which roostctl gives up. */
#define CRASH_LIMIT 3

/* crashing - the first service that died CRASH_LIMIT times, or NULL. */
static const char *
crashing(struct ctl *c)
{
	struct str dir = STR_INIT, out = STR_INIT;
	const char *bad = NULL;
	size_t i, j, deaths;

	for (i = 0; i < ctl_nservices && bad == NULL; i++) {
		char *argv[] = { "s6-svdt", NULL, NULL };

		svc_dir(c, ctl_services[i], &dir);
		argv[1] = dir.s;
		if (ctl_run(argv, &out) != 0)
			continue;
		for (j = deaths = 0; j < out.len; j++)
			deaths += out.s[j] == '\n';
		if (deaths >= CRASH_LIMIT)
			bad = ctl_services[i];
	}
	str_free(&dir);
	str_free(&out);
	return bad;
}

int
ctl_wait_ready(struct ctl *c)
{
	long long timeout_ms = var_start_timeout * 1000, waited = 0;
	char *argv[4 + 16];
	struct str dirs[16], tmo = STR_INIT;
	size_t i, n = 0;
	int rc;

	memset(dirs, 0, sizeof dirs);
	for (i = 0; i < ctl_nservices; i++)
		svc_dir(c, ctl_services[i], &dirs[i]);
	/* s6-svwait needs the supervisors s6-svscan is spawning, and the
	 * status file each writes once it has started. */
	for (i = 0; i < ctl_nservices; i++) {
		char *ok[] = { "s6-svok", dirs[i].s, NULL };

		str_copyf(&tmo, "%s/supervise/status", dirs[i].s);
		while (ctl_run(ok, NULL) != 0 || access(tmo.s, R_OK) != 0) {
			if (waited >= timeout_ms || ctl_svscan_pid(c) == 0) {
				fprintf(stderr, "roostctl: s6-supervise for %s "
				    "did not start\n", ctl_services[i]);
				rc = -1;
				goto out;
			}
			ctl_sleep_ms(20);
			waited += 20;
		}
	}
	argv[n++] = "s6-svwait";
	argv[n++] = "-U";
	argv[n++] = "-t";
	argv[n++] = tmo.s;
	for (i = 0; i < ctl_nservices; i++)
		argv[n++] = dirs[i].s;
	argv[n] = NULL;
	/* Wait a second at a time, so that a daemon s6 keeps restarting
	 * (a busy port, say) fails the start now, not at the timeout. */
	for (;;) {
		long long chunk = timeout_ms - waited;

		if (chunk > 1000)
			chunk = 1000;
		str_copyf(&tmo, "%lld", chunk > 0 ? chunk : 1);
		rc = ctl_run_quiet(argv);
		waited += chunk;
		if (rc != 99 || waited >= timeout_ms || crashing(c) != NULL)
			break;
	}
	if (rc != 0) {
		const char *bad = crashing(c);

		if (bad)
			fprintf(stderr, "roostctl: %s keeps failing\n", bad);
		else
			fprintf(stderr, "roostctl: %s\n", rc == 99 ?
			    "timed out waiting for the services to be ready" :
			    "services failed to start");
		(void)ctl_status(c);
		for (i = 0; i < ctl_nservices; i++)
			tail(c, ctl_services[i], 5);
		rc = -1;
	}
out:
	for (i = 0; i < ctl_nservices; i++)
		str_free(&dirs[i]);
	str_free(&tmo);
	return rc;
}

int
ctl_stop(struct ctl *c)
{
	pid_t pids[4096], svscan = ctl_svscan_pid(c);
	long long limit = (var_shutdown_timeout + 10) * 1000, waited;
	size_t n, i;

	if (svscan) {
		char *argv[] = { "s6-svscanctl", "-t", c->scandir.s, NULL };

		if (ctl_run(argv, NULL) != 0)
			kill(svscan, SIGTERM);
	}
	/* Return only when every process of this instance is gone. */
	for (waited = 0; (n = ctl_procs(c, pids, 4096)) > 0; waited += 50) {
		if (waited >= limit) {
			if (waited == limit)
				fprintf(stderr, "roostctl: killing %zu "
				    "processes that did not stop\n", n);
			for (i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
		}
		ctl_sleep_ms(50);
	}
	if (svscan == 0)
		printf("roost is not running\n");
	else
		printf("roost stopped\n");
	return 0;
}

/* svstat - "up ready pid secs exitcode" of one service via s6-svstat. */
static int
svstat(struct ctl *c, const char *svc, struct str *out)
{
	struct str dir = STR_INIT;
	char *argv[] = { "s6-svstat", "-o", "up,ready,pid,updownfor,exitcode",
		NULL, NULL };
	int rc;

	svc_dir(c, svc, &dir);
	argv[3] = dir.s;
	rc = ctl_run(argv, out);
	str_trim(out);
	str_free(&dir);
	return rc;
}

int
ctl_status(struct ctl *c)
{
	struct str out = STR_INIT;
	pid_t svscan = ctl_svscan_pid(c);
	size_t i;
	int bad = 0;

	if (svscan == 0) {
		printf("roost is not running\n");
		return 3;
	}
	printf("s6-svscan    up (pid %ld) %s\n", (long)svscan, c->scandir.s);
	for (i = 0; i < ctl_nservices; i++) {
		char up[8] = "", ready[8] = "";
		long pid = -1, secs = 0, code = -1;

		if (svstat(c, ctl_services[i], &out) != 0 ||
		    sscanf(out.s, "%7s %7s %ld %ld %ld", up, ready, &pid,
		    &secs, &code) != 5) {
			printf("%-12s unknown (s6-svstat failed)\n",
			    ctl_services[i]);
			bad = 1;
			continue;
		}
		if (strcmp(up, "true") == 0)
			printf("%-12s up (pid %ld) %ld seconds%s\n",
			    ctl_services[i], pid, secs,
			    strcmp(ready, "true") == 0 ? ", ready" :
			    ", not ready");
		else
			printf("%-12s down (exit %ld) %ld seconds\n",
			    ctl_services[i], code, secs);
		if (strcmp(up, "true") != 0 || strcmp(ready, "true") != 0)
			bad = 1;
	}
	str_free(&out);
	return bad;
}

int
ctl_restart(struct ctl *c, const char *svc)
{
	struct str dir = STR_INIT, tmo = STR_INIT, out = STR_INIT;
	char *argv[] = { "s6-svc", "-T", NULL, "-wR", "-r", NULL, NULL };
	size_t i;
	long pid = 0, old;
	char up[16], ready[16];
	int rc;

	for (i = 0; i < ctl_nservices; i++)
		if (strcmp(ctl_services[i], svc) == 0)
			break;
	if (i == ctl_nservices) {
		fprintf(stderr, "roostctl: no service '%s' (services:", svc);
		for (i = 0; i < ctl_nservices; i++)
			fprintf(stderr, " %s", ctl_services[i]);
		fprintf(stderr, ")\n");
		return 100;
	}
	if (ctl_svscan_pid(c) == 0) {
		fprintf(stderr, "roostctl: roost is not running\n");
		return 1;
	}
	svc_dir(c, svc, &dir);
	str_copyf(&tmo, "%lld", var_start_timeout * 1000);
	argv[2] = tmo.s;
	argv[5] = dir.s;
	if (svstat(c, svc, &out) != 0 ||
	    sscanf(out.s, "%*s %*s %ld", &old) != 1)
		old = 0;
	rc = ctl_run(argv, NULL);
	/* s6-svc -wR has been seen to wait out its timeout under load
	 * although the service came back at once: what counts is a new
	 * pid that is up and ready */
	if (svstat(c, svc, &out) == 0 &&
	    sscanf(out.s, "%15s %15s %ld", up, ready, &pid) == 3 &&
	    pid > 0 && strcmp(up, "true") == 0 &&
	    strcmp(ready, "true") == 0 && (rc == 0 || pid != old)) {
		printf("%s restarted (pid %ld)\n", svc, pid);
		rc = 0;
	} else {
		fprintf(stderr, "roostctl: %s did not come back ready\n", svc);
		tail(c, svc, 5);
		rc = 1;
	}
	str_free(&dir);
	str_free(&tmo);
	str_free(&out);
	return rc == 0 ? 0 : 1;
}
