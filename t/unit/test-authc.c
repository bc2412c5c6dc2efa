/*
 * test-authc - the client of authd (lib/mail/authc.h) against a scripted
 * fake authd: the request lines it sends, CONT/OK/FAIL handling, the
 * final data, cancelling, the VERSION exchange (and an authd from before
 * it), what a bad peer or no peer at all gives, and that nothing a
 * remote client sends can add a line or a token.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authc.h"
#include "tap.h"

/* One connection's script: lines expected from the client (NULL: none
 * more) alternating with the replies to send ("" none). */
struct step {
	const char *expect, *reply;
};

static const struct step *scripts[16];
static size_t nscripts;

static void
serve(int lfd)
{
	for (size_t c = 0; c < nscripts; c++) {
		int fd = accept(lfd, NULL, NULL);
		FILE *in, *out;
		char line[32768];

		if (fd < 0)
			_exit(1);
		in = fdopen(dup(fd), "r");
		out = fdopen(fd, "w");
		for (const struct step *s = scripts[c]; s->expect || s->reply;
		     s++) {
			if (s->expect != NULL) {
				if (fgets(line, sizeof line, in) == NULL)
					break;
				line[strcspn(line, "\n")] = '\0';
				if (strcmp(line, s->expect) != 0) {
					fprintf(out, "MISMATCH %s\n", line);
					fflush(out);
					break;
				}
			}
			if (s->reply != NULL && *s->reply) {
				fprintf(out, "%s\n", s->reply);
				fflush(out);
			}
		}
		fclose(in);
		fclose(out);
	}
	_exit(0);
}

static pid_t
start(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	unlink(path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    listen(lfd, 8) < 0)
		bail("listen");
	if ((pid = xfork()) == 0)
		serve(lfd);
	close(lfd);
	return pid;
}

struct chal {
	int calls;
	char seen[4][64];
	const char *answers[4]; /* NULL: cancel */
};

static int
challenge(void *ctx, const char *chal, struct str *resp)
{
	struct chal *c = ctx;
	int i = c->calls++;

	snprintf(c->seen[i & 3], sizeof c->seen[0], "%s", chal);
	if (c->answers[i & 3] == NULL)
		return -1;
	str_copys(resp, c->answers[i & 3]);
	return 0;
}

static const struct step s_mechs[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"MECHS imap 1 192.0.2.1", "MECHS PLAIN LOGIN SCRAM-SHA-256"},
    {NULL, NULL},
};
static const struct step s_scram[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"AUTH imap SCRAM-SHA-256 192.0.2.1 0 biwsbj1h", "CONT cj1hYmM="},
    {"Yz1iaXdz", "OK alice@example.test dj1zaWc="},
    {NULL, NULL},
};
static const struct step s_login[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"AUTH smtp LOGIN ::1 1 -", "CONT ="},
    {"=", "CONT UGFzc3dvcmQ6"},
    {"*", "FAIL cancelled 0 cancelled by the client"},
    {NULL, NULL},
};
static const struct step s_password[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"AUTH pop PLAIN 192.0.2.1 1 AGFsaWNlAHB3",
	"FAIL credentials 1500 "
	"authentication failed"},
    {NULL, NULL},
};
static const struct step s_temp[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"AUTH pop PLAIN 192.0.2.1 1 =", "FAIL tempfail 0 table"},
    {NULL, NULL},
};
static const struct step s_garbage[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"AUTH pop PLAIN 192.0.2.1 1 -", "HELLO there"},
    {NULL, NULL},
};
static const struct step s_eof[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"AUTH pop PLAIN 192.0.2.1 1 -", ""},
    {NULL, NULL},
};

/* An authd from before VERSION: it refuses the line and hangs up; the
 * client asks again without it. */
static const struct step s_legacy[] = {
    {"VERSION 1 1", "FAIL malformed 0 malformed request"},
    {NULL, NULL},
};
static const struct step s_legacy_again[] = {
    {"MECHS imap 1 192.0.2.1", "MECHS PLAIN"},
    {NULL, NULL},
};
/* An authd of another major version: the client hangs up. */
static const struct step s_major2[] = {
    {"VERSION 1 1", "VERSION 2 0"},
    {NULL, NULL},
};
/* A refusal before any answer (authd's check of our uid). */
static const struct step s_refused[] = {
    {"VERSION 1 1", "FAIL tempfail 0 permission denied"},
    {NULL, NULL},
};

/* A login process: TICKET after the OK.  Then the daemon's REDEEM,
 * good and refused, and an authd that issues no ticket. */
static const struct step s_ticket[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"AUTH imap PLAIN 192.0.2.1 1 AGFsaWNlAHB3", "OK alice@example.test"},
    {"TICKET", "TICKET 0123456789abcdef0123456789abcdef"},
    {NULL, NULL},
};
static const struct step s_redeem[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"REDEEM imap 0123456789abcdef0123456789abcdef", "OK alice@example.test"},
    {NULL, NULL},
};
static const struct step s_redeem_again[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"REDEEM imap 0123456789abcdef0123456789abcdef",
	"FAIL credentials 0 unknown ticket"},
    {NULL, NULL},
};
static const struct step s_no_ticket[] = {
    {"VERSION 1 1", "VERSION 1 1"},
    {"AUTH imap PLAIN 192.0.2.1 1 AGFsaWNlAHB3", "OK alice@example.test"},
    {"TICKET", "FAIL tempfail 0 cannot issue a ticket"},
    {NULL, NULL},
};

int
main(void)
{
	char path[] = "/tmp/test-authc.XXXXXX";
	struct authc_result res;
	struct str out = STR_INIT, sock = STR_INIT;
	struct chal c;
	pid_t pid;

	memset(&res, 0, sizeof res);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(path) == NULL)
		bail("mkdtemp");
	str_copyf(&sock, "%s/auth", path);
	authc_set_socket(sock.s);

	scripts[0] = s_mechs;
	scripts[1] = s_scram;
	scripts[2] = s_login;
	scripts[3] = s_password;
	scripts[4] = s_temp;
	scripts[5] = s_garbage;
	scripts[6] = s_eof;
	scripts[7] = s_legacy;
	scripts[8] = s_legacy_again;
	scripts[9] = s_major2;
	scripts[10] = s_refused;
	scripts[11] = s_ticket;
	scripts[12] = s_redeem;
	scripts[13] = s_redeem_again;
	scripts[14] = s_no_ticket;
	nscripts = 15;
	pid = start(sock.s);

	is_int(authc_mechs("imap", true, "192.0.2.1", &out), 0, "MECHS");
	is_str(out.s, "PLAIN LOGIN SCRAM-SHA-256", "the list");

	memset(&c, 0, sizeof c);
	c.answers[0] = "Yz1iaXdz";
	is_int(authc_run("imap", "SCRAM-SHA-256", "192.0.2.1", false,
		   "biwsbj1h", challenge, &c, &res),
	    AUTHC_OK, "SCRAM: OK");
	is_str(res.user.s, "alice@example.test", "the user");
	is_str(res.final_data.s, "dj1zaWc=", "the final data");
	is_int(c.calls, 1, "one challenge");
	is_str(c.seen[0], "cj1hYmM=", "the challenge as sent");

	memset(&c, 0, sizeof c);
	c.answers[0] = "";
	c.answers[1] = NULL;
	is_int(
	    authc_run("smtp", "LOGIN", "::1", true, NULL, challenge, &c, &res),
	    AUTHC_FAIL, "cancelled: FAIL");
	is_str(c.seen[0], "", "an empty challenge is handed over as \"\"");
	is_str(res.code.s, "cancelled", "code cancelled");
	is_int(res.user.len, 0, "no user after a failure");

	is_int(authc_password("pop", "alice", "pw", "192.0.2.1", true, &res),
	    AUTHC_FAIL, "password: FAIL");
	is_str(res.code.s, "credentials", "code credentials");
	is_int(res.delay_ms, 1500, "the delay");
	is_str(res.text.s, "authentication failed", "the text");

	is_int(
	    authc_run("pop", "PLAIN", "192.0.2.1", true, "", NULL, NULL, &res),
	    AUTHC_TEMPFAIL, "FAIL tempfail: TEMPFAIL");
	is_int(authc_run(
		   "pop", "PLAIN", "192.0.2.1", true, NULL, NULL, NULL, &res),
	    AUTHC_TEMPFAIL, "a garbage reply: TEMPFAIL");
	is_int(authc_run(
		   "pop", "PLAIN", "192.0.2.1", true, NULL, NULL, NULL, &res),
	    AUTHC_TEMPFAIL, "authd hanging up: TEMPFAIL");
	is_int(authc_mechs("imap", true, "192.0.2.1", &out), 0,
	    "an authd from before VERSION: asked again without it");
	is_str(out.s, "PLAIN", "and its answer taken");
	is_int(authc_mechs("imap", true, "192.0.2.1", &out), -1,
	    "an authd of another major version: no mechanisms");
	is_int(authc_run(
		   "pop", "PLAIN", "192.0.2.1", true, NULL, NULL, NULL, &res),
	    AUTHC_TEMPFAIL, "a refusal in place of VERSION: TEMPFAIL");
	is_str(res.text.s, "permission denied", "with authd's reason");

	authc_want_ticket(true);
	is_int(authc_password("imap", "alice", "pw", "192.0.2.1", true, &res),
	    AUTHC_OK, "a login process's login: OK");
	is_str(res.ticket.s, "0123456789abcdef0123456789abcdef",
	    "with the ticket asked for after it");
	authc_want_ticket(false);
	is_int(authc_redeem("imap", "0123456789abcdef0123456789abcdef", &res),
	    AUTHC_OK, "REDEEM: OK");
	is_str(res.user.s, "alice@example.test", "the ticket's user");
	is_int(authc_redeem("imap", "0123456789abcdef0123456789abcdef", &res),
	    AUTHC_FAIL, "REDEEM refused: FAIL");
	is_int(res.user.len, 0, "and no user");
	authc_want_ticket(true);
	is_int(authc_password("imap", "alice", "pw", "192.0.2.1", true, &res),
	    AUTHC_TEMPFAIL, "a login without a ticket: TEMPFAIL");
	authc_want_ticket(false);
	is_int(authc_redeem("imap", "0123\nMECHS", &res), AUTHC_FAIL,
	    "a ticket with a newline is never sent");
	reap(pid);

	/* Nothing a client sends becomes a line or a token of its own. */
	is_int(authc_run("pop", "PLAIN", "192.0.2.1", true, "AAAA\nMECHS", NULL,
		   NULL, &res),
	    AUTHC_FAIL, "newline in a response refused");
	is_str(res.code.s, "malformed", "as malformed");
	is_int(authc_run("pop", "PLAIN", "192.0.2.1", true, "AA AA", NULL, NULL,
		   &res),
	    AUTHC_FAIL, "blank in a response refused");
	is_int(authc_run(
		   "pop", "PLAIN X", "192.0.2.1", true, NULL, NULL, NULL, &res),
	    AUTHC_TEMPFAIL, "blank in a mechanism refused");

	/* No authd at all. */
	unlink(sock.s);
	is_int(authc_run(
		   "pop", "PLAIN", "192.0.2.1", true, NULL, NULL, NULL, &res),
	    AUTHC_TEMPFAIL, "no authd: TEMPFAIL");
	ok(strstr(str_cstr(&res.text), "connect") != NULL, "saying why: %s",
	    str_cstr(&res.text));
	is_int(authc_mechs("imap", true, "192.0.2.1", &out), -1,
	    "no authd: no mechanisms");
	is_int(out.len, 0, "and an empty list");

	authc_result_free(&res);
	str_free(&out);
	rmdir(path);
	str_free(&sock);
	return done_testing();
}
