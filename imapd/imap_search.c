/*
 * imap_search - SEARCH keys as a tree, and their evaluation; see
 * imap_search.h.
 *
 * The tree is built once per command: an AND node holds a chain of
 * children, NOT one, OR two.  Parsing and evaluation recurse only along
 * that tree, whose depth the parser bounds by depth_max (NOT NOT NOT ...
 * counts too), so a hostile key list cannot exhaust the stack.
 *
 * String keys are matched on folded text: ASCII letters and the
 * Latin-1 Supplement letters (U+00C0..U+00DE, UTF-8 C3 80..C3 9E) are
 * lower-cased; folding keeps lengths, so a plain substring search on
 * the folded haystack does the rest.  The needle is folded at parse
 * time, the message text once per key and message.
 *
 * Dates are day numbers (days since 1970-01-01).  BEFORE/ON/SINCE use
 * the internal date's day in the server's local time (localtime_r).
 * SENTBEFORE/SENTON/SENTSINCE use the first Date field: mime_parse_date()
 * gives the instant, the zone is read from the field's text (numeric "+hhmm", or
 * the RFC 5322 obsolete names; unknown means +0000), and the day is the
 * UTC day of instant + offset, i.e. the day written in the field.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "imap_search.h"
#include "store.h"

enum key {
	K_AND,
	K_OR,
	K_NOT,
	K_ALL,
	K_FLAG,		/* flag set */
	K_UNFLAG,	/* flag clear */
	K_KEYWORD,
	K_UNKEYWORD,
	K_NEW,
	K_OLD,
	K_BEFORE,
	K_ON,
	K_SINCE,
	K_SENTBEFORE,
	K_SENTON,
	K_SENTSINCE,
	K_LARGER,
	K_SMALLER,
	K_HEADER,	/* field name in hdr, value in s ("" = exists) */
	K_BODY,
	K_TEXT,
	K_SEQ,
	K_UID,
	K_MODSEQ,
};

struct node {
	enum key key;
	struct node *kids;	/* AND/OR/NOT: first child */
	struct node *next;	/* next sibling */
	unsigned flag;
	char *hdr;
	char *s;		/* folded needle, or keyword */
	size_t slen;
	long day;
	uint64_t num;
	struct imap_seqset orig, set;	/* as parsed; '*' resolved */
	bool dollar;
};

struct imap_search {
	struct node *root;
	struct node **seqs;	/* the K_SEQ and K_UID nodes, for prepare */
	size_t nseqs;
	const struct imap_seqset *saved;
	bool content, modseq;
	struct str *tmp, *fold;	/* scratch for evaluation */
	struct str *body, *text;	/* the message's, folded */
	unsigned nkeys;
};

/* ---- folding and matching ---- */

static void
fold(const char *in, size_t n, struct str *out)
{
	str_clear(out);
	str_ready(out, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch + 32);
		else if (ch == 0xc3 && i + 1 < n) {
			unsigned char c2 = (unsigned char)in[i + 1];

			/* U+00C0..U+00DE but U+00D7 (multiplication sign) */
			if (c2 >= 0x80 && c2 <= 0x9e && c2 != 0x97)
				c2 = (unsigned char)(c2 + 0x20);
			out->s[out->len++] = (char)ch;
			out->s[out->len++] = (char)c2;
			i++;
			continue;
		}
		out->s[out->len++] = (char)ch;
	}
	out->s[out->len] = '\0';
}

/* contains - the folded needle in hay[0..n), folded here. */
static bool
contains(const struct imap_search *q, const char *hay, size_t n,
    const struct node *k)
{
	if (k->slen == 0)
		return true;
	fold(hay, n, q->fold);
	return memmem(q->fold->s, q->fold->len, k->s, k->slen) != NULL;
}

/* ---- dates ---- */

/* days_from_civil - days since 1970-01-01 of y-m-d (proleptic
 * Gregorian), by the usual era arithmetic. */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era, yoe, doy, doe, mp = m > 2 ? (long)m - 3 : (long)m + 9;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * mp + 2) / 5 + (long)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static char
lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

/* parse_date - RFC 3501 date-text "d-Mon-yyyy" (day 1 or 2 digits):
 * 0 and *day, or -1. */
static int
parse_date(const char *s, size_t n, long *day)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };
	unsigned d = 0, m, i = 0;
	long y = 0;

	while (i < n && i < 2 && s[i] >= '0' && s[i] <= '9')
		d = d * 10 + (unsigned)(s[i++] - '0');
	if (i == 0 || i + 9 != n || s[i] != '-' || s[i + 4] != '-')
		return -1;
	if (mime_month(s + i + 1) < 0)
		return -1;
	m = (unsigned)mime_month(s + i + 1);
	for (i += 5; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		y = y * 10 + (s[i] - '0');
	}
	if (d < 1 || d > mdays[m])
		return -1;
	if (m == 1 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	*day = days_from_civil(y, m + 1, d);
	return 0;
}

static long
day_of_tm(const struct tm *tm)
{
	return days_from_civil((long)tm->tm_year + 1900,
	    (unsigned)tm->tm_mon + 1, (unsigned)tm->tm_mday);
}

/* zone_offset - seconds east of UTC named at the end of a Date field:
 * "+hhmm"/"-hhmm" or an RFC 5322 4.3 obsolete zone; 0 when unknown. */
static long
zone_offset(const char *s, size_t n)
{
	static const struct {
		const char *name;
		int hours;
	} names[] = {
		{ "ut", 0 }, { "gmt", 0 }, { "z", 0 },
		{ "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		{ "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 },
	};
	size_t e = n, b;

	for (;;) {
		while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t' ||
		    s[e - 1] == '\r' || s[e - 1] == '\n'))
			e--;
		if (e == 0 || s[e - 1] != ')')
			break;
		/* a trailing comment such as "(PST)" */
		while (e > 0 && s[e - 1] != '(')
			e--;
		if (e == 0)
			return 0;
		e--;
	}
	b = e;
	while (b > 0 && s[b - 1] != ' ' && s[b - 1] != '\t')
		b--;
	if (e - b == 5 && (s[b] == '+' || s[b] == '-')) {
		long v = 0;

		for (size_t i = b + 1; i < e; i++) {
			if (s[i] < '0' || s[i] > '9')
				return 0;
			v = v * 10 + (s[i] - '0');
		}
		v = (v / 100) * 3600 + (v % 100) * 60;
		return s[b] == '-' ? -v : v;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t len = strlen(names[i].name), k;

		if (e - b != len)
			continue;
		for (k = 0; k < len && lower(s[b + k]) == names[i].name[k]; k++)
			;
		if (k == len)
			return (long)names[i].hours * 3600;
	}
	return 0;
}

/* ---- parsing ---- */

struct parser {
	struct imap_search *q;
	unsigned depth_max;
	struct str *err;
};

static struct node *
new_node(enum key key)
{
	struct node *k = xcalloc(1, sizeof(*k));

	k->key = key;
	return k;
}

static void
free_node(struct node *k)
{
	while (k) {
		struct node *next = k->next;

		free_node(k->kids);
		free(k->hdr);
		free(k->s);
		imap_seqset_free(&k->orig);
		imap_seqset_free(&k->set);
		free(k);
		k = next;
	}
}

static void
set_needle(struct node *k, const char *s, size_t n)
{
	struct str f = STR_INIT;

	fold(s, n, &f);
	k->slen = f.len;
	k->s = str_steal(&f);
}

static void
add_seq(struct parser *ps, struct node *k)
{
	struct imap_search *q = ps->q;

	q->seqs = xreallocarray(q->seqs, q->nseqs + 1, sizeof(*q->seqs));
	q->seqs[q->nseqs++] = k;
}

enum argkind {
	A_NONE,
	A_ASTRING,
	A_HEADER,
	A_FLAGWORD,
	A_DATE,
	A_NUMBER,
	A_SEQSET,
	A_KEY,
	A_KEY2,
	A_MODSEQ,
};

static const struct keydef {
	const char *name;
	enum key key;
	enum argkind arg;
	unsigned flag;
	const char *field;	/* the header field of FROM, TO... */
} keydefs[] = {
	{ "ALL", K_ALL, A_NONE, 0, NULL },
	{ "ANSWERED", K_FLAG, A_NONE, STORE_F_ANSWERED, NULL },
	{ "BCC", K_HEADER, A_ASTRING, 0, "Bcc" },
	{ "BEFORE", K_BEFORE, A_DATE, 0, NULL },
	{ "BODY", K_BODY, A_ASTRING, 0, NULL },
	{ "CC", K_HEADER, A_ASTRING, 0, "Cc" },
	{ "DELETED", K_FLAG, A_NONE, STORE_F_DELETED, NULL },
	{ "DRAFT", K_FLAG, A_NONE, STORE_F_DRAFT, NULL },
	{ "FLAGGED", K_FLAG, A_NONE, STORE_F_FLAGGED, NULL },
	{ "FROM", K_HEADER, A_ASTRING, 0, "From" },
	{ "HEADER", K_HEADER, A_HEADER, 0, NULL },
	{ "KEYWORD", K_KEYWORD, A_FLAGWORD, 0, NULL },
	{ "LARGER", K_LARGER, A_NUMBER, 0, NULL },
	{ "MODSEQ", K_MODSEQ, A_MODSEQ, 0, NULL },
	{ "NEW", K_NEW, A_NONE, 0, NULL },
	{ "NOT", K_NOT, A_KEY, 0, NULL },
	{ "OLD", K_OLD, A_NONE, 0, NULL },
	{ "ON", K_ON, A_DATE, 0, NULL },
	{ "OR", K_OR, A_KEY2, 0, NULL },
	{ "RECENT", K_FLAG, A_NONE, STORE_F_RECENT, NULL },
	{ "SEEN", K_FLAG, A_NONE, STORE_F_SEEN, NULL },
	{ "SENTBEFORE", K_SENTBEFORE, A_DATE, 0, NULL },
	{ "SENTON", K_SENTON, A_DATE, 0, NULL },
	{ "SENTSINCE", K_SENTSINCE, A_DATE, 0, NULL },
	{ "SINCE", K_SINCE, A_DATE, 0, NULL },
	{ "SMALLER", K_SMALLER, A_NUMBER, 0, NULL },
	{ "SUBJECT", K_HEADER, A_ASTRING, 0, "Subject" },
	{ "TEXT", K_TEXT, A_ASTRING, 0, NULL },
	{ "TO", K_HEADER, A_ASTRING, 0, "To" },
	{ "UID", K_UID, A_SEQSET, 0, NULL },
	{ "UNANSWERED", K_UNFLAG, A_NONE, STORE_F_ANSWERED, NULL },
	{ "UNDELETED", K_UNFLAG, A_NONE, STORE_F_DELETED, NULL },
	{ "UNDRAFT", K_UNFLAG, A_NONE, STORE_F_DRAFT, NULL },
	{ "UNFLAGGED", K_UNFLAG, A_NONE, STORE_F_FLAGGED, NULL },
	{ "UNKEYWORD", K_UNKEYWORD, A_FLAGWORD, 0, NULL },
	{ "UNSEEN", K_UNFLAG, A_NONE, STORE_F_SEEN, NULL },
};

/* system_flag - "\Seen" and friends given to KEYWORD: the STORE_F_
 * bit, or 0 for a real keyword. */
static unsigned
system_flag(const char *s)
{
	static const struct {
		const char *name;
		unsigned flag;
	} sys[] = {
		{ "\\SEEN", STORE_F_SEEN }, { "\\ANSWERED", STORE_F_ANSWERED },
		{ "\\FLAGGED", STORE_F_FLAGGED }, { "\\DELETED", STORE_F_DELETED },
		{ "\\DRAFT", STORE_F_DRAFT }, { "\\RECENT", STORE_F_RECENT },
	};

	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (strcasecmp(s, sys[i].name) == 0)
			return sys[i].flag;
	return 0;
}

static bool
is_number_arg(const struct imap_arg *a, uint64_t max, uint64_t *v)
{
	return imap_arg_number(a, max, v) == 0;
}

static struct node *parse_key(struct parser *ps, const struct imap_arg *args,
    size_t n, size_t *i, unsigned depth);

/* parse_and - args[0..n) as an implicit AND under a new node. */
static struct node *
parse_and(struct parser *ps, const struct imap_arg *args, size_t n,
    unsigned depth)
{
	struct node *and = new_node(K_AND), **tail = &and->kids;
	size_t i = 0;

	if (n == 0) {
		str_copys(ps->err, "Missing search key");
		free_node(and);
		return NULL;
	}
	while (i < n) {
		struct node *k = parse_key(ps, args, n, &i, depth);

		if (k == NULL) {
			free_node(and);
			return NULL;
		}
		*tail = k;
		tail = &k->next;
	}
	return and;
}

static struct node *
parse_seqset(struct parser *ps, const struct imap_arg *a, enum key key)
{
	struct node *k;

	if (a->type != IMAP_ARG_ATOM) {
		str_copys(ps->err, "Invalid sequence set");
		return NULL;
	}
	k = new_node(key);
	if (imap_seqset_parse(a->s, &k->orig) < 0) {
		str_copys(ps->err, "Invalid sequence set");
		free_node(k);
		return NULL;
	}
	k->dollar = k->orig.dollar;
	add_seq(ps, k);
	return k;
}

/* parse_modseq - MODSEQ [entry-name entry-type-req] mod-sequence-valzer
 * (RFC 7162 3.1.5); the entry is checked and ignored. */
static struct node *
parse_modseq(struct parser *ps, const struct imap_arg *args, size_t n,
    size_t *i)
{
	struct node *k;
	uint64_t v;

	if (*i < n && args[*i].type == IMAP_ARG_STRING) {
		if (*i + 1 >= n || !(imap_arg_is(&args[*i + 1], "priv") ||
		    imap_arg_is(&args[*i + 1], "shared") ||
		    imap_arg_is(&args[*i + 1], "all"))) {
			str_copys(ps->err, "Invalid MODSEQ entry type");
			return NULL;
		}
		*i += 2;
	}
	if (*i >= n) {
		str_copys(ps->err, "Missing argument to MODSEQ");
		return NULL;
	}
	if (!is_number_arg(&args[*i], INT64_MAX, &v)) {
		str_copys(ps->err, "Invalid MODSEQ value");
		return NULL;
	}
	(*i)++;
	k = new_node(K_MODSEQ);
	k->num = v;
	ps->q->modseq = true;
	return k;
}

static struct node *
parse_key(struct parser *ps, const struct imap_arg *args, size_t n,
    size_t *i, unsigned depth)
{
	const struct imap_arg *a = &args[*i];
	const struct keydef *d = NULL;
	struct node *k;
	uint64_t v;

	if (depth >= ps->depth_max) {
		str_copys(ps->err, "Search keys too deeply nested");
		return NULL;
	}
	if (++ps->q->nkeys > IMAP_SEARCH_KEYS_MAX) {
		str_copyf(ps->err, "More than %d search keys",
		    IMAP_SEARCH_KEYS_MAX);
		return NULL;
	}
	(*i)++;
	if (a->type == IMAP_ARG_LIST)
		return parse_and(ps, a->list, a->n, depth + 1);
	if (a->type != IMAP_ARG_ATOM) {
		str_copys(ps->err, "Invalid search key");
		return NULL;
	}
	if ((a->s[0] >= '0' && a->s[0] <= '9') || a->s[0] == '*' ||
	    a->s[0] == '$')
		return parse_seqset(ps, a, K_SEQ);
	for (size_t j = 0; j < sizeof(keydefs) / sizeof(keydefs[0]); j++)
		if (imap_arg_is(a, keydefs[j].name)) {
			d = &keydefs[j];
			break;
		}
	if (d == NULL) {
		str_copys(ps->err, "Unknown search key");
		if (a->len <= 32)
			str_catf(ps->err, " %s", a->s);
		return NULL;
	}
	/* every argument kind but MODSEQ's needs at least one more */
	if (d->arg != A_NONE && d->arg != A_MODSEQ && *i >= n) {
		str_copyf(ps->err, "Missing argument to %s", d->name);
		return NULL;
	}
	switch (d->arg) {
	case A_NONE:
		k = new_node(d->key);
		k->flag = d->flag;
		return k;
	case A_ASTRING:
		a = &args[(*i)++];
		if (!imap_arg_astring(a))
			goto badarg;
		k = new_node(d->key);
		if (d->field)
			k->hdr = xstrdup(d->field);
		set_needle(k, a->s, a->len);
		ps->q->content = true;
		return k;
	case A_HEADER:
		if (*i + 1 >= n) {
			str_copys(ps->err, "Missing argument to HEADER");
			return NULL;
		}
		if (!imap_arg_astring(&args[*i]) ||
		    !imap_arg_astring(&args[*i + 1]) ||
		    args[*i].len == 0 || memchr(args[*i].s, '\0',
		    args[*i].len) != NULL) {
			(*i)++;
			goto badarg;
		}
		k = new_node(K_HEADER);
		k->hdr = xstrndup(args[*i].s, args[*i].len);
		set_needle(k, args[*i + 1].s, args[*i + 1].len);
		*i += 2;
		ps->q->content = true;
		return k;
	case A_FLAGWORD:
		a = &args[(*i)++];
		if (a->type != IMAP_ARG_ATOM)
			goto badarg;
		k = new_node(d->key);
		k->flag = system_flag(a->s);
		k->s = xstrndup(a->s, a->len);
		k->slen = a->len;
		return k;
	case A_DATE:
		a = &args[(*i)++];
		if (a->type == IMAP_ARG_LIST)
			goto badarg;
		k = new_node(d->key);
		if (parse_date(a->s, a->len, &k->day) < 0) {
			free_node(k);
			goto badarg;
		}
		if (d->key == K_SENTBEFORE || d->key == K_SENTON ||
		    d->key == K_SENTSINCE)
			ps->q->content = true;
		return k;
	case A_NUMBER:
		a = &args[(*i)++];
		if (!is_number_arg(a, UINT64_MAX, &v))
			goto badarg;
		k = new_node(d->key);
		k->num = v;
		return k;
	case A_SEQSET:
		return parse_seqset(ps, &args[(*i)++], d->key);
	case A_KEY:
	case A_KEY2:
		k = new_node(d->key);
		k->kids = parse_key(ps, args, n, i, depth + 1);
		if (k->kids == NULL) {
			free_node(k);
			return NULL;
		}
		if (d->arg == A_KEY2) {
			if (*i >= n) {
				str_copys(ps->err, "Missing argument to OR");
				free_node(k);
				return NULL;
			}
			k->kids->next = parse_key(ps, args, n, i, depth + 1);
			if (k->kids->next == NULL) {
				free_node(k);
				return NULL;
			}
		}
		return k;
	case A_MODSEQ:
		return parse_modseq(ps, args, n, i);
	}
badarg:
	str_copyf(ps->err, "Invalid argument to %s", d->name);
	return NULL;
}

int
imap_search_parse(const struct imap_arg *args, size_t n, unsigned depth_max,
    struct imap_search **qp, struct str *err)
{
	struct imap_search *q = xcalloc(1, sizeof(*q));
	struct parser ps = { q, depth_max, err };

	str_clear(err);
	q->root = parse_and(&ps, args, n, 0);
	if (q->root == NULL) {
		if (err->len == 0)
			str_copys(err, "Invalid search");
		imap_search_free(&q);
		*qp = NULL;
		return -1;
	}
	q->tmp = xcalloc(1, sizeof(*q->tmp));
	q->fold = xcalloc(1, sizeof(*q->fold));
	q->body = xcalloc(1, sizeof(*q->body));
	q->text = xcalloc(1, sizeof(*q->text));
	*qp = q;
	return 0;
}

void
imap_search_free(struct imap_search **qp)
{
	struct imap_search *q = *qp;

	if (q == NULL)
		return;
	free_node(q->root);
	free(q->seqs);
	if (q->tmp)
		str_free(q->tmp);
	if (q->fold)
		str_free(q->fold);
	if (q->body)
		str_free(q->body);
	if (q->text)
		str_free(q->text);
	free(q->tmp);
	free(q->fold);
	free(q->body);
	free(q->text);
	free(q);
	*qp = NULL;
}

void
imap_search_prepare(struct imap_search *q, uint32_t max_seq,
    uint32_t max_uid, const struct imap_seqset *saved_uids)
{
	q->saved = saved_uids;
	for (size_t i = 0; i < q->nseqs; i++) {
		struct node *k = q->seqs[i];

		k->set.n = 0;
		for (size_t j = 0; j < k->orig.n; j++) {
			if (k->set.n == k->set.cap) {
				k->set.cap = k->set.cap ? size_mul(k->set.cap,
				    2) : 8;
				k->set.r = xreallocarray(k->set.r, k->set.cap,
				    sizeof(*k->set.r));
			}
			k->set.r[k->set.n++] = k->orig.r[j];
		}
		imap_seqset_resolve(&k->set,
		    k->key == K_UID ? max_uid : max_seq);
	}
}

/* ---- evaluation ---- */

struct eval {
	const struct imap_search *q;
	const struct imap_search_msg *m;
	const struct mime *mime;
	bool loaded;
	bool have_body, have_text;	/* q->body, q->text are this one's */
};

static const struct mime *content(struct eval *ev);

/* field - the decoded field: 1 found, 0 absent or unreadable. */
static int
field(struct eval *ev, const char *name, struct str *out)
{
	const struct mime *m;
	int r;

	str_clear(out);
	if (ev->m->header != NULL &&
	    (r = ev->m->header(ev->m->ctx, name, out)) >= 0)
		return r;
	str_clear(out);
	if ((m = content(ev)) == NULL)
		return 0;
	return mime_header(m, name, out);
}

static const struct mime *
content(struct eval *ev)
{
	if (!ev->loaded) {
		ev->loaded = true;
		ev->mime = ev->m->content ? ev->m->content(ev->m->ctx) : NULL;
	}
	return ev->mime;
}

static bool
has_keyword(const char *list, const char *kw, size_t n)
{
	const char *p = list;

	if (list == NULL)
		return false;
	while (*p) {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == n && strncasecmp(p, kw, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static bool
sent_day(struct eval *ev, long *day)
{
	struct str *t = ev->q->tmp;
	struct tm tm;
	time_t when;
	size_t first;

	/* The first Date field, in its own zone. */
	if (field(ev, "Date", t) != 1)
		return false;
	first = strcspn(t->s, "\n");
	if (mime_parse_date(t->s, first, &when) < 0)
		return false;
	when += zone_offset(t->s, first);
	if (gmtime_r(&when, &tm) == NULL)
		return false;
	*day = day_of_tm(&tm);
	return true;
}

static bool
match(struct eval *ev, const struct node *k)
{
	const struct imap_search_msg *m = ev->m;
	const struct imap_search *q = ev->q;
	const struct mime *mm;
	const struct node *c;
	struct tm tm;
	long day;

	switch (k->key) {
	case K_AND:
		for (c = k->kids; c; c = c->next)
			if (!match(ev, c))
				return false;
		return true;
	case K_OR:
		return match(ev, k->kids) || match(ev, k->kids->next);
	case K_NOT:
		return !match(ev, k->kids);
	case K_ALL:
		return true;
	case K_FLAG:
		return (m->flags & k->flag) != 0;
	case K_UNFLAG:
		return (m->flags & k->flag) == 0;
	case K_KEYWORD:
		if (k->flag)
			return (m->flags & k->flag) != 0;
		return has_keyword(m->keywords, k->s, k->slen);
	case K_UNKEYWORD:
		if (k->flag)
			return (m->flags & k->flag) == 0;
		return !has_keyword(m->keywords, k->s, k->slen);
	case K_NEW:
		return (m->flags & (STORE_F_RECENT | STORE_F_SEEN)) ==
		    STORE_F_RECENT;
	case K_OLD:
		return (m->flags & STORE_F_RECENT) == 0;
	case K_BEFORE:
	case K_ON:
	case K_SINCE:
		if (localtime_r(&m->internaldate, &tm) == NULL)
			return false;
		day = day_of_tm(&tm);
		return k->key == K_BEFORE ? day < k->day :
		    k->key == K_ON ? day == k->day : day >= k->day;
	case K_SENTBEFORE:
	case K_SENTON:
	case K_SENTSINCE:
		if (!sent_day(ev, &day))
			return false;
		return k->key == K_SENTBEFORE ? day < k->day :
		    k->key == K_SENTON ? day == k->day : day >= k->day;
	case K_LARGER:
		return m->size > k->num;
	case K_SMALLER:
		return m->size < k->num;
	case K_HEADER:
		if (field(ev, k->hdr, q->tmp) != 1)
			return false;
		return contains(q, q->tmp->s, q->tmp->len, k);
	case K_BODY:
	case K_TEXT: {
		/* Decoded and folded once per message, whatever the number
		 * of keys that look at it. */
		struct str *t = k->key == K_TEXT ? q->text : q->body;
		bool *have = k->key == K_TEXT ? &ev->have_text :
		    &ev->have_body;

		if ((mm = content(ev)) == NULL)
			return false;
		if (!*have) {
			str_clear(q->tmp);
			if (k->key == K_TEXT) {
				mime_headers_text(mm, q->tmp);
				str_catc(q->tmp, '\n');
			}
			mime_body_text(mm, q->tmp);
			fold(q->tmp->s, q->tmp->len, t);
			*have = true;
		}
		return k->slen == 0 ||
		    memmem(t->s, t->len, k->s, k->slen) != NULL;
	}
	case K_SEQ:
	case K_UID:
		if (k->dollar)
			return q->saved && imap_seqset_has(q->saved, m->uid);
		return imap_seqset_has(&k->set,
		    k->key == K_UID ? m->uid : m->seq);
	case K_MODSEQ:
		return m->modseq >= k->num;
	}
	return false;
}

bool
imap_search_match(const struct imap_search *q,
    const struct imap_search_msg *m)
{
	struct eval ev = { q, m, NULL, false, false, false };

	return match(&ev, q->root);
}

bool
imap_search_needs_content(const struct imap_search *q)
{
	return q->content;
}

bool
imap_search_has_modseq(const struct imap_search *q)
{
	return q->modseq;
}
