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
 *                       (waiting: remote, for the outbound client) |
 *                       started (a command target is about to run: with
 *                       no outcome after it, the outcome is unknown)
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
 *   warned=<unix us>    the delay notice was sent (version 1; since
 *                       version 2 a delayed report says so)
 *   held=<1|0>          hold / release by the operator (informational)
 *   report=<id>         (version 2) a report about to be submitted, so
 *                       that it is submitted exactly once: its ID (the
 *                       entry's ID, '.', the kind's letter and a hash of
 *                       the items), with
 *     kind=<word>       failed | delivered | delayed | unknown (a
 *                       command's outcome, for the postmaster)
 *     time=<unix us>    when
 *     items=<lines>     one per recipient or target it is about:
 *                       "rcpt TAB time TAB dsn TAB target TAB text"
 *   reported=<id>       that report was taken by cleanup, as
 *     queue_id=<id>     this entry
 * A record with rcpt= and notified=1 (no status) says the DSN about
 * that recipient's final outcome was submitted (version 1; since
 * version 2 a report's items say so).
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
#define QSTATUS_VERSION 2	/* attributes may be added within it */

struct qstatus_rcpt {
	int done;		/* 0 pending, 1 sent, 2 bounced */
	bool waiting;		/* remote, kept for outbound */
	struct str dsn;
	struct str text;	/* last reply or reason */
	uint64_t time_us;	/* of the last record */
	uint64_t next_us;	/* next attempt, 0: now */
	unsigned tries;
	struct str done_targets;	/* targets done, one per line */
	bool notified;		/* its bounce or success DSN is in a
				 * report (record notified=1 or items) */
	struct str started;	/* command targets started with no
				 * outcome yet, one per line */
};

/* A report= record, and whether cleanup took it. */
struct qstatus_report {
	struct str id, kind, items, queue_id;
	uint64_t time_us;
	bool submitted;		/* a reported= record followed */
};

/* A bounced target, as its record said. */
struct qstatus_bounce {
	size_t rcpt;
	struct str target, dsn, text;
	uint64_t time_us;
	bool old;		/* in a version 1 file, whose writer
				 * reported it at once, untracked */
};

struct qstatus {
	size_t nrcpt;
	struct qstatus_rcpt *rcpt;
	uint64_t warned_us;	/* 0: no delay notice sent */
	bool held;
	unsigned version;	/* the highest version= seen (0: none) */
	struct qstatus_report *report;
	size_t nreport;
	struct qstatus_bounce *bounce;
	size_t nbounce;
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
/* qstatus_target_done - whether target is in r's done_targets;
 * qstatus_target_started - in r's started. */
bool qstatus_target_done(const struct qstatus_rcpt *r, const char *target);
bool qstatus_target_started(const struct qstatus_rcpt *r,
    const char *target);
/* qstatus_reported - whether a report's items cover recipient rcpt's
 * target (NULL: the recipient itself). */
bool qstatus_reported(const struct qstatus *st, size_t rcpt,
    const char *target);
/* qstatus_apply - fold one record (as built for qstatus_append) into
 * st, as a reader would after the append: 0, or -1 if malformed. */
int qstatus_apply(struct qstatus *st, const struct str *rec);
/* qstatus_item_put - one line of a report's items=; text and target
 * have TAB, CR and LF replaced by blanks. */
void qstatus_item_put(struct str *items, size_t rcpt, uint64_t time_us,
    const char *dsn, const char *target, const char *text);
/* qstatus_item_next - the fields of the next line of items at *p
 * (advanced): 0, or -1 at the end or on a malformed line. */
struct qstatus_item {
	size_t rcpt;
	uint64_t time_us;
	struct str dsn, target, text;
};
int qstatus_item_next(const char **p, struct qstatus_item *it);
void qstatus_item_free(struct qstatus_item *it);

#endif
