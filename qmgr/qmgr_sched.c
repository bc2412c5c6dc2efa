/*
 * qmgr_sched - what runs when: the main thread's view of the queue.
 *
 * Every entry qmgr knows is in a hash table by queue ID, in one of
 * two states: QUEUED (claimed into active/, waiting for or run by a
 * worker) or DEFERRED (in deferred/, with the time it
 * is due; UINT64_MAX when only remote recipients wait).  An entry is
 * claimed by rename(2) into active/; a rename that finds nothing means
 * someone else (the operator's roostctl) moved it, and we forget it.
 *
 * Workers take QUEUED entries from a FIFO, run them (qmgr_entry.c) and
 * report on a pipe; the main thread never waits for a delivery.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "fd.h"
#include "log.h"
#include "qid.h"
#include "qmgr.h"
#include "qstatus.h"

#define HASH_SIZE 65536
#define WORKERS_MAX 256

enum state { QUEUED, DEFERRED };

struct ent {
	char id[QID_LEN + 1];
	enum state state;
	uint64_t due;
	bool seen;		/* by the current deferred/ scan */
	struct ent *hnext;	/* hash chain */
	struct ent *qnext;	/* FIFO of QUEUED */
	struct ent *dprev, *dnext;	/* list of DEFERRED */
};

struct report {
	struct ent *e;
	enum qmgr_outcome o;
	uint64_t due;
};

static struct ent *htab[HASH_SIZE];
static struct ent *dlist;	/* DEFERRED entries */
static uint64_t next_timer = UINT64_MAX;
static size_t nqueued;
static int nbusy;		/* workers running an entry (q_mu) */
static int report_pipe[2];

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static struct ent *q_head, *q_tail;

uint64_t
qmgr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
qmgr_qpath(struct str *out, const char *dir, const char *id)
{
	str_copyf(out, "%s/%s/%s", qmgr_conf.queue_dir, dir, id);
}

static unsigned
hash(const char *id)
{
	unsigned h = 5381;

	while (*id)
		h = h * 33 + (unsigned char)*id++;
	return h % HASH_SIZE;
}

static struct ent *
find(const char *id)
{
	struct ent *e;

	for (e = htab[hash(id)]; e != NULL; e = e->hnext)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

static struct ent *
add(const char *id)
{
	struct ent *e = xcalloc(1, sizeof(*e));
	unsigned h = hash(id);

	memcpy(e->id, id, QID_LEN + 1);
	e->hnext = htab[h];
	htab[h] = e;
	return e;
}

static void
d_unlink(struct ent *e)
{
	if (e->dprev)
		e->dprev->dnext = e->dnext;
	else
		dlist = e->dnext;
	if (e->dnext)
		e->dnext->dprev = e->dprev;
	e->dprev = e->dnext = NULL;
}

static void
forget(struct ent *e)
{
	struct ent **pp;

	if (e->state == DEFERRED)
		d_unlink(e);
	for (pp = &htab[hash(e->id)]; *pp != e; pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	free(e);
}

static void
set_deferred(struct ent *e, uint64_t due)
{
	e->state = DEFERRED;
	e->due = due;
	e->dprev = NULL;
	e->dnext = dlist;
	if (dlist)
		dlist->dprev = e;
	dlist = e;
	if (due < next_timer)
		next_timer = due;
}

/* enqueue - hand a claimed entry (in active/) to the workers. */
static void
enqueue(struct ent *e)
{
	e->state = QUEUED;
	e->qnext = NULL;
	nqueued++;
	pthread_mutex_lock(&q_mu);
	if (q_tail)
		q_tail->qnext = e;
	else
		q_head = e;
	q_tail = e;
	pthread_cond_signal(&q_cv);
	pthread_mutex_unlock(&q_mu);
}

static void *
worker(void *arg)
{
	struct report r;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&q_mu);
		while (q_head == NULL)
			pthread_cond_wait(&q_cv, &q_mu);
		r.e = q_head;
		q_head = r.e->qnext;
		if (q_head == NULL)
			q_tail = NULL;
		nbusy++;
		pthread_mutex_unlock(&q_mu);
		r.due = 0;
		r.o = qmgr_entry_run(r.e->id, &r.due);
		/* sizeof r < PIPE_BUF: the write is atomic */
		if (fd_write_all(report_pipe[1], &r, sizeof r) < 0)
			log_fatal("report pipe: %m");
		pthread_mutex_lock(&q_mu);
		nbusy--;
		pthread_mutex_unlock(&q_mu);
	}
	return NULL;
}

void
qmgr_sched_init(void)
{
	pthread_attr_t at;
	pthread_t t;
	int i, n = qmgr_conf.lmtp_concurrency + qmgr_conf.pipe_concurrency;

	if (pipe2(report_pipe, O_CLOEXEC) < 0)
		log_fatal("pipe: %m");
	fd_nonblock(report_pipe[0], true);
	if (n > WORKERS_MAX)
		n = WORKERS_MAX;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	for (i = 0; i < n; i++)
		if (pthread_create(&t, &at, worker, NULL) != 0)
			log_fatal("pthread_create: %m");
	pthread_attr_destroy(&at);
}

int
qmgr_sched_poll_fd(void)
{
	return report_pipe[0];
}

bool
qmgr_sched_idle(void)
{
	return nqueued == 0;
}

/* claim - rename dir/id into active/: 0, or -1 (someone else has it,
 * or it cannot be moved). */
static int
claim(const char *dir, const char *id)
{
	struct str from = STR_INIT, to = STR_INIT;
	int rc;

	qmgr_qpath(&from, dir, id);
	qmgr_qpath(&to, QUEUE_ACTIVE, id);
	rc = rename(from.s, to.s);
	if (rc < 0 && errno != ENOENT)
		log_error("rename %s to active: %m", from.s);
	str_free(&from);
	str_free(&to);
	return rc;
}

/* each_id - call fn for every queue ID in queue_dir/dir. */
static void
each_id(const char *dir, void (*fn)(const char *id, void *arg), void *arg)
{
	struct str p = STR_INIT;
	struct dirent *de;
	DIR *d;

	str_copyf(&p, "%s/%s", qmgr_conf.queue_dir, dir);
	d = opendir(p.s);
	if (d == NULL) {
		log_error("opendir %s: %m", p.s);
		str_free(&p);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (qid_valid(de->d_name))
			fn(de->d_name, arg);
	closedir(d);
	str_free(&p);
}

static void
take_incoming(const char *id, void *arg)
{
	size_t *n = arg;

	if (find(id) != NULL || claim(QUEUE_INCOMING, id) < 0)
		return;
	enqueue(add(id));
	(*n)++;
}

void
qmgr_sched_scan_incoming(void)
{
	size_t n = 0;

	each_id(QUEUE_INCOMING, take_incoming, &n);
	/* the claims must not be undone by a crash once a status record
	 * exists for them; one fsync covers the batch */
	if (n > 0 && (queue_fsync_dir(qmgr_conf.queue_dir, QUEUE_ACTIVE) < 0 ||
	    queue_fsync_dir(qmgr_conf.queue_dir, QUEUE_INCOMING) < 0))
		log_error("fsync queue directories: %m");
}

static void
take_deferred(const char *id, void *arg)
{
	struct str p = STR_INIT;
	struct ent *e = find(id);
	uint64_t due;

	(void)arg;
	if (e != NULL) {
		e->seen = true;
		return;
	}
	qmgr_qpath(&p, QUEUE_DEFERRED, id);
	if (qmgr_entry_due(p.s, id, &due) < 0)
		due = 0;	/* a run will sort it out (or corrupt/) */
	str_free(&p);
	e = add(id);
	e->seen = true;
	set_deferred(e, due);
}

void
qmgr_sched_scan_deferred(bool flush)
{
	struct ent *e, *next;
	uint64_t now = qmgr_now_us();

	for (e = dlist; e != NULL; e = e->dnext)
		e->seen = false;
	each_id(QUEUE_DEFERRED, take_deferred, NULL);
	for (e = dlist; e != NULL; e = next) {
		next = e->dnext;
		if (!e->seen)
			forget(e);	/* moved away by the operator */
		else if (flush)
			e->due = now;
	}
	if (flush)
		next_timer = now;
}

int
qmgr_sched_run_timers(void)
{
	struct ent *e, *next;
	uint64_t now = qmgr_now_us(), t = UINT64_MAX;

	if (now >= next_timer) {
		for (e = dlist; e != NULL; e = next) {
			next = e->dnext;
			if (e->due > now) {
				if (e->due < t)
					t = e->due;
				continue;
			}
			d_unlink(e);
			if (claim(QUEUE_DEFERRED, e->id) < 0) {
				e->state = QUEUED;	/* not in dlist */
				forget(e);
				continue;
			}
			enqueue(e);
		}
		next_timer = t;
	}
	if (next_timer == UINT64_MAX)
		return -1;
	return next_timer <= now ? 0 : next_timer - now > 3600000000ULL ?
	    3600000 : (int)((next_timer - now + 999) / 1000);
}

void
qmgr_sched_reap(void)
{
	struct report r;
	ssize_t n;

	while ((n = fd_read(report_pipe[0], &r, sizeof r)) == sizeof r) {
		nqueued--;
		switch (r.o) {
		case QMGR_DONE:
		case QMGR_GONE:
			r.e->state = QUEUED;
			forget(r.e);
			break;
		case QMGR_DEFERRED:
			set_deferred(r.e, r.due);
			break;
		}
	}
	if (qmgr_sched_idle())
		qmgr_lmtp_close_idle();
}

static void
take_active(const char *id, void *arg)
{
	(void)arg;
	if (find(id) == NULL)
		enqueue(add(id));
}

/* in_queue - whether id is in any queue directory. */
static bool
in_queue(const char *id)
{
	static const char *const dirs[] = { QUEUE_INCOMING, QUEUE_ACTIVE,
	    QUEUE_DEFERRED, QUEUE_HOLD, QUEUE_CORRUPT };
	struct str p = STR_INIT;
	size_t i;
	int pass;
	bool found = false;

	/* twice: an operator's rename between two of our looks must not
	 * make a live entry look like an orphan */
	for (pass = 0; pass < 2 && !found; pass++)
		for (i = 0; i < sizeof dirs / sizeof dirs[0] && !found; i++) {
			qmgr_qpath(&p, dirs[i], id);
			found = access(p.s, F_OK) == 0;
		}
	str_free(&p);
	return found;
}

static void
drop_orphan(const char *id, void *arg)
{
	struct str p = STR_INIT;

	(void)arg;
	if (in_queue(id))
		return;
	qstatus_path(qmgr_conf.queue_dir, id, &p);
	if (unlink(p.s) == 0)
		log_info("%s: removed orphan status file", id);
	str_free(&p);
}

/* drop_claims - cleanup's claims on reports of entries that are gone
 * (qmgr removes them with the entry; a crash between leaves them). */
static void
drop_claims(void)
{
	struct str p = STR_INIT;
	struct dirent *de;
	char id[QID_LEN + 1];
	DIR *d;

	str_copyf(&p, "%s/" QUEUE_REPORTS, qmgr_conf.queue_dir);
	if ((d = opendir(p.s)) == NULL) {
		log_error("opendir %s: %m", p.s);
		str_free(&p);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) <= QID_LEN ||
		    de->d_name[QID_LEN] != '.')
			continue;
		memcpy(id, de->d_name, QID_LEN);
		id[QID_LEN] = '\0';
		if (!qid_valid(id) || in_queue(id))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("%s: removed the claim of report %s", id,
			    de->d_name);
	}
	closedir(d);
	str_free(&p);
}

void
qmgr_sched_start(void)
{
	struct str p = STR_INIT;

	static const char *const dirs[] = { QUEUE_TMP, QUEUE_INCOMING,
	    QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD, QUEUE_CORRUPT,
	    QSTATUS_DIR, QUEUE_REPORTS };
	size_t i;

	/* we may start before cleanup, which makes the same ones */
	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		str_copyf(&p, "%s/%s", qmgr_conf.queue_dir, dirs[i]);
		if (mkdir(p.s, 0750) < 0 && errno != EEXIST)
			log_fatal("mkdir %s: %m", p.s);
	}
	str_free(&p);
	each_id(QUEUE_ACTIVE, take_active, NULL);	/* resumed */
	qmgr_sched_scan_incoming();
	qmgr_sched_scan_deferred(false);
	each_id(QSTATUS_DIR, drop_orphan, NULL);
	drop_claims();
}

void
qmgr_sched_stop(int ms)
{
	int64_t end = buf_now_ms() + ms;
	bool busy = true;

	/* drop what no worker has taken: it stays in active/ and is
	 * resumed at the next start */
	pthread_mutex_lock(&q_mu);
	q_head = q_tail = NULL;
	pthread_mutex_unlock(&q_mu);
	while (busy && buf_now_ms() < end) {
		struct report r;

		(void)fd_wait(report_pipe[0], POLLIN, 100);
		while (fd_read(report_pipe[0], &r, sizeof r) == sizeof r)
			;
		pthread_mutex_lock(&q_mu);
		busy = nbusy > 0;
		pthread_mutex_unlock(&q_mu);
	}
}
