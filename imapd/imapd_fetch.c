/*
 * imapd_fetch - FETCH and UID FETCH (RFC 3501 6.4.5, RFC 9051 6.4.5,
 * RFC 3516 BINARY, RFC 7162 CHANGEDSINCE and MODSEQ).
 *
 * ENVELOPE, BODY and BODYSTRUCTURE come from the store's parse cache
 * when the message was parsed before; new ones are written back in one
 * transaction after the command, so fetching a large mailbox parses
 * each message once.  Bodies are read through mmap.  \Seen set by a
 * non-PEEK body fetch is reported in that message's FETCH response and
 * stored for all the messages together at the end, likewise in one
 * transaction.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "imapd.h"
#include "log.h"
#include "mime.h"

enum kind {
	F_UID, F_FLAGS, F_INTERNALDATE, F_SIZE, F_ENVELOPE, F_BODY,
	F_BODYSTRUCTURE, F_MODSEQ, F_SECTION, F_BINARY, F_BINARY_SIZE,
};

struct item {
	enum kind kind;
	struct str label;	/* as written in the response */
	struct str section;	/* F_SECTION, F_BINARY*: the spec */
	bool peek, partial;
	uint64_t off, len;
};

struct fetch {
	struct item *it;
	size_t n, cap;
	uint64_t changedsince;	/* 0: none */
	bool need_file, need_cache, sets_seen;
};

static struct item *
item_add(struct fetch *f, enum kind k, const char *label)
{
	struct item *it;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->it = xreallocarray(f->it, f->cap, sizeof *f->it);
	}
	it = &f->it[f->n++];
	memset(it, 0, sizeof *it);
	it->kind = k;
	str_copys(&it->label, label);
	return it;
}

static void
fetch_free(struct fetch *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		str_free(&f->it[i].label);
		str_free(&f->it[i].section);
	}
	free(f->it);
}

/* section_item - BODY[..]<..>, BODY.PEEK[..], BINARY[..], BINARY.PEEK,
 * BINARY.SIZE: a is the whole atom. */
static int
section_item(struct fetch *f, const char *a, struct str *err)
{
	const char *lb = strchr(a, '['), *rb;
	struct str name = STR_INIT;
	struct item *it;
	enum kind k;
	bool peek = false;
	size_t i;

	rb = lb ? strrchr(lb, ']') : NULL;
	if (lb == NULL || rb == NULL) {
		str_copyf(err, "Invalid fetch attribute %s", a);
		return -1;
	}
	for (i = 0; a + i < lb; i++)
		str_catc(&name, (char)toupper((unsigned char)a[i]));
	if (str_eqs(&name, "BODY"))
		k = F_SECTION;
	else if (str_eqs(&name, "BODY.PEEK"))
		k = F_SECTION, peek = true;
	else if (str_eqs(&name, "BINARY"))
		k = F_BINARY;
	else if (str_eqs(&name, "BINARY.PEEK"))
		k = F_BINARY, peek = true;
	else if (str_eqs(&name, "BINARY.SIZE"))
		k = F_BINARY_SIZE, peek = true;
	else {
		str_copyf(err, "Invalid fetch attribute %s", a);
		str_free(&name);
		return -1;
	}
	it = item_add(f, k, k == F_SECTION ? "BODY[" : k == F_BINARY ?
	    "BINARY[" : "BINARY.SIZE[");
	str_free(&name);
	it->peek = peek;
	str_copyb(&it->section, lb + 1, (size_t)(rb - lb - 1));
	for (i = 0; i < it->section.len; i++)
		str_catc(&it->label,
		    (char)toupper((unsigned char)it->section.s[i]));
	str_catc(&it->label, ']');
	if (rb[1] == '<' && k != F_BINARY_SIZE) {
		char *e1, *e2;
		unsigned long long o, l;

		o = strtoull(rb + 2, &e1, 10);
		if (e1 == rb + 2 || *e1 != '.' ||
		    (l = strtoull(e1 + 1, &e2, 10), e2 == e1 + 1) ||
		    strcmp(e2, ">") != 0 || l == 0) {
			str_copyf(err, "Invalid partial range in %s", a);
			return -1;
		}
		it->partial = true;
		it->off = o;
		it->len = l;
		str_catf(&it->label, "<%llu>", o);
	} else if (rb[1] != '\0') {
		str_copyf(err, "Junk after section in %s", a);
		return -1;
	}
	if (k != F_SECTION && it->section.len > 0 &&
	    strspn(it->section.s, "0123456789.") != it->section.len) {
		str_copyf(err, "BINARY takes part numbers only");
		return -1;
	}
	if (k == F_SECTION && it->section.len > 0) {
		/* Malformed specs are BAD before any message is answered. */
		struct mime *empty = mime_parse("", 0);
		struct str tmp = STR_INIT;
		int r = mime_section(empty, it->section.s, &tmp, err);

		mime_free(&empty);
		str_free(&tmp);
		if (r < 0) {
			str_copyf(err, "Invalid section %s", it->section.s);
			return -1;
		}
	}
	if (!peek)
		f->sets_seen = true;
	f->need_file = true;
	return 0;
}

static int
att(struct fetch *f, const struct imap_arg *a, struct str *err)
{
	static const struct {
		const char *name;
		enum kind k;
		const char *section;	/* for the RFC822 forms */
		bool peek;
	} simple[] = {
		{ "UID", F_UID, NULL, true },
		{ "FLAGS", F_FLAGS, NULL, true },
		{ "INTERNALDATE", F_INTERNALDATE, NULL, true },
		{ "RFC822.SIZE", F_SIZE, NULL, true },
		{ "ENVELOPE", F_ENVELOPE, NULL, true },
		{ "BODY", F_BODY, NULL, true },
		{ "BODYSTRUCTURE", F_BODYSTRUCTURE, NULL, true },
		{ "MODSEQ", F_MODSEQ, NULL, true },
		{ "RFC822", F_SECTION, "", false },
		{ "RFC822.HEADER", F_SECTION, "HEADER", true },
		{ "RFC822.TEXT", F_SECTION, "TEXT", false },
	};
	size_t i;

	if (a->type != IMAP_ARG_ATOM) {
		str_copys(err, "Invalid fetch attribute");
		return -1;
	}
	if (strchr(a->s, '[') != NULL)
		return section_item(f, a->s, err);
	for (i = 0; i < sizeof simple / sizeof simple[0]; i++) {
		struct item *it;

		if (strcasecmp(a->s, simple[i].name) != 0)
			continue;
		it = item_add(f, simple[i].k, simple[i].name);
		if (simple[i].section != NULL) {
			str_copys(&it->section, simple[i].section);
			it->peek = simple[i].peek;
			f->need_file = true;
			f->sets_seen |= !simple[i].peek;
		}
		if (simple[i].k == F_ENVELOPE || simple[i].k == F_BODY ||
		    simple[i].k == F_BODYSTRUCTURE)
			f->need_cache = true;
		return 0;
	}
	str_copyf(err, "Invalid fetch attribute %s", a->s);
	return -1;
}

/* parse - the attribute (macro, one, or a list) and the modifiers. */
static int
parse(struct imapd *st, const struct imap_arg *a, size_t n,
    struct fetch *f, struct str *err)
{
	static const char *const macros[][5] = {
		{ "ALL", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE" },
		{ "FAST", "FLAGS", "INTERNALDATE", "RFC822.SIZE", NULL },
		{ "FULL", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE" },
	};
	size_t i, k;

	if (n < 1 || n > 2) {
		str_copys(err, "FETCH needs a set and attributes");
		return -1;
	}
	if (a[0].type == IMAP_ARG_LIST) {
		if (a[0].n == 0) {
			str_copys(err, "Empty fetch attribute list");
			return -1;
		}
		for (i = 0; i < a[0].n; i++)
			if (att(f, &a[0].list[i], err) < 0)
				return -1;
	} else {
		for (k = 0; k < 3; k++)
			if (imap_arg_is(&a[0], macros[k][0]))
				break;
		if (k < 3) {
			for (i = 1; i < 5 && macros[k][i] != NULL; i++) {
				struct imap_arg m = { .type = IMAP_ARG_ATOM,
				    .s = (char *)macros[k][i],
				    .len = strlen(macros[k][i]), .sunk = -1 };

				att(f, &m, err);
			}
			if (k == 2)
				item_add(f, F_BODY, "BODY"), f->need_cache = true;
		} else if (att(f, &a[0], err) < 0)
			return -1;
	}
	for (i = 0; i < f->n; i++)
		if (f->it[i].kind == F_MODSEQ)
			st->condstore = true;	/* RFC 7162 3.1 */
	if (n == 2) {
		const struct imap_arg *m = &a[1];

		if (m->type != IMAP_ARG_LIST) {
			str_copys(err, "Invalid FETCH modifiers");
			return -1;
		}
		for (i = 0; i < m->n; i++) {
			uint64_t v;

			if (imap_arg_is(&m->list[i], "CHANGEDSINCE") &&
			    i + 1 < m->n && imap_arg_number(&m->list[i + 1],
			    UINT64_MAX >> 1, &v) == 0 && v > 0) {
				f->changedsince = v;
				i++;
				continue;
			}
			str_copys(err, "Invalid FETCH modifier");
			return -1;
		}
		st->condstore = true;
		item_add(f, F_MODSEQ, "MODSEQ");
	}
	return 0;
}

/* literal - data as a literal (literal8 when it holds NUL: RFC 3516),
 * cut to the partial range. */
static void
literal(struct str *out, const struct item *it, const char *p, size_t n,
    bool binary)
{
	if (it->partial) {
		if (it->off >= n)
			n = 0;
		else {
			p += it->off;
			n -= (size_t)it->off;
			if (n > it->len)
				n = (size_t)it->len;
		}
	}
	if (binary && memchr(p, '\0', n) != NULL)
		str_catc(out, '~');
	str_catf(out, "{%zu}\r\n", n);
	str_catb(out, p, n);
}

/* one - the FETCH response for message i; whether it could be made. */
static int
one(struct imapd *st, const struct imap_cmd *c, struct fetch *f, size_t i,
    bool uid, struct store_msg *m, struct imapd_msgdata *d, bool *set_seen,
    struct str *out)
{
	struct str tmp = STR_INIT, err = STR_INIT;
	struct imapd_msg *v = &st->msgs[i];
	bool first = true, flags_shown = false;
	unsigned flags = m->flags & ~STORE_F_RECENT;
	size_t k;
	int rc = 0;

	(void)c;
	*set_seen = f->sets_seen && !st->readonly &&
	    !(flags & STORE_F_SEEN);
	if (*set_seen)
		flags |= STORE_F_SEEN;
	str_catf(out, "* %zu FETCH (", i + 1);
#define SEP() do { if (!first) str_catc(out, ' '); first = false; } while (0)
	if (uid) {
		SEP();
		str_catf(out, "UID %u", m->uid);
	}
	for (k = 0; k < f->n && rc == 0; k++) {
		struct item *it = &f->it[k];

		switch (it->kind) {
		case F_UID:
			if (!uid) {
				SEP();
				str_catf(out, "UID %u", m->uid);
			}
			break;
		case F_FLAGS:
			SEP();
			str_cats(out, "FLAGS ");
			imapd_flags_out(out, flags, m->keywords.s, v->recent);
			flags_shown = true;
			break;
		case F_INTERNALDATE: {
			char date[64];
			struct tm tm;

			localtime_r(&m->internaldate, &tm);
			strftime(date, sizeof date, "%d-%b-%Y %H:%M:%S %z",
			    &tm);
			SEP();
			str_catf(out, "INTERNALDATE \"%s\"", date);
			break;
		}
		case F_SIZE:
			SEP();
			str_catf(out, "RFC822.SIZE %llu",
			    (unsigned long long)m->size);
			break;
		case F_ENVELOPE:
		case F_BODY:
		case F_BODYSTRUCTURE:
			SEP();
			str_catf(out, "%s ", it->label.s);
			imapd_msgdata_cached(d, it->kind == F_ENVELOPE ?
			    IMAPD_CACHE_ENVELOPE : it->kind == F_BODY ?
			    IMAPD_CACHE_BODY : IMAPD_CACHE_BODYSTRUCTURE, out);
			break;
		case F_MODSEQ:
			break;	/* below, once */
		case F_SECTION:
			if (imapd_msgdata_file(d) < 0) {
				rc = -1;
				break;
			}
			SEP();
			str_catf(out, "%s ", it->label.s);
			if (it->section.len == 0) {
				literal(out, it, imapd_msgdata_bytes(d),
				    d->size, false);
				break;
			}
			str_clear(&tmp);
			if (mime_section(imapd_msgdata_mime(d),
			    it->section.s, &tmp, &err) < 0) {
				str_copyf(&err, "Invalid section %s",
				    it->section.s);
				rc = -2;
				break;
			}
			literal(out, it, tmp.s ? tmp.s : "", tmp.len, false);
			break;
		case F_BINARY:
		case F_BINARY_SIZE: {
			int r;

			if (imapd_msgdata_file(d) < 0) {
				rc = -1;
				break;
			}
			str_clear(&tmp);
			r = mime_binary(imapd_msgdata_mime(d),
			    it->section.s, &tmp, &err);
			if (r == -2) {
				rc = -3;
				break;
			}
			if (r < 0) {
				rc = -2;
				break;
			}
			SEP();
			if (it->kind == F_BINARY_SIZE)
				str_catf(out, "%s %zu", it->label.s, tmp.len);
			else {
				str_catf(out, "%s ", it->label.s);
				literal(out, it, tmp.s ? tmp.s : "", tmp.len,
				    true);
			}
			break;
		}
		}
	}
	if (rc == 0 && *set_seen && !flags_shown) {
		SEP();
		str_cats(out, "FLAGS ");
		imapd_flags_out(out, flags, m->keywords.s, v->recent);
		flags_shown = true;
	}
	for (k = 0; k < f->n; k++)
		if (f->it[k].kind == F_MODSEQ)
			break;
	if (rc == 0 && (k < f->n || (st->condstore && flags_shown))) {
		SEP();
		str_catf(out, "MODSEQ (%llu)", (unsigned long long)m->modseq);
	}
#undef SEP
	str_cats(out, ")\r\n");
	str_free(&tmp);
	str_free(&err);
	return rc;
}

/* seen_write - \Seen for the messages fetched with a non-PEEK body. */
static void
seen_write(struct imapd *st, const size_t *idx, size_t n)
{
	struct str err = STR_INIT;
	size_t i;
	int rc;

	if (n == 0)
		return;
	if ((rc = store_txn_begin(st->store, true, &err)) != STORE_OK)
		goto out;
	for (i = 0; i < n && rc == STORE_OK; i++) {
		struct store_msg m, nm;

		memset(&m, 0, sizeof m);
		memset(&nm, 0, sizeof nm);
		rc = store_msg_get(st->store, st->mb.id, st->msgs[idx[i]].uid,
		    &m, &err);
		if (rc == STORE_OK && !(m.flags & STORE_F_SEEN)) {
			rc = store_msg_set_flags(st->store, st->mb.id, m.uid,
			    m.flags | STORE_F_SEEN, m.keywords.s, 0, &nm,
			    &err);
			if (rc == STORE_OK)
				imapd_msg_update(st, idx[i], &nm);
		}
		if (rc == STORE_NOMSG)
			rc = STORE_OK;
		store_msg_free(&m);
		store_msg_free(&nm);
	}
	rc = store_txn_end(st->store, rc, &err);
out:
	if (rc != STORE_OK)
		log_error("user=%s seen: %s", st->user.s, err.s);
	str_free(&err);
}

void
imapd_cmd_fetch(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi)
{
	struct fetch f;
	struct str err = STR_INIT, out = STR_INIT, batch = STR_INIT;
	size_t *idx = NULL, n = 0, i, nseen = 0, *seen = NULL;
	bool gone = false, failed = false;

	memset(&f, 0, sizeof f);
	if (c->nargs < argi + 2) {
		imapd_bad(st, c, "FETCH needs a set and attributes");
		goto out;
	}
	if (parse(st, &c->args[argi + 1], c->nargs - argi - 1, &f, &err) < 0) {
		imapd_bad(st, c, "%s", err.s);
		goto out;
	}
	if (imapd_msgset(st, c, &c->args[argi], uid, &idx, &n) < 0)
		goto out;
	seen = xreallocarray(NULL, n ? n : 1, sizeof *seen);
	for (i = 0; i < n; i++) {
		struct store_msg m;
		struct imapd_msgdata d;
		bool set_seen = false;
		int rc;

		memset(&m, 0, sizeof m);
		rc = store_msg_get(st->store, st->mb.id, st->msgs[idx[i]].uid,
		    &m, &err);
		if (rc == STORE_NOMSG) {
			gone = true;
			continue;
		}
		if (rc != STORE_OK) {
			log_error("user=%s fetch: %s", st->user.s, err.s);
			failed = true;
			break;
		}
		if (f.changedsince && m.modseq <= f.changedsince) {
			store_msg_free(&m);
			continue;
		}
		str_clear(&out);
		imapd_msgdata_init(&d, st, &m);
		rc = one(st, c, &f, idx[i], uid, &m, &d, &set_seen, &out);
		imapd_msgdata_done(&d, &batch);
		store_msg_free(&m);
		if (rc == -1) {
			gone = true;
			continue;
		}
		if (rc == -2) {
			/* The syntax was checked before: this message has no
			 * such part, or not a leaf one (BINARY). */
			imapd_no(st, c, "[CANNOT] Message %zu has no such "
			    "part", idx[i] + 1);
			goto done;
		}
		if (rc == -3) {
			imapd_no(st, c, "[UNKNOWN-CTE] Cannot decode the "
			    "content transfer encoding");
			goto done;
		}
		buf_put(&st->ss.b, out.s, out.len);
		if (set_seen)
			seen[nseen++] = idx[i];
	}
	if (failed)
		imapd_no(st, c, "[SERVERBUG] FETCH failed");
	else if (gone)
		imapd_no(st, c, "[EXPUNGEISSUED] Some messages were expunged");
	else
		imapd_ok(st, c, "%sFETCH completed", uid ? "UID " : "");
done:
	seen_write(st, seen, nseen);
	imapd_cache_write(st, &batch);
out:
	fetch_free(&f);
	free(idx);
	free(seen);
	str_free(&err);
	str_free(&out);
	str_free(&batch);
}
