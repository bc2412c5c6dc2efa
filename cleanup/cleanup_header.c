/*
 * cleanup_header - the header section: checked, never repaired beyond
 * what RFC 5322 allows (a broken one is refused with 5.6.0), then
 * prefixed with Received and completed with Message-ID, Date and, for
 * local submissions, From.  Fields are kept as written and in order;
 * unfolding is only for looking at values.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "cleanup.h"
#include "daemon.h"
#include "hdr.h"

static bool
name_is(const struct hdr_field *f, const char *name)
{
	return hdr_name_is(f->name, f->nlen, name);
}

/* unfold - the value of f with line breaks removed, for inspection. */
static void
unfold(const struct hdr_field *f, struct str *v)
{
	size_t i;

	str_clear(v);
	for (i = 0; i < f->vlen; i++)
		if (f->val[i] != '\n')
			str_catc(v, f->val[i]);
}

struct rcpt_ctx {
	struct cleanup_msg *m;
	struct str a;
};

static void
add_header_rcpt(void *ctx, const char *p, size_t n)
{
	struct rcpt_ctx *r = ctx;
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || p[i] == 0x7f)
			return;		/* not an address we can queue */
	str_copyb(&r->a, p, n);
	if (memchr(p, '@', n) == NULL)	/* "To: bob" means a local bob */
		str_catf(&r->a, "@%s", daemon_hostname());
	cleanup_add_rcpt(r->m, r->a.s, r->a.len);
}

/* parse - split hdr into fields (lib/mail/hdr), refusing what cannot be
 * a header. */
static enum cleanup_rc
parse(struct cleanup_msg *m, const char *hdr, size_t len,
    struct hdr_field **fp, size_t *nf)
{
	struct hdr_field *f = NULL, h;
	size_t pos = 0, n = 0, cap = 0, k;

	if (memchr(hdr, '\0', len) != NULL) {
		cleanup_fail(m, CLEANUP_FAIL, "5.6.0 NUL byte in the header "
		    "section");
		goto out;
	}
	while (hdr_next(hdr, len, &pos, &h)) {
		/* a first line can only be folded into nothing */
		if (h.raw[0] == ' ' || h.raw[0] == '\t') {
			cleanup_fail(m, CLEANUP_FAIL, "5.6.0 header "
			    "section starts with a continuation "
			    "line");
			goto out;
		}
		/* the colon must be on the field's first line */
		if (!h.colon || memchr(h.name, '\n', h.nlen) != NULL) {
			cleanup_fail(m, CLEANUP_FAIL, "5.6.0 malformed header "
			    "line (no colon) before the end of the header "
			    "section");
			goto out;
		}
		if (n == CLEANUP_FIELDS_MAX) {
			cleanup_fail(m, CLEANUP_FAIL, "5.6.0 more than %d "
			    "header fields", CLEANUP_FIELDS_MAX);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			f = xreallocarray(f, cap, sizeof(*f));
		}
		f[n++] = h;
		if (h.nlen == 0) {
			cleanup_fail(m, CLEANUP_FAIL, "5.6.0 empty header "
			    "field name");
			goto out;
		}
		for (k = 0; k < h.nlen; k++)
			if ((unsigned char)h.name[k] < 33 ||
			    (unsigned char)h.name[k] > 126) {
				cleanup_fail(m, CLEANUP_FAIL, "5.6.0 illegal "
				    "character in a header field name");
				goto out;
			}
	}
out:
	*fp = f;
	*nf = n;
	return m->rc;
}

static void
date_now(struct str *out)
{
	char d[64];
	struct tm tm;
	time_t t = time(NULL);

	localtime_r(&t, &tm);
	if (strftime(d, sizeof(d), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		d[0] = '\0';
	str_cats(out, d);
}

static void
received(struct cleanup_msg *m, struct str *out)
{
	const char *addr = attr_get(&m->facts, "client_addr");
	const char *name = attr_get(&m->facts, "client_name");
	const char *helo = attr_get(&m->facts, "helo");
	const char *proto = attr_get(&m->facts, "proto");
	const char *tls = attr_get(&m->facts, "tls");
	const char *auth = attr_get(&m->facts, "auth");
	const char *r;
	size_t n;
	bool ext;

	if (m->local) {
		str_catf(out, "Received: by %s (roost, from userid %u) id %s; ",
		    daemon_hostname(), (unsigned)m->uid, m->id);
		date_now(out);
		str_catc(out, '\n');
		return;
	}
	if (name == NULL || *name == '\0')
		name = "unknown";
	if (helo == NULL || *helo == '\0')
		helo = name;
	if (proto == NULL || *proto == '\0')
		proto = "SMTP";
	str_catf(out, "Received: from %s (%s [%s%s])\n", helo, name,
	    strchr(addr, ':') ? "IPv6:" : "", addr);
	if (tls && *tls)
		str_catf(out, "\t(using %s)\n", tls);
	if (auth && *auth)
		str_catf(out, "\t(authenticated sender: %s)\n", auth);
	/* RFC 3848 (and RFC 6531 3.7.3 for UTF8SMTP) protocol names for
	 * TLS and AUTH */
	ext = strcmp(proto, "ESMTP") == 0 || strcmp(proto, "UTF8SMTP") == 0;
	str_catf(out, "\tby %s (roost) with %s%s%s id %s",
	    daemon_hostname(), proto, ext && tls && *tls ? "S" : "",
	    ext && auth && *auth ? "A" : "", m->id);
	if (m->rcpt.n == 1) {
		r = m->rcpt.v[0].value.s;
		n = strcspn(r, " ");
		str_catf(out, "\n\tfor <%.*s>", (int)n, r);
	}
	str_cats(out, ";\n\t");
	date_now(out);
	str_catc(out, '\n');
}

/* from_header - From: for a local submission that has none. */
static void
from_header(struct cleanup_msg *m, struct str *out)
{
	const char *full = attr_get(&m->facts, "fullname");
	const char *p;

	if (full == NULL || *full == '\0')
		full = m->gecos.len ? m->gecos.s : NULL;
	str_cats(out, "From: ");
	if (full != NULL) {
		if (strpbrk(full, "()<>[]:;@\\,.\"") == NULL) {
			str_cats(out, full);
		} else {
			str_catc(out, '"');
			for (p = full; *p; p++) {
				if (*p == '"' || *p == '\\')
					str_catc(out, '\\');
				str_catc(out, *p);
			}
			str_catc(out, '"');
		}
		str_cats(out, " <");
	}
	if (m->sender.len > 0)
		str_cat(out, &m->sender);
	else
		str_catf(out, "%s@%s", m->login.s, daemon_hostname());
	str_cats(out, full != NULL ? ">\n" : "\n");
}

enum cleanup_rc
cleanup_header(struct cleanup_msg *m, const char *hdr, size_t len,
    struct str *out)
{
	struct rcpt_ctx rc = { m, STR_INIT };
	struct str v = STR_INIT;
	struct hdr_field *f;
	size_t nf, i;
	int has_mid = 0, has_date = 0, has_from = 0;

	if (parse(m, hdr, len, &f, &nf) != CLEANUP_OK) {
		free(f);
		return m->rc;
	}
	for (i = 0; i < nf; i++) {
		if (name_is(&f[i], "message-id"))
			has_mid = 1;
		else if (name_is(&f[i], "date"))
			has_date = 1;
		else if (name_is(&f[i], "from"))
			has_from = 1;
		else if (m->from_headers && (name_is(&f[i], "to") ||
		    name_is(&f[i], "cc") || name_is(&f[i], "bcc"))) {
			unfold(&f[i], &v);
			cleanup_addr_list(v.s, v.len, add_header_rcpt, &rc);
		}
	}
	str_clear(out);
	received(m, out);
	for (i = 0; i < nf; i++) {
		if (m->from_headers && name_is(&f[i], "bcc"))
			continue;
		str_catb(out, f[i].raw, f[i].rlen);
		if (f[i].raw[f[i].rlen - 1] != '\n')
			str_catc(out, '\n');	/* headers-only, no final LF */
	}
	if (!has_mid)
		str_catf(out, "Message-ID: <%s@%s>\n", m->id,
		    daemon_hostname());
	if (!has_date) {
		str_cats(out, "Date: ");
		date_now(out);
		str_catc(out, '\n');
	}
	if (!has_from && m->local)
		from_header(m, out);
	free(f);
	str_free(&v);
	str_free(&rc.a);
	return m->rc;
}
