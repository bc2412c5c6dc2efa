/*
 * login_conf - the login split's settings from roost.conf: where authd
 * and the daemons are for a login process, and who may hand sessions
 * over to a daemon (login_user).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "login.h"
#include "priv.h"

static bool login_confined;
static int slot_dir = -1;

int
login_slot_dir(void)
{
	return slot_dir;
}

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

void
login_start(struct daemon *d, const char *tls_service)
{
	static struct str jail = STR_INIT;
	struct str dir = STR_INIT;
	int dfd;

	/* The per-address slots: opened now, used from inside the jail. */
	daemon_run_subdir(d, NULL, "login_user");
	str_copyf(&dir, "%s/%s", var_run_dir, d->prog);
	dfd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		log_fatal("%s: %s", dir.s, strerror(errno));
	(void)daemon_tls(d, tls_service);
	daemon_login_dir(d);
	login_configure(priv_is_root());
	daemon_login_path("", false, &jail);
	daemon_confine(jail.s);
	str_free(&dir);
	slot_dir = dfd;
}
