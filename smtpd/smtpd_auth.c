/*
 * smtpd_auth - SMTP AUTH (RFC 4954) through authd(8), and the
 * submission rules that depend on it: 587 wants STARTTLS and AUTH
 * before MAIL (RFC 6409 4.3, RFC 8314 3.3), 465 wants AUTH, and an
 * authenticated client may send only as its own addresses.
 */
#include <string.h>
#include <strings.h>

#include "authc.h"
#include "cfg.h"
#include "log.h"
#include "resolve.h"
#include "smtpd.h"

#define SERVICE "smtp"
/* Failed AUTH commands after which the connection is closed. */
#define AUTH_FAILURES_MAX 3

/* mechs - authd's mechanisms for this connection: empty where AUTH is
 * not offered (local submissions, and, as Postfix's
 * smtpd_tls_auth_only, connections without TLS where authd refuses
 * plaintext), NULL while authd cannot be reached. */
static const char *
mechs(struct smtpd *st)
{
	const char *m;

	if (st->local)
		return "";
	m = authc_memo_get(&st->mechs, SERVICE, st->tls, st->ss.peer.s);
	if (m != NULL && !st->tls && !authc_offers(m, "PLAIN"))
		return "";
	return m;
}

void
smtpd_auth_ehlo(struct smtpd *st, struct str *out)
{
	const char *m = st->auth_user.len == 0 ? mechs(st) : NULL;

	if (m != NULL && *m != '\0')
		str_catf(out, "250-AUTH %s\r\n", m);
}

static void
failed(struct smtpd *st, struct authc_result *res, const char *mech)
{
	log_info("auth failed mech=%s from=%s: %s", mech, st->ss.peer.s,
	    str_cstr(&res->code));
	if (str_eqs(&res->code, "cancelled")) {
		smtpd_reply(st, "501 5.7.0 Authentication cancelled");
		return;
	}
	if (str_eqs(&res->code, "mechanism")) {
		smtpd_reply(st, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	if (str_eqs(&res->code, "malformed")) {
		smtpd_reply(st, "501 5.5.2 Cannot decode the response");
		return;
	}
	st->auth_failures++;
	authc_delay(&st->ss.b, res);
	if (str_eqs(&res->code, "blocked"))
		smtpd_reply(st, "454 4.7.0 Too many failed logins; try "
		    "again later");
	else
		smtpd_reply(st, "535 5.7.8 Authentication credentials "
		    "invalid");
	if (st->auth_failures >= AUTH_FAILURES_MAX)
		st->quit = true;
}

void
smtpd_cmd_auth(struct smtpd *st, const char *args)
{
	struct authc_result res;
	struct str mech = STR_INIT;
	const char *sp = strchr(args, ' '), *m;

	if (st->auth_user.len > 0) {
		smtpd_reply(st, "503 5.5.1 Error: already authenticated");
		return;
	}
	if (st->in_mail) {
		smtpd_reply(st, "503 5.5.1 Error: AUTH not allowed during a "
		    "mail transaction");
		return;
	}
	if (st->hello != 'E') {
		smtpd_reply(st, "503 5.5.1 Error: send EHLO first");
		return;
	}
	if ((m = mechs(st)) == NULL) {
		smtpd_reply(st, "454 4.7.0 Temporary authentication failure");
		return;
	}
	if (*m == '\0') {
		smtpd_reply(st, "503 5.5.1 Error: authentication not "
		    "enabled");
		return;
	}
	str_copyb(&mech, args, sp ? (size_t)(sp - args) : strlen(args));
	if (mech.len == 0) {
		smtpd_reply(st, "501 5.5.4 Syntax: AUTH mechanism");
		str_free(&mech);
		return;
	}
	memset(&res, 0, sizeof res);
	authc_converse(&st->ss.b, "334 ", SERVICE, mech.s, st->ss.peer.s,
	    st->tls, sp != NULL ? sp + 1 : NULL, &res);
	if (res.status == AUTHC_OK) {
		str_copyb(&st->auth_user, res.user.s, res.user.len);
		st->relay_ok = true;
		log_info("auth user=%s mech=%s", res.user.s, mech.s);
		smtpd_reply(st, "235 2.7.0 Authentication successful");
	} else if (res.status == AUTHC_TEMPFAIL) {
		log_error("auth mech=%s: %s", mech.s, str_cstr(&res.text));
		smtpd_reply(st, "454 4.7.0 Temporary authentication failure");
	} else {
		failed(st, &res, mech.s);
	}
	authc_result_free(&res);
	str_free(&mech);
}

/* The resolver of this worker process for the sender check. */
static struct resolver *resolver;

/* owns - whether the store user may send as addr: it is the user's own
 * address (with any +detail) or an alias that delivers to the user. */
static bool
owns(const char *user, const char *addr)
{
	struct str to = STR_INIT, detail = STR_INIT, why = STR_INIT;
	struct resolve_target *t = NULL;
	size_t n = 0, i;
	bool ok = false;

	if (resolver == NULL)
		resolver = resolver_open_cfg();
	if (resolve_mailbox(resolver, addr, &to, &detail, &why) ==
	    RESOLVE_OK && str_eqs(&to, user))
		ok = true;
	else if (resolve_expand(resolver, addr, &t, &n, &why) ==
	    RESOLVE_OK) {
		for (i = 0; i < n && !ok; i++)
			ok = t[i].kind == RESOLVE_MAILBOX &&
			    str_eqs(&t[i].to, user);
		resolve_targets_free(t, n);
	}
	str_free(&to);
	str_free(&detail);
	str_free(&why);
	return ok;
}

bool
smtpd_auth_mail_ok(struct smtpd *st, const char *sender)
{
	bool submission = strcmp(st->ss.role, SMTPD_ROLE_SUBMISSION) == 0,
	    smtps = strcmp(st->ss.role, SMTPD_ROLE_SMTPS) == 0;

	if (st->local)
		return true;
	if (submission && !st->tls) {
		smtpd_reply(st, "530 5.7.0 Must issue a STARTTLS command "
		    "first");
		return false;
	}
	if ((submission || smtps) && st->auth_user.len == 0) {
		smtpd_reply(st, "530 5.7.0 Authentication required");
		return false;
	}
	if (st->auth_user.len == 0 || *sender == '\0' ||
	    !var_smtpd_sender_login_check ||
	    owns(st->auth_user.s, sender))
		return true;
	log_info("sender <%s> refused: not owned by user=%s", sender,
	    st->auth_user.s);
	smtpd_reply(st, "553 5.7.1 <%s>: Sender address rejected: not "
	    "owned by user %s", sender, st->auth_user.s);
	return false;
}
