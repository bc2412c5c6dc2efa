/* test-session - the command splitter shared by the line protocols. */
#include "session.h"
#include "tap.h"

int
main(void)
{
	struct str line = STR_INIT;
	const char *args;
	char verb[8];

	str_copys(&line, "ehlo client.example\r\n");
	ok(session_verb(&line, verb, sizeof verb, &args) == 0, "split");
	is_str(verb, "EHLO", "verb upper-cased");
	is_str(args, "client.example", "arguments after one space");
	str_copys(&line, "QUIT\n");
	ok(session_verb(&line, verb, sizeof verb, &args) == 0, "bare LF");
	is_str(args, "", "no arguments");
	str_copys(&line, "\r\n");
	ok(session_verb(&line, verb, sizeof verb, &args) < 0, "empty line");
	str_copys(&line, " NOOP\r\n");
	ok(session_verb(&line, verb, sizeof verb, &args) < 0,
	    "leading blank: no verb");
	str_copys(&line, "ABCDEFGHIJ x\r\n");
	ok(session_verb(&line, verb, sizeof verb, &args) < 0,
	    "verb longer than the buffer");
	str_copys(&line, "ABCDEFG x");
	ok(session_verb(&line, verb, sizeof verb, &args) == 0 &&
	    strcmp(verb, "ABCDEFG") == 0, "verb filling the buffer exactly");
	str_copyb(&line, "no\0p x\r\n", 8);
	ok(session_verb(&line, verb, sizeof verb, &args) == 0, "NUL in verb");
	str_free(&line);
	return done_testing();
}
