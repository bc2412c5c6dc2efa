/*
 * qmgr - the queue manager: one long-lived event loop that owns the
 * queue.  It is woken by one-byte triggers on its Unix socket ('I': scan
 * incoming, 'D': scan deferred, 'F': flush deferred), by its workers'
 * reports and by its own timers; the queue directories stay the record
 * of truth, so a lost trigger costs latency, never mail.  qmgr(8).
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg.h"
#include "daemon.h"
#include "queue.h"
#include "sandbox.h"
#include "fd.h"
#include "listen.h"
#include "log.h"
#include "qmgr.h"
#include "server.h"
#include "sig.h"

#define QMGR_STOP_MS 5000	/* SIGTERM: let running entries finish */

struct qmgr_conf qmgr_conf;

/* unix_path - the Unix socket path of config key (run_dir-relative
 * when relative); fatal when it has none. */
static void
unix_path(const char *key, struct str *out)
{
	struct str err = STR_INIT;

	if (listen_unix_path(key, cfg_str(key), var_run_dir, out, &err) < 0)
		log_fatal_config("%s: %s", key, err.s);
	str_free(&err);
}

void
qmgr_conf_init(void)
{
	struct passwd *pw;

	qmgr_conf.queue_dir = var_queue_dir;
	qmgr_conf.hostname = daemon_hostname();
	unix_path("lmtp_destination", &qmgr_conf.lmtp_path);
	unix_path("pipe_listen", &qmgr_conf.pipe_path);
	unix_path("cleanup_listen", &qmgr_conf.cleanup_path);
	qmgr_conf.lmtp_concurrency = (int)var_lmtp_concurrency;
	qmgr_conf.pipe_concurrency = (int)var_pipe_concurrency;
	qmgr_conf.min_backoff_us = var_minimal_backoff_time * 1000000ULL;
	qmgr_conf.max_backoff_us = var_maximal_backoff_time * 1000000ULL;
	if (qmgr_conf.max_backoff_us < qmgr_conf.min_backoff_us)
		qmgr_conf.max_backoff_us = qmgr_conf.min_backoff_us;
	qmgr_conf.warn_us = var_delay_warning_time * 1000000ULL;
	qmgr_conf.lifetime_us = var_maximal_queue_lifetime * 1000000ULL;
	qmgr_conf.run_delay_us = var_queue_run_delay * 1000000ULL;
	qmgr_conf.bounce_limit = (size_t)var_bounce_size_limit;
	qmgr_conf.attr_max = (size_t)var_attr_list_limit;
	qmgr_conf.lmtp_timeout_ms = (int)var_lmtpd_timeout * 1000;
	/* a command may run for command_timeout before pipe answers */
	qmgr_conf.pipe_timeout_ms = (int)(var_command_timeout + 60) *
	    1000;
	pw = getpwnam(var_default_privs);
	if (pw == NULL || pw->pw_uid == 0)
		log_fatal_config("default_privs: %s: no such unprivileged "
		    "account", var_default_privs);
	qmgr_conf.nobody_uid = pw->pw_uid;
	qmgr_conf.nobody_gid = pw->pw_gid;
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct server s;	/* only for its listeners */
	struct str err = STR_INIT;
	int sigfd;
	int64_t next_scan, next_sweep;

	daemon_start(&d, "qmgr", argc, argv);
	memset(&s, 0, sizeof s);
	s.run_dir = var_run_dir;
	qmgr_conf_init();
	if (server_listen(&s, "qmgr_listen", var_qmgr_listen, "trigger",
	    var_qmgr_user, &err) < 0)
		log_fatal("%s", err.s);
	if (s.nls != 1)
		log_fatal_config("%s: qmgr_listen: want exactly one endpoint",
		    d.conf);
	queue_prepare(d.conf);
	daemon_drop(&d, "qmgr_user");
	sandbox_enter(d.prog, SANDBOX_ALLOW);
	qmgr_conf.resolver = resolver_open_cfg();
	if (qmgr_conf.resolver == NULL)
		log_fatal("cannot open the recipient tables");
	sigfd = sig_pipe();
	sig_catch(SIGTERM);
	sig_catch(SIGINT);
	sig_ignore(SIGPIPE);
	sig_ignore(SIGHUP);
	qmgr_sched_init();
	qmgr_sweep_tmp(var_queue_tmp_max_age);
	next_sweep = buf_now_ms() + QMGR_SWEEP_EVERY_MS;
	qmgr_sched_start();
	daemon_ready(&d);
	next_scan = buf_now_ms() + (int64_t)(qmgr_conf.run_delay_us / 1000);
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = s.ls[0].fd, .events = POLLIN },
			{ .fd = qmgr_sched_poll_fd(), .events = POLLIN },
		};
		int signo, want = 0, timeout;
		int64_t now;

		timeout = qmgr_sched_run_timers();
		now = buf_now_ms();
		if (timeout < 0 || now + timeout > next_scan)
			timeout = next_scan > now ? (int)(next_scan - now) : 0;
		if (poll(pfd, 3, timeout) < 0 && errno != EINTR)
			log_fatal("poll: %s", strerror(errno));
		while ((signo = sig_next()) != 0)
			if (signo == SIGTERM || signo == SIGINT) {
				qmgr_sched_stop(QMGR_STOP_MS);
				log_info("stopped");
				exit(0);
			}
		if (pfd[2].revents & POLLIN)
			qmgr_sched_reap();
		/* every waiting trigger first, then one scan for all */
		if (pfd[1].revents & POLLIN) {
			int w, n = 0;

			while (n++ < 64 &&
			    (w = qmgr_trigger_accept(s.ls[0].fd)) >= 0)
				want |= w;
			qmgr_trigger_log(want);
		}
		if (buf_now_ms() >= next_sweep) {
			qmgr_sweep_tmp(var_queue_tmp_max_age);
			next_sweep = buf_now_ms() + QMGR_SWEEP_EVERY_MS;
		}
		if (buf_now_ms() >= next_scan) {
			want |= QMGR_WANT_INCOMING | QMGR_WANT_DEFERRED;
			next_scan = buf_now_ms() +
			    (int64_t)(qmgr_conf.run_delay_us / 1000);
		}
		if (want & QMGR_WANT_INCOMING)
			qmgr_sched_scan_incoming();
		if (want & (QMGR_WANT_DEFERRED | QMGR_WANT_FLUSH))
			qmgr_sched_scan_deferred(want & QMGR_WANT_FLUSH);
	}
}
