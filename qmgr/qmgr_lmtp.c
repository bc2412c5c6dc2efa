/*
 * qmgr_lmtp - the LMTP client (RFC 2033) that hands local mail to
 * lmtpd, with a pool of at most lmtp_concurrency connections shared by
 * the worker threads.
 *
 * A connection is kept while work is queued and reset with RSET before
 * its next transaction; a connection that fails its RSET (lmtpd timed
 * it out, or was restarted) is replaced before anything of the
 * transaction is sent, so the retry cannot deliver twice.  After DATA
 * the server answers once per accepted recipient, in RCPT order; a
 * recipient without its answer (timeout, lost connection) is deferred:
 * it may have been delivered, and lmtpd's duplicate suppression by
 * Message-ID absorbs the retry.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "qmgr.h"
#include "sock.h"

#define LMTP_LINE_MAX 4096
#define LMTP_TEXT_MAX 1000	/* reply text we keep */

struct lconn {
	int fd;
	struct buf b;
	bool pipelining, eightbit, smtputf8;
	unsigned uses;
	struct lconn *next;
};

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static struct lconn *idle;
static int nopen;

struct lreply {
	int code;		/* 0: no reply (I/O failure) */
	struct str text;	/* "250 2.1.5 ok" */
};

/* get_reply - one (possibly multi-line) reply; code 0 on I/O failure
 * or a malformed line, with text saying why. */
static void
get_reply(struct lconn *c, struct lreply *r, const char *what)
{
	struct str line = STR_INIT;
	enum buf_status st;

	r->code = 0;
	str_clear(&r->text);
	for (;;) {
		st = buf_getline(&c->b, &line, LMTP_LINE_MAX);
		if (st != BUF_OK) {
			str_copyf(&r->text, "lost connection with lmtp "
			    "while %s (%s)", what, st == BUF_TIMEOUT ?
			    "timeout" : st == BUF_EOF ? "closed" :
			    st == BUF_TOOLONG ? "line too long" : "I/O error");
			r->code = 0;
			break;
		}
		str_chomp(&line);
		if (line.len < 3 || line.s[0] < '2' || line.s[0] > '5' ||
		    line.s[1] < '0' || line.s[1] > '9' || line.s[2] < '0' ||
		    line.s[2] > '9' || (line.len > 3 && line.s[3] != ' ' &&
		    line.s[3] != '-')) {
			str_copyf(&r->text, "malformed lmtp reply while %s",
			    what);
			r->code = 0;
			break;
		}
		if (r->text.len == 0)
			str_copyb(&r->text, line.s,
			    line.len > LMTP_TEXT_MAX ? LMTP_TEXT_MAX :
			    line.len);
		r->code = (line.s[0] - '0') * 100 + (line.s[1] - '0') * 10 +
		    (line.s[2] - '0');
		if (line.len == 3 || line.s[3] == ' ')
			break;
	}
	str_free(&line);
}

/* to_reply - our outcome from an LMTP reply. */
static void
to_reply(const struct lreply *l, struct qmgr_reply *out)
{
	const char *t = l->text.s ? l->text.s : "";
	char dsn[16];
	size_t n;

	if (l->code == 0) {
		qmgr_reply_set(out, QMGR_DEFER, "4.4.2", "%s", t);
		return;
	}
	/* an enhanced status code (RFC 3463) may follow the reply code;
	 * its class must agree with the reply's */
	n = l->text.len > 4 ? strspn(t + 4, "0123456789.") : 0;
	if (n >= 5 && n < sizeof dsn && t[4] == (char)('0' + l->code / 100) &&
	    t[5] == '.') {
		memcpy(dsn, t + 4, n);
		dsn[n] = '\0';
	} else
		snprintf(dsn, sizeof dsn, "%d.0.0", l->code / 100);
	qmgr_reply_set(out, l->code < 300 ? QMGR_SENT : l->code < 500 ?
	    QMGR_DEFER : QMGR_BOUNCE, dsn, "%s", t);
}

static void
conn_close(struct lconn *c, bool quit)
{
	if (quit) {
		buf_puts(&c->b, "QUIT\r\n");
		(void)buf_flush(&c->b);
	}
	buf_free(&c->b);
	fd_close(c->fd);
	free(c);
}

/* conn_open - connect and LHLO: the connection, or NULL with why. */
static struct lconn *
conn_open(struct str *why)
{
	struct lconn *c;
	struct lreply r = { 0, STR_INIT };
	struct str line = STR_INIT, err = STR_INIT;
	int fd;

	fd = sock_unix_connect(qmgr_conf.lmtp_path.s, 10000, &err);
	if (fd < 0) {
		str_copyf(why, "connect to lmtp: %s", err.s);
		str_free(&err);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	buf_init(&c->b, fd, 0);
	buf_set_timeout(&c->b, qmgr_conf.lmtp_timeout_ms);
	get_reply(c, &r, "reading the greeting");
	if (r.code != 220)
		goto fail;
	buf_printf(&c->b, "LHLO %s\r\n", qmgr_conf.hostname);
	/* read the LHLO reply line by line for its keywords */
	for (;;) {
		enum buf_status st = buf_getline(&c->b, &line, LMTP_LINE_MAX);
		const char *kw;

		if (st != BUF_OK || line.len < 4 ||
		    strncmp(line.s, "250", 3) != 0) {
			str_copyf(&r.text, "lmtp refused LHLO: %s",
			    st == BUF_OK ? line.s : "lost connection");
			str_chomp(&r.text);
			goto fail;
		}
		str_chomp(&line);
		kw = line.s + 4;
		if (strcasecmp(kw, "PIPELINING") == 0)
			c->pipelining = true;
		else if (strcasecmp(kw, "8BITMIME") == 0)
			c->eightbit = true;
		else if (strcasecmp(kw, "SMTPUTF8") == 0)
			c->smtputf8 = true;
		if (line.s[3] == ' ')
			break;
	}
	str_free(&line);
	str_free(&r.text);
	return c;
fail:
	str_copyf(why, "%s", r.text.len ? r.text.s : "lmtp greeting refused");
	str_free(&line);
	str_free(&r.text);
	conn_close(c, false);
	return NULL;
}

/* conn_get - an idle connection reset for a new transaction, or a new
 * one (waiting for a free slot): NULL with why when none can be had. */
static struct lconn *
conn_get(struct str *why)
{
	struct lconn *c = NULL;
	struct lreply r = { 0, STR_INIT };

	pthread_mutex_lock(&pool_mu);
	while (idle == NULL && nopen >= qmgr_conf.lmtp_concurrency)
		pthread_cond_wait(&pool_cv, &pool_mu);
	if (idle != NULL) {
		c = idle;
		idle = c->next;
	} else
		nopen++;
	pthread_mutex_unlock(&pool_mu);
	if (c != NULL) {
		buf_puts(&c->b, "RSET\r\n");
		get_reply(c, &r, "sending RSET");
		str_free(&r.text);
		if (r.code == 250)
			return c;
		conn_close(c, false);	/* stale: the slot is reused */
	}
	c = conn_open(why);
	if (c == NULL) {
		pthread_mutex_lock(&pool_mu);
		nopen--;
		pthread_cond_signal(&pool_cv);
		pthread_mutex_unlock(&pool_mu);
	}
	return c;
}

static void
conn_put(struct lconn *c, bool reuse)
{
	if (!reuse)
		conn_close(c, false);
	pthread_mutex_lock(&pool_mu);
	if (reuse) {
		c->next = idle;
		idle = c;
	} else
		nopen--;
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
}

void
qmgr_lmtp_close_idle(void)
{
	struct lconn *list, *c;

	pthread_mutex_lock(&pool_mu);
	list = idle;
	idle = NULL;
	for (c = list; c != NULL; c = c->next)
		nopen--;
	pthread_cond_broadcast(&pool_cv);
	pthread_mutex_unlock(&pool_mu);
	while ((c = list) != NULL) {
		list = c->next;
		conn_close(c, true);
	}
}

/* The content on the wire: CRLF line ends and dot-stuffing
 * (RFC 5321 4.5.2), from LF-terminated queue content. */
struct wire {
	struct buf *b;
	bool bol;		/* at the beginning of a line */
};

static int
put_content(void *arg, const char *p, size_t n)
{
	struct wire *w = arg;
	const char *end = p + n, *nl;

	while (p < end) {
		if (w->bol && *p == '.')
			buf_put(w->b, ".", 1);
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			buf_put(w->b, p, (size_t)(end - p));
			w->bol = false;
			break;
		}
		buf_put(w->b, p, (size_t)(nl - p));
		buf_put(w->b, "\r\n", 2);
		w->bol = true;
		p = nl + 1;
	}
	return 0;
}

/* transact - one transaction on c; false when c is unusable after. */
static bool
transact(struct lconn *c, struct qmgr_lmtp_txn *t)
{
	struct lreply r = { 0, STR_INIT };
	bool *accepted = xcalloc(t->nrcpt ? t->nrcpt : 1, sizeof(bool));
	size_t i, nacc = 0;
	bool ok = false;
	struct str err = STR_INIT;

	buf_printf(&c->b, "MAIL FROM:<%s>%s%s\r\n", t->sender,
	    t->eightbit && c->eightbit ? " BODY=8BITMIME" : "",
	    t->smtputf8 && c->smtputf8 ? " SMTPUTF8" : "");
	if (!c->pipelining) {
		get_reply(c, &r, "sending MAIL FROM");
		if (r.code != 250)
			goto mail_failed;
	}
	for (i = 0; i < t->nrcpt; i++) {
		buf_printf(&c->b, "RCPT TO:<%s>\r\n", t->rcpt[i]);
		if (!c->pipelining) {
			get_reply(c, &r, "sending RCPT TO");
			if (r.code == 0)
				goto lost;
			to_reply(&r, &t->reply[i]);
			accepted[i] = r.code / 100 == 2;
			nacc += accepted[i];
		}
	}
	if (!c->pipelining && nacc == 0) {
		ok = true;	/* nothing to send; RSET comes next time */
		goto out;
	}
	buf_puts(&c->b, "DATA\r\n");
	if (c->pipelining) {
		get_reply(c, &r, "sending MAIL FROM");
		if (r.code != 250) {
			/* read the RCPT and DATA replies to stay in step */
			bool instep = r.code != 0;
			struct lreply x = { 0, STR_INIT };

			for (i = 0; instep && i <= t->nrcpt; i++) {
				get_reply(c, &x, "reading replies");
				instep = x.code != 0;
			}
			str_free(&x.text);
			for (i = 0; i < t->nrcpt; i++)
				to_reply(&r, &t->reply[i]);
			ok = instep;
			goto out;
		}
		for (i = 0; i < t->nrcpt; i++) {
			get_reply(c, &r, "sending RCPT TO");
			if (r.code == 0)
				goto lost;
			to_reply(&r, &t->reply[i]);
			accepted[i] = r.code / 100 == 2;
			nacc += accepted[i];
		}
	}
	get_reply(c, &r, "sending DATA");
	if (r.code != 354) {
		if (r.code == 0)
			goto lost;
		for (i = 0; i < t->nrcpt; i++)
			if (accepted[i])
				to_reply(&r, &t->reply[i]);
		ok = nacc == 0 || r.code / 100 != 2;
		goto out;
	}
	{
		struct wire w = { &c->b, true };

		if (queue_read_content(t->path, put_content, &w, &err) < 0) {
			/* we cannot end the data: drop the connection so
			 * nothing half-sent is delivered */
			log_error("%s: %s", t->id, err.s);
			for (i = 0; i < t->nrcpt; i++)
				if (accepted[i])
					qmgr_reply_set(&t->reply[i],
					    QMGR_DEFER, "4.3.0",
					    "cannot read queue file");
			goto out;
		}
		if (!w.bol)
			buf_put(&c->b, "\r\n", 2);
	}
	buf_puts(&c->b, ".\r\n");
	for (i = 0; i < t->nrcpt; i++) {
		if (!accepted[i])
			continue;
		get_reply(c, &r, "sending end of data");
		if (r.code == 0) {
			for (; i < t->nrcpt; i++)
				if (accepted[i])
					to_reply(&r, &t->reply[i]);
			goto out;
		}
		to_reply(&r, &t->reply[i]);
	}
	ok = true;
	goto out;
mail_failed:
	for (i = 0; i < t->nrcpt; i++)
		to_reply(&r, &t->reply[i]);
	ok = r.code != 0;
	goto out;
lost:
	for (i = 0; i < t->nrcpt; i++)
		if (t->reply[i].text.len == 0 || accepted[i])
			to_reply(&r, &t->reply[i]);
out:
	free(accepted);
	str_free(&r.text);
	str_free(&err);
	return ok;
}

void
qmgr_lmtp_deliver(struct qmgr_lmtp_txn *t)
{
	struct str why = STR_INIT;
	struct lconn *c;
	size_t i;

	for (i = 0; i < t->nrcpt; i++)
		qmgr_reply_set(&t->reply[i], QMGR_DEFER, "4.4.2",
		    "no reply");
	c = conn_get(&why);
	if (c == NULL) {
		for (i = 0; i < t->nrcpt; i++)
			qmgr_reply_set(&t->reply[i], QMGR_DEFER, "4.4.1",
			    "%s", why.s);
		str_free(&why);
		return;
	}
	for (i = 0; i < t->nrcpt; i++)
		str_clear(&t->reply[i].text);
	conn_put(c, transact(c, t));
	for (i = 0; i < t->nrcpt; i++)
		if (t->reply[i].text.len == 0)
			qmgr_reply_set(&t->reply[i], QMGR_DEFER, "4.4.2",
			    "no reply from lmtp");
	str_free(&why);
}
