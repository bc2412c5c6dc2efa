/*
 * lmtpd - shared declarations of the LMTP server (RFC 2033).
 *
 *   main.c            wiring
 *   lmtpd_session.c   the conversation: greeting, command loop, LHLO,
 *                     MAIL, RCPT (recipients resolved to store users),
 *                     RSET, NOOP, VRFY, QUIT, limits
 *   lmtpd_data.c      DATA and BDAT into one store spool file
 *   lmtpd_deliver.c   per recipient: duplicate check, store, reply
 *   lmtpd_msgid.c     the Message-ID a duplicate is recognised by
 *
 * The stored copy starts with a Return-Path header added here.  It is
 * written once into the spool and hard-linked into every recipient's
 * store, so it must be the same for all of them: a per-recipient
 * Delivered-To (as Dovecot adds) is not possible without a copy per
 * recipient, and is left out.
 */
#ifndef LMTPD_H
#define LMTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "resolve.h"
#include "server.h"
#include "session.h"
#include "smtpcmd.h"
#include "smtpdata.h"
#include "store.h"

#define LMTPD_LINE_MAX 1000 /* command line, without CRLF */
#define LMTPD_DATA_LINE_MAX 65536 /* message line; longer: refused */
#define LMTPD_RCPT_MAX 1000 /* recipients per transaction */
#define LMTPD_ERROR_MAX 20 /* protocol errors before we hang up */
#define LMTPD_HEAD_MAX 65536 /* header octets searched for Message-ID */
#define LMTPD_MSGID_MAX 500 /* a longer Message-ID is not a key */

struct lmtpd_rcpt {
	struct str addr; /* as the client gave it */
	struct str user; /* the store user it delivers to */
	struct str detail; /* +detail, for the log (Sieve later) */
};

struct lmtpd {
	struct session ss;
	const char *host;
	const char *store_dir;
	bool lhlo;
	unsigned errors;
	bool quit;
	struct smtpcmd cmd;

	/* the mail transaction */
	bool in_mail;
	bool utf8;
	struct str sender;
	struct lmtpd_rcpt *rcpt;
	size_t nrcpt, rcpt_cap;
	bool in_bdat;
	struct smtpdata dec;
	struct str content; /* decoded, not yet spooled */
	struct str head; /* the header section, for Message-ID */
	bool head_done;
	unsigned long long size; /* content octets, CRLF form */
	bool too_big;
	struct store_spool *sp;
	bool spool_failed;
	bool spool_full;	/* ... because the file system is full */
	struct str spool_err;
};

/* lmtpd_peer_init - look up the accounts that may deliver (at start);
 * lmtpd_peer_ok - whether the peer on fd is one (lmtpd_peer.c). */
void lmtpd_peer_init(void);
bool lmtpd_peer_ok(int fd, const struct server_listener *l);
/* lmtpd_session - serve one LMTP connection to the end. */
void lmtpd_session(int fd, const struct server_listener *l, void *ctx);

/* lmtpd_reply - one reply line (CRLF added); 4xx/5xx are logged. */
void lmtpd_reply(struct lmtpd *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* lmtpd_reset - forget the transaction (removing any spool file). */
void lmtpd_reset(struct lmtpd *st);

/* lmtpd_data / lmtpd_bdat - DATA and BDAT, ending with one reply per
 * recipient; false when the session must end. */
bool lmtpd_data(struct lmtpd *st);
bool lmtpd_bdat(struct lmtpd *st);

/* lmtpd_deliver - store the spooled message for every recipient in
 * order and send each its reply as soon as its copy is durable. */
void lmtpd_deliver(struct lmtpd *st);


/* lmtpd_msgid - the Message-ID of header section head (LF or CRLF
 * line ends), normalised: unfolded, blanks around it and just inside
 * its angle brackets removed.  0 with it in out, or -1 when there is
 * none, it is empty or longer than LMTPD_MSGID_MAX. */
int lmtpd_msgid(const char *head, size_t len, struct str *out);
/* lmtpd_dupkey - the duplicate key of head: that Message-ID, the From
 * address (lower case) and the Date (unfolded), separated by 0x01.  0,
 * or -1 without a usable Message-ID (no duplicate check then). */
int lmtpd_dupkey(const char *head, size_t len, struct str *out);

#endif
