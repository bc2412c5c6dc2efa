/*
 * listen - parse listen values; see listen.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "listen.h"

static int
parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

static int
host_ok(const char *s, size_t n, int v6)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    (v6 && (c == ':' || c == '%'))))
			return 0;
	}
	return 1;
}

static int
parse_one(const char *s, size_t n, struct listen_spec *sp, struct str *err)
{
	const char *colon;
	size_t hlen;

	memset(sp, 0, sizeof *sp);
	if (n > 5 && memcmp(s, "unix:", 5) == 0) {
		sp->kind = LISTEN_UNIX;
		if (n - 5 >= sizeof sp->path) {
			str_copyf(err, "socket path '%.*s' is too long", (int)n, s);
			return -1;
		}
		memcpy(sp->path, s + 5, n - 5);
		return 0;
	}
	sp->kind = LISTEN_TCP;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL || close + 1 >= s + n || close[1] != ':' ||
		    !host_ok(s + 1, (size_t)(close - s - 1), 1))
			goto bad;
		hlen = (size_t)(close - s - 1);
		memcpy(sp->host, s + 1, hlen);
		colon = close + 1;
	} else {
		colon = memrchr(s, ':', n);
		if (colon == NULL)
			goto bad;
		hlen = (size_t)(colon - s);
		if (hlen == 1 && s[0] == '*')
			memcpy(sp->host, "0.0.0.0", 7);
		else if (hlen < sizeof sp->host && host_ok(s, hlen, 0))
			memcpy(sp->host, s, hlen);
		else
			goto bad;
	}
	if (parse_port(colon + 1, (size_t)(s + n - colon - 1), &sp->port) < 0) {
		str_copyf(err, "bad port in '%.*s' (want 1-65535)", (int)n, s);
		return -1;
	}
	return 0;
bad:
	str_copyf(err, "'%.*s' is not HOST:PORT, [ADDR]:PORT or unix:PATH",
	    (int)n, s);
	return -1;
}

int
listen_parse(const char *value, struct listen_spec *out, size_t *n,
    struct str *err)
{
	const char *p = value;
	size_t count = 0;

	for (;;) {
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t,");
		if (count == LISTEN_MAX) {
			str_copyf(err, "more than %d endpoints", LISTEN_MAX);
			return -1;
		}
		if (parse_one(p, len, &out[count], err) < 0)
			return -1;
		count++;
		p += len;
	}
	*n = count;
	return 0;
}

int
listen_check(const char *value, struct str *err)
{
	struct listen_spec sp[LISTEN_MAX];
	size_t n;

	return listen_parse(value, sp, &n, err);
}

void
listen_format(const struct listen_spec *sp, struct str *out)
{
	if (sp->kind == LISTEN_UNIX)
		str_catf(out, "unix:%s", sp->path);
	else if (strchr(sp->host, ':'))
		str_catf(out, "[%s]:%u", sp->host, sp->port);
	else
		str_catf(out, "%s:%u", sp->host, sp->port);
}

int
listen_unix_path(const char *key, const char *value, const char *run_dir,
    struct str *out, struct str *err)
{
	struct listen_spec sp[LISTEN_MAX];
	size_t n, i;

	if (listen_parse(value, sp, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (sp[i].kind != LISTEN_UNIX)
			continue;
		str_clear(out);
		if (sp[i].path[0] != '/')
			str_catf(out, "%s/", run_dir);
		str_cats(out, sp[i].path);
		return 0;
	}
	str_copyf(err, "%s has no unix: endpoint", key);
	return -1;
}
