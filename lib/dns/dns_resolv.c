/*
 * dns_resolv - the resolver over c-ares (dns.h): c-ares sends our
 * queries (ares_send), retries, changes server and matches answers to
 * queries (ID and question); we parse what comes back and keep it in
 * the cache.
 *
 * With ares_send c-ares passes every answer through but SERVFAIL,
 * NOTIMP and REFUSED, on which it tries the next server and at last
 * reports ARES_ESERVFAIL or ARES_EREFUSED: those, timeouts, network
 * errors and cancellation are all DNS_TEMPFAIL here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "alloc.h"
#include "buf.h"
#include "dns.h"

struct dns_resolver {
	ares_channel ch;
	struct dns_cache *cache;
	size_t pending;
	unsigned long queries;
	int timeout_ms;
};

#define RESTARTS 8	/* incomplete CNAME chains followed by asking again */

/* One query on its way: what to call with the answer. */
struct pending {
	struct dns_resolver *r;
	char *name;		/* as asked */
	char *cur;		/* asked now: name, or where its chain led */
	uint32_t cname_ttl;	/* of the chain so far */
	unsigned restarts;
	unsigned type, flags;
	dns_cb *cb;
	void *arg;
};

static void on_answer(void *, int, int, unsigned char *, int);

/* ask - send a query for p->cur; false if none can be made of it. */
static bool
ask(struct pending *p)
{
	struct str q = STR_INIT;

	if (dns_query_build(p->cur, p->type, p->flags, &q) < 0) {
		str_free(&q);
		return false;
	}
	p->r->queries++;
	ares_send(p->r->ch, (const unsigned char *)q.s, (int)q.len, on_answer,
	    p);
	str_free(&q);
	return true;
}

struct dns_resolver *
dns_open(const struct dns_conf *conf, struct str *err)
{
	static bool lib_ready;
	struct dns_resolver *r;
	struct ares_options o;
	struct ares_addr_port_node nodes[DNS_SERVERS_MAX];
	int rc, mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;

	if (!lib_ready) {
		rc = ares_library_init(ARES_LIB_INIT_ALL);
		if (rc != ARES_SUCCESS) {
			str_copyf(err, "c-ares: %s", ares_strerror(rc));
			return NULL;
		}
		lib_ready = true;
	}
	r = xcalloc(1, sizeof *r);
	r->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms : 5000;
	memset(&o, 0, sizeof o);
	/* the queries are ours, whole names: no search list, no
	 * HOSTALIASES */
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	if (conf->udp_only)
		o.flags |= ARES_FLAG_IGNTC;
	/* c-ares doubles the wait at each round over the servers: two
	 * tries of a third each fill the time (dns_wait enforces it) */
	o.tries = 2;
	o.timeout = r->timeout_ms / 3 > 100 ? r->timeout_ms / 3 : 100;
	if ((rc = ares_init_options(&r->ch, &o, mask)) != ARES_SUCCESS) {
		str_copyf(err, "c-ares: %s", ares_strerror(rc));
		free(r);
		return NULL;
	}
	if (conf->nservers > 0) {
		memset(nodes, 0, sizeof nodes);
		for (size_t i = 0; i < conf->nservers; i++) {
			const struct dns_server *s = &conf->servers[i];

			nodes[i].next = i + 1 < conf->nservers ?
			    &nodes[i + 1] : NULL;
			nodes[i].family = s->family;
			memcpy(&nodes[i].addr, s->addr,
			    s->family == AF_INET ? 4 : 16);
			nodes[i].udp_port = (int)s->port;
			nodes[i].tcp_port = (int)s->port;
		}
		if ((rc = ares_set_servers_ports(r->ch, nodes)) !=
		    ARES_SUCCESS) {
			str_copyf(err, "c-ares: servers: %s",
			    ares_strerror(rc));
			ares_destroy(r->ch);
			free(r);
			return NULL;
		}
	}
	if (conf->cache_max > 0)
		r->cache = dns_cache_new(conf->cache_max, conf->clock);
	return r;
}

void
dns_close(struct dns_resolver **rp)
{
	struct dns_resolver *r = *rp;

	if (r == NULL)
		return;
	ares_destroy(r->ch);	/* the callbacks run: ARES_EDESTRUCTION */
	dns_cache_free(&r->cache);
	free(r);
	*rp = NULL;
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pending *p = arg;
	struct dns_resolver *r = p->r;
	struct dns_answer a;

	(void)timeouts;
	memset(&a, 0, sizeof a);
	if (status == ARES_SUCCESS && abuf != NULL && alen > 0) {
		/* c-ares matched the ID and the question already */
		(void)dns_parse(abuf, (size_t)alen, -1, p->cur, p->type, &a);
		if (a.cname_ttl < p->cname_ttl)
			p->cname_ttl = a.cname_ttl;
		if (a.rc == DNS_NODATA && a.ttl == 0 &&
		    strcmp(a.canon, p->cur) != 0 && p->restarts < RESTARTS) {
			/* the chain stops short: ask where it leads */
			p->restarts++;
			free(p->cur);
			p->cur = a.canon;
			a.canon = NULL;
			dns_answer_free(&a);
			if (ask(p))
				return;
			a.rc = DNS_MALFORMED;
		}
		if (a.ttl > p->cname_ttl)
			a.ttl = p->cname_ttl;
		if (r->cache && a.rc != DNS_MALFORMED)
			dns_cache_put(r->cache, p->name, p->type, p->flags, &a);
	} else
		a.rc = DNS_TEMPFAIL;
	r->pending--;
	p->cb(p->arg, &a);
	dns_answer_free(&a);
	free(p->name);
	free(p->cur);
	free(p);
}

void
dns_query(struct dns_resolver *r, const char *name, unsigned type,
    unsigned flags, dns_cb *cb, void *arg)
{
	struct dns_answer a;
	struct str norm = STR_INIT;
	struct pending *p;

	memset(&a, 0, sizeof a);
	if (dns_name_norm(name, &norm) < 0) {
		/* no such name can be asked */
		a.rc = DNS_MALFORMED;
		cb(arg, &a);
		goto out;
	}
	if (r->cache && dns_cache_get(r->cache, norm.s, type, flags, &a)) {
		cb(arg, &a);
		dns_answer_free(&a);
		goto out;
	}
	p = xcalloc(1, sizeof *p);
	p->r = r;
	p->name = str_steal(&norm);
	p->cur = xstrdup(p->name);
	p->cname_ttl = UINT32_MAX;
	p->type = type;
	p->flags = flags & DNS_F_DO;
	p->cb = cb;
	p->arg = arg;
	r->pending++;
	(void)ask(p);		/* a checked name always makes a query */
out:
	str_free(&norm);
}

size_t
dns_pollfds(struct dns_resolver *r, struct pollfd *pfd, size_t max)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	unsigned bits = (unsigned)ares_getsock(r->ch, socks,
	    ARES_GETSOCK_MAXNUM);
	size_t n = 0;

	/* the bits by hand: ares.h's macros shift a signed 1 by up to
	 * 31 places, which UBSan rightly calls undefined */
	for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
		short ev = 0;

		if (bits & 1u << i)
			ev |= POLLIN;
		if (bits & 1u << (i + ARES_GETSOCK_MAXNUM))
			ev |= POLLOUT;
		if (ev == 0)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = ev;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

int
dns_timeout(struct dns_resolver *r)
{
	struct timeval tv, *tvp;

	if (r->pending == 0)
		return -1;
	tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp == NULL)
		return -1;
	return (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
}

void
dns_process(struct dns_resolver *r, const struct pollfd *pfd, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

		if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP))
			rfd = pfd[i].fd;
		if (pfd[i].revents & POLLOUT)
			wfd = pfd[i].fd;
		if (rfd != ARES_SOCKET_BAD || wfd != ARES_SOCKET_BAD)
			ares_process_fd(r->ch, rfd, wfd);
	}
	/* the timeouts */
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

size_t
dns_pending(const struct dns_resolver *r)
{
	return r->pending;
}

unsigned long
dns_queries(const struct dns_resolver *r)
{
	return r->queries;
}

int
dns_timeout_ms(const struct dns_resolver *r)
{
	return r->timeout_ms;
}

void
dns_wait(struct dns_resolver *r, int64_t deadline_ms)
{
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];

	while (r->pending > 0) {
		int64_t left = deadline_ms - buf_now_ms();
		int t = dns_timeout(r), rc;
		size_t n;

		if (left <= 0) {
			ares_cancel(r->ch);	/* ARES_ECANCELLED to each */
			break;
		}
		if (t < 0 || t > left)
			t = (int)left;
		n = dns_pollfds(r, pfd, ARES_GETSOCK_MAXNUM);
		rc = poll(pfd, n, t);
		if (rc < 0 && errno != EINTR) {
			ares_cancel(r->ch);
			break;
		}
		dns_process(r, pfd, rc > 0 ? n : 0);
	}
}

static void
keep(void *arg, const struct dns_answer *a)
{
	dns_answer_copy(arg, a);
}

enum dns_rc
dns_lookup_until(struct dns_resolver *r, const char *name, unsigned type,
    unsigned flags, struct dns_answer *a, int64_t deadline_ms)
{
	memset(a, 0, sizeof *a);
	a->rc = DNS_TEMPFAIL;
	dns_query(r, name, type, flags, keep, a);
	dns_wait(r, deadline_ms);
	return a->rc;
}

enum dns_rc
dns_lookup(struct dns_resolver *r, const char *name, unsigned type,
    unsigned flags, struct dns_answer *a)
{
	return dns_lookup_until(r, name, type, flags, a,
	    buf_now_ms() + r->timeout_ms);
}
