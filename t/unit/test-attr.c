/*
 * test-attr - the attribute list encoding (lib/base/attr.c).
 */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>

#include "alloc.h"
#include "attr.h"
#include "fd.h"
#include "sock.h"
#include "submit.h"
#include "tap.h"

/* feed - a socketpair with s written on one end (then closed) and a
 * buf on the other. */
static void
feed(struct buf *b, int sv[2], const void *s, size_t n)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	if (fork() == 0) {
		close(sv[0]);
		fd_write_all(sv[1], s, n);
		_exit(0);
	}
	close(sv[1]);
	buf_init(b, sv[0], 0);
	buf_set_timeout(b, 5000);
}

static size_t read_max = SIZE_MAX;	/* attr_read's max in read_from */

static enum buf_status
read_from(const void *s, size_t n, struct attrs *a, struct str *err)
{
	struct buf b;
	int sv[2];
	enum buf_status st;

	feed(&b, sv, s, n);
	st = attr_read(&b, a, read_max, err);
	buf_free(&b);
	close(sv[0]);
	while (wait(NULL) > 0)
		;
	return st;
}

static void
test_round_trip(void)
{
	static const char val[] = "a%b\rc\nd\0e=f %41";
	struct attrs a = ATTRS_INIT, r = ATTRS_INIT;
	struct str err = STR_INIT, enc;
	struct buf w;

	buf_init(&w, -1, 0);
	attr_put(&w, "x", val, sizeof(val) - 1);
	attr_puts(&w, "rcpt", "one@example.org");
	attr_puts(&w, "rcpt", "two@example.org");
	attr_putf(&w, "n_1", "%d", 42);
	attr_put(&w, "empty", "", 0);
	attr_end(&w);
	is_mem(w.out.s, w.out.len,
	    "x=a%25b%0Dc%0Ad%00e=f %2541\nrcpt=one@example.org\n"
	    "rcpt=two@example.org\nn_1=42\nempty=\n\n",
	    strlen("x=a%25b%0Dc%0Ad%00e=f %2541\nrcpt=one@example.org\n"
	    "rcpt=two@example.org\nn_1=42\nempty=\n\n"), "encoding escapes "
	    "%%, CR, LF, NUL only");
	enc = w.out;
	is_int(read_from(enc.s, enc.len, &r, &err), BUF_OK, "read back");
	is_int(r.n, 5, "five attributes");
	is_mem(r.v[0].value.s, r.v[0].value.len, val, sizeof(val) - 1,
	    "value round trip");
	is_int(attr_count(&r, "rcpt"), 2, "repeated name counted");
	is_str(attr_get(&r, "rcpt"), "one@example.org", "first rcpt kept");
	is_str(r.v[2].value.s, "two@example.org", "order kept");
	is_str(attr_get(&r, "n_1"), "42", "attr_putf");
	is_str(attr_get(&r, "empty"), "", "empty value");
	ok(attr_get(&r, "nope") == NULL, "missing name is NULL");

	/* attr_write of a list built with attrs_add gives the same bytes */
	attrs_add(&a, "x", val, sizeof(val) - 1);
	buf_free(&w);
	buf_init(&w, -1, 0);
	attr_write(&w, &a);
	is_str(w.out.s, "x=a%25b%0Dc%0Ad%00e=f %2541\n\n", "attr_write");
	buf_free(&w);
	attrs_free(&a);
	attrs_free(&r);
	str_free(&err);
}

static void
expect_error(const char *in, size_t n, const char *name)
{
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;

	is_int(read_from(in, n, &a, &err), BUF_ERROR, "%s refused", name);
	ok(err.len > 0, "%s has a reason (%s)", name, str_cstr(&err));
	attrs_free(&a);
	str_free(&err);
}

static void
test_limits(void)
{
	struct str s = STR_INIT;
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;
	size_t i;

	/* name of exactly ATTR_NAME_MAX is fine, one more is not */
	for (i = 0; i < ATTR_NAME_MAX; i++)
		str_catc(&s, 'n');
	str_cats(&s, "=v\n\n");
	is_int(read_from(s.s, s.len, &a, &err), BUF_OK, "longest name");
	str_clear(&s);
	for (i = 0; i <= ATTR_NAME_MAX; i++)
		str_catc(&s, 'n');
	str_cats(&s, "=v\n\n");
	expect_error(s.s, s.len, "long name");

	/* value of ATTR_VALUE_MAX decoded bytes (escaped) fine, +1 not */
	str_copys(&s, "v=");
	for (i = 0; i < ATTR_VALUE_MAX; i++)
		str_cats(&s, "%25");
	str_cats(&s, "\n\n");
	is_int(read_from(s.s, s.len, &a, &err), BUF_OK, "longest value");
	is_int(a.v[0].value.len, ATTR_VALUE_MAX, "longest value length");
	str_copys(&s, "v=");
	for (i = 0; i <= ATTR_VALUE_MAX; i++)
		str_catc(&s, 'x');
	str_cats(&s, "\n\n");
	expect_error(s.s, s.len, "long value");

	str_clear(&s);
	for (i = 0; i <= ATTR_COUNT_MAX; i++)
		str_cats(&s, "r=1\n");
	str_cats(&s, "\n");
	expect_error(s.s, s.len, "too many attributes");

	/* the whole list, end line included, against max */
	read_max = 10;
	is_int(read_from("a=1\nb=22\n\n", 10, &a, &err), BUF_OK,
	    "a list of max bytes");
	expect_error("a=1\nb=223\n\n", 11, "a list of max + 1 bytes");
	read_max = SIZE_MAX;

	expect_error("a=%4\n\n", 6, "short escape");
	expect_error("a=%4g\n\n", 7, "bad escape");
	expect_error("a=%4a\n\n", 7, "lower-case escape");
	expect_error("a=x%\n\n", 6, "escape at end");
	expect_error("novalue\n\n", 9, "missing '='");
	expect_error("Name=x\n\n", 8, "upper-case name");
	expect_error("=x\n\n", 4, "empty name");
	expect_error("a-b=x\n\n", 7, "dash in name");
	expect_error("a=x\ry\n\n", 7, "raw CR in value");
	expect_error("a=x\0y\n\n", 7, "raw NUL in value");

	/* closing */
	is_int(read_from("", 0, &a, &err), BUF_EOF, "clean close");
	ok(a.n == 0 && err.len == 0, "clean close has no error");
	is_int(read_from("a=1\n", 4, &a, &err), BUF_EOF, "close mid-list");
	ok(err.len > 0, "close mid-list has a reason");
	attrs_free(&a);
	str_free(&err);
	str_free(&s);
}

static void
test_trickle(void)
{
	static const char in[] = "proto=cleanup\nversion=1.7\n\n"
	    "status=ok\nqueue_id=x%25y\n\n";
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;
	struct buf b;
	int sv[2];
	size_t i;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	if (fork() == 0) {
		close(sv[0]);
		for (i = 0; i < sizeof(in) - 1; i++) {
			fd_write_all(sv[1], in + i, 1);
			usleep(1000);
		}
		_exit(0);
	}
	close(sv[1]);
	buf_init(&b, sv[0], 0);
	buf_set_timeout(&b, 5000);
	is_int(attr_read(&b, &a, ATTR_REPLY_MAX, &err), BUF_OK,
	    "trickled greeting read");
	is_int(attr_check_greeting(&a, "cleanup", "1.0", &err), 0,
	    "same major version accepted");
	is_int(attr_check_greeting(&a, "cleanup", "2.0", &err), -1,
	    "other major version refused");
	ok(err.len > 0, "with a reason: %s", str_cstr(&err));
	is_int(attr_check_greeting(&a, "qmgr", "1.0", &err), -1,
	    "other protocol refused");
	is_int(attr_read(&b, &a, ATTR_REPLY_MAX, &err), BUF_OK,
	    "second list read");
	is_str(attr_get(&a, "queue_id"), "x%y", "escape split over reads");
	is_int(attr_read(&b, &a, ATTR_REPLY_MAX, &err), BUF_EOF,
	    "then a clean close");
	ok(a.n == 0 && err.len == 0, "clean");
	buf_free(&b);
	close(sv[0]);
	while (wait(NULL) > 0)
		;
	attrs_free(&a);
	str_free(&err);
}

static void
test_greet(void)
{
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;
	struct buf w;

	buf_init(&w, -1, 0);
	attr_greet(&w, "cleanup", "1.0");
	is_str(w.out.s, "proto=cleanup\nversion=1.0\n\n", "greeting bytes");
	is_int(read_from(w.out.s, w.out.len, &a, &err), BUF_OK, "read");
	is_int(attr_check_greeting(&a, "cleanup", "1.3", &err), 0,
	    "minor version does not matter");
	is_int(read_from("proto=cleanup\n\n", 15, &a, &err), BUF_OK, "read");
	is_int(attr_check_greeting(&a, "cleanup", "1.0", &err), -1,
	    "missing version refused");
	buf_free(&w);
	attrs_free(&a);
	str_free(&err);
}

/* fake_cleanup - one connection: a submit answered by reply_end after
 * the content (or a bad greeting when greet is not cleanup 1.x). */
static void
fake_cleanup(int lfd, const char *greet_version, const char *reply_end)
{
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT, line = STR_INIT, data = STR_INIT;
	struct buf b;
	int fd = -1;

	while (fd < 0) {
		fd_wait(lfd, POLLIN, 5000);
		fd = accept(lfd, NULL, NULL);
	}
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, 5000);
	attr_greet(&b, "cleanup", greet_version);
	if (attr_read(&b, &a, ATTR_REPLY_MAX, &err) != BUF_OK)
		_exit(1);
	if (attr_count(&a, "rcpt") != 2 || !attr_get(&a, "request"))
		_exit(2);
	buf_puts(&b, "status=ok\n\n");
	for (;;) {
		if (buf_getline(&b, &line, 32) != BUF_OK)
			_exit(3);
		if (str_eqs(&line, "0\n"))
			break;
		if (buf_read_exact(&b, &data, strtoul(line.s, NULL, 10)) !=
		    BUF_OK)
			_exit(4);
	}
	if (data.len != 70000 || data.s[69999] != 'z')
		_exit(5);
	buf_puts(&b, reply_end);
	buf_flush(&b);
	_exit(0);
}

static void
test_submit(void)
{
	static const char *const ends[] = {
		"status=ok\nqueue_id=0hjkmnpqrstvwxyz\n\n",
		"status=fail\nreason=5.3.4 message too big\n\n",
		"status=tempfail\nreason=4.3.0 disk\n\n",
		"status=ok\nqueue_id=bad\n\n",
		"",
	};
	static const int want[] = { SUBMIT_OK, SUBMIT_PERM, SUBMIT_TEMP,
	    SUBMIT_TEMP, SUBMIT_TEMP };
	char path[] = "/tmp/test-attr.XXXXXX";
	struct str err = STR_INIT, sp = STR_INIT;
	struct attrs env = ATTRS_INIT;
	struct submit s;
	char *big = xmalloc(70000);
	size_t i;
	int lfd, rc;

	memset(big, 'z', 70000);
	if (mkdtemp(path) == NULL)
		abort();
	str_copyf(&sp, "%s/cleanup", path);
	lfd = sock_unix_listen(sp.s, 0600, 8, &err);
	ok(lfd >= 0, "fake cleanup listens");
	attrs_add(&env, "sender", "a@example.org", 13);
	attrs_add(&env, "rcpt", "b@example.org", 13);
	attrs_add(&env, "rcpt", "c@example.org", 13);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (fork() == 0)
			fake_cleanup(lfd, "1.0", ends[i]);
		is_int(submit_open(&s, sp.s, 2000), SUBMIT_OK, "open %zu", i);
		is_int(submit_begin(&s, &env), SUBMIT_OK, "begin %zu", i);
		is_int(submit_data(&s, big, 69000), SUBMIT_OK, "data %zu", i);
		is_int(submit_data(&s, big, 1000), SUBMIT_OK, "more %zu", i);
		rc = submit_end(&s);
		is_int(rc, want[i], "end %zu: %s", i, s.reason.s ?
		    s.reason.s : "");
		if (i == 0)
			is_str(s.queue_id, "0hjkmnpqrstvwxyz", "queue id");
		if (i == 1)
			is_str(s.reason.s, "5.3.4 message too big", "reason");
		submit_close(&s);
		while (wait(NULL) > 0)
			;
	}
	if (fork() == 0)
		fake_cleanup(lfd, "2.0", "");
	is_int(submit_open(&s, sp.s, 2000), SUBMIT_TEMP, "major version "
	    "mismatch: %s", s.reason.s);
	submit_close(&s);
	while (wait(NULL) > 0)
		;
	close(lfd);
	unlink(sp.s);
	rmdir(path);
	is_int(submit_open(&s, sp.s, 200), SUBMIT_TEMP, "no socket: %s",
	    s.reason.s);
	submit_close(&s);
	attrs_free(&env);
	str_free(&err);
	str_free(&sp);
	free(big);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_round_trip();
	test_limits();
	test_trickle();
	test_greet();
	test_submit();
	return done_testing();
}
