/*
 * smtpload - an SMTP load generator for the benchmarks in bench/.
 *
 *   smtpload [-n messages] [-c sessions] [-s size] [-m per-connection]
 *            [-f sender] [-t recipient] [-r count] HOST:PORT
 *
 * Sends n messages of about `size` bytes over c concurrent sessions (one
 * process each), m messages per connection, and prints the accepted
 * messages per second and the latency from MAIL to the final 250 at the
 * 50th, 90th and 99th percentiles.  Refused or failed messages are
 * counted, not retried.
 *
 * With -r count, the recipient is a pattern whose first "%d" is replaced
 * by 1..count, round-robin over all messages (-t user%d@bench.test -r 50
 * spreads the load over user1..user50); no other '%' is interpreted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fd.h"
#include "loadlib.h"
#include "str.h"

struct opts {
	long n, c, size, per_conn, nrcpt;
	const char *from, *to, *host, *port;
};

/* reply - read a (multi-line) reply; its code, or -1. */
static int
reply(struct buf *b, struct str *line)
{
	for (;;) {
		if (buf_getline(b, line, 4096) != BUF_OK || line->len < 4)
			return -1;
		if (line->s[3] != '-')
			return atoi(line->s);
	}
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* session - send count messages, the k-th of them message number
 * first + k * o->c overall; write one latency (µs) per accepted message
 * to out, -1 per failure. */
static void
session(const struct opts *o, long first, long count, const struct str *body,
    int out)
{
	struct str line = STR_INIT, to = STR_INIT;
	struct buf b;
	long i = 0;
	int fd = -1;

	while (i < count) {
		int64_t t0, lat;
		int ok;

		if (fd < 0) {
			fd = load_dial(o->host, o->port);
			if (fd < 0) {
				lat = -1;
				fd_write_all(out, &lat, sizeof lat);
				i++;
				continue;
			}
			buf_init(&b, fd, 0);
			buf_set_timeout(&b, 60000);
			if (reply(&b, &line) != 220) {
				close(fd);
				fd = -1;
				continue;
			}
			buf_puts(&b, "EHLO load.example\r\n");
			if (reply(&b, &line) != 250)
				goto drop;
		}
		t0 = now_us();
		buf_printf(&b, "MAIL FROM:<%s>\r\n", o->from);
		ok = reply(&b, &line) == 250;
		load_name(o->to, o->nrcpt, first + i * o->c, &to);
		buf_printf(&b, "RCPT TO:<%s>\r\n", to.s);
		ok = reply(&b, &line) == 250 && ok;
		buf_puts(&b, "DATA\r\n");
		if (reply(&b, &line) != 354) {
			lat = -1;	/* counted as failed, not retried */
			fd_write_all(out, &lat, sizeof lat);
			i++;
			goto drop;
		}
		buf_put(&b, body->s, body->len);
		buf_puts(&b, ".\r\n");
		ok = reply(&b, &line) == 250 && ok;
		lat = ok ? now_us() - t0 : -1;
		fd_write_all(out, &lat, sizeof lat);
		i++;
		if (i % o->per_conn == 0 || i == count) {
			buf_puts(&b, "QUIT\r\n");
			(void)reply(&b, &line);
			goto drop;
		}
		continue;
drop:
		buf_free(&b);
		close(fd);
		fd = -1;
	}
	str_free(&line);
	str_free(&to);
}

static int
cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct opts o = { 1000, 8, 4096, 100, 0, "load@example.com",
		"user@localhost", NULL, NULL };
	struct str body = STR_INIT;
	int64_t *lat, t0, secs, v;
	long i, got = 0, okn = 0;
	int p[2], c;
	char *colon;

	while ((c = getopt(argc, argv, "n:c:s:m:f:t:r:")) != -1) {
		switch (c) {
		case 'n': o.n = atol(optarg); break;
		case 'c': o.c = atol(optarg); break;
		case 's': o.size = atol(optarg); break;
		case 'm': o.per_conn = atol(optarg); break;
		case 'f': o.from = optarg; break;
		case 't': o.to = optarg; break;
		case 'r': o.nrcpt = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || o.n < 1 || o.c < 1 || o.per_conn < 1 ||
	    o.nrcpt < 0 || (o.nrcpt > 0 && strstr(o.to, "%d") == NULL) ||
	    (colon = strrchr(argv[optind], ':')) == NULL)
		goto usage;
	*colon = '\0';
	o.host = argv[optind];
	o.port = colon + 1;
	str_catf(&body, "From: <%s>\r\n", o.from);
	if (o.nrcpt > 0)
		str_cats(&body, "To: undisclosed-recipients:;\r\n");
	else
		str_catf(&body, "To: <%s>\r\n", o.to);
	str_cats(&body, "Subject: load\r\n\r\n");
	while ((long)body.len < o.size)
		str_cats(&body, "The quick brown fox jumps over the lazy dog "
		    "0123456789 abcdefghijklmnopqrstuvwxyz.\r\n");
	if (pipe(p) < 0)
		return 111;
	t0 = buf_now_ms();
	for (i = 0; i < o.c; i++) {
		long share = o.n / o.c + (i < o.n % o.c);

		if (fork() == 0) {
			close(p[0]);
			session(&o, i, share, &body, p[1]);
			_exit(0);
		}
	}
	close(p[1]);
	lat = calloc((size_t)o.n, sizeof *lat);
	while (got < o.n && fd_read(p[0], &v, sizeof v) == sizeof v) {
		if (v >= 0)
			lat[okn++] = v;
		got++;
	}
	while (wait(NULL) > 0)
		;
	secs = buf_now_ms() - t0;
	qsort(lat, (size_t)okn, sizeof *lat, cmp);
	printf("messages %ld accepted %ld failed %ld seconds %.3f "
	    "rate %.1f/s p50 %.2fms p90 %.2fms p99 %.2fms\n", o.n, okn,
	    got - okn, secs / 1000.0, okn * 1000.0 / (secs ? secs : 1),
	    okn ? lat[okn / 2] / 1000.0 : 0, okn ? lat[okn * 9 / 10] / 1000.0 : 0,
	    okn ? lat[okn * 99 / 100] / 1000.0 : 0);
	free(lat);
	str_free(&body);
	return okn == o.n ? 0 : 1;
usage:
	fprintf(stderr, "usage: smtpload [-n messages] [-c sessions] "
	    "[-s size] [-m per-connection] [-f from] [-t to] [-r count] "
	    "HOST:PORT\n");
	return 100;
}
