/*
 * pipe_exit - what a command's end means for the message, by the
 * sysexits.h convention mail programs follow (the same reading as
 * Postfix's sys_exits table): EX_TEMPFAIL and EX_OSERR, and death by a
 * signal, are worth another try; every other failure is final.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>

#include "pipe.h"

static const struct {
	int code;
	enum pipe_status status;
	const char *dsn;
	const char *text;
} exits[] = {
    {EX_USAGE, PIPE_BOUNCE, "5.3.0", "command line usage error"},
    {EX_DATAERR, PIPE_BOUNCE, "5.6.0", "data format error"},
    {EX_NOINPUT, PIPE_BOUNCE, "5.3.0", "cannot open input"},
    {EX_NOUSER, PIPE_BOUNCE, "5.1.1", "user unknown"},
    {EX_NOHOST, PIPE_BOUNCE, "5.1.2", "host name unknown"},
    {EX_UNAVAILABLE, PIPE_BOUNCE, "5.3.0", "service unavailable"},
    {EX_SOFTWARE, PIPE_BOUNCE, "5.3.0", "internal software error"},
    {EX_OSERR, PIPE_DEFER, "4.3.0", "system resource problem"},
    {EX_OSFILE, PIPE_BOUNCE, "5.3.0", "critical OS file missing"},
    {EX_CANTCREAT, PIPE_BOUNCE, "5.2.0", "cannot create output file"},
    {EX_IOERR, PIPE_BOUNCE, "5.3.0", "input/output error"},
    {EX_TEMPFAIL, PIPE_DEFER, "4.3.0", "temporary failure"},
    {EX_PROTOCOL, PIPE_BOUNCE, "5.5.0", "remote protocol error"},
    {EX_NOPERM, PIPE_BOUNCE, "5.7.0", "permission denied"},
    {EX_CONFIG, PIPE_BOUNCE, "5.3.5", "local configuration error"},
};

const char *
pipe_status_name(enum pipe_status st)
{
	return st == PIPE_OK ? "ok" : st == PIPE_DEFER ? "defer" : "bounce";
}

void
pipe_result_set(struct pipe_result *r, enum pipe_status st, const char *dsn,
    const char *text)
{
	size_t i;

	r->status = st;
	snprintf(r->dsn, sizeof r->dsn, "%s", dsn);
	str_clear(&r->text);
	/* the reason travels into logs and bounces: printable ASCII only */
	for (i = 0; text[i] != '\0' && i < PIPE_TEXT_MAX; i++)
		str_catc(&r->text,
		    text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?');
}

void
pipe_exit_map(int ws, const char *output, struct pipe_result *r)
{
	struct str t = STR_INIT;
	size_t i;
	int code;

	if (WIFSIGNALED(ws)) {
		str_copyf(&t, "command killed by signal %d", WTERMSIG(ws));
		pipe_result_set(r, PIPE_DEFER, "4.3.0", t.s);
		str_free(&t);
		return;
	}
	code = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	if (code == 0) {
		pipe_result_set(r, PIPE_OK, "2.0.0", "delivered to command");
		return;
	}
	for (i = 0; i < sizeof exits / sizeof exits[0]; i++)
		if (exits[i].code == code)
			break;
	if (i < sizeof exits / sizeof exits[0])
		str_copys(&t, exits[i].text);
	else
		str_copyf(&t, "command failed with exit status %d", code);
	if (output != NULL && *output != '\0') {
		str_cats(&t, ": ");
		str_cats(&t, output);
	}
	if (i < sizeof exits / sizeof exits[0])
		pipe_result_set(r, exits[i].status, exits[i].dsn, t.s);
	else
		pipe_result_set(r, PIPE_BOUNCE, "5.3.0", t.s);
	str_free(&t);
}
