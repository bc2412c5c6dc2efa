/*
 * mime_imap - the IMAP renderings of a parsed message: ENVELOPE, BODY
 * and BODYSTRUCTURE (RFC 3501 7.4.2, RFC 9051 7.5.2), BODY[section]
 * and BINARY[part] (RFC 3516).
 *
 * The output follows Dovecot 2.3 octet for octet where we checked:
 * types, subtypes, encodings and parameter names keep the case of the
 * message (defaults are lower case: "text" "plain" "7bit"); text/\*
 * without a charset gets ("charset" "us-ascii") appended; a multipart
 * without parts holds one empty text/plain; Content-Language is always
 * a list.  Differences: strings over 1024 octets are sent as literals
 * (Dovecot quotes them); a lone extended RFC 2231 parameter "a*" keeps
 * its name (Dovecot writes "a*1*"); a multipart or message/rfc822 cut
 * off at MIME_DEPTH_MAX is shown as application/octet-stream, since a
 * "message" "rfc822" body must carry an envelope and a structure.
 * Recursion below is over the part tree, whose depth the parser bounds.
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
		str_catf(out, "{%zu}\r\n", n);
		str_catb(out, s, n);
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

/* value - a field value without surrounding white space */
static void
field_value(const struct mime_field *f, const char **v, size_t *n)
{
	size_t b = 0, e = f->vlen;

	mime_trim(f->val, &b, &e);
	*v = f->val + b;
	*n = e - b;
}

/* nstring_field - the unfolded, trimmed value, or NIL */
static void
nstring_field(struct str *out, const struct mime_field *f, bool have)
{
	struct str t = STR_INIT;
	const char *v;
	size_t n;

	if (!have) {
		str_cats(out, "NIL");
		return;
	}
	field_value(f, &v, &n);
	mime_unfold(v, n, &t);
	mime_quote(out, t.s ? t.s : "", t.len);
	str_free(&t);
}

/* ---- ENVELOPE ---- */

enum { E_DATE, E_SUBJECT, E_FROM, E_SENDER, E_REPLY_TO, E_TO, E_CC, E_BCC,
	E_IN_REPLY_TO, E_MESSAGE_ID, E_N };
static const char *const env_names[E_N] = { "Date", "Subject", "From",
	"Sender", "Reply-To", "To", "Cc", "Bcc", "In-Reply-To", "Message-ID" };

static void
envelope(const struct mime *m, const struct mime_part *p, struct str *out)
{
	struct mime_field f[E_N], cur;
	bool have[E_N] = { false };
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len, k, n;
	struct str from = STR_INIT, tmp = STR_INIT;
	const char *v;

	while (mime_field_next(m->msg, end, &pos, &cur)) {
		if (!cur.colon)
			continue;
		for (k = 0; k < E_N; k++)
			if (!have[k] &&
			    mime_name_is(cur.name, cur.nlen, env_names[k])) {
				f[k] = cur;
				have[k] = true;
			}
	}
	if (have[E_FROM])
		mime_addr_list(f[E_FROM].val, f[E_FROM].vlen, &from);
	else
		str_cats(&from, "NIL");
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
			if (have[k])
				mime_addr_list(f[k].val, f[k].vlen, &tmp);
			if (!have[k] || str_eqs(&tmp, "NIL"))
				str_cat(out, &from);
			else
				str_cat(out, &tmp);
			break;
		default:
			if (k == E_FROM)
				str_cat(out, &from);
			else
				mime_addr_list(f[k].val, f[k].vlen, out);
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
	struct mime_field f[F_N];
	bool have[F_N];
};

static void
part_fields(const struct mime *m, const struct mime_part *p,
    struct fields *fs)
{
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len, k;
	struct mime_field cur;

	memset(fs->have, 0, sizeof(fs->have));
	while (mime_field_next(m->msg, end, &pos, &cur)) {
		if (!cur.colon || cur.nlen < 8 ||
		    strncasecmp(cur.name, "Content-", 8) != 0)
			continue;
		for (k = 0; k < F_N; k++)
			if (!fs->have[k] &&
			    mime_name_is(cur.name, cur.nlen, part_names[k])) {
				fs->f[k] = cur;
				fs->have[k] = true;
			}
	}
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
	struct mime_ct ct, cte;
	bool text;
	size_t c;

	part_fields(m, p, &fs);
	if (fs.have[F_CT]) {
		mime_ct_parse(fs.f[F_CT].val, fs.f[F_CT].vlen, true, &ct);
	} else
		mime_part_ct(m, p, &ct);
	str_catc(out, '(');
	if (p->kind == MIME_MULTI) {
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
	} else {
		text = mime_name_is(ct.type, ct.tlen, "text");
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
		mime_ct_parse(fs.f[F_CTE].val, fs.f[F_CTE].vlen, false, &cte);
		if (cte.tlen > 0)
			mime_quote(out, cte.type, cte.tlen);
		else
			str_cats(out, "\"7bit\"");
		mime_ct_free(&cte);
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

/* ---- BODY[section] and BINARY[part] ---- */

/* child_n - the k-th (1-based) body part of message or multipart c:
 * the k-th child of a multipart, else part 1 is the body itself. */
static size_t
child_n(const struct mime *m, size_t c, unsigned long k)
{
	size_t i;

	if (m->p[c].kind != MIME_MULTI)
		return k == 1 ? c : MIME_NONE;
	for (i = m->p[c].child; i != MIME_NONE && k > 1; i = m->p[i].next)
		k--;
	return i;
}

/* part_path - walk "1.2.3" from *sp; stops after the last number (at a
 * "." followed by a letter, or the end).  *ent is the part or
 * MIME_NONE when there is no such part; -1 for bad syntax. */
static int
part_path(const struct mime *m, const char **sp, size_t *ent, bool *any)
{
	const char *s = *sp;
	size_t c = 0, e = MIME_NONE;
	bool gone = false;

	*any = false;
	while (*s >= '0' && *s <= '9') {
		unsigned long k = 0;

		if (*s == '0')
			return -1;
		while (*s >= '0' && *s <= '9') {
			if (k > 100000000UL)
				return -1;
			k = k * 10 + (unsigned long)(*s++ - '0');
		}
		if (*any && !gone) {
			/* descend into the previous part */
			if (m->p[e].kind == MIME_MULTI)
				c = e;
			else if (m->p[e].kind == MIME_MSG &&
			    m->p[e].child != MIME_NONE)
				c = m->p[e].child;
			else
				gone = true;
		}
		*any = true;
		if (!gone && (e = child_n(m, c, k)) == MIME_NONE)
			gone = true;
		if (*s != '.')
			break;
		if (s[1] < '0' || s[1] > '9') {
			s++;	/* the "." before a section text */
			break;
		}
		s++;
	}
	*sp = s;
	*ent = gone ? MIME_NONE : e;
	return 0;
}

static bool
word(const char **sp, const char *w)
{
	size_t n = strlen(w);

	if (strncasecmp(*sp, w, n) != 0)
		return false;
	*sp += n;
	return true;
}

static void
range(const struct mime *m, size_t off, size_t len, struct str *out)
{
	if (off > m->len)
		return;
	if (len > m->len - off)
		len = m->len - off;
	str_catb(out, m->msg + off, len);
}

/* field_list - "(A B "C")" into names ("A\0B\0C\0"); false if bad */
static bool
field_list(const char *s, struct str *names)
{
	if (*s++ != ' ' || *s++ != '(')
		return false;
	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == ')')
			return s[1] == '\0' && names->len > 0;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				str_catc(names, *s);
			}
			if (*s++ != '"')
				return false;
		} else {
			const char *st = s;

			while (*s && *s != ' ' && *s != ')' && *s != '(' &&
			    *s != '"' && (unsigned char)*s > ' ' &&
			    (unsigned char)*s < 0x7f)
				s++;
			if (s == st)
				return false;
			str_catb(names, st, (size_t)(s - st));
		}
		str_catc(names, '\0');
	}
}

static bool
in_list(const struct str *names, const char *n, size_t len)
{
	size_t i = 0;

	while (i < names->len) {
		size_t l = strlen(names->s + i);

		if (l == len && strncasecmp(names->s + i, n, len) == 0)
			return true;
		i += l + 1;
	}
	return false;
}

static void
header_fields(const struct mime *m, const struct mime_part *p,
    const struct str *names, bool not, struct str *out)
{
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len;
	struct mime_field f;

	while (mime_field_next(m->msg, end, &pos, &f)) {
		if (!f.colon || in_list(names, f.name, f.nlen) == not)
			continue;
		str_catb(out, f.raw, f.rlen);
		if (f.raw[f.rlen - 1] != '\n')
			str_cats(out, "\r\n");
	}
	str_cats(out, "\r\n");
}

int
mime_section(const struct mime *m, const char *spec, struct str *out,
    struct str *err)
{
	const char *s = spec;
	size_t ent = 0, target;
	struct str names = STR_INIT;
	bool any, not = false;

	if (part_path(m, &s, &ent, &any) < 0)
		goto bad;
	if (!any) {
		ent = 0;
		if (*s == '\0') {
			range(m, 0, m->len, out);
			return 0;
		}
	} else if (*s == '\0') {
		if (ent != MIME_NONE)
			range(m, m->p[ent].body_off, m->p[ent].body_len, out);
		return 0;
	} else if (word(&s, "MIME")) {
		if (*s != '\0')
			goto bad;
		if (ent != MIME_NONE)
			range(m, m->p[ent].hdr_off, m->p[ent].hdr_len, out);
		return 0;
	}
	/* HEADER, TEXT and HEADER.FIELDS apply to a message: the top or
	 * an encapsulated one; on other parts they are empty */
	target = ent;
	if (any && ent != MIME_NONE)
		target = m->p[ent].kind == MIME_MSG ? m->p[ent].child :
		    MIME_NONE;
	if (word(&s, "HEADER.FIELDS")) {
		if (word(&s, ".NOT"))
			not = true;
		if (!field_list(s, &names))
			goto bad;
		if (target != MIME_NONE)
			header_fields(m, &m->p[target], &names, not, out);
		str_free(&names);
		return 0;
	}
	if (word(&s, "HEADER")) {
		if (*s != '\0')
			goto bad;
		if (target != MIME_NONE)
			range(m, m->p[target].hdr_off, m->p[target].hdr_len,
			    out);
		return 0;
	}
	if (word(&s, "TEXT")) {
		if (*s != '\0')
			goto bad;
		if (target != MIME_NONE)
			range(m, m->p[target].body_off, m->p[target].body_len,
			    out);
		return 0;
	}
bad:
	str_free(&names);
	str_copyf(err, "bad section: %s", spec);
	return -1;
}

int
mime_binary(const struct mime *m, const char *part, struct str *out,
    struct str *err)
{
	const char *s = part;
	const struct mime_part *p;
	struct mime_field f;
	struct mime_ct cte;
	size_t ent;
	bool any;
	int r;

	if (part_path(m, &s, &ent, &any) < 0 || *s != '\0') {
		str_copyf(err, "bad part: %s", part);
		return -1;
	}
	if (!any)
		ent = 0;
	if (ent == MIME_NONE)
		return 0;	/* no such part: empty, as for BODY[] */
	p = &m->p[ent];
	if (p->kind == MIME_MULTI) {
		str_copys(err, "not a leaf part");
		return -1;
	}
	if (!mime_field_find(m, p, "Content-Transfer-Encoding", &f))
		return mime_cte_decode(NULL, 0, m->msg + p->body_off,
		    p->body_len, out);
	mime_ct_parse(f.val, f.vlen, false, &cte);
	r = mime_cte_decode(cte.type, cte.tlen, m->msg + p->body_off,
	    p->body_len, out);
	mime_ct_free(&cte);
	return r;
}
