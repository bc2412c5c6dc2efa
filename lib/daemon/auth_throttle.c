/*
 * auth_throttle - see auth_throttle.h.
 *
 * Keys are "i <ip>", "p <ip> <user>" and "u <user>", kept whole (no
 * hash is trusted to tell two keys apart).  The slot of a key is its
 * FNV-1a hash, mixed with a per-table random seed so that nobody can
 * aim many keys at one probe window, modulo the table size; a key lives
 * in one of the PROBE slots from there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "auth_throttle.h"

#define KEY_MAX 340 /* "p " + ip (46) + "/64" + " " + user (318) fits */
#define PROBE 16

struct entry {
	char key[KEY_MAX]; /* "" = free */
	uint32_t count; /* failures since first */
	int64_t first; /* start of the counting window */
	int64_t blocked_until;
	int64_t touched; /* last update, for eviction */
};

struct auth_throttle {
	pthread_mutex_t lock;
	struct auth_throttle_limits lim;
	uint64_t seed;
	size_t n; /* power of two */
	size_t maplen;
	struct entry e[];
};

struct auth_throttle *
auth_throttle_create(size_t entries, const struct auth_throttle_limits *lim)
{
	struct auth_throttle *t;
	pthread_mutexattr_t ma;
	size_t n = 64, len;

	while (n < entries && n < ((size_t)1 << 24))
		n <<= 1;
	len = sizeof *t + n * sizeof(struct entry);
	t = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	t->lim = *lim;
	t->n = n;
	t->maplen = len;
	if (getrandom(&t->seed, sizeof t->seed, 0) != sizeof t->seed)
		t->seed = (uint64_t)(uintptr_t)t ^ 0x9e3779b97f4a7c15ULL;
	if (pthread_mutexattr_init(&ma) != 0 ||
	    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED) != 0 ||
	    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST) != 0 ||
	    pthread_mutex_init(&t->lock, &ma) != 0) {
		munmap(t, len);
		errno = EINVAL;
		return NULL;
	}
	pthread_mutexattr_destroy(&ma);
	return t;
}

void
auth_throttle_destroy(struct auth_throttle **t)
{
	if (*t == NULL)
		return;
	munmap(*t, (*t)->maplen);
	*t = NULL;
}

static void
lock(struct auth_throttle *t)
{
	int rc = pthread_mutex_lock(&t->lock);

	/* The holder died mid-update: at worst one entry is half
	 * written, which costs one miscount; carry on. */
	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(&t->lock);
}

static void
unlock(struct auth_throttle *t)
{
	pthread_mutex_unlock(&t->lock);
}

static uint64_t
hash(const struct auth_throttle *t, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->seed;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

/* stale - an entry with nothing left to remember at now. */
static bool
stale(const struct auth_throttle *t, const struct entry *e, int64_t now)
{
	return e->key[0] == '\0' ||
	    (e->blocked_until <= now && now - e->first >= t->lim.window);
}

/* find - the entry of key (NULL when absent and !create); with create,
 * a free, stale or least recently touched slot of the window is taken
 * over.  Under the lock. */
static struct entry *
find(struct auth_throttle *t, const char *key, bool create, int64_t now)
{
	size_t start = (size_t)(hash(t, key) & (t->n - 1));
	struct entry *victim = NULL, *e;

	for (size_t i = 0; i < PROBE; i++) {
		e = &t->e[(start + i) & (t->n - 1)];
		if (e->key[0] != '\0' && strcmp(e->key, key) == 0)
			return e;
		if (victim == NULL ||
		    (!stale(t, victim, now) &&
			(stale(t, e, now) || e->touched < victim->touched)))
			victim = e;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	snprintf(victim->key, sizeof victim->key, "%s", key);
	victim->first = now;
	victim->touched = now;
	return victim;
}

static void
key_of(char *out, size_t n, char kind, const char *a, const char *b)
{
	static const unsigned char v4mapped[12] = {[10] = 0xff, [11] = 0xff};
	unsigned char v6[16];
	char net[INET6_ADDRSTRLEN];
	const char *suffix = "";

	/* An IPv6 client usually has a whole /64 to itself: count the
	 * network, or it could take a new address for every guess. */
	if (inet_pton(AF_INET6, a, v6) == 1 &&
	    memcmp(v6, v4mapped, sizeof v4mapped) != 0) {
		memset(v6 + 8, 0, 8);
		if (inet_ntop(AF_INET6, v6, net, sizeof net) != NULL) {
			a = net;
			suffix = "/64";
		}
	}
	if (b != NULL)
		snprintf(out, n, "%c %s%s %s", kind, a, suffix, b);
	else
		snprintf(out, n, "%c %s%s", kind, a, suffix);
}

static bool
blocked(struct auth_throttle *t, const char *key, int64_t now)
{
	struct entry *e;
	bool b;

	lock(t);
	e = find(t, key, false, now);
	b = e != NULL && e->blocked_until > now;
	unlock(t);
	return b;
}

bool
auth_throttle_ip_blocked(struct auth_throttle *t, const char *ip, int64_t now)
{
	char key[KEY_MAX];

	key_of(key, sizeof key, 'i', ip, NULL);
	return blocked(t, key, now);
}

bool
auth_throttle_user_blocked(
    struct auth_throttle *t, const char *user, const char *ip, int64_t now)
{
	char key[KEY_MAX];

	if (auth_throttle_ip_blocked(t, ip, now))
		return true;
	key_of(key, sizeof key, 'p', ip, user);
	return blocked(t, key, now);
}

/* count - one more failure for key; limit 0 never blocks.  Returns the
 * count within the window.  Under the lock. */
static unsigned
count(struct auth_throttle *t, const char *key, unsigned limit, int64_t now)
{
	struct entry *e = find(t, key, true, now);

	if (now - e->first >= t->lim.window) {
		e->first = now;
		e->count = 0;
	}
	if (e->count < UINT32_MAX)
		e->count++;
	e->touched = now;
	if (limit > 0 && e->count >= limit && e->blocked_until <= now) {
		e->blocked_until = now + t->lim.block;
		/* The block starts a fresh window: once it ends, the
		 * client gets the full allowance again, no more. */
		e->first = now + t->lim.block;
		e->count = 0;
	}
	return e->count;
}

unsigned
auth_throttle_fail(struct auth_throttle *t, const char *user,
    const char *ip, bool count_ip, int64_t now)
{
	char key[KEY_MAX];
	unsigned n = 0;

	lock(t);
	key_of(key, sizeof key, 'i', ip, NULL);
	if (count_ip)
		(void)count(t, key, t->lim.ip_limit, now);
	if (user != NULL && *user != '\0') {
		key_of(key, sizeof key, 'p', ip, user);
		(void)count(t, key, t->lim.user_ip_limit, now);
		key_of(key, sizeof key, 'u', user, NULL);
		n = count(t, key, 0, now);
	}
	unlock(t);
	return n;
}

void
auth_throttle_success(
    struct auth_throttle *t, const char *user, const char *ip, int64_t now)
{
	char key[KEY_MAX];
	struct entry *e;

	key_of(key, sizeof key, 'p', ip, user);
	lock(t);
	if ((e = find(t, key, false, now)) != NULL)
		memset(e, 0, sizeof *e);
	unlock(t);
}
