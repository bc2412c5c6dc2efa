/* test-slots - session slots: the limit holds across processes, a
 * slot comes back when its holder exits (even by SIGKILL), and keys
 * cannot name other paths. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slots.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/test-slots.XXXXXX";
	struct str err = STR_INIT, p = STR_INIT;
	int fds[3], fd, pipefd[2];
	struct stat sb;
	pid_t pid;
	char c;

	if (mkdtemp(dir) == NULL)
		return 1;
	fds[0] = slot_take(dir, "10.0.0.1", 2, &err);
	fds[1] = slot_take(dir, "10.0.0.1", 2, &err);
	ok(fds[0] >= 0 && fds[1] >= 0, "two slots of two");
	is_int(slot_take(dir, "10.0.0.1", 2, &err), -1, "the third refused");
	fds[2] = slot_take(dir, "10.0.0.2", 2, &err);
	ok(fds[2] >= 0, "another key has its own slots");
	close(fds[1]);
	fd = slot_take(dir, "10.0.0.1", 2, &err);
	ok(fd >= 0, "a closed slot is free again");

	/* A holder killed with SIGKILL gives its slot back. */
	close(fd);
	if (pipe(pipefd) < 0)
		return 1;
	if ((pid = fork()) == 0) {
		int h = slot_take(dir, "10.0.0.1", 2, &err);

		(void)h;
		if (write(pipefd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(pipefd[0], &c, 1) != 1)
		return 1;
	is_int(slot_take(dir, "10.0.0.1", 2, &err), -1,
	    "a child holds the last slot");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fd = slot_take(dir, "10.0.0.1", 2, &err);
	ok(fd >= 0, "the killed child's slot is free");

	/* Keys are escaped: no path outside dir. */
	fd = slot_take(dir, "../../etc/x", 1, &err);
	ok(fd >= 0, "a hostile key gets a slot");
	str_copyf(&p, "%s/%%2E.%%2F..%%2Fetc%%2Fx.0", dir);
	ok(stat(p.s, &sb) == 0, "inside dir, escaped");
	fd = slot_take(dir, "ALICE", 1, &err);
	ok(fd >= 0, "upper case key");
	is_int(slot_take("/nonexistent/dir", "k", 1, &err), -2,
	    "a missing directory is an error, not a refusal");

	/* The sweep removes the files no one holds, and only slot files. */
	{
		char sweep[] = "/tmp/test-slots-sweep.XXXXXX";
		int held, dfd, n;

		if (mkdtemp(sweep) == NULL)
			return 1;
		held = slot_take(sweep, "held@x", 1, &err);
		for (n = 0; n < 5; n++) {
			str_copyf(&p, "gone%d@x", n);
			close(slot_take(sweep, p.s, 1, &err));
		}
		str_copyf(&p, "%s/bob.login", sweep);
		close(open(p.s, O_WRONLY | O_CREAT, 0600));
		dfd = open(sweep, O_RDONLY | O_DIRECTORY);
		is_int(slot_sweep(dfd), 5, "the sweep removes the 5 free slots");
		str_copyf(&p, "%s/held@x.0", sweep);
		ok(stat(p.s, &sb) == 0, "not the one held");
		str_copyf(&p, "%s/bob.login", sweep);
		ok(stat(p.s, &sb) == 0, "nor a file of another kind");
		is_int(slot_take(sweep, "held@x", 1, &err), -1,
		    "the held slot still counts");
		close(held);
		is_int(slot_sweep(dfd), 1, "once released it goes too");
		fd = slot_take(sweep, "held@x", 1, &err);
		ok(fd >= 0, "and the key has its slot again");
		close(fd);
		close(dfd);
		str_copyf(&p, "rm -rf '%s'", sweep);
		if (system(p.s) != 0)
			ok(0, "clean up %s", sweep);
	}
	str_copyf(&p, "rm -rf '%s'", dir);
	if (system(p.s) != 0)
		ok(0, "clean up %s", dir);
	str_free(&err);
	str_free(&p);
	return done_testing();
}
