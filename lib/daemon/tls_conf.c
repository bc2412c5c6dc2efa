/*
 * tls_conf - a service's TLS settings from roost.conf (tls.h): the one
 * place that knows the TLS keys, so that tls.c works from a struct.
 */
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "tls.h"

/* pick - the value of "<service>_<what>" when set, else of "<what>";
 * key gets the name of the one it came from, *explicit whether it was
 * set in the file rather than left at its default. */
static const char *
pick(const char *service, const char *what, char *key, size_t keysz,
    bool *explicit)
{
	const char *v;

	snprintf(key, keysz, "%s_%s", service, what);
	if (cfg_find(key) != NULL && *(v = cfg_str(key)) != '\0') {
		*explicit = true;
		return v;
	}
	snprintf(key, keysz, "%s", what);
	*explicit = strcmp(cfg_origin(key), "default") != 0;
	return cfg_str(key);
}

void
tls_conf_from_cfg(struct tls_conf *c, const char *service)
{
	memset(c, 0, sizeof *c);
	c->service = service;
	c->cert_file = pick(service, "tls_cert_file", c->cert_key,
	    sizeof c->cert_key, &c->cert_explicit);
	c->key_file = pick(service, "tls_key_file", c->key_key,
	    sizeof c->key_key, &c->key_explicit);
	c->min_protocol = var_tls_min_protocol;
	c->max_protocol = var_tls_max_protocol;
	c->ciphers = var_tls_ciphers;
	c->ciphersuites = var_tls_ciphersuites;
	c->groups = var_tls_groups;
	c->sni_dir = var_tls_sni_dir;
	c->session_tickets = var_tls_session_tickets;
	c->handshake_timeout = var_tls_handshake_timeout;
}
