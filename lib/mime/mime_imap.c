/*
 * mime_imap - the IMAP renderings of a parsed message: ENVELOPE, BODY
 * and BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2), and IMAP strings.
 *
 * The output follows Dovecot 2.3 octet for octet where we checked it
 * (t/unit/test-mime.c holds the cases): types, subtypes, encodings and
 * parameters keep the case of the message, defaults are lower case
 * ("text" "plain" "7bit"), and message/rfc822 is always lower case;
 * a text type without a charset is given ("charset" "us-ascii"); a
 * multipart without parts (or without a boundary) holds one empty
 * text/plain; Content-Language is always a list; the first of each
 * Content-* field counts, except that a later Content-Disposition
 * replaces one without parameters; a message without MIME-Version and
 * Content-Type has no MIME fields at all.  Deliberate differences:
 * strings over 1024 octets are sent as literals (Dovecot quotes them); a
 * lone extended RFC 2231 parameter "a*" keeps its name (Dovecot writes
 * "a*1*"); a message/rfc822 cut off at MIME_DEPTH_MAX is shown as
 * application/octet-stream, since a "message" "rfc822" body must carry
 * an envelope and a structure.  Recursion below is over the part tree,
 * whose depth the parser bounds.
 */
#include <string.h>
#include <strings.h>

#include "mime_int.h"

/* Quoted strings longer than this become literals: some clients and
 * servers cap quoted strings (and line lengths) near 1000 octets. */
#define QUOTED_MAX 1024

void
mime_quote(struct str *out, const char *s, size_t n)
{
	size_t i;
	bool lit = n > QUOTED_MAX;

	/* IMAP4rev1 quoted strings are 7-bit TEXT-CHARs (RFC 3501 9):
	 * CR, LF, NUL and 8-bit octets can only travel in a literal. */
	for (i = 0; i < n && !lit; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0' ||
		    (unsigned char)s[i] >= 0x80)
			lit = true;
	if (lit) {
		/* No literal but literal8 may hold NUL (RFC 3516): one in a
		 * header becomes 0x80, as Dovecot does, keeping the length. */
		str_catf(out, "{%zu}\r\n", n);
		for (i = 0; i < n; i++)
			str_catc(out, s[i] != '\0' ? s[i] : (char)0x80);
		return;
	}
	str_ready(out, n + 2);
	str_catc(out, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			str_catc(out, '\\');
		str_catc(out, s[i]);
	}
	str_catc(out, '"');
}

void
mime_nstring(struct str *out, const char *s, size_t n)
{
	if (s == NULL)
		str_cats(out, "NIL");
	else
		mime_quote(out, s, n);
}

void
mime_quote_human(struct str *out, const char *s, size_t n)
{
	struct str t = STR_INIT;
	bool modify = false, lwsp = true;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (c != ' ' || lwsp)
				modify = true;
			lwsp = true;
		} else {
			if (c == '"' || c == '\\' || c == 0 || c >= 0x80)
				modify = true;
			lwsp = false;
		}
	}
	if (n > 0 && lwsp)
		modify = true;
	if (!modify) {
		mime_quote(out, s, n);
		return;
	}
	/* one space for each run of white space, none at either end,
	 * no NULs; the result goes out as a literal like Dovecot's */
	lwsp = true;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			if (!lwsp)
				str_catc(&t, ' ');
			lwsp = true;
		} else if (c != '\0') {
			str_catc(&t, c);
			lwsp = false;
		}
	}
	if (t.len > 0 && t.s[t.len - 1] == ' ')
		t.len--;
	if (t.len == 0)
		str_cats(out, "\"\"");
	else {
		str_catf(out, "{%zu}\r\n", t.len);
		str_catb(out, t.s, t.len);
	}
	str_free(&t);
}

/* nstring_field - the unfolded, trimmed value, or NIL */
static void
nstring_field(struct str *out, const struct hdr_field *f, bool have)
{
	struct str t = STR_INIT;
	const char *v;
	size_t n;

	if (!have) {
		str_cats(out, "NIL");
		return;
	}
	/* as Dovecot: blanks before the value go, folding is removed,
	 * the rest stays */
	v = f->val;
	n = f->vlen;
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	mime_unfold(v, n, &t);
	mime_quote(out, t.s ? t.s : "", t.len);
	str_free(&t);
}

/* ---- ENVELOPE ---- */

enum { E_DATE, E_SUBJECT, E_FROM, E_SENDER, E_REPLY_TO, E_TO, E_CC, E_BCC,
	E_IN_REPLY_TO, E_MESSAGE_ID, E_N };
static const char *const env_names[E_N] = { "Date", "Subject", "From",
	"Sender", "Reply-To", "To", "Cc", "Bcc", "In-Reply-To", "Message-ID" };

/* addresses - every field `name` of p's header as one address list */
static void
addresses(const struct mime *m, const struct mime_part *p, const char *name,
    struct str *out)
{
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len;
	struct hdr_field f;
	struct str one = STR_INIT;
	bool any = false;

	while (hdr_next(m->msg, end, &pos, &f)) {
		if (!f.colon || !hdr_name_is(f.name, f.nlen, name))
			continue;
		str_clear(&one);
		mime_addr_list(f.val, f.vlen, &one);
		if (str_eqs(&one, "NIL"))
			continue;
		/* "((a)(b))": the inner "(a)(b)" joins the list */
		if (!any)
			str_catc(out, '(');
		str_catb(out, one.s + 1, one.len - 2);
		any = true;
	}
	str_cats(out, any ? ")" : "NIL");
	str_free(&one);
}

static void
envelope(const struct mime *m, const struct mime_part *p, struct str *out)
{
	struct hdr_field f[E_N], cur;
	bool have[E_N] = { false };
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len, k, n;
	struct str from = STR_INIT, tmp = STR_INIT;
	const char *v;

	/* the last of each field counts, as in Dovecot; address lists
	 * are gathered from every occurrence below */
	while (hdr_next(m->msg, end, &pos, &cur)) {
		if (!cur.colon)
			continue;
		for (k = 0; k < E_N; k++)
			if (hdr_name_is(cur.name, cur.nlen, env_names[k])) {
				f[k] = cur;
				have[k] = true;
			}
	}
	addresses(m, p, "From", &from);
	str_catc(out, '(');
	for (k = 0; k < E_N; k++) {
		if (k > 0)
			str_catc(out, ' ');
		if (!have[k] && k != E_SENDER && k != E_REPLY_TO) {
			str_cats(out, "NIL");
			continue;
		}
		switch (k) {
		case E_SUBJECT:
			v = f[k].val;
			n = f[k].vlen;
			while (n > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				n--;
			}
			mime_quote_human(out, v, n);
			break;
		case E_DATE:
		case E_IN_REPLY_TO:
		case E_MESSAGE_ID:
			/* raw, as Dovecot: unfolded, leading blanks gone */
			str_clear(&tmp);
			mime_unfold(f[k].val, f[k].vlen, &tmp);
			v = tmp.s ? tmp.s : "";
			n = tmp.len;
			while (n > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				n--;
			}
			mime_quote(out, v, n);
			break;
		case E_SENDER:
		case E_REPLY_TO:
			/* RFC 3501: default to From when absent or empty */
			str_clear(&tmp);
			addresses(m, p, env_names[k], &tmp);
			if (str_eqs(&tmp, "NIL"))
				str_cat(out, &from);
			else
				str_cat(out, &tmp);
			break;
		default:
			if (k == E_FROM)
				str_cat(out, &from);
			else
				addresses(m, p, env_names[k], out);
		}
	}
	str_catc(out, ')');
	str_free(&from);
	str_free(&tmp);
}

void
mime_envelope(const struct mime *m, struct str *out)
{
	envelope(m, &m->p[0], out);
}

/* ---- BODY / BODYSTRUCTURE ---- */

enum { F_CT, F_CTE, F_ID, F_DESC, F_MD5, F_DISP, F_LANG, F_LOC, F_N };
static const char *const part_names[F_N] = { "Content-Type",
	"Content-Transfer-Encoding", "Content-ID", "Content-Description",
	"Content-MD5", "Content-Disposition", "Content-Language",
	"Content-Location" };

struct fields {
	struct hdr_field f[F_N];
	bool have[F_N];
};

static bool
has_params(const struct hdr_field *f)
{
	struct mime_ct d;
	bool r;

	mime_ct_parse(f->val, f->vlen, false, &d);
	r = d.n > 0;
	mime_ct_free(&d);
	return r;
}

static void
part_fields(const struct mime *m, const struct mime_part *p,
    struct fields *fs)
{
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len, k;
	struct hdr_field cur;
	bool mime, disp_params = false;

	/* a part of a multipart is MIME; a message (the top one or an
	 * encapsulated one) only with MIME-Version or Content-Type, else
	 * Dovecot ignores its other Content-* fields, and so do we */
	mime = p->parent != MIME_NONE && m->p[p->parent].kind == MIME_MULTI;
	memset(fs->have, 0, sizeof(fs->have));
	while (hdr_next(m->msg, end, &pos, &cur)) {
		if (!cur.colon)
			continue;
		if (hdr_name_is(cur.name, cur.nlen, "MIME-Version"))
			mime = true;
		if (cur.nlen < 8 || strncasecmp(cur.name, "Content-", 8) != 0)
			continue;
		/* the first of each counts; a later Disposition replaces
		 * one without parameters (what Dovecot does) */
		for (k = 0; k < F_N; k++) {
			if (!hdr_name_is(cur.name, cur.nlen, part_names[k]) ||
			    (fs->have[k] && (k != F_DISP || disp_params)))
				continue;
			fs->f[k] = cur;
			fs->have[k] = true;
			if (k == F_DISP)
				disp_params = has_params(&cur);
		}
	}
	if (!mime && !fs->have[F_CT])
		memset(fs->have, 0, sizeof(fs->have));
}

static void
params(struct str *out, const struct mime_ct *ct, bool add_charset)
{
	size_t i;

	if (ct->n == 0 && !add_charset) {
		str_cats(out, "NIL");
		return;
	}
	str_catc(out, '(');
	for (i = 0; i < ct->n; i++) {
		if (i > 0)
			str_catc(out, ' ');
		mime_quote(out, ct->p[i].name, ct->p[i].nlen);
		str_catc(out, ' ');
		mime_quote(out, ct->p[i].val.s ? ct->p[i].val.s : "",
		    ct->p[i].val.len);
	}
	if (add_charset)
		str_cats(out, i > 0 ? " \"charset\" \"us-ascii\"" :
		    "\"charset\" \"us-ascii\"");
	str_catc(out, ')');
}

static void
disposition(struct str *out, const struct fields *fs)
{
	struct mime_ct d;

	if (!fs->have[F_DISP]) {
		str_cats(out, "NIL");
		return;
	}
	mime_ct_parse(fs->f[F_DISP].val, fs->f[F_DISP].vlen, false, &d);
	str_catc(out, '(');
	mime_quote(out, d.type, d.tlen);
	str_catc(out, ' ');
	params(out, &d, false);
	str_catc(out, ')');
	mime_ct_free(&d);
}

/* language - Content-Language (RFC 3282): a list of tags, or NIL */
static void
language(struct str *out, const struct fields *fs)
{
	const char *s = fs->f[F_LANG].val;
	size_t n = fs->f[F_LANG].vlen, i = 0, st, cnt = 0;

	if (fs->have[F_LANG]) {
		for (;;) {
			i = mime_cfws(s, n, i);
			while (i < n && s[i] == ',')
				i = mime_cfws(s, n, i + 1);
			if (i >= n)
				break;
			st = i;
			while (i < n && s[i] != ',' && s[i] != ' ' &&
			    s[i] != '\t' && s[i] != '(' && s[i] != '\r' &&
			    s[i] != '\n')
				i++;
			str_cats(out, cnt++ ? " " : "(");
			mime_quote(out, s + st, i - st);
			/* tags are separated by commas; junk ends the list */
			i = mime_cfws(s, n, i);
			if (i < n && s[i] != ',')
				break;
		}
	}
	str_cats(out, cnt ? ")" : "NIL");
}

static void
extension(struct str *out, const struct fields *fs)
{
	str_catc(out, ' ');
	disposition(out, fs);
	str_catc(out, ' ');
	language(out, fs);
	str_catc(out, ' ');
	nstring_field(out, &fs->f[F_LOC], fs->have[F_LOC]);
}

#define EMPTY_PART "(\"text\" \"plain\" (\"charset\" \"us-ascii\") " \
	"NIL NIL \"7bit\" 0 0"

static void
body(const struct mime *m, size_t idx, bool ext, struct str *out)
{
	const struct mime_part *p = &m->p[idx];
	struct fields fs;
	struct mime_ct ct;
	bool text;
	size_t c;

	part_fields(m, p, &fs);
	if (fs.have[F_CT]) {
		mime_ct_parse(fs.f[F_CT].val, fs.f[F_CT].vlen, true, &ct);
	} else
		mime_part_ct(m, p, &ct);
	str_catc(out, '(');
	/* a multipart without a boundary (or past the depth limit) is
	 * still shown as one, with a single empty part like Dovecot */
	if (p->kind == MIME_MULTI || p->no_parts) {
		if (p->child == MIME_NONE)
			str_cats(out, ext ? EMPTY_PART " NIL NIL NIL NIL)" :
			    EMPTY_PART ")");
		for (c = p->child; c != MIME_NONE; c = m->p[c].next)
			body(m, c, ext, out);
		str_catc(out, ' ');
		mime_quote(out, ct.sub, ct.slen);
		if (ext) {
			str_catc(out, ' ');
			params(out, &ct, false);
			extension(out, &fs);
		}
		str_catc(out, ')');
		mime_ct_free(&ct);
		return;
	}
	if (p->opaque) {
		text = false;
		str_cats(out, "\"application\" \"octet-stream\" ");
	} else if (p->kind == MIME_MSG) {
		text = false;	/* Dovecot writes these two in lower case */
		str_cats(out, "\"message\" \"rfc822\" ");
	} else {
		text = hdr_name_is(ct.type, ct.tlen, "text");
		mime_quote(out, ct.type, ct.tlen);
		str_catc(out, ' ');
		mime_quote(out, ct.sub, ct.slen);
		str_catc(out, ' ');
	}
	params(out, &ct, text && mime_ct_param(&ct, "charset") == NULL);
	str_catc(out, ' ');
	nstring_field(out, &fs.f[F_ID], fs.have[F_ID]);
	str_catc(out, ' ');
	nstring_field(out, &fs.f[F_DESC], fs.have[F_DESC]);
	str_catc(out, ' ');
	if (fs.have[F_CTE]) {
		/* one token and nothing else, or it counts as absent */
		const char *v = fs.f[F_CTE].val;
		size_t n = fs.f[F_CTE].vlen, b = mime_cfws(v, n, 0), e = b;

		while (e < n && (unsigned char)v[e] > ' ' && v[e] != '(' &&
		    v[e] != ';' && v[e] != 0x7f)
			e++;
		if (e > b && mime_cfws(v, n, e) == n)
			mime_quote(out, v + b, e - b);
		else
			str_cats(out, "\"7bit\"");
	} else
		str_cats(out, "\"7bit\"");
	str_catf(out, " %zu", p->body_len);
	if (text)
		str_catf(out, " %zu", p->lines);
	if (p->kind == MIME_MSG && p->child != MIME_NONE) {
		str_catc(out, ' ');
		envelope(m, &m->p[p->child], out);
		str_catc(out, ' ');
		body(m, p->child, ext, out);
		str_catf(out, " %zu", p->lines);
	}
	if (ext) {
		str_catc(out, ' ');
		nstring_field(out, &fs.f[F_MD5], fs.have[F_MD5]);
		extension(out, &fs);
	}
	str_catc(out, ')');
	mime_ct_free(&ct);
}

void
mime_bodystructure(const struct mime *m, bool extended, struct str *out)
{
	body(m, 0, extended, out);
}
