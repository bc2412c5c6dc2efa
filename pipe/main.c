/*
 * pipe - runs the deliveries aliases ask for that need a process or
 * another account: |command and /file (protocol: lib/pipeproto.h).
 */
#include <unistd.h>

#include "daemon.h"

static void
serve(int fd, const struct server_listener *l, void *ctx)
{
	(void)l, (void)ctx;
	close(fd);
}

static const struct daemon_endpoint endpoints[] = {
	{ "pipe_listen", "pipe" },
};

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "pipe", argc, argv);
	daemon_serve(&d, "pipe", endpoints, 1, "qmgr_user", serve);
}
