/*
 * imapd - the IMAP server (RFC 3501, RFC 9051) on ports 143 and 993.
 * main() only wires; the protocol lives in imapd_session.c and the
 * files named for the commands they serve.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "imapd.h"
#include "log.h"
#include "priv.h"

static const struct daemon_endpoint endpoints[] = {
	{ "imapd_listen", IMAPD_ROLE_IMAP },
	{ "imapd_imaps_listen", IMAPD_ROLE_IMAPS },
};

/* prepare - what must exist before privileges go: the directory of the
 * session-count locks (lib/slots.h), owned by imapd's account; and that
 * account must own the store. */
static void
prepare(const struct daemon *d)
{
	struct str dir = STR_INIT, err = STR_INIT;
	uid_t uid = getuid(), store_uid;
	gid_t gid = getgid(), store_gid;

	if (priv_is_root()) {
		if (priv_lookup(cfg_str("imapd_user"), &uid, &gid, &err) < 0)
			log_fatal_config("%s: imapd_user: %s", d->conf, err.s);
		if (priv_lookup(cfg_str("lmtpd_user"), &store_uid, &store_gid,
		    &err) < 0)
			log_fatal_config("%s: lmtpd_user: %s", d->conf, err.s);
		if (uid != store_uid)
			log_fatal_config("%s: imapd_user: must be the store's "
			    "owner, lmtpd_user (%s)", d->conf,
			    cfg_str("lmtpd_user"));
	}
	str_copyf(&dir, "%s/imapd", cfg_str("run_dir"));
	if (mkdir(dir.s, 0700) < 0 && errno != EEXIST)
		log_fatal("mkdir %s: %s", dir.s, strerror(errno));
	if (priv_is_root() && chown(dir.s, uid, gid) < 0)
		log_fatal("chown %s: %s", dir.s, strerror(errno));
	str_free(&dir);
	str_free(&err);
}

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "imapd", argc, argv);
	prepare(&d);
	daemon_serve(&d, "imapd", endpoints, 2, "imapd_user", imapd_session);
}
