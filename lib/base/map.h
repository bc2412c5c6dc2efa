/*
 * map - thin helpers over LMDB with error reporting into a struct str.
 *
 * Used for the store index, lookup tables and the duplicate database.
 * Every call returns MAP_OK, MAP_NOTFOUND (get/del/cursor: no such key,
 * or no more entries), MAP_EXISTS (put with MAP_NOOVERWRITE), MAP_FULL
 * (the map is full: call map_env_grow() with no transaction open, then
 * retry the transaction), MAP_NOSPACE (the disk is full: ENOSPC or
 * EDQUOT, also an error) or MAP_ERR with a message in err naming the
 * operation and LMDB's reason.  Results are marked warn_unused_result.
 */
#ifndef ROOST_MAP_H
#define ROOST_MAP_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "str.h"

enum map_rc { MAP_OK = 0, MAP_NOTFOUND, MAP_EXISTS, MAP_FULL, MAP_ERR = -1,
	MAP_NOSPACE = -2 };	/* an error: the file system is full */

#define MAP_NOOVERWRITE MDB_NOOVERWRITE
#define MAP_WUR __attribute__((warn_unused_result))

/* map_env_open - open (creating if needed) the environment in directory
 * dir, mode 0600, with room for maxdbs named databases and an initial
 * map size of mapsize bytes (0: 64 MiB). */
int map_env_open(MDB_env **env, const char *dir, size_t mapsize,
    unsigned maxdbs, unsigned flags, struct str *err) MAP_WUR;
/* map_env_close - close and set *env to NULL; NULL is a no-op. */
void map_env_close(MDB_env **env);
/* map_env_grow - double the map size (no transaction may be open). */
int map_env_grow(MDB_env *env, struct str *err) MAP_WUR;

int map_txn_begin(MDB_env *env, bool rdonly, MDB_txn **txn,
    struct str *err) MAP_WUR;
/* map_txn_begin_busy - the same while busy says this process has other
 * transactions or cursors open on env: then a map another process
 * grew cannot be adopted (remapping would pull the pages from under
 * them), and MAP_ERR says to retry once they are closed. */
int map_txn_begin_busy(MDB_env *env, bool rdonly, bool busy, MDB_txn **txn,
    struct str *err) MAP_WUR;
/* map_txn_commit - commit and set *txn to NULL (also on failure). */
int map_txn_commit(MDB_txn **txn, struct str *err) MAP_WUR;
/* map_txn_abort - abort and set *txn to NULL; NULL is a no-op. */
void map_txn_abort(MDB_txn **txn);
/* map_dbi_open - open the named database (NULL: the main one). */
int map_dbi_open(MDB_txn *txn, const char *name, bool create,
    MDB_dbi *dbi, struct str *err) MAP_WUR;

/* map_get - copy the value of key into val. */
int map_get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    struct str *val, struct str *err) MAP_WUR;
int map_put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    const void *val, size_t vlen, unsigned flags, struct str *err) MAP_WUR;
int map_del(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    struct str *err) MAP_WUR;

/* map_clear - delete every record of dbi (it stays open). */
int map_clear(MDB_txn *txn, MDB_dbi dbi, struct str *err) MAP_WUR;
/* Cursor: map_cursor_open, then map_cursor_seek (first key >= key; NULL
 * key: the first entry) and map_cursor_next, each copying the entry into
 * k and v; map_cursor_close sets *cur to NULL. */
int map_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cur,
    struct str *err) MAP_WUR;
int map_cursor_seek(MDB_cursor *cur, const void *key, size_t klen,
    struct str *k, struct str *v, struct str *err) MAP_WUR;
int map_cursor_next(MDB_cursor *cur, struct str *k, struct str *v,
    struct str *err) MAP_WUR;
void map_cursor_close(MDB_cursor **cur);

#endif
