/*
 * store - the message store: per-user immutable message files and one
 * LMDB index per user, designed for IMAP (RFC 3501/9051) semantics.
 *
 * Layout under store_dir (roost-store(5) is the full description):
 *
 *   tmp/                     spool files being written (store_spool_*)
 *   u/<user>/                one directory per user; <user> is the store
 *                            user name ("alice@example.test", or "bob"
 *                            for a local account), lowercased, with any
 *                            byte outside [a-z0-9._+@-] written %XX
 *   u/<user>/msg/<file>      message files, CRLF line ends, exactly the
 *                            octets IMAP and POP serve; written once,
 *                            never changed; hard links of one spool file
 *                            when a message goes to several users
 *   u/<user>/index/          the LMDB environment (data.mdb, lock.mdb)
 *   u/<user>/notify          touched after every committed change that
 *                            sessions can see; the change notification
 *                            (store_notify_open)
 *
 * Every write is one LMDB write transaction, committed with fsync; a
 * message file is linked and its directory fsynced before the
 * transaction that makes it visible commits.  Readers see consistent
 * snapshots: every read inside store_txn_begin(.., false) .. end comes
 * from one snapshot.
 *
 * Names: mailbox names are UTF-8, hierarchy separator '/'; "INBOX" is
 * case-insensitive.  store_mutf7_* convert for IMAP clients that do not
 * enable UTF8=ACCEPT.
 *
 * Errors: functions return STORE_OK (0) or a negative enum store_rc, with
 * a reason in err where they take one.
 */
#ifndef ROOST_STORE_H
#define ROOST_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "str.h"

enum store_rc {
	STORE_OK = 0,
	STORE_ERR = -1,		/* system or LMDB failure: temporary */
	STORE_NOUSER = -2,	/* no such user in the store */
	STORE_NOMBOX = -3,	/* no such mailbox */
	STORE_EXISTS = -4,	/* mailbox (or user) already exists */
	STORE_QUOTA = -5,	/* would exceed the user's quota */
	STORE_NOMSG = -6,	/* no such UID */
	STORE_INVALID = -7,	/* bad name or argument */
	STORE_MODIFIED = -8,	/* UNCHANGEDSINCE failed (RFC 7162) */
	STORE_NOSPACE = -9,	/* the file system is full: temporary */
};

/* System flags, as bits. */
#define STORE_F_SEEN     0x01u
#define STORE_F_ANSWERED 0x02u
#define STORE_F_FLAGGED  0x04u
#define STORE_F_DELETED  0x08u
#define STORE_F_DRAFT    0x10u
#define STORE_F_RECENT   0x20u	/* set at delivery; imapd clears it */

/* Special-use attributes (RFC 6154), as bits. */
#define STORE_SU_DRAFTS  0x01u
#define STORE_SU_SENT    0x02u
#define STORE_SU_TRASH   0x04u
#define STORE_SU_JUNK    0x08u
#define STORE_SU_ARCHIVE 0x10u
#define STORE_SU_ALL     0x20u
#define STORE_SU_FLAGGED 0x40u

#define STORE_FILE_LEN 24	/* message file names: fixed length */
#define STORE_NAME_MAX 1024	/* longest mailbox name, octets */
#define STORE_KEYWORDS_MAX 1024	/* keyword text per message, octets */

struct store;			/* one user's store, opened */
struct store_spool;		/* a message being written, not yet stored */

struct store_mailbox {
	uint32_t id;		/* internal, never reused for this user */
	struct str name;	/* UTF-8 */
	unsigned special;	/* STORE_SU_* */
	bool subscribed;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t messages;	/* current counts */
	uint32_t unseen;
	uint32_t recent;
	uint64_t size;		/* octets of its messages */
};

struct store_msg {
	uint32_t uid;
	unsigned flags;		/* STORE_F_* */
	struct str keywords;	/* space-separated keyword atoms */
	uint64_t modseq;
	time_t internaldate;
	uint64_t size;		/* octets of the file (CRLF form) */
	char file[STORE_FILE_LEN + 1];
	unsigned char tail;	/* STORE_TAIL_*: how the file ends */
};

/* How a message file ends, kept at delivery so that POP3 need not open
 * every file at login to size it (RETR adds a CRLF to one that lacks
 * it): unknown only for a record an upgrade could not read. */
#define STORE_TAIL_UNKNOWN 0
#define STORE_TAIL_CRLF 1
#define STORE_TAIL_OTHER 2

/* An expunged message kept for recovery. */
struct store_expunged {
	uint32_t mailbox_id;
	uint32_t uid;		/* its UID before expunge */
	time_t expunged_at;
	uint64_t modseq;	/* the modseq of the expunge */
	struct store_msg msg;
};

/* ---- users ---- */

/* User names: at most 255 octets, not empty; any bytes (they are
 * escaped for the directory name, see the layout above).
 *
 * store_user_create - create user's directory and index with INBOX,
 * Drafts, Sent, Trash, Junk and Archive (special-use, subscribed), and
 * quota limit quota_bytes (0: none).  Idempotent: an
 * existing user is left alone and STORE_OK returned.  When running as
 * root, the files are given to owner (uid/gid; -1: leave). */
int store_user_create(const char *store_dir, const char *user,
    uint64_t quota_bytes, uid_t owner, gid_t group, struct str *err);
/* store_user_delete - remove the user's directory and everything in it. */
int store_user_delete(const char *store_dir, const char *user,
    struct str *err);
/* store_user_exists - whether the user has a store. */
bool store_user_exists(const char *store_dir, const char *user);
/* store_user_path - the user's directory (store_dir/u/<escaped>). */
void store_user_path(const char *store_dir, const char *user,
    struct str *out);

/* store_open - open user's store; STORE_NOUSER if it does not exist. */
int store_open(struct store **s, const char *store_dir, const char *user,
    struct str *err);
/* store_open_login - store_open for a user who has just logged in: a
 * user of the tables whose store is not made yet gets it now, with a
 * limit of quota_bytes. */
int store_open_login(struct store **s, const char *store_dir,
    const char *user, uint64_t quota_bytes, struct str *err);
void store_close(struct store **s);
const char *store_user(const struct store *s);

/* ---- transactions ----
 * Every call below runs inside the transaction begun here when there is
 * one (a read transaction for reads; a write transaction for anything),
 * or in its own otherwise.  One transaction at a time per handle.
 *
 * A change in its own transaction is durable when the call returns; in
 * an explicit write transaction, when store_txn_commit returns
 * STORE_OK (store_txn_abort undoes it, and unlinks the message files
 * store_deliver linked for it).  When the index map is full, a change
 * in its own transaction grows the map and retries by itself; inside an
 * explicit transaction it fails with STORE_ERR ("MDB_MAP_FULL"): abort,
 * and the next store_txn_begin grows the map, so retrying then works.
 *
 * Callbacks of the list functions run inside the read snapshot with an
 * LMDB cursor open: they may read through the same handle but must not
 * change the store (collect, then change after the list returns).
 *
 * Handles on the same user within one process share one LMDB
 * environment; a handle must not be used in a child after fork(). */
int store_txn_begin(struct store *s, bool write, struct str *err);
int store_txn_commit(struct store *s, struct str *err);
void store_txn_abort(struct store *s);
/* store_txn_end - commit when rc is STORE_OK, else abort: the result
 * (rc, or the commit's failure). */
int store_txn_end(struct store *s, int rc, struct str *err);

/* ---- mailboxes ---- */

/* store_mailbox_list - every mailbox in name order: calls fn for each
 * until fn returns non-zero (which is returned). */
int store_mailbox_list(struct store *s,
    int (*fn)(const struct store_mailbox *mb, void *arg), void *arg,
    struct str *err);
/* store_mailbox_get - by name (INBOX case-insensitively); *mb is
 * overwritten (not freed first): release it with store_mailbox_free. */
int store_mailbox_get(struct store *s, const char *name,
    struct store_mailbox *mb, struct str *err);
/* store_mailbox_get_id - by id (stays valid across renames). */
int store_mailbox_get_id(struct store *s, uint32_t id,
    struct store_mailbox *mb, struct str *err);
int store_mailbox_create(struct store *s, const char *name,
    unsigned special, struct str *err);
/* store_mailbox_delete - the mailbox and its messages (which are
 * expunged, so recoverable); INBOX cannot be deleted. */
int store_mailbox_delete(struct store *s, const char *name,
    struct str *err);
/* store_mailbox_rename - renames children too; renaming INBOX moves its
 * messages into a new mailbox and leaves INBOX empty (RFC 3501 6.3.5). */
int store_mailbox_rename(struct store *s, const char *from, const char *to,
    struct str *err);
int store_mailbox_subscribe(struct store *s, const char *name, bool on,
    struct str *err);
/* store_subscribed_orphans - the subscribed names that have no mailbox
 * (their mailbox was deleted; RFC 3501 6.3.4 keeps the subscription):
 * fn(name, len) for each, in name order, until it returns non-zero.  A
 * CREATE of such a name makes a subscribed mailbox, UNSUBSCRIBE ends
 * it. */
int store_subscribed_orphans(struct store *s,
    int (*fn)(const char *name, size_t len, void *arg), void *arg,
    struct str *err);
void store_mailbox_free(struct store_mailbox *mb);

/* ---- messages ---- */

/* store_msg_list - messages of mailbox id with uid >= from_uid, in UID
 * order; fn as for store_mailbox_list (the struct is valid during the
 * call only).  STORE_NOMBOX when the mailbox does not exist (any
 * more). */
int store_msg_list(struct store *s, uint32_t mailbox_id, uint32_t from_uid,
    int (*fn)(const struct store_msg *m, void *arg), void *arg,
    struct str *err);
/* store_msg_get - one message; *m is overwritten (not freed first):
 * release its keywords with store_msg_free. */
int store_msg_get(struct store *s, uint32_t mailbox_id, uint32_t uid,
    struct store_msg *m, struct str *err);
/* store_msg_free - release what store_msg_get/set_flags put into *m. */
void store_msg_free(struct store_msg *m);
/* store_msg_open - open the message file read-only: an fd, or -1 with
 * errno kept (ENOENT: the file was purged). */
int store_msg_open(struct store *s, const struct store_msg *m,
    struct str *err);
/* store_msg_set_flags - replace flags and keywords, new modseq into
 * m->modseq; unchangedsince != 0 fails with STORE_MODIFIED when the
 * message's modseq is higher (RFC 7162). */
int store_msg_set_flags(struct store *s, uint32_t mailbox_id,
    uint32_t uid, unsigned flags, const char *keywords,
    uint64_t unchangedsince, struct store_msg *m, struct str *err);
/* store_msg_expunge - move the message to the expunge log (recoverable,
 * no longer counted against quota). */
int store_msg_expunge(struct store *s, uint32_t mailbox_id, uint32_t uid,
    struct str *err);
/* store_msg_copy - a new message in mailbox to_id linking the same file;
 * the new UID into *new_uid.  Counts against quota. */
int store_msg_copy(struct store *s, uint32_t from_id, uint32_t uid,
    uint32_t to_id, uint32_t *new_uid, struct str *err);
/* store_msg_move - the message into mailbox to_id (new UID into
 * *new_uid) and out of from_id, as one change (RFC 6851): no quota is
 * needed, and the source entry is not recoverable (the message lives
 * on in to_id). */
int store_msg_move(struct store *s, uint32_t from_id, uint32_t uid,
    uint32_t to_id, uint32_t *new_uid, struct str *err);
/* store_expunged_since - expunge log entries of mailbox_id whose expunge
 * modseq is > modseq (for QRESYNC-like catch-up and for sessions
 * learning what others expunged), in modseq order. */
int store_expunged_since(struct store *s, uint32_t mailbox_id,
    uint64_t modseq,
    int (*fn)(const struct store_expunged *e, void *arg), void *arg,
    struct str *err);

/* ---- delivery and APPEND ----
 * store_spool_begin creates a file under store_dir/tmp; write the
 * message with store_spool_write (LF or CRLF line ends in, CRLF in the
 * file) and finish with store_spool_finish (fsync; a finished spool
 * keeps no descriptor and no buffer, only its name).  Then
 * store_deliver() once per recipient links it into each user's store;
 * store_spool_end() removes the spool file. */
int store_spool_begin(struct store_spool **sp, const char *store_dir,
    struct str *err);
int store_spool_write(struct store_spool *sp, const void *p, size_t n,
    struct str *err);
int store_spool_finish(struct store_spool *sp, struct str *err);
uint64_t store_spool_size(const struct store_spool *sp);
void store_spool_end(struct store_spool **sp);

/* store_deliver - add the spooled message to mailbox (NULL: INBOX) with
 * flags and keywords and internal date (0: now), durable on return;
 * its UID into *uid when uid != NULL.  STORE_QUOTA when it would take
 * the user over quota (see store_quota_get for since when): in its own
 * transaction the refusal time is recorded (over_since); inside an
 * explicit one it is recorded only if that commits.  A delivery that
 * fits clears over_since.  Delivering one spool twice to the same user
 * (two addresses of one user) stores two messages sharing one file. */
int store_deliver(struct store *s, struct store_spool *sp,
    const char *mailbox, unsigned flags, const char *keywords,
    time_t internaldate, uint32_t *uid, struct str *err);

/* ---- parse cache ----
 * Text derived from a message file (imapd keeps BODYSTRUCTURE and
 * ENVELOPE there), keyed by the file name: message files never change,
 * so an entry stays right until the file goes, and goes with it.
 * store_cache_get: STORE_OK, or STORE_NOMSG when nothing is cached.
 * store_cache_put: a write; batch many in one explicit transaction. */
int store_cache_get(struct store *s, const char *file, struct str *out,
    struct str *err);
int store_cache_put(struct store *s, const char *file, const void *p,
    size_t n, struct str *err);

/* ---- quota ---- */

/* store_quota_get - usage and limit (0: unlimited) in octets, message
 * count, and since when the user has been refused for quota (0: not
 * over).  Any output pointer may be NULL.  Usage counts every message in
 * every mailbox (copies too), not the expunge log.
 * store_quota_set - the new limit; 0: unlimited. */
int store_quota_get(struct store *s, uint64_t *used, uint64_t *limit,
    uint64_t *messages, time_t *over_since, struct str *err);
int store_quota_set(struct store *s, uint64_t limit, struct str *err);

/* ---- duplicates ---- */

/* store_dup_seen - whether key (e.g. the Message-ID) was recorded within
 * window seconds; records it (with now) when it was not.  Entries older
 * than window are dropped along the way.  A write: run it in the same
 * explicit transaction as the store_deliver it guards. */
int store_dup_seen(struct store *s, const char *key, time_t window,
    bool *seen, struct str *err);

/* ---- recovery ---- */

/* store_undelete - bring back expunged messages expunged at or after
 * since (0: all) into their mailboxes (INBOX when the mailbox is gone)
 * with new UIDs; the count into *n. */
int store_undelete(struct store *s, time_t since, size_t *n,
    struct str *err);
/* store_expire - purge expunge log entries older than before, unlinking
 * their files once no record refers to them; the count into *n.  Also
 * unlinks message files no record refers to that are over a day old
 * (left by a crash between link and commit). */
int store_expire(struct store *s, time_t before, size_t *n,
    struct str *err);
/* store_expunge_horizon - the highest expunge modseq store_expire has
 * purged from the log (0: none yet): store_expunged_since is complete
 * only for a modseq at or above it; a session that knew the mailbox
 * only as of an older modseq must compare its UIDs with the mailbox
 * instead. */
int store_expunge_horizon(struct store *s, uint64_t *modseq,
    struct str *err);
/* store_spool_clean - remove spool files in store_dir/tmp last written
 * before before (left by crashed writers); the count into *n. */
int store_spool_clean(const char *store_dir, time_t before, size_t *n,
    struct str *err);

/* store_check - verify the user's store: every message and expunge log
 * record's file exists with the recorded size, mailbox counters, quota
 * usage and file reference counts agree with the records.  The number
 * of problems into *problems, one line each appended to report (may be
 * NULL); STORE_OK when the check could run. */
int store_check(struct store *s, size_t *problems, struct str *report,
    struct str *err);

/* ---- change notification ----
 * store_notify_open - an fd (inotify) that becomes readable within
 * milliseconds after any committed change to this user's store that
 * sessions can see (messages, flags, mailboxes; not duplicate records
 * or quota bookkeeping alone); after
 * it polls readable, store_notify_drain() it and look for changes
 * (modseq, uidnext, expunge log).  Close it with close(2). */
int store_notify_open(struct store *s, struct str *err);
void store_notify_drain(int fd);

/* ---- names ---- */

/* Modified UTF-7 (RFC 3501 5.1.3) to UTF-8 and back: 0, or -1 when the
 * input is not valid. */
int store_mutf7_to_utf8(const char *in, struct str *out);
int store_utf8_to_mutf7(const char *in, struct str *out);
/* store_name_valid - a mailbox name we accept: valid UTF-8, no control
 * characters, no empty hierarchy levels, at most STORE_NAME_MAX. */
bool store_name_valid(const char *name);

#endif
