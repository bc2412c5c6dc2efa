/*
 * smtpcmd - parsing of one SMTP command line (RFC 5321 4.1) with the
 * parameters of SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC
 * 6531), DSN (RFC 3461) and CHUNKING (RFC 3030).
 *
 * Pure: no I/O, no configuration.  The caller passes the line without
 * its CRLF and says whether ESMTP is in force; on a parse error the
 * reply to send is in c->reply.  Sequence (is a MAIL in progress?) and
 * policy (size limit, relaying) are the session's business.
 */
#ifndef ROOST_SMTPCMD_H
#define ROOST_SMTPCMD_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

enum smtpcmd_verb {
	SMTPCMD_UNKNOWN = 0,
	SMTPCMD_EHLO, SMTPCMD_HELO, SMTPCMD_MAIL, SMTPCMD_RCPT,
	SMTPCMD_DATA, SMTPCMD_BDAT, SMTPCMD_RSET, SMTPCMD_NOOP,
	SMTPCMD_QUIT, SMTPCMD_HELP, SMTPCMD_VRFY, SMTPCMD_EXPN,
	SMTPCMD_STARTTLS, SMTPCMD_AUTH,
};

enum smtpcmd_body { SMTPCMD_BODY_NONE = 0, SMTPCMD_BODY_7BIT,
	SMTPCMD_BODY_8BITMIME };

#define SMTPCMD_ESMTP 0x01	/* the client said EHLO: parameters ok */
#define SMTPCMD_UTF8 0x02	/* the transaction is SMTPUTF8 (RCPT) */

#define SMTPCMD_NOTIFY_NEVER 0x01
#define SMTPCMD_NOTIFY_SUCCESS 0x02
#define SMTPCMD_NOTIFY_FAILURE 0x04
#define SMTPCMD_NOTIFY_DELAY 0x08

#define SMTPCMD_ENVID_MAX 100	/* RFC 3461 4.4 */
#define SMTPCMD_ORCPT_MAX 500	/* RFC 3461 4.2 */

struct smtpcmd {
	enum smtpcmd_verb verb;
	struct str arg;		/* EHLO/HELO name, VRFY/EXPN/HELP text */
	struct str addr;	/* MAIL/RCPT mailbox; "" for <> */
	struct str params;	/* MAIL/RCPT parameters, normalised */
	/* MAIL */
	bool has_size;
	unsigned long long size;	/* SIZE=, saturating */
	enum smtpcmd_body body;
	bool smtputf8;
	int ret;			/* 0, 'F'ULL or 'H'DRS */
	/* RCPT */
	unsigned notify;
	/* BDAT */
	unsigned long long chunk;
	bool last;
	struct str reply;	/* on error: the whole reply, no CRLF */
};

/*
 * smtpcmd_parse - parse line (len bytes, no CRLF) into c.  Returns 0, or
 * -1 with c->reply set (500 unknown command, 501 syntax, 555 bad
 * parameter, 553 bad address).
 */
int smtpcmd_parse(const char *line, size_t len, unsigned flags,
    struct smtpcmd *c);
void smtpcmd_free(struct smtpcmd *c);
/* smtpcmd_xtext_ok - whether s is valid xtext (RFC 3461 4). */
bool smtpcmd_xtext_ok(const char *s, size_t n);

#endif
