/*
 * test-store-upgrade - a user's index of an older layout is upgraded
 * when it is opened: layout 1 (duplicate keys of the Message-ID alone)
 * loses its duplicate records and keeps the rest; layout 2 message
 * records learn how their files end (for POP3's sizes) from the files;
 * a layout from the future is refused.
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

/* forget_tails - make every message record one of layout 2 (no tail). */
static int
forget_tails(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct str k = STR_INIT, v = STR_INIT;
	MDB_cursor *cur = NULL;
	int mrc;

	(void)arg;
	if (map_cursor_open(txn, store_dbi(s, DB_MSG), &cur, err) != MAP_OK)
		return STORE_ERR;
	for (mrc = map_cursor_seek(cur, NULL, 0, &k, &v, err); mrc == MAP_OK;
	    mrc = map_cursor_next(cur, &k, &v, err)) {
		v.s[1] = 0;
		if (map_put(txn, store_dbi(s, DB_MSG), k.s, k.len, v.s, v.len,
		    0, err) != MAP_OK ||
		    map_cursor_seek(cur, k.s, k.len, &k, &v, err) != MAP_OK)
			break;
	}
	map_cursor_close(&cur);
	str_free(&k);
	str_free(&v);
	return STORE_OK;
}

/* deliver - a message of text into INBOX. */
static int
deliver(const char *dir, struct store *s, const char *text)
{
	struct store_spool *sp = NULL;
	struct str err = STR_INIT;
	uint32_t uid;
	int rc;

	rc = store_spool_begin(&sp, dir, &err);
	if (rc == STORE_OK)
		rc = store_spool_write(sp, text, strlen(text), &err);
	if (rc == STORE_OK)
		rc = store_spool_finish(sp, &err);
	if (rc == STORE_OK)
		rc = store_deliver(s, sp, NULL, 0, NULL, 0, &uid, &err);
	store_spool_end(&sp);
	str_free(&err);
	return rc;
}

static int
tails(const struct store_msg *m, void *arg)
{
	struct str *out = arg;

	str_catf(out, "%u", (unsigned)m->tail);
	return 0;
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
	struct str err = STR_INIT, cmd = STR_INIT, t = STR_INIT;
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
	ok(deliver(dir, s, "Subject: a\n\nends with a line end\n") ==
	    STORE_OK && deliver(dir, s, "Subject: b\n\nno line end") ==
	    STORE_OK, "two messages");
	memset(&mb, 0, sizeof mb);
	str_clear(&t);
	ok(store_mailbox_get(s, "INBOX", &mb, &err) == STORE_OK &&
	    store_msg_list(s, mb.id, 1, tails, &t, &err) == STORE_OK &&
	    strcmp(t.s, "12") == 0, "delivery records the tails");
	store_mailbox_free(&mb);
	ok(store_write(s, forget_tails, NULL, &err) == STORE_OK,
	    "records without tails, as layout 2 wrote them");
	store_close(&s);
	ok(set_version(dir, "old", 1) == STORE_OK, "made layout 1");

	rc = store_open(&s, dir, "old", &err);
	ok(rc == STORE_OK, "a layout 1 index opens");
	ok(store_read(s, read_version, &v, &err) == STORE_OK && v == 4,
	    "and is layout 4 now");
	memset(&mb, 0, sizeof mb);
	str_clear(&t);
	ok(store_mailbox_get(s, "INBOX", &mb, &err) == STORE_OK &&
	    store_msg_list(s, mb.id, 1, tails, &t, &err) == STORE_OK &&
	    strcmp(t.s, "12") == 0, "the tails read from the files");
	store_mailbox_free(&mb);
	ok(store_dup_seen(s, "<id@x>", 3600, &seen, &err) == STORE_OK &&
	    !seen, "its old duplicate records are gone");
	ok(store_dup_seen(s, "<id@x>", 3600, &seen, &err) == STORE_OK && seen,
	    "new ones count");
	memset(&mb, 0, sizeof mb);
	ok(store_mailbox_get(s, "INBOX", &mb, &err) == STORE_OK,
	    "its mailboxes are kept");
	store_mailbox_free(&mb);
	store_close(&s);

	ok(set_version(dir, "old", 5) == STORE_OK, "made a layout of the "
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
	str_free(&t);
	return done_testing();
}
