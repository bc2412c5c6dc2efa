/*
 * cleanup - shared declarations of the queue writer.
 *
 * The cleanup protocol, version 1.0 (attribute lists as in lib/attr.h).
 * Clients are smtpd and the sendmail wrapper (lib/submit.h); the socket
 * is cleanup_listen (mode 0666: any local user may submit, and cleanup
 * tells trusted callers from local users by SO_PEERCRED).
 *
 *   S: proto=cleanup version=1.0                   greeting
 *   C: request=submit                              envelope
 *      sender=ADDR                                 empty: null sender <>
 *      mail_params=BODY=8BITMIME SMTPUTF8 ...      ESMTP MAIL parameters,
 *                                                  already validated
 *      rcpt=ADDR [NOTIFY=.. ORCPT=..]              one per recipient, in
 *                                                  order, with its params
 *      client_addr=, client_port=, client_name=, helo=, proto=
 *                                                  (ESMTP, SMTP, LOCAL..),
 *      tls=, auth=                                 session facts for the
 *                                                  Received header
 *      flags=rcpt_from_headers,...                 sendmail -t and friends
 *      fullname=                                   sendmail -F
 *   S: status=ok | status=tempfail reason=.. | status=fail reason=..
 *   C: content: "<n>\n" followed by n bytes, repeated; "0\n" ends it.
 *      The content is the message with LF line ends, dot-unstuffed.
 *      "-\n" instead aborts the transaction.
 *   S: status=ok queue_id=ID   only after the entry is durable
 *    | status=tempfail reason=..  | status=fail reason=..
 *
 * A connection may carry several transactions.  Envelope attributes that
 * only a trusted caller may set (client_*, helo, proto, tls, auth) are
 * ignored from local users, whose sender is checked and whose login name
 * is recorded instead.
 *
 * XXX Requests are answered "status=tempfail" until the queue writer
 * lands, so no caller ever believes a message was queued.
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
