/*
 * login_conf - the login split's settings from roost.conf: where authd
 * and the daemons are for a login process, and who may hand sessions
 * over to a daemon (login_user).
 */
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "login.h"
#include "priv.h"

static bool login_confined;

bool
login_is_confined(void)
{
	return login_confined;
}

void
login_configure(bool confined)
{
	static struct str path = STR_INIT;

	login_confined = confined;
	daemon_login_path("auth", confined, &path);
	authc_set_socket(path.s);
	authc_want_ticket(true);
}

bool
login_peer_ok(uid_t uid)
{
	static bool known;
	static uid_t login_uid;
	struct str err = STR_INIT;
	gid_t gid;

	if (uid == 0 || uid == geteuid())
		return true;
	if (!known) {
		if (priv_lookup(var_login_user, &login_uid, &gid, &err) < 0) {
			log_warn("login_user: %s", err.s);
			login_uid = 0;
		}
		known = true;
	}
	str_free(&err);
	return login_uid != 0 && uid == login_uid;
}
