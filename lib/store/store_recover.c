/*
 * store_recover - the expunge log's other end (undelete, expire), stray
 * files, and the duplicate database.  See store.h and roost-store(5).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "map.h"
#include "store.h"
#include "store_int.h"
#include "str.h"

#define DUP_KEY_MAX 400		/* longer keys: shortened, with a hash */
#define DUP_DROP_BATCH 64	/* old entries dropped per call */
#define STRAY_AGE (24 * 3600)	/* unreferenced files older than this go */

/* ---- duplicates ---- */

static void
dup_key(const char *key, struct str *out)
{
	size_t n = strlen(key);
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	if (n <= DUP_KEY_MAX) {
		str_copyb(out, key, n);
		return;
	}
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	str_copyb(out, key, DUP_KEY_MAX - 20);
	str_catf(out, "#%016llx", (unsigned long long)h);
}

struct dup_arg {
	struct str key;
	time_t window;
	bool *seen;
};

static int
dup_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct dup_arg *a = arg;
	struct str v = STR_INIT, tk = STR_INIT, k = STR_INIT;
	MDB_cursor *cur = NULL;
	int64_t now = (int64_t)time(NULL), t;
	unsigned char b[8];
	int rc, mrc, i;

	*a->seen = false;
	mrc = map_get(txn, store_dbi(s, DB_DUP), a->key.s, a->key.len, &v,
	    err);
	if (mrc != MAP_OK && mrc != MAP_NOTFOUND) {
		rc = store_mrc(mrc, STORE_ERR);
		goto out;
	}
	if (mrc == MAP_OK && v.len == 8) {
		t = (int64_t)store_get_be64((unsigned char *)v.s);
		if (now - t <= (int64_t)a->window && now >= t) {
			*a->seen = true;
			rc = STORE_OK;
			goto out;
		}
		/* expired: forget the old time entry */
		str_copyb(&tk, v.s, 8);
		str_cat(&tk, &a->key);
		mrc = map_del(txn, store_dbi(s, DB_DUPTIME), tk.s, tk.len,
		    err);
		if (mrc != MAP_OK && mrc != MAP_NOTFOUND) {
			rc = store_mrc(mrc, STORE_ERR);
			goto out;
		}
	}
	store_be64(b, (uint64_t)now);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_DUP), a->key.s,
	    a->key.len, b, 8, 0, err), STORE_ERR);
	if (rc != STORE_OK)
		goto out;
	str_copyb(&tk, b, 8);
	str_cat(&tk, &a->key);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_DUPTIME), tk.s, tk.len,
	    "", 0, 0, err), STORE_ERR);
	if (rc != STORE_OK)
		goto out;
	/* Drop a few entries older than the window, oldest first. */
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_DUPTIME), &cur, err))
	    != MAP_OK) {
		rc = store_mrc(mrc, STORE_ERR);
		goto out;
	}
	for (i = 0; i < DUP_DROP_BATCH; i++) {
		mrc = map_cursor_seek(cur, NULL, 0, &k, NULL, err);
		if (mrc == MAP_NOTFOUND)
			break;
		if (mrc != MAP_OK) {
			rc = store_mrc(mrc, STORE_ERR);
			goto out;
		}
		if (k.len < 8)
			break;
		t = (int64_t)store_get_be64((unsigned char *)k.s);
		if (now - t <= (int64_t)a->window)
			break;
		mrc = map_del(txn, store_dbi(s, DB_DUPTIME), k.s, k.len, err);
		if (mrc == MAP_OK) {
			mrc = map_del(txn, store_dbi(s, DB_DUP), k.s + 8,
			    k.len - 8, err);
			if (mrc == MAP_NOTFOUND)
				mrc = MAP_OK;
		}
		if (mrc != MAP_OK) {
			rc = store_mrc(mrc, STORE_ERR);
			goto out;
		}
	}
	rc = STORE_OK;
out:
	map_cursor_close(&cur);
	str_free(&v);
	str_free(&tk);
	str_free(&k);
	return rc;
}

int
store_dup_seen(struct store *s, const char *key, time_t window, bool *seen,
    struct str *err)
{
	struct dup_arg a;
	int rc;

	*seen = false;
	if (key == NULL || *key == '\0' || window < 0) {
		str_copys(err, "store_dup_seen: empty key");
		return STORE_INVALID;
	}
	memset(&a, 0, sizeof(a));
	dup_key(key, &a.key);
	a.window = window;
	a.seen = seen;
	rc = store_write(s, dup_txn, &a, err);
	str_free(&a.key);
	return rc;
}

/* ---- walking the expunge log ---- */

/* key_next - the smallest 16-byte key after k. */
static void
key_next(unsigned char k[16])
{
	int i;

	for (i = 15; i >= 0; i--)
		if (++k[i] != 0)
			break;
}

static int
exp_del(struct store *s, MDB_txn *txn, const unsigned char k[16],
    uint32_t mbox, struct str *err)
{
	unsigned char mk[12];
	int mrc;

	mrc = map_del(txn, store_dbi(s, DB_EXP), k, 16, err);
	if (mrc != MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	store_be32(mk, mbox);
	memcpy(mk + 4, k + 8, 8);
	mrc = map_del(txn, store_dbi(s, DB_EXPMB), mk, 12, err);
	return store_mrc(mrc == MAP_NOTFOUND ? MAP_OK : mrc, STORE_ERR);
}

/* ---- undelete ---- */

struct undelete_arg {
	time_t since;
	size_t n;
};

static int
undelete_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct undelete_arg *a = arg;
	struct store_expunged e;
	struct store_mailbox mb;
	MDB_cursor *cur = NULL;
	struct str k = STR_INIT, v = STR_INIT;
	unsigned char key[16];
	int rc = STORE_OK, mrc, kind;

	memset(&e, 0, sizeof(e));
	memset(&mb, 0, sizeof(mb));
	a->n = 0;
	memset(key, 0, sizeof(key));
	if (a->since > 0)
		store_be64(key, (uint64_t)a->since);
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_EXP), &cur, err))
	    != MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	for (;;) {
		mrc = map_cursor_seek(cur, key, 16, &k, &v, err);
		if (mrc == MAP_NOTFOUND)
			break;
		if (mrc != MAP_OK) {
			rc = store_mrc(mrc, STORE_ERR);
			break;
		}
		if (k.len != 16) {
			str_copyf(err, "%s: bad expunge log key", s->path.s);
			rc = STORE_ERR;
			break;
		}
		memcpy(key, k.s, 16);
		str_free(&e.msg.keywords);
		store_expunged_decode(v.s, v.len, &e, &kind);
		if (kind != EXP_KIND_EXPUNGED) {
			key_next(key);
			continue;
		}
		rc = store_mbox_by_id(s, txn, e.mailbox_id, &mb, err);
		if (rc == STORE_NOMBOX)
			rc = store_mbox_by_name(s, txn, "INBOX", &mb, err);
		if (rc != STORE_OK)
			break;
		e.msg.flags &= ~STORE_F_DELETED;
		rc = store_msg_add(s, txn, &mb, &e.msg, false, false, err);
		if (rc == STORE_OK)
			rc = exp_del(s, txn, key, e.mailbox_id, err);
		if (rc != STORE_OK)
			break;
		a->n++;
		key_next(key);
	}
	map_cursor_close(&cur);
	store_mailbox_free(&mb);
	str_free(&e.msg.keywords);
	str_free(&k);
	str_free(&v);
	return rc;
}

int
store_undelete(struct store *s, time_t since, size_t *n, struct str *err)
{
	struct undelete_arg a = { since, 0 };
	int rc;

	rc = store_write(s, undelete_txn, &a, err);
	if (n != NULL)
		*n = rc == STORE_OK ? a.n : 0;
	return rc;
}

/* ---- expire ---- */

struct expire_arg {
	time_t before;
	size_t n;
	uint64_t horizon;	/* highest modseq purged */
};

static int
horizon_get(struct store *s, MDB_txn *txn, uint64_t *modseq,
    struct str *err)
{
	struct str v = STR_INIT;
	int rc;

	*modseq = 0;
	rc = map_get(txn, store_dbi(s, DB_META), "horizon", 7, &v, err);
	if (rc == MAP_OK && v.len == 8)
		*modseq = store_get_le64((unsigned char *)v.s);
	str_free(&v);
	return store_mrc(rc == MAP_NOTFOUND ? MAP_OK : rc, STORE_ERR);
}

static int
horizon_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	return horizon_get(s, txn, arg, err);
}

int
store_expunge_horizon(struct store *s, uint64_t *modseq, struct str *err)
{
	return store_read(s, horizon_txn, modseq, err);
}

static int
expire_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct expire_arg *a = arg;
	struct store_expunged e;
	MDB_cursor *cur = NULL;
	struct str k = STR_INIT, v = STR_INIT;
	unsigned char key[16];
	uint32_t left;
	int rc = STORE_OK, mrc, kind;

	memset(&e, 0, sizeof(e));
	memset(key, 0, sizeof(key));
	a->n = 0;
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_EXP), &cur, err))
	    != MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	for (;;) {
		mrc = map_cursor_seek(cur, key, 16, &k, &v, err);
		if (mrc == MAP_NOTFOUND)
			break;
		if (mrc != MAP_OK) {
			rc = store_mrc(mrc, STORE_ERR);
			break;
		}
		if (k.len != 16)
			break;
		memcpy(key, k.s, 16);
		if ((int64_t)store_get_be64(key) >= (int64_t)a->before)
			break;
		str_free(&e.msg.keywords);
		store_expunged_decode(v.s, v.len, &e, &kind);
		if ((rc = exp_del(s, txn, key, e.mailbox_id, err)) != STORE_OK)
			break;
		if (e.modseq > a->horizon)
			a->horizon = e.modseq;
		if (kind == EXP_KIND_EXPUNGED) {
			rc = store_fileref(s, txn, e.msg.file, -1, &left, err);
			if (rc != STORE_OK)
				break;
			if (left == 0 && store_file_name_valid(e.msg.file))
				str_catb(&s->unlink_after, e.msg.file,
				    STORE_FILE_LEN + 1);
			a->n++;
		}
		key_next(key);
	}
	if (rc == STORE_OK && a->horizon > 0) {
		uint64_t old;
		unsigned char b[8];

		if ((rc = horizon_get(s, txn, &old, err)) == STORE_OK &&
		    a->horizon > old) {
			store_le64(b, a->horizon);
			rc = store_mrc(map_put(txn, store_dbi(s, DB_META),
			    "horizon", 7, b, 8, 0, err), STORE_ERR);
		}
	}
	map_cursor_close(&cur);
	str_free(&e.msg.keywords);
	str_free(&k);
	str_free(&v);
	return rc;
}

/* strays - unlink message files no record references that are older
 * than STRAY_AGE (left by a crash between link and commit). */
static void
strays(struct store *s)
{
	MDB_txn *txn;
	DIR *d;
	struct dirent *de;
	struct stat st;
	struct str v = STR_INIT, e = STR_INIT;
	time_t old = time(NULL) - STRAY_AGE;
	int fd, mrc;

	if ((fd = openat(s->msgdir_fd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	if (map_txn_begin(s->se->env, true, &txn, &e) != MAP_OK) {
		closedir(d);
		str_free(&e);
		return;
	}
	s->se->active++;
	while ((de = readdir(d)) != NULL) {
		if (!store_file_name_valid(de->d_name))
			continue;
		if (fstatat(s->msgdir_fd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || st.st_ctime >= old)
			continue;
		mrc = map_get(txn, store_dbi(s, DB_FILES), de->d_name,
		    STORE_FILE_LEN, &v, &e);
		if (mrc == MAP_NOTFOUND)
			(void)unlinkat(s->msgdir_fd, de->d_name, 0);
	}
	s->se->active--;
	map_txn_abort(&txn);
	closedir(d);
	str_free(&v);
	str_free(&e);
}

int
store_expire(struct store *s, time_t before, size_t *n, struct str *err)
{
	struct expire_arg a = { before, 0, 0 };
	int rc;

	rc = store_write(s, expire_txn, &a, err);
	if (n != NULL)
		*n = rc == STORE_OK ? a.n : 0;
	if (rc == STORE_OK && s->txn == NULL)
		strays(s);
	return rc;
}

int
store_spool_clean(const char *store_dir, time_t before, size_t *n,
    struct str *err)
{
	struct str p = STR_INIT;
	DIR *d;
	struct dirent *de;
	struct stat st;

	if (n != NULL)
		*n = 0;
	str_copyf(&p, "%s/tmp", store_dir);
	if ((d = opendir(p.s)) == NULL) {
		int rc = errno == ENOENT ? STORE_OK : STORE_ERR;

		if (rc != STORE_OK)
			str_copyf(err, "opendir %s: %s", p.s, strerror(errno));
		str_free(&p);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		if (!store_file_name_valid(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0
		    || !S_ISREG(st.st_mode) || st.st_mtime >= before)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0 && n != NULL)
			(*n)++;
	}
	closedir(d);
	str_free(&p);
	return STORE_OK;
}
