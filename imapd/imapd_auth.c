/*
 * imapd_auth - the not-authenticated state's way out: LOGIN and
 * AUTHENTICATE (RFC 9051 6.2, SASL-IR RFC 4959), both checked by
 * authd(8), then the per-user session limit and the store.
 */
#include <string.h>
#include <unistd.h>

#include "authc.h"
#include "cfg.h"
#include "imapd.h"
#include "log.h"
#include "slots.h"
#include "tls.h"

#define SERVICE "imap"

/* mechs - authd's mechanisms for this connection (NULL while authd
 * cannot be reached). */
static const char *
mechs(struct imapd *st)
{
	return authc_memo_get(&st->mechs, SERVICE, tls_active(&st->ss.b),
	    st->ss.peer.s);
}

/* plaintext_ok - LOGIN is offered where authd would take PLAIN; while
 * authd is away, LOGIN is let through to fail as a temporary failure
 * rather than as a policy refusal. */
static bool
plaintext_ok(struct imapd *st)
{
	const char *m = mechs(st);

	return m == NULL || authc_offers(m, "PLAIN");
}

void
imapd_auth_caps(struct imapd *st, struct str *out)
{
	const char *m = mechs(st);

	while (m != NULL && *m != '\0') {
		size_t n = strcspn(m, " ");

		str_catf(out, " AUTH=%.*s", (int)n, m);
		m += n;
		m += *m == ' ';
	}
	if (!plaintext_ok(st))
		str_cats(out, " LOGINDISABLED");
}

/* enter - user has authenticated: the session limit, the store, and the
 * authenticated state. */
static void
enter(struct imapd *st, const struct imap_cmd *c, const char *user,
    const char *mech)
{
	struct str err = STR_INIT, dir = STR_INIT;

	str_copyf(&dir, "%s/imapd", var_run_dir);
	st->slot_user = slot_take(dir.s, user,
	    (unsigned)var_imapd_user_sessions, &err);
	if (st->slot_user == -1) {
		log_info("user=%s refused: too many sessions", user);
		imapd_no(st, c, "[LIMIT] Too many sessions for this user");
		goto out;
	}
	if (st->slot_user == -2) {
		log_warn("session limit: %s", err.s);
		st->slot_user = -1;
	}
	if (store_open_login(&st->store, st->store_dir, user,
	    (uint64_t)var_quota_default, &err) != STORE_OK) {
		log_error("user=%s store: %s", user, str_cstr(&err));
		store_close(&st->store);
		if (st->slot_user >= 0)
			close(st->slot_user);
		st->slot_user = -1;
		imapd_no(st, c, "[UNAVAILABLE] Mailbox store unavailable");
		goto out;
	}
	str_copys(&st->user, user);
	st->state = IMAPD_AUTH;
	buf_set_deadline(&st->ss.b, 0);	/* imapd_login_timeout is over */
	log_info("login user=%s mech=%s", user, mech);
	str_clear(&dir);
	imapd_caps(st, &dir);
	imapd_ok(st, c, "[CAPABILITY %s] Logged in", dir.s);
out:
	str_free(&err);
	str_free(&dir);
}

/* result - act on authd's answer. */
static void
result(struct imapd *st, const struct imap_cmd *c, struct authc_result *res,
    const char *user, const char *mech)
{
	if (res->status == AUTHC_OK) {
		enter(st, c, res->user.s, mech);
		return;
	}
	if (res->status == AUTHC_TEMPFAIL) {
		log_error("auth user=%s mech=%s: %s", user, mech,
		    str_cstr(&res->text));
		imapd_no(st, c, "[UNAVAILABLE] Authentication unavailable; "
		    "try again later");
		return;
	}
	log_info("auth failed user=%s mech=%s from=%s: %s", user, mech,
	    st->ss.peer.s, str_cstr(&res->code));
	if (str_eqs(&res->code, "cancelled")) {
		imapd_bad(st, c, "Authentication cancelled");
		return;
	}
	if (str_eqs(&res->code, "mechanism")) {
		imapd_no(st, c, "%s", plaintext_ok(st) ?
		    "Unsupported authentication mechanism" :
		    "[PRIVACYREQUIRED] Mechanism refused on an unencrypted "
		    "connection");
		return;
	}
	if (str_eqs(&res->code, "malformed")) {
		imapd_bad(st, c, "Malformed authentication exchange");
		return;
	}
	st->auth_failures++;
	authc_delay(&st->ss.b, res);
	imapd_no(st, c, "[AUTHENTICATIONFAILED] %s",
	    str_eqs(&res->code, "blocked") ?
	    "Too many failed logins; try again later" :
	    "Authentication failed");
}

void
imapd_cmd_login(struct imapd *st, const struct imap_cmd *c)
{
	struct authc_result res;

	if (c->nargs != 2 || !imap_arg_astring(&c->args[0]) ||
	    !imap_arg_astring(&c->args[1])) {
		imapd_bad(st, c, "LOGIN needs a user name and a password");
		return;
	}
	if (!plaintext_ok(st)) {
		imapd_no(st, c, "[PRIVACYREQUIRED] Plaintext login refused "
		    "on an unencrypted connection");
		return;
	}
	memset(&res, 0, sizeof res);
	authc_password(SERVICE, c->args[0].s, c->args[1].s, st->ss.peer.s,
	    tls_active(&st->ss.b), &res);
	result(st, c, &res, c->args[0].s, "LOGIN");
	authc_result_free(&res);
}

void
imapd_cmd_authenticate(struct imapd *st, const struct imap_cmd *c)
{
	struct authc_result res;

	if (c->nargs < 1 || c->nargs > 2 ||
	    c->args[0].type != IMAP_ARG_ATOM ||
	    (c->nargs == 2 && c->args[1].type != IMAP_ARG_ATOM)) {
		imapd_bad(st, c, "AUTHENTICATE needs a mechanism");
		return;
	}
	memset(&res, 0, sizeof res);
	authc_converse(&st->ss.b, "+ ", SERVICE, c->args[0].s, st->ss.peer.s,
	    tls_active(&st->ss.b), c->nargs == 2 ? c->args[1].s : NULL, &res);
	result(st, c, &res, res.status == AUTHC_OK ? res.user.s : "-",
	    c->args[0].s);
	authc_result_free(&res);
}
