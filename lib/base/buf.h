/*
 * buf - buffered reader/writer over a file descriptor.
 *
 * Every protocol (SMTP, LMTP, IMAP, POP3, the internal protocols) reads
 * and writes through a struct buf.  The transport is a pair of op
 * functions: plain read(2)/write(2) by default, OpenSSL once STARTTLS or
 * implicit TLS swaps them with buf_set_ops(), so protocol code never
 * knows which it has.
 *
 * Rules the module keeps:
 *  - Before any blocking read, pending output is flushed, so pipelined
 *    clients always see the replies to what they sent (qmail saferead).
 *  - Lines are read under an explicit maximum; an overlong line is
 *    consumed up to and including its LF and reported as BUF_TOOLONG, so
 *    the session stays in step with the client.
 *  - Each wait for the peer is bounded by the per-operation timeout and by
 *    the absolute session deadline, whichever comes first.
 *  - The read-ahead buffer has a fixed size; lines grow in a struct str
 *    that is bounded by the caller's maximum, never by the input.
 *
 * Not thread-safe; one struct buf per connection.
 */
#ifndef ROOST_BUF_H
#define ROOST_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "str.h"

enum buf_status {
	BUF_OK = 0,
	BUF_EOF,	/* peer closed (a partial line may be returned) */
	BUF_TOOLONG,	/* line over the maximum; consumed through its LF */
	BUF_TIMEOUT,	/* timeout or session deadline passed */
	BUF_ERROR,	/* I/O error; errno is kept in buf->err */
};

struct buf;

/*
 * Transport operations.  They behave like read(2)/write(2): return the
 * byte count, 0 for end of input (read only), or -1 with errno set.  An op
 * that cannot proceed sets errno = EAGAIN and b->want to POLLIN or POLLOUT
 * (TLS may need to write to read); buf then waits on b->fd for that.
 */
struct buf_ops {
	ssize_t (*read)(struct buf *b, void *p, size_t n);
	ssize_t (*write)(struct buf *b, const void *p, size_t n);
};

struct buf {
	int fd;
	const struct buf_ops *ops;
	void *op_ctx;		/* the transport's state (e.g. an SSL *) */
	short want;		/* poll events an op is waiting for */
	char *in;		/* read-ahead buffer */
	size_t in_pos, in_len, in_cap;
	struct str out;		/* pending output */
	int timeout_ms;		/* per wait; < 0 means none */
	int64_t deadline_ms;	/* absolute, CLOCK_MONOTONIC; 0 means none */
	int err;		/* errno of the last BUF_ERROR */
	uint64_t bytes_in, bytes_out;
};

#define BUF_INSIZE_DEFAULT 16384
#define BUF_OUT_FLUSH 65536	/* output beyond this is flushed at once */

/* buf_init - attach to fd with the plain transport; insize 0 = default. */
void buf_init(struct buf *b, int fd, size_t insize);
/* buf_free - release buffers (does not close fd, does not flush). */
void buf_free(struct buf *b);
void buf_set_ops(struct buf *b, const struct buf_ops *ops, void *ctx);
void buf_set_timeout(struct buf *b, int timeout_ms);
/* buf_set_deadline - session deadline, in ms from now (0 clears it).
 * After a deadline has passed nothing more is written, not even the
 * reply that says so: give that one BUF_LAST_WORDS_MS of its own. */
#define BUF_LAST_WORDS_MS 2000
void buf_set_deadline(struct buf *b, int64_t from_now_ms);
/*
 * A minimum data rate (Postfix's smtpd_min_data_rate): while a body or
 * literal is read, b's deadline is the earlier of the session deadline in
 * force at buf_rate_begin and start + grace_ms + octets / rate seconds,
 * where octets is what buf_rate_update last said has arrived (or is
 * announced).  A client that keeps up never meets it; one that trickles
 * does, however often it sends a byte.  rate 0: no rate deadline.
 * buf_rate_end puts the session deadline back.
 */
struct buf_rate {
	int64_t start_ms, saved_ms;
	int grace_ms;
	unsigned rate;		/* octets per second */
};
void buf_rate_begin(struct buf *b, struct buf_rate *r, int grace_ms,
    unsigned rate);
void buf_rate_update(struct buf *b, const struct buf_rate *r,
    uint64_t octets);
void buf_rate_end(struct buf *b, const struct buf_rate *r);
/* buf_now_ms - CLOCK_MONOTONIC in milliseconds. */
int64_t buf_now_ms(void);

/*
 * buf_getline - read one line into line (replacing its content),
 * including the terminating LF (and a CR before it, if any), so callers
 * can tell CRLF from a bare LF.  max bounds the line, terminator
 * included.  Returns BUF_OK, BUF_EOF (line holds any partial bytes),
 * BUF_TOOLONG (line holds the first max bytes), BUF_TIMEOUT or BUF_ERROR.
 */
enum buf_status buf_getline(struct buf *b, struct str *line, size_t max);

/* buf_read - up to n bytes (buffered first); like read(2), with the
 * status in *st when it returns 0 or -1. */
ssize_t buf_read(struct buf *b, void *p, size_t n, enum buf_status *st);
/* buf_read_exact - append exactly n bytes to out. */
enum buf_status buf_read_exact(struct buf *b, struct str *out, size_t n);
/* buf_pending - bytes already read ahead and not yet consumed. */
size_t buf_pending(const struct buf *b);
/* buf_discard_input - drop read-ahead input (STARTTLS: anything sent
 * before the handshake must never be taken as sent after it). */
size_t buf_discard_input(struct buf *b);
/* buf_preload - append n bytes to the read-ahead input, as if they had
 * been read (input a login process read before handing over). */
void buf_preload(struct buf *b, const void *p, size_t n);
/* buf_await - wait for events (POLLIN/POLLOUT) on b->fd under b's
 * timeout and session deadline, for a transport that drives the fd
 * itself (the TLS handshake): BUF_OK, BUF_TIMEOUT or BUF_ERROR. */
enum buf_status buf_await(struct buf *b, short events);
/* buf_wait_input - wait up to ms for input without consuming it:
 * 1 input available (or EOF pending), 0 timeout, -1 error. */
int buf_wait_input(struct buf *b, int ms);

void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* buf_flush - write all pending output: BUF_OK, BUF_TIMEOUT, BUF_ERROR. */
enum buf_status buf_flush(struct buf *b);

#endif
