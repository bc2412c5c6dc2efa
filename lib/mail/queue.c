/*
 * queue - reading queue entries; the layout is in queue.h and
 * roost-queue(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "fd.h"
#include "queue.h"
#include "rec.h"

void
queue_env_free(struct queue_env *e)
{
	size_t i;

	str_free(&e->sender);
	str_free(&e->params);
	attrs_free(&e->attrs);
	for (i = 0; i < e->nrcpt; i++)
		str_free(&e->rcpt[i]);
	free(e->rcpt);
	e->rcpt = NULL;
	e->nrcpt = 0;
}

/* take - one record into e; -1 when out of order or malformed.  The
 * order is the one of rec.h: the reader refuses what cleanup never
 * writes, so a damaged file cannot pass for a message. */
static int
take(struct queue_env *e, int type, const struct str *r, int *state,
    struct str *err)
{
	const char *eq;
	char *end;

	switch (type) {
	case REC_VERSION:
		if (*state != 0 || !str_eqs(r, REC_VERSION_TEXT))
			goto order;
		*state = 1;
		return 0;
	case REC_TIME:
		if (*state != 1 || r->len == 0 || r->len > 20)
			goto order;
		errno = 0;
		e->arrival_us = strtoull(r->s, &end, 10);
		if (errno != 0 || *end != '\0')
			goto order;
		*state = 2;
		return 0;
	case REC_ATTR:
		if (*state != 2)
			goto order;
		eq = memchr(r->s, '=', r->len);
		if (eq == NULL || eq == r->s || eq - r->s > ATTR_NAME_MAX)
			goto order;
		{
			char name[ATTR_NAME_MAX + 1];
			size_t i, n = (size_t)(eq - r->s);

			for (i = 0; i < n; i++)
				if (!((r->s[i] >= 'a' && r->s[i] <= 'z') ||
				    (r->s[i] >= '0' && r->s[i] <= '9') ||
				    r->s[i] == '_'))
					goto order;
			memcpy(name, r->s, n);
			name[n] = '\0';
			attrs_add(&e->attrs, name, eq + 1, r->len - n - 1);
		}
		return 0;
	case REC_SENDER:
		if (*state != 2)
			goto order;
		str_copyb(&e->sender, r->s, r->len);
		*state = 3;
		return 0;
	case REC_PARAMS:
		if (*state != 3)
			goto order;
		str_copyb(&e->params, r->s, r->len);
		*state = 4;
		return 0;
	case REC_RCPT:
		if (*state != 4)
			goto order;
		e->rcpt = xreallocarray(e->rcpt, e->nrcpt + 1,
		    sizeof(*e->rcpt));
		e->rcpt[e->nrcpt] = (struct str)STR_INIT;
		str_copyb(&e->rcpt[e->nrcpt++], r->s, r->len);
		return 0;
	case REC_CONTENT:
		if (*state != 4 || r->len != 0)
			goto order;
		*state = 5;
		return 0;
	case REC_DATA:
		if (*state != 5)
			goto order;
		e->size += r->len;
		return 0;
	case REC_END:
		if (*state != 5 || r->len != 0)
			goto order;
		*state = 6;
		return 0;
	}
order:
	str_copyf(err, "unexpected record '%c'", type);
	return -1;
}

int
queue_read_env(const char *path, struct queue_env *e, struct str *err)
{
	struct str r = STR_INIT, why = STR_INIT;
	const char *base = strrchr(path, '/');
	struct buf b;
	int fd, type, rc, state = 0;

	memset(e, 0, sizeof(*e));
	base = base ? base + 1 : path;
	if (qid_valid(base))
		memcpy(e->id, base, QID_LEN + 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		str_copyf(err, "open %s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b, fd, 65536);
	while ((rc = rec_get(&b, &type, &r, &why)) == 1) {
		if (state == 6) {
			str_copys(&why, "data after the end record");
			rc = -1;
			break;
		}
		if (take(e, type, &r, &state, &why) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && state != 6) {
		str_copys(&why, "no end record");
		rc = -1;
	}
	buf_free(&b);
	fd_close(fd);
	str_free(&r);
	if (rc < 0) {
		str_copyf(err, "corrupt queue file %s: %s", path, why.s);
		str_free(&why);
		queue_env_free(e);
		return -1;
	}
	str_free(&why);
	return 0;
}

int
queue_read_content(const char *path,
    int (*fn)(void *arg, const char *p, size_t n), void *arg,
    struct str *err)
{
	struct str r = STR_INIT;
	struct buf b;
	int fd, type, rc, ended = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		str_copyf(err, "open %s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&b, fd, 65536);
	while ((rc = rec_get(&b, &type, &r, err)) == 1) {
		if (ended) {
			str_copyf(err, "%s: data after the end record", path);
			rc = -1;
			break;
		}
		if (type == REC_END)
			ended = 1;
		else if (type == REC_DATA && fn(arg, r.s, r.len) < 0) {
			rc = -2;
			break;
		}
	}
	if (rc == 0 && !ended) {
		str_copyf(err, "%s: no end record", path);
		rc = -1;
	}
	buf_free(&b);
	fd_close(fd);
	str_free(&r);
	return rc < 0 ? -1 : 0;
}

int
queue_fsync_dir(const char *queue_dir, const char *dir)
{
	struct str p = STR_INIT;
	int fd, rc = -1, e;

	str_copyf(&p, "%s/%s", queue_dir, dir);
	fd = open(p.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		e = errno;
		fd_close(fd);
		errno = e;
	}
	str_free(&p);
	return rc;
}
