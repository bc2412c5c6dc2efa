/*
 * pipe_justify - the account a delivery runs as is pipe's to decide, not
 * its caller's (qmail-lspawn and Postfix's local decide it the same way).
 * pipe expands the request's recipient itself, with the tables qmgr uses
 * (lib/mail/resolve.c), and runs the target only when that expansion
 * names it, as the account the expansion gives: the owner of the alias
 * or :include: file that named it, or default_privs for root's files,
 * with resolve.c's rules on who may have written them.  The uid and gid
 * a request carries are ignored.  Never root, and, when pipe runs as
 * root, never one of roost's own accounts: a command running as the
 * queue's or the store's owner could rewrite any queued or stored mail.
 */
#include <pwd.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "pipe.h"
#include "priv.h"
#include "resolve.h"

static struct resolver *resolver;	/* per worker, reopened tables */

/* roost_account - whether uid or gid is that of an account of roost's
 * daemons (the *_user keys). */
static bool
roost_account(uid_t uid, gid_t gid)
{
	const char *const users[] = {
		var_smtpd_user, var_cleanup_user, var_qmgr_user,
		var_lmtpd_user, var_imapd_user, var_popd_user,
		var_authd_user, var_log_user,
	};

	for (size_t i = 0; i < sizeof users / sizeof *users; i++) {
		struct passwd *pw = getpwnam(users[i]);

		if (pw != NULL && (pw->pw_uid == uid || pw->pw_gid == gid))
			return true;
	}
	return false;
}

enum pipe_status
pipe_justify(struct pipe_req *r, struct str *why)
{
	enum resolve_kind want = r->kind == PIPE_COMMAND ? RESOLVE_COMMAND :
	    RESOLVE_FILE;
	struct resolve_target *t = NULL;
	size_t n = 0, i;
	int rc;

	if (resolver == NULL && (resolver = resolver_open_cfg()) == NULL) {
		str_copys(why, "cannot open the recipient tables");
		return PIPE_DEFER;
	}
	rc = resolve_expand(resolver, r->recipient, &t, &n, why);
	if (rc == RESOLVE_TEMP)
		return PIPE_DEFER;
	for (i = 0; rc == RESOLVE_OK && i < n; i++)
		if (t[i].kind == want && str_eqs(&t[i].to, r->target))
			break;
	if (rc != RESOLVE_OK || i == n) {
		resolve_targets_free(t, n);
		str_copyf(why, "<%s> does not expand to this %s",
		    r->recipient, r->kind == PIPE_COMMAND ? "command" : "file");
		return PIPE_DEFER;	/* the aliases may be changing */
	}
	r->uid = t[i].uid;
	r->gid = t[i].gid;
	resolve_targets_free(t, n);
	if (r->uid == 0 || r->gid == 0 ||
	    (priv_is_root() && roost_account(r->uid, r->gid))) {
		str_copyf(why, "refusing to deliver as uid %ld gid %ld, %s",
		    (long)r->uid, (long)r->gid, r->uid == 0 || r->gid == 0 ?
		    "root" : "an account of roost's");
		return PIPE_DEFER;	/* a configuration error: fixable */
	}
	return PIPE_OK;
}
