/*
 * resolve_conf - the resolver's settings from roost.conf (resolve.h):
 * the one place resolution reads configuration; resolve.c takes them
 * in struct resolve_conf.
 */
#include "cfg.h"
#include "daemon.h"
#include "resolve.h"

void
resolve_conf_from_cfg(struct resolve_conf *c)
{
	c->base_dir = var_base_dir;
	c->data_dir = var_data_dir;
	c->alias_maps = var_alias_maps;
	c->virtual_alias_maps = var_virtual_alias_maps;
	c->hostname = daemon_hostname();
	c->mydestination = var_mydestination;
	c->recipient_delimiter = var_recipient_delimiter;
	c->default_privs = var_default_privs;
	c->local_system_users = var_local_system_users;
	c->allow_commands = var_allow_mail_to_commands;
	c->allow_files = var_allow_mail_to_files;
	c->allow_includes = var_allow_mail_to_includes;
}

struct resolver *
resolver_open_cfg(void)
{
	struct resolve_conf c;

	resolve_conf_from_cfg(&c);
	return resolver_open(&c);
}
