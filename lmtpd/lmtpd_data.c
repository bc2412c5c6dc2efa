/*
 * lmtpd_data - DATA and BDAT: decode the message with lib/mail/smtpdata
 * exactly as smtpd does (so dot-unstuffing and the end of data mean
 * the same on both sides of the queue), write it into one store spool
 * file behind a Return-Path header, and hand over to lmtpd_deliver.
 *
 * A bare CR or LF is taken as a line end (normalize): our clients are
 * MTAs that already accepted the message, and refusing it here would
 * only bounce it.  A message over message_size_limit or with a line
 * over LMTPD_DATA_LINE_MAX is read to its end and then refused for
 * every recipient, since an LMTP client expects one reply each.
 */
#include <string.h>

#include "cfg.h"
#include "lmtpd.h"
#include "log.h"

#define PUSH_AT 65536

/* fail - the spool cannot take the message (rc says why: STORE_NOSPACE
 * for a full file system); the rest is dropped. */
static void
fail(struct lmtpd *st, int rc, const char *why)
{
	if (!st->spool_failed)
		log_error("spool: %s", why);
	st->spool_failed = true;
	st->spool_full = rc == STORE_NOSPACE;
	str_copys(&st->spool_err, why);
}

/* doomed - the message will be refused whatever comes next. */
static bool
doomed(const struct lmtpd *st)
{
	return st->spool_failed || st->too_big ||
	    (st->dec.flags & SMTPDATA_LONG) != 0;
}

/* start - open the spool and write the Return-Path header; on a
 * failure the data is still read, and each recipient refused. */
static void
start(struct lmtpd *st)
{
	struct str err = STR_INIT, rp = STR_INIT;
	int rc;

	st->size = 0;
	st->too_big = st->spool_failed = st->spool_full = false;
	st->head_done = false;
	str_clear(&st->content);
	str_clear(&st->head);
	if ((rc = store_spool_begin(&st->sp, st->store_dir, &err)) !=
	    STORE_OK) {
		fail(st, rc, err.s ? err.s : "cannot open a spool file");
		st->sp = NULL;
	} else {
		str_copyf(&rp, "Return-Path: <%s>\n",
		    st->sender.s ? st->sender.s : "");
		if ((rc = store_spool_write(st->sp, rp.s, rp.len, &err)) !=
		    STORE_OK)
			fail(st, rc, err.s ? err.s : "write error");
	}
	smtpdata_init(
	    &st->dec, st->in_bdat ? false : true, true, LMTPD_DATA_LINE_MAX);
	str_free(&err);
	str_free(&rp);
}

/* push - spool what was decoded (or drop it, if doomed). */
static void
push(struct lmtpd *st, bool all)
{
	struct str err = STR_INIT;
	int rc;

	if (st->content.len < PUSH_AT && !all)
		return;
	if (!doomed(st) && st->content.len > 0 &&
	    (rc = store_spool_write(st->sp, st->content.s, st->content.len,
	    &err)) != STORE_OK)
		fail(st, rc, err.s ? err.s : "write error");
	str_clear(&st->content);
	str_free(&err);
}

/* head - keep the header section (bounded) for the Message-ID. */
static void
head(struct lmtpd *st, size_t from)
{
	size_t before = st->head.len, n = st->content.len - from, at;
	const char *p;

	if (st->head_done)
		return;
	if (n > LMTPD_HEAD_MAX - before)
		n = LMTPD_HEAD_MAX - before;
	str_catb(&st->head, st->content.s + from, n);
	if (st->head.len == 0)
		return;
	/* the header ends at an empty line (or at the first one); the
	 * search starts one byte back, in case the LF before it came in
	 * the last piece */
	at = before ? before - 1 : 0;
	p = memmem(st->head.s + at, st->head.len - at, "\n\n", 2);
	if (p != NULL || st->head.s[0] == '\n' ||
	    st->head.len >= LMTPD_HEAD_MAX)
		st->head_done = true;
}

/* take - decode n bytes of p, counting the size as SIZE measures it
 * (a smtpdata_read callback). */
static size_t
take(void *arg, const char *p, size_t n)
{
	struct lmtpd *st = arg;
	size_t before = st->content.len;
	size_t used = smtpdata_take(&st->dec, p, n, &st->content, &st->size);

	if (st->size > (unsigned long long)var_message_size_limit)
		st->too_big = true;
	head(st, before);
	push(st, false);
	return used;
}

/* each - the same reply for every recipient. */
static void
each(struct lmtpd *st, const char *code, const char *text)
{
	size_t i;

	for (i = 0; i < st->nrcpt; i++)
		lmtpd_reply(st, "%s <%s> %s", code, st->rcpt[i].addr.s, text);
}

/* finish - the whole message is in: refuse it or deliver it. */
static void
finish(struct lmtpd *st)
{
	struct str err = STR_INIT;
	int rc;

	push(st, true);
	if (st->too_big)
		each(st, "552 5.3.4", "Error: message too big for system");
	else if (st->dec.flags & SMTPDATA_LONG)
		each(st, "500 5.5.2", "Error: line too long in message data");
	else if (!st->spool_failed &&
	    (rc = store_spool_finish(st->sp, &err)) != STORE_OK)
		fail(st, rc, err.s ? err.s : "fsync error");
	if (st->spool_failed && !st->too_big &&
	    !(st->dec.flags & SMTPDATA_LONG))
		each(st, st->spool_full ? "452 4.3.1" : "451 4.3.0",
		    st->spool_full ? "Error: insufficient system storage" :
		    "Error: temporary failure writing the message");
	else if (!doomed(st))
		lmtpd_deliver(st);
	str_free(&err);
	lmtpd_reset(st);
}

/* lost - the client went away or timed out in the middle of data. */
static bool
lost(struct lmtpd *st, enum buf_status bs)
{
	if (bs == BUF_TIMEOUT)
		lmtpd_reply(
		    st, "421 4.4.2 %s Error: timeout exceeded", st->host);
	else
		log_info("lost connection during data");
	lmtpd_reset(st);
	return false;
}

bool
lmtpd_data(struct lmtpd *st)
{
	struct str *line = &st->ss.line;
	enum buf_status bs;

	if (!st->in_mail || st->nrcpt == 0 || st->in_bdat) {
		st->errors++;
		if (!st->in_mail)
			lmtpd_reply(st, "503 5.5.1 Error: need MAIL command");
		else if (st->in_bdat)
			lmtpd_reply(st, "503 5.5.1 Error: DATA after BDAT");
		else
			lmtpd_reply(st, "503 5.5.1 Error: need RCPT command");
		return true;
	}
	start(st);
	if (st->spool_failed) {
		/* RFC 2033 4.2: a refused DATA has one reply only */
		lmtpd_reply(st, st->spool_full ?
		    "452 4.3.1 Error: insufficient system storage" :
		    "451 4.3.0 Error: cannot store the message now");
		lmtpd_reset(st);
		return true;
	}
	lmtpd_reply(st, "354 End data with <CR><LF>.<CR><LF>");
	if ((bs = smtpdata_read(&st->ss.b, &st->dec, line,
	    LMTPD_DATA_LINE_MAX, take, st)) != BUF_OK)
		return lost(st, bs);
	finish(st);
	return true;
}

bool
lmtpd_bdat(struct lmtpd *st)
{
	unsigned long long n = st->cmd.chunk;
	bool last = st->cmd.last, ok = st->in_mail && st->nrcpt > 0;
	enum buf_status bs;

	if (ok && !st->in_bdat) {
		st->in_bdat = true;
		start(st);
	}
	if ((bs = smtpdata_chunk(&st->ss.b, n, PUSH_AT, ok ? take : NULL,
	    st)) != BUF_OK)
		return lost(st, bs);
	if (!ok) {
		st->errors++;
		lmtpd_reply(st, "503 5.5.1 Error: %s",
		    !st->in_mail ? "need MAIL command" : "need RCPT command");
		return true;
	}
	if (!last) {
		lmtpd_reply(
		    st, "250 2.0.0 Ok: %llu octets received", st->cmd.chunk);
		return true;
	}
	smtpdata_finish(&st->dec, &st->content);
	finish(st);
	return true;
}
