/*
 * sock - creating listening sockets and connecting to Unix sockets.
 *
 * All descriptors are close-on-exec.  Functions return a descriptor, or
 * -1 with errno set and a reason naming the address in err.
 */
#ifndef ROOST_SOCK_H
#define ROOST_SOCK_H

#include <sys/types.h>

#include "str.h"

/* sock_tcp_listen - bind and listen on host:port (numeric or name),
 * with SO_REUSEADDR (and IPV6_V6ONLY for IPv6); non-blocking. */
int sock_tcp_listen(const char *host, unsigned port, int backlog,
    struct str *err);
/* sock_unix_listen - bind path (removing a stale socket file first, never
 * any other kind of file), chmod it to mode, listen; non-blocking. */
int sock_unix_listen(const char *path, mode_t mode, int backlog,
    struct str *err);
/* sock_unix_connect - connect a stream socket to path within timeout_ms
 * (< 0: no limit); the result is blocking. */
int sock_unix_connect(const char *path, int timeout_ms, struct str *err);
/* sock_peer_cred - the peer's uid, gid and pid (SO_PEERCRED). */
int sock_peer_cred(int fd, uid_t *uid, gid_t *gid, pid_t *pid);
/* sock_peer_name - "1.2.3.4", "::1" or "unix" for the peer; port too. */
void sock_peer_name(int fd, struct str *addr, unsigned *port);

#endif
