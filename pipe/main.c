/*
 * pipe - runs the deliveries aliases ask for that need a process or
 * another account: |command and /file (protocol: lib/mail/pipeproto.h).
 *
 * Unlike the other daemons it keeps root when started as root: each
 * delivery's child becomes the account the alias belongs to (never
 * root).  The socket is open to all (0666) because the peer check
 * (SO_PEERCRED: root, pipe's own uid or qmgr_user) decides, as the
 * file mode alone cannot name two accounts.
 */
#include <linux/capability.h>
#include <sys/types.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "pipe.h"
#include "priv.h"

static const struct daemon_endpoint endpoints[] = {
    {"pipe_listen", "pipe"},
};

int
main(int argc, char **argv)
{
	struct str err = STR_INIT;
	struct daemon d;
	gid_t gid;

	daemon_start(&d, "pipe", argc, argv);
	if (priv_lookup(var_qmgr_user, &pipe_qmgr_uid, &gid, &err) < 0) {
		log_warn("qmgr_user: %s; only root and my own uid are served",
		    err.s);
		pipe_qmgr_uid = (uid_t)-1;
	}
	/* root, but only for what a delivery needs: becoming the account
	 * (setuid, setgid, setgroups), reading the aliases, :include: files
	 * and tables of others (dac_read_search), and ending a command that
	 * ran too long (kill) */
	if (priv_is_root()) {
		static const int keep[] = { CAP_SETUID, CAP_SETGID, CAP_KILL,
		    CAP_DAC_READ_SEARCH };

		if (priv_keep_caps(keep, sizeof keep / sizeof *keep, &err) < 0)
			log_fatal("%s", err.s);
	}
	str_free(&err);
	daemon_unix_mode(0666);
	daemon_serve(&d, "pipe", endpoints, 1, NULL, pipe_session);
}
