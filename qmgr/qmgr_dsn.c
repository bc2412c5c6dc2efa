/*
 * qmgr_dsn - delivery status notifications (RFC 3464): a
 * multipart/report with a human text/plain part, the
 * message/delivery-status part and the original message (or only its
 * header for RET=HDRS), cut at bounce_size_limit.  The report is queued
 * like any message, through cleanup, from the null sender, so a report
 * that cannot be delivered is dropped rather than bounced again.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "attr.h"
#include "log.h"
#include "qmgr.h"
#include "submit.h"

void
qmgr_rfc822_date(uint64_t us, struct str *out)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	str_copys(out, buf);
}

/* param - the value of NAME= in a parameter list ("" when bare), or
 * NULL when absent. */
static const char *
param(const char *params, const char *name, struct str *out)
{
	size_t n = strlen(name);
	const char *p = params, *end;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		if (strncasecmp(p, name, n) == 0 &&
		    (p[n] == '=' || p + n == end)) {
			str_copyb(out, p + n + (p[n] == '='),
			    (size_t)(end - p) - n - (p[n] == '='));
			return out->s ? out->s : "";
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

struct copy {
	struct str *out;
	size_t left;		/* bytes we may still add */
	bool headers_only, in_body, bol;
};

/* copy_original - the original message into the report, with header
 * only for RET=HDRS and at most bounce_size_limit bytes. */
static int
copy_original(void *arg, const char *p, size_t n)
{
	struct copy *c = arg;
	size_t i, take = 0;

	if (c->in_body || c->left == 0)
		return 0;
	for (i = 0; i < n && take < c->left; i++) {
		take++;
		if (c->headers_only && p[i] == '\n') {
			if (c->bol) {
				c->in_body = true;
				break;
			}
			c->bol = true;
		} else if (p[i] != '\n')
			c->bol = false;
	}
	str_catb(c->out, p, take);
	c->left -= take;
	return 0;
}

static const char *
subject(enum qmgr_dsn_kind k)
{
	return k == QMGR_DSN_FAILED ? "Undelivered Mail Returned to Sender" :
	    k == QMGR_DSN_DELAYED ? "Delayed Mail (still being retried)" :
	    k == QMGR_DSN_UNKNOWN ? "Postmaster notify: command outcome "
	    "unknown" : "Successful Mail Delivery Report";
}

static void
human_part(struct str *m, const struct queue_env *e,
    enum qmgr_dsn_kind kind, const struct qmgr_dsn_rcpt *r, size_t n)
{
	size_t i;

	str_catf(m, "This is the mail system at host %s.\n\n",
	    qmgr_conf.hostname);
	if (kind == QMGR_DSN_FAILED)
		str_cats(m, "I'm sorry to have to inform you that your "
		    "message could not\nbe delivered to one or more "
		    "recipients. It's attached below.\n\n");
	else if (kind == QMGR_DSN_DELAYED)
		str_catf(m, "Your message could not be delivered for more "
		    "than %llu seconds.\nIt will be retried until it is "
		    "%llu seconds old.\n\n",
		    (unsigned long long)(qmgr_conf.warn_us / 1000000),
		    (unsigned long long)(qmgr_conf.lifetime_us / 1000000));
	else if (kind == QMGR_DSN_UNKNOWN)
		str_cats(m, "A command was running for the message below "
		    "when its delivery was\ninterrupted (qmgr stopped or "
		    "crashed, or pipe was lost), so whether\nit did its work "
		    "is unknown.  It is not run again, as it may not be\n"
		    "safe to repeat: check its effect by hand.  An alias can "
		    "mark a command\nsafe to repeat with \":repeat:|command\" "
		    "(aliases(5), pipe(8)).\n\n");
	else
		str_cats(m, "Your message was successfully delivered to the "
		    "destination(s)\nlisted below.\n\n");
	for (i = 0; i < n; i++)
		str_catf(m, "<%s>: %s\n", r[i].addr, r[i].diag);
	str_catf(m, "\nQueue ID: %s\n", e->id);
}

static void
status_part(struct str *m, const struct queue_env *e,
    enum qmgr_dsn_kind kind, const struct qmgr_dsn_rcpt *r, size_t n)
{
	struct str d = STR_INIT, v = STR_INIT;
	size_t i;

	str_catf(m, "Reporting-MTA: dns; %s\n", qmgr_conf.hostname);
	str_catf(m, "X-Roost-Queue-ID: %s\n", e->id);
	if (param(e->params.s, "ENVID", &v) != NULL)
		str_catf(m, "Original-Envelope-Id: %s\n", v.s ? v.s : "");
	qmgr_rfc822_date(e->arrival_us, &d);
	str_catf(m, "Arrival-Date: %s\n", d.s);
	for (i = 0; i < n; i++) {
		str_catf(m, "\nFinal-Recipient: rfc822; %s\n", r[i].addr);
		if (r[i].orcpt != NULL) {
			const char *semi = strchr(r[i].orcpt, ';');

			if (semi != NULL)
				str_catf(m, "Original-Recipient: %.*s; %s\n",
				    (int)(semi - r[i].orcpt), r[i].orcpt,
				    semi + 1);
		}
		str_catf(m, "Action: %s\n", kind == QMGR_DSN_FAILED ?
		    "failed" : kind == QMGR_DSN_DELAYED ? "delayed" :
		    "delivered");	/* UNKNOWN: as far as the sender knows */
		str_catf(m, "Status: %s\n", r[i].status);
		str_catf(m, "Diagnostic-Code: smtp; %s\n", r[i].diag);
		qmgr_rfc822_date(r[i].last_us, &d);
		str_catf(m, "Last-Attempt-Date: %s\n", d.s);
		if (kind == QMGR_DSN_DELAYED) {
			qmgr_rfc822_date(e->arrival_us +
			    qmgr_conf.lifetime_us, &d);
			str_catf(m, "Will-Retry-Until: %s\n", d.s);
		}
	}
	str_free(&d);
	str_free(&v);
}

/* printable - a copy safe for a header line (no CR, LF or controls). */
static void
printable(const char *s, struct str *out)
{
	str_clear(out);
	for (; *s; s++)
		str_catc(out, (unsigned char)*s < 0x20 ? '?' : *s);
}

int
qmgr_dsn_send(const struct queue_env *e, const char *path,
    enum qmgr_dsn_kind kind, const struct qmgr_dsn_rcpt *r, size_t n,
    const char *report_id, struct str *qid, struct str *err)
{
	const char *to = kind == QMGR_DSN_UNKNOWN ? "postmaster" :
	    str_cstr(&e->sender);
	struct str m = STR_INIT, v = STR_INIT, boundary = STR_INIT,
	    tmp = STR_INIT;
	struct attrs env = ATTRS_INIT;
	struct submit s;
	struct copy c;
	enum submit_rc rc;
	bool hdrs, eightbit;

	hdrs = param(e->params.s, "RET", &v) != NULL &&
	    strcasecmp(v.s ? v.s : "", "HDRS") == 0;
	eightbit = param(e->params.s, "BODY", &v) != NULL &&
	    strcasecmp(v.s ? v.s : "", "8BITMIME") == 0;
	str_copyf(&boundary, "%s.%llu/%s", e->id,
	    (unsigned long long)qmgr_now_us(), qmgr_conf.hostname);
	str_catf(&m, "From: MAILER-DAEMON@%s (Mail Delivery System)\n",
	    qmgr_conf.hostname);
	printable(to, &tmp);
	str_catf(&m, "To: <%s>\n", tmp.s ? tmp.s : "");
	str_catf(&m, "Subject: %s\n", subject(kind));
	str_cats(&m, "Auto-Submitted: auto-replied\n");
	str_cats(&m, "MIME-Version: 1.0\n");
	str_catf(&m, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"%s\"\n", boundary.s);
	str_catf(&m, "Content-Transfer-Encoding: %s\n\n",
	    eightbit ? "8bit" : "7bit");
	str_cats(&m, "This is a MIME-encapsulated message.\n\n");
	str_catf(&m, "--%s\nContent-Description: Notification\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n", boundary.s);
	human_part(&m, e, kind, r, n);
	str_catf(&m, "\n--%s\nContent-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n\n", boundary.s);
	status_part(&m, e, kind, r, n);
	if (kind == QMGR_DSN_UNKNOWN)
		hdrs = true;	/* the postmaster needs no body */
	if (kind != QMGR_DSN_DELIVERED || !hdrs) {
		str_catf(&m, "\n--%s\nContent-Description: %s\n"
		    "Content-Type: %s\n\n", boundary.s,
		    hdrs ? "Undelivered Message Headers" :
		    "Undelivered Message",
		    hdrs ? "text/rfc822-headers" : "message/rfc822");
		c.out = &m;
		c.left = qmgr_conf.bounce_limit;
		c.headers_only = hdrs;
		c.in_body = false;
		c.bol = true;
		if (queue_read_content(path, copy_original, &c, err) < 0)
			goto fail;
		if (m.len > 0 && m.s[m.len - 1] != '\n')
			str_catc(&m, '\n');
	}
	str_catf(&m, "\n--%s--\n", boundary.s);

	attrs_add(&env, "sender", "", 0);
	if (eightbit)
		attrs_add(&env, "mail_params", "BODY=8BITMIME", 13);
	attrs_add(&env, "rcpt", to, strlen(to));
	attrs_add(&env, "report_id", report_id, strlen(report_id));
	if (submit_open(&s, qmgr_conf.cleanup_path.s, 10000) != SUBMIT_OK)
		goto sfail;
	if ((rc = submit_begin(&s, &env)) != SUBMIT_OK ||
	    (rc = submit_data(&s, m.s, m.len)) != SUBMIT_OK ||
	    (rc = submit_end(&s)) != SUBMIT_OK)
		goto sfail;
	log_info("%s: %s %s notification: %s", e->id,
	    kind == QMGR_DSN_UNKNOWN ? "postmaster" : "sender",
	    kind == QMGR_DSN_FAILED ? "non-delivery" : kind ==
	    QMGR_DSN_DELAYED ? "delay" : kind == QMGR_DSN_UNKNOWN ?
	    "unknown outcome" : "delivery", s.queue_id);
	str_copys(qid, s.queue_id);
	submit_close(&s);
	attrs_free(&env);
	str_free(&m);
	str_free(&v);
	str_free(&boundary);
	str_free(&tmp);
	return 0;
sfail:
	str_copyf(err, "%s", s.reason.s ? s.reason.s : "cleanup failed");
	submit_close(&s);
fail:
	attrs_free(&env);
	str_free(&m);
	str_free(&v);
	str_free(&boundary);
	str_free(&tmp);
	return -1;
}
