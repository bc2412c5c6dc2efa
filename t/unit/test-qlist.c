/*
 * test-qlist - finding and listing queue entries (lib/mail/qlist.c): which
 * names count as entries, the order, the status folded into the
 * listing, and entries that are corrupt or hostile.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"
#include "qlist.h"
#include "rec.h"
#include "tap.h"

static char dir[] = "/tmp/test-qlist.XXXXXX";

static void
put_file(const char *state, const char *name, const struct str *img)
{
	struct str path = STR_INIT;
	int fd;

	str_copyf(&path, "%s/%s/%s", dir, state, name);
	fd = open(path.s, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fd_write_all(fd, img->s, img->len) < 0)
		abort();
	close(fd);
	str_free(&path);
}

/* entry - write a well-formed entry; sender "" is the null sender. */
static void
entry(const char *state, const char *id, const char *sender,
    const char *const *rcpt, size_t nrcpt, const char *content)
{
	struct str img = STR_INIT;
	size_t i;

	rec_put(&img, REC_VERSION, REC_VERSION_TEXT, strlen(REC_VERSION_TEXT));
	rec_put(&img, REC_TIME, "1764064800000000", 16);
	rec_put(&img, REC_ATTR, "helo=x", 6);
	rec_put(&img, REC_SENDER, sender, strlen(sender));
	rec_put(&img, REC_PARAMS, "", 0);
	for (i = 0; i < nrcpt; i++)
		rec_put(&img, REC_RCPT, rcpt[i], strlen(rcpt[i]));
	rec_put(&img, REC_CONTENT, "", 0);
	rec_put(&img, REC_DATA, content, strlen(content));
	rec_put(&img, REC_END, "", 0);
	put_file(state, id, &img);
	str_free(&img);
}

static void
status(const char *id, const char *rec)
{
	struct str path = STR_INIT, err = STR_INIT, r = STR_INIT;

	qstatus_path(dir, id, &path);
	str_copys(&r, rec);
	if (qstatus_append(path.s, &r, 1, &err) < 0)
		abort();
	str_free(&path);
	str_free(&err);
	str_free(&r);
}

/* listing - qlist_print into a string. */
static int
listing(struct str *out)
{
	struct str err = STR_INIT;
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	int rc = qlist_print(dir, f, &err);

	fclose(f);
	str_copyb(out, p, n);
	free(p);
	str_free(&err);
	return rc;
}

#define IND "                                                 "

int
main(void)
{
	static const char *const two[] = { "a@example.org NOTIFY=NEVER",
		"b@example.org" };
	static const char *const one[] = { "c@example.org" };
	static const char *const states[] = { QUEUE_INCOMING, QUEUE_ACTIVE,
		QUEUE_DEFERRED, QUEUE_HOLD, QUEUE_CORRUPT, QSTATUS_DIR };
	struct qlist_entry *v = NULL, q;
	struct str out = STR_INIT, path = STR_INIT, err = STR_INIT;
	struct queue_env e;
	struct qstatus st;
	size_t n = 0, i;
	int devnull;

	setenv("TZ", "UTC", 1);
	tzset();
	log_init("test-qlist");
	devnull = open("/dev/null", O_WRONLY);
	log_set_fd(devnull);	/* warnings about broken entries */
	if (mkdtemp(dir) == NULL)
		return 1;

	/* An empty or missing queue. */
	is_int(listing(&out), 0, "missing queue dirs are empty");
	is_str(out.s, "Mail queue is empty\n", "empty listing");
	for (i = 0; i < sizeof states / sizeof states[0]; i++) {
		str_copyf(&path, "%s/%s", dir, states[i]);
		mkdir(path.s, 0700);
	}
	is_int(listing(&out), 0, "empty dirs");
	is_str(out.s, "Mail queue is empty\n", "empty listing again");

	/* Names that are not queue IDs never count. */
	str_copys(&out, "junk");
	put_file(QUEUE_INCOMING, "notanid", &out);
	put_file(QUEUE_INCOMING, "0000000001abcdeI", &out);
	put_file(QUEUE_INCOMING, "0000000001abcdef.tmp", &out);
	put_file(QUEUE_INCOMING, "0000000001abcde", &out);
	entry(QUEUE_DEFERRED, "0000000002abcdef", "", two, 2,
	    "Subject: x\n\nbody\n");
	entry(QUEUE_HOLD, "0000000001abcdef", "s@example.org", one, 1,
	    "Subject: y\n\nbody\n");
	entry(QUEUE_ACTIVE, "0000000003abcdef", "t@example.org", one, 1,
	    "Subject: z\n\nbody\n");
	qlist_scan(dir, qlist_states, qlist_nstates, &v, &n, &err);
	is_int(n, 3, "only well-formed IDs are entries");
	if (n == 3) {
		is_str(v[0].id, "0000000001abcdef", "oldest first");
		is_str(v[0].state, QUEUE_HOLD, "its state");
		is_int(v[0].mark, '!', "hold mark");
		is_str(v[1].id, "0000000002abcdef", "then the next");
		is_int(v[1].mark, ' ', "deferred mark");
		is_int(v[2].mark, '*', "active mark");
	}
	free(v);
	v = NULL;

	is_str(qlist_find(dir, "0000000003abcdef"), QUEUE_ACTIVE,
	    "find an active entry");
	ok(qlist_find(dir, "0000000009abcdef") == NULL, "find: no entry");
	ok(qlist_find(dir, "../../etc/passwd") == NULL, "find: path refused");
	ok(qlist_find(dir, "notanid") == NULL, "find: not an ID");

	/* Done recipients vanish from the listing; errors are shown. */
	status("0000000002abcdef", "rcpt=0\nstatus=sent\ntries=1\n");
	status("0000000002abcdef", "rcpt=1\nstatus=deferred\ntries=2\n"
	    "text=451 4.3.0 try%0Alater\nnext=1\n");
	is_int(listing(&out), 0, "listing");
	is_str(out.s,
	    "-Queue ID-        --Size-- ----Arrival Time---- "
	    "-Sender/Recipient-------\n"
	    "0000000001abcdef!       17 Tue Nov 25 10:00:00   s@example.org\n"
	    IND "c@example.org\n\n"
	    "0000000002abcdef        17 Tue Nov 25 10:00:00   MAILER-DAEMON\n"
	    IND "(451 4.3.0 try\\x0alater)\n" IND "b@example.org\n\n"
	    "0000000003abcdef*       17 Tue Nov 25 10:00:00   t@example.org\n"
	    IND "c@example.org\n\n"
	    "-- 1 Kbytes in 3 Requests.\n", "the Postfix shape");

	q.state = QUEUE_DEFERRED;
	memcpy(q.id, "0000000002abcdef", QID_LEN + 1);
	str_clear(&err);
	is_int(qlist_read(dir, &q, &e, &st, &err), 1, "read one");
	is_int(st.rcpt[1].tries, 2, "its status is folded");
	is_int(qlist_rcpt_addr(&e.rcpt[0]), 13, "address without params");
	queue_env_free(&e);
	qstatus_free(&st);

	/* A vanished entry is skipped, not an error. */
	q.state = QUEUE_INCOMING;
	is_int(qlist_read(dir, &q, &e, &st, &err), 0, "vanished entry");

	/* A corrupt entry (no end record) is warned about and skipped; a
	 * corrupt status file shows every recipient as pending. */
	str_clear(&out);
	rec_put(&out, REC_VERSION, REC_VERSION_TEXT, strlen(REC_VERSION_TEXT));
	put_file(QUEUE_INCOMING, "0000000000abcdef", &out);
	qstatus_path(dir, "0000000001abcdef", &path);
	str_copys(&out, "garbage, not records");
	{
		int fd = open(path.s, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		fd_write_all(fd, out.s, out.len);
		close(fd);
	}
	q.state = QUEUE_HOLD;
	memcpy(q.id, "0000000001abcdef", QID_LEN + 1);
	str_clear(&err);
	is_int(qlist_read(dir, &q, &e, &st, &err), 1, "broken status: read");
	ok(err.len > 0, "broken status: reported");
	is_int(st.nrcpt, 1, "broken status: one per recipient");
	ok(st.nrcpt == 1 && st.rcpt[0].done == 0 && st.rcpt[0].tries == 0,
	    "broken status: all pending");
	queue_env_free(&e);
	qstatus_free(&st);
	q.state = QUEUE_INCOMING;
	memcpy(q.id, "0000000000abcdef", QID_LEN + 1);
	is_int(qlist_read(dir, &q, &e, &st, &err), -1, "corrupt entry");

	/* Corrupt entries are counted; hostile senders are escaped. */
	entry(QUEUE_CORRUPT, "0000000007abcdef", "", one, 1, "x\n");
	entry(QUEUE_INCOMING, "0000000004abcdef", "evil\033[2J@x", one, 1,
	    "Subject: w\n\nbody\n");
	is_int(listing(&out), 0, "listing with broken entries");
	ok(strstr(out.s, "0000000000abcdef") == NULL, "corrupt not listed");
	ok(strstr(out.s, "evil\\x1b[2J@x") != NULL, "control bytes escaped");
	ok(strchr(out.s, '\033') == NULL, "no raw escape byte");
	ok(strstr(out.s, "-- 1 corrupt entry kept in ") != NULL,
	    "corrupt count");
	ok(strstr(out.s, "in 4 Requests.\n") != NULL, "four listed");
	is_int(qlist_count(dir, QUEUE_CORRUPT), 1, "qlist_count");

	/* An unreadable directory is an error, not an empty queue. */
	if (geteuid() != 0) {
		str_copyf(&path, "%s/%s", dir, QUEUE_DEFERRED);
		chmod(path.s, 0);
		is_int(listing(&out), -1, "unreadable dir fails");
		chmod(path.s, 0700);
	}

	str_copyf(&path, "rm -rf %s", dir);
	if (system(path.s) != 0)
		return 1;
	str_free(&out);
	str_free(&path);
	str_free(&err);
	close(devnull);
	return done_testing();
}
