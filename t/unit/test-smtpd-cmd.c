/* test-smtpd-cmd - the SMTP command parser (lib/mail/smtpcmd). */
#include <string.h>

#include "smtpcmd.h"
#include "tap.h"

#define E SMTPCMD_ESMTP

static struct smtpcmd c;

/* parse - the reply code of a refused line, or 0 when it parsed. */
static int
parse(const char *line, unsigned flags)
{
	if (smtpcmd_parse(line, strlen(line), flags, &c) == 0)
		return 0;
	return atoi(c.reply.s);
}

int
main(void)
{
	static const struct {
		const char *line;
		enum smtpcmd_verb verb;
	} verbs[] = {
		{ "EHLO client.example", SMTPCMD_EHLO },
		{ "helo client.example", SMTPCMD_HELO },
		{ "MAIL FROM:<a@b.example>", SMTPCMD_MAIL },
		{ "rcpt to:<a@b.example>", SMTPCMD_RCPT },
		{ "DATA", SMTPCMD_DATA }, { "data", SMTPCMD_DATA },
		{ "BDAT 10", SMTPCMD_BDAT }, { "RSET", SMTPCMD_RSET },
		{ "NOOP", SMTPCMD_NOOP }, { "NoOp anything", SMTPCMD_NOOP },
		{ "QUIT", SMTPCMD_QUIT }, { "HELP", SMTPCMD_HELP },
		{ "HELP MAIL", SMTPCMD_HELP }, { "VRFY user", SMTPCMD_VRFY },
		{ "EXPN list", SMTPCMD_EXPN },
		{ "STARTTLS", SMTPCMD_STARTTLS },
		{ "starttls", SMTPCMD_STARTTLS },
	};
	char big[2048];
	size_t i;

	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
		is_int(parse(verbs[i].line, E), 0, "%s parses", verbs[i].line);
		is_int(c.verb, verbs[i].verb, "%s verb", verbs[i].line);
	}
	is_int(parse("FOO bar", E), 500, "unknown verb 500");
	ok(strncmp(c.reply.s, "500 5.5.2 ", 10) == 0, "unknown: 5.5.2");
	is_int(parse("", E), 500, "empty line 500");
	is_int(parse("MAILX FROM:<a@b>", E), 500, "longer verb unknown");
	is_int(parse("EHLO", E), 501, "EHLO without name");
	is_int(parse("HELO ", E), 501, "HELO with empty name");
	parse("EHLO host.example extra", E);
	is_str(c.arg.s, "host.example", "EHLO keeps the first word");
	is_int(parse("DATA x", E), 501, "DATA with argument");
	is_int(parse("QUIT now", E), 501, "QUIT with argument");
	is_int(parse("STARTTLS now", E), 501, "STARTTLS with argument");
	is_int(parse("STARTTLSX", E), 500, "longer than STARTTLS: unknown");
	is_int(parse("START", E), 500, "prefix of STARTTLS: unknown");
	is_int(parse("RSET ", E), 0, "RSET with trailing blank");
	is_int(parse("VRFY", E), 501, "VRFY without argument");
	is_int(parse("EXPN", E), 501, "EXPN without argument");

	/* MAIL */
	is_int(parse("MAIL FROM:<>", E), 0, "null sender");
	is_str(c.addr.s, "", "null sender is empty");
	is_int(parse("MAIL FROM: <a@b.example>", E), 0, "space after colon");
	is_str(c.addr.s, "a@b.example", "address kept");
	is_int(parse("mail from:<A@B.example>", E), 0, "case-insensitive");
	is_int(parse("MAIL FROM:a@b.example", E), 501, "no brackets");
	ok(strncmp(c.reply.s, "501 5.1.7 ", 10) == 0, "bad sender 5.1.7");
	is_int(parse("MAIL TO:<a@b.example>", E), 501, "MAIL TO:");
	is_int(parse("MAIL", E), 501, "MAIL alone");
	is_int(parse("MAIL FROM:<a@b.example>x", E), 501, "junk after path");
	is_int(parse("MAIL FROM:<@r.example:a@b.example>", E), 0,
	    "source route");
	is_str(c.addr.s, "a@b.example", "source route dropped");
	is_int(parse("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME", E),
	    0, "SIZE and BODY");
	ok(c.has_size && c.size == 1000, "SIZE value");
	is_int(c.body, SMTPCMD_BODY_8BITMIME, "BODY=8BITMIME");
	is_str(c.params.s, "SIZE=1000 BODY=8BITMIME", "params normalised");
	is_int(parse("MAIL FROM:<a@b.example> size=5 body=7bit", E), 0,
	    "parameter keywords any case");
	is_str(c.params.s, "SIZE=5 BODY=7bit", "keyword upper-cased");
	is_int(parse("MAIL FROM:<a@b.example> SIZE=99999999999999999999999",
	    E), 501, "SIZE with too many digits");
	is_int(parse("MAIL FROM:<a@b.example> SIZE=99999999999999999999",
	    E), 0, "SIZE of 20 digits saturates");
	ok(c.size >= 1000000000000000000ULL, "saturated SIZE is huge");
	is_int(parse("MAIL FROM:<a@b.example> SIZE=12a", E), 501,
	    "SIZE not a number");
	is_int(parse("MAIL FROM:<a@b.example> SIZE", E), 501,
	    "SIZE without value");
	is_int(parse("MAIL FROM:<a@b.example> BODY=BINARYMIME", E), 555,
	    "BINARYMIME unsupported");
	is_int(parse("MAIL FROM:<a@b.example> FOO=bar", E), 555,
	    "unknown parameter 555");
	ok(strncmp(c.reply.s, "555 5.5.4 ", 10) == 0, "555 5.5.4");
	is_int(parse("MAIL FROM:<a@b.example> SIZE=1", 0), 555,
	    "parameters need EHLO");
	is_int(parse("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", E), 501,
	    "duplicate parameter");
	is_int(parse("MAIL FROM:<a@b.example> SMTPUTF8", E), 0, "SMTPUTF8");
	ok(c.smtputf8, "SMTPUTF8 flag");
	is_int(parse("MAIL FROM:<a@b.example> SMTPUTF8=yes", E), 501,
	    "SMTPUTF8 takes no value");
	is_int(parse("MAIL FROM:<j\xc3\xb6rg@b.example>", E), 553,
	    "UTF-8 sender without SMTPUTF8");
	is_int(parse("MAIL FROM:<j\xc3\xb6rg@b.example> SMTPUTF8", E), 0,
	    "UTF-8 sender with SMTPUTF8");
	is_int(parse("MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ314159", E),
	    0, "RET and ENVID");
	is_int(c.ret, 'H', "RET=HDRS");
	is_int(parse("MAIL FROM:<a@b.example> RET=ALL", E), 501, "bad RET");
	is_int(parse("MAIL FROM:<a@b.example> ENVID=a+2Bb", E), 0,
	    "ENVID xtext hexchar");
	is_int(parse("MAIL FROM:<a@b.example> ENVID=a+2bb", E), 501,
	    "ENVID lower-case hexchar");
	is_int(parse("MAIL FROM:<a@b.example> ENVID=a+2", E), 501,
	    "ENVID short hexchar");
	memset(big, 'x', 101);
	memcpy(big, "MAIL FROM:<a@b.example> ENVID=", 30);
	memset(big + 30, 'x', 101);
	big[131] = '\0';
	is_int(parse(big, E), 501, "ENVID over 100 characters");
	is_int(parse("MAIL FROM:<a@b.example>  SIZE=1", E), 0,
	    "two blanks before a parameter");

	/* RCPT */
	is_int(parse("RCPT TO:<u@d.example>", E), 0, "RCPT");
	is_int(parse("RCPT TO:<>", E), 501, "null recipient");
	ok(strncmp(c.reply.s, "501 5.1.3 ", 10) == 0, "bad rcpt 5.1.3");
	is_int(parse("RCPT TO:<Postmaster>", E), 0, "<Postmaster>");
	is_str(c.addr.s, "Postmaster", "postmaster kept as written");
	is_int(parse("RCPT FROM:<u@d.example>", E), 501, "RCPT FROM:");
	is_int(parse("RCPT TO:<u@d.example> NOTIFY=SUCCESS,FAILURE", E), 0,
	    "NOTIFY list");
	is_int(c.notify, SMTPCMD_NOTIFY_SUCCESS | SMTPCMD_NOTIFY_FAILURE,
	    "NOTIFY bits");
	is_int(parse("RCPT TO:<u@d.example> NOTIFY=never", E), 0,
	    "NOTIFY=NEVER");
	is_int(parse("RCPT TO:<u@d.example> NOTIFY=NEVER,DELAY", E), 501,
	    "NEVER with others");
	is_int(parse("RCPT TO:<u@d.example> NOTIFY=DELAY,DELAY", E), 501,
	    "NOTIFY repeated");
	is_int(parse("RCPT TO:<u@d.example> NOTIFY=", E), 501,
	    "NOTIFY empty");
	is_int(parse("RCPT TO:<u@d.example> ORCPT=rfc822;u+40d.example", E),
	    0, "ORCPT");
	is_str(c.params.s, "ORCPT=rfc822;u+40d.example", "ORCPT kept");
	is_int(parse("RCPT TO:<u@d.example> ORCPT=rfc822", E), 501,
	    "ORCPT without ;");
	is_int(parse("RCPT TO:<u@d.example> ORCPT=;u", E), 501,
	    "ORCPT without type");
	is_int(parse("RCPT TO:<u@d.example> ORCPT=rfc822;u=v", E), 501,
	    "ORCPT bad xtext");
	is_int(parse("RCPT TO:<u@d.example> SIZE=1", E), 555,
	    "MAIL parameter on RCPT");
	is_int(parse("RCPT TO:<j\xc3\xb6rg@d.example>", E), 553,
	    "UTF-8 recipient outside SMTPUTF8");
	is_int(parse("RCPT TO:<j\xc3\xb6rg@d.example>", E | SMTPCMD_UTF8), 0,
	    "UTF-8 recipient in SMTPUTF8 transaction");

	/* BDAT */
	is_int(parse("BDAT 0 LAST", E), 0, "BDAT 0 LAST");
	ok(c.chunk == 0 && c.last, "BDAT 0 LAST values");
	is_int(parse("bdat 12345 last", E), 0, "bdat lower case");
	ok(c.chunk == 12345 && c.last, "BDAT values");
	is_int(parse("BDAT 5", E), 0, "BDAT without LAST");
	ok(!c.last, "not last");
	is_int(parse("BDAT", E), 501, "BDAT without size");
	is_int(parse("BDAT x", E), 501, "BDAT bad size");
	is_int(parse("BDAT 5 FIRST", E), 501, "BDAT bad keyword");
	is_int(parse("BDAT 1234567890123456789", E), 501, "BDAT huge");

	/* overlong input is the session's business, but must not upset
	 * the parser */
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "RCPT TO:<", 9);
	is_int(parse(big, E), 501, "overlong path refused");
	smtpcmd_free(&c);
	return done_testing();
}
