/*
 * priv - dropping root.
 *
 * Network-facing code never runs as root: a daemon started as root binds
 * what needs privilege, then becomes its configured user for good.
 */
#ifndef ROOST_PRIV_H
#define ROOST_PRIV_H

#include <stdbool.h>
#include <sys/types.h>

#include "str.h"

/* priv_lookup - uid and primary gid of user; 0, or -1 with err. */
int priv_lookup(const char *user, uid_t *uid, gid_t *gid, struct str *err);
/* priv_drop - when running as root, become user (its primary group, no
 * supplementary groups), verify that root cannot be regained, and set
 * no_new_privs.  Refuses to "drop" to uid 0.  When not root, only sets
 * no_new_privs.  0, or -1 with a reason in err. */
int priv_drop(const char *user, struct str *err);
/* priv_drop_chroot - the same, but chroot to dir (when not NULL) after
 * looking the user up and before giving up root. */
int priv_drop_chroot(const char *user, const char *dir, struct str *err);
/* priv_is_root - whether the effective uid is 0. */
bool priv_is_root(void);
/* priv_no_new_privs - nothing this process or its children execute may
 * gain privileges (setuid bits, file capabilities): 0 or -1 with err. */
int priv_no_new_privs(struct str *err);
/* priv_keep_caps - a process that stays root keeps only the n
 * capabilities in keep (CAP_* of <linux/capability.h>), also in its
 * bounding set: 0 or -1 with err. */
int priv_keep_caps(const int *keep, size_t n, struct str *err);

#endif
