/*
 * test-store-upgrade - a user's index of an older layout is upgraded
 * when it is opened: layout 1 (duplicate keys of the Message-ID alone)
 * becomes 2, its duplicate records dropped, the rest kept; a layout
 * from the future is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map.h"
#include "store.h"
#include "store_int.h"
#include "tap.h"

/* put_version - write layout version *arg into the user's meta. */
static int
put_version(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	unsigned char b[4];

	store_le32(b, *(uint32_t *)arg);
	return store_mrc(map_put(txn, store_dbi(s, DB_META), "version", 7, b,
	    4, 0, err), STORE_ERR);
}

static int
set_version(const char *dir, const char *user, uint32_t v)
{
	struct store *s = NULL;
	struct str err = STR_INIT;
	int rc;

	rc = store_open(&s, dir, user, &err);
	if (rc == STORE_OK)
		rc = store_write(s, put_version, &v, &err);
	store_close(&s);
	str_free(&err);
	return rc;
}

static int
read_version(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct str v = STR_INIT;
	int rc = map_get(txn, store_dbi(s, DB_META), "version", 7, &v, err);

	*(uint32_t *)arg = rc == MAP_OK && v.len == 4 ?
	    store_get_le32((unsigned char *)v.s) : 0;
	str_free(&v);
	return STORE_OK;
}

int
main(void)
{
	char dir[] = "/tmp/test-store-upgrade.XXXXXX";
	struct store *s = NULL;
	struct str err = STR_INIT, cmd = STR_INIT;
	struct store_mailbox mb;
	bool seen = false;
	uint32_t v = 0;
	int rc;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	ok(store_user_create(dir, "old", 0, (uid_t)-1, (gid_t)-1, &err) ==
	    STORE_OK, "a user");
	ok(store_open(&s, dir, "old", &err) == STORE_OK &&
	    store_dup_seen(s, "<id@x>", 3600, &seen, &err) == STORE_OK &&
	    !seen, "a duplicate record of the old kind");
	store_close(&s);
	ok(set_version(dir, "old", 1) == STORE_OK, "made layout 1");

	rc = store_open(&s, dir, "old", &err);
	ok(rc == STORE_OK, "a layout 1 index opens");
	ok(store_read(s, read_version, &v, &err) == STORE_OK && v == 2,
	    "and is layout 2 now");
	ok(store_dup_seen(s, "<id@x>", 3600, &seen, &err) == STORE_OK &&
	    !seen, "its old duplicate records are gone");
	ok(store_dup_seen(s, "<id@x>", 3600, &seen, &err) == STORE_OK && seen,
	    "new ones count");
	memset(&mb, 0, sizeof mb);
	ok(store_mailbox_get(s, "INBOX", &mb, &err) == STORE_OK,
	    "its mailboxes are kept");
	store_mailbox_free(&mb);
	store_close(&s);

	ok(set_version(dir, "old", 3) == STORE_OK, "made a layout of the "
	    "future");
	rc = store_open(&s, dir, "old", &err);
	ok(rc != STORE_OK &&
	    strstr(str_cstr(&err), "unknown store layout version") != NULL,
	    "refused, saying why");
	store_close(&s);
	str_copyf(&cmd, "rm -rf '%s'", dir);
	if (system(cmd.s) != 0)
		ok(0, "clean up");
	str_free(&cmd);
	str_free(&err);
	return done_testing();
}
