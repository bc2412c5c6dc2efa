/*
 * attr - the name=value list encoding; the contract is in attr.h.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "attr.h"
#include "log.h"

/* The longest line a valid list can hold: every value byte escaped. */
#define ATTR_LINE_MAX (ATTR_NAME_MAX + 1 + 3 * ATTR_VALUE_MAX + 2)

static const char hex[] = "0123456789ABCDEF";

static int
name_valid(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > ATTR_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return 0;
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;		/* lower case is not the canonical form */
}

void
attrs_clear(struct attrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		str_free(&a->v[i].value);
	a->n = 0;
}

void
attrs_free(struct attrs *a)
{
	attrs_clear(a);
	free(a->v);
	a->v = NULL;
	a->cap = 0;
}

void
attrs_add(struct attrs *a, const char *name, const void *value,
    size_t vlen)
{
	struct attr *at;
	size_t nlen = strlen(name);

	if (!name_valid(name, nlen))
		log_panic("attrs_add: bad attribute name");
	if (a->n == a->cap) {
		a->cap = a->cap ? size_mul(a->cap, 2) : 16;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	at = &a->v[a->n++];
	memcpy(at->name, name, nlen + 1);
	at->value = (struct str)STR_INIT;
	str_copyb(&at->value, value, vlen);
}

void
attr_put(struct buf *b, const char *name, const void *value, size_t vlen)
{
	const unsigned char *p = value;
	size_t i, start = 0;
	char esc[3];

	buf_puts(b, name);
	buf_put(b, "=", 1);
	for (i = 0; i < vlen; i++) {
		if (p[i] != '%' && p[i] != '\r' && p[i] != '\n' && p[i] != 0)
			continue;
		buf_put(b, p + start, i - start);
		esc[0] = '%';
		esc[1] = hex[p[i] >> 4];
		esc[2] = hex[p[i] & 15];
		buf_put(b, esc, 3);
		start = i + 1;
	}
	buf_put(b, p + start, vlen - start);
	buf_put(b, "\n", 1);
}

void
attr_puts(struct buf *b, const char *name, const char *value)
{
	attr_put(b, name, value, strlen(value));
}

void
attr_putf(struct buf *b, const char *name, const char *fmt, ...)
{
	struct str v = STR_INIT;
	va_list ap;

	va_start(ap, fmt);
	str_vcatf(&v, fmt, ap);
	va_end(ap);
	attr_put(b, name, v.s, v.len);
	str_free(&v);
}

void
attr_end(struct buf *b)
{
	buf_put(b, "\n", 1);
}

void
attr_write(struct buf *b, const struct attrs *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		attr_put(b, a->v[i].name, a->v[i].value.s, a->v[i].value.len);
	attr_end(b);
}

/* parse_line - decode one "name=value" line (LF already removed). */
static int
parse_line(struct attrs *a, const char *p, size_t n, struct str *err)
{
	const char *eq = memchr(p, '=', n);
	struct attr *at;
	size_t i;
	int hi, lo;

	if (eq == NULL) {
		str_copys(err, "attribute line without '='");
		return -1;
	}
	if (!name_valid(p, (size_t)(eq - p))) {
		str_copys(err, "bad attribute name");
		return -1;
	}
	if (a->n >= ATTR_COUNT_MAX) {
		str_copys(err, "too many attributes");
		return -1;
	}
	if (a->n == a->cap) {
		a->cap = a->cap ? size_mul(a->cap, 2) : 16;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	at = &a->v[a->n];
	memcpy(at->name, p, (size_t)(eq - p));
	at->name[eq - p] = '\0';
	at->value = (struct str)STR_INIT;
	for (i = (size_t)(eq - p) + 1; i < n; i++) {
		char c = p[i];

		if (c == '\r' || c == '\0') {
			str_copys(err, "unescaped control byte in value");
			goto bad;
		}
		if (c == '%') {
			if (i + 2 >= n) {
				str_copys(err, "bad escape in value");
				goto bad;
			}
			hi = hexval(p[i + 1]);
			lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0) {
				str_copys(err, "bad escape in value");
				goto bad;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (at->value.len >= ATTR_VALUE_MAX) {
			str_copys(err, "attribute value too long");
			goto bad;
		}
		str_catc(&at->value, c);
	}
	a->n++;
	return 0;
bad:
	str_free(&at->value);
	return -1;
}

enum buf_status
attr_read(struct buf *b, struct attrs *a, size_t max, struct str *err)
{
	struct str line = STR_INIT;
	enum buf_status st;
	size_t lines = 0, bytes = 0;

	attrs_clear(a);
	str_clear(err);
	for (;;) {
		st = buf_getline(b, &line, ATTR_LINE_MAX);
		if (st == BUF_TOOLONG) {
			str_copys(err, "attribute line too long");
			st = BUF_ERROR;
			break;
		}
		if (st == BUF_EOF) {
			if (lines > 0 || line.len > 0)
				str_copys(err, "connection closed inside an "
				    "attribute list");
			break;
		}
		if (st == BUF_TIMEOUT) {
			str_copys(err, "timeout reading attributes");
			break;
		}
		if (st != BUF_OK) {
			str_copys(err, "read error");
			break;
		}
		lines++;
		bytes += line.len;
		if (bytes > max) {
			str_copyf(err, "attribute list over %zu bytes", max);
			st = BUF_ERROR;
			break;
		}
		if (line.len == 1)	/* the empty line ends the list */
			break;
		if (parse_line(a, line.s, line.len - 1, err) < 0) {
			st = BUF_ERROR;
			break;
		}
	}
	str_free(&line);
	return st;
}

const char *
attr_get(const struct attrs *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return str_cstr(&a->v[i].value);
	return NULL;
}

size_t
attr_count(const struct attrs *a, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			n++;
	return n;
}

void
attr_greet(struct buf *b, const char *proto, const char *version)
{
	attr_puts(b, "proto", proto);
	attr_puts(b, "version", version);
	attr_end(b);
}

/* major - the length of the major part of a version string. */
static size_t
major_len(const char *v)
{
	const char *dot = strchr(v, '.');

	return dot ? (size_t)(dot - v) : strlen(v);
}

int
attr_check_greeting(const struct attrs *a, const char *proto,
    const char *version, struct str *err)
{
	const char *p = attr_get(a, "proto");
	const char *v = attr_get(a, "version");
	size_t n;

	if (p == NULL || strcmp(p, proto) != 0) {
		str_copyf(err, "peer does not speak %s", proto);
		return -1;
	}
	n = major_len(version);
	if (v == NULL || major_len(v) != n || strncmp(v, version, n) != 0) {
		str_copyf(err, "peer speaks %s version %s, not %s", proto,
		    v ? v : "(none)", version);
		return -1;
	}
	return 0;
}
