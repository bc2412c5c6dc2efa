/*
 * store_user - user directories: naming, creation with the default
 * mailboxes, deletion.  See store.h and roost-store(5).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "str.h"

#define USER_MAX 255	/* octets of a user name */

int
store_user_escape(const char *user, struct str *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	str_clear(out);
	if (user == NULL || *user == '\0' || strlen(user) > USER_MAX)
		return -1;
	for (p = (const unsigned char *)user; *p != '\0'; p++) {
		unsigned char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '+' || c == '@' || c == '-')
			str_catc(out, (char)c);
		else {
			str_catc(out, '%');
			str_catc(out, hex[c >> 4]);
			str_catc(out, hex[c & 15]);
		}
	}
	/* "." and ".." would name the directory itself or its parent. */
	if (strcmp(out->s, ".") == 0 || strcmp(out->s, "..") == 0) {
		size_t n = out->len;

		str_clear(out);
		while (n-- > 0)
			str_cats(out, "%2E");
	}
	return out->len > 255 ? -1 : 0;
}

void
store_user_path(const char *store_dir, const char *user, struct str *out)
{
	struct str e = STR_INIT;

	if (store_user_escape(user, &e) < 0) {
		/* Never a real user directory (names are escaped). */
		str_copyf(out, "%s/u/%%invalid", store_dir);
	} else
		str_copyf(out, "%s/u/%s", store_dir, e.s);
	str_free(&e);
}

bool
store_user_exists(const char *store_dir, const char *user)
{
	struct store *s;
	struct str err = STR_INIT;
	int rc;

	rc = store_open(&s, store_dir, user, &err);
	store_close(&s);
	str_free(&err);
	return rc == STORE_OK;
}

static int
mkdir_one(const char *path, bool *made, struct str *err)
{
	if (made != NULL)
		*made = false;
	if (mkdir(path, 0700) == 0) {
		if (made != NULL)
			*made = true;
		return 0;
	}
	if (errno == EEXIST) {
		struct stat st;

		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
	}
	str_copyf(err, "mkdir %s: %s", path, strerror(errno));
	return -1;
}

int
store_fsync_dir(int fd, const char *what, struct str *err)
{
	if (fsync(fd) < 0 && errno != EINVAL) {
		str_copyf(err, "fsync %s: %s", what, strerror(errno));
		return STORE_ERR;
	}
	return STORE_OK;
}

static int
fsync_path(const char *path, struct str *err)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		str_copyf(err, "open %s: %s", path, strerror(errno));
		return STORE_ERR;
	}
	rc = store_fsync_dir(fd, path, err);
	close(fd);
	return rc;
}

static void
give(const char *path, uid_t owner, gid_t group)
{
	if (lchown(path, owner, group) < 0) {
		/* best effort: reported by the daemons that cannot open */
	}
}

/* init_txn - the default mailboxes, counters and quota, then the layout
 * version that marks the user complete. */
struct init_arg {
	uint64_t quota;
};

static const struct {
	const char *name;
	unsigned special;
} defaults[] = {
	{ "INBOX", 0 },
	{ "Drafts", STORE_SU_DRAFTS },
	{ "Sent", STORE_SU_SENT },
	{ "Trash", STORE_SU_TRASH },
	{ "Junk", STORE_SU_JUNK },
	{ "Archive", STORE_SU_ARCHIVE },
};

static int
init_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct init_arg *a = arg;
	struct store_mailbox mb;
	struct store_quota q;
	struct str v = STR_INIT;
	unsigned char b[4];
	size_t i;
	int rc;

	rc = map_get(txn, store_dbi(s, DB_META), "version", 7, &v, err);
	str_free(&v);
	if (rc == MAP_OK)
		return STORE_OK;	/* already complete */
	if (rc != MAP_NOTFOUND)
		return store_mrc(rc, STORE_ERR);
	memset(&mb, 0, sizeof(mb));
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		rc = store_mbox_new(s, txn, defaults[i].name,
		    defaults[i].special, true, &mb, err);
		if (rc != STORE_OK && rc != STORE_EXISTS)
			goto out;
	}
	if ((rc = store_quota_load(s, txn, &q, err)) != STORE_OK)
		goto out;
	q.limit = a->quota;
	if ((rc = store_quota_put(s, txn, &q, err)) != STORE_OK)
		goto out;
	store_le32(b, STORE_LAYOUT_VERSION);
	rc = store_mrc(map_put(txn, store_dbi(s, DB_META), "version", 7, b,
	    4, 0, err), STORE_ERR);
	s->dirty = true;
out:
	store_mailbox_free(&mb);
	return rc;
}

int
store_user_create(const char *store_dir, const char *user,
    uint64_t quota_bytes, uid_t owner, gid_t group, struct str *err)
{
	struct str path = STR_INIT, p = STR_INIT, e = STR_INIT;
	struct store *s = NULL;
	struct init_arg a;
	bool chown_ok = geteuid() == 0 && owner != (uid_t)-1;
	bool made;
	int rc = STORE_ERR;

	if (store_user_escape(user, &e) < 0) {
		str_copyf(err, "invalid user name: %s",
		    user == NULL ? "(null)" : user);
		str_free(&e);
		return STORE_INVALID;
	}
	if (store_user_exists(store_dir, user)) {
		str_free(&e);
		return STORE_OK;
	}
	if (mkdir_one(store_dir, &made, err) < 0)
		goto out;
	if (made && chown_ok)
		give(store_dir, owner, group);
	str_copyf(&p, "%s/u", store_dir);
	if (mkdir_one(p.s, &made, err) < 0)
		goto out;
	if (made && chown_ok)
		give(p.s, owner, group);
	store_user_path(store_dir, user, &path);
	if (mkdir_one(path.s, NULL, err) < 0)
		goto out;
	str_copyf(&p, "%s/msg", path.s);
	if (mkdir_one(p.s, NULL, err) < 0)
		goto out;
	rc = store_open_int(&s, store_dir, user, true, err);
	if (rc != STORE_OK)
		goto out;
	a.quota = quota_bytes;
	if ((rc = store_write(s, init_txn, &a, err)) != STORE_OK)
		goto out;
	store_close(&s);
	if (chown_ok) {
		static const char *const sub[] = { "msg", "index",
		    "index/data.mdb", "index/lock.mdb", "notify" };
		size_t i;

		give(path.s, owner, group);
		for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
			str_copyf(&p, "%s/%s", path.s, sub[i]);
			give(p.s, owner, group);
		}
	}
	/* The new directories themselves, and the index files LMDB made
	 * in index/, must survive a crash. */
	str_copyf(&p, "%s/index", path.s);
	if ((rc = fsync_path(p.s, err)) == STORE_OK)
		rc = fsync_path(path.s, err);
	str_copyf(&p, "%s/u", store_dir);
	if (rc == STORE_OK)
		rc = fsync_path(p.s, err);
out:
	store_close(&s);
	str_free(&path);
	str_free(&p);
	str_free(&e);
	return rc;
}

/* rm_tree - remove dir (an fd relative to parent) and everything under
 * it, never following symbolic links. */
static int
rm_tree(int parent, const char *name, struct str *err)
{
	DIR *d;
	struct dirent *de;
	int fd, rc = 0;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP) {
			if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
				return 0;
		}
		if (errno == ENOENT)
			return 0;
		str_copyf(err, "open %s: %s", name, strerror(errno));
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		str_copyf(err, "opendir %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (de->d_type == DT_DIR) {
			if (rm_tree(dirfd(d), de->d_name, err) < 0)
				rc = -1;
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 &&
		    errno != ENOENT) {
			if (errno == EISDIR) {
				if (rm_tree(dirfd(d), de->d_name, err) < 0)
					rc = -1;
				continue;
			}
			str_copyf(err, "unlink %s/%s: %s", name, de->d_name,
			    strerror(errno));
			rc = -1;
		}
	}
	closedir(d);
	if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT) {
		str_copyf(err, "rmdir %s: %s", name, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* gone_sweep - finish removals a crash interrupted. */
static void
gone_sweep(int ufd)
{
	struct str err = STR_INIT;
	struct dirent *de;
	DIR *d;
	int fd = openat(ufd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "%gone.", 6) == 0)
			(void)rm_tree(ufd, de->d_name, &err);
	closedir(d);
	str_free(&err);
}

int
store_user_delete(const char *store_dir, const char *user, struct str *err)
{
	struct str e = STR_INIT, p = STR_INIT;
	int ufd, rc;

	if (store_user_escape(user, &e) < 0) {
		str_copys(err, "invalid user name");
		str_free(&e);
		return STORE_INVALID;
	}
	str_copyf(&p, "%s/u", store_dir);
	if ((ufd = open(p.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = errno == ENOENT ? STORE_NOUSER : STORE_ERR;
		str_copyf(err, "open %s: %s", p.s, strerror(errno));
		goto out;
	}
	if (faccessat(ufd, e.s, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		close(ufd);
		str_copyf(err, "no such user in the store: %s", user);
		rc = STORE_NOUSER;
		goto out;
	}
	/* One rename takes the user away at once: a crash in the middle
	 * of the removal then leaves a tree no one takes for a user (an
	 * index whose files are half gone), which the next delete of any
	 * user finishes.  '%' followed by a non-hex letter is never an
	 * escaped user name. */
	str_copyf(&p, "%%gone.%ld.%s", (long)getpid(), e.s);
	if (renameat(ufd, e.s, ufd, p.s) < 0) {
		str_copyf(err, "rename %s: %s", e.s, strerror(errno));
		close(ufd);
		rc = STORE_ERR;
		goto out;
	}
	(void)fsync(ufd);
	rc = rm_tree(ufd, p.s, err) < 0 ? STORE_ERR : STORE_OK;
	gone_sweep(ufd);
	if (rc == STORE_OK)
		(void)fsync(ufd);
	close(ufd);
out:
	str_free(&e);
	str_free(&p);
	return rc;
}

int
store_open_login(struct store **s, const char *store_dir, const char *user,
    uint64_t quota_bytes, struct str *err)
{
	int rc = store_open(s, store_dir, user, err);

	if (rc != STORE_NOUSER)
		return rc;
	rc = store_user_create(store_dir, user, quota_bytes, (uid_t)-1,
	    (gid_t)-1, err);
	return rc == STORE_OK ? store_open(s, store_dir, user, err) : rc;
}
