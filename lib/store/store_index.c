/*
 * store_index - the per-user LMDB environment: opening (shared within a
 * process), transactions with map growth, record encoding, the meta and
 * quota records.  See store.h and roost-store(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "map.h"
#include "store.h"
#include "store_int.h"
#include "str.h"

static const char *const db_names[DB_COUNT] = {
	"meta", "mbox", "mbname", "msg", "exp", "expmb", "files", "dup",
	"duptime", "cache", "subs",
};

/* ---- byte order ---- */

void
store_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

void
store_be64(unsigned char *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

uint32_t
store_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint64_t
store_get_be64(const unsigned char *p)
{
	return (uint64_t)store_get_be32(p) << 32 | store_get_be32(p + 4);
}

void
store_le32(unsigned char *p, uint32_t v)
{
	p[0] = v, p[1] = v >> 8, p[2] = v >> 16, p[3] = v >> 24;
}

void
store_le64(unsigned char *p, uint64_t v)
{
	store_le32(p, (uint32_t)v);
	store_le32(p + 4, (uint32_t)(v >> 32));
}

uint32_t
store_get_le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

uint64_t
store_get_le64(const unsigned char *p)
{
	return (uint64_t)store_get_le32(p + 4) << 32 | store_get_le32(p);
}

/* ---- records ---- */

/* mailbox: ver(1) pad(3) special(4) subscribed(4) uidvalidity(4)
 * uidnext(4) messages(4) unseen(4) recent(4) highestmodseq(8) size(8)
 * name(rest) */
void
store_mbox_encode(const struct store_mailbox *mb, struct str *out)
{
	unsigned char b[MBOX_REC_FIXED];

	memset(b, 0, sizeof(b));
	b[0] = 1;
	store_le32(b + 4, mb->special);
	store_le32(b + 8, mb->subscribed ? 1 : 0);
	store_le32(b + 12, mb->uidvalidity);
	store_le32(b + 16, mb->uidnext);
	store_le32(b + 20, mb->messages);
	store_le32(b + 24, mb->unseen);
	store_le32(b + 28, mb->recent);
	store_le64(b + 32, mb->highestmodseq);
	store_le64(b + 40, mb->size);
	str_copyb(out, b, sizeof(b));
	str_catb(out, mb->name.s, mb->name.len);
}

int
store_mbox_decode(const struct str *v, uint32_t id, struct store_mailbox *mb)
{
	const unsigned char *b = (const unsigned char *)v->s;

	if (v->len < MBOX_REC_FIXED || b[0] != 1)
		return -1;
	mb->id = id;
	mb->special = store_get_le32(b + 4);
	mb->subscribed = store_get_le32(b + 8) != 0;
	mb->uidvalidity = store_get_le32(b + 12);
	mb->uidnext = store_get_le32(b + 16);
	mb->messages = store_get_le32(b + 20);
	mb->unseen = store_get_le32(b + 24);
	mb->recent = store_get_le32(b + 28);
	mb->highestmodseq = store_get_le64(b + 32);
	mb->size = store_get_le64(b + 40);
	str_copyb(&mb->name, b + MBOX_REC_FIXED, v->len - MBOX_REC_FIXED);
	return 0;
}

/* message: ver(1) tail(1) pad(2) flags(4) modseq(8) internaldate(8)
 * size(8) uid(4) pad(4) file(24) keywords(rest) */
void
store_msg_encode(const struct store_msg *m, struct str *out)
{
	unsigned char b[MSG_REC_FIXED];

	memset(b, 0, sizeof(b));
	b[0] = 1;
	b[1] = m->tail;
	store_le32(b + 4, m->flags);
	store_le64(b + 8, m->modseq);
	store_le64(b + 16, (uint64_t)(int64_t)m->internaldate);
	store_le64(b + 24, m->size);
	store_le32(b + 32, m->uid);
	memcpy(b + 40, m->file, STORE_FILE_LEN);
	str_copyb(out, b, sizeof(b));
	str_catb(out, m->keywords.s, m->keywords.len);
}

int
store_msg_decode(const void *p, size_t n, struct store_msg *m)
{
	const unsigned char *b = p;

	if (n < MSG_REC_FIXED || b[0] != 1)
		return -1;
	m->tail = b[1] <= STORE_TAIL_OTHER ? b[1] : STORE_TAIL_UNKNOWN;
	m->flags = store_get_le32(b + 4);
	m->modseq = store_get_le64(b + 8);
	m->internaldate = (time_t)(int64_t)store_get_le64(b + 16);
	m->size = store_get_le64(b + 24);
	m->uid = store_get_le32(b + 32);
	memcpy(m->file, b + 40, STORE_FILE_LEN);
	m->file[STORE_FILE_LEN] = '\0';
	str_copyb(&m->keywords, b + MSG_REC_FIXED, n - MSG_REC_FIXED);
	return 0;
}

void
store_msgkey(unsigned char k[8], uint32_t mbox, uint32_t uid)
{
	store_be32(k, mbox);
	store_be32(k + 4, uid);
}

int
store_mrc(int rc, int notfound)
{
	switch (rc) {
	case MAP_OK:
		return STORE_OK;
	case MAP_NOTFOUND:
		return notfound;
	case MAP_EXISTS:
		return STORE_EXISTS;
	case MAP_FULL:
		return STORE_FULL_INT;
	case MAP_NOSPACE:
		return STORE_NOSPACE;
	}
	return STORE_ERR;
}

MDB_dbi
store_dbi(const struct store *s, enum store_db db)
{
	return s->se->dbi[db];
}

/* ---- environments, shared per process ---- */

static struct store_env *envs;

size_t store_test_mapsize;

/* Environments no handle uses stay open, up to ENV_IDLE_MAX of them:
 * opening one (files, locks, the mapping) costs more than a delivery's
 * own work, and a daemon sees the same users again and again.  A user
 * deleted meanwhile is caught by store_env_get (a new index directory,
 * or env_gone). */
#define ENV_IDLE_MAX 32

static void
env_close(struct store_env *se)
{
	struct store_env **pp;

	for (pp = &envs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == se) {
			*pp = se->next;
			break;
		}
	/* Closing in a child would clear the parent's reader slots: only
	 * the process that opened an environment closes it. */
	if (se->pid == getpid())
		map_env_close(&se->env);
	free(se);
}

static void
env_release(struct store_env *se)
{
	struct store_env *p, *lru = NULL;
	size_t idle = 0;

	if (se == NULL || --se->refs > 0)
		return;
	if (se->pid != getpid()) {
		env_close(se);
		return;
	}
	/* the list is in order of use, most recent first */
	for (p = envs; p != NULL; p = p->next)
		if (p->refs == 0) {
			idle++;
			lru = p;
		}
	if (idle > ENV_IDLE_MAX)
		env_close(lru);
}

/* open_dbis - open every database; create: in a write transaction,
 * creating the missing ones. */
static int
open_dbis(struct store_env *se, bool create, struct str *err)
{
	MDB_txn *txn;
	int i, rc;

	if ((rc = map_txn_begin(se->env, !create, &txn, err)) != MAP_OK)
		return store_mrc(rc, STORE_ERR);
	for (i = 0; i < DB_COUNT; i++) {
		rc = map_dbi_open(txn, db_names[i], create, &se->dbi[i], err);
		if (rc == MAP_NOTFOUND && (i == DB_CACHE || i == DB_SUBS)) {
			/* Added after the first layout: made on first use. */
			map_txn_abort(&txn);
			return open_dbis(se, true, err);
		}
		if (rc != MAP_OK) {
			map_txn_abort(&txn);
			if (rc == MAP_NOTFOUND)
				return STORE_NOUSER;
			return store_mrc(rc, STORE_ERR);
		}
	}
	/* A read transaction must commit too for its handles to stay. */
	return store_mrc(map_txn_commit(&txn, err), STORE_ERR);
}

/* env_gone - whether the environment's data file has been removed (the
 * user deleted; a new directory may reuse the inode number). */
static bool
env_gone(struct store_env *se)
{
	struct stat st;
	mdb_filehandle_t fd;

	return mdb_env_get_fd(se->env, &fd) != 0 || fstat(fd, &st) < 0 ||
	    st.st_nlink == 0;
}

int
store_env_get(const char *dir, bool create, struct store_env **out,
    struct str *err)
{
	struct store_env *se, **pp;
	struct stat st;
	pid_t pid = getpid();
	int rc;

	*out = NULL;
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		str_copyf(err, "mkdir %s: %s", dir, strerror(errno));
		return STORE_ERR;
	}
	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			return STORE_NOUSER;
		str_copyf(err, "stat %s: %s", dir, strerror(errno));
		return STORE_ERR;
	}
	for (pp = &envs; *pp != NULL;) {
		se = *pp;
		if (se->pid != pid) {
			/* Inherited over fork: LMDB handles must not be used
			 * (nor closed) in the child.  Forget it. */
			*pp = se->next;
			continue;
		}
		if (se->dev == st.st_dev && se->ino == st.st_ino &&
		    !env_gone(se)) {
			if (create && (rc = open_dbis(se, true, err)) != 0)
				return rc;
			se->refs++;
			*pp = se->next;		/* to the front: just used */
			se->next = envs;
			envs = se;
			*out = se;
			return STORE_OK;
		}
		if (se->refs == 0 && env_gone(se)) {
			*pp = se->next;		/* an idle one of a deleted user */
			se->next = NULL;
			if (se->pid == pid)
				map_env_close(&se->env);
			free(se);
			continue;
		}
		pp = &se->next;
	}
	if (!create) {
		struct str p = STR_INIT;

		str_copyf(&p, "%s/data.mdb", dir);
		rc = access(p.s, F_OK);
		str_free(&p);
		if (rc < 0)
			return errno == ENOENT ? STORE_NOUSER : STORE_ERR;
	}
	se = xcalloc(1, sizeof(*se));
	se->dev = st.st_dev;
	se->ino = st.st_ino;
	se->pid = pid;
	se->refs = 1;
	/* MDB_NOTLS: several handles (and read transactions) per thread.
	 * Default sync: every commit is durable. */
	rc = map_env_open(&se->env, dir, store_test_mapsize, DB_COUNT + 2,
	    MDB_NOTLS, err);
	if (rc != MAP_OK) {
		free(se);
		return STORE_ERR;
	}
	/* Reader slots of processes killed while reading pin old pages. */
	{
		int dead;

		(void)mdb_reader_check(se->env, &dead);
	}
	if ((rc = open_dbis(se, create, err)) != STORE_OK) {
		map_env_close(&se->env);
		free(se);
		return rc;
	}
	se->next = envs;
	envs = se;
	*out = se;
	return STORE_OK;
}

void
store_env_put(struct store_env *se)
{
	env_release(se);
}

/* ---- open/close ---- */

int
store_open(struct store **sp, const char *store_dir, const char *user,
    struct str *err)
{
	return store_open_int(sp, store_dir, user, false, err);
}

/* tail_of - how the message file name ends, read from it. */
static unsigned char
tail_of(struct store *s, const char *name, uint64_t size)
{
	char t[2];
	int fd;
	unsigned char r = STORE_TAIL_UNKNOWN;

	if (size < 2)
		return STORE_TAIL_OTHER;
	fd = openat(s->msgdir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return r;
	if (pread(fd, t, 2, (off_t)size - 2) == 2)
		r = t[0] == '\r' && t[1] == '\n' ? STORE_TAIL_CRLF :
		    STORE_TAIL_OTHER;
	close(fd);
	return r;
}

/* tails - layout 2 -> 3: give every message record its tail. */
static int
tails(struct store *s, MDB_txn *txn, struct str *err)
{
	struct str k = STR_INIT, v = STR_INIT, enc = STR_INIT;
	struct store_msg m;
	MDB_cursor *cur = NULL;
	int mrc, rc = STORE_OK;

	memset(&m, 0, sizeof m);
	if ((mrc = map_cursor_open(txn, store_dbi(s, DB_MSG), &cur, err)) !=
	    MAP_OK)
		return store_mrc(mrc, STORE_ERR);
	for (mrc = map_cursor_seek(cur, NULL, 0, &k, &v, err); mrc == MAP_OK;
	    mrc = map_cursor_next(cur, &k, &v, err)) {
		if (store_msg_decode(v.s, v.len, &m) < 0 ||
		    m.tail != STORE_TAIL_UNKNOWN)
			continue;
		m.tail = tail_of(s, m.file, m.size);
		if (m.tail == STORE_TAIL_UNKNOWN)
			continue;	/* popd reads it itself */
		store_msg_encode(&m, &enc);
		if ((mrc = map_put(txn, store_dbi(s, DB_MSG), k.s, k.len,
		    enc.s, enc.len, 0, err)) != MAP_OK ||
		    (mrc = map_cursor_seek(cur, k.s, k.len, &k, &v, err)) !=
		    MAP_OK)
			break;
	}
	if (mrc != MAP_OK && mrc != MAP_NOTFOUND)
		rc = store_mrc(mrc, STORE_ERR);
	map_cursor_close(&cur);
	str_free(&m.keywords);
	str_free(&k);
	str_free(&v);
	str_free(&enc);
	return rc;
}

/* upgrade - from the layout version *arg to STORE_LAYOUT_VERSION, in
 * one write transaction: each step after the other. */
static int
upgrade(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	uint32_t from = *(uint32_t *)arg;
	unsigned char b[4];
	int rc = STORE_OK;

	/* 1 -> 2: duplicate keys gained From and Date; the old ones
	 * (the Message-ID alone) could never match again */
	if (from < 2 &&
	    (map_clear(txn, store_dbi(s, DB_DUP), err) != MAP_OK ||
	    map_clear(txn, store_dbi(s, DB_DUPTIME), err) != MAP_OK))
		return STORE_ERR;
	/* 2 -> 3: message records learn how their files end */
	if (from < 3 && (rc = tails(s, txn, err)) != STORE_OK)
		return rc;
	store_le32(b, STORE_LAYOUT_VERSION);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_META), "version", 7, b,
	    4, 0, err), STORE_ERR);
	return rc;
}

int
store_open_int(struct store **sp, const char *store_dir, const char *user,
    bool create, struct str *err)
{
	struct store *s;
	struct str p = STR_INIT;
	MDB_txn *txn = NULL;
	struct str v = STR_INIT;
	uint32_t from = STORE_LAYOUT_VERSION;
	int rc;

	*sp = NULL;
	if (store_user_escape(user, &p) < 0) {
		str_free(&p);
		str_copys(err, "invalid user name");
		return STORE_INVALID;
	}
	s = xcalloc(1, sizeof(*s));
	s->msgdir_fd = s->notify_fd = -1;
	s->store_dir = xstrdup(store_dir);
	s->user = xstrdup(user);
	store_user_path(store_dir, user, &s->path);
	str_copyf(&p, "%s/index", s->path.s);
	rc = store_env_get(p.s, create, &s->se, err);
	if (rc == STORE_NOUSER)
		str_copyf(err, "no such user in the store: %s", user);
	if (rc != STORE_OK)
		goto fail;
	/* The layout version is written last by store_user_create. */
	if (create)
		goto files;
	if ((rc = map_txn_begin_busy(s->se->env, true, s->se->active > 0,
	    &txn, err)) != MAP_OK) {
		rc = STORE_ERR;
		goto fail;
	}
	rc = map_get(txn, s->se->dbi[DB_META], "version", 7, &v, err);
	map_txn_abort(&txn);
	if (rc == MAP_NOTFOUND) {
		str_copyf(err, "no such user in the store: %s (incomplete)",
		    user);
		rc = STORE_NOUSER;
		goto fail;
	}
	if (rc != MAP_OK) {
		rc = STORE_ERR;
		goto fail;
	}
	if (v.len != 4 || store_get_le32((unsigned char *)v.s) == 0 ||
	    store_get_le32((unsigned char *)v.s) > STORE_LAYOUT_VERSION) {
		str_copyf(err, "%s: unknown store layout version", s->path.s);
		rc = STORE_ERR;
		goto fail;
	}
	from = store_get_le32((unsigned char *)v.s);
files:
	str_copyf(&p, "%s/msg", s->path.s);
	s->msgdir_fd = open(p.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->msgdir_fd < 0) {
		str_copyf(err, "open %s: %s", p.s, strerror(errno));
		rc = STORE_ERR;
		goto fail;
	}
	str_copyf(&p, "%s/notify", s->path.s);
	s->notify_fd = open(p.s, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (s->notify_fd < 0) {
		str_copyf(err, "open %s: %s", p.s, strerror(errno));
		rc = STORE_ERR;
		goto fail;
	}
	str_free(&p);
	str_free(&v);
	if (from < STORE_LAYOUT_VERSION &&
	    (rc = store_write(s, upgrade, &from, err)) != STORE_OK) {
		str_free(&p);
		str_copyf(&p, "%s: upgrade from layout %u: %s", s->path.s,
		    (unsigned)from, str_cstr(err));
		str_copys(err, p.s);
		goto fail;
	}
	*sp = s;
	return STORE_OK;
fail:
	str_free(&p);
	str_free(&v);
	store_close(&s);
	return rc;
}

void
store_close(struct store **sp)
{
	struct store *s = *sp;

	if (s == NULL)
		return;
	if (s->txn != NULL && s->se->pid == getpid())
		store_txn_abort(s);
	if (s->se != NULL)
		env_release(s->se);
	if (s->msgdir_fd >= 0)
		close(s->msgdir_fd);
	if (s->notify_fd >= 0)
		close(s->notify_fd);
	str_free(&s->path);
	str_free(&s->linked);
	str_free(&s->unlink_after);
	free(s->store_dir);
	free(s->user);
	free(s);
	*sp = NULL;
}

const char *
store_user(const struct store *s)
{
	return s->user;
}

/* ---- transactions ---- */

static void
grow(struct store *s, struct str *err)
{
	struct str e = STR_INIT;

	/* Remapping under a transaction of another handle of this
	 * process would pull the pages from under it: leave it to the
	 * next attempt then. */
	if (s->se->active == 0 && map_env_grow(s->se->env, &e) != MAP_OK &&
	    err != NULL)
		str_copyb(err, e.s, e.len);
	str_free(&e);
}

static void
unlink_list(struct store *s, struct str *names)
{
	size_t i = 0;

	while (i < names->len) {
		const char *n = names->s + i;

		(void)unlinkat(s->msgdir_fd, n, 0);
		i += strlen(n) + 1;
	}
	str_clear(names);
}

/* after_commit - the transaction is durable: notify and unlink what it
 * released. */
static void
after_commit(struct store *s)
{
	str_clear(&s->linked);
	if (s->unlink_after.len > 0)
		unlink_list(s, &s->unlink_after);
	if (s->dirty)
		store_notify_touch(s);
	s->dirty = false;
}

/* after_abort - drop the links made for the aborted work. */
static void
after_abort(struct store *s)
{
	unlink_list(s, &s->linked);
	str_clear(&s->unlink_after);
	s->dirty = false;
}

/* maybe_grow - before an explicit write transaction (which cannot grow
 * the map itself): grow when the map is over three quarters used. */
static void
maybe_grow(struct store *s)
{
	MDB_envinfo info;
	MDB_stat st;

	if (s->se->active > 0 || mdb_env_info(s->se->env, &info) != 0 ||
	    mdb_env_stat(s->se->env, &st) != 0)
		return;
	if ((uint64_t)(info.me_last_pgno + 1) * st.ms_psize >
	    (uint64_t)info.me_mapsize / 4 * 3)
		grow(s, NULL);
}

int
store_txn_begin(struct store *s, bool write, struct str *err)
{
	int rc;

	if (s->txn != NULL) {
		str_copys(err, "a transaction is already open");
		return STORE_INVALID;
	}
	if (s->need_grow) {
		s->need_grow = false;
		grow(s, NULL);
	} else if (write)
		maybe_grow(s);
	rc = map_txn_begin_busy(s->se->env, !write, s->se->active > 0,
	    &s->txn, err);
	if (rc != MAP_OK)
		return STORE_ERR;
	s->txn_write = write;
	s->se->active++;
	s->dirty = s->keep = false;
	return STORE_OK;
}

int
store_txn_commit(struct store *s, struct str *err)
{
	int rc;

	if (s->txn == NULL) {
		str_copys(err, "no transaction is open");
		return STORE_INVALID;
	}
	s->se->active--;
	if (!s->txn_write) {
		map_txn_abort(&s->txn);
		return STORE_OK;
	}
	rc = store_mrc(map_txn_commit(&s->txn, err), STORE_ERR);
	if (rc == STORE_FULL_INT) {
		s->need_grow = true;
		rc = STORE_ERR;
	}
	if (rc == STORE_OK)
		after_commit(s);
	else
		after_abort(s);
	return rc;
}

int
store_txn_end(struct store *s, int rc, struct str *err)
{
	if (rc == STORE_OK)
		return store_txn_commit(s, err);
	store_txn_abort(s);
	return rc;
}

void
store_txn_abort(struct store *s)
{
	if (s->txn == NULL)
		return;
	s->se->active--;
	map_txn_abort(&s->txn);
	if (s->txn_write)
		after_abort(s);
	if (s->need_grow) {
		s->need_grow = false;
		grow(s, NULL);
	}
}

#define WRITE_TRIES 8

int
store_write(struct store *s, int (*fn)(struct store *, MDB_txn *, void *,
    struct str *), void *arg, struct str *err)
{
	MDB_txn *txn;
	int rc, tries, mrc;

	if (s->txn != NULL) {
		if (!s->txn_write) {
			str_copys(err, "change inside a read transaction");
			return STORE_INVALID;
		}
		rc = fn(s, s->txn, arg, err);
		if (rc == STORE_FULL_INT) {
			s->need_grow = true;
			rc = STORE_ERR;
		}
		return rc;
	}
	for (tries = 0;; tries++) {
		s->dirty = s->keep = false;
		mrc = map_txn_begin_busy(s->se->env, false,
		    s->se->active > 0, &txn, err);
		if (mrc != MAP_OK)
			return STORE_ERR;
		s->se->active++;
		rc = fn(s, txn, arg, err);
		if (rc == STORE_OK || s->keep) {
			int crc;

			s->se->active--;
			crc = store_mrc(map_txn_commit(&txn, err), STORE_ERR);
			if (crc == STORE_OK) {
				after_commit(s);
				return rc;
			}
			after_abort(s);
			if (crc != STORE_FULL_INT)
				return crc;
		} else {
			s->se->active--;
			map_txn_abort(&txn);
			after_abort(s);
			if (rc != STORE_FULL_INT)
				return rc;
		}
		if (tries >= WRITE_TRIES) {
			str_copys(err, "store index: map full, cannot grow");
			return STORE_ERR;
		}
		grow(s, err);
	}
}

int
store_read(struct store *s, int (*fn)(struct store *, MDB_txn *, void *,
    struct str *), void *arg, struct str *err)
{
	MDB_txn *txn;
	int rc;

	if (s->txn != NULL) {
		rc = fn(s, s->txn, arg, err);
		return rc == STORE_FULL_INT ? STORE_ERR : rc;
	}
	if (map_txn_begin_busy(s->se->env, true, s->se->active > 0, &txn,
	    err) != MAP_OK)
		return STORE_ERR;
	s->se->active++;
	rc = fn(s, txn, arg, err);
	s->se->active--;
	map_txn_abort(&txn);
	return rc == STORE_FULL_INT ? STORE_ERR : rc;
}

/* ---- meta and quota ---- */

int
store_meta_get(struct store *s, MDB_txn *txn, struct store_meta *m,
    struct str *err)
{
	struct str v = STR_INIT;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = map_get(txn, store_dbi(s, DB_META), "counters", 8, &v, err);
	if (rc == MAP_OK && v.len >= 16) {
		const unsigned char *b = (unsigned char *)v.s;

		m->next_mbox_id = store_get_le32(b);
		m->last_uidvalidity = store_get_le32(b + 4);
		m->modseq = store_get_le64(b + 8);
	} else if (rc == MAP_OK || rc == MAP_NOTFOUND) {
		m->next_mbox_id = 1;
		rc = MAP_OK;
	}
	str_free(&v);
	return store_mrc(rc, STORE_ERR);
}

int
store_meta_put(struct store *s, MDB_txn *txn, const struct store_meta *m,
    struct str *err)
{
	unsigned char b[16];

	store_le32(b, m->next_mbox_id);
	store_le32(b + 4, m->last_uidvalidity);
	store_le64(b + 8, m->modseq);
	return store_mrc(map_put(txn, store_dbi(s, DB_META), "counters", 8,
	    b, sizeof(b), 0, err), STORE_ERR);
}

int
store_modseq_next(struct store *s, MDB_txn *txn, uint64_t *modseq,
    struct str *err)
{
	struct store_meta m;
	int rc;

	if ((rc = store_meta_get(s, txn, &m, err)) != STORE_OK)
		return rc;
	*modseq = ++m.modseq;
	return store_meta_put(s, txn, &m, err);
}

int
store_quota_load(struct store *s, MDB_txn *txn, struct store_quota *q,
    struct str *err)
{
	struct str v = STR_INIT;
	int rc;

	memset(q, 0, sizeof(*q));
	rc = map_get(txn, store_dbi(s, DB_META), "quota", 5, &v, err);
	if (rc == MAP_OK && v.len >= 32) {
		const unsigned char *b = (unsigned char *)v.s;

		q->limit = store_get_le64(b);
		q->used = store_get_le64(b + 8);
		q->messages = store_get_le64(b + 16);
		q->over_since = (int64_t)store_get_le64(b + 24);
	} else if (rc == MAP_OK || rc == MAP_NOTFOUND)
		rc = MAP_OK;
	str_free(&v);
	return store_mrc(rc, STORE_ERR);
}

int
store_quota_put(struct store *s, MDB_txn *txn, const struct store_quota *q,
    struct str *err)
{
	unsigned char b[32];

	store_le64(b, q->limit);
	store_le64(b + 8, q->used);
	store_le64(b + 16, q->messages);
	store_le64(b + 24, (uint64_t)q->over_since);
	return store_mrc(map_put(txn, store_dbi(s, DB_META), "quota", 5, b,
	    sizeof(b), 0, err), STORE_ERR);
}
