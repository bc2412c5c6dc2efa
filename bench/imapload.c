/*
 * imapload - an IMAP load generator for the benchmarks in bench/.
 *
 *   imapload [-c sessions] [-i idlers] [-t seconds] [-u user] [-r count]
 *            [-p password] [-S seed] HOST:PORT
 *   imapload -F messages [-s size] [-u user] [-r count] [-p password]
 *            HOST:PORT
 *   imapload -I sessions [-w seconds] [-u user] [-r count] [-p password]
 *            HOST:PORT
 *
 * Load (the default): c concurrent sessions (one process each) for t
 * seconds.  Each logs in and loops: SELECT INBOX, then ten operations
 * drawn from a fixed mix (3 in 10 FETCH n BODY.PEEK[HEADER], 2 FETCH n
 * BODY.PEEK[], 1 SEARCH, 2 STORE n +/-FLAGS (\Flagged), 1 APPEND of a
 * 2 KiB message to Sent, 1 UID FETCH of flags on a range), n random in
 * the mailbox.  The first i of the c sessions instead SELECT Sent and
 * sit in IDLE, counting the EXISTS the APPENDs of the others cause.
 * Printed: operations per second (SELECT included; the idlers count
 * none), each operation's count, failures, and the latency of all
 * operations at the 50th and 99th percentiles, then on a second line
 * ("latency ...") each operation's.  The pseudo-random
 * choices depend only on the session number and -S, so two servers get
 * the same sequence of commands.
 *
 * Fill (-F n): for each user, append n messages of about -s bytes
 * (default 4096) to INBOX, pipelined with LITERAL+ (synchronizing
 * literals when the server lacks it), and create Sent; message k of a
 * user is the same on every server.
 *
 * Idle (-I n): open n sessions in this one process, each logged in with
 * INBOX selected and in IDLE, print "idle n" when all are, then wait
 * for -w seconds (default 3600) or until standard input reaches its end.
 *
 * Users: -u is the user name, or with -r count a pattern whose first
 * "%d" becomes 1..count (session k uses user k % count + 1).  All have
 * the password -p.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fd.h"
#include "loadlib.h"
#include "str.h"

#define LINE_MAX_IMAP (1 << 20)

enum op {
	OP_SELECT,
	OP_HEADER,
	OP_BODY,
	OP_SEARCH,
	OP_STORE,
	OP_APPEND,
	OP_FLAGS,
	NOPS
};

static const char *const op_names[NOPS] = {
    "select",
    "fetch_header",
    "fetch_body",
    "search",
    "store",
    "append",
    "uid_fetch_flags",
};

/* One per session, in memory shared with the parent. */
struct result {
	unsigned long ops[NOPS];
	unsigned long failed;
	unsigned long notified; /* idlers: EXISTS received */
	unsigned long hist[NOPS][LOAD_HBUCKETS];
};

struct opts {
	long c, idlers, secs, nusers, fill, size, idle, wait;
	unsigned long seed;
	const char *user, *pass, *host, *port;
};

struct conn {
	int fd;
	struct buf b;
	struct str line, lit, cmd;
	unsigned tagn;
	char tag[16];
	int literal_plus;
	long exists;
	unsigned long notified;
};

/* xorshift64*: deterministic per session. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* literal_size - whether line (CRLF-terminated) ends with {n}: n. */
static int
literal_size(const struct str *line, size_t *n)
{
	size_t i;

	if (line->len < 5 || memcmp(line->s + line->len - 3, "}\r\n", 3) != 0)
		return 0;
	i = line->len - 3;
	while (i > 0 && line->s[i - 1] >= '0' && line->s[i - 1] <= '9')
		i--;
	if (i == 0 || line->s[i - 1] != '{' || i == line->len - 3)
		return 0;
	*n = strtoul(line->s + i, NULL, 10);
	return 1;
}

/* next_tag - a fresh tag into k->tag. */
static const char *
next_tag(struct conn *k)
{
	snprintf(k->tag, sizeof k->tag, "a%u", ++k->tagn);
	return k->tag;
}

/*
 * reply - read responses through the tagged one for k->tag: 0 OK, 1 NO,
 * 2 BAD, -1 when the connection failed.  Keeps the last EXISTS in
 * k->exists and counts them in k->notified.  A "+" continuation returns
 * 3 when plus is set.
 */
static int
reply(struct conn *k, int plus)
{
	size_t tl = strlen(k->tag), n;

	for (;;) {
		int first = 1, st = -2;

		for (;;) {
			if (buf_getline(&k->b, &k->line, LINE_MAX_IMAP) !=
			    BUF_OK)
				return -1;
			if (first) {
				const char *s = k->line.s;

				first = 0;
				if (plus && s[0] == '+')
					return 3;
				if (k->line.len > tl + 3 &&
				    memcmp(s, k->tag, tl) == 0 && s[tl] == ' ')
					st = strncmp(s + tl + 1, "OK", 2) == 0
					    ? 0
					    : strncmp(s + tl + 1, "NO", 2) == 0
					    ? 1
					    : 2;
				else if (s[0] == '*' && k->line.len > 9 &&
				    strstr(s, " EXISTS\r\n") != NULL) {
					k->exists = atol(s + 2);
					k->notified++;
				}
			}
			if (!literal_size(&k->line, &n))
				break;
			str_clear(&k->lit);
			if (buf_read_exact(&k->b, &k->lit, n) != BUF_OK)
				return -1;
		}
		if (st != -2)
			return st;
	}
}

/* command - send "TAG text" and read the reply (see reply()). */
static int
command(struct conn *k, const char *text)
{
	next_tag(k);
	buf_printf(&k->b, "%s %s\r\n", k->tag, text);
	return reply(k, 0);
}

/* append - APPEND msg to box with a literal (LITERAL+ when offered);
 * with wait unset and LITERAL+, the reply is left unread. */
static int
append(struct conn *k, const char *box, const struct str *msg, int wait)
{
	next_tag(k);
	if (k->literal_plus) {
		buf_printf(
		    &k->b, "%s APPEND %s {%zu+}\r\n", k->tag, box, msg->len);
		buf_put(&k->b, msg->s, msg->len);
		buf_puts(&k->b, "\r\n");
		return wait ? reply(k, 0) : 0;
	}
	buf_printf(&k->b, "%s APPEND %s {%zu}\r\n", k->tag, box, msg->len);
	if (reply(k, 1) != 3)
		return -1;
	buf_put(&k->b, msg->s, msg->len);
	buf_puts(&k->b, "\r\n");
	return reply(k, 0);
}

static void
conn_close(struct conn *k)
{
	if (k->fd >= 0) {
		buf_free(&k->b);
		close(k->fd);
	}
	k->fd = -1;
	str_free(&k->line);
	str_free(&k->lit);
	str_free(&k->cmd);
}

/* login - connect and log in as user k: 0, or -1. */
static int
login(const struct opts *o, long uk, struct conn *k, int timeout_ms)
{
	struct str u = STR_INIT;
	int rc = -1;

	memset(k, 0, sizeof *k);
	k->fd = load_dial(o->host, o->port);
	if (k->fd < 0)
		return -1;
	buf_init(&k->b, k->fd, 0);
	buf_set_timeout(&k->b, timeout_ms);
	if (buf_getline(&k->b, &k->line, LINE_MAX_IMAP) != BUF_OK ||
	    strncmp(k->line.s, "* OK", 4) != 0)
		goto out;
	load_name(o->user, o->nusers, uk, &u);
	str_clear(&k->cmd);
	str_catf(&k->cmd, "LOGIN \"%s\" \"%s\"", u.s, o->pass);
	if (command(k, k->cmd.s) != 0)
		goto out;
	next_tag(k);
	buf_printf(&k->b, "%s CAPABILITY\r\n", k->tag);
	for (;;) {
		if (buf_getline(&k->b, &k->line, LINE_MAX_IMAP) != BUF_OK)
			goto out;
		if (strncmp(k->line.s, "* CAPABILITY ", 13) == 0 &&
		    strstr(k->line.s, " LITERAL+") != NULL)
			k->literal_plus = 1;
		if (strncmp(k->line.s, k->tag, strlen(k->tag)) == 0)
			break;
	}
	rc = 0;
out:
	str_free(&u);
	return rc;
}

/* message - message number k: about size bytes, the same everywhere. */
static void
message(long k, long size, struct str *m)
{
	uint64_t s = (uint64_t)k * 7919 + 1;
	static const char *const words[] = {
	    "mail",
	    "server",
	    "queue",
	    "index",
	    "message",
	    "folder",
	    "delivery",
	    "flag",
	    "search",
	    "header",
	    "body",
	    "roost",
	};

	str_clear(m);
	str_catf(m,
	    "From: Sender %ld <sender%ld@bench.test>\r\n"
	    "To: user@bench.test\r\nSubject: load %ld\r\n"
	    "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
	    "Message-ID: <%ld@bench.test>\r\n\r\n",
	    k % 37, k % 37, k, k);
	while ((long)m->len < size) {
		int w;

		for (w = 0; w < 10; w++) {
			str_cats(m, words[rnd(&s) % 12]);
			str_catc(m, w == 9 ? '.' : ' ');
		}
		str_cats(m, "\r\n");
	}
}

/* ---- fill ---- */

static int
fill_user(const struct opts *o, long uk)
{
	struct conn k;
	struct str m = STR_INIT;
	long i, sent = 0, done = 0;
	int bad = 0;

	if (login(o, uk, &k, 600000) != 0) {
		fprintf(stderr, "imapload: fill: login %ld failed\n", uk);
		return 1;
	}
	(void)command(&k, "CREATE Sent"); /* may exist already */
	while (done < o->fill) {
		/* keep a window of 100 APPENDs in flight */
		while (sent < o->fill && sent - done < 100) {
			message(sent, o->size, &m);
			if (append(&k, "INBOX", &m, 0) < 0)
				return 1;
			sent++;
			if (!k.literal_plus)
				done++;
		}
		if (!k.literal_plus)
			continue;
		/* replies come in order; read them by their tags */
		for (i = done; i < sent; i++) {
			snprintf(k.tag, sizeof k.tag, "a%lu",
			    (unsigned long)(k.tagn - (sent - 1 - i)));
			if (reply(&k, 0) != 0)
				bad = 1;
		}
		k.tag[0] = 0;
		done = sent;
	}
	(void)command(&k, "LOGOUT");
	conn_close(&k);
	str_free(&m);
	if (bad)
		fprintf(
		    stderr, "imapload: fill: user %ld: APPEND failed\n", uk);
	return bad;
}

/* ---- load ---- */

static void
record(struct result *r, enum op op, int rc, int64_t t0)
{
	if (rc != 0) {
		r->failed++;
		return;
	}
	r->ops[op]++;
	r->hist[op][load_bucket(load_now_us() - t0)]++;
}

static void
idler(const struct opts *o, long i, int64_t end, struct result *r)
{
	struct conn k;
	int64_t now;

	if (login(o, i, &k, 60000) != 0 || command(&k, "SELECT Sent") != 0) {
		r->failed++;
		conn_close(&k);
		return;
	}
	next_tag(&k);
	buf_printf(&k.b, "%s IDLE\r\n", k.tag);
	if (reply(&k, 1) != 3) {
		r->failed++;
		conn_close(&k);
		return;
	}
	k.notified = 0;
	while ((now = load_now_us()) < end) {
		int w = buf_wait_input(&k.b, (int)((end - now) / 1000) + 1);

		if (w < 0)
			break;
		if (w == 0)
			continue;
		if (buf_getline(&k.b, &k.line, LINE_MAX_IMAP) != BUF_OK)
			break;
		if (strstr(k.line.s, " EXISTS\r\n") != NULL)
			k.notified++;
	}
	r->notified = k.notified;
	buf_puts(&k.b, "DONE\r\n");
	if (reply(&k, 0) != 0)
		r->failed++;
	(void)command(&k, "LOGOUT");
	conn_close(&k);
}

static void
worker(const struct opts *o, long i, int64_t end, struct result *r)
{
	struct conn k;
	struct str m = STR_INIT;
	uint64_t s = o->seed * 1000003 + (uint64_t)i * 7919 + 17;
	long appended = 0;

	if (login(o, i, &k, 60000) != 0) {
		r->failed++;
		conn_close(&k);
		return;
	}
	while (load_now_us() < end) {
		int64_t t0 = load_now_us();
		int rc = command(&k, "SELECT INBOX"), j;

		if (rc < 0)
			break;
		record(r, OP_SELECT, rc, t0);
		if (k.exists < 1)
			break;
		for (j = 0; j < 10; j++) {
			unsigned pick = (unsigned)(rnd(&s) % 10);
			long n = (long)(rnd(&s) % (uint64_t)k.exists) + 1;
			enum op op;

			str_clear(&k.cmd);
			t0 = load_now_us();
			if (pick < 3) {
				op = OP_HEADER;
				str_catf(
				    &k.cmd, "FETCH %ld BODY.PEEK[HEADER]", n);
			} else if (pick < 5) {
				op = OP_BODY;
				str_catf(&k.cmd, "FETCH %ld BODY.PEEK[]", n);
			} else if (pick < 6) {
				static const char *const q[] = {
				    "SEARCH UNSEEN",
				    "SEARCH FLAGGED",
				    "SEARCH SUBJECT \"load 1\"",
				    "SEARCH FROM sender3",
				};
				op = OP_SEARCH;
				str_cats(&k.cmd, q[rnd(&s) % 4]);
			} else if (pick < 8) {
				op = OP_STORE;
				str_catf(&k.cmd,
				    "STORE %ld %cFLAGS.SILENT "
				    "(\\Flagged)",
				    n, rnd(&s) % 2 ? '+' : '-');
			} else if (pick < 9) {
				op = OP_APPEND;
				message(1000000 + i * 100000 + appended++, 2048,
				    &m);
				rc = append(&k, "Sent", &m, 1);
				if (rc < 0)
					goto out;
				record(r, op, rc, t0);
				continue;
			} else {
				op = OP_FLAGS;
				str_catf(&k.cmd, "UID FETCH %ld:%ld (FLAGS)", n,
				    n + 20);
			}
			rc = command(&k, k.cmd.s);
			if (rc < 0)
				goto out;
			record(r, op, rc, t0);
		}
	}
	(void)command(&k, "LOGOUT");
out:
	conn_close(&k);
	str_free(&m);
}

/* ---- idle sessions ---- */

static int
idle_many(const struct opts *o)
{
	struct conn *ks = calloc((size_t)o->idle, sizeof *ks);
	long i, up = 0;
	struct pollfd p;
	int64_t end = load_now_us() + (int64_t)o->wait * 1000000;

	if (ks == NULL)
		return 111;
	for (i = 0; i < o->idle; i++) {
		struct conn *k = &ks[i];

		if (login(o, i, k, 60000) != 0 ||
		    command(k, "SELECT INBOX") != 0) {
			fprintf(
			    stderr, "imapload: idle session %ld failed\n", i);
			conn_close(k);
			continue;
		}
		next_tag(k);
		buf_printf(&k->b, "%s IDLE\r\n", k->tag);
		if (reply(k, 1) != 3) {
			conn_close(k);
			continue;
		}
		up++;
	}
	printf("idle %ld\n", up);
	fflush(stdout);
	p.fd = 0;
	p.events = POLLIN;
	while (load_now_us() < end) {
		char c[256];
		int w = poll(&p, 1, 1000);

		if (w > 0 && read(0, c, sizeof c) <= 0)
			break;
	}
	for (i = 0; i < o->idle; i++)
		conn_close(&ks[i]);
	free(ks);
	return up == o->idle ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct opts o = {
	    8, 0, 30, 0, 0, 4096, 0, 3600, 1, "user", "secret", NULL, NULL};
	struct result *res, sum;
	unsigned long total = 0, all[LOAD_HBUCKETS] = {0};
	int64_t t0, end, secs;
	long i;
	int c, b, rc = 0;
	char *colon;

	while ((c = getopt(argc, argv, "c:i:t:u:r:p:F:s:I:w:S:")) != -1) {
		switch (c) {
		case 'c':
			o.c = atol(optarg);
			break;
		case 'i':
			o.idlers = atol(optarg);
			break;
		case 't':
			o.secs = atol(optarg);
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
		case 'F':
			o.fill = atol(optarg);
			break;
		case 's':
			o.size = atol(optarg);
			break;
		case 'I':
			o.idle = atol(optarg);
			break;
		case 'w':
			o.wait = atol(optarg);
			break;
		case 'S':
			o.seed = strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || o.c < 1 || o.idlers < 0 || o.idlers >= o.c ||
	    o.secs < 1 || o.nusers < 0 || o.fill < 0 || o.idle < 0 ||
	    (o.nusers > 0 && strstr(o.user, "%d") == NULL) ||
	    strchr(o.pass, '"') != NULL ||
	    (colon = strrchr(argv[optind], ':')) == NULL)
		goto usage;
	*colon = '\0';
	o.host = argv[optind];
	o.port = colon + 1;
	signal(SIGPIPE, SIG_IGN);

	if (o.idle > 0)
		return idle_many(&o);
	if (o.fill > 0) {
		long users = o.nusers > 0 ? o.nusers : 1;

		t0 = buf_now_ms();
		for (i = 0; i < users; i++)
			if (fork() == 0)
				_exit(fill_user(&o, i));
		while (wait(&c) > 0)
			if (!WIFEXITED(c) || WEXITSTATUS(c) != 0)
				rc = 1;
		printf("filled %ld users with %ld messages each in %.1f s\n",
		    users, o.fill, (buf_now_ms() - t0) / 1000.0);
		return rc;
	}

	res = mmap(NULL, (size_t)o.c * sizeof *res, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return 111;
	memset(res, 0, (size_t)o.c * sizeof *res);
	t0 = load_now_us();
	end = t0 + (int64_t)o.secs * 1000000;
	for (i = 0; i < o.c; i++) {
		if (fork() == 0) {
			if (i < o.idlers)
				idler(&o, i, end, &res[i]);
			else
				worker(&o, i, end, &res[i]);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	secs = load_now_us() - t0;
	memset(&sum, 0, sizeof sum);
	for (i = 0; i < o.c; i++) {
		for (c = 0; c < NOPS; c++)
			sum.ops[c] += res[i].ops[c];
		for (c = 0; c < NOPS; c++)
			for (b = 0; b < LOAD_HBUCKETS; b++)
				sum.hist[c][b] += res[i].hist[c][b];
		sum.failed += res[i].failed;
		sum.notified += res[i].notified;
	}
	for (c = 0; c < NOPS; c++)
		total += sum.ops[c];
	printf("sessions %ld idle %ld seconds %.1f ops %lu rate %.1f/s", o.c,
	    o.idlers, secs / 1e6, total, total / (secs / 1e6));
	for (c = 0; c < NOPS; c++)
		printf(" %s %lu", op_names[c], sum.ops[c]);
	printf(" failed %lu notified %lu", sum.failed, sum.notified);
	for (b = 0; b < LOAD_HBUCKETS; b++)
		for (c = 0; c < NOPS; c++)
			all[b] += sum.hist[c][b];
	printf(" p50 %.2fms p99 %.2fms\nlatency", load_percentile(all, 50),
	    load_percentile(all, 99));
	for (c = 0; c < NOPS; c++)
		printf(" %s p50 %.2fms p99 %.2fms", op_names[c],
		    load_percentile(sum.hist[c], 50),
		    load_percentile(sum.hist[c], 99));
	printf("\n");
	munmap(res, (size_t)o.c * sizeof *res);
	return sum.failed == 0 && total > 0 ? 0 : 1;
usage:
	fprintf(stderr,
	    "usage: imapload [-c sessions] [-i idlers] "
	    "[-t seconds] [-u user] [-r count] [-p password] [-S seed] "
	    "HOST:PORT\n"
	    "       imapload -F messages [-s size] [-u user] [-r count] "
	    "[-p password] HOST:PORT\n"
	    "       imapload -I sessions [-w seconds] [-u user] [-r count] "
	    "[-p password] HOST:PORT\n");
	return 100;
}
