/*
 * test-buf - buffered I/O: line reading under a maximum, timeouts and the
 * session deadline, flush-before-read, STARTTLS input discard, pluggable
 * transport ops, write errors and large output.
 *
 * Peers are socketpairs and pipes, with a forked child where the peer has
 * to act on its own.  The few timing checks use generous bounds.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fd.h"
#include "str.h"
#include "tap.h"

static void
xsocketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		bail("socketpair");
}

/* feed - a socket whose peer has already sent data; the peer end is
 * returned in *peer, or closed (EOF after the data) when peer is NULL. */
static int
feed(const char *data, int *peer)
{
	int sv[2];

	xsocketpair(sv);
	if (fd_write_all(sv[1], data, strlen(data)) < 0)
		bail("write");
	if (peer)
		*peer = sv[1];
	else
		close(sv[1]);
	return sv[0];
}

/* spawn_writer - a child that sends data on fd, chunk bytes per write (0:
 * all at once), then exits.  The parent's copy of fd is closed, so the
 * reader on other sees EOF after the data. */
static pid_t
spawn_writer(int fd, int other, const char *data, size_t len, size_t chunk)
{
	pid_t pid = xfork();
	size_t off = 0, n;

	if (pid == 0) {
		close(other);
		while (off < len) {
			n = chunk && chunk < len - off ? chunk : len - off;
			if (fd_write_all(fd, data + off, n) < 0)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	close(fd);
	return pid;
}

static int64_t
since(int64_t t0)
{
	return buf_now_ms() - t0;
}

/* Line reading: results as "status:length:bytes\n" records. */

static void
note(struct str *res, int st, const char *p, size_t n)
{
	str_catf(res, "%d:%zu:", st, n);
	str_catb(res, p, n);
	str_catc(res, '\n');
}

static void
record(struct buf *b, size_t max, struct str *res)
{
	struct str line = STR_INIT;
	enum buf_status st;

	str_clear(res);
	do {
		st = buf_getline(b, &line, max);
		note(res, st, str_cstr(&line), line.len);
	} while (st == BUF_OK || st == BUF_TOOLONG);
	str_free(&line);
}

/* expect - what buf_getline must return for input, worked out apart from
 * buf: split at LF, cut at max, partial last line at EOF. */
static void
expect(const struct str *in, size_t max, struct str *res)
{
	size_t i = 0, len, keep;
	const char *lf;
	int st;

	str_clear(res);
	while (i < in->len) {
		lf = memchr(in->s + i, '\n', in->len - i);
		len = lf ? (size_t)(lf - (in->s + i)) + 1 : in->len - i;
		keep = len > max ? max : len;
		st = lf == NULL ? BUF_EOF : len > max ? BUF_TOOLONG : BUF_OK;
		note(res, st, in->s + i, keep);
		i += len;
		if (st == BUF_EOF)
			return;
	}
	note(res, BUF_EOF, "", 0);
}

static uint32_t
rnd(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 8;
}

/* make_input - a few hundred lines of every sort: CRLF and bare LF,
 * empty, exactly max, one over, far over (longer than the read-ahead),
 * with NUL and stray CR, and a final line without its LF. */
static void
make_input(struct str *in, size_t max)
{
	uint32_t x = 4711;
	size_t body, j;
	int i, kind;
	bool crlf;

	str_clear(in);
	for (i = 0; i < 400; i++) {
		kind = (int)(rnd(&x) % 16);
		crlf = rnd(&x) % 2;
		switch (kind) {
		case 10:
			body = max - (crlf ? 2 : 1);	/* exactly max */
			break;
		case 11:
			body = max - (crlf ? 2 : 1) + 1;	/* one over */
			break;
		case 12:
			body = 2000 + rnd(&x) % 20000;	/* far over */
			break;
		case 13:
			body = 0;
			break;
		default:
			body = rnd(&x) % 120;
			break;
		}
		for (j = 0; j < body; j++) {
			char c = (char)('!' + rnd(&x) % 94);

			if (kind == 14 && j % 7 == 3)
				c = j % 2 ? '\0' : '\r';
			str_catc(in, c);
		}
		str_cats(in, crlf ? "\r\n" : "\n");
	}
	str_cats(in, "partial line without LF");
}

static void
same(const struct str *got, const struct str *want, const char *name)
{
	size_t i = 0;

	if (!ok(got->len == want->len &&
	    memcmp(got->s, want->s, got->len) == 0, "%s", name)) {
		while (i < got->len && i < want->len && got->s[i] == want->s[i])
			i++;
		diag("got %zu bytes, want %zu; first difference at %zu",
		    got->len, want->len, i);
	}
}

/* parse_via - send in through a socketpair (chunk bytes per write, 0: one
 * block) and read it back with a read-ahead of insize. */
static void
parse_via(const struct str *in, size_t chunk, size_t insize, size_t max,
    struct str *res)
{
	struct buf b;
	int sv[2];
	pid_t pid;

	xsocketpair(sv);
	pid = spawn_writer(sv[1], sv[0], in->s, in->len, chunk);
	buf_init(&b, sv[0], insize);
	buf_set_timeout(&b, 10000);
	record(&b, max, res);
	if (b.bytes_in != in->len)
		diag("bytes_in %llu, sent %zu", (unsigned long long)b.bytes_in,
		    in->len);
	buf_free(&b);
	close(sv[0]);
	if (reap(pid) != 0)
		diag("writer child failed");
}

static void
test_lines(void)
{
	struct buf b;
	struct str line = STR_INIT;
	int fd;

	fd = feed("HELO a\r\nbare\nx\r\r\n\r\n\nlast\r\n", NULL);
	buf_init(&b, fd, 0);
	is_int(buf_getline(&b, &line, 100), BUF_OK, "CRLF line: OK");
	is_str(line.s, "HELO a\r\n", "CRLF kept");
	is_int(buf_getline(&b, &line, 100), BUF_OK, "bare LF line: OK");
	is_str(line.s, "bare\n", "bare LF kept, no CR added");
	is_int(buf_getline(&b, &line, 100), BUF_OK, "stray CR line: OK");
	is_str(line.s, "x\r\r\n", "stray CR kept");
	buf_getline(&b, &line, 100);
	is_str(line.s, "\r\n", "empty CRLF line");
	buf_getline(&b, &line, 100);
	is_str(line.s, "\n", "empty LF line");
	buf_getline(&b, &line, 100);
	is_str(line.s, "last\r\n", "last full line");
	is_int(buf_getline(&b, &line, 100), BUF_EOF, "then EOF");
	is_int(line.len, 0, "EOF after a full line: empty line");
	buf_free(&b);
	close(fd);

	fd = feed("0123456789ABCDEF\nnext\r\n", NULL);
	buf_init(&b, fd, 0);
	is_int(buf_getline(&b, &line, 10), BUF_TOOLONG, "overlong line");
	is_str(line.s, "0123456789", "overlong: first max bytes kept");
	is_int(buf_getline(&b, &line, 10), BUF_OK, "line after overlong: OK");
	is_str(line.s, "next\r\n", "line after overlong read correctly");
	buf_free(&b);
	close(fd);

	/* Overlong across many refills of a tiny read-ahead. */
	fd = feed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n"
	    "ok\n", NULL);
	buf_init(&b, fd, 4);
	is_int(buf_getline(&b, &line, 10), BUF_TOOLONG,
	    "overlong across refills");
	is_str(line.s, "abcdefghij", "overlong across refills: first max");
	is_int(buf_getline(&b, &line, 10), BUF_OK, "next line after that");
	is_str(line.s, "ok\n", "next line content");
	buf_free(&b);
	close(fd);

	fd = feed("123456789\n12345678\r\n123456789\r\nabcdefghi\r", NULL);
	buf_init(&b, fd, 3);
	is_int(buf_getline(&b, &line, 10), BUF_OK, "exactly max with LF: OK");
	is_str(line.s, "123456789\n", "exactly max with LF: content");
	is_int(buf_getline(&b, &line, 10), BUF_OK, "exactly max with CRLF");
	is_str(line.s, "12345678\r\n", "exactly max with CRLF: content");
	is_int(buf_getline(&b, &line, 10), BUF_TOOLONG,
	    "max + 1 (LF is the extra byte): too long");
	is_str(line.s, "123456789\r", "max + 1: first max bytes");
	is_int(buf_getline(&b, &line, 10), BUF_EOF,
	    "max bytes and EOF, no LF: EOF");
	is_str(line.s, "abcdefghi\r", "partial line of max bytes returned");
	buf_free(&b);
	close(fd);

	fd = feed("abc", NULL);
	buf_init(&b, fd, 0);
	is_int(buf_getline(&b, &line, 100), BUF_EOF, "EOF with partial line");
	is_str(line.s, "abc", "partial line returned");
	is_int(buf_getline(&b, &line, 100), BUF_EOF, "EOF again");
	is_int(line.len, 0, "EOF again: empty");
	buf_free(&b);
	close(fd);

	fd = feed("", NULL);
	buf_init(&b, fd, 0);
	str_copys(&line, "junk from before");
	is_int(buf_getline(&b, &line, 100), BUF_EOF, "EOF with no bytes");
	is_int(line.len, 0, "EOF with no bytes: line emptied");
	buf_free(&b);
	close(fd);

	fd = feed("0123456789ABCDEF", NULL);
	buf_init(&b, fd, 0);
	is_int(buf_getline(&b, &line, 10), BUF_EOF,
	    "EOF while discarding an overlong line: EOF");
	is_str(line.s, "0123456789", "  and the first max bytes");
	buf_free(&b);
	close(fd);

	fd = feed("\nx\n", NULL);
	buf_init(&b, fd, 0);
	is_int(buf_getline(&b, &line, 0), BUF_TOOLONG, "max 0: every line "
	    "is too long");
	is_int(buf_getline(&b, &line, 2), BUF_OK, "and the stream stays in "
	    "step");
	is_str(line.s, "x\n", "  next line");
	buf_free(&b);
	close(fd);
	str_free(&line);
}

static void
test_trickle(void)
{
	struct str in = STR_INIT, want = STR_INIT, got = STR_INIT;
	const size_t max = 1000;

	make_input(&in, max);
	expect(&in, max, &want);
	diag("trickle input: %zu bytes", in.len);
	parse_via(&in, 0, 0, max, &got);
	same(&got, &want, "one block, default read-ahead: as expected");
	parse_via(&in, 1, 0, max, &got);
	same(&got, &want, "1 byte per write: same results");
	parse_via(&in, 0, 1, max, &got);
	same(&got, &want, "one block, 1-byte read-ahead: same results");
	parse_via(&in, 1, 5, max, &got);
	same(&got, &want, "1 byte per write, 5-byte read-ahead: same results");
	parse_via(&in, 4093, 4096, max, &got);
	same(&got, &want, "odd chunks, 4096-byte read-ahead: same results");
	expect(&in, 65536, &want);
	parse_via(&in, 0, 4096, 65536, &got);
	same(&got, &want, "long lines grow across refills when max allows");
	str_free(&in);
	str_free(&want);
	str_free(&got);
}

static void
test_read(void)
{
	struct buf b;
	struct str out = STR_INIT, line = STR_INIT;
	enum buf_status st;
	char p[100];
	int fd, peer;
	ssize_t n;

	fd = feed("0123456789abcdefghijklmnopqrstuvwxyz" "tail\n", NULL);
	buf_init(&b, fd, 7);
	is_int(buf_read_exact(&b, &out, 3), BUF_OK, "read_exact 3");
	is_str(out.s, "012", "read_exact content");
	is_int(buf_read_exact(&b, &out, 30), BUF_OK,
	    "read_exact 30 across refills of 7");
	is_str(out.s, "0123456789abcdefghijklmnopqrstuvw",
	    "read_exact appends");
	is_int(buf_read_exact(&b, &out, 0), BUF_OK, "read_exact 0");
	is_int(out.len, 33, "read_exact 0 appends nothing");
	is_int(buf_getline(&b, &line, 100), BUF_OK, "getline after read_exact");
	is_str(line.s, "xyztail\n", "getline continues where it stopped");
	str_clear(&out);
	is_int(buf_read_exact(&b, &out, 5), BUF_EOF, "read_exact at EOF");
	buf_free(&b);
	close(fd);

	fd = feed("abc", NULL);
	buf_init(&b, fd, 2);
	str_copys(&out, ">");
	is_int(buf_read_exact(&b, &out, 10), BUF_EOF, "read_exact short: EOF");
	is_str(out.s, ">abc", "read_exact short: bytes so far appended");
	buf_free(&b);
	close(fd);

	fd = feed("hello world", NULL);
	buf_init(&b, fd, 0);
	n = buf_read(&b, p, 5, &st);
	ok(n == 5 && st == BUF_OK && memcmp(p, "hello", 5) == 0, "buf_read 5");
	is_int(buf_pending(&b), 6, "rest is pending");
	n = buf_read(&b, p, sizeof p, &st);
	ok(n == 6 && memcmp(p, " world", 6) == 0,
	    "buf_read returns what is buffered");
	n = buf_read(&b, p, 0, &st);
	ok(n == 0 && st == BUF_OK, "buf_read of 0 bytes: 0, OK");
	n = buf_read(&b, p, sizeof p, &st);
	ok(n == 0 && st == BUF_EOF, "buf_read at EOF: 0, BUF_EOF");
	buf_free(&b);
	close(fd);

	fd = feed("", &peer);
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, 50);
	n = buf_read(&b, p, sizeof p, &st);
	ok(n == -1 && st == BUF_TIMEOUT, "buf_read on a silent peer: -1, "
	    "BUF_TIMEOUT");
	buf_free(&b);
	close(fd);
	close(peer);
	str_free(&out);
	str_free(&line);
}

static void
test_timeouts(void)
{
	struct buf b;
	struct str line = STR_INIT;
	int64_t t0, dt;
	int fd, peer, sv[2], i;
	pid_t pid;

	fd = feed("", &peer);
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, 100);
	t0 = buf_now_ms();
	is_int(buf_getline(&b, &line, 100), BUF_TIMEOUT,
	    "silent peer: BUF_TIMEOUT");
	dt = since(t0);
	ok(dt >= 90 && dt < 3000, "after about 100 ms (%lld)", (long long)dt);
	is_int(b.err, 0, "a timeout is not an error");

	buf_set_timeout(&b, -1);
	buf_set_deadline(&b, 150);
	t0 = buf_now_ms();
	is_int(buf_getline(&b, &line, 100), BUF_TIMEOUT,
	    "no timeout, deadline 150 ms: BUF_TIMEOUT");
	dt = since(t0);
	ok(dt >= 140 && dt < 3000, "after about 150 ms (%lld)", (long long)dt);

	buf_set_timeout(&b, 10000);
	buf_set_deadline(&b, 100);
	t0 = buf_now_ms();
	is_int(buf_getline(&b, &line, 100), BUF_TIMEOUT,
	    "deadline before the timeout: BUF_TIMEOUT");
	dt = since(t0);
	ok(dt >= 90 && dt < 3000, "  the deadline wins (%lld ms)",
	    (long long)dt);

	/* Past the deadline nothing waits, even for input that is there. */
	if (fd_write_all(peer, "a\nb\n", 4) < 0)
		bail("write");
	buf_set_deadline(&b, -1);
	t0 = buf_now_ms();
	is_int(buf_getline(&b, &line, 100), BUF_TIMEOUT,
	    "deadline passed: BUF_TIMEOUT at once");
	ok(since(t0) < 1000, "  without waiting");
	is_int(buf_wait_input(&b, 5000), 0, "  and buf_wait_input says 0");
	buf_set_deadline(&b, 0);
	is_int(buf_getline(&b, &line, 100), BUF_OK, "deadline cleared: OK");
	is_str(line.s, "a\n", "  the waiting line");
	buf_set_deadline(&b, -1);
	is_int(buf_getline(&b, &line, 100), BUF_OK,
	    "input already read ahead is still served after the deadline");
	is_str(line.s, "b\n", "  the buffered line");
	buf_free(&b);
	close(fd);
	close(peer);

	/* A peer sending a byte every 20 ms never trips a 200 ms timeout;
	 * the session deadline stops it. */
	xsocketpair(sv);
	pid = xfork();
	if (pid == 0) {
		close(sv[0]);
		for (i = 0; i < 200; i++) {
			if (fd_write(sv[1], "x", 1) < 0)
				_exit(0);
			usleep(20000);
		}
		_exit(0);
	}
	close(sv[1]);
	buf_init(&b, sv[0], 0);
	buf_set_timeout(&b, 200);
	buf_set_deadline(&b, 400);
	t0 = buf_now_ms();
	is_int(buf_getline(&b, &line, 100000), BUF_TIMEOUT,
	    "trickling peer: deadline gives BUF_TIMEOUT");
	dt = since(t0);
	ok(dt >= 390 && dt < 3000, "  at the deadline (%lld ms)",
	    (long long)dt);
	ok(b.bytes_in > 3, "  while bytes kept coming (%llu)",
	    (unsigned long long)b.bytes_in);
	buf_free(&b);
	close(sv[0]);
	kill(pid, SIGTERM);
	reap(pid);
	str_free(&line);
}

/* answer_ping - child: read one line, answer PONG if it was PING, then
 * wait for the parent to close. */
static void
answer_ping(int fd)
{
	struct str got = STR_INIT;
	char c;

	while (fd_read(fd, &c, 1) == 1) {
		str_catc(&got, c);
		if (c == '\n')
			break;
	}
	if (str_eqs(&got, "PING\r\n"))
		(void)fd_write_all(fd, "PONG\r\n", 6);
	while (fd_read(fd, &c, 1) > 0)
		;
	_exit(0);
}

static void
test_flush_before_read(void)
{
	struct buf b;
	struct str line = STR_INIT;
	enum buf_status st;
	int sv[2];
	pid_t pid;
	char p[16];

	xsocketpair(sv);
	if ((pid = xfork()) == 0) {
		close(sv[0]);
		answer_ping(sv[1]);
	}
	close(sv[1]);
	buf_init(&b, sv[0], 0);
	buf_set_timeout(&b, 5000);
	buf_puts(&b, "PING\r\n");
	is_int(b.out.len, 6, "output is held until needed");
	is_int(buf_getline(&b, &line, 100), BUF_OK,
	    "getline flushes first: the peer answers");
	is_str(line.s, "PONG\r\n", "  with its answer");
	is_int(b.out.len, 0, "  nothing left pending");
	buf_free(&b);
	close(sv[0]);
	is_int(reap(pid), 0, "  peer exited cleanly");

	xsocketpair(sv);
	if ((pid = xfork()) == 0) {
		close(sv[0]);
		answer_ping(sv[1]);
	}
	close(sv[1]);
	buf_init(&b, sv[0], 0);
	buf_set_timeout(&b, 5000);
	buf_printf(&b, "%s\r\n", "PING");
	is_int(buf_wait_input(&b, 5000), 1, "buf_wait_input flushes first");
	is_int(buf_read(&b, p, sizeof p, &st), 6, "  and the answer is there");
	buf_free(&b);
	close(sv[0]);
	reap(pid);

	xsocketpair(sv);
	if ((pid = xfork()) == 0) {
		close(sv[0]);
		answer_ping(sv[1]);
	}
	close(sv[1]);
	buf_init(&b, sv[0], 0);
	buf_set_timeout(&b, 5000);
	buf_puts(&b, "PING\r\n");
	str_clear(&line);
	is_int(buf_read_exact(&b, &line, 6), BUF_OK,
	    "buf_read_exact flushes first");
	is_str(line.s, "PONG\r\n", "  and gets the answer");
	buf_free(&b);
	close(sv[0]);
	reap(pid);
	str_free(&line);
}

static void
test_discard(void)
{
	struct buf b;
	struct str line = STR_INIT;
	int64_t t0;
	int fd, peer;

	fd = feed("STARTTLS\r\nMAIL FROM:<evil@example>\r\n", &peer);
	buf_init(&b, fd, 0);
	is_int(buf_getline(&b, &line, 100), BUF_OK, "STARTTLS line");
	is_str(line.s, "STARTTLS\r\n", "  read");
	is_int(buf_pending(&b), strlen("MAIL FROM:<evil@example>\r\n"),
	    "pipelined command is pending");
	t0 = buf_now_ms();
	is_int(buf_wait_input(&b, 10000), 1,
	    "buf_wait_input with input pending: 1");
	ok(since(t0) < 1000, "  at once");
	is_int(buf_discard_input(&b), strlen("MAIL FROM:<evil@example>\r\n"),
	    "buf_discard_input drops it and says how much");
	is_int(buf_pending(&b), 0, "nothing pending after discard");
	is_int(buf_discard_input(&b), 0, "discard again: 0");
	is_int(buf_wait_input(&b, 50), 0, "buf_wait_input, silent peer: 0");
	if (fd_write_all(peer, "EHLO x\r\n", 8) < 0)
		bail("write");
	is_int(buf_wait_input(&b, 5000), 1, "buf_wait_input, input came: 1");
	is_int(buf_pending(&b), 0, "  without consuming it");
	is_int(buf_getline(&b, &line, 100), BUF_OK, "next line");
	is_str(line.s, "EHLO x\r\n", "  is the one sent after the discard");
	close(peer);
	is_int(buf_wait_input(&b, 5000), 1, "buf_wait_input, EOF pending: 1");
	is_int(buf_getline(&b, &line, 100), BUF_EOF, "  then EOF");
	buf_free(&b);
	close(fd);
	str_free(&line);
}

/* Transport ops: a ROT13 "cipher", and a fake TLS that holds plaintext of
 * its own, can ask to wait for POLLIN or POLLOUT, or fail. */

struct opctx {
	int reads, writes;
	int again_reads, again_writes;	/* EAGAIN this many times first */
	short want;			/* ... asking for this */
	const char *held;		/* plaintext the "TLS" layer holds */
	int fail;			/* errno to fail reads with */
};

static void
rot13(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if ((c >= 'a' && c <= 'm') || (c >= 'A' && c <= 'M'))
			p[i] = (char)(c + 13);
		else if ((c >= 'n' && c <= 'z') || (c >= 'N' && c <= 'Z'))
			p[i] = (char)(c - 13);
	}
}

static ssize_t
rot_read(struct buf *b, void *p, size_t n)
{
	struct opctx *c = b->op_ctx;
	ssize_t r;

	c->reads++;
	r = fd_read(b->fd, p, n);
	if (r > 0)
		rot13(p, (size_t)r);
	return r;
}

static ssize_t
rot_write(struct buf *b, const void *p, size_t n)
{
	struct opctx *c = b->op_ctx;
	char tmp[16];

	c->writes++;
	if (n > sizeof tmp)
		n = sizeof tmp;
	memcpy(tmp, p, n);
	rot13(tmp, n);
	return fd_write(b->fd, tmp, n);
}

static const struct buf_ops rot_ops = { rot_read, rot_write };

static ssize_t
tls_read(struct buf *b, void *p, size_t n)
{
	struct opctx *c = b->op_ctx;
	size_t len;

	c->reads++;
	if (c->again_reads > 0) {
		c->again_reads--;
		b->want = c->want;
		errno = EAGAIN;
		return -1;
	}
	if (c->fail) {
		errno = c->fail;
		return -1;
	}
	if (c->held && *c->held) {
		len = strlen(c->held);
		len = len < n ? len : n;
		memcpy(p, c->held, len);
		c->held += len;
		return (ssize_t)len;
	}
	return fd_read(b->fd, p, n);
}

static ssize_t
tls_write(struct buf *b, const void *p, size_t n)
{
	struct opctx *c = b->op_ctx;

	c->writes++;
	if (c->again_writes > 0) {
		c->again_writes--;
		b->want = c->want;
		errno = EAGAIN;
		return -1;
	}
	return fd_write(b->fd, p, n);
}

static const struct buf_ops tls_ops = { tls_read, tls_write };

static void
test_ops(void)
{
	struct buf b;
	struct str line = STR_INIT;
	struct opctx c;
	char got[64];
	int64_t t0;
	int fd, peer;

	memset(&c, 0, sizeof c);
	fd = feed("Uryyb, jbeyq!\r\n", &peer);
	buf_init(&b, fd, 0);
	buf_set_ops(&b, &rot_ops, &c);
	is_int(buf_getline(&b, &line, 100), BUF_OK, "ROT13 op: getline");
	is_str(line.s, "Hello, world!\r\n", "  decoded by the read op");
	is_int(c.reads, 1, "  one read op call");
	buf_puts(&b, "Hello from the ROT13 transport\r\n");
	is_int(buf_flush(&b), BUF_OK, "ROT13 op: flush");
	ok(c.writes >= 2, "  short writes of the op resumed (%d calls)",
	    c.writes);
	memset(got, 0, sizeof got);
	if (fd_read(peer, got, 32) != 32)
		bail("read");
	is_str(got, "Uryyb sebz gur EBG13 genafcbeg\r\n",
	    "  the peer got it encoded");
	is_int(b.bytes_in, 15, "bytes_in counts through the op");
	is_int(b.bytes_out, 32, "bytes_out counts through the op");
	buf_free(&b);
	close(fd);
	close(peer);

	/* The op is tried before polling: the fd is silent but the
	 * transport holds a line. */
	memset(&c, 0, sizeof c);
	c.held = "held\r\n";
	fd = feed("", &peer);
	fd_nonblock(fd, true);
	buf_init(&b, fd, 0);
	buf_set_ops(&b, &tls_ops, &c);
	buf_set_timeout(&b, 500);
	t0 = buf_now_ms();
	is_int(buf_getline(&b, &line, 100), BUF_OK,
	    "op holding data on a silent fd: OK");
	is_str(line.s, "held\r\n", "  its data");
	ok(since(t0) < 400, "  without waiting for the fd");

	/* EAGAIN once, wanting POLLIN, with input on the fd. */
	c.reads = 0;
	c.again_reads = 1;
	c.want = POLLIN;
	if (fd_write_all(peer, "data\n", 5) < 0)
		bail("write");
	is_int(buf_getline(&b, &line, 100), BUF_OK,
	    "op says EAGAIN/POLLIN once: OK");
	is_str(line.s, "data\n", "  the data");
	is_int(c.reads, 2, "  after a retry");

	/* EAGAIN once wanting POLLOUT (TLS writing to read): waiting for
	 * POLLIN would time out, as the fd stays silent. */
	c.reads = 0;
	c.again_reads = 1;
	c.want = POLLOUT;
	c.held = "renegotiated\n";
	t0 = buf_now_ms();
	is_int(buf_getline(&b, &line, 100), BUF_OK,
	    "op says EAGAIN/POLLOUT on a read: OK");
	is_str(line.s, "renegotiated\n", "  the data");
	ok(since(t0) < 400 && c.reads == 2, "  waited for POLLOUT, not "
	    "POLLIN (%d calls)", c.reads);

	/* Nothing anywhere: the op's EAGAIN is bounded by the timeout. */
	c.reads = 0;
	buf_set_timeout(&b, 100);
	t0 = buf_now_ms();
	is_int(buf_getline(&b, &line, 100), BUF_TIMEOUT,
	    "op with nothing to read: BUF_TIMEOUT");
	ok(since(t0) >= 90, "  after the timeout");
	is_int(c.reads, 1, "  one op call, then the wait");

	c.writes = 0;
	c.again_writes = 1;
	c.want = POLLOUT;
	buf_set_timeout(&b, 5000);
	buf_puts(&b, "reply\r\n");
	is_int(buf_flush(&b), BUF_OK, "write op says EAGAIN/POLLOUT once: OK");
	is_int(c.writes, 2, "  after a retry");
	memset(got, 0, sizeof got);
	ok(fd_read(peer, got, sizeof got) == 7 && strcmp(got, "reply\r\n")
	    == 0, "  the peer got it");

	c.fail = ECONNRESET;
	is_int(buf_getline(&b, &line, 100), BUF_ERROR,
	    "op failing: BUF_ERROR");
	is_int(b.err, ECONNRESET, "  errno kept in b->err");
	buf_free(&b);
	close(fd);
	close(peer);
	str_free(&line);
}

static void
test_write_errors(void)
{
	struct buf b;
	struct str line = STR_INIT;
	char junk[4096], *big;
	size_t filled = 0, left;
	int64_t t0;
	ssize_t r;
	int sv[2];

	xsocketpair(sv);
	close(sv[1]);
	buf_init(&b, sv[0], 0);
	buf_puts(&b, "250 ok\r\n");
	is_int(buf_flush(&b), BUF_ERROR, "write to a closed peer: BUF_ERROR");
	is_int(b.err, EPIPE, "  EPIPE in b->err");
	is_int(buf_flush(&b), BUF_ERROR, "flush again, nothing pending: "
	    "still BUF_ERROR");
	buf_puts(&b, "more\r\n");
	is_int(b.out.len, 0, "output after the error is dropped");
	is_int(buf_flush(&b), BUF_ERROR, "flush again: still BUF_ERROR");
	is_int(buf_getline(&b, &line, 100), BUF_ERROR, "reading needs the "
	    "broken transport too: BUF_ERROR");
	buf_free(&b);
	close(sv[0]);

	big = malloc(BUF_OUT_FLUSH + 100);
	if (big == NULL)
		bail("malloc");
	memset(big, 'z', BUF_OUT_FLUSH + 100);
	xsocketpair(sv);
	close(sv[1]);
	buf_init(&b, sv[0], 0);
	buf_put(&b, big, BUF_OUT_FLUSH + 100);
	is_int(b.err, EPIPE, "large put flushes itself and hits the error");
	is_int(buf_flush(&b), BUF_ERROR, "  flush reports it");
	buf_free(&b);
	close(sv[0]);

	/* A peer that does not read: the flush times out, keeps what is
	 * unsent, and finishes once the peer reads. */
	memset(junk, 'j', sizeof junk);
	xsocketpair(sv);
	fd_nonblock(sv[0], true);
	while ((r = write(sv[0], junk, sizeof junk)) > 0)
		filled += (size_t)r;
	fd_nonblock(sv[0], false);
	buf_init(&b, sv[0], 0);
	buf_set_timeout(&b, 100);
	buf_puts(&b, "x");
	t0 = buf_now_ms();
	is_int(buf_flush(&b), BUF_TIMEOUT, "flush to a full peer: BUF_TIMEOUT");
	ok(since(t0) >= 90, "  after the timeout");
	is_int(b.out.len, 1, "  output kept for the next flush");
	for (left = filled; left > 0; left -= (size_t)r)
		if ((r = fd_read(sv[1], junk, left < sizeof junk ? left :
		    sizeof junk)) <= 0)
			bail("drain");
	is_int(buf_flush(&b), BUF_OK, "flush after the peer read: OK");
	ok(fd_read(sv[1], junk, 1) == 1 && junk[0] == 'x', "  byte delivered");

	/* A put cannot report a timeout, so it sticks as ETIMEDOUT. */
	t0 = buf_now_ms();
	fd_nonblock(sv[0], true);
	while (write(sv[0], junk, sizeof junk) > 0)
		;
	fd_nonblock(sv[0], false);
	buf_put(&b, big, BUF_OUT_FLUSH + 100);
	is_int(b.err, ETIMEDOUT, "large put to a full peer: sticky ETIMEDOUT");
	ok(since(t0) < 3000, "  after one timeout");
	is_int(buf_flush(&b), BUF_ERROR, "  flush reports it");
	buf_free(&b);
	close(sv[0]);
	close(sv[1]);
	free(big);
	str_free(&line);
}

/* check_output - child: read fd to EOF, exit 0 when it equals want. */
static void
check_output(int fd, const struct str *want)
{
	struct str got = STR_INIT;
	char p[8192];
	ssize_t r;

	while ((r = fd_read(fd, p, sizeof p)) > 0)
		str_catb(&got, p, (size_t)r);
	_exit(r == 0 && got.len == want->len &&
	    memcmp(got.s, want->s, got.len) == 0 ? 0 : 1);
}

static void
large_output(const struct str *want, bool nonblock, const char *name)
{
	struct buf b;
	uint32_t x = 99;
	size_t off = 0, n, over = 0;
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		bail("pipe");
	if ((pid = xfork()) == 0) {
		close(p[1]);
		check_output(p[0], want);
	}
	close(p[0]);
	if (nonblock)
		fd_nonblock(p[1], true);
	buf_init(&b, p[1], 0);
	buf_set_timeout(&b, 10000);
	while (off < want->len) {
		n = rnd(&x) % 9000 + 1;
		if (rnd(&x) % 50 == 0)
			n = 150000;
		if (n > want->len - off)
			n = want->len - off;
		if (rnd(&x) % 2)
			buf_put(&b, want->s + off, n);
		else
			buf_printf(&b, "%.*s", (int)n, want->s + off);
		if (b.out.len > BUF_OUT_FLUSH)
			over++;
		off += n;
	}
	is_int(buf_flush(&b), BUF_OK, "%s: flush OK", name);
	is_int(over, 0, "%s: pending output never left above BUF_OUT_FLUSH",
	    name);
	is_int(b.bytes_out, want->len, "%s: bytes_out", name);
	buf_free(&b);
	close(p[1]);
	is_int(reap(pid), 0, "%s: delivered intact", name);
}

static void
test_large_output(void)
{
	struct str want = STR_INIT;
	uint32_t x = 7;
	size_t i;

	/* No NUL, so printf's %.*s copies slices exactly. */
	for (i = 0; i < 1500000; i++)
		str_catc(&want, (char)(rnd(&x) % 255 + 1));
	large_output(&want, false, "1.5 MB to a blocking pipe");
	large_output(&want, true, "1.5 MB to a non-blocking pipe");
	str_free(&want);
}

static void
test_counters(void)
{
	struct buf b;
	struct str line = STR_INIT;
	int fd, peer;
	char p[64];

	fd = feed("one\r\ntwo\nthree", &peer);
	shutdown(peer, SHUT_WR);
	buf_init(&b, fd, 4);
	while (buf_getline(&b, &line, 100) == BUF_OK)
		;
	is_int(b.bytes_in, 14, "bytes_in after reading everything");
	is_int(b.bytes_out, 0, "bytes_out before any output");
	buf_puts(&b, "12345");
	is_int(b.bytes_out, 0, "bytes_out counts only what was written");
	buf_printf(&b, "%d", 67890);
	is_int(buf_flush(&b), BUF_OK, "flush");
	is_int(b.bytes_out, 10, "bytes_out after flush");
	ok(fd_read(peer, p, sizeof p) == 10, "peer got 10 bytes");
	buf_free(&b);
	close(fd);
	close(peer);
	str_free(&line);
}

static void
test_nonblocking_fd(void)
{
	struct buf b;
	struct str line = STR_INIT;
	int sv[2];
	pid_t pid;

	xsocketpair(sv);
	if ((pid = xfork()) == 0) {
		close(sv[0]);
		usleep(50000);
		(void)fd_write_all(sv[1], "late\r\n", 6);
		_exit(0);
	}
	close(sv[1]);
	fd_nonblock(sv[0], true);
	buf_init(&b, sv[0], 0);
	buf_set_timeout(&b, 5000);
	is_int(buf_getline(&b, &line, 100), BUF_OK,
	    "non-blocking fd, input comes later: OK");
	is_str(line.s, "late\r\n", "  the line");
	is_int(buf_getline(&b, &line, 100), BUF_EOF, "  then EOF");
	buf_free(&b);
	close(sv[0]);
	reap(pid);
	str_free(&line);
}

/* watchdog - a wait that never ends is a failure, not a stuck run. */
static void
watchdog(int sig)
{
	static const char msg[] = "Bail out! test-buf hung\n";

	(void)sig;
	(void)fd_write(1, msg, sizeof msg - 1);
	_exit(1);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);
	alarm(60);
	test_lines();
	test_trickle();
	test_read();
	test_timeouts();
	test_flush_before_read();
	test_discard();
	test_ops();
	test_write_errors();
	test_large_output();
	test_counters();
	test_nonblocking_fd();
	return done_testing();
}
