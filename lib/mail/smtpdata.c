/*
 * smtpdata - SMTP message data decoding; see smtpdata.h.
 */
#include "smtpdata.h"

enum {
	S_BOL,		/* after CRLF (or at the start): "." is special */
	S_DOT,		/* a "." at S_BOL */
	S_DOTCR,	/* ".\r" at S_BOL: end if LF follows */
	S_TEXT,		/* inside a line */
	S_CR,		/* a CR inside a line */
};

void
smtpdata_init(struct smtpdata *d, bool dot, bool normalize,
    size_t line_max)
{
	d->state = S_BOL;
	d->dot = dot;
	d->normalize = normalize;
	d->line_max = line_max;
	d->line_len = 0;
	d->flags = 0;
	d->done = false;
	d->octets = 0;
}

/* line_end - a line ended; bare when not by CRLF.  Either way the
 * content gets LF (a rejected message is thrown away, so what a bare end
 * becomes only matters when normalising). */
static void
line_end(struct smtpdata *d, bool bare, struct str *out)
{
	if (bare && !d->normalize)
		d->flags |= SMTPDATA_BARE;
	str_catc(out, '\n');
	d->line_len = 0;
	/* after a bare end no "." is special: <LF>.<CR><LF> is data */
	d->state = bare ? S_TEXT : S_BOL;
}

/* text - ch inside a line (or at the start of one where "." is plain). */
static void
text(struct smtpdata *d, char ch, struct str *out)
{
	if (ch == '\r')
		d->state = S_CR;
	else if (ch == '\n')
		line_end(d, true, out);
	else {
		str_catc(out, ch);
		d->state = S_TEXT;
	}
}

size_t
smtpdata_feed(struct smtpdata *d, const char *p, size_t n, struct str *out)
{
	size_t i;

	for (i = 0; i < n && !d->done; i++) {
		char ch = p[i];

		d->octets++;
		if (++d->line_len > d->line_max)
			d->flags |= SMTPDATA_LONG;
		switch (d->state) {
		case S_BOL:
			if (d->dot && ch == '.')
				d->state = S_DOT;
			else
				text(d, ch, out);
			break;
		case S_DOT:
			/* the stuffed dot goes; the line goes on */
			if (ch == '\r')
				d->state = S_DOTCR;
			else
				text(d, ch, out);
			break;
		case S_DOTCR:
			if (ch == '\n') {
				d->done = true;
				break;
			}
			line_end(d, true, out);
			d->line_len = 1;
			text(d, ch, out);
			break;
		case S_TEXT:
			text(d, ch, out);
			break;
		case S_CR:
			if (ch == '\n') {
				line_end(d, false, out);
				break;
			}
			line_end(d, true, out);
			d->line_len = 1;
			text(d, ch, out);
			break;
		}
	}
	return i;
}

void
smtpdata_finish(struct smtpdata *d, struct str *out)
{
	if (d->state == S_CR || d->state == S_DOTCR)
		line_end(d, true, out);
}

int
smtpdata_read(struct buf *b, struct smtpdata *d, struct str *line,
    size_t max, size_t (*take)(void *arg, const char *p, size_t n),
    void *arg)
{
	int bs;

	do {
		bs = buf_getline(b, line, max);
		if (bs != BUF_OK && bs != BUF_TOOLONG)
			return bs;
		if (bs == BUF_TOOLONG) {
			/* The rest of the line went, through its LF: carry
			 * on as after a CRLF (the message is refused for
			 * the long line anyway). */
			if (line->len > 0 && line->s[line->len - 1] == '\r')
				str_truncate(line, line->len - 1);
			take(arg, line->s, line->len);
			take(arg, "\r\n", 2);
			d->flags |= SMTPDATA_LONG;
		} else
			take(arg, line->s, line->len);
	} while (!d->done);
	return BUF_OK;
}

int
smtpdata_chunk(struct buf *b, unsigned long long n, size_t step,
    size_t (*take)(void *arg, const char *p, size_t n), void *arg)
{
	struct str piece = STR_INIT;
	int bs = BUF_OK;

	while (n > 0) {
		size_t k = n < step ? (size_t)n : step;

		str_clear(&piece);
		if ((bs = buf_read_exact(b, &piece, k)) != BUF_OK)
			break;
		if (take != NULL)
			take(arg, piece.s, piece.len);
		n -= k;
	}
	str_free(&piece);
	return bs;
}

size_t
smtpdata_take(struct smtpdata *d, const char *p, size_t n, struct str *out,
    unsigned long long *size)
{
	size_t before = out->len, used, i;

	used = smtpdata_feed(d, p, n, out);
	for (i = before; i < out->len; i++)
		*size += out->s[i] == '\n' ? 2 : 1;
	return used;
}
