/*
 * qmgr_run - one delivery run over one entry, shared by the files that
 * do its parts: qmgr_entry.c (resolve, deliver, conclude, finish) and
 * qmgr_report.c (the reports, each submitted exactly once).
 */
#ifndef QMGR_RUN_H
#define QMGR_RUN_H

#include "qmgr.h"
#include "qstatus.h"

#define NOTIFY_SUCCESS 1
#define NOTIFY_FAILURE 2
#define NOTIFY_DELAY 4

struct tgt {
	size_t rcpt;
	enum resolve_kind kind;
	struct str name;	/* "mailbox:bob+x", the status file's key */
	struct str to, detail, via, lmtp_addr;
	uid_t uid;
	gid_t gid;
	bool repeat;		/* a command safe to run again */
	bool skip;		/* done in an earlier run */
	bool unknown;		/* started before, outcome never recorded */
	bool tried;
	struct qmgr_reply reply;
};

struct rcpt {
	struct str addr;
	const char *params;
	struct str orcpt;	/* empty: none */
	unsigned notify;
	bool active;		/* worked on in this run */
	int rc;			/* resolve result */
	struct qmgr_reply outcome;	/* the recipient's, this run */
	bool final;		/* outcome is sent or bounced */
	bool waiting;
};

struct run {
	const char *id;
	struct str path, spath;
	struct queue_env e;
	struct qstatus st;
	struct rcpt *r;
	struct tgt *t;
	size_t nt, tcap;
	uint64_t now;
	bool dsn_failed;	/* a report or its record failed: soon again */
};

/* qmgr_run_append - append the n records in recs to the status file and
 * fold them into x->st: 0, or -1 (logged). */
int qmgr_run_append(struct run *x, struct str *recs, size_t n);
/* qmgr_run_needs_dsn - whether recipient i's final outcome still owes
 * its sender a report. */
bool qmgr_run_needs_dsn(const struct run *x, size_t i);

/* Reports (qmgr_report.c).  Each is recorded (report=) before it is
 * submitted and confirmed (reported=) after, under an ID cleanup queues
 * once: a crash anywhere sends it once. */
/* qmgr_report_resume - submit the reports recorded but never confirmed
 * (at the start of a run). */
void qmgr_report_resume(struct run *x);
/* qmgr_report_outcomes - the failure and success reports owed. */
void qmgr_report_outcomes(struct run *x);
/* qmgr_report_delay - the one delay notice, after delay_warning_time. */
void qmgr_report_delay(struct run *x);
/* qmgr_report_unknown - tell the postmaster of the command targets
 * whose outcome is unknown (recorded before their outcome): 0, or -1
 * when it could not be recorded. */
int qmgr_report_unknown(struct run *x);

#endif
