/*
 * cleanup_envelope - checking a submit request and turning it into the
 * envelope of a queue entry; who the caller is decides what it may set.
 */
#include <stdarg.h>
#include <string.h>

#include "cleanup.h"
#include "daemon.h"
#include "log.h"

#define TEXT_MAX 4096		/* any single envelope value */

/* Only a trusted caller (smtpd) knows these; a local user could use them
 * to forge a Received header, so theirs are dropped. */
static const char *const session_facts[] = {
	"client_addr", "client_port", "client_name", "helo", "proto", "tls",
	"auth",
};

void
cleanup_fail(struct cleanup_msg *m, enum cleanup_rc rc, const char *fmt, ...)
{
	va_list ap;

	if (m->rc != CLEANUP_OK)
		return;		/* the first reason is the one that counts */
	m->rc = rc;
	str_clear(&m->reason);
	va_start(ap, fmt);
	str_vcatf(&m->reason, fmt, ap);
	va_end(ap);
}

void
cleanup_msg_reset(struct cleanup_msg *m)
{
	str_clear(&m->sender);
	str_clear(&m->params);
	attrs_clear(&m->rcpt);
	attrs_clear(&m->facts);
	m->from_headers = 0;
	m->local = 0;
	str_clear(&m->report_id);
	m->again = 0;
	m->id[0] = '\0';
	m->size = 0;
	m->in_body = 0;
	str_clear(&m->hdr);
	str_clear(&m->out);
	m->rc = CLEANUP_OK;
	str_clear(&m->reason);
}

/* text_ok - printable enough to end up in a header or a log line. */
static int
text_ok(const struct str *v)
{
	size_t i;

	if (v->len > TEXT_MAX)
		return 0;
	for (i = 0; i < v->len; i++)
		if ((unsigned char)v->s[i] < 0x20 || v->s[i] == 0x7f)
			return 0;
	return 1;
}

void
cleanup_add_rcpt(struct cleanup_msg *m, const char *addr, size_t n)
{
	size_t i;

	for (i = 0; i < m->rcpt.n; i++)
		if (m->rcpt.v[i].value.len == n &&
		    memcmp(m->rcpt.v[i].value.s, addr, n) == 0)
			return;
	attrs_add(&m->rcpt, "rcpt", addr, n);
}

static void
take_flags(struct cleanup_msg *m, const char *v)
{
	const char *p = v, *e;
	size_t n;

	while (*p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == strlen("rcpt_from_headers") &&
		    memcmp(p, "rcpt_from_headers", n) == 0)
			m->from_headers = 1;
		p += n;
		if (*p == ',')
			p++;
	}
}

enum cleanup_rc
cleanup_envelope(struct cleanup_msg *m, const struct attrs *req)
{
	const struct attr *a;
	const char *ca;
	size_t i, k;
	int have_sender = 0, fact;

	for (i = 0; i < req->n && m->rc == CLEANUP_OK; i++) {
		a = &req->v[i];
		if (strcmp(a->name, "request") == 0)
			continue;
		if (!text_ok(&a->value)) {
			cleanup_fail(m, CLEANUP_FAIL, "5.5.2 bad %s value",
			    a->name);
			break;
		}
		if (strcmp(a->name, "sender") == 0) {
			str_copyb(&m->sender, a->value.s, a->value.len);
			have_sender = 1;
		} else if (strcmp(a->name, "mail_params") == 0) {
			str_copyb(&m->params, a->value.s, a->value.len);
		} else if (strcmp(a->name, "rcpt") == 0) {
			if (a->value.len == 0 || a->value.s[0] == ' ')
				cleanup_fail(m, CLEANUP_FAIL,
				    "5.1.3 bad recipient");
			else
				cleanup_add_rcpt(m, a->value.s,
				    a->value.len);
		} else if (strcmp(a->name, "flags") == 0) {
			take_flags(m, a->value.s);
			attrs_add(&m->facts, "flags", a->value.s,
			    a->value.len);
		} else if (strcmp(a->name, "report_id") == 0 && m->reporter) {
			/* qmgr's own reports only: anyone else could have
			 * a report suppressed by claiming its ID first */
			if (!cleanup_report_id_valid(a->value.s))
				cleanup_fail(m, CLEANUP_FAIL,
				    "5.5.4 bad report_id");
			else
				str_copys(&m->report_id, a->value.s);
		} else if (strcmp(a->name, "fullname") == 0) {
			attrs_add(&m->facts, "fullname", a->value.s,
			    a->value.len);
		} else {
			fact = 0;
			for (k = 0; k < sizeof(session_facts) /
			    sizeof(session_facts[0]); k++)
				if (strcmp(a->name, session_facts[k]) == 0)
					fact = 1;
			if (fact && m->trusted)
				attrs_add(&m->facts, a->name, a->value.s,
				    a->value.len);
			else if (!fact)
				log_debug("ignoring attribute %s", a->name);
		}
	}
	if (m->rc != CLEANUP_OK)
		return m->rc;
	/* root's cron job through sendmail is as local as anyone's */
	ca = attr_get(&m->facts, "client_addr");
	m->local = !m->trusted || ca == NULL || *ca == '\0';
	if (m->local) {
		attrs_add(&m->facts, "local_user", m->login.s, m->login.len);
		if (!have_sender)
			str_copyf(&m->sender, "%s@%s", m->login.s,
			    daemon_hostname());
	}
	if (m->rcpt.n == 0 && !m->from_headers)
		cleanup_fail(m, CLEANUP_FAIL, "5.5.1 no recipients");
	return m->rc;
}
