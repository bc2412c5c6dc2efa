/*
 * daemon_run - start-up steps shared by the session daemons: the
 * directory of their session-count locks, and for those that serve the
 * store to users (imapd, popd) the check that they run as its owner,
 * and the folder of the login processes' sockets; see daemon.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "priv.h"
#include "slots.h"

/* The slot folders this daemon made, open for daemon_sweep_slots (a
 * chrooted login process keeps reaching its own this way). */
#define SLOT_DIRS_MAX 4
static int slot_dirs[SLOT_DIRS_MAX];
static size_t nslot_dirs;

void
daemon_sweep_slots(void)
{
	for (size_t i = 0; i < nslot_dirs; i++) {
		int n = slot_sweep(slot_dirs[i]);

		if (n > 0)
			log_debug("swept %d unused session slot files", n);
	}
}

void
daemon_run_subdir(const struct daemon *d, const char *name,
    const char *user_key)
{
	struct str dir = STR_INIT, err = STR_INIT;
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (priv_is_root() &&
	    priv_lookup(cfg_str(user_key), &uid, &gid, &err) < 0)
		log_fatal_config("%s: %s: %s", d->conf, user_key, err.s);
	str_copyf(&dir, "%s/%s", var_run_dir, name ? name : d->prog);
	if (mkdir(dir.s, 0700) < 0 && errno != EEXIST)
		log_fatal("mkdir %s: %s", dir.s, strerror(errno));
	if (priv_is_root() && chown(dir.s, uid, gid) < 0)
		log_fatal("chown %s: %s", dir.s, strerror(errno));
	if (nslot_dirs < SLOT_DIRS_MAX &&
	    (slot_dirs[nslot_dirs] = open(dir.s, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0)
		nslot_dirs++;
	str_free(&dir);
	str_free(&err);
}

void
daemon_store_prepare(const struct daemon *d, const char *user_key)
{
	struct str err = STR_INIT;
	uid_t uid, store_uid;
	gid_t gid, store_gid;

	if (priv_is_root()) {
		if (priv_lookup(cfg_str(user_key), &uid, &gid, &err) < 0)
			log_fatal_config("%s: %s: %s", d->conf, user_key,
			    err.s);
		if (priv_lookup(var_lmtpd_user, &store_uid, &store_gid,
		    &err) < 0)
			log_fatal_config("%s: lmtpd_user: %s", d->conf, err.s);
		if (uid != store_uid)
			log_fatal_config("%s: %s: must be the store's owner, "
			    "lmtpd_user (%s)", d->conf, user_key,
			    var_lmtpd_user);
	}
	str_free(&err);
	daemon_run_subdir(d, NULL, user_key);
}

/* login_dir_path - run_dir/login_dir (login_dir may be absolute). */
static void
login_dir_path(struct str *out)
{
	if (var_login_dir[0] == '/')
		str_copys(out, var_login_dir);
	else
		str_copyf(out, "%s/%s", var_run_dir, var_login_dir);
}

void
daemon_login_dir(const struct daemon *d)
{
	struct str dir = STR_INIT;
	struct stat sb;

	(void)d;
	login_dir_path(&dir);
	if (mkdir(dir.s, 0755) < 0 && errno != EEXIST)
		log_fatal("mkdir %s: %s", dir.s, strerror(errno));
	/* A chroot that its prisoner could write to is no chroot. */
	if (priv_is_root() && (lstat(dir.s, &sb) < 0 || !S_ISDIR(sb.st_mode) ||
	    ((sb.st_uid != 0 || (sb.st_mode & 022) != 0) &&
	    (chown(dir.s, 0, 0) < 0 || chmod(dir.s, 0755) < 0))))
		log_fatal("%s: cannot make it root's: %s", dir.s,
		    strerror(errno));
	str_free(&dir);
}

void
daemon_login_path(const char *name, bool confined, struct str *out)
{
	if (confined)
		str_copyf(out, "/%s", name);
	else {
		login_dir_path(out);
		str_catf(out, "/%s", name);
	}
}
