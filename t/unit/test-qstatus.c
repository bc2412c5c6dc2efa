/* test-qstatus - the per-entry status file: append and fold, torn
 * tails, many records, hostile content, the format's version. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qstatus.h"
#include "rec.h"
#include "tap.h"

static char dir[] = "/tmp/test-qstatus.XXXXXX";
static char path[256];

static void
put_file(const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static void
add_file(const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static off_t
file_size(void)
{
	struct stat sb;

	return stat(path, &sb) < 0 ? -1 : sb.st_size;
}

/* append1 - one record built from name=value pairs (NULL-ended). */
static int
append1(const char *first, ...)
{
	struct str rec = STR_INIT, err = STR_INIT;
	const char *name, *value;
	va_list ap;
	int rc;

	va_start(ap, first);
	for (name = first; name != NULL; name = va_arg(ap, const char *)) {
		value = va_arg(ap, const char *);
		qstatus_put(&rec, name, value);
	}
	va_end(ap);
	rc = qstatus_append(path, &rec, 1, &err);
	str_free(&rec);
	str_free(&err);
	return rc;
}

static void
test_basic(void)
{
	struct qstatus st;
	struct str err = STR_INIT;

	unlink(path);
	ok(qstatus_read(path, 3, &st, &err) == 0 && st.nrcpt == 3 &&
	    st.rcpt[0].done == 0 && st.rcpt[2].done == 0,
	    "a missing file: everything pending");
	qstatus_free(&st);

	ok(append1("rcpt", "0", "target", "mailbox:bob", "status", "sent",
	    "dsn", "2.0.0", "text", "250 2.0.0 ok", NULL) == 0,
	    "append creates the file");
	ok(append1("rcpt", "0", "status", "sent", "dsn", "2.0.0", "time",
	    "1700000000000000", NULL) == 0, "append a second");
	ok(append1("rcpt", "1", "status", "deferred", "dsn", "4.4.1", "text",
	    "no\nway % here", "next", "1700000300000000", "tries", "2",
	    NULL) == 0, "append a deferral with a LF and %% in the text");
	ok(append1("rcpt", "2", "target", "forward:x@remote.test", "status",
	    "waiting", NULL) == 0, "append waiting");
	ok(append1("warned", "1700000100000000", NULL) == 0, "append warned");
	ok(append1("rcpt", "1", "target", "command:exit 1", "status",
	    "bounced", NULL) == 0, "a target bounce");
	ok(append1("rcpt", "1", "notified", "1", NULL) == 0, "notified");
	ok(qstatus_read(path, 3, &st, &err) == 0, "read back");
	is_int(st.rcpt[0].done, 1, "rcpt 0 sent");
	is_str(st.rcpt[0].dsn.s, "2.0.0", "rcpt 0 dsn");
	is_int(st.rcpt[0].time_us, 1700000000000000ULL, "rcpt 0 time");
	ok(qstatus_target_done(&st.rcpt[0], "mailbox:bob"), "target done");
	ok(!qstatus_target_done(&st.rcpt[0], "mailbox:bo"),
	    "a prefix is not a done target");
	is_int(st.rcpt[1].done, 0, "rcpt 1 pending");
	is_str(st.rcpt[1].text.s, "no\nway % here", "text decoded");
	is_int(st.rcpt[1].next_us, 1700000300000000ULL, "next");
	is_int(st.rcpt[1].tries, 2, "tries");
	ok(qstatus_target_done(&st.rcpt[1], "command:exit 1"),
	    "a bounced target is done");
	ok(st.rcpt[1].notified, "notified");
	ok(st.rcpt[2].waiting && st.rcpt[2].done == 0, "rcpt 2 waiting");
	is_int(st.warned_us, 1700000100000000ULL, "warned");
	qstatus_free(&st);
	ok(qstatus_read(path, 2, &st, &err) < 0,
	    "a recipient index past the entry is corrupt");
	qstatus_free(&st);
	str_free(&err);
}

static void
test_torn(void)
{
	struct qstatus st;
	struct str err = STR_INIT, rec = STR_INIT, img = STR_INIT;
	off_t good;
	size_t cut;
	char first[256];
	ssize_t n;

	unlink(path);
	ok(append1("rcpt", "0", "status", "sent", NULL) == 0, "first");
	good = file_size();
	qstatus_put(&rec, "rcpt", "1");
	qstatus_put(&rec, "status", "sent");
	rec_put(&img, QSTATUS_REC, rec.s, rec.len);
	{
		int fd = open(path, O_RDONLY);

		n = read(fd, first, sizeof first);
		close(fd);
		if (n != good)
			abort();
	}
	for (cut = 1; cut < img.len; cut++) {
		put_file(first, (size_t)n);
		add_file(img.s, cut);
		if (qstatus_read(path, 2, &st, &err) != 0 ||
		    st.rcpt[0].done != 1 || st.rcpt[1].done != 0) {
			ok(0, "torn at %zu ignored: %s", cut, err.s);
			qstatus_free(&st);
			break;
		}
		qstatus_free(&st);
	}
	ok(cut == img.len, "every torn prefix of a record is ignored");
	ok(append1("rcpt", "1", "status", "bounced", NULL) == 0,
	    "append after a torn tail");
	str_clear(&rec);
	str_clear(&img);
	qstatus_put(&rec, "rcpt", "1");
	qstatus_put(&rec, "status", "bounced");
	rec_put(&img, QSTATUS_REC, rec.s, rec.len);
	ok(file_size() == good + (off_t)img.len,
	    "the torn tail was cut before the append");
	ok(qstatus_read(path, 2, &st, &err) == 0 && st.rcpt[1].done == 2,
	    "the new record reads back");
	qstatus_free(&st);

	add_file("\0\0\0\0\0\0\0\0", 8);
	ok(qstatus_read(path, 2, &st, &err) == 0 && st.rcpt[1].done == 2,
	    "a NUL-filled tail is torn, not corrupt");
	qstatus_free(&st);
	ok(append1("rcpt", "0", "status", "sent", NULL) == 0 &&
	    qstatus_read(path, 2, &st, &err) == 0, "and is cut too");
	qstatus_free(&st);
	str_free(&err);
	str_free(&rec);
	str_free(&img);
}

static void
test_many(void)
{
	struct qstatus st;
	struct str err = STR_INIT, recs[100];
	size_t i, j, bad = 0;
	char num[16];

	unlink(path);
	for (j = 0; j < 20; j++) {
		for (i = 0; i < 100; i++) {
			recs[i] = (struct str)STR_INIT;
			snprintf(num, sizeof num, "%zu", j * 100 + i);
			qstatus_put(&recs[i], "rcpt", num);
			qstatus_put(&recs[i], "status", (i & 1) ? "bounced" :
			    "sent");
		}
		if (qstatus_append(path, recs, 100, &err) < 0)
			bad++;
		for (i = 0; i < 100; i++)
			str_free(&recs[i]);
	}
	is_int(bad, 0, "20 appends of 100 records");
	ok(qstatus_read(path, 2000, &st, &err) == 0, "read 2000 records");
	for (i = 0; i < 2000; i++)
		if (st.rcpt[i].done != ((i & 1) ? 2 : 1))
			bad++;
	is_int(bad, 0, "each of 2000 recipients has its outcome");
	qstatus_free(&st);
	str_free(&err);
}

/* hostile - framing that must fail cleanly (or be a torn tail). */
static void
test_hostile_framing(void)
{
	static const struct {
		const char *img;
		size_t len;
		int want;	/* 0 read ok (torn), -1 corrupt */
		const char *name;
	} cases[] = {
		{ "X\x05" "a=b\n\n", 7, -1, "a foreign record type" },
		{ "Q\x04" "a=b\n" "Z", 7, -1, "garbage after a record" },
		{ "Q\x05" "a=b\n\n" "Q\x05" "a=b\n\nQ", 15, 0,
		    "a torn type byte" },
		{ "Q\xff\xff\xff\xff\x01", 6, -1, "an overlong length" },
		{ "Q\xff\xff\x7f", 4, -1, "a length over REC_MAX" },
		{ "Q\x80\x80\x80", 4, 0, "a torn length" },
		{ "Q\x7f" "rcpt=0\n", 9, 0, "a payload past the end" },
	};
	struct qstatus st;
	struct str err = STR_INIT;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;

		put_file(cases[i].img, cases[i].len);
		str_clear(&err);
		rc = qstatus_read(path, 2, &st, &err);
		qstatus_free(&st);
		is_int(rc, cases[i].want, "%s", cases[i].name);
		if (cases[i].want < 0)
			ok(err.len > 0 && append1("rcpt", "0", "status",
			    "sent", NULL) < 0 &&
			    file_size() == (off_t)cases[i].len,
			    "%s: a reason, and append refuses to write",
			    cases[i].name);
	}
	str_free(&err);
}

/* hostile - well-framed records whose content must be refused; the
 * first group is malformed text (append refuses too), the second
 * makes no sense for the entry (only the reader can tell). */
static void
test_hostile_content(void)
{
	static const struct {
		const char *payload;
		size_t len;
		int syntax;
		const char *name;
	} cases[] = {
		{ "A=b\n", 4, 1, "an upper-case name" },
		{ "=bc\n", 4, 1, "an empty name" },
		{ "abc\n", 4, 1, "a line without =" },
		{ "a=%4\n\n", 6, 1, "a short escape" },
		{ "a=%zz\n", 6, 1, "a bad escape" },
		{ "a=%00\n", 6, 1, "an escaped NUL" },
		{ "a=\0\n", 4, 1, "a raw NUL" },
		{ "a=b", 3, 1, "no final LF" },
		{ "a=b\n\nc=d\n", 9, 1, "a line after the end line" },
		{ "rcpt=2\nstatus=sent\n", 19, 0, "a recipient out of range" },
		{ "rcpt=-1\nx=1\n", 12, 0, "a negative recipient" },
		{ "rcpt=1\nstatus=delivered!!\n", 26, 0, "an unknown status" },
		{ "rcpt=1\ntries=x\n", 15, 0, "a bad number" },
		{ "warned=99999999999999999999\n", 28, 0,
		    "a number overflowing 64 bits" },
	};
	struct qstatus st;
	struct str err = STR_INIT, img = STR_INIT, big = STR_INIT;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		str_clear(&img);
		rec_put(&img, QSTATUS_REC, cases[i].payload, cases[i].len);
		put_file(img.s, img.len);
		str_clear(&err);
		ok(qstatus_read(path, 2, &st, &err) < 0 && err.len > 0,
		    "%s: corrupt", cases[i].name);
		qstatus_free(&st);
		if (cases[i].syntax)
			ok(append1("rcpt", "0", "status", "sent", NULL) < 0 &&
			    file_size() == (off_t)img.len,
			    "%s: append refuses to write", cases[i].name);
	}
	/* 200 attributes in one record: over the per-record limit. */
	for (i = 0; i < 200; i++)
		qstatus_put(&big, "x", "y");
	unlink(path);
	ok(qstatus_append(path, &big, 1, &err) == 0 &&
	    qstatus_read(path, 1, &st, &err) < 0,
	    "a record with too many attributes is refused");
	qstatus_free(&st);
	str_free(&big);
	str_free(&img);
	str_free(&err);
}

/* The format's version: the first record of a new file; a file from
 * before it reads as version 1; a later version is refused. */
static void
test_version(void)
{
	struct qstatus st;
	struct str err = STR_INIT, rec = STR_INIT, img = STR_INIT;
	char buf[256];
	ssize_t n;
	int fd;

	unlink(path);
	ok(append1("rcpt", "0", "status", "sent", NULL) == 0 &&
	    append1("rcpt", "1", "status", "sent", NULL) == 0,
	    "a new file, appended to twice");
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	qstatus_putu(&rec, "version", QSTATUS_VERSION);
	rec_put(&img, QSTATUS_REC, rec.s, rec.len);
	ok(n > (ssize_t)img.len && memcmp(buf, img.s, img.len) == 0,
	    "begins with its version record");
	ok(n > (ssize_t)img.len &&
	    memmem(buf + img.len, (size_t)n - img.len, "version=", 8) == NULL,
	    "the version is written once");
	ok(qstatus_read(path, 2, &st, &err) == 0 && st.rcpt[0].done == 1 &&
	    st.rcpt[1].done == 1, "and reads back");
	qstatus_free(&st);

	str_clear(&rec);
	str_clear(&img);
	qstatus_put(&rec, "rcpt", "0");
	qstatus_put(&rec, "status", "sent");
	rec_put(&img, QSTATUS_REC, rec.s, rec.len);
	put_file(img.s, img.len);
	ok(qstatus_read(path, 1, &st, &err) == 0 && st.rcpt[0].done == 1,
	    "a file without a version is version 1");
	qstatus_free(&st);

	str_clear(&rec);
	str_clear(&img);
	qstatus_putu(&rec, "version", QSTATUS_VERSION + 1);
	rec_put(&img, QSTATUS_REC, rec.s, rec.len);
	put_file(img.s, img.len);
	ok(qstatus_read(path, 1, &st, &err) < 0, "a later version is refused");
	qstatus_free(&st);
	ok(append1("rcpt", "0", "status", "sent", NULL) < 0,
	    "and not written to");
	unlink(path);
	str_free(&err);
	str_free(&rec);
	str_free(&img);
}

/* test_reports - version 2: report= and reported=, started commands,
 * bounced targets; a version 1 file as qmgr wrote it before, read and
 * then upgraded in place by a version record. */
static void
test_reports(void)
{
	struct qstatus st;
	struct qstatus_item it;
	struct str err = STR_INIT, items = STR_INIT, rec = STR_INIT;
	const char *p;

	unlink(path);
	/* what version 1 wrote: a list member bounced (reported then,
	 * untracked), the recipient notified of its final outcome */
	str_clear(&rec);
	rec_put(&rec, QSTATUS_REC, "version=1\n", 10);
	put_file(rec.s, rec.len);
	ok(append1("rcpt", "0", "target", "failed:nosuchuser", "status",
	    "bounced", "dsn", "5.1.1", "text", "550 unknown", "time", "5",
	    NULL) == 0 &&
	    append1("rcpt", "1", "status", "bounced", NULL) == 0 &&
	    append1("rcpt", "1", "notified", "1", NULL) == 0 &&
	    append1("warned", "7", NULL) == 0, "a version 1 file");
	ok(qstatus_read(path, 2, &st, &err) == 0, "read by version 2");
	is_int(st.version, 1, "its version");
	is_int(st.nbounce, 1, "one bounced target");
	ok(st.nbounce == 1 && st.bounce[0].old && st.bounce[0].rcpt == 0 &&
	    str_eqs(&st.bounce[0].text, "550 unknown") &&
	    st.bounce[0].time_us == 5, "old: reported by the writer then");
	ok(st.rcpt[1].notified && st.warned_us == 7, "notified, warned");
	qstatus_free(&st);

	/* the upgrade: a version record, then version 2 records */
	qstatus_item_put(&items, 0, 9, "5.1.1", "failed:x\ty", "a\tb\nc");
	qstatus_item_put(&items, 1, 9, "5.0.0", "", "final");
	ok(append1("version", "2", NULL) == 0 &&
	    append1("rcpt", "0", "target", "failed:x", "status", "bounced",
	    NULL) == 0 &&
	    append1("report", "ID.f1", "kind", "failed", "time", "9", "items",
	    items.s, NULL) == 0, "upgraded, a report recorded");
	ok(qstatus_read(path, 2, &st, &err) == 0 && st.version == 2 &&
	    st.nreport == 1 && !st.report[0].submitted, "recorded, pending");
	ok(st.nbounce == 2 && !st.bounce[1].old, "a new bounce is not old");
	ok(qstatus_reported(&st, 0, "failed:x y") &&
	    qstatus_reported(&st, 1, NULL) && !qstatus_reported(&st, 0, NULL) &&
	    !qstatus_reported(&st, 0, "failed:x"), "what it covers");
	memset(&it, 0, sizeof it);
	p = st.report[0].items.s;
	ok(qstatus_item_next(&p, &it) == 0 && it.rcpt == 0 &&
	    it.time_us == 9 && str_eqs(&it.text, "a b c") &&
	    str_eqs(&it.target, "failed:x y"), "an item, blanks for TAB, LF");
	qstatus_item_free(&it);
	qstatus_free(&st);
	ok(append1("reported", "ID.f1", "queue_id", "Q", NULL) == 0 &&
	    qstatus_read(path, 2, &st, &err) == 0 && st.report[0].submitted &&
	    str_eqs(&st.report[0].queue_id, "Q"), "confirmed");
	qstatus_free(&st);

	/* a delayed report stands for warned= */
	str_clear(&items);
	qstatus_item_put(&items, 0, 11, "4.0.0", "", "later");
	ok(append1("report", "ID.w2", "kind", "delayed", "time", "11",
	    "items", items.s, NULL) == 0 &&
	    qstatus_read(path, 2, &st, &err) == 0 && st.warned_us == 11,
	    "delayed sets warned");
	qstatus_free(&st);

	/* started commands: open until an outcome, any outcome */
	ok(append1("rcpt", "0", "target", "command:a", "status", "started",
	    NULL) == 0 &&
	    append1("rcpt", "0", "target", "command:b", "status", "started",
	    NULL) == 0 &&
	    append1("rcpt", "0", "target", "command:b", "status", "deferred",
	    NULL) == 0, "two started, one answered");
	ok(qstatus_read(path, 2, &st, &err) == 0 &&
	    qstatus_target_started(&st.rcpt[0], "command:a") &&
	    !qstatus_target_started(&st.rcpt[0], "command:b") &&
	    !qstatus_target_done(&st.rcpt[0], "command:b"), "a is unknown");
	str_clear(&rec);
	qstatus_put(&rec, "rcpt", "0");
	qstatus_put(&rec, "target", "command:a");
	qstatus_put(&rec, "status", "sent");
	ok(qstatus_apply(&st, &rec) == 0 &&
	    !qstatus_target_started(&st.rcpt[0], "command:a") &&
	    qstatus_target_done(&st.rcpt[0], "command:a"), "apply an outcome");
	qstatus_free(&st);

	/* hostile: what makes no sense is corrupt */
	ok(append1("reported", "nosuch", NULL) == 0 &&
	    qstatus_read(path, 2, &st, &err) < 0,
	    "reported= of no report is corrupt");
	qstatus_free(&st);
	unlink(path);
	ok(append1("report", "R", "kind", "failed", "time", "1", "items",
	    "5\t1\t5.0.0\t\tx\n", NULL) == 0 &&
	    qstatus_read(path, 2, &st, &err) < 0, "an item past the entry");
	qstatus_free(&st);
	unlink(path);
	ok(append1("report", "R", "kind", "odd", "time", "1", "items",
	    "0\t1\t5.0.0\t\tx\n", NULL) == 0 &&
	    qstatus_read(path, 2, &st, &err) < 0, "an unknown kind");
	qstatus_free(&st);
	unlink(path);
	ok(append1("report", "R", "kind", "failed", "time", "1", "items",
	    "0\t1\t5.0.0\n", NULL) == 0 &&
	    qstatus_read(path, 2, &st, &err) < 0, "an item short of fields");
	qstatus_free(&st);
	unlink(path);
	ok(append1("rcpt", "0", "target", "command:a", "status", "odd",
	    NULL) == 0 && qstatus_read(path, 2, &st, &err) < 0,
	    "a target's unknown status");
	qstatus_free(&st);
	unlink(path);
	str_free(&err);
	str_free(&items);
	str_free(&rec);
}

/* rchar - bytes this process has read so far (/proc/self/io). */
static unsigned long long
rchar(void)
{
	unsigned long long v = 0;
	char line[128];
	FILE *f = fopen("/proc/self/io", "r");

	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "rchar: %llu", &v) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return v;
}

/* test_append_at - the writer that read the file appends without
 * reading it again (qmgr with an entry of many targets), cuts a torn
 * tail, and falls back to the careful path when the file was damaged. */
static void
test_append_at(void)
{
	struct qstatus st;
	struct str err = STR_INIT, rec = STR_INIT;
	unsigned long long before;
	char num[16];
	size_t i, valid;
	off_t size;
	int bad = 0;

	unlink(path);
	ok(qstatus_read(path, 5000, &st, &err) == 0 && st.valid == 0,
	    "a missing file reads as valid length 0");
	valid = st.valid;
	qstatus_free(&st);
	before = rchar();
	for (i = 0; i < 5000; i++) {
		str_clear(&rec);
		snprintf(num, sizeof num, "%zu", i);
		qstatus_put(&rec, "rcpt", num);
		qstatus_put(&rec, "target", "command:/usr/bin/a-long-enough-"
		    "command-line-to-make-the-file-big");
		qstatus_put(&rec, "status", "sent");
		if (qstatus_append_at(path, &valid, &rec, 1, &err) < 0)
			bad++;
	}
	is_int(bad, 0, "5000 appends, one record each");
	size = file_size();
	ok(size > 400000 && (off_t)valid == size,
	    "*valid follows the file (%lld bytes)", (long long)size);
	ok(rchar() - before < 65536,
	    "and not one of them read the file back (%llu bytes read)",
	    rchar() - before);
	ok(qstatus_read(path, 5000, &st, &err) == 0 &&
	    qstatus_target_done(&st.rcpt[4999], "command:/usr/bin/a-long-"
	    "enough-command-line-to-make-the-file-big") &&
	    st.valid == valid, "everything reads back");
	qstatus_free(&st);

	/* a torn tail after what the writer knows is cut by its append */
	add_file("\x51\x7f\x01", 3);
	str_clear(&rec);
	qstatus_put(&rec, "rcpt", "0");
	qstatus_put(&rec, "status", "bounced");
	ok(qstatus_append_at(path, &valid, &rec, 1, &err) == 0 &&
	    (off_t)valid == file_size(), "a torn tail is cut");
	ok(qstatus_read(path, 5000, &st, &err) == 0 && st.valid == valid,
	    "and the file reads whole");
	qstatus_free(&st);

	/* damage nobody can read: the careful path refuses to write */
	put_file("\x51\x05garbage-not-a-record-at-all", 30);
	valid = QSTATUS_UNKNOWN;
	ok(qstatus_append_at(path, &valid, &rec, 1, &err) < 0 &&
	    valid == QSTATUS_UNKNOWN, "unknown length after damage: refused");
	str_free(&err);
	str_free(&rec);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/ID", dir);
	test_basic();
	test_torn();
	test_many();
	test_hostile_framing();
	test_hostile_content();
	test_version();
	test_reports();
	test_append_at();
	unlink(path);
	rmdir(dir);
	return done_testing();
}
