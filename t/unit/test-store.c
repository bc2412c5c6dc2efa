/* test-store - the message store, single process: users, delivery,
 * flags, expunge and recovery, quota, duplicates, mailboxes, names.
 * test-store-conc covers several processes at once. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "store.h"
#include "str.h"
#include "tap.h"

static struct str err;
static char dir[] = "/tmp/test-store.XXXXXX";

#define is_rc(rc, want, ...)                                            \
	do {                                                            \
		int r_ = (rc);                                          \
		is_int(r_, (want), __VA_ARGS__);                        \
		if (r_ != (want))                                       \
			diag("err: %s", str_cstr(&err));                \
	} while (0)

static struct store_spool *
spool(const char *text, size_t chunk)
{
	struct store_spool *sp;
	size_t n = strlen(text), off;

	if (store_spool_begin(&sp, dir, &err) != STORE_OK)
		bail("spool_begin");
	for (off = 0; off < n; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;

		if (store_spool_write(sp, text + off, k, &err) != STORE_OK)
			bail("spool_write");
	}
	if (store_spool_finish(sp, &err) != STORE_OK)
		bail("spool_finish");
	return sp;
}

static int
deliver(struct store *s, const char *text, const char *mbox, uint32_t *uid)
{
	struct store_spool *sp = spool(text, 1000);
	int rc;

	rc = store_deliver(s, sp, mbox, 0, NULL, 0, uid, &err);
	store_spool_end(&sp);
	return rc;
}

static void
read_msg(struct store *s, uint32_t mbox, uint32_t uid, struct str *out)
{
	struct store_msg m;
	char buf[4096];
	ssize_t n;
	int fd;

	str_clear(out);
	if (store_msg_get(s, mbox, uid, &m, &err) != STORE_OK)
		return;
	if ((fd = store_msg_open(s, &m, &err)) >= 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			str_catb(out, buf, (size_t)n);
		close(fd);
	}
	store_msg_free(&m);
}

static uint32_t
mbox_id(struct store *s, const char *name)
{
	struct store_mailbox mb;
	uint32_t id = 0;

	if (store_mailbox_get(s, name, &mb, &err) == STORE_OK)
		id = mb.id;
	store_mailbox_free(&mb);
	return id;
}

struct names {
	struct str all;
};

static int
collect_names(const struct store_mailbox *mb, void *arg)
{
	struct names *n = arg;

	str_catf(&n->all, "%s%s:%u", n->all.len ? " " : "", mb->name.s,
	    mb->special);
	return 0;
}

static void
test_user(void)
{
	struct store *s;
	struct names n = { STR_INIT };
	struct str p = STR_INIT;
	struct stat st;
	uint64_t used, limit, msgs;
	time_t over;

	ok(!store_user_exists(dir, "Alice@Example.Test"), "no user yet");
	is_rc(store_open(&s, dir, "alice@example.test", &err), STORE_NOUSER,
	    "open unknown user: NOUSER");
	is_rc(store_user_create(dir, "Alice@Example.Test", 250 << 20,
	    (uid_t)-1, (gid_t)-1, &err), STORE_OK, "create user");
	is_rc(store_user_create(dir, "alice@example.test", 5, (uid_t)-1,
	    (gid_t)-1, &err), STORE_OK, "create again: idempotent");
	ok(store_user_exists(dir, "alice@example.test"), "user exists");
	store_user_path(dir, "Alice@Example.Test", &p);
	str_catf(&p, "/msg");
	ok(stat(p.s, &st) == 0 && (st.st_mode & 07777) == 0700,
	    "msg dir mode 0700");
	store_user_path(dir, "alice@example.test", &p);
	str_catf(&p, "/index/data.mdb");
	ok(stat(p.s, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "index file mode 0600");
	is_rc(store_open(&s, dir, "ALICE@example.test", &err), STORE_OK,
	    "open");
	is_str(store_user(s), "ALICE@example.test", "store_user");
	is_rc(store_mailbox_list(s, collect_names, &n, &err), STORE_OK,
	    "list mailboxes");
	is_str(n.all.s, "Archive:16 Drafts:1 INBOX:0 Junk:8 Sent:2 Trash:4",
	    "default mailboxes with special-use, in name order");
	is_rc(store_quota_get(s, &used, &limit, &msgs, &over, &err),
	    STORE_OK, "quota_get");
	ok(used == 0 && msgs == 0 && over == 0, "nothing used");
	is_int(limit, 250 << 20, "limit: as created");
	store_close(&s);
	ok(s == NULL, "close clears the handle");

	is_rc(store_user_create(dir, "bob", 1000, (uid_t)-1, (gid_t)-1, &err),
	    STORE_OK, "create bob with a quota");
	store_open(&s, dir, "bob", &err);
	store_quota_get(s, &used, &limit, &msgs, &over, &err);
	is_int(limit, 1000, "explicit limit kept");
	store_close(&s);
	str_free(&n.all);
	str_free(&p);
}

static void
test_owner(void)
{
	static const char *const sub[] = { "", "/msg", "/index",
	    "/index/data.mdb", "/index/lock.mdb", "/notify" };
	struct str p = STR_INIT, base = STR_INIT;
	struct stat st;
	size_t i;
	int wrong = 0;

	if (geteuid() != 0) {
		skip("not root: ownership");
		return;
	}
	is_rc(store_user_create(dir, "owned", 0, 65534, 65534, &err),
	    STORE_OK, "create as root for uid 65534");
	store_user_path(dir, "owned", &base);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		str_copyf(&p, "%s%s", base.s, sub[i]);
		if (stat(p.s, &st) < 0 || st.st_uid != 65534 ||
		    st.st_gid != 65534) {
			diag("%s not owned by 65534", p.s);
			wrong++;
		}
	}
	is_int(wrong, 0, "directory and files given to the owner");
	store_user_delete(dir, "owned", &err);
	str_free(&p);
	str_free(&base);
}

static void
test_hostile_users(void)
{
	struct str p = STR_INIT;
	char longname[400];

	store_user_path(dir, "../etc", &p);
	ok(strstr(p.s, "/u/..%2Fetc") != NULL, "../etc escaped: %s", p.s);
	store_user_path(dir, "..", &p);
	ok(strstr(p.s, "/u/%2E%2E") != NULL, ".. escaped: %s", p.s);
	store_user_path(dir, "a\nb c", &p);
	ok(strstr(p.s, "/u/a%0Ab%20c") != NULL, "control chars escaped");
	is_rc(store_user_create(dir, "..", 0, (uid_t)-1, (gid_t)-1, &err),
	    STORE_OK, "user '..' is just a name");
	store_user_path(dir, "..", &p);
	ok(access(p.s, F_OK) == 0, "in its own escaped directory");
	is_rc(store_user_delete(dir, "..", &err), STORE_OK, "delete '..'");
	ok(access(p.s, F_OK) < 0, "gone");
	str_copyf(&p, "%s/u", dir);
	ok(access(p.s, F_OK) == 0, "u/ still there");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	is_rc(store_user_create(dir, longname, 0, (uid_t)-1, (gid_t)-1, &err),
	    STORE_INVALID, "overlong user name refused");
	is_rc(store_user_create(dir, "", 0, (uid_t)-1, (gid_t)-1, &err),
	    STORE_INVALID, "empty user name refused");
	str_free(&p);
}

static void
test_deliver(void)
{
	struct store *s;
	struct store_spool *sp;
	struct str got = STR_INIT, p = STR_INIT, q = STR_INIT;
	struct store_mailbox mb;
	struct store_msg m;
	struct stat st1, st2;
	uint32_t uid = 0, inbox;
	const char *lf = "Subject: a\n\nline 1\nline 2\n";
	const char *crlf = "Subject: a\r\n\r\nline 1\r\nline 2\r\n";
	size_t chunk;
	int rc;

	store_open(&s, dir, "alice@example.test", &err);
	inbox = mbox_id(s, "inbox");
	ok(inbox != 0, "INBOX found case-insensitively");
	is_rc(deliver(s, lf, NULL, &uid), STORE_OK, "deliver LF message");
	is_int(uid, 1, "first UID 1");
	read_msg(s, inbox, 1, &got);
	is_str(got.s, crlf, "LF became CRLF");
	is_rc(deliver(s, crlf, "INBOX", &uid), STORE_OK, "deliver CRLF");
	is_int(uid, 2, "UID 2");
	read_msg(s, inbox, 2, &got);
	is_str(got.s, crlf, "CRLF kept");
	/* every chunk size, so CR and LF fall on each side of a boundary */
	rc = 0;
	for (chunk = 1; chunk <= 8; chunk++) {
		sp = spool(crlf, chunk);
		if (store_spool_size(sp) != strlen(crlf))
			rc++;
		store_spool_end(&sp);
		sp = spool(lf, chunk);
		if (store_spool_size(sp) != strlen(crlf))
			rc++;
		store_spool_end(&sp);
	}
	is_int(rc, 0, "sizes right at chunk sizes 1..8 (CR at a boundary)");
	rc = 0;
	for (chunk = 1; chunk <= 5; chunk++) {
		const char *in[] = { lf, crlf };
		size_t k;

		for (k = 0; k < 2; k++) {
			sp = spool(in[k], chunk);
			if (store_deliver(s, sp, "Archive", 0, NULL, 0, &uid,
			    &err) != STORE_OK)
				rc++;
			store_spool_end(&sp);
			read_msg(s, mbox_id(s, "Archive"), uid, &got);
			if (strcmp(str_cstr(&got), crlf) != 0) {
				diag("chunk %zu: '%s'", chunk, got.s);
				rc++;
			}
		}
	}
	is_int(rc, 0, "content right for LF and CRLF at chunk sizes 1..5");
	sp = spool("a\rb\r\n\n", 1);
	is_int(store_spool_size(sp), 7, "bare CR kept, lone LF completed");
	is_rc(store_deliver(s, sp, "Sent", STORE_F_SEEN, "$Forwarded Work",
	    1700000000, &uid, &err), STORE_OK, "deliver to Sent with flags");
	store_spool_end(&sp);
	store_msg_get(s, mbox_id(s, "Sent"), uid, &m, &err);
	ok(m.flags == STORE_F_SEEN && strcmp(m.keywords.s,
	    "$Forwarded Work") == 0 && m.internaldate == 1700000000 &&
	    m.size == 7 && m.modseq > 0, "flags, keywords, date, size");
	ok(strlen(m.file) == STORE_FILE_LEN, "file name length");
	store_msg_free(&m);
	is_rc(deliver(s, lf, "NoSuchBox", NULL), STORE_NOMBOX,
	    "deliver to a missing mailbox");
	store_mailbox_get(s, "INBOX", &mb, &err);
	ok(mb.messages == 2 && mb.unseen == 2 && mb.uidnext == 3 &&
	    mb.size == 2 * strlen(crlf), "INBOX counts");
	store_mailbox_free(&mb);

	/* several recipients: one file, hard links */
	store_user_create(dir, "carol", 0, (uid_t)-1, (gid_t)-1, &err);
	{
		struct store *c;
		struct store_msg ma, mc;

		store_open(&c, dir, "carol", &err);
		sp = spool("Subject: both\n\nhi\n", 64);
		is_rc(store_deliver(s, sp, NULL, 0, NULL, 0, &uid, &err),
		    STORE_OK, "to alice");
		is_rc(store_deliver(c, sp, NULL, 0, NULL, 0, NULL, &err),
		    STORE_OK, "to carol");
		is_rc(store_deliver(c, sp, NULL, 0, NULL, 0, NULL, &err),
		    STORE_OK, "to carol again (two addresses, one user)");
		store_spool_end(&sp);
		store_msg_get(s, inbox, uid, &ma, &err);
		store_msg_get(c, mbox_id(c, "INBOX"), 1, &mc, &err);
		store_user_path(dir, "alice@example.test", &p);
		str_catf(&p, "/msg/%s", ma.file);
		store_user_path(dir, "carol", &q);
		str_catf(&q, "/msg/%s", mc.file);
		ok(stat(p.s, &st1) == 0 && stat(q.s, &st2) == 0 &&
		    st1.st_ino == st2.st_ino && st1.st_nlink == 2,
		    "same inode in both users' msg/ (spool link gone)");
		ok((st1.st_mode & 07777) == 0600, "message file mode 0600");
		store_msg_free(&ma);
		store_msg_free(&mc);
		store_close(&c);
	}
	str_free(&got);
	str_free(&p);
	str_free(&q);
	store_close(&s);
}

struct uids {
	uint32_t u[64];
	size_t n;
};

static int
collect_uids(const struct store_msg *m, void *arg)
{
	struct uids *u = arg;

	if (u->n < 64)
		u->u[u->n++] = m->uid;
	return 0;
}

static void
test_flags(void)
{
	struct store *s;
	struct store_mailbox mb, mb2;
	struct store_msg m;
	uint32_t inbox;
	uint64_t ms;

	store_open(&s, dir, "alice@example.test", &err);
	inbox = mbox_id(s, "INBOX");
	store_mailbox_get(s, "INBOX", &mb, &err);
	is_rc(store_msg_set_flags(s, inbox, 1, STORE_F_SEEN |
	    STORE_F_FLAGGED, "Work $Junk work", 0, &m, &err), STORE_OK,
	    "set flags");
	ok(m.modseq > mb.highestmodseq, "new modseq");
	is_str(m.keywords.s, "Work $Junk", "keywords normalised");
	ms = m.modseq;
	store_mailbox_get(s, "INBOX", &mb2, &err);
	is_int(mb2.highestmodseq, ms, "HIGHESTMODSEQ follows");
	is_int(mb2.unseen, mb.unseen - 1, "unseen count follows");
	store_msg_free(&m);
	is_rc(store_msg_set_flags(s, inbox, 1, STORE_F_SEEN |
	    STORE_F_FLAGGED, "Work $Junk", 0, &m, &err), STORE_OK,
	    "same flags again");
	is_int(m.modseq, ms, "no change: no new modseq");
	store_msg_free(&m);
	is_rc(store_msg_set_flags(s, inbox, 1, STORE_F_SEEN, NULL, ms - 1, &m,
	    &err), STORE_MODIFIED, "UNCHANGEDSINCE lower: MODIFIED");
	store_msg_free(&m);
	is_rc(store_msg_set_flags(s, inbox, 1, STORE_F_SEEN, NULL, ms, &m,
	    &err), STORE_OK, "UNCHANGEDSINCE equal: ok");
	ok(m.keywords.len == 0 && m.modseq > ms, "keywords cleared");
	store_msg_free(&m);
	is_rc(store_msg_set_flags(s, inbox, 1, 0, "bad\\kw", 0, NULL, &err),
	    STORE_INVALID, "bad keyword refused");
	is_rc(store_msg_set_flags(s, inbox, 1, 0x100, NULL, 0, NULL, &err),
	    STORE_INVALID, "unknown flag bit refused");
	is_rc(store_msg_set_flags(s, inbox, 99, 0, NULL, 0, NULL, &err),
	    STORE_NOMSG, "no such UID");
	is_rc(store_msg_list(s, 9999, 1, collect_uids, NULL, &err),
	    STORE_NOMBOX, "list of a missing mailbox: NOMBOX");
	store_mailbox_free(&mb);
	store_mailbox_free(&mb2);
	store_close(&s);
}

static int
collect_exp(const struct store_expunged *e, void *arg)
{
	struct uids *u = arg;

	if (u->n < 64)
		u->u[u->n++] = e->uid;
	return 0;
}

static void
test_expunge(void)
{
	struct store *s;
	struct store_mailbox mb, mb2;
	struct uids u;
	struct str got = STR_INIT, p = STR_INIT;
	struct store_msg m;
	uint64_t used, used2, msgs, msgs2;
	uint32_t inbox, uid, trash;
	size_t n;

	store_open(&s, dir, "alice@example.test", &err);
	inbox = mbox_id(s, "INBOX");
	trash = mbox_id(s, "Trash");
	store_quota_get(s, &used, NULL, &msgs, NULL, &err);
	store_mailbox_get(s, "INBOX", &mb, &err);
	is_rc(store_msg_expunge(s, inbox, 2, &err), STORE_OK, "expunge 2");
	is_rc(store_msg_expunge(s, inbox, 2, &err), STORE_NOMSG,
	    "expunge 2 again: NOMSG");
	store_mailbox_get(s, "INBOX", &mb2, &err);
	ok(mb2.messages == mb.messages - 1 &&
	    mb2.highestmodseq > mb.highestmodseq, "counts and modseq");
	store_quota_get(s, &used2, NULL, &msgs2, NULL, &err);
	ok(used2 < used && msgs2 == msgs - 1, "quota follows expunge");
	memset(&u, 0, sizeof(u));
	store_expunged_since(s, inbox, mb.highestmodseq, collect_exp, &u,
	    &err);
	ok(u.n == 1 && u.u[0] == 2, "expunged_since sees UID 2");
	memset(&u, 0, sizeof(u));
	store_expunged_since(s, inbox, mb2.highestmodseq, collect_exp, &u,
	    &err);
	is_int(u.n, 0, "nothing after the expunge modseq");

	is_rc(store_msg_copy(s, inbox, 1, trash, &uid, &err), STORE_OK,
	    "copy 1 to Trash");
	is_int(uid, 1, "new UID in Trash");
	store_msg_get(s, trash, 1, &m, &err);
	ok(m.flags & STORE_F_RECENT, "copy is \\Recent");
	store_msg_free(&m);
	is_rc(store_msg_expunge(s, inbox, 1, &err), STORE_OK,
	    "expunge the original");
	read_msg(s, trash, 1, &got);
	ok(got.len > 0, "copy still readable");
	/* undelete: UIDs 1, 2 of INBOX come back with new UIDs */
	is_rc(store_undelete(s, time(NULL) + 3600, &n, &err), STORE_OK,
	    "undelete since the future");
	is_int(n, 0, "nothing");
	is_rc(store_undelete(s, 0, &n, &err), STORE_OK, "undelete all");
	is_int(n, 2, "two back");
	memset(&u, 0, sizeof(u));
	store_msg_list(s, inbox, 1, collect_uids, &u, &err);
	ok(u.n >= 2 && u.u[u.n - 2] >= mb.uidnext &&
	    u.u[u.n - 1] > u.u[u.n - 2],
	    "new UIDs after uidnext");
	store_quota_get(s, &used2, NULL, &msgs2, NULL, &err);
	store_msg_get(s, trash, 1, &m, &err);
	ok(used2 == used + m.size && msgs2 == msgs + 1,
	    "quota: both back, plus the copy");
	store_msg_free(&m);
	/* mailbox delete: its messages recoverable into INBOX */
	store_mailbox_create(s, "Tmp", 0, &err);
	{
		struct store_spool *sp = spool("x\n", 8);

		store_deliver(s, sp, "Tmp", 0, NULL, 0, NULL, &err);
		store_spool_end(&sp);
	}
	is_rc(store_mailbox_delete(s, "Tmp", &err), STORE_OK, "delete Tmp");
	store_mailbox_free(&mb);
	store_mailbox_free(&mb2);
	store_mailbox_get(s, "INBOX", &mb, &err);
	is_rc(store_undelete(s, 0, &n, &err), STORE_OK, "undelete");
	is_int(n, 1, "one message back");
	store_mailbox_get(s, "INBOX", &mb2, &err);
	is_int(mb2.messages, mb.messages + 1, "into INBOX (Tmp is gone)");
	/* expire */
	store_msg_expunge(s, trash, 1, &err);
	store_msg_get(s, inbox, u.u[u.n - 1], &m, &err);
	store_msg_expunge(s, inbox, u.u[u.n - 1], &err);
	is_rc(store_expire(s, time(NULL) - 3600, &n, &err), STORE_OK,
	    "expire older than an hour");
	is_int(n, 0, "nothing that old");
	{
		uint64_t h = 99;

		is_rc(store_expunge_horizon(s, &h, &err), STORE_OK,
		    "horizon");
		is_int(h, 0, "nothing purged yet");
	}
	is_rc(store_expire(s, time(NULL) + 1, &n, &err), STORE_OK,
	    "expire everything");
	is_int(n, 2, "two purged");
	{
		uint64_t h = 0;

		store_mailbox_free(&mb2);
		store_mailbox_get(s, "INBOX", &mb2, &err);
		store_expunge_horizon(s, &h, &err);
		ok(h > 0 && h == mb2.highestmodseq,
		    "horizon: the last purged expunge's modseq");
		store_mailbox_free(&mb2);
	}
	store_user_path(dir, "alice@example.test", &p);
	str_catf(&p, "/msg/%s", m.file);
	ok(access(p.s, F_OK) < 0, "file unlinked");
	is_rc(store_undelete(s, 0, &n, &err), STORE_OK, "undelete after");
	is_int(n, 0, "nothing left to undelete");
	store_msg_free(&m);
	store_mailbox_free(&mb);
	store_mailbox_free(&mb2);
	str_free(&got);
	str_free(&p);
	store_close(&s);
}

static void
test_quota(void)
{
	struct store *s;
	struct store_spool *sp;
	uint64_t used, limit, msgs;
	time_t over;
	uint32_t uid;
	char big[600];

	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	store_open(&s, dir, "bob", &err);
	is_rc(deliver(s, big, NULL, &uid), STORE_OK, "600 octets fit");
	store_quota_get(s, &used, &limit, &msgs, &over, &err);
	ok(used == 600 && msgs == 1 && over == 0, "usage exact");
	sp = spool(big, 100);
	is_rc(store_deliver(s, sp, NULL, 0, NULL, 0, NULL, &err), STORE_QUOTA,
	    "second one refused");
	store_spool_end(&sp);
	store_quota_get(s, &used, &limit, &msgs, &over, &err);
	ok(used == 600 && msgs == 1 && over != 0 && over <= time(NULL),
	    "over_since set, usage unchanged");
	is_rc(store_msg_copy(s, mbox_id(s, "INBOX"), uid, mbox_id(s, "Trash"),
	    NULL, &err), STORE_QUOTA, "copy refused over quota");
	{
		/* MOVE needs no quota: the message only changes mailbox. */
		uint32_t nu = 0;
		size_t problems = 9, back = 9;
		struct store_msg mm;

		is_rc(store_msg_move(s, mbox_id(s, "INBOX"), uid,
		    mbox_id(s, "Trash"), &nu, &err), STORE_OK,
		    "move allowed over quota");
		store_quota_get(s, &used, &limit, &msgs, &over, &err);
		ok(used == 600 && msgs == 1, "move: usage unchanged");
		memset(&mm, 0, sizeof(mm));
		is_rc(store_msg_get(s, mbox_id(s, "Trash"), nu, &mm, &err),
		    STORE_OK, "moved message in Trash");
		ok(mm.flags & STORE_F_RECENT, "moved message is \\Recent");
		store_msg_free(&mm);
		is_rc(store_msg_get(s, mbox_id(s, "INBOX"), uid, &mm, &err),
		    STORE_NOMSG, "and gone from INBOX");
		is_rc(store_undelete(s, 0, &back, &err), STORE_OK, "undelete");
		is_int(back, 0, "a move leaves nothing to recover");
		is_rc(store_check(s, &problems, NULL, &err), STORE_OK,
		    "check after move");
		is_int(problems, 0, "references and counters agree");
		is_rc(store_msg_move(s, mbox_id(s, "Trash"), nu,
		    mbox_id(s, "INBOX"), &uid, &err), STORE_OK, "move back");
	}
	is_rc(deliver(s, "small\n", NULL, NULL), STORE_OK, "small one fits");
	store_quota_get(s, &used, &limit, &msgs, &over, &err);
	ok(used == 607 && over == 0, "over_since cleared");
	is_rc(store_quota_set(s, 0, &err), STORE_OK, "unlimited");
	is_rc(deliver(s, big, NULL, NULL), STORE_OK, "fits now");
	store_quota_get(s, &used, &limit, &msgs, &over, &err);
	ok(limit == 0 && used == 1207 && msgs == 3, "usage exact");
	store_close(&s);
}

static void
test_dup(void)
{
	struct store *s;
	bool seen;
	char longkey[2000];

	store_open(&s, dir, "carol", &err);
	is_rc(store_dup_seen(s, "<a@b>", 3600, &seen, &err), STORE_OK,
	    "dup check");
	ok(!seen, "first time: not seen");
	store_dup_seen(s, "<a@b>", 3600, &seen, &err);
	ok(seen, "second time: seen");
	store_dup_seen(s, "<c@d>", 3600, &seen, &err);
	ok(!seen, "other key: not seen");
	sleep(2);
	store_dup_seen(s, "<a@b>", 1, &seen, &err);
	ok(!seen, "outside a 1 s window: not seen (and recorded anew)");
	store_dup_seen(s, "<a@b>", 1, &seen, &err);
	ok(seen, "recorded anew");
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	is_rc(store_dup_seen(s, longkey, 60, &seen, &err), STORE_OK,
	    "long key");
	longkey[1998] = 'j';
	store_dup_seen(s, longkey, 60, &seen, &err);
	ok(!seen, "long keys differing at the end differ");
	is_rc(store_dup_seen(s, "", 60, &seen, &err), STORE_INVALID,
	    "empty key refused");
	store_close(&s);
}

static void
test_mailboxes(void)
{
	struct store *s;
	struct names n = { STR_INIT };
	struct store_mailbox mb;
	struct uids u;
	uint32_t id, uid, newid;

	store_open(&s, dir, "carol", &err);
	is_rc(store_mailbox_create(s, "Work/Project/2024", 0, &err), STORE_OK,
	    "create with parents");
	is_rc(store_mailbox_create(s, "Work", 0, &err), STORE_EXISTS,
	    "parent was created");
	is_rc(store_mailbox_create(s, "inbox", 0, &err), STORE_EXISTS,
	    "inbox exists (any case)");
	is_rc(store_mailbox_create(s, "Listen/Straße", 0, &err), STORE_OK,
	    "UTF-8 name");
	is_rc(store_mailbox_create(s, "a//b", 0, &err), STORE_INVALID,
	    "empty level refused");
	is_rc(store_mailbox_create(s, "/a", 0, &err), STORE_INVALID,
	    "leading separator refused");
	is_rc(store_mailbox_create(s, "a/", 0, &err), STORE_INVALID,
	    "trailing separator refused");
	is_rc(store_mailbox_create(s, "../x", 0, &err), STORE_INVALID,
	    "'..' level refused");
	is_rc(store_mailbox_create(s, "a\tb", 0, &err), STORE_INVALID,
	    "control character refused");
	is_rc(store_mailbox_create(s, "a\xc0\xaf" "b", 0, &err), STORE_INVALID,
	    "overlong UTF-8 refused");
	is_rc(store_mailbox_create(s, "a\xed\xa0\x80", 0, &err),
	    STORE_INVALID, "UTF-8 surrogate refused");
	{
		char longname[STORE_NAME_MAX + 2];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		is_rc(store_mailbox_create(s, longname, 0, &err),
		    STORE_INVALID, "overlong name refused");
		longname[STORE_NAME_MAX] = '\0';
		is_rc(store_mailbox_create(s, longname, 0, &err), STORE_OK,
		    "name of STORE_NAME_MAX octets accepted");
		store_mailbox_delete(s, longname, &err);
	}
	id = mbox_id(s, "Work/Project");
	is_rc(store_mailbox_rename(s, "Work", "Job", &err), STORE_OK,
	    "rename Work to Job");
	store_mailbox_get_id(s, id, &mb, &err);
	is_str(mb.name.s, "Job/Project", "get by id: the new name");
	store_mailbox_free(&mb);
	is_rc(store_mailbox_get_id(s, 99999, &mb, &err), STORE_NOMBOX,
	    "get by unknown id: NOMBOX");
	ok(mbox_id(s, "Job/Project") == id && mbox_id(s, "Job/Project/2024")
	    && mbox_id(s, "Work/Project") == 0 && mbox_id(s, "Work") == 0,
	    "children renamed, same ids");
	is_rc(store_mailbox_rename(s, "Job", "Job/Sub", &err), STORE_INVALID,
	    "rename into itself refused");
	is_rc(store_mailbox_rename(s, "Job", "Sent", &err), STORE_EXISTS,
	    "rename onto an existing name refused");
	is_rc(store_mailbox_rename(s, "Nope", "X", &err), STORE_NOMBOX,
	    "rename of a missing mailbox");
	is_rc(store_mailbox_rename(s, "Job/Project", "New/Deep/P", &err),
	    STORE_OK, "rename into a new hierarchy");
	ok(mbox_id(s, "New/Deep") != 0 && mbox_id(s, "New/Deep/P/2024") != 0,
	    "parents made, child moved");
	/* INBOX rename: messages move, INBOX stays, empty */
	store_mailbox_create(s, "INBOX/Child", 0, &err);
	store_mailbox_get(s, "INBOX", &mb, &err);
	id = mb.id;
	uid = mb.uidnext;
	is_int(mb.messages, 2, "INBOX has 2 before the rename");
	store_mailbox_free(&mb);
	is_rc(store_mailbox_rename(s, "INBOX", "Old", &err), STORE_OK,
	    "rename INBOX");
	store_mailbox_get(s, "INBOX", &mb, &err);
	ok(mb.id == id && mb.messages == 0 && mb.size == 0 &&
	    mb.uidnext == uid, "INBOX empty, same id and uidnext");
	store_mailbox_free(&mb);
	store_mailbox_get(s, "Old", &mb, &err);
	newid = mb.id;
	ok(mb.messages == 2 && mb.uidnext == uid, "Old has the messages");
	store_mailbox_free(&mb);
	memset(&u, 0, sizeof(u));
	store_msg_list(s, newid, 0, collect_uids, &u, &err);
	ok(u.n == 2 && u.u[0] == 1, "UIDs kept in Old");
	ok(mbox_id(s, "INBOX/Child") != 0, "INBOX children unaffected");
	memset(&u, 0, sizeof(u));
	store_expunged_since(s, id, 0, collect_exp, &u, &err);
	is_int(u.n, 2, "INBOX sessions learn of the move");
	{
		size_t k;

		store_undelete(s, 0, &k, &err);
		is_int(k, 0, "a move is not undeletable");
	}
	is_rc(store_mailbox_delete(s, "inbox", &err), STORE_INVALID,
	    "INBOX cannot be deleted");
	is_rc(store_mailbox_delete(s, "Nope", &err), STORE_NOMBOX,
	    "delete missing");
	is_rc(store_mailbox_subscribe(s, "Old", true, &err), STORE_OK,
	    "subscribe");
	store_mailbox_get(s, "Old", &mb, &err);
	ok(mb.subscribed, "subscribed");
	store_mailbox_free(&mb);
	store_mailbox_subscribe(s, "Old", false, &err);
	store_mailbox_get(s, "Old", &mb, &err);
	ok(!mb.subscribed, "unsubscribed");
	store_mailbox_free(&mb);
	{
		uint32_t v1, v2;

		store_mailbox_create(s, "Again", 0, &err);
		store_mailbox_get(s, "Again", &mb, &err);
		v1 = mb.uidvalidity;
		store_mailbox_free(&mb);
		store_mailbox_delete(s, "Again", &err);
		store_mailbox_create(s, "Again", 0, &err);
		store_mailbox_get(s, "Again", &mb, &err);
		v2 = mb.uidvalidity;
		store_mailbox_free(&mb);
		ok(v2 > v1, "recreated mailbox: new UIDVALIDITY");
	}
	store_mailbox_list(s, collect_names, &n, &err);
	is_str(n.all.s, "Again:0 Archive:16 Drafts:1 INBOX:0 INBOX/Child:0 "
	    "Job:0 Junk:8 Listen:0 Listen/Stra\xc3\x9f" "e:0 New:0 New/Deep:0 "
	    "New/Deep/P:0 New/Deep/P/2024:0 Old:0 Sent:2 Trash:4",
	    "every mailbox, in name order");
	str_free(&n.all);
	store_close(&s);
}

static void
mutf7(const char *m7, const char *u8)
{
	struct str o = STR_INIT;

	ok(store_mutf7_to_utf8(m7, &o) == 0 && strcmp(str_cstr(&o), u8) == 0,
	    "mutf7 -> utf8: %s", m7);
	ok(store_utf8_to_mutf7(u8, &o) == 0 && strcmp(str_cstr(&o), m7) == 0,
	    "utf8 -> mutf7: %s", m7);
	str_free(&o);
}

static void
test_mutf7(void)
{
	struct str o = STR_INIT;
	static const char *const bad[] = {
		"&", "&-&", "&AGE", "&Jjo!-", "&AGE-&AGE-", "&AEE-",
		"&3gE-", "&2D3YPQ-", "a\x80", "&ZeVnLIqe", "&-&-&",
		"&AGEA-", "\x01", "&U,BTFw-&ZeVnLIqe-x&",
		"&ZeVnLIqe-&ZeVnLIqe-",
	};
	size_t i;

	/* RFC 3501 5.1.3 */
	mutf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	    "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	    "\xe8\xaa\x9e");
	mutf7("&-", "&");
	mutf7("a&-b", "a&b");
	mutf7("Entw&APw-rfe", "Entw\xc3\xbc" "rfe");
	mutf7("&2D3eAQ-", "\xf0\x9f\x98\x81");
	mutf7("Stra&AN8-e", "Stra\xc3\x9f" "e");
	mutf7("", "");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(store_mutf7_to_utf8(bad[i], &o) < 0,
		    "invalid mutf7 refused: %zu", i);
	ok(store_utf8_to_mutf7("a\xff", &o) < 0, "invalid UTF-8 refused");
	ok(store_utf8_to_mutf7("\xed\xa0\x80", &o) < 0, "surrogate refused");
	ok(store_name_valid("INBOX/Sub"), "name valid");
	ok(!store_name_valid(""), "empty name invalid");
	ok(!store_name_valid("a\x7f"), "DEL invalid");
	ok(!store_name_valid("a*b") && !store_name_valid("a%b"),
	    "wildcards invalid");
	str_free(&o);
}

static void
test_spool_clean(void)
{
	struct store_spool *sp;
	size_t n;

	sp = spool("x\n", 10);
	is_rc(store_spool_clean(dir, time(NULL) - 3600, &n, &err), STORE_OK,
	    "spool_clean");
	is_int(n, 0, "a fresh spool file stays");
	is_rc(store_spool_clean(dir, time(NULL) + 10, &n, &err), STORE_OK,
	    "spool_clean all");
	is_int(n, 1, "an old one goes");
	store_spool_end(&sp);
}

static void
test_txn(void)
{
	struct store *s;
	struct store_mailbox mb;
	struct store_spool *sp;
	uint32_t uid;

	store_open(&s, dir, "carol", &err);
	is_rc(store_txn_begin(s, true, &err), STORE_OK, "explicit write txn");
	store_mailbox_create(s, "T1", 0, &err);
	sp = spool("in txn\n", 100);
	is_rc(store_deliver(s, sp, "T1", 0, NULL, 0, &uid, &err), STORE_OK,
	    "deliver inside");
	store_spool_end(&sp);
	store_txn_abort(s);
	is_rc(store_mailbox_get(s, "T1", &mb, &err), STORE_NOMBOX,
	    "abort: nothing happened");
	store_txn_begin(s, true, &err);
	store_mailbox_create(s, "T1", 0, &err);
	is_rc(store_txn_commit(s, &err), STORE_OK, "commit");
	is_rc(store_mailbox_get(s, "T1", &mb, &err), STORE_OK, "committed");
	store_mailbox_free(&mb);
	store_txn_begin(s, false, &err);
	is_rc(store_mailbox_create(s, "T2", 0, &err), STORE_INVALID,
	    "write in a read txn refused");
	is_rc(store_txn_begin(s, false, &err), STORE_INVALID,
	    "one transaction at a time");
	store_txn_abort(s);
	store_close(&s);
}

static void
test_delete_user(void)
{
	struct str p = STR_INIT;

	is_rc(store_user_delete(dir, "carol", &err), STORE_OK, "delete carol");
	ok(!store_user_exists(dir, "carol"), "carol gone");
	store_user_path(dir, "carol", &p);
	ok(access(p.s, F_OK) < 0, "directory gone");
	is_rc(store_user_delete(dir, "carol", &err), STORE_NOUSER,
	    "delete again: NOUSER");
	/* a closed store stays open underneath, and must not outlive its
	 * user: delete and create again, then open */
	{
		struct store *s;
		struct store_mailbox mb;

		store_user_create(dir, "gina", 0, (uid_t)-1, (gid_t)-1, &err);
		store_open(&s, dir, "gina", &err);
		deliver(s, "x\n", NULL, NULL);
		store_close(&s);
		store_user_delete(dir, "gina", &err);
		store_user_create(dir, "gina", 0, (uid_t)-1, (gid_t)-1, &err);
		is_rc(store_open(&s, dir, "gina", &err), STORE_OK,
		    "open gina again");
		store_mailbox_get(s, "INBOX", &mb, &err);
		is_int(mb.messages, 0, "the new store, not the idle old one");
		store_mailbox_free(&mb);
		store_close(&s);
	}
	/* a removal a crash interrupted is finished by the next one, and
	 * was never taken for a user */
	{
		struct str g = STR_INIT;

		str_copyf(&g, "%s/u/%%gone.1.erin", dir);
		ok(mkdir(g.s, 0700) == 0, "a half-removed user tree");
		str_cats(&g, "/index");
		ok(mkdir(g.s, 0700) == 0, "with a left-over index");
		store_user_create(dir, "fred", 0, (uid_t)-1, (gid_t)-1, &err);
		is_rc(store_user_delete(dir, "fred", &err), STORE_OK,
		    "delete fred");
		str_copyf(&g, "%s/u/%%gone.1.erin", dir);
		ok(access(g.s, F_OK) < 0, "the left-over tree is swept");
		str_free(&g);
	}
	/* a handle kept open across delete and create again */
	{
		struct store *old, *s;
		struct store_mailbox mb;

		store_user_create(dir, "dave", 0, (uid_t)-1, (gid_t)-1, &err);
		store_open(&old, dir, "dave", &err);
		deliver(old, "x\n", NULL, NULL);
		store_user_delete(dir, "dave", &err);
		store_user_create(dir, "dave", 0, (uid_t)-1, (gid_t)-1, &err);
		is_rc(store_open(&s, dir, "dave", &err), STORE_OK,
		    "open the new dave while the old one is still open");
		store_mailbox_get(s, "INBOX", &mb, &err);
		is_int(mb.messages, 0, "the new store, not the old one");
		store_mailbox_free(&mb);
		store_close(&s);
		store_close(&old);
	}
	str_free(&p);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	test_user();
	test_owner();
	test_hostile_users();
	test_deliver();
	test_flags();
	test_expunge();
	test_quota();
	test_dup();
	test_mailboxes();
	test_mutf7();
	test_spool_clean();
	test_txn();
	test_delete_user();
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
