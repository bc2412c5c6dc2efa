/*
 * lmtpd_peer - who may deliver: on a Unix socket, root, lmtpd's own
 * account, qmgr_user and the accounts of lmtpd_allow_users (peer
 * credentials), so that a local user cannot write into anyone's
 * mailbox, nor fill the store, by talking LMTP.  The accounts are looked
 * up once, at start, as root.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cfg.h"
#include "lmtpd.h"
#include "log.h"
#include "sock.h"

#define PEERS_MAX 64

static uid_t peers[PEERS_MAX];
static size_t npeers;

static void
allow(const char *name, const char *key)
{
	struct passwd *pw = getpwnam(name);

	if (pw == NULL) {
		log_warn("%s: no account %s; it cannot deliver", key, name);
		return;
	}
	if (npeers == PEERS_MAX)
		log_fatal_config("%s: more than %d accounts", key, PEERS_MAX);
	peers[npeers++] = pw->pw_uid;
}

void
lmtpd_peer_init(void)
{
	char *list = xstrdup(var_lmtpd_allow_users), *save = NULL, *w;

	allow(var_qmgr_user, "qmgr_user");
	for (w = strtok_r(list, " \t,", &save); w != NULL;
	    w = strtok_r(NULL, " \t,", &save))
		allow(w, "lmtpd_allow_users");
	free(list);
}

bool
lmtpd_peer_ok(int fd, const struct server_listener *l)
{
	uid_t uid;
	gid_t gid;
	pid_t pid;

	if (l->spec.kind != LISTEN_UNIX)
		return true;
	if (sock_peer_cred(fd, &uid, &gid, &pid) < 0)
		return false;
	if (uid == 0 || uid == geteuid())
		return true;
	for (size_t i = 0; i < npeers; i++)
		if (peers[i] == uid)
			return true;
	log_warn("refused: peer uid=%ld pid=%ld may not deliver "
	    "(lmtpd_allow_users)", (long)uid, (long)pid);
	return false;
}
