/* test-imap-search - SEARCH keys parsed and evaluated on synthetic
 * messages. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../../imapd/imap_search.h"
#include "mime.h"
#include "store.h"
#include "str.h"
#include "tap.h"

static const struct imap_limits lim = {
	.line_max = 65536,
	.text_max = 65536,
	.literal_max = 4096,
	.append_max = 4096,
	.literals_max = 65536,
	.discard_max = 65536,
	.depth_max = 200,
};

#define DEPTH 32

static const char msg1[] =
    "Date: Tue, 1 Feb 1994 23:30:00 -0800\r\n"
    "From: Alice Example <alice@example.org>\r\n"
    "To: bob@example.com\r\n"
    "Cc: carol@example.net\r\n"
    "Subject: Hello =?UTF-8?Q?W=C3=B6rld?=\r\n"
    "X-Custom: yes\r\n"
    "X-Empty:\r\n"
    "Message-ID: <1@x>\r\n"
    "\r\n"
    "This is the body text with \xc3\x9cmlaut.\r\n";

static const char msg2[] =
    "Date: Sun, 10 May 2020 14:00:00 +0200\r\n"
    "From: dave@example.org\r\n"
    "Subject: attachment\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Plain part here.\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "c2VjcmV0IGF0dGFjaG1lbnQ=\r\n"
    "--b1--\r\n";

struct content {
	const char *text;
	size_t len;
	struct mime *m;
	int calls;
};

static struct content contents[3] = {
	{ msg1, sizeof(msg1) - 1, NULL, 0 },
	{ msg2, sizeof(msg2) - 1, NULL, 0 },
	{ NULL, 0, NULL, 0 },	/* cannot be read */
};

static const struct mime *
load(void *ctx)
{
	struct content *c = ctx;

	c->calls++;
	if (c->text == NULL)
		return NULL;
	if (c->m == NULL)
		c->m = mime_parse(c->text, c->len);
	return c->m;
}

static struct imap_search_msg msgs[3];
static struct imap_cmd cmd;
static struct str err, res;
static struct imap_seqset saved;
static const struct imap_seqset *savedp;

static time_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

static void
setup(void)
{
	msgs[0] = (struct imap_search_msg){ 1, 10, STORE_F_SEEN |
	    STORE_F_ANSWERED, "$Forwarded Work", 100,
	    utc(1994, 2, 1, 23, 0), 1000, load, NULL, &contents[0] };
	msgs[1] = (struct imap_search_msg){ 2, 20, STORE_F_RECENT, "", 200,
	    utc(2020, 5, 10, 12, 0), 2000, load, NULL, &contents[1] };
	msgs[2] = (struct imap_search_msg){ 3, 30, STORE_F_RECENT |
	    STORE_F_SEEN | STORE_F_DELETED | STORE_F_FLAGGED | STORE_F_DRAFT,
	    NULL, 300, utc(2021, 1, 1, 0, 0), 3000, load, NULL, &contents[2] };
}

/* nm - keys made fit for a test name: no line breaks, not too long. */
static const char *
nm(const char *keys)
{
	static char b[64];
	size_t i;

	for (i = 0; keys[i] && i < sizeof(b) - 4; i++)
		b[i] = (unsigned char)keys[i] < 0x20 ? '.' : keys[i];
	strcpy(b + i, keys[i] ? "..." : "");
	return b;
}

/* parse_q - the SEARCH arguments as a client sends them. */
static int
parse_q(const char *keys, struct imap_search **q)
{
	struct str line = STR_INIT;
	enum imap_read_rc rc;
	int r;

	str_copyf(&line, "a SEARCH %s\r\n", keys);
	rc = imap_cmd_parse(line.s, line.len, &cmd, &lim, &err);
	str_free(&line);
	if (rc != IMAP_READ_OK) {
		str_copys(&err, "(command did not parse)");
		*q = NULL;
		return -2;
	}
	r = imap_search_parse(cmd.args, cmd.nargs, DEPTH, q, &err);
	return r;
}

/* run - the sequence numbers matching keys, "1 3"; "ERR" on errors. */
static const char *
run(const char *keys)
{
	struct imap_search *q;

	str_clear(&res);
	if (parse_q(keys, &q) < 0) {
		str_copys(&res, "ERR");
		return res.s;
	}
	imap_search_prepare(q, 3, 30, savedp);
	for (int i = 0; i < 3; i++)
		if (imap_search_match(q, &msgs[i]))
			str_catf(&res, "%s%u", res.len ? " " : "", msgs[i].seq);
	imap_search_free(&q);
	ok(q == NULL, "free clears the pointer (%s)", nm(keys));
	return res.s;
}

#define T(keys, want) is_str(run(keys), want, "SEARCH %s", nm(keys))

static void
rejects(const char *keys, const char *why)
{
	struct imap_search *q = (struct imap_search *)&q;
	int r = parse_q(keys, &q);

	if (!ok(r == -1 && q == NULL && strstr(str_cstr(&err), why) != NULL,
	    "rejects SEARCH %s", nm(keys)))
		diag("r %d err '%s'", r, str_cstr(&err));
}

static void
test_keys(void)
{
	T("ALL", "1 2 3");
	T("all", "1 2 3");
	T("ANSWERED", "1");
	T("UNANSWERED", "2 3");
	T("SEEN", "1 3");
	T("UNSEEN", "2");
	T("DELETED", "3");
	T("UNDELETED", "1 2");
	T("FLAGGED", "3");
	T("UNFLAGGED", "1 2");
	T("DRAFT", "3");
	T("UNDRAFT", "1 2");
	T("RECENT", "2 3");
	T("NEW", "2");
	T("OLD", "1");
	T("KEYWORD work", "1");
	T("KEYWORD $FORWARDED", "1");
	T("KEYWORD Wor", "");
	T("UNKEYWORD Work", "2 3");
	T("KEYWORD \\Seen", "1 3");
	T("UNKEYWORD \\Deleted", "1 2");
	T("LARGER 1000", "2 3");
	T("SMALLER 2000", "1");
	T("LARGER 18446744073709551615", "");
	T("SMALLER 0", "");

	/* internal dates: TZ is UTC+2 here, so msg 1 (23:00 UTC) is on
	 * the 2nd locally */
	T("BEFORE 2-Feb-1994", "");
	T("ON 2-Feb-1994", "1");
	T("ON 1-Feb-1994", "");
	T("ON 02-feb-1994", "1");
	T("ON \"2-FEB-1994\"", "1");
	T("SINCE 10-May-2020", "2 3");
	T("SINCE 11-May-2020", "3");
	T("BEFORE 1-Jan-2021", "1 2");
	T("ON 1-Jan-2021", "3");
	T("SINCE 29-Feb-2000 BEFORE 1-Jan-2021", "2");

	/* Date fields: the day written in them */
	T("SENTON 1-Feb-1994", "1");
	T("SENTBEFORE 2-Feb-1994", "1");
	T("SENTSINCE 2-Feb-1994", "2");
	T("SENTON 10-May-2020", "2");
	T("SENTBEFORE 10-May-2020", "1");

	/* headers and text */
	T("FROM alice", "1");
	T("FROM ALICE", "1");
	T("FROM example.org", "1 2");
	T("TO bob", "1");
	T("CC carol", "1");
	T("BCC carol", "");
	T("SUBJECT \"w\xc3\xb6rld\"", "1");
	T("SUBJECT \"W\xc3\x96RLD\"", "1");
	T("SUBJECT \"hello w\"", "1");
	T("SUBJECT {5}\r\nHELLO", "1");
	T("SUBJECT \"\"", "1 2");
	T("HEADER X-Custom \"\"", "1");
	T("HEADER x-custom YES", "1");
	T("HEADER X-Empty \"\"", "1");
	T("HEADER X-Missing \"\"", "");
	T("HEADER Message-ID <1@x>", "1");
	T("BODY \"\xc3\xbcmlaut\"", "1");
	T("BODY Subject", "");
	T("BODY plain", "2");
	T("BODY secret", "");
	T("TEXT hello", "1");
	T("TEXT \"\xc3\x9cMLAUT\"", "1");
	T("TEXT plain", "2");
	T("TEXT nowhere", "");

	/* logic */
	T("NOT SEEN", "2");
	T("NOT NOT SEEN", "1 3");
	T("OR SEEN RECENT", "1 2 3");
	T("OR ANSWERED DELETED", "1 3");
	T("(SEEN RECENT)", "3");
	T("OR (SEEN ANSWERED) DRAFT", "1 3");
	T("SEEN SMALLER 2000", "1");
	T("UNSEEN LARGER 100 FROM nobody", "");
	T("NOT (SEEN RECENT)", "1 2");
	T("OR NOT SEEN NOT RECENT", "1 2");
	T("((((ALL))))", "1 2 3");

	/* sets */
	T("1", "1");
	T("2:*", "2 3");
	T("*", "3");
	T("1,3", "1 3");
	T("3:1", "1 2 3");
	T("UID 20", "2");
	T("UID 15:*", "2 3");
	T("UID *", "3");
	T("UID 25:22", "");
	T("UID 1:10,30", "1 3");
	T("$", "");
	T("UID $", "");
	imap_seqset_add(&saved, 10, 10);
	imap_seqset_add(&saved, 30, 30);
	savedp = &saved;
	T("$", "1 3");
	T("UID $", "1 3");
	T("NOT $", "2");
	savedp = NULL;

	/* MODSEQ */
	T("MODSEQ 200", "2 3");
	T("MODSEQ 0", "1 2 3");
	T("MODSEQ \"/flags/\\\\seen\" all 300", "3");
	T("MODSEQ \"/flags/$Junk\" priv 101", "2 3");
	T("MODSEQ \"/flags/x\" SHARED 1", "1 2 3");
}

static void
test_props(void)
{
	struct imap_search *q;

	ok(parse_q("SEEN UID 1:* 5 OR NEW LARGER 5", &q) == 0 &&
	    !imap_search_needs_content(q) && !imap_search_has_modseq(q),
	    "flags, sets and sizes need no content");
	imap_search_free(&q);
	static const char *content_keys[] = {
		"FROM x", "TO x", "CC x", "BCC x", "SUBJECT x", "HEADER a b",
		"BODY x", "TEXT x", "SENTON 1-Jan-2000",
		"SENTBEFORE 1-Jan-2000", "SENTSINCE 1-Jan-2000",
		"NOT BODY x", "OR SEEN (TEXT x)",
	};
	for (size_t i = 0; i < sizeof(content_keys) / sizeof(*content_keys);
	    i++) {
		ok(parse_q(content_keys[i], &q) == 0 &&
		    imap_search_needs_content(q), "%s needs content",
		    content_keys[i]);
		imap_search_free(&q);
	}
	ok(parse_q("NOT MODSEQ 5", &q) == 0 && imap_search_has_modseq(q),
	    "MODSEQ is noticed");
	imap_search_free(&q);
	imap_search_free(&q);
	ok(q == NULL, "free of NULL");

	/* content is loaded only when a key wants it, once per match */
	for (int i = 0; i < 3; i++)
		contents[i].calls = 0;
	run("SEEN");
	ok(contents[0].calls == 0 && contents[1].calls == 0,
	    "flag keys do not load content");
	run("FROM a TO b SUBJECT c BODY d");
	ok(contents[2].calls == 1, "an unreadable message is asked once");
	contents[1].calls = 0;
	run("SEEN FROM alice");
	ok(contents[1].calls == 0,
	    "AND stops at the first false key");

	/* prepare again with other maxima */
	ok(parse_q("* UID 25:*", &q) == 0, "parse for prepare");
	imap_search_prepare(q, 3, 30, NULL);
	ok(imap_search_match(q, &msgs[2]) && !imap_search_match(q, &msgs[1]),
	    "first prepare: * is 3 and 30");
	imap_search_prepare(q, 2, 20, NULL);
	ok(imap_search_match(q, &msgs[1]) && !imap_search_match(q, &msgs[2]),
	    "second prepare: * is 2 and 20:25");
	imap_search_free(&q);
}

static void
test_invalid(void)
{
	struct str s = STR_INIT;
	struct imap_search *q;

	rejects("", "Missing search key");
	rejects("()", "Missing search key");
	rejects("FOO", "Unknown search key FOO");
	rejects("SEEN FOO", "Unknown");
	rejects("\"SEEN\"", "Invalid search key");
	rejects("{4}\r\nSEEN", "Invalid search key");
	rejects("FROM", "Missing argument to FROM");
	rejects("FROM (a)", "Invalid argument to FROM");
	rejects("HEADER", "Missing argument to HEADER");
	rejects("HEADER X", "Missing argument to HEADER");
	rejects("HEADER \"\" x", "Invalid argument to HEADER");
	rejects("HEADER (a) x", "Invalid argument to HEADER");
	rejects("BEFORE", "Missing argument to BEFORE");
	rejects("BEFORE 1-Foo-2000", "Invalid argument to BEFORE");
	rejects("ON 32-Jan-2000", "Invalid argument to ON");
	rejects("ON 0-Jan-2000", "Invalid argument to ON");
	rejects("ON 31-Apr-2000", "Invalid argument to ON");
	rejects("SINCE 29-Feb-2001", "Invalid argument to SINCE");
	rejects("SINCE 29-Feb-1900", "Invalid argument to SINCE");
	rejects("SENTON 1-Jan-99", "Invalid argument to SENTON");
	rejects("SENTON 1-Jan-2000x", "Invalid argument to SENTON");
	rejects("SENTON 123-Jan-2000", "Invalid argument to SENTON");
	rejects("SENTON 1/Jan/2000", "Invalid argument to SENTON");
	rejects("SENTSINCE (1-Jan-2000)", "Invalid argument to SENTSINCE");
	rejects("SENTBEFORE", "Missing argument to SENTBEFORE");
	rejects("LARGER", "Missing argument to LARGER");
	rejects("LARGER x", "Invalid argument to LARGER");
	rejects("LARGER -1", "Invalid argument to LARGER");
	rejects("SMALLER 18446744073709551616", "Invalid argument to SMALLER");
	rejects("SMALLER \"5\"", "Invalid argument to SMALLER");
	rejects("UID", "Missing argument to UID");
	rejects("UID 0", "Invalid sequence set");
	rejects("UID x", "Invalid sequence set");
	rejects("UID (1)", "Invalid sequence set");
	rejects("UID \"1\"", "Invalid sequence set");
	rejects("0", "Invalid sequence set");
	rejects("1:", "Invalid sequence set");
	rejects("1,,2", "Invalid sequence set");
	rejects("4294967296", "Invalid sequence set");
	rejects("KEYWORD", "Missing argument to KEYWORD");
	rejects("KEYWORD (a)", "Invalid argument to KEYWORD");
	rejects("UNKEYWORD \"a\"", "Invalid argument to UNKEYWORD");
	rejects("NOT", "Missing argument to NOT");
	rejects("NOT FOO", "Unknown");
	rejects("OR", "Missing argument to OR");
	rejects("OR SEEN", "Missing argument to OR");
	rejects("OR SEEN FOO", "Unknown");
	rejects("OR FOO SEEN", "Unknown");
	rejects("(SEEN FOO)", "Unknown");
	rejects("MODSEQ", "Missing argument to MODSEQ");
	rejects("MODSEQ x", "Invalid MODSEQ value");
	rejects("MODSEQ -1", "Invalid MODSEQ value");
	rejects("MODSEQ 9223372036854775808", "Invalid MODSEQ value");
	rejects("MODSEQ \"/flags/x\"", "Invalid MODSEQ entry type");
	rejects("MODSEQ \"/flags/x\" bogus 5", "Invalid MODSEQ entry type");
	rejects("MODSEQ \"/flags/x\" all", "Missing argument to MODSEQ");
	rejects("SUBJECT", "Missing argument to SUBJECT");
	rejects("BODY", "Missing argument to BODY");
	rejects("TEXT", "Missing argument to TEXT");

	/* nesting: NOT, OR and lists all count */
	str_clear(&s);
	for (int i = 0; i < DEPTH - 1; i++)
		str_cats(&s, "NOT ");
	str_cats(&s, "SEEN");
	is_str(run(s.s), (DEPTH - 1) % 2 ? "2" : "1 3",
	    "%d NOTs are fine", DEPTH - 1);
	str_clear(&s);
	for (int i = 0; i < 10000; i++)
		str_cats(&s, "NOT ");
	str_cats(&s, "SEEN");
	rejects(s.s, "too deeply nested");
	str_clear(&s);
	for (int i = 0; i < 5000; i++)
		str_cats(&s, "OR SEEN ");
	str_cats(&s, "SEEN");
	rejects(s.s, "too deeply nested");
	str_clear(&s);
	for (int i = 0; i < 100; i++)
		str_catc(&s, '(');
	str_cats(&s, "SEEN");
	for (int i = 0; i < 100; i++)
		str_catc(&s, ')');
	rejects(s.s, "too deeply nested");
	str_clear(&s);
	for (int i = 0; i < 40; i++)
		str_cats(&s, "(NOT ");
	str_cats(&s, "SEEN");
	for (int i = 0; i < 40; i++)
		str_catc(&s, ')');
	rejects(s.s, "too deeply nested");
	/* depth from the caller */
	ok(parse_q("NOT SEEN", &q) == 0, "parse at default depth");
	imap_search_free(&q);
	ok(imap_cmd_parse("a S NOT NOT SEEN\r\n", 18, &cmd, &lim, &err) ==
	    IMAP_READ_OK && imap_search_parse(cmd.args, cmd.nargs, 2, &q,
	    &err) < 0 && q == NULL, "depth_max 2 refuses NOT NOT SEEN");
	str_free(&s);
}

/* random key lists: parse never crashes, evaluation neither */
static void
test_fuzz(void)
{
	static const char *words[] = {
		"ALL", "SEEN", "NOT", "OR", "(", ")", "FROM", "x", "\"\"",
		"HEADER", "1:*", "UID", "$", "BEFORE", "1-Jan-2000", "LARGER",
		"5", "MODSEQ", "\"/flags/x\"", "all", "KEYWORD", "TEXT",
		"SENTON", "BODY", "NEW", "*", "3,1", "{1}\r\nx", "NIL",
	};
	int fails = 0, parsed = 0;

	srand(99);
	for (int i = 0; i < 3000; i++) {
		struct str s = STR_INIT;
		struct imap_search *q;
		int n = 1 + rand() % 12;

		for (int k = 0; k < n; k++) {
			if (k)
				str_catc(&s, ' ');
			str_cats(&s, words[rand() % (int)(sizeof(words) /
			    sizeof(*words))]);
		}
		if (parse_q(s.s, &q) == 0) {
			parsed++;
			imap_search_prepare(q, 3, 30, &saved);
			for (int m = 0; m < 3; m++)
				(void)imap_search_match(q, &msgs[m]);
			imap_search_free(&q);
		} else if (q != NULL || err.len == 0)
			fails++;
		str_free(&s);
	}
	ok(fails == 0, "3000 random key lists (%d valid): no crash", parsed);
}

/* cached_field - a header callback answering Subject and Date only,
 * as imapd's parse cache does for its fields. */
static int
cached_field(void *ctx, const char *name, struct str *out)
{
	(void)ctx;
	if (strcasecmp(name, "Subject") == 0) {
		str_cats(out, "from the cache");
		return 1;
	}
	if (strcasecmp(name, "Date") == 0)
		return 0;
	return -1;
}

/* test_header_callback - cached fields are used without loading the
 * message; other fields still come from the content. */
static void
test_header_callback(void)
{
	int before = contents[0].calls;

	msgs[0].header = cached_field;
	T("SUBJECT cache", "1");
	is_int(contents[0].calls, before, "cached field: content not loaded");
	T("SENTSINCE 1-Jan-1970", "2");
	is_int(contents[0].calls, before, "absent cached Date: not loaded");
	T("HEADER X-Unknown \"\"", "");
	ok(contents[0].calls > before,
	    "a field the cache lacks comes from the content");
	msgs[0].header = NULL;
}

/* test_key_limit - a search may hold IMAP_SEARCH_KEYS_MAX keys. */
static void
test_key_limit(void)
{
	struct str q = STR_INIT;
	int i;

	for (i = 0; i < IMAP_SEARCH_KEYS_MAX; i++)
		str_cats(&q, i ? " SEEN" : "SEEN");
	T(q.s, "1 3");
	str_cats(&q, " SEEN");
	rejects(q.s, "More than 1000 search keys");
	str_free(&q);
}

int
main(void)
{
	setenv("TZ", "XXX-2", 1);	/* local time is UTC+2 */
	tzset();
	imap_cmd_init(&cmd);
	setup();
	test_keys();
	test_props();
	test_invalid();
	test_fuzz();
	test_header_callback();
	test_key_limit();
	for (int i = 0; i < 3; i++)
		mime_free(&contents[i].m);
	imap_seqset_free(&saved);
	imap_cmd_free(&cmd);
	str_free(&err);
	str_free(&res);
	return done_testing();
}
