/*
 * cleanupproto - the protocol between cleanup(8), which writes the
 * queue, and those who submit to it, version 1.1.
 *
 * Attribute lists as in lib/base/attr.h.  Clients are smtpd and the
 * sendmail wrapper (lib/mail/submit.h); the server is cleanup(8), on
 * cleanup_listen (mode 0666: any local user may submit, and cleanup
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
 *      report_id=ID                                qmgr's delivery
 *                                                  reports (1.1): queued
 *                                                  once per ID; again,
 *                                                  the answer names the
 *                                                  first queue ID
 *   S: status=ok | status=tempfail reason=.. | status=fail reason=..
 *   C: content: "<n>\n" followed by n bytes, repeated; "0\n" ends it.
 *      The content is the message with LF line ends, dot-unstuffed.
 *      "-\n" instead aborts the transaction.
 *   S: status=ok queue_id=ID   only after the entry is durable
 *    | status=tempfail reason=..  | status=fail reason=..
 *
 * A connection may carry several transactions.  Envelope attributes that
 * only a trusted caller (root, smtpd_user, our own uid) may set
 * (client_*, helo, proto, tls, auth) are ignored from local users, whose
 * login name is recorded instead (local_user) and is the default sender.
 * A submission without client_addr is local even from a trusted caller.
 * Chunks are at most 1 MiB (REC_MAX); a request other than submit is
 * answered status=tempfail and the connection closed.
 *
 * An abort ("-\n") is not answered: cleanup discards the unfinished
 * entry and waits for the next envelope.  A message over
 * message_size_limit or with a broken header section is read to its end
 * and then refused (status=fail, reason "5.3.4 ..." or "5.6.0 ..."), so
 * the client always sees the answer in step.  Unknown envelope
 * attributes are ignored (room for minor versions).
 */
#ifndef ROOST_CLEANUPPROTO_H
#define ROOST_CLEANUPPROTO_H

#define CLEANUPPROTO_NAME "cleanup"
#define CLEANUPPROTO_VERSION "1.1"

#endif
