/*
 * popd - shared declarations of the POP3 server.
 */
#ifndef POPD_H
#define POPD_H

#include "server.h"

#define POPD_ROLE_POP3 "pop3"
#define POPD_ROLE_POP3S "pop3s"

/* RFC 2449 4: commands are at most 255 octets with CRLF. */
#define POPD_LINE_MAX 512

/* popd_session - serve one POP3 connection to the end. */
void popd_session(int fd, const struct server_listener *l, void *ctx);

#endif
