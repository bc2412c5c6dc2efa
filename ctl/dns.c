/*
 * dns - roostctl dns: ask DNS as the daemons do (lib/dns, with
 * dns_servers and dns_timeout of roost.conf, through the same cache),
 * to see what a daemon would see.
 *
 *   dns lookup TYPE NAME [TYPE NAME]...   answers, record by record
 *   dns mx DOMAIN                         the hosts mail would try
 *   dns addrs HOST                        IPv6 and IPv4 addresses
 *   dns fcrdns IP                         the name Received would show
 *
 * Each ends with "; N queries": lookups the cache did not answer.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "dns_conf.h"

/* print_text - bytes with anything unprintable, " and \ as \DDD. */
static void
print_text(const unsigned char *p, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '"' || p[i] == '\\')
			printf("\\%03u", p[i]);
		else
			putchar(p[i]);
	putchar('"');
}

static void
print_rr(const struct dns_rr *rr)
{
	char ip[INET6_ADDRSTRLEN];

	printf("  %s %u ", dns_type_name(rr->type), (unsigned)rr->ttl);
	switch (rr->type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		inet_ntop(rr->type == DNS_T_A ? AF_INET : AF_INET6, rr->data,
		    ip, sizeof ip);
		printf("%s", ip);
		break;
	case DNS_T_MX:
		printf("%u %s", rr->pref, rr->target);
		break;
	case DNS_T_TXT:
		print_text(rr->data, rr->len);
		break;
	case DNS_T_TLSA:
		printf("%u %u %u ", rr->usage, rr->selector, rr->mtype);
		for (size_t i = 0; i < rr->len; i++)
			printf("%02x", rr->data[i]);
		break;
	default:
		printf("%s", rr->target ? rr->target : "");
		break;
	}
	putchar('\n');
}

static int
lookup(struct dns_resolver *r, int argc, char **argv)
{
	int rc = 0;

	if (argc < 2 || argc % 2 != 0)
		return 100;
	for (int i = 0; i < argc; i += 2) {
		unsigned type = dns_type_code(argv[i]);
		struct dns_answer a;

		if (type == 0) {
			fprintf(stderr, "roostctl: dns: unknown type %s\n",
			    argv[i]);
			return 100;
		}
		(void)dns_lookup(r, argv[i + 1], type, DNS_F_DO, &a);
		printf("%s %s: %s ttl=%u%s\n", dns_type_name(type), argv[i + 1],
		    dns_rc_name(a.rc), (unsigned)a.ttl, a.ad ? " ad" : "");
		if (a.canon && a.rc == DNS_OK)
			printf("  canonical %s\n", a.canon);
		for (size_t k = 0; k < a.n; k++)
			print_rr(&a.rr[k]);
		if (a.rc != DNS_OK)
			rc = 1;
		dns_answer_free(&a);
	}
	return rc;
}

static int
mx(struct dns_resolver *r, const char *domain)
{
	struct dns_mx_list l;
	enum dns_rc rc = dns_mx_hosts(r, domain, NULL, NULL, &l);

	printf("MX %s: %s%s%s\n", domain, dns_rc_name(l.rc),
	    l.implicit ? " implicit" : "", l.null_mx ? " null" : "");
	for (size_t i = 0; i < l.n; i++)
		printf("  %u %s\n", l.v[i].pref, l.v[i].host);
	dns_mx_list_free(&l);
	return rc == DNS_OK ? 0 : 1;
}

static int
addrs(struct dns_resolver *r, const char *host)
{
	struct dns_addr_list l;
	char ip[INET6_ADDRSTRLEN];
	enum dns_rc rc = dns_addrs(r, host, &l);

	printf("addresses %s: %s\n", host, dns_rc_name(rc));
	for (size_t i = 0; i < l.n; i++)
		printf("  %s\n", inet_ntop(l.v[i].family, l.v[i].a, ip,
		    sizeof ip));
	dns_addr_list_free(&l);
	return rc == DNS_OK ? 0 : 1;
}

static int
fcrdns(struct dns_resolver *r, const char *ip)
{
	struct str name = STR_INIT;
	enum dns_rc rc = dns_fcrdns(r, ip, &name);

	printf("fcrdns %s: %s %s\n", ip, dns_rc_name(rc), name.s);
	str_free(&name);
	return rc == DNS_OK ? 0 : 1;
}

int
ctl_cmd_dns(struct ctl *c, int argc, char **argv)
{
	struct dns_resolver *r;
	int rc = 100;

	(void)c;
	if (argc < 2)
		return 100;
	if ((r = dns_open_cfg(false)) == NULL)
		return 111;
	if (strcmp(argv[0], "lookup") == 0)
		rc = lookup(r, argc - 1, argv + 1);
	else if (argc == 2 && strcmp(argv[0], "mx") == 0)
		rc = mx(r, argv[1]);
	else if (argc == 2 && strcmp(argv[0], "addrs") == 0)
		rc = addrs(r, argv[1]);
	else if (argc == 2 && strcmp(argv[0], "fcrdns") == 0)
		rc = fcrdns(r, argv[1]);
	if (rc != 100)
		printf("; %lu queries\n", dns_queries(r));
	dns_close(&r);
	return rc;
}
