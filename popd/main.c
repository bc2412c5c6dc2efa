/*
 * popd - the POP3 server (RFC 1939) after login: pop3-login owns ports
 * 110 and 995 and hands each session over on login_dir/popd.  main()
 * only wires; the protocol lives in popd_session.c and the files named
 * for what they serve.
 */
#include "authc.h"
#include "cfg.h"
#include "daemon.h"
#include "popd.h"

int
main(int argc, char **argv)
{
	static struct str sock = STR_INIT;
	struct daemon d;

	daemon_start(&d, "popd", argc, argv);
	daemon_store_prepare(&d, "popd_user");
	authc_configure();
	daemon_login_dir(&d);
	str_copyf(&sock, "unix:%s/popd", var_login_dir);
	daemon_listen_also("login_dir", sock.s, POPD_ROLE_LOGIN);
	/* pop3-login connects as login_user; login_adopt checks who. */
	daemon_unix_mode(0666);
	daemon_serve(&d, "popd", NULL, 0, "popd_user", popd_session);
}
