/*
 * pipe - shared declarations of the command and file delivery daemon.
 *
 *   main.c          wiring: configuration, the socket (mode 0666), the
 *                   worker pool; stays root when started as root
 *   pipe_session.c  one connection: peer check, requests, the child
 *                   that becomes the delivery's account
 *   pipe_req.c      the request parser (strict: lib/mail/pipeproto.h)
 *   pipe_command.c  |command: /bin/sh -c under a timeout
 *   pipe_exit.c     exit status to status/dsn/text (sysexits.h)
 *   pipe_file.c     /file: mbox append under locks
 *   pipe_mbox.c     the mbox form of a message
 *
 * Everything a child does runs as the requested account, never as root.
 */
#ifndef PIPE_H
#define PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "attr.h"
#include "server.h"
#include "str.h"

/* The request's content may exceed message_size_limit by this much:
 * qmgr's Delivered-To and similar additions. */
#define PIPE_SIZE_SLACK 65536
#define PIPE_TEXT_MAX 200 /* octets of command output in a reason */
#define PIPE_IDLE_TIMEOUT 300 /* seconds between requests */

enum pipe_kind { PIPE_COMMAND, PIPE_FILE };
enum pipe_status { PIPE_OK, PIPE_DEFER, PIPE_BOUNCE };

struct pipe_req {
	enum pipe_kind kind;
	const char *target; /* pointers into the attrs parsed */
	uid_t uid;		/* pipe_justify's, never the request's */
	gid_t gid;
	const char *sender;
	const char *recipient;
	const char *alias; /* "" when absent */
	const char *queue_id; /* "" when absent */
	unsigned long long size;
};

struct pipe_result {
	enum pipe_status status;
	char dsn[16];
	struct str text;
};

/* pipe_session - serve one connection to the end. */
void pipe_session(int fd, const struct server_listener *l, void *ctx);
/* pipe_allowed_uid - the qmgr_user's uid (or (uid_t)-1), set by main. */
extern uid_t pipe_qmgr_uid;

/* pipe_req_parse - take a request from a (strictly: every required
 * attribute once, nothing unknown, numbers in range, size at most
 * max_size).  The strings point into a.  0, or -1 with the reason. */
int pipe_req_parse(const struct attrs *a, unsigned long long max_size,
    struct pipe_req *r, struct str *err);

/* pipe_justify - set r's uid and gid to the account pipe's own expansion
 * of r->recipient gives the target (pipe_justify.c): PIPE_OK, or
 * PIPE_DEFER with why when the expansion does not name the target, the
 * tables cannot be read, or the account is root or one of roost's. */
enum pipe_status pipe_justify(struct pipe_req *r, struct str *why);

/* pipe_result_set - fill r (text is copied, cut and made printable). */
void pipe_result_set(struct pipe_result *r, enum pipe_status st,
    const char *dsn, const char *text);
const char *pipe_status_name(enum pipe_status st);

/* pipe_exit_map - the result of a command that ended with wait(2)
 * status ws; output is the command's first line (may be empty). */
void pipe_exit_map(int ws, const char *output, struct pipe_result *r);

/* pipe_mbox_from - the "From sender date" line (LF-terminated) for a
 * message received at t; <> is MAILER-DAEMON. */
void pipe_mbox_from(const char *sender, time_t t, struct str *out);
/* pipe_mbox_body - append msg to out with lines starting "From "
 * quoted as ">From ", ended by LF and one empty line. */
void pipe_mbox_body(const char *msg, size_t len, struct str *out);
/* pipe_prefix - the Delivered-To and Return-Path header lines that
 * precede the message for commands and files. */
void pipe_prefix(const struct pipe_req *r, struct str *out);

/* pipe_command / pipe_file - deliver, as the calling (already
 * switched) account; the outcome into res. */
void pipe_command(const struct pipe_req *r, const char *msg, size_t len,
    struct pipe_result *res);
void pipe_file(const struct pipe_req *r, const char *msg, size_t len,
    struct pipe_result *res);

#endif
