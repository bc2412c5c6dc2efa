/*
 * qmgr - shared declarations of the queue manager.
 *
 * One main thread owns the schedule (qmgr_sched.c): it claims entries
 * by rename into active/, keeps the timers of deferred/ entries and
 * hands each claimed entry to a pool of worker threads.  A worker runs
 * one entry to its end with plain blocking code (qmgr_entry.c):
 * resolve, deliver over LMTP (qmgr_lmtp.c) and to pipe(8)
 * (qmgr_pipe.c), record every outcome in the status file before acting
 * on it, send DSNs (qmgr_dsn.c), then delete the entry or move it to
 * deferred/.  It reports back through a pipe, so the main loop never
 * waits for a delivery.
 */
#ifndef QMGR_H
#define QMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"
#include "resolve.h"
#include "str.h"

#define QMGR_TRIGGER_INCOMING 'I'
#define QMGR_TRIGGER_DEFERRED 'D'
#define QMGR_TRIGGER_FLUSH 'F'

#define QMGR_LMTP_RCPT_MAX 1000	/* recipients per LMTP transaction */

/* Read-only after start (STYLE 8: the only globals are config). */
struct qmgr_conf {
	const char *queue_dir;
	const char *hostname;
	struct str lmtp_path, pipe_path, cleanup_path;
	int lmtp_concurrency, pipe_concurrency;
	uint64_t min_backoff_us, max_backoff_us, warn_us, lifetime_us;
	uint64_t run_delay_us;
	size_t bounce_limit;
	size_t attr_max;	/* attr_list_limit: pipe's replies */
	int lmtp_timeout_ms, pipe_timeout_ms;
	uid_t nobody_uid;
	gid_t nobody_gid;
	struct resolver *resolver;
};
extern struct qmgr_conf qmgr_conf;

/* qmgr_conf_init - fill qmgr_conf from the loaded configuration. */
void qmgr_conf_init(void);
/* qmgr_now_us - wall clock, microseconds since the epoch. */
uint64_t qmgr_now_us(void);
/* qmgr_qpath - queue_dir/dir/id into out. */
void qmgr_qpath(struct str *out, const char *dir, const char *id);

/* qmgr_sweep_tmp - remove files in the queue's tmp/ older than
 * max_age_s (qmgr_sweep.c). */
void qmgr_sweep_tmp(uint64_t max_age_s);
#define QMGR_SWEEP_EVERY_MS (24 * 3600 * 1000LL)

/* Triggers: bits of what a trigger connection asked for. */
#define QMGR_WANT_INCOMING 1
#define QMGR_WANT_DEFERRED 2
#define QMGR_WANT_FLUSH 4
/* qmgr_trigger_accept - take one pending trigger connection (never
 * blocks long) and return the QMGR_WANT_* bits it carries; -1 when
 * none is pending. */
int qmgr_trigger_accept(int lfd);
/* qmgr_trigger_log - the log lines for the QMGR_WANT_* bits of want. */
void qmgr_trigger_log(int want);

/* Scheduling (main thread). */
void qmgr_sched_init(void);
/* qmgr_sched_start - resume active/, scan incoming/ and deferred/,
 * remove orphan status files. */
void qmgr_sched_start(void);
void qmgr_sched_scan_incoming(void);
void qmgr_sched_scan_deferred(bool flush);
/* qmgr_sched_poll_fd - the read end workers report on. */
int qmgr_sched_poll_fd(void);
/* qmgr_sched_reap - take the workers' reports. */
void qmgr_sched_reap(void);
/* qmgr_sched_run_timers - claim what is due; returns ms until the next
 * timer (-1: none). */
int qmgr_sched_run_timers(void);
/* qmgr_sched_idle - no entry queued or running. */
bool qmgr_sched_idle(void);
/* qmgr_sched_stop - wait (up to ms) for running entries, then return. */
void qmgr_sched_stop(int ms);

/* What running one entry came to. */
enum qmgr_outcome {
	QMGR_DONE,		/* deleted: every recipient is done */
	QMGR_DEFERRED,		/* in deferred/, due at *due_us */
	QMGR_GONE,		/* vanished or moved to corrupt/ */
};
/* qmgr_entry_run - deliver what is pending of active/id (worker). */
enum qmgr_outcome qmgr_entry_run(const char *id, uint64_t *due_us);
/* qmgr_entry_due - when deferred entry at path is due (UINT64_MAX:
 * only remote recipients wait); -1 when unreadable. */
int qmgr_entry_due(const char *path, const char *id, uint64_t *due_us);

/* One outcome of a delivery attempt. */
enum qmgr_result { QMGR_SENT, QMGR_DEFER, QMGR_BOUNCE };
struct qmgr_reply {
	enum qmgr_result result;
	struct str dsn;		/* x.y.z */
	struct str text;	/* the reply or our reason */
	bool unknown;		/* DEFER with no answer after the request
				 * went out: a command may have run */
};
void qmgr_reply_set(struct qmgr_reply *r, enum qmgr_result res,
    const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void qmgr_reply_free(struct qmgr_reply *r);

/* LMTP (qmgr_lmtp.c).  A transaction: the recipients' RCPT TO
 * addresses in, one reply per recipient out. */
struct qmgr_lmtp_txn {
	const char *id;		/* queue ID, for logs */
	const char *path;	/* the queue file (content) */
	const char *sender;
	bool eightbit, smtputf8;
	const char **rcpt;
	size_t nrcpt;
	struct qmgr_reply *reply;	/* nrcpt of them */
};
/* qmgr_lmtp_deliver - run txn over a pooled connection (blocks, with
 * timeouts; waits for a free connection under lmtp_concurrency). */
void qmgr_lmtp_deliver(struct qmgr_lmtp_txn *txn);
/* qmgr_lmtp_close_idle - hang up idle connections (no work queued). */
void qmgr_lmtp_close_idle(void);

/* pipe(8) (qmgr_pipe.c): one command or file delivery. */
struct qmgr_pipe_req {
	const char *id;
	const char *path;
	uint64_t size;
	const char *kind;	/* "command" or "file" */
	const char *target;
	uid_t uid;
	gid_t gid;
	const char *sender, *recipient, *alias;
};
void qmgr_pipe_deliver(const struct qmgr_pipe_req *req,
    struct qmgr_reply *out);

/* DSNs (qmgr_dsn.c). */
enum qmgr_dsn_kind { QMGR_DSN_FAILED, QMGR_DSN_DELAYED, QMGR_DSN_DELIVERED,
	QMGR_DSN_UNKNOWN	/* to the postmaster: a command's outcome */
};
struct qmgr_dsn_rcpt {
	const char *addr;
	const char *orcpt;	/* "rfc822;addr" as given, or NULL */
	const char *status;	/* x.y.z */
	const char *diag;	/* reply text */
	uint64_t last_us;
};
/* qmgr_dsn_send - submit one report about the n recipients of entry e
 * (queue file at path) through cleanup under report_id, to its sender
 * (the postmaster for QMGR_DSN_UNKNOWN): 0 with the report's queue ID
 * in qid, or -1 with err (try again later). */
int qmgr_dsn_send(const struct queue_env *e, const char *path,
    enum qmgr_dsn_kind kind, const struct qmgr_dsn_rcpt *r, size_t n,
    const char *report_id, struct str *qid, struct str *err);
/* qmgr_rfc822_date - RFC 5322 date-time of us into out. */
void qmgr_rfc822_date(uint64_t us, struct str *out);

#endif
