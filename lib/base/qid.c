/*
 * qid - unique, sortable queue IDs; see qid.h.
 *
 * Layout: 11 base-32 digits of microseconds since the epoch (55 bits),
 * then 5 digits (25 bits) of a counter seeded from getrandom(2), both
 * big-endian, so strcmp() order is (time, counter) order.  The state is
 * per process and not locked: roost daemons are single-threaded.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "qid.h"

#define TIME_DIGITS	11
#define SEQ_DIGITS	(QID_LEN - TIME_DIGITS)
#define TIME_MASK	((UINT64_C(1) << (5 * TIME_DIGITS)) - 1)
#define SEQ_MASK	((UINT32_C(1) << (5 * SEQ_DIGITS)) - 1)

/* Crockford's base 32 in lowercase: ASCII order is numeric order. */
static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

static uint64_t last_us;	/* time part of the last ID */
static uint32_t seq;		/* sequence part of the last ID */
static pid_t seq_pid;		/* process that seeded seq; 0: not yet */

static void
seed(pid_t pid)
{
	uint32_t r = 0;
	ssize_t n;

	do
		n = getrandom(&r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r)) {
		/* No kernel randomness: IDs stay unique within the process
		 * and cleanup's O_EXCL catches the rare cross-process clash,
		 * so clock and pid are an acceptable spread. */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = (uint32_t)ts.tv_nsec ^ ((uint32_t)pid << 7);
	}
	seq = r & SEQ_MASK;
	seq_pid = pid;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || ts.tv_sec < 0)
		return 0;
	return ((uint64_t)ts.tv_sec * 1000000 +
	    (uint64_t)ts.tv_nsec / 1000) & TIME_MASK;
}

static void
encode(char *out, uint64_t v, int digits)
{
	int i;

	for (i = digits - 1; i >= 0; i--) {
		out[i] = alphabet[v & 31];
		v >>= 5;
	}
}

void
qid_new(char out[QID_LEN + 1])
{
	pid_t pid = getpid();
	uint64_t now;

	/* A forked child would otherwise repeat its parent's sequence. */
	if (pid != seq_pid)
		seed(pid);
	now = now_us();
	seq = (seq + 1) & SEQ_MASK;
	if (now > last_us)
		last_us = now;
	else if (seq == 0)
		/* Same (or earlier) time and the sequence wrapped: borrow
		 * the next microsecond so the ID still sorts higher. */
		last_us++;
	encode(out, last_us & TIME_MASK, TIME_DIGITS);
	encode(out + TIME_DIGITS, seq, SEQ_DIGITS);
	out[QID_LEN] = '\0';
}

static int
digit(char c)
{
	/* The length leaves out the terminating NUL. */
	const char *p = memchr(alphabet, c, sizeof(alphabet) - 1);

	return p != NULL ? (int)(p - alphabet) : -1;
}

bool
qid_valid(const char *s)
{
	int i;

	if (s == NULL)
		return false;
	for (i = 0; i < QID_LEN; i++)
		if (digit(s[i]) < 0)
			return false;
	return s[QID_LEN] == '\0';
}

uint64_t
qid_time_us(const char *id)
{
	uint64_t v = 0;
	int i;

	if (!qid_valid(id))
		return 0;
	for (i = 0; i < TIME_DIGITS; i++)
		v = v << 5 | (uint64_t)digit(id[i]);
	return v;
}
