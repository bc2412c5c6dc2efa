/*
 * priv - dropping root; see priv.h.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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
	return priv_drop_chroot(user, NULL, err);
}

int
priv_drop_chroot(const char *user, const char *dir, struct str *err)
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
		if (dir != NULL && (chroot(dir) < 0 || chdir("/") < 0)) {
			str_copyf(err, "chroot %s: %s", dir, strerror(errno));
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

int
priv_no_new_privs(struct str *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		str_copyf(err, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
priv_keep_caps(const int *keep, size_t n, struct str *err)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2];
	int last = CAP_LAST_CAP;

	memset(data, 0, sizeof data);
	for (size_t i = 0; i < n; i++) {
		data[keep[i] / 32].effective |= 1u << (keep[i] % 32);
		data[keep[i] / 32].permitted |= 1u << (keep[i] % 32);
	}
	/* the running kernel may know more than our headers */
	{
		FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");

		if (f != NULL) {
			if (fscanf(f, "%d", &last) != 1)
				last = CAP_LAST_CAP;
			fclose(f);
		}
	}
	for (int c = 0; c <= last; c++) {
		bool kept = false;

		for (size_t i = 0; i < n; i++)
			kept |= keep[i] == c;
		if (!kept && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL) {
			str_copyf(err, "PR_CAPBSET_DROP %d: %s", c,
			    strerror(errno));
			return -1;
		}
	}
	if (syscall(SYS_capset, &hdr, data) < 0) {
		str_copyf(err, "capset: %s", strerror(errno));
		return -1;
	}
	return 0;
}
