/*
 * dns_cache - answers kept until their TTL runs out (dns.h).
 *
 * A hash of (name, type, DO) over chains, and one list from the most
 * to the least recently used entry: a full cache drops the tail.  An
 * expired entry goes when a lookup meets it or when it reaches the
 * tail; nothing walks the table on a timer.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "dns.h"

struct entry {
	struct entry *next;		/* hash chain */
	struct entry *newer, *older;	/* the LRU list */
	char *name;
	unsigned type, flags;
	time_t expires;
	struct dns_answer a;
};

struct dns_cache {
	struct entry **tab;
	size_t nbuckets, n, max;
	struct entry *newest, *oldest;
	time_t (*clock)(void);
};

static time_t
wall(void)
{
	return time(NULL);
}

struct dns_cache *
dns_cache_new(size_t max, time_t (*clock)(void))
{
	struct dns_cache *c = xcalloc(1, sizeof *c);

	c->max = max > 0 ? max : 1;
	for (c->nbuckets = 16; c->nbuckets < c->max; c->nbuckets *= 2)
		;
	c->tab = xcalloc(c->nbuckets, sizeof *c->tab);
	c->clock = clock ? clock : wall;
	return c;
}

/* hash - FNV-1a over the lowercased name, then type and flags. */
static size_t
hash(const char *name, unsigned type, unsigned flags)
{
	uint32_t h = 2166136261u;

	for (const char *p = name; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		h = (h ^ (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch)) * 16777619u;
	}
	h = (h ^ type) * 16777619u;
	h = (h ^ flags) * 16777619u;
	return h;
}

static void
unlink_lru(struct dns_cache *c, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
push_lru(struct dns_cache *c, struct entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

static void
drop(struct dns_cache *c, struct entry *e)
{
	struct entry **pp = &c->tab[hash(e->name, e->type, e->flags) &
	    (c->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	unlink_lru(c, e);
	dns_answer_free(&e->a);
	free(e->name);
	free(e);
	c->n--;
}

static struct entry *
find(struct dns_cache *c, const char *name, unsigned type, unsigned flags)
{
	struct entry *e = c->tab[hash(name, type, flags) & (c->nbuckets - 1)];

	for (; e; e = e->next)
		if (e->type == type && e->flags == flags &&
		    strcasecmp(e->name, name) == 0)
			return e;
	return NULL;
}

bool
dns_cache_get(struct dns_cache *c, const char *name, unsigned type,
    unsigned flags, struct dns_answer *a)
{
	struct entry *e = find(c, name, type, flags & DNS_F_DO);
	time_t now = c->clock();

	if (e == NULL)
		return false;
	if (now >= e->expires) {
		drop(c, e);
		return false;
	}
	unlink_lru(c, e);
	push_lru(c, e);
	dns_answer_copy(a, &e->a);
	/* what is left of the TTL, for whoever passes the answer on */
	a->ttl = (uint32_t)(e->expires - now);
	for (size_t i = 0; i < a->n; i++)
		if (a->rr[i].ttl > a->ttl)
			a->rr[i].ttl = a->ttl;
	return true;
}

void
dns_cache_put(struct dns_cache *c, const char *name, unsigned type,
    unsigned flags, const struct dns_answer *a)
{
	struct entry *e;
	size_t b;

	if ((a->rc != DNS_OK && a->rc != DNS_NXDOMAIN && a->rc != DNS_NODATA) ||
	    a->ttl == 0)
		return;
	flags &= DNS_F_DO;
	if ((e = find(c, name, type, flags)) != NULL)
		drop(c, e);
	while (c->n >= c->max)
		drop(c, c->oldest);
	e = xcalloc(1, sizeof *e);
	e->name = xstrdup(name);
	e->type = type;
	e->flags = flags;
	e->expires = c->clock() + (a->ttl > DNS_CACHE_TTL_MAX ?
	    DNS_CACHE_TTL_MAX : (time_t)a->ttl);
	dns_answer_copy(&e->a, a);
	b = hash(name, type, flags) & (c->nbuckets - 1);
	e->next = c->tab[b];
	c->tab[b] = e;
	push_lru(c, e);
	c->n++;
}

size_t
dns_cache_count(const struct dns_cache *c)
{
	return c->n;
}

void
dns_cache_free(struct dns_cache **cp)
{
	struct dns_cache *c = *cp;

	if (c == NULL)
		return;
	while (c->oldest)
		drop(c, c->oldest);
	free(c->tab);
	free(c);
	*cp = NULL;
}
