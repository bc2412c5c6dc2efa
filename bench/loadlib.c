/*
 * loadlib - see loadlib.h.
 */
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loadlib.h"

void
load_name(const char *pattern, long n, long k, struct str *out)
{
	const char *pct = n > 0 ? strstr(pattern, "%d") : NULL;

	str_clear(out);
	if (pct == NULL) {
		str_cats(out, pattern);
		return;
	}
	str_catb(out, pattern, (size_t)(pct - pattern));
	str_catf(out, "%ld", k % n + 1);
	str_cats(out, pct + 2);
}

int
load_dial(const char *host, const char *port)
{
	struct addrinfo hints, *res;
	int fd;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int64_t
load_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
load_bucket(int64_t us)
{
	int b = 0;
	double v = us < 1 ? 1 : (double)us;

	while (v >= 2.0) {
		v /= 2.0;
		b += 8;
	}
	b += (int)((v - 1.0) * 8);
	return b < LOAD_HBUCKETS ? b : LOAD_HBUCKETS - 1;
}

/* bucket_ms - the middle of bucket b, in milliseconds. */
static double
bucket_ms(int b)
{
	double v = 1.0;
	int i;

	for (i = 0; i < b / 8; i++)
		v *= 2.0;
	return v * (1.0 + (b % 8 + 0.5) / 8.0) / 1000.0;
}

double
load_percentile(const unsigned long *h, int pct)
{
	unsigned long n = 0, below = 0;
	int b;

	for (b = 0; b < LOAD_HBUCKETS; b++)
		n += h[b];
	if (n == 0)
		return 0;
	for (b = 0; b < LOAD_HBUCKETS; b++) {
		below += h[b];
		if (below * 100 >= n * (unsigned long)pct)
			break;
	}
	return bucket_ms(b < LOAD_HBUCKETS ? b : LOAD_HBUCKETS - 1);
}
