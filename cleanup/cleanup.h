/*
 * cleanup - shared declarations of the queue writer.
 *
 * The protocol it serves is lib/mail/cleanupproto.h; its clients are
 * smtpd and the sendmail wrapper (lib/mail/submit.h).
 */
#ifndef CLEANUP_H
#define CLEANUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "attr.h"
#include "cleanupproto.h"
#include "qid.h"
#include "server.h"
#include "str.h"

#define CLEANUP_LINE_MAX 4096

#define CLEANUP_HEADER_MAX (1024 * 1024)	/* header section bytes */
/* A message's data past message_size_limit is read (to answer 5.3.4 in
 * step) up to this much more; a client that sends more is hung up on.
 * smtpd and sendmail stop sending at the limit. */
#define CLEANUP_OVER_MAX (1024 * 1024)
#define CLEANUP_FIELDS_MAX 1000		/* header fields */

enum cleanup_rc { CLEANUP_OK = 0, CLEANUP_TEMP, CLEANUP_FAIL };

/* One transaction: the envelope as accepted, then the entry being
 * written. */
struct cleanup_msg {
	/* who is asking */
	int trusted;		/* root, smtpd_user or our own uid */
	int reporter;		/* root, qmgr_user or our own uid */
	int local;		/* no SMTP client: a local submission */
	uid_t uid;
	struct str login;	/* a local user's login name */
	struct str gecos;	/* ... and the name part of its GECOS */
	/* envelope */
	struct str sender;
	struct str params;
	struct attrs rcpt;	/* "rcpt" = "ADDR[ PARAMS]", in order */
	struct attrs facts;	/* session facts recorded as REC_ATTR */
	int from_headers;	/* flags=rcpt_from_headers */
	struct str report_id;	/* qmgr's report: queue it only once */
	int again;		/* that report was queued before */
	/* the entry */
	char id[QID_LEN + 1];
	struct str tmp_path;
	int fd;			/* tmp file, -1 when none */
	uint64_t arrival_us;
	uint64_t size;		/* content bytes received */
	int in_body;		/* header section done */
	struct str hdr;		/* header section being collected */
	struct str out;		/* file bytes not yet written */
	enum cleanup_rc rc;	/* the first failure, with its reason */
	struct str reason;
};

/* cleanup_session - serve one client connection to the end. */
void cleanup_session(int fd, const struct server_listener *l, void *ctx);

/* cleanup_msg_reset - forget a transaction (keeps who is asking). */
void cleanup_msg_reset(struct cleanup_msg *m);
/* cleanup_fail - record the first failure of a transaction. */
void cleanup_fail(struct cleanup_msg *m, enum cleanup_rc rc,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* cleanup_envelope - check a submit request and take it into m. */
enum cleanup_rc cleanup_envelope(struct cleanup_msg *m,
    const struct attrs *req);
/* cleanup_add_rcpt - add a recipient unless it is already there. */
void cleanup_add_rcpt(struct cleanup_msg *m, const char *addr, size_t n);

/* cleanup_header - check and rewrite the header section hdr (LF line
 * ends, empty-line separator excluded) into out; with from_headers,
 * recipients are taken from To/Cc/Bcc.  Fails m with 5.6.0. */
enum cleanup_rc cleanup_header(struct cleanup_msg *m, const char *hdr,
    size_t len, struct str *out);
/* cleanup_addr_list - the addresses of an RFC 5322 address list (with
 * comments and groups), each passed to fn. */
void cleanup_addr_list(const char *v, size_t n,
    void (*fn)(void *, const char *, size_t), void *ctx);

/* cleanup_content - take n bytes of content; cleanup_content_end - the
 * content is complete (header section processed if still pending). */
void cleanup_content(struct cleanup_msg *m, const char *p, size_t n);
void cleanup_content_end(struct cleanup_msg *m);

/* cleanup_queue_open - a new ID and its O_EXCL file in tmp/. */
enum cleanup_rc cleanup_queue_open(struct cleanup_msg *m);
/* cleanup_queue_envelope - the records before the content. */
void cleanup_queue_envelope(struct cleanup_msg *m);
/* cleanup_queue_data - content bytes as REC_DATA records. */
void cleanup_queue_data(struct cleanup_msg *m, const void *p, size_t n);
/* cleanup_queue_commit - REC_END, fsync, rename into incoming/, fsync
 * the directory: CLEANUP_OK only when the entry is durable. */
enum cleanup_rc cleanup_queue_commit(struct cleanup_msg *m);
/* cleanup_queue_discard - remove an unfinished tmp file. */
void cleanup_queue_discard(struct cleanup_msg *m);
/* cleanup_report_id_valid - whether s is a well-formed report ID;
 * cleanup_report_claim - claim m's report ID before the commit: 0
 * (ours now), 1 (queued before, as the ID now in m->id: discard ours)
 * or -1 (an error, logged). */
bool cleanup_report_id_valid(const char *s);
int cleanup_report_claim(struct cleanup_msg *m);
/* cleanup_trigger - wake qmgr ("I"); never blocks for long, never
 * fails the caller. */
void cleanup_trigger(void);

/* run_dir's folder of the per-user session slots (cleanup_user_sessions):
 * run_dir/cleanup is the socket. */
#define CLEANUP_SLOTS "cleanup.users"

#endif
