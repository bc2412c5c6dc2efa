/*
 * dns_conf - the resolver's settings from roost.conf (dns_conf.h).
 */
#include <string.h>

#include "cfg.h"
#include "dns_conf.h"
#include "log.h"

void
dns_conf_from_cfg(struct dns_conf *c)
{
	struct str err = STR_INIT;

	memset(c, 0, sizeof *c);
	if (dns_servers_parse(var_dns_servers, c->servers, &c->nservers,
	    &err) < 0)
		log_panic("dns_servers: %s", err.s);	/* cfg checked it */
	str_free(&err);
	c->timeout_ms = (int)var_dns_timeout * 1000;
	c->cache_max = DNS_CONF_CACHE;
}

struct dns_resolver *
dns_open_cfg(bool udp_only)
{
	struct dns_conf c;
	struct dns_resolver *r;
	struct str err = STR_INIT;

	dns_conf_from_cfg(&c);
	c.udp_only = udp_only;
	if ((r = dns_open(&c, &err)) == NULL)
		log_error("dns: %s", err.s);
	str_free(&err);
	return r;
}
