/*
 * imapd_flags - STORE and UID STORE (RFC 3501 6.4.6, RFC 9051 6.4.6)
 * with UNCHANGEDSINCE (RFC 7162 3.1.3).
 *
 * All the messages change in one store transaction: one sync to disk
 * for "STORE 1:* +FLAGS \Seen" however large the mailbox.  Messages
 * that fail UNCHANGEDSINCE are left alone and named in [MODIFIED].
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "imapd.h"
#include "log.h"

enum op { OP_SET, OP_ADD, OP_DEL };


/* keyword_ok - an atom with no atom-specials (RFC 3501 9 "flag-keyword"). */
static bool
keyword_ok(const struct imap_arg *a)
{
	size_t i;

	if (a->type != IMAP_ARG_ATOM || a->len == 0 || a->len > 100)
		return false;
	for (i = 0; i < a->len; i++) {
		unsigned char ch = (unsigned char)a->s[i];

		if (ch <= ' ' || ch >= 0x7f || strchr("(){%*\"\\]", ch))
			return false;
	}
	return true;
}

/* parse_flags - a flag list (or flags without parentheses, as RFC 3501
 * allows for STORE) into bits and a keyword list. */
static int
parse_flags(const struct imap_arg *a, size_t n, unsigned *bits,
    struct str *kw, struct str *err)
{
	size_t i, k;

	if (n == 1 && a[0].type == IMAP_ARG_LIST) {
		n = a[0].n;
		a = a[0].list;
	}
	for (i = 0; i < n; i++) {
		if (a[i].type == IMAP_ARG_ATOM && a[i].s[0] == '\\') {
			for (k = 0; k < IMAPD_SYSFLAGS; k++)
				if (strcasecmp(a[i].s,
				    imapd_sysflags[k].name) == 0)
					break;
			if (k == IMAPD_SYSFLAGS) {
				str_copyf(err, "Flag %s cannot be stored",
				    a[i].s);
				return -1;
			}
			*bits |= imapd_sysflags[k].bit;
			continue;
		}
		if (!keyword_ok(&a[i])) {
			str_copys(err, "Invalid flag");
			return -1;
		}
		if (kw->len > 0)
			str_catc(kw, ' ');
		str_catb(kw, a[i].s, a[i].len);
	}
	return 0;
}

/* combine - the keyword list after op. */
static void
combine(enum op op, const char *old, const char *arg, struct str *out)
{
	const char *p;

	str_clear(out);
	if (op == OP_SET) {
		str_cats(out, arg);
		return;
	}
	for (p = old; p != NULL && *p != '\0';) {
		size_t l = strcspn(p, " ");

		if (l > 0 && !(op == OP_DEL && imapd_word_in(arg, p, l))) {
			if (out->len)
				str_catc(out, ' ');
			str_catb(out, p, l);
		}
		p += l;
		p += *p == ' ';
	}
	for (p = arg; op == OP_ADD && *p != '\0';) {
		size_t l = strcspn(p, " ");

		if (l > 0 && !imapd_word_in(old, p, l) &&
		    !imapd_word_in(out->s, p, l)) {
			if (out->len)
				str_catc(out, ' ');
			str_catb(out, p, l);
		}
		p += l;
		p += *p == ' ';
	}
}

void
imapd_cmd_store(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi)
{
	struct str err = STR_INIT, kw = STR_INIT, nk = STR_INIT;
	struct str out = STR_INIT, modified = STR_INIT;
	const struct imap_arg *a = c->args + argi;
	size_t na = c->nargs - argi, *idx = NULL, n = 0, i, ai = 1;
	uint64_t unchangedsince = 0, last = 0;
	bool conditional = false;
	uint32_t *mod = NULL;
	size_t nmod = 0;
	unsigned bits = 0;
	bool silent, own;
	enum op op;
	const char *item;
	int rc = STORE_OK;

	if (na < 3) {
		imapd_bad(st, c, "STORE needs a set, an item and flags");
		goto out;
	}
	if (a[1].type == IMAP_ARG_LIST) {
		const struct imap_arg *m = &a[1];

		if (m->n != 2 || !imap_arg_is(&m->list[0], "UNCHANGEDSINCE") ||
		    imap_arg_number(&m->list[1], UINT64_MAX >> 1,
		    &unchangedsince) < 0) {
			imapd_bad(st, c, "Invalid STORE modifier");
			goto out;
		}
		st->condstore = true;
		conditional = true;
		ai = 2;
		if (na < 4) {
			imapd_bad(st, c, "STORE needs an item and flags");
			goto out;
		}
	}
	if (a[ai].type != IMAP_ARG_ATOM) {
		imapd_bad(st, c, "Invalid STORE item");
		goto out;
	}
	item = a[ai].s;
	op = *item == '+' ? OP_ADD : *item == '-' ? OP_DEL : OP_SET;
	item += op != OP_SET;
	if (strcasecmp(item, "FLAGS") == 0)
		silent = false;
	else if (strcasecmp(item, "FLAGS.SILENT") == 0)
		silent = true;
	else {
		imapd_bad(st, c, "Invalid STORE item %s", a[ai].s);
		goto out;
	}
	if (parse_flags(a + ai + 1, na - ai - 1, &bits, &kw, &err) < 0) {
		imapd_bad(st, c, "%s", err.s);
		goto out;
	}
	if (imapd_msgset(st, c, &a[0], uid, &idx, &n) < 0)
		goto out;
	if (st->readonly) {
		imapd_no(st, c, "Mailbox is read-only");
		goto out;
	}
	mod = xreallocarray(NULL, n ? n : 1, sizeof *mod);
	if ((rc = store_txn_begin(st->store, true, &err)) != STORE_OK)
		goto fail;
	own = imapd_change_begin(st);
	for (i = 0; i < n; i++) {
		struct imapd_msg *v = &st->msgs[idx[i]];
		struct store_msg m, nm;
		unsigned nf;

		memset(&m, 0, sizeof m);
		memset(&nm, 0, sizeof nm);
		rc = store_msg_get(st->store, st->mb.id, v->uid, &m, &err);
		if (rc == STORE_NOMSG) {
			rc = STORE_OK;
			continue;
		}
		if (rc != STORE_OK)
			break;
		if (conditional && unchangedsince == 0) {
			/* Every modseq is above 0: nothing may change. */
			mod[nmod++] = uid ? v->uid : (uint32_t)idx[i] + 1;
			store_msg_free(&m);
			continue;
		}
		nf = m.flags & ~STORE_F_RECENT;
		nf = op == OP_SET ? bits : op == OP_ADD ? nf | bits : nf & ~bits;
		nf |= m.flags & STORE_F_RECENT;
		combine(op, m.keywords.s, kw.len ? kw.s : "", &nk);
		rc = store_msg_set_flags(st->store, st->mb.id, v->uid, nf,
		    nk.s ? nk.s : "", unchangedsince, &nm, &err);
		if (rc == STORE_MODIFIED) {
			mod[nmod++] = uid ? v->uid : (uint32_t)idx[i] + 1;
			rc = STORE_OK;
		} else if (rc == STORE_OK) {
			if (nm.modseq > last)
				last = nm.modseq;
			imapd_msg_update(st, idx[i], &nm);
			if (!silent || (st->condstore && nm.modseq !=
			    m.modseq && unchangedsince)) {
				str_catf(&out, "* %zu FETCH (", idx[i] + 1);
				if (uid)
					str_catf(&out, "UID %u ", v->uid);
				str_cats(&out, "FLAGS ");
				imapd_flags_out(&out, v->flags, v->keywords,
				    v->recent);
				if (st->condstore)
					str_catf(&out, " MODSEQ (%llu)",
					    (unsigned long long)v->modseq);
				str_cats(&out, ")\r\n");
			}
		}
		store_msg_free(&m);
		store_msg_free(&nm);
		if (rc != STORE_OK)
			break;
	}
	rc = store_txn_end(st->store, rc, &err);
	if (rc == STORE_OK && own && last > 0)
		st->seen_modseq = last;
fail:
	if (rc != STORE_OK) {
		imapd_store_error(st, c, rc, "STORE", &err);
		goto out;
	}
	buf_put(&st->ss.b, out.s, out.len);
	if (nmod > 0) {
		imap_seqset_format(mod, nmod, &modified);
		imapd_ok(st, c, "[MODIFIED %s] Conditional STORE failed for "
		    "some messages", modified.s);
	} else
		imapd_ok(st, c, "%sSTORE completed", uid ? "UID " : "");
out:
	free(idx);
	free(mod);
	str_free(&err);
	str_free(&kw);
	str_free(&nk);
	str_free(&out);
	str_free(&modified);
}
