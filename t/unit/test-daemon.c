/* test-daemon - the common start-up: options, configuration, chdir. */
#include <fcntl.h>
#include <limits.h>

#include "cfg.h"
#include "daemon.h"
#include "fd.h"
#include "log.h"
#include "tap.h"

static char dir[] = "/tmp/test-daemon-XXXXXX";
static char conf[PATH_MAX];

static void
write_conf(const char *text)
{
	int fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	fd_write_all(fd, text, strlen(text));
	fd_close(fd);
}

static void
start(void *arg)
{
	char *argv[] = { "testd", "-c", conf, "-d", arg, NULL };
	struct daemon d;

	dup2(open("/dev/null", O_WRONLY), 2);
	optind = 1;
	daemon_start(&d, "testd", 5, argv);
	_exit(0);
}

int
main(void)
{
	char *argv[] = { "testd", "-c", conf, "-d", "7", NULL };
	char cwd[PATH_MAX], text[PATH_MAX + 64];
	struct daemon d;
	int p[2];
	char c;

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(conf, sizeof conf, "%s/roost.conf", dir);
	snprintf(text, sizeof text, "base_dir = %s\nmyhostname = mx.test\n",
	    dir);
	write_conf(text);
	log_set_fd(open("/dev/null", O_WRONLY));
	daemon_start(&d, "testd", 5, argv);
	is_str(d.conf, conf, "-c names the configuration");
	is_int(d.notify_fd, 7, "-d names the notification fd");
	ok(getcwd(cwd, sizeof cwd) && strcmp(cwd, dir) == 0,
	    "changed into base_dir");
	is_str(daemon_hostname(), "mx.test", "myhostname");
	ok(pipe(p) == 0, "pipe");
	d.notify_fd = p[1];
	daemon_ready(&d);
	ok(fd_read(p[0], &c, 1) == 1 && c == '\n', "ready writes a newline");
	is_int(d.notify_fd, -1, "and forgets the fd");
	ok(strlen(daemon_session_id()) == 16, "session ids");

	write_conf("no_such_key = 1\n");
	dies(start, "3", EXIT_PERM, "unknown key: exit 100");
	write_conf("base_dir = /nonexistent/dir\n");
	dies(start, "3", EXIT_PERM, "missing base_dir: exit 100");
	write_conf("");
	dies(start, "x", EXIT_PERM, "bad -d: usage, exit 100");
	unlink(conf);
	rmdir(dir);
	return done_testing();
}
