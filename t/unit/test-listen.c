/* test-listen - parsing listen values. */
#include "listen.h"
#include "tap.h"

static int
parse(const char *v, struct listen_spec *sp, size_t *n, struct str *err)
{
	str_clear(err);
	return listen_parse(v, sp, n, err);
}

int
main(void)
{
	struct listen_spec sp[LISTEN_MAX];
	struct str err = STR_INIT, out = STR_INIT;
	size_t n = 99;
	char many[LISTEN_MAX * 20 + 40] = "";
	int i;

	ok(parse("", sp, &n, &err) == 0 && n == 0, "empty value: no endpoints");
	ok(parse(" , ", sp, &n, &err) == 0 && n == 0, "only separators");
	ok(parse("127.0.0.1:25", sp, &n, &err) == 0 && n == 1 &&
	    sp[0].kind == LISTEN_TCP && sp[0].port == 25, "IPv4:port");
	is_str(sp[0].host, "127.0.0.1", "host kept");
	ok(parse("[::1]:587, 0.0.0.0:465 unix:lmtp", sp, &n, &err) == 0 &&
	    n == 3, "list with commas and blanks");
	is_str(sp[0].host, "::1", "IPv6 without brackets");
	ok(sp[1].port == 465 && sp[2].kind == LISTEN_UNIX, "kinds");
	is_str(sp[2].path, "lmtp", "relative unix path");
	ok(parse("*:143", sp, &n, &err) == 0, "wildcard");
	is_str(sp[0].host, "0.0.0.0", "* means 0.0.0.0");
	ok(parse("localhost:110", sp, &n, &err) == 0, "host name");
	ok(parse("unix:/run/roost/x", sp, &n, &err) == 0 &&
	    sp[0].path[0] == '/', "absolute unix path");

	ok(parse("127.0.0.1", sp, &n, &err) < 0, "missing port rejected");
	ok(parse("127.0.0.1:0", sp, &n, &err) < 0, "port 0 rejected");
	ok(strstr(err.s, "bad port") != NULL, "reason names the port");
	ok(parse("127.0.0.1:65536", sp, &n, &err) < 0, "port 65536 rejected");
	ok(parse("127.0.0.1:2x5", sp, &n, &err) < 0, "non-digit port");
	ok(parse("127.0.0.1:000025", sp, &n, &err) < 0, "overlong port");
	ok(parse("[::1:25", sp, &n, &err) < 0, "unclosed bracket");
	ok(parse("[::1]25", sp, &n, &err) < 0, "bracket without colon");
	ok(parse("ho$t:25", sp, &n, &err) < 0, "bad host character");
	ok(parse(":25", sp, &n, &err) < 0, "empty host");
	ok(parse("unix:", sp, &n, &err) < 0, "empty unix path");
	for (i = 0; i < 200; i++)
		many[i] = 'a';
	memcpy(many, "unix:", 5);
	ok(parse(many, sp, &n, &err) < 0 && strstr(err.s, "too long"),
	    "overlong unix path");
	many[0] = '\0';
	for (i = 0; i <= LISTEN_MAX; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many),
		    "127.0.0.1:%d ", 1000 + i);
	ok(parse(many, sp, &n, &err) < 0 && strstr(err.s, "more than"),
	    "more than LISTEN_MAX endpoints");
	ok(listen_check("127.0.0.1:25", &err) == 0, "listen_check ok");
	ok(listen_check("nonsense", &err) < 0, "listen_check bad");

	parse("[::1]:25 1.2.3.4:5 unix:x", sp, &n, &err);
	for (i = 0; i < 3; i++) {
		listen_format(&sp[i], &out);
		str_catc(&out, ' ');
	}
	is_str(out.s, "[::1]:25 1.2.3.4:5 unix:x ", "listen_format round trip");
	str_free(&err);
	str_free(&out);
	return done_testing();
}
