/*
 * sendmail_filter - stdin to cleanup content, byte by byte so that no
 * line length is ever limited (cleanup enforces message_size_limit).
 *
 * Two steps in one pass: CR LF becomes LF (a CR elsewhere is kept), then,
 * unless -i was given, a line holding a single "." ends the message as
 * in classic sendmail.  No dot-unstuffing: that is SMTP's, not ours.
 */
#include "sendmail.h"

void
sendmail_filter_init(struct sendmail_filter *f, int dot_ends)
{
	f->dot_ends = dot_ends;
	f->bol = 1;
	f->held_cr = 0;
	f->held_dot = 0;
	f->done = 0;
	f->last = -1;
}

static void
emit(struct sendmail_filter *f, char c, struct str *out)
{
	str_catc(out, c);
	f->last = (unsigned char)c;
}

/* line - the dot step, on bytes whose CR LF is already LF. */
static void
line(struct sendmail_filter *f, char c, struct str *out)
{
	if (f->held_dot) {
		f->held_dot = 0;
		if (c == '\n') {
			f->done = 1;
			return;
		}
		emit(f, '.', out);
	} else if (f->bol && c == '.' && f->dot_ends) {
		f->held_dot = 1;
		f->bol = 0;
		return;
	}
	emit(f, c, out);
	f->bol = c == '\n';
}

int
sendmail_filter_put(struct sendmail_filter *f, const char *p, size_t n,
    struct str *out)
{
	size_t i;

	for (i = 0; i < n && !f->done; i++) {
		if (f->held_cr) {
			f->held_cr = 0;
			if (p[i] != '\n')
				line(f, '\r', out);
			if (f->done)
				break;
		}
		if (p[i] == '\r')
			f->held_cr = 1;
		else
			line(f, p[i], out);
	}
	return f->done;
}

void
sendmail_filter_end(struct sendmail_filter *f, struct str *out)
{
	if (f->done)
		return;
	if (f->held_cr) {
		f->held_cr = 0;
		line(f, '\r', out);
	}
	if (f->held_dot) {
		f->held_dot = 0;
		emit(f, '.', out);
	}
	if (f->last != -1 && f->last != '\n')
		emit(f, '\n', out);
}
