/*
 * imapd - shared declarations of the IMAP server.
 */
#ifndef IMAPD_H
#define IMAPD_H

#include "server.h"

#define IMAPD_ROLE_IMAP "imap"
#define IMAPD_ROLE_IMAPS "imaps"

/* Longest command line we read (RFC 7162 3 suggests at least 8192). */
#define IMAPD_LINE_MAX 8192

/* imapd_session - serve one IMAP connection to the end. */
void imapd_session(int fd, const struct server_listener *l, void *ctx);

#endif
