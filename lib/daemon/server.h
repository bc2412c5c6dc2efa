/*
 * server - listening sockets served by a pool of pre-forked workers.
 *
 * The master process binds every endpoint, forks `min` workers and then
 * only supervises: each worker waits for a connection on any listener,
 * serves it to the end through the daemon's serve() callback, and goes
 * back to waiting.  When the master sees that no worker is idle it forks
 * another, up to `limit`; workers above `min` exit after being idle for
 * `idle_timeout` seconds, and every worker is replaced after `max_use`
 * connections.  So the steady state has no fork or exec per connection,
 * and a crash loses one session only (Postfix's model).
 *
 * SIGTERM to the master: stop accepting, SIGTERM to every worker (idle
 * ones exit at once, busy ones finish their session), SIGKILL to what is
 * left after `shutdown_timeout` seconds, exit 0.  Workers die with the
 * master (PR_SET_PDEATHSIG), closing their listeners first, so a master
 * killed with SIGKILL can be restarted at once on the same ports.
 */
#ifndef ROOST_SERVER_H
#define ROOST_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "listen.h"
#include "str.h"

#define SERVER_LISTENERS_MAX 32

struct server_listener {
	int fd;
	const char *role;	/* the daemon's tag, e.g. "submission" */
	struct listen_spec spec;
};

struct server {
	const char *name;
	const char *run_dir;	/* relative Unix socket paths start here */
	struct server_listener ls[SERVER_LISTENERS_MAX];
	size_t nls;
	unsigned min, limit, max_use;
	unsigned idle_timeout, shutdown_timeout;	/* seconds */
	/* serve - handle one accepted, blocking connection; the server
	 * closes fd afterwards. */
	void (*serve)(int fd, const struct server_listener *l, void *ctx);
	void *ctx;
	/* tick - run by the master at start and every tick_s seconds
	 * (housekeeping: daemon_serve sweeps the slot folders); NULL:
	 * none. */
	void (*tick)(void);
	unsigned tick_s;
};

/* Set in a worker when the master asked it to stop. */
extern volatile sig_atomic_t server_stopping;

/* The caller fills a server (daemon_serve takes it from the
 * configuration: <daemon>_process_min, <daemon>_process_limit, the
 * process_* keys, run_dir), then adds its listeners. */
/* server_listen - bind every endpoint of the listen value `value` (of
 * configuration key `key`, which messages name) and tag it with role;
 * Unix paths are relative to s->run_dir unless absolute, and their
 * sockets get mode 0660 and the owner `user` (when root).  A busy TCP
 * port is retried for about a second (a killed predecessor's workers
 * may still be closing).  0, or -1 with a reason in err. */
int server_listen(struct server *s, const char *key, const char *value,
    const char *role, const char *user, struct str *err);
/* server_listen_mode - the same with another mode for Unix sockets. */
int server_listen_mode(struct server *s, const char *key, const char *value,
    const char *role, const char *user, mode_t mode, struct str *err);
/* server_run - fork the workers and supervise them; never returns. */
void server_run(struct server *s) __attribute__((noreturn));

#endif
