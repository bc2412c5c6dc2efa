/*
 * test-dns-mx - MX answers made into the hosts to try (lib/dns/dns_mx.c:
 * order, random order among equals, implicit and null MX) and the
 * dns_servers value (lib/dns/dns_servers.c).
 */
#include <arpa/inet.h>
#include <string.h>

#include "alloc.h"
#include "dns.h"
#include "tap.h"

static void
mx(struct dns_answer *a, unsigned pref, const char *host)
{
	a->rr = xreallocarray(a->rr, a->n + 1, sizeof *a->rr);
	memset(&a->rr[a->n], 0, sizeof a->rr[a->n]);
	a->rr[a->n].type = DNS_T_MX;
	a->rr[a->n].pref = (uint16_t)pref;
	a->rr[a->n].target = xstrdup(host);
	a->n++;
}

/* A generator of our own: a sequence fixed by its seed. */
static unsigned
lcg(void *arg, unsigned n)
{
	unsigned *s = arg;

	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) % n;
}

/* first - always 0: Fisher-Yates then leaves a known order. */
static unsigned
zero(void *arg, unsigned n)
{
	(void)arg;
	(void)n;
	return 0;
}

static void
order(const struct dns_mx_list *l, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strncat(out, " ", n - strlen(out) - 1);
		strncat(out, l->v[i].host, n - strlen(out) - 1);
	}
}

static void
test_mx(void)
{
	struct dns_answer a;
	struct dns_mx_list l;
	char got[256];
	unsigned seed, seen = 0;

	memset(&a, 0, sizeof a);
	a.rc = DNS_OK;
	mx(&a, 20, "c");
	mx(&a, 10, "a");
	mx(&a, 30, "d");
	mx(&a, 10, "b");
	is_int(dns_mx_from_answer(&a, "x.test", zero, NULL, &l), DNS_OK,
	    "MX: ok");
	order(&l, got, sizeof got);
	ok(strncmp(got, "a b c d", 7) == 0 || strncmp(got, "b a c d", 7) == 0,
	    "MX: by preference (%s)", got);
	ok(!l.implicit && !l.null_mx, "MX: neither implicit nor null");
	ok(l.v[0].pref == 10 && l.v[1].pref == 10 && l.v[2].pref == 20 &&
	    l.v[3].pref == 30, "MX: preferences kept");
	dns_mx_list_free(&l);
	/* the equal ones come in both orders, the rest never move */
	for (seed = 1; seed < 200; seed++) {
		unsigned s = seed;

		(void)dns_mx_from_answer(&a, "x.test", lcg, &s, &l);
		order(&l, got, sizeof got);
		if (strcmp(got, "a b c d") == 0)
			seen |= 1;
		else if (strcmp(got, "b a c d") == 0)
			seen |= 2;
		else
			seen |= 4;
		dns_mx_list_free(&l);
	}
	is_int(seen, 3, "MX: equal preferences shuffled, only they");
	/* three equal: all six orders turn up */
	dns_answer_free(&a);
	a.rc = DNS_OK;
	mx(&a, 5, "p");
	mx(&a, 5, "q");
	mx(&a, 5, "r");
	{
		char orders[6][8];
		size_t norders = 0;

		for (seed = 1; seed < 400 && norders < 6; seed++) {
			unsigned s = seed;
			size_t k;

			(void)dns_mx_from_answer(&a, "x.test", lcg, &s, &l);
			order(&l, got, sizeof got);
			for (k = 0; k < norders; k++)
				if (strcmp(orders[k], got) == 0)
					break;
			if (k == norders)
				snprintf(orders[norders++], 8, "%.7s", got);
			dns_mx_list_free(&l);
		}
		is_int(norders, 6, "MX: three equal, every order seen");
	}
	is_int(dns_mx_from_answer(&a, "x.test", NULL, NULL, &l), DNS_OK,
	    "MX: arc4random when no generator");
	is_int(l.n, 3, "MX: all three");
	dns_mx_list_free(&l);

	/* RFC 7505 */
	dns_answer_free(&a);
	a.rc = DNS_OK;
	mx(&a, 0, ".");
	is_int(dns_mx_from_answer(&a, "nullmx.test", NULL, NULL, &l), DNS_OK,
	    "null MX: ok");
	ok(l.null_mx && l.n == 0, "null MX: flagged, no host");
	dns_mx_list_free(&l);
	mx(&a, 10, "real.test");
	(void)dns_mx_from_answer(&a, "mixed.test", NULL, NULL, &l);
	ok(!l.null_mx && l.n == 1 && strcmp(l.v[0].host, "real.test") == 0,
	    "\".\" beside a real MX: dropped, the real one used");
	dns_mx_list_free(&l);

	/* RFC 5321 5.1: no MX */
	dns_answer_free(&a);
	a.rc = DNS_NODATA;
	is_int(dns_mx_from_answer(&a, "aonly.test", NULL, NULL, &l), DNS_OK,
	    "no MX: ok");
	ok(l.implicit && l.n == 1 && l.v[0].pref == 0 &&
	    strcmp(l.v[0].host, "aonly.test") == 0,
	    "no MX: the domain itself, implicit");
	dns_mx_list_free(&l);
	a.rc = DNS_NXDOMAIN;
	is_int(dns_mx_from_answer(&a, "nx.test", NULL, NULL, &l),
	    DNS_NXDOMAIN, "NXDOMAIN: bounce");
	is_int(l.n, 0, "NXDOMAIN: no host");
	a.rc = DNS_TEMPFAIL;
	is_int(dns_mx_from_answer(&a, "t.test", NULL, NULL, &l),
	    DNS_TEMPFAIL, "TEMPFAIL: defer");
	a.rc = DNS_MALFORMED;
	is_int(dns_mx_from_answer(&a, "t.test", NULL, NULL, &l),
	    DNS_TEMPFAIL, "MALFORMED: defer too");
	dns_answer_free(&a);
}

static int
servers(const char *v, size_t *n, struct dns_server *sv)
{
	struct str err = STR_INIT;
	int r = dns_servers_parse(v, sv, n, &err);

	if (r < 0 && err.len == 0)
		r = -2;	/* a refusal must say why */
	str_free(&err);
	return r;
}

static void
test_servers(void)
{
	struct dns_server sv[DNS_SERVERS_MAX];
	struct str err = STR_INIT;
	size_t n;

	is_int(servers("", &n, sv), 0, "servers: empty");
	is_int(n, 0, "servers: none (resolv.conf)");
	is_int(servers("127.0.0.1", &n, sv), 0, "servers: one address");
	ok(n == 1 && sv[0].family == AF_INET && sv[0].port == 53 &&
	    memcmp(sv[0].addr, "\x7f\0\0\x01", 4) == 0, "servers: port 53");
	is_int(servers("127.0.0.53:15353, [::1]:5353 ::1\t192.0.2.1:1", &n,
	    sv), 0, "servers: four, commas and blanks");
	ok(n == 4 && sv[0].port == 15353 && sv[1].family == AF_INET6 &&
	    sv[1].port == 5353 && sv[1].addr[15] == 1 &&
	    sv[2].family == AF_INET6 && sv[2].port == 53 && sv[3].port == 1,
	    "servers: ports and families");
	is_int(servers("[::1]", &n, sv), 0, "servers: [::1] without port");
	is_int(servers("dns.example.test", &n, sv), -1, "servers: a name");
	is_int(servers("127.0.0.1:0", &n, sv), -1, "servers: port 0");
	is_int(servers("127.0.0.1:65536", &n, sv), -1, "servers: port too big");
	is_int(servers("127.0.0.1:", &n, sv), -1, "servers: empty port");
	is_int(servers("127.0.0.1:5x", &n, sv), -1, "servers: bad port");
	is_int(servers("[127.0.0.1]:53", &n, sv), -1,
	    "servers: IPv4 in brackets");
	is_int(servers("[::1]5353", &n, sv), -1, "servers: no colon");
	is_int(servers("[::1", &n, sv), -1, "servers: unclosed bracket");
	is_int(servers("::1:53", &n, sv), 0,
	    "servers: ::1:53 is an IPv6 address");
	is_int(servers("1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5 6.6.6.6 "
	    "7.7.7.7 8.8.8.8 9.9.9.9", &n, sv), -1, "servers: more than 8");
	ok(dns_servers_parse("127.0.0.1 bogus", sv, &n, &err) < 0 &&
	    strstr(err.s, "bogus") != NULL, "servers: the reason names it");
	str_free(&err);
}

int
main(void)
{
	test_mx();
	test_servers();
	return done_testing();
}
