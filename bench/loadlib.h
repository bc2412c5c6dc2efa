/*
 * loadlib - what the load generators share: connecting, names made from
 * a pattern ("user%d" -> user1 .. userN), and latency histograms.
 */
#ifndef BENCH_LOADLIB_H
#define BENCH_LOADLIB_H

#include <stdint.h>

#include "str.h"

/* Latency histograms: LOAD_HBUCKETS counts, 8 buckets per power of two
 * of microseconds, so a percentile is within about 6%. */
#define LOAD_HBUCKETS 256

/* load_name - pattern with its "%d" replaced by k % n + 1 (the pattern
 * as it is when n is 0 or it has no "%d"), into out. */
void load_name(const char *pattern, long n, long k, struct str *out);
/* load_dial - a connected TCP socket to host:port, or -1. */
int load_dial(const char *host, const char *port);
/* load_now_us - CLOCK_MONOTONIC in microseconds. */
int64_t load_now_us(void);
/* load_bucket - the histogram bucket of a latency of us microseconds. */
int load_bucket(int64_t us);
/* load_percentile - the latency (ms) below which pct% of the counts in
 * h (LOAD_HBUCKETS of them) lie; 0 when h is empty. */
double load_percentile(const unsigned long *h, int pct);

#endif
