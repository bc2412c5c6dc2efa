/*
 * listen - listening endpoints from configuration values.
 *
 * A listen value is a list of endpoints separated by commas and/or
 * blanks; an empty value means "do not listen".  Each endpoint is
 *   HOST:PORT      IPv4 address or host name, port 1-65535
 *   [ADDR6]:PORT   IPv6 address
 *   *:PORT         every IPv4 address (0.0.0.0)
 *   unix:PATH      a Unix stream socket; a relative PATH is taken from
 *                  run_dir
 */
#ifndef ROOST_LISTEN_H
#define ROOST_LISTEN_H

#include <stddef.h>

#include "str.h"

#define LISTEN_MAX 16	/* endpoints per value */

enum listen_kind { LISTEN_TCP, LISTEN_UNIX };

struct listen_spec {
	enum listen_kind kind;
	char host[256];		/* TCP: address or name, no brackets */
	unsigned port;		/* TCP */
	char path[108];		/* UNIX: as written (relative or absolute) */
};

/* listen_parse - parse value into at most LISTEN_MAX specs; *n gets the
 * count (0 for an empty value).  0, or -1 with a reason in err. */
int listen_parse(const char *value, struct listen_spec *out, size_t *n,
    struct str *err);
/* listen_check - cfg check hook: listen_parse without keeping results. */
int listen_check(const char *value, struct str *err);
/* listen_unix_path - the path of the first unix: endpoint of value (the
 * value of key, which messages name), a relative one taken from
 * run_dir: 0, or -1 with a reason in err (bad value, or no unix:
 * endpoint). */
int listen_unix_path(const char *key, const char *value, const char *run_dir,
    struct str *out, struct str *err);
/* listen_format - "127.0.0.1:25", "[::1]:25" or "unix:path". */
void listen_format(const struct listen_spec *sp, struct str *out);

#endif
