/*
 * map - LMDB helpers; see map.h.
 *
 * err is written only for MAP_FULL and MAP_ERR, so the hot "no such key"
 * path formats nothing.  Messages read "<lmdb call> <env path>: <reason>".
 */
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>

#include "map.h"
#include "str.h"

#define MAP_DEFAULT_SIZE ((size_t)64 << 20)

/* result - translate an LMDB return code, describing real failures;
 * path (or, when NULL, env's path) names the environment. */
static int
result(int rc, const char *op, MDB_env *env, const char *path,
    struct str *err)
{
	switch (rc) {
	case MDB_SUCCESS:
		return MAP_OK;
	case MDB_NOTFOUND:
		return MAP_NOTFOUND;
	case MDB_KEYEXIST:
		return MAP_EXISTS;
	}
	if (path == NULL && (env == NULL || mdb_env_get_path(env, &path) != 0 ||
	    path == NULL))
		path = "(unknown)";
	if (err != NULL)
		str_copyf(err, "%s %s: %s", op, path, mdb_strerror(rc));
	return rc == MDB_MAP_FULL ? MAP_FULL :
	    rc == ENOSPC || rc == EDQUOT ? MAP_NOSPACE : MAP_ERR;
}

static int
txn_result(int rc, const char *op, MDB_txn *txn, struct str *err)
{
	return result(rc, op, mdb_txn_env(txn), NULL, err);
}

static int
cursor_result(int rc, const char *op, MDB_cursor *cur, struct str *err)
{
	return result(rc, op, mdb_txn_env(mdb_cursor_txn(cur)), NULL, err);
}

int
map_env_open(MDB_env **env, const char *dir, size_t mapsize,
    unsigned maxdbs, unsigned flags, struct str *err)
{
	int rc;

	*env = NULL;
	/* With MDB_NOSUBDIR dir names the data file itself; a read-only
	 * open of a missing environment should fail, not leave a new
	 * empty directory behind. */
	if (!(flags & (MDB_NOSUBDIR | MDB_RDONLY)) && mkdir(dir, 0700) < 0 &&
	    errno != EEXIST)
		return result(errno, "mkdir", NULL, dir, err);
	if ((rc = mdb_env_create(env)) != 0) {
		*env = NULL;
		return result(rc, "mdb_env_create", NULL, dir, err);
	}
	if ((rc = mdb_env_set_maxdbs(*env, maxdbs)) != 0) {
		map_env_close(env);
		return result(rc, "mdb_env_set_maxdbs", NULL, dir, err);
	}
	if (mapsize == 0)
		mapsize = MAP_DEFAULT_SIZE;
	if ((rc = mdb_env_set_mapsize(*env, mapsize)) != 0) {
		map_env_close(env);
		return result(rc, "mdb_env_set_mapsize", NULL, dir, err);
	}
	if ((rc = mdb_env_open(*env, dir, flags, 0600)) != 0) {
		/* LMDB requires the handle to be closed after a failed open. */
		map_env_close(env);
		return result(rc, "mdb_env_open", NULL, dir, err);
	}
	return MAP_OK;
}

void
map_env_close(MDB_env **env)
{
	if (*env == NULL)
		return;
	mdb_env_close(*env);
	*env = NULL;
}

int
map_env_grow(MDB_env *env, struct str *err)
{
	MDB_envinfo info;
	int rc;

	if ((rc = mdb_env_info(env, &info)) != 0)
		return result(rc, "mdb_env_info", env, NULL, err);
	if (info.me_mapsize > SIZE_MAX / 2)
		return result(EOVERFLOW, "mdb_env_set_mapsize", env, NULL,
		    err);
	rc = mdb_env_set_mapsize(env, info.me_mapsize * 2);
	return result(rc, "mdb_env_set_mapsize", env, NULL, err);
}

int
map_txn_begin(MDB_env *env, bool rdonly, MDB_txn **txn, struct str *err)
{
	return map_txn_begin_busy(env, rdonly, false, txn, err);
}

int
map_txn_begin_busy(MDB_env *env, bool rdonly, bool busy, MDB_txn **txn,
    struct str *err)
{
	unsigned flags = rdonly ? MDB_RDONLY : 0;
	int rc;

	*txn = NULL;
	rc = mdb_txn_begin(env, NULL, flags, txn);
	if (rc == MDB_MAP_RESIZED && !busy) {
		/* Another process grew the map: adopt its size and retry. */
		if ((rc = mdb_env_set_mapsize(env, 0)) == 0)
			rc = mdb_txn_begin(env, NULL, flags, txn);
	}
	if (rc != 0) {
		*txn = NULL;
		return result(rc, "mdb_txn_begin", env, NULL, err);
	}
	return MAP_OK;
}

int
map_txn_commit(MDB_txn **txn, struct str *err)
{
	MDB_env *env;
	int rc;

	if (*txn == NULL) {
		if (err != NULL)
			str_copys(err, "mdb_txn_commit: no transaction");
		return MAP_ERR;
	}
	/* The handle is gone after the commit, whatever its result. */
	env = mdb_txn_env(*txn);
	rc = mdb_txn_commit(*txn);
	*txn = NULL;
	return result(rc, "mdb_txn_commit", env, NULL, err);
}

void
map_txn_abort(MDB_txn **txn)
{
	if (*txn == NULL)
		return;
	mdb_txn_abort(*txn);
	*txn = NULL;
}

int
map_dbi_open(MDB_txn *txn, const char *name, bool create, MDB_dbi *dbi,
    struct str *err)
{
	int rc;

	rc = mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, dbi);
	return txn_result(rc, "mdb_dbi_open", txn, err);
}

static void
copy_val(struct str *to, const MDB_val *v)
{
	if (to != NULL)
		str_copyb(to, v->mv_data, v->mv_size);
}

int
map_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    struct str *val, struct str *err)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc;

	if ((rc = mdb_get(txn, dbi, &k, &v)) == 0)
		copy_val(val, &v);
	return txn_result(rc, "mdb_get", txn, err);
}

int
map_put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    const void *val, size_t vlen, unsigned flags, struct str *err)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };

	return txn_result(mdb_put(txn, dbi, &k, &v, flags), "mdb_put", txn,
	    err);
}

int
map_del(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    struct str *err)
{
	MDB_val k = { klen, (void *)key };

	return txn_result(mdb_del(txn, dbi, &k, NULL), "mdb_del", txn, err);
}

int
map_clear(MDB_txn *txn, MDB_dbi dbi, struct str *err)
{
	return txn_result(mdb_drop(txn, dbi, 0), "mdb_drop", txn, err);
}

int
map_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cur,
    struct str *err)
{
	int rc;

	*cur = NULL;
	if ((rc = mdb_cursor_open(txn, dbi, cur)) != 0)
		*cur = NULL;
	return txn_result(rc, "mdb_cursor_open", txn, err);
}

static int
cursor_get(MDB_cursor *cur, MDB_val *mk, MDB_cursor_op op, struct str *k,
    struct str *v, struct str *err)
{
	MDB_val mv;
	int rc;

	if ((rc = mdb_cursor_get(cur, mk, &mv, op)) == 0) {
		copy_val(k, mk);
		copy_val(v, &mv);
	}
	return cursor_result(rc, "mdb_cursor_get", cur, err);
}

int
map_cursor_seek(MDB_cursor *cur, const void *key, size_t klen,
    struct str *k, struct str *v, struct str *err)
{
	MDB_val mk = { klen, (void *)key };

	if (key == NULL)
		return cursor_get(cur, &mk, MDB_FIRST, k, v, err);
	return cursor_get(cur, &mk, MDB_SET_RANGE, k, v, err);
}

int
map_cursor_next(MDB_cursor *cur, struct str *k, struct str *v,
    struct str *err)
{
	MDB_val mk = { 0, NULL };

	return cursor_get(cur, &mk, MDB_NEXT, k, v, err);
}

void
map_cursor_close(MDB_cursor **cur)
{
	if (*cur == NULL)
		return;
	mdb_cursor_close(*cur);
	*cur = NULL;
}
