/*
 * authc_conf - where authd listens, from roost.conf: the one place the
 * authd client reads configuration, so authc.c takes its socket as an
 * argument like every other lib module.
 */
#include "authc.h"
#include "cfg.h"
#include "listen.h"
#include "log.h"

void
authc_configure(void)
{
	static struct str path = STR_INIT;
	struct str err = STR_INIT;

	if (listen_unix_path("authd_listen", var_authd_listen, var_run_dir,
	    &path, &err) < 0)
		log_fatal_config("%s", err.s);
	authc_set_socket(path.s);
}
