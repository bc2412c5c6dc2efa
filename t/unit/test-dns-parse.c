/*
 * test-dns-parse - queries as we build them and answers as we parse
 * them (lib/dns/dns_parse.c), from packets made here byte by byte:
 * each record type, CNAME chains, negative answers and their TTL, and
 * hostile ones (truncated, looping, oversized, lying).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "tap.h"

struct pkt {
	unsigned char b[70000];
	size_t n;
};

static void
p8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (unsigned char)v;
}

static void
p16(struct pkt *p, unsigned v)
{
	p8(p, v >> 8);
	p8(p, v & 0xff);
}

static void
p32(struct pkt *p, uint32_t v)
{
	p16(p, v >> 16);
	p16(p, v & 0xffff);
}

static void
pbytes(struct pkt *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

/* pname - name in wire form, uncompressed ("" or "." is the root). */
static void
pname(struct pkt *p, const char *name)
{
	while (*name && strcmp(name, ".") != 0) {
		size_t l = strcspn(name, ".");

		p8(p, (unsigned)l);
		pbytes(p, name, l);
		name += l;
		if (*name == '.')
			name++;
	}
	p8(p, 0);
}

static void
header(struct pkt *p, unsigned id, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	p->n = 0;
	p16(p, id);
	p16(p, flags);
	p16(p, qd);
	p16(p, an);
	p16(p, ns);
	p16(p, ar);
}

/* answer - header (QR, RD, RA, rcode) and the question for name/type */
static void
answer(struct pkt *p, unsigned rcode, unsigned an, unsigned ns,
    const char *name, unsigned type)
{
	header(p, 0x1234, 0x8180 | rcode, 1, an, ns, 0);
	pname(p, name);
	p16(p, type);
	p16(p, 1);
}

/* rr - a record's fixed part; the returned offset is its RDLENGTH, which
 * rr_end fills in.  owner NULL: a pointer to the question's name. */
static size_t
rr(struct pkt *p, const char *owner, unsigned type, uint32_t ttl)
{
	size_t at;

	if (owner == NULL)
		p16(p, 0xc00c);
	else
		pname(p, owner);
	p16(p, type);
	p16(p, 1);
	p32(p, ttl);
	at = p->n;
	p16(p, 0);
	return at;
}

static void
rr_end(struct pkt *p, size_t at)
{
	size_t len = p->n - at - 2;

	p->b[at] = (unsigned char)(len >> 8);
	p->b[at + 1] = (unsigned char)(len & 0xff);
}

static void
rr_a(struct pkt *p, const char *owner, const char *ip, uint32_t ttl)
{
	unsigned char a[16];
	bool v6 = strchr(ip, ':') != NULL;
	size_t at = rr(p, owner, v6 ? DNS_T_AAAA : DNS_T_A, ttl);

	inet_pton(v6 ? AF_INET6 : AF_INET, ip, a);
	pbytes(p, a, v6 ? 16 : 4);
	rr_end(p, at);
}

static void
rr_name(struct pkt *p, const char *owner, unsigned type, const char *target,
    uint32_t ttl)
{
	size_t at = rr(p, owner, type, ttl);

	pname(p, target);
	rr_end(p, at);
}

static void
rr_soa(struct pkt *p, const char *zone, uint32_t ttl, uint32_t minimum)
{
	size_t at = rr(p, zone, DNS_T_SOA, ttl);

	pname(p, "ns.example.test");
	pname(p, "hostmaster.example.test");
	p32(p, 1);
	p32(p, 3600);
	p32(p, 600);
	p32(p, 86400);
	p32(p, minimum);
	rr_end(p, at);
}

static enum dns_rc
parse(const struct pkt *p, const char *name, unsigned type,
    struct dns_answer *a)
{
	dns_answer_free(a);
	return dns_parse(p->b, p->n, 0x1234, name, type, a);
}

static void
test_query(void)
{
	struct str q = STR_INIT;
	static const unsigned char want[] = {
		0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
		2, 'm', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't',
		'e', 's', 't', 0, 0, 15, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0,
	};

	is_int(dns_query_build("MX.Example.TEST.", DNS_T_MX, DNS_F_DO, &q), 0,
	    "query: built");
	is_mem(q.s, q.len, want, sizeof want,
	    "query: RD, lowercased name, EDNS0 with 1232 bytes and DO");
	is_int(dns_query_build("a", DNS_T_A, 0, &q), 0, "query: one label");
	ok(q.len > 4 && (unsigned char)q.s[q.len - 4] == 0,
	    "query: no DO when not asked");
	is_int(dns_query_build("a..b", DNS_T_A, 0, &q), -1,
	    "query: empty label refused");
	is_int(dns_query_build("", DNS_T_A, 0, &q), -1,
	    "query: empty name refused");
	{
		char big[300];

		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		is_int(dns_query_build(big, DNS_T_A, 0, &q), -1,
		    "query: label over 63 refused");
	}
	is_int(dns_query_build("a b.test", DNS_T_A, 0, &q), -1,
	    "query: a blank in a name refused");
	str_free(&q);
}

static void
test_names(void)
{
	struct str s = STR_INIT;

	is_int(dns_name_norm("Mail.Example.TEST.", &s), 0, "norm: ok");
	is_str(s.s, "mail.example.test", "norm: lowercase, no final dot");
	is_int(dns_name_norm(".", &s), 0, "norm: the root");
	is_str(s.s, ".", "norm: the root is .");
	is_int(dns_name_norm("a\\.b", &s), -1, "norm: backslash refused");
	is_int(dns_reverse_name("192.0.2.7", &s), 0, "reverse: IPv4");
	is_str(s.s, "7.2.0.192.in-addr.arpa", "reverse: in-addr.arpa");
	is_int(dns_reverse_name("2001:db8::1", &s), 0, "reverse: IPv6");
	is_str(s.s, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0."
	    "1.0.0.2.ip6.arpa", "reverse: ip6.arpa nibbles");
	is_int(dns_reverse_name("example.test", &s), -1,
	    "reverse: not an address");
	str_free(&s);
}

static void
test_types(void)
{
	struct pkt *p = malloc(sizeof *p);
	struct dns_answer a = { 0 };
	static const unsigned char hash[32] = { 0xde, 0xad, 0xbe, 0xef };
	size_t at;

	answer(p, 0, 2, 0, "host.example.test", DNS_T_A);
	rr_a(p, NULL, "192.0.2.1", 300);
	rr_a(p, "HOST.example.TEST", "192.0.2.2", 200);
	is_int(parse(p, "host.example.test", DNS_T_A, &a), DNS_OK, "A: ok");
	is_int(a.n, 2, "A: two records (owner case ignored)");
	ok(a.n == 2 && a.rr[1].len == 4 &&
	    memcmp(a.rr[1].data, "\xc0\x00\x02\x02", 4) == 0, "A: address");
	is_int(a.ttl, 200, "A: the smallest TTL");
	is_str(a.canon, "host.example.test", "A: canonical name");

	answer(p, 0, 1, 0, "host.example.test", DNS_T_AAAA);
	rr_a(p, NULL, "2001:db8::25", 60);
	is_int(parse(p, "host.example.test", DNS_T_AAAA, &a), DNS_OK,
	    "AAAA: ok");
	ok(a.n == 1 && a.rr[0].len == 16 && a.rr[0].data[15] == 0x25,
	    "AAAA: address");

	answer(p, 0, 3, 0, "example.test", DNS_T_MX);
	at = rr(p, NULL, DNS_T_MX, 300);
	p16(p, 20);
	p8(p, 3);
	pbytes(p, "mx2", 3);
	p16(p, 0xc00c);		/* compressed: mx2.example.test */
	rr_end(p, at);
	at = rr(p, NULL, DNS_T_MX, 300);
	p16(p, 10);
	pname(p, "MX1.example.test");
	rr_end(p, at);
	rr_a(p, "mx1.example.test", "192.0.2.1", 300);	/* not an MX */
	is_int(parse(p, "example.test", DNS_T_MX, &a), DNS_OK, "MX: ok");
	is_int(a.n, 2, "MX: the MX records only");
	ok(a.n == 2 && a.rr[0].pref == 20 &&
	    strcmp(a.rr[0].target, "mx2.example.test") == 0,
	    "MX: compressed target");
	ok(a.n == 2 && a.rr[1].pref == 10 &&
	    strcmp(a.rr[1].target, "mx1.example.test") == 0,
	    "MX: target lowercased");

	answer(p, 0, 1, 0, "nullmx.test", DNS_T_MX);
	at = rr(p, NULL, DNS_T_MX, 300);
	p16(p, 0);
	p8(p, 0);
	rr_end(p, at);
	is_int(parse(p, "nullmx.test", DNS_T_MX, &a), DNS_OK, "null MX: ok");
	ok(a.n == 1 && strcmp(a.rr[0].target, ".") == 0,
	    "null MX: target is .");

	answer(p, 0, 1, 0, "example.test", DNS_T_TXT);
	at = rr(p, NULL, DNS_T_TXT, 300);
	p8(p, 7);
	pbytes(p, "v=spf1 ", 7);
	p8(p, 4);
	pbytes(p, "-all", 4);
	p8(p, 0);
	rr_end(p, at);
	is_int(parse(p, "example.test", DNS_T_TXT, &a), DNS_OK, "TXT: ok");
	ok(a.n == 1 && a.rr[0].len == 11 &&
	    strcmp((char *)a.rr[0].data, "v=spf1 -all") == 0,
	    "TXT: character-strings joined");

	answer(p, 0, 1, 0, "7.2.0.192.in-addr.arpa", DNS_T_PTR);
	rr_name(p, NULL, DNS_T_PTR, "mail.example.test", 300);
	is_int(parse(p, "7.2.0.192.in-addr.arpa", DNS_T_PTR, &a), DNS_OK,
	    "PTR: ok");
	ok(a.n == 1 && strcmp(a.rr[0].target, "mail.example.test") == 0,
	    "PTR: target");

	answer(p, 0, 1, 0, "_25._tcp.mx.example.test", DNS_T_TLSA);
	at = rr(p, NULL, DNS_T_TLSA, 300);
	p8(p, 3);
	p8(p, 1);
	p8(p, 1);
	pbytes(p, hash, sizeof hash);
	rr_end(p, at);
	p->b[3] |= 0x20;	/* AD */
	is_int(parse(p, "_25._tcp.mx.example.test", DNS_T_TLSA, &a), DNS_OK,
	    "TLSA: ok");
	ok(a.n == 1 && a.rr[0].usage == 3 && a.rr[0].selector == 1 &&
	    a.rr[0].mtype == 1 && a.rr[0].len == 32 &&
	    memcmp(a.rr[0].data, hash, 32) == 0, "TLSA: fields and data");
	ok(a.ad, "AD bit read");

	/* CNAME chain, out of order, with a stray record beside it */
	answer(p, 0, 4, 0, "www.example.test", DNS_T_A);
	rr_a(p, "b.example.test", "192.0.2.9", 50);
	rr_name(p, "a.example.test", DNS_T_CNAME, "b.example.test", 40);
	rr_name(p, NULL, DNS_T_CNAME, "a.example.test", 300);
	rr_a(p, "other.example.test", "192.0.2.66", 300);
	is_int(parse(p, "www.example.test", DNS_T_A, &a), DNS_OK,
	    "CNAME: followed");
	is_str(a.canon, "b.example.test", "CNAME: canonical name");
	ok(a.n == 1 && a.rr[0].data[3] == 9, "CNAME: the chain's end only");
	is_int(a.ttl, 40, "CNAME: TTL the chain's smallest");
	is_int(a.cname_ttl, 40, "CNAME: the chain's own TTL");
	ok(!a.ad, "no AD bit");

	/* a chain to nowhere */
	answer(p, 0, 1, 0, "www.example.test", DNS_T_A);
	rr_name(p, NULL, DNS_T_CNAME, "gone.example.test", 300);
	is_int(parse(p, "www.example.test", DNS_T_A, &a), DNS_NODATA,
	    "CNAME: without the target's records, NODATA");
	/* a CNAME loop is bounded */
	answer(p, 0, 2, 0, "l1.example.test", DNS_T_A);
	rr_name(p, NULL, DNS_T_CNAME, "l2.example.test", 300);
	rr_name(p, "l2.example.test", DNS_T_CNAME, "l1.example.test", 300);
	is_int(parse(p, "l1.example.test", DNS_T_A, &a), DNS_MALFORMED,
	    "CNAME: a loop is malformed");
	/* asking CNAME itself gives the CNAME */
	answer(p, 0, 1, 0, "www.example.test", DNS_T_CNAME);
	rr_name(p, NULL, DNS_T_CNAME, "a.example.test", 300);
	is_int(parse(p, "www.example.test", DNS_T_CNAME, &a), DNS_OK,
	    "CNAME asked: ok");
	ok(a.n == 1 && strcmp(a.rr[0].target, "a.example.test") == 0,
	    "CNAME asked: target");

	/* escapes keep control bytes out of names */
	answer(p, 0, 1, 0, "1.2.0.192.in-addr.arpa", DNS_T_PTR);
	at = rr(p, NULL, DNS_T_PTR, 300);
	p8(p, 5);
	pbytes(p, "a\x07.b(", 5);
	pname(p, "test");
	rr_end(p, at);
	is_int(parse(p, "1.2.0.192.in-addr.arpa", DNS_T_PTR, &a), DNS_OK,
	    "escapes: ok");
	ok(a.n == 1 && strcmp(a.rr[0].target, "a\\007\\046b(.test") == 0,
	    "escapes: \\DDD for a control byte and a dot in a label");
	dns_answer_free(&a);
	free(p);
}

static void
test_negative(void)
{
	struct pkt *p = malloc(sizeof *p);
	struct dns_answer a = { 0 };

	answer(p, 3, 0, 1, "nx.example.test", DNS_T_MX);
	rr_soa(p, "example.test", 3600, 300);
	is_int(parse(p, "nx.example.test", DNS_T_MX, &a), DNS_NXDOMAIN,
	    "NXDOMAIN");
	is_int(a.ttl, 300, "NXDOMAIN: TTL the SOA MINIMUM when smaller");
	is_int(a.rcode, 3, "NXDOMAIN: rcode");

	answer(p, 0, 0, 1, "example.test", DNS_T_TLSA);
	rr_soa(p, "example.test", 60, 300);
	is_int(parse(p, "example.test", DNS_T_TLSA, &a), DNS_NODATA,
	    "NODATA");
	is_int(a.ttl, 60, "NODATA: TTL the SOA's own when smaller");

	answer(p, 0, 0, 0, "example.test", DNS_T_TLSA);
	is_int(parse(p, "example.test", DNS_T_TLSA, &a), DNS_NODATA,
	    "NODATA without SOA");
	is_int(a.ttl, 0, "NODATA without SOA: not to be cached");

	answer(p, 2, 0, 0, "example.test", DNS_T_MX);
	is_int(parse(p, "example.test", DNS_T_MX, &a), DNS_TEMPFAIL,
	    "SERVFAIL: TEMPFAIL");
	answer(p, 5, 0, 0, "example.test", DNS_T_MX);
	is_int(parse(p, "example.test", DNS_T_MX, &a), DNS_TEMPFAIL,
	    "REFUSED: TEMPFAIL");
	header(p, 0x1234, 0x8182, 0, 0, 0, 0);
	is_int(parse(p, "example.test", DNS_T_MX, &a), DNS_TEMPFAIL,
	    "SERVFAIL without a question: TEMPFAIL");
	dns_answer_free(&a);
	free(p);
}

static void
test_hostile(void)
{
	struct pkt *p = malloc(sizeof *p), *q = malloc(sizeof *q);
	struct dns_answer a = { 0 };
	size_t at, i, cut;
	bool all = true;

	/* every truncation of a good answer */
	answer(p, 0, 2, 0, "example.test", DNS_T_MX);
	at = rr(p, NULL, DNS_T_MX, 300);
	p16(p, 10);
	pname(p, "mx.example.test");
	rr_end(p, at);
	rr_name(p, NULL, DNS_T_MX, ".", 300);	/* no preference: short */
	is_int(parse(p, "example.test", DNS_T_MX, &a), DNS_MALFORMED,
	    "MX rdata too short: malformed");
	answer(p, 0, 1, 1, "example.test", DNS_T_MX);
	at = rr(p, NULL, DNS_T_MX, 300);
	p16(p, 10);
	pname(p, "mx.example.test");
	rr_end(p, at);
	rr_soa(p, "example.test", 300, 300);
	is_int(parse(p, "example.test", DNS_T_MX, &a), DNS_OK, "whole: ok");
	for (cut = 0; cut < p->n; cut++) {
		enum dns_rc rc;

		*q = *p;
		q->n = cut;
		rc = parse(q, "example.test", DNS_T_MX, &a);
		if (rc != DNS_MALFORMED) {
			diag("cut at %zu: %s", cut, dns_rc_name(rc));
			all = false;
		}
	}
	ok(all, "every truncation is malformed");
	/* ... unless the server said it truncated: then try again */
	*q = *p;
	q->b[2] |= 0x02;
	q->n -= 5;
	is_int(parse(q, "example.test", DNS_T_MX, &a), DNS_OK,
	    "TC: the answer section whole, the authority cut: ok");
	q->n = 40;
	is_int(parse(q, "example.test", DNS_T_MX, &a), DNS_TEMPFAIL,
	    "TC: the answer section cut: TEMPFAIL");

	*q = *p;
	q->b[0] = 0x99;
	is_int(parse(q, "example.test", DNS_T_MX, &a), DNS_MALFORMED,
	    "wrong ID");
	is_int(dns_parse(q->b, q->n, -1, "example.test", DNS_T_MX, &a),
	    DNS_OK, "ID not checked when c-ares did");
	*q = *p;
	q->b[2] &= 0x7f;
	is_int(parse(q, "example.test", DNS_T_MX, &a), DNS_MALFORMED,
	    "a query, not an answer");
	is_int(parse(p, "other.test", DNS_T_MX, &a), DNS_MALFORMED,
	    "answer to another name");
	is_int(parse(p, "example.test", DNS_T_A, &a), DNS_MALFORMED,
	    "answer to another type");
	is_int(dns_parse(p->b, DNS_ANSWER_MAX + 1, 0x1234, "example.test",
	    DNS_T_MX, &a), DNS_MALFORMED, "over DNS_ANSWER_MAX");

	/* a pointer to itself, and one forwards */
	answer(p, 0, 1, 0, "example.test", DNS_T_PTR);
	at = rr(p, NULL, DNS_T_PTR, 300);
	p16(p, 0xc000 | (unsigned)p->n);
	rr_end(p, at);
	is_int(parse(p, "example.test", DNS_T_PTR, &a), DNS_MALFORMED,
	    "pointer loop");
	answer(p, 0, 1, 0, "example.test", DNS_T_PTR);
	at = rr(p, NULL, DNS_T_PTR, 300);
	p16(p, 0xc000 | (unsigned)(p->n + 2));
	pname(p, "x");
	rr_end(p, at);
	is_int(parse(p, "example.test", DNS_T_PTR, &a), DNS_MALFORMED,
	    "forward pointer");
	/* a label, then a pointer back to it: backwards, yet a loop */
	answer(p, 0, 1, 0, "example.test", DNS_T_PTR);
	at = rr(p, NULL, DNS_T_PTR, 300);
	p8(p, 3);
	pbytes(p, "abc", 3);
	p16(p, 0xc000 | (unsigned)(p->n - 4));
	rr_end(p, at);
	is_int(parse(p, "example.test", DNS_T_PTR, &a), DNS_MALFORMED,
	    "a label and a pointer back to it: bounded, malformed");
	/* a chain of DNS_PTR_MAX + 6 pointers, each to the one before,
	 * in an unknown record's data, then a PTR into its end */
	answer(p, 0, 2, 0, "example.test", DNS_T_PTR);
	at = rr(p, NULL, 99, 300);
	{
		size_t first = p->n;

		pname(p, "z");
		p16(p, 0xc000 | (unsigned)first);
		for (i = 0; i < DNS_PTR_MAX + 5; i++)
			p16(p, 0xc000 | (unsigned)(p->n - 2));
	}
	rr_end(p, at);
	{
		size_t last = p->n - 2;

		at = rr(p, NULL, DNS_T_PTR, 300);
		p16(p, 0xc000 | (unsigned)last);
		rr_end(p, at);
	}
	is_int(parse(p, "example.test", DNS_T_PTR, &a), DNS_MALFORMED,
	    "too many compression jumps");
	/* a name over 255 bytes on the wire */
	answer(p, 0, 1, 0, "example.test", DNS_T_PTR);
	at = rr(p, NULL, DNS_T_PTR, 300);
	for (i = 0; i < 5; i++) {
		p8(p, 63);
		memset(p->b + p->n, 'a', 63);
		p->n += 63;
	}
	p8(p, 0);
	rr_end(p, at);
	is_int(parse(p, "example.test", DNS_T_PTR, &a), DNS_MALFORMED,
	    "name over 255 bytes");
	/* label types 0x40 and 0x80 */
	answer(p, 0, 1, 0, "example.test", DNS_T_PTR);
	at = rr(p, NULL, DNS_T_PTR, 300);
	p8(p, 0x41);
	p8(p, 0);
	rr_end(p, at);
	is_int(parse(p, "example.test", DNS_T_PTR, &a), DNS_MALFORMED,
	    "extended label type");
	/* an A of 5 bytes, a TXT string past its record, RDLENGTH past the
	 * packet, too many records */
	answer(p, 0, 1, 0, "example.test", DNS_T_A);
	at = rr(p, NULL, DNS_T_A, 300);
	pbytes(p, "\1\2\3\4\5", 5);
	rr_end(p, at);
	is_int(parse(p, "example.test", DNS_T_A, &a), DNS_MALFORMED,
	    "A of 5 bytes");
	answer(p, 0, 1, 0, "example.test", DNS_T_TXT);
	at = rr(p, NULL, DNS_T_TXT, 300);
	p8(p, 9);
	pbytes(p, "abc", 3);
	rr_end(p, at);
	is_int(parse(p, "example.test", DNS_T_TXT, &a), DNS_MALFORMED,
	    "TXT string past its record");
	answer(p, 0, 1, 0, "example.test", DNS_T_A);
	at = rr(p, NULL, DNS_T_A, 300);
	pbytes(p, "\1\2\3\4", 4);
	p->b[at] = 0x10;
	is_int(parse(p, "example.test", DNS_T_A, &a), DNS_MALFORMED,
	    "RDLENGTH past the packet");
	answer(p, 0, DNS_RR_MAX + 1, 0, "example.test", DNS_T_A);
	for (i = 0; i <= DNS_RR_MAX; i++)
		rr_a(p, NULL, "192.0.2.1", 300);
	is_int(parse(p, "example.test", DNS_T_A, &a), DNS_MALFORMED,
	    "more than DNS_RR_MAX records");
	answer(p, 0, DNS_RR_MAX, 0, "example.test", DNS_T_A);
	for (i = 0; i < DNS_RR_MAX; i++)
		rr_a(p, NULL, "192.0.2.1", 300);
	is_int(parse(p, "example.test", DNS_T_A, &a), DNS_OK,
	    "DNS_RR_MAX records: ok");
	is_int(a.n, DNS_RR_MAX, "DNS_RR_MAX records kept");
	/* TTLs with the high bit set count as 0 (RFC 2181 8) */
	answer(p, 0, 1, 0, "example.test", DNS_T_A);
	rr_a(p, NULL, "192.0.2.1", 0x80000000u);
	is_int(parse(p, "example.test", DNS_T_A, &a), DNS_OK, "big TTL: ok");
	is_int(a.ttl, 0, "big TTL: 0");
	/* random bytes never crash */
	srandom(17);
	for (i = 0; i < 20000; i++) {
		size_t n = 12 + (size_t)random() % 200;

		answer(p, 0, 1, 1, "example.test", DNS_T_MX);
		for (size_t k = p->n; k < n; k++)
			p->b[k] = (unsigned char)random();
		p->n = n;
		(void)parse(p, "example.test", DNS_T_MX, &a);
	}
	ok(1, "20000 random answers parsed without a crash");
	dns_answer_free(&a);
	free(p);
	free(q);
}

int
main(void)
{
	test_query();
	test_names();
	test_types();
	test_negative();
	test_hostile();
	return done_testing();
}
