/* test-qid - queue IDs: format, order, per-process uniqueness. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "qid.h"
#include "tap.h"

#define MANY	100000
#define FORKED	2000

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
test_many(void)
{
	char prev[QID_LEN + 1], cur[QID_LEN + 1];
	int i, bad_order = 0, bad_form = 0;

	qid_new(prev);
	for (i = 0; i < MANY; i++) {
		qid_new(cur);
		if (strcmp(prev, cur) >= 0 && bad_order++ == 0)
			diag("'%s' then '%s'", prev, cur);
		if (!qid_valid(cur) && bad_form++ == 0)
			diag("invalid '%s'", cur);
		memcpy(prev, cur, sizeof(cur));
	}
	is_int(bad_order, 0, "%d IDs strictly increasing", MANY);
	is_int(bad_form, 0, "%d IDs well-formed", MANY);
}

/* Read exactly n bytes; the child writes whole IDs, so short is a bug. */
static int
read_all(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void
test_fork(void)
{
	static char mine[FORKED][QID_LEN + 1], theirs[FORKED][QID_LEN + 1];
	int fds[2], status = 0, i, j, same = 0, child_order = 0;
	pid_t pid;

	qid_new(mine[0]);	/* seed the parent before forking */
	if (pipe(fds) < 0) {
		ok(0, "pipe");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char id[QID_LEN + 1];

		close(fds[0]);
		for (i = 0; i < FORKED; i++) {
			qid_new(id);
			if (write(fds[1], id, QID_LEN) != QID_LEN)
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	for (i = 1; i < FORKED; i++)
		qid_new(mine[i]);
	for (i = 0; i < FORKED; i++) {
		if (read_all(fds[0], theirs[i], QID_LEN) < 0)
			break;
		theirs[i][QID_LEN] = '\0';
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok(i == FORKED && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child sent %d IDs", FORKED);
	if (i != FORKED)
		return;
	for (i = 0; i < FORKED; i++)
		for (j = 0; j < FORKED; j++)
			if (strcmp(mine[i], theirs[j]) == 0 && same++ == 0)
				diag("both made '%s'", mine[i]);
	is_int(same, 0, "forked child's IDs differ from the parent's");
	/* Without a re-seed both would continue the same sequence; with
	 * one, they match by chance once in 2^25 runs. */
	ok(strcmp(mine[1] + QID_LEN - 5, theirs[0] + QID_LEN - 5) != 0,
	    "child re-seeded its sequence (%s vs %s)", mine[1], theirs[0]);
	for (i = 1; i < FORKED; i++)
		if (strcmp(theirs[i - 1], theirs[i]) >= 0)
			child_order++;
	is_int(child_order, 0, "child's IDs strictly increasing");
	ok(qid_valid(theirs[0]) && qid_valid(theirs[FORKED - 1]),
	    "child's IDs well-formed");
}

static void
test_time(void)
{
	struct timespec two_ms = { 0, 2000000 };
	char a[QID_LEN + 1], b[QID_LEN + 1];
	uint64_t before, t, after;

	before = now_us();
	qid_new(a);
	after = now_us();
	t = qid_time_us(a);
	ok(t + 1000000 >= before && t <= after + 1000000,
	    "qid_time_us within a second of now (%llu vs %llu)",
	    (unsigned long long)t, (unsigned long long)before);
	nanosleep(&two_ms, NULL);
	qid_new(b);
	ok(strcmp(a, b) < 0, "ID made 2 ms later sorts later");
	ok(qid_time_us(b) >= qid_time_us(a) + 2000,
	    "encoded times 2 ms apart");
	is_int(qid_time_us("0000000000100000"), 1, "decode 1 us");
	is_int(qid_time_us("000000000z0zzzzz"), 31 * 32,
	    "decode ignores the sequence part");
	ok(qid_time_us("zzzzzzzzzzz00000") == (UINT64_C(1) << 55) - 1,
	    "decode the largest time");
	is_int(qid_time_us("not an id"), 0, "decode of an invalid ID is 0");
}

static void
test_valid(void)
{
	char id[QID_LEN + 1], bad[QID_LEN + 2];
	const char *reject = "ilouILOU.-_ /:+=\x7f\x80";
	size_t i;

	qid_new(id);
	ok(qid_valid(id), "fresh ID is valid");
	ok(qid_valid("0123456789abcdef"), "digits and letters");
	ok(qid_valid("ghjkmnpqrstvwxyz"), "the upper half of the alphabet");
	ok(!qid_valid(""), "empty rejected");
	ok(!qid_valid(NULL), "NULL rejected");
	ok(!qid_valid("0123456789abcde"), "15 chars rejected");
	ok(!qid_valid("0123456789abcdef0"), "17 chars rejected");
	ok(!qid_valid("0123456789ABCDEF"), "uppercase rejected");
	ok(!qid_valid("0123456789abcdef\n"), "trailing newline rejected");
	for (i = 0; i < strlen(reject); i++) {
		memcpy(bad, id, sizeof(id));
		bad[7] = reject[i];
		ok(!qid_valid(bad), "'%c' (0x%02x) rejected",
		    reject[i] >= ' ' && reject[i] < 0x7f ? reject[i] : '?',
		    (unsigned char)reject[i]);
	}
	memcpy(bad, id, sizeof(id));
	bad[3] = '\0';
	ok(!qid_valid(bad), "embedded NUL rejected");
}

int
main(void)
{
	test_many();
	test_fork();
	test_time();
	test_valid();
	return done_testing();
}
