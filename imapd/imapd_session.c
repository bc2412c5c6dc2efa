/*
 * imapd_session - one IMAP connection.
 *
 * XXX The skeleton the IMAP work fills: greeting, CAPABILITY, NOOP and
 * LOGOUT in the not-authenticated state (RFC 3501 6.1); everything else
 * is answered BAD, and the connection stays usable.
 */
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "imapd.h"
#include "session.h"

#define CAPS "IMAP4rev1"

/* A tag is 1-64 ASTRING-CHARs other than '+' (RFC 3501 9, "tag"). */
static int
tag_ok(const char *t)
{
	size_t n = strlen(t);

	return n > 0 && n <= 64 && strcspn(t, "+(){%*\"\\]") == n;
}

void
imapd_session(int fd, const struct server_listener *l, void *ctx)
{
	struct session ss;
	char tag[65], verb[32];
	const char *args;

	(void)ctx;
	session_open(&ss, fd, l->role, cfg_int("imapd_timeout"));
	if (strcmp(l->role, IMAPD_ROLE_IMAPS) == 0) {
		log_warn("implicit TLS is not available; closing");
		session_close(&ss);
		return;
	}
	buf_puts(&ss.b, "* OK [CAPABILITY " CAPS "] roost ready\r\n");
	for (;;) {
		enum buf_status st = buf_getline(&ss.b, &ss.line,
		    IMAPD_LINE_MAX);
		size_t tl;

		if (st == BUF_TIMEOUT)
			buf_puts(&ss.b, "* BYE Autologout; idle for too long\r\n");
		if (st == BUF_TOOLONG) {
			buf_puts(&ss.b, "* BAD Command line too long\r\n");
			continue;
		}
		if (st != BUF_OK)
			break;
		str_chomp(&ss.line);
		tl = strcspn(ss.line.s, " ");
		if (tl >= sizeof tag || tl == ss.line.len) {
			buf_puts(&ss.b, "* BAD Missing tag or command\r\n");
			continue;
		}
		memcpy(tag, ss.line.s, tl);
		tag[tl] = '\0';
		if (!tag_ok(tag)) {
			buf_puts(&ss.b, "* BAD Invalid tag\r\n");
			continue;
		}
		memmove(ss.line.s, ss.line.s + tl + 1, ss.line.len - tl - 1);
		str_truncate(&ss.line, ss.line.len - tl - 1);
		if (session_verb(&ss.line, verb, sizeof verb, &args) < 0) {
			buf_printf(&ss.b, "%s BAD Missing command\r\n", tag);
			continue;
		}
		if (strcmp(verb, "LOGOUT") == 0) {
			buf_printf(&ss.b, "* BYE roost logging out\r\n"
			    "%s OK LOGOUT completed\r\n", tag);
			break;
		} else if (strcmp(verb, "CAPABILITY") == 0)
			buf_printf(&ss.b, "* CAPABILITY " CAPS "\r\n"
			    "%s OK CAPABILITY completed\r\n", tag);
		else if (strcmp(verb, "NOOP") == 0)
			buf_printf(&ss.b, "%s OK NOOP completed\r\n", tag);
		else
			buf_printf(&ss.b, "%s BAD Unknown command or not "
			    "available in this state\r\n", tag);
	}
	session_close(&ss);
}
