/*
 * loadlib - what the load generators share: connecting, and names made
 * from a pattern ("user%d" -> user1 .. userN).
 */
#ifndef BENCH_LOADLIB_H
#define BENCH_LOADLIB_H

#include "str.h"

/* load_name - pattern with its "%d" replaced by k % n + 1 (the pattern
 * as it is when n is 0 or it has no "%d"), into out. */
void load_name(const char *pattern, long n, long k, struct str *out);
/* load_dial - a connected TCP socket to host:port, or -1. */
int load_dial(const char *host, const char *port);

#endif
