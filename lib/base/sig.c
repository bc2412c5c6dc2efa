/*
 * sig - the self-pipe trick; see sig.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"
#include "sig.h"

static int pipefd[2] = { -1, -1 };

static void
handler(int signo)
{
	int saved = errno;
	unsigned char c = (unsigned char)signo;

	(void)write(pipefd[1], &c, 1);	/* full pipe: signal already pending */
	errno = saved;
}

int
sig_pipe(void)
{
	if (pipefd[0] < 0) {
		if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
			log_fatal("pipe: %s", strerror(errno));
	}
	return pipefd[0];
}

static void
set(int signo, void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signo, &sa, NULL) < 0)
		log_panic("sigaction %d: %s", signo, strerror(errno));
}

void
sig_catch(int signo)
{
	sig_pipe();
	set(signo, handler);
}

void
sig_default(int signo)
{
	set(signo, SIG_DFL);
}

void
sig_ignore(int signo)
{
	set(signo, SIG_IGN);
}

int
sig_next(void)
{
	unsigned char c;

	if (pipefd[0] < 0 || fd_read(pipefd[0], &c, 1) != 1)
		return 0;
	return c;
}

void
sig_pipe_close(void)
{
	if (pipefd[0] >= 0) {
		fd_close(pipefd[0]);
		fd_close(pipefd[1]);
		pipefd[0] = pipefd[1] = -1;
	}
}
