/*
 * imapd - the IMAP server (RFC 3501, RFC 9051) on ports 143 and 993.
 * main() only wires; the protocol lives in imapd_session.c.
 */
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
	daemon_serve(&d, "imapd", endpoints, 2, "imapd_user", imapd_session);
}
