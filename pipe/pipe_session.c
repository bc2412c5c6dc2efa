/*
 * pipe_session - one connection from qmgr: check who is calling, then
 * serve requests until the caller hangs up.  pipe_justify decides the
 * account of each delivery from pipe's own expansion of the recipient;
 * the delivery runs in a child that gives up root for that account
 * before it looks at the target, so this process (root when started as
 * root) never opens a user's file or starts a user's command itself.
 *
 * When pipe(8) does not run as root (the embedded layout as a normal
 * user) it cannot change accounts: every delivery runs as pipe's own
 * account, which is the only account such an instance has.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "fd.h"
#include "log.h"
#include "pipe.h"
#include "pipeproto.h"
#include "priv.h"
#include "sock.h"

uid_t pipe_qmgr_uid = (uid_t)-1;

static void
reply(struct buf *b, const struct pipe_result *res)
{
	attr_puts(b, "status", pipe_status_name(res->status));
	attr_puts(b, "dsn", res->dsn);
	attr_put(b, "text", res->text.s, res->text.len);
	attr_end(b);
	(void)buf_flush(b);
}

/* become - the delivery's account, for good; 0 or -1 with err. */
static int
become(const struct pipe_req *r, struct str *err)
{
	if (priv_is_root()) {
		if (setgroups(0, NULL) < 0 || setgid(r->gid) < 0 ||
		    setuid(r->uid) < 0) {
			str_copyf(err, "cannot become uid %ld gid %ld: %s",
			    (long)r->uid, (long)r->gid, strerror(errno));
			return -1;
		}
		if (setuid(0) == 0 || getuid() != r->uid ||
		    geteuid() != r->uid) {
			str_copys(err, "root could be regained");
			return -1;
		}
	} else if (r->uid != getuid())
		log_debug("not root: uid %ld runs as %ld", (long)r->uid,
		    (long)getuid());
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		str_copyf(err, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* in_child - the delivery, in a child of its own; the outcome goes
 * back to the parent on fd as an attribute list. */
static void __attribute__((noreturn))
in_child(const struct pipe_req *r, const struct str *msg, int fd)
{
	struct pipe_result res = {PIPE_DEFER, "4.3.0", STR_INIT};
	struct str err = STR_INIT;
	struct buf b;

	if (become(r, &err) < 0) {
		log_error("%s", err.s);
		pipe_result_set(&res, PIPE_DEFER, "4.3.0",
		    "cannot switch to the delivery's account");
	} else if (r->kind == PIPE_COMMAND)
		pipe_command(r, msg->s ? msg->s : "", msg->len, &res);
	else
		pipe_file(r, msg->s ? msg->s : "", msg->len, &res);
	buf_init(&b, fd, 0);
	reply(&b, &res);
	_exit(0);
}

static enum pipe_status
status_of(const char *name)
{
	if (strcmp(name, "ok") == 0)
		return PIPE_OK;
	return strcmp(name, "bounce") == 0 ? PIPE_BOUNCE : PIPE_DEFER;
}

/* deliver - run the request in a child and collect its outcome. */
static void
deliver(struct pipe_req *r, const struct str *msg, struct pipe_result *res)
{
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;
	const char *st, *dsn, *text;
	enum buf_status bs;
	struct buf b;
	int p[2], ws = 0;
	pid_t pid;

	if (pipe_justify(r, &err) != PIPE_OK) {
		log_warn("queue_id=%s refusing %s: %s", r->queue_id,
		    r->target, err.s);
		pipe_result_set(res, PIPE_DEFER, "4.7.0", err.s);
		str_free(&err);
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		log_error(
		    "cannot start a delivery process: %s", strerror(errno));
		pipe_result_set(res, PIPE_DEFER, "4.3.0",
		    "cannot start a delivery process");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		in_child(r, msg, p[1]);
	}
	close(p[1]);
	buf_init(&b, p[0], 0);
	/* the child keeps its own deadline; this one only guards
	 * against a child that hangs in our own code */
	buf_set_timeout(&b, (int)(var_command_timeout + 60) * 1000);
	bs = attr_read(&b, &a, (size_t)var_attr_list_limit, &err);
	if (bs != BUF_OK)
		kill(pid, SIGKILL);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	st = attr_get(&a, "status");
	dsn = attr_get(&a, "dsn");
	text = attr_get(&a, "text");
	if (bs != BUF_OK || st == NULL || dsn == NULL || text == NULL) {
		log_error("delivery process failed (wait status %d)", ws);
		pipe_result_set(
		    res, PIPE_DEFER, "4.3.0", "delivery process failed");
	} else
		pipe_result_set(res, status_of(st), dsn, text);
	buf_free(&b);
	close(p[0]);
	attrs_free(&a);
	str_free(&err);
}

static bool
allowed(uid_t uid)
{
	return uid == 0 || uid == geteuid() || uid == pipe_qmgr_uid;
}

void
pipe_session(int fd, const struct server_listener *l, void *ctx)
{
	unsigned long long max =
	    (unsigned long long)var_message_size_limit + PIPE_SIZE_SLACK;
	struct pipe_result res = {PIPE_DEFER, "4.3.0", STR_INIT};
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT, msg = STR_INIT;
	struct pipe_req r;
	struct buf b;
	uid_t uid;
	gid_t gid;
	pid_t pid;

	(void)l, (void)ctx;
	log_set_session(daemon_session_id());
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, PIPE_IDLE_TIMEOUT * 1000);
	attr_greet(&b, PIPEPROTO_NAME, PIPEPROTO_VERSION);
	if (sock_peer_cred(fd, &uid, &gid, &pid) < 0 || !allowed(uid)) {
		log_warn("refused: peer uid=%ld pid=%ld is not allowed",
		    (long)uid, (long)pid);
		pipe_result_set(&res, PIPE_DEFER, "4.3.0", "not allowed");
		reply(&b, &res);
		goto out;
	}
	for (;;) {
		enum buf_status bs = attr_read(&b, &a,
		    (size_t)var_attr_list_limit, &err);

		if (bs == BUF_EOF && a.n == 0 && err.len == 0)
			break;
		if (bs == BUF_OK && pipe_req_parse(&a, max, &r, &err) < 0)
			bs = BUF_ERROR;
		if (bs != BUF_OK) {
			if (err.len == 0)
				str_copys(&err,
				    bs == BUF_TIMEOUT ? "timeout"
						      : "connection lost");
			log_warn("malformed request: %s", err.s);
			pipe_result_set(
			    &res, PIPE_DEFER, "4.3.0", "malformed request");
			reply(&b, &res);
			break;
		}
		str_clear(&msg);
		if (buf_read_exact(&b, &msg, (size_t)r.size) != BUF_OK) {
			log_warn(
			    "queue_id=%s lost the message content", r.queue_id);
			break;
		}
		deliver(&r, &msg, &res);
		log_info("queue_id=%s kind=%s target=%s uid=%ld "
			 "recipient=<%s> alias=%s size=%llu status=%s dsn=%s "
			 "text=%s",
		    r.queue_id, r.kind == PIPE_COMMAND ? "command" : "file",
		    r.target, (long)r.uid, r.recipient, r.alias, r.size,
		    pipe_status_name(res.status), res.dsn,
		    res.text.s ? res.text.s : "");
		reply(&b, &res);
	}
out:
	buf_free(&b);
	attrs_free(&a);
	str_free(&err);
	str_free(&msg);
	str_free(&res.text);
	log_set_session(NULL);
}
