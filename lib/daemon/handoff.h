/*
 * handoff - a login process hands an authenticated client over to the
 * daemon that serves it (imap-login to imapd, pop3-login to popd), over
 * that daemon's Unix socket in login_dir:
 *
 *   S: proto=handoff version=1.0        (the attr greeting)
 *   C: one byte carrying the descriptors (SCM_RIGHTS): the client's
 *      connection, or the inner end of the TLS proxy's socket pair, and
 *      the lock of its per-address slot when it has one
 *   C: the session's attribute list (HANDOFF_LIST_MAX bytes at most)
 *   S: status=ok                        (the daemon holds the session)
 *
 * After "ok" the login process never writes to a plain connection
 * again; before it, a failure is the login process's to answer.
 */
#ifndef ROOST_HANDOFF_H
#define ROOST_HANDOFF_H

#include <stddef.h>

#include "attr.h"
#include "str.h"

#define HANDOFF_PROTO "handoff"
#define HANDOFF_VERSION "1.0"
#define HANDOFF_FDS_MAX 2
#define HANDOFF_LIST_MAX (256 * 1024)
#define HANDOFF_TIMEOUT_MS 10000

/* handoff_send - connect to path, pass nfds descriptors and list a, and
 * wait for the daemon's ok: 0, or -1 with a reason in err. */
int handoff_send(const char *path, const int *fds, size_t nfds,
    const struct attrs *a, struct str *err);
/* handoff_recv - the daemon's side on connection sock: greet, take the
 * descriptors (at most HANDOFF_FDS_MAX, close-on-exec; *nfds of them)
 * and the list, and answer ok: 0, or -1 with a reason in err (nothing
 * is left open then). */
int handoff_recv(int sock, int *fds, size_t *nfds, struct attrs *a,
    struct str *err);

#endif
