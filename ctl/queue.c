/*
 * queue - roostctl queue: list, show, hold, release, requeue, delete and
 * flush queue entries (roostctl(8), roost-queue(5)).
 *
 * Every move is one rename(2), then fsync of both directories.  The
 * rename is the lock: qmgr claims entries the same way, so a rename that
 * fails with ENOENT means the entry moved meanwhile; we look again.  An
 * entry in active/ is qmgr's while it delivers and is never touched.
 * A queue ID is checked with qid_valid() before any path is built from
 * it, so no argument can name a file outside the queue.
 *
 * Status records (lib/mail/qstatus.h) are appended only while the entry sits
 * in hold/, where qmgr never looks, so we never append beside it; and
 * only to a status file that exists (a new one would be root's, and
 * qmgr could not append to it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "cfg.h"
#include "ctl.h"
#include "fd.h"
#include "listen.h"
#include "qlist.h"
#include "rec.h"
#include "trigger.h"

#define HEADERS_MAX (1u << 20)	/* what show prints of the header */

struct qop {
	const char *name;
	const char *from[4];	/* states the entry may be taken from */
	const char *to;		/* NULL: delete */
	const char *triggers;	/* sent after the moves, a connection each */
	int due;		/* make deferred recipients due now */
	int held;		/* held= record to write: 1, 0, or -1 none */
	const char *done;	/* "ID: <done>" */
};

static const struct qop qops[] = {
	/* 'D' after taking entries out of deferred/ makes qmgr forget its
	 * schedule for them (a deferred scan drops what is gone), so a
	 * released or requeued entry is seen afresh, with our next=now. */
	{ "hold", { QUEUE_INCOMING, QUEUE_DEFERRED }, QUEUE_HOLD,
	  TRIGGER_DEFERRED, 0, 1, "held" },
	{ "release", { QUEUE_HOLD }, QUEUE_DEFERRED, TRIGGER_DEFERRED, 1, 0,
	  "released" },
	{ "requeue", { QUEUE_DEFERRED, QUEUE_HOLD }, QUEUE_INCOMING,
	  TRIGGER_DEFERRED TRIGGER_INCOMING, 1, 0, "requeued" },
	{ "delete", { QUEUE_INCOMING, QUEUE_DEFERRED, QUEUE_HOLD,
	  QUEUE_CORRUPT }, NULL, TRIGGER_DEFERRED, 0, -1, "deleted" },
};

static void
usage(void)
{
	fprintf(stderr, "usage: roostctl queue [list]\n"
	    "       roostctl queue show ID\n"
	    "       roostctl queue hold|release|requeue|delete ID...|ALL\n"
	    "       roostctl queue flush\n");
}

static uint64_t
now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

/* put_line - a one-line value from a queue file, made safe. */
static void
put_line(const char *p, size_t n)
{
	qlist_put_text(stdout, p, n, 0);
}

/* bad_id - refuse an argument that is not a queue ID, without ever
 * building a path from it. */
static int
bad_id(const char *arg)
{
	fprintf(stderr, "roostctl: not a queue ID: ");
	qlist_put_text(stderr, arg, strnlen(arg, 80), 0);
	fprintf(stderr, "\n");
	return 1;
}

static void
put_time(uint64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char s[64];

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(s, sizeof s, "%llu", (unsigned long long)t);
	fputs(s, stdout);
}

/* put_span - a duration as "3d 4h", "12m 5s" ... */
static void
put_span(uint64_t us)
{
	uint64_t s = us / 1000000;

	if (s >= 86400)
		printf("%llud %lluh", (unsigned long long)(s / 86400),
		    (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		printf("%lluh %llum", (unsigned long long)(s / 3600),
		    (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		printf("%llum %llus", (unsigned long long)(s / 60),
		    (unsigned long long)(s % 60));
	else
		printf("%llus", (unsigned long long)s);
}

/* trigger - wake qmgr with each byte of bytes, one connection each, so
 * it acts on them in this order: 0, or -1 with a reason in err. */
static int
trigger(const char *bytes, struct str *err)
{
	struct str run = STR_INIT;
	int rc;

	ctl_abspath("run_dir", &run);
	rc = trigger_qmgr(var_qmgr_listen, run.s, bytes, 2000, 1, err);
	str_free(&run);
	return rc;
}

/* fsync_dir - make the entries of queue/state durable. */
static int
fsync_dir(const char *queue, const char *state)
{
	struct str path = STR_INIT;
	int fd, rc = -1;

	str_copyf(&path, "%s/%s", queue, state);
	fd = open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fsync(fd) == 0)
		rc = 0;
	if (rc < 0)
		fprintf(stderr, "roostctl: fsync %s: %s\n", path.s,
		    strerror(errno));
	if (fd >= 0)
		fd_close(fd);
	str_free(&path);
	return rc;
}

/* move - rename id from one state to another and make it durable: 0;
 * 1 when it is no longer in `from` (someone else moved it); -1. */
static int
move(const char *queue, const char *id, const char *from, const char *to)
{
	struct str src = STR_INIT, dst = STR_INIT;
	int rc = 0;

	qlist_entry_path(queue, from, id, &src);
	qlist_entry_path(queue, to, id, &dst);
	if (rename(src.s, dst.s) < 0) {
		rc = errno == ENOENT ? 1 : -1;
		if (rc < 0)
			fprintf(stderr, "roostctl: %s: rename to %s/: %s\n", id,
			    to, strerror(errno));
	} else if (fsync_dir(queue, to) < 0 || fsync_dir(queue, from) < 0)
		rc = -1;
	str_free(&src);
	str_free(&dst);
	return rc;
}

/* mark - while id sits in hold/, append the operator's status records:
 * held=<held> (when >= 0) and, when due, next=now for every recipient
 * waiting for a retry.  Nothing when the entry has no status file.  A
 * failure is only warned about: the records are hints to qmgr, and the
 * operator's move must not depend on them. */
static void
mark(const char *queue, const char *id, int held, int due)
{
	struct str path = STR_INIT, entry = STR_INIT, err = STR_INIT;
	struct str *recs = NULL;
	struct queue_env e;
	struct qstatus st;
	size_t n = 0, i;
	uint64_t now = now_us();

	qstatus_path(queue, id, &path);
	if (access(path.s, F_OK) < 0) {
		str_free(&path);
		return;
	}
	qlist_entry_path(queue, QUEUE_HOLD, id, &entry);
	if (queue_read_env(entry.s, &e, &err) < 0) {
		fprintf(stderr, "roostctl: warning: %s\n", err.s);
		str_free(&path);
		str_free(&entry);
		str_free(&err);
		return;
	}
	if (qstatus_read(path.s, e.nrcpt, &st, &err) < 0) {
		fprintf(stderr, "roostctl: warning: %s\n", err.s);
		goto out;
	}
	recs = xcalloc(e.nrcpt + 1, sizeof(*recs));
	if (held >= 0)
		qstatus_putu(&recs[n++], "held", (uint64_t)held);
	for (i = 0; due && i < st.nrcpt; i++) {
		const struct qstatus_rcpt *r = &st.rcpt[i];

		/* status=deferred would also end "waiting": leave those. */
		if (r->done || r->waiting || r->next_us <= now)
			continue;
		qstatus_putu(&recs[n], "rcpt", i);
		qstatus_put(&recs[n], "status", "deferred");
		qstatus_putu(&recs[n], "next", now);
		n++;
	}
	if (n > 0 && qstatus_append(path.s, recs, n, &err) < 0)
		fprintf(stderr, "roostctl: warning: %s\n", err.s);
out:
	for (i = 0; i < n; i++)
		str_free(&recs[i]);
	free(recs);
	qstatus_free(&st);
	queue_env_free(&e);
	str_free(&path);
	str_free(&entry);
	str_free(&err);
}

static int
in_list(const char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* drop - unlink the entry, then its status file (never the other way:
 * an entry without its status would be delivered again). */
static int
drop(const char *queue, const char *id, const char *state)
{
	struct str path = STR_INIT;
	int rc = 0;

	qlist_entry_path(queue, state, id, &path);
	if (unlink(path.s) < 0) {
		rc = errno == ENOENT ? 1 : -1;
		if (rc < 0)
			fprintf(stderr, "roostctl: %s: unlink: %s\n", id,
			    strerror(errno));
		str_free(&path);
		return rc;
	}
	if (fsync_dir(queue, state) < 0)
		rc = -1;
	qstatus_path(queue, id, &path);
	if (unlink(path.s) == 0) {
		if (fsync_dir(queue, QSTATUS_DIR) < 0)
			rc = -1;
	} else if (errno != ENOENT) {
		fprintf(stderr, "roostctl: %s: unlink status: %s\n", id,
		    strerror(errno));
		rc = -1;
	}
	str_free(&path);
	return rc;
}

/* apply - one operation on one entry: 0 done, 1 failed (reported), 2
 * nothing to do (already there). */
static int
apply(const struct qop *op, const char *queue, const char *id)
{
	const char *state;
	int tries, rc;

	/* Entries move under us: look again after each lost race. */
	for (tries = 0; tries < 5; tries++) {
		if ((state = qlist_find(queue, id)) == NULL) {
			fprintf(stderr, "roostctl: %s: no such queue entry%s\n",
			    id, tries ? " (delivered or removed meanwhile)" :
			    "");
			return 1;
		}
		if (strcmp(state, QUEUE_ACTIVE) == 0) {
			fprintf(stderr, "roostctl: %s: busy (being "
			    "delivered), try again\n", id);
			return 1;
		}
		if (op->to != NULL && strcmp(state, op->to) == 0) {
			printf("%s: already in %s/\n", id, op->to);
			return 2;
		}
		if (!in_list(op->from, 4, state)) {
			fprintf(stderr, "roostctl: %s: cannot %s an entry in "
			    "%s/\n", id, op->name, state);
			return 1;
		}
		if (op->to == NULL)
			rc = drop(queue, id, state);
		else if (strcmp(op->to, QUEUE_HOLD) == 0) {
			if ((rc = move(queue, id, state, op->to)) == 0)
				mark(queue, id, op->held, op->due);
		} else if (strcmp(state, QUEUE_HOLD) == 0) {
			mark(queue, id, op->held, op->due);
			rc = move(queue, id, state, op->to);
		} else if ((rc = move(queue, id, state, QUEUE_HOLD)) == 0) {
			/* Through hold/, where qmgr leaves it alone, so its
			 * status records are written by us only. */
			mark(queue, id, op->held, op->due);
			if ((rc = move(queue, id, QUEUE_HOLD, op->to)) == 1)
				rc = -1;	/* gone from hold/: reported */
		}
		if (rc == 0) {
			printf("%s: %s\n", id, op->done);
			return 0;
		}
		if (rc < 0)
			return 1;
	}
	fprintf(stderr, "roostctl: %s: keeps moving, try again\n", id);
	return 1;
}

/* cmd_move - hold, release, requeue or delete the named entries, or
 * ALL of them that can be. */
static int
cmd_move(const struct qop *op, const char *queue, int argc, char **argv)
{
	struct qlist_entry *v = NULL;
	struct str err = STR_INIT;
	size_t n = 0, i, moved = 0;
	int i2, rc, failed = 0;
	int all = argc == 1 && strcmp(argv[0], "ALL") == 0;

	/* Check every argument before touching anything. */
	for (i2 = 0; !all && i2 < argc; i2++)
		if (!qid_valid(argv[i2]))
			return bad_id(argv[i2]);
	if (all) {
		size_t nfrom = 0;

		while (nfrom < 4 && op->from[nfrom] != NULL)
			nfrom++;
		if (qlist_scan(queue, op->from, nfrom, &v, &n, &err) < 0) {
			fprintf(stderr, "roostctl: %s\n", err.s);
			free(v);
			str_free(&err);
			return 1;
		}
		for (i = 0; i < n; i++) {
			/* An entry qmgr took meanwhile is not an error. */
			if (qlist_find(queue, v[i].id) == NULL)
				continue;
			if ((rc = apply(op, queue, v[i].id)) == 1)
				failed = 1;
			else if (rc == 0)
				moved++;
		}
		if (n == 0)
			printf("nothing to %s\n", op->name);
		if ((n = qlist_count(queue, QUEUE_ACTIVE)) > 0)
			printf("note: %zu entr%s being delivered left alone\n",
			    n, n == 1 ? "y" : "ies");
		free(v);
	} else
		for (i2 = 0; i2 < argc; i2++) {
			if ((rc = apply(op, queue, argv[i2])) == 1)
				failed = 1;
			else if (rc == 0)
				moved++;
		}
	if (moved > 0 && trigger(op->triggers, &err) < 0)
		fprintf(stderr, "roostctl: warning: cannot wake the queue "
		    "manager (it will see the change at its next scan): "
		    "%s\n", err.s);
	str_free(&err);
	return failed;
}

/* headers - print the header section of the entry at path: -1 when
 * it cannot be opened (gone meanwhile). */
static int
headers(const char *path)
{
	struct str r = STR_INIT, hdr = STR_INIT, err = STR_INIT;
	const char *end;
	size_t len = 0;
	int fd, type, found = 0;
	struct buf b;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	buf_init(&b, fd, 65536);
	while (!found && hdr.len < HEADERS_MAX &&
	    rec_get(&b, &type, &r, &err) == 1) {
		if (type != REC_DATA)
			continue;
		str_catb(&hdr, r.s, r.len);
		if (hdr.s[0] == '\n')
			found = 1;	/* no header section: len 0 */
		else if ((end = memmem(hdr.s, hdr.len, "\n\n", 2)) != NULL) {
			len = (size_t)(end - hdr.s) + 1;
			found = 1;
		}
	}
	buf_free(&b);
	fd_close(fd);
	printf("headers:\n");
	if (!found)
		len = hdr.len > HEADERS_MAX ? HEADERS_MAX : hdr.len;
	qlist_put_text(stdout, str_cstr(&hdr), len, 1);
	if (!found && len > 0)
		printf("\n(header section cut)\n");
	str_free(&r);
	str_free(&hdr);
	str_free(&err);
	return 0;
}

/* rcpt_status - the word for one recipient's progress. */
static const char *
rcpt_status(const struct qstatus_rcpt *r)
{
	if (r->done == 1)
		return "sent";
	if (r->done == 2)
		return "bounced";
	if (r->waiting)
		return "waiting";
	return r->tries > 0 ? "deferred" : "pending";
}

static int
cmd_show(const char *queue, const char *id)
{
	struct qlist_entry q;
	struct queue_env e;
	struct qstatus st;
	struct str err = STR_INIT, path = STR_INIT;
	uint64_t now = now_us(), at;
	size_t i;
	int rc;

	if (!qid_valid(id))
		return bad_id(id);
	memcpy(q.id, id, QID_LEN + 1);
	if ((q.state = qlist_find(queue, id)) == NULL ||
	    (rc = qlist_read(queue, &q, &e, &st, &err)) == 0) {
		fprintf(stderr, "roostctl: %s: no such queue entry\n", id);
		return 1;
	}
	if (rc < 0) {
		printf("id: %s\nstate: %s\n", id, q.state);
		fprintf(stderr, "roostctl: %s\n", err.s);
		str_free(&err);
		return 1;
	}
	if (err.len > 0)
		fprintf(stderr, "roostctl: warning: %s\n", err.s);
	at = e.arrival_us ? e.arrival_us : qid_time_us(id);
	printf("id: %s\nstate: %s\narrival: ", id, q.state);
	put_time(at);
	printf("\nage: ");
	put_span(now > at ? now - at : 0);
	printf("\nsize: %llu\nsender: ", (unsigned long long)e.size);
	put_line(e.sender.len ? e.sender.s : "<>", e.sender.len ?
	    e.sender.len : 2);
	if (e.params.len > 0) {
		printf("\nparams: ");
		put_line(e.params.s, e.params.len);
	}
	printf("\n");
	for (i = 0; i < e.attrs.n; i++) {
		printf("attr: %s=", e.attrs.v[i].name);
		put_line(str_cstr(&e.attrs.v[i].value),
		    e.attrs.v[i].value.len);
		printf("\n");
	}
	if (st.held)
		printf("held: yes\n");
	if (st.warned_us) {
		printf("delay notice: ");
		put_time(st.warned_us);
		printf("\n");
	}
	for (i = 0; i < e.nrcpt; i++) {
		const struct qstatus_rcpt *r = &st.rcpt[i];

		printf("recipient: ");
		put_line(e.rcpt[i].s, e.rcpt[i].len);
		printf("\n  status: %s\n  tries: %u\n", rcpt_status(r),
		    r->tries);
		if (r->time_us) {
			printf("  last attempt: ");
			put_time(r->time_us);
			printf("\n");
		}
		if (r->dsn.len > 0 || r->text.len > 0) {
			printf("  last error: ");
			if (r->dsn.len > 0) {
				put_line(r->dsn.s, r->dsn.len);
				putchar(' ');
			}
			put_line(str_cstr(&r->text), r->text.len);
			printf("\n");
		}
		if (!r->done && !r->waiting && r->tries > 0) {
			printf("  next attempt: ");
			if (r->next_us > now) {
				put_time(r->next_us);
				printf(" (in ");
				put_span(r->next_us - now);
				printf(")\n");
			} else
				printf("now\n");
		}
		if (r->done_targets.len > 0) {
			printf("  done targets: ");
			put_line(r->done_targets.s, r->done_targets.len - 1);
			printf("\n");
		}
	}
	qlist_entry_path(queue, q.state, id, &path);
	if (headers(path.s) < 0)
		printf("headers: (entry gone meanwhile)\n");
	queue_env_free(&e);
	qstatus_free(&st);
	str_free(&err);
	str_free(&path);
	return 0;
}

int
ctl_cmd_queue(struct ctl *c, int argc, char **argv)
{
	struct str queue = STR_INIT, err = STR_INIT;
	const char *cmd = argc > 0 ? argv[0] : "list";
	size_t i;
	int rc = 100;

	(void)c;
	ctl_abspath("queue_dir", &queue);
	for (i = 0; i < sizeof qops / sizeof qops[0]; i++)
		if (strcmp(cmd, qops[i].name) == 0)
			break;
	if (i < sizeof qops / sizeof qops[0] && argc >= 2)
		rc = cmd_move(&qops[i], queue.s, argc - 1, argv + 1);
	else if (strcmp(cmd, "list") == 0 && argc <= 1) {
		if ((rc = qlist_print(queue.s, stdout, &err) < 0 ? 1 : 0))
			fprintf(stderr, "roostctl: %s\n", err.s);
	} else if (strcmp(cmd, "show") == 0 && argc == 2)
		rc = cmd_show(queue.s, argv[1]);
	else if (strcmp(cmd, "flush") == 0 && argc == 1) {
		if ((rc = trigger(TRIGGER_FLUSH, &err) < 0 ? 1 : 0))
			fprintf(stderr, "roostctl: cannot reach the queue "
			    "manager: %s\n", err.s);
		else
			printf("queue manager asked to deliver every "
			    "deferred entry now\n");
	} else
		usage();
	str_free(&queue);
	str_free(&err);
	if (fflush(stdout) != 0 && rc == 0)
		rc = 1;
	return rc;
}
