/*
 * smtpd - the SMTP server: port 25 (MX), 587 (submission) and 465
 * (implicit TLS).  main() only wires configuration, sockets, privileges
 * and readiness; the protocol lives in smtpd_session.c.
 */
#include "daemon.h"
#include "smtpd.h"

static const struct daemon_endpoint endpoints[] = {
	{ "smtpd_listen", SMTPD_ROLE_MX },
	{ "smtpd_submission_listen", SMTPD_ROLE_SUBMISSION },
	{ "smtpd_smtps_listen", SMTPD_ROLE_SMTPS },
};

int
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "smtpd", argc, argv);
	daemon_serve(&d, "smtpd", endpoints,
	    sizeof endpoints / sizeof endpoints[0], "smtpd_user",
	    smtpd_session);
}
