/*
 * queue - the queue directories and reading queue entries.
 *
 * Under queue_dir: tmp/ (being written, not yet a message), incoming/
 * (committed by cleanup, not yet seen by qmgr), active/, deferred/,
 * hold/ and corrupt/ (qmgr's), reports/ (cleanup's, see below).  An entry is one file named by its queue
 * ID, in the format of lib/mail/rec.h.  The only ways an entry enters a
 * state are rename(2) into that directory, after fsync of the file and
 * of the directory it leaves; roost-queue(5) has the state table.
 */
#ifndef ROOST_QUEUE_H
#define ROOST_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "qid.h"
#include "str.h"

#define QUEUE_TMP "tmp"
#define QUEUE_INCOMING "incoming"
#define QUEUE_ACTIVE "active"
#define QUEUE_DEFERRED "deferred"
#define QUEUE_HOLD "hold"
#define QUEUE_CORRUPT "corrupt"
/* reports/: one empty-ish file per delivery report cleanup took, named
 * by its report ID (lib/mail/qstatus.h) and holding the queue ID it got,
 * so that a report submitted twice is queued once; qmgr removes them
 * with the entry they report on. */
#define QUEUE_REPORTS "reports"

/* The envelope of one entry, as mailq and qmgr need it. */
struct queue_env {
	char id[QID_LEN + 1];
	uint64_t arrival_us;
	struct str sender;
	struct str params;
	struct attrs attrs;	/* REC_ATTR name=value pairs */
	struct str *rcpt;	/* "ADDR[ PARAMS]" each */
	size_t nrcpt;
	uint64_t size;		/* content bytes */
};

/* queue_read_env - read the envelope of the entry at path (content is
 * skipped but checked through REC_END): 0, or -1 with a reason in err
 * (a corrupt entry says so). */
int queue_read_env(const char *path, struct queue_env *e, struct str *err);
void queue_env_free(struct queue_env *e);

/* queue_read_content - call fn(arg, p, n) for each REC_DATA chunk of
 * the entry at path, in order: 0; -1 with a reason in err when the file
 * is unreadable or corrupt (fn may have seen part of it), or when fn
 * returned -1 (err is then left to fn's caller). */
int queue_read_content(const char *path,
    int (*fn)(void *arg, const char *p, size_t n), void *arg,
    struct str *err);
/* queue_fsync_dir - fsync queue_dir/dir: 0, or -1 with errno. */
/* queue_prepare (queue_conf.c) - the queue's folders with their owners
 * and modes (queue_conf.c says who owns what); as root, a qmgr_user
 * whose primary group is not cleanup_user's stops the daemon (exit 100,
 * naming conf).  cleanup and qmgr call it at start, before the drop. */
void queue_prepare(const char *conf);
int queue_fsync_dir(const char *queue_dir, const char *dir);

#endif
