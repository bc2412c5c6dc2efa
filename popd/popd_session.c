/*
 * popd_session - one POP3 connection (RFC 1939, RFC 2449): the command
 * loop, the per-state command table, STLS (RFC 2595), QUIT and the
 * limits on connections, errors and commands.
 */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "popd.h"
#include "tls.h"

/* Failed logins before the connection is closed. */
#define AUTH_FAILURES_MAX 3

/* reply - one status line; -ERR answers in a row are counted. */
static void
reply(struct popd *p, bool ok, const char *fmt, va_list ap)
{
	struct str s = STR_INIT;

	str_vcatf(&s, fmt, ap);
	buf_printf(&p->ss.b, "%s %s\r\n", ok ? "+OK" : "-ERR", s.s);
	str_free(&s);
	p->errors = ok ? 0 : p->errors + 1;
}

void
popd_ok(struct popd *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply(p, true, fmt, ap);
	va_end(ap);
}

void
popd_err(struct popd *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply(p, false, fmt, ap);
	va_end(ap);
}

static void
cmd_capa(struct popd *p, const char *args)
{
	struct str s = STR_INIT;

	(void)args;
	popd_caps(p, &s);
	popd_ok(p, "Capability list follows");
	buf_put(&p->ss.b, s.s, s.len);
	buf_puts(&p->ss.b, ".\r\n");
	str_free(&s);
}

static void
cmd_noop(struct popd *p, const char *args)
{
	if (*args != '\0')
		popd_err(p, "NOOP takes no argument");
	else
		popd_ok(p, "Nothing done");
}

static void
cmd_stls(struct popd *p, const char *args)
{
	struct str err = STR_INIT;

	if (*args != '\0') {
		popd_err(p, "STLS takes no argument");
		return;
	}
	if (p->secured) {
		popd_err(p, "TLS is already active");
		return;
	}
	if (!tls_available()) {
		popd_err(p, "TLS is not available");
		return;
	}
	popd_ok(p, "Begin TLS negotiation");
	/* tls_start drops whatever the client sent after STLS: nothing
	 * from before the handshake may count as sent under TLS. */
	if (tls_start(&p->ss.b, &err) < 0) {
		log_info("STLS failed: %s", str_cstr(&err));
		p->state = POPD_DONE;
	} else {
		p->secured = true;
		p->have_user = false;
	}
	str_free(&err);
}

static void
cmd_quit(struct popd *p, const char *args)
{
	struct str err = STR_INIT;
	size_t n;

	(void)args;
	if (p->state == POPD_TRANSACTION) {
		if (popd_update(p, &n, &err) < 0) {
			log_error("user=%s update: %s", p->user.s,
			    str_cstr(&err));
			p->state = POPD_DONE;
			popd_err(p, "[SYS/TEMP] Messages could not be deleted; "
			    "nothing was changed");
			str_free(&err);
			return;
		}
		if (p->ndeleted > 0 || n > 0)
			log_info("update user=%s deleted=%zu expunged=%zu",
			    p->user.s, p->ndeleted, n);
	}
	p->state = POPD_DONE;
	popd_ok(p, "roost POP3 server signing off");
	str_free(&err);
}

struct command {
	const char *verb;
	void (*fn)(struct popd *p, const char *args);
	unsigned states;	/* bits of enum popd_state */
};

#define AUTHZ (1u << POPD_AUTHORIZATION)
#define TRANS (1u << POPD_TRANSACTION)

static const struct command commands[] = {
	{ "CAPA", cmd_capa, AUTHZ | TRANS },
	{ "QUIT", cmd_quit, AUTHZ | TRANS },
	{ "NOOP", cmd_noop, TRANS },
	{ "USER", popd_cmd_user, AUTHZ },
	{ "PASS", popd_cmd_pass, AUTHZ },
	{ "AUTH", popd_cmd_auth, AUTHZ },
	{ "STLS", cmd_stls, AUTHZ },
	{ "STAT", popd_cmd_stat, TRANS },
	{ "LIST", popd_cmd_list, TRANS },
	{ "UIDL", popd_cmd_uidl, TRANS },
	{ "RETR", popd_cmd_retr, TRANS },
	{ "TOP", popd_cmd_top, TRANS },
	{ "DELE", popd_cmd_dele, TRANS },
	{ "RSET", popd_cmd_rset, TRANS },
};

static void
dispatch(struct popd *p, const char *verb, const char *args)
{
	size_t i;

	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(verb, commands[i].verb) != 0)
			continue;
		if ((commands[i].states & (1u << p->state)) == 0) {
			popd_err(p, "%s is not available %s", verb,
			    p->state == POPD_AUTHORIZATION ?
			    "before login" : "after login");
			return;
		}
		/* USER then anything but PASS starts over (RFC 1939 7) */
		if (commands[i].fn != popd_cmd_pass)
			p->have_user = false;
		commands[i].fn(p, args);
		return;
	}
	popd_err(p, "Unknown command");
}

/* admit - the per-address connection limit, before any TLS handshake
 * (a handshake that stalls must count too): false to hang up, with an
 * -ERR only where it can be read (not before implicit TLS). */
static bool
admit(struct popd *p, bool say)
{
	p->slot_ip = session_admit(&p->ss, "popd",
	    var_popd_ip_sessions);
	if (p->slot_ip != -1)
		return true;
	if (say)
		buf_puts(&p->ss.b, "-ERR [SYS/TEMP] Too many connections from "
		    "your address\r\n");
	return false;
}

/* start - the connection limit, implicit TLS on 995, the greeting:
 * false to hang up at once. */
static bool
start(struct popd *p, const struct server_listener *l)
{
	struct str err = STR_INIT;
	bool ok = true;

	if (!admit(p, strcmp(l->role, POPD_ROLE_POP3S) != 0))
		return false;
	if (strcmp(l->role, POPD_ROLE_POP3S) == 0) {
		if (!tls_available()) {
			log_warn("implicit TLS is not available; closing");
			return false;
		}
		ok = tls_start(&p->ss.b, &err) == 0;
		if (!ok)
			log_info("TLS handshake failed: %s", str_cstr(&err));
		p->secured = ok;
		str_free(&err);
	}
	if (!ok)
		return false;
	popd_ok(p, "roost POP3 server ready");
	return true;
}

void
popd_session(int fd, const struct server_listener *l, void *ctx)
{
	struct popd p;
	unsigned long command_limit = (unsigned long)var_popd_command_limit;
	unsigned error_limit = (unsigned)var_popd_error_limit;

	(void)ctx;
	memset(&p, 0, sizeof p);
	p.slot_ip = p.slot_user = -1;
	p.store_dir = var_store_dir;
	session_open(&p.ss, fd, l->role, var_popd_timeout);
	/* until login; popd_auth lifts it */
	buf_set_deadline(&p.ss.b, (int64_t)var_popd_login_timeout * 1000);
	if (!start(&p, l))
		p.state = POPD_DONE;
	while (p.state != POPD_DONE && !server_stopping) {
		enum buf_status st;
		const char *args;
		char verb[8];

		st = buf_getline(&p.ss.b, &p.ss.line, POPD_LINE_MAX);
		if (st == BUF_TIMEOUT) {
			buf_set_deadline(&p.ss.b, BUF_LAST_WORDS_MS);
			buf_puts(&p.ss.b, p.state == POPD_AUTHORIZATION ?
			    "-ERR Login timeout\r\n" :
			    "-ERR Autologout; idle for too long\r\n");
			break;
		}
		if (st == BUF_TOOLONG)
			popd_err(&p, "Line too long");
		else if (st != BUF_OK)
			break;	/* the client went away: no UPDATE */
		else if (++p.commands > command_limit) {
			popd_err(&p, "[SYS/PERM] Too many commands in one "
			    "session");
			break;
		} else if (session_verb(&p.ss.line, verb, sizeof verb,
		    &args) < 0)
			popd_err(&p, "Unknown command");
		else
			dispatch(&p, verb, args);
		if (p.errors >= error_limit) {
			buf_puts(&p.ss.b, "-ERR Too many errors; closing\r\n");
			break;
		}
		if (p.auth_failures >= AUTH_FAILURES_MAX) {
			buf_puts(&p.ss.b, "-ERR [AUTH] Too many failed logins; "
			    "closing\r\n");
			break;
		}
	}
	if (p.state == POPD_TRANSACTION)
		log_info("logout user=%s without QUIT: nothing deleted",
		    p.user.s);
	else if (p.user.len > 0 && p.store != NULL)
		log_info("logout user=%s", p.user.s);
	popd_maildrop_free(&p);
	store_close(&p.store);
	str_free(&p.user);
	if (p.slot_user >= 0)
		close(p.slot_user);
	if (p.slot_ip >= 0)
		close(p.slot_ip);
	session_close(&p.ss);
}
