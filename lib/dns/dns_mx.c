/*
 * dns_mx - the questions mail asks of DNS (dns.h): where a domain's
 * mail goes (RFC 5321 5.1, RFC 7505), the addresses of a host, and the
 * forward-confirmed name of a client address for Received.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "dns.h"

/* PTR names tried, as RFC 8601 3.5 allows */
#define FCRDNS_NAMES 10

/* sys_rand - glibc's arc4random: seeded by the kernel, so workers
 * forked from one master do not all pick the same host */
static unsigned
sys_rand(void *arg, unsigned n)
{
	(void)arg;
	return arc4random_uniform(n);
}

void
dns_mx_list_free(struct dns_mx_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].host);
	free(l->v);
	memset(l, 0, sizeof *l);
}

enum dns_rc
dns_mx_from_answer(const struct dns_answer *a, const char *domain,
    dns_rand *rng, void *rng_arg, struct dns_mx_list *out)
{
	size_t i, j, nul = 0;

	memset(out, 0, sizeof *out);
	if (rng == NULL)
		rng = sys_rand;
	switch (a->rc) {
	case DNS_OK:
		break;
	case DNS_NODATA:
		/* RFC 5321 5.1: no MX, the domain is its own exchanger */
		out->implicit = true;
		out->v = xcalloc(1, sizeof *out->v);
		out->v[0].host = xstrdup(domain);
		out->n = 1;
		return out->rc = DNS_OK;
	case DNS_NXDOMAIN:
		return out->rc = DNS_NXDOMAIN;
	default:
		return out->rc = DNS_TEMPFAIL;
	}
	out->v = xcalloc(a->n, sizeof *out->v);
	for (i = 0; i < a->n; i++) {
		/* RFC 7505 3: "." is no exchanger; alone, it says the
		 * domain takes no mail */
		if (strcmp(a->rr[i].target, ".") == 0) {
			nul++;
			continue;
		}
		/* insertion by preference, stable */
		for (j = out->n; j > 0 && out->v[j - 1].pref > a->rr[i].pref;
		    j--)
			out->v[j] = out->v[j - 1];
		out->v[j].pref = a->rr[i].pref;
		out->v[j].host = xstrdup(a->rr[i].target);
		out->n++;
	}
	if (out->n == 0 && nul > 0)
		out->null_mx = true;
	/* RFC 5321 5.1: equal preferences in random order (Fisher-Yates
	 * within each run) */
	for (i = 0; i < out->n; i = j) {
		for (j = i + 1; j < out->n && out->v[j].pref == out->v[i].pref;
		    j++)
			;
		for (size_t k = j - i; k > 1; k--) {
			size_t m = i + rng(rng_arg, (unsigned)k);
			struct dns_mx t = out->v[i + k - 1];

			out->v[i + k - 1] = out->v[m];
			out->v[m] = t;
		}
	}
	return out->rc = DNS_OK;
}

enum dns_rc
dns_mx_hosts(struct dns_resolver *r, const char *domain, dns_rand *rng,
    void *rng_arg, struct dns_mx_list *out)
{
	struct dns_answer a;
	enum dns_rc rc;

	(void)dns_lookup(r, domain, DNS_T_MX, 0, &a);
	rc = dns_mx_from_answer(&a, domain, rng, rng_arg, out);
	dns_answer_free(&a);
	return rc;
}

void
dns_addr_list_free(struct dns_addr_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

struct both {
	struct dns_answer a6, a4;
};

static void
keep6(void *arg, const struct dns_answer *a)
{
	dns_answer_copy(&((struct both *)arg)->a6, a);
}

static void
keep4(void *arg, const struct dns_answer *a)
{
	dns_answer_copy(&((struct both *)arg)->a4, a);
}

static void
add_addrs(struct dns_addr_list *l, const struct dns_answer *a, int family)
{
	if (a->rc != DNS_OK)
		return;
	l->v = xreallocarray(l->v, l->n + a->n, sizeof *l->v);
	for (size_t i = 0; i < a->n; i++) {
		memset(&l->v[l->n], 0, sizeof l->v[l->n]);
		l->v[l->n].family = family;
		memcpy(l->v[l->n].a, a->rr[i].data, a->rr[i].len);
		l->n++;
	}
}

static enum dns_rc
addrs_until(struct dns_resolver *r, const char *host,
    struct dns_addr_list *out, int64_t deadline)
{
	struct both b;
	enum dns_rc r6, r4;

	memset(out, 0, sizeof *out);
	memset(&b, 0, sizeof b);
	b.a6.rc = b.a4.rc = DNS_TEMPFAIL;
	/* both questions at once: one round trip, not two */
	dns_query(r, host, DNS_T_AAAA, 0, keep6, &b);
	dns_query(r, host, DNS_T_A, 0, keep4, &b);
	dns_wait(r, deadline);
	add_addrs(out, &b.a6, AF_INET6);
	add_addrs(out, &b.a4, AF_INET);
	r6 = b.a6.rc;
	r4 = b.a4.rc;
	dns_answer_free(&b.a6);
	dns_answer_free(&b.a4);
	if (out->n > 0)
		return out->rc = DNS_OK;
	if (r6 == DNS_TEMPFAIL || r6 == DNS_MALFORMED ||
	    r4 == DNS_TEMPFAIL || r4 == DNS_MALFORMED)
		return out->rc = DNS_TEMPFAIL;
	if (r6 == DNS_NXDOMAIN || r4 == DNS_NXDOMAIN)
		return out->rc = DNS_NXDOMAIN;
	return out->rc = DNS_NODATA;
}

enum dns_rc
dns_addrs(struct dns_resolver *r, const char *host, struct dns_addr_list *out)
{
	return addrs_until(r, host, out, buf_now_ms() + dns_timeout_ms(r));
}

/* hostname_ok - a name fit for a Received header: letters, digits,
 * hyphens, underscores and dots, nothing that could end the comment
 * it stands in. */
static bool
hostname_ok(const char *s)
{
	return *s != '\0' && strcmp(s, ".") != 0 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(s);
}

enum dns_rc
dns_fcrdns(struct dns_resolver *r, const char *ip, struct str *name)
{
	int64_t deadline = buf_now_ms() + dns_timeout_ms(r);
	struct str rev = STR_INIT;
	struct dns_answer ptr;
	unsigned char want[16];
	int family = AF_INET;
	enum dns_rc rc;

	str_copys(name, "unknown");
	if (inet_pton(AF_INET, ip, want) != 1) {
		if (inet_pton(AF_INET6, ip, want) != 1)
			return DNS_MALFORMED;
		family = AF_INET6;
		/* an IPv4 client on an IPv6 socket */
		if (memcmp(want, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(want, want + 12, 4);
			family = AF_INET;
		}
	}
	{
		char text[INET6_ADDRSTRLEN];

		inet_ntop(family, want, text, sizeof text);
		(void)dns_reverse_name(text, &rev);
	}
	rc = dns_lookup_until(r, rev.s, DNS_T_PTR, 0, &ptr, deadline);
	str_free(&rev);
	if (rc != DNS_OK) {
		dns_answer_free(&ptr);
		return rc == DNS_MALFORMED ? DNS_TEMPFAIL : rc;
	}
	rc = DNS_NODATA;
	for (size_t i = 0; i < ptr.n && i < FCRDNS_NAMES && rc != DNS_OK;
	    i++) {
		struct dns_addr_list l;

		if (!hostname_ok(ptr.rr[i].target))
			continue;
		if (addrs_until(r, ptr.rr[i].target, &l, deadline) ==
		    DNS_TEMPFAIL && rc == DNS_NODATA)
			rc = DNS_TEMPFAIL;
		for (size_t k = 0; k < l.n; k++)
			if (l.v[k].family == family && memcmp(l.v[k].a, want,
			    family == AF_INET ? 4 : 16) == 0) {
				str_copys(name, ptr.rr[i].target);
				rc = DNS_OK;
				break;
			}
		dns_addr_list_free(&l);
	}
	dns_answer_free(&ptr);
	return rc;
}
