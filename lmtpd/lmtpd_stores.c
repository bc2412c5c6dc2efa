/*
 * lmtpd_stores - the stores this worker delivered to lately, kept open.
 *
 * Opening a user's LMDB environment (files, locks, a 64 MiB mapping)
 * costs more than the delivery's own CPU work, and a worker sees the
 * same users again and again.  A cached handle is used only while its
 * index file is still the one it opened: a user deleted and created
 * again has a new index, and mail must never go to the unlinked one.
 */
#include <stdint.h>
#include <sys/stat.h>

#include "lmtpd.h"

#define STORES_MAX 32

struct cached {
	struct str user;
	struct store *s;
	dev_t dev;
	ino_t ino;
	uint64_t used;		/* LRU clock */
};

static struct cached cache[STORES_MAX];
static uint64_t clock_now;

/* index_id - device and inode of user's index file: 0, or -1. */
static int
index_id(const char *store_dir, const char *user, dev_t *dev, ino_t *ino)
{
	struct str path = STR_INIT;
	struct stat sb;
	int rc;

	store_user_path(store_dir, user, &path);
	str_cats(&path, "/index/data.mdb");
	rc = stat(path.s, &sb);
	str_free(&path);
	if (rc < 0)
		return -1;
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return 0;
}

static void
drop(struct cached *c)
{
	store_close(&c->s);
	str_clear(&c->user);
	c->used = 0;
}

int
lmtpd_store(const char *store_dir, const char *user, struct store **s,
    struct str *err)
{
	struct cached *c, *victim = &cache[0];
	dev_t dev;
	ino_t ino;
	size_t i;
	int rc;

	*s = NULL;
	if (index_id(store_dir, user, &dev, &ino) < 0)
		return store_open(s, store_dir, user, err);
	for (i = 0; i < STORES_MAX; i++) {
		c = &cache[i];
		if (c->s != NULL && str_eqs(&c->user, user)) {
			if (c->dev == dev && c->ino == ino) {
				c->used = ++clock_now;
				*s = c->s;
				return STORE_OK;
			}
			drop(c);	/* recreated since: a new index */
		}
		if (c->used < victim->used)
			victim = c;
	}
	if ((rc = store_open(s, store_dir, user, err)) != STORE_OK)
		return rc;
	if (victim->s != NULL)
		drop(victim);
	str_copys(&victim->user, user);
	victim->s = *s;
	victim->dev = dev;
	victim->ino = ino;
	victim->used = ++clock_now;
	return STORE_OK;
}

void
lmtpd_store_release(struct store **s)
{
	size_t i;

	for (i = 0; i < STORES_MAX; i++)
		if (cache[i].s == *s && *s != NULL) {
			*s = NULL;	/* stays open in the cache */
			return;
		}
	store_close(s);
}
