/*
 * store_quota - the per-user quota record: usage is kept exact by the
 * transactions that add and remove messages (store_msg.c); here it is
 * read and the limit changed.  See store.h and roost-store(5).
 */
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "str.h"

struct get_arg {
	struct store_quota q;
};

static int
get_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct get_arg *a = arg;

	return store_quota_load(s, txn, &a->q, err);
}

int
store_quota_get(struct store *s, uint64_t *used, uint64_t *limit,
    uint64_t *messages, time_t *over_since, struct str *err)
{
	struct get_arg a;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = store_read(s, get_txn, &a, err)) != STORE_OK)
		return rc;
	if (used != NULL)
		*used = a.q.used;
	if (limit != NULL)
		*limit = a.q.limit;
	if (messages != NULL)
		*messages = a.q.messages;
	if (over_since != NULL)
		*over_since = (time_t)a.q.over_since;
	return STORE_OK;
}

static int
set_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	const uint64_t *limit = arg;
	struct store_quota q;
	int rc;

	if ((rc = store_quota_load(s, txn, &q, err)) != STORE_OK)
		return rc;
	q.limit = *limit;
	return store_quota_put(s, txn, &q, err);
}

int
store_quota_set(struct store *s, uint64_t limit, struct str *err)
{
	return store_write(s, set_txn, &limit, err);
}
