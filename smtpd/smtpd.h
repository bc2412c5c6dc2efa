/*
 * smtpd - shared declarations of the SMTP server.
 */
#ifndef SMTPD_H
#define SMTPD_H

#include "server.h"

#define SMTPD_ROLE_MX "smtp"
#define SMTPD_ROLE_SUBMISSION "submission"
#define SMTPD_ROLE_SMTPS "smtps"

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets with CRLF;
 * we allow the 1000 of a text line, as Postfix does. */
#define SMTPD_LINE_MAX 1000

/* smtpd_session - serve one SMTP connection to the end. */
void smtpd_session(int fd, const struct server_listener *l, void *ctx);

#endif
