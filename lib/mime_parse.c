/*
 * mime_parse - the part tree of an RFC 5322 / MIME message.
 *
 * One pass over the lines, no recursion: a stack of the open
 * multiparts' boundaries (at most MIME_DEPTH_MAX) is checked against
 * every line that starts with "--", innermost first, so an inner
 * boundary that has the outer one as a prefix is found as itself.  A match closes every part nested deeper than its multipart.
 * The CRLF before a boundary line belongs to the boundary (RFC 2046
 * 5.1.1).  Parts are numbered in message order into a flat array.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "mime_int.h"

struct frame {
	size_t part;	/* the multipart */
	struct str bnd;
};


bool
mime_name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

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
mime_field_next(const char *s, size_t end, size_t *pos, struct mime_field *f)
{
	size_t i = *pos, colon = MIME_NONE, eol;
	const char *lf;

	if (i >= end)
		return false;
	f->name = f->raw = s + i;
	/* the field runs until a line that does not start with WSP */
	for (;;) {
		lf = memchr(s + i, '\n', end - i);
		eol = lf ? (size_t)(lf - s) : end;
		if (colon == MIME_NONE) {
			const char *c = memchr(s + i, ':', eol - i);

			if (c)
				colon = (size_t)(c - s);
		}
		i = lf ? eol + 1 : end;
		if (i >= end || (s[i] != ' ' && s[i] != '\t'))
			break;
	}
	f->rlen = i - *pos;
	/* the value stops before the final line end */
	eol = i;
	if (eol > *pos && s[eol - 1] == '\n')
		eol--;
	if (eol > *pos && s[eol - 1] == '\r')
		eol--;
	f->colon = colon != MIME_NONE;
	if (colon == MIME_NONE) {
		f->nlen = eol - *pos;
		f->val = s + eol;
		f->vlen = 0;
	} else {
		size_t ne = colon;

		while (ne > *pos && (s[ne - 1] == ' ' || s[ne - 1] == '\t'))
			ne--;
		f->nlen = ne - *pos;
		f->val = s + colon + 1;
		f->vlen = eol > colon ? eol - colon - 1 : 0;
	}
	*pos = i;
	return true;
}

bool
mime_field_find(const struct mime *m, const struct mime_part *p,
    const char *name, struct mime_field *f)
{
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len;

	while (mime_field_next(m->msg, end, &pos, f))
		if (f->colon && mime_name_is(f->name, f->nlen, name))
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
value(const char *s, size_t n, size_t i, struct str *out)
{
	size_t e;

	if (i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '\r' || s[i] == '\n')
				continue;	/* folding inside quotes */
			str_catc(out, s[i]);
		}
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
	size_t nlen, num, pidx;
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
		if (split_cont(old[i].name, old[i].nlen, &pc[i])) {
			pc[i].pidx = i;
			continue;
		}
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
	for (i = 0; i < nold; i++)
		if (!split_cont(old[i].name, old[i].nlen, &pc[i]))
			continue;
		else
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
	if (ct->tlen == 0)
		ct->slen = 0;	/* "/plain" is no type at all */
	while (i < n && ct->n < PARAMS_MAX) {
		struct mime_param *p;
		size_t ns, ne;

		if (v[i] != ';') {
			/* garbage: resynchronise at the next ';' */
			const char *sc = memchr(v + i, ';', n - i);

			if (!sc)
				break;
			i = (size_t)(sc - v);
		}
		i = mime_cfws(v, n, i + 1);
		ns = i;
		ne = token(v, n, i);
		i = mime_cfws(v, n, ne);
		if (ne == ns || i >= n || v[i] != '=')
			continue;
		i = mime_cfws(v, n, i + 1);
		p = add_param(ct, v + ns, ne - ns);
		i = value(v, n, i, &p->val);
		i = mime_cfws(v, n, i);
	}
	join_continuations(ct);
}

const struct str *
mime_ct_param(const struct mime_ct *ct, const char *name)
{
	size_t i;

	for (i = 0; i < ct->n; i++)
		if (mime_name_is(ct->p[i].name, ct->p[i].nlen, name))
			return &ct->p[i].val;
	return NULL;
}

bool
mime_ct_is(const struct mime_ct *ct, const char *type, const char *sub)
{
	return mime_name_is(ct->type, ct->tlen, type) &&
	    (sub == NULL || mime_name_is(ct->sub, ct->slen, sub));
}

void
mime_part_ct(const struct mime *m, const struct mime_part *p,
    struct mime_ct *ct)
{
	struct mime_field f;

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
/* ---- the part tree ---- */

enum { IN_HEADER, IN_BODY };

struct parser {
	struct mime *m;
	struct frame st[MIME_DEPTH_MAX];
	size_t nst;
	size_t cur;	/* innermost open part */
	int state;	/* of cur */
};

static size_t
new_part(struct parser *ps, size_t parent, size_t off)
{
	struct mime *m = ps->m;
	struct mime_part *p;
	size_t i;

	if (m->n == m->cap) {
		m->cap = m->cap ? size_mul(m->cap, 2) : 8;
		m->p = xreallocarray(m->p, m->cap, sizeof(*m->p));
	}
	i = m->n++;
	p = &m->p[i];
	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->child = p->next = p->last = MIME_NONE;
	p->hdr_off = p->body_off = off;
	if (parent != MIME_NONE) {
		struct mime_part *pp = &m->p[parent];

		p->depth = pp->depth + 1;
		p->in_digest = pp->digest;
		if (pp->last == MIME_NONE)
			pp->child = i;
		else
			m->p[pp->last].next = i;
		pp->last = i;
	}
	ps->cur = i;
	ps->state = IN_HEADER;
	return i;
}

/* finish_header - cur's header ends at `at` (its body starts there);
 * decide what the body holds. */
static void
finish_header(struct parser *ps, size_t at, size_t lineno)
{
	struct mime *m = ps->m;
	struct mime_part *p = &m->p[ps->cur];
	struct mime_ct ct;
	bool room = p->depth + 1 < MIME_DEPTH_MAX;

	p->hdr_len = at - p->hdr_off;
	p->body_off = at;
	p->blineno = lineno;
	ps->state = IN_BODY;
	mime_part_ct(m, p, &ct);
	if (mime_ct_is(&ct, "multipart", NULL)) {
		const struct str *b = mime_ct_param(&ct, "boundary");

		if (b && b->len > 0 && room && ps->nst < MIME_DEPTH_MAX) {
			p->kind = MIME_MULTI;
			p->digest = mime_name_is(ct.sub, ct.slen, "digest");
			ps->st[ps->nst].part = ps->cur;
			str_copyb(&ps->st[ps->nst].bnd, b->s, b->len);
			ps->nst++;
		} else if (b && b->len > 0)
			p->opaque = true;
	} else if (mime_ct_is(&ct, "message", "rfc822")) {
		if (room && m->n < MIME_PARTS_MAX) {
			p->kind = MIME_MSG;
			new_part(ps, ps->cur, at);
		} else
			p->opaque = true;
	}
	mime_ct_free(&ct);
}

static void
close_part(struct mime_part *p, size_t end, size_t end_lineno)
{
	if (end <= p->body_off)
		return;	/* body_len and lines stay 0 */
	p->body_len = end - p->body_off;
	p->lines = end_lineno > p->blineno ? end_lineno - p->blineno : 0;
}

/* Only this much of a boundary is compared, like Dovecot: RFC 2046
 * caps boundaries at 70 characters, longer ones are broken anyway. */
#define BOUNDARY_CMP_MAX 80

/* match - the frame whose boundary starts this line (innermost first;
 * RFC 2046 5.1.1: the boundary need only start the line), or -1;
 * *close for the close delimiter "--b--". */
static int
match(const struct parser *ps, const char *line, size_t n, bool *close)
{
	size_t k, cmp;

	for (k = ps->nst; k-- > 0;) {
		const struct str *b = &ps->st[k].bnd;

		cmp = b->len < BOUNDARY_CMP_MAX ? b->len : BOUNDARY_CMP_MAX;
		if (n - 2 < cmp || memcmp(line + 2, b->s, cmp) != 0)
			continue;
		/* "--" right after the compared part, as Dovecot does */
		*close = n - 2 >= cmp + 2 && line[2 + cmp] == '-' &&
		    line[3 + cmp] == '-';
		return (int)k;
	}
	return -1;
}

/* on_boundary - frame k's boundary line at ls (lineno LFs before it):
 * close the parts inside, then open the next part or, for the close
 * delimiter, go back to the multipart's epilogue. */
static void
on_boundary(struct parser *ps, size_t k, bool close, size_t ls, size_t next,
    size_t lineno)
{
	struct mime *m = ps->m;
	size_t mp = ps->st[k].part, end = ls;

	while (ps->state == IN_HEADER)
		finish_header(ps, ls, lineno);
	if (end > 0 && m->msg[end - 1] == '\n') {
		end--;
		if (end > 0 && m->msg[end - 1] == '\r')
			end--;
	}
	while (ps->cur != mp) {
		close_part(&m->p[ps->cur], end, lineno > 0 ? lineno - 1 : 0);
		ps->cur = m->p[ps->cur].parent;
	}
	ps->nst = k + 1;
	if (close) {
		ps->nst = k;
		ps->state = IN_BODY;
	} else
		new_part(ps, mp, next);
}

struct mime *
mime_parse(const char *msg, size_t len)
{
	struct parser ps;
	struct mime *m = xcalloc(1, sizeof(*m));
	size_t pos = 0, lineno = 0, i;

	m->msg = msg;
	m->len = len;
	memset(&ps, 0, sizeof(ps));
	ps.m = m;
	new_part(&ps, MIME_NONE, 0);
	while (pos < len) {
		const char *lf = memchr(msg + pos, '\n', len - pos);
		size_t ls = pos, le = lf ? (size_t)(lf - msg) : len;
		size_t next = lf ? le + 1 : len, ce = le;
		bool close;
		int k;

		if (ce > ls && msg[ce - 1] == '\r')
			ce--;
		if (ps.nst > 0 && ce - ls >= 2 && msg[ls] == '-' &&
		    msg[ls + 1] == '-' && m->n < MIME_PARTS_MAX &&
		    (k = match(&ps, msg + ls, ce - ls, &close)) >= 0) {
			on_boundary(&ps, (size_t)k, close, ls, next, lineno);
		} else if (ps.state == IN_HEADER && ce == ls) {
			finish_header(&ps, next, lineno + (lf ? 1 : 0));
		}
		pos = next;
		if (lf)
			lineno++;
	}
	while (ps.state == IN_HEADER)
		finish_header(&ps, len, lineno);
	for (i = ps.cur; i != MIME_NONE; i = m->p[i].parent)
		close_part(&m->p[i], len, lineno);
	for (i = 0; i < MIME_DEPTH_MAX; i++)
		str_free(&ps.st[i].bnd);
	return m;
}

void
mime_free(struct mime **mp)
{
	if (*mp == NULL)
		return;
	free((*mp)->p);
	free(*mp);
	*mp = NULL;
}
