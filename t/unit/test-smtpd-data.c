/*
 * test-smtpd-data - the DATA/BDAT decoder (lib/mail/smtpdata): exact
 * dot-unstuffing, <CRLF>.<CRLF> as the only end, every smuggling
 * variant, bare CR/LF; each case fed in one block and a byte at a time;
 * BDAT chunks read in pieces (smtpdata_chunk).
 */
#include <string.h>
#include <unistd.h>

#include "smtpdata.h"
#include "tap.h"

#define B SMTPDATA_BARE
#define L SMTPDATA_LONG

struct result {
	struct str out;
	size_t used;
	unsigned flags;
	bool done;
};

static void
run(const char *in, size_t n, bool dot, bool norm, size_t max, size_t step,
    struct result *r)
{
	struct smtpdata d;
	size_t i = 0;

	str_clear(&r->out);
	smtpdata_init(&d, dot, norm, max);
	while (i < n && !d.done) {
		size_t k = n - i < step ? n - i : step;

		i += smtpdata_feed(&d, in + i, k, &r->out);
	}
	if (!dot)
		smtpdata_finish(&d, &r->out);
	r->used = i;
	r->flags = d.flags;
	r->done = d.done;
}

/* check - in (n bytes) must give out, flags, and end after used bytes
 * (0: must not end), both in one block and byte by byte. */
static void
check(const char *name, const char *in, size_t n, bool dot, bool norm,
    const char *out, size_t outlen, unsigned flags, size_t used)
{
	struct result a = { STR_INIT, 0, 0, false };
	struct result b = { STR_INIT, 0, 0, false };

	run(in, n, dot, norm, 1000, n ? n : 1, &a);
	run(in, n, dot, norm, 1000, 1, &b);
	is_mem(a.out.s ? a.out.s : "", a.out.len, out, outlen,
	    "%s: content", name);
	is_int(a.flags, flags, "%s: flags", name);
	if (used)
		ok(a.done && a.used == used, "%s: ends after %zu bytes", name,
		    used);
	else
		ok(!a.done, "%s: does not end", name);
	ok(a.out.len == b.out.len && memcmp(a.out.s ? a.out.s : "",
	    b.out.s ? b.out.s : "", a.out.len) == 0 &&
	    a.flags == b.flags && a.done == b.done && a.used == b.used,
	    "%s: same result byte by byte", name);
	str_free(&a.out);
	str_free(&b.out);
}

#define CHECK(name, in, dot, norm, out, flags, used) \
	check(name, in, sizeof in - 1, dot, norm, out, sizeof out - 1, \
	    flags, used)

/* collect - a take callback that records each piece it is given. */
static size_t
collect(void *arg, const char *p, size_t n)
{
	struct str *s = arg;

	str_catf(s, "[%zu]", n);
	str_catb(s, p, n);
	return n;
}

/* chunks - BDAT chunks read in pieces, taken or dropped, and the next
 * command still in step behind them. */
static void
chunks(void)
{
	struct str got = STR_INIT, line = STR_INIT;
	struct buf b;
	int p[2];
	static const char in[] = "abcdefghijXYZnext\r\nQ";

	if (pipe(p) < 0)
		bail("pipe");
	if (write(p[1], in, sizeof in - 1) != sizeof in - 1)
		bail("write");
	close(p[1]);
	buf_init(&b, p[0], 0);
	is_int(smtpdata_chunk(&b, 10, 4, collect, &got), BUF_OK,
	    "chunk: read");
	is_str(got.s, "[4]abcd[4]efgh[2]ij", "chunk: in pieces of 4");
	str_clear(&got);
	is_int(smtpdata_chunk(&b, 3, 4, NULL, NULL), BUF_OK,
	    "chunk: a refused chunk is read all the same");
	is_int(buf_getline(&b, &line, 100), BUF_OK, "chunk: next line");
	is_str(line.s, "next\r\n", "chunk: the next command in step");
	ok(smtpdata_chunk(&b, 5, 4, collect, &got) != BUF_OK,
	    "chunk: the client went away mid-chunk");
	is_str(got.s, "", "chunk: a torn piece is not taken");
	buf_free(&b);
	close(p[0]);
	str_free(&got);
	str_free(&line);
}

int
main(void)
{
	char big[1100];
	struct smtpdata d;
	struct str out = STR_INIT;

	CHECK("empty message", ".\r\n", true, false, "", 0, 3);
	CHECK("simple", "a\r\nb\r\n.\r\n", true, false, "a\nb\n", 0, 9);
	CHECK("rest left for the next command", "a\r\n.\r\nQUIT\r\n", true,
	    false, "a\n", 0, 6);
	CHECK("dot-stuffed line", "..x\r\n.\r\n", true, false, ".x\n", 0, 8);
	CHECK("stuffed lone dot", "..\r\n.\r\n", true, false, ".\n", 0, 7);
	CHECK("dot mid-line kept", "a.b\r\n.\r\n", true, false, "a.b\n", 0,
	    8);
	CHECK("dot starting text", ".abc\r\n.\r\n", true, false, "abc\n", 0,
	    9);
	CHECK("three dots", "...\r\n.\r\n", true, false, "..\n", 0, 8);
	CHECK("no end yet", "a\r\nb\r\n", true, false, "a\nb\n", 0, 0);

	/* smuggling: none of these may end the data */
	CHECK("\\n.\\n", "a\n.\nMAIL FROM:<x@y>\r\n", true, false,
	    "a\n.\nMAIL FROM:<x@y>\n", B, 0);
	CHECK("\\n.\\r\\n", "a\n.\r\nMAIL FROM:<x@y>\r\n", true, false,
	    "a\n.\nMAIL FROM:<x@y>\n", B, 0);
	CHECK("\\r.\\r\\n", "a\r.\r\nMAIL FROM:<x@y>\r\n", true, false,
	    "a\n.\nMAIL FROM:<x@y>\n", B, 0);
	CHECK("\\r\\n.\\r", "a\r\n.\rMAIL FROM:<x@y>\r\n", true, false,
	    "a\n\nMAIL FROM:<x@y>\n", B, 0);
	CHECK("\\r\\n.\\n", "a\r\n.\nMAIL FROM:<x@y>\r\n", true, false,
	    "a\n\nMAIL FROM:<x@y>\n", B, 0);
	CHECK("\\r.\\r", "a\r.\rMAIL\r\n", true, false, "a\n.\nMAIL\n", B, 0);
	CHECK("\\r\\n\\0.\\r\\n", "a\r\n\0.\r\nMAIL\r\n", true, false,
	    "a\n\0.\nMAIL\n", 0, 0);
	CHECK("\\r\\n.\\0\\r\\n", "a\r\n.\0\r\nMAIL\r\n", true, false,
	    "a\n\0\nMAIL\n", 0, 0);
	CHECK("\\r\\n .\\r\\n", "a\r\n .\r\nMAIL\r\n", true, false,
	    "a\n .\nMAIL\n", 0, 0);
	/* a bare CR, then a real <CRLF>.<CRLF>: that one ends */
	CHECK("\\r\\r\\n.\\r\\n", "a\r\r\n.\r\n", true, false, "a\n\n", B,
	    7);
	CHECK("smuggled then real end", "a\n.\nMAIL\r\n.\r\n", true, false,
	    "a\n.\nMAIL\n", B, 13);

	/* normalize: bare ends become line ends, still never the end */
	CHECK("normalize bare LF", "a\nb\r\n.\r\n", true, true, "a\nb\n", 0,
	    8);
	CHECK("normalize bare CR", "a\rb\r\n.\r\n", true, true, "a\nb\n", 0,
	    8);
	CHECK("normalize \\n.\\n", "a\n.\nb\r\n", true, true, "a\n.\nb\n", 0,
	    0);
	CHECK("normalize \\n.\\r\\n", "a\n.\r\nb\r\n", true, true,
	    "a\n.\nb\n", 0, 0);
	CHECK("normalize \\r\\n.\\n", "a\r\n.\nb\r\n", true, true,
	    "a\n\nb\n", 0, 0);

	/* BDAT: no dot-stuffing, no end, same line-end rules */
	CHECK("BDAT raw", "a\r\n.\r\n..b\r\n", false, false,
	    "a\n.\n..b\n", 0, 0);
	CHECK("BDAT bare LF", "a\nb\r\n", false, false, "a\nb\n", B, 0);
	CHECK("BDAT trailing CR", "a\r", false, false, "a\n", B, 0);
	CHECK("BDAT CR LF split kept", "a\r\nb", false, false, "a\nb", 0, 0);

	/* line length: 998 + CRLF fits in 1000, 999 + CRLF does not */
	memset(big, 'x', sizeof big);
	memcpy(big + 998, "\r\n.\r\n", 5);
	smtpdata_init(&d, true, false, 1000);
	smtpdata_feed(&d, big, 1003, &out);
	ok(d.done && d.flags == 0, "998-octet line is fine");
	memset(big, 'x', sizeof big);
	memcpy(big + 999, "\r\n.\r\n", 5);
	smtpdata_init(&d, true, false, 1000);
	smtpdata_feed(&d, big, 1004, &out);
	ok(d.done && d.flags == L, "999-octet line is too long");
	is_int(d.octets, 1004, "octets counted");
	/* a chunk split between CR and LF is not a bare CR */
	str_clear(&out);
	smtpdata_init(&d, false, false, 1000);
	smtpdata_feed(&d, "a\r", 2, &out);
	smtpdata_feed(&d, "\nb", 2, &out);
	smtpdata_finish(&d, &out);
	ok(d.flags == 0 && out.len == 3, "CR|LF across BDAT chunks");
	/* the size counts line ends as CRLF, however they were split */
	{
		unsigned long long size = 0;

		str_clear(&out);
		smtpdata_init(&d, true, false, 1000);
		smtpdata_take(&d, "ab\r", 3, &out, &size);
		smtpdata_take(&d, "\n..c\r\n.\r\n", 10, &out, &size);
		is_str(out.s, "ab\n.c\n", "take: content");
		is_int((long long)size, 8, "take: size as SIZE measures it");
	}
	chunks();
	str_free(&out);
	return done_testing();
}
