/*
 * cleanup - shared declarations of the queue writer.
 *
 * Protocol (version 1, attribute lines as in STYLE 7.8): on connect the
 * server sends "proto=cleanup\nversion=1.0\n\n".
 *
 * XXX Requests are defined by the mail-in work; until then every request
 * is answered "status=tempfail\nreason=...\n\n" so no caller believes a
 * message was queued.
 */
#ifndef CLEANUP_H
#define CLEANUP_H

#include "server.h"

#define CLEANUP_PROTO "cleanup"
#define CLEANUP_VERSION "1.0"
#define CLEANUP_LINE_MAX 4096

/* cleanup_session - serve one client connection to the end. */
void cleanup_session(int fd, const struct server_listener *l, void *ctx);

#endif
