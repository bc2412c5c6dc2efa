/*
 * pop3-login - the POP3 login process (pop3_login.h).  main() only
 * wires: the listeners and keys as root, then the chroot and the drop
 * (login_start, daemon_serve).
 */
#include "daemon.h"
#include "login.h"
#include "pop3_login.h"

static const struct daemon_endpoint endpoints[] = {
	{ "popd_listen", POP3_LOGIN_ROLE_POP3 },
	{ "popd_pop3s_listen", POP3_LOGIN_ROLE_POP3S },
};

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "pop3-login", argc, argv);
	login_start(&d, "popd");
	daemon_serve(&d, "pop3_login", endpoints, 2, "login_user",
	    pop3_login_session);
}
