/* test-store-conc - the message store with several processes at once:
 * concurrent deliveries and flag changes (UIDs unique, counts exact,
 * consistent snapshots), map growth while others hold the environment,
 * change notification latency across processes, and kill -9 in the
 * middle of deliveries. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "str.h"
#include "tap.h"

extern size_t store_test_mapsize;	/* store_int.h */

static struct str err;
static char dir[] = "/tmp/test-store-conc.XXXXXX";

#define NDELIVER 6
#define PER_CHILD 40
#define NFLAGGER 3
#define NREADER 2

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
deliver_one(struct store *s, const char *mbox, int i, const char *kw,
    uint32_t *uid)
{
	struct store_spool *sp;
	struct str msg = STR_INIT;
	int rc;

	str_copyf(&msg, "From: t@example.test\nSubject: %d %d\n\n", getpid(),
	    i);
	/* a varying size, with LF and CRLF lines */
	for (int k = 0; k < i % 7 + 1; k++)
		str_cats(&msg, k % 2 ? "body line\r\n" : "body line\n");
	if (store_spool_begin(&sp, dir, &err) != STORE_OK) {
		str_free(&msg);
		return STORE_ERR;
	}
	rc = store_spool_write(sp, msg.s, msg.len, &err);
	if (rc == STORE_OK)
		rc = store_spool_finish(sp, &err);
	if (rc == STORE_OK)
		rc = store_deliver(s, sp, mbox, 0, kw, 0, uid, &err);
	store_spool_end(&sp);
	str_free(&msg);
	return rc;
}

/* ---- deliveries and flag changes at once ---- */

static void
child_deliver(int wfd)
{
	struct store *s;
	struct str kw = STR_INIT;
	uint32_t uid;
	int i;

	if (store_open(&s, dir, "conc", &err) != STORE_OK)
		_exit(2);
	/* long keywords make the index grow past its small initial map */
	for (i = 0; i < 90; i++)
		str_catf(&kw, "%skw%06d", i ? " " : "", i);
	for (i = 0; i < PER_CHILD; i++) {
		if (deliver_one(s, NULL, i, kw.s, &uid) != STORE_OK) {
			fprintf(stderr, "deliver: %s\n", str_cstr(&err));
			_exit(3);
		}
		if (write(wfd, &uid, sizeof(uid)) != sizeof(uid))
			_exit(4);
	}
	store_close(&s);
	_exit(0);
}

struct pick {
	uint32_t uids[4096];
	size_t n;
};

static int
pick_uid(const struct store_msg *m, void *arg)
{
	struct pick *p = arg;

	if (p->n < 4096)
		p->uids[p->n++] = m->uid;
	return 0;
}

static void
child_flags(unsigned seed)
{
	struct store *s;
	struct store_mailbox mb;
	struct pick *p = calloc(1, sizeof(*p));
	struct store_msg m;
	int i, rc;

	srand(seed);
	if (p == NULL || store_open(&s, dir, "conc", &err) != STORE_OK)
		_exit(2);
	for (i = 0; i < 150; i++) {
		if (store_mailbox_get(s, "INBOX", &mb, &err) != STORE_OK)
			_exit(3);
		p->n = 0;
		if (store_msg_list(s, mb.id, 1, pick_uid, p, &err) != STORE_OK)
			_exit(4);
		if (p->n > 0) {
			rc = store_msg_set_flags(s, mb.id,
			    p->uids[rand() % p->n], (unsigned)rand() & 0x1f,
			    rand() % 2 ? "$Label1" : NULL, 0, &m, &err);
			store_msg_free(&m);
			if (rc != STORE_OK) {
				fprintf(stderr, "flags: %s\n", str_cstr(&err));
				_exit(5);
			}
		}
		store_mailbox_free(&mb);
		sleep_ms(rand() % 5);
	}
	store_close(&s);
	free(p);
	_exit(0);
}

struct sum {
	uint32_t n, unseen;
	uint64_t size;
};

static int
sum_msg(const struct store_msg *m, void *arg)
{
	struct sum *sm = arg;

	sm->n++;
	sm->size += m->size;
	if (!(m->flags & STORE_F_SEEN))
		sm->unseen++;
	return 0;
}

/* child_reader - within one read transaction the mailbox record and the
 * message records agree (a consistent snapshot). */
static void
child_reader(void)
{
	struct store *s;
	struct store_mailbox mb;
	int i;

	if (store_open(&s, dir, "conc", &err) != STORE_OK)
		_exit(2);
	for (i = 0; i < 200; i++) {
		struct sum sm = { 0, 0, 0 };

		if (store_txn_begin(s, false, &err) != STORE_OK)
			_exit(3);
		if (store_mailbox_get(s, "INBOX", &mb, &err) != STORE_OK ||
		    store_msg_list(s, mb.id, 1, sum_msg, &sm, &err) !=
		    STORE_OK)
			_exit(4);
		if (sm.n != mb.messages || sm.size != mb.size ||
		    sm.unseen != mb.unseen) {
			fprintf(stderr, "snapshot: %u/%llu/%u vs %u/%llu/%u\n",
			    sm.n, (unsigned long long)sm.size, sm.unseen,
			    mb.messages, (unsigned long long)mb.size,
			    mb.unseen);
			_exit(5);
		}
		store_mailbox_free(&mb);
		store_txn_abort(s);
		sleep_ms(1);
	}
	store_close(&s);
	_exit(0);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_concurrent(void)
{
	struct store *s;
	struct store_mailbox mb;
	struct sum sm = { 0, 0, 0 };
	struct str p = STR_INIT, report = STR_INIT;
	struct stat st;
	uint32_t uids[NDELIVER * PER_CHILD], u;
	pid_t pids[NDELIVER + NFLAGGER + NREADER];
	int fds[2], i, bad = 0, dups = 0, np = 0;
	size_t nu = 0, problems = 99;
	uint64_t used, msgs;

	store_test_mapsize = 256 << 10;	/* grows several times below */
	if (store_user_create(dir, "conc", 0, (uid_t)-1, (gid_t)-1, &err) !=
	    STORE_OK)
		bail("user_create");
	/* The parent holds the environment open across the growth. */
	if (store_open(&s, dir, "conc", &err) != STORE_OK)
		bail("store_open");
	if (pipe(fds) < 0)
		bail("pipe");
	for (i = 0; i < NDELIVER; i++)
		if ((pids[np++] = xfork()) == 0) {
			close(fds[0]);
			child_deliver(fds[1]);
		}
	close(fds[1]);
	for (i = 0; i < NFLAGGER; i++)
		if ((pids[np++] = xfork()) == 0)
			child_flags((unsigned)i + 1);
	for (i = 0; i < NREADER; i++)
		if ((pids[np++] = xfork()) == 0)
			child_reader();
	while (read(fds[0], &u, sizeof(u)) == sizeof(u))
		if (nu < NDELIVER * PER_CHILD)
			uids[nu++] = u;
	close(fds[0]);
	for (i = 0; i < np; i++)
		if (reap(pids[i]) != 0)
			bad++;
	is_int(bad, 0, "every child succeeded (deliverers, flaggers, "
	    "snapshot readers)");
	is_int(nu, NDELIVER * PER_CHILD, "every delivery got a UID");
	qsort(uids, nu, sizeof(uids[0]), cmp_u32);
	for (size_t k = 1; k < nu; k++)
		if (uids[k] == uids[k - 1])
			dups++;
	is_int(dups, 0, "UIDs unique across processes");
	ok(nu > 0 && uids[0] == 1 && uids[nu - 1] == nu, "UIDs 1..%zu", nu);
	/* the parent's handle predates the growth */
	is_int(store_mailbox_get(s, "INBOX", &mb, &err), STORE_OK,
	    "old handle reads after others grew the map");
	store_msg_list(s, mb.id, 1, sum_msg, &sm, &err);
	ok(sm.n == nu && mb.messages == nu && mb.uidnext == nu + 1,
	    "counts exact: %u messages", sm.n);
	ok(sm.size == mb.size && sm.unseen == mb.unseen,
	    "size and unseen exact");
	store_quota_get(s, &used, NULL, &msgs, NULL, &err);
	ok(used == sm.size && msgs == nu, "quota usage exact");
	store_user_path(dir, "conc", &p);
	str_cats(&p, "/index/data.mdb");
	if (stat(p.s, &st) < 0)
		bail("stat data.mdb");
	ok(st.st_size > 256 << 10, "the map grew past its initial 256 KiB "
	    "(data.mdb: %lld)", (long long)st.st_size);
	is_int(store_check(s, &problems, &report, &err), STORE_OK, "check");
	is_int(problems, 0, "consistent");
	if (problems)
		diag("%s", report.s);
	/* the parent writes too, after the growth */
	is_int(deliver_one(s, NULL, 0, NULL, &u), STORE_OK,
	    "old handle delivers after the growth");
	is_int(u, nu + 1, "next UID");
	store_mailbox_free(&mb);
	store_close(&s);
	str_free(&p);
	str_free(&report);
	store_test_mapsize = 0;
}

/* ---- explicit transactions (lmtpd: duplicate check and delivery in
 * one) while the map grows ---- */

static void
child_lmtp(int id)
{
	struct store *s;
	struct store_spool *sp;
	struct str kw = STR_INIT, key = STR_INIT;
	int i, tries, retried = 0;
	bool seen;

	if (store_open(&s, dir, "txn", &err) != STORE_OK)
		_exit(2);
	for (i = 0; i < 60; i++)
		str_catf(&kw, "%slabel%06d", i ? " " : "", i);
	for (i = 0; i < 80; i++) {
		if (store_spool_begin(&sp, dir, &err) != STORE_OK ||
		    store_spool_write(sp, "Subject: x\n\nbody\n", 18, &err) !=
		    STORE_OK || store_spool_finish(sp, &err) != STORE_OK)
			_exit(3);
		str_copyf(&key, "<%d.%d@example.test>", id, i);
		for (tries = 0; tries < 3; tries++) {
			int rc = store_txn_begin(s, true, &err);

			if (rc == STORE_OK)
				rc = store_dup_seen(s, key.s, 3600, &seen,
				    &err);
			if (rc == STORE_OK)
				rc = store_deliver(s, sp, NULL, STORE_F_RECENT,
				    kw.s, 0, NULL, &err);
			if (rc == STORE_OK && (rc = store_txn_commit(s, &err))
			    == STORE_OK)
				break;
			store_txn_abort(s);
			retried++;
		}
		store_spool_end(&sp);
		if (tries == 3) {
			fprintf(stderr, "txn: %s\n", str_cstr(&err));
			_exit(4);
		}
	}
	store_close(&s);
	/* a retry now and then is allowed (growth inside the explicit
	 * transaction of another process), not a habit */
	if (retried > 0)
		fprintf(stderr, "# child %d: %d retries\n", id, retried);
	_exit(retried > 8 ? 5 : 0);
}

static void
test_explicit_txn(void)
{
	struct store *s;
	struct store_mailbox mb;
	size_t problems = 99;
	pid_t a, b;

	store_test_mapsize = 128 << 10;
	store_user_create(dir, "txn", 0, (uid_t)-1, (gid_t)-1, &err);
	if ((a = xfork()) == 0)
		child_lmtp(1);
	if ((b = xfork()) == 0)
		child_lmtp(2);
	is_int(reap(a), 0, "explicit transactions while the map grows (1)");
	is_int(reap(b), 0, "explicit transactions while the map grows (2)");
	store_open(&s, dir, "txn", &err);
	store_mailbox_get(s, "INBOX", &mb, &err);
	is_int(mb.messages, 160, "every message once");
	{
		struct str p = STR_INIT;
		struct stat st;

		store_user_path(dir, "txn", &p);
		str_cats(&p, "/index/data.mdb");
		ok(stat(p.s, &st) == 0 && st.st_size > 128 << 10,
		    "the map grew past its initial 128 KiB");
		str_free(&p);
	}
	store_check(s, &problems, NULL, &err);
	is_int(problems, 0, "consistent");
	store_mailbox_free(&mb);
	store_close(&s);
	store_test_mapsize = 0;
}

/* ---- a map grown by another process under an open snapshot ---- */

static struct store *nest_store;
static int nest_calls, nest_rc = 99;

static int
nest_cb(const struct store_msg *m, void *arg)
{
	uint64_t used;
	pid_t pid;

	(void)m, (void)arg;
	if (nest_calls++ != 1)
		return 0;
	if ((pid = xfork()) == 0) {
		struct store *c;
		int i, rc = 0;

		if (store_open(&c, dir, "nest", &err) != STORE_OK)
			_exit(1);
		for (i = 0; i < 600 && rc == STORE_OK; i++)
			rc = deliver_one(c, NULL, i, NULL, NULL);
		store_close(&c);
		_exit(rc == STORE_OK ? 0 : 1);
	}
	is_int(reap(pid), 0, "another process grows the map meanwhile");
	/* adopting the new size now would unmap the pages the listing
	 * still reads: the nested call must fail, not crash */
	nest_rc = store_quota_get(nest_store, &used, NULL, NULL, NULL, &err);
	return 0;
}

static void
test_grown_under_snapshot(void)
{
	uint64_t used = 0, count = 0;
	int i;

	store_test_mapsize = 128 << 10;
	store_user_create(dir, "nest", 0, (uid_t)-1, (gid_t)-1, &err);
	store_open(&nest_store, dir, "nest", &err);
	for (i = 0; i < 20; i++)
		deliver_one(nest_store, NULL, i, NULL, NULL);
	is_int(store_msg_list(nest_store, 1, 1, nest_cb, NULL, &err),
	    STORE_OK, "the listing finishes on its snapshot");
	is_int(nest_calls, 20, "and sees every message of it");
	is_int(nest_rc, STORE_ERR, "a nested call meanwhile: temporary error");
	is_int(store_quota_get(nest_store, &used, NULL, &count, NULL, &err),
	    STORE_OK, "once the snapshot is closed, the new size is adopted");
	is_int((long long)count, 620, "and every message is there");
	store_close(&nest_store);
	store_test_mapsize = 0;
}

/* ---- notification latency ---- */

static void
test_notify(void)
{
	struct store *s;
	struct store_mailbox mb;
	struct pollfd pfd;
	double t0, t1, worst = 0;
	int fds[2], nfd, i, woke = 0, early;
	pid_t pid;

	store_user_create(dir, "idle", 0, (uid_t)-1, (gid_t)-1, &err);
	store_open(&s, dir, "idle", &err);
	deliver_one(s, NULL, 1, NULL, NULL);
	store_mailbox_get(s, "INBOX", &mb, &err);
	nfd = store_notify_open(s, &err);
	ok(nfd >= 0, "notify_open");
	store_notify_drain(nfd);
	pfd.fd = nfd;
	pfd.events = POLLIN;
	early = poll(&pfd, 1, 50);
	is_int(early, 0, "nothing to read without a change");
	{
		bool seen;

		store_dup_seen(s, "<quiet@example.test>", 60, &seen, &err);
		is_int(poll(&pfd, 1, 50), 0,
		    "a duplicate record alone wakes nobody");
	}
	if (pipe(fds) < 0)
		bail("pipe");
	if ((pid = xfork()) == 0) {
		struct store *c;
		struct store_msg m;

		close(fds[0]);
		if (store_open(&c, dir, "idle", &err) != STORE_OK)
			_exit(2);
		for (i = 0; i < 5; i++) {
			sleep_ms(150);
			t0 = now_ms();
			if (write(fds[1], &t0, sizeof(t0)) != sizeof(t0))
				_exit(3);
			if (store_msg_set_flags(c, mb.id, 1, i % 2 ?
			    STORE_F_SEEN : STORE_F_FLAGGED, NULL, 0, &m,
			    &err) != STORE_OK)
				_exit(4);
			store_msg_free(&m);
		}
		store_close(&c);
		_exit(0);
	}
	close(fds[1]);
	for (i = 0; i < 5; i++) {
		if (poll(&pfd, 1, 2000) == 1) {
			t1 = now_ms();
			woke++;
			store_notify_drain(nfd);
			if (read(fds[0], &t0, sizeof(t0)) != sizeof(t0))
				break;
			if (t1 - t0 > worst)
				worst = t1 - t0;
		}
	}
	is_int(reap(pid), 0, "changing process done");
	is_int(woke, 5, "woken for each of 5 commits in another process");
	ok(worst < 100, "woken within 100 ms of the change (worst %.1f ms)",
	    worst);
	close(nfd);
	close(fds[0]);
	store_mailbox_free(&mb);
	store_close(&s);
}

/* ---- kill -9 in the middle ---- */

static void __attribute__((noreturn))
child_busy(unsigned seed)
{
	struct store *s;
	struct store_mailbox mb, trash;
	struct pick *p = calloc(1, sizeof(*p));
	uint32_t uid;
	int i;

	srand(seed);
	if (p == NULL || store_open(&s, dir, "crash", &err) != STORE_OK)
		_exit(2);
	store_mailbox_get(s, "Trash", &trash, &err);
	for (i = 0;; i++) {
		int what = rand() % 10;

		if (store_mailbox_get(s, "INBOX", &mb, &err) != STORE_OK)
			_exit(3);
		if (what < 6 || mb.messages == 0) {
			(void)deliver_one(s, NULL, i, "$x", &uid);
		} else {
			p->n = 0;
			store_msg_list(s, mb.id, 1, pick_uid, p, &err);
			uid = p->uids[rand() % p->n];
			if (what == 6)
				store_msg_expunge(s, mb.id, uid, &err);
			else if (what == 7)
				store_msg_copy(s, mb.id, uid, trash.id, NULL,
				    &err);
			else if (what == 8)
				store_msg_set_flags(s, mb.id, uid,
				    STORE_F_SEEN, NULL, 0, NULL, &err);
			else {
				size_t n;

				store_undelete(s, 0, &n, &err);
			}
		}
		store_mailbox_free(&mb);
	}
}

static void
test_kill(void)
{
	struct store *s;
	struct str report = STR_INIT;
	size_t problems = 99, n;
	pid_t a, b;
	int round, killed = 0;
	uint64_t used, msgs;

	store_user_create(dir, "crash", 0, (uid_t)-1, (gid_t)-1, &err);
	srand((unsigned)getpid());
	for (round = 0; round < 10; round++) {
		a = xfork();
		if (a == 0)
			child_busy((unsigned)round * 2 + 1);
		b = xfork();
		if (b == 0)
			child_busy((unsigned)round * 2 + 2);
		sleep_ms(30 + rand() % 150);
		kill(a, SIGKILL);
		sleep_ms(rand() % 20);
		kill(b, SIGKILL);
		if (reap(a) == -1)
			killed++;
		if (reap(b) == -1)
			killed++;
	}
	is_int(killed, 20, "20 busy processes killed with SIGKILL");
	if (store_open(&s, dir, "crash", &err) != STORE_OK)
		bail("store_open");
	store_quota_get(s, &used, NULL, &msgs, NULL, &err);
	ok(msgs > 0, "messages stored (%llu)", (unsigned long long)msgs);
	is_int(store_check(s, &problems, &report, &err), STORE_OK, "check");
	is_int(problems, 0, "every entry's file exists, counts and quota "
	    "exact, references right");
	if (problems)
		diag("%s", report.s);
	is_int(store_expire(s, time(NULL) + 1, &n, &err), STORE_OK,
	    "expire everything expunged");
	str_clear(&report);
	store_check(s, &problems, &report, &err);
	is_int(problems, 0, "still consistent after expire");
	if (problems)
		diag("%s", report.s);
	store_close(&s);
	str_free(&report);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	test_concurrent();
	test_explicit_txn();
	test_grown_under_snapshot();
	test_notify();
	test_kill();
	if (getenv("TEST_KEEP") == NULL) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	} else
		diag("kept %s", dir);
	str_free(&err);
	return done_testing();
}
