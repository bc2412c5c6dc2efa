/*
 * popd_session - one POP3 connection.
 *
 * XXX The skeleton the POP3 work fills: greeting, CAPA and QUIT in the
 * AUTHORIZATION state (RFC 1939 4, RFC 2449); everything else is -ERR.
 */
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "popd.h"
#include "session.h"

void
popd_session(int fd, const struct server_listener *l, void *ctx)
{
	struct session ss;
	const char *args;
	char verb[16];

	(void)ctx;
	session_open(&ss, fd, l->role, cfg_int("popd_timeout"));
	if (strcmp(l->role, POPD_ROLE_POP3S) == 0) {
		log_warn("implicit TLS is not available; closing");
		session_close(&ss);
		return;
	}
	buf_puts(&ss.b, "+OK roost POP3 server ready\r\n");
	for (;;) {
		enum buf_status st = buf_getline(&ss.b, &ss.line,
		    POPD_LINE_MAX);

		if (st == BUF_TOOLONG) {
			buf_puts(&ss.b, "-ERR Line too long\r\n");
			continue;
		}
		if (st != BUF_OK)
			break;
		if (session_verb(&ss.line, verb, sizeof verb, &args) < 0)
			buf_puts(&ss.b, "-ERR Bad command\r\n");
		else if (strcmp(verb, "QUIT") == 0) {
			buf_puts(&ss.b, "+OK roost POP3 server signing off\r\n");
			break;
		} else if (strcmp(verb, "CAPA") == 0)
			buf_puts(&ss.b, "+OK Capability list follows\r\n"
			    "IMPLEMENTATION roost\r\n.\r\n");
		else
			buf_puts(&ss.b, "-ERR Unknown command or not "
			    "available in this state\r\n");
	}
	session_close(&ss);
}
