/*
 * mime_field - header fields and structured values: finding a field
 * (the walker is lib/mail/hdr), comment-skipping (CFWS), and
 * Content-Type / Content-Disposition values with their parameters
 * (RFC 2045 5.1, RFC 2183, RFC 2231).
 *
 * Lenient where Dovecot is and strict where it is: the first broken
 * parameter ends the list, junk after "type/subtype" makes the whole
 * Content-Type void.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "mime_int.h"

void
mime_trim(const char *s, size_t *b, size_t *e)
{
	while (*b < *e && (s[*b] == ' ' || s[*b] == '\t' || s[*b] == '\r' ||
	    s[*b] == '\n'))
		(*b)++;
	while (*e > *b && (s[*e - 1] == ' ' || s[*e - 1] == '\t' ||
	    s[*e - 1] == '\r' || s[*e - 1] == '\n'))
		(*e)--;
}

size_t
mime_cfws(const char *s, size_t n, size_t i)
{
	size_t depth = 0;

	for (; i < n; i++) {
		char c = s[i];

		if (depth > 0) {
			if (c == '\\' && i + 1 < n)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(')
			depth = 1;
		else if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
	}
	return i;
}

bool
mime_field_find(const struct mime *m, const struct mime_part *p,
    const char *name, struct hdr_field *f)
{
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len;

	while (hdr_next(m->msg, end, &pos, f))
		if (f->colon && hdr_name_is(f->name, f->nlen, name))
			return true;
	return false;
}

/* ---- Content-Type ---- */

static bool
is_tspecial(char c)
{
	return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* token - RFC 2045 token chars from i; returns the end */
static size_t
token(const char *s, size_t n, size_t i)
{
	while (i < n && (unsigned char)s[i] > ' ' && s[i] != 0x7f &&
	    !is_tspecial(s[i]))
		i++;
	return i;
}

/* value - a token or quoted string at i into out; returns the end */
static size_t
value(const char *s, size_t n, size_t i, struct str *out, bool *done)
{
	size_t e;

	*done = true;
	if (i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '\r' || s[i] == '\n')
				continue;	/* folding inside quotes */
			str_catc(out, s[i]);
		}
		*done = i < n;	/* an unterminated quote is no value */
		return i < n ? i + 1 : n;
	}
	/* Be lenient like most parsers: take up to ';' or white space. */
	for (e = i; e < n && s[e] != ';' && s[e] != ' ' && s[e] != '\t' &&
	    s[e] != '\r' && s[e] != '\n' && s[e] != '('; e++)
		;
	str_catb(out, s + i, e - i);
	return e;
}

static struct mime_param *
add_param(struct mime_ct *ct, const char *name, size_t nlen)
{
	struct mime_param *p;

	if (ct->n == ct->cap) {
		ct->cap = ct->cap ? size_mul(ct->cap, 2) : 4;
		ct->p = xreallocarray(ct->p, ct->cap, sizeof(*ct->p));
	}
	p = &ct->p[ct->n++];
	p->name = name;
	p->nlen = nlen;
	memset(&p->val, 0, sizeof(p->val));
	return p;
}

/* A piece of an RFC 2231 continuation, "name*N" or "name*N*". */
struct piece {
	const char *name;
	size_t nlen, num;
	bool ext;
};

/* split_cont - is name[0..n) "base*N" / "base*N*"?  */
static bool
split_cont(const char *name, size_t n, struct piece *pc)
{
	size_t i, star, num = 0;

	pc->ext = n > 0 && name[n - 1] == '*';
	if (pc->ext)
		n--;
	if (pc->ext && n > 0 && (name[n - 1] < '0' || name[n - 1] > '9')) {
		/* "name*": one extended piece, grouped like Dovecot */
		pc->name = name;
		pc->nlen = n;
		pc->num = 0;
		return true;
	}
	for (i = n; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
		;
	if (i == n || i < 2 || name[i - 1] != '*' || n - i > 4)
		return false;
	star = i - 1;
	for (; i < n; i++)
		num = num * 10 + (size_t)(name[i] - '0');
	pc->name = name;
	pc->nlen = star;
	pc->num = num;
	return true;
}

/* join_continuations - RFC 2231 3: "a*0", "a*1"... become one "a" (or
 * "a*" when a piece is extended, its value left encoded as Dovecot
 * does), after the plain parameters; pieces are joined in number order,
 * whatever their order in the field. */
static void
join_continuations(struct mime_ct *ct)
{
	struct mime_param *old = ct->p;
	struct piece *pc;
	bool *used;
	size_t i, j, nold = ct->n, npc = 0;

	for (i = 0; i < nold; i++) {
		struct piece tmp;

		if (split_cont(old[i].name, old[i].nlen, &tmp))
			npc++;
	}
	if (npc == 0)
		return;
	pc = xreallocarray(NULL, nold, sizeof(*pc));
	used = xcalloc(nold, sizeof(*used));
	ct->p = NULL;
	ct->n = ct->cap = 0;
	for (i = 0; i < nold; i++) {
		if (split_cont(old[i].name, old[i].nlen, &pc[i]))
			continue;
		used[i] = true;
		*add_param(ct, old[i].name, old[i].nlen) = old[i];
	}
	for (i = 0; i < nold; i++) {
		struct mime_param *np;
		size_t want = 0, found;
		bool ext = false;

		if (used[i])
			continue;
		for (j = i; j < nold; j++)
			if (!used[j] && pc[j].nlen == pc[i].nlen &&
			    strncasecmp(pc[j].name, pc[i].name, pc[i].nlen) == 0)
				ext |= pc[j].ext;
		np = add_param(ct, pc[i].name, pc[i].nlen + (ext ? 1 : 0));
		/* pieces in number order; a gap ends the value */
		do {
			found = MIME_NONE;
			for (j = i; j < nold; j++)
				if (!used[j] && pc[j].nlen == pc[i].nlen &&
				    strncasecmp(pc[j].name, pc[i].name,
				    pc[i].nlen) == 0 && pc[j].num == want) {
					found = j;
					break;
				}
			if (found != MIME_NONE) {
				str_cat(&np->val, &old[found].val);
				want++;
			}
		} while (found != MIME_NONE);
		/* drop what is left of this name (duplicates, gaps) */
		for (j = i; j < nold; j++)
			if (!used[j] && pc[j].nlen == pc[i].nlen &&
			    strncasecmp(pc[j].name, pc[i].name, pc[i].nlen) == 0)
				used[j] = true;
	}
	/* the pieces' own values were copied; plain ones moved */
	for (i = 0; i < nold; i++)
		if (split_cont(old[i].name, old[i].nlen, &pc[i]))
			str_free(&old[i].val);
	free(old);
	free(pc);
	free(used);
}

/* Parameters beyond this many are ignored: the joining above is
 * quadratic and real messages have a handful. */
#define PARAMS_MAX 64

void
mime_ct_parse(const char *v, size_t n, bool with_sub, struct mime_ct *ct)
{
	size_t i, e;

	memset(ct, 0, sizeof(*ct));
	i = mime_cfws(v, n, 0);
	e = token(v, n, i);
	ct->type = v + i;
	ct->tlen = e - i;
	i = mime_cfws(v, n, e);
	if (with_sub && i < n && v[i] == '/') {
		i = mime_cfws(v, n, i + 1);
		e = token(v, n, i);
		ct->sub = v + i;
		ct->slen = e - i;
		ct->has_sub = true;
		i = mime_cfws(v, n, e);
	} else if (with_sub) {
		ct->sub = v + i;
		ct->slen = 0;
	}
	/* "/plain" or "a/b junk" is no type at all: Dovecot shows "" "" */
	if (with_sub && (ct->tlen == 0 || (i < n && v[i] != ';'))) {
		ct->tlen = ct->slen = 0;
		return;
	}
	while (i < n && ct->n < PARAMS_MAX) {
		struct mime_param *p;
		size_t ns, ne;
		bool done;

		if (v[i] != ';') {
			/* junk after a value or a disposition type */
			const char *sc = memchr(v + i, ';', n - i);

			if (!sc)
				break;
			i = (size_t)(sc - v);
		}
		i = mime_cfws(v, n, i + 1);
		ns = i;
		ne = token(v, n, i);
		i = mime_cfws(v, n, ne);
		/* a broken parameter ends the list, as in Dovecot */
		if (ne == ns || i >= n || v[i] != '=')
			break;
		i = mime_cfws(v, n, i + 1);
		p = add_param(ct, v + ns, ne - ns);
		i = value(v, n, i, &p->val, &done);
		if (!done) {
			str_free(&p->val);
			ct->n--;
			break;
		}
		i = mime_cfws(v, n, i);
	}
	join_continuations(ct);
}

const struct str *
mime_ct_param(const struct mime_ct *ct, const char *name)
{
	size_t i;

	for (i = 0; i < ct->n; i++)
		if (hdr_name_is(ct->p[i].name, ct->p[i].nlen, name))
			return &ct->p[i].val;
	return NULL;
}

bool
mime_ct_is(const struct mime_ct *ct, const char *type, const char *sub)
{
	return hdr_name_is(ct->type, ct->tlen, type) &&
	    (sub == NULL || hdr_name_is(ct->sub, ct->slen, sub));
}

void
mime_part_ct(const struct mime *m, const struct mime_part *p,
    struct mime_ct *ct)
{
	struct hdr_field f;

	if (mime_field_find(m, p, "Content-Type", &f)) {
		mime_ct_parse(f.val, f.vlen, true, ct);
		return;
	}
	memset(ct, 0, sizeof(*ct));
	if (p->in_digest) {
		ct->type = "message";
		ct->sub = "rfc822";
		ct->tlen = 7;
		ct->slen = 6;
	} else {
		ct->type = "text";
		ct->sub = "plain";
		ct->tlen = 4;
		ct->slen = 5;
	}
	ct->has_sub = true;
}

void
mime_ct_free(struct mime_ct *ct)
{
	size_t i;

	for (i = 0; i < ct->n; i++)
		str_free(&ct->p[i].val);
	free(ct->p);
	memset(ct, 0, sizeof(*ct));
}
