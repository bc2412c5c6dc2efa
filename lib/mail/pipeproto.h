/*
 * pipeproto - the protocol between qmgr and pipe(8), which runs the
 * deliveries an alias asks for that need a process or another account:
 * "|command" and "/file".  Attribute lists as in lib/base/attr.h; the socket
 * is pipe_listen, and pipe(8) serves only callers whose SO_PEERCRED uid
 * is root, its own or qmgr_user's.
 *
 *   S: proto=pipe version=1.0
 *   C: kind=command | file
 *      target=<command line | absolute path>
 *      uid=<n> gid=<n>          optional, ignored since 1.1: pipe finds
 *                               the account itself by expanding the
 *                               recipient (pipe/pipe_justify.c) and runs
 *                               only a target that expansion names, as
 *                               the owner of the file that named it
 *                               (default_privs for root's), never root
 *                               or an account of roost's
 *      sender=<addr>            envelope sender ("" for <>)
 *      recipient=<addr>         the original recipient, whose
 *                               expansion must name the target
 *      alias=<name>             the alias that named the target
 *      queue_id=<id>
 *      size=<n>                 octets of content that follow
 *   C: exactly size octets: the message, LF line ends
 *   S: status=ok | status=defer | status=bounce
 *      dsn=<x.y.z> text=<reason>
 *
 * Commands run through /bin/sh -c with a clean environment (SENDER,
 * RECIPIENT, HOME, USER, LOGNAME, PATH, SHELL), the message on standard
 * input preceded by Delivered-To and Return-Path headers, for at most
 * command_timeout; exit 0 is ok, EX_TEMPFAIL (75) and a timeout defer,
 * any other status bounces with the command's first output line as the
 * reason.  Files get the message in mbox form ("From " line, >From
 * quoting, a blank line after) appended under an exclusive lock, then
 * fsync.  A connection may carry several requests.
 */
#ifndef ROOST_PIPEPROTO_H
#define ROOST_PIPEPROTO_H

#define PIPEPROTO_NAME "pipe"
#define PIPEPROTO_VERSION "1.1"

#endif
