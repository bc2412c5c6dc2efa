/*
 * lmtpd_deliver - the spooled message into each recipient's INBOX, in
 * the order the recipients were given, with one reply each sent as
 * soon as that copy is durable (RFC 2033 4.2): a 250 means the file is
 * linked and synced and the index commit is on disk.
 *
 * Duplicate suppression and the delivery are one store transaction:
 * the Message-ID is recorded only together with the message, so a
 * delivery refused for quota or an error does not make its retry look
 * like a duplicate.
 *
 * XXX +detail goes to INBOX until Sieve can file it.
 */
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "lmtpd.h"
#include "log.h"

struct outcome {
	const char *status; /* for the log: sent, duplicate, ... */
	const char *dsn;
	uint32_t uid;
};

/* quota - the reply to STORE_QUOTA: temporary while the user has been
 * over quota for less than quota_grace, permanent after. */
static void
quota(struct lmtpd *st, struct store *s, const struct lmtpd_rcpt *r,
    struct outcome *o)
{
	struct str err = STR_INIT;
	time_t since = 0, now = time(NULL);

	if (store_quota_get(s, NULL, NULL, NULL, &since, &err) != STORE_OK)
		log_error("user=%s quota: %s", r->user.s, err.s);
	if (since == 0 || now - since < (time_t)var_quota_grace) {
		lmtpd_reply(st, "452 4.2.2 <%s> Mailbox full", r->addr.s);
		o->status = "deferred";
		o->dsn = "4.2.2";
	} else {
		lmtpd_reply(st, "552 5.2.2 <%s> Mailbox full", r->addr.s);
		o->status = "bounced";
		o->dsn = "5.2.2";
	}
	str_free(&err);
}

/* stored - deliver in a transaction of its own (no duplicate key, or
 * the retry after a quota refusal, which the store must record). */
static int
stored(struct store *s, struct store_spool *sp, uint32_t *uid, struct str *err)
{
	return store_deliver(s, sp, NULL, STORE_F_RECENT, NULL, 0, uid, err);
}

/* once - dup check and delivery in one transaction. */
static int
once(struct store *s, struct store_spool *sp, const char *key, bool *seen,
    uint32_t *uid, struct str *err)
{
	int rc;

	if ((rc = store_txn_begin(s, true, err)) != STORE_OK)
		return rc;
	rc = store_dup_seen(
	    s, key, (time_t)var_duplicate_window, seen, err);
	if (rc == STORE_OK && *seen) {
		store_txn_abort(s);
		return STORE_OK;
	}
	if (rc == STORE_OK)
		rc = stored(s, sp, uid, err);
	if (rc == STORE_OK)
		return store_txn_commit(s, err);
	store_txn_abort(s);
	return rc;
}

static void
one(struct lmtpd *st, const struct lmtpd_rcpt *r, const char *key,
    struct outcome *o)
{
	struct str err = STR_INIT;
	struct store *s = NULL;
	bool seen = false;
	int rc;

	o->uid = 0;
	rc = store_open(&s, st->store_dir, r->user.s, &err);
	if (rc == STORE_NOUSER) {
		/* removed since RCPT: a user the resolver knows gets a
		 * store again, as at RCPT */
		str_clear(&err);
		rc = store_user_create(st->store_dir, r->user.s,
		    (uint64_t)var_quota_default, (uid_t)-1, (gid_t)-1, &err);
		if (rc == STORE_OK)
			rc = store_open(&s, st->store_dir, r->user.s, &err);
	}
	if (rc == STORE_OK)
		rc = key ? once(s, st->sp, key, &seen, &o->uid, &err)
			 : stored(s, st->sp, &o->uid, &err);
	if (rc == STORE_QUOTA && key != NULL) {
		/* again on its own, so the store records since when the
		 * user is over quota (the transaction above rolled that
		 * back); should it fit now, the key is recorded after */
		str_clear(&err);
		rc = stored(s, st->sp, &o->uid, &err);
		if (rc == STORE_OK)
			(void)store_dup_seen(s, key,
			    (time_t)var_duplicate_window, &seen, &err);
		seen = false;
	}
	if (rc == STORE_OK && seen) {
		lmtpd_reply(
		    st, "250 2.0.0 <%s> duplicate, discarded", r->addr.s);
		o->status = "duplicate";
		o->dsn = "2.0.0";
	} else if (rc == STORE_OK) {
		lmtpd_reply(
		    st, "250 2.0.0 <%s> saved as UID %u", r->addr.s, o->uid);
		o->status = "sent";
		o->dsn = "2.0.0";
	} else if (rc == STORE_QUOTA)
		quota(st, s, r, o);
	else if (rc == STORE_NOSPACE) {
		log_error("to=<%s> user=%s store: %s", r->addr.s, r->user.s,
		    err.s ? err.s : "");
		lmtpd_reply(st, "452 4.3.1 <%s> Error: insufficient system "
		    "storage", r->addr.s);
		o->status = "deferred";
		o->dsn = "4.3.1";
	} else {
		log_error("to=<%s> user=%s store: %s", r->addr.s, r->user.s,
		    err.s ? err.s : "");
		lmtpd_reply(st,
		    "451 4.3.0 <%s> Error: temporary failure "
		    "storing the message",
		    r->addr.s);
		o->status = "deferred";
		o->dsn = "4.3.0";
	}
	store_close(&s);
	str_free(&err);
}

void
lmtpd_deliver(struct lmtpd *st)
{
	struct str key = STR_INIT, id = STR_INIT;
	struct outcome o;
	bool dup = var_duplicate_suppression;
	const char *k, *m;
	size_t i;

	k = lmtpd_dupkey(st->head.s ? st->head.s : "", st->head.len, &key) == 0
	    ? key.s
	    : NULL;
	m = lmtpd_msgid(st->head.s ? st->head.s : "", st->head.len, &id) == 0
	    ? id.s
	    : NULL;
	for (i = 0; i < st->nrcpt; i++) {
		const struct lmtpd_rcpt *r = &st->rcpt[i];

		one(st, r, dup ? k : NULL, &o);
		/* the Message-ID comes last: it may hold blanks */
		log_info("delivery from=<%s> to=<%s> user=%s%s%s uid=%u "
			 "size=%llu status=%s dsn=%s msgid=%s",
		    st->sender.s ? st->sender.s : "", r->addr.s, r->user.s,
		    r->detail.len ? " detail=" : "",
		    r->detail.len ? r->detail.s : "", o.uid,
		    (unsigned long long)store_spool_size(st->sp), o.status,
		    o.dsn, m ? m : "-");
		/* each reply goes out as soon as its copy is durable */
		(void)buf_flush(&st->ss.b);
	}
	str_free(&key);
	str_free(&id);
}
