/*
 * smtpd - shared declarations of the SMTP server.
 *
 *   smtpd_session.c  the conversation: greeting, command loop, replies,
 *                    error counting, timeouts, the -S local mode,
 *                    STARTTLS (RFC 3207) and implicit TLS (RFC 8314)
 *   smtpd_cmd.c      one handler per command (sequence and arguments)
 *   smtpd_data.c     DATA and BDAT: reading, limits, handing to cleanup
 *   smtpd_policy.c   who may relay, which recipients are taken
 *   smtpd_auth.c     AUTH (RFC 4954) and the submission rules
 *   smtpd_scan.c     the content scanner hook
 *   smtpd_dns.c      the client's name (forward-confirmed reverse DNS)
 * Parsing lives in lib/ (smtpcmd, smtpdata, addr, cidr) so the unit
 * tests and other daemons share it.
 */
#ifndef SMTPD_H
#define SMTPD_H

#include <stdbool.h>

#include "attr.h"
#include "authc.h"
#include "cidr.h"
#include "server.h"
#include "session.h"
#include "smtpcmd.h"
#include "smtpdata.h"
#include "submit.h"

#define SMTPD_ROLE_MX "smtp"
#define SMTPD_ROLE_SUBMISSION "submission"
#define SMTPD_ROLE_SMTPS "smtps"
#define SMTPD_ROLE_LOCAL "local"	/* smtpd -S: sendmail -bs */

struct smtpd {
	struct session ss;
	const char *host;		/* our name, for replies */
	bool local;			/* -S: a local submission */
	bool relay_ok;			/* in mynetworks (or local) */
	struct str client_name;		/* verified name, or "unknown" */
	struct cidr_list mynetworks;
	bool tls;			/* TLS is on (STARTTLS or SMTPS) */
	int slot_ip;			/* lib/base/slots.h lock, or -1 */
	struct str auth_user;		/* after AUTH: the store user */
	unsigned auth_failures;
	struct authc_memo mechs;	/* authd's mechanisms (smtpd_auth.c) */
	int hello;			/* 0, 'H'ELO or 'E'HLO */
	struct str helo;
	unsigned errors;
	bool quit;			/* close after this reply */
	struct smtpcmd cmd;		/* the command being served */

	/* the mail transaction */
	bool in_mail;
	bool utf8;			/* MAIL had SMTPUTF8 */
	struct str sender, mail_params;
	struct attrs rcpts;		/* "rcpt" = "ADDR[ PARAMS]" */
	bool in_bdat;			/* a BDAT transfer is under way */
	struct smtpdata dec;
	struct buf_rate rate;		/* smtpd_min_data_rate, this request */
	struct str content;		/* decoded, not yet sent on */
	unsigned long long size;	/* content octets, CRLF form */
	bool too_big;

	/* cleanup, opened at the first message */
	struct submit sub;
	bool sub_open;
	bool sub_failed;		/* the transaction cannot be queued */
	enum submit_rc sub_rc;
	struct str sub_reason;
};

/* smtpd_session - serve one SMTP connection to the end. */
void smtpd_session(int fd, const struct server_listener *l, void *ctx);
/* smtpd_local - serve one session on stdin/stdout (smtpd -S). */
void smtpd_local(void);

/* smtpd_reply - send one reply line (CRLF added); 4xx/5xx replies are
 * logged and counted as errors. */
void smtpd_reply(struct smtpd *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* smtpd_reset - forget the mail transaction (aborting a submission). */
void smtpd_reset(struct smtpd *st);

/* smtpd_starttls - the STARTTLS command: "220" and the handshake, then
 * the state after the greeting (RFC 3207 4.2). */
void smtpd_starttls(struct smtpd *st);

/* smtpd_command - serve one parsed command line. */
void smtpd_command(struct smtpd *st, const char *line, size_t len);

/* smtpd_data / smtpd_bdat - the DATA and BDAT commands; false when the
 * session must end (timeout, lost connection). */
bool smtpd_data(struct smtpd *st);
bool smtpd_bdat(struct smtpd *st);

/* smtpd_policy_relay - whether the client may relay (mynetworks). */
bool smtpd_policy_relay(const struct smtpd *st);
/* smtpd_policy_rcpt - 0 to take the recipient, else -1 with a reply. */
int smtpd_policy_rcpt(const struct smtpd *st, const char *rcpt,
    struct str *reply);

/* smtpd_auth_ehlo - the "250-AUTH ..." line when AUTH is offered. */
void smtpd_auth_ehlo(struct smtpd *st, struct str *out);
/* smtpd_cmd_auth - the AUTH command; args: "mechanism [initial]". */
void smtpd_cmd_auth(struct smtpd *st, const char *args);
/* smtpd_auth_mail_ok - whether MAIL FROM:<sender> may start a
 * transaction on this connection (587: TLS and AUTH first; 465: AUTH
 * first; an authenticated client only as its own addresses); false
 * after replying. */
bool smtpd_auth_mail_ok(struct smtpd *st, const char *sender);

/* smtpd_client_name - st->client_name from DNS (smtpd_dns.c): the
 * forward-confirmed name of the client's address, else "unknown";
 * blocks for dns_timeout at most. */
void smtpd_client_name(struct smtpd *st);

/* smtpd_scan - the verdict on a received message: 0 to accept, else -1
 * with a reply. */
int smtpd_scan(const struct smtpd *st, struct str *reply);

#endif
