/*
 * session - the per-connection frame shared by the protocol daemons:
 * buffered I/O on the socket, the peer's address, a session id that
 * prefixes every log line, and the "connect"/"disconnect" log lines.
 */
#ifndef ROOST_SESSION_H
#define ROOST_SESSION_H

#include "buf.h"
#include "str.h"

struct session {
	struct buf b;
	struct str line;	/* the current input line */
	struct str peer;	/* address, or "unix" */
	unsigned port;
	const char *role;
};

/* session_open - set up for connection fd, timeout in seconds per wait. */
void session_open(struct session *ss, int fd, const char *role,
    long long timeout_s);
/* session_adopt - set up for a connection a login process handed over
 * (lib/mail/login.h): the client's address as it reported it, and its
 * log session id (NULL: a fresh one); no "connect" line, that was the
 * login process's. */
void session_adopt(struct session *ss, int fd, const char *role,
    long long timeout_s, const char *peer, unsigned port, const char *id);
/* session_close - flush, end TLS (close_notify), log the disconnect
 * with byte counts, free. */
void session_close(struct session *ss);
/* session_verb - split line into a verb (upper-cased, at most vmax-1
 * bytes) and *args (after one space, or ""); CRLF or LF is stripped
 * from line first.  0, or -1 when the verb is empty or overlong. */
int session_verb(struct str *line, char *verb, size_t vmax,
    const char **args);

/* session_admit - the per-address connection limit: one of limit slot
 * files for the client's address under run_dir/<daemon> (lib/base/slots.h).
 * The slot's fd (keep it open for the session), -1 when the address has
 * all its slots (logged as refused: hang up), or -2 when the slot files
 * fail (logged; let the client in rather than refuse everyone). */
int session_admit(const struct session *ss, const char *daemon,
    long long limit);
/* session_admit_at - the same in folder dir relative to the folder open
 * at dfd (a chrooted login process's, opened before the chroot). */
int session_admit_at(const struct session *ss, int dfd, const char *dir,
    long long limit);

#endif
