/*
 * authd - the authentication daemon: libsasl2's server side, the
 * password table and the failed-login counters, for smtpd, imapd and
 * popd and the login processes (lib/mail/authc.h is their client; the
 * protocol is in authd(8)).
 *
 * Files: main.c wires; authd_session.c speaks the line protocol and
 * applies the throttle and plaintext rules; authd_sasl.c drives
 * libsasl2 (callbacks, configuration, the in-process auxprop plugin
 * that serves SCRAM secrets from passwd.db).
 */
#ifndef ROOST_AUTHD_H
#define ROOST_AUTHD_H

#include <stdbool.h>
#include <sys/types.h>

#include "auth_throttle.h"
#include "cidr.h"
#include "server.h"
#include "str.h"

/* What became of one exchange, for the reply and the log. */
enum authd_reason {
	AUTHD_R_NONE = 0,
	AUTHD_R_BADPASS, /* bad credentials */
	AUTHD_R_NOUSER, /* unknown user */
	AUTHD_R_NOSECRET, /* user without SCRAM secrets */
	AUTHD_R_MALFORMED, /* the client's SASL message was malformed */
	AUTHD_R_TEMP, /* table or saslauthd error */
};

/* One AUTH request; the SASL callbacks fill in user and reason. */
struct authd_attempt {
	const char *service, *mech, *ip;
	bool secured;
	struct str user; /* authentication id as canonicalised */
	enum authd_reason reason;
};

/* The peers authd serves (SO_PEERCRED), set up by main(); redeem:
 * the peer may redeem tickets (imapd, popd, root, authd itself). */
struct authd_peers {
	uid_t uid[8];
	bool redeem[8];
	size_t n;
};

/* Shared by every worker: set up by the master before forking. */
extern struct auth_throttle *authd_throttle;
extern struct authd_peers authd_peers;
/* auth_throttle_exempt, parsed by main(). */
extern struct cidr_list authd_exempt;

/* authd_sasl_init - libsasl2's server side, configured from roost.conf
 * only (no file of libsasl2's own is read); log_fatal_config on error. */
void authd_sasl_init(void);
/* authd_sasl_mechs - the enabled mechanisms libsasl2 offers, as a
 * space-separated list in auth_mechanisms order. */
const char *authd_sasl_mechs(void);
/* authd_plaintext - is mech one that carries the password itself? */
bool authd_plaintext(const char *mech);

/* One exchange, step by step: start with the initial response (NULL:
 * none), then step with each response.  Each returns 1 (continue: out
 * holds the challenge), 0 (success: out holds the final data, user
 * the canonical name) or -1 (failure: a->reason says why). */
struct authd_sasl;
int authd_sasl_start(struct authd_sasl **sp, struct authd_attempt *a,
    const struct str *ir, struct str *out);
int authd_sasl_step(
    struct authd_sasl *s, const struct str *in, struct str *out);
/* authd_sasl_user - the authorised user after success. */
const char *authd_sasl_user(struct authd_sasl *s);
void authd_sasl_end(struct authd_sasl **sp);

/* authd_ticket.c: one-time tickets from a login process to the daemon
 * that serves the session (authc.h: TICKET, REDEEM). */
#define AUTHD_TICKET_HEX 32
/* authd_ticket_prepare - make run_dir/authd/tickets (owned by uid:gid
 * when chown_it). */
void authd_ticket_prepare(uid_t uid, gid_t gid, bool chown_it);
/* authd_ticket_ok - whether hex has a ticket's form. */
bool authd_ticket_ok(const char *hex);
/* authd_ticket_issue - a new ticket for user of service into hex: 0, or
 * -1 (logged). */
int authd_ticket_issue(const char *service, const char *user,
    char hex[AUTHD_TICKET_HEX + 1]);
/* authd_ticket_redeem - the user of ticket hex for service, once: 0, or
 * -1 when there is no such live ticket for service. */
int authd_ticket_redeem(const char *service, const char *hex,
    struct str *user);

void authd_session(int fd, const struct server_listener *l, void *ctx);

#endif
