/* test-map - the LMDB helpers, in a scratch directory. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "map.h"
#include "str.h"
#include "tap.h"

static struct str err;

/* is_map - expect a map result; show err when it differs. */
#define is_map(rc, want, ...)                                          \
	do {                                                           \
		int r_ = (rc);                                         \
		is_int(r_, (want), __VA_ARGS__);                       \
		if (r_ != (want))                                      \
			diag("err: %s", str_cstr(&err));               \
	} while (0)

static const char *
join(struct str *sa, const char *dir, const char *name)
{
	str_copyf(sa, "%s/%s", dir, name);
	return sa->s;
}

static size_t
env_mapsize(MDB_env *env)
{
	MDB_envinfo info;

	if (mdb_env_info(env, &info) != 0)
		return 0;
	return info.me_mapsize;
}

static void
test_open(MDB_env *env, const char *dir)
{
	struct str p = STR_INIT;
	struct stat st;

	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == 0700, "env directory created, mode 0700");
	ok(stat(join(&p, dir, "data.mdb"), &st) == 0 &&
	    (st.st_mode & 07777) == 0600, "data file mode 0600");
	is_int(env_mapsize(env), 64 << 20, "default map size is 64 MiB");
	str_free(&p);
}

static void
test_basic(MDB_env *env, const char *dir, MDB_dbi *a, MDB_dbi *b)
{
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	struct str v = STR_INIT;

	is_map(map_txn_begin(env, false, &txn, &err), MAP_OK, "write txn");
	is_map(map_dbi_open(txn, "a", true, a, &err), MAP_OK, "create db a");
	is_map(map_dbi_open(txn, "b", true, b, &err), MAP_OK, "create db b");
	is_map(map_put(txn, *a, "k", 1, "va", 2, 0, &err), MAP_OK, "put a/k");
	is_map(map_put(txn, *b, "k", 1, "vb", 2, 0, &err), MAP_OK, "put b/k");
	is_map(map_get(txn, *a, "k", 1, &v, &err), MAP_OK, "get in same txn");
	is_str(v.s, "va", "own write visible");
	is_map(map_txn_commit(&txn, &err), MAP_OK, "commit");
	ok(txn == NULL, "commit clears the handle");

	is_map(map_txn_begin(env, true, &txn, &err), MAP_OK, "read txn");
	is_map(map_get(txn, *a, "k", 1, &v, &err), MAP_OK, "get a/k");
	is_str(v.s, "va", "a/k value");
	is_map(map_get(txn, *b, "k", 1, &v, &err), MAP_OK, "get b/k");
	is_str(v.s, "vb", "named dbs are separate");
	is_map(map_get(txn, *a, "nope", 4, &v, &err), MAP_NOTFOUND,
	    "missing key is MAP_NOTFOUND");
	is_map(map_dbi_open(txn, "nope", false, &dbi, &err), MAP_NOTFOUND,
	    "missing db without create is MAP_NOTFOUND");
	str_clear(&err);
	is_map(map_put(txn, *a, "x", 1, "y", 1, 0, &err), MAP_ERR,
	    "put in a read-only txn fails");
	ok(strstr(str_cstr(&err), "mdb_put") != NULL &&
	    strstr(str_cstr(&err), dir) != NULL,
	    "error names the call and the path: %s", str_cstr(&err));
	map_txn_abort(&txn);
	ok(txn == NULL, "abort clears the handle");

	is_map(map_txn_begin(env, false, &txn, &err), MAP_OK, "write txn");
	is_map(map_put(txn, *a, "k", 1, "new", 3, MAP_NOOVERWRITE, &err),
	    MAP_EXISTS, "NOOVERWRITE on an existing key is MAP_EXISTS");
	is_map(map_get(txn, *a, "k", 1, &v, &err), MAP_OK, "get after");
	is_str(v.s, "va", "NOOVERWRITE left the value alone");
	is_map(map_put(txn, *a, "k", 1, "va2", 3, 0, &err), MAP_OK,
	    "plain put overwrites");
	is_map(map_get(txn, *a, "k", 1, &v, &err), MAP_OK, "get overwritten");
	is_str(v.s, "va2", "new value");
	is_map(map_put(txn, *a, "fresh", 5, "1", 1, MAP_NOOVERWRITE, &err),
	    MAP_OK, "NOOVERWRITE on a new key");
	is_map(map_del(txn, *a, "k", 1, &err), MAP_OK, "del");
	is_map(map_del(txn, *a, "k", 1, &err), MAP_NOTFOUND,
	    "del again is MAP_NOTFOUND");
	is_map(map_get(txn, *a, "k", 1, &v, &err), MAP_NOTFOUND,
	    "deleted key is gone");
	is_map(map_get(txn, *b, "k", 1, &v, &err), MAP_OK,
	    "other db keeps its key");

	/* Keys and values are bytes: NULs inside and at the ends. */
	is_map(map_put(txn, *b, "\0k\0", 3, "x\0y\0z", 5, 0, &err), MAP_OK,
	    "put binary key and value");
	is_map(map_put(txn, *b, "\0k", 2, "\0", 1, 0, &err), MAP_OK,
	    "put a key that is a prefix of another");
	is_map(map_put(txn, *b, "e", 1, "", 0, 0, &err), MAP_OK,
	    "put an empty value");
	is_map(map_get(txn, *b, "\0k\0", 3, &v, &err), MAP_OK,
	    "get binary key");
	is_mem(v.s, v.len, "x\0y\0z", 5, "binary value intact");
	is_map(map_get(txn, *b, "\0k", 2, &v, &err), MAP_OK,
	    "get shorter key");
	is_mem(v.s, v.len, "\0", 1, "its own value");
	is_map(map_get(txn, *b, "e", 1, &v, &err), MAP_OK, "get empty value");
	is_int(v.len, 0, "empty value has length 0");
	is_map(map_txn_commit(&txn, &err), MAP_OK, "commit");

	/* maxdbs is 4: a and b exist, two more fit, the fifth does not. */
	is_map(map_txn_begin(env, false, &txn, &err), MAP_OK, "write txn");
	is_map(map_dbi_open(txn, "c", true, &dbi, &err), MAP_OK, "db c");
	is_map(map_dbi_open(txn, "d", true, &dbi, &err), MAP_OK, "db d");
	str_clear(&err);
	is_map(map_dbi_open(txn, "e", true, &dbi, &err), MAP_ERR,
	    "more dbs than maxdbs fails");
	ok(strstr(str_cstr(&err), "mdb_dbi_open") != NULL,
	    "error names the call: %s", str_cstr(&err));
	map_txn_abort(&txn);
	str_free(&v);
}

static void
test_isolation(MDB_env *env, MDB_dbi a)
{
	MDB_txn *w = NULL, *r = NULL;
	struct str v = STR_INIT;

	is_map(map_txn_begin(env, false, &w, &err), MAP_OK, "writer");
	is_map(map_put(w, a, "iso", 3, "new", 3, 0, &err), MAP_OK,
	    "uncommitted put");
	is_map(map_txn_begin(env, true, &r, &err), MAP_OK, "reader");
	is_map(map_get(r, a, "iso", 3, &v, &err), MAP_NOTFOUND,
	    "reader does not see uncommitted data");
	is_map(map_txn_commit(&w, &err), MAP_OK, "commit writer");
	is_map(map_get(r, a, "iso", 3, &v, &err), MAP_NOTFOUND,
	    "older reader keeps its snapshot");
	map_txn_abort(&r);
	is_map(map_txn_begin(env, true, &r, &err), MAP_OK, "new reader");
	is_map(map_get(r, a, "iso", 3, &v, &err), MAP_OK,
	    "new reader sees committed data");
	is_str(v.s, "new", "committed value");
	map_txn_abort(&r);

	is_map(map_txn_begin(env, false, &w, &err), MAP_OK, "writer");
	is_map(map_put(w, a, "gone", 4, "1", 1, 0, &err), MAP_OK, "put");
	is_map(map_del(w, a, "iso", 3, &err), MAP_OK, "del");
	map_txn_abort(&w);
	is_map(map_txn_begin(env, true, &r, &err), MAP_OK, "reader");
	is_map(map_get(r, a, "gone", 4, &v, &err), MAP_NOTFOUND,
	    "aborted put discarded");
	is_map(map_get(r, a, "iso", 3, &v, &err), MAP_OK,
	    "aborted del discarded");
	map_txn_abort(&r);
	str_free(&v);
}

struct kv {
	const char *k;
	size_t len;
};

static void
test_cursor(MDB_env *env)
{
	/* Inserted out of order; "p:\0x" sorts before "p:1". */
	static const struct kv keys[] = {
		{ "q:1", 3 }, { "p:3", 3 }, { "o:9", 3 }, { "p:1", 3 },
		{ "p:\0x", 4 }, { "p:2", 3 },
	};
	static const struct kv sorted[] = {
		{ "o:9", 3 }, { "p:\0x", 4 }, { "p:1", 3 }, { "p:2", 3 },
		{ "p:3", 3 }, { "q:1", 3 },
	};
	const size_t n = sizeof(keys) / sizeof(keys[0]);
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_dbi dbi;
	struct str k = STR_INIT, v = STR_INIT;
	size_t i;
	int rc;

	is_map(map_txn_begin(env, false, &txn, &err), MAP_OK, "write txn");
	is_map(map_dbi_open(txn, "cur", true, &dbi, &err), MAP_OK,
	    "create db cur");
	is_map(map_cursor_open(txn, dbi, &cur, &err), MAP_OK,
	    "cursor on an empty db");
	is_map(map_cursor_seek(cur, NULL, 0, &k, &v, &err), MAP_NOTFOUND,
	    "seek in an empty db is MAP_NOTFOUND");
	map_cursor_close(&cur);
	for (i = 0; i < n; i++) {
		char val = (char)('A' + i);

		is_map(map_put(txn, dbi, keys[i].k, keys[i].len, &val, 1, 0,
		    &err), MAP_OK, "put cursor key %zu", i);
	}
	is_map(map_txn_commit(&txn, &err), MAP_OK, "commit");

	is_map(map_txn_begin(env, true, &txn, &err), MAP_OK, "read txn");
	is_map(map_cursor_open(txn, dbi, &cur, &err), MAP_OK, "cursor");
	is_map(map_cursor_seek(cur, "p:", 2, &k, &v, &err), MAP_OK,
	    "seek to prefix p:");
	is_mem(k.s, k.len, "p:\0x", 4, "lands on the first key >= p:");
	is_mem(v.s, v.len, "E", 1, "with its value");
	for (i = 2; i < n; i++) {
		is_map(map_cursor_next(cur, &k, &v, &err), MAP_OK, "next %zu",
		    i);
		is_mem(k.s, k.len, sorted[i].k, sorted[i].len,
		    "key %zu in order", i);
	}
	is_map(map_cursor_next(cur, &k, &v, &err), MAP_NOTFOUND,
	    "next past the end is MAP_NOTFOUND");
	is_map(map_cursor_seek(cur, "p:2", 3, &k, &v, &err), MAP_OK,
	    "seek to an exact key");
	is_mem(k.s, k.len, "p:2", 3, "lands on it");
	is_map(map_cursor_seek(cur, "zz", 2, &k, &v, &err), MAP_NOTFOUND,
	    "seek past the last key is MAP_NOTFOUND");

	i = 0;
	for (rc = map_cursor_seek(cur, NULL, 0, &k, &v, &err); rc == MAP_OK;
	    rc = map_cursor_next(cur, &k, &v, &err)) {
		if (i < n && !(k.len == sorted[i].len &&
		    memcmp(k.s, sorted[i].k, k.len) == 0))
			diag("entry %zu is '%.*s'", i, (int)k.len, k.s);
		else if (i < n)
			i++;
	}
	is_map(rc, MAP_NOTFOUND, "iteration from NULL ends with NOTFOUND");
	is_int(i, n, "iteration from NULL visits every key in order");
	map_cursor_close(&cur);
	ok(cur == NULL, "cursor close clears the handle");
	map_cursor_close(&cur);
	ok(cur == NULL, "cursor close of NULL is a no-op");
	map_txn_abort(&txn);
	str_free(&k);
	str_free(&v);
}

static int
count_entries(MDB_env *env, MDB_dbi dbi)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	int n = 0, rc;

	if (map_txn_begin(env, true, &txn, &err) == MAP_OK &&
	    map_cursor_open(txn, dbi, &cur, &err) == MAP_OK)
		for (rc = map_cursor_seek(cur, NULL, 0, NULL, NULL, &err);
		    rc == MAP_OK; rc = map_cursor_next(cur, NULL, NULL, &err))
			n++;
	map_cursor_close(&cur);
	map_txn_abort(&txn);
	return n;
}

/* test_full - fill a tiny map, grow it, retry. */
static void
test_full(const char *dir)
{
	char key[16], val[1000];
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	int i, rc = MAP_OK, total;
	const char *where = "";

	memset(val, 'v', sizeof(val));
	is_map(map_env_open(&env, dir, 64 << 10, 0, MDB_NOSYNC, &err), MAP_OK,
	    "open a 64 KiB env");
	if (env == NULL)
		return;
	is_int(env_mapsize(env), 64 << 10, "map size as asked");
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "key%05d", i);
		if (map_txn_begin(env, false, &txn, &err) != MAP_OK ||
		    map_dbi_open(txn, NULL, false, &dbi, &err) != MAP_OK)
			break;
		rc = map_put(txn, dbi, key, strlen(key), val, sizeof(val), 0,
		    &err);
		if (rc != MAP_OK) {
			where = "put";
			break;
		}
		rc = map_txn_commit(&txn, &err);
		if (rc != MAP_OK) {
			where = "commit";
			break;
		}
	}
	is_map(rc, MAP_FULL, "filling the map ends in MAP_FULL (%s, entry %d)",
	    where, i);
	ok(strstr(str_cstr(&err), dir) != NULL, "MAP_FULL message: %s",
	    str_cstr(&err));
	ok(strcmp(where, "commit") != 0 || txn == NULL,
	    "a failed commit clears the handle");
	map_txn_abort(&txn);

	is_map(map_txn_begin(env, false, &txn, &err), MAP_OK, "write txn");
	is_map(map_env_grow(env, &err), MAP_ERR,
	    "grow with a write txn open fails");
	map_txn_abort(&txn);
	is_map(map_env_grow(env, &err), MAP_OK, "grow");
	is_int(env_mapsize(env), 128 << 10, "map size doubled");
	is_map(map_txn_begin(env, false, &txn, &err), MAP_OK, "retry txn");
	is_map(map_dbi_open(txn, NULL, false, &dbi, &err), MAP_OK, "main db");
	is_map(map_put(txn, dbi, key, strlen(key), val, sizeof(val), 0, &err),
	    MAP_OK, "retried put fits");
	is_map(map_txn_commit(&txn, &err), MAP_OK, "retried commit");

	total = i + 1;
	is_int(count_entries(env, dbi), total,
	    "every committed entry survived the growth");

	/* Within one transaction the dirty pages run out on a put. */
	rc = MAP_OK;
	if (map_txn_begin(env, false, &txn, &err) == MAP_OK)
		for (i = 0; i < 10000 && rc == MAP_OK; i++) {
			snprintf(key, sizeof(key), "big%05d", i);
			rc = map_put(txn, dbi, key, strlen(key), val,
			    sizeof(val), 0, &err);
		}
	is_map(rc, MAP_FULL, "one big txn: put reports MAP_FULL (entry %d)",
	    i - 1);
	/* LMDB poisons a txn after a failed put; commit must still free it. */
	is_map(map_txn_commit(&txn, &err), MAP_ERR,
	    "commit after a failed put fails");
	ok(txn == NULL, "failed commit clears the handle");
	is_int(count_entries(env, dbi), total,
	    "the failed txn left nothing behind");
	map_env_close(&env);
	ok(env == NULL, "env close clears the handle");
	map_env_close(&env);
	ok(env == NULL, "env close of NULL is a no-op");
}

static void
test_errors(const char *tmp)
{
	struct str file = STR_INIT, p = STR_INIT;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	struct stat st;
	int fd;

	fd = open(join(&file, tmp, "file"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	ok(fd >= 0, "create a regular file");
	if (fd >= 0)
		close(fd);
	str_clear(&err);
	is_map(map_env_open(&env, join(&p, file.s, "env"), 0, 1, 0, &err),
	    MAP_ERR, "open under a regular file fails");
	ok(env == NULL, "no env handle on failure");
	ok(strstr(str_cstr(&err), p.s) != NULL,
	    "message names the path: %s", str_cstr(&err));
	str_clear(&err);
	is_map(map_env_open(&env, file.s, 0, 1, 0, &err), MAP_ERR,
	    "open on a regular file fails");
	ok(env == NULL && strstr(str_cstr(&err), "mdb_env_open") != NULL &&
	    strstr(str_cstr(&err), file.s) != NULL,
	    "message names the call and the path: %s", str_cstr(&err));
	str_clear(&err);
	is_map(map_env_open(&env, join(&p, tmp, "absent"), 0, 1, MDB_RDONLY,
	    &err), MAP_ERR, "read-only open of a missing env fails");
	ok(env == NULL && stat(p.s, &st) < 0 && errno == ENOENT,
	    "and creates no directory");

	map_txn_abort(&txn);
	ok(txn == NULL, "abort of NULL is a no-op");
	is_map(map_txn_commit(&txn, &err), MAP_ERR, "commit of NULL fails");
	unlink(file.s);
	str_free(&file);
	str_free(&p);
}

static void
rm_env(const char *dir)
{
	struct str p = STR_INIT;

	unlink(join(&p, dir, "data.mdb"));
	unlink(join(&p, dir, "lock.mdb"));
	rmdir(dir);
	str_free(&p);
}

int
main(void)
{
	char tmp[] = "/tmp/test-map.XXXXXX";
	struct str dir = STR_INIT, small = STR_INIT;
	MDB_env *env = NULL;
	MDB_dbi a, b;

	umask(022);
	if (mkdtemp(tmp) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	join(&dir, tmp, "env");
	join(&small, tmp, "small");
	/* MDB_NOTLS: the isolation test holds a reader and the writer in
	 * one thread, which LMDB documents as needing it. */
	is_map(map_env_open(&env, dir.s, 0, 4, MDB_NOTLS, &err), MAP_OK,
	    "open env, creating its directory");
	if (env != NULL) {
		test_open(env, dir.s);
		test_basic(env, dir.s, &a, &b);
		test_isolation(env, a);
		test_cursor(env);
		map_env_close(&env);
	}
	test_full(small.s);
	test_errors(tmp);

	rm_env(dir.s);
	rm_env(small.s);
	ok(rmdir(tmp) == 0, "scratch directory left empty");
	str_free(&dir);
	str_free(&small);
	str_free(&err);
	return done_testing();
}
