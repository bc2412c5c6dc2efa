/*
 * test-sendmail-opts - the sendmail wrapper's command line, recipient
 * splitting and stdin filter (sendmail/sendmail_opts.c and
 * sendmail_filter.c, linked in by an explicit Makefile rule).
 */
#include <string.h>

#include "../../sendmail/sendmail.h"
#include "tap.h"

#define NARGS 16

/* parse - parse a blank-separated command line into o. */
static int
parse(struct sendmail_opts *o, char *line, struct str *err)
{
	static char *argv[NARGS];
	int argc = 0;
	char *p;

	for (p = strtok(line, " "); p != NULL && argc < NARGS - 1;
	    p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	str_clear(err);
	return sendmail_opts_parse(o, argc, argv, err);
}

static void
test_opts(void)
{
	struct sendmail_opts o;
	struct str err = STR_INIT;
	char l1[] = "/usr/sbin/sendmail -t -i -f root@x -FCron a@x",
	    l2[] = "sendmail -oi -oem -odi -fme@x -- -weird b@x",
	    l3[] = "mailq -C /tmp/r.conf",
	    l4[] = "newaliases",
	    l5[] = "sendmail -Y -N never -oQfoo c@x -ti",
	    l6[] = "sendmail -bs", l7[] = "sendmail -q", l8[] = "sendmail -f",
	    l9[] = "sendmail -bv x@y", l10[] = "sendmail -r <> -bp",
	    l11[] = "sendmail d@x -v -o i", l12[] = "sendmail -q30m";

	is_int(parse(&o, l1, &err), 0, "-t -i -f -F");
	is_int(o.mode, SENDMAIL_DELIVER, "default mode is -bm");
	ok(o.rcpt_from_headers && !o.dot_ends, "-t and -i set");
	is_str(o.sender, "root@x", "-f with a separate value");
	is_str(o.fullname, "Cron", "-F glued value");
	is_int(o.nrcpt, 1, "one recipient");
	is_str(o.rcpt[0], "a@x", "recipient after options");
	is_int(o.warnings.len, 0, "no warnings");
	sendmail_opts_free(&o);

	is_int(parse(&o, l2, &err), 0, "-oi -oem -odi -- ...");
	ok(!o.dot_ends, "-oi is -i");
	is_str(o.sender, "me@x", "-f glued value");
	is_int(o.nrcpt, 2, "-- ends the options");
	is_str(o.rcpt[0], "-weird", "a word after -- is a recipient");
	is_int(o.warnings.len, 0, "-oem and -odi accepted quietly");
	sendmail_opts_free(&o);

	is_int(parse(&o, l3, &err), 0, "mailq -C");
	is_int(o.mode, SENDMAIL_MAILQ, "called as mailq");
	is_str(o.conf, "/tmp/r.conf", "-C");
	sendmail_opts_free(&o);

	is_int(parse(&o, l4, &err), 0, "newaliases");
	is_int(o.mode, SENDMAIL_NEWALIASES, "called as newaliases");
	sendmail_opts_free(&o);

	is_int(parse(&o, l5, &err), 0, "unknown options are not fatal");
	is_str(o.warnings.s, "ignoring option -Y\n"
	    "ignoring option -N never\nignoring option -oQfoo\n",
	    "each unknown option warned about once");
	is_int(o.nrcpt, 1, "the value of -N is not a recipient");
	ok(o.rcpt_from_headers && !o.dot_ends, "options after recipients");
	sendmail_opts_free(&o);

	is_int(parse(&o, l6, &err), 0, "-bs");
	is_int(o.mode, SENDMAIL_SMTP, "-bs is SMTP mode");
	sendmail_opts_free(&o);
	is_int(parse(&o, l7, &err), 0, "-q");
	is_int(o.mode, SENDMAIL_FLUSH, "-q flushes");
	sendmail_opts_free(&o);
	is_int(parse(&o, l8, &err), -1, "-f without a value");
	is_str(err.s, "option -f requires a value", "reason");
	sendmail_opts_free(&o);
	is_int(parse(&o, l9, &err), -1, "-bv is not supported");
	is_str(err.s, "unsupported mode -bv", "reason");
	sendmail_opts_free(&o);
	is_int(parse(&o, l10, &err), 0, "-r <> -bp");
	is_str(o.sender, "<>", "-r is -f");
	is_int(o.mode, SENDMAIL_MAILQ, "-bp");
	sendmail_opts_free(&o);
	is_int(parse(&o, l11, &err), 0, "-o i");
	ok(!o.dot_ends && o.verbose == 1 && o.nrcpt == 1, "-o i and -v");
	sendmail_opts_free(&o);
	is_int(parse(&o, l12, &err), 0, "-q30m");
	is_int(o.mode, SENDMAIL_FLUSH, "-q30m flushes once");
	ok(o.warnings.len > 0, "-q30m warns that it runs once");
	sendmail_opts_free(&o);
	str_free(&err);
}

static void
test_split(void)
{
	struct str out = STR_INIT, s = STR_INIT;

	is_int(sendmail_rcpt_split("a@x", &out), 1, "one address");
	is_mem(out.s, out.len, "a@x", 4, "as given");
	str_clear(&out);
	is_int(sendmail_rcpt_split("a@x, \"Doe, J\" <j@y>,,B <b@z> ", &out),
	    3, "list with names and an empty element");
	is_mem(out.s, out.len, "a@x\0j@y\0b@z", 12, "addresses only");
	str_clear(&out);
	is_int(sendmail_rcpt_split(" , ", &out), 0, "nothing");
	sendmail_sender("<>", &s);
	is_int(s.len, 0, "-f <> is the null sender");
	sendmail_sender(" <u@x> ", &s);
	is_str(s.s, "u@x", "brackets removed");
	str_free(&out);
	str_free(&s);
}

/* filter - run input through the filter, whole and one byte at a time,
 * and check both give want. */
static void
filter(const char *in, int dot_ends, const char *want, int want_done,
    const char *name)
{
	struct sendmail_filter f;
	struct str a = STR_INIT, b = STR_INIT;
	size_t i, n = strlen(in);
	int done_a, done_b = 0;

	sendmail_filter_init(&f, dot_ends);
	done_a = sendmail_filter_put(&f, in, n, &a);
	sendmail_filter_end(&f, &a);
	sendmail_filter_init(&f, dot_ends);
	for (i = 0; i < n && !done_b; i++)
		done_b = sendmail_filter_put(&f, in + i, 1, &b);
	sendmail_filter_end(&f, &b);
	is_mem(str_cstr(&a), a.len, want, strlen(want), "%s", name);
	is_mem(str_cstr(&b), b.len, want, strlen(want), "%s (trickled)", name);
	ok(done_a == want_done && done_b == want_done, "%s: end %s", name,
	    want_done ? "seen" : "not seen");
	str_free(&a);
	str_free(&b);
}

static void
test_filter(void)
{
	filter("a\r\nb\n", 1, "a\nb\n", 0, "CRLF to LF");
	filter("a\rb\r", 1, "a\rb\r\n", 0, "bare CR kept");
	filter("a\n.\nb\n", 1, "a\n", 1, "lone dot ends input");
	filter("a\n.\r\nb\n", 1, "a\n", 1, "lone dot with CRLF ends input");
	filter("a\n.\nb\n", 0, "a\n.\nb\n", 0, "-i: lone dot is data");
	filter("a\n..\n.x\n", 1, "a\n..\n.x\n", 0, "no unstuffing");
	filter("a\n.", 1, "a\n.\n", 0, "dot at end of input");
	filter("x.\n", 1, "x.\n", 0, "dot not at line start");
	filter(".\n", 1, "", 1, "only the end line");
	filter("", 1, "", 0, "empty input");
	filter("no newline", 1, "no newline\n", 0, "final LF added");
}

int
main(void)
{
	test_opts();
	test_split();
	test_filter();
	return done_testing();
}
