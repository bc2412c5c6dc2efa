/*
 * pipe_mbox - the traditional mbox form of a message ("mboxo"): a
 * "From " separator line, the message with every line that starts with
 * "From " quoted by a '>' so a reader cannot take it for a separator,
 * and an empty line after it.
 */
#include <string.h>
#include <time.h>

#include "pipe.h"

void
pipe_mbox_from(const char *sender, time_t t, struct str *out)
{
	char date[64];
	const char *d = date;
	struct tm tm;

	/* asctime form, in UTC so the line does not depend on TZ */
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		d = "Thu Jan  1 00:00:00 1970";
	str_catf(out, "From %s %s\n", *sender ? sender : "MAILER-DAEMON", d);
}

void
pipe_mbox_body(const char *msg, size_t len, struct str *out)
{
	size_t i = 0, end;
	const char *nl;

	while (i < len) {
		nl = memchr(msg + i, '\n', len - i);
		end = nl ? (size_t)(nl - msg) + 1 : len;
		if (end - i >= 5 && memcmp(msg + i, "From ", 5) == 0)
			str_catc(out, '>');
		str_catb(out, msg + i, end - i);
		i = end;
	}
	if (len > 0 && msg[len - 1] != '\n')
		str_catc(out, '\n');
	str_catc(out, '\n');
}

void
pipe_prefix(const struct pipe_req *r, struct str *out)
{
	str_catf(out, "Delivered-To: %s\nReturn-Path: <%s>\n", r->recipient,
	    r->sender);
}
