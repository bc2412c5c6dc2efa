/*
 * dns_conf - a DNS resolver (lib/dns) set up from roost.conf:
 * dns_servers and dns_timeout (roost.conf(5), "DNS").
 */
#ifndef ROOST_DNS_CONF_H
#define ROOST_DNS_CONF_H

#include "dns.h"

#define DNS_CONF_CACHE 1000	/* answers kept per process */

/* dns_conf_from_cfg - c from the configuration (checked at load). */
void dns_conf_from_cfg(struct dns_conf *c);
/* dns_open_cfg - a resolver so configured; NULL after logging why. */
struct dns_resolver *dns_open_cfg(bool udp_only);

#endif
