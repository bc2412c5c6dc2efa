/*
 * pop3_login - the AUTHORIZATION state of POP3: CAPA, USER/PASS (RFC
 * 1939 7), AUTH (RFC 5034), STLS (RFC 2595), NOOP and QUIT, checked by
 * authd(8).  A login that succeeds is handed to popd, which answers
 * it; nothing here can reach a mailbox.
 */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "authc.h"
#include "cfg.h"
#include "log.h"
#include "login.h"
#include "pop3_login.h"
#include "tls.h"

#define SERVICE "pop"
/* RFC 2449 4: commands are at most 255 octets with CRLF; a little more.
 * SASL responses are read by authc_converse under their own limit. */
#define LINE_MAX_POP 512
/* Failed logins before the connection is closed. */
#define AUTH_FAILURES_MAX 3

struct plogin {
	struct login lg;
	struct str user;	/* USER's argument */
	bool have_user;		/* USER given, PASS may follow */
	bool done;		/* QUIT, or the session went to popd */
	unsigned auth_failures;
	unsigned errors;	/* -ERR answers in a row */
	unsigned long commands;
};

static void reply(struct plogin *p, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
reply(struct plogin *p, bool ok, const char *fmt, ...)
{
	struct str s = STR_INIT;
	va_list ap;

	va_start(ap, fmt);
	str_vcatf(&s, fmt, ap);
	va_end(ap);
	buf_printf(&p->lg.ss.b, "%s %s\r\n", ok ? "+OK" : "-ERR", s.s);
	str_free(&s);
	p->errors = ok ? 0 : p->errors + 1;
}

static bool
secured(const struct plogin *p)
{
	return tls_active(&p->lg.ss.b);
}

static void
cmd_capa(struct plogin *p, const char *args)
{
	struct str mechs = STR_INIT, out = STR_INIT;
	const char *expire = var_popd_expire;

	(void)args;
	str_cats(&out, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
	    "PIPELINING\r\n");
	/* USER/PASS is plaintext: offered when PLAIN would be, and while
	 * authd cannot say (PASS then fails as temporary) */
	if (authc_mechs(SERVICE, secured(p), p->lg.ss.peer.s, &mechs) < 0 ||
	    authc_offers(str_cstr(&mechs), "PLAIN"))
		str_cats(&out, "USER\r\n");
	if (mechs.len > 0)
		str_catf(&out, "SASL %s\r\n", mechs.s);
	if (!secured(p) && tls_available())
		str_cats(&out, "STLS\r\n");
	if (strcmp(expire, "never") == 0)
		str_cats(&out, "EXPIRE NEVER\r\n");
	else if (*expire != '\0')
		str_catf(&out, "EXPIRE %s\r\n", expire);
	if (var_popd_login_delay > 0)
		str_catf(&out, "LOGIN-DELAY %lld\r\n", var_popd_login_delay);
	str_cats(&out, "IMPLEMENTATION roost\r\n");
	reply(p, true, "Capability list follows");
	buf_put(&p->lg.ss.b, out.s, out.len);
	buf_puts(&p->lg.ss.b, ".\r\n");
	str_free(&mechs);
	str_free(&out);
}

/* result - act on authd's answer: success goes to popd. */
static void
result(struct plogin *p, struct authc_result *res, const char *user,
    const char *mech)
{
	if (res->status == AUTHC_OK) {
		if (login_handoff(&p->lg, res, mech, NULL) == 0)
			p->done = true;
		else
			reply(p, false, "[SYS/TEMP] Mailbox server "
			    "unavailable; try later");
		return;
	}
	if (res->status == AUTHC_TEMPFAIL) {
		log_error("auth user=%s mech=%s: %s", user, mech,
		    str_cstr(&res->text));
		reply(p, false, "[SYS/TEMP] Authentication unavailable; try "
		    "later");
		return;
	}
	log_info("auth failed user=%s mech=%s from=%s: %s", user, mech,
	    p->lg.ss.peer.s, str_cstr(&res->code));
	if (str_eqs(&res->code, "cancelled")) {
		reply(p, false, "Authentication cancelled");
		return;
	}
	if (str_eqs(&res->code, "mechanism")) {
		reply(p, false, "[AUTH] Mechanism not available on this "
		    "connection");
		return;
	}
	p->auth_failures++;
	authc_delay(&p->lg.ss.b, res);
	reply(p, false, "[AUTH] %s", str_eqs(&res->code, "blocked") ?
	    "Too many failed logins; try later" : "Authentication failed");
}

static void
cmd_user(struct plogin *p, const char *args)
{
	struct str mechs = STR_INIT;

	if (authc_mechs(SERVICE, secured(p), p->lg.ss.peer.s, &mechs) == 0 &&
	    !authc_offers(str_cstr(&mechs), "PLAIN"))
		reply(p, false, "[AUTH] Plaintext login refused on an "
		    "unencrypted connection; use STLS");
	else if (*args == '\0' || strlen(args) > 255)
		reply(p, false, "USER needs a user name");
	else {
		str_copys(&p->user, args);
		p->have_user = true;
		reply(p, true, "Send the password");
	}
	str_free(&mechs);
}

static void
cmd_pass(struct plogin *p, const char *args)
{
	struct authc_result res;

	if (!p->have_user) {
		reply(p, false, "USER first");
		return;
	}
	p->have_user = false;
	memset(&res, 0, sizeof res);
	authc_password(SERVICE, p->user.s, args, p->lg.ss.peer.s, secured(p),
	    &res);
	result(p, &res, p->user.s, "USER");
	authc_result_free(&res);
}

static void
cmd_auth(struct plogin *p, const char *args)
{
	struct authc_result res;
	struct str mech = STR_INIT, mechs = STR_INIT;
	const char *sp = strchr(args, ' ');
	size_t i;

	if (*args == '\0') {
		/* the pre-RFC 5034 probe some clients still send */
		(void)authc_mechs(SERVICE, secured(p), p->lg.ss.peer.s, &mechs);
		reply(p, true, "Mechanisms follow");
		for (i = 0; i < mechs.len; i++)
			buf_put(&p->lg.ss.b, mechs.s[i] == ' ' ? "\r\n" :
			    &mechs.s[i], mechs.s[i] == ' ' ? 2 : 1);
		buf_puts(&p->lg.ss.b, mechs.len > 0 ? "\r\n.\r\n" : ".\r\n");
		str_free(&mechs);
		return;
	}
	str_copyb(&mech, args, sp != NULL ? (size_t)(sp - args) :
	    strlen(args));
	memset(&res, 0, sizeof res);
	authc_converse(&p->lg.ss.b, "+ ", SERVICE, mech.s, p->lg.ss.peer.s,
	    secured(p), sp != NULL ? sp + 1 : NULL, &res);
	result(p, &res, res.status == AUTHC_OK ? res.user.s : "-", mech.s);
	authc_result_free(&res);
	str_free(&mech);
}

static void
cmd_stls(struct plogin *p, const char *args)
{
	struct str err = STR_INIT;

	if (*args != '\0') {
		reply(p, false, "STLS takes no argument");
		return;
	}
	if (secured(p)) {
		reply(p, false, "TLS is already active");
		return;
	}
	if (!tls_available()) {
		reply(p, false, "TLS is not available");
		return;
	}
	reply(p, true, "Begin TLS negotiation");
	/* tls_start drops whatever the client sent after STLS: nothing
	 * from before the handshake may count as sent under TLS. */
	if (tls_start(&p->lg.ss.b, &err) < 0) {
		log_info("STLS failed: %s", str_cstr(&err));
		p->done = true;
	}
	str_free(&err);
}

static void
cmd_quit(struct plogin *p, const char *args)
{
	(void)args;
	p->done = true;
	reply(p, true, "roost POP3 server signing off");
}

static const struct {
	const char *verb;
	void (*fn)(struct plogin *p, const char *args);
} commands[] = {
	{ "CAPA", cmd_capa },
	{ "QUIT", cmd_quit },
	{ "USER", cmd_user },
	{ "PASS", cmd_pass },
	{ "AUTH", cmd_auth },
	{ "STLS", cmd_stls },
};

/* Commands of the TRANSACTION state: "not before login", not unknown. */
static const char *const later[] = {
	"NOOP", "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET",
};

static void
dispatch(struct plogin *p, const char *verb, const char *args)
{
	size_t i;

	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(verb, commands[i].verb) == 0) {
			/* USER then anything but PASS starts over (RFC 1939
			 * 7) */
			if (commands[i].fn != cmd_pass)
				p->have_user = false;
			commands[i].fn(p, args);
			return;
		}
	for (i = 0; i < sizeof later / sizeof later[0]; i++)
		if (strcmp(verb, later[i]) == 0) {
			reply(p, false, "%s is not available before login",
			    verb);
			return;
		}
	reply(p, false, "Unknown command");
}

/* greet - the per-address limit (before any TLS handshake: one that
 * stalls counts too), implicit TLS on 995, the greeting: false to hang
 * up at once. */
static bool
greet(struct plogin *p, const struct server_listener *l)
{
	bool implicit = strcmp(l->role, POP3_LOGIN_ROLE_POP3S) == 0;
	struct str err = STR_INIT;

	p->lg.slot_ip = session_admit_at(&p->lg.ss, login_slot_dir(), ".",
	    var_popd_ip_sessions);
	if (p->lg.slot_ip == -1) {
		if (!implicit)
			buf_puts(&p->lg.ss.b, "-ERR [SYS/TEMP] Too many "
			    "connections from your address\r\n");
		return false;
	}
	if (implicit) {
		if (!tls_available()) {
			log_warn("implicit TLS is not available; closing");
			return false;
		}
		if (tls_start(&p->lg.ss.b, &err) < 0) {
			log_info("TLS handshake failed: %s", str_cstr(&err));
			str_free(&err);
			return false;
		}
	}
	reply(p, true, "roost POP3 server ready");
	return true;
}

void
pop3_login_session(int fd, const struct server_listener *l, void *ctx)
{
	struct plogin p;

	(void)ctx;
	memset(&p, 0, sizeof p);
	p.lg.slot_ip = -1;
	p.lg.service = SERVICE;
	p.lg.daemon = "popd";
	session_open(&p.lg.ss, fd, l->role, var_popd_timeout);
	buf_set_deadline(&p.lg.ss.b, (int64_t)var_popd_login_timeout * 1000);
	if (!greet(&p, l))
		p.done = true;
	while (!p.done && !server_stopping) {
		enum buf_status st;
		const char *args;
		char verb[8];

		st = buf_getline(&p.lg.ss.b, &p.lg.ss.line, LINE_MAX_POP);
		if (st == BUF_TIMEOUT) {
			buf_set_deadline(&p.lg.ss.b, BUF_LAST_WORDS_MS);
			buf_puts(&p.lg.ss.b, "-ERR Login timeout\r\n");
			break;
		}
		if (st == BUF_TOOLONG)
			reply(&p, false, "Line too long");
		else if (st != BUF_OK)
			break;
		else if (++p.commands > (unsigned long)var_popd_command_limit) {
			reply(&p, false, "[SYS/PERM] Too many commands in one "
			    "session");
			break;
		} else if (session_verb(&p.lg.ss.line, verb, sizeof verb,
		    &args) < 0)
			reply(&p, false, "Unknown command");
		else
			dispatch(&p, verb, args);
		if (p.done)
			break;
		if (p.errors >= (unsigned)var_popd_error_limit) {
			buf_puts(&p.lg.ss.b, "-ERR Too many errors; closing\r\n");
			break;
		}
		if (p.auth_failures >= AUTH_FAILURES_MAX) {
			buf_puts(&p.lg.ss.b, "-ERR [AUTH] Too many failed logins; "
			    "closing\r\n");
			break;
		}
	}
	if (p.user.s != NULL)
		explicit_bzero(p.user.s, p.user.len);
	str_free(&p.user);
	if (p.lg.slot_ip >= 0)
		close(p.lg.slot_ip);
	session_close(&p.lg.ss);
}
