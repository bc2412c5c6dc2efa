/*
 * imapd_copy - COPY, MOVE (RFC 6851) and EXPUNGE, with their UID forms
 * (RFC 4315 UIDPLUS: COPYUID, UID EXPUNGE).
 *
 * Each is one store transaction: a COPY or MOVE is all or nothing, and
 * costs one sync to disk whatever the number of messages.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "imapd.h"
#include "log.h"

/* expunge_list - expunge those of the view's messages idx[0..n)
 * (ascending) that are \Deleted, in the open transaction; those done
 * flagged in done[]. */
static int
expunge_list(struct imapd *st, const size_t *idx, size_t n, bool *done,
    struct str *err)
{
	size_t i;
	int rc = STORE_OK;

	for (i = 0; i < n && rc == STORE_OK; i++) {
		struct store_msg m;

		done[i] = false;
		memset(&m, 0, sizeof m);
		rc = store_msg_get(st->store, st->mb.id, st->msgs[idx[i]].uid,
		    &m, err);
		if (rc == STORE_OK && (m.flags & STORE_F_DELETED)) {
			rc = store_msg_expunge(st->store, st->mb.id, m.uid,
			    err);
			done[i] = rc == STORE_OK;
		}
		if (rc == STORE_NOMSG)
			rc = STORE_OK;
		store_msg_free(&m);
	}
	return rc;
}

/* report - EXPUNGE responses, highest first so that the numbers of the
 * ones still to come stay right. */
static void
report(struct imapd *st, const size_t *idx, size_t n, const bool *done)
{
	while (n-- > 0)
		if (done[n])
			imapd_expunged(st, idx[n]);
}

void
imapd_cmd_expunge(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi)
{
	struct str err = STR_INIT;
	size_t *idx = NULL, n = 0, i;
	bool *done = NULL;
	int rc;

	if (uid ? c->nargs != argi + 1 : c->nargs != 0) {
		imapd_bad(st, c, uid ? "UID EXPUNGE needs a UID set" :
		    "EXPUNGE takes no arguments");
		return;
	}
	if (uid) {
		if (imapd_msgset(st, c, &c->args[argi], true, &idx, &n) < 0)
			return;
	} else {
		idx = xreallocarray(NULL, st->nmsgs ? st->nmsgs : 1,
		    sizeof *idx);
		for (i = 0; i < st->nmsgs; i++)
			idx[n++] = i;
	}
	if (st->readonly) {
		imapd_no(st, c, "Mailbox is read-only");
		free(idx);
		return;
	}
	done = xreallocarray(NULL, n ? n : 1, sizeof *done);
	if ((rc = store_txn_begin(st->store, true, &err)) == STORE_OK) {
		rc = expunge_list(st, idx, n, done, &err);
		rc = store_txn_end(st->store, rc, &err);
	}
	if (rc != STORE_OK)
		imapd_store_error(st, c, rc, "EXPUNGE", &err);
	else {
		report(st, idx, n, done);
		imapd_ok(st, c, "%sEXPUNGE completed", uid ? "UID " : "");
	}
	free(idx);
	free(done);
	str_free(&err);
}

void
imapd_cmd_copy(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi, bool move)
{
	struct str err = STR_INIT, name = STR_INIT, from = STR_INIT;
	struct str to = STR_INIT;
	struct store_mailbox dst;
	size_t *idx = NULL, n = 0, i, k = 0;
	uint32_t *src = NULL, *dstu = NULL;
	bool *done = NULL;
	const char *verb = move ? "MOVE" : "COPY";
	int rc;

	memset(&dst, 0, sizeof dst);
	if (c->nargs != argi + 2 ||
	    imapd_name_in(st, &c->args[argi + 1], &name) < 0) {
		imapd_bad(st, c, "%s needs a set and a mailbox", verb);
		goto out;
	}
	if (imapd_msgset(st, c, &c->args[argi], uid, &idx, &n) < 0)
		goto out;
	if (move && st->readonly) {
		imapd_no(st, c, "Mailbox is read-only");
		goto out;
	}
	rc = store_mailbox_get(st->store, name.s, &dst, &err);
	if (rc != STORE_OK) {
		imapd_store_error(st, c, rc, verb, &err);
		goto out;
	}
	src = xreallocarray(NULL, n ? n : 1, sizeof *src);
	dstu = xreallocarray(NULL, n ? n : 1, sizeof *dstu);
	done = xreallocarray(NULL, n ? n : 1, sizeof *done);
	if ((rc = store_txn_begin(st->store, true, &err)) != STORE_OK) {
		imapd_store_error(st, c, rc, verb, &err);
		goto out;
	}
	for (i = 0; i < n && rc == STORE_OK; i++) {
		uint32_t u = st->msgs[idx[i]].uid;

		rc = (move ? store_msg_move : store_msg_copy)(st->store,
		    st->mb.id, u, dst.id, &dstu[k], &err);
		done[i] = rc == STORE_OK;
		if (rc == STORE_OK)
			src[k++] = u;
		else if (rc == STORE_NOMSG)
			rc = STORE_OK;	/* gone meanwhile: skip it */
	}
	rc = store_txn_end(st->store, rc, &err);
	if (rc != STORE_OK) {
		imapd_store_error(st, c, rc, verb, &err);
		goto out;
	}
	imap_seqset_format(src, k, &from);
	imap_seqset_format(dstu, k, &to);
	if (k == 0)
		imapd_ok(st, c, "%s completed", verb);
	else if (!move)
		imapd_ok(st, c, "[COPYUID %u %s %s] COPY completed",
		    dst.uidvalidity, from.s, to.s);
	else {
		buf_printf(&st->ss.b, "* OK [COPYUID %u %s %s] Moved\r\n",
		    dst.uidvalidity, from.s, to.s);
		report(st, idx, n, done);
		imapd_ok(st, c, "MOVE completed");
	}
out:
	store_mailbox_free(&dst);
	free(idx);
	free(src);
	free(dstu);
	free(done);
	str_free(&err);
	str_free(&name);
	str_free(&from);
	str_free(&to);
}
