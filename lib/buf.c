/*
 * buf - buffered I/O over a descriptor; see buf.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "fd.h"

static ssize_t
plain_read(struct buf *b, void *p, size_t n)
{
	b->want = POLLIN;
	return fd_read(b->fd, p, n);
}

static ssize_t
plain_write(struct buf *b, const void *p, size_t n)
{
	b->want = POLLOUT;
	return fd_write(b->fd, p, n);
}

static const struct buf_ops plain_ops = { plain_read, plain_write };

int64_t
buf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
buf_init(struct buf *b, int fd, size_t insize)
{
	memset(b, 0, sizeof *b);
	b->fd = fd;
	b->ops = &plain_ops;
	b->in_cap = insize ? insize : BUF_INSIZE_DEFAULT;
	b->in = xmalloc(b->in_cap);
	b->timeout_ms = -1;
}

void
buf_free(struct buf *b)
{
	free(b->in);
	b->in = NULL;
	b->in_pos = b->in_len = b->in_cap = 0;
	str_free(&b->out);
}

void
buf_set_ops(struct buf *b, const struct buf_ops *ops, void *ctx)
{
	b->ops = ops ? ops : &plain_ops;
	b->op_ctx = ctx;
}

void
buf_set_timeout(struct buf *b, int timeout_ms)
{
	b->timeout_ms = timeout_ms;
}

void
buf_set_deadline(struct buf *b, int64_t from_now_ms)
{
	b->deadline_ms = from_now_ms ? buf_now_ms() + from_now_ms : 0;
}

/* wait_ms - how long the next wait may take; 0 when time is up. */
static int
wait_ms(const struct buf *b)
{
	int64_t t = b->timeout_ms;

	if (b->deadline_ms) {
		int64_t left = b->deadline_ms - buf_now_ms();

		if (left < 0)
			left = 0;
		if (t < 0 || left < t)
			t = left;
	}
	return t > INT32_MAX ? INT32_MAX : (int)t;
}

/* await - wait for what the last op wanted; BUF_OK when it may retry. */
static enum buf_status
await(struct buf *b, short dflt)
{
	int ms = wait_ms(b), r;

	if (ms == 0)
		return BUF_TIMEOUT;
	r = fd_wait(b->fd, b->want ? b->want : dflt, ms);
	if (r == 0)
		return BUF_TIMEOUT;
	if (r < 0) {
		b->err = errno;
		return BUF_ERROR;
	}
	return BUF_OK;
}

enum buf_status
buf_flush(struct buf *b)
{
	size_t off = 0;
	enum buf_status st = BUF_OK;

	if (b->err)
		return BUF_ERROR;
	while (off < b->out.len) {
		ssize_t n = b->ops->write(b, b->out.s + off, b->out.len - off);

		if (n > 0) {
			off += (size_t)n;
			b->bytes_out += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((st = await(b, POLLOUT)) != BUF_OK)
				break;
			continue;
		}
		b->err = n < 0 ? errno : EPIPE;
		st = BUF_ERROR;
		break;
	}
	if (off) {
		memmove(b->out.s, b->out.s + off, b->out.len - off);
		str_truncate(&b->out, b->out.len - off);
	}
	return st;
}

/* fill - read more input (after flushing output); BUF_OK means some
 * bytes arrived. */
static enum buf_status
fill(struct buf *b)
{
	enum buf_status st;

	if (b->out.len && (st = buf_flush(b)) != BUF_OK)
		return st;
	if (b->in_pos == b->in_len)
		b->in_pos = b->in_len = 0;
	else if (b->in_len == b->in_cap) {
		memmove(b->in, b->in + b->in_pos, b->in_len - b->in_pos);
		b->in_len -= b->in_pos;
		b->in_pos = 0;
	}
	for (;;) {
		ssize_t n = b->ops->read(b, b->in + b->in_len,
		    b->in_cap - b->in_len);

		if (n > 0) {
			b->in_len += (size_t)n;
			b->bytes_in += (uint64_t)n;
			return BUF_OK;
		}
		if (n == 0)
			return BUF_EOF;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			b->err = errno;
			return BUF_ERROR;
		}
		if ((st = await(b, POLLIN)) != BUF_OK)
			return st;
	}
}

/* With a blocking fd the read itself would block past the timeout, so
 * wait for input first when a limit is set. */
static enum buf_status
fill_timed(struct buf *b)
{
	enum buf_status st;

	if (b->out.len && (st = buf_flush(b)) != BUF_OK)
		return st;
	if (b->timeout_ms >= 0 || b->deadline_ms) {
		b->want = POLLIN;
		if ((st = await(b, POLLIN)) != BUF_OK)
			return st;
	}
	return fill(b);
}

enum buf_status
buf_getline(struct buf *b, struct str *line, size_t max)
{
	bool toolong = false;
	enum buf_status st;

	str_clear(line);
	for (;;) {
		char *start = b->in + b->in_pos;
		size_t avail = b->in_len - b->in_pos;
		char *lf = memchr(start, '\n', avail);
		size_t take = lf ? (size_t)(lf - start) + 1 : avail;

		if (!toolong) {
			size_t room = max > line->len ? max - line->len : 0;

			if (take > room) {
				str_catb(line, start, room);
				toolong = true;
			} else
				str_catb(line, start, take);
		}
		b->in_pos += take;
		if (lf)
			return toolong ? BUF_TOOLONG : BUF_OK;
		/* A full line of exactly max bytes without its LF yet is
		 * still fine if the LF comes next; anything more is too
		 * long, which the check above catches. */
		if ((st = fill_timed(b)) != BUF_OK)
			return st;
	}
}

size_t
buf_pending(const struct buf *b)
{
	return b->in_len - b->in_pos;
}

size_t
buf_discard_input(struct buf *b)
{
	size_t n = buf_pending(b);

	b->in_pos = b->in_len = 0;
	return n;
}

int
buf_wait_input(struct buf *b, int ms)
{
	int r;

	if (buf_pending(b))
		return 1;
	if (b->out.len && buf_flush(b) != BUF_OK)
		return -1;
	r = fd_wait(b->fd, POLLIN, ms);
	return r < 0 ? -1 : r;
}

ssize_t
buf_read(struct buf *b, void *p, size_t n, enum buf_status *st)
{
	size_t take;

	*st = BUF_OK;
	if (n == 0)
		return 0;
	if (buf_pending(b) == 0 && (*st = fill_timed(b)) != BUF_OK)
		return *st == BUF_EOF ? 0 : -1;
	take = buf_pending(b) < n ? buf_pending(b) : n;
	memcpy(p, b->in + b->in_pos, take);
	b->in_pos += take;
	return (ssize_t)take;
}

enum buf_status
buf_read_exact(struct buf *b, struct str *out, size_t n)
{
	enum buf_status st;

	while (n > 0) {
		size_t take;

		if (buf_pending(b) == 0 && (st = fill_timed(b)) != BUF_OK)
			return st;
		take = buf_pending(b) < n ? buf_pending(b) : n;
		str_catb(out, b->in + b->in_pos, take);
		b->in_pos += take;
		n -= take;
	}
	return BUF_OK;
}

void
buf_put(struct buf *b, const void *p, size_t n)
{
	str_catb(&b->out, p, n);
	if (b->out.len >= BUF_OUT_FLUSH)
		(void)buf_flush(b);
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	str_vcatf(&b->out, fmt, ap);
	va_end(ap);
	if (b->out.len >= BUF_OUT_FLUSH)
		(void)buf_flush(b);
}
