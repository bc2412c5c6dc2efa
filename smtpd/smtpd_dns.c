/*
 * smtpd_dns - the client's name for Received: first the hosts file, as
 * the system's resolver does (files before dns) and so Postfix does,
 * then forward-confirmed reverse DNS (the PTR names of its address, one
 * of whose A or AAAA records is that address); "unknown" otherwise.
 * The hosts file first also keeps a loopback client (127.0.0.1 is in
 * every /etc/hosts) from costing a query to the outside.
 *
 * One resolver per worker, made at its first session and kept, so its
 * cache serves the next sessions (a busy client is looked up once per
 * TTL, not once per connection).  The whole lookup ends by dns_timeout:
 * a dead DNS server delays the greeting by that much at most.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns_conf.h"
#include "log.h"
#include "smtpd.h"

#define HOSTS_FILE "/etc/hosts"

/* addr_bytes - ip as 16 bytes (IPv4 mapped), or -1. */
static int
addr_bytes(const char *ip, unsigned char out[16])
{
	unsigned char v4[4];

	if (inet_pton(AF_INET6, ip, out) == 1)
		return 0;
	if (inet_pton(AF_INET, ip, v4) != 1)
		return -1;
	memcpy(out, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
	memcpy(out + 12, v4, 4);
	return 0;
}

/* hosts_name - the first name the hosts file gives ip: 0, or -1. */
static int
hosts_name(const char *ip, struct str *name)
{
	unsigned char want[16], have[16];
	char line[1024], *addr, *host, *save;
	FILE *f;
	int rc = -1;

	if (addr_bytes(ip, want) < 0 || (f = fopen(HOSTS_FILE, "re")) == NULL)
		return -1;
	while (rc < 0 && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "#\n")] = '\0';
		if ((addr = strtok_r(line, " \t", &save)) == NULL ||
		    (host = strtok_r(NULL, " \t", &save)) == NULL ||
		    addr_bytes(addr, have) < 0 || memcmp(want, have, 16) != 0)
			continue;
		if (strspn(host, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(host))
			continue;	/* nothing a header cannot carry */
		str_copys(name, host);
		rc = 0;
	}
	fclose(f);
	return rc;
}

void
smtpd_client_name(struct smtpd *st)
{
	static struct dns_resolver *dns;
	static bool failed;
	enum dns_rc rc;

	str_copys(&st->client_name, "unknown");
	if (st->local || hosts_name(st->ss.peer.s, &st->client_name) == 0 ||
	    failed)
		return;
	/* UDP only: the worker's seccomp filter has no TCP (sandbox.h) */
	if (dns == NULL && (dns = dns_open_cfg(true)) == NULL) {
		failed = true;	/* logged; every name stays unknown */
		return;
	}
	rc = dns_fcrdns(dns, st->ss.peer.s, &st->client_name);
	if (rc == DNS_TEMPFAIL)
		log_info("reverse dns from=%s: temporary failure, name "
		    "unknown", st->ss.peer.s);
}
