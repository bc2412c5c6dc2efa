/*
 * priv - dropping root; see priv.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "priv.h"

bool
priv_is_root(void)
{
	return geteuid() == 0;
}

int
priv_lookup(const char *user, uid_t *uid, gid_t *gid, struct str *err)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		str_copyf(err, "unknown user '%s'%s%s", user,
		    errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
priv_drop(const char *user, struct str *err)
{
	uid_t uid;
	gid_t gid;

	if (priv_is_root()) {
		if (priv_lookup(user, &uid, &gid, err) < 0)
			return -1;
		if (uid == 0) {
			str_copyf(err, "refusing to run as '%s' (uid 0)", user);
			return -1;
		}
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0) {
			str_copyf(err, "cannot become '%s': %s", user,
			    strerror(errno));
			return -1;
		}
		/* Paranoia: the kernel must not let us back. */
		if (setuid(0) == 0 || seteuid(0) == 0) {
			str_copyf(err, "could regain root after dropping");
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		str_copyf(err, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}
