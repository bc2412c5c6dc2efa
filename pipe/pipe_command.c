/*
 * pipe_command - run "|command" deliveries: /bin/sh -c TARGET as the
 * account the caller has switched to, in its own session (so a timeout
 * kills the whole process group, whatever the command started), with a
 * clean environment, the message on standard input and standard output
 * and error captured for the reason.
 *
 * The wait is on a pidfd, the pipes and the deadline together, in one
 * poll: no signal handlers, no polling loop.  The command's end, not
 * the end of its output, decides; a daemon it left behind holding the
 * pipe open does not hold up the delivery.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "fd.h"
#include "log.h"
#include "pipe.h"

#define ENV_MAX 8

/* child - the command's process: never returns. */
static void __attribute__((noreturn))
child(const struct pipe_req *r, int in, int out)
{
	static char env_s[ENV_MAX][4096];
	char *env[ENV_MAX + 1], *argv[4];
	const struct passwd *pw = getpwuid(r->uid);
	const char *home = pw && pw->pw_dir[0] == '/' ? pw->pw_dir : "/";
	char user[64];
	sigset_t none;
	int n = 0, i;

	if (pw)
		snprintf(user, sizeof user, "%s", pw->pw_name);
	else
		snprintf(user, sizeof user, "%ld", (long)r->uid);
	(void)setsid();
	if (fd_move(0, in) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(EX_OSERR);
	if (out > 2)
		close(out);
	/* nothing of the daemon's (sockets, the reply pipe) may leak */
	(void)syscall(SYS_close_range, 3U, ~0U, 0U);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (chdir(home) < 0 && chdir("/") < 0)
		_exit(EX_OSERR);
	snprintf(env_s[n++], sizeof env_s[0], "SENDER=%s", r->sender);
	snprintf(env_s[n++], sizeof env_s[0], "RECIPIENT=%s", r->recipient);
	snprintf(env_s[n++], sizeof env_s[0], "HOME=%s", home);
	snprintf(env_s[n++], sizeof env_s[0], "USER=%s", user);
	snprintf(env_s[n++], sizeof env_s[0], "LOGNAME=%s", user);
	snprintf(env_s[n++], sizeof env_s[0],
	    "PATH=/usr/local/bin:/usr/bin:"
	    "/bin");
	snprintf(env_s[n++], sizeof env_s[0], "SHELL=%s",
	    pw && pw->pw_shell[0] == '/' ? pw->pw_shell : "/bin/sh");
	for (i = 0; i < n; i++)
		env[i] = env_s[i];
	env[n] = NULL;
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)r->target;
	argv[3] = NULL;
	execve("/bin/sh", argv, env);
	_exit(EX_OSERR);
}

/* first_line - keep the first line of output, up to PIPE_TEXT_MAX. */
static void
first_line(struct str *keep, bool *full, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && !*full; i++) {
		if (p[i] == '\n' || keep->len >= PIPE_TEXT_MAX)
			*full = true;
		else
			str_catc(keep, p[i]);
	}
}

void
pipe_command(const struct pipe_req *r, const char *msg, size_t len,
    struct pipe_result *res)
{
	struct str head = STR_INIT, output = STR_INIT;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, pidfd = -1, ws = 0;
	int64_t deadline = buf_now_ms() + var_command_timeout * 1000;
	size_t sent = 0, total;
	bool full = false, exited = false;
	char tmp[4096];
	pid_t pid;
	int i;

	pipe_prefix(r, &head);
	total = head.len + len;
	signal(SIGPIPE, SIG_IGN);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		pipe_result_set(res, PIPE_DEFER, "4.3.0", "cannot make pipes");
		goto out;
	}
	if ((pid = fork()) < 0) {
		pipe_result_set(res, PIPE_DEFER, "4.3.0", "cannot fork");
		goto out;
	}
	if (pid == 0)
		child(r, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	(void)fd_nonblock(in[1], true);
	(void)fd_nonblock(out[0], true);
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) < 0) {
		log_error("pidfd_open: %s", strerror(errno));
		kill(pid, SIGKILL);
		(void)waitpid(pid, &ws, 0);
		pipe_result_set(
		    res, PIPE_DEFER, "4.3.0", "cannot watch command");
		goto out;
	}
	while (!exited) {
		struct pollfd p[3];
		int64_t left = deadline - buf_now_ms();
		ssize_t k;

		if (left <= 0) {
			/* the group first: the shell may have forked */
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			(void)waitpid(pid, &ws, 0);
			str_copyf(&output,
			    "command timed out after %lld "
			    "seconds",
			    var_command_timeout);
			pipe_result_set(res, PIPE_DEFER, "4.3.0", output.s);
			goto out;
		}
		p[0] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = out[0], .events = POLLIN};
		p[2] = (struct pollfd){.fd = in[1], .events = POLLOUT};
		if (poll(p, 3, (int)(left > 1000 ? 1000 : left)) < 0 &&
		    errno != EINTR)
			break;
		if (p[1].revents) {
			k = read(out[0], tmp, sizeof tmp);
			if (k > 0)
				first_line(&output, &full, tmp, (size_t)k);
			else if (k == 0 || errno != EAGAIN) {
				close(out[0]);
				out[0] = -1;
			}
		}
		if (p[2].revents) {
			const char *from = sent < head.len
			    ? head.s + sent
			    : msg + (sent - head.len);
			size_t n =
			    sent < head.len ? head.len - sent : total - sent;

			k = write(in[1], from, n);
			if (k > 0)
				sent += (size_t)k;
			if ((k < 0 && errno != EAGAIN) || sent == total) {
				/* EPIPE: the command does not want it all,
				 * which is its business */
				close(in[1]);
				in[1] = -1;
			}
		}
		if (p[0].revents)
			exited = waitpid(pid, &ws, WNOHANG) == pid;
	}
	if (!exited) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		(void)waitpid(pid, &ws, 0);
		pipe_result_set(res, PIPE_DEFER, "4.3.0",
		    "cannot wait for "
		    "command");
		goto out;
	}
	/* what it printed just before it ended */
	while (out[0] >= 0 && !full) {
		ssize_t k = read(out[0], tmp, sizeof tmp);

		if (k <= 0)
			break;
		first_line(&output, &full, tmp, (size_t)k);
	}
	pipe_exit_map(ws, output.s ? output.s : "", res);
out:
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	str_free(&head);
	str_free(&output);
}
