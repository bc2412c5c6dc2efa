/* test-table - compiled LMDB tables: build, replace, reopen, readers
 * during a rebuild, missing and corrupt files. */
#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "table.h"
#include "tap.h"

static struct str err;

static int
build(const char *path, const char *const *kv, mode_t mode)
{
	struct table_build *b;

	if (table_build_begin(&b, path, &err) < 0)
		return -1;
	for (; kv[0] != NULL; kv += 2)
		if (table_build_put(b, kv[0], kv[1], &err) < 0) {
			table_build_abort(&b);
			return -1;
		}
	return table_build_commit(&b, mode, (uid_t)-1, (gid_t)-1, &err);
}

/* raw - an LMDB file at path holding key (klen bytes) -> val and
 * "a" -> "raw", written around the table API as another version (or an
 * older roost) would. */
static int
raw(const char *path, const char *key, size_t klen, const char *val)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { klen, (void *)key }, v = { strlen(val), (void *)val };
	MDB_val ak = { 1, "a" }, av = { 3, "raw" };
	int rc;

	unlink(path);
	if ((rc = mdb_env_create(&env)) != 0)
		return rc;
	if ((rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOLOCK, 0644))
	    == 0 && (rc = mdb_txn_begin(env, NULL, 0, &txn)) == 0) {
		if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) == 0 &&
		    (klen == 0 || (rc = mdb_put(txn, dbi, &k, &v, 0)) == 0) &&
		    (rc = mdb_put(txn, dbi, &ak, &av, 0)) == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	mdb_env_close(env);
	return rc;
}

static int
count(const char *key, const char *val, void *arg)
{
	(void)key, (void)val;
	++*(int *)arg;
	return 0;
}

static int
stop_at_b(const char *key, const char *val, void *arg)
{
	(void)val, (void)arg;
	return strcmp(key, "b") == 0 ? 7 : 0;
}

int
main(void)
{
	char dir[] = "/tmp/test-table.XXXXXX";
	struct str path = STR_INIT, val = STR_INIT, tmp = STR_INIT;
	struct table *t;
	struct table_build *b;
	struct stat st;
	int n, fd;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	str_copyf(&path, "%s/t.db", dir);

	/* Missing file: nothing found, no error, no file made. */
	t = table_open(path.s);
	is_int(table_get(t, "a", &val, &err), 0, "missing file: not found");
	n = 0;
	is_int(table_each(t, count, &n, &err), 0, "missing file: each ok");
	ok(stat(path.s, &st) < 0, "a lookup creates nothing");

	/* Build, then the open handle sees it. */
	is_int(build(path.s, (const char *const[]){ "a", "1", "b", "2",
	    "c", "", NULL }, 0640), 0, "build");
	is_int(table_get(t, "a", &val, &err), 1, "a found after build");
	is_str(val.s, "1", "a's value");
	is_int(table_get(t, "c", &val, &err), 1, "empty value found");
	is_int((int)val.len, 0, "empty value");
	is_int(table_get(t, "zz", &val, &err), 0, "zz not found");
	is_int(table_get(t, "", &val, &err), 0, "empty key not found");
	ok(stat(path.s, &st) == 0 && (st.st_mode & 07777) == 0640,
	    "mode applied");
	str_copyf(&tmp, "%s.tmp", path.s);
	ok(stat(tmp.s, &st) < 0, "no temporary left");
	n = 0;
	is_int(table_each(t, count, &n, &err), 0, "each");
	is_int(n, 3, "three entries");
	is_int(table_each(t, stop_at_b, NULL, &err), 7, "each stops");

	/* Read-modify-write: load, replace, delete. */
	ok(table_build_begin(&b, path.s, &err) == 0, "begin rmw");
	ok(table_build_load(b, &err) == 0, "load");
	ok(table_build_put(b, "a", "one", &err) == 0, "replace a");
	ok(table_build_del(b, "b", &err) == 0, "delete b");
	ok(table_build_put(b, "d", "4", &err) == 0, "add d");
	ok(table_build_del(b, "d", &err) == 0, "then delete d");
	ok(table_build_put(b, "d", "5", &err) == 0, "and add d again");
	is_int(table_build_commit(&b, 0644, (uid_t)-1, (gid_t)-1, &err), 0,
	    "commit rmw");
	ok(b == NULL, "commit frees the build");
	is_int(table_get(t, "a", &val, &err), 1, "a after rebuild");
	is_str(val.s, "one", "the open handle sees the new file");
	is_int(table_get(t, "b", &val, &err), 0, "b gone");
	is_int(table_get(t, "d", &val, &err), 1, "d there");
	is_str(val.s, "5", "last operation on a key wins");

	/* Over-long keys are refused when building. */
	{
		char big[600];

		memset(big, 'k', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		ok(table_build_begin(&b, path.s, &err) == 0, "begin");
		ok(table_build_put(b, big, "v", &err) < 0, "599-byte key "
		    "refused: %s", err.s);
		ok(table_build_put(b, "", "v", &err) < 0, "empty key refused");
		table_build_abort(&b);
		is_int(table_get(t, big, &val, &err), 0, "long key lookup");
	}

	/* A big table grows its map. */
	ok(table_build_begin(&b, path.s, &err) == 0, "begin big");
	for (int i = 0; i < 20000; i++) {
		char k[32], v[200];

		snprintf(k, sizeof k, "key%06d", i);
		memset(v, 'v', sizeof v - 1);
		v[sizeof v - 1] = '\0';
		if (table_build_put(b, k, v, &err) < 0)
			break;
	}
	is_int(table_build_commit(&b, 0644, (uid_t)-1, (gid_t)-1, &err), 0,
	    "commit 20000 entries");
	is_int(table_get(t, "key019999", &val, &err), 1, "last big key");
	is_int((int)val.len, 199, "its value");

	/* A reader in another process during rebuilds sees either the
	 * old or the new table, never an error. */
	{
		pid_t pid = xfork();

		if (pid == 0) {
			struct table *r = table_open(path.s);
			struct str v = STR_INIT, e = STR_INIT;
			int bad = 0;

			for (int i = 0; i < 3000; i++) {
				int rc = table_get(r, "key000001", &v, &e);

				if (rc != 1 && rc != 0)
					bad++;
				if (rc == 0 && table_get(r, "x", &v, &e) != 1)
					bad++;
			}
			table_close(&r);
			_exit(bad ? 1 : 0);
		}
		for (int i = 0; i < 30; i++) {
			const char *kv[] = { i % 2 ? "key000001" : "x", "v",
			    "x", "v", NULL };

			if (build(path.s, kv, 0644) < 0)
				break;
		}
		is_int(reap(pid), 0, "concurrent reader never fails");
	}

	/* Writers are serialised by the lock file. */
	ok(table_build_begin(&b, path.s, &err) == 0, "hold the lock");
	{
		struct str lock = STR_INIT;

		str_copyf(&lock, "%s.lock", path.s);
		fd = open(lock.s, O_RDWR);
		ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0,
		    "a second writer would wait");
		close(fd);
		table_build_abort(&b);
		fd = open(lock.s, O_RDWR);
		ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0,
		    "abort releases the lock");
		close(fd);
		str_free(&lock);
	}

	/* A corrupt file is an error, and a repaired one works again. */
	{
		struct str bad = STR_INIT;

		str_copyf(&bad, "%s/bad", dir);
		fd = open(bad.s, O_WRONLY | O_CREAT, 0644);
		ok(write(fd, "this is no lmdb file, not at all........", 40)
		    == 40, "write junk");
		close(fd);
		ok(rename(bad.s, path.s) == 0, "junk over the table");
		is_int(table_get(t, "a", &val, &err), -1, "corrupt: error");
		ok(strstr(str_cstr(&err), path.s) != NULL, "err names the "
		    "file: %s", str_cstr(&err));
		is_int(build(path.s, (const char *const[]){ "a", "2", NULL },
		    0644), 0, "rebuild");
		is_int(table_get(t, "a", &val, &err), 1, "works again");
		unlink(path.s);
		is_int(table_get(t, "a", &val, &err), 0, "removed: not found");
		str_free(&bad);
	}

	/* Versions: what roost writes carries TABLE_VERSION, hidden from
	 * lookups and walks; a file without one is version 1; a file of
	 * another version is refused with a reason naming it. */
	{
		static const char vkey[] = "\0version";

		is_int(build(path.s, (const char *const[]){ "a", "1", NULL },
		    0644), 0, "build a versioned table");
		n = 0;
		is_int(table_each(t, count, &n, &err), 0, "each");
		is_int(n, 1, "the version is not an entry");
		is_int(table_get(t, "version", &val, &err), 0,
		    "nor a key a lookup can reach");
		is_int(raw(path.s, vkey, sizeof vkey - 1, TABLE_VERSION), 0,
		    "raw file of this version");
		is_int(table_get(t, "a", &val, &err), 1, "read");
		is_int(raw(path.s, "", 0, ""), 0, "raw file with no version");
		is_int(table_get(t, "a", &val, &err), 1, "read as version 1");
		is_str(val.s, "raw", "its value");
		is_int(raw(path.s, vkey, sizeof vkey - 1, "2"), 0,
		    "raw file of version 2");
		is_int(table_get(t, "a", &val, &err), -1, "refused");
		ok(strstr(str_cstr(&err), "version 2") != NULL &&
		    strstr(err.s, path.s) != NULL, "the reason names file and "
		    "version: %s", err.s);
		n = 0;
		is_int(table_each(t, count, &n, &err), -1, "each refuses too");
		ok(table_build_begin(&b, path.s, &err) == 0, "begin");
		ok(table_build_load(b, &err) < 0, "a rebuild will not load it");
		table_build_abort(&b);
		is_int(build(path.s, (const char *const[]){ "a", "3", NULL },
		    0644), 0, "a fresh build replaces it");
		is_int(table_get(t, "a", &val, &err), 1, "readable again");
	}

	/* A build into a directory that does not exist fails cleanly. */
	str_copyf(&tmp, "%s/none/t.db", dir);
	ok(table_build_begin(&b, tmp.s, &err) < 0 && b == NULL,
	    "no directory: %s", str_cstr(&err));

	table_close(&t);
	table_close(&t);
	str_copyf(&tmp, "rm -rf %s", dir);
	if (system(tmp.s) != 0)
		diag("could not remove %s", dir);
	str_free(&path);
	str_free(&val);
	str_free(&tmp);
	str_free(&err);
	return done_testing();
}
