/*
 * imapd_list - LIST and LSUB (RFC 3501 6.3.8/6.3.9, RFC 9051 6.3.9),
 * with LIST-EXTENDED (RFC 5258), SPECIAL-USE (RFC 6154) and LIST-STATUS
 * (RFC 5819); STATUS (RFC 3501 6.3.10, RFC 8438 SIZE, RFC 7162
 * HIGHESTMODSEQ, RFC 9051 DELETED) and NAMESPACE (RFC 2342).
 *
 * LIST takes one snapshot of the user's mailboxes, adds the missing
 * superiors of every name (the hierarchy levels a "%" may stop at),
 * sorts them so that a mailbox's descendants follow it directly, and
 * then decides name by name.  A mailbox's subscription lives in its
 * record; a subscribed name whose mailbox was deleted is kept by name
 * (store_subscribed_orphans) and listed as \NonExistent with
 * LIST (SUBSCRIBED), \Noselect with LSUB (RFC 5258 3.1, RFC 3501
 * 6.3.9).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "imapd.h"
#include "mime.h"

#define SEP '/'

/* STATUS items, as bits; the order of the request is kept separately. */
enum {
	ST_MESSAGES, ST_RECENT, ST_UIDNEXT, ST_UIDVALIDITY, ST_UNSEEN,
	ST_SIZE, ST_HIGHESTMODSEQ, ST_DELETED, ST_NITEMS
};

static const char *const status_names[ST_NITEMS] = {
	"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE",
	"HIGHESTMODSEQ", "DELETED",
};

struct status_req {
	unsigned char item[ST_NITEMS];	/* in request order */
	size_t n;
};

/* status_parse - the "(MESSAGES UNSEEN ...)" list: 0, or -1 (BAD). */
static int
status_parse(const struct imap_arg *a, struct status_req *req)
{
	size_t i, k;

	req->n = 0;
	if (a->type != IMAP_ARG_LIST || a->n == 0)
		return -1;
	for (i = 0; i < a->n; i++) {
		for (k = 0; k < ST_NITEMS; k++)
			if (imap_arg_is(&a->list[i], status_names[k]))
				break;
		if (k == ST_NITEMS)
			return -1;
		/* a repeated item is answered once */
		if (memchr(req->item, (int)k, req->n) == NULL)
			req->item[req->n++] = (unsigned char)k;
	}
	return 0;
}

static int
count_deleted(const struct store_msg *m, void *arg)
{
	if (m->flags & STORE_F_DELETED)
		(*(uint32_t *)arg)++;
	return 0;
}

/* status_out - "* STATUS name (...)" for mb into out; 0, or a store
 * error (DELETED needs a scan of the messages). */
static int
status_out(struct imapd *st, const struct store_mailbox *mb,
    const char *name, const struct status_req *req, struct str *out,
    struct str *err)
{
	size_t i, start = out->len;
	int rc;

	str_cats(out, "* STATUS ");
	imapd_name_out(st, name, out);
	str_cats(out, " (");
	for (i = 0; i < req->n; i++) {
		unsigned long long v = 0;
		uint32_t del = 0;

		switch (req->item[i]) {
		case ST_MESSAGES:
			v = mb->messages;
			break;
		case ST_RECENT:
			v = mb->recent;
			break;
		case ST_UIDNEXT:
			v = mb->uidnext;
			break;
		case ST_UIDVALIDITY:
			v = mb->uidvalidity;
			break;
		case ST_UNSEEN:
			v = mb->unseen;
			break;
		case ST_SIZE:
			v = mb->size;
			break;
		case ST_HIGHESTMODSEQ:
			v = mb->highestmodseq;
			break;
		case ST_DELETED:
			rc = store_msg_list(st->store, mb->id, 1,
			    count_deleted, &del, err);
			if (rc != STORE_OK) {
				str_truncate(out, start);
				return rc;
			}
			v = del;
			break;
		}
		str_catf(out, "%s%s %llu", i > 0 ? " " : "",
		    status_names[req->item[i]], v);
	}
	str_cats(out, ")\r\n");
	return STORE_OK;
}

/* status_enables - RFC 7162 3.1: STATUS (HIGHESTMODSEQ) is a CONDSTORE
 * enabling command. */
static void
status_enables(struct imapd *st, const struct status_req *req)
{
	if (memchr(req->item, ST_HIGHESTMODSEQ, req->n) != NULL)
		st->condstore = true;
}

/* ---- pattern matching ---- */

/* One canonical pattern (reference + pattern, UTF-8).  upper is the
 * same with a leading "inbox" upper-cased, tried only against names
 * under INBOX, which is case-insensitive. */
struct pat {
	char *p, *upper;
	size_t len;
	bool pct_last;		/* ends in '%': superiors are returned */
};

struct matcher {
	struct pat *pats;
	size_t n;
	bool *cur, *next;	/* NFA states, 0..longest pattern */
	size_t cap;
};

static bool
inbox_rooted(const char *name)
{
	return strncmp(name, "INBOX", 5) == 0 &&
	    (name[5] == '\0' || name[5] == SEP);
}

static void
closure(const char *p, size_t m, bool *s)
{
	size_t j;

	for (j = 0; j < m; j++)
		if (s[j] && (p[j] == '*' || p[j] == '%'))
			s[j + 1] = true;
}

/* glob - name against p: '*' is anything, '%' anything but the
 * separator.  A state set walk, so O(len(name) * len(p)) whatever the
 * pattern (no exponential backtracking on "*a*a*a*b"). */
static bool
glob(struct matcher *mt, const char *p, size_t m, const char *name)
{
	bool *cur = mt->cur, *nx = mt->next, *t;
	size_t j;

	memset(cur, 0, m + 1);
	cur[0] = true;
	closure(p, m, cur);
	for (; *name != '\0'; name++) {
		bool any = false;

		memset(nx, 0, m + 1);
		for (j = 0; j < m; j++) {
			if (!cur[j])
				continue;
			if (p[j] == '*' || (p[j] == '%' && *name != SEP))
				nx[j] = any = true;
			else if (p[j] == *name)
				nx[j + 1] = any = true;
		}
		if (!any)
			return false;
		closure(p, m, nx);
		t = cur, cur = nx, nx = t;
	}
	return cur[m];
}

static bool
pat_match(struct matcher *mt, const struct pat *pt, const char *name)
{
	if (glob(mt, pt->p, pt->len, name))
		return true;
	return pt->upper != NULL && inbox_rooted(name) &&
	    glob(mt, pt->upper, pt->len, name);
}

/* match_any - the name matches one of the patterns (only those ending
 * in '%' when pct_only). */
static bool
match_any(struct matcher *mt, const char *name, bool pct_only)
{
	size_t i;

	for (i = 0; i < mt->n; i++)
		if ((!pct_only || mt->pats[i].pct_last) &&
		    pat_match(mt, &mt->pats[i], name))
			return true;
	return false;
}

/* client_text - a reference or pattern as UTF-8: modified UTF-7 is
 * decoded unless UTF8=ACCEPT; text that does not decode is kept as it
 * came (it then matches nothing a valid name could). */
static void
client_text(struct imapd *st, const struct imap_arg *a, struct str *out)
{
	str_clear(out);
	if (st->utf8 || store_mutf7_to_utf8(a->s, out) < 0)
		str_copyb(out, a->s, a->len);
}

/* collapse - runs of wildcards to one ('*' if the run has one), and a
 * pattern too long to match any name (each other character takes one
 * octet of the name) to one that matches nothing: glob's work is the
 * product of the lengths, so neither can make LIST slow. */
static void
collapse(struct str *s)
{
	size_t i, w = 0;

	for (i = 0; i < s->len; i++) {
		char c = s->s[i];

		if ((c == '*' || c == '%') && w > 0 &&
		    (s->s[w - 1] == '*' || s->s[w - 1] == '%')) {
			if (c == '*')
				s->s[w - 1] = '*';
			continue;
		}
		s->s[w++] = c;
	}
	str_truncate(s, w);
	if (s->len > 2 * STORE_NAME_MAX + 1)
		str_copys(s, "\x01");	/* never in a valid name */
}

static void
matcher_add(struct matcher *mt, const struct str *ref, const struct str *pat)
{
	struct pat *pt;
	struct str s = STR_INIT;

	/* RFC 3501 6.3.8: the reference goes in front of the pattern,
	 * unless the pattern starts at the root (then it matches nothing
	 * here: our names never start with the separator) */
	if (pat->len == 0 || pat->s[0] != SEP)
		str_copyb(&s, ref->s, ref->len);
	str_catb(&s, pat->s, pat->len);
	collapse(&s);
	mt->pats = xreallocarray(mt->pats, mt->n + 1, sizeof(*mt->pats));
	pt = &mt->pats[mt->n++];
	pt->len = s.len;
	pt->pct_last = s.len > 0 && s.s[s.len - 1] == '%';
	pt->upper = NULL;
	if (s.len >= 5 && strncasecmp(s.s, "INBOX", 5) == 0 &&
	    strncmp(s.s, "INBOX", 5) != 0) {
		pt->upper = xstrdup(s.s);
		memcpy(pt->upper, "INBOX", 5);
	}
	pt->p = str_steal(&s);
	if (pt->len + 1 > mt->cap) {
		mt->cap = pt->len + 1;
		mt->cur = xrealloc(mt->cur, mt->cap);
		mt->next = xrealloc(mt->next, mt->cap);
	}
}

static void
matcher_free(struct matcher *mt)
{
	size_t i;

	for (i = 0; i < mt->n; i++) {
		free(mt->pats[i].p);
		free(mt->pats[i].upper);
	}
	free(mt->pats);
	free(mt->cur);
	free(mt->next);
	memset(mt, 0, sizeof(*mt));
}

/* ---- the mailbox snapshot ---- */

struct ent {
	char *name;
	bool exists;		/* a mailbox */
	bool super;		/* a superior of mailboxes (maybe not one) */
	bool orphan;		/* subscribed by name, no mailbox */
	struct store_mailbox mb;	/* when exists; name left empty */
};

/* subscribed - a mailbox that is, or a name without one. */
static bool
subscribed(const struct ent *e)
{
	return e->orphan || (e->exists && e->mb.subscribed);
}

struct snap {
	struct ent *e;
	size_t n, cap;
};

static void
snap_add(struct snap *sn, const char *name, size_t len,
    const struct store_mailbox *mb)
{
	struct ent *e;

	if (sn->n == sn->cap) {
		sn->cap = sn->cap ? size_mul(sn->cap, 2) : 64;
		sn->e = xreallocarray(sn->e, sn->cap, sizeof(*sn->e));
	}
	e = &sn->e[sn->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrndup(name, len);
	if (mb != NULL) {
		e->exists = true;
		e->mb = *mb;
		memset(&e->mb.name, 0, sizeof(e->mb.name));
	} else
		e->super = true;
}

static int
orphan_fn(const char *name, size_t len, void *arg)
{
	struct snap *sn = arg;

	snap_add(sn, name, len, NULL);
	sn->e[sn->n - 1].super = false;
	sn->e[sn->n - 1].orphan = true;
	return 0;
}

static int
snap_fn(const struct store_mailbox *mb, void *arg)
{
	snap_add(arg, mb->name.s, mb->name.len, mb);
	return 0;
}

/* name_cmp - INBOX and its children first, then by name with the
 * separator ordered before every other octet, so that the descendants
 * of a name directly follow it. */
static int
name_cmp(const char *a, const char *b)
{
	bool ia = inbox_rooted(a), ib = inbox_rooted(b);

	if (ia != ib)
		return ia ? -1 : 1;
	for (;; a++, b++) {
		unsigned ca = (unsigned char)*a, cb = (unsigned char)*b;

		ca = ca == SEP ? 1 : ca;
		cb = cb == SEP ? 1 : cb;
		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca == 0)
			return 0;
	}
}

static int
ent_cmp(const void *pa, const void *pb)
{
	const struct ent *a = pa, *b = pb;
	int r = name_cmp(a->name, b->name);

	if (r != 0)
		return r;
	return (int)b->exists - (int)a->exists;	/* the real one first */
}

/* snap_load - every mailbox and every missing superior, sorted. */
static int
snap_load(struct imapd *st, struct snap *sn, struct str *err)
{
	size_t i, n, o;
	int rc;

	rc = store_mailbox_list(st->store, snap_fn, sn, err);
	if (rc != STORE_OK)
		return rc;
	n = sn->n;
	for (i = 0; i < n; i++) {
		const char *s;

		for (s = strchr(sn->e[i].name, SEP); s != NULL;
		    s = strchr(s + 1, SEP)) {
			/* snap_add may move sn->e: take the name afresh */
			const char *base = sn->e[i].name;
			size_t len = (size_t)(s - base);

			snap_add(sn, base, len, NULL);
			s = sn->e[i].name + len;
		}
	}
	/* subscriptions of deleted mailboxes (not superiors of anything) */
	rc = store_subscribed_orphans(st->store, orphan_fn, sn, err);
	if (rc != STORE_OK)
		return rc;
	qsort(sn->e, sn->n, sizeof(*sn->e), ent_cmp);
	for (i = o = 0; i < sn->n; i++) {
		if (o > 0 && strcmp(sn->e[o - 1].name, sn->e[i].name) == 0) {
			/* one name: a mailbox first, what else it is too */
			sn->e[o - 1].super |= sn->e[i].super;
			sn->e[o - 1].orphan |= sn->e[i].orphan;
			free(sn->e[i].name);
			continue;
		}
		sn->e[o++] = sn->e[i];
	}
	sn->n = o;
	return STORE_OK;
}

static void
snap_free(struct snap *sn)
{
	size_t i;

	for (i = 0; i < sn->n; i++)
		free(sn->e[i].name);
	free(sn->e);
	memset(sn, 0, sizeof(*sn));
}

/* below - e[j] is a descendant of e[i]. */
static bool
below(const struct snap *sn, size_t i, size_t j)
{
	size_t n = strlen(sn->e[i].name);

	return strncmp(sn->e[j].name, sn->e[i].name, n) == 0 &&
	    sn->e[j].name[n] == SEP;
}

/* ---- LIST ---- */

#define SEL_SUBSCRIBED 0x01u
#define SEL_REMOTE 0x02u
#define SEL_RECURSIVE 0x04u
#define SEL_SPECIALUSE 0x08u

#define RET_SUBSCRIBED 0x01u
#define RET_CHILDREN 0x02u
#define RET_SPECIALUSE 0x04u
#define RET_STATUS 0x08u

struct listreq {
	bool lsub;
	unsigned sel, ret;
	struct status_req status;
};

/* criteria - e meets the selection options. */
static bool
criteria(const struct listreq *rq, const struct ent *e)
{
	/* a name without a mailbox only as a subscription */
	if (!e->exists && !((rq->sel & SEL_SUBSCRIBED) && e->orphan))
		return false;
	if ((rq->sel & SEL_SUBSCRIBED) && !subscribed(e))
		return false;
	if ((rq->sel & SEL_SPECIALUSE) && e->mb.special == 0)
		return false;
	return true;
}

/* childinfo - RFC 5258 RECURSIVEMATCH: a descendant that meets the
 * criteria without matching the patterns. */
static bool
childinfo(const struct listreq *rq, struct matcher *mt,
    const struct snap *sn, size_t i)
{
	size_t j;

	for (j = i + 1; j < sn->n && below(sn, i, j); j++)
		if (criteria(rq, &sn->e[j]) &&
		    !match_any(mt, sn->e[j].name, false))
			return true;
	return false;
}

/* sub_below - LSUB: a subscribed descendant. */
static bool
sub_below(const struct snap *sn, size_t i)
{
	size_t j;

	for (j = i + 1; j < sn->n && below(sn, i, j); j++)
		if (subscribed(&sn->e[j]))
			return true;
	return false;
}

static void
attr(struct str *out, const char *a)
{
	if (out->len > 0 && out->s[out->len - 1] != '(')
		str_catc(out, ' ');
	str_cats(out, a);
}

static void
special_attrs(struct str *out, unsigned su)
{
	static const struct {
		unsigned bit;
		const char *name;
	} su_names[] = {
		{ STORE_SU_ALL, "\\All" },
		{ STORE_SU_ARCHIVE, "\\Archive" },
		{ STORE_SU_DRAFTS, "\\Drafts" },
		{ STORE_SU_FLAGGED, "\\Flagged" },
		{ STORE_SU_JUNK, "\\Junk" },
		{ STORE_SU_SENT, "\\Sent" },
		{ STORE_SU_TRASH, "\\Trash" },
	};
	size_t k;

	for (k = 0; k < sizeof(su_names) / sizeof(su_names[0]); k++)
		if (su & su_names[k].bit)
			attr(out, su_names[k].name);
}

/* list_one - the reply for e[i], when it is to be listed. */
static int
list_one(struct imapd *st, const struct listreq *rq, struct matcher *mt,
    const struct snap *sn, size_t i, struct str *out, struct str *err)
{
	const struct ent *e = &sn->e[i];
	bool meets, info = false, kids;

	if (!match_any(mt, e->name, false))
		return STORE_OK;
	if (rq->lsub) {
		/* RFC 3501 6.3.9: a level "%" stops at that has subscribed
		 * names below it is listed \Noselect. */
		if (e->exists && subscribed(e))
			str_cats(out, "* LSUB (");
		else if (e->orphan)
			str_cats(out, "* LSUB (\\Noselect");
		else if (match_any(mt, e->name, true) && sub_below(sn, i))
			str_cats(out, "* LSUB (\\Noselect");
		else
			return STORE_OK;
		str_cats(out, ") \"/\" ");
		imapd_name_out(st, e->name, out);
		str_cats(out, "\r\n");
		return STORE_OK;
	}
	meets = criteria(rq, e);
	if (rq->sel & SEL_RECURSIVE)
		info = childinfo(rq, mt, sn, i);
	if (!meets && !info) {
		/* RFC 3501 6.3.8: with "%" last, levels that are not
		 * mailboxes themselves are listed \Noselect; with selection
		 * options only names meeting them count (RFC 5258 3). */
		if (e->exists || !e->super || (rq->sel & ~SEL_REMOTE) != 0 ||
		    !match_any(mt, e->name, true))
			return STORE_OK;
	}
	kids = i + 1 < sn->n && below(sn, i, i + 1);
	str_cats(out, "* LIST (");
	if (!e->exists)
		attr(out, info || (meets && e->orphan) ? "\\NonExistent" :
		    "\\Noselect");
	if (subscribed(e) &&
	    ((rq->ret & RET_SUBSCRIBED) || (rq->sel & SEL_SUBSCRIBED)))
		attr(out, "\\Subscribed");
	if ((rq->ret & RET_CHILDREN) || st->rev2)
		attr(out, kids ? "\\HasChildren" : "\\HasNoChildren");
	if (e->exists)
		special_attrs(out, e->mb.special);
	str_cats(out, ") \"/\" ");
	imapd_name_out(st, e->name, out);
	if (info) {
		str_cats(out, " (\"CHILDINFO\" (");
		if (rq->sel & SEL_SUBSCRIBED)
			str_cats(out, "\"SUBSCRIBED\"");
		if (rq->sel & SEL_SPECIALUSE)
			str_cats(out, rq->sel & SEL_SUBSCRIBED ?
			    " \"SPECIAL-USE\"" : "\"SPECIAL-USE\"");
		str_cats(out, "))");
	}
	str_cats(out, "\r\n");
	/* RFC 5819: STATUS after the LIST line, for mailboxes that can be
	 * selected only. */
	if ((rq->ret & RET_STATUS) && e->exists)
		return status_out(st, &e->mb, e->name, &rq->status, out, err);
	return STORE_OK;
}

/* parse_sel - LIST-EXTENDED selection options; 0 or -1 (BAD). */
static int
parse_sel(const struct imap_arg *a, unsigned *sel)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		const struct imap_arg *o = &a->list[i];

		if (imap_arg_is(o, "SUBSCRIBED"))
			*sel |= SEL_SUBSCRIBED;
		else if (imap_arg_is(o, "REMOTE"))
			*sel |= SEL_REMOTE;
		else if (imap_arg_is(o, "RECURSIVEMATCH"))
			*sel |= SEL_RECURSIVE;
		else if (imap_arg_is(o, "SPECIAL-USE"))
			*sel |= SEL_SPECIALUSE;
		else
			return -1;
	}
	/* RFC 5258 3.1: RECURSIVEMATCH alone (or with REMOTE only) is
	 * BAD. */
	if ((*sel & SEL_RECURSIVE) &&
	    (*sel & (SEL_SUBSCRIBED | SEL_SPECIALUSE)) == 0)
		return -1;
	return 0;
}

/* parse_ret - RETURN options; 0 or -1 (BAD). */
static int
parse_ret(const struct imap_arg *a, struct listreq *rq)
{
	size_t i;

	if (a->type != IMAP_ARG_LIST)
		return -1;
	for (i = 0; i < a->n; i++) {
		const struct imap_arg *o = &a->list[i];

		if (imap_arg_is(o, "SUBSCRIBED"))
			rq->ret |= RET_SUBSCRIBED;
		else if (imap_arg_is(o, "CHILDREN"))
			rq->ret |= RET_CHILDREN;
		else if (imap_arg_is(o, "SPECIAL-USE"))
			rq->ret |= RET_SPECIALUSE;
		else if (imap_arg_is(o, "STATUS") && i + 1 < a->n &&
		    status_parse(&a->list[i + 1], &rq->status) == 0) {
			rq->ret |= RET_STATUS;
			i++;
		} else
			return -1;
	}
	return 0;
}

static bool
pattern_arg(const struct imap_arg *a)
{
	return imap_arg_astring(a) && memchr(a->s, '\0', a->len) == NULL;
}

void
imapd_cmd_list(struct imapd *st, const struct imap_cmd *c, bool lsub)
{
	struct listreq rq;
	struct matcher mt;
	struct snap sn;
	struct str ref = STR_INIT, pat = STR_INIT, out = STR_INIT;
	struct str err = STR_INIT;
	const struct imap_arg *a = c->args, *pats;
	size_t n = c->nargs, npats, i;
	int rc = STORE_OK;

	memset(&rq, 0, sizeof(rq));
	memset(&mt, 0, sizeof(mt));
	memset(&sn, 0, sizeof(sn));
	rq.lsub = lsub;
	if (!lsub && n > 0 && a[0].type == IMAP_ARG_LIST) {
		if (parse_sel(&a[0], &rq.sel) < 0) {
			imapd_bad(st, c, "Unknown or invalid selection "
			    "options");
			return;
		}
		a++, n--;
	}
	if (n < 2 || !pattern_arg(&a[0])) {
		imapd_bad(st, c, "%s needs a reference and a mailbox pattern",
		    c->verb);
		return;
	}
	if (a[1].type == IMAP_ARG_LIST && !lsub) {
		pats = a[1].list;
		npats = a[1].n;
		if (npats == 0) {
			imapd_bad(st, c, "Empty pattern list");
			return;
		}
	} else {
		pats = &a[1];
		npats = 1;
	}
	for (i = 0; i < npats; i++)
		if (!pattern_arg(&pats[i])) {
			imapd_bad(st, c, "Invalid mailbox pattern");
			return;
		}
	if (n == 4 && !lsub && imap_arg_is(&a[2], "RETURN")) {
		if (parse_ret(&a[3], &rq) < 0) {
			imapd_bad(st, c, "Unknown or invalid return options");
			return;
		}
	} else if (n != 2) {
		imapd_bad(st, c, "Too many arguments to %s", c->verb);
		return;
	}
	status_enables(st, &rq.status);

	/* RFC 3501 6.3.8: an empty pattern asks for the separator and the
	 * root of the reference. */
	if (npats == 1 && pats[0].len == 0) {
		if (!lsub) {
			const char *sl = memchr(a[0].s, SEP, a[0].len);

			str_cats(&out, "* LIST (\\Noselect) \"/\" ");
			mime_quote(&out, a[0].s,
			    sl != NULL ? (size_t)(sl - a[0].s) + 1 : 0);
			str_cats(&out, "\r\n");
			buf_put(&st->ss.b, out.s, out.len);
		}
		imapd_ok(st, c, "%s completed", c->verb);
		goto out;
	}

	client_text(st, &a[0], &ref);
	for (i = 0; i < npats; i++) {
		if (pats[i].len == 0)
			continue;	/* among several: matches nothing */
		client_text(st, &pats[i], &pat);
		matcher_add(&mt, &ref, &pat);
	}
	if ((rc = snap_load(st, &sn, &err)) != STORE_OK)
		goto fail;
	for (i = 0; i < sn.n; i++) {
		rc = list_one(st, &rq, &mt, &sn, i, &out, &err);
		if (rc == STORE_NOMBOX)
			rc = STORE_OK;	/* deleted meanwhile: skip it */
		if (rc != STORE_OK)
			goto fail;
		if (out.len >= BUF_OUT_FLUSH) {
			buf_put(&st->ss.b, out.s, out.len);
			str_clear(&out);
		}
	}
	buf_put(&st->ss.b, out.s, out.len);
	imapd_ok(st, c, "%s completed", c->verb);
	goto out;
fail:
	buf_put(&st->ss.b, out.s, out.len);
	imapd_store_error(st, c, rc, c->verb, &err);
out:
	snap_free(&sn);
	matcher_free(&mt);
	str_free(&ref);
	str_free(&pat);
	str_free(&out);
	str_free(&err);
}

/* ---- STATUS ---- */

void
imapd_cmd_status(struct imapd *st, const struct imap_cmd *c)
{
	struct status_req req;
	struct store_mailbox mb;
	struct str name = STR_INIT, out = STR_INIT, err = STR_INIT;
	int rc;

	memset(&mb, 0, sizeof(mb));
	if (c->nargs != 2 || status_parse(&c->args[1], &req) < 0) {
		imapd_bad(st, c, "STATUS needs a mailbox and a list of "
		    "known items");
		return;
	}
	if (c->args[0].len == 0 ||
	    imapd_name_in(st, &c->args[0], &name) < 0) {
		imapd_no(st, c, "[CANNOT] Invalid mailbox name");
		goto out;
	}
	status_enables(st, &req);
	/* one snapshot, so that DELETED agrees with the counters */
	if ((rc = store_txn_begin(st->store, false, &err)) == STORE_OK) {
		rc = store_mailbox_get(st->store, name.s, &mb, &err);
		if (rc == STORE_OK)
			rc = status_out(st, &mb, mb.name.s, &req, &out, &err);
		store_txn_abort(st->store);
	}
	if (rc == STORE_NOMBOX || rc == STORE_INVALID)
		imapd_no(st, c, "[NONEXISTENT] No such mailbox");
	else if (rc != STORE_OK)
		imapd_store_error(st, c, rc, "STATUS", &err);
	else {
		buf_put(&st->ss.b, out.s, out.len);
		imapd_ok(st, c, "STATUS completed");
	}
out:
	store_mailbox_free(&mb);
	str_free(&name);
	str_free(&out);
	str_free(&err);
}

/* ---- NAMESPACE ---- */

void
imapd_cmd_namespace(struct imapd *st, const struct imap_cmd *c)
{
	if (c->nargs != 0) {
		imapd_bad(st, c, "NAMESPACE takes no arguments");
		return;
	}
	/* One personal namespace; no other users', no shared ones. */
	buf_puts(&st->ss.b, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
	imapd_ok(st, c, "NAMESPACE completed");
}
