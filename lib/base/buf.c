/*
 * buf - buffered I/O over a descriptor; see buf.h.
 *
 * Failure is sticky: once b->err is set the transport is considered
 * broken, every later operation that needs it returns BUF_ERROR, and
 * output is dropped rather than piled up for a peer that will never take
 * it.  Input already read ahead can still be consumed.
 *
 * The session deadline bounds waiting: once it has passed, anything that
 * would have to wait for the peer returns BUF_TIMEOUT at once.  A caller
 * that still wants to say goodbye clears the deadline first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "fd.h"
#include "log.h"

static ssize_t
plain_read(struct buf *b, void *p, size_t n)
{
	return fd_read(b->fd, p, n);
}

/*
 * A blocking write(2) returns only once it has taken all n bytes, so a
 * peer that stops reading would hold us past any timeout.  Sockets are
 * written with MSG_DONTWAIT (one call, whatever the descriptor's mode;
 * EAGAIN makes buf wait for POLLOUT under its timeout); other blocking
 * descriptors get no more than PIPE_BUF at a time (best effort).
 */
static ssize_t
plain_write(struct buf *b, const void *p, size_t n)
{
	ssize_t r;
	int fl;

	do
		r = send(b->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r >= 0 || errno != ENOTSOCK)
		return r;
	fl = fcntl(b->fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK) == 0 && n > PIPE_BUF)
		n = PIPE_BUF;
	return fd_write(b->fd, p, n);
}

static const struct buf_ops plain_ops = { plain_read, plain_write };

int64_t
buf_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
buf_init(struct buf *b, int fd, size_t insize)
{
	memset(b, 0, sizeof *b);
	b->fd = fd;
	b->ops = &plain_ops;
	b->want = POLLIN;
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
	b->want = POLLIN;
}

void
buf_set_timeout(struct buf *b, int timeout_ms)
{
	b->timeout_ms = timeout_ms;
}

void
buf_set_deadline(struct buf *b, int64_t from_now_ms)
{
	int64_t now = buf_now_ms();

	if (from_now_ms == 0)
		b->deadline_ms = 0;
	else if (from_now_ms < 0)
		b->deadline_ms = -1;	/* already passed; 0 would mean none */
	else if (from_now_ms > INT64_MAX - now)
		b->deadline_ms = INT64_MAX;
	else
		b->deadline_ms = now + from_now_ms;
}

void
buf_rate_begin(struct buf *b, struct buf_rate *r, int grace_ms,
    unsigned rate)
{
	r->start_ms = buf_now_ms();
	r->saved_ms = b->deadline_ms;
	r->grace_ms = grace_ms;
	r->rate = rate;
	buf_rate_update(b, r, 0);
}

void
buf_rate_update(struct buf *b, const struct buf_rate *r, uint64_t octets)
{
	int64_t d;

	b->deadline_ms = r->saved_ms;
	if (r->rate == 0)
		return;
	/* octets / rate seconds; saturate rather than overflow */
	if (octets / r->rate > (uint64_t)(INT64_MAX / 2000))
		return;
	d = r->start_ms + r->grace_ms + (int64_t)(octets * 1000 / r->rate);
	if (b->deadline_ms == 0 || d < b->deadline_ms)
		b->deadline_ms = d;
}

void
buf_rate_end(struct buf *b, const struct buf_rate *r)
{
	b->deadline_ms = r->saved_ms;
}

/* cap_wait - bound a wait of *ms (< 0: none) by the session deadline;
 * false when the deadline has already passed. */
static bool
cap_wait(const struct buf *b, int *ms)
{
	int64_t left;

	if (b->deadline_ms == 0)
		return true;
	left = b->deadline_ms - buf_now_ms();
	if (left <= 0)
		return false;
	if (*ms < 0 || left < *ms)
		*ms = left > INT_MAX ? INT_MAX : (int)left;
	return true;
}

/* await - wait for b->want on the fd, within timeout and deadline. */
static enum buf_status
await(struct buf *b)
{
	int ms = b->timeout_ms < 0 ? -1 : b->timeout_ms;
	int r;

	if (!cap_wait(b, &ms))
		return BUF_TIMEOUT;
	r = fd_wait(b->fd, b->want, ms);
	if (r < 0) {
		b->err = errno;
		return BUF_ERROR;
	}
	return r > 0 ? BUF_OK : BUF_TIMEOUT;
}

enum buf_status
buf_await(struct buf *b, short events)
{
	enum buf_status st;

	b->want = events;
	st = await(b);
	b->want = POLLIN;
	return st;
}

/*
 * xfer - one read or write through the ops, waiting as needed.  The plain
 * transport waits before each attempt because the fd may be blocking and
 * would ignore the timeout.  Other transports are tried first: TLS may
 * hold decrypted bytes the fd knows nothing about, and says EAGAIN (with
 * b->want) when it needs the fd.
 */
static ssize_t
xfer(struct buf *b, bool wr, void *p, size_t n, enum buf_status *st)
{
	short dflt = wr ? POLLOUT : POLLIN;
	bool wait = b->ops == &plain_ops;
	ssize_t r;

	if (b->err) {
		errno = b->err;
		*st = BUF_ERROR;
		return -1;
	}
	b->want = dflt;
	for (;;) {
		if (wait && (*st = await(b)) != BUF_OK)
			return -1;
		b->want = dflt;
		r = wr ? b->ops->write(b, p, n) : b->ops->read(b, p, n);
		if (r >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			b->err = errno;
			*st = BUF_ERROR;
			return -1;
		}
		wait = true;
	}
	if ((size_t)r > n)
		log_panic("buf: transport %s %zd bytes of %zu",
		    wr ? "wrote" : "read", r, n);
	*st = BUF_OK;
	return r;
}

enum buf_status
buf_flush(struct buf *b)
{
	enum buf_status st = BUF_OK;
	size_t off = 0;
	ssize_t r;

	if (b->err) {
		str_free(&b->out);
		errno = b->err;
		return BUF_ERROR;
	}
	while (off < b->out.len) {
		r = xfer(b, true, b->out.s + off, b->out.len - off, &st);
		if (r == 0) {
			/* No progress and no error: don't spin on it. */
			b->err = errno = EIO;
			st = BUF_ERROR;
		}
		if (r <= 0)
			break;
		off += (size_t)r;
		b->bytes_out += (uint64_t)r;
	}
	if (st == BUF_ERROR) {
		str_free(&b->out);
		errno = b->err;
		return st;
	}
	/* After a timeout, keep what is unsent for the next flush. */
	if (off) {
		memmove(b->out.s, b->out.s + off, b->out.len - off);
		str_truncate(&b->out, b->out.len - off);
	}
	return st;
}

/*
 * fill - refill the (empty) read-ahead buffer, flushing output first so a
 * peer waiting for our replies is never waited for in turn.  BUF_OK when
 * at least one byte arrived.
 */
static enum buf_status
fill(struct buf *b)
{
	enum buf_status st;
	ssize_t r;

	if ((b->out.len || b->err) && (st = buf_flush(b)) != BUF_OK)
		return st;
	b->in_pos = b->in_len = 0;
	r = xfer(b, false, b->in, b->in_cap, &st);
	if (r < 0)
		return st;
	if (r == 0)
		return BUF_EOF;
	b->in_len = (size_t)r;
	b->bytes_in += (uint64_t)r;
	return BUF_OK;
}

enum buf_status
buf_getline(struct buf *b, struct str *line, size_t max)
{
	enum buf_status st;
	bool toolong = false;

	str_clear(line);
	for (;;) {
		char *start = b->in + b->in_pos;
		size_t avail = b->in_len - b->in_pos;
		char *lf = avail ? memchr(start, '\n', avail) : NULL;
		size_t take = lf ? (size_t)(lf - start) + 1 : avail;

		if (!toolong) {
			size_t room = max - line->len;

			if (take > room) {
				str_catb(line, start, room);
				toolong = true;
			} else
				str_catb(line, start, take);
		}
		/* An overlong line is still consumed through its LF, so
		 * the next call starts on the next line. */
		b->in_pos += take;
		if (lf)
			return toolong ? BUF_TOOLONG : BUF_OK;
		if ((st = fill(b)) != BUF_OK)
			return st;
	}
}

ssize_t
buf_read(struct buf *b, void *p, size_t n, enum buf_status *st)
{
	enum buf_status dummy, s;
	size_t take;

	if (st == NULL)
		st = &dummy;
	*st = BUF_OK;
	if (n == 0)
		return 0;
	if (buf_pending(b) == 0 && (s = fill(b)) != BUF_OK) {
		*st = s;
		return s == BUF_EOF ? 0 : -1;
	}
	take = buf_pending(b) < n ? buf_pending(b) : n;
	memcpy(p, b->in + b->in_pos, take);
	b->in_pos += take;
	return (ssize_t)take;
}

enum buf_status
buf_read_exact(struct buf *b, struct str *out, size_t n)
{
	enum buf_status st;
	size_t take;

	/* Grow out as bytes arrive, not by n up front: n came from a peer. */
	while (n > 0) {
		if (buf_pending(b) == 0 && (st = fill(b)) != BUF_OK)
			return st;
		take = buf_pending(b) < n ? buf_pending(b) : n;
		str_catb(out, b->in + b->in_pos, take);
		b->in_pos += take;
		n -= take;
	}
	return BUF_OK;
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

void
buf_preload(struct buf *b, const void *p, size_t n)
{
	size_t have = buf_pending(b);

	if (have + n > b->in_cap) {
		b->in_cap = have + n;
		b->in = xrealloc(b->in, b->in_cap);
	}
	memmove(b->in, b->in + b->in_pos, have);
	memcpy(b->in + have, p, n);
	b->in_pos = 0;
	b->in_len = have + n;
}

int
buf_wait_input(struct buf *b, int ms)
{
	enum buf_status st;
	int r;

	if (buf_pending(b) > 0)
		return 1;
	if ((b->out.len || b->err) && (st = buf_flush(b)) != BUF_OK)
		return st == BUF_TIMEOUT ? 0 : -1;
	if (!cap_wait(b, &ms))
		return 0;
	r = fd_wait(b->fd, POLLIN, ms);
	if (r < 0) {
		b->err = errno;
		return -1;
	}
	return r > 0;
}

/*
 * autoflush - flush once the output passes BUF_OUT_FLUSH.  buf_put cannot
 * report a timeout, and retrying would wait once more per call, so the
 * timeout becomes a sticky ETIMEDOUT error.
 */
static void
autoflush(struct buf *b)
{
	if (b->out.len > BUF_OUT_FLUSH && buf_flush(b) == BUF_TIMEOUT) {
		b->err = ETIMEDOUT;
		str_free(&b->out);
	}
}

void
buf_put(struct buf *b, const void *p, size_t n)
{
	if (b->err)
		return;
	str_catb(&b->out, p, n);
	autoflush(b);
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

	if (b->err)
		return;
	va_start(ap, fmt);
	str_vcatf(&b->out, fmt, ap);
	va_end(ap);
	autoflush(b);
}
