/*
 * store_cache - text derived from message files, kept by file name in
 * the "cache" database (see store.h).  A lookup miss is normal; the
 * caller parses the file and stores the result.
 */
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "str.h"

struct cache_arg {
	const char *file;
	const void *p;
	size_t n;
	struct str *out;
};

static int
get_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct cache_arg *a = arg;

	return store_mrc(map_get(txn, store_dbi(s, DB_CACHE), a->file,
	    strlen(a->file), a->out, err), STORE_NOMSG);
}

int
store_cache_get(struct store *s, const char *file, struct str *out,
    struct str *err)
{
	struct cache_arg a = { file, NULL, 0, out };

	str_clear(out);
	return store_read(s, get_txn, &a, err);
}

static int
put_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct cache_arg *a = arg;

	return store_mrc(map_put(txn, store_dbi(s, DB_CACHE), a->file,
	    strlen(a->file), a->p, a->n, 0, err), STORE_ERR);
}

int
store_cache_put(struct store *s, const char *file, const void *p, size_t n,
    struct str *err)
{
	struct cache_arg a = { file, p, n, NULL };

	if (strlen(file) != STORE_FILE_LEN) {
		str_copys(err, "not a message file name");
		return STORE_INVALID;
	}
	return store_write(s, put_txn, &a, err);
}
