/*
 * attr - the encoding of requests and replies between roost daemons.
 *
 * A message is a list of "name=value\n" lines ended by an empty line
 * (Postfix's attr_plain, STYLE 7.8).  Names are [a-z0-9_]+, at most
 * ATTR_NAME_MAX bytes; values are any bytes, with '%', CR, LF and NUL
 * written as %XX (upper-case hex), at most ATTR_VALUE_MAX bytes once
 * decoded; a list holds at most ATTR_COUNT_MAX attributes.  A name may
 * repeat (e.g. one "rcpt" per recipient); order is kept.
 *
 * Every server greets with proto=<service> and version=<major>.<minor>;
 * a client that finds another major version hangs up.
 *
 * A peer that breaks these rules is not repaired: attr_read() reports a
 * protocol error and the caller disconnects.
 */
#ifndef ROOST_ATTR_H
#define ROOST_ATTR_H

#include <stddef.h>

#include "buf.h"
#include "str.h"

#define ATTR_NAME_MAX 64
#define ATTR_VALUE_MAX 65536
#define ATTR_COUNT_MAX 20000	/* above any recipient limit */

struct attr {
	char name[ATTR_NAME_MAX + 1];
	struct str value;
};

struct attrs {
	struct attr *v;
	size_t n, cap;
};

#define ATTRS_INIT { NULL, 0, 0 }

void attrs_clear(struct attrs *a);
void attrs_free(struct attrs *a);
/* attrs_add - append a copy of name=value (name must be valid). */
void attrs_add(struct attrs *a, const char *name, const void *value,
    size_t vlen);

/* attr_put / attr_puts / attr_putf - write one attribute to b. */
void attr_put(struct buf *b, const char *name, const void *value,
    size_t vlen);
void attr_puts(struct buf *b, const char *name, const char *value);
void attr_putf(struct buf *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* attr_end - the empty line that ends a list (does not flush). */
void attr_end(struct buf *b);
/* attr_write - write every attribute of a, then the end line. */
void attr_write(struct buf *b, const struct attrs *a);

/*
 * attr_read - read one list of at most max bytes on the wire into a
 * (replacing its content).  Returns BUF_OK; BUF_EOF when the peer closed before a complete list (a clean
 * close between lists has a->n == 0 and err empty); BUF_TIMEOUT;
 * BUF_ERROR for I/O errors and for protocol errors (bad name, bad
 * escape, over a limit, a line without '='), with the reason in err.
 */
enum buf_status attr_read(struct buf *b, struct attrs *a, size_t max,
    struct str *err);
/* ATTR_REPLY_MAX - a bound for replies, which carry a status and a
 * reason, for clients that have no configured limit. */
#define ATTR_REPLY_MAX (1024 * 1024)

/* attr_get - the first value named name (NUL-terminated), or NULL. */
const char *attr_get(const struct attrs *a, const char *name);
/* attr_count - how many attributes are named name. */
size_t attr_count(const struct attrs *a, const char *name);
/* attr_greet / attr_check_greeting - the proto/version handshake:
 * 0 when the peer speaks proto with our major version, else -1 with a
 * reason in err. */
void attr_greet(struct buf *b, const char *proto, const char *version);
int attr_check_greeting(const struct attrs *a, const char *proto,
    const char *version, struct str *err);

#endif
