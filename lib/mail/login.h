/*
 * login - the two halves of a split login (Dovecot's imap-login and
 * imap, OpenSMTPD's processes): a login process (imap-login,
 * pop3-login) speaks to the stranger until authd accepts a login, on an
 * account of its own, chrooted to login_dir; then it hands the session
 * to the daemon with store access (imapd, popd), which learns the user
 * by redeeming authd's one-time ticket, never from the login process.
 *
 * A plain connection is handed over itself, with whatever the client
 * pipelined behind its login; a TLS connection stays with the login
 * process, which relays it (tls_proxy) to the daemon over a socket
 * pair.  The per-address slot goes along, so the limit holds for the
 * whole session.  The hand-off: lib/daemon/handoff.h.
 */
#ifndef ROOST_LOGIN_H
#define ROOST_LOGIN_H

#include <stdbool.h>

#include "attr.h"
#include "authc.h"
#include "session.h"

struct login {
	struct session ss;
	int slot_ip;		/* lock of the per-address slot, or -1 */
	const char *service;	/* authd's name for it: "imap", "pop" */
	const char *daemon;	/* the daemon's socket in login_dir */
};

/* login_configure (login_conf.c) - for a login process: authd at
 * login_dir/auth, a ticket with every login, and the daemon sockets as
 * seen from inside the chroot when confined. */
void login_configure(bool confined);
bool login_is_confined(void);
/* login_start (login_start.c) - a login process's start, between
 * daemon_start and daemon_serve (with "login_user"): its slot folder
 * run_dir/<prog> (kept open: login_slot_dir, for session_admit_at), the
 * TLS keys of tls_service, login_dir, login_configure, and the chroot
 * when root. */
struct daemon;
void login_start(struct daemon *d, const char *tls_service);
int login_slot_dir(void);
/* login_handoff - after res (AUTHC_OK, with its ticket) for mech, hand
 * lg's session to its daemon with the attributes in extra (the IMAP
 * tag, say).  0: handed over (a TLS session has been relayed to its
 * end): say nothing more to the client.  -1: the daemon did not take it
 * (logged): answer a temporary failure and go on. */
int login_handoff(struct login *lg, const struct authc_result *res,
    const char *mech, const struct attrs *extra);

/* The daemon's side. */
enum login_adopted {
	LOGIN_NONE,	/* no session came (logged): just return */
	LOGIN_REFUSED,	/* a session, but its ticket was not good (logged):
			 * answer a temporary failure, then close */
	LOGIN_OK,	/* a session of user */
};
/*
 * login_adopt - take the session handed over on connection sock (from
 * root, this account or login_user only) for service: ss is opened on
 * the client's descriptor (*client_fd, which the caller closes after
 * session_close) with the client's address and the log session of the
 * login process, and the client's pipelined input preloaded; *slot_ip is
 * the per-address slot or -1; a holds the list (mech=, tag=, tls=...);
 * user the user authd vouches for.
 */
enum login_adopted login_adopt(int sock, const char *service,
    const char *role, long long timeout_s, struct session *ss,
    int *client_fd, int *slot_ip, struct attrs *a, struct str *user);
/* login_peer_ok (login_conf.c) - whether uid may hand sessions over:
 * root, this process's own uid, or login_user's. */
bool login_peer_ok(uid_t uid);

#endif
