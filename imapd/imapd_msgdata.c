/*
 * imapd_msgdata - one message's content for FETCH and SEARCH, loaded
 * only as far as a command needs: the store's parse cache entry, the
 * file (mmap), the parsed structure.
 *
 * The cache entry keeps what is asked for again and again and costs a
 * parse to make: ENVELOPE, BODY, BODYSTRUCTURE, and the decoded fields
 * SEARCH looks at most (Subject, From, To, Cc, Bcc, Date), so that
 * neither a FETCH of a large mailbox's structure nor a search of its
 * headers reads the message files a second time.  Format: "R1" then
 * each part as "<length>:" and its octets (lengths, not separators:
 * the parts may hold any octet); a field part is "-" when the message
 * has no such field, else "+" and the value.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapd.h"
#include "log.h"
#include "mime.h"

#define CACHE_MAGIC "R1"

static const char *const fields[] = {
	"Subject", "From", "To", "Cc", "Bcc", "Date",
};
#define NFIELDS (sizeof fields / sizeof fields[0])
#define NPARTS (IMAPD_CACHE_FIELDS + NFIELDS)

void
imapd_msgdata_init(struct imapd_msgdata *d, struct imapd *st,
    const struct store_msg *m)
{
	memset(d, 0, sizeof *d);
	d->st = st;
	d->m = m;
	d->fd = -1;
}

int
imapd_msgdata_file(struct imapd_msgdata *d)
{
	struct str err = STR_INIT;
	struct stat sb;

	if (d->fd >= 0)
		return 0;
	if (d->failed)
		return -1;
	if ((d->fd = store_msg_open(d->st->store, d->m, &err)) < 0 ||
	    fstat(d->fd, &sb) < 0) {
		log_error("user=%s uid=%u: %s", d->st->user.s, d->m->uid,
		    err.len ? err.s : "fstat failed");
		str_free(&err);
		d->failed = true;
		return -1;
	}
	str_free(&err);
	d->size = (size_t)sb.st_size;
	if (d->size > 0) {
		d->map = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, d->fd,
		    0);
		if (d->map == MAP_FAILED) {
			log_error("user=%s uid=%u: mmap failed", d->st->user.s,
			    d->m->uid);
			d->map = NULL;
			close(d->fd);
			d->fd = -1;
			d->failed = true;
			return -1;
		}
	}
	return 0;
}

const char *
imapd_msgdata_bytes(const struct imapd_msgdata *d)
{
	return d->map != NULL ? d->map : "";
}

const struct mime *
imapd_msgdata_mime(struct imapd_msgdata *d)
{
	if (d->mime == NULL && imapd_msgdata_file(d) == 0)
		d->mime = mime_parse(imapd_msgdata_bytes(d), d->size);
	return d->mime;
}

static void
part(struct str *out, const struct str *v)
{
	str_catf(out, "%zu:", v->len);
	str_cat(out, v);
}

/* build - the cache entry from the parsed message. */
static void
build(struct imapd_msgdata *d, const struct mime *mm)
{
	struct str v = STR_INIT;
	size_t i;

	str_copys(&d->cache, CACHE_MAGIC);
	mime_envelope(mm, &v);
	part(&d->cache, &v);
	str_clear(&v);
	mime_bodystructure(mm, false, &v);
	part(&d->cache, &v);
	str_clear(&v);
	mime_bodystructure(mm, true, &v);
	part(&d->cache, &v);
	for (i = 0; i < NFIELDS; i++) {
		str_copys(&v, "+");
		if (mime_header(mm, fields[i], &v) != 1)
			str_copys(&v, "-");
		part(&d->cache, &v);
	}
	str_free(&v);
}

/* locate - part n of the entry: 0 and its bounds, or -1 (malformed:
 * taken as no entry). */
static int
locate(const struct str *c, size_t n, const char **p, size_t *len)
{
	size_t at = strlen(CACHE_MAGIC), i;

	if (c->len < at || memcmp(c->s, CACHE_MAGIC, at) != 0)
		return -1;
	for (i = 0; i <= n; i++) {
		char *e;
		unsigned long long l;

		if (at >= c->len || c->s[at] < '0' || c->s[at] > '9')
			return -1;
		l = strtoull(c->s + at, &e, 10);
		if (*e != ':' || l > c->len - (size_t)(e + 1 - c->s))
			return -1;
		*p = e + 1;
		*len = (size_t)l;
		at = (size_t)(e + 1 - c->s) + (size_t)l;
	}
	return 0;
}

/* load - the cache entry, from the store or made now. */
static void
load(struct imapd_msgdata *d)
{
	struct str err = STR_INIT;
	const char *p;
	size_t n;

	if (d->have_cache)
		return;
	d->have_cache = true;
	if (store_cache_get(d->st->store, d->m->file, &d->cache, &err) ==
	    STORE_OK && locate(&d->cache, NPARTS - 1, &p, &n) == 0) {
		str_free(&err);
		return;
	}
	str_free(&err);
	if (imapd_msgdata_mime(d) == NULL) {
		str_clear(&d->cache);	/* unreadable: NIL, not cached */
		return;
	}
	build(d, d->mime);
	d->cache_new = true;
}

void
imapd_msgdata_cached(struct imapd_msgdata *d, int nth, struct str *out)
{
	const char *p;
	size_t n;

	load(d);
	if (locate(&d->cache, (size_t)nth, &p, &n) < 0)
		str_cats(out, "NIL");
	else
		str_catb(out, p, n);
}

int
imapd_msgdata_header(struct imapd_msgdata *d, const char *name,
    struct str *out)
{
	const char *p;
	size_t i, n;

	for (i = 0; i < NFIELDS; i++)
		if (strcasecmp(name, fields[i]) == 0)
			break;
	if (i == NFIELDS)
		return -1;
	load(d);
	if (locate(&d->cache, IMAPD_CACHE_FIELDS + i, &p, &n) < 0)
		return -1;
	if (n == 0 || *p == '-')
		return 0;
	str_catb(out, p + 1, n - 1);
	return 1;
}

void
imapd_msgdata_done(struct imapd_msgdata *d, struct str *batch)
{
	if (d->cache_new && batch != NULL) {
		str_catb(batch, d->m->file, STORE_FILE_LEN);
		str_catf(batch, "%zu:", d->cache.len);
		str_cat(batch, &d->cache);
	}
	mime_free(&d->mime);
	if (d->map != NULL)
		munmap(d->map, d->size);
	if (d->fd >= 0)
		close(d->fd);
	str_free(&d->cache);
	memset(d, 0, sizeof *d);
	d->fd = -1;
}

void
imapd_cache_write(struct imapd *st, const struct str *batch)
{
	struct str err = STR_INIT;
	size_t p = 0;
	int rc;

	if (batch->len == 0)
		return;
	if ((rc = store_txn_begin(st->store, true, &err)) != STORE_OK)
		goto out;
	while (rc == STORE_OK && p + STORE_FILE_LEN < batch->len) {
		char file[STORE_FILE_LEN + 1], *e;
		size_t n;

		memcpy(file, batch->s + p, STORE_FILE_LEN);
		file[STORE_FILE_LEN] = '\0';
		p += STORE_FILE_LEN;
		n = strtoul(batch->s + p, &e, 10);
		p = (size_t)(e + 1 - batch->s);
		rc = store_cache_put(st->store, file, batch->s + p, n, &err);
		p += n;
	}
	rc = store_txn_end(st->store, rc, &err);
out:
	if (rc != STORE_OK)
		log_warn("user=%s cache: %s", st->user.s, err.s);
	str_free(&err);
}
