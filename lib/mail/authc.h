/*
 * authc - the client side of authd(8), for smtpd, the login processes,
 * imapd and popd.
 *
 * authd holds libsasl2's server side, the password table and the
 * failed-login counters; a protocol daemon never sees a password hash.
 * Each call below connects to the Unix socket of config key
 * authd_listen (relative to run_dir), runs one request and closes.
 * Everything is synchronous (blocking, with a timeout per read).
 *
 * The protocol (one request per line, LF-terminated, at most
 * AUTHC_LINE_MAX bytes; tokens are separated by one space), version
 * AUTHC_VERSION_MAJOR.AUTHC_VERSION_MINOR:
 *
 *   C: VERSION <major> <minor>         (optional, any time; the client
 *   S: VERSION <major> <minor>          hangs up on another major)
 *
 *   C: MECHS <service> <secured> <ip>
 *   S: MECHS [<mech> ...]              (no mechanism: "MECHS")
 *
 *   C: AUTH <service> <mech> <ip> <secured> <initial-response>
 *   S: CONT <challenge>                (zero or more times; after each
 *   C: <response> | *                   the client answers, "*" cancels)
 *   S: OK <user> [<final>]
 *   S: FAIL <code> <delay_ms> <text>
 *
 * service is the client's protocol name ("smtp", "imap", "pop"), used in
 * logs and by libsasl2; secured is 1 when the client's connection is
 * TLS-protected, else 0; ip is the client's numeric address (IPv4 or
 * IPv6, no brackets).  initial-response, challenge, response and final
 * are base64 (RFC 4648); "=" stands for an empty value, and "-" as the
 * initial response for "none" (the mechanism then starts with a
 * challenge).  user is the canonical (lowercased) user name.  final is
 * the server's last message (SCRAM's "v=..."): the protocol daemon must
 * hand it to its client before the success reply (as a last challenge,
 * or as SASL-IR success data where the protocol has it).
 *
 *   C: TICKET                          (1.1; right after an OK on the
 *   S: TICKET <ticket>                  same connection, from a login
 *                                       process)
 *   C: REDEEM <service> <ticket>       (1.1; imapd, popd)
 *   S: OK <user> | FAIL ...
 *
 * A ticket (32 hex digits) hands a login over from a login process
 * (imap-login, pop3-login) to the daemon that serves the session: that
 * daemon redeems it and so learns the user from authd, never from the
 * login process.  A ticket is good once, for its service, for a minute.
 *
 * FAIL codes: credentials (wrong user or password), blocked (the client
 * address, or this user from it, failed too often; try later),
 * mechanism (unknown, not enabled, or plaintext over an unprotected
 * connection), cancelled (the client sent "*"), malformed (protocol
 * error; authd closes the connection), tempfail (authd could not check:
 * a table or saslauthd error).  delay_ms is how long the protocol daemon
 * must wait before it answers its client's failure (auth_failure_delay,
 * more for a user under attack); authd itself never sleeps.  text is
 * for logs, never for the client.
 *
 * A connection may carry several requests in turn; authd closes it
 * after FAIL malformed.  A client sends VERSION pipelined before its
 * first request; a request without it is of version 1.0, which authd
 * before VERSION spoke (it answers VERSION "FAIL malformed" and closes,
 * and the client asks again without).  authd serves only root, its own
 * uid and the accounts of smtpd_user, login_user, imapd_user and
 * popd_user (SO_PEERCRED); only imapd_user, popd_user, root and authd
 * may redeem tickets.
 */
#ifndef ROOST_AUTHC_H
#define ROOST_AUTHC_H

#include <stdbool.h>

#include "buf.h"
#include "str.h"

#define AUTHC_LINE_MAX 16384 /* protocol line, LF included */
/* The protocol's version: VERSION exchanges it (above). */
#define AUTHC_VERSION_MAJOR 1
#define AUTHC_VERSION_MINOR 1

enum {
	AUTHC_OK = 0, /* authenticated: res->user */
	AUTHC_FAIL = 1, /* refused: res->code, res->delay_ms */
	AUTHC_TEMPFAIL = 2, /* authd unreachable or broke the protocol,
			     * or FAIL tempfail: answer "try later" */
};

struct authc_result {
	int status; /* AUTHC_OK, AUTHC_FAIL, AUTHC_TEMPFAIL */
	struct str user; /* OK: canonical user name */
	struct str code; /* FAIL: credentials, blocked, mechanism,
			  * cancelled, malformed, tempfail */
	struct str text; /* FAIL/TEMPFAIL: reason, for the log only */
	struct str final_data; /* OK: base64 final server data, or empty */
	struct str ticket; /* OK, with authc_want_ticket: the ticket */
	long delay_ms; /* FAIL: wait this long before answering */
};

/* authc_result_free - release the strings of res (it may be reused). */
void authc_result_free(struct authc_result *res);

/* authc_mechs - the mechanisms a client at ip may use now, space-
 * separated, into out (empty when none).  0, or -1 when authd cannot be
 * reached (out is then empty: offer no AUTH). */
int authc_mechs(
    const char *service, bool secured, const char *ip, struct str *out);

/* authc_challenge_fn - hand chal_b64 (base64, "" for an empty
 * challenge) to the client and put its base64 response, without CRLF,
 * into resp_b64 ("" for an empty response).  Return 0, or -1 when the
 * client cancelled ("*") or went away. */
typedef int authc_challenge_fn(
    void *ctx, const char *chal_b64, struct str *resp_b64);

/*
 * authc_run - authenticate a client at ip with mech for service.  ir is
 * the base64 initial response ("" for an empty one, "=" is taken as
 * empty too), or NULL for none.  challenge() is called for every
 * challenge authd sends.  Returns res->status (see above); res is
 * filled in every case (initialise it with a zeroed struct, free it with
 * authc_result_free).  Blocks for at most the client's own time between
 * challenges plus authd's answers.
 */
int authc_run(const char *service, const char *mech, const char *ip,
    bool secured, const char *ir, authc_challenge_fn *challenge, void *ctx,
    struct authc_result *res);

/*
 * authc_password - check user and password (IMAP LOGIN, POP3 USER/PASS)
 * as a PLAIN exchange; the same rules apply (plaintext refused over an
 * unprotected connection unless auth_plaintext allows it).  Returns
 * res->status.
 */
int authc_password(const char *service, const char *user, const char *pass,
    const char *ip, bool secured, struct authc_result *res);

/*
 * For the protocol daemons (authc_proto.c):
 *
 * authc_converse - authc_run over client connection b: each challenge
 * goes out as prefix ("+ " for IMAP and POP3, "334 " for SMTP), the
 * base64 and CRLF, and one line of at most AUTHC_LINE_MAX comes back
 * ("*" cancels).  mech may be in any case.  A final server message is
 * sent as one more challenge that must be answered with an empty line.
 * Returns res->status.
 *
 * authc_delay - after a failed res, flush b and wait res->delay_ms.
 *
 * authc_offers - whether mech is in the space-separated list.
 */
int authc_converse(struct buf *b, const char *prefix, const char *service,
    const char *mech, const char *ip, bool secured, const char *ir,
    struct authc_result *res);
void authc_delay(struct buf *b, const struct authc_result *res);
bool authc_offers(const char *list, const char *mech);

/* authc_memo - authd's mechanisms for one client connection, asked
 * once and again when the connection's protection changes (STARTTLS).
 * authc_memo_get: the list, or NULL while authd cannot be reached (not
 * kept: the next call asks again).  Zero-initialise; free with
 * authc_memo_free. */
struct authc_memo {
	struct str list;
	bool known, secured;
};
const char *authc_memo_get(struct authc_memo *m, const char *service,
    bool secured, const char *ip);
void authc_memo_free(struct authc_memo *m);

/* authc_set_socket - talk to authd at path (kept, not copied).
 * authc_configure - the same with authd_listen from roost.conf (a bad
 * value stops the daemon); the protocol daemons call it at start. */
void authc_set_socket(const char *path);
void authc_configure(void);
/* authc_want_ticket - every successful authc_run also asks for a
 * ticket (res->ticket; none is a temporary failure): the login
 * processes. */
void authc_want_ticket(bool on);
/* authc_redeem - the user of ticket for service (res->user), once:
 * AUTHC_OK, AUTHC_FAIL (no such ticket) or AUTHC_TEMPFAIL. */
int authc_redeem(const char *service, const char *ticket,
    struct authc_result *res);

#endif
