/*
 * dns_servers - the value of dns_servers: "IP[:PORT], ..." (dns.h).
 * Addresses only: a server named by a host name would need DNS to
 * find DNS.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

/* one - parse the entry s (n bytes) into sv; 0 or -1. */
static int
one(const char *s, size_t n, struct dns_server *sv)
{
	char host[64], num[8];
	const char *port = NULL;
	size_t hl, pl = 0;
	unsigned long v;
	bool bracket = s[0] == '[';

	if (bracket) {
		const char *close = memchr(s, ']', n);
		size_t rest;

		if (close == NULL)
			return -1;
		hl = (size_t)(close - s) - 1;
		rest = n - (size_t)(close + 1 - s);
		if (rest > 0) {
			if (close[1] != ':')
				return -1;
			port = close + 2;
			pl = rest - 1;
		}
		s++;
	} else {
		const char *colon = memchr(s, ':', n);

		/* a bare IPv6 address has more than one colon */
		if (colon != NULL &&
		    memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) != NULL)
			colon = NULL;
		hl = colon ? (size_t)(colon - s) : n;
		if (colon) {
			port = colon + 1;
			pl = n - hl - 1;
		}
	}
	if (hl >= sizeof host)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, sv->addr) == 1 && !bracket)
		sv->family = AF_INET;
	else if (inet_pton(AF_INET6, host, sv->addr) == 1 &&
	    (bracket || port == NULL))
		sv->family = AF_INET6;
	else
		return -1;
	sv->port = 53;
	if (port == NULL)
		return 0;
	if (pl == 0 || pl >= sizeof num)
		return -1;
	memcpy(num, port, pl);
	num[pl] = '\0';
	if (strspn(num, "0123456789") != pl)
		return -1;
	v = strtoul(num, NULL, 10);
	if (v < 1 || v > 65535)
		return -1;
	sv->port = (unsigned)v;
	return 0;
}

int
dns_servers_parse(const char *value, struct dns_server *out, size_t *n,
    struct str *err)
{
	const char *p = value;

	*n = 0;
	for (;;) {
		size_t k;
		struct dns_server sv;

		p += strspn(p, " ,\t");
		if (*p == '\0')
			return 0;
		k = strcspn(p, " ,\t");
		if (*n == DNS_SERVERS_MAX) {
			str_copyf(err, "more than %d servers", DNS_SERVERS_MAX);
			return -1;
		}
		memset(&sv, 0, sizeof sv);
		if (one(p, k, &sv) < 0) {
			str_copyf(err, "\"%.*s\" is not IP, IP:PORT or "
			    "[IPV6]:PORT", (int)(k > 80 ? 80 : k), p);
			return -1;
		}
		out[(*n)++] = sv;
		p += k;
	}
}

int
dns_servers_check(const char *value, struct str *err)
{
	struct dns_server sv[DNS_SERVERS_MAX];
	size_t n;

	return dns_servers_parse(value, sv, &n, err);
}
