/*
 * table - compiled lookup tables: one LMDB file (no subdirectory), built
 * whole under a temporary name and renamed over the old one, never
 * changed in place.  Readers therefore open it read-only without a lock
 * file (MDB_NOLOCK | MDB_RDONLY) and need only read permission, and a
 * reader notices a rebuilt table by its inode and reopens it.
 *
 * Used for users.db (users and domains), passwd.db (password hashes),
 * and the compiled aliases and virtual files (FILE.db).
 *
 * Every file carries its format version, TABLE_VERSION, which covers the
 * container and the forms of the keys and values of all these tables; a
 * file of another version is an error on every lookup (a file without a
 * version is version 1).  Values that are attribute text may gain
 * attributes without a new version: readers ignore names they do not
 * know.
 */
#ifndef ROOST_TABLE_H
#define ROOST_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "str.h"

#define TABLE_VERSION "1"

struct table;

/* table_open - a handle on path; the file may not exist yet (lookups
 * then find nothing).  Never fails: errors surface in table_get. */
struct table *table_open(const char *path);
void table_close(struct table **t);

/* table_get - value of key: 1 found (into val), 0 not found, -1 error
 * (err says why: unreadable or corrupt file).  Reopens the file when it
 * was replaced since the last lookup. */
int table_get(struct table *t, const char *key, struct str *val,
    struct str *err);

/* table_each - every entry in key order; fn returns non-zero to stop. */
int table_each(struct table *t,
    int (*fn)(const char *key, const char *val, void *arg), void *arg,
    struct str *err);

/* Building: table_build_begin takes an exclusive lock (flock on
 * path.lock) that serialises writers, and starts empty; add every
 * entry, then
 * table_build_commit writes path.tmp, fsyncs it and renames it over path
 * with mode (and owner uid/gid when not -1). */
struct table_build;
int table_build_begin(struct table_build **b, const char *path,
    struct str *err);
/* table_build_put - add or replace key. */
int table_build_put(struct table_build *b, const char *key,
    const char *val, struct str *err);
int table_build_del(struct table_build *b, const char *key,
    struct str *err);
/* table_build_load - start from the entries of the existing table at
 * the build's path (for read-modify-write edits). */
int table_build_load(struct table_build *b, struct str *err);
int table_build_commit(struct table_build **b, mode_t mode, uid_t uid,
    gid_t gid, struct str *err);
void table_build_abort(struct table_build **b);

#endif
