/*
 * imapd_select - the selected mailbox: SELECT/EXAMINE, CLOSE, the view
 * of its messages (sequence number = index + 1), and the news about
 * other sessions' changes (RFC 3501 7.4.1, RFC 9051 7.5.1): new
 * messages as EXISTS, flag changes as FETCH, expunges as EXPUNGE only
 * where the client can take them.
 *
 * A change is noticed by the mailbox's HIGHESTMODSEQ and UIDNEXT (one
 * record read); only then is the message list compared with the view.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cfg.h"
#include "imapd.h"
#include "log.h"

const struct imapd_sysflag imapd_sysflags[IMAPD_SYSFLAGS] = {
	{ STORE_F_ANSWERED, "\\Answered" },
	{ STORE_F_FLAGGED, "\\Flagged" },
	{ STORE_F_DELETED, "\\Deleted" },
	{ STORE_F_SEEN, "\\Seen" },
	{ STORE_F_DRAFT, "\\Draft" },
};

void
imapd_flags_out(struct str *out, unsigned flags, const char *keywords,
    bool recent)
{
	size_t i, n0 = out->len;

	str_catc(out, '(');
	for (i = 0; i < IMAPD_SYSFLAGS; i++)
		if (flags & imapd_sysflags[i].bit)
			str_catf(out, "%s%s", out->len > n0 + 1 ? " " : "",
			    imapd_sysflags[i].name);
	if (recent)
		str_catf(out, "%s\\Recent", out->len > n0 + 1 ? " " : "");
	if (keywords != NULL && *keywords != '\0')
		str_catf(out, "%s%s", out->len > n0 + 1 ? " " : "", keywords);
	str_catc(out, ')');
}

/* ---- keywords announced in FLAGS ---- */

bool
imapd_word_in(const char *list, const char *w, size_t n)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		size_t l = strcspn(p, " ");

		if (l == n && strncasecmp(p, w, n) == 0)
			return true;
		p += l;
		p += *p == ' ';
	}
	return false;
}

static void
flags_announce(struct imapd *st)
{
	struct str f = STR_INIT;

	imapd_flags_out(&f, STORE_F_ANSWERED | STORE_F_FLAGGED |
	    STORE_F_DELETED | STORE_F_SEEN | STORE_F_DRAFT, st->kwlist.s,
	    false);
	buf_printf(&st->ss.b, "* FLAGS %s\r\n", f.s);
	if (!st->readonly) {
		f.s[f.len - 1] = '\0';
		buf_printf(&st->ss.b, "* OK [PERMANENTFLAGS %s \\*)] "
		    "Flags permitted\r\n", f.s);
	} else
		buf_puts(&st->ss.b, "* OK [PERMANENTFLAGS ()] Read-only\r\n");
	str_free(&f);
}

/* add_keywords - add the new ones to kwlist; whether there were any. */
static bool
add_keywords(struct imapd *st, const char *keywords)
{
	const char *p = keywords;
	bool added = false;

	while (p != NULL && *p != '\0') {
		size_t l = strcspn(p, " ");

		if (l > 0 && !imapd_word_in(st->kwlist.s, p, l)) {
			if (st->kwlist.len > 0)
				str_catc(&st->kwlist, ' ');
			str_catb(&st->kwlist, p, l);
			added = true;
		}
		p += l;
		p += *p == ' ';
	}
	return added;
}

void
imapd_keywords_note(struct imapd *st, const char *keywords)
{
	if (add_keywords(st, keywords))
		flags_announce(st);
}

/* ---- the view ---- */

static void
msg_set(struct imapd_msg *v, const struct store_msg *m)
{
	v->uid = m->uid;
	v->flags = m->flags & ~STORE_F_RECENT;
	v->modseq = m->modseq;
	free(v->keywords);
	v->keywords = m->keywords.len > 0 ? xstrdup(m->keywords.s) : NULL;
}

void
imapd_msg_update(struct imapd *st, size_t i, const struct store_msg *m)
{
	msg_set(&st->msgs[i], m);
	imapd_keywords_note(st, m->keywords.s);
}

static struct imapd_msg *
view_push(struct imapd *st)
{
	struct imapd_msg *v;

	if (st->nmsgs == st->capmsgs) {
		st->capmsgs = st->capmsgs ? st->capmsgs * 2 : 64;
		st->msgs = xreallocarray(st->msgs, st->capmsgs,
		    sizeof *st->msgs);
	}
	v = &st->msgs[st->nmsgs++];
	memset(v, 0, sizeof *v);
	return v;
}

void
imapd_unselect(struct imapd *st)
{
	size_t i;

	for (i = 0; i < st->nmsgs; i++)
		free(st->msgs[i].keywords);
	free(st->msgs);
	st->msgs = NULL;
	st->nmsgs = st->capmsgs = 0;
	st->gone_pending = false;
	store_mailbox_free(&st->mb);
	memset(&st->mb, 0, sizeof st->mb);
	imap_seqset_free(&st->saved);
	str_free(&st->kwlist);
	if (st->state == IMAPD_SELECTED)
		st->state = IMAPD_AUTH;
}

void
imapd_expunged(struct imapd *st, size_t i)
{
	free(st->msgs[i].keywords);
	memmove(&st->msgs[i], &st->msgs[i + 1],
	    (st->nmsgs - i - 1) * sizeof *st->msgs);
	st->nmsgs--;
	buf_printf(&st->ss.b, "* %zu EXPUNGE\r\n", i + 1);
}

/* The store's messages of the mailbox, collected (callbacks must not
 * change the store). */
struct list {
	struct store_msg *m;
	size_t n, cap;
};

static int
list_add(const struct store_msg *m, void *arg)
{
	struct list *l = arg;
	struct store_msg *c;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->m = xreallocarray(l->m, l->cap, sizeof *l->m);
	}
	c = &l->m[l->n++];
	*c = *m;
	memset(&c->keywords, 0, sizeof c->keywords);
	if (m->keywords.len > 0)
		str_copyb(&c->keywords, m->keywords.s, m->keywords.len);
	return 0;
}

static void
list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		str_free(&l->m[i].keywords);
	free(l->m);
	memset(l, 0, sizeof *l);
}

/* claim_recent - \Recent goes to the first session to see a message
 * read-write: clear the stored flag; true when this session got it. */
static bool
claim_recent(struct imapd *st, const struct store_msg *m)
{
	struct store_msg n;
	struct str err = STR_INIT;
	bool got;

	if (st->readonly || !(m->flags & STORE_F_RECENT))
		return false;
	memset(&n, 0, sizeof n);
	got = store_msg_set_flags(st->store, st->mb.id, m->uid,
	    m->flags & ~STORE_F_RECENT, m->keywords.s, m->modseq, &n,
	    &err) == STORE_OK;
	store_msg_free(&n);
	str_free(&err);
	return got;
}

static bool
flags_differ(const struct imapd_msg *v, const struct store_msg *m)
{
	const char *a = v->keywords ? v->keywords : "";
	const char *b = m->keywords.len ? m->keywords.s : "";

	return v->flags != (m->flags & ~STORE_F_RECENT) || strcmp(a, b) != 0;
}

static void
fetch_flags(struct imapd *st, size_t i)
{
	struct str f = STR_INIT;
	const struct imapd_msg *v = &st->msgs[i];

	imapd_flags_out(&f, v->flags, v->keywords, v->recent);
	buf_printf(&st->ss.b, "* %zu FETCH (UID %u FLAGS %s", i + 1, v->uid,
	    f.s);
	if (st->condstore)
		buf_printf(&st->ss.b, " MODSEQ (%llu)",
		    (unsigned long long)v->modseq);
	buf_puts(&st->ss.b, ")\r\n");
	str_free(&f);
}

bool
imapd_change_begin(struct imapd *st)
{
	struct store_mailbox mb;
	struct str err = STR_INIT;
	bool own;

	memset(&mb, 0, sizeof mb);
	own = store_mailbox_get_id(st->store, st->mb.id, &mb, &err) ==
	    STORE_OK && mb.highestmodseq == st->seen_modseq &&
	    mb.uidnext == st->mb.uidnext;
	store_mailbox_free(&mb);
	str_free(&err);
	return own;
}

/* sync_view - imapd_sync; quiet: only load the view (SELECT, whose
 * own responses tell the totals). */
static int
sync_view(struct imapd *st, bool allow_expunge, bool quiet)
{
	struct store_mailbox mb;
	struct list l = { NULL, 0, 0 };
	struct str err = STR_INIT;
	size_t i, j, w, had, recent = 0;
	bool txn = false;
	int rc;

	if (st->notify_fd >= 0)
		store_notify_drain(st->notify_fd);
	memset(&mb, 0, sizeof mb);
	/* The record and the list from one snapshot: what seen_modseq
	 * covers is exactly what is reported. */
	if ((rc = store_txn_begin(st->store, false, &err)) == STORE_OK)
		rc = store_mailbox_get_id(st->store, st->mb.id, &mb, &err);
	if (rc == STORE_NOMBOX) {
		store_txn_abort(st->store);
		if (!quiet)
			buf_puts(&st->ss.b,
			    "* BYE The selected mailbox was deleted\r\n");
		str_free(&err);
		return -1;
	}
	if (rc == STORE_OK && mb.highestmodseq == st->seen_modseq &&
	    mb.uidnext == st->mb.uidnext &&
	    !(allow_expunge && st->gone_pending)) {
		store_txn_abort(st->store);
		store_mailbox_free(&mb);
		str_free(&err);
		return 0;
	}
	if (rc == STORE_OK)
		rc = store_msg_list(st->store, st->mb.id, 1, list_add, &l,
		    &err);
	store_txn_abort(st->store);
	if (rc != STORE_OK) {
		log_error("user=%s sync: %s", st->user.s, str_cstr(&err));
		store_mailbox_free(&mb);
		list_free(&l);
		str_free(&err);
		return 0;
	}
	/* Merge by UID: both are in UID order. */
	for (i = j = w = 0; i < st->nmsgs; i++) {
		struct imapd_msg *v = &st->msgs[i];

		while (j < l.n && l.m[j].uid < v->uid)
			j++;	/* cannot happen: new UIDs only grow */
		if (j < l.n && l.m[j].uid == v->uid) {
			if (l.m[j].modseq != v->modseq &&
			    flags_differ(v, &l.m[j])) {
				msg_set(v, &l.m[j]);
				st->msgs[w] = *v;
				if (add_keywords(st, v->keywords))
					flags_announce(st);
				fetch_flags(st, w);
			} else {
				v->modseq = l.m[j].modseq;
				st->msgs[w] = *v;
			}
			w++;
			j++;
			continue;
		}
		if (allow_expunge) {
			free(v->keywords);
			buf_printf(&st->ss.b, "* %zu EXPUNGE\r\n", w + 1);
			continue;
		}
		v->gone = true;
		st->msgs[w++] = *v;
	}
	st->nmsgs = w;
	if (allow_expunge)
		st->gone_pending = false;
	for (i = 0; i < st->nmsgs && !st->gone_pending; i++)
		st->gone_pending = st->msgs[i].gone;
	had = st->nmsgs;
	for (; j < l.n; j++) {
		struct imapd_msg *v;

		if (had > 0 && l.m[j].uid <= st->msgs[had - 1].uid)
			continue;
		v = view_push(st);
		msg_set(v, &l.m[j]);
		/* One transaction for all the claims: one sync to disk. */
		if (!txn && !st->readonly && (l.m[j].flags & STORE_F_RECENT))
			txn = store_txn_begin(st->store, true, &err) ==
			    STORE_OK;
		/* EXAMINE shows \Recent without taking it; IMAP4rev2 has
		 * none (RFC 9051 appendix E). */
		if (st->readonly)
			v->recent = (l.m[j].flags & STORE_F_RECENT) != 0;
		else
			v->recent = txn && claim_recent(st, &l.m[j]);
		v->recent = v->recent && !st->rev2;
		recent += v->recent;
		if (add_keywords(st, v->keywords) && !quiet)
			flags_announce(st);
	}
	if (txn && store_txn_commit(st->store, &err) != STORE_OK) {
		log_error("user=%s recent: %s", st->user.s, err.s);
		for (i = had; i < st->nmsgs; i++)
			st->msgs[i].recent = false;
	}
	if (st->nmsgs != had && !quiet) {
		buf_printf(&st->ss.b, "* %zu EXISTS\r\n", st->nmsgs);
		if (!st->rev2) {
			for (i = recent = 0; i < st->nmsgs; i++)
				recent += st->msgs[i].recent;
			buf_printf(&st->ss.b, "* %zu RECENT\r\n", recent);
		}
	}
	store_mailbox_free(&st->mb);
	st->mb = mb;
	/* Our own \Recent claims move the modseq on: the next sync lists
	 * the mailbox again and finds nothing to say about them. */
	st->seen_modseq = st->mb.highestmodseq;
	list_free(&l);
	str_free(&err);
	return 0;
}

int
imapd_sync(struct imapd *st, bool allow_expunge)
{
	return sync_view(st, allow_expunge, false);
}

/* ---- SELECT / EXAMINE ---- */

void
imapd_cmd_select(struct imapd *st, const struct imap_cmd *c)
{
	struct str name = STR_INIT, err = STR_INIT, out = STR_INIT;
	bool examine = strcmp(c->verb, "EXAMINE") == 0;
	size_t i, recent = 0, unseen = 0;
	int rc;

	if (c->nargs < 1 || c->nargs > 2 || imapd_name_in(st, &c->args[0],
	    &name) < 0) {
		imapd_bad(st, c, "%s needs a mailbox name", c->verb);
		goto out;
	}
	if (c->nargs == 2) {
		const struct imap_arg *p = &c->args[1];

		if (p->type != IMAP_ARG_LIST || p->n != 1 ||
		    !imap_arg_is(&p->list[0], "CONDSTORE")) {
			imapd_bad(st, c, "Unknown SELECT parameter");
			goto out;
		}
		st->condstore = true;
	}
	if (st->state == IMAPD_SELECTED) {
		imapd_unselect(st);
		if (st->rev2 || st->condstore)
			buf_puts(&st->ss.b, "* OK [CLOSED] Previous mailbox "
			    "closed\r\n");
	}
	rc = store_mailbox_get(st->store, name.s, &st->mb, &err);
	if (rc != STORE_OK) {
		memset(&st->mb, 0, sizeof st->mb);
		if (rc == STORE_NOMBOX)
			imapd_no(st, c, "[NONEXISTENT] No such mailbox");
		else
			imapd_store_error(st, c, rc, c->verb, &err);
		goto out;
	}
	st->readonly = examine;
	st->state = IMAPD_SELECTED;
	st->seen_modseq = 0;
	st->mb.uidnext = 0;	/* make sync_view load everything */
	if (sync_view(st, true, true) < 0) {
		imapd_unselect(st);
		imapd_no(st, c, "[NONEXISTENT] No such mailbox");
		goto out;
	}
	for (i = 0; i < st->nmsgs; i++) {
		recent += st->msgs[i].recent;
		if (!(st->msgs[i].flags & STORE_F_SEEN) && unseen == 0)
			unseen = i + 1;
	}
	flags_announce(st);
	buf_printf(&st->ss.b, "* %zu EXISTS\r\n", st->nmsgs);
	if (!st->rev2) {
		buf_printf(&st->ss.b, "* %zu RECENT\r\n", recent);
		if (unseen > 0)
			buf_printf(&st->ss.b, "* OK [UNSEEN %zu] First unseen\r\n",
			    unseen);
	}
	buf_printf(&st->ss.b, "* OK [UIDVALIDITY %u] UIDs valid\r\n"
	    "* OK [UIDNEXT %u] Predicted next UID\r\n"
	    "* OK [HIGHESTMODSEQ %llu] Highest\r\n",
	    st->mb.uidvalidity, st->mb.uidnext,
	    (unsigned long long)st->mb.highestmodseq);
	if (st->rev2) {
		imapd_name_out(st, st->mb.name.s, &out);
		buf_printf(&st->ss.b, "* LIST () \"/\" %s\r\n", out.s);
	}
	imapd_ok(st, c, "[%s] %s completed", examine ? "READ-ONLY" :
	    "READ-WRITE", c->verb);
out:
	str_free(&name);
	str_free(&err);
	str_free(&out);
}

void
imapd_cmd_close(struct imapd *st, const struct imap_cmd *c)
{
	struct str err = STR_INIT;
	size_t i;

	if (c->nargs != 0) {
		imapd_bad(st, c, "CLOSE takes no arguments");
		return;
	}
	/* Expunge silently (RFC 3501 6.4.2), as one transaction. */
	if (!st->readonly && store_txn_begin(st->store, true, &err) ==
	    STORE_OK) {
		int rc = STORE_OK;

		for (i = 0; i < st->nmsgs && rc == STORE_OK; i++) {
			struct store_msg m;

			memset(&m, 0, sizeof m);
			rc = store_msg_get(st->store, st->mb.id,
			    st->msgs[i].uid, &m, &err);
			if (rc == STORE_OK && (m.flags & STORE_F_DELETED))
				rc = store_msg_expunge(st->store, st->mb.id,
				    m.uid, &err);
			if (rc == STORE_NOMSG)
				rc = STORE_OK;
			store_msg_free(&m);
		}
		rc = store_txn_end(st->store, rc, &err);
		if (rc != STORE_OK)
			log_error("user=%s close: %s", st->user.s, err.s);
	}
	str_free(&err);
	imapd_unselect(st);
	imapd_ok(st, c, "CLOSE completed");
}

/* ---- message sets ---- */

int
imapd_msgset(struct imapd *st, const struct imap_cmd *c,
    const struct imap_arg *a, bool uid, size_t **idx, size_t *n)
{
	struct imap_seqset set = { NULL, 0, 0, false };
	size_t i, cap = 0;

	*idx = NULL;
	*n = 0;
	if (a->type != IMAP_ARG_ATOM || imap_seqset_parse(a->s, &set) < 0) {
		imapd_bad(st, c, "Invalid sequence set");
		imap_seqset_free(&set);
		return -1;
	}
	if (set.dollar) {
		/* SEARCHRES: the saved UIDs, whichever command uses them. */
		imap_seqset_free(&set);
		for (i = 0; i < st->saved.n; i++)
			imap_seqset_add(&set, st->saved.r[i].lo,
			    st->saved.r[i].hi);
		uid = true;
	}
	if (uid) {
		imap_seqset_resolve(&set, st->nmsgs ?
		    st->msgs[st->nmsgs - 1].uid : 0);
		for (i = 0; i < set.n; i++) {
			/* Walk the view within each range. */
			size_t k, a0 = 0, a1 = st->nmsgs;

			while (a0 < a1) {	/* first uid >= range low */
				size_t mid = (a0 + a1) / 2;

				if (st->msgs[mid].uid < set.r[i].lo)
					a0 = mid + 1;
				else
					a1 = mid;
			}
			for (k = a0; k < st->nmsgs &&
			    st->msgs[k].uid <= set.r[i].hi; k++) {
				if (*n == cap) {
					cap = cap ? cap * 2 : 64;
					*idx = xreallocarray(*idx, cap,
					    sizeof **idx);
				}
				(*idx)[(*n)++] = k;
			}
		}
	} else {
		imap_seqset_resolve(&set, (uint32_t)st->nmsgs);
		if (set.n > 0 && (set.r[set.n - 1].hi > st->nmsgs ||
		    set.r[0].lo == 0)) {
			imapd_bad(st, c, "Sequence number out of range");
			imap_seqset_free(&set);
			return -1;
		}
		for (i = 0; i < set.n; i++) {
			uint32_t k;

			for (k = set.r[i].lo; k <= set.r[i].hi; k++) {
				if (*n == cap) {
					cap = cap ? cap * 2 : 64;
					*idx = xreallocarray(*idx, cap,
					    sizeof **idx);
				}
				(*idx)[(*n)++] = k - 1;
			}
		}
	}
	imap_seqset_free(&set);
	return 0;
}
