/*
 * qstatus - per-recipient delivery progress of a queue entry, kept
 * beside it without ever rewriting the message: queue_dir/status/<id>,
 * an append-only file of lib/mail/rec records of type QSTATUS_REC, each an
 * attr list (lib/base/attr.h).  A record is appended and fsynced after each
 * delivery attempt and before the outcome is acted on; a torn last
 * record (crash mid-append) is ignored by readers and cut off by the
 * next writer.  The status file is removed after the entry itself.
 *
 * Record attributes:
 *   rcpt=<index>        the REC_RCPT record (0-based) it is about
 *   target=<text>       empty: the recipient itself; else one expanded
 *                       final target ("mailbox:alice", "command:...",
 *                       "file:/path", "forward:addr")
 *   status=<word>       sent | bounced | deferred | expanded | waiting
 *                       (waiting: remote, for the outbound client)
 *   dsn=<x.y.z>         enhanced status code
 *   text=<reply>        the server's reply or our reason
 *   time=<unix us>      when
 *   next=<unix us>      deferred: the earliest next attempt
 *   tries=<n>           attempts so far
 * and records without rcpt=:
 *   version=<n>         the format's version, QSTATUS_VERSION: the first
 *                       record of a file written since it existed; a
 *                       file without one is version 1, and a reader
 *                       refuses a version above its own
 *   warned=<unix us>    the delay notice was sent
 *   held=<1|0>          hold / release by the operator (informational)
 * A record with rcpt= and notified=1 (no status) says the DSN about
 * that recipient's final outcome was submitted.
 *
 * A recipient (or a target) is done once it has a sent or bounced
 * record; the entry is done when every recipient is.
 */
#ifndef ROOST_QSTATUS_H
#define ROOST_QSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "str.h"

#define QSTATUS_DIR "status"
#define QSTATUS_REC 'Q'
#define QSTATUS_VERSION 1	/* attributes may be added within it */

struct qstatus_rcpt {
	int done;		/* 0 pending, 1 sent, 2 bounced */
	bool waiting;		/* remote, kept for outbound */
	struct str dsn;
	struct str text;	/* last reply or reason */
	uint64_t time_us;	/* of the last record */
	uint64_t next_us;	/* next attempt, 0: now */
	unsigned tries;
	struct str done_targets;	/* targets done, one per line */
	bool notified;		/* its bounce or success DSN went out
				 * (record notified=1) */
};

struct qstatus {
	size_t nrcpt;
	struct qstatus_rcpt *rcpt;
	uint64_t warned_us;	/* 0: no delay notice sent */
	bool held;
	size_t valid;		/* the file's good length as read (a torn
				 * tail after it), or QSTATUS_UNKNOWN */
};

#define QSTATUS_UNKNOWN SIZE_MAX

/* qstatus_path - queue_dir-relative path of id's status file. */
void qstatus_path(const char *queue_dir, const char *id, struct str *out);
/* qstatus_read - fold id's records into st for an entry with nrcpt
 * recipients (a missing file: all pending): 0, or -1 with err. */
int qstatus_read(const char *path, size_t nrcpt, struct qstatus *st,
    struct str *err);
void qstatus_free(struct qstatus *st);
/* qstatus_append - append the records in recs (each an attr text, lib
 * attr format) and fsync: 0, or -1 with err.  Creates the file (and
 * fsyncs its directory) when it does not exist. */
int qstatus_append(const char *path, const struct str *recs, size_t n,
    struct str *err);
/* qstatus_append_at - the same for the one writer that read the file
 * (qstatus_read's st.valid) and keeps *valid: writes at *valid, cutting
 * a torn tail, without reading the file again (an entry with many
 * targets would otherwise cost a read of all its records per append),
 * and advances *valid.  QSTATUS_UNKNOWN: qstatus_append's careful path.
 * A failure leaves *valid QSTATUS_UNKNOWN. */
int qstatus_append_at(const char *path, size_t *valid,
    const struct str *recs, size_t n, struct str *err);

/* qstatus_put - append name=value (attr-escaped) as one line of the
 * record being built in rec. */
void qstatus_put(struct str *rec, const char *name, const char *value);
void qstatus_putu(struct str *rec, const char *name, uint64_t value);
/* qstatus_target_done - whether target is in r's done_targets. */
bool qstatus_target_done(const struct qstatus_rcpt *r, const char *target);

#endif
