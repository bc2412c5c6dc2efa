/*
 * lmtpd - shared declarations of the LMTP server.
 */
#ifndef LMTPD_H
#define LMTPD_H

#include "server.h"

#define LMTPD_LINE_MAX 1000

/* lmtpd_session - serve one LMTP connection to the end. */
void lmtpd_session(int fd, const struct server_listener *l, void *ctx);

#endif
