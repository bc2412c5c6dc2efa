/*
 * imap_parse - IMAP command reader and parser; see imap_parse.h.
 *
 * Reading and parsing are two steps.  imap_cmd_read() collects the
 * whole command as sent (lines and literal octets) into c->text,
 * enforcing the limits and answering synchronizing literals; only the
 * literal markers at line ends are looked at.  Any error found while
 * reading still consumes the rest of the command (non-synchronizing
 * literals included), so the next command starts in step.  The parser
 * then walks c->text once and decodes every value in place: a value is
 * always written at or before the octets it came from and its NUL goes
 * on an octet already consumed, so the tree needs no storage of its
 * own but c->pool.
 *
 * c->pool holds the nodes twice: first in the order parsed (pre-order:
 * a list node, then its subtree), then laid out so that each list's
 * elements are contiguous.  c->lits is the line scratch of the reader.
 *
 * A literal the sink took leaves its marker line in c->text and no
 * octets; c->sunk says at which offsets, in order, so the parser knows
 * it when it gets there.
 *
 * Where we are lenient: a bare LF ends a line like CRLF does; one
 * trailing space before the line end is ignored (some clients send
 * it); 8-bit octets are taken in quoted strings whether or not
 * UTF8=ACCEPT is on (the caller decides what a name may hold).  Where
 * we are strict: NUL anywhere but in a literal8 (RFC 3516: CHAR8
 * excludes it), 8-bit or control octets in atoms, doubled spaces, and
 * escapes other than \" and \\.  A sequence number 4294967295 reads
 * as '*' (IMAP_STAR): the two cannot be told apart.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "imap_parse.h"
#include "mime.h"

#define TAG_MAX 64
#define LIT_DIGITS_TAIL 64	/* bytes of an overlong line kept for its marker */

/* ---- character classes (RFC 3501 9 / RFC 9051 9) ---- */

static bool
is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* ATOM-CHAR: CHAR except atom-specials. */
static bool
is_atom_char(unsigned char ch)
{
	if (ch <= 0x20 || ch >= 0x7f)
		return false;
	return strchr("(){%*\"\\]", ch) == NULL;
}

/* tag = 1*<any ASTRING-CHAR except "+"> */
static bool
is_tag_char(unsigned char ch)
{
	return ch != '+' && (is_atom_char(ch) || ch == ']');
}

static char
upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

/* ---- tag and verb ---- */

/*
 * scan_head - the tag and verb at the start of s[0..n) into c (tag ""
 * when invalid): the offset after the verb, or -1 with the reason.  The
 * line may be a truncated prefix of an overlong one; then only the tag
 * matters.
 */
static long
scan_head(struct imap_cmd *c, const char *s, size_t n, const char **why)
{
	size_t i = 0, v;

	c->tag[0] = '\0';
	c->verb[0] = '\0';
	while (i < n && is_tag_char((unsigned char)s[i]))
		i++;
	if (i == 0 || i > TAG_MAX || (i < n && s[i] != ' ' && s[i] != '\r' &&
	    s[i] != '\n')) {
		*why = n == 0 || s[0] == '\n' || (s[0] == '\r' && n > 1 &&
		    s[1] == '\n') ? "Empty command line" : "Invalid tag";
		return -1;
	}
	memcpy(c->tag, s, i);
	c->tag[i] = '\0';
	if (i == n || s[i] != ' ') {
		*why = "Missing command";
		return -1;
	}
	v = ++i;
	while (i < n && is_atom_char((unsigned char)s[i]))
		i++;
	if (i == v) {
		*why = "Missing command";
		return -1;
	}
	if (i - v >= sizeof(c->verb) || (i < n && s[i] != ' ' &&
	    s[i] != '\r' && s[i] != '\n')) {
		*why = "Invalid command";
		return -1;
	}
	for (size_t k = v; k < i; k++)
		c->verb[k - v] = upper(s[k]);
	c->verb[i - v] = '\0';
	return (long)i;
}

/* ---- the parser ---- */

struct parser {
	struct imap_cmd *c;
	const struct imap_limits *lim;
	char *p, *end;
	char *line;		/* start of the current line */
	size_t lines, lits;	/* line octets and literal octets so far */
	size_t litmax;		/* literal_max or append_max */
	size_t sunk;		/* the next of c->sunk */
	enum imap_read_rc rc;
	const char *why;
};

static bool
fail(struct parser *ps, enum imap_read_rc rc, const char *why)
{
	ps->rc = rc;
	ps->why = why;
	return false;
}

/* at_eol - the cursor is on the line end: CRLF, a bare LF, or the end
 * of an in-memory text that lacks a final CRLF. */
static bool
at_eol(const struct parser *ps)
{
	if (ps->p == ps->end || *ps->p == '\n')
		return true;
	return *ps->p == '\r' && ps->p + 1 < ps->end && ps->p[1] == '\n';
}

/* end_line - account for the line ending at the cursor (before CRLF). */
static bool
end_line(struct parser *ps, char *after)
{
	size_t n = (size_t)(after - ps->line);

	ps->lines += n;
	if (n > ps->lim->line_max)
		return fail(ps, IMAP_READ_BAD, "Line too long");
	if (ps->lines > ps->lim->text_max)
		return fail(ps, IMAP_READ_BAD, "Command too long");
	ps->line = after;
	return true;
}

static size_t
new_node(struct parser *ps, enum imap_arg_type type)
{
	struct imap_cmd *c = ps->c;
	struct imap_arg *a;

	if (c->npool == c->cappool) {
		c->cappool = c->cappool ? size_mul(c->cappool, 2) : 32;
		c->pool = xreallocarray(c->pool, c->cappool, sizeof(*c->pool));
	}
	a = &c->pool[c->npool];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->sunk = -1;
	return c->npool++;
}

/*
 * literal_head - at '{' (or '~{'): the size, the cursor past the CRLF
 * that must follow, and the sink's number when the sink took the
 * octets (else -1).  Returns false on error.
 */
static bool
literal_head(struct parser *ps, uint64_t *np, int *sunk)
{
	const struct imap_cmd *c = ps->c;
	uint64_t n = 0;
	const char *d;

	ps->p++;		/* '{' */
	d = ps->p;
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		unsigned digit = (unsigned)(*ps->p - '0');

		if (n > (UINT64_MAX - digit) / 10)
			return fail(ps, IMAP_READ_BAD, "Invalid literal size");
		n = n * 10 + digit;
		ps->p++;
	}
	if (ps->p == d)
		return fail(ps, IMAP_READ_BAD, "Invalid literal size");
	if (ps->p < ps->end && *ps->p == '+')
		ps->p++;
	if (ps->p == ps->end || *ps->p != '}')
		return fail(ps, IMAP_READ_BAD, "Invalid literal size");
	ps->p++;
	if (ps->p < ps->end && *ps->p == '\r')
		ps->p++;
	if (ps->p == ps->end || *ps->p != '\n')
		return fail(ps, IMAP_READ_BAD, "Missing CRLF after literal");
	if (!end_line(ps, ps->p + 1))
		return false;
	ps->p++;
	if (n > ps->litmax || n > ps->lim->literals_max - ps->lits)
		return fail(ps, IMAP_READ_NO, "[TOOBIG] Literal too big");
	*np = n;
	*sunk = -1;
	if (ps->sunk < c->nsunk &&
	    c->sunk[ps->sunk].off == (size_t)(ps->p - c->text.s)) {
		*sunk = c->sunk[ps->sunk++].no;
		ps->lits += (size_t)n;
		return true;	/* the line goes on at once */
	}
	if (n > (uint64_t)(ps->end - ps->p))
		return fail(ps, IMAP_READ_BAD, "Literal data missing");
	ps->lits += (size_t)n;
	ps->line = ps->p + n;
	return true;
}

static bool
parse_literal(struct parser *ps, bool bin)
{
	struct imap_arg *a;
	uint64_t n;
	char *data, *dst;
	size_t i;
	int sunk;

	if (bin)
		ps->p++;	/* '~' */
	dst = ps->p - 1;
	if (!literal_head(ps, &n, &sunk))
		return false;
	if (sunk >= 0)
		n = 0;		/* the reader checked for NUL */
	data = ps->p;
	if (!bin && memchr(data, '\0', (size_t)n) != NULL)
		return fail(ps, IMAP_READ_BAD, "NUL byte in literal");
	memmove(dst, data, (size_t)n);
	dst[n] = '\0';
	ps->p = data + n;
	i = new_node(ps, IMAP_ARG_STRING);
	a = &ps->c->pool[i];
	a->literal = true;
	a->literal8 = bin;
	a->s = dst;
	a->len = (size_t)n;
	a->sunk = sunk;
	return true;
}

static bool
parse_quoted(struct parser *ps)
{
	struct imap_arg *a;
	char *w = ps->p, *start = ps->p;
	size_t i;

	ps->p++;
	for (;;) {
		unsigned char ch;

		if (ps->p == ps->end || *ps->p == '\r' || *ps->p == '\n')
			return fail(ps, IMAP_READ_BAD,
			    "Unterminated quoted string");
		ch = (unsigned char)*ps->p++;
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\\')) {
				*w++ = *ps->p++;
				continue;
			}
			return fail(ps, IMAP_READ_BAD,
			    "Invalid escape in quoted string");
		}
		if (ch == '\0')
			return fail(ps, IMAP_READ_BAD, "NUL byte in command");
		*w++ = (char)ch;
	}
	*w = '\0';
	i = new_node(ps, IMAP_ARG_STRING);
	a = &ps->c->pool[i];
	a->s = start;
	a->len = (size_t)(w - start);
	return true;
}

/* copy_quoted_raw - inside '[...]': a quoted string copied as it is,
 * escapes included, for the section parser to read. */
static bool
copy_quoted_raw(struct parser *ps, char **w)
{
	*(*w)++ = *ps->p++;
	for (;;) {
		if (ps->p == ps->end || *ps->p == '\r' || *ps->p == '\n')
			return fail(ps, IMAP_READ_BAD,
			    "Unterminated quoted string");
		if (*ps->p == '\0')
			return fail(ps, IMAP_READ_BAD, "NUL byte in command");
		if (*ps->p == '\\' && ps->p + 1 < ps->end &&
		    (ps->p[1] == '"' || ps->p[1] == '\\'))
			*(*w)++ = *ps->p++;
		else if (*ps->p == '"') {
			*(*w)++ = *ps->p++;
			return true;
		}
		*(*w)++ = *ps->p++;
	}
}

/*
 * parse_atom - an atom, with '[...]' sections taken whole (a literal in
 * a section, as in BODY[HEADER.FIELDS ({7}\r\nSubject)], is spliced in
 * as its octets).
 */
static bool
parse_atom(struct parser *ps)
{
	struct imap_arg *a;
	char *start = ps->p - 1, *w = start;
	size_t i;

	while (ps->p < ps->end) {
		unsigned char ch = (unsigned char)*ps->p;

		if (ch == '[') {
			unsigned depth = 0;

			do {
				ch = (unsigned char)*ps->p;
				if (ch == '"') {
					if (!copy_quoted_raw(ps, &w))
						return false;
					continue;
				}
				if (ch == '{') {
					uint64_t n;
					int sunk;

					if (!literal_head(ps, &n, &sunk))
						return false;
					if (sunk >= 0)
						return fail(ps, IMAP_READ_BAD,
						    "Literal too big in atom");
					memmove(w, ps->p, (size_t)n);
					w += n;
					ps->p += n;
					continue;
				}
				if (ch == '\0')
					return fail(ps, IMAP_READ_BAD,
					    "NUL byte in command");
				if (ch == '\r' || ch == '\n')
					break;
				if (ch >= 0x80)
					return fail(ps, IMAP_READ_BAD,
					    "8-bit character in atom");
				if (ch == '[')
					depth++;
				else if (ch == ']')
					depth--;
				*w++ = *ps->p++;
			} while (depth > 0 && ps->p < ps->end);
			if (depth > 0)
				return fail(ps, IMAP_READ_BAD,
				    "Missing ']'");
			continue;
		}
		if (ch == ' ' || ch == '(' || ch == ')' || ch == '{' ||
		    ch == '"' || at_eol(ps))
			break;
		if (ch == '\0')
			return fail(ps, IMAP_READ_BAD, "NUL byte in command");
		if (ch >= 0x80)
			return fail(ps, IMAP_READ_BAD,
			    "8-bit character in atom");
		if (is_ctl(ch))
			return fail(ps, IMAP_READ_BAD,
			    "Control character in atom");
		*w++ = *ps->p++;
	}
	if (w == start)		/* a bare CR */
		return fail(ps, IMAP_READ_BAD, "Control character in atom");
	*w = '\0';
	i = new_node(ps, IMAP_ARG_ATOM);
	a = &ps->c->pool[i];
	a->s = start;
	a->len = (size_t)(w - start);
	return true;
}

static bool parse_list(struct parser *ps, unsigned depth);

/* parse_item - one argument, then check what follows it. */
static bool
parse_item(struct parser *ps, unsigned depth)
{
	bool r;

	switch (*ps->p) {
	case '(':
		r = parse_list(ps, depth + 1);
		break;
	case '"':
		r = parse_quoted(ps);
		break;
	case '{':
		r = parse_literal(ps, false);
		break;
	case '~':
		if (ps->p + 1 < ps->end && ps->p[1] == '{') {
			r = parse_literal(ps, true);
			break;
		}
		/* FALLTHROUGH */
	default:
		r = parse_atom(ps);
		break;
	}
	if (!r)
		return false;
	if (!at_eol(ps) && *ps->p != ' ' && *ps->p != ')')
		return fail(ps, IMAP_READ_BAD, "Missing space");
	return true;
}

static bool
parse_list(struct parser *ps, unsigned depth)
{
	size_t self, n = 0;

	if (depth > ps->lim->depth_max)
		return fail(ps, IMAP_READ_BAD, "Too deeply nested");
	self = new_node(ps, IMAP_ARG_LIST);
	ps->p++;
	for (;;) {
		if (at_eol(ps))
			return fail(ps, IMAP_READ_BAD,
			    "Unbalanced parentheses");
		if (*ps->p == ')')
			break;	/* "()" */
		if (*ps->p == ' ')
			return fail(ps, IMAP_READ_BAD, "Extra space");
		if (!parse_item(ps, depth))
			return false;
		n++;
		if (*ps->p == ')')
			break;
		if (at_eol(ps))
			return fail(ps, IMAP_READ_BAD,
			    "Unbalanced parentheses");
		ps->p++;	/* SP */
		if (*ps->p == ')')
			return fail(ps, IMAP_READ_BAD, "Extra space");
	}
	ps->p++;
	ps->c->pool[self].n = n;
	return true;
}

/* layout - the pre-order nodes from pre[i] as count siblings at dst,
 * each list's elements in a block taken from base[*next...]. */
static size_t
layout(const struct imap_arg *pre, size_t i, struct imap_arg *dst,
    size_t count, struct imap_arg *base, size_t *next)
{
	for (size_t k = 0; k < count; k++) {
		struct imap_arg *a = &dst[k];

		*a = pre[i++];
		if (a->type == IMAP_ARG_LIST) {
			a->list = base + *next;
			*next += a->n;
			i = layout(pre, i, a->list, a->n, base, next);
		}
	}
	return i;
}

/* parse_text - parse c->text in place. */
static enum imap_read_rc
parse_text(struct imap_cmd *c, const struct imap_limits *lim,
    struct str *err)
{
	struct parser ps;
	size_t top = 0, npre, next;
	long off;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.lim = lim;
	ps.p = c->text.s;
	ps.end = c->text.s + c->text.len;
	ps.line = ps.p;
	ps.rc = IMAP_READ_OK;
	c->npool = 0;
	c->args = NULL;
	c->nargs = 0;
	if ((off = scan_head(c, c->text.s, c->text.len, &ps.why)) < 0) {
		str_copys(err, ps.why);
		return IMAP_READ_BAD;
	}
	ps.p += off;
	ps.litmax = strcmp(c->verb, "APPEND") == 0 ? lim->append_max :
	    lim->literal_max;
	while (!at_eol(&ps)) {
		if (*ps.p != ' ') {
			fail(&ps, IMAP_READ_BAD, *ps.p == ')' ?
			    "Unbalanced parentheses" : "Missing space");
			goto bad;
		}
		ps.p++;
		if (at_eol(&ps))
			break;	/* one trailing space, as some clients send */
		if (*ps.p == ' ') {
			fail(&ps, IMAP_READ_BAD, "Extra space");
			goto bad;
		}
		if (*ps.p == ')') {
			fail(&ps, IMAP_READ_BAD, "Unbalanced parentheses");
			goto bad;
		}
		if (!parse_item(&ps, 0))
			goto bad;
		top++;
	}
	/* the line end, then nothing */
	if (ps.p < ps.end && *ps.p == '\r')
		ps.p++;
	if (ps.p < ps.end)
		ps.p++;
	if (!end_line(&ps, ps.p))
		goto bad;
	if (ps.p != ps.end) {
		fail(&ps, IMAP_READ_BAD, "Junk after command");
		goto bad;
	}
	if (ps.sunk != c->nsunk) {	/* cannot be: the reader saw more */
		fail(&ps, IMAP_READ_BAD, "Invalid literal");
		goto bad;
	}

	npre = c->npool;
	if (npre == 0) {	/* no arguments, and perhaps no pool yet */
		c->args = NULL;
		c->nargs = 0;
		return IMAP_READ_OK;
	}
	if (c->cappool < size_mul(npre, 2)) {
		c->cappool = size_mul(npre, 2);
		c->pool = xreallocarray(c->pool, c->cappool, sizeof(*c->pool));
	}
	next = top;
	layout(c->pool, 0, c->pool + npre, top, c->pool + npre, &next);
	c->npool = npre * 2;
	c->args = c->pool + npre;
	c->nargs = top;
	return IMAP_READ_OK;
bad:
	c->npool = 0;
	str_copys(err, ps.why);
	return ps.rc;
}

void
imap_cmd_init(struct imap_cmd *c)
{
	memset(c, 0, sizeof(*c));
}

void
imap_cmd_free(struct imap_cmd *c)
{
	str_free(&c->text);
	str_free(&c->lits);
	free(c->pool);
	free(c->sunk);
	memset(c, 0, sizeof(*c));
}

enum imap_read_rc
imap_cmd_parse(const char *text, size_t len, struct imap_cmd *c,
    const struct imap_limits *lim, struct str *err)
{
	str_clear(err);
	str_copyb(&c->text, text, len);
	c->nsunk = 0;
	return parse_text(c, lim, err);
}

/* ---- the reader ---- */

struct line_tail {
	char s[LIT_DIGITS_TAIL];
	size_t n;
};

static void
tail_push(struct line_tail *t, const char *p, size_t n)
{
	if (n >= sizeof(t->s)) {
		memcpy(t->s, p + n - sizeof(t->s), sizeof(t->s));
		t->n = sizeof(t->s);
		return;
	}
	if (t->n + n > sizeof(t->s)) {
		size_t drop = t->n + n - sizeof(t->s);

		memmove(t->s, t->s + drop, t->n - drop);
		t->n -= drop;
	}
	memcpy(t->s + t->n, p, n);
	t->n += n;
}

static enum buf_status
status_of(ssize_t r, enum buf_status st)
{
	return r == 0 && st == BUF_OK ? BUF_EOF : st;
}

/*
 * read_line - one line (through LF) into line, at most max octets kept;
 * the rest of an overlong line is consumed, *toolong set, and its last
 * octets kept in t so a literal announced at its end can be swallowed.
 * Looks into the read-ahead only to find the LF; consumes with
 * buf_read.
 */
static enum buf_status
read_line(struct buf *b, struct str *line, size_t max, bool *toolong,
    struct line_tail *t)
{
	char sink[1024];
	enum buf_status st;
	ssize_t r;

	str_clear(line);
	*toolong = false;
	t->n = 0;
	for (;;) {
		size_t avail = buf_pending(b), take, keep;
		const char *lf;

		if (avail == 0) {
			/* nothing read ahead: let buf wait for one octet */
			char ch;

			if ((r = buf_read(b, &ch, 1, &st)) != 1)
				return status_of(r, st);
			tail_push(t, &ch, 1);
			if (line->len < max)
				str_catc(line, ch);
			else
				*toolong = true;
			if (ch == '\n')
				return BUF_OK;
			continue;
		}
		lf = memchr(b->in + b->in_pos, '\n', avail);
		take = lf ? (size_t)(lf - (b->in + b->in_pos)) + 1 : avail;
		keep = max - line->len < take ? max - line->len : take;
		if (keep < take)
			*toolong = true;
		if (keep > 0) {
			str_ready(line, keep);
			r = buf_read(b, line->s + line->len, keep, &st);
			if (r != (ssize_t)keep)
				return status_of(r, st);	/* cannot be */
			line->len += keep;
			line->s[line->len] = '\0';
			tail_push(t, line->s + line->len - keep, keep);
		}
		for (take -= keep; take > 0; take -= (size_t)r) {
			r = buf_read(b, sink, take < sizeof(sink) ? take :
			    sizeof(sink), &st);
			if (r <= 0)
				return status_of(r, st);
			tail_push(t, sink, (size_t)r);
		}
		if (lf)
			return BUF_OK;
	}
}

enum marker {
	MARK_NONE,
	MARK_SYNC,
	MARK_NONSYNC,
	MARK_BADSYNC,		/* size unreadable, synchronizing */
	MARK_BADNONSYNC,	/* size unreadable, octets may follow */
};

/*
 * find_marker - whether the line s[0..n) ends with a literal marker
 * "{n}" / "{n+}" / "~{n}" before its CRLF (*bin: the last); complete
 * says whether s is the whole line (else digits may have been cut off
 * in front).
 */
static enum marker
find_marker(const char *s, size_t n, bool complete, uint64_t *size,
    bool *bin)
{
	size_t e = n, d;
	bool plus = false;
	uint64_t v = 0;

	if (e == 0 || s[e - 1] != '\n')
		return MARK_NONE;
	e--;
	if (e > 0 && s[e - 1] == '\r')
		e--;
	if (e == 0 || s[e - 1] != '}')
		return MARK_NONE;
	e--;
	if (e > 0 && s[e - 1] == '+') {
		plus = true;
		e--;
	}
	d = e;
	while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
		d--;
	if (d == 0 && !complete)
		return plus ? MARK_BADNONSYNC : MARK_BADSYNC;
	if (d == 0 || s[d - 1] != '{')
		return MARK_NONE;
	if (d == e)
		return plus ? MARK_BADNONSYNC : MARK_BADSYNC;
	for (size_t i = d; i < e; i++) {
		unsigned digit = (unsigned)(s[i] - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return plus ? MARK_BADNONSYNC : MARK_BADSYNC;
		v = v * 10 + digit;
	}
	*size = v;
	*bin = d > 1 && s[d - 2] == '~';
	return plus ? MARK_NONSYNC : MARK_SYNC;
}

static enum imap_read_rc
rc_of(enum buf_status st)
{
	return st == BUF_TIMEOUT ? IMAP_READ_TIMEOUT : IMAP_READ_EOF;
}

/* A literal on its way to the sink. */
struct sinking {
	const struct imap_sink *sink;
	int no;
	bool bin;		/* literal8: NUL allowed */
	enum imap_read_rc rc;	/* not OK: the rest is thrown away, and */
	const char *why;	/* this is the answer */
};

/* sink_write - the octets p[0..n) to the sink, NUL-checked. */
static void
sink_write(struct sinking *sk, const char *p, size_t n)
{
	const char *w;

	if (sk->rc != IMAP_READ_OK)
		return;
	if (!sk->bin && memchr(p, '\0', n) != NULL) {
		sk->rc = IMAP_READ_BAD;
		sk->why = "NUL byte in literal";
	} else if ((w = sk->sink->write(sk->sink->arg, sk->no, p, n)) !=
	    NULL) {
		sk->rc = IMAP_READ_NO;
		sk->why = w;
	}
}

/* literal - read n octets of a literal into out, or to the sink (sk),
 * or swallow them (neither: one we refused), within the literal's
 * deadline. */
static enum buf_status
literal(struct buf *b, uint64_t n, const struct imap_limits *lim,
    struct str *out, struct sinking *sk)
{
	char chunk[16384];
	enum buf_status st = BUF_OK;
	struct buf_rate rate;
	ssize_t r;

	buf_rate_begin(b, &rate, lim->grace_ms, lim->min_rate);
	buf_rate_update(b, &rate, n);
	if (out != NULL)
		st = buf_read_exact(b, out, (size_t)n);
	else
		while (n > 0) {
			r = buf_read(b, chunk, n < sizeof(chunk) ? (size_t)n :
			    sizeof(chunk), &st);
			if (r <= 0) {
				st = status_of(r, st);
				break;
			}
			if (sk != NULL)
				sink_write(sk, chunk, (size_t)r);
			n -= (uint64_t)r;
		}
	buf_rate_end(b, &rate);
	return st;
}

/* sink_literal - read a literal of n octets into c's sink, noting it in
 * c->sunk; when the sink fails or a NUL comes where none may, the rest
 * is read all the same, and *rc and *why say so. */
static enum buf_status
sink_literal(struct buf *b, struct imap_cmd *c, uint64_t n, bool bin,
    const struct imap_limits *lim, enum imap_read_rc *rc, const char **why)
{
	struct sinking sk = { c->sink, -1, bin, IMAP_READ_OK, NULL };
	enum buf_status st;
	const char *w;

	if ((w = c->sink->open(c->sink->arg, &sk.no)) != NULL) {
		sk.rc = IMAP_READ_NO;
		sk.why = w;
	} else {
		if (c->nsunk == c->capsunk) {
			c->capsunk = c->capsunk ? size_mul(c->capsunk, 2) : 4;
			c->sunk = xreallocarray(c->sunk, c->capsunk,
			    sizeof(*c->sunk));
		}
		c->sunk[c->nsunk].off = c->text.len;
		c->sunk[c->nsunk++].no = sk.no;
	}
	if ((st = literal(b, n, lim, NULL, &sk)) != BUF_OK)
		return st;
	if (sk.rc == IMAP_READ_OK &&
	    (w = c->sink->close(c->sink->arg, sk.no)) != NULL) {
		sk.rc = IMAP_READ_NO;
		sk.why = w;
	}
	*rc = sk.rc;
	*why = sk.why;
	return BUF_OK;
}

enum imap_read_rc
imap_cmd_read(struct buf *b, struct imap_cmd *c,
    const struct imap_limits *lim, struct str *err)
{
	struct str *line = &c->lits;
	struct line_tail tail;
	enum imap_read_rc badrc = IMAP_READ_OK;
	const char *why = NULL;
	size_t lines = 0, lits = 0, inmem = 0, litmax = lim->literal_max;
	bool first = true, append = false, late = false;

	str_clear(err);
	str_clear(&c->text);
	c->tag[0] = c->verb[0] = '\0';
	c->args = NULL;
	c->nargs = 0;
	c->npool = 0;
	c->nsunk = 0;
	for (;;) {
		size_t room = lim->text_max > lines ? lim->text_max - lines : 0;
		size_t max = lim->line_max < room ? lim->line_max : room;
		enum buf_status st;
		enum marker mk;
		uint64_t n = 0;
		bool toolong, bin = false, over;

		st = read_line(b, line, max, &toolong, &tail);
		if (st != BUF_OK)
			return rc_of(st);
		lines += line->len;
		if (first) {
			const char *w = NULL;

			first = false;
			/* the tag is wanted for the reply, whatever else */
			if (scan_head(c, line->s, line->len, &w) < 0 &&
			    c->tag[0] == '\0') {
				why = w;
				badrc = IMAP_READ_BAD;
			}
			if (strcmp(c->verb, "APPEND") == 0) {
				litmax = lim->append_max;
				append = true;
			}
		}
		if (toolong && badrc == IMAP_READ_OK) {
			why = max == lim->line_max ? "Line too long" :
			    "Command too long";
			badrc = IMAP_READ_BAD;
		}
		if (badrc == IMAP_READ_OK)
			str_cat(&c->text, line);
		mk = toolong ? find_marker(tail.s, tail.n, false, &n, &bin) :
		    find_marker(line->s, line->len, true, &n, &bin);
		if (mk == MARK_NONE)
			break;
		if (mk == MARK_BADNONSYNC) {
			str_copys(err, "Invalid literal size");
			return IMAP_READ_FATAL;
		}
		if (mk == MARK_BADSYNC) {
			/* the client waits for "+" and gives up on BAD */
			str_copys(err, why ? why : "Invalid literal size");
			return badrc != IMAP_READ_OK ? badrc : IMAP_READ_BAD;
		}
		over = n > litmax || n > lim->literals_max - lits;
		if (over) {
			if (mk == MARK_SYNC) {
				str_copys(err, why ? why :
				    "[TOOBIG] Literal too big");
				return badrc != IMAP_READ_OK ? badrc :
				    IMAP_READ_NO;
			}
			if (n > lim->discard_max) {
				str_copys(err, "Literal too big");
				return IMAP_READ_FATAL;
			}
			if (badrc == IMAP_READ_OK) {
				why = "[TOOBIG] Literal too big";
				badrc = IMAP_READ_NO;
			}
		}
		if (badrc != IMAP_READ_OK) {
			if (mk == MARK_SYNC) {
				str_copys(err, why);
				return badrc;
			}
			/* after a literal's content spoiled the command,
			 * the literals within the limits are still read */
			if (n > lim->discard_max && (over || !late)) {
				str_copys(err, "Literal too big");
				return IMAP_READ_FATAL;
			}
			if ((st = literal(b, n, lim, NULL, NULL)) != BUF_OK)
				return rc_of(st);
			if (!over)
				lits += (size_t)n;
			continue;
		}
		if (mk == MARK_SYNC) {
			buf_puts(b, "+ Ready for literal data\r\n");
			if ((st = buf_flush(b)) != BUF_OK)
				return rc_of(st);
		}
		if (append && c->sink != NULL && n > c->sink->min - inmem) {
			st = sink_literal(b, c, n, bin, lim, &badrc, &why);
			late = badrc != IMAP_READ_OK;
		} else {
			st = literal(b, n, lim, &c->text, NULL);
			inmem += (size_t)n;
		}
		if (st != BUF_OK)
			return rc_of(st);
		lits += (size_t)n;
	}
	if (badrc != IMAP_READ_OK) {
		str_copys(err, why);
		return badrc;
	}
	return parse_text(c, lim, err);
}

/* ---- argument helpers ---- */

static bool
eq_nocase(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n && b[i]; i++)
		if (upper(a[i]) != upper(b[i]))
			return false;
	return i == n && b[i] == '\0';
}

bool
imap_arg_nil(const struct imap_arg *a)
{
	return a->type == IMAP_ARG_ATOM && eq_nocase(a->s, a->len, "NIL");
}

bool
imap_arg_astring(const struct imap_arg *a)
{
	return a->type == IMAP_ARG_ATOM || a->type == IMAP_ARG_STRING;
}

bool
imap_arg_is(const struct imap_arg *a, const char *word)
{
	return a->type == IMAP_ARG_ATOM && eq_nocase(a->s, a->len, word);
}

int
imap_arg_number(const struct imap_arg *a, uint64_t max, uint64_t *v)
{
	uint64_t n = 0;

	if (a->type != IMAP_ARG_ATOM || a->len == 0)
		return -1;
	for (size_t i = 0; i < a->len; i++) {
		unsigned digit;

		if (a->s[i] < '0' || a->s[i] > '9')
			return -1;
		digit = (unsigned)(a->s[i] - '0');
		if (n > (UINT64_MAX - digit) / 10)
			return -1;
		n = n * 10 + digit;
	}
	if (n > max)
		return -1;
	*v = n;
	return 0;
}

/* ---- sequence sets ---- */

static void
seq_push(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? size_mul(set->cap, 2) : 8;
		set->r = xreallocarray(set->r, set->cap, sizeof(*set->r));
	}
	set->r[set->n].lo = lo;
	set->r[set->n].hi = hi;
	set->n++;
}

/* seq_number - nz-number or '*' at *sp. */
static int
seq_number(const char **sp, uint32_t *v)
{
	const char *s = *sp;
	uint64_t n = 0;

	if (*s == '*') {
		*v = IMAP_STAR;
		*sp = s + 1;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return -1;
		s++;
	}
	*v = (uint32_t)n;
	*sp = s;
	return 0;
}

int
imap_seqset_parse(const char *s, struct imap_seqset *set)
{
	set->n = 0;
	set->dollar = false;
	if (strcmp(s, "$") == 0) {
		set->dollar = true;
		return 0;
	}
	for (;;) {
		uint32_t lo, hi;

		if (seq_number(&s, &lo) < 0)
			goto bad;
		hi = lo;
		if (*s == ':') {
			s++;
			if (seq_number(&s, &hi) < 0)
				goto bad;
		}
		seq_push(set, lo, hi);
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			goto bad;
	}
bad:
	set->n = 0;
	return -1;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void sort_merge(struct imap_seqset *set);

void
imap_seqset_resolve(struct imap_seqset *set, uint32_t star)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		struct imap_range *r = &set->r[i];

		if (r->lo == IMAP_STAR)
			r->lo = star;
		if (r->hi == IMAP_STAR)
			r->hi = star;
		if (r->lo > r->hi) {
			uint32_t t = r->lo;

			r->lo = r->hi;
			r->hi = t;
		}
	}
	sort_merge(set);
}

/* sort_merge - ranges in order, overlapping and adjacent ones joined. */
static void
sort_merge(struct imap_seqset *set)
{
	size_t i, o;

	if (set->n < 2)
		return;
	qsort(set->r, set->n, sizeof(*set->r), range_cmp);
	for (i = 1, o = 0; i < set->n; i++) {
		struct imap_range *last = &set->r[o];

		if (last->hi == UINT32_MAX || set->r[i].lo <= last->hi + 1) {
			if (set->r[i].hi > last->hi)
				last->hi = set->r[i].hi;
		} else
			set->r[++o] = set->r[i];
	}
	set->n = o + 1;
}

bool
imap_seqset_has(const struct imap_seqset *set, uint32_t v)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v < set->r[mid].lo)
			hi = mid;
		else if (v > set->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/*
 * imap_seqset_add - ranges added in ascending order (the usual case)
 * extend or follow the last one; anything else is put in order at once,
 * so a set built only by adding can always be bisected.
 */
void
imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi)
{
	if (lo > hi) {
		uint32_t t = lo;

		lo = hi;
		hi = t;
	}
	if (set->n > 0) {
		struct imap_range *last = &set->r[set->n - 1];

		if (lo >= last->lo && (last->hi == UINT32_MAX ||
		    lo <= last->hi + 1)) {
			if (hi > last->hi)
				last->hi = hi;
			return;
		}
		if (lo > last->hi) {
			seq_push(set, lo, hi);
			return;
		}
		seq_push(set, lo, hi);
		sort_merge(set);
		return;
	}
	seq_push(set, lo, hi);
}

void
imap_seqset_free(struct imap_seqset *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

void
imap_seqset_format(const uint32_t *v, size_t n, struct str *out)
{
	size_t i = 0;

	while (i < n) {
		uint32_t lo = v[i], hi = v[i];

		if (i > 0)
			str_catc(out, ',');
		while (i < n && (v[i] == hi || (hi != UINT32_MAX &&
		    v[i] == hi + 1)))
			hi = v[i++];
		if (lo == hi)
			str_catf(out, "%u", lo);
		else
			str_catf(out, "%u:%u", lo, hi);
	}
}

/* ---- output ---- */

void
imap_put_astring(struct str *out, const char *s, size_t n)
{
	bool atom = n > 0 && !eq_nocase(s, n, "NIL");

	for (size_t i = 0; atom && i < n; i++)
		atom = is_atom_char((unsigned char)s[i]);
	if (atom)
		str_catb(out, s, n);
	else
		mime_quote(out, s, n);
}
