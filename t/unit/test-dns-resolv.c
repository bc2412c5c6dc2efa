/*
 * test-dns-resolv - the resolver's loop (lib/dns/dns_resolv.c) without
 * a DNS server: over loopback only, a port where nothing listens (the
 * failure comes at once) and a socket of ours that never answers (the
 * timeout), driven through the poll() interface and the blocking one.
 * test_dns.py asks a real server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "tap.h"

struct got {
	int calls;
	enum dns_rc rc;
};

static void
note(void *arg, const struct dns_answer *a)
{
	struct got *g = arg;

	g->calls++;
	g->rc = a->rc;
}

/* silent - a UDP socket on 127.0.0.1 that reads nothing; its port. */
static int
silent(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		bail("silent socket");
	*port = ntohs(sin.sin_port);
	return fd;
}

static struct dns_resolver *
open_at(unsigned port, int timeout_ms)
{
	struct dns_conf c;
	struct str err = STR_INIT;
	struct dns_resolver *r;

	memset(&c, 0, sizeof c);
	c.servers[0].family = AF_INET;
	memcpy(c.servers[0].addr, "\x7f\0\0\x01", 4);
	c.servers[0].port = port;
	c.nservers = 1;
	c.timeout_ms = timeout_ms;
	c.cache_max = 10;
	if ((r = dns_open(&c, &err)) == NULL)
		bail(err.s);
	str_free(&err);
	return r;
}

int
main(void)
{
	struct dns_resolver *r;
	struct got g1 = { 0, DNS_OK }, g2 = { 0, DNS_OK }, g3 = { 0, DNS_OK };
	struct dns_answer a;
	struct pollfd pfd[16];
	int64_t t0;
	unsigned port;
	int fd, loops = 0;

	/* nothing listens on port 1: both lookups fail, through our loop */
	r = open_at(1, 3000);
	dns_query(r, "example.test", DNS_T_MX, 0, note, &g1);
	dns_query(r, "example.test", DNS_T_A, DNS_F_DO, note, &g2);
	is_int(dns_pending(r), 2, "two lookups pending");
	is_int(dns_queries(r), 2, "two queries sent");
	t0 = buf_now_ms();
	while (dns_pending(r) > 0 && loops++ < 100) {
		size_t n = dns_pollfds(r, pfd, 16);
		int t = dns_timeout(r);

		ok(n > 0 || t >= 0, "something to wait for (loop %d)", loops);
		if (poll(pfd, n, t < 0 ? 1000 : t) < 0)
			bail("poll");
		dns_process(r, pfd, n);
	}
	ok(g1.calls == 1 && g1.rc == DNS_TEMPFAIL, "no server: TEMPFAIL");
	ok(g2.calls == 1 && g2.rc == DNS_TEMPFAIL, "... for each, once");
	ok(buf_now_ms() - t0 < 2000, "at once, not after the timeout");
	is_int(dns_timeout(r), -1, "nothing pending: no timeout");
	/* a TEMPFAIL is not cached: asked again */
	is_int(dns_lookup(r, "example.test", DNS_T_MX, 0, &a), DNS_TEMPFAIL,
	    "blocking: TEMPFAIL");
	dns_answer_free(&a);
	is_int(dns_queries(r), 3, "TEMPFAIL was not cached");
	/* a name no query can carry: at once, no query */
	g3.calls = 0;
	dns_query(r, "a..b", DNS_T_A, 0, note, &g3);
	ok(g3.calls == 1 && g3.rc == DNS_MALFORMED,
	    "bad name: the callback at once, MALFORMED");
	is_int(dns_queries(r), 3, "bad name: no query");
	dns_close(&r);
	ok(r == NULL, "closed");

	/* a server that never answers: dns_timeout bounds the lookup */
	fd = silent(&port);
	r = open_at(port, 600);
	t0 = buf_now_ms();
	is_int(dns_lookup(r, "example.test", DNS_T_A, 0, &a), DNS_TEMPFAIL,
	    "silent server: TEMPFAIL");
	dns_answer_free(&a);
	ok(buf_now_ms() - t0 >= 550 && buf_now_ms() - t0 < 1500,
	    "after the timeout (%lld ms)", (long long)(buf_now_ms() - t0));
	is_int(dns_pending(r), 0, "nothing left pending");
	/* closing with lookups pending calls each back */
	g1.calls = g2.calls = 0;
	dns_query(r, "a.example.test", DNS_T_A, 0, note, &g1);
	dns_query(r, "b.example.test", DNS_T_AAAA, 0, note, &g2);
	dns_close(&r);
	ok(g1.calls == 1 && g1.rc == DNS_TEMPFAIL && g2.calls == 1 &&
	    g2.rc == DNS_TEMPFAIL, "close: pending lookups end TEMPFAIL");
	close(fd);
	return done_testing();
}
