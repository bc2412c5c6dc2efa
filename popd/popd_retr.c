/*
 * popd_retr - RETR and TOP: a message file sent as a multi-line
 * response (RFC 1939 3): lines starting with "." get another ".", a
 * message that does not end in CRLF gets one (popd_maildrop counts it
 * in the size), then ".".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"
#include "popd.h"

#define CHUNK 65536

struct emit {
	struct buf *b;
	bool in_body;		/* past the blank line after the header */
	long body_lines;	/* body lines still to send; < 0: all */
	size_t line_len;	/* octets of the current line so far */
	char last[2];		/* the last two octets sent */
};

/* emit - send the octets of p through the dot-stuffing; false once TOP
 * has sent all it should. */
static bool
emit(struct emit *e, const char *p, size_t n)
{
	while (n > 0) {
		const char *lf;
		size_t run;

		if (e->line_len == 0) {
			if (e->in_body && e->body_lines == 0)
				return false;
			if (*p == '.')
				buf_put(e->b, ".", 1);
		}
		lf = memchr(p, '\n', n);
		run = lf != NULL ? (size_t)(lf - p) + 1 : n;
		buf_put(e->b, p, run);
		if (run >= 2) {
			e->last[0] = p[run - 2];
			e->last[1] = p[run - 1];
		} else {
			e->last[0] = e->last[1];
			e->last[1] = p[0];
		}
		e->line_len += run;
		p += run;
		n -= run;
		if (lf == NULL)
			break;
		/* a line ended: the first empty one ends the header */
		if (e->in_body) {
			if (e->body_lines > 0)
				e->body_lines--;
		} else if (e->line_len == 1 ||
		    (e->line_len == 2 && e->last[0] == '\r')) {
			e->in_body = true;
		}
		e->line_len = 0;
	}
	return true;
}

/* send_msg - message m, whole (body_lines < 0) or header and body_lines
 * lines of its body. */
static void
send_msg(struct popd *p, struct popd_msg *m, long body_lines)
{
	struct str err = STR_INIT;
	struct emit e;
	char *chunk;
	size_t no = (size_t)(m - p->msgs) + 1;
	int fd, saved;

	fd = popd_open(p, m, &err);
	if (fd < 0) {
		saved = errno;
		log_warn("uid=%u: %s", m->uid, str_cstr(&err));
		if (saved == ENOENT)
			popd_err(p, "Message %zu was expunged by another "
			    "session and is no longer kept", no);
		else
			popd_err(p, "[SYS/TEMP] Cannot read message %zu", no);
		str_free(&err);
		return;
	}
	memset(&e, 0, sizeof e);
	e.b = &p->ss.b;
	e.body_lines = body_lines;
	e.last[0] = '\r';
	e.last[1] = '\n';
	popd_ok(p, body_lines < 0 ? "%llu octets" : "Top of message follows",
	    (unsigned long long)m->size);
	chunk = malloc(CHUNK);
	for (;;) {
		ssize_t r;

		r = chunk != NULL ? fd_read(fd, chunk, CHUNK) : -1;
		if (r < 0) {
			/* The +OK is out: all that is left is to hang up
			 * without the final "." (RFC 1939 offers no way to
			 * take it back). */
			log_error("uid=%u: read: %s", m->uid,
			    chunk != NULL ? strerror(errno) : "out of memory");
			p->state = POPD_DONE;
			goto out;
		}
		if (r == 0 || !emit(&e, chunk, (size_t)r))
			break;
	}
	if (e.line_len > 0 || e.last[0] != '\r' || e.last[1] != '\n')
		buf_put(&p->ss.b, "\r\n", 2);
	buf_put(&p->ss.b, ".\r\n", 3);
	if (body_lines < 0)
		m->retrieved = true;
out:
	free(chunk);
	close(fd);
	str_free(&err);
}

void
popd_cmd_retr(struct popd *p, const char *args)
{
	struct popd_msg *m;

	if ((m = popd_msg(p, args)) != NULL)
		send_msg(p, m, -1);
}

void
popd_cmd_top(struct popd *p, const char *args)
{
	const char *sp = strchr(args, ' ');
	struct str no = STR_INIT;
	struct popd_msg *m;
	unsigned long long lines;
	char *end;

	if (sp == NULL || sp[1] < '0' || sp[1] > '9') {
		popd_err(p, "TOP needs a message number and a line count");
		return;
	}
	errno = 0;
	lines = strtoull(sp + 1, &end, 10);
	if (errno != 0 || *end != '\0' || lines > 0x7fffffffULL) {
		popd_err(p, "Invalid line count");
		return;
	}
	str_copyb(&no, args, (size_t)(sp - args));
	if ((m = popd_msg(p, no.s)) != NULL)
		send_msg(p, m, (long)lines);
	str_free(&no);
}
