/*
 * smtpd_data - DATA and BDAT: read the message (lib/mail/smtpdata decodes
 * it), enforce the size and line limits, stream it to cleanup and answer
 * 250 only once cleanup has made it durable.
 *
 * The content reaches cleanup in 64 KiB pieces as it arrives, so a
 * message never sits whole in memory; once the message is known to fail
 * (too big, bare line end, overlong line) the rest is read and dropped,
 * because the client will not listen before it has sent it all.
 */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "listen.h"
#include "log.h"
#include "smtpd.h"
#include "tls.h"

#define PUSH_AT 65536

static void
sub_fail(struct smtpd *st, enum submit_rc rc, const char *reason)
{
	st->sub_failed = true;
	st->sub_rc = rc;
	str_copys(&st->sub_reason, reason);
	/* after a temporary failure the connection may be broken: the
	 * next message gets a fresh one */
	if (rc == SUBMIT_TEMP && st->sub_open) {
		submit_close(&st->sub);
		st->sub_open = false;
	}
}

/* reply_fail - tell the client why cleanup did not take the message. */
static void
reply_fail(struct smtpd *st)
{
	const char *r = st->sub_reason.s ? st->sub_reason.s : "";
	int b, c, n = 0;

	if (st->sub_rc != SUBMIT_PERM && strncmp(r, "4.3.1 ", 6) == 0) {
		smtpd_reply(st, "452 4.3.1 Error: insufficient system storage");
		return;
	}
	if (st->sub_rc != SUBMIT_PERM) {
		smtpd_reply(st, "451 4.3.0 Error: queue file write error: %s",
		    r);
		return;
	}
	/* keep cleanup's enhanced code when it gave one (5.6.0 ...) */
	if (sscanf(r, "5.%d.%d %n", &b, &c, &n) == 2 && n > 0)
		smtpd_reply(st, "554 %s", r);
	else
		smtpd_reply(st, "554 5.3.0 Error: %s", r);
}

/* cleanup_path - cleanup_listen's Unix path, relative to run_dir. */
static int
cleanup_path(struct str *path)
{
	struct str err = STR_INIT;
	int rc = listen_unix_path("cleanup_listen", var_cleanup_listen,
	    var_run_dir, path, &err);

	str_free(&err);
	return rc;
}

static const char *
proto(const struct smtpd *st)
{
	if (st->local)
		return "LOCAL";
	if (st->hello != 'E')
		return "SMTP";
	/* RFC 6531 3.7.3: the "with" protocol of an SMTPUTF8 message */
	return st->utf8 ? "UTF8SMTP" : "ESMTP";
}

/* start - send the envelope to cleanup (connecting first if needed). */
static void
start(struct smtpd *st)
{
	struct attrs env = ATTRS_INIT;
	struct str path = STR_INIT;
	enum submit_rc rc;
	size_t i;

	st->size = 0;
	st->too_big = false;
	str_clear(&st->content);
	if (!st->sub_open) {
		if (cleanup_path(&path) < 0) {
			sub_fail(st, SUBMIT_TEMP, "cleanup_listen has no Unix "
			    "socket");
			return;
		}
		rc = submit_open(&st->sub, path.s,
		    (int)var_smtpd_timeout * 1000);
		str_free(&path);
		if (rc != SUBMIT_OK) {
			log_error("%s", st->sub.reason.s);
			sub_fail(st, rc, st->sub.reason.s);
			submit_close(&st->sub);
			return;
		}
		st->sub_open = true;
	}
	attrs_add(&env, "sender", st->sender.s, st->sender.len);
	if (st->mail_params.len)
		attrs_add(&env, "mail_params", st->mail_params.s,
		    st->mail_params.len);
	for (i = 0; i < st->rcpts.n; i++)
		attrs_add(&env, "rcpt", st->rcpts.v[i].value.s,
		    st->rcpts.v[i].value.len);
	attrs_add(&env, "client_addr", st->ss.peer.s, st->ss.peer.len);
	{
		char port[16];

		snprintf(port, sizeof port, "%u", st->ss.port);
		attrs_add(&env, "client_port", port, strlen(port));
	}
	attrs_add(&env, "client_name", st->client_name.s,
	    st->client_name.len);
	attrs_add(&env, "helo", st->helo.s, st->helo.len);
	attrs_add(&env, "proto", proto(st), strlen(proto(st)));
	/* RFC 3848: cleanup makes the protocol ESMTPS and names the TLS
	 * version and cipher in Received. */
	if (tls_describe(&st->ss.b) != NULL)
		attrs_add(&env, "tls", tls_describe(&st->ss.b),
		    strlen(tls_describe(&st->ss.b)));
	if (st->auth_user.len > 0)
		attrs_add(&env, "auth", st->auth_user.s, st->auth_user.len);
	rc = submit_begin(&st->sub, &env);
	attrs_free(&env);
	if (rc != SUBMIT_OK)
		sub_fail(st, rc, st->sub.reason.s);
}

/* doomed - the message will be refused whatever comes next. */
static bool
doomed(const struct smtpd *st)
{
	return st->sub_failed || st->too_big || st->dec.flags != 0;
}

/* push - send what was decoded to cleanup (or drop it, if doomed). */
static void
push(struct smtpd *st, bool all)
{
	enum submit_rc rc;

	if (st->content.len < PUSH_AT && !all)
		return;
	if (!doomed(st) && st->content.len > 0 &&
	    (rc = submit_data(&st->sub, st->content.s, st->content.len)) !=
	    SUBMIT_OK)
		sub_fail(st, rc, st->sub.reason.s);
	str_clear(&st->content);
}

/* take - decode n bytes of p, counting the size as SIZE measures it
 * (a smtpdata_read callback). */
static size_t
take(void *arg, const char *p, size_t n)
{
	struct smtpd *st = arg;
	size_t used = smtpdata_take(&st->dec, p, n, &st->content, &st->size);

	if (st->size > (unsigned long long)var_message_size_limit)
		st->too_big = true;
	if (st->dec.dot)	/* BDAT's deadline is set from its size */
		buf_rate_update(&st->ss.b, &st->rate, st->dec.octets);
	push(st, false);
	return used;
}

/* verdict - the reply to a message that failed, or false if none. */
static bool
verdict(struct smtpd *st)
{
	if (st->too_big)
		smtpd_reply(st, "552 5.3.4 Error: message too big for system");
	else if (st->dec.flags & SMTPDATA_BARE)
		smtpd_reply(st, "550 5.5.2 Error: bare <CR> or <LF> in "
		    "message data");
	else if (st->dec.flags & SMTPDATA_LONG)
		smtpd_reply(st, "500 5.5.2 Error: line too long in message "
		    "data");
	else if (st->sub_failed)
		reply_fail(st);
	else
		return false;
	return true;
}

/* finish - the whole message is in: scan, commit, answer. */
static void
finish(struct smtpd *st)
{
	struct str r = STR_INIT;
	enum submit_rc rc;

	push(st, true);
	if (verdict(st)) {
		smtpd_reset(st);
		return;
	}
	if (smtpd_scan(st, &r) < 0) {
		smtpd_reply(st, "%s", r.s);
		str_free(&r);
		smtpd_reset(st);
		return;
	}
	str_free(&r);
	if ((rc = submit_end(&st->sub)) != SUBMIT_OK) {
		sub_fail(st, rc, st->sub.reason.s);
		reply_fail(st);
	} else {
		log_info("queued id=%s from=<%s> nrcpt=%zu size=%llu",
		    st->sub.queue_id, st->sender.s ? st->sender.s : "",
		    st->rcpts.n, st->size);
		smtpd_reply(st, "250 2.0.0 Ok: queued as %s",
		    st->sub.queue_id);
	}
	smtpd_reset(st);
}

/* lost - the client went away or timed out in the middle of data. */
static bool
lost(struct smtpd *st, enum buf_status bs)
{
	buf_rate_end(&st->ss.b, &st->rate);
	if (bs == BUF_TIMEOUT) {
		buf_set_deadline(&st->ss.b, BUF_LAST_WORDS_MS);
		smtpd_reply(st, "421 4.4.2 %s Error: timeout exceeded",
		    st->host);
	} else
		log_info("lost connection during data");
	smtpd_reset(st);
	return false;
}

static void
begin_data(struct smtpd *st, bool dot)
{
	smtpdata_init(&st->dec, dot,
	    strcmp(var_smtpd_bare_lf, "normalize") == 0,
	    (size_t)var_smtpd_line_limit);
	buf_set_timeout(&st->ss.b, (int)var_smtpd_data_timeout * 1000);
}

/* rate_begin - the deadline of a request of n octets (DATA: 0, moved
 * on as data arrives): smtpd_timeout plus n / smtpd_min_data_rate. */
static void
rate_begin(struct smtpd *st, unsigned long long n)
{
	buf_rate_begin(&st->ss.b, &st->rate, (int)var_smtpd_timeout * 1000,
	    (unsigned)var_smtpd_min_data_rate);
	buf_rate_update(&st->ss.b, &st->rate, n);
}

static void
end_data(struct smtpd *st)
{
	buf_rate_end(&st->ss.b, &st->rate);
	buf_set_timeout(&st->ss.b, (int)var_smtpd_timeout * 1000);
}

bool
smtpd_data(struct smtpd *st)
{
	size_t max = (size_t)var_smtpd_line_limit;
	struct str *line = &st->ss.line;
	enum buf_status bs;

	if (!st->in_mail || st->rcpts.n == 0 || st->in_bdat) {
		smtpd_reply(st, "503 5.5.1 Error: %s", !st->in_mail ?
		    "need MAIL command" : st->in_bdat ? "DATA after BDAT" :
		    "need RCPT command");
		return true;
	}
	start(st);
	if (st->sub_failed) {
		reply_fail(st);
		smtpd_reset(st);
		return true;
	}
	smtpd_reply(st, "354 End data with <CR><LF>.<CR><LF>");
	begin_data(st, true);
	rate_begin(st, 0);
	if ((bs = smtpdata_read(&st->ss.b, &st->dec, line, max, take, st))
	    != BUF_OK)
		return lost(st, bs);
	end_data(st);
	finish(st);
	return true;
}

bool
smtpd_bdat(struct smtpd *st)
{
	unsigned long long n = st->cmd.chunk;
	bool last = st->cmd.last, ok = st->in_mail && st->rcpts.n > 0;
	enum buf_status bs;

	if (ok && !st->in_bdat) {
		st->in_bdat = true;
		start(st);
		begin_data(st, false);
	}
	buf_set_timeout(&st->ss.b, (int)var_smtpd_data_timeout * 1000);
	rate_begin(st, n);
	if ((bs = smtpdata_chunk(&st->ss.b, n, PUSH_AT, ok ? take : NULL,
	    st)) != BUF_OK)
		return lost(st, bs);
	end_data(st);
	if (!ok) {
		smtpd_reply(st, "503 5.5.1 Error: %s", !st->in_mail ?
		    "need MAIL command" : "need RCPT command");
		return true;
	}
	if (last)
		smtpdata_finish(&st->dec, &st->content);
	if (verdict(st)) {
		smtpd_reset(st);
		return true;
	}
	if (!last) {
		smtpd_reply(st, "250 2.0.0 Ok: %llu octets received",
		    st->cmd.chunk);
		return true;
	}
	finish(st);
	return true;
}
