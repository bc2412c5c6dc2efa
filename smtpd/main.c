/*
 * smtpd - the SMTP server: port 25 (MX), 587 (submission) and 465
 * (implicit TLS).  main() only wires configuration, sockets, privileges
 * and readiness; the protocol lives in smtpd_session.c.
 *
 * smtpd -S serves one session on stdin/stdout instead (sendmail -bs):
 * no sockets, no privilege change, no readiness.
 */
#include <string.h>

#include "authc.h"
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
	int i, j, local = 0;

	/* -S is ours; daemon_start knows the common options only */
	for (i = j = 1; i < argc; i++) {
		if (strcmp(argv[i], "-S") == 0 && !local) {
			local = 1;
			continue;
		}
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	daemon_start(&d, "smtpd", j, argv);
	if (local) {
		smtpd_local();
		return 0;
	}
	daemon_run_subdir(&d, NULL, "smtpd_user");
	/* Certificates and keys are read now, as root and before the
	 * workers fork (they share the session-ticket keys). */
	(void)daemon_tls(&d, "smtpd");
	authc_configure();
	/* the workers look up their clients' names (smtpd_dns.c) */
	daemon_sandbox_dns();
	daemon_serve(&d, "smtpd", endpoints,
	    sizeof endpoints / sizeof endpoints[0], "smtpd_user",
	    smtpd_session);
}
