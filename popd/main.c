/*
 * popd - the POP3 server (RFC 1939) on ports 110 and 995.  main() only
 * wires; the protocol lives in popd_session.c and the files named for
 * what they serve.
 */
#include "authc.h"
#include "daemon.h"
#include "popd.h"

static const struct daemon_endpoint endpoints[] = {
	{ "popd_listen", POPD_ROLE_POP3 },
	{ "popd_pop3s_listen", POPD_ROLE_POP3S },
};

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "popd", argc, argv);
	daemon_store_prepare(&d, "popd_user");
	/* Certificates and keys: as root, before the workers fork. */
	(void)daemon_tls(&d, "popd");
	authc_configure();
	daemon_serve(&d, "popd", endpoints, 2, "popd_user", popd_session);
}
