/*
 * cidr - network lists; see cidr.h.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cidr.h"

/* parse_one - one entry of len bytes at s into c; 0 or -1. */
static int
parse_one(const char *s, size_t len, struct cidr *c, struct str *err)
{
	char host[64];
	const char *orig = s, *end = s + len;
	const char *slash = memchr(s, '/', len);
	size_t hlen = slash ? (size_t)(slash - s) : len, i;
	unsigned max, bits;

	memset(c, 0, sizeof *c);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
		c->family = AF_INET6;
	}
	if (hlen == 0 || hlen >= sizeof host)
		goto bad;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (c->family == 0)
		c->family = strchr(host, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, host, c->addr) != 1)
		goto bad;
	max = c->family == AF_INET ? 32 : 128;
	bits = max;
	if (slash) {
		const char *p = slash + 1;

		if (p == end || end - p > 3)
			goto bad;
		for (bits = 0; p < end; p++) {
			if (*p < '0' || *p > '9')
				goto bad;
			bits = bits * 10 + (unsigned)(*p - '0');
		}
		if (bits > max)
			goto bad;
	}
	c->bits = bits;
	for (i = 0; i < max / 8; i++) {
		unsigned keep = bits >= (i + 1) * 8 ? 8 :
		    bits > i * 8 ? bits - i * 8 : 0;
		unsigned char mask = (unsigned char)(0xff00 >> keep);

		if (c->addr[i] & ~mask) {
			str_copyf(err, "'%.*s': host bits set beyond /%u",
			    (int)len, orig, bits);
			return -1;
		}
	}
	return 0;
bad:
	str_copyf(err, "'%.*s' is not an address or network", (int)len,
	    orig);
	return -1;
}

int
cidr_parse(const char *value, struct cidr_list *l, struct str *err)
{
	struct cidr_list nl = CIDR_LIST_INIT;
	const char *p = value;
	size_t cap = 0;

	for (;;) {
		size_t n;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t,");
		if (nl.n == cap) {
			cap = cap ? cap * 2 : 8;
			nl.v = xreallocarray(nl.v, cap, sizeof *nl.v);
		}
		if (parse_one(p, n, &nl.v[nl.n], err) < 0) {
			cidr_free(&nl);
			return -1;
		}
		nl.n++;
		p += n;
	}
	cidr_free(l);
	*l = nl;
	return 0;
}

int
cidr_check(const char *value, struct str *err)
{
	struct cidr_list l = CIDR_LIST_INIT;
	int r = cidr_parse(value, &l, err);

	cidr_free(&l);
	return r;
}

static bool
in_net(const struct cidr *c, const unsigned char *a)
{
	unsigned i, full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	i = full;
	return ((c->addr[i] ^ a[i]) & (0xff00 >> rest) & 0xff) == 0;
}

bool
cidr_match(const struct cidr_list *l, const char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };
	unsigned char a4[4], a6[16];
	int has4 = inet_pton(AF_INET, addr, a4) == 1;
	int has6 = !has4 && inet_pton(AF_INET6, addr, a6) == 1;
	size_t i;

	if (has6 && memcmp(a6, mapped, sizeof mapped) == 0) {
		memcpy(a4, a6 + 12, 4);
		has4 = 1;
	}
	for (i = 0; i < l->n; i++) {
		if (l->v[i].family == AF_INET && has4 && in_net(&l->v[i], a4))
			return true;
		if (l->v[i].family == AF_INET6 && has6 &&
		    in_net(&l->v[i], a6))
			return true;
	}
	return false;
}

void
cidr_free(struct cidr_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
