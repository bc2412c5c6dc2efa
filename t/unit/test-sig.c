/* test-sig - signals through the self-pipe. */
#include <signal.h>

#include "fd.h"
#include "sig.h"
#include "tap.h"

int
main(void)
{
	int fd = sig_pipe();

	ok(fd >= 0, "pipe created");
	is_int(sig_pipe(), fd, "created once");
	is_int(sig_next(), 0, "nothing pending");
	sig_catch(SIGUSR1);
	sig_catch(SIGUSR2);
	raise(SIGUSR1);
	raise(SIGUSR2);
	raise(SIGUSR1);
	is_int(fd_wait(fd, POLLIN, 1000), 1, "pipe readable after a signal");
	is_int(sig_next(), SIGUSR1, "first signal");
	is_int(sig_next(), SIGUSR2, "second signal");
	is_int(sig_next(), SIGUSR1, "repeated signal kept");
	is_int(sig_next(), 0, "then empty");
	sig_ignore(SIGUSR1);
	raise(SIGUSR1);
	is_int(sig_next(), 0, "ignored signal not seen");
	sig_pipe_close();
	is_int(sig_next(), 0, "closed pipe: nothing");
	ok(sig_pipe() >= 0, "pipe can be made again");
	return done_testing();
}
