/*
 * qstatus - the append-only per-entry delivery status file; the format
 * and the meaning of each attribute are in qstatus.h.
 *
 * Records use the framing of lib/mail/rec (type byte, LEB128 length,
 * payload) with the one type QSTATUS_REC; we read them ourselves
 * because a torn tail is normal here (a crash mid-append) while
 * rec_get() rightly calls any short record corrupt.  A torn tail is a
 * last record running past the end of the file, or a bad record
 * followed by nothing but NUL bytes (what some file systems leave of an
 * append that was never fsynced).  Anything else malformed is corrupt:
 * reading fails rather than guessing what was delivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "attr.h"
#include "fd.h"
#include "qstatus.h"
#include "rec.h"

#define QSTATUS_FILE_MAX (256u << 20)	/* far above any real entry */

static int number(const char *s, uint64_t *v);

void
qstatus_path(const char *queue_dir, const char *id, struct str *out)
{
	str_copyf(out, "%s/" QSTATUS_DIR "/%s", queue_dir, id);
}

void
qstatus_free(struct qstatus *st)
{
	size_t i;

	for (i = 0; i < st->nrcpt; i++) {
		str_free(&st->rcpt[i].dsn);
		str_free(&st->rcpt[i].text);
		str_free(&st->rcpt[i].done_targets);
		str_free(&st->rcpt[i].started);
	}
	free(st->rcpt);
	for (i = 0; i < st->nreport; i++) {
		str_free(&st->report[i].id);
		str_free(&st->report[i].kind);
		str_free(&st->report[i].items);
		str_free(&st->report[i].queue_id);
	}
	free(st->report);
	for (i = 0; i < st->nbounce; i++) {
		str_free(&st->bounce[i].target);
		str_free(&st->bounce[i].dsn);
		str_free(&st->bounce[i].text);
	}
	free(st->bounce);
	memset(st, 0, sizeof(*st));
}

void
qstatus_put(struct str *rec, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	str_cats(rec, name);
	str_catc(rec, '=');
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p == '%' || *p == '\r' || *p == '\n') {
			str_catc(rec, '%');
			str_catc(rec, hex[*p >> 4]);
			str_catc(rec, hex[*p & 15]);
		} else
			str_catc(rec, (char)*p);
	str_catc(rec, '\n');
}

void
qstatus_putu(struct str *rec, const char *name, uint64_t value)
{
	char num[24];

	snprintf(num, sizeof num, "%" PRIu64, value);
	qstatus_put(rec, name, num);
}

/* line_find - where line s is in the newline-ended lines of list, or
 * NULL. */
static const char *
line_find(const struct str *list, const char *s)
{
	size_t n = strlen(s);
	const char *p = str_cstr(list), *nl;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			return NULL;
		if ((size_t)(nl - p) == n && memcmp(p, s, n) == 0)
			return p;
	}
	return NULL;
}

bool
qstatus_target_done(const struct qstatus_rcpt *r, const char *target)
{
	return line_find(&r->done_targets, target) != NULL;
}

bool
qstatus_target_started(const struct qstatus_rcpt *r, const char *target)
{
	return line_find(&r->started, target) != NULL;
}

/* blank - s with TAB, CR and LF as blanks, into out. */
static void
blank(struct str *out, const char *s)
{
	for (; *s != '\0'; s++)
		str_catc(out, *s == '\t' || *s == '\r' || *s == '\n' ? ' ' :
		    *s);
}

void
qstatus_item_put(struct str *items, size_t rcpt, uint64_t time_us,
    const char *dsn, const char *target, const char *text)
{
	str_catf(items, "%zu\t%" PRIu64 "\t", rcpt, time_us);
	blank(items, dsn);
	str_catc(items, '\t');
	blank(items, target);
	str_catc(items, '\t');
	blank(items, text);
	str_catc(items, '\n');
}

int
qstatus_item_next(const char **pp, struct qstatus_item *it)
{
	const char *p = *pp, *f[5], *nl;
	struct str tmp = STR_INIT;
	uint64_t v;
	int i;

	nl = strchr(p, '\n');
	if (*p == '\0' || nl == NULL)
		return -1;
	f[0] = p;
	for (i = 1; i < 5; i++) {
		f[i] = memchr(f[i - 1], '\t', (size_t)(nl - f[i - 1]));
		if (f[i] == NULL)
			return -1;
		f[i]++;
	}
	str_copyb(&tmp, f[0], (size_t)(f[1] - f[0] - 1));
	if (number(str_cstr(&tmp), &v) < 0 || v > SIZE_MAX)
		goto bad;
	it->rcpt = (size_t)v;
	str_copyb(&tmp, f[1], (size_t)(f[2] - f[1] - 1));
	if (number(str_cstr(&tmp), &it->time_us) < 0)
		goto bad;
	str_copyb(&it->dsn, f[2], (size_t)(f[3] - f[2] - 1));
	str_copyb(&it->target, f[3], (size_t)(f[4] - f[3] - 1));
	str_copyb(&it->text, f[4], (size_t)(nl - f[4]));
	str_free(&tmp);
	*pp = nl + 1;
	return 0;
bad:
	str_free(&tmp);
	return -1;
}

void
qstatus_item_free(struct qstatus_item *it)
{
	str_free(&it->dsn);
	str_free(&it->target);
	str_free(&it->text);
}

bool
qstatus_reported(const struct qstatus *st, size_t rcpt, const char *target)
{
	struct qstatus_item it;
	const char *p;
	size_t i;
	bool found = false;

	memset(&it, 0, sizeof it);
	for (i = 0; i < st->nreport && !found; i++)
		for (p = str_cstr(&st->report[i].items);
		    !found && qstatus_item_next(&p, &it) == 0;)
			found = it.rcpt == rcpt &&
			    strcmp(str_cstr(&it.target), target ? target :
			    "") == 0;
	qstatus_item_free(&it);
	return found;
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* number - a whole decimal value, or -1. */
static int
number(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9' || strlen(s) > 20)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

/* decode - the attribute lines of one payload into a: -1 if malformed. */
static int
decode(const char *p, size_t n, struct attrs *a)
{
	const char *end = p + n, *nl, *eq, *q;
	struct str v = STR_INIT;
	char name[ATTR_NAME_MAX + 1];
	int rc = -1;

	attrs_clear(a);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			goto out;
		if (nl == p) {		/* the optional empty end line */
			if (nl + 1 != end)
				goto out;
			break;
		}
		eq = memchr(p, '=', (size_t)(nl - p));
		if (eq == NULL || eq == p || eq - p > ATTR_NAME_MAX)
			goto out;
		for (q = p; q < eq; q++)
			if (!((*q >= 'a' && *q <= 'z') ||
			    (*q >= '0' && *q <= '9') || *q == '_'))
				goto out;
		memcpy(name, p, (size_t)(eq - p));
		name[eq - p] = '\0';
		str_clear(&v);
		for (q = eq + 1; q < nl; q++) {
			if (*q == '\0')
				goto out;
			if (*q == '%') {
				int h, l;

				if (nl - q < 3 || (h = unhex(q[1])) < 0 ||
				    (l = unhex(q[2])) < 0 || (h == 0 && l == 0))
					goto out;
				str_catc(&v, (char)(h << 4 | l));
				q += 2;
			} else
				str_catc(&v, *q);
		}
		if (a->n >= 64)
			goto out;
		attrs_add(a, name, v.s ? v.s : "", v.len);
		p = nl + 1;
	}
	rc = 0;
out:
	str_free(&v);
	return rc;
}

/* version_ok - a record's version= (if any) is one this code reads. */
static bool
version_ok(const struct attrs *a)
{
	const char *s = attr_get(a, "version");
	uint64_t v;

	return s == NULL || (number(s, &v) == 0 && v >= 1 &&
	    v <= QSTATUS_VERSION);
}

/* line_drop - remove line s from list, if there. */
static void
line_drop(struct str *list, const char *s)
{
	const char *p = line_find(list, s);
	size_t at, n = strlen(s) + 1;

	if (p == NULL)
		return;
	at = (size_t)(p - list->s);
	memmove(list->s + at, list->s + at + n, list->len - at - n + 1);
	list->len -= n;
}

/* fold_report - a report= record: -1 if it makes no sense. */
static int
fold_report(const struct attrs *a, struct qstatus *st, const char *id)
{
	const char *kind = attr_get(a, "kind"), *items = attr_get(a, "items");
	const char *t = attr_get(a, "time"), *p;
	struct qstatus_report *r;
	struct qstatus_item it;
	uint64_t when;
	int rc = 0;

	if (kind == NULL || items == NULL || t == NULL ||
	    number(t, &when) < 0 || *id == '\0' ||
	    (strcmp(kind, "failed") != 0 && strcmp(kind, "delivered") != 0 &&
	    strcmp(kind, "delayed") != 0 && strcmp(kind, "unknown") != 0))
		return -1;
	memset(&it, 0, sizeof it);
	for (p = items; *p != '\0' && rc == 0;) {
		if (qstatus_item_next(&p, &it) < 0 || it.rcpt >= st->nrcpt)
			rc = -1;
		else if (it.target.len == 0 && (strcmp(kind, "failed") == 0 ||
		    strcmp(kind, "delivered") == 0))
			st->rcpt[it.rcpt].notified = true;
	}
	qstatus_item_free(&it);
	if (rc < 0)
		return -1;
	if (strcmp(kind, "delayed") == 0)
		st->warned_us = when;
	st->report = xreallocarray(st->report, st->nreport + 1,
	    sizeof(*st->report));
	r = &st->report[st->nreport++];
	memset(r, 0, sizeof(*r));
	str_copys(&r->id, id);
	str_copys(&r->kind, kind);
	str_copys(&r->items, items);
	r->time_us = when;
	return 0;
}

/* fold_reported - a reported= record: the report it names was taken. */
static int
fold_reported(const struct attrs *a, struct qstatus *st, const char *id)
{
	const char *q = attr_get(a, "queue_id");
	size_t i;

	for (i = st->nreport; i-- > 0;)
		if (str_eqs(&st->report[i].id, id)) {
			st->report[i].submitted = true;
			str_copys(&st->report[i].queue_id, q ? q : "");
			return 0;
		}
	return -1;
}

/* fold_target - a target's record: started, or an outcome. */
static int
fold_target(const struct attrs *a, struct qstatus *st, size_t i,
    const char *target, const char *status)
{
	struct qstatus_rcpt *r = &st->rcpt[i];
	struct qstatus_bounce *b;
	const char *s;
	uint64_t v = 0;

	if (strchr(target, '\n') != NULL)
		return -1;
	if (strcmp(status, "started") == 0) {
		if (!qstatus_target_started(r, target)) {
			str_cats(&r->started, target);
			str_catc(&r->started, '\n');
		}
		return 0;
	}
	if (strcmp(status, "waiting") == 0) {
		r->waiting = true;
		return 0;
	}
	if (strcmp(status, "deferred") != 0 && strcmp(status, "sent") != 0 &&
	    strcmp(status, "bounced") != 0 && strcmp(status, "expanded") != 0)
		return -1;
	line_drop(&r->started, target);
	if (strcmp(status, "sent") != 0 && strcmp(status, "bounced") != 0)
		return 0;
	if (!qstatus_target_done(r, target)) {
		str_cats(&r->done_targets, target);
		str_catc(&r->done_targets, '\n');
	}
	if (status[0] != 'b')
		return 0;
	if ((s = attr_get(a, "time")) != NULL && number(s, &v) < 0)
		return -1;
	st->bounce = xreallocarray(st->bounce, st->nbounce + 1,
	    sizeof(*st->bounce));
	b = &st->bounce[st->nbounce++];
	memset(b, 0, sizeof(*b));
	b->rcpt = i;
	b->time_us = v;
	b->old = st->version < 2;
	str_copys(&b->target, target);
	str_copys(&b->dsn, (s = attr_get(a, "dsn")) ? s : "");
	str_copys(&b->text, (s = attr_get(a, "text")) ? s : "");
	return 0;
}

/* fold - apply one decoded record to st: -1 if it makes no sense. */
static int
fold(const struct attrs *a, struct qstatus *st)
{
	const char *idx = attr_get(a, "rcpt"), *s, *target, *status;
	struct qstatus_rcpt *r;
	uint64_t v;

	if (idx == NULL) {
		if (!version_ok(a))
			return -1;
		if ((s = attr_get(a, "version")) != NULL &&
		    number(s, &v) == 0 && v > st->version)
			st->version = (unsigned)v;
		if ((s = attr_get(a, "report")) != NULL)
			return fold_report(a, st, s);
		if ((s = attr_get(a, "reported")) != NULL)
			return fold_reported(a, st, s);
		if ((s = attr_get(a, "warned")) != NULL) {
			if (number(s, &v) < 0)
				return -1;
			st->warned_us = v;
		}
		if ((s = attr_get(a, "held")) != NULL)
			st->held = strcmp(s, "1") == 0;
		return 0;
	}
	if (number(idx, &v) < 0 || v >= st->nrcpt)
		return -1;
	r = &st->rcpt[v];
	status = attr_get(a, "status");
	target = attr_get(a, "target");
	if (status != NULL && target != NULL && *target != '\0')
		/* a target's record says nothing of its recipient's
		 * time or reason */
		return fold_target(a, st, (size_t)v, target, status);
	if ((s = attr_get(a, "notified")) != NULL && strcmp(s, "1") == 0)
		r->notified = true;
	if ((s = attr_get(a, "time")) != NULL) {
		if (number(s, &v) < 0)
			return -1;
		r->time_us = v;
	}
	if ((s = attr_get(a, "tries")) != NULL) {
		if (number(s, &v) < 0 || v > 1000000)
			return -1;
		r->tries = (unsigned)v;
	}
	if ((s = attr_get(a, "dsn")) != NULL)
		str_copys(&r->dsn, s);
	if ((s = attr_get(a, "text")) != NULL)
		str_copys(&r->text, s);
	if (status == NULL)
		return 0;
	if (strcmp(status, "sent") == 0 || strcmp(status, "bounced") == 0)
		r->done = status[0] == 's' ? 1 : 2;
	else if (strcmp(status, "deferred") == 0) {
		r->waiting = false;
		if ((s = attr_get(a, "next")) != NULL) {
			if (number(s, &v) < 0)
				return -1;
			r->next_us = v;
		}
	} else if (strcmp(status, "waiting") == 0) {
		r->waiting = true;
	} else if (strcmp(status, "expanded") != 0)
		return -1;
	return 0;
}

int
qstatus_apply(struct qstatus *st, const struct str *rec)
{
	struct attrs a = ATTRS_INIT;
	int rc;

	rc = decode(str_cstr(rec), rec->len, &a) < 0 ? -1 : fold(&a, st);
	attrs_free(&a);
	return rc;
}

static bool
all_nul(const unsigned char *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != '\0')
			return false;
	return true;
}

/* parse - fold every complete record of data into st (when not NULL);
 * *valid gets the length of the good prefix.  -1 when corrupt. */
static int
parse(const unsigned char *data, size_t len, struct qstatus *st,
    size_t *valid, struct str *err)
{
	struct attrs a = ATTRS_INIT;
	size_t pos = 0, start, plen;
	int k, rc = 0;

	*valid = 0;
	while (pos < len) {
		start = pos;
		if (data[pos++] != QSTATUS_REC)
			goto bad;
		plen = 0;
		for (k = 0;; k++) {
			if (pos >= len)
				goto torn;
			if (k == 3) /* REC_MAX fits in three bytes */
				goto bad;
			plen |= (size_t)(data[pos] & 0x7f) << (7 * k);
			if ((data[pos++] & 0x80) == 0)
				break;
		}
		if (plen > REC_MAX)
			goto bad;
		if (plen > len - pos)
			goto torn;
		if (decode((const char *)data + pos, plen, &a) < 0)
			goto bad;
		/* a writer, too, keeps off a version it does not know */
		if (st != NULL ? fold(&a, st) < 0 : !version_ok(&a))
			goto bad;
		pos += plen;
		*valid = pos;
		continue;
bad:
		if (all_nul(data + start, len - start))
			goto torn;
		str_copyf(err, "corrupt status record at offset %zu", start);
		rc = -1;
		goto torn;
	}
torn:
	attrs_free(&a);
	return rc;
}

/* slurp - the whole file at fd into out: 0, or -1 with errno. */
static int
slurp(int fd, struct str *out)
{
	char tmp[65536];
	ssize_t n;

	str_clear(out);
	while ((n = fd_read(fd, tmp, sizeof tmp)) > 0) {
		if (out->len + (size_t)n > QSTATUS_FILE_MAX) {
			errno = EFBIG;
			return -1;
		}
		str_catb(out, tmp, (size_t)n);
	}
	return n < 0 ? -1 : 0;
}

int
qstatus_read(const char *path, size_t nrcpt, struct qstatus *st,
    struct str *err)
{
	struct str data = STR_INIT;
	size_t valid;
	int fd, rc;

	memset(st, 0, sizeof(*st));
	st->nrcpt = nrcpt;
	st->rcpt = xcalloc(nrcpt ? nrcpt : 1, sizeof(*st->rcpt));
	st->valid = QSTATUS_UNKNOWN;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			st->valid = 0;
			return 0;
		}
		str_copyf(err, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (slurp(fd, &data) < 0) {
		str_copyf(err, "read %s: %s", path, strerror(errno));
		fd_close(fd);
		str_free(&data);
		return -1;
	}
	fd_close(fd);
	rc = parse((const unsigned char *)data.s, data.len, st, &valid, err);
	str_free(&data);
	if (rc == 0)
		st->valid = valid;
	if (rc < 0) {
		struct str why = STR_INIT;

		str_copyf(&why, "%s: %s", path, err->s);
		str_copys(err, why.s);
		str_free(&why);
	}
	return rc;
}

/* fsync_parent - make a new directory entry of path durable. */
static int
fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path)) :
	    xstrdup(".");
	int fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 || fsync(fd) < 0 ? -1 : 0;

	if (fd >= 0)
		fd_close(fd);
	free(dir);
	return rc;
}

/* put - write recs at offset valid of fd (the version record first in
 * an empty file), cut anything after them (a torn tail), fsync, and the
 * directory too when created: the new valid length, or -1 with err. */
static ssize_t
put(int fd, const char *path, size_t valid, bool created,
    const struct str *recs, size_t n, struct str *err)
{
	struct str out = STR_INIT;
	struct stat sb;
	ssize_t rc = -1;
	size_t i;

	if (valid == 0 && n > 0) {
		struct str v = STR_INIT;

		qstatus_putu(&v, "version", QSTATUS_VERSION);
		rec_put(&out, QSTATUS_REC, v.s, v.len);
		str_free(&v);
	}
	for (i = 0; i < n; i++)
		rec_put(&out, QSTATUS_REC, recs[i].s, recs[i].len);
	if (out.len > 0 && (lseek(fd, (off_t)valid, SEEK_SET) < 0 ||
	    fd_write_all(fd, out.s, out.len) < 0)) {
		str_copyf(err, "write %s: %s", path, strerror(errno));
		/* leave no torn record of ours behind */
		(void)ftruncate(fd, (off_t)valid);
		goto out;
	}
	if (fstat(fd, &sb) == 0 && (size_t)sb.st_size > valid + out.len &&
	    ftruncate(fd, (off_t)(valid + out.len)) < 0) {
		str_copyf(err, "truncate %s: %s", path, strerror(errno));
		goto out;
	}
	if (fsync(fd) < 0) {
		str_copyf(err, "fsync %s: %s", path, strerror(errno));
		goto out;
	}
	if (created && fsync_parent(path) < 0) {
		str_copyf(err, "fsync directory of %s: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = (ssize_t)(valid + out.len);
out:
	str_free(&out);
	return rc;
}

/* open_rw - path for reading and writing, created when missing. */
static int
open_rw(const char *path, bool *created, struct str *err)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	*created = false;
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		*created = true;
	}
	if (fd < 0)
		str_copyf(err, "open %s: %s", path, strerror(errno));
	return fd;
}

int
qstatus_append(const char *path, const struct str *recs, size_t n,
    struct str *err)
{
	struct str data = STR_INIT;
	size_t valid;
	bool created;
	int fd, rc = -1;

	if ((fd = open_rw(path, &created, err)) < 0)
		return -1;
	if (slurp(fd, &data) < 0)
		str_copyf(err, "read %s: %s", path, strerror(errno));
	else if (parse((const unsigned char *)data.s, data.len, NULL, &valid,
	    err) == 0 &&	/* never write after damage we cannot read */
	    put(fd, path, valid, created, recs, n, err) >= 0)
		rc = 0;
	fd_close(fd);
	str_free(&data);
	return rc;
}

int
qstatus_append_at(const char *path, size_t *valid, const struct str *recs,
    size_t n, struct str *err)
{
	bool created;
	ssize_t end;
	int fd;

	if (*valid == QSTATUS_UNKNOWN)
		return qstatus_append(path, recs, n, err);
	if ((fd = open_rw(path, &created, err)) < 0)
		return -1;
	end = put(fd, path, created ? 0 : *valid, created, recs, n, err);
	fd_close(fd);
	if (end < 0) {
		/* what is on disk now is for the careful path to find */
		*valid = QSTATUS_UNKNOWN;
		return -1;
	}
	*valid = (size_t)end;
	return 0;
}
