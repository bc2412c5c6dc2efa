/* test-aliases - the aliases(5) and virtual parsers and compiler. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "aliases.h"
#include "table.h"
#include "tap.h"

static char dir[] = "/tmp/test-aliases.XXXXXX";
static struct str err, src, db;

static void
write_src(const char *text, size_t len)
{
	int fd;

	str_copyf(&src, "%s/aliases", dir);
	str_copyf(&db, "%s/aliases.db", dir);
	unlink(db.s);
	fd = open(src.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		bail("write source");
	close(fd);
}

/* compile - text as a file of kind: the compiler's result. */
static int
compile(const char *text, enum aliases_kind kind, size_t *n)
{
	write_src(text, strlen(text));
	str_clear(&err);
	return aliases_compile(src.s, kind, n, &err);
}

/* lookup - the compiled value of key, or "(none)". */
static const char *
lookup(const char *key)
{
	static struct str val;
	struct table *t = table_open(db.s);
	int rc = table_get(t, key, &val, &err);

	table_close(&t);
	if (rc != 1)
		str_copys(&val, "(none)");
	return val.s;
}

static void
bad(const char *text, enum aliases_kind kind, const char *want,
    const char *name)
{
	size_t n = 99;
	struct stat st;

	ok(compile(text, kind, &n) < 0, "refused: %s", name);
	ok(strstr(str_cstr(&err), want) != NULL, "  says '%s': %s", want,
	    str_cstr(&err));
	ok(strncmp(str_cstr(&err), src.s, src.len) == 0,
	    "  names the file");
	ok(stat(db.s, &st) < 0 && n == 0, "  nothing written");
}

static void
good_local(void)
{
	size_t n;

	is_int(compile(
	    "# the system aliases\n"
	    "postmaster: root\n"
	    "\n"
	    "Root: alice, bob@example.test,\n"
	    "  carol,\n"
	    "# a comment inside an entry\n"
	    "\tdave ,\n"
	    "list: :include:/etc/mail/list, \"|/usr/bin/prog -a, b\" ,"
	    " /var/log/mail.log\n"
	    "prog: |/bin/cat\n"
	    "prog2: |/usr/bin/procmail -a x\n"
	    "crlf: x\r\n"
	    "\"quoted name\": y\n"
	    "q: \"john doe\"@example.test, \"|a\"\n"
	    "trail: a,\n",
	    ALIASES_LOCAL, &n), 0, "good aliases file: %s", str_cstr(&err));
	is_int((int)n, 9, "nine entries");
	is_str(lookup("postmaster"), "root", "postmaster");
	is_str(lookup("root"), "alice\nbob@example.test\ncarol\ndave",
	    "continuations, lowercased name");
	is_str(lookup("list"), ":include:/etc/mail/list\n"
	    "|/usr/bin/prog -a, b\n/var/log/mail.log",
	    "include, quoted command with a comma, file");
	is_str(lookup("prog"), "|/bin/cat", "unquoted command");
	is_str(lookup("prog2"), "|/usr/bin/procmail -a x",
	    "unquoted command with blanks");
	is_str(lookup("crlf"), "x", "CRLF line");
	is_str(lookup("quoted name"), "y", "quoted name");
	is_str(lookup("q"), "\"john doe\"@example.test\n|a",
	    "quoted local part kept, quoted command unquoted");
	is_str(lookup("trail"), "a", "trailing comma");
	is_str(lookup("nosuch"), "(none)", "unknown name");

	is_int(compile("", ALIASES_LOCAL, &n), 0, "empty file");
	is_int((int)n, 0, "no entries");
	is_int(compile("# only\n   \n#comments", ALIASES_LOCAL, &n), 0,
	    "only comments");

	/* Deep continuation: many short lines make one entry. */
	{
		struct str t = STR_INIT, want = STR_INIT;

		str_copys(&t, "big: a0");
		str_copys(&want, "a0");
		for (int i = 1; i < 5000; i++) {
			str_catf(&t, ",\n a%d", i);
			str_catf(&want, "\na%d", i);
		}
		str_catc(&t, '\n');
		is_int(compile(t.s, ALIASES_LOCAL, &n), 0,
		    "5000 continuation lines");
		is_str(lookup("big"), want.s, "all 5000 targets");
		str_free(&t);
		str_free(&want);
	}
}

static void
errors(void)
{
	struct str t = STR_INIT;
	size_t n;

	bad("a b\n", ALIASES_LOCAL, ":1: expected", "no colon");
	bad("ok: x\n: y\n", ALIASES_LOCAL, ":2: empty name", "empty name");
	bad("a:\n", ALIASES_LOCAL, ":1: 'a' has no targets", "no targets");
	bad("a: , ,\n", ALIASES_LOCAL, "no targets", "only commas");
	bad("a: \"|cmd\n", ALIASES_LOCAL, "unterminated quote",
	    "unterminated quote");
	bad("a: \"|cmd\"x\n", ALIASES_LOCAL, "after a closing quote",
	    "junk after quote");
	bad("  x\n", ALIASES_LOCAL, ":1: continuation line without",
	    "continuation first");
	bad("a: x\nb: y\nA: z\n", ALIASES_LOCAL,
	    ":3: duplicate alias 'a' (first at line 1)", "duplicate");
	bad("a: :include:etc/list\n", ALIASES_LOCAL, "absolute path",
	    "relative include");
	bad("a: |\n", ALIASES_LOCAL, "without a command", "empty command");
	bad("a: \"|  \"\n", ALIASES_LOCAL, "without a command",
	    "blank command");
	bad("a: b c\n", ALIASES_LOCAL, "not an address", "blank in address");
	bad("a: <b@c>\n", ALIASES_LOCAL, "not an address", "brackets");
	bad("a: b@\n", ALIASES_LOCAL, "not an address", "empty domain");
	bad("a: @b\n", ALIASES_LOCAL, "not an address", "empty local part");
	bad("a: x\nb: y\x01z\n", ALIASES_LOCAL, ":2:", "control byte");
	bad("a,b: x\n", ALIASES_LOCAL, "bad character", "comma in name");
	bad("\"a: x\n", ALIASES_LOCAL, "unterminated quote in the name",
	    "quoted name unterminated");
	{
		static const char nul[] = "a: x\nb: y\0z\n";

		write_src(nul, sizeof nul - 1);
		ok(aliases_compile(src.s, ALIASES_LOCAL, &n, &err) < 0 &&
		    strstr(err.s, ":2: NUL byte") != NULL, "NUL byte: %s",
		    str_cstr(&err));
	}
	/* Oversized: one physical line, and one entry made of lines. */
	str_copys(&t, "ok: x\nlong: ");
	for (int i = 0; i < 70000; i++)
		str_catc(&t, 'a');
	str_catc(&t, '\n');
	bad(t.s, ALIASES_LOCAL, ":2: line longer than", "over-long line");
	str_copys(&t, "huge: a");
	for (int i = 0; i < 20000; i++)
		str_cats(&t, ",\n bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	bad(t.s, ALIASES_LOCAL, ":1: entry longer than", "over-long entry");
	str_copys(&t, "x: y\n");
	str_cats(&t, "n");
	for (int i = 0; i < 300; i++)
		str_catc(&t, 'n');
	str_cats(&t, ": z\n");
	bad(t.s, ALIASES_LOCAL, ":2: name longer than", "over-long name");

	str_copyf(&t, "%s/none", dir);
	ok(aliases_compile(t.s, ALIASES_LOCAL, &n, &err) < 0 &&
	    strstr(err.s, "No such file") != NULL, "missing file: %s",
	    str_cstr(&err));
	ok(aliases_compile(dir, ALIASES_LOCAL, &n, &err) < 0 &&
	    strstr(err.s, "not a regular file") != NULL, "a directory: %s",
	    str_cstr(&err));

	/* A failed rebuild keeps the old table. */
	is_int(compile("a: one\n", ALIASES_LOCAL, &n), 0, "compile");
	{
		int fd = open(src.s, O_WRONLY | O_TRUNC);

		ok(fd >= 0 && write(fd, "a: two\na: three\n", 16) == 16,
		    "edit the source");
		close(fd);
	}
	ok(aliases_compile(src.s, ALIASES_LOCAL, &n, &err) < 0, "bad edit");
	is_str(lookup("a"), "one", "old table kept after a failed build");
	str_free(&t);
}

static void
virtual(void)
{
	size_t n;

	is_int(compile(
	    "# virtual\n"
	    "info@Example.TEST   alice@example.test, bob@example.test\n"
	    "sales@example.test  carol@elsewhere.example dave\n"
	    "@catch.example      catcher@example.test\n"
	    "other.example       anything\n"
	    "x@other.example     y@z.example\n"
	    "multi@example.test  a@b.example,\n"
	    "    c@d.example\n",
	    ALIASES_VIRTUAL, &n), 0, "virtual file: %s", str_cstr(&err));
	is_int((int)n, 6, "six entries");
	is_str(lookup("info@example.test"),
	    "alice@example.test\nbob@example.test", "lowercased key");
	is_str(lookup("sales@example.test"),
	    "carol@elsewhere.example\ndave", "blank-separated targets");
	is_str(lookup("@catch.example"), "catcher@example.test", "catch-all");
	is_str(lookup("multi@example.test"), "a@b.example\nc@d.example",
	    "continuation");
	is_str(lookup("example.test"), "", "implicit domain entry");
	is_str(lookup("catch.example"), "", "catch-all's domain");
	is_str(lookup("other.example"), "anything",
	    "explicit domain line kept");

	bad("a@b.example |cmd\n", ALIASES_VIRTUAL, "addresses only",
	    "command in virtual");
	bad("a@b.example /file\n", ALIASES_VIRTUAL, "addresses only",
	    "file in virtual");
	bad("a@b.example :include:/x\n", ALIASES_VIRTUAL, "addresses only",
	    "include in virtual");
	bad("a@b.example\n", ALIASES_VIRTUAL, "no targets", "no targets");
	bad("a@b.example x\nA@B.example y\n", ALIASES_VIRTUAL,
	    ":2: duplicate address 'a@b.example' (first at line 1)",
	    "duplicate address");
}

static void
parse_targets(void)
{
	struct str lines = STR_INIT;

	is_int(aliases_parse_targets("# members\nalice, bob\n\n"
	    "  carol@example.test\n\"|/bin/x a, b\"\n/var/f\n", &lines,
	    &err), 0, "include text");
	is_str(lines.s, "alice\nbob\ncarol@example.test\n|/bin/x a, b\n"
	    "/var/f\n", "include targets");
	ok(aliases_parse_targets("a, \"b\n", &lines, &err) < 0,
	    "quote across a line refused");
	ok(aliases_parse_targets("a b\n", &lines, &err) < 0,
	    "blank in an address refused");
	is_int(aliases_parse_targets("", &lines, &err), 0, "empty include");
	is_int((int)lines.len, 0, "no targets");
	str_free(&lines);
}

/* hostile - random text from the parser's special bytes: every input
 * is either compiled or refused with "file:line: reason", never more. */
static void
hostile(void)
{
	static const char alpha[] = ":,\"\n \t|/#a@b:include:\r.\x01\xff";
	struct str t = STR_INIT, lines = STR_INIT;
	int bad = 0, compiled = 0;
	size_t n;

	srandom(4242);
	for (int round = 0; round < 400; round++) {
		size_t len = (size_t)(random() % 200);
		enum aliases_kind kind = round % 2 ? ALIASES_VIRTUAL :
		    ALIASES_LOCAL;
		struct stat st;

		str_clear(&t);
		for (size_t i = 0; i < len; i++)
			str_catc(&t, alpha[random() % (sizeof alpha - 1)]);
		write_src(t.s ? t.s : "", t.len);
		if (aliases_compile(src.s, kind, &n, &err) == 0) {
			compiled++;
			if (stat(db.s, &st) < 0)
				bad++;
		} else if (strncmp(str_cstr(&err), src.s, src.len) != 0 ||
		    stat(db.s, &st) == 0)
			bad++;
		(void)aliases_parse_targets(str_cstr(&t), &lines, &err);
	}
	is_int(bad, 0, "400 random files: compiled or refused cleanly");
	ok(compiled > 0, "some random files compile (%d)", compiled);
	str_free(&t);
	str_free(&lines);
}

int
main(void)
{

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	good_local();
	errors();
	virtual();
	parse_targets();
	hostile();
	tap_rmtree(dir);
	str_free(&err);
	str_free(&src);
	str_free(&db);
	return done_testing();
}
