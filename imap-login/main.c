/*
 * imap-login - the IMAP login process (imap_login.h).  main() only
 * wires: the listeners and keys as root, then the chroot and the drop
 * (login_start, daemon_serve).
 */
#include "daemon.h"
#include "imap_login.h"
#include "login.h"

static const struct daemon_endpoint endpoints[] = {
	{ "imapd_listen", IMAP_LOGIN_ROLE_IMAP },
	{ "imapd_imaps_listen", IMAP_LOGIN_ROLE_IMAPS },
};

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "imap-login", argc, argv);
	login_start(&d, "imapd");
	daemon_serve(&d, "imap_login", endpoints, 2, "login_user",
	    imap_login_session);
}
