/*
 * pipe_req - the request of lib/mail/pipeproto.h, parsed strictly: qmgr is
 * trusted to speak the protocol, so anything else is a bug or an
 * intruder and the connection ends (STYLE 7.6, no repairs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipe.h"

static const char *const known[] = {
    "kind",
    "target",
    "uid",
    "gid",
    "sender",
    "recipient",
    "alias",
    "queue_id",
    "size",
};

/* number - a decimal in [0, max] with nothing around it. */
static int
number(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v > max)
		return -1;
	return 0;
}

/* once - the value of a required attribute that appears exactly once. */
static const char *
once(const struct attrs *a, const char *name, struct str *err)
{
	if (attr_count(a, name) != 1) {
		str_copyf(err, "%s: %s", name,
		    attr_count(a, name) ? "given more than once" : "missing");
		return NULL;
	}
	return attr_get(a, name);
}

int
pipe_req_parse(const struct attrs *a, unsigned long long max_size,
    struct pipe_req *r, struct str *err)
{
	unsigned long long v;
	const char *kind;
	size_t i, k;

	memset(r, 0, sizeof *r);
	for (i = 0; i < a->n; i++) {
		for (k = 0; k < sizeof known / sizeof known[0]; k++)
			if (strcmp(a->v[i].name, known[k]) == 0)
				break;
		/* an attribute of a later minor version: not ours to use
		 * (doc/ARCHITECTURE.md, "Versions and compatibility") */
		if (k == sizeof known / sizeof known[0])
			continue;
		/* values are one line of text: a NUL would cut what we
		 * check, a line end would forge headers and mbox lines */
		if (strlen(str_cstr(&a->v[i].value)) != a->v[i].value.len ||
		    strpbrk(str_cstr(&a->v[i].value), "\r\n") != NULL) {
			str_copyf(
			    err, "%s: NUL or line end in value", a->v[i].name);
			return -1;
		}
	}
	if ((kind = once(a, "kind", err)) == NULL ||
	    (r->target = once(a, "target", err)) == NULL ||
	    (r->sender = once(a, "sender", err)) == NULL ||
	    (r->recipient = once(a, "recipient", err)) == NULL)
		return -1;
	if (strcmp(kind, "command") == 0)
		r->kind = PIPE_COMMAND;
	else if (strcmp(kind, "file") == 0)
		r->kind = PIPE_FILE;
	else {
		str_copyf(err, "kind: '%s' is not command or file", kind);
		return -1;
	}
	if (*r->target == '\0') {
		str_copys(err, "target: empty");
		return -1;
	}
	if (r->kind == PIPE_FILE && r->target[0] != '/') {
		str_copys(err, "target: a file must be an absolute path");
		return -1;
	}
	/* uid and gid: what qmgr 1.0 thought; checked, never used (the
	 * account is pipe_justify's to find) */
	for (i = 0; i < 2; i++) {
		const char *name = i ? "gid" : "uid";

		if (attr_count(a, name) > 1 ||
		    (attr_count(a, name) == 1 &&
		    number(attr_get(a, name), 0x7fffffffULL, &v) < 0)) {
			str_copyf(err, "%s: not a number", name);
			return -1;
		}
	}
	r->uid = (uid_t)-1;
	r->gid = (gid_t)-1;
	if (number(once(a, "size", err), ~0ULL, &r->size) < 0) {
		str_copys(err, "size: not a number");
		return -1;
	}
	if (r->size > max_size) {
		str_copyf(
		    err, "size: %llu over the limit %llu", r->size, max_size);
		return -1;
	}
	r->alias = attr_count(a, "alias") == 1 ? attr_get(a, "alias") : "";
	r->queue_id =
	    attr_count(a, "queue_id") == 1 ? attr_get(a, "queue_id") : "";
	if (attr_count(a, "alias") > 1 || attr_count(a, "queue_id") > 1) {
		str_copys(err, "alias or queue_id given more than once");
		return -1;
	}
	return 0;
}
