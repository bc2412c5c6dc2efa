/*
 * test-log - line format, session prefix, escaping of untrusted bytes,
 * the length cut, level filtering and the fatal exits with their die hook.
 */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"
#include "str.h"
#include "tap.h"

static int log_pipe[2], hook_pipe[2];

/* drain - everything written to fd so far (the read end is non-blocking). */
static const char *
drain(int fd, struct str *got)
{
	char p[4096];
	ssize_t r;

	str_clear(got);
	while ((r = fd_read(fd, p, sizeof p)) > 0)
		str_catb(got, p, (size_t)r);
	return str_cstr(got);
}

static void
hook(void)
{
	(void)fd_write_all(hook_pipe[1], "H", 1);
}

/* hook_dying - a die hook that itself dies; it must not run again. */
static void
hook_dying(void)
{
	hook();
	log_fatal("from the hook");
}

static void
do_fatal(void *arg)
{
	log_fatal("boom %s", (const char *)arg);
}

static void
do_fatal_config(void *arg)
{
	log_fatal_config("bad key %s", (const char *)arg);
}

static void
test_format(struct str *got)
{
	log_info("hello %d", 5);
	is_str(drain(log_pipe[0], got), "prog: info: hello 5\n",
	    "info line format");
	log_warn("careful");
	is_str(drain(log_pipe[0], got), "prog: warning: careful\n",
	    "warning line");
	log_error("failed");
	is_str(drain(log_pipe[0], got), "prog: error: failed\n", "error line");
	log_set_session("4HxK2a");
	log_info("connect from=%s", "192.0.2.1");
	is_str(drain(log_pipe[0], got),
	    "prog: info: 4HxK2a connect from=192.0.2.1\n",
	    "session id prefixes the text");
	log_set_session(NULL);
	log_info("text");
	is_str(drain(log_pipe[0], got), "prog: info: text\n",
	    "session cleared: no prefix");
	log_init("plain");
	log_info("x");
	is_str(drain(log_pipe[0], got), "plain: info: x\n",
	    "program name without a directory");
	log_init("/usr/libexec/roost/prog");
}

static void
test_escape(struct str *got)
{
	log_info("%s", "a\tb\001c\177\303\251\\d\ne");
	is_str(drain(log_pipe[0], got),
	    "prog: info: a\\x09b\\x01c\\x7f\\xc3\\xa9\\\\d\\x0ae\n",
	    "control bytes and non-ASCII as \\xHH, backslash doubled");
	log_info("user=%s", "x\r\nprog: fatal: forged");
	is_str(drain(log_pipe[0], got),
	    "prog: info: user=x\\x0d\\x0aprog: fatal: forged\n",
	    "CRLF in data cannot forge a second line");
	log_info("%s", "plain ASCII ~!@#$%^&*()_+ stays");
	is_str(drain(log_pipe[0], got),
	    "prog: info: plain ASCII ~!@#$%^&*()_+ stays\n",
	    "printable ASCII untouched");
}

/* only - whether p[0..n) is made of copies of unit. */
static bool
only(const char *p, size_t n, const char *unit)
{
	size_t u = strlen(unit), i;

	if (n % u)
		return false;
	for (i = 0; i < n; i += u)
		if (memcmp(p + i, unit, u) != 0)
			return false;
	return true;
}

static void
test_cut(struct str *got)
{
	const char *prefix = "prog: info: ";
	size_t plen = strlen(prefix), n;
	char *big = malloc(5001);

	if (big == NULL)
		bail("malloc");
	memset(big, 'a', 5000);
	big[5000] = '\0';
	log_info("%s", big);
	drain(log_pipe[0], got);
	n = got->len;
	ok(n <= LOG_LINE_MAX && n >= LOG_LINE_MAX - 8,
	    "long line cut at LOG_LINE_MAX (%zu bytes)", n);
	ok(n > plen && memcmp(got->s, prefix, plen) == 0 &&
	    got->s[n - 1] == '\n' && only(got->s + plen, n - plen - 1, "a"),
	    "  prefix, text, one LF at the end");

	memset(big, '\001', 5000);
	log_info("%s", big);
	drain(log_pipe[0], got);
	n = got->len;
	ok(n <= LOG_LINE_MAX && got->s[n - 1] == '\n' &&
	    only(got->s + plen, n - plen - 1, "\\x01"),
	    "escapes are never cut in half (%zu bytes)", n);

	memset(big, '\\', 5000);
	log_info("%s", big);
	drain(log_pipe[0], got);
	n = got->len;
	ok(n <= LOG_LINE_MAX && got->s[n - 1] == '\n' &&
	    only(got->s + plen, n - plen - 1, "\\\\"),
	    "doubled backslashes are never cut in half (%zu bytes)", n);

	memset(big, 's', 3000);
	big[3000] = '\0';
	log_set_session(big);
	log_info("text");
	drain(log_pipe[0], got);
	log_set_session(NULL);
	ok(got->len <= LOG_LINE_MAX && got->s[got->len - 1] == '\n' &&
	    memchr(got->s, '\n', got->len) == got->s + got->len - 1,
	    "overlong session id: still one line within LOG_LINE_MAX");
	free(big);
}

static void
test_levels(struct str *got)
{
	log_debug("hidden");
	is_str(drain(log_pipe[0], got), "", "debug dropped by default");
	log_set_level(LOG_DEBUG);
	log_debug("shown %d", 1);
	is_str(drain(log_pipe[0], got), "prog: debug: shown 1\n",
	    "debug shown at LOG_DEBUG");
	log_set_level(LOG_WARN);
	log_info("hidden");
	log_warn("kept");
	is_str(drain(log_pipe[0], got), "prog: warning: kept\n",
	    "at LOG_WARN: info dropped, warning kept");
	log_set_level(LOG_INFO);
}

static void
test_fatal(struct str *got)
{
	pid_t pid;
	int status;

	log_set_die_hook(hook);
	dies(do_fatal, "now", EXIT_TEMP, "log_fatal exits 111");
	is_str(drain(log_pipe[0], got), "prog: fatal: boom now\n",
	    "  after logging at fatal level");
	is_str(drain(hook_pipe[0], got), "H", "  the die hook ran once");

	dies(do_fatal_config, "smtpd_foo", EXIT_PERM,
	    "log_fatal_config exits 100");
	is_str(drain(log_pipe[0], got), "prog: fatal: bad key smtpd_foo\n",
	    "  after logging");
	is_str(drain(hook_pipe[0], got), "H", "  the die hook ran once");

	log_set_die_hook(hook_dying);
	dies(do_fatal, "twice", EXIT_TEMP,
	    "a die hook that dies itself: still 111");
	is_str(drain(hook_pipe[0], got), "H", "  and the hook ran only once");
	is_str(drain(log_pipe[0], got),
	    "prog: fatal: boom twice\nprog: fatal: from the hook\n",
	    "  both fatal lines logged");
	log_set_die_hook(NULL);

	dies(do_fatal, "", EXIT_TEMP, "log_fatal without a hook: 111");
	drain(log_pipe[0], got);

	fflush(stdout);
	if ((pid = fork()) < 0)
		bail("fork");
	if (pid == 0) {
		struct rlimit no = { 0, 0 };

		(void)setrlimit(RLIMIT_CORE, &no);
		log_panic("bug %d", 42);
	}
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	    "log_panic aborts");
	is_str(drain(log_pipe[0], got), "prog: fatal: bug 42\n",
	    "  after logging");
}

int
main(void)
{
	struct str got = STR_INIT;

	if (pipe(log_pipe) < 0 || pipe(hook_pipe) < 0)
		bail("pipe");
	fd_nonblock(log_pipe[0], true);
	fd_nonblock(hook_pipe[0], true);
	log_init("/usr/libexec/roost/prog");
	log_set_fd(log_pipe[1]);
	test_format(&got);
	test_escape(&got);
	test_cut(&got);
	test_levels(&got);
	test_fatal(&got);
	log_set_fd(2);
	str_free(&got);
	return done_testing();
}
