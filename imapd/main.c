/*
 * imapd - the IMAP server (RFC 3501, RFC 9051) on ports 143 (STARTTLS)
 * and 993 (implicit TLS).
 * main() only wires; the protocol lives in imapd_session.c and the
 * files named for the commands they serve.
 */
#include "authc.h"
#include "daemon.h"
#include "imapd.h"

static const struct daemon_endpoint endpoints[] = {
	{ "imapd_listen", IMAPD_ROLE_IMAP },
	{ "imapd_imaps_listen", IMAPD_ROLE_IMAPS },
};

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "imapd", argc, argv);
	daemon_store_prepare(&d, "imapd_user");
	/* Certificates and keys: as root, before the workers fork. */
	(void)daemon_tls(&d, "imapd");
	authc_configure();
	daemon_serve(&d, "imapd", endpoints, 2, "imapd_user", imapd_session);
}
