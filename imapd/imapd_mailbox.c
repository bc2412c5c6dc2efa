/*
 * imapd_mailbox - CREATE (with RFC 6154 CREATE-SPECIAL-USE), DELETE,
 * RENAME, SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.3-6.3.7, RFC 9051
 * 6.3.4-6.3.8).
 *
 * The store does the work and keeps the rules that are about names:
 * CREATE makes missing superiors, DELETE of INBOX is refused, RENAME
 * takes the children along and RENAME of INBOX moves its messages.
 * Subscriptions are kept in the mailbox record, so only existing
 * mailboxes can be subscribed (RFC 3501 6.3.6 lets a server check
 * that).
 */
#include <string.h>

#include "imapd.h"

/* name_arg - the store name of argument a; with drop_sep a trailing
 * separator is removed first (RFC 3501 6.3.3: "foo/" creates "foo").
 * 0, or -1 after answering NO. */
static int
name_arg(struct imapd *st, const struct imap_cmd *c,
    const struct imap_arg *a, bool drop_sep, struct str *name)
{
	struct imap_arg t = *a;
	struct str tmp = STR_INIT;
	int rc;

	if (drop_sep && imap_arg_astring(a) && a->len > 1 &&
	    a->s[a->len - 1] == '/') {
		str_copyb(&tmp, a->s, a->len - 1);
		t.s = tmp.s;
		t.len = tmp.len;
	}
	/* an empty name is never valid; imapd_name_in need not see it */
	rc = t.len == 0 ? -1 : imapd_name_in(st, &t, name);
	str_free(&tmp);
	if (rc == 0 && !store_name_valid(name->s))
		rc = -1;
	if (rc < 0)
		imapd_no(st, c, "[CANNOT] Invalid mailbox name");
	return rc;
}

/* reply_error - a failed store call; a missing mailbox is "NO
 * [NONEXISTENT]": RFC 5530 keeps TRYCREATE for where creating the
 * mailbox would help (APPEND, COPY). */
static void
reply_error(struct imapd *st, const struct imap_cmd *c, int rc,
    const struct str *err)
{
	if (rc == STORE_NOMBOX)
		imapd_no(st, c, "[NONEXISTENT] No such mailbox");
	else
		imapd_store_error(st, c, rc, c->verb, err);
}

/* use_attrs - RFC 6154 "USE (\Sent ...)" into STORE_SU_* bits: 0, -1
 * for an unknown attribute (NO [USEATTR]), -2 malformed (BAD). */
static int
use_attrs(const struct imap_arg *a, unsigned *su)
{
	static const struct {
		const char *name;
		unsigned bit;
	} uses[] = {
		{ "\\All", STORE_SU_ALL },
		{ "\\Archive", STORE_SU_ARCHIVE },
		{ "\\Drafts", STORE_SU_DRAFTS },
		{ "\\Flagged", STORE_SU_FLAGGED },
		{ "\\Junk", STORE_SU_JUNK },
		{ "\\Sent", STORE_SU_SENT },
		{ "\\Trash", STORE_SU_TRASH },
	};
	size_t i, k;

	if (a->type != IMAP_ARG_LIST || a->n == 0)
		return -2;
	for (i = 0; i < a->n; i++) {
		const struct imap_arg *u = &a->list[i];

		if (u->type != IMAP_ARG_ATOM || u->s[0] != '\\')
			return -2;
		for (k = 0; k < sizeof(uses) / sizeof(uses[0]); k++)
			if (imap_arg_is(u, uses[k].name))
				break;
		if (k == sizeof(uses) / sizeof(uses[0]))
			return -1;
		*su |= uses[k].bit;
	}
	return 0;
}

void
imapd_cmd_create(struct imapd *st, const struct imap_cmd *c)
{
	struct str name = STR_INIT, err = STR_INIT;
	unsigned su = 0;
	size_t i;
	int rc;

	if (c->nargs < 1 || c->nargs > 2 ||
	    (c->nargs == 2 && c->args[1].type != IMAP_ARG_LIST)) {
		imapd_bad(st, c, "CREATE needs a mailbox name");
		return;
	}
	/* RFC 4466 create-params; USE is the only one we know. */
	if (c->nargs == 2) {
		const struct imap_arg *p = &c->args[1];

		for (i = 0; i < p->n; i += 2) {
			if (!imap_arg_is(&p->list[i], "USE") || i + 1 >= p->n) {
				imapd_bad(st, c, "Unknown CREATE parameter");
				return;
			}
			rc = use_attrs(&p->list[i + 1], &su);
			if (rc == -2) {
				imapd_bad(st, c, "Invalid USE list");
				return;
			}
			if (rc == -1) {
				imapd_no(st, c, "[USEATTR] Unsupported "
				    "special-use attribute");
				return;
			}
		}
	}
	if (name_arg(st, c, &c->args[0], true, &name) < 0)
		goto out;
	rc = store_mailbox_create(st->store, name.s, su, &err);
	if (rc == STORE_OK)
		imapd_ok(st, c, "CREATE completed");
	else
		reply_error(st, c, rc, &err);
out:
	str_free(&name);
	str_free(&err);
}

void
imapd_cmd_delete(struct imapd *st, const struct imap_cmd *c)
{
	struct str name = STR_INIT, err = STR_INIT;
	struct store_mailbox mb;
	int rc;

	memset(&mb, 0, sizeof(mb));
	if (c->nargs != 1) {
		imapd_bad(st, c, "DELETE needs a mailbox name");
		return;
	}
	if (name_arg(st, c, &c->args[0], false, &name) < 0)
		goto out;
	if (strcmp(name.s, "INBOX") == 0) {
		imapd_no(st, c, "[CANNOT] INBOX cannot be deleted");
		goto out;
	}
	/* Children stay, under their names (RFC 3501 6.3.4 allows it for
	 * a mailbox that is not \Noselect; we have none of those). */
	rc = store_mailbox_get(st->store, name.s, &mb, &err);
	if (rc == STORE_OK)
		rc = store_mailbox_delete(st->store, name.s, &err);
	if (rc != STORE_OK) {
		reply_error(st, c, rc, &err);
		goto out;
	}
	/* The selected mailbox is gone: leave it rather than have the
	 * next sync end the session, and say so the way RFC 9051 7.1 does
	 * for a mailbox closed implicitly. */
	if (st->state == IMAPD_SELECTED && st->mb.id == mb.id) {
		imapd_unselect(st);
		buf_puts(&st->ss.b, "* OK [CLOSED] Selected mailbox "
		    "deleted\r\n");
	}
	imapd_ok(st, c, "DELETE completed");
out:
	store_mailbox_free(&mb);
	str_free(&name);
	str_free(&err);
}

void
imapd_cmd_rename(struct imapd *st, const struct imap_cmd *c)
{
	struct str from = STR_INIT, to = STR_INIT, err = STR_INIT;
	struct store_mailbox mb;
	int rc;

	memset(&mb, 0, sizeof(mb));
	if (c->nargs != 2) {
		imapd_bad(st, c, "RENAME needs two mailbox names");
		return;
	}
	if (name_arg(st, c, &c->args[0], false, &from) < 0 ||
	    name_arg(st, c, &c->args[1], true, &to) < 0)
		goto out;
	rc = store_mailbox_rename(st->store, from.s, to.s, &err);
	if (rc != STORE_OK) {
		reply_error(st, c, rc, &err);
		goto out;
	}
	/* The selected mailbox (or a superior) may have been renamed: it
	 * keeps its id; keep its name current. */
	if (st->state == IMAPD_SELECTED &&
	    store_mailbox_get_id(st->store, st->mb.id, &mb, &err) ==
	    STORE_OK)
		str_copyb(&st->mb.name, mb.name.s, mb.name.len);
	imapd_ok(st, c, "RENAME completed");
out:
	store_mailbox_free(&mb);
	str_free(&from);
	str_free(&to);
	str_free(&err);
}

void
imapd_cmd_subscribe(struct imapd *st, const struct imap_cmd *c, bool on)
{
	struct str name = STR_INIT, err = STR_INIT;
	int rc;

	if (c->nargs != 1) {
		imapd_bad(st, c, "%s needs a mailbox name", c->verb);
		return;
	}
	if (name_arg(st, c, &c->args[0], false, &name) < 0)
		goto out;
	rc = store_mailbox_subscribe(st->store, name.s, on, &err);
	if (rc == STORE_OK)
		imapd_ok(st, c, "%s completed", c->verb);
	else
		reply_error(st, c, rc, &err);
out:
	str_free(&name);
	str_free(&err);
}
