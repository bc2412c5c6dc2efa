/*
 * submit - the client side of the cleanup protocol; see submit.h and
 * cleanup/cleanup.h.
 */
#include <string.h>

#include "cleanupproto.h"
#include "fd.h"
#include "sock.h"
#include "submit.h"

#define SUBMIT_CHUNK 65536
/* cleanup answers the end of data only after fsync, which may take a
 * while on a loaded disk: never wait less than this for a reply. */
#define SUBMIT_WAIT_MIN_MS 60000

static enum submit_rc
io_fail(struct submit *s, enum buf_status st, const char *what)
{
	s->in_data = 0;
	str_copyf(&s->reason, "cleanup: %s while %s", st == BUF_TIMEOUT ?
	    "timeout" : st == BUF_EOF ? "connection closed" : "I/O error",
	    what);
	return SUBMIT_TEMP;
}

/* early - cleanup answers a message far over the size limit before
 * the end of its data and hangs up: after a failed write, that answer
 * may still be there to read (s->b is dead: read through another). */
static enum buf_status
early(struct submit *s, struct attrs *a, struct str *err)
{
	enum buf_status st;
	struct buf rb;

	buf_init(&rb, s->fd, 0);
	buf_set_timeout(&rb, 1000);
	st = attr_read(&rb, a, ATTR_REPLY_MAX, err);
	buf_free(&rb);
	return st == BUF_OK && attr_get(a, "status") != NULL ? BUF_OK :
	    BUF_ERROR;
}

/* reply - read one status list and map it to a result. */
static enum submit_rc
reply(struct submit *s, struct attrs *a, const char *what)
{
	enum buf_status st;
	const char *status, *reason;
	struct str err = STR_INIT;

	st = buf_flush(&s->b);
	if (st == BUF_OK)
		st = attr_read(&s->b, a, ATTR_REPLY_MAX, &err);
	else if (early(s, a, &err) == BUF_OK)
		st = BUF_OK;
	if (st != BUF_OK) {
		if (err.len > 0 && st == BUF_ERROR) {
			s->in_data = 0;
			str_copyf(&s->reason, "cleanup: protocol error while "
			    "%s: %s", what, err.s);
			str_free(&err);
			return SUBMIT_TEMP;
		}
		str_free(&err);
		return io_fail(s, st, what);
	}
	str_free(&err);
	status = attr_get(a, "status");
	reason = attr_get(a, "reason");
	str_copys(&s->reason, reason ? reason : "");
	if (status != NULL && strcmp(status, "ok") == 0)
		return SUBMIT_OK;
	s->in_data = 0;
	if (reason == NULL)
		str_copyf(&s->reason, "cleanup: no reason given while %s",
		    what);
	if (status != NULL && strcmp(status, "fail") == 0)
		return SUBMIT_PERM;
	return SUBMIT_TEMP;
}

enum submit_rc
submit_open(struct submit *s, const char *path, int timeout_ms)
{
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;
	enum buf_status st;

	memset(s, 0, sizeof(*s));
	s->fd = sock_unix_connect(path, timeout_ms, &err);
	if (s->fd < 0) {
		str_copyf(&s->reason, "cleanup: %s", str_cstr(&err));
		str_free(&err);
		buf_init(&s->b, -1, 0);
		return SUBMIT_TEMP;
	}
	buf_init(&s->b, s->fd, 0);
	buf_set_timeout(&s->b, timeout_ms < 0 ? -1 :
	    timeout_ms < SUBMIT_WAIT_MIN_MS ? SUBMIT_WAIT_MIN_MS : timeout_ms);
	st = attr_read(&s->b, &a, ATTR_REPLY_MAX, &err);
	if (st != BUF_OK) {
		attrs_free(&a);
		str_free(&err);
		return io_fail(s, st, "reading the greeting");
	}
	if (attr_check_greeting(&a, CLEANUPPROTO_NAME, CLEANUPPROTO_VERSION,
	    &err) < 0) {
		str_copyf(&s->reason, "cleanup: %s", err.s);
		attrs_free(&a);
		str_free(&err);
		return SUBMIT_TEMP;
	}
	attrs_free(&a);
	str_free(&err);
	return SUBMIT_OK;
}

enum submit_rc
submit_begin(struct submit *s, const struct attrs *envelope)
{
	struct attrs a = ATTRS_INIT;
	enum submit_rc rc;
	size_t i;

	if (s->fd < 0)
		return io_fail(s, BUF_ERROR, "not connected");
	s->queue_id[0] = '\0';
	attr_puts(&s->b, "request", "submit");
	for (i = 0; i < envelope->n; i++) {
		if (strcmp(envelope->v[i].name, "request") == 0)
			continue;
		attr_put(&s->b, envelope->v[i].name, envelope->v[i].value.s,
		    envelope->v[i].value.len);
	}
	attr_end(&s->b);
	rc = reply(s, &a, "sending the envelope");
	attrs_free(&a);
	if (rc == SUBMIT_OK)
		s->in_data = 1;
	return rc;
}

enum submit_rc
submit_data(struct submit *s, const void *p, size_t n)
{
	const char *c = p;
	size_t k;

	if (!s->in_data)
		return io_fail(s, BUF_ERROR, "sending data outside a "
		    "transaction");
	while (n > 0) {
		k = n < SUBMIT_CHUNK ? n : SUBMIT_CHUNK;
		buf_printf(&s->b, "%zu\n", k);
		buf_put(&s->b, c, k);
		c += k;
		n -= k;
	}
	/* buf_put flushes by itself past BUF_OUT_FLUSH; report a dead
	 * peer now rather than at the end of a long message, with its
	 * answer if it gave one */
	if (s->b.err != 0) {
		struct attrs a = ATTRS_INIT;
		enum submit_rc rc = reply(s, &a, "sending the content");

		attrs_free(&a);
		return rc != SUBMIT_OK ? rc :
		    io_fail(s, BUF_ERROR, "sending the content");
	}
	return SUBMIT_OK;
}

enum submit_rc
submit_end(struct submit *s)
{
	struct attrs a = ATTRS_INIT;
	enum submit_rc rc;
	const char *id;

	if (!s->in_data)
		return io_fail(s, BUF_ERROR, "ending data outside a "
		    "transaction");
	buf_puts(&s->b, "0\n");
	rc = reply(s, &a, "waiting for the commit");
	s->in_data = 0;
	if (rc == SUBMIT_OK) {
		id = attr_get(&a, "queue_id");
		if (id == NULL || !qid_valid(id)) {
			str_copys(&s->reason, "cleanup: no valid queue ID in "
			    "the reply");
			rc = SUBMIT_TEMP;
		} else {
			memcpy(s->queue_id, id, QID_LEN + 1);
		}
	}
	attrs_free(&a);
	return rc;
}

enum submit_rc
submit_abort(struct submit *s)
{
	enum buf_status st;

	if (!s->in_data)
		return SUBMIT_OK;
	s->in_data = 0;
	/* cleanup does not answer an abort: it discards and waits for the
	 * next envelope. */
	buf_puts(&s->b, "-\n");
	st = buf_flush(&s->b);
	if (st != BUF_OK)
		return io_fail(s, st, "aborting");
	return SUBMIT_OK;
}

void
submit_close(struct submit *s)
{
	if (s->fd >= 0) {
		if (!s->in_data)
			(void)buf_flush(&s->b);
		fd_close(s->fd);
	}
	s->fd = -1;
	s->in_data = 0;
	buf_free(&s->b);
	str_free(&s->reason);
}
