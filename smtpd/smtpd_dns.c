/*
 * smtpd_dns - the client's name for Received: forward-confirmed
 * reverse DNS (the PTR names of its address, one of whose A or AAAA
 * records is that address), "unknown" otherwise, as Postfix does.
 *
 * One resolver per worker, made at its first session and kept, so its
 * cache serves the next sessions (a busy client is looked up once per
 * TTL, not once per connection).  The whole lookup ends by dns_timeout:
 * a dead DNS server delays the greeting by that much at most.
 */
#include <string.h>

#include "dns_conf.h"
#include "log.h"
#include "smtpd.h"

void
smtpd_client_name(struct smtpd *st)
{
	static struct dns_resolver *dns;
	static bool failed;
	enum dns_rc rc;

	str_copys(&st->client_name, "unknown");
	if (st->local || failed)
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
