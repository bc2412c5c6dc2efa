/* test-imap-parse - the IMAP command reader/parser and sequence sets. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "../../imapd/imap_parse.h"
#include "str.h"
#include "tap.h"

static const struct imap_limits lim = {
	.line_max = 200,
	.text_max = 1000,
	.literal_max = 100,
	.append_max = 1000,
	.literals_max = 1500,
	.discard_max = 5000,
	.depth_max = 4,
};

static const struct imap_limits lim_big = {
	.line_max = 100000,
	.text_max = 100000,
	.literal_max = 100000,
	.append_max = 100000,
	.literals_max = 100000,
	.discard_max = 100000,
	.depth_max = 10,
};
static const struct imap_limits *cur_lim = &lim;

static struct imap_cmd cmd;
static struct str err, dumped;

static void
dump_args(const struct imap_arg *a, size_t n, struct str *out)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			str_catc(out, ' ');
		switch (a[i].type) {
		case IMAP_ARG_ATOM:
			str_catb(out, a[i].s, a[i].len);
			break;
		case IMAP_ARG_STRING:
			str_cats(out, a[i].literal8 ? "~{" : a[i].literal ?
			    "{" : "\"");
			str_catb(out, a[i].s, a[i].len);
			str_cats(out, a[i].literal ? "}" : "\"");
			break;
		case IMAP_ARG_LIST:
			str_catc(out, '(');
			dump_args(a[i].list, a[i].n, out);
			str_catc(out, ')');
			break;
		}
	}
}

/* dump - the parsed command as "tag VERB args" with strings marked. */
static const char *
dump(const struct imap_cmd *c)
{
	str_copyf(&dumped, "%s %s", c->tag, c->verb);
	if (c->nargs) {
		str_catc(&dumped, ' ');
		dump_args(c->args, c->nargs, &dumped);
	}
	return dumped.s;
}

static enum imap_read_rc
parse(const char *s)
{
	return imap_cmd_parse(s, strlen(s), &cmd, &lim, &err);
}

static enum imap_read_rc
parsen(const char *s, size_t n)
{
	return imap_cmd_parse(s, n, &cmd, cur_lim, &err);
}

static void
goodn(const char *in, size_t n, const char *want)
{
	enum imap_read_rc rc = parsen(in, n);

	if (!ok(rc == IMAP_READ_OK && strcmp(dump(&cmd), want) == 0,
	    "parse %s", want))
		diag("rc %d err '%s' got '%s'", rc, err.s ? err.s : "",
		    rc == IMAP_READ_OK ? dumped.s : "");
}

static void
good(const char *in, const char *want)
{
	goodn(in, strlen(in), want);
}

static void
bad(const char *in, size_t n, enum imap_read_rc want, const char *why,
    const char *tag, const char *name)
{
	enum imap_read_rc rc = parsen(in, n);

	if (!ok(rc == want && strstr(str_cstr(&err), why) != NULL &&
	    strcmp(cmd.tag, tag) == 0, "rejects %s", name))
		diag("rc %d err '%s' tag '%s'", rc, str_cstr(&err), cmd.tag);
}

#define BAD(in, why, name) bad(in, strlen(in), IMAP_READ_BAD, why, "a", name)

static void
test_tokens(void)
{
	char big[300];

	good("a NOOP\r\n", "a NOOP");
	good("a noop\r\n", "a NOOP");
	good("a001 Login joe secret\r\n", "a001 LOGIN joe secret");
	good("A.1 NOOP\n", "A.1 NOOP");
	good("a NOOP", "a NOOP");
	good("x] NOOP\r\n", "x] NOOP");
	good("a UID FETCH 1:* (FLAGS)\r\n", "a UID FETCH 1:* (FLAGS)");
	good("a LOGIN \"joe\" \"se c\\\"r\\\\et\"\r\n",
	    "a LOGIN \"joe\" \"se c\"r\\et\"");
	good("a LOGIN \"\" \"\"\r\n", "a LOGIN \"\" \"\"");
	good("a LOGIN {3}\r\njoe {6}\r\nse cr\"\r\n",
	    "a LOGIN {joe} {se cr\"}");
	good("a LOGIN {3+}\r\njoe {0}\r\n\r\n", "a LOGIN {joe} {}");
	goodn("a APPEND INBOX ~{4}\r\na\0bc\r\n", 27, "a APPEND INBOX ~{a");
	ok(cmd.nargs == 2 && cmd.args[1].len == 4 && memcmp(cmd.args[1].s, "a\0bc", 4) == 0 &&
	    cmd.args[1].literal && cmd.args[1].literal8,
	    "literal8 keeps its NUL");
	good("a APPEND INBOX ~{3+}\r\nabc\r\n", "a APPEND INBOX ~{abc}");
	good("a X ~abc ~\r\n", "a X ~abc ~");
	good("a STORE 1 +FLAGS (\\Seen \\Deleted $Junk)\r\n",
	    "a STORE 1 +FLAGS (\\Seen \\Deleted $Junk)");
	good("a LIST \"\" %\r\n", "a LIST \"\" %");
	good("a LIST \"\" *\r\n", "a LIST \"\" *");
	good("a X () (()) (a (b c) d) e\r\n", "a X () (()) (a (b c) d) e");
	good("a X ((a) ({1}\r\nb \"c\"))\r\n", "a X ((a) ({b} \"c\"))");
	good("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From To)]<0.10> UID)\r\n",
	    "a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From To)]<0.10> UID)");
	good("a FETCH 1 BODY[]\r\n", "a FETCH 1 BODY[]");
	good("a FETCH 1 (BODY[HEADER.FIELDS (\"A]\" B)])\r\n",
	    "a FETCH 1 (BODY[HEADER.FIELDS (\"A]\" B)])");
	good("a FETCH 1 BODY[HEADER.FIELDS ({7}\r\nSubject)]\r\n",
	    "a FETCH 1 BODY[HEADER.FIELDS (Subject)]");
	good("a FETCH 1 BINARY[1.2]<5.9>\r\n", "a FETCH 1 BINARY[1.2]<5.9>");
	good("a SELECT \"\xc3\xa4" "bc\"\r\n", "a SELECT \"\xc3\xa4" "bc\"");
	good("a SELECT INBOX \r\n", "a SELECT INBOX");
	good("a SEARCH CHARSET UTF-8 TEXT {2}\r\n\xc3\xa4\r\n",
	    "a SEARCH CHARSET UTF-8 TEXT {\xc3\xa4}");

	/* the helpers */
	good("a X NIL nil \"NIL\" 12 018 x1 18446744073709551615 "
	    "18446744073709551616 (1)\r\n",
	    "a X NIL nil \"NIL\" 12 018 x1 18446744073709551615 "
	    "18446744073709551616 (1)");
	{
		const struct imap_arg *a = cmd.args;
		uint64_t v = 99;

		ok(imap_arg_nil(&a[0]) && imap_arg_nil(&a[1]) &&
		    !imap_arg_nil(&a[2]) && !imap_arg_nil(&a[3]), "arg_nil");
		ok(imap_arg_astring(&a[0]) && imap_arg_astring(&a[2]) &&
		    !imap_arg_astring(&a[8]), "arg_astring");
		ok(imap_arg_is(&a[1], "NIL") && imap_arg_is(&a[0], "nil") &&
		    !imap_arg_is(&a[2], "NIL") && !imap_arg_is(&a[0], "NI"),
		    "arg_is: atoms only, case-insensitive, whole word");
		ok(imap_arg_number(&a[3], 100, &v) == 0 && v == 12, "number");
		ok(imap_arg_number(&a[4], 100, &v) == 0 && v == 18,
		    "number with leading zero");
		ok(imap_arg_number(&a[3], 11, &v) < 0, "number over max");
		ok(imap_arg_number(&a[5], 100, &v) < 0, "number with junk");
		ok(imap_arg_number(&a[6], UINT64_MAX, &v) == 0 &&
		    v == UINT64_MAX, "number 2^64-1");
		ok(imap_arg_number(&a[7], UINT64_MAX, &v) < 0,
		    "number 2^64 overflows");
		ok(imap_arg_number(&a[2], 100, &v) < 0 &&
		    imap_arg_number(&a[8], 100, &v) < 0,
		    "number: strings and lists are not");
	}

	/* nesting up to depth_max (4) */
	good("a X ((((a))))\r\n", "a X ((((a))))");
	BAD("a X (((((a)))))\r\n", "nested", "nesting over the limit");
	BAD("a X ((((((((((((((((((((((((((((((((\r\n", "nested",
	    "deep unbalanced nesting");

	/* a line of exactly line_max octets, and one more */
	memset(big, 'x', sizeof(big));
	memcpy(big, "a X ", 4);
	memcpy(big + 198, "\r\n", 2);
	ok(parsen(big, 200) == IMAP_READ_OK, "line of line_max octets");
	big[198] = 'x';
	memcpy(big + 199, "\r\n", 2);
	bad(big, 201, IMAP_READ_BAD, "Line too long", "a", "line too long");
}

static void
test_malformed(void)
{
	BAD("a X (a\r\n", "Unbalanced", "missing )");
	BAD("a X a)\r\n", "Unbalanced", "stray )");
	BAD("a X )\r\n", "Unbalanced", "lone )");
	BAD("a X (a))\r\n", "Unbalanced", "extra )");
	BAD("a X (a)b\r\n", "Missing space", "no space after )");
	BAD("a X a(b)\r\n", "Missing space", "no space before (");
	BAD("a X \"a\"b\r\n", "Missing space", "no space after quoted");
	BAD("a X a\"b\"\r\n", "Missing space", "quote inside atom");
	BAD("a X {1}\r\nab\r\n", "Missing space", "no space after literal");
	BAD("a X  b\r\n", "Extra space", "double space");
	BAD("a X ( a)\r\n", "Extra space", "space after (");
	BAD("a X (a )\r\n", "Extra space", "space before )");
	BAD("a X b  \r\n", "Extra space", "two trailing spaces");
	BAD("a X \"abc\r\n", "Unterminated quoted", "unterminated quoted");
	BAD("a X \"abc", "Unterminated quoted", "quoted at end of text");
	BAD("a X \"a\\bc\"\r\n", "escape", "bad escape");
	BAD("a X \"a\\", "", "escape at end");
	BAD("a X \xc3\xa4\r\n", "8-bit", "8-bit atom");
	BAD("a X a\x01\r\n", "Control", "control char in atom");
	BAD("a X a\rb\r\n", "Control", "bare CR in atom");
	BAD("a X \r\r\n", "", "bare CR as argument");
	bad("a X a\0b\r\n", 9, IMAP_READ_BAD, "NUL", "a", "NUL in atom");
	bad("a X \"a\0b\"\r\n", 11, IMAP_READ_BAD, "NUL", "a",
	    "NUL in quoted string");
	bad("a X {3}\r\na\0b\r\n", 14, IMAP_READ_BAD, "NUL", "a",
	    "NUL in a non-binary literal");
	bad("a\0 X\r\n", 6, IMAP_READ_BAD, "tag", "", "NUL in tag");
	bad("a X\0\r\n", 6, IMAP_READ_BAD, "command", "a", "NUL in verb");
	BAD("a X BODY[HEADER\r\n", "]", "unclosed [");
	BAD("a X BODY[\xc3\xa4]\r\n", "8-bit", "8-bit in []");
	BAD("a X {3}abc\r\n", "CRLF", "missing CRLF after literal size");
	BAD("a X {3} abc\r\n", "CRLF", "space after literal size");
	BAD("a X {}\r\n\r\n", "literal size", "empty literal size");
	BAD("a X {x}\r\n", "literal size", "junk literal size");
	BAD("a X {3\r\n", "literal size", "unclosed literal size");
	BAD("a X {99999999999999999999}\r\n", "literal size",
	    "literal size overflowing 64 bits");
	BAD("a X {18446744073709551616}\r\n", "literal size",
	    "literal size 2^64");
	BAD("a X {5}\r\nab", "missing", "literal data cut short");
	bad("a X {101}\r\n", 11, IMAP_READ_NO, "[TOOBIG]", "a",
	    "literal over literal_max");
	bad("a APPEND X {1001+}\r\n", 20, IMAP_READ_NO, "[TOOBIG]", "a",
	    "literal over append_max");
	BAD("a X ~{x}\r\n", "literal size", "bad literal8 size");
	BAD("a X\r\nb Y\r\n", "Junk", "two commands in one text");

	bad("\r\n", 2, IMAP_READ_BAD, "Empty", "", "empty line");
	bad("", 0, IMAP_READ_BAD, "Empty", "", "empty text");
	bad(" a NOOP\r\n", 9, IMAP_READ_BAD, "tag", "", "leading space");
	bad("+ NOOP\r\n", 8, IMAP_READ_BAD, "tag", "", "tag +");
	bad("a+ NOOP\r\n", 9, IMAP_READ_BAD, "tag", "", "tag with +");
	bad("a* NOOP\r\n", 9, IMAP_READ_BAD, "tag", "", "tag with *");
	bad("a% NOOP\r\n", 9, IMAP_READ_BAD, "tag", "", "tag with %");
	bad("a{ NOOP\r\n", 9, IMAP_READ_BAD, "tag", "", "tag with {");
	bad("a\" NOOP\r\n", 9, IMAP_READ_BAD, "tag", "", "tag with quote");
	bad("\xc3\xa4 NOOP\r\n", 9, IMAP_READ_BAD, "tag", "", "8-bit tag");
	bad("a(b NOOP\r\n", 10, IMAP_READ_BAD, "tag", "", "tag with (");
	bad("a\r\n", 3, IMAP_READ_BAD, "Missing command", "a",
	    "tag alone");
	bad("a \r\n", 4, IMAP_READ_BAD, "Missing command", "a",
	    "tag and space");
	bad("a  NOOP\r\n", 9, IMAP_READ_BAD, "Missing command", "a",
	    "two spaces after tag");
	bad("a (NOOP)\r\n", 10, IMAP_READ_BAD, "Missing command", "a",
	    "list as verb");
	bad("a NOOP(\r\n", 9, IMAP_READ_BAD, "Invalid command", "a",
	    "verb followed by (");
	bad("a ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF\r\n", 36, IMAP_READ_BAD,
	    "Invalid command", "a", "verb of 32 characters");
	{
		char tag[80];

		memset(tag, 't', 64);
		strcpy(tag + 64, " NOOP\r\n");
		ok(parse(tag) == IMAP_READ_OK && strlen(cmd.tag) == 64,
		    "64-character tag");
		memset(tag, 't', 65);
		strcpy(tag + 65, " NOOP\r\n");
		bad(tag, strlen(tag), IMAP_READ_BAD, "tag", "",
		    "65-character tag");
	}
}

/* ---- reading off a socket ---- */

static int sv[2];
static struct buf sb;

static void
reader_open(size_t insize)
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		bail("socketpair");
	buf_init(&sb, sv[0], insize);
	buf_set_timeout(&sb, 2000);
}

static void
reader_close(void)
{
	buf_free(&sb);
	close(sv[0]);
	close(sv[1]);
}

static void
client_send(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t r = write(sv[1], s, n);

		if (r < 0)
			bail("write");
		s += r;
		n -= (size_t)r;
	}
}

/* client_got - what the server sent so far (without waiting). */
static const char *
client_got(struct str *out)
{
	char tmp[512];
	ssize_t r;

	str_clear(out);
	while ((r = recv(sv[1], tmp, sizeof(tmp), MSG_DONTWAIT)) > 0)
		str_catb(out, tmp, (size_t)r);
	return str_cstr(out);
}

#define SEND(lit) client_send(lit, sizeof(lit) - 1)

static enum imap_read_rc
rd(void)
{
	return imap_cmd_read(&sb, &cmd, cur_lim, &err);
}

static void
expect_read(enum imap_read_rc want, const char *what, const char *name)
{
	enum imap_read_rc rc = rd();

	if (want == IMAP_READ_OK) {
		if (!ok(rc == IMAP_READ_OK && (what == NULL ||
		    strcmp(dump(&cmd), what) == 0),
		    "read: %s", name))
			diag("rc %d err '%s' got '%s'", rc, str_cstr(&err),
			    rc == IMAP_READ_OK ? dumped.s : "");
	} else if (!ok(rc == want && strstr(str_cstr(&err), what) != NULL,
	    "read: %s", name))
		diag("rc %d err '%s'", rc, str_cstr(&err));
}

static const char stream[] =
    "a LOGIN {3}\r\njoe {6+}\r\nsecret\r\n"
    "b APPEND INBOX (\\Seen) ~{5}\r\nx\0y\r\n\r\n"
    "c FETCH 1:3 (BODY.PEEK[HEADER.FIELDS (A B)] UID)\r\n"
    "d NOOP\n";

static void
read_stream(size_t insize, const char *name)
{
	struct str got = STR_INIT;

	reader_open(insize);
	client_send(stream, sizeof(stream) - 1);
	expect_read(IMAP_READ_OK, "a LOGIN {joe} {secret}", name);
	expect_read(IMAP_READ_OK, "b APPEND INBOX (\\Seen) ~{x", name);
	ok(cmd.args[2].len == 5 && memcmp(cmd.args[2].s, "x\0y\r\n", 5) ==
	    0, "%s: literal8 octets", name);
	expect_read(IMAP_READ_OK,
	    "c FETCH 1:3 (BODY.PEEK[HEADER.FIELDS (A B)] UID)", name);
	expect_read(IMAP_READ_OK, "d NOOP", name);
	is_str(client_got(&got),
	    "+ Ready for literal data\r\n+ Ready for literal data\r\n",
	    "%s: one continuation per synchronizing literal", name);
	shutdown(sv[1], SHUT_WR);
	expect_read(IMAP_READ_EOF, "", "EOF after the last command");
	reader_close();
	str_free(&got);
}

static void
test_reader(void)
{
	struct str got = STR_INIT, s = STR_INIT;
	struct imap_limits small = lim;

	read_stream(0, "whole buffer");
	read_stream(1, "one octet at a time");

	reader_open(0);
	/* sync literal over the limit: NO, no continuation, in step */
	SEND("a LOGIN {101}\r\nb NOOP\r\n");
	expect_read(IMAP_READ_NO, "[TOOBIG]", "sync literal too big");
	is_str(client_got(&got), "", "no continuation for a refused literal");
	ok(strcmp(cmd.tag, "a") == 0, "tag known for the NO");
	expect_read(IMAP_READ_OK, "b NOOP", "next command after TOOBIG");

	/* APPEND gets append_max */
	str_copys(&s, "a APPEND INBOX {500}\r\n");
	for (int i = 0; i < 500; i++)
		str_catc(&s, 'm');
	str_cats(&s, "\r\n");
	client_send(s.s, s.len);
	expect_read(IMAP_READ_OK, NULL, "APPEND literal within append_max");
	ok(cmd.nargs == 2 && cmd.args[1].len == 500, "APPEND literal read");
	client_got(&got);

	/* non-sync over the limit: swallowed, NO, in step */
	str_copys(&s, "a LOGIN {300+}\r\n");
	for (int i = 0; i < 300; i++)
		str_catc(&s, i % 50 ? 'z' : '\n');
	str_cats(&s, " x {2+}\r\nyy\r\nb NOOP\r\n");
	client_send(s.s, s.len);
	expect_read(IMAP_READ_NO, "[TOOBIG]", "non-sync literal too big");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after swallowing");

	/* sum of literals over literals_max */
	str_clear(&s);
	str_cats(&s, "a APPEND INBOX {900+}\r\n");
	for (int i = 0; i < 900; i++)
		str_catc(&s, 'q');
	str_cats(&s, " {700+}\r\n");
	for (int i = 0; i < 700; i++)
		str_catc(&s, 'q');
	str_cats(&s, "\r\nb NOOP\r\n");
	client_send(s.s, s.len);
	expect_read(IMAP_READ_NO, "[TOOBIG]", "literals together too big");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after literals_max");

	/* overlong line ending in a non-sync literal */
	str_copys(&s, "a X ");
	for (int i = 0; i < 300; i++)
		str_catc(&s, 'w');
	str_cats(&s, " {5+}\r\nc NOO\r\nb NOOP\r\n");
	client_send(s.s, s.len);
	expect_read(IMAP_READ_BAD, "Line too long", "overlong line");
	ok(strcmp(cmd.tag, "a") == 0, "tag of an overlong line kept");
	expect_read(IMAP_READ_OK, "b NOOP",
	    "literal after an overlong line swallowed");

	/* overlong line ending in a sync literal: BAD, no "+" */
	str_copys(&s, "a X ");
	for (int i = 0; i < 300; i++)
		str_catc(&s, 'w');
	str_cats(&s, " {5}\r\nb NOOP\r\n");
	client_send(s.s, s.len);
	expect_read(IMAP_READ_BAD, "Line too long", "overlong + sync literal");
	is_str(client_got(&got), "", "no continuation after an overlong line");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after overlong line");

	/* many lines (literals between) over text_max */
	str_clear(&s);
	str_cats(&s, "a X");
	for (int i = 0; i < 12; i++)
		str_cats(&s, " aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {1+}\r\nx");
	str_cats(&s, "\r\nb NOOP\r\n");
	client_send(s.s, s.len);
	expect_read(IMAP_READ_BAD, "Command too long", "text over text_max");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after text_max");

	/* a bad command with a literal: consumed, then BAD */
	SEND("+x NOOP {3+}\r\nabc\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "tag", "bad tag with a non-sync literal");
	ok(cmd.tag[0] == '\0', "no tag for an invalid one");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after bad tag");
	SEND("+x NOOP {3}\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "tag", "bad tag with a sync literal");
	is_str(client_got(&got), "", "no continuation for a bad tag");
	expect_read(IMAP_READ_OK, "b NOOP", "in step (bad tag, sync)");
	SEND("a X (y {3}\r\nabc\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "Unbalanced", "unbalanced with a literal");
	client_got(&got);
	expect_read(IMAP_READ_OK, "b NOOP", "in step after unbalanced");
	SEND("a X {3}abc\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "CRLF", "missing CRLF after literal");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after missing CRLF");
	SEND("a X ((((((a))))))\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "nested", "nesting over the limit");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after nesting");
	SEND("a X a\0b\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "NUL", "NUL byte");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after NUL");
	SEND("a X \xe2\x82\xac\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "8-bit", "8-bit atom");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after 8-bit atom");
	SEND("\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "Empty", "empty line");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after empty line");

	/* literal sizes we cannot read */
	SEND("a X {99999999999999999999}\r\nb NOOP\r\n");
	expect_read(IMAP_READ_BAD, "literal size", "sync size over 64 bits");
	is_str(client_got(&got), "", "no continuation for it");
	expect_read(IMAP_READ_OK, "b NOOP", "in step after it");
	SEND("a X {99999999999999999999+}\r\n");
	expect_read(IMAP_READ_FATAL, "literal", "non-sync size over 64 bits");
	reader_close();

	reader_open(0);
	SEND("a X {5001+}\r\n");
	expect_read(IMAP_READ_FATAL, "too big", "non-sync over discard_max");
	reader_close();

	/* the same with a tail of only digits past an overlong line */
	reader_open(0);
	str_copys(&s, "a X {");
	for (int i = 0; i < 300; i++)
		str_catc(&s, '0');
	str_cats(&s, "1+}\r\n");
	client_send(s.s, s.len);
	expect_read(IMAP_READ_FATAL, "literal", "overlong literal size");
	reader_close();

	/* EOF in the middle */
	reader_open(0);
	SEND("a LOGIN {5+}\r\nab");
	shutdown(sv[1], SHUT_WR);
	expect_read(IMAP_READ_EOF, "", "EOF inside a literal");
	reader_close();
	reader_open(0);
	SEND("a NOO");
	shutdown(sv[1], SHUT_WR);
	expect_read(IMAP_READ_EOF, "", "EOF inside a line");
	reader_close();

	/* timeout */
	reader_open(0);
	buf_set_timeout(&sb, 50);
	SEND("a LOGIN {3}\r\n");
	expect_read(IMAP_READ_TIMEOUT, "", "timeout waiting for literal");
	reader_close();

	/* line_max bigger than text_max */
	small.text_max = 50;
	reader_open(0);
	SEND("a X aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
	    "b NOOP\r\n");
	ok(imap_cmd_read(&sb, &cmd, &small, &err) == IMAP_READ_BAD &&
	    strstr(err.s, "too long"), "text_max bounds the first line");
	ok(imap_cmd_read(&sb, &cmd, &small, &err) == IMAP_READ_OK,
	    "in step after it");
	reader_close();
	str_free(&got);
	str_free(&s);
}

/* ---- generated commands: valid ones parse to what was generated,
 * through imap_cmd_parse and through the reader alike ---- */

static const char atom_chars[] =
    "abcXYZ019.-_+:*%$&'<>=?@^`|~!#/\\]";

/* gen_item - one random argument: wire form into w, dump form into d. */
static void
gen_item(struct str *w, struct str *d, int depth)
{
	int kind = rand() % (depth < 3 ? 6 : 5);
	size_t n = (size_t)(rand() % 12);

	switch (kind) {
	case 0:		/* atom */
	case 1:
		n++;
		for (size_t i = 0; i < n; i++) {
			char ch = atom_chars[rand() % (int)(sizeof(atom_chars) - 1)];

			if (i == 0 && ch == '~')
				ch = 'x';
			str_catc(w, ch);
			str_catc(d, ch);
		}
		if (rand() % 4 == 0) {
			str_cats(w, "[1.HEADER.FIELDS (A \"]\")]<0.9>");
			str_cats(d, "[1.HEADER.FIELDS (A \"]\")]<0.9>");
		}
		break;
	case 2:		/* quoted */
		str_catc(w, '"');
		str_catc(d, '"');
		for (size_t i = 0; i < n; i++) {
			char ch = (char)(0x20 + rand() % 0x60);

			if (ch == 0x7f)
				ch = (char)0xc3;
			if (ch == '"' || ch == '\\')
				str_catc(w, '\\');
			str_catc(w, ch);
			str_catc(d, ch);
		}
		str_catc(w, '"');
		str_catc(d, '"');
		break;
	case 3:		/* literal, any sort */
	case 4: {
		bool bin = rand() % 3 == 0;
		static const char *const sync[] = { "}", "+}" };

		str_catf(w, "%s{%zu%s\r\n", bin ? "~" : "", n,
		    sync[rand() % 2]);
		str_cats(d, bin ? "~{" : "{");
		for (size_t i = 0; i < n; i++) {
			char ch = (char)(1 + rand() % 255);

			if (bin && rand() % 5 == 0)
				ch = '\0';
			str_catc(w, ch);
			str_catc(d, ch);
		}
		str_catc(d, '}');
		break;
	}
	case 5: {	/* list */
		int k = rand() % 4;

		str_catc(w, '(');
		str_catc(d, '(');
		for (int i = 0; i < k; i++) {
			if (i) {
				str_catc(w, ' ');
				str_catc(d, ' ');
			}
			gen_item(w, d, depth + 1);
		}
		str_catc(w, ')');
		str_catc(d, ')');
		break;
	}
	}
}

static void
gen_command(struct str *w, struct str *d)
{
	int k = rand() % 6;

	str_copys(w, "t1 CMD");
	str_copys(d, "t1 CMD");
	for (int i = 0; i < k; i++) {
		str_catc(w, ' ');
		str_catc(d, ' ');
		gen_item(w, d, 0);
	}
	str_cats(w, "\r\n");
}

static void
test_generated(void)
{
	struct str w = STR_INIT, d = STR_INIT, drain = STR_INIT;
	int wrong = 0, wrong_rd = 0, mutants_ok = 0, crashes = 0;

	srand(4242);
	cur_lim = &lim_big;
	reader_open(0);
	for (int i = 0; i < 3000; i++) {
		enum imap_read_rc rc;

		gen_command(&w, &d);
		rc = parsen(w.s, w.len);
		dump(&cmd);
		if (rc != IMAP_READ_OK || dumped.len != d.len ||
		    memcmp(dumped.s, d.s, d.len) != 0) {
			if (wrong++ < 3)
				diag("rc %d err '%s' for '%s'", rc,
				    str_cstr(&err), w.s);
		}
		client_send(w.s, w.len);
		rc = rd();
		client_got(&drain);
		dump(&cmd);
		if (rc != IMAP_READ_OK || dumped.len != d.len ||
		    memcmp(dumped.s, d.s, d.len) != 0) {
			if (wrong_rd++ < 3)
				diag("read rc %d err '%s' for '%s'", rc,
				    str_cstr(&err), w.s);
		}
	}
	reader_close();
	ok(wrong == 0, "3000 generated commands parse as generated");
	ok(wrong_rd == 0, "... and read off a socket the same");

	/* mutants: flip, insert or delete an octet */
	for (int i = 0; i < 10000; i++) {
		enum imap_read_rc rc;
		size_t at;

		gen_command(&w, &d);
		at = (size_t)rand() % w.len;
		switch (rand() % 3) {
		case 0:
			w.s[at] = (char)rand();
			break;
		case 1:
			memmove(w.s + at, w.s + at + 1, w.len - at - 1);
			w.len--;
			break;
		default:
			str_catc(&w, 'x');
			memmove(w.s + at + 1, w.s + at, w.len - at - 1);
			w.s[at] = "({\"[]) \r\n\\~+"[rand() % 12];
			break;
		}
		rc = parsen(w.s, w.len);
		if (rc == IMAP_READ_OK)
			mutants_ok++;
		else if ((rc != IMAP_READ_BAD && rc != IMAP_READ_NO) ||
		    err.len == 0)
			crashes++;
	}
	cur_lim = &lim;
	ok(crashes == 0, "10000 mutated commands: OK or BAD/NO with a "
	    "reason (%d still valid)", mutants_ok);
	str_free(&w);
	str_free(&d);
	str_free(&drain);
}

/* ---- sequence sets ---- */

static void
test_seqset(void)
{
	static const char *invalid[] = {
		"0", "1:", ",1", "1,,2", "1:*:2", "4294967296", "", "1,",
		"01", "1:0", "a", "1 2", "-1", "*:", ":3", "$,1", "1:$",
		"99999999999999999999",
	};
	struct imap_seqset set = { 0 };
	struct str out = STR_INIT;
	uint32_t v[] = { 1, 2, 3, 3, 5, 7, 8, 9, 4294967295u };

	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++)
		ok(imap_seqset_parse(invalid[i], &set) < 0 && set.n == 0,
		    "seqset '%s' is invalid", invalid[i]);
	ok(imap_seqset_parse("1", &set) == 0 && set.n == 1 &&
	    set.r[0].lo == 1 && set.r[0].hi == 1, "seqset 1");
	ok(imap_seqset_parse("4294967295", &set) == 0 && set.n == 1,
	    "seqset 2^32-1");
	ok(imap_seqset_parse("$", &set) == 0 && set.dollar && set.n == 0,
	    "seqset $");
	ok(imap_seqset_parse("7:*,3,1:2,10:8,*", &set) == 0 && set.n == 5 &&
	    !set.dollar && set.r[0].hi == IMAP_STAR && set.r[4].lo ==
	    IMAP_STAR, "seqset with stars");
	imap_seqset_resolve(&set, 12);
	ok(set.n == 2 && set.r[0].lo == 1 && set.r[0].hi == 3 &&
	    set.r[1].lo == 7 && set.r[1].hi == 12,
	    "resolve sorts and merges adjacent ranges");
	ok(imap_seqset_parse("20:*,5", &set) == 0, "reverse range parses");
	imap_seqset_resolve(&set, 10);
	ok(set.n == 2 && set.r[0].lo == 5 && set.r[0].hi == 5 &&
	    set.r[1].lo == 10 && set.r[1].hi == 20,
	    "20:* with * = 10 is 10:20, after 5");
	ok(imap_seqset_has(&set, 5) && !imap_seqset_has(&set, 6) &&
	    imap_seqset_has(&set, 10) && imap_seqset_has(&set, 20) &&
	    !imap_seqset_has(&set, 21) && !imap_seqset_has(&set, 0),
	    "has after resolve");
	ok(imap_seqset_parse("1:*", &set) == 0, "1:*");
	imap_seqset_resolve(&set, 0);
	ok(!imap_seqset_has(&set, 2), "1:* on an empty mailbox is 0:1");
	ok(imap_seqset_parse("3,1,2,9:7,100,4294967295", &set) == 0, "list");
	imap_seqset_resolve(&set, 50);
	ok(set.n == 4 && set.r[0].lo == 1 && set.r[0].hi == 3 &&
	    set.r[1].lo == 7 && set.r[1].hi == 9 && set.r[2].lo == 50 &&
	    set.r[2].hi == 50 && set.r[3].lo == 100, "'*' given as a number resolves too");

	/* format and a round trip through parse */
	imap_seqset_format(v, sizeof(v) / sizeof(*v), &out);
	is_str(out.s, "1:3,5,7:9,4294967295", "format");
	str_clear(&out);
	imap_seqset_format(v, 0, &out);
	is_str(out.s, "", "format of nothing");
	imap_seqset_format(v + 4, 1, &out);
	is_str(out.s, "5", "format of one");
	{
		uint32_t w[200];
		size_t n = 0;
		bool same = true;

		srand(7);
		for (uint32_t x = 1; n < 200; x += 1 + (uint32_t)(rand() % 3))
			w[n++] = x;
		str_clear(&out);
		imap_seqset_format(w, n, &out);
		ok(imap_seqset_parse(out.s, &set) == 0, "formatted set parses");
		imap_seqset_resolve(&set, 1);
		for (uint32_t x = 0, k = 0; x <= w[n - 1] + 2; x++) {
			bool in = k < n && w[k] == x;

			if (in)
				k++;
			if (imap_seqset_has(&set, x) != in)
				same = false;
		}
		ok(same, "format/parse/has round trip");
	}

	/* add */
	imap_seqset_free(&set);
	imap_seqset_add(&set, 5, 5);
	imap_seqset_add(&set, 6, 8);
	imap_seqset_add(&set, 10, 10);
	ok(set.n == 2 && set.r[0].lo == 5 && set.r[0].hi == 8,
	    "add merges adjacent ascending ranges");
	imap_seqset_add(&set, 2, 1);
	imap_seqset_add(&set, 9, 9);
	ok(set.n == 2 && set.r[0].lo == 1 && set.r[0].hi == 2 &&
	    set.r[1].lo == 5 && set.r[1].hi == 10, "add out of order sorts");
	ok(imap_seqset_has(&set, 1) && imap_seqset_has(&set, 7) &&
	    !imap_seqset_has(&set, 3) && !imap_seqset_has(&set, 11),
	    "has after add");
	imap_seqset_add(&set, 4294967295u, 4294967295u);
	imap_seqset_add(&set, 4294967290u, 4294967295u);
	ok(imap_seqset_has(&set, 4294967295u) &&
	    imap_seqset_has(&set, 4294967292u), "add near 2^32");
	imap_seqset_free(&set);
	imap_seqset_free(&set);
	ok(set.r == NULL && set.n == 0, "free twice");
	str_free(&out);
}

static void
test_astring(void)
{
	struct str out = STR_INIT;

	imap_put_astring(&out, "INBOX", 5);
	is_str(out.s, "INBOX", "astring: atom");
	str_clear(&out);
	imap_put_astring(&out, "", 0);
	is_str(out.s, "\"\"", "astring: empty is quoted");
	str_clear(&out);
	imap_put_astring(&out, "nil", 3);
	is_str(out.s, "\"nil\"", "astring: NIL is quoted");
	str_clear(&out);
	imap_put_astring(&out, "a b", 3);
	is_str(out.s, "\"a b\"", "astring: space is quoted");
	str_clear(&out);
	imap_put_astring(&out, "a]b", 3);
	is_str(out.s, "\"a]b\"", "astring: ] is quoted");
	str_clear(&out);
	imap_put_astring(&out, "a%", 2);
	is_str(out.s, "\"a%\"", "astring: %% is quoted");
	str_clear(&out);
	imap_put_astring(&out, "a\r\nb", 4);
	is_str(out.s, "{4}\r\na\r\nb", "astring: CRLF makes a literal");
	str_free(&out);
}

/* ---- fuzz ---- */

static void
test_fuzz(void)
{
	static const char alpha[] = "a (){}[]<>\"\\+~*%:,.0123456789\r\n\0\x80"
	    "\xff NIL UID";
	char in[256];
	int crashes = 0, oks = 0;

	srand(12345);
	for (int i = 0; i < 10000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(in));
		enum imap_read_rc rc;

		if (i % 3 == 0) {
			memcpy(in, "a X ", 4);
			if (n < 4)
				n = 4;
		}
		for (size_t k = (i % 3 == 0 ? 4 : 0); k < n; k++)
			in[k] = i % 2 ? (char)(rand() & 0xff) :
			    alpha[rand() % (int)(sizeof(alpha) - 1)];
		rc = parsen(in, n);
		if (rc == IMAP_READ_OK) {
			oks++;
			if (cmd.tag[0] == '\0' || cmd.verb[0] == '\0')
				crashes++;
		} else if (rc != IMAP_READ_BAD && rc != IMAP_READ_NO)
			crashes++;
	}
	ok(crashes == 0, "10000 random inputs: no crash, sane results (%d ok)",
	    oks);

	/* the reader on random streams, one after another on one socket */
	crashes = 0;
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand() % 2000);
		struct str s = STR_INIT;
		enum imap_read_rc rc;
		int guard = 0;

		for (size_t k = 0; k < n; k++)
			str_catc(&s, alpha[rand() % (int)(sizeof(alpha) - 1)]);
		reader_open(0);
		client_send(s.s, s.len);
		shutdown(sv[1], SHUT_WR);
		do {
			rc = rd();
			{
				struct str drain = STR_INIT;

				client_got(&drain);
				str_free(&drain);
			}
		} while ((rc == IMAP_READ_OK || rc == IMAP_READ_BAD ||
		    rc == IMAP_READ_NO) && ++guard < 10000);
		if (rc != IMAP_READ_EOF && rc != IMAP_READ_FATAL)
			crashes++;
		reader_close();
		str_free(&s);
	}
	ok(crashes == 0, "reader on 200 random streams ends in EOF or FATAL");
}

/* trickle - a child writing s a byte every ms milliseconds. */
static pid_t
trickle(const char *s, int ms)
{
	pid_t pid = xfork();

	if (pid == 0) {
		for (; *s; s++) {
			if (write(sv[1], s, 1) != 1)
				_exit(0);
			usleep((useconds_t)ms * 1000);
		}
		_exit(0);
	}
	return pid;
}

/* A literal must keep up min_rate after grace_ms, and the session
 * deadline in force still bounds it; afterwards that deadline is back. */
static void
test_literal_rate(void)
{
	static const struct imap_limits slow = {
		.line_max = 200, .text_max = 1000, .literal_max = 2000,
		.append_max = 2000, .literals_max = 2000,
		.discard_max = 2000, .depth_max = 4,
		.min_rate = 1000, .grace_ms = 200,
	};
	char body[1001];
	int64_t t0, took;
	pid_t pid;

	cur_lim = &slow;
	memset(body, 'x', 1000);
	body[1000] = '\0';

	/* 1000 octets in time */
	reader_open(0);
	SEND("a APPEND x {1000+}\r\n");
	client_send(body, 1000);
	SEND("\r\n");
	expect_read(IMAP_READ_OK, NULL, "a literal sent at once");
	ok(sb.deadline_ms == 0, "no deadline left behind");
	reader_close();

	/* 1000 octets at about 50 a second: due 1.2 s after the start */
	reader_open(0);
	buf_set_timeout(&sb, 10000);	/* each byte is well within it */
	SEND("a APPEND x {1000+}\r\n");
	pid = trickle(body, 20);
	t0 = buf_now_ms();
	is_int(rd(), IMAP_READ_TIMEOUT, "a trickled literal times out");
	took = buf_now_ms() - t0;
	ok(took >= 1000 && took < 6000, "after grace + size / rate (%lld "
	    "ms)", (long long)took);
	ok(sb.deadline_ms == 0, "the session's (no) deadline is back");
	kill(pid, SIGKILL);
	reap(pid);
	reader_close();

	/* a session deadline earlier than the literal's wins */
	reader_open(0);
	buf_set_timeout(&sb, 10000);
	buf_set_deadline(&sb, 300);
	SEND("a APPEND x {1000+}\r\n");
	pid = trickle(body, 20);
	t0 = buf_now_ms();
	is_int(rd(), IMAP_READ_TIMEOUT, "the session deadline comes first");
	took = buf_now_ms() - t0;
	ok(took < 1000, "at the session deadline (%lld ms)", (long long)took);
	ok(sb.deadline_ms != 0, "which stays set");
	kill(pid, SIGKILL);
	reap(pid);
	reader_close();
	cur_lim = &lim;
}

/* ---- the sink: big APPEND literals never held in memory ---- */

#define BIG (IMAP_SINK_MIN + 4464)	/* 70000 */

struct tsink {
	struct str lit[8];
	int n, closed;
	bool fail_open, fail_write;
};

static const char *
ts_open(void *arg, int *no)
{
	struct tsink *t = arg;

	if (t->fail_open || t->n == 8)
		return "[UNAVAILABLE] cannot open";
	str_clear(&t->lit[t->n]);
	*no = t->n++;
	return NULL;
}

static const char *
ts_write(void *arg, int no, const void *p, size_t n)
{
	struct tsink *t = arg;

	if (t->fail_write)
		return "[UNAVAILABLE] cannot write";
	str_catb(&t->lit[no], p, n);
	return NULL;
}

static const char *
ts_close(void *arg, int no)
{
	struct tsink *t = arg;

	(void)no;
	t->closed++;
	return NULL;
}

/* feed - a child writing s[0..n) (more than the socket holds). */
static pid_t
feed(const char *s, size_t n)
{
	pid_t pid = xfork();

	if (pid == 0) {
		client_send(s, n);
		_exit(0);
	}
	return pid;
}

/* big - n octets of a pattern, with a NUL at nul (n: none) */
static void
big(struct str *s, size_t n, size_t nul)
{
	for (size_t i = 0; i < n; i++)
		str_catc(s, i == nul ? '\0' : (char)('a' + i % 26));
}

static bool
is_big(const struct str *s, size_t n)
{
	if (s->len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s->s[i] != (char)('a' + i % 26))
			return false;
	return true;
}

static void
test_sink(void)
{
	static const struct imap_limits wide = {
		.line_max = 200, .text_max = 1000, .literal_max = 100000,
		.append_max = 300000, .literals_max = 400000,
		.discard_max = 100, .depth_max = 4,
	};
	static struct tsink ts;
	const struct imap_sink sink = { IMAP_SINK_MIN, &ts, ts_open, ts_write,
	    ts_close };
	struct str s = STR_INIT, got = STR_INIT;
	pid_t pid;

	cur_lim = &wide;
	imap_cmd_free(&cmd);	/* so that text.cap tells what this took */
	imap_cmd_init(&cmd);
	cmd.sink = &sink;

	/* a sync literal: "+", the octets to the sink, an empty string */
	reader_open(0);
	str_copys(&s, "a APPEND INBOX {70000}\r\n");
	big(&s, BIG, BIG);
	str_cats(&s, "\r\nb NOOP\r\n");
	pid = feed(s.s, s.len);
	expect_read(IMAP_READ_OK, "a APPEND INBOX {}", "sink: sync literal");
	ok(cmd.args[1].sunk == 0 && cmd.args[1].literal &&
	    cmd.args[1].len == 0, "sink: the argument names the sink's copy");
	ok(ts.n == 1 && ts.closed == 1 && is_big(&ts.lit[0], BIG),
	    "sink: it got every octet, and the close");
	ok(cmd.text.len < 100 && cmd.text.cap < 1024,
	    "sink: the command text stays small (%zu)", cmd.text.cap);
	is_str(client_got(&got), "+ Ready for literal data\r\n",
	    "sink: one continuation");
	expect_read(IMAP_READ_OK, "b NOOP", "sink: in step");
	reap(pid);

	/* MULTIAPPEND: small ones stay in memory up to IMAP_SINK_MIN; the
	 * rest, LITERAL+ and literal8 (NUL allowed) too, go to the sink */
	ts.n = ts.closed = 0;
	str_copys(&s, "a APPEND INBOX {3+}\r\nabc (\\Seen) {40000+}\r\n");
	big(&s, 40000, 40000);
	str_cats(&s, " {40000+}\r\n");
	big(&s, 40000, 40000);
	str_cats(&s, " UTF8 (~{70000+}\r\n");
	big(&s, BIG, 5);
	str_cats(&s, ")\r\nb NOOP\r\n");
	pid = feed(s.s, s.len);
	expect_read(IMAP_READ_OK, NULL, "sink: MULTIAPPEND");
	ok(cmd.nargs == 7 && cmd.args[1].sunk == -1 &&
	    cmd.args[1].len == 3 && cmd.args[3].sunk == -1 &&
	    cmd.args[3].len == 40000, "sink: the first two in memory");
	ok(cmd.args[4].sunk == 0 && cmd.args[6].list[0].sunk == 1 &&
	    cmd.args[6].list[0].literal8, "sink: the last two sunk");
	ok(ts.n == 2 && ts.closed == 2 && is_big(&ts.lit[0], 40000) &&
	    ts.lit[1].len == BIG && ts.lit[1].s[5] == '\0',
	    "sink: their octets");
	expect_read(IMAP_READ_OK, "b NOOP", "sink: in step after it");
	reap(pid);

	/* NUL in a literal that is not a literal8: BAD once read; a
	 * later literal within the limits is still read */
	ts.n = ts.closed = 0;
	str_copys(&s, "a APPEND INBOX {70000+}\r\n");
	big(&s, BIG, 30000);
	str_cats(&s, " {70000+}\r\n");
	big(&s, BIG, BIG);
	str_cats(&s, "\r\nb NOOP\r\n");
	pid = feed(s.s, s.len);
	expect_read(IMAP_READ_BAD, "NUL", "sink: NUL in a plain literal");
	ok(ts.n == 1 && ts.closed == 0 && ts.lit[0].len < 30000,
	    "sink: not closed, nothing past the NUL");
	expect_read(IMAP_READ_OK, "b NOOP", "sink: in step after the NUL");
	reap(pid);

	/* the sink failing: NO with its reason, in step */
	ts.n = ts.closed = 0;
	ts.fail_write = true;
	str_copys(&s, "a APPEND INBOX {70000+}\r\n");
	big(&s, BIG, BIG);
	str_cats(&s, "\r\nb NOOP\r\n");
	pid = feed(s.s, s.len);
	expect_read(IMAP_READ_NO, "cannot write", "sink: a write fails");
	expect_read(IMAP_READ_OK, "b NOOP", "sink: in step after it");
	reap(pid);
	ts.fail_write = false;
	ts.fail_open = true;
	pid = feed(s.s, s.len);
	expect_read(IMAP_READ_NO, "cannot open", "sink: open fails");
	expect_read(IMAP_READ_OK, "b NOOP", "sink: in step after that");
	reap(pid);
	ts.fail_open = false;

	/* only APPEND has its literals sunk */
	ts.n = 0;
	str_copys(&s, "a LOGIN {70000+}\r\n");
	big(&s, BIG, BIG);
	str_cats(&s, " x\r\n");
	pid = feed(s.s, s.len);
	expect_read(IMAP_READ_OK, NULL, "sink: not for LOGIN");
	ok(ts.n == 0 && cmd.args[0].sunk == -1 && cmd.args[0].len == BIG,
	    "sink: LOGIN's literal in memory");
	reap(pid);

	/* not where an atom holds it */
	str_copys(&s, "a APPEND INBOX x[{70000+}\r\n");
	big(&s, BIG, BIG);
	str_cats(&s, "]\r\nb NOOP\r\n");
	pid = feed(s.s, s.len);
	expect_read(IMAP_READ_BAD, "atom", "sink: a literal in an atom");
	expect_read(IMAP_READ_OK, "b NOOP", "sink: in step after it");
	reap(pid);

	/* the client leaves in the middle: EOF, the literal never closed */
	ts.n = ts.closed = 0;
	str_copys(&s, "a APPEND INBOX {70000+}\r\n");
	big(&s, 50000, 50000);
	pid = feed(s.s, s.len);
	reap(pid);
	shutdown(sv[1], SHUT_WR);
	expect_read(IMAP_READ_EOF, "", "sink: EOF inside a sunk literal");
	ok(ts.n == 1 && ts.closed == 0, "sink: opened, never closed");
	reader_close();

	for (int i = 0; i < 8; i++)
		str_free(&ts.lit[i]);
	cmd.sink = NULL;
	cur_lim = &lim;
	str_free(&s);
	str_free(&got);
}

/* A command without arguments on a fresh imap_cmd, whose pool is not
 * made yet (fuzz/regress/imap/no-arguments: UBSan saw pointer
 * arithmetic on the NULL pool). */
static void
test_no_arguments_fresh(void)
{
	struct imap_cmd c;

	imap_cmd_init(&c);
	is_int(imap_cmd_parse("a NOOP\r\n", 8, &c, &lim, &err), IMAP_READ_OK,
	    "a command without arguments, fresh");
	ok(c.nargs == 0 && strcmp(c.verb, "NOOP") == 0, "no arguments");
	imap_cmd_free(&c);
}

int
main(void)
{
	imap_cmd_init(&cmd);
	test_no_arguments_fresh();
	test_literal_rate();
	test_tokens();
	test_malformed();
	test_reader();
	test_sink();
	test_generated();
	test_seqset();
	test_astring();
	test_fuzz();
	imap_cmd_free(&cmd);
	imap_cmd_free(&cmd);
	str_free(&err);
	str_free(&dumped);
	return done_testing();
}
