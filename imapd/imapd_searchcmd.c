/*
 * imapd_searchcmd - SEARCH and UID SEARCH: the CHARSET and RETURN
 * options (RFC 4731 ESEARCH, RFC 5182 SEARCHRES), then imap_search.c's
 * evaluation over the view.  The common header keys are answered from
 * the parse cache (imapd_msgdata.c); a message's file is read and
 * parsed only when a key needs more.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "imap_search.h"
#include "imapd.h"
#include "log.h"

enum { R_MIN = 1, R_MAX = 2, R_ALL = 4, R_COUNT = 8, R_SAVE = 16 };

static const struct mime *
content(void *arg)
{
	return imapd_msgdata_mime(arg);
}

static int
header(void *arg, const char *name, struct str *out)
{
	return imapd_msgdata_header(arg, name, out);
}

/* options - RETURN (...) and CHARSET x before the keys: the index of
 * the first key, or -1 (reply made). */
static long
options(struct imapd *st, const struct imap_cmd *c, size_t i,
    unsigned *ret, bool *esearch)
{
	const struct imap_arg *a = c->args;

	if (i < c->nargs && imap_arg_is(&a[i], "RETURN")) {
		size_t k;

		if (i + 1 >= c->nargs || a[i + 1].type != IMAP_ARG_LIST) {
			imapd_bad(st, c, "RETURN needs a list");
			return -1;
		}
		for (k = 0; k < a[i + 1].n; k++) {
			const struct imap_arg *o = &a[i + 1].list[k];

			if (imap_arg_is(o, "MIN"))
				*ret |= R_MIN;
			else if (imap_arg_is(o, "MAX"))
				*ret |= R_MAX;
			else if (imap_arg_is(o, "ALL"))
				*ret |= R_ALL;
			else if (imap_arg_is(o, "COUNT"))
				*ret |= R_COUNT;
			else if (imap_arg_is(o, "SAVE"))
				*ret |= R_SAVE;
			else {
				imapd_bad(st, c, "Unknown RETURN option");
				return -1;
			}
		}
		if (*ret == 0)
			*ret = R_ALL;
		*esearch = true;
		i += 2;
	}
	if (i < c->nargs && imap_arg_is(&a[i], "CHARSET")) {
		if (i + 1 >= c->nargs || !imap_arg_astring(&a[i + 1])) {
			imapd_bad(st, c, "CHARSET needs a name");
			return -1;
		}
		if (strcasecmp(a[i + 1].s, "UTF-8") != 0 &&
		    strcasecmp(a[i + 1].s, "US-ASCII") != 0) {
			imapd_no(st, c, "[BADCHARSET (UTF-8 US-ASCII)] "
			    "Unsupported charset");
			return -1;
		}
		i += 2;
	}
	if (i >= c->nargs) {
		imapd_bad(st, c, "SEARCH needs criteria");
		return -1;
	}
	return (long)i;
}

/* struct hits - matching messages: sequence numbers and UIDs. */
struct hits {
	uint32_t *seq, *uid;
	size_t n;
	uint64_t maxmodseq;
};

static void
respond(struct imapd *st, const struct imap_cmd *c, bool uid,
    const struct hits *h, unsigned ret, bool esearch, bool modseq)
{
	struct str out = STR_INIT;
	const uint32_t *v = uid ? h->uid : h->seq;
	size_t i;

	if (ret & R_SAVE) {
		imap_seqset_free(&st->saved);
		if (ret & (R_ALL | R_COUNT) || !(ret & (R_MIN | R_MAX)))
			for (i = 0; i < h->n; i++)
				imap_seqset_add(&st->saved, h->uid[i],
				    h->uid[i]);
		else if (h->n > 0) {
			/* SAVE with MIN and/or MAX alone saves just those
			 * (RFC 5182 2.4). */
			if (ret & R_MIN)
				imap_seqset_add(&st->saved, h->uid[0],
				    h->uid[0]);
			if (ret & R_MAX)
				imap_seqset_add(&st->saved, h->uid[h->n - 1],
				    h->uid[h->n - 1]);
		}
		ret &= ~R_SAVE;
		if (ret == 0)
			return;	/* SAVE alone: no ESEARCH (RFC 5182 2.4) */
	}
	if (!esearch) {
		str_cats(&out, "* SEARCH");
		for (i = 0; i < h->n; i++)
			str_catf(&out, " %u", v[i]);
		if (modseq && h->n > 0)
			str_catf(&out, " (MODSEQ %llu)",
			    (unsigned long long)h->maxmodseq);
	} else {
		str_catf(&out, "* ESEARCH (TAG \"%s\")%s", c->tag,
		    uid ? " UID" : "");
		if ((ret & R_MIN) && h->n > 0)
			str_catf(&out, " MIN %u", v[0]);
		if ((ret & R_MAX) && h->n > 0)
			str_catf(&out, " MAX %u", v[h->n - 1]);
		if ((ret & R_ALL) && h->n > 0) {
			str_cats(&out, " ALL ");
			imap_seqset_format(v, h->n, &out);
		}
		if (ret & R_COUNT)
			str_catf(&out, " COUNT %zu", h->n);
		if (modseq && h->n > 0)
			str_catf(&out, " MODSEQ %llu",
			    (unsigned long long)h->maxmodseq);
	}
	str_cats(&out, "\r\n");
	buf_put(&st->ss.b, out.s, out.len);
	str_free(&out);
}

void
imapd_cmd_search(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi)
{
	struct imap_search *q = NULL;
	struct str err = STR_INIT;
	struct hits h = { NULL, NULL, 0, 0 };
	unsigned ret = 0;
	struct str batch = STR_INIT;
	bool esearch = false, needs;
	long k;
	size_t i;

	if ((k = options(st, c, argi, &ret, &esearch)) < 0)
		return;
	if (st->rev2 && !esearch) {
		esearch = true;	/* RFC 9051 6.4.4: ESEARCH replaces SEARCH */
		ret = R_ALL;
	}
	if (imap_search_parse(c->args + k, c->nargs - (size_t)k,
	    IMAPD_DEPTH_MAX, &q, &err) < 0) {
		imapd_bad(st, c, "%s", err.s);
		goto out;
	}
	imap_search_prepare(q, (uint32_t)st->nmsgs,
	    st->nmsgs ? st->msgs[st->nmsgs - 1].uid : 0, &st->saved);
	needs = imap_search_needs_content(q);
	h.seq = xreallocarray(NULL, st->nmsgs ? st->nmsgs : 1, sizeof *h.seq);
	h.uid = xreallocarray(NULL, st->nmsgs ? st->nmsgs : 1, sizeof *h.uid);
	for (i = 0; i < st->nmsgs; i++) {
		struct store_msg m;
		struct imapd_msgdata d;
		struct imap_search_msg sm;
		int rc;

		memset(&m, 0, sizeof m);
		rc = store_msg_get(st->store, st->mb.id, st->msgs[i].uid, &m,
		    &err);
		if (rc == STORE_NOMSG)
			continue;
		if (rc != STORE_OK) {
			imapd_store_error(st, c, rc, "SEARCH", &err);
			goto out;
		}
		memset(&sm, 0, sizeof sm);
		sm.seq = (uint32_t)i + 1;
		sm.uid = m.uid;
		sm.flags = (m.flags & ~STORE_F_RECENT) |
		    (st->msgs[i].recent ? STORE_F_RECENT : 0);
		sm.keywords = m.keywords.s ? m.keywords.s : "";
		sm.modseq = m.modseq;
		sm.internaldate = m.internaldate;
		sm.size = m.size;
		imapd_msgdata_init(&d, st, &m);
		sm.content = needs ? content : NULL;
		sm.header = needs ? header : NULL;
		sm.ctx = &d;
		if (imap_search_match(q, &sm)) {
			h.seq[h.n] = sm.seq;
			h.uid[h.n++] = sm.uid;
			if (m.modseq > h.maxmodseq)
				h.maxmodseq = m.modseq;
		}
		imapd_msgdata_done(&d, &batch);
		store_msg_free(&m);
	}
	respond(st, c, uid, &h, ret, esearch, imap_search_has_modseq(q));
	if (imap_search_has_modseq(q))
		st->condstore = true;
	imapd_ok(st, c, "%sSEARCH completed", uid ? "UID " : "");
	imapd_cache_write(st, &batch);
out:
	imap_search_free(&q);
	free(h.seq);
	free(h.uid);
	str_free(&batch);
	str_free(&err);
}
