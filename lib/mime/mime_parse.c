/*
 * mime_parse - the part tree of an RFC 5322 / MIME message.
 *
 * One pass over the lines, no recursion: a stack of the open
 * multiparts' boundaries (at most MIME_DEPTH_MAX) is checked against
 * every line that starts with "--" (see match()).  A match closes every
 * part nested deeper than its multipart.  The CRLF before a boundary
 * line belongs to the boundary (RFC 2046 5.1.1).  Parts are numbered in
 * message order into a flat array.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "mime_int.h"

struct frame {
	size_t part;	/* the multipart */
	struct str bnd;
};

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

		/* an empty boundary is taken too: every "--" line is one */
		if (b && room && ps->nst < MIME_DEPTH_MAX) {
			p->kind = MIME_MULTI;
			p->digest = hdr_name_is(ct.sub, ct.slen, "digest");
			ps->st[ps->nst].part = ps->cur;
			str_copyb(&ps->st[ps->nst].bnd, b->s, b->len);
			ps->nst++;
		} else {
			p->opaque = b != NULL;
			p->no_parts = true;
		}
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

/* match - the frame whose boundary starts this line, or -1; RFC 2046
 * 5.1.1: the boundary need only start the line.  When several do, the
 * longest wins (then the innermost), as in Dovecot: an inner boundary
 * that has an outer one as a prefix is found as itself.  *close for
 * the close delimiter "--b--". */
static int
match(const struct parser *ps, const char *line, size_t n, bool *close)
{
	size_t k, cmp, best_cmp = 0;
	int best = -1;

	for (k = ps->nst; k-- > 0;) {
		const struct str *b = &ps->st[k].bnd;

		cmp = b->len < BOUNDARY_CMP_MAX ? b->len : BOUNDARY_CMP_MAX;
		if (n - 2 < cmp || memcmp(line + 2, b->s, cmp) != 0 ||
		    (best >= 0 && cmp <= best_cmp))
			continue;
		best = (int)k;
		best_cmp = cmp;
	}
	/* "--" right after the compared part, as Dovecot does */
	if (best >= 0)
		*close = n - 2 >= best_cmp + 2 && line[2 + best_cmp] == '-' &&
		    line[3 + best_cmp] == '-';
	return best;
}

/* on_boundary - frame k's boundary line at ls (lineno LFs before it):
 * close the parts inside, then open the next part or, for the close
 * delimiter, go back to the multipart's epilogue. */
static void
on_boundary(struct parser *ps, size_t k, bool close, size_t ls, size_t next,
    size_t lineno)
{
	struct mime *m = ps->m;
	size_t mp = ps->st[k].part, end = ls, raw;

	while (ps->state == IN_HEADER)
		finish_header(ps, ls, lineno);
	if (end > 0 && m->msg[end - 1] == '\n') {
		end--;
		if (end > 0 && m->msg[end - 1] == '\r')
			end--;
	}
	/* A part never ends inside the header of a part it holds, nor
	 * before the line end of its own close delimiter: when that CRLF is
	 * also the one before this boundary, the parts keep it (Dovecot
	 * counts it the same way). */
	raw = end;
	while (ps->cur != mp) {
		struct mime_part *p = &m->p[ps->cur];

		/* a header whose last line end is the boundary's CRLF does
		 * not have it (Dovecot's BODY[n.MIME] agrees) */
		if (p->body_off > raw && p->hdr_off <= raw)
			p->hdr_len = raw - p->hdr_off;
		if (p->body_off > end)
			end = p->body_off;
		if (p->end_min > end)
			end = p->end_min;
		close_part(p, end, end == ls || lineno == 0 ? lineno :
		    lineno - 1);
		ps->cur = p->parent;
	}
	ps->nst = k + 1;
	if (close) {
		ps->nst = k;
		ps->state = IN_BODY;
		m->p[mp].end_min = next;
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
