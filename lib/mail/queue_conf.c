/*
 * queue_conf - the queue's folders and who owns them (qmail's
 * qmailq/qmails split): cleanup_user owns tmp/ and incoming/, where it
 * writes; qmgr_user owns queue_dir and the rest, which only it changes.
 * Both share the queue's group, cleanup_user's primary group, which
 * must be qmgr_user's primary group too: through it qmgr reads the
 * files cleanup wrote (mode 0640), renames them out of incoming/ and
 * sweeps tmp/ (both 0770), and cleanup reaches its folders through
 * queue_dir (0750).  qmgr's own folders are 0700: a cleanup taken over
 * can neither read other messages nor change their state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "priv.h"
#include "qstatus.h"
#include "queue.h"

static const struct {
	const char *name;
	bool cleanups;		/* cleanup_user's, else qmgr_user's */
} dirs[] = {
	{ QUEUE_TMP, true }, { QUEUE_INCOMING, true },
	{ QUEUE_ACTIVE, false }, { QUEUE_DEFERRED, false },
	{ QUEUE_HOLD, false }, { QUEUE_CORRUPT, false },
	{ QSTATUS_DIR, false }, { QUEUE_REPORTS, true },
};

/* fix - path is uid:gid with mode, or is made so (logged when it
 * changes); fatal when it cannot be. */
static void
fix(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat sb;

	if (mkdir(path, mode) < 0 && errno != EEXIST)
		log_fatal("mkdir %s: %s", path, strerror(errno));
	if (lstat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
		log_fatal("%s: not a folder", path);
	if (sb.st_uid == uid && sb.st_gid == gid &&
	    (sb.st_mode & 07777) == mode)
		return;
	if (chown(path, uid, gid) < 0 || chmod(path, mode) < 0)
		log_fatal("%s: chown/chmod: %s", path, strerror(errno));
}

/* adopt - the files in dir become uid:gid, readable by the group (a
 * queue from before the split had one account for both daemons). */
static void
adopt(const char *dir, uid_t uid, gid_t gid)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat sb;

		if (e->d_name[0] == '.' ||
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if ((sb.st_uid != uid || sb.st_gid != gid) &&
		    fchownat(dirfd(d), e->d_name, uid, gid,
		    AT_SYMLINK_NOFOLLOW) < 0)
			log_warn("%s/%s: chown: %s", dir, e->d_name,
			    strerror(errno));
		if ((sb.st_mode & 0040) == 0 &&
		    fchmodat(dirfd(d), e->d_name, 0640, 0) < 0)
			log_warn("%s/%s: chmod: %s", dir, e->d_name,
			    strerror(errno));
	}
	closedir(d);
}

void
queue_prepare(const char *conf)
{
	struct str p = STR_INIT, err = STR_INIT;
	uid_t cuid, quid;
	gid_t cgid, qgid;
	size_t i;

	if (!priv_is_root()) {
		/* one account does everything */
		if (mkdir(var_queue_dir, 0750) < 0 && errno != EEXIST)
			log_fatal("mkdir %s: %s", var_queue_dir,
			    strerror(errno));
		for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
			str_copyf(&p, "%s/%s", var_queue_dir, dirs[i].name);
			if (mkdir(p.s, 0750) < 0 && errno != EEXIST)
				log_fatal("mkdir %s: %s", p.s, strerror(errno));
		}
		str_free(&p);
		return;
	}
	if (priv_lookup(var_cleanup_user, &cuid, &cgid, &err) < 0)
		log_fatal_config("%s: cleanup_user: %s", conf, err.s);
	if (priv_lookup(var_qmgr_user, &quid, &qgid, &err) < 0)
		log_fatal_config("%s: qmgr_user: %s", conf, err.s);
	if (qgid != cgid)
		log_fatal_config("%s: qmgr_user: %s's primary group must be "
		    "cleanup_user's (%s's), the queue's group", conf,
		    var_qmgr_user, var_cleanup_user);
	fix(var_queue_dir, quid, qgid, 0750);
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		str_copyf(&p, "%s/%s", var_queue_dir, dirs[i].name);
		if (dirs[i].cleanups) {
			fix(p.s, cuid, cgid, 0770);
			if (strcmp(dirs[i].name, QUEUE_INCOMING) == 0)
				adopt(p.s, cuid, cgid);
		} else {
			fix(p.s, quid, qgid, 0700);
			adopt(p.s, quid, qgid);
		}
	}
	str_free(&p);
	str_free(&err);
}
