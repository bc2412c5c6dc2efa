/*
 * imapd - the IMAP server (RFC 3501, RFC 9051) after login: imap-login
 * owns ports 143 and 993 and hands each session over on
 * login_dir/imapd.  main() only wires; the protocol lives in
 * imapd_session.c and the files named for the commands they serve.
 */
#include "authc.h"
#include "cfg.h"
#include "daemon.h"
#include "imapd.h"

int
main(int argc, char **argv)
{
	static struct str sock = STR_INIT;
	struct daemon d;

	daemon_start(&d, "imapd", argc, argv);
	daemon_store_prepare(&d, "imapd_user");
	authc_configure();
	daemon_login_dir(&d);
	str_copyf(&sock, "unix:%s/imapd", var_login_dir);
	daemon_listen_also("login_dir", sock.s, IMAPD_ROLE_LOGIN);
	/* imap-login connects as login_user; login_adopt checks who. */
	daemon_unix_mode(0666);
	daemon_serve(&d, "imapd", NULL, 0, "imapd_user", imapd_session);
}
