/*
 * imap_login - the not-authenticated state of IMAP (RFC 9051 3.1, 6.1,
 * 6.2): CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN and AUTHENTICATE
 * (SASL-IR, RFC 4959), checked by authd(8).  A login that succeeds is
 * handed to imapd (lib/mail/login.h), which answers it; nothing else
 * here can reach a mailbox.
 */
#include <string.h>
#include <unistd.h>

#include "authc.h"
#include "cfg.h"
#include "imap_login.h"
#include "imap_parse.h"
#include "log.h"
#include "login.h"
#include "server.h"
#include "tls.h"

#define SERVICE "imap"
#define CAPS "IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE LITERAL+"
/* Failed logins after which the connection is closed. */
#define AUTH_FAILURES_MAX 5

struct ilogin {
	struct login lg;
	struct imap_cmd cmd;
	struct imap_limits lim;
	struct authc_memo mechs;
	struct str tagged;	/* the completion of the command running */
	unsigned auth_failures, bad_commands;
	bool done;		/* LOGOUT, or the session went to imapd */
};

/* Commands of the authenticated states: "log in first", not unknown. */
static const char *const later[] = {
	"SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE",
	"UNSUBSCRIBE", "LIST", "LSUB", "NAMESPACE", "STATUS", "APPEND",
	"IDLE", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH", "FETCH",
	"STORE", "COPY", "MOVE", "UID", "ENABLE",
};

static void
tagged(struct ilogin *il, const char *what, const char *text)
{
	const char *tag = il->cmd.tag[0] ? il->cmd.tag : "*";

	str_copyf(&il->tagged, "%s %s %s\r\n", tag, what, text);
}

static const char *
mechs(struct ilogin *il)
{
	return authc_memo_get(&il->mechs, SERVICE, tls_active(&il->lg.ss.b),
	    il->lg.ss.peer.s);
}

/* plaintext_ok - LOGIN is offered where authd would take PLAIN; while
 * authd is away, LOGIN is let through to fail as a temporary failure
 * rather than as a policy refusal. */
static bool
plaintext_ok(struct ilogin *il)
{
	const char *m = mechs(il);

	return m == NULL || authc_offers(m, "PLAIN");
}

static void
caps(struct ilogin *il, struct str *out)
{
	const char *m = mechs(il);

	str_cats(out, CAPS);
	if (!tls_active(&il->lg.ss.b) && tls_available())
		str_cats(out, " STARTTLS");
	while (m != NULL && *m != '\0') {
		size_t n = strcspn(m, " ");

		str_catf(out, " AUTH=%.*s", (int)n, m);
		m += n;
		m += *m == ' ';
	}
	if (!plaintext_ok(il))
		str_cats(out, " LOGINDISABLED");
}

/* result - act on authd's answer: success goes to imapd. */
static void
result(struct ilogin *il, struct authc_result *res, const char *user,
    const char *mech)
{
	if (res->status == AUTHC_OK) {
		struct attrs extra = ATTRS_INIT;

		attrs_add(&extra, "tag", il->cmd.tag, strlen(il->cmd.tag));
		if (login_handoff(&il->lg, res, mech, &extra) == 0) {
			il->done = true;
			str_clear(&il->tagged);
		} else
			tagged(il, "NO", "[UNAVAILABLE] Mailbox server "
			    "unavailable; try again later");
		attrs_free(&extra);
		return;
	}
	if (res->status == AUTHC_TEMPFAIL) {
		log_error("auth user=%s mech=%s: %s", user, mech,
		    str_cstr(&res->text));
		tagged(il, "NO", "[UNAVAILABLE] Authentication unavailable; "
		    "try again later");
		return;
	}
	log_info("auth failed user=%s mech=%s from=%s: %s", user, mech,
	    il->lg.ss.peer.s, str_cstr(&res->code));
	if (str_eqs(&res->code, "cancelled")) {
		tagged(il, "BAD", "Authentication cancelled");
		return;
	}
	if (str_eqs(&res->code, "mechanism")) {
		tagged(il, "NO", plaintext_ok(il) ?
		    "Unsupported authentication mechanism" :
		    "[PRIVACYREQUIRED] Mechanism refused on an unencrypted "
		    "connection");
		return;
	}
	if (str_eqs(&res->code, "malformed")) {
		tagged(il, "BAD", "Malformed authentication exchange");
		return;
	}
	il->auth_failures++;
	authc_delay(&il->lg.ss.b, res);
	tagged(il, "NO", str_eqs(&res->code, "blocked") ?
	    "[AUTHENTICATIONFAILED] Too many failed logins; try again later" :
	    "[AUTHENTICATIONFAILED] Authentication failed");
}

static void
cmd_login(struct ilogin *il, const struct imap_cmd *c)
{
	struct authc_result res;

	if (c->nargs != 2 || !imap_arg_astring(&c->args[0]) ||
	    !imap_arg_astring(&c->args[1])) {
		tagged(il, "BAD", "LOGIN needs a user name and a password");
		return;
	}
	if (!plaintext_ok(il)) {
		tagged(il, "NO", "[PRIVACYREQUIRED] Plaintext login refused "
		    "on an unencrypted connection");
		return;
	}
	memset(&res, 0, sizeof res);
	authc_password(SERVICE, c->args[0].s, c->args[1].s, il->lg.ss.peer.s,
	    tls_active(&il->lg.ss.b), &res);
	result(il, &res, c->args[0].s, "LOGIN");
	authc_result_free(&res);
}

static void
cmd_authenticate(struct ilogin *il, const struct imap_cmd *c)
{
	struct authc_result res;

	if (c->nargs < 1 || c->nargs > 2 ||
	    c->args[0].type != IMAP_ARG_ATOM ||
	    (c->nargs == 2 && c->args[1].type != IMAP_ARG_ATOM)) {
		tagged(il, "BAD", "AUTHENTICATE needs a mechanism");
		return;
	}
	memset(&res, 0, sizeof res);
	authc_converse(&il->lg.ss.b, "+ ", SERVICE, c->args[0].s,
	    il->lg.ss.peer.s, tls_active(&il->lg.ss.b),
	    c->nargs == 2 ? c->args[1].s : NULL, &res);
	result(il, &res, res.status == AUTHC_OK ? res.user.s : "-",
	    c->args[0].s);
	authc_result_free(&res);
}

/* cmd_starttls - RFC 9051 6.2.1: the tagged OK, then the handshake;
 * the client asks for CAPABILITY again if it wants it. */
static void
cmd_starttls(struct ilogin *il, const struct imap_cmd *c)
{
	struct str err = STR_INIT;

	if (c->nargs != 0) {
		tagged(il, "BAD", "STARTTLS takes no arguments");
		return;
	}
	if (tls_active(&il->lg.ss.b)) {
		tagged(il, "BAD", "TLS is already active");
		return;
	}
	if (!tls_available()) {
		tagged(il, "NO", "TLS is not available");
		return;
	}
	/* Sent now: it must go out before the handshake, and tls_start
	 * flushes it, then drops any command pipelined behind STARTTLS
	 * (CVE-2011-0411). */
	buf_printf(&il->lg.ss.b, "%s OK Begin TLS negotiation now\r\n",
	    c->tag);
	if (tls_start(&il->lg.ss.b, &err) < 0)
		il->done = true;	/* b is dead: just close */
	str_free(&err);
}

static void
dispatch(struct ilogin *il, const struct imap_cmd *c)
{
	struct str s = STR_INIT;
	size_t i;

	if (strcmp(c->verb, "CAPABILITY") == 0) {
		caps(il, &s);
		buf_printf(&il->lg.ss.b, "* CAPABILITY %s\r\n", s.s);
		tagged(il, "OK", "CAPABILITY completed");
	} else if (strcmp(c->verb, "NOOP") == 0) {
		tagged(il, "OK", "NOOP completed");
	} else if (strcmp(c->verb, "LOGOUT") == 0) {
		buf_puts(&il->lg.ss.b, "* BYE roost logging out\r\n");
		tagged(il, "OK", "LOGOUT completed");
		il->done = true;
	} else if (strcmp(c->verb, "ID") == 0) {
		if (c->nargs != 1 || (c->args[0].type != IMAP_ARG_LIST &&
		    !imap_arg_nil(&c->args[0])))
			tagged(il, "BAD", "ID needs a parameter list or NIL");
		else {
			buf_puts(&il->lg.ss.b, "* ID (\"name\" \"roost\")\r\n");
			tagged(il, "OK", "ID completed");
		}
	} else if (strcmp(c->verb, "STARTTLS") == 0) {
		cmd_starttls(il, c);
	} else if (strcmp(c->verb, "LOGIN") == 0) {
		cmd_login(il, c);
	} else if (strcmp(c->verb, "AUTHENTICATE") == 0) {
		cmd_authenticate(il, c);
	} else {
		for (i = 0; i < sizeof later / sizeof later[0]; i++)
			if (strcmp(c->verb, later[i]) == 0)
				break;
		if (i < sizeof later / sizeof later[0])
			tagged(il, "BAD", "Log in first");
		else {
			str_copyf(&s, "Unknown command %s", c->verb);
			tagged(il, "BAD", s.s);
		}
	}
	str_free(&s);
}

/* limits - before login nothing needs more than a line's worth of
 * literal (a password): no APPEND can stream a message here. */
static void
limits(struct imap_limits *lim)
{
	lim->line_max = (size_t)var_imapd_line_max;
	lim->text_max = lim->line_max * 4;
	lim->literal_max = lim->line_max;
	lim->append_max = lim->line_max;
	lim->literals_max = lim->line_max * 2;
	lim->discard_max = lim->line_max;
	lim->depth_max = 8;
	lim->min_rate = (unsigned)var_imapd_min_data_rate;
	lim->grace_ms = IMAP_LITERAL_GRACE_MS;
}

/* greet - the per-address limit (before any TLS handshake: one that
 * stalls counts too), implicit TLS on 993, the greeting: false to hang
 * up at once. */
static bool
greet(struct ilogin *il, const struct server_listener *l)
{
	bool implicit = strcmp(l->role, IMAP_LOGIN_ROLE_IMAPS) == 0;
	struct str s = STR_INIT, err = STR_INIT;

	il->lg.slot_ip = session_admit_at(&il->lg.ss, login_slot_dir(), ".",
	    var_imapd_ip_sessions);
	if (il->lg.slot_ip == -1) {
		if (!implicit)
			buf_puts(&il->lg.ss.b,
			    "* BYE Too many connections from your address\r\n");
		return false;
	}
	if (implicit) {
		if (!tls_available())
			log_warn("implicit TLS is not available; closing");
		/* RFC 8314 3.3: the handshake first, then the greeting. */
		if (!tls_available() || tls_start(&il->lg.ss.b, &err) < 0) {
			str_free(&err);
			return false;
		}
	}
	caps(il, &s);
	buf_printf(&il->lg.ss.b, "* OK [CAPABILITY %s] roost ready\r\n", s.s);
	str_free(&s);
	return true;
}

void
imap_login_session(int fd, const struct server_listener *l, void *ctx)
{
	struct ilogin il;
	struct str err = STR_INIT;

	memset(&il, 0, sizeof il);
	il.lg.slot_ip = -1;
	il.lg.service = SERVICE;
	il.lg.daemon = "imapd";
	imap_cmd_init(&il.cmd);
	limits(&il.lim);
	session_open(&il.lg.ss, fd, l->role, var_imapd_timeout);
	buf_set_deadline(&il.lg.ss.b, (int64_t)var_imapd_login_timeout * 1000);
	(void)ctx;
	if (!greet(&il, l))
		il.done = true;
	while (!il.done && !server_stopping) {
		enum imap_read_rc rc;
		bool bad;

		rc = imap_cmd_read(&il.lg.ss.b, &il.cmd, &il.lim, &err);
		if (rc == IMAP_READ_EOF)
			break;
		if (rc == IMAP_READ_TIMEOUT) {
			buf_set_deadline(&il.lg.ss.b, BUF_LAST_WORDS_MS);
			buf_puts(&il.lg.ss.b, "* BYE Login timeout\r\n");
			break;
		}
		if (rc == IMAP_READ_FATAL) {
			buf_printf(&il.lg.ss.b, "* BYE %s\r\n", err.s);
			break;
		}
		str_clear(&il.tagged);
		if (rc == IMAP_READ_BAD)
			tagged(&il, "BAD", err.s);
		else if (rc == IMAP_READ_NO)
			tagged(&il, "NO", err.s);
		else
			dispatch(&il, &il.cmd);
		bad = strncmp(str_cstr(&il.tagged) + strcspn(str_cstr(
		    &il.tagged), " "), " BAD", 4) == 0;
		buf_put(&il.lg.ss.b, il.tagged.s, il.tagged.len);
		il.bad_commands = bad ? il.bad_commands + 1 : 0;
		if (il.bad_commands >= (unsigned)var_imapd_error_limit) {
			buf_puts(&il.lg.ss.b, "* BYE Too many bad commands\r\n");
			break;
		}
		if (il.auth_failures >= AUTH_FAILURES_MAX) {
			buf_puts(&il.lg.ss.b, "* BYE Too many failed logins\r\n");
			break;
		}
	}
	authc_memo_free(&il.mechs);
	imap_cmd_free(&il.cmd);
	str_free(&il.tagged);
	str_free(&err);
	if (il.lg.slot_ip >= 0)
		close(il.lg.slot_ip);
	session_close(&il.lg.ss);
}
