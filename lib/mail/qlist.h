/*
 * qlist - finding and listing queue entries, for the operator's tools
 * (roostctl queue, mailq).  Read-only: nothing here moves an entry.
 *
 * Entries are found by name: only directory entries that are exactly a
 * queue ID (lib/base/qid.h) count, so editor droppings and temporary names
 * are never listed, and a path built from a listed name stays inside its
 * directory.  An entry may vanish between the scan and the read (qmgr
 * delivered it): it is then skipped, not an error.
 */
#ifndef ROOST_QLIST_H
#define ROOST_QLIST_H

#include <stddef.h>
#include <stdio.h>

#include "qid.h"
#include "qstatus.h"
#include "queue.h"
#include "str.h"

struct qlist_entry {
	char id[QID_LEN + 1];
	const char *state;	/* QUEUE_INCOMING, ... (static text) */
	char mark;		/* ' ', '*' active, '!' on hold */
};

/* The states a listing shows, in the order they are scanned. */
extern const char *const qlist_states[];
extern const size_t qlist_nstates;

/* qlist_mark - the mailq mark of a state: '*' active, '!' hold, else ' '. */
char qlist_mark(const char *state);

/* qlist_scan - append the entries of the given states (nstates names
 * among the QUEUE_* ones) under queue_dir to *v, then sort all of *v
 * oldest first (IDs sort by time).  A missing directory is empty.
 * 0, or -1 with errno set and a reason in err when a directory cannot
 * be read.  Free *v with free(). */
int qlist_scan(const char *queue_dir, const char *const *states,
    size_t nstates, struct qlist_entry **v, size_t *n, struct str *err);

/* qlist_count - how many entries a state directory holds (0 when it is
 * missing or unreadable). */
size_t qlist_count(const char *queue_dir, const char *state);

/* qlist_find - the state (a QUEUE_* constant) of the entry id, which
 * must be qid_valid(), looking in every state including active/ and
 * corrupt/; NULL when there is none. */
const char *qlist_find(const char *queue_dir, const char *id);

/* qlist_entry_path - queue_dir/state/id into out. */
void qlist_entry_path(const char *queue_dir, const char *state,
    const char *id, struct str *out);

/* qlist_read - the envelope and the per-recipient status of one entry:
 * 1 read; 0 it vanished meanwhile; -1 unreadable or corrupt, with a
 * reason in err.  A missing or unreadable status file leaves every
 * recipient pending (a broken one is reported in err with 1 returned);
 * st->nrcpt is e->nrcpt either way.
 * Free with queue_env_free() and qstatus_free(). */
int qlist_read(const char *queue_dir, const struct qlist_entry *q,
    struct queue_env *e, struct qstatus *st, struct str *err);

/* qlist_rcpt_addr - the address part of a REC_RCPT value ("ADDR[ PARAMS]")
 * as a length, for printing with "%.*s". */
int qlist_rcpt_addr(const struct str *rcpt);

/* qlist_put_text - text from a queue file on out, each control byte
 * (and DEL) written as \xHH so a hostile sender, header or reply cannot
 * drive a terminal or fake listing lines; with lines, LF and TAB pass
 * (for header sections). */
void qlist_put_text(FILE *out, const char *p, size_t n, int lines);

/* qlist_print - the Postfix-shaped listing of incoming/, active/,
 * deferred/ and hold/ on out (see mailq in sendmail(8)): per entry
 * "ID[*!] size arrival sender", then for each recipient not yet done its
 * last error in parentheses (when it has one) and the recipient; then a
 * count of corrupt entries when there are any, and "-- N Kbytes in M
 * Requests." or "Mail queue is empty".  Entries that cannot be read are
 * warned about (log_warn) and skipped.  0, or -1 with errno set and a
 * reason in err when the queue cannot be read. */
int qlist_print(const char *queue_dir, FILE *out, struct str *err);

#endif
