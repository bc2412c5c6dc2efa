/*
 * test-sandbox - the seccomp filters (lib/daemon/sandbox.h): under the
 * allow-list a daemon's ordinary calls work, and running a program,
 * opening a network socket or changing identity kill the process with
 * SIGSYS and a line naming the call; under pipe's deny-list programs
 * run but ptrace and unshare kill.  The sanitizer build has no filter,
 * and says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

enum act {
	A_ORDINARY, A_EXEC, A_INET, A_SETUID, A_PTRACE, A_UNSHARE, A_UDP,
};

/* run - in a child under kind's filter, do act; how it ended: the exit
 * code, or 128 + the signal; what it wrote on stderr into why. */
static int
run(enum sandbox_kind kind, enum act act, char *why, size_t n)
{
	int err[2], status, fd, sv[2];
	pid_t pid;
	ssize_t got;

	if (pipe(err) < 0)
		bail("pipe");
	if ((pid = xfork()) == 0) {
		dup2(err[1], 2);
		close(err[0]);
		if (sandbox_install(kind, false) < 0)
			_exit(99);
		switch (act) {
		case A_ORDINARY:
			/* what the daemons do all day */
			fd = open("/dev/null", O_RDWR);
			if (fd < 0 || write(fd, "x", 1) != 1 ||
			    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
			    socket(AF_UNIX, SOCK_STREAM, 0) < 0 ||
			    fork() < 0)
				_exit(1);
			_exit(0);
		case A_EXEC:
			execl("/bin/true", "true", (char *)NULL);
			_exit(2);
		case A_INET:
			_exit(socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 3 : 4);
		case A_UDP:
			_exit(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) >= 0
			    && socket(AF_INET6, SOCK_DGRAM, 0) >= 0 ? 11 : 12);
		case A_SETUID:
			_exit(setuid(65534) == 0 ? 5 : 6);
		case A_PTRACE:
			_exit(ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 7 : 8);
		case A_UNSHARE:
			_exit(unshare(CLONE_NEWUTS) == 0 ? 9 : 10);
		}
		_exit(11);
	}
	close(err[1]);
	got = read(err[0], why, n - 1);
	why[got > 0 ? got : 0] = '\0';
	why[strcspn(why, "\n")] = '\0';
	close(err[0]);
	if (waitpid(pid, &status, 0) < 0)
		bail("waitpid");
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
	    WEXITSTATUS(status);
}

int
main(void)
{
	char why[512];

	if (!sandbox_available()) {
		/* its runtime needs calls no filter should allow */
		ok(sandbox_install(SANDBOX_ALLOW, false) < 0 &&
		    sandbox_install(SANDBOX_DENY, false) < 0,
		    "the sanitizer build installs no filter");
		return done_testing();
	}
	is_int(run(SANDBOX_ALLOW, A_ORDINARY, why, sizeof why), 0,
	    "allow-list: files, Unix sockets and fork work");
	is_int(run(SANDBOX_ALLOW, A_EXEC, why, sizeof why), 128 + SIGSYS,
	    "allow-list: running a program kills");
	ok(strstr(why, "seccomp: refused system call ") != NULL,
	    "with a line naming the call (%s)", why);
	is_int(run(SANDBOX_ALLOW, A_INET, why, sizeof why), 128 + SIGSYS,
	    "allow-list: a network socket kills");
	is_int(run(SANDBOX_ALLOW, A_UDP, why, sizeof why), 128 + SIGSYS,
	    "allow-list: a UDP socket kills");
	is_int(run(SANDBOX_ALLOW_DNS, A_ORDINARY, why, sizeof why), 0,
	    "allow-list with DNS: the ordinary calls work");
	is_int(run(SANDBOX_ALLOW_DNS, A_UDP, why, sizeof why), 11,
	    "allow-list with DNS: UDP sockets of IPv4 and IPv6");
	is_int(run(SANDBOX_ALLOW_DNS, A_INET, why, sizeof why), 128 + SIGSYS,
	    "allow-list with DNS: a TCP socket still kills");
	is_int(run(SANDBOX_ALLOW, A_SETUID, why, sizeof why), 128 + SIGSYS,
	    "allow-list: changing identity kills");
	is_int(run(SANDBOX_DENY, A_EXEC, why, sizeof why), 0,
	    "deny-list: a program runs (pipe's commands)");
	is_int(run(SANDBOX_DENY, A_PTRACE, why, sizeof why), 128 + SIGSYS,
	    "deny-list: ptrace kills");
	is_int(run(SANDBOX_DENY, A_UNSHARE, why, sizeof why), 128 + SIGSYS,
	    "deny-list: unshare kills");
	return done_testing();
}
