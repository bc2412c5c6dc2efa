/*
 * test-dns-cache - the DNS answer cache (lib/dns/dns_cache.c) on a
 * clock of our own: expiry by TTL, negative answers, what is never
 * kept, the bound on entries and which entry goes first.
 */
#include <string.h>

#include "alloc.h"
#include "dns.h"
#include "tap.h"

static time_t now = 1000000;

static time_t
clock_now(void)
{
	return now;
}

/* ans - an answer of rc with one A record (for OK) and ttl. */
static void
ans(struct dns_answer *a, enum dns_rc rc, uint32_t ttl, unsigned char last)
{
	memset(a, 0, sizeof *a);
	a->rc = rc;
	a->ttl = ttl;
	a->canon = xstrdup("x");
	if (rc != DNS_OK)
		return;
	a->rr = xcalloc(1, sizeof *a->rr);
	a->rr[0].type = DNS_T_A;
	a->rr[0].ttl = ttl;
	a->rr[0].data = xmalloc(4);
	memcpy(a->rr[0].data, "\xc0\x00\x02", 3);
	a->rr[0].data[3] = last;
	a->rr[0].len = 4;
	a->n = 1;
}

int
main(void)
{
	struct dns_cache *c = dns_cache_new(3, clock_now);
	struct dns_answer a, got;

	memset(&got, 0, sizeof got);
	ans(&a, DNS_OK, 10, 1);
	dns_cache_put(c, "a.test", DNS_T_A, 0, &a);
	dns_answer_free(&a);
	ok(dns_cache_get(c, "A.Test", DNS_T_A, 0, &got),
	    "hit, the name's case ignored");
	ok(got.n == 1 && got.rr[0].data[3] == 1, "the records come back");
	dns_answer_free(&got);
	ok(!dns_cache_get(c, "a.test", DNS_T_AAAA, 0, &got),
	    "another type misses");
	ok(!dns_cache_get(c, "a.test", DNS_T_A, DNS_F_DO, &got),
	    "with DO is another entry");
	now += 9;
	ok(dns_cache_get(c, "a.test", DNS_T_A, 0, &got), "alive at TTL - 1");
	is_int(got.ttl, 1, "the TTL left");
	is_int(got.rr[0].ttl, 1, "the records' TTLs shrink too");
	dns_answer_free(&got);
	now += 1;
	ok(!dns_cache_get(c, "a.test", DNS_T_A, 0, &got), "gone at TTL");
	is_int(dns_cache_count(c), 0, "an expired entry met is dropped");

	ans(&a, DNS_NXDOMAIN, 300, 0);
	dns_cache_put(c, "nx.test", DNS_T_MX, 0, &a);
	dns_answer_free(&a);
	ok(dns_cache_get(c, "nx.test", DNS_T_MX, 0, &got) &&
	    got.rc == DNS_NXDOMAIN, "NXDOMAIN kept");
	dns_answer_free(&got);
	ans(&a, DNS_NODATA, 300, 0);
	dns_cache_put(c, "nodata.test", DNS_T_MX, 0, &a);
	dns_answer_free(&a);
	ok(dns_cache_get(c, "nodata.test", DNS_T_MX, 0, &got) &&
	    got.rc == DNS_NODATA, "NODATA kept");
	dns_answer_free(&got);
	now += 300;
	ok(!dns_cache_get(c, "nx.test", DNS_T_MX, 0, &got),
	    "negative entries expire too");
	ok(!dns_cache_get(c, "nodata.test", DNS_T_MX, 0, &got),
	    "... both");

	ans(&a, DNS_TEMPFAIL, 300, 0);
	dns_cache_put(c, "tf.test", DNS_T_A, 0, &a);
	dns_answer_free(&a);
	ok(!dns_cache_get(c, "tf.test", DNS_T_A, 0, &got),
	    "TEMPFAIL never kept");
	ans(&a, DNS_MALFORMED, 300, 0);
	dns_cache_put(c, "bad.test", DNS_T_A, 0, &a);
	dns_answer_free(&a);
	ok(!dns_cache_get(c, "bad.test", DNS_T_A, 0, &got),
	    "MALFORMED never kept");
	ans(&a, DNS_NXDOMAIN, 0, 0);
	dns_cache_put(c, "nosoa.test", DNS_T_A, 0, &a);
	dns_answer_free(&a);
	ok(!dns_cache_get(c, "nosoa.test", DNS_T_A, 0, &got),
	    "TTL 0 (a negative answer without SOA) not kept");
	is_int(dns_cache_count(c), 0, "nothing held");

	ans(&a, DNS_OK, 1u << 30, 7);
	dns_cache_put(c, "long.test", DNS_T_A, 0, &a);
	dns_answer_free(&a);
	now += DNS_CACHE_TTL_MAX;
	ok(!dns_cache_get(c, "long.test", DNS_T_A, 0, &got),
	    "TTLs capped at DNS_CACHE_TTL_MAX");

	/* bound: 3 entries; the least recently used goes */
	for (unsigned char i = 1; i <= 3; i++) {
		char name[16];

		snprintf(name, sizeof name, "h%u.test", i);
		ans(&a, DNS_OK, 100, i);
		dns_cache_put(c, name, DNS_T_A, 0, &a);
		dns_answer_free(&a);
	}
	ok(dns_cache_get(c, "h1.test", DNS_T_A, 0, &got), "h1 used again");
	dns_answer_free(&got);
	ans(&a, DNS_OK, 100, 4);
	dns_cache_put(c, "h4.test", DNS_T_A, 0, &a);
	dns_answer_free(&a);
	is_int(dns_cache_count(c), 3, "bounded at 3");
	ok(!dns_cache_get(c, "h2.test", DNS_T_A, 0, &got),
	    "the least recently used went");
	ok(dns_cache_get(c, "h1.test", DNS_T_A, 0, &got), "h1 stayed");
	dns_answer_free(&got);
	ok(dns_cache_get(c, "h3.test", DNS_T_A, 0, &got), "h3 stayed");
	dns_answer_free(&got);
	/* replacing an entry */
	ans(&a, DNS_OK, 100, 9);
	dns_cache_put(c, "H3.test", DNS_T_A, 0, &a);
	dns_answer_free(&a);
	is_int(dns_cache_count(c), 3, "a new answer replaces the old");
	ok(dns_cache_get(c, "h3.test", DNS_T_A, 0, &got) &&
	    got.rr[0].data[3] == 9, "the new one is served");
	dns_answer_free(&got);
	/* many names through a small cache */
	for (unsigned i = 0; i < 5000; i++) {
		char name[32];

		snprintf(name, sizeof name, "n%u.test", i);
		ans(&a, DNS_OK, 100, (unsigned char)i);
		dns_cache_put(c, name, DNS_T_A, 0, &a);
		dns_answer_free(&a);
	}
	is_int(dns_cache_count(c), 3, "5000 names: still 3 entries");
	ok(dns_cache_get(c, "n4999.test", DNS_T_A, 0, &got),
	    "the newest is there");
	dns_answer_free(&got);
	dns_cache_free(&c);
	ok(c == NULL, "free clears the pointer");
	dns_cache_free(&c);
	return done_testing();
}
