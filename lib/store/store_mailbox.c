/*
 * store_mailbox - mailbox records: list, get, create, delete, rename,
 * subscribe.  See store.h and roost-store(5).
 */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "map.h"
#include "store.h"
#include "store_int.h"
#include "str.h"

void
store_mailbox_free(struct store_mailbox *mb)
{
	str_free(&mb->name);
}

int
store_mbox_norm(const char *name, struct str *out, struct str *err)
{
	if (name == NULL || !store_name_valid(name)) {
		str_copyf(err, "invalid mailbox name");
		return STORE_INVALID;
	}
	if (strncasecmp(name, "INBOX", 5) == 0 &&
	    (name[5] == '\0' || name[5] == '/')) {
		str_copys(out, "INBOX");
		str_cats(out, name + 5);
	} else
		str_copys(out, name);
	return STORE_OK;
}

int
store_mbox_by_id(struct store *s, MDB_txn *txn, uint32_t id,
    struct store_mailbox *mb, struct str *err)
{
	struct str v = STR_INIT;
	unsigned char k[4];
	int rc;

	store_be32(k, id);
	rc = store_mrc(map_get(txn, store_dbi(s, DB_MBOX), k, 4, &v, err),
	    STORE_NOMBOX);
	if (rc == STORE_OK && store_mbox_decode(&v, id, mb) < 0) {
		str_copyf(err, "%s: mailbox %u: bad record", s->path.s, id);
		rc = STORE_ERR;
	}
	if (rc == STORE_NOMBOX)
		str_copyf(err, "no such mailbox (id %u)", id);
	str_free(&v);
	return rc;
}

/* name_key - the "mbname" key of a name: the name itself, or when it
 * is longer than LMDB keys may be, its first NAME_KEY_PREFIX octets,
 * 0xff and a hash of the whole. */
#define NAME_KEY_MAX 480
#define NAME_KEY_PREFIX 460

static void
name_key(const char *name, size_t n, struct str *out)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	if (n <= NAME_KEY_MAX) {
		str_copyb(out, name, n);
		return;
	}
	for (i = 0; i < n; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ULL;
	}
	str_copyb(out, name, NAME_KEY_PREFIX);
	str_catf(out, "\xff%016llx", (unsigned long long)h);
}

static int
name_put(struct store *s, MDB_txn *txn, const char *name, size_t n,
    const unsigned char id[4], struct str *err)
{
	struct str k = STR_INIT;
	int rc;

	name_key(name, n, &k);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_MBNAME), k.s, k.len, id,
	    4, 0, err), STORE_ERR);
	str_free(&k);
	return rc;
}

static int
name_del(struct store *s, MDB_txn *txn, const char *name, size_t n,
    struct str *err)
{
	struct str k = STR_INIT;
	int rc;

	name_key(name, n, &k);
	rc = store_mrc(map_del(txn, store_dbi(s, DB_MBNAME), k.s, k.len, err),
	    STORE_ERR);
	str_free(&k);
	return rc;
}

/* lookup - the id of normalised name. */
static int
lookup(struct store *s, MDB_txn *txn, const char *name, uint32_t *id,
    struct str *err)
{
	struct str v = STR_INIT, k = STR_INIT;
	int rc;

	name_key(name, strlen(name), &k);
	rc = store_mrc(map_get(txn, store_dbi(s, DB_MBNAME), k.s, k.len, &v,
	    err), STORE_NOMBOX);
	str_free(&k);
	if (rc == STORE_OK) {
		if (v.len != 4) {
			str_copyf(err, "%s: mailbox name %s: bad record",
			    s->path.s, name);
			rc = STORE_ERR;
		} else
			*id = store_get_be32((unsigned char *)v.s);
	}
	str_free(&v);
	return rc;
}

int
store_mbox_by_name(struct store *s, MDB_txn *txn, const char *name,
    struct store_mailbox *mb, struct str *err)
{
	struct str n = STR_INIT;
	uint32_t id;
	int rc;

	if ((rc = store_mbox_norm(name, &n, err)) == STORE_OK)
		rc = lookup(s, txn, n.s, &id, err);
	if (rc == STORE_OK)
		rc = store_mbox_by_id(s, txn, id, mb, err);
	if (rc == STORE_NOMBOX)
		str_copyf(err, "no such mailbox: %s", n.s);
	str_free(&n);
	return rc;
}

int
store_mbox_put(struct store *s, MDB_txn *txn, const struct store_mailbox *mb,
    struct str *err)
{
	struct str v = STR_INIT;
	unsigned char k[4];
	int rc;

	store_be32(k, mb->id);
	store_mbox_encode(mb, &v);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_MBOX), k, 4, v.s, v.len,
	    0, err), STORE_ERR);
	str_free(&v);
	s->dirty = true;
	return rc;
}

void
store_mbox_count(struct store_mailbox *mb, unsigned flags, uint64_t size,
    int dir)
{
	if (dir > 0) {
		mb->messages++;
		mb->size += size;
		if (!(flags & STORE_F_SEEN))
			mb->unseen++;
		if (flags & STORE_F_RECENT)
			mb->recent++;
	} else {
		if (mb->messages > 0)
			mb->messages--;
		mb->size = mb->size >= size ? mb->size - size : 0;
		if (!(flags & STORE_F_SEEN) && mb->unseen > 0)
			mb->unseen--;
		if ((flags & STORE_F_RECENT) && mb->recent > 0)
			mb->recent--;
	}
}

/* ghost_take - remove name's subscription without a mailbox:
 * STORE_OK when there was one, STORE_NOMBOX when not. */
static int
ghost_take(struct store *s, MDB_txn *txn, const char *name, struct str *err)
{
	int mrc = map_del(txn, store_dbi(s, DB_SUBS), name, strlen(name), err);

	if (mrc == MAP_NOTFOUND)
		return STORE_NOMBOX;
	return store_mrc(mrc, STORE_ERR);
}

int
store_mbox_new(struct store *s, MDB_txn *txn, const char *name,
    unsigned special, bool subscribed, struct store_mailbox *mb,
    struct str *err)
{
	struct store_meta m;
	unsigned char k[4];
	uint32_t id;
	uint32_t now = (uint32_t)time(NULL);
	int rc;

	rc = lookup(s, txn, name, &id, err);
	if (rc == STORE_OK) {
		str_copyf(err, "mailbox exists: %s", name);
		return STORE_EXISTS;
	}
	if (rc != STORE_NOMBOX)
		return rc;
	if ((rc = store_meta_get(s, txn, &m, err)) != STORE_OK)
		return rc;
	if (m.next_mbox_id == 0 || m.next_mbox_id == UINT32_MAX) {
		str_copys(err, "out of mailbox ids");
		return STORE_ERR;
	}
	store_mailbox_free(mb);
	memset(mb, 0, sizeof(*mb));
	mb->id = m.next_mbox_id++;
	mb->uidvalidity = now > m.last_uidvalidity ? now :
	    m.last_uidvalidity + 1;
	m.last_uidvalidity = mb->uidvalidity;
	mb->uidnext = 1;
	mb->highestmodseq = ++m.modseq;
	mb->special = special;
	mb->subscribed = subscribed;
	str_copys(&mb->name, name);
	/* a name still subscribed from before (RFC 3501 6.3.6) */
	if ((rc = ghost_take(s, txn, name, err)) == STORE_OK)
		mb->subscribed = true;
	else if (rc != STORE_NOMBOX)
		return rc;
	if ((rc = store_meta_put(s, txn, &m, err)) != STORE_OK)
		return rc;
	if ((rc = store_mbox_put(s, txn, mb, err)) != STORE_OK)
		return rc;
	store_be32(k, mb->id);
	return name_put(s, txn, name, strlen(name), k, err);
}

/* ---- list/get ---- */

struct list_arg {
	int (*fn)(const struct store_mailbox *, void *);
	void *arg;
};

static int
list_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct list_arg *a = arg;
	struct store_mailbox mb;
	MDB_cursor *cur;
	struct str k = STR_INIT, v = STR_INIT;
	int rc, mrc;

	memset(&mb, 0, sizeof(mb));
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_MBNAME), &cur, err))
	    != MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	rc = STORE_OK;
	for (mrc = map_cursor_seek(cur, NULL, 0, &k, &v, err); mrc == MAP_OK;
	    mrc = map_cursor_next(cur, &k, &v, err)) {
		if (v.len != 4)
			continue;
		rc = store_mbox_by_id(s, txn,
		    store_get_be32((unsigned char *)v.s), &mb, err);
		if (rc == STORE_NOMBOX)
			continue;
		if (rc != STORE_OK || (rc = a->fn(&mb, a->arg)) != 0)
			break;
	}
	if (rc == STORE_OK && mrc != MAP_NOTFOUND && mrc != MAP_OK)
		rc = store_mrc(mrc, STORE_ERR);
	map_cursor_close(&cur);
	store_mailbox_free(&mb);
	str_free(&k);
	str_free(&v);
	return rc;
}

int
store_mailbox_list(struct store *s,
    int (*fn)(const struct store_mailbox *mb, void *arg), void *arg,
    struct str *err)
{
	struct list_arg a = { fn, arg };

	return store_read(s, list_txn, &a, err);
}

struct get_arg {
	const char *name;
	struct store_mailbox *mb;
};

static int
get_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct get_arg *a = arg;

	return store_mbox_by_name(s, txn, a->name, a->mb, err);
}

int
store_mailbox_get(struct store *s, const char *name,
    struct store_mailbox *mb, struct str *err)
{
	struct get_arg a = { name, mb };

	memset(mb, 0, sizeof(*mb));
	return store_read(s, get_txn, &a, err);
}

struct getid_arg {
	uint32_t id;
	struct store_mailbox *mb;
};

static int
getid_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct getid_arg *a = arg;

	return store_mbox_by_id(s, txn, a->id, a->mb, err);
}

int
store_mailbox_get_id(struct store *s, uint32_t id, struct store_mailbox *mb,
    struct str *err)
{
	struct getid_arg a = { id, mb };

	memset(mb, 0, sizeof(*mb));
	return store_read(s, getid_txn, &a, err);
}

/* ---- create ---- */

struct create_arg {
	const char *name;
	unsigned special;
};

/* make_parents - create the missing superior names of name. */
static int
make_parents(struct store *s, MDB_txn *txn, const char *name,
    struct str *err)
{
	struct store_mailbox mb;
	struct str p = STR_INIT;
	const char *slash;
	uint32_t id;
	int rc = STORE_OK;

	memset(&mb, 0, sizeof(mb));
	for (slash = strchr(name, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		str_copyb(&p, name, (size_t)(slash - name));
		rc = lookup(s, txn, p.s, &id, err);
		if (rc == STORE_NOMBOX)
			rc = store_mbox_new(s, txn, p.s, 0, false, &mb, err);
		if (rc != STORE_OK)
			break;
	}
	store_mailbox_free(&mb);
	str_free(&p);
	return rc;
}

static int
create_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct create_arg *a = arg;
	struct store_mailbox mb;
	struct str n = STR_INIT;
	int rc;

	memset(&mb, 0, sizeof(mb));
	if ((rc = store_mbox_norm(a->name, &n, err)) != STORE_OK)
		goto out;
	if ((rc = make_parents(s, txn, n.s, err)) != STORE_OK)
		goto out;
	rc = store_mbox_new(s, txn, n.s, a->special, false, &mb, err);
out:
	store_mailbox_free(&mb);
	str_free(&n);
	return rc;
}

int
store_mailbox_create(struct store *s, const char *name, unsigned special,
    struct str *err)
{
	struct create_arg a = { name, special };

	if (special & ~0x7fu) {
		str_copys(err, "unknown special-use bits");
		return STORE_INVALID;
	}
	return store_write(s, create_txn, &a, err);
}

/* ---- delete ---- */

/* expunge_all - every message of mb into the expunge log (kind), or
 * with kind EXP_KIND_MOVED, records moved to mailbox to (not NULL). */
static int
expunge_all(struct store *s, MDB_txn *txn, struct store_mailbox *mb,
    int kind, struct store_mailbox *to, struct str *err)
{
	struct store_msg m;
	MDB_cursor *cur;
	struct str k = STR_INIT, v = STR_INIT;
	unsigned char key[8];
	int rc = STORE_OK, mrc;

	memset(&m, 0, sizeof(m));
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_MSG), &cur, err))
	    != MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	store_msgkey(key, mb->id, 0);
	for (;;) {
		/* Seek afresh each time: deleting under a cursor is not
		 * worth the subtlety here. */
		mrc = map_cursor_seek(cur, key, 8, &k, &v, err);
		if (mrc != MAP_OK || k.len != 8 ||
		    store_get_be32((unsigned char *)k.s) != mb->id)
			break;
		if (store_msg_decode(v.s, v.len, &m) < 0) {
			str_copyf(err, "%s: bad message record", s->path.s);
			rc = STORE_ERR;
			break;
		}
		m.uid = store_get_be32((unsigned char *)k.s + 4);
		rc = store_expunge_rec(s, txn, mb, &m, kind, err);
		if (rc == STORE_OK && to != NULL) {
			/* a moved message keeps its UID in the new box */
			unsigned char nk[8];
			struct str rec = STR_INIT;

			m.flags &= ~STORE_F_RECENT;
			store_msgkey(nk, to->id, m.uid);
			store_msg_encode(&m, &rec);
			rc = store_mrc(map_put(txn, store_dbi(s, DB_MSG), nk,
			    8, rec.s, rec.len, 0, err), STORE_ERR);
			str_free(&rec);
			store_mbox_count(to, m.flags, m.size, 1);
			if (m.modseq > to->highestmodseq)
				to->highestmodseq = m.modseq;
		}
		if (rc != STORE_OK)
			break;
	}
	if (rc == STORE_OK && mrc != MAP_OK && mrc != MAP_NOTFOUND)
		rc = store_mrc(mrc, STORE_ERR);
	map_cursor_close(&cur);
	str_free(&k);
	str_free(&v);
	str_free(&m.keywords);
	return rc;
}

static int
delete_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	const char *name = arg;
	struct store_mailbox mb;
	unsigned char k[4];
	int rc;

	memset(&mb, 0, sizeof(mb));
	if ((rc = store_mbox_by_name(s, txn, name, &mb, err)) != STORE_OK)
		goto out;
	if (strcmp(mb.name.s, "INBOX") == 0) {
		str_copys(err, "INBOX cannot be deleted");
		rc = STORE_INVALID;
		goto out;
	}
	rc = expunge_all(s, txn, &mb, EXP_KIND_EXPUNGED, NULL, err);
	if (rc != STORE_OK)
		goto out;
	store_be32(k, mb.id);
	rc = store_mrc(map_del(txn, store_dbi(s, DB_MBOX), k, 4, err),
	    STORE_ERR);
	if (rc == STORE_OK)
		rc = name_del(s, txn, mb.name.s, mb.name.len, err);
	/* deleting a mailbox does not unsubscribe its name (RFC 3501
	 * 6.3.4): the subscription lives on by name */
	if (rc == STORE_OK && mb.subscribed)
		rc = store_mrc(map_put(txn, store_dbi(s, DB_SUBS), mb.name.s,
		    mb.name.len, "", 0, 0, err), STORE_ERR);
	s->dirty = true;
out:
	store_mailbox_free(&mb);
	return rc;
}

int
store_mailbox_delete(struct store *s, const char *name, struct str *err)
{
	return store_write(s, delete_txn, (void *)name, err);
}

/* ---- rename ---- */

struct rename_arg {
	const char *from, *to;
};

static int
rename_inbox(struct store *s, MDB_txn *txn, struct store_mailbox *inbox,
    const char *to, struct str *err)
{
	struct store_mailbox nb;
	int rc;

	memset(&nb, 0, sizeof(nb));
	if ((rc = make_parents(s, txn, to, err)) != STORE_OK)
		goto out;
	if ((rc = store_mbox_new(s, txn, to, 0, false, &nb, err)) != STORE_OK)
		goto out;
	rc = expunge_all(s, txn, inbox, EXP_KIND_MOVED, &nb, err);
	if (rc != STORE_OK)
		goto out;
	/* UIDs moved along: the new mailbox continues after them. */
	nb.uidnext = inbox->uidnext;
	if ((rc = store_mbox_put(s, txn, &nb, err)) == STORE_OK)
		rc = store_mbox_put(s, txn, inbox, err);
out:
	store_mailbox_free(&nb);
	return rc;
}

static int
rename_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct rename_arg *a = arg;
	struct store_mailbox mb;
	struct str from = STR_INIT, to = STR_INIT, prefix = STR_INIT;
	struct str k = STR_INIT, v = STR_INIT, nn = STR_INIT;
	struct str ids = STR_INIT;	/* be32 ids to rename */
	MDB_cursor *cur = NULL;
	uint32_t id;
	size_t i;
	int rc, mrc;

	memset(&mb, 0, sizeof(mb));
	if ((rc = store_mbox_norm(a->from, &from, err)) != STORE_OK ||
	    (rc = store_mbox_norm(a->to, &to, err)) != STORE_OK)
		goto out;
	if ((rc = store_mbox_by_name(s, txn, from.s, &mb, err)) != STORE_OK)
		goto out;
	if ((rc = lookup(s, txn, to.s, &id, err)) == STORE_OK) {
		str_copyf(err, "mailbox exists: %s", to.s);
		rc = STORE_EXISTS;
		goto out;
	}
	if (rc != STORE_NOMBOX)
		goto out;
	if (strcmp(from.s, "INBOX") == 0) {
		rc = rename_inbox(s, txn, &mb, to.s, err);
		goto out;
	}
	if (strncmp(to.s, from.s, from.len) == 0 && to.s[from.len] == '/') {
		str_copys(err, "cannot rename a mailbox into itself");
		rc = STORE_INVALID;
		goto out;
	}
	/* The mailbox and its children, by id. */
	{
		unsigned char b[4];

		store_be32(b, mb.id);
		str_catb(&ids, b, 4);
	}
	str_copyf(&prefix, "%s/", from.s);
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_MBNAME), &cur, err))
	    != MAP_OK) {
		rc = store_mrc(mrc, STORE_ERR);
		goto out;
	}
	/* keys start with the name (up to NAME_KEY_PREFIX octets) */
	rc = STORE_OK;
	{
		size_t kp = prefix.len < NAME_KEY_PREFIX ? prefix.len :
		    NAME_KEY_PREFIX;
		struct store_mailbox child;

		memset(&child, 0, sizeof(child));
		for (mrc = map_cursor_seek(cur, prefix.s, kp, &k, &v, err);
		    mrc == MAP_OK && k.len >= kp &&
		    memcmp(k.s, prefix.s, kp) == 0;
		    mrc = map_cursor_next(cur, &k, &v, err)) {
			if (v.len != 4)
				continue;
			rc = store_mbox_by_id(s, txn,
			    store_get_be32((unsigned char *)v.s), &child, err);
			if (rc == STORE_NOMBOX)
				continue;
			if (rc != STORE_OK)
				break;
			if (child.name.len < prefix.len ||
			    memcmp(child.name.s, prefix.s, prefix.len) != 0)
				continue;
			str_catb(&ids, v.s, 4);
			/* its new name must be free */
			str_copyb(&nn, to.s, to.len);
			str_catb(&nn, child.name.s + from.len,
			    child.name.len - from.len);
			if (nn.len > STORE_NAME_MAX) {
				str_copyf(err, "name too long: %s", nn.s);
				rc = STORE_INVALID;
				break;
			}
			if (lookup(s, txn, nn.s, &id, err) == STORE_OK) {
				str_copyf(err, "mailbox exists: %s", nn.s);
				rc = STORE_EXISTS;
				break;
			}
			rc = STORE_OK;
		}
		store_mailbox_free(&child);
		if (rc != STORE_OK)
			goto out;
	}
	map_cursor_close(&cur);
	if ((rc = make_parents(s, txn, to.s, err)) != STORE_OK)
		goto out;
	for (i = 0; i + 4 <= ids.len; i += 4) {
		unsigned char *b = (unsigned char *)ids.s + i;

		rc = store_mbox_by_id(s, txn, store_get_be32(b), &mb, err);
		if (rc != STORE_OK)
			goto out;
		rc = name_del(s, txn, mb.name.s, mb.name.len, err);
		if (rc != STORE_OK)
			goto out;
		str_copyb(&nn, to.s, to.len);
		str_catb(&nn, mb.name.s + from.len, mb.name.len - from.len);
		str_copyb(&mb.name, nn.s, nn.len);
		rc = name_put(s, txn, nn.s, nn.len, b, err);
		if (rc == STORE_OK)
			rc = store_mbox_put(s, txn, &mb, err);
		if (rc != STORE_OK)
			goto out;
	}
out:
	map_cursor_close(&cur);
	store_mailbox_free(&mb);
	str_free(&from);
	str_free(&to);
	str_free(&prefix);
	str_free(&k);
	str_free(&v);
	str_free(&nn);
	str_free(&ids);
	return rc;
}

int
store_mailbox_rename(struct store *s, const char *from, const char *to,
    struct str *err)
{
	struct rename_arg a = { from, to };

	return store_write(s, rename_txn, &a, err);
}

/* ---- subscribe ---- */

struct sub_arg {
	const char *name;
	bool on;
};

static int
sub_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct sub_arg *a = arg;
	struct store_mailbox mb;
	int rc;

	memset(&mb, 0, sizeof(mb));
	rc = store_mbox_by_name(s, txn, a->name, &mb, err);
	if (rc == STORE_OK && mb.subscribed != a->on) {
		mb.subscribed = a->on;
		rc = store_mbox_put(s, txn, &mb, err);
	}
	/* UNSUBSCRIBE also ends the subscription of a name whose mailbox
	 * is gone (or one a RENAME brought a mailbox to) */
	if (!a->on && (rc == STORE_OK || rc == STORE_NOMBOX)) {
		int g = ghost_take(s, txn, a->name, err);

		if (g == STORE_OK || (g == STORE_NOMBOX && rc == STORE_OK))
			rc = STORE_OK;
		else if (g != STORE_NOMBOX)
			rc = g;
	}
	store_mailbox_free(&mb);
	return rc;
}

int
store_mailbox_subscribe(struct store *s, const char *name, bool on,
    struct str *err)
{
	struct sub_arg a = { name, on };

	return store_write(s, sub_txn, &a, err);
}

/* ---- subscriptions without a mailbox ---- */

struct ghost_arg {
	int (*fn)(const char *name, size_t len, void *arg);
	void *arg;
};

static int
ghosts_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct ghost_arg *a = arg;
	struct str k = STR_INIT, v = STR_INIT;
	MDB_cursor *cur = NULL;
	int mrc, rc = STORE_OK;

	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_SUBS), &cur, err)) !=
	    MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	for (mrc = map_cursor_seek(cur, NULL, 0, &k, &v, err); mrc == MAP_OK;
	    mrc = map_cursor_next(cur, &k, &v, err))
		if ((rc = a->fn(k.s, k.len, a->arg)) != 0)
			break;
	if (rc == STORE_OK && mrc != MAP_OK && mrc != MAP_NOTFOUND)
		rc = store_mrc(mrc, STORE_ERR);
	map_cursor_close(&cur);
	str_free(&k);
	str_free(&v);
	return rc;
}

int
store_subscribed_orphans(struct store *s,
    int (*fn)(const char *name, size_t len, void *arg), void *arg,
    struct str *err)
{
	struct ghost_arg a = { fn, arg };

	return store_read(s, ghosts_txn, &a, err);
}
