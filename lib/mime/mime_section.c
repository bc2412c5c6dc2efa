/*
 * mime_section - BODY[section] (RFC 3501 6.4.5) and BINARY[part]
 * (RFC 3516) from the part tree.
 *
 * Part numbers: the parts of a multipart are numbered from 1; a
 * non-multipart message or part has the single part 1 (its own body);
 * below a message/rfc822 part the numbers apply to the encapsulated
 * message.  HEADER, TEXT and HEADER.FIELDS apply to a message (the top
 * one or an encapsulated one), MIME to any part.  A part that does not
 * exist yields nothing, as in Dovecot.
 */
#include <string.h>
#include <strings.h>

#include "mime_int.h"

/* child_n - the k-th (1-based) body part of message or multipart c:
 * the k-th child of a multipart, else part 1 is the body itself. */
static size_t
child_n(const struct mime *m, size_t c, unsigned long k)
{
	size_t i;

	if (m->p[c].no_parts)
		return MIME_NONE;	/* its one part is an empty stand-in */
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
			/* below a leaf part, part 1 is the leaf itself, but
			 * not below the body of a single-part message (as
			 * Dovecot) */
			if (m->p[e].kind == MIME_MSG &&
			    m->p[e].child != MIME_NONE)
				c = m->p[e].child;
			else if (m->p[e].kind == MIME_MULTI || e != c)
				c = e;
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
	struct hdr_field f;

	while (hdr_next(m->msg, end, &pos, &f)) {
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
	struct hdr_field f;
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
