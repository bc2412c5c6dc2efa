/*
 * test-pipe - pipe(8)'s pure parts: the strict request parser, the
 * exit status table and the mbox form (pipe_req.c, pipe_exit.c and
 * pipe_mbox.c, linked in: they do no I/O and read no configuration).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>

#include "../../pipe/pipe.h"
#include "tap.h"

#define MAX 1000ULL

/* req - parse "name=value" strings into r; the parser's return. */
static int
req(struct attrs *a, struct pipe_req *r, struct str *err, ...)
{
	const char *s;
	va_list ap;

	attrs_clear(a);
	str_clear(err);
	va_start(ap, err);
	while ((s = va_arg(ap, const char *)) != NULL) {
		const char *eq = strchr(s, '=');

		attrs_add(a, "x", "", 0);
		snprintf(a->v[a->n - 1].name, sizeof a->v[0].name, "%.*s",
		    (int)(eq - s), s);
		str_copys(&a->v[a->n - 1].value, eq + 1);
	}
	va_end(ap);
	return pipe_req_parse(a, MAX, r, err);
}

#define GOOD "kind=command", "target=cat", "uid=1000", "gid=100", \
	"sender=a@b", "recipient=c@d", "size=10"

static void
test_parse(void)
{
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;
	struct pipe_req r;

	is_int(req(&a, &r, &err, GOOD, "alias=list", "queue_id=Q1", NULL),
	    0, "a full request parses");
	ok(r.kind == PIPE_COMMAND && r.size == 10, "its fields");
	ok(r.uid == (uid_t)-1 && r.gid == (gid_t)-1,
	    "uid and gid are not taken from the request");
	is_str(r.alias, "list", "alias");
	is_str(r.queue_id, "Q1", "queue_id");
	is_int(req(&a, &r, &err, GOOD, NULL), 0, "alias and id optional");
	is_str(r.alias, "", "absent alias is empty");
	is_int(req(&a, &r, &err, "kind=file", "target=/tmp/mbox",
	    "uid=1", "gid=1", "sender=", "recipient=x", "size=0", NULL), 0,
	    "a file request with the null sender");
	ok(r.kind == PIPE_FILE, "kind file");

	is_int(req(&a, &r, &err, "kind=file", "target=rel/mbox", "uid=1",
	    "gid=1", "sender=", "recipient=x", "size=0", NULL), -1,
	    "a relative file is refused");
	is_int(req(&a, &r, &err, "kind=shell", "target=x", "uid=1",
	    "gid=1", "sender=", "recipient=x", "size=0", NULL), -1,
	    "an unknown kind is refused");
	is_int(req(&a, &r, &err, GOOD, "color=red\nand more", NULL), 0,
	    "an unknown attribute (a later minor version's) is ignored");
	ok(r.kind == PIPE_COMMAND && strcmp(r.target, "cat") == 0,
	    "and the request is as without it");
	is_int(req(&a, &r, &err, GOOD, "uid=5", NULL), -1,
	    "a repeated attribute is refused");
	is_int(req(&a, &r, &err, "kind=command", "target=cat",
	    "sender=", "recipient=x", "size=0", NULL), 0,
	    "uid and gid may be left out (version 1.1)");
	is_int(req(&a, &r, &err, "kind=command", "target=", "uid=1",
	    "gid=1", "sender=", "recipient=x", "size=0", NULL), -1,
	    "an empty target is refused");

	static const char *const bad_numbers[] = {
		"-1", "", " 1", "1 ", "0x10", "99999999999999999999",
		"2147483648", "1e3",
	};
	for (size_t i = 0; i < sizeof bad_numbers / sizeof *bad_numbers;
	    i++) {
		char u[64];

		snprintf(u, sizeof u, "uid=%s", bad_numbers[i]);
		is_int(req(&a, &r, &err, "kind=command", "target=cat", u,
		    "gid=1", "sender=", "recipient=x", "size=0", NULL), -1,
		    "uid '%s' is refused", bad_numbers[i]);
	}
	is_int(req(&a, &r, &err, "kind=command", "target=cat", "uid=1",
	    "gid=1", "sender=", "recipient=x", "size=1001", NULL), -1,
	    "a size over the limit is refused");
	is_int(req(&a, &r, &err, "kind=command", "target=cat", "uid=1",
	    "gid=1", "sender=", "recipient=x", "size=1000", NULL), 0,
	    "a size at the limit is taken");
	is_int(req(&a, &r, &err, "kind=command", "target=cat", "uid=1",
	    "gid=1", "sender=", "recipient=x", "size=18446744073709551616",
	    NULL), -1, "a size beyond 64 bits is refused");

	/* hostile values: forged header lines, a NUL cutting the check */
	is_int(req(&a, &r, &err, "kind=command", "target=cat", "uid=1",
	    "gid=1", "sender=a\nX-Evil: 1", "recipient=x", "size=0", NULL),
	    -1, "a line end in the sender is refused");
	is_int(req(&a, &r, &err, "kind=command", "target=cat\r", "uid=1",
	    "gid=1", "sender=", "recipient=x", "size=0", NULL), -1,
	    "a CR in the target is refused");
	attrs_clear(&a);
	req(&a, &r, &err, GOOD, NULL);
	str_copyb(&a.v[1].value, "/bin/true\0rm", 12);
	is_int(pipe_req_parse(&a, MAX, &r, &err), -1,
	    "a NUL in a value is refused");
	attrs_free(&a);
	str_free(&err);
}

static void
test_exit(void)
{
	static const struct {
		int code;
		enum pipe_status st;
		const char *dsn;
	} cases[] = {
		{ 0, PIPE_OK, "2.0.0" },
		{ EX_TEMPFAIL, PIPE_DEFER, "4.3.0" },
		{ EX_OSERR, PIPE_DEFER, "4.3.0" },
		{ EX_NOUSER, PIPE_BOUNCE, "5.1.1" },
		{ EX_NOHOST, PIPE_BOUNCE, "5.1.2" },
		{ EX_UNAVAILABLE, PIPE_BOUNCE, "5.3.0" },
		{ EX_NOPERM, PIPE_BOUNCE, "5.7.0" },
		{ EX_CONFIG, PIPE_BOUNCE, "5.3.5" },
		{ 1, PIPE_BOUNCE, "5.3.0" },
		{ 255, PIPE_BOUNCE, "5.3.0" },
	};
	struct pipe_result r = { PIPE_OK, "", STR_INIT };
	char long_out[500];

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		pipe_exit_map(cases[i].code << 8, "", &r);
		ok(r.status == cases[i].st, "exit %d: %s", cases[i].code,
		    pipe_status_name(cases[i].st));
		is_str(r.dsn, cases[i].dsn, "exit %d: dsn", cases[i].code);
	}
	pipe_exit_map(1 << 8, "no such list", &r);
	is_str(r.text.s, "command failed with exit status 1: no such list",
	    "the output is the reason");
	pipe_exit_map(9, "", &r);
	ok(r.status == PIPE_DEFER, "a signal defers");
	is_str(r.text.s, "command killed by signal 9", "and says which");
	memset(long_out, 'x', sizeof long_out - 1);
	long_out[sizeof long_out - 1] = '\0';
	long_out[3] = '\033';
	pipe_exit_map(1 << 8, long_out, &r);
	is_int(r.text.len, PIPE_TEXT_MAX, "the reason is cut");
	ok(strchr(r.text.s, '\033') == NULL, "and made printable");
	str_free(&r.text);
}

static void
test_mbox(void)
{
	struct str out = STR_INIT;
	struct pipe_req r;
	const char *msg = "Subject: x\n\nFrom here\n>From there\nFrom\n"
	    "From me\nlast";

	pipe_mbox_from("a@b", 0, &out);
	is_str(out.s, "From a@b Thu Jan  1 00:00:00 1970\n",
	    "the From_ line");
	str_clear(&out);
	pipe_mbox_from("", 86400 * 365, &out);
	is_str(out.s, "From MAILER-DAEMON Fri Jan  1 00:00:00 1971\n",
	    "the null sender is MAILER-DAEMON");
	str_clear(&out);
	pipe_mbox_body(msg, strlen(msg), &out);
	is_str(out.s, "Subject: x\n\n>From here\n>From there\nFrom\n"
	    ">From me\nlast\n\n", "From_ quoting, a final LF, a blank line");
	str_clear(&out);
	pipe_mbox_body("a\n", 2, &out);
	is_str(out.s, "a\n\n", "one blank line after a complete last line");
	str_clear(&out);
	pipe_mbox_body("", 0, &out);
	is_str(out.s, "\n", "an empty message");
	str_clear(&out);
	memset(&r, 0, sizeof r);
	r.sender = "";
	r.recipient = "list@example.test";
	pipe_prefix(&r, &out);
	is_str(out.s, "Delivered-To: list@example.test\nReturn-Path: <>\n",
	    "the prefix headers");
	str_free(&out);
}

int
main(void)
{
	test_parse();
	test_exit();
	test_mbox();
	return done_testing();
}
