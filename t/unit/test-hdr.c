/*
 * test-hdr - the header field walker shared by cleanup, lmtpd and the
 * MIME parser (lib/mail/hdr): folding, CRLF and LF, lines that are not
 * fields, the end of the section, input without a final line end.
 */
#include <string.h>

#include "hdr.h"
#include "tap.h"

/* walk - the fields of s as "name|value|raw-length;" (value with line
 * ends shown as \n), "!" before a name without a colon. */
static const char *
walk(const char *s)
{
	static char out[1024];
	struct hdr_field f;
	size_t pos = 0, o = 0, i;

	out[0] = '\0';
	while (hdr_next(s, strlen(s), &pos, &f) && o < sizeof out - 64) {
		if (!f.colon)
			out[o++] = '!';
		memcpy(out + o, f.name, f.nlen);
		o += f.nlen;
		out[o++] = '|';
		for (i = 0; i < f.vlen; i++) {
			if (f.val[i] == '\n') {
				out[o++] = '\\';
				out[o++] = 'n';
			} else if (f.val[i] != '\r')
				out[o++] = f.val[i];
		}
		o += (size_t)snprintf(out + o, sizeof out - o, "|%zu;", f.rlen);
		if (hdr_is_end(&f))
			o += (size_t)snprintf(out + o, sizeof out - o, "END;");
	}
	out[o] = '\0';
	return out;
}

int
main(void)
{
	struct hdr_field f;
	size_t pos = 0;

	is_str(walk("A: 1\nB: 2\n"), "A| 1|5;B| 2|5;", "two fields");
	is_str(walk("Subject: a\n b\n\tc\nX: y\n"),
	    "Subject| a\\n b\\n\tc|17;X| y|5;", "folded lines stay folded");
	is_str(walk("A: 1\r\nB: 2\r\n"), "A| 1|6;B| 2|6;", "CRLF");
	is_str(walk("A  : 1\n"), "A| 1|7;", "blanks before the colon");
	is_str(walk("nocolon\nA: 1\n"), "!nocolon||8;A| 1|5;",
	    "a line without a colon");
	is_str(walk(" lead\nA: 1\n"), "! lead||6;A| 1|5;",
	    "a section that starts folded");
	is_str(walk("A\n b: 1\n"), "A\n b| 1|8;",
	    "the colon of a continuation line counts (the caller judges)");
	is_str(walk("A: 1\n\nbody\n"), "A| 1|5;!||1;END;!body||5;",
	    "the empty line that ends a section");
	is_str(walk("A: 1\r\n\r\n"), "A| 1|6;!||2;END;", "CRLF end");
	is_str(walk("A: 1"), "A| 1|4;", "no final line end");
	is_str(walk("A:"), "A||2;", "an empty value");
	is_str(walk(""), "", "an empty section");
	ok(hdr_next("A: 1\n", 5, &pos, &f) && pos == 5, "pos advances");
	ok(!hdr_next("A: 1\n", 5, &pos, &f), "false at the end");
	ok(hdr_name_is("Message-ID", 10, "message-id"), "names: any case");
	ok(!hdr_name_is("Message-IDs", 11, "message-id"), "names: whole");
	return done_testing();
}
