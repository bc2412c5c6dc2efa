/*
 * pop3-login - POP3 before authentication (the AUTHORIZATION state of
 * RFC 1939), on an account of its own (login_user), chrooted to
 * login_dir when started as root: it owns ports 110 and 995, speaks TLS
 * and USER/PASS/AUTH, and hands every login authd accepts to popd
 * (lib/mail/login.h).
 */
#ifndef POP3_LOGIN_H
#define POP3_LOGIN_H

#include "server.h"

#define POP3_LOGIN_ROLE_POP3 "pop3"
#define POP3_LOGIN_ROLE_POP3S "pop3s"

/* pop3_login_session - serve one connection until it logs in (handed
 * over), quits or fails. */
void pop3_login_session(int fd, const struct server_listener *l, void *ctx);

#endif
