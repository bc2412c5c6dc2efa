/*
 * dns_parse - DNS messages (RFC 1035 4) without c-ares: building a
 * query with EDNS0 (RFC 6891) and parsing the raw answer to it.
 *
 * The answer comes from the network, so every length is checked
 * against what is left of the packet, a name is followed through at
 * most DNS_PTR_MAX compression pointers, each pointing before itself
 * (RFC 1035 4.1.4: to a prior occurrence), and its wire form stays
 * within 255 bytes (RFC 1035 2.3.4); the count and the length bound
 * any loop the labels between pointers could still make.  Names come
 * out in text, lowercased; a byte that is not printable, a dot or a
 * backslash inside a label comes out as \DDD, so no control byte
 * reaches a log or a header.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dns.h"

#define HDR_LEN 12
#define WIRE_NAME_MAX 255
#define TEXT_NAME_MAX (WIRE_NAME_MAX * 4 + 1)
#define CNAME_HOPS 16		/* longest chain followed in one answer */
#define EDNS_PAYLOAD 1232	/* the DNS flag day 2020 size */

#define F_QR 0x8000
#define F_TC 0x0200
#define F_RD 0x0100
#define F_AD 0x0020
#define OPCODE(f) (((f) >> 11) & 0xf)
#define RCODE(f) ((f) & 0xf)
#define C_IN 1

static const struct {
	unsigned code;
	const char *name;
} types[] = {
	{ DNS_T_A, "A" }, { DNS_T_NS, "NS" }, { DNS_T_CNAME, "CNAME" },
	{ DNS_T_SOA, "SOA" }, { DNS_T_PTR, "PTR" }, { DNS_T_MX, "MX" },
	{ DNS_T_TXT, "TXT" }, { DNS_T_AAAA, "AAAA" }, { DNS_T_TLSA, "TLSA" },
};

const char *
dns_rc_name(enum dns_rc rc)
{
	switch (rc) {
	case DNS_OK: return "OK";
	case DNS_NXDOMAIN: return "NXDOMAIN";
	case DNS_NODATA: return "NODATA";
	case DNS_TEMPFAIL: return "TEMPFAIL";
	case DNS_MALFORMED: return "MALFORMED";
	}
	return "?";
}

const char *
dns_type_name(unsigned type)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].code == type)
			return types[i].name;
	return "?";
}

unsigned
dns_type_code(const char *name)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(types[i].name, name) == 0)
			return types[i].code;
	return 0;
}

void
dns_answer_free(struct dns_answer *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->rr[i].target);
		free(a->rr[i].data);
	}
	free(a->rr);
	free(a->canon);
	memset(a, 0, sizeof *a);
}

static unsigned char *
memdup0(const unsigned char *p, size_t n)
{
	unsigned char *d = xmalloc(size_add(n, 1));

	if (n > 0)
		memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

void
dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src)
{
	*dst = *src;
	dst->canon = src->canon ? xstrdup(src->canon) : NULL;
	dst->rr = src->n ? xreallocarray(NULL, src->n, sizeof *dst->rr) : NULL;
	for (size_t i = 0; i < src->n; i++) {
		dst->rr[i] = src->rr[i];
		if (src->rr[i].target)
			dst->rr[i].target = xstrdup(src->rr[i].target);
		if (src->rr[i].data)
			dst->rr[i].data = memdup0(src->rr[i].data,
			    src->rr[i].len);
	}
}

/* ldh - a byte a name may hold as it is in text. */
static bool
plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
}

int
dns_name_norm(const char *name, struct str *out)
{
	size_t n = strlen(name), label = 0;

	str_clear(out);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 && name[0] == '.') {
		str_copys(out, ".");
		return 0;
	}
	if (n == 0 || n > DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (!plain(c) || ++label > 63)
			return -1;
		str_catc(out, (char)tolower(c));
	}
	return 0;
}

int
dns_reverse_name(const char *ip, struct str *out)
{
	unsigned char a[16];
	static const char hex[] = "0123456789abcdef";

	str_clear(out);
	if (inet_pton(AF_INET, ip, a) == 1) {
		str_catf(out, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
		    a[0]);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a) != 1)
		return -1;
	for (int i = 15; i >= 0; i--) {
		str_catc(out, hex[a[i] & 0xf]);
		str_catc(out, '.');
		str_catc(out, hex[a[i] >> 4]);
		str_catc(out, '.');
	}
	str_cats(out, "ip6.arpa");
	return 0;
}

static void
put16(struct str *out, unsigned v)
{
	str_catc(out, (char)(v >> 8));
	str_catc(out, (char)(v & 0xff));
}

int
dns_query_build(const char *name, unsigned type, unsigned flags,
    struct str *out)
{
	struct str norm = STR_INIT;
	const char *p, *dot;

	str_clear(out);
	if (dns_name_norm(name, &norm) < 0) {
		str_free(&norm);
		return -1;
	}
	put16(out, 0);		/* id: c-ares sets its own */
	put16(out, F_RD);
	put16(out, 1);		/* QDCOUNT */
	put16(out, 0);
	put16(out, 0);
	put16(out, 1);		/* ARCOUNT: the OPT record */
	for (p = norm.s; strcmp(norm.s, ".") != 0; p = dot + 1) {
		size_t l;

		dot = strchr(p, '.');
		l = dot ? (size_t)(dot - p) : strlen(p);
		str_catc(out, (char)l);
		str_catb(out, p, l);
		if (dot == NULL)
			break;
	}
	str_catc(out, 0);
	put16(out, type);
	put16(out, C_IN);
	/* OPT (RFC 6891 6.1.2): root owner, payload size as the class,
	 * extended RCODE and version 0, the DO bit (RFC 3225) */
	str_catc(out, 0);
	put16(out, DNS_T_OPT);
	put16(out, EDNS_PAYLOAD);
	put16(out, 0);
	put16(out, flags & DNS_F_DO ? 0x8000 : 0);
	put16(out, 0);
	str_free(&norm);
	return 0;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * get_name - the name at off into out (TEXT_NAME_MAX bytes); *end is
 * where the name ends in place (after its first pointer, if any).
 * 0 or -1.
 */
static int
get_name(const unsigned char *b, size_t len, size_t off, size_t *end,
    char *out)
{
	size_t pos = off, wire = 1, o = 0;
	unsigned jumps = 0;
	bool jumped = false;

	for (;;) {
		unsigned c;

		if (pos >= len)
			return -1;
		c = b[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= len || ++jumps > DNS_PTR_MAX)
				return -1;
			to = (size_t)(c & 0x3f) << 8 | b[pos + 1];
			/* only backwards, to a prior occurrence */
			if (to >= pos)
				return -1;
			if (!jumped)
				*end = pos + 2;
			jumped = true;
			pos = to;
			continue;
		}
		if ((c & 0xc0) != 0)
			return -1;	/* 0x40, 0x80: no such label types */
		if (c == 0) {
			if (!jumped)
				*end = pos + 1;
			break;
		}
		if (pos + 1 + c > len || (wire += c + 1) > WIRE_NAME_MAX)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (size_t i = 0; i < c; i++) {
			unsigned char ch = b[pos + 1 + i];

			if (plain(ch))
				out[o++] = (char)tolower(ch);
			else
				o += (size_t)snprintf(out + o, 5, "\\%03u", ch);
		}
		pos += 1 + c;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return 0;
}

/* One record as it sits in the packet. */
struct raw_rr {
	char owner[TEXT_NAME_MAX];
	unsigned type, class;
	uint32_t ttl;
	size_t rdata, rdlen;
};

/* get_rr - the record at *off; *off moves past it.  0 or -1. */
static int
get_rr(const unsigned char *b, size_t len, size_t *off, struct raw_rr *rr)
{
	size_t p;

	if (get_name(b, len, *off, &p, rr->owner) < 0 || len - p < 10)
		return -1;
	rr->type = get16(b + p);
	rr->class = get16(b + p + 2);
	rr->ttl = get32(b + p + 4);
	if (rr->ttl > 0x7fffffff)
		rr->ttl = 0;	/* RFC 2181 8 */
	rr->rdlen = get16(b + p + 8);
	rr->rdata = p + 10;
	if (rr->rdlen > len - rr->rdata)
		return -1;
	*off = rr->rdata + rr->rdlen;
	return 0;
}

/* rdata_name - the name that is the whole rdata from at. */
static int
rdata_name(const unsigned char *b, size_t len, const struct raw_rr *rr,
    size_t at, char *out)
{
	size_t end;

	if (get_name(b, len, at, &end, out) < 0 ||
	    end != rr->rdata + rr->rdlen)
		return -1;
	return 0;
}

/* take - rr, of the asked type, into a.  0 or -1 (malformed). */
static int
take(const unsigned char *b, size_t len, const struct raw_rr *rr,
    struct dns_answer *a)
{
	const unsigned char *d = b + rr->rdata;
	char name[TEXT_NAME_MAX];
	struct dns_rr *x;
	struct str txt = STR_INIT;

	a->rr = xreallocarray(a->rr, a->n + 1, sizeof *a->rr);
	x = &a->rr[a->n];
	memset(x, 0, sizeof *x);
	x->type = (uint16_t)rr->type;
	x->ttl = rr->ttl;
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (rr->rdlen != (rr->type == DNS_T_A ? 4u : 16u))
			return -1;
		x->data = memdup0(d, rr->rdlen);
		x->len = rr->rdlen;
		break;
	case DNS_T_MX:
		if (rr->rdlen < 3 ||
		    rdata_name(b, len, rr, rr->rdata + 2, name) < 0)
			return -1;
		x->pref = (uint16_t)get16(d);
		x->target = xstrdup(name);
		break;
	case DNS_T_PTR:
	case DNS_T_CNAME:
	case DNS_T_NS:
		if (rdata_name(b, len, rr, rr->rdata, name) < 0)
			return -1;
		x->target = xstrdup(name);
		break;
	case DNS_T_TXT:
		/* character-strings, each a length byte and its bytes */
		for (size_t i = 0; i < rr->rdlen; i += 1 + (size_t)d[i]) {
			if (d[i] > rr->rdlen - i - 1) {
				str_free(&txt);
				return -1;
			}
			str_catb(&txt, d + i + 1, d[i]);
		}
		x->len = txt.len;
		x->data = memdup0((const unsigned char *)(txt.s ? txt.s : ""),
		    txt.len);
		str_free(&txt);
		break;
	case DNS_T_TLSA:
		/* RFC 6698 2.1: usage, selector, matching type, data */
		if (rr->rdlen < 4)
			return -1;
		x->usage = d[0];
		x->selector = d[1];
		x->mtype = d[2];
		x->len = rr->rdlen - 3;
		x->data = memdup0(d + 3, x->len);
		break;
	default:
		return 0;	/* a type we do not ask: never kept */
	}
	a->n++;
	return 0;
}

/* fail - a->rc = rc, nothing else kept. */
static enum dns_rc
fail(struct dns_answer *a, enum dns_rc rc)
{
	unsigned rcode = a->rcode;
	bool ad = a->ad;

	dns_answer_free(a);
	a->rc = rc;
	a->rcode = rcode;
	a->ad = ad;
	return rc;
}

enum dns_rc
dns_parse(const unsigned char *buf, size_t len, int id, const char *name,
    unsigned type, struct dns_answer *a)
{
	/* ~250 KiB, so not on the stack; the parser is not reentrant */
	static struct raw_rr ans[DNS_RR_MAX];
	struct raw_rr rr;
	struct str want = STR_INIT;
	char qname[TEXT_NAME_MAX], cur[TEXT_NAME_MAX];
	size_t off, i, nans, qd, an, ns;
	unsigned flags, hops;
	uint32_t ttl = UINT32_MAX, neg = 0;
	bool tc, have_soa = false;

	memset(a, 0, sizeof *a);
	if (len < HDR_LEN || len > DNS_ANSWER_MAX)
		return fail(a, DNS_MALFORMED);
	flags = get16(buf + 2);
	tc = (flags & F_TC) != 0;
	a->rcode = RCODE(flags);
	a->ad = (flags & F_AD) != 0;
	if ((id >= 0 && get16(buf) != (unsigned)id) || !(flags & F_QR) ||
	    OPCODE(flags) != 0)
		return fail(a, DNS_MALFORMED);
	/* RFC 1035 4.1.1: SERVFAIL, NOTIMP, REFUSED, FORMERR and the
	 * rest say nothing about the name: try later */
	if (a->rcode != 0 && a->rcode != 3)
		return fail(a, DNS_TEMPFAIL);
	qd = get16(buf + 4);
	an = get16(buf + 6);
	ns = get16(buf + 8);
	if (qd != 1 || an > DNS_RR_MAX || ns > DNS_RR_MAX)
		return fail(a, DNS_MALFORMED);
	if (dns_name_norm(name, &want) < 0 ||
	    get_name(buf, len, HDR_LEN, &off, qname) < 0 || len - off < 4 ||
	    strcmp(qname, want.s) != 0 || get16(buf + off) != type ||
	    get16(buf + off + 2) != C_IN) {
		str_free(&want);
		return fail(a, tc ? DNS_TEMPFAIL : DNS_MALFORMED);
	}
	str_free(&want);
	off += 4;
	for (nans = 0; nans < an; nans++)
		if (get_rr(buf, len, &off, &ans[nans]) < 0)
			return fail(a, tc ? DNS_TEMPFAIL : DNS_MALFORMED);
	/* the authority section: a SOA gives the negative TTL */
	for (i = 0; i < ns; i++) {
		char mname[TEXT_NAME_MAX];
		size_t p;

		if (get_rr(buf, len, &off, &rr) < 0) {
			if (tc)
				break;	/* the answer section is whole */
			return fail(a, DNS_MALFORMED);
		}
		if (rr.type != DNS_T_SOA || rr.class != C_IN)
			continue;
		/* MNAME, RNAME, then five numbers; MINIMUM last */
		if (get_name(buf, len, rr.rdata, &p, mname) < 0 ||
		    get_name(buf, len, p, &p, mname) < 0 ||
		    p + 20 != rr.rdata + rr.rdlen)
			return fail(a, DNS_MALFORMED);
		neg = get32(buf + p + 16);
		if (rr.ttl < neg)
			neg = rr.ttl;
		have_soa = true;
	}

	/* follow the CNAME chain from the name asked, as given */
	memcpy(cur, qname, sizeof cur);	/* both TEXT_NAME_MAX */
	for (hops = 0; type != DNS_T_CNAME; hops++) {
		for (i = 0; i < nans; i++)
			if (ans[i].type == DNS_T_CNAME &&
			    ans[i].class == C_IN &&
			    strcmp(ans[i].owner, cur) == 0)
				break;
		if (i == nans)
			break;
		if (hops == CNAME_HOPS ||
		    rdata_name(buf, len, &ans[i], ans[i].rdata, cur) < 0)
			return fail(a, DNS_MALFORMED);
		if (ans[i].ttl < ttl)
			ttl = ans[i].ttl;
	}
	a->canon = xstrdup(cur);
	a->cname_ttl = ttl;
	for (i = 0; i < nans; i++) {
		if (ans[i].type != type || ans[i].class != C_IN ||
		    strcmp(ans[i].owner, cur) != 0)
			continue;
		if (take(buf, len, &ans[i], a) < 0)
			return fail(a, DNS_MALFORMED);
		if (ans[i].ttl < ttl)
			ttl = ans[i].ttl;
	}
	if (a->n > 0) {
		a->rc = DNS_OK;
		a->ttl = ttl;
		return a->rc;
	}
	/* RFC 2308 5: without a SOA, a negative answer is not cached */
	a->ttl = have_soa ? (neg < ttl ? neg : ttl) : 0;
	a->rc = a->rcode == 3 ? DNS_NXDOMAIN : DNS_NODATA;
	return a->rc;
}
