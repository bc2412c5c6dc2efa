/*
 * lmtpd_session - one LMTP conversation (RFC 2033).
 *
 * XXX The skeleton the delivery work fills: greeting, LHLO, NOOP, RSET
 * and QUIT; HELO/EHLO are refused as RFC 2033 4.1 requires, and every
 * other command is answered 502.
 */
#include <string.h>

#include "cfg.h"
#include "daemon.h"
#include "lmtpd.h"
#include "log.h"
#include "session.h"

void
lmtpd_session(int fd, const struct server_listener *l, void *ctx)
{
	struct session ss;
	const char *host = daemon_hostname(), *args;
	char verb[16];

	(void)ctx;
	session_open(&ss, fd, l->role, cfg_int("lmtpd_timeout"));
	buf_printf(&ss.b, "220 %s LMTP roost\r\n", host);
	for (;;) {
		enum buf_status st = buf_getline(&ss.b, &ss.line,
		    LMTPD_LINE_MAX + 2);
		const char *r;

		if (st == BUF_TIMEOUT)
			buf_printf(&ss.b, "421 4.4.2 %s timeout\r\n", host);
		if (st == BUF_TOOLONG)
			r = "500 5.5.2 Line too long";
		else if (st != BUF_OK)
			break;
		else if (session_verb(&ss.line, verb, sizeof verb, &args) < 0)
			r = "500 5.5.2 Bad syntax";
		else if (strcmp(verb, "QUIT") == 0) {
			buf_printf(&ss.b, "221 2.0.0 %s closing\r\n", host);
			break;
		} else if (strcmp(verb, "LHLO") == 0) {
			if (*args == '\0')
				r = "501 5.5.4 Syntax: LHLO hostname";
			else {
				buf_printf(&ss.b, "250-%s\r\n", host);
				r = "250 ENHANCEDSTATUSCODES";
			}
		} else if (strcmp(verb, "HELO") == 0 ||
		    strcmp(verb, "EHLO") == 0)
			r = "500 5.5.1 This is LMTP: use LHLO";
		else if (strcmp(verb, "NOOP") == 0 ||
		    strcmp(verb, "RSET") == 0)
			r = "250 2.0.0 OK";
		else
			r = "502 5.5.1 Command not implemented";
		buf_printf(&ss.b, "%s\r\n", r);
	}
	session_close(&ss);
}
