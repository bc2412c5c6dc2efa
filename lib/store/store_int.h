/*
 * store_int - internals shared by the lib/store/store_*.c files; not for
 * callers of store.h.  roost-store(5) describes the databases and the
 * record formats defined here.
 */
#ifndef ROOST_STORE_INT_H
#define ROOST_STORE_INT_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "map.h"
#include "store.h"
#include "str.h"

/* Internal return code: the map is full; the write transaction must be
 * aborted, the map grown and the work retried.  Never returned to
 * callers of store.h. */
#define STORE_FULL_INT (-100)

/* The layout's version, in "meta"; an older one is upgraded at open
 * (store_index.c: upgrade()).  2: duplicate keys are the Message-ID
 * with From and Date (lmtpd), so the version 1 ones, the Message-ID
 * alone, are dropped.  3: a message record says how its file ends
 * (STORE_TAIL_*), read from each file once.  4: "subs" keeps the
 * subscriptions of names that have no mailbox (deleted ones), as RFC
 * 3501 6.3.6 wants; a mailbox's own stays in its record. */
#define STORE_LAYOUT_VERSION 4

/* The named databases of a user's environment. */
enum store_db {
	DB_META,	/* "meta": counters, quota, layout version */
	DB_MBOX,	/* "mbox": id (be32) -> mailbox record */
	DB_MBNAME,	/* "mbname": UTF-8 name -> id (be32) */
	DB_MSG,		/* "msg": id, uid (be32 each) -> record */
	DB_EXP,		/* "exp": time, modseq (be64 each) -> record */
	DB_EXPMB,	/* "expmb": id (be32), modseq (be64) -> time */
	DB_FILES,	/* "files": file name -> references (le32) */
	DB_DUP,		/* "dup": key -> time (be64) */
	DB_DUPTIME,	/* "duptime": time (be64) key -> "" */
	DB_CACHE,	/* "cache": file name -> parsed-structure text */
	DB_SUBS,	/* "subs": subscribed name with no mailbox -> "" */
	DB_COUNT
};

/* One LMDB environment, shared by every handle of this process on the
 * same user (LMDB forbids opening one environment twice per process). */
struct store_env {
	struct store_env *next;
	dev_t dev;
	ino_t ino;
	pid_t pid;		/* the process that opened it */
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	unsigned refs;
	unsigned active;	/* transactions open in this process */
};

struct store {
	char *store_dir;
	char *user;
	struct str path;	/* store_dir/u/<escaped> */
	struct store_env *se;
	int msgdir_fd;		/* u/<user>/msg, O_DIRECTORY */
	int notify_fd;		/* u/<user>/notify, written to notify */
	MDB_txn *txn;		/* explicit one (store_txn_begin) */
	bool txn_write;
	bool dirty;		/* this write changed what sessions see */
	bool keep;		/* commit even though the work failed */
	bool need_grow;		/* MAP_FULL inside an explicit txn */
	/* files linked by the transaction being built; unlinked again
	 * when it aborts */
	struct str linked;	/* NUL-separated names */
	/* files to unlink once the transaction commits */
	struct str unlink_after;
};

/* Fixed parts of the records (little-endian fields, see roost-store(5)). */
#define MBOX_REC_FIXED 48
#define MSG_REC_FIXED 64
#define EXP_REC_FIXED 32

#define EXP_KIND_EXPUNGED 0	/* recoverable, holds a file reference */
#define EXP_KIND_MOVED 1	/* left by an INBOX rename: not recoverable */

struct store_meta {
	uint32_t next_mbox_id;
	uint32_t last_uidvalidity;
	uint64_t modseq;	/* last modseq given out */
};

struct store_quota {
	uint64_t limit;
	uint64_t used;
	uint64_t messages;
	int64_t over_since;
};

/* store_env_get - the environment in dir, opened (create: created and
 * with every database) or shared with another handle of this process. */
int store_env_get(const char *dir, bool create, struct store_env **out,
    struct str *err);
void store_env_put(struct store_env *se);
/* store_open_int - store_open; create: the index is created when
 * missing and the layout version is not checked (store_user_create). */
int store_open_int(struct store **sp, const char *store_dir,
    const char *user, bool create, struct str *err);

/* store_test_mapsize - the initial map size of environments opened by
 * this process (0: map.h's default); tests set it small to exercise
 * growth. */
extern size_t store_test_mapsize;

/* ---- byte order ---- */
void store_be32(unsigned char *p, uint32_t v);
void store_be64(unsigned char *p, uint64_t v);
uint32_t store_get_be32(const unsigned char *p);
uint64_t store_get_be64(const unsigned char *p);
void store_le32(unsigned char *p, uint32_t v);
void store_le64(unsigned char *p, uint64_t v);
uint32_t store_get_le32(const unsigned char *p);
uint64_t store_get_le64(const unsigned char *p);

/* ---- records ---- */
void store_mbox_encode(const struct store_mailbox *mb, struct str *out);
int store_mbox_decode(const struct str *v, uint32_t id,
    struct store_mailbox *mb);
void store_msg_encode(const struct store_msg *m, struct str *out);
int store_msg_decode(const void *p, size_t n, struct store_msg *m);
void store_msgkey(unsigned char k[8], uint32_t mbox, uint32_t uid);

/* ---- map results ---- */
/* store_mrc - a map_* result as a store rc (MAP_NOTFOUND -> notfound). */
int store_mrc(int rc, int notfound);

/* ---- transactions ---- */
/* store_write - run fn in the explicit write transaction, or in its own
 * one (retried after growing the map when it is full), committing and
 * notifying when it succeeds. */
int store_write(struct store *s, int (*fn)(struct store *, MDB_txn *,
    void *, struct str *), void *arg, struct str *err);
/* store_read - run fn in the explicit transaction or a fresh read one. */
int store_read(struct store *s, int (*fn)(struct store *, MDB_txn *,
    void *, struct str *), void *arg, struct str *err);

MDB_dbi store_dbi(const struct store *s, enum store_db db);

int store_meta_get(struct store *s, MDB_txn *txn, struct store_meta *m,
    struct str *err);
int store_meta_put(struct store *s, MDB_txn *txn,
    const struct store_meta *m, struct str *err);
/* store_modseq_next - a fresh modseq (meta is read and written). */
int store_modseq_next(struct store *s, MDB_txn *txn, uint64_t *modseq,
    struct str *err);
int store_quota_load(struct store *s, MDB_txn *txn, struct store_quota *q,
    struct str *err);
int store_quota_put(struct store *s, MDB_txn *txn,
    const struct store_quota *q, struct str *err);

/* mailbox records */
int store_mbox_by_id(struct store *s, MDB_txn *txn, uint32_t id,
    struct store_mailbox *mb, struct str *err);
int store_mbox_by_name(struct store *s, MDB_txn *txn, const char *name,
    struct store_mailbox *mb, struct str *err);
int store_mbox_put(struct store *s, MDB_txn *txn,
    const struct store_mailbox *mb, struct str *err);
/* store_mbox_norm - name with INBOX (and an INBOX/ prefix) in canonical
 * case; STORE_INVALID for a name store_name_valid() refuses. */
int store_mbox_norm(const char *name, struct str *out, struct str *err);
/* store_mbox_new - create the mailbox record and name entry. */
int store_mbox_new(struct store *s, MDB_txn *txn, const char *name,
    unsigned special, bool subscribed, struct store_mailbox *mb,
    struct str *err);
/* counters of mb for a message with flags and size coming (+1) or
 * going (-1) */
void store_mbox_count(struct store_mailbox *mb, unsigned flags,
    uint64_t size, int dir);

/* message records */
/* store_msg_add - a new message in mb (record given except uid and
 * modseq, which are assigned); updates mb (written back), the file's
 * references when addref, and quota usage.  check_quota: STORE_QUOTA
 * when it does not fit. */
int store_msg_add(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    struct store_msg *m, bool addref, bool check_quota, struct str *err);
/* store_fileref - add delta to file's references; *left the new count. */
int store_fileref(struct store *s, MDB_txn *txn, const char *file,
    int delta, uint32_t *left, struct str *err);
/* store_msg_expunge_rec - move message m of mb to the expunge log with
 * kind; updates mb (not written back), quota. */
int store_expunge_rec(struct store *s, MDB_txn *txn,
    struct store_mailbox *mb, const struct store_msg *m, int kind,
    struct str *err);
void store_expunged_decode(const void *p, size_t n,
    struct store_expunged *e, int *kind);

/* keywords */
/* store_keywords_norm - validate and normalise (single spaces, no
 * duplicates); STORE_INVALID when an atom is bad or it is too long. */
int store_keywords_norm(const char *in, struct str *out, struct str *err);

/* notification */
void store_notify_touch(struct store *s);

/* files */
void store_file_name(char out[STORE_FILE_LEN + 1]);
bool store_file_name_valid(const char *name);
int store_fsync_dir(int fd, const char *what, struct str *err);
/* store_user_escape - the escaped user directory name, or -1. */
int store_user_escape(const char *user, struct str *out);

#endif
