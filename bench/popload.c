/*
 * popload - a POP3 load generator for the benchmarks in bench/.
 *
 *   popload [-c clients] [-t seconds] [-w window] [-u user] [-r count]
 *           [-p password] HOST:PORT
 *
 * c concurrent clients (one process each, default 20) for t seconds
 * (default 30).  Each loops on sessions, as a mail client that leaves
 * mail on the server does: connect, USER and PASS, STAT, UIDL, LIST,
 * RETR of every message, QUIT without DELE, so the maildrops keep their
 * messages; then the next session with the next user (client k starts
 * with user k % count + 1).  Up to -w RETRs are in flight at a time
 * (RFC 2449 PIPELINING; default 1, one command and its reply at a
 * time).  No new RETR is sent after t seconds: the clients finish the
 * ones in flight and QUIT.
 *
 * Every reply is checked: "+OK" lines, UIDL with one line per message of
 * STAT, each RETR's multi-line response up to its ".\r\n", and the
 * octets of each message (dot-unstuffed, CRLF counted as two) against
 * its size in LIST (a difference is counted as a mismatch).  A session
 * that fails any of the others counts as failed (its first failure per
 * client is told on standard error) and the client goes on with the
 * next user.
 *
 * Printed, as "key value" pairs on one line: clients, seconds,
 * sessions, messages retrieved, rate (messages per second), MB/s
 * (10^6 octets), failed sessions, octet mismatches, the fewest and most
 * messages a STAT reported, and the latency of a RETR (from sending it
 * to the end of its response) at p50 and p99; then on a second line
 * ("latency ...") the latency at p50 and p99 of a login (connection to
 * the reply to PASS), of STAT, UIDL and LIST, and of a whole session.
 * Exit 0 when messages were retrieved and nothing failed.
 *
 * Users: -u is the user name, or with -r count a pattern whose first
 * "%d" becomes 1..count.  All have the password -p.  Fill the maildrops
 * first over IMAP with imapload -F.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "loadlib.h"
#include "str.h"

#define LINE_MAX_POP 65536
#define WINDOW_MAX 256

enum lat { LAT_RETR, LAT_LOGIN, LAT_LIST, LAT_SESSION, NLAT };

static const char *const lat_names[NLAT] = {
    "retr",
    "login",
    "stat_uidl_list",
    "session",
};

/* One per client, in memory shared with the parent. */
struct result {
	unsigned long sessions, failed, messages, mismatched;
	unsigned long long octets;
	long stat_min, stat_max;
	unsigned long hist[NLAT][LOAD_HBUCKETS];
};

struct opts {
	long c, secs, window, nusers;
	const char *user, *pass, *host, *port;
};

struct conn {
	int fd;
	struct buf b;
	struct str line;
	long *sizes; /* LIST: the size of message i + 1 */
	long nsizes;
	const char *why; /* the first failure, for standard error */
	char what[160];
};

/* fail - note why the session failed (the reply line when there is
 * one); returns -1. */
static int
fail(struct conn *k, const char *why)
{
	size_t n = k->line.len;

	if (k->why != NULL)
		return -1;
	while (n > 0 && (k->line.s[n - 1] == '\n' || k->line.s[n - 1] == '\r'))
		n--;
	snprintf(k->what, sizeof k->what, "%s%s%.*s", why, n ? ": " : "",
	    (int)(n < 100 ? n : 100), k->line.s);
	k->why = k->what;
	return -1;
}

/* ok - read a status line: 0 for +OK, -1 otherwise. */
static int
ok(struct conn *k, const char *cmd)
{
	str_clear(&k->line);
	if (buf_getline(&k->b, &k->line, LINE_MAX_POP) != BUF_OK)
		return fail(k, cmd);
	if (strncmp(k->line.s, "+OK", 3) != 0)
		return fail(k, cmd);
	return 0;
}

/* multiline - read the lines of a multi-line response (its "+OK" line
 * read already) through the ".\r\n" that ends it: the count of lines in
 * *lines, their octets, dot-unstuffed, in *octets.  0, or -1. */
static int
multiline(struct conn *k, const char *cmd, long *lines, long *octets)
{
	*lines = *octets = 0;
	for (;;) {
		str_clear(&k->line);
		if (buf_getline(&k->b, &k->line, LINE_MAX_POP) != BUF_OK ||
		    k->line.len < 2 || k->line.s[k->line.len - 2] != '\r')
			return fail(k, cmd);
		if (k->line.s[0] == '.') {
			if (k->line.len == 3)
				return 0;
			(*octets)--;
		}
		(*lines)++;
		*octets += (long)k->line.len;
	}
}

/* record - a latency since t0 into histogram h. */
static void
record(struct result *r, enum lat h, int64_t t0)
{
	r->hist[h][load_bucket(load_now_us() - t0)]++;
}

/* session - one session as user uk; stops sending RETRs at end.
 * 0, or -1 when it failed. */
static int
session(const struct opts *o, long uk, int64_t end, struct conn *k,
    struct result *r)
{
	struct str u = STR_INIT;
	int64_t t0 = load_now_us(), t1, sent_at[WINDOW_MAX];
	long n = 0, i, lines, octets, sent, done;
	int rc = -1;

	k->fd = load_dial(o->host, o->port);
	if (k->fd < 0) {
		str_clear(&k->line);
		fail(k, "connect");
		return -1;
	}
	buf_init(&k->b, k->fd, 0);
	buf_set_timeout(&k->b, 60000);
	if (ok(k, "greeting") != 0)
		goto out;
	load_name(o->user, o->nusers, uk, &u);
	buf_printf(&k->b, "USER %s\r\n", u.s);
	if (ok(k, "USER") != 0)
		goto out;
	buf_printf(&k->b, "PASS %s\r\n", o->pass);
	if (ok(k, "PASS") != 0)
		goto out;
	record(r, LAT_LOGIN, t0);

	t1 = load_now_us();
	buf_puts(&k->b, "STAT\r\n");
	if (ok(k, "STAT") != 0)
		goto out;
	if (sscanf(k->line.s, "+OK %ld", &n) != 1 || n < 0) {
		fail(k, "STAT");
		goto out;
	}
	if (r->stat_min < 0 || n < r->stat_min)
		r->stat_min = n;
	if (n > r->stat_max)
		r->stat_max = n;
	buf_puts(&k->b, "UIDL\r\n");
	if (ok(k, "UIDL") != 0 || multiline(k, "UIDL", &lines, &octets) != 0)
		goto out;
	if (lines != n) {
		fail(k, "UIDL: lines unlike STAT's count");
		goto out;
	}
	/* LIST, to check each message's octets against */
	buf_puts(&k->b, "LIST\r\n");
	if (ok(k, "LIST") != 0)
		goto out;
	if (k->nsizes < n) {
		free(k->sizes);
		k->sizes = calloc((size_t)n + 1, sizeof *k->sizes);
		if (k->sizes == NULL) {
			k->nsizes = 0;
			fail(k, "out of memory");
			goto out;
		}
		k->nsizes = n;
	}
	for (i = 0;; i++) {
		long m, sz;

		str_clear(&k->line);
		if (buf_getline(&k->b, &k->line, LINE_MAX_POP) != BUF_OK) {
			fail(k, "LIST");
			goto out;
		}
		if (strcmp(k->line.s, ".\r\n") == 0)
			break;
		if (i >= n || sscanf(k->line.s, "%ld %ld", &m, &sz) != 2 ||
		    m != i + 1) {
			fail(k, "LIST");
			goto out;
		}
		k->sizes[i] = sz;
	}
	if (i != n) {
		fail(k, "LIST: lines unlike STAT's count");
		goto out;
	}
	record(r, LAT_LIST, t1);

	/* RETR each, up to window in flight; buf flushes before it reads */
	for (sent = done = 0; done < n;) {
		while (sent < n && sent - done < o->window &&
		    load_now_us() < end) {
			buf_printf(&k->b, "RETR %ld\r\n", sent + 1);
			sent_at[sent % WINDOW_MAX] = load_now_us();
			sent++;
		}
		if (done == sent)
			break; /* time is up */
		if (ok(k, "RETR") != 0 ||
		    multiline(k, "RETR", &lines, &octets) != 0)
			goto out;
		record(r, LAT_RETR, sent_at[done % WINDOW_MAX]);
		if (octets != k->sizes[done])
			r->mismatched++;
		r->messages++;
		r->octets += (unsigned long long)octets;
		done++;
	}
	buf_puts(&k->b, "QUIT\r\n");
	if (ok(k, "QUIT") != 0)
		goto out;
	record(r, LAT_SESSION, t0);
	rc = 0;
out:
	buf_free(&k->b);
	close(k->fd);
	k->fd = -1;
	str_free(&u);
	return rc;
}

static void
client(const struct opts *o, long i, int64_t end, struct result *r)
{
	struct conn k;
	long uk = i;
	int told = 0;

	memset(&k, 0, sizeof k);
	k.fd = -1;
	r->stat_min = -1;
	while (load_now_us() < end) {
		k.why = NULL;
		r->sessions++;
		if (session(o, uk, end, &k, r) != 0) {
			r->failed++;
			if (!told) {
				fprintf(stderr,
				    "popload: client %ld, user %ld: %s\n", i,
				    uk % (o->nusers > 0 ? o->nusers : 1) + 1,
				    k.why ? k.why : "failed");
				told = 1;
			}
			usleep(10000); /* no busy loop on a refusing server */
		}
		uk++;
	}
	str_free(&k.line);
	free(k.sizes);
}

int
main(int argc, char **argv)
{
	struct opts o = {20, 30, 1, 0, "user", "secret", NULL, NULL};
	struct result *res, sum;
	int64_t t0, end;
	double secs;
	long i;
	int c, b, h;
	char *colon;

	while ((c = getopt(argc, argv, "c:t:w:u:r:p:")) != -1) {
		switch (c) {
		case 'c':
			o.c = atol(optarg);
			break;
		case 't':
			o.secs = atol(optarg);
			break;
		case 'w':
			o.window = atol(optarg);
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'r':
			o.nusers = atol(optarg);
			break;
		case 'p':
			o.pass = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || o.c < 1 || o.secs < 1 || o.window < 1 ||
	    o.window > WINDOW_MAX || o.nusers < 0 ||
	    (o.nusers > 0 && strstr(o.user, "%d") == NULL) ||
	    (colon = strrchr(argv[optind], ':')) == NULL)
		goto usage;
	*colon = '\0';
	o.host = argv[optind];
	o.port = colon + 1;
	signal(SIGPIPE, SIG_IGN);

	res = mmap(NULL, (size_t)o.c * sizeof *res, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return 111;
	memset(res, 0, (size_t)o.c * sizeof *res);
	t0 = load_now_us();
	end = t0 + (int64_t)o.secs * 1000000;
	for (i = 0; i < o.c; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 111;
		if (pid == 0) {
			client(&o, i, end, &res[i]);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	secs = (double)(load_now_us() - t0) / 1e6;
	memset(&sum, 0, sizeof sum);
	sum.stat_min = -1;
	for (i = 0; i < o.c; i++) {
		struct result *r = &res[i];

		sum.sessions += r->sessions;
		sum.failed += r->failed;
		sum.messages += r->messages;
		sum.mismatched += r->mismatched;
		sum.octets += r->octets;
		if (r->stat_min >= 0 &&
		    (sum.stat_min < 0 || r->stat_min < sum.stat_min))
			sum.stat_min = r->stat_min;
		if (r->stat_max > sum.stat_max)
			sum.stat_max = r->stat_max;
		for (h = 0; h < NLAT; h++)
			for (b = 0; b < LOAD_HBUCKETS; b++)
				sum.hist[h][b] += r->hist[h][b];
	}
	printf("clients %ld window %ld seconds %.1f sessions %lu messages %lu "
	       "rate %.1f/s throughput %.2fMB/s failed %lu mismatched %lu "
	       "stat_min %ld stat_max %ld p50 %.2fms p99 %.2fms\nlatency",
	    o.c, o.window, secs, sum.sessions, sum.messages,
	    (double)sum.messages / secs, (double)sum.octets / secs / 1e6,
	    sum.failed, sum.mismatched, sum.stat_min < 0 ? 0 : sum.stat_min,
	    sum.stat_max, load_percentile(sum.hist[LAT_RETR], 50),
	    load_percentile(sum.hist[LAT_RETR], 99));
	for (h = 0; h < NLAT; h++)
		printf(" %s p50 %.2fms p99 %.2fms", lat_names[h],
		    load_percentile(sum.hist[h], 50),
		    load_percentile(sum.hist[h], 99));
	printf("\n");
	munmap(res, (size_t)o.c * sizeof *res);
	return sum.failed == 0 && sum.mismatched == 0 && sum.messages > 0 ? 0
									  : 1;
usage:
	fprintf(stderr,
	    "usage: popload [-c clients] [-t seconds] "
	    "[-w window] [-u user] [-r count] [-p password] "
	    "HOST:PORT\n");
	return 100;
}
