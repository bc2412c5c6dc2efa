/*
 * server - pre-forked worker pool; see server.h.
 *
 * The master and its workers share a scoreboard (one byte of state per
 * slot, in an anonymous shared mapping).  A worker that takes a
 * connection marks itself busy and writes a byte to the status pipe; the
 * master wakes, counts idle slots and forks another worker when none is
 * left.  The master never touches a connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "priv.h"
#include "server.h"
#include "sig.h"
#include "sock.h"

enum { SLOT_FREE, SLOT_IDLE, SLOT_BUSY };

struct slot {
	pid_t pid;
	volatile unsigned char state;
};

volatile sig_atomic_t server_stopping;

static struct server *worker_srv;	/* for the worker's signal handler */

static int
listen_unix(const char *run_dir, const struct listen_spec *sp,
    const char *user, mode_t mode, struct str *err)
{
	struct str path = STR_INIT;
	uid_t uid;
	gid_t gid;
	int fd;

	if (sp->path[0] != '/')
		str_catf(&path, "%s/", run_dir);
	str_cats(&path, sp->path);
	fd = sock_unix_listen(path.s, mode, 128, err);
	if (fd >= 0 && priv_is_root() && user != NULL) {
		if (priv_lookup(user, &uid, &gid, err) < 0 ||
		    chown(path.s, uid, gid) < 0) {
			if (err->len == 0)
				str_copyf(err, "chown %s: %s", path.s,
				    strerror(errno));
			fd_close(fd);
			fd = -1;
		}
	}
	str_free(&path);
	return fd;
}

int
server_listen(struct server *s, const char *key, const char *value,
    const char *role, const char *user, struct str *err)
{
	return server_listen_mode(s, key, value, role, user, 0660, err);
}

int
server_listen_mode(struct server *s, const char *key, const char *value,
    const char *role, const char *user, mode_t mode, struct str *err)
{
	struct listen_spec sp[LISTEN_MAX];
	size_t n, i;

	if (listen_parse(value, sp, &n, err) < 0) {
		str_catf(err, " (key %s)", key);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct server_listener *l;
		int fd, tries;

		if (s->nls == SERVER_LISTENERS_MAX) {
			str_copyf(err, "too many listeners");
			return -1;
		}
		if (sp[i].kind == LISTEN_UNIX)
			fd = listen_unix(s->run_dir, &sp[i], user, mode, err);
		else
			for (tries = 0;; tries++) {
				fd = sock_tcp_listen(sp[i].host, sp[i].port,
				    511, err);
				if (fd >= 0 || errno != EADDRINUSE ||
				    tries == 20)
					break;
				usleep(50000);
			}
		if (fd < 0) {
			str_catf(err, " (key %s)", key);
			return -1;
		}
		l = &s->ls[s->nls++];
		l->fd = fd;
		l->role = role;
		l->spec = sp[i];
		str_clear(err);
		listen_format(&sp[i], err);
		log_info("listening on %s (%s)", err->s, role);
		str_clear(err);
	}
	return 0;
}

static void
close_listeners(struct server *s)
{
	size_t i;

	for (i = 0; i < s->nls; i++)
		if (s->ls[i].fd >= 0) {
			fd_close(s->ls[i].fd);
			s->ls[i].fd = -1;
		}
}

/* A stopping worker closes its listeners at once so that a restarted
 * master can bind the same ports while this session finishes. */
static void
worker_term(int signo)
{
	int saved = errno;
	size_t i;

	(void)signo;
	server_stopping = 1;
	if (worker_srv)
		for (i = 0; i < worker_srv->nls; i++)
			if (worker_srv->ls[i].fd >= 0) {
				close(worker_srv->ls[i].fd);
				worker_srv->ls[i].fd = -1;
			}
	errno = saved;
}

static void __attribute__((noreturn))
worker(struct server *s, struct slot *slot, unsigned index, int status_fd,
    pid_t master)
{
	struct pollfd pfd[SERVER_LISTENERS_MAX];
	struct sigaction sa;
	unsigned uses = 0;
	size_t i;

	worker_srv = s;
	sig_pipe_close();
	sig_default(SIGCHLD);
	sig_default(SIGHUP);
	sig_default(SIGINT);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = worker_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != master)
		_exit(0);

	for (;;) {
		int r, fd;

		slot->state = SLOT_IDLE;
		if (server_stopping)
			_exit(0);
		for (i = 0; i < s->nls; i++) {
			pfd[i].fd = s->ls[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		/* The first max(min, 1) slots stay; the rest may retire. */
		r = poll(pfd, s->nls, index >= s->min && index > 0 ?
		    (int)s->idle_timeout * 1000 : -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_fatal("poll: %s", strerror(errno));
		}
		if (r == 0)
			_exit(0);	/* idle above the minimum */
		for (i = 0; i < s->nls; i++) {
			if (!(pfd[i].revents & POLLIN) || server_stopping)
				continue;
			fd = accept4(s->ls[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0) {
				if (errno != EAGAIN && errno != EINTR &&
				    errno != ECONNABORTED)
					log_warn("accept: %s", strerror(errno));
				continue;
			}
			slot->state = SLOT_BUSY;
			(void)fd_write(status_fd, "b", 1);
			s->serve(fd, &s->ls[i], s->ctx);
			fd_close(fd);
			log_set_session(NULL);
			if (s->max_use && ++uses >= s->max_use)
				_exit(0);
			slot->state = SLOT_IDLE;
			break;
		}
	}
}

static struct slot *board;
static unsigned nworkers;

static int
spawn(struct server *s, int status[2])
{
	unsigned i;
	pid_t pid, master = getpid();

	for (i = 0; i < s->limit; i++)
		if (board[i].state == SLOT_FREE)
			break;
	if (i == s->limit)
		return -1;
	board[i].state = SLOT_IDLE;	/* counts as idle until it runs */
	pid = fork();
	if (pid < 0) {
		board[i].state = SLOT_FREE;
		log_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		fd_close(status[0]);
		worker(s, &board[i], i, status[1], master);
	}
	board[i].pid = pid;
	nworkers++;
	return 0;
}

static unsigned
idle_count(const struct server *s)
{
	unsigned i, n = 0;

	for (i = 0; i < s->limit; i++)
		n += board[i].state == SLOT_IDLE;
	return n;
}

static void
reap(struct server *s)
{
	pid_t pid;
	int status;
	unsigned i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < s->limit; i++)
			if (board[i].pid == pid && board[i].state != SLOT_FREE)
				break;
		if (i == s->limit)
			continue;
		if (WIFSIGNALED(status) && !server_stopping)
			log_warn("worker %ld killed by signal %d", (long)pid,
			    WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			log_warn("worker %ld exited with status %d",
			    (long)pid, WEXITSTATUS(status));
		board[i].state = SLOT_FREE;
		board[i].pid = 0;
		nworkers--;
	}
}

static void
signal_all(struct server *s, int signo)
{
	unsigned i;

	for (i = 0; i < s->limit; i++)
		if (board[i].state != SLOT_FREE && board[i].pid > 0)
			kill(board[i].pid, signo);
}

static void __attribute__((noreturn))
shutdown_pool(struct server *s)
{
	int64_t deadline;
	int sigfd = sig_pipe();

	server_stopping = 1;
	close_listeners(s);
	signal_all(s, SIGTERM);
	deadline = buf_now_ms() + (int64_t)s->shutdown_timeout * 1000;
	reap(s);
	while (nworkers > 0) {
		int64_t left = deadline - buf_now_ms();

		if (left <= 0) {
			log_warn("%u sessions still busy; killing them",
			    nworkers);
			signal_all(s, SIGKILL);
			while (nworkers > 0 && waitpid(-1, NULL, 0) > 0)
				reap(s);
			break;
		}
		if (fd_wait(sigfd, POLLIN, (int)left) > 0)
			while (sig_next() != 0)
				;
		reap(s);
	}
	log_info("stopped");
	exit(0);
}

void
server_run(struct server *s)
{
	int status[2], sigfd;
	unsigned want;
	int64_t next_tick;

	if (s->limit == 0)
		log_panic("server %s: process limit is 0", s->name);
	board = mmap(NULL, sizeof *board * s->limit, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (board == MAP_FAILED)
		log_fatal("mmap: %s", strerror(errno));
	memset(board, 0, sizeof *board * s->limit);
	if (pipe2(status, O_CLOEXEC | O_NONBLOCK) < 0)
		log_fatal("pipe: %s", strerror(errno));
	sigfd = sig_pipe();
	sig_catch(SIGCHLD);
	sig_catch(SIGTERM);
	sig_catch(SIGINT);
	sig_ignore(SIGPIPE);
	sig_ignore(SIGHUP);
	want = s->min ? s->min : 1;
	next_tick = buf_now_ms();
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = status[0], .events = POLLIN },
		};
		char drain[256];
		int signo, wait_ms = -1;

		while (nworkers < want && spawn(s, status) == 0)
			;
		if (idle_count(s) == 0 && nworkers < s->limit)
			(void)spawn(s, status);
		if (s->tick != NULL) {
			int64_t now = buf_now_ms();

			if (now >= next_tick) {
				s->tick();
				next_tick = now + (int64_t)s->tick_s * 1000;
			}
			wait_ms = (int)(next_tick - now);
		}
		if (poll(pfd, 2, wait_ms) < 0 && errno != EINTR)
			log_fatal("poll: %s", strerror(errno));
		while (fd_read(status[0], drain, sizeof drain) > 0)
			;
		while ((signo = sig_next()) != 0) {
			if (signo == SIGCHLD)
				reap(s);
			else if (signo == SIGTERM || signo == SIGINT)
				shutdown_pool(s);
		}
	}
}
