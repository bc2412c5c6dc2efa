/*
 * popd_session - one POP3 session from login on (RFC 1939, RFC 2449;
 * pop3-login serves the AUTHORIZATION state and TLS): the command loop,
 * the TRANSACTION state's table, QUIT and the limits on errors and
 * commands.
 */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "popd.h"

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

#define TRANS (1u << POPD_TRANSACTION)

static const struct command commands[] = {
	{ "CAPA", cmd_capa, TRANS },
	{ "QUIT", cmd_quit, TRANS },
	{ "NOOP", cmd_noop, TRANS },
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
			popd_err(p, "%s is not available after login", verb);
			return;
		}
		commands[i].fn(p, args);
		return;
	}
	popd_err(p, "Unknown command");
}

void
popd_session(int fd, const struct server_listener *l, void *ctx)
{
	struct popd p;
	unsigned long command_limit = (unsigned long)var_popd_command_limit;
	unsigned error_limit = (unsigned)var_popd_error_limit;

	(void)ctx;
	memset(&p, 0, sizeof p);
	p.slot_ip = p.slot_user = p.client_fd = -1;
	p.store_dir = var_store_dir;
	if (!popd_adopt(&p, fd, l))
		p.state = POPD_DONE;
	while (p.state != POPD_DONE && !server_stopping) {
		enum buf_status st;
		const char *args;
		char verb[8];

		st = buf_getline(&p.ss.b, &p.ss.line, POPD_LINE_MAX);
		if (st == BUF_TIMEOUT) {
			buf_set_deadline(&p.ss.b, BUF_LAST_WORDS_MS);
			buf_puts(&p.ss.b,
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
	if (p.adopted)
		session_close(&p.ss);
	if (p.client_fd >= 0)
		close(p.client_fd);
}
