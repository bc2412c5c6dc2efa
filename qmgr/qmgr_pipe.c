/*
 * qmgr_pipe - the client of pipe(8) (lib/mail/pipeproto.h) for "|command"
 * and "/file" targets: one connection per delivery, at most
 * pipe_concurrency at once.  Anything short of a complete answer is a
 * deferral: the command may have run, and there is no way to know.
 */
#include <pthread.h>
#include <string.h>

#include "attr.h"
#include "buf.h"
#include "fd.h"
#include "pipeproto.h"
#include "qmgr.h"
#include "sock.h"

static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_cv = PTHREAD_COND_INITIALIZER;
static int busy;

static int
put_content(void *arg, const char *p, size_t n)
{
	buf_put(arg, p, n);
	return 0;
}

static void
deliver(const struct qmgr_pipe_req *q, struct qmgr_reply *out)
{
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;
	enum buf_status st;
	struct buf b;
	const char *status, *dsn, *text;
	int fd;

	fd = sock_unix_connect(qmgr_conf.pipe_path.s, 10000, &err);
	if (fd < 0) {
		qmgr_reply_set(out, QMGR_DEFER, "4.3.0", "connect to pipe: %s",
		    err.s);
		str_free(&err);
		return;
	}
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, qmgr_conf.pipe_timeout_ms);
	st = attr_read(&b, &a, qmgr_conf.attr_max, &err);
	if (st != BUF_OK || attr_check_greeting(&a, PIPEPROTO_NAME,
	    PIPEPROTO_VERSION, &err) < 0) {
		qmgr_reply_set(out, QMGR_DEFER, "4.3.0", "pipe greeting: %s",
		    err.len ? err.s : "lost connection");
		goto out;
	}
	attr_puts(&b, "kind", q->kind);
	attr_puts(&b, "target", q->target);
	attr_putf(&b, "uid", "%u", (unsigned)q->uid);
	attr_putf(&b, "gid", "%u", (unsigned)q->gid);
	attr_puts(&b, "sender", q->sender);
	attr_puts(&b, "recipient", q->recipient);
	attr_puts(&b, "alias", q->alias);
	attr_puts(&b, "queue_id", q->id);
	attr_putf(&b, "size", "%llu", (unsigned long long)q->size);
	attr_end(&b);
	if (queue_read_content(q->path, put_content, &b, &err) < 0) {
		qmgr_reply_set(out, QMGR_DEFER, "4.3.0", "%s", err.s);
		goto out;	/* hanging up short of size aborts it */
	}
	str_clear(&err);
	st = buf_flush(&b);
	if (st == BUF_OK)
		st = attr_read(&b, &a, qmgr_conf.attr_max,
		    &err);
	if (st != BUF_OK || (status = attr_get(&a, "status")) == NULL) {
		qmgr_reply_set(out, QMGR_DEFER, "4.3.0",
		    "lost connection with pipe%s%s", err.len ? ": " : "",
		    err.s ? err.s : "");
		out->unknown = true;	/* the whole request went out */
		goto out;
	}
	dsn = attr_get(&a, "dsn");
	text = attr_get(&a, "text");
	if (text == NULL)
		text = status;
	if (strcmp(status, "ok") == 0)
		qmgr_reply_set(out, QMGR_SENT, dsn ? dsn : "2.0.0", "%s",
		    text);
	else if (strcmp(status, "bounce") == 0)
		qmgr_reply_set(out, QMGR_BOUNCE, dsn && dsn[0] == '5' ? dsn :
		    "5.3.0", "%s", text);
	else
		qmgr_reply_set(out, QMGR_DEFER, dsn && dsn[0] == '4' ? dsn :
		    "4.3.0", "%s", text);
out:
	attrs_free(&a);
	str_free(&err);
	buf_free(&b);
	fd_close(fd);
}

void
qmgr_pipe_deliver(const struct qmgr_pipe_req *q, struct qmgr_reply *out)
{
	pthread_mutex_lock(&slot_mu);
	while (busy >= qmgr_conf.pipe_concurrency)
		pthread_cond_wait(&slot_cv, &slot_mu);
	busy++;
	pthread_mutex_unlock(&slot_mu);
	deliver(q, out);
	pthread_mutex_lock(&slot_mu);
	busy--;
	pthread_cond_signal(&slot_cv);
	pthread_mutex_unlock(&slot_mu);
}
