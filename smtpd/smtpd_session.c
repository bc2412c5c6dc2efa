/*
 * smtpd_session - one SMTP conversation (RFC 5321).
 *
 * XXX This is the skeleton the mail-in work fills: greeting, EHLO/HELO,
 * NOOP, RSET and QUIT with correct replies; every other command is
 * answered 502 so a client fails cleanly instead of hanging.
 */
#include <string.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "session.h"
#include "smtpd.h"

static void
reply(struct session *ss, const char *text)
{
	buf_puts(&ss->b, text);
	buf_puts(&ss->b, "\r\n");
}

void
smtpd_session(int fd, const struct server_listener *l, void *ctx)
{
	struct session ss;
	const char *host = daemon_hostname(), *args;
	char verb[16];

	(void)ctx;
	session_open(&ss, fd, l->role, cfg_int("smtpd_timeout"));
	if (strcmp(l->role, SMTPD_ROLE_SMTPS) == 0) {
		log_warn("implicit TLS is not available; closing");
		session_close(&ss);
		return;
	}
	buf_printf(&ss.b, "220 %s ESMTP roost\r\n", host);
	for (;;) {
		enum buf_status st = buf_getline(&ss.b, &ss.line,
		    SMTPD_LINE_MAX + 2);

		if (st == BUF_TOOLONG) {
			reply(&ss, "500 5.5.2 Line too long");
			continue;
		}
		if (st == BUF_TIMEOUT) {
			buf_printf(&ss.b, "421 4.4.2 %s Error: timeout "
			    "exceeded\r\n", host);
			break;
		}
		if (st != BUF_OK)
			break;
		if (session_verb(&ss.line, verb, sizeof verb, &args) < 0) {
			reply(&ss, "500 5.5.2 Error: bad syntax");
			continue;
		}
		if (strcmp(verb, "QUIT") == 0) {
			reply(&ss, "221 2.0.0 Bye");
			break;
		} else if (strcmp(verb, "NOOP") == 0 ||
		    strcmp(verb, "RSET") == 0) {
			reply(&ss, "250 2.0.0 Ok");
		} else if (strcmp(verb, "HELO") == 0 ||
		    strcmp(verb, "EHLO") == 0) {
			if (*args == '\0')
				buf_printf(&ss.b, "501 5.5.4 Syntax: %s "
				    "hostname\r\n", verb);
			else if (verb[0] == 'H')
				buf_printf(&ss.b, "250 %s\r\n", host);
			else
				buf_printf(&ss.b, "250-%s\r\n250 "
				    "ENHANCEDSTATUSCODES\r\n", host);
		} else
			reply(&ss, "502 5.5.1 Error: command not implemented");
	}
	session_close(&ss);
}
