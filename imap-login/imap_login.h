/*
 * imap-login - IMAP before authentication, on an account of its own
 * (login_user), chrooted to login_dir when started as root: it owns
 * ports 143 and 993, speaks TLS and the not-authenticated state, and
 * hands every login authd accepts to imapd (lib/mail/login.h).
 */
#ifndef IMAP_LOGIN_H
#define IMAP_LOGIN_H

#include "server.h"

#define IMAP_LOGIN_ROLE_IMAP "imap"
#define IMAP_LOGIN_ROLE_IMAPS "imaps"

/* imap_login_session - serve one connection until it logs in (handed
 * over), logs out or fails. */
void imap_login_session(int fd, const struct server_listener *l, void *ctx);

#endif
