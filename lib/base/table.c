/*
 * table - compiled lookup tables; see table.h.
 *
 * A table is one LMDB data file (MDB_NOSUBDIR).  Readers map it with
 * MDB_RDONLY | MDB_NOLOCK: safe because nobody ever writes the file they
 * have open -- a writer builds a whole new file and renames it over the
 * old one, and a reader that still has the old file mapped keeps a
 * consistent (if stale) view until its next lookup notices the new
 * inode.  The old inode cannot be reused while it is mapped, so
 * comparing st_dev/st_ino is enough to detect a rebuild; size and mtime
 * are compared too, to survive an operator's cp over the file.
 *
 * A build collects its entries in memory (as a log of puts and deletes,
 * sorted once at commit) and writes them in one transaction into
 * path.tmp, which is fsynced, given its mode and owner, and renamed; the
 * directory is fsynced after the rename.
 *
 * The format version lives under a key that starts with a NUL byte, which
 * no C-string key can equal: it sorts first, lookups cannot reach it and
 * table_each skips it.  A file without one is version 1 (written before
 * the key existed).
 */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "table.h"

static const char version_key[] = "\0version";
#define VERSION_KEY_LEN (sizeof version_key - 1)

struct table {
	char *path;
	MDB_env *env;		/* NULL: not open (missing file) */
	MDB_dbi dbi;
	dev_t dev;
	ino_t ino;
	off_t size;		/* an in-place change (which no roost */
	struct timespec mtime;	/* tool makes) also means reopening */
};

struct table *
table_open(const char *path)
{
	struct table *t = xcalloc(1, sizeof *t);

	t->path = xstrdup(path);
	return t;
}

static void
drop_env(struct table *t)
{
	if (t->env != NULL)
		mdb_env_close(t->env);
	t->env = NULL;
}

void
table_close(struct table **t)
{
	if (*t == NULL)
		return;
	drop_env(*t);
	free((*t)->path);
	free(*t);
	*t = NULL;
}

/* version_ok - whether the file t has open is of a format we read. */
static bool
version_ok(struct table *t, struct str *err)
{
	MDB_txn *txn;
	MDB_val k = { VERSION_KEY_LEN, (void *)version_key }, v;
	int rc;

	if ((rc = mdb_txn_begin(t->env, NULL, MDB_RDONLY, &txn)) != 0) {
		str_copyf(err, "%s: %s", t->path, mdb_strerror(rc));
		return false;
	}
	rc = mdb_get(txn, t->dbi, &k, &v);
	if (rc == 0 && (v.mv_size != strlen(TABLE_VERSION) ||
	    memcmp(v.mv_data, TABLE_VERSION, v.mv_size) != 0)) {
		str_copyf(err, "%s: table format version %.*s (this roost "
		    "reads %s)", t->path, (int)(v.mv_size > 16 ? 16 :
		    v.mv_size), (const char *)v.mv_data, TABLE_VERSION);
		rc = -1;
	} else if (rc == MDB_NOTFOUND) {
		rc = 0;
	} else if (rc != 0) {
		str_copyf(err, "%s: %s", t->path, mdb_strerror(rc));
	}
	mdb_txn_abort(txn);
	return rc == 0;
}

/* refresh - make t->env the file now at t->path: 1 open, 0 the file does
 * not exist, -1 error (an unknown format version included). */
static int
refresh(struct table *t, struct str *err)
{
	struct stat st;
	MDB_txn *txn;
	int rc;

	if (stat(t->path, &st) < 0) {
		if (errno == ENOENT) {
			drop_env(t);
			return 0;
		}
		str_copyf(err, "%s: %s", t->path, strerror(errno));
		return -1;
	}
	if (t->env != NULL && st.st_dev == t->dev && st.st_ino == t->ino &&
	    st.st_size == t->size && st.st_mtim.tv_sec == t->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == t->mtime.tv_nsec)
		return 1;
	drop_env(t);
	if ((rc = mdb_env_create(&t->env)) == 0 &&
	    (rc = mdb_env_open(t->env, t->path,
	    MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK | MDB_NORDAHEAD, 0)) == 0 &&
	    (rc = mdb_txn_begin(t->env, NULL, MDB_RDONLY, &txn)) == 0) {
		rc = mdb_dbi_open(txn, NULL, 0, &t->dbi);
		mdb_txn_abort(txn);
	}
	if (rc != 0) {
		str_copyf(err, "%s: %s", t->path, mdb_strerror(rc));
		drop_env(t);
		return -1;
	}
	/* The inode of the file we mapped, not of a newer one renamed in
	 * between our stat and open: stat it again through the env. */
	{
		int fd;

		if (mdb_env_get_fd(t->env, &fd) == 0 && fstat(fd, &st) == 0) {
			t->dev = st.st_dev;
			t->ino = st.st_ino;
			t->size = st.st_size;
			t->mtime = st.st_mtim;
		}
	}
	if (!version_ok(t, err)) {
		drop_env(t);
		return -1;
	}
	return 1;
}

int
table_get(struct table *t, const char *key, struct str *val,
    struct str *err)
{
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if ((rc = refresh(t, err)) <= 0)
		return rc;
	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	if (k.mv_size == 0 || k.mv_size > 511)
		return 0;	/* no such key can be stored */
	if ((rc = mdb_txn_begin(t->env, NULL, MDB_RDONLY, &txn)) != 0) {
		str_copyf(err, "%s: %s", t->path, mdb_strerror(rc));
		return -1;
	}
	rc = mdb_get(txn, t->dbi, &k, &v);
	if (rc == 0)
		str_copyb(val, v.mv_data, v.mv_size);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0) {
		str_copyf(err, "%s: %s", t->path, mdb_strerror(rc));
		return -1;
	}
	return 1;
}

int
table_each(struct table *t,
    int (*fn)(const char *key, const char *val, void *arg), void *arg,
    struct str *err)
{
	struct str ks = STR_INIT, vs = STR_INIT;
	MDB_cursor *cur = NULL;
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int rc, stop = 0;

	if ((rc = refresh(t, err)) <= 0)
		return rc;
	if ((rc = mdb_txn_begin(t->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_cursor_open(txn, t->dbi, &cur)) != 0) {
		if (txn != NULL)
			mdb_txn_abort(txn);
		str_copyf(err, "%s: %s", t->path, mdb_strerror(rc));
		return -1;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && !stop;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size > 0 && *(const char *)k.mv_data == '\0')
			continue;	/* the version key */
		/* Copies: fn may look other things up in this table. */
		str_copyb(&ks, k.mv_data, k.mv_size);
		str_copyb(&vs, v.mv_data, v.mv_size);
		stop = fn(ks.s, vs.s, arg);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	str_free(&ks);
	str_free(&vs);
	if (stop)
		return stop;
	if (rc != 0 && rc != MDB_NOTFOUND) {
		str_copyf(err, "%s: %s", t->path, mdb_strerror(rc));
		return -1;
	}
	return 0;
}

/* ---- building ---- */

struct op {
	char *key, *val;	/* val NULL: delete */
	size_t seq;
};

struct table_build {
	char *path;
	int lockfd;
	struct op *ops;
	size_t n, cap;
};

#define KEY_MAX 511	/* LMDB's default limit */

int
table_build_begin(struct table_build **b, const char *path, struct str *err)
{
	struct str lock = STR_INIT;
	int fd;

	*b = NULL;
	str_copyf(&lock, "%s.lock", path);
	fd = open(lock.s, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		str_copyf(err, "%s: %s", lock.s, strerror(errno));
		str_free(&lock);
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			str_copyf(err, "flock %s: %s", lock.s,
			    strerror(errno));
			close(fd);
			str_free(&lock);
			return -1;
		}
	}
	str_free(&lock);
	*b = xcalloc(1, sizeof **b);
	(*b)->path = xstrdup(path);
	(*b)->lockfd = fd;
	return 0;
}

static void
add_op(struct table_build *b, const char *key, const char *val)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? size_mul(b->cap, 2) : 64;
		b->ops = xreallocarray(b->ops, b->cap, sizeof *b->ops);
	}
	b->ops[b->n].key = xstrdup(key);
	b->ops[b->n].val = val ? xstrdup(val) : NULL;
	b->ops[b->n].seq = b->n;
	b->n++;
}

static int
key_check(const char *key, struct str *err)
{
	size_t n = strlen(key);

	if (n == 0 || n > KEY_MAX) {
		str_copyf(err, "table key of %zu bytes (1 to %d allowed)", n,
		    KEY_MAX);
		return -1;
	}
	return 0;
}

int
table_build_put(struct table_build *b, const char *key, const char *val,
    struct str *err)
{
	if (key_check(key, err) < 0)
		return -1;
	add_op(b, key, val);
	return 0;
}

int
table_build_del(struct table_build *b, const char *key, struct str *err)
{
	if (key_check(key, err) < 0)
		return -1;
	add_op(b, key, NULL);
	return 0;
}

static int
load_one(const char *key, const char *val, void *arg)
{
	add_op(arg, key, val);
	return 0;
}

int
table_build_load(struct table_build *b, struct str *err)
{
	struct table *t = table_open(b->path);
	int rc = table_each(t, load_one, b, err);

	table_close(&t);
	return rc < 0 ? -1 : 0;
}

/* Sort by key, and among equal keys the latest operation first. */
static int
op_cmp(const void *a, const void *b)
{
	const struct op *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->seq < y->seq ? 1 : -1;
}

/* write_file - the entries into a new LMDB file at tmp of map size
 * mapsize: 0, 1 when the map was too small, -1 error. */
static int
write_file(struct table_build *b, const char *tmp, size_t mapsize,
    struct str *err)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	int rc;

	unlink(tmp);
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_mapsize(env, mapsize)) != 0 ||
	    (rc = mdb_env_open(env, tmp, MDB_NOSUBDIR | MDB_NOLOCK, 0600))
	    != 0 ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0)
		goto fail;
	{
		MDB_val k = { VERSION_KEY_LEN, (void *)version_key };
		MDB_val v = { strlen(TABLE_VERSION), (void *)TABLE_VERSION };

		if ((rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND)) != 0)
			goto fail;
	}
	for (size_t i = 0; i < b->n; i++) {
		MDB_val k, v;

		if (i > 0 && strcmp(b->ops[i].key, b->ops[i - 1].key) == 0)
			continue;	/* an older operation on the same key */
		if (b->ops[i].val == NULL)
			continue;
		k.mv_data = b->ops[i].key;
		k.mv_size = strlen(b->ops[i].key);
		v.mv_data = b->ops[i].val;
		v.mv_size = strlen(b->ops[i].val);
		/* Sorted input: MDB_APPEND fills pages densely. */
		if ((rc = mdb_put(txn, dbi, &k, &v, MDB_APPEND)) != 0)
			goto fail;
	}
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0 || (rc = mdb_env_sync(env, 1)) != 0)
		goto fail;
	mdb_env_close(env);
	return 0;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env);
	unlink(tmp);
	if (rc == MDB_MAP_FULL)
		return 1;
	str_copyf(err, "%s: %s", tmp, mdb_strerror(rc));
	return -1;
}

/* fsync_dir - make the rename of a file in path's directory durable. */
static int
fsync_dir(const char *path, struct str *err)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? xstrdup(".") :
	    slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fsync(fd) < 0) {
		str_copyf(err, "fsync %s: %s", dir, strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int
table_build_commit(struct table_build **bp, mode_t mode, uid_t uid,
    gid_t gid, struct str *err)
{
	struct table_build *b = *bp;
	struct str tmp = STR_INIT;
	size_t bytes = 0, mapsize;
	int rc, fd;

	if (b->n > 0)
		qsort(b->ops, b->n, sizeof *b->ops, op_cmp);
	for (size_t i = 0; i < b->n; i++)
		bytes = size_add(bytes, size_add(strlen(b->ops[i].key),
		    b->ops[i].val ? strlen(b->ops[i].val) : 0) + 64);
	mapsize = size_add(size_mul(bytes, 3), (size_t)1 << 20);
	str_copyf(&tmp, "%s.tmp", b->path);
	while ((rc = write_file(b, tmp.s, mapsize, err)) == 1)
		mapsize = size_mul(mapsize, 2);
	if (rc < 0)
		goto out;
	rc = -1;
	if ((fd = open(tmp.s, O_RDONLY | O_CLOEXEC)) < 0) {
		str_copyf(err, "%s: %s", tmp.s, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchown(fd, uid, gid) < 0) || fsync(fd) < 0) {
		str_copyf(err, "%s: %s", tmp.s, strerror(errno));
		close(fd);
		unlink(tmp.s);
		goto out;
	}
	close(fd);
	if (rename(tmp.s, b->path) < 0) {
		str_copyf(err, "rename %s: %s", tmp.s, strerror(errno));
		unlink(tmp.s);
		goto out;
	}
	rc = fsync_dir(b->path, err);
out:
	str_free(&tmp);
	table_build_abort(bp);
	return rc;
}

void
table_build_abort(struct table_build **bp)
{
	struct table_build *b = *bp;

	if (b == NULL)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->ops[i].key);
		free(b->ops[i].val);
	}
	free(b->ops);
	close(b->lockfd);	/* releases the flock */
	free(b->path);
	free(b);
	*bp = NULL;
}
