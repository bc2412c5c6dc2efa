/*
 * tls_proxy - the login process's part in a TLS session after login:
 * OpenSSL cannot hand a live connection to another process, and this
 * kernel has no kTLS to hand it with, so the process that shook hands
 * relays between the client and the daemon behind it (Dovecot's
 * imap-login model); see tls.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "tls.h"

#define CHUNK 16384
#define INNER_BACKLOG (1024 * 1024)
/* From the daemon, as much as it has ready up to this, in one write
 * through TLS: fewer, fuller records and system calls. */
#define OUT_BATCH (256 * 1024)

/* from_client - move what the client sent to the pending queue: 0, or
 * -1 when the client is gone. */
static int
from_client(struct buf *b, struct str *q)
{
	char tmp[CHUNK];
	enum buf_status st;
	ssize_t n = buf_read(b, tmp, sizeof tmp, &st);

	if (n <= 0)
		return -1;
	str_catb(q, tmp, (size_t)n);
	return 0;
}

/* to_inner - write what inner takes now: 0, or -1 when it is gone. */
static int
to_inner(int inner, struct str *q)
{
	while (q->len > 0) {
		ssize_t n = write(inner, q->s, q->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		memmove(q->s, q->s + n, q->len - (size_t)n);
		str_truncate(q, q->len - (size_t)n);
	}
	return 0;
}

/* from_inner - what the daemon has ready, up to OUT_BATCH, to the
 * client: 0, or -1 when either side is gone. */
static int
from_inner(struct buf *b, int inner, struct str *out)
{
	str_clear(out);
	str_ready(out, OUT_BATCH);
	while (out->len < OUT_BATCH) {
		ssize_t n = read(inner, out->s + out->len, OUT_BATCH - out->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			if (out->len == 0)
				return -1;
			break;	/* send what came; EOF shows next time */
		}
		out->len += (size_t)n;
	}
	if (out->len == 0)
		return 0;
	buf_put(b, out->s, out->len);
	return buf_flush(b) == BUF_OK ? 0 : -1;
}

void
tls_proxy(struct buf *b, int inner)
{
	struct str q = STR_INIT, out = STR_INIT;
	int fl = fcntl(inner, F_GETFL);

	if (fl < 0 || fcntl(inner, F_SETFL, fl | O_NONBLOCK) < 0)
		return;
	for (;;) {
		struct pollfd pfd[2];
		bool room = q.len < INNER_BACKLOG;

		if (room && (buf_pending(b) > 0 || tls_pending(b))) {
			if (from_client(b, &q) < 0)
				break;
			if (to_inner(inner, &q) < 0)
				break;
			continue;
		}
		pfd[0].fd = room ? b->fd : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = inner;
		pfd[1].events = POLLIN | (q.len > 0 ? POLLOUT : 0);
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents != 0 && from_client(b, &q) < 0)
			break;
		if ((pfd[0].revents != 0 || (pfd[1].revents & POLLOUT)) &&
		    to_inner(inner, &q) < 0)
			break;
		if ((pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    from_inner(b, inner, &out) < 0)
			break;
	}
	str_free(&q);
	str_free(&out);
}
