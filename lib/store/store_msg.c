/*
 * store_msg - message records: list, get, open, flags, expunge, copy,
 * the expunge log as seen by sessions.  See store.h and roost-store(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "map.h"
#include "store.h"
#include "store_int.h"
#include "str.h"

#define FLAGS_ALL (STORE_F_SEEN | STORE_F_ANSWERED | STORE_F_FLAGGED | \
    STORE_F_DELETED | STORE_F_DRAFT | STORE_F_RECENT)

void
store_msg_free(struct store_msg *m)
{
	str_free(&m->keywords);
}

/* ---- keywords ---- */

static bool
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

int
store_keywords_norm(const char *in, struct str *out, struct str *err)
{
	const char *p = in == NULL ? "" : in, *w;
	size_t n;

	str_clear(out);
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (w = p; *p != '\0' && *p != ' '; p++)
			if (!atom_char((unsigned char)*p)) {
				str_copyf(err, "invalid keyword");
				return STORE_INVALID;
			}
		n = (size_t)(p - w);
		/* skip a duplicate (keywords compare case-insensitively) */
		{
			const char *q = out->s, *end = out->s + out->len;
			bool dup = false;

			while (q != NULL && q < end) {
				const char *sp = memchr(q, ' ',
				    (size_t)(end - q));
				size_t qn = sp ? (size_t)(sp - q) :
				    (size_t)(end - q);

				if (qn == n && strncasecmp(q, w, n) == 0) {
					dup = true;
					break;
				}
				q = sp ? sp + 1 : end;
			}
			if (dup)
				continue;
		}
		if (out->len > 0)
			str_catc(out, ' ');
		str_catb(out, w, n);
	}
	if (out->len > STORE_KEYWORDS_MAX) {
		str_copyf(err, "keywords too long");
		return STORE_INVALID;
	}
	return STORE_OK;
}

/* ---- file references ---- */

int
store_fileref(struct store *s, MDB_txn *txn, const char *file, int delta,
    uint32_t *left, struct str *err)
{
	struct str v = STR_INIT;
	unsigned char b[4];
	int64_t n = 0;
	int rc;

	rc = map_get(txn, store_dbi(s, DB_FILES), file, STORE_FILE_LEN, &v,
	    err);
	if (rc == MAP_OK && v.len == 4)
		n = store_get_le32((unsigned char *)v.s);
	else if (rc != MAP_OK && rc != MAP_NOTFOUND) {
		str_free(&v);
		return store_mrc(rc, STORE_ERR);
	}
	str_free(&v);
	n += delta;
	if (n < 0)
		n = 0;
	if (left != NULL)
		*left = (uint32_t)n;
	if (n == 0) {
		rc = map_del(txn, store_dbi(s, DB_CACHE), file, STORE_FILE_LEN,
		    err);
		if (rc != MAP_OK && rc != MAP_NOTFOUND)
			return store_mrc(rc, STORE_ERR);
		rc = map_del(txn, store_dbi(s, DB_FILES), file, STORE_FILE_LEN,
		    err);
		return store_mrc(rc == MAP_NOTFOUND ? MAP_OK : rc, STORE_ERR);
	}
	store_le32(b, (uint32_t)n);
	return store_mrc(map_put(txn, store_dbi(s, DB_FILES), file,
	    STORE_FILE_LEN, b, 4, 0, err), STORE_ERR);
}

/* ---- adding ---- */

int
store_msg_add(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    struct store_msg *m, bool addref, bool check_quota, struct str *err)
{
	struct store_quota q;
	struct str rec = STR_INIT;
	unsigned char k[8];
	int rc;

	if ((rc = store_quota_load(s, txn, &q, err)) != STORE_OK)
		return rc;
	if (check_quota && q.limit != 0 && (q.used + m->size > q.limit ||
	    q.used + m->size < q.used)) {
		str_copyf(err, "over quota: %llu of %llu octets used, "
		    "message of %llu", (unsigned long long)q.used,
		    (unsigned long long)q.limit,
		    (unsigned long long)m->size);
		return STORE_QUOTA;
	}
	if (mb->uidnext == 0 || mb->uidnext == UINT32_MAX) {
		str_copyf(err, "mailbox %s: out of UIDs", mb->name.s);
		return STORE_ERR;
	}
	m->uid = mb->uidnext++;
	if ((rc = store_modseq_next(s, txn, &m->modseq, err)) != STORE_OK)
		return rc;
	mb->highestmodseq = m->modseq;
	store_msgkey(k, mb->id, m->uid);
	store_msg_encode(m, &rec);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_MSG), k, 8, rec.s,
	    rec.len, 0, err), STORE_ERR);
	str_free(&rec);
	if (rc != STORE_OK)
		return rc;
	if (addref &&
	    (rc = store_fileref(s, txn, m->file, 1, NULL, err)) != STORE_OK)
		return rc;
	store_mbox_count(mb, m->flags, m->size, 1);
	q.used += m->size;
	q.messages++;
	if ((rc = store_quota_put(s, txn, &q, err)) != STORE_OK)
		return rc;
	return store_mbox_put(s, txn, mb, err);
}

/* ---- expunge records ---- */

int
store_expunge_rec(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    const struct store_msg *m, int kind, struct str *err)
{
	struct str rec = STR_INIT, mrec = STR_INIT;
	unsigned char k[16], mk[12], hdr[EXP_REC_FIXED];
	uint64_t modseq;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if ((rc = store_modseq_next(s, txn, &modseq, err)) != STORE_OK)
		return rc;
	store_msgkey(k, mb->id, m->uid);
	rc = store_mrc(map_del(txn, store_dbi(s, DB_MSG), k, 8, err),
	    STORE_NOMSG);
	if (rc != STORE_OK)
		return rc;
	memset(hdr, 0, sizeof(hdr));
	hdr[0] = 1;
	hdr[1] = (unsigned char)kind;
	store_le32(hdr + 4, mb->id);
	store_le32(hdr + 8, m->uid);
	store_le64(hdr + 16, (uint64_t)now);
	store_le64(hdr + 24, modseq);
	str_copyb(&rec, hdr, sizeof(hdr));
	store_msg_encode(m, &mrec);
	str_cat(&rec, &mrec);
	store_be64(k, (uint64_t)now);
	store_be64(k + 8, modseq);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_EXP), k, 16, rec.s,
	    rec.len, 0, err), STORE_ERR);
	str_free(&rec);
	str_free(&mrec);
	if (rc != STORE_OK)
		return rc;
	store_be32(mk, mb->id);
	store_be64(mk + 4, modseq);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_EXPMB), mk, 12, k, 8, 0,
	    err), STORE_ERR);
	if (rc != STORE_OK)
		return rc;
	store_mbox_count(mb, m->flags, m->size, -1);
	mb->highestmodseq = modseq;
	s->dirty = true;
	if (kind == EXP_KIND_EXPUNGED) {
		struct store_quota q;

		if ((rc = store_quota_load(s, txn, &q, err)) != STORE_OK)
			return rc;
		q.used = q.used >= m->size ? q.used - m->size : 0;
		if (q.messages > 0)
			q.messages--;
		rc = store_quota_put(s, txn, &q, err);
	}
	return rc;
}

void
store_expunged_decode(const void *p, size_t n, struct store_expunged *e,
    int *kind)
{
	const unsigned char *b = p;

	memset(e, 0, sizeof(*e));
	*kind = -1;
	if (n < EXP_REC_FIXED || b[0] != 1)
		return;
	*kind = b[1];
	e->mailbox_id = store_get_le32(b + 4);
	e->uid = store_get_le32(b + 8);
	e->expunged_at = (time_t)(int64_t)store_get_le64(b + 16);
	e->modseq = store_get_le64(b + 24);
	if (store_msg_decode(b + EXP_REC_FIXED, n - EXP_REC_FIXED, &e->msg)
	    < 0)
		*kind = -1;
}

/* ---- list/get/open ---- */

struct list_arg {
	uint32_t mbox, from;
	int (*fn)(const struct store_msg *, void *);
	void *arg;
};

static int
list_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct list_arg *a = arg;
	struct store_msg m;
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char key[8];
	int rc = STORE_OK, mrc;

	memset(&m, 0, sizeof(m));
	store_be32(key, a->mbox);
	k.mv_data = key;
	k.mv_size = 4;
	if ((mrc = mdb_get(txn, store_dbi(s, DB_MBOX), &k, &v)) != 0) {
		if (mrc == MDB_NOTFOUND) {
			str_copyf(err, "no such mailbox (id %u)", a->mbox);
			return STORE_NOMBOX;
		}
		str_copyf(err, "mdb_get %s: %s", s->path.s, mdb_strerror(mrc));
		return STORE_ERR;
	}
	/* Straight LMDB here: listing is the hot path of every session. */
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_MSG), &cur, err))
	    != MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	store_msgkey(key, a->mbox, a->from);
	k.mv_data = key;
	k.mv_size = 8;
	for (mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); mrc == 0;
	    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 ||
		    store_get_be32(k.mv_data) != a->mbox)
			break;
		if (store_msg_decode(v.mv_data, v.mv_size, &m) < 0) {
			str_copyf(err, "%s: bad message record", s->path.s);
			rc = STORE_ERR;
			break;
		}
		m.uid = store_get_be32((unsigned char *)k.mv_data + 4);
		if ((rc = a->fn(&m, a->arg)) != 0)
			break;
	}
	if (rc == STORE_OK && mrc != 0 && mrc != MDB_NOTFOUND) {
		str_copyf(err, "mdb_cursor_get %s: %s", s->path.s,
		    mdb_strerror(mrc));
		rc = STORE_ERR;
	}
	mdb_cursor_close(cur);
	str_free(&m.keywords);
	return rc;
}

int
store_msg_list(struct store *s, uint32_t mailbox_id, uint32_t from_uid,
    int (*fn)(const struct store_msg *m, void *arg), void *arg,
    struct str *err)
{
	struct list_arg a = { mailbox_id, from_uid, fn, arg };

	return store_read(s, list_txn, &a, err);
}

struct get_arg {
	uint32_t mbox, uid;
	struct store_msg *m;
};

static int
msg_load(struct store *s, MDB_txn *txn, uint32_t mbox, uint32_t uid,
    struct store_msg *m, struct str *err)
{
	struct str v = STR_INIT;
	unsigned char k[8];
	int rc;

	store_msgkey(k, mbox, uid);
	rc = store_mrc(map_get(txn, store_dbi(s, DB_MSG), k, 8, &v, err),
	    STORE_NOMSG);
	if (rc == STORE_NOMSG)
		str_copyf(err, "no such message: UID %u", uid);
	if (rc == STORE_OK && store_msg_decode(v.s, v.len, m) < 0) {
		str_copyf(err, "%s: bad message record", s->path.s);
		rc = STORE_ERR;
	}
	m->uid = uid;
	str_free(&v);
	return rc;
}

static int
get_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct get_arg *a = arg;

	return msg_load(s, txn, a->mbox, a->uid, a->m, err);
}

int
store_msg_get(struct store *s, uint32_t mailbox_id, uint32_t uid,
    struct store_msg *m, struct str *err)
{
	struct get_arg a = { mailbox_id, uid, m };

	memset(m, 0, sizeof(*m));
	return store_read(s, get_txn, &a, err);
}

bool
store_file_name_valid(const char *name)
{
	size_t i;

	for (i = 0; i < STORE_FILE_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'z')))
			return false;
	return name[STORE_FILE_LEN] == '\0';
}

int
store_msg_open(struct store *s, const struct store_msg *m, struct str *err)
{
	int fd;

	if (!store_file_name_valid(m->file)) {
		str_copys(err, "invalid message file name");
		return -1;
	}
	fd = openat(s->msgdir_fd, m->file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;

		str_copyf(err, "open %s/msg/%s: %s", s->path.s, m->file,
		    strerror(e));
		errno = e;	/* callers tell a purged file (ENOENT) apart */
	}
	return fd;
}

/* ---- flags ---- */

struct flags_arg {
	uint32_t mbox, uid;
	unsigned flags;
	const char *keywords;
	uint64_t unchangedsince;
	struct store_msg *m;
};

static int
flags_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct flags_arg *a = arg;
	struct store_msg *m = a->m;
	struct store_mailbox mb;
	struct str kw = STR_INIT, rec = STR_INIT;
	unsigned char k[8];
	unsigned oldflags;
	int rc;

	memset(&mb, 0, sizeof(mb));
	if ((rc = store_keywords_norm(a->keywords, &kw, err)) != STORE_OK)
		goto out;
	if ((rc = store_mbox_by_id(s, txn, a->mbox, &mb, err)) != STORE_OK)
		goto out;
	if ((rc = msg_load(s, txn, a->mbox, a->uid, m, err)) != STORE_OK)
		goto out;
	if (a->unchangedsince != 0 && m->modseq > a->unchangedsince) {
		str_copyf(err, "UID %u modified since %llu", a->uid,
		    (unsigned long long)a->unchangedsince);
		rc = STORE_MODIFIED;
		goto out;
	}
	if (m->flags == a->flags && m->keywords.len == kw.len &&
	    (kw.len == 0 || memcmp(m->keywords.s, kw.s, kw.len) == 0))
		goto out;	/* nothing changes: no new modseq */
	oldflags = m->flags;
	m->flags = a->flags;
	str_copyb(&m->keywords, kw.s, kw.len);
	if ((rc = store_modseq_next(s, txn, &m->modseq, err)) != STORE_OK)
		goto out;
	store_msgkey(k, a->mbox, a->uid);
	store_msg_encode(m, &rec);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_MSG), k, 8, rec.s,
	    rec.len, 0, err), STORE_ERR);
	if (rc != STORE_OK)
		goto out;
	store_mbox_count(&mb, oldflags, m->size, -1);
	store_mbox_count(&mb, m->flags, m->size, 1);
	mb.highestmodseq = m->modseq;
	rc = store_mbox_put(s, txn, &mb, err);
out:
	store_mailbox_free(&mb);
	str_free(&kw);
	str_free(&rec);
	return rc;
}

int
store_msg_set_flags(struct store *s, uint32_t mailbox_id, uint32_t uid,
    unsigned flags, const char *keywords, uint64_t unchangedsince,
    struct store_msg *m, struct str *err)
{
	struct store_msg tmp;
	struct flags_arg a = { mailbox_id, uid, flags, keywords,
	    unchangedsince, m };
	int rc;

	if (flags & ~FLAGS_ALL) {
		str_copys(err, "unknown flag bits");
		return STORE_INVALID;
	}
	if (m == NULL) {
		memset(&tmp, 0, sizeof(tmp));
		a.m = &tmp;
	} else
		memset(m, 0, sizeof(*m));
	rc = store_write(s, flags_txn, &a, err);
	if (m == NULL)
		str_free(&tmp.keywords);
	return rc;
}

/* ---- expunge ---- */

struct expunge_arg {
	uint32_t mbox, uid;
};

static int
expunge_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct expunge_arg *a = arg;
	struct store_mailbox mb;
	struct store_msg m;
	int rc;

	memset(&mb, 0, sizeof(mb));
	memset(&m, 0, sizeof(m));
	if ((rc = store_mbox_by_id(s, txn, a->mbox, &mb, err)) == STORE_OK &&
	    (rc = msg_load(s, txn, a->mbox, a->uid, &m, err)) == STORE_OK &&
	    (rc = store_expunge_rec(s, txn, &mb, &m, EXP_KIND_EXPUNGED,
	    err)) == STORE_OK)
		rc = store_mbox_put(s, txn, &mb, err);
	store_mailbox_free(&mb);
	str_free(&m.keywords);
	return rc;
}

int
store_msg_expunge(struct store *s, uint32_t mailbox_id, uint32_t uid,
    struct str *err)
{
	struct expunge_arg a = { mailbox_id, uid };

	return store_write(s, expunge_txn, &a, err);
}

/* ---- copy ---- */

struct copy_arg {
	uint32_t from, uid, to;
	uint32_t *new_uid;
	bool move;
};

static int
copy_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct copy_arg *a = arg;
	struct store_mailbox from, to;
	struct store_msg m;
	struct store_quota q;
	int rc;

	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	memset(&m, 0, sizeof(m));
	if ((rc = store_mbox_by_id(s, txn, a->to, &to, err)) != STORE_OK ||
	    (rc = msg_load(s, txn, a->from, a->uid, &m, err)) != STORE_OK)
		goto out;
	if (a->move) {
		/* Out of the source without a recoverable copy: its file
		 * reference and quota usage go with it to the target. */
		if ((rc = store_mbox_by_id(s, txn, a->from, &from, err)) !=
		    STORE_OK || (rc = store_expunge_rec(s, txn, &from, &m,
		    EXP_KIND_MOVED, err)) != STORE_OK ||
		    (rc = store_mbox_put(s, txn, &from, err)) != STORE_OK)
			goto out;
		store_mailbox_free(&to);
		if ((rc = store_mbox_by_id(s, txn, a->to, &to, err)) !=
		    STORE_OK)
			goto out;
	}
	/* RFC 3501 6.4.7: flags copied, \Recent set in the copy. */
	m.flags |= STORE_F_RECENT;
	if ((rc = store_msg_add(s, txn, &to, &m, !a->move, !a->move, err)) !=
	    STORE_OK)
		goto out;
	if (a->move) {
		if ((rc = store_quota_load(s, txn, &q, err)) != STORE_OK)
			goto out;
		q.used = q.used >= m.size ? q.used - m.size : 0;
		if (q.messages > 0)
			q.messages--;
		if ((rc = store_quota_put(s, txn, &q, err)) != STORE_OK)
			goto out;
	}
	if (a->new_uid != NULL)
		*a->new_uid = m.uid;
out:
	store_mailbox_free(&from);
	store_mailbox_free(&to);
	str_free(&m.keywords);
	return rc;
}

int
store_msg_copy(struct store *s, uint32_t from_id, uint32_t uid,
    uint32_t to_id, uint32_t *new_uid, struct str *err)
{
	struct copy_arg a = { from_id, uid, to_id, new_uid, false };

	return store_write(s, copy_txn, &a, err);
}

int
store_msg_move(struct store *s, uint32_t from_id, uint32_t uid,
    uint32_t to_id, uint32_t *new_uid, struct str *err)
{
	struct copy_arg a = { from_id, uid, to_id, new_uid, true };

	return store_write(s, copy_txn, &a, err);
}

/* ---- expunge log for sessions ---- */

struct since_arg {
	uint32_t mbox;
	uint64_t modseq;
	int (*fn)(const struct store_expunged *, void *);
	void *arg;
};

static int
since_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct since_arg *a = arg;
	struct store_expunged e;
	MDB_cursor *cur;
	struct str k = STR_INIT, v = STR_INIT, rec = STR_INIT;
	unsigned char key[12];
	int rc = STORE_OK, mrc, kind;

	memset(&e, 0, sizeof(e));
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_EXPMB), &cur, err))
	    != MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	if (a->modseq == UINT64_MAX)
		goto out;
	store_be32(key, a->mbox);
	store_be64(key + 4, a->modseq + 1);
	for (mrc = map_cursor_seek(cur, key, 12, &k, &v, err); mrc == MAP_OK;
	    mrc = map_cursor_next(cur, &k, &v, err)) {
		unsigned char ek[16];

		if (k.len != 12 ||
		    store_get_be32((unsigned char *)k.s) != a->mbox)
			break;
		if (v.len != 8)
			continue;
		memcpy(ek, v.s, 8);
		memcpy(ek + 8, k.s + 4, 8);
		mrc = map_get(txn, store_dbi(s, DB_EXP), ek, 16, &rec, err);
		if (mrc == MAP_NOTFOUND)
			continue;
		if (mrc != MAP_OK)
			break;
		str_free(&e.msg.keywords);
		store_expunged_decode(rec.s, rec.len, &e, &kind);
		if (kind < 0)
			continue;
		if ((rc = a->fn(&e, a->arg)) != 0)
			break;
	}
	if (rc == STORE_OK && mrc != MAP_OK && mrc != MAP_NOTFOUND)
		rc = store_mrc(mrc, STORE_ERR);
out:
	map_cursor_close(&cur);
	str_free(&e.msg.keywords);
	str_free(&k);
	str_free(&v);
	str_free(&rec);
	return rc;
}

int
store_expunged_since(struct store *s, uint32_t mailbox_id, uint64_t modseq,
    int (*fn)(const struct store_expunged *e, void *arg), void *arg,
    struct str *err)
{
	struct since_arg a = { mailbox_id, modseq, fn, arg };

	return store_read(s, since_txn, &a, err);
}
