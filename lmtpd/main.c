/*
 * lmtpd - the LMTP server (RFC 2033) that stores mail: qmgr, and
 * Postfix or Exim if an operator wishes, deliver through it.  main()
 * only wires; the protocol lives in lmtpd_session.c.
 */
#include "daemon.h"
#include "lmtpd.h"

static const struct daemon_endpoint endpoints[] = {
    {"lmtpd_listen", "lmtp"},
};

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "lmtpd", argc, argv);
	/* open to all: the peer's credentials decide (lmtpd_peer.c) */
	daemon_unix_mode(0666);
	lmtpd_peer_init();
	daemon_serve(&d, "lmtpd", endpoints, 1, "lmtpd_user", lmtpd_session);
}
