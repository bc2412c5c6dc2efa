/*
 * store_spool - writing a message once into store_dir/tmp (CRLF line
 * ends) and delivering it into users' stores by hard link.  See store.h
 * and roost-store(5).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "qid.h"
#include "store.h"
#include "store_int.h"
#include "str.h"

#define SPOOL_BUF 65536

struct store_spool {
	int fd;			/* -1 once finished */
	struct str path;	/* store_dir/tmp/<file> */
	char file[STORE_FILE_LEN + 1];
	unsigned char *buf;	/* SPOOL_BUF; NULL once finished */
	size_t nbuf;
	uint64_t size;
	bool last_cr;		/* the last byte written was CR */
	bool last_lf;		/* ... was LF (so the file ends in CRLF) */
	bool finished;
	bool failed;
	int failed_rc;		/* what the failure returned */
};

/* io_rc - the store_rc of a failed write: a full disk (ENOSPC, or a
 * disk quota: EDQUOT) is STORE_NOSPACE, so that the caller can say so
 * (452 4.3.1). */
static int
io_rc(void)
{
	return errno == ENOSPC || errno == EDQUOT ? STORE_NOSPACE : STORE_ERR;
}

/* ---- file names ---- */

static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

void
store_file_name(char out[STORE_FILE_LEN + 1])
{
	static uint32_t counter;
	uint64_t tail;
	uint32_t r = 0;
	int i;

	/* qid: 16 characters of time and a per-process sequence; then 8
	 * characters (40 bits) of pid, a counter and randomness. */
	qid_new(out);
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)clock();
	tail = ((uint64_t)((uint32_t)getpid() & 0xfffff) << 20) ^
	    ((uint64_t)(++counter & 0xff) << 12) ^ (r & 0xfffff);
	for (i = STORE_FILE_LEN - 1; i >= QID_LEN; i--) {
		out[i] = alphabet[tail & 31];
		tail >>= 5;
	}
	out[STORE_FILE_LEN] = '\0';
}

/* ---- spool ---- */

int
store_spool_begin(struct store_spool **spp, const char *store_dir,
    struct str *err)
{
	struct store_spool *sp;
	struct str dir = STR_INIT;
	int tries, rc = STORE_ERR;

	*spp = NULL;
	sp = xcalloc(1, sizeof(*sp));
	sp->fd = -1;
	sp->buf = xmalloc(SPOOL_BUF);
	str_copyf(&dir, "%s/tmp", store_dir);
	if (mkdir(dir.s, 0700) < 0 && errno != EEXIST) {
		str_copyf(err, "mkdir %s: %s", dir.s, strerror(errno));
		goto fail;
	}
	for (tries = 0; tries < 5; tries++) {
		store_file_name(sp->file);
		str_copyf(&sp->path, "%s/%s", dir.s, sp->file);
		sp->fd = open(sp->path.s, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (sp->fd >= 0 || errno != EEXIST)
			break;
	}
	if (sp->fd < 0) {
		rc = io_rc();
		str_copyf(err, "create %s: %s", sp->path.s, strerror(errno));
		goto fail;
	}
	str_free(&dir);
	*spp = sp;
	return STORE_OK;
fail:
	str_free(&dir);
	str_free(&sp->path);
	free(sp->buf);
	free(sp);
	return rc;
}

static int
flush(struct store_spool *sp, struct str *err)
{
	size_t off = 0;
	ssize_t n;

	while (off < sp->nbuf) {
		n = write(sp->fd, sp->buf + off, sp->nbuf - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sp->failed_rc = io_rc();
			str_copyf(err, "write %s: %s", sp->path.s,
			    strerror(errno));
			sp->failed = true;
			return sp->failed_rc;
		}
		off += (size_t)n;
	}
	sp->nbuf = 0;
	return STORE_OK;
}

static int
put(struct store_spool *sp, unsigned char c, struct str *err)
{
	int rc;

	if (sp->nbuf == SPOOL_BUF && (rc = flush(sp, err)) != STORE_OK)
		return rc;
	sp->buf[sp->nbuf++] = c;
	sp->size++;
	return STORE_OK;
}

int
store_spool_write(struct store_spool *sp, const void *p, size_t n,
    struct str *err)
{
	const unsigned char *b = p, *end = b + n;
	int rc;

	if (sp->finished || sp->failed) {
		str_copys(err, "spool: write after finish or failure");
		return sp->failed ? sp->failed_rc : STORE_ERR;
	}
	while (b < end) {
		/* copy a run without LF in one go */
		const unsigned char *lf = memchr(b, '\n', (size_t)(end - b));
		const unsigned char *stop = lf != NULL ? lf : end;
		size_t run = (size_t)(stop - b);

		while (run > 0) {
			size_t room;

			if (sp->nbuf == SPOOL_BUF &&
			    (rc = flush(sp, err)) != STORE_OK)
				return rc;
			room = SPOOL_BUF - sp->nbuf;
			if (room > run)
				room = run;
			memcpy(sp->buf + sp->nbuf, b, room);
			sp->nbuf += room;
			sp->size += room;
			sp->last_cr = b[room - 1] == '\r';
			sp->last_lf = false;
			b += room;
			run -= room;
		}
		if (lf == NULL)
			break;
		/* LF: keep a CRLF, complete a bare LF */
		if (!sp->last_cr && (rc = put(sp, '\r', err)) != STORE_OK)
			return rc;
		if ((rc = put(sp, '\n', err)) != STORE_OK)
			return rc;
		sp->last_cr = false;
		sp->last_lf = true;
		b++;
	}
	return STORE_OK;
}

int
store_spool_finish(struct store_spool *sp, struct str *err)
{
	int rc;

	if (sp->failed) {
		str_copys(err, "spool: an earlier write failed");
		return sp->failed_rc;
	}
	if (sp->finished)
		return STORE_OK;
	if ((rc = flush(sp, err)) != STORE_OK)
		return rc;
	if (fsync(sp->fd) < 0) {
		sp->failed_rc = io_rc();
		str_copyf(err, "fsync %s: %s", sp->path.s, strerror(errno));
		sp->failed = true;
		return sp->failed_rc;
	}
	/* A finished spool is a name only: a MULTIAPPEND may hold many
	 * while it reads the rest of the command. */
	(void)close(sp->fd);
	sp->fd = -1;
	free(sp->buf);
	sp->buf = NULL;
	sp->finished = true;
	return STORE_OK;
}

uint64_t
store_spool_size(const struct store_spool *sp)
{
	return sp->size;
}

void
store_spool_end(struct store_spool **spp)
{
	struct store_spool *sp = *spp;

	if (sp == NULL)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	(void)unlink(sp->path.s);
	str_free(&sp->path);
	free(sp->buf);
	free(sp);
	*spp = NULL;
}

/* ---- delivery ---- */

struct deliver_arg {
	const char *mailbox;
	struct store_msg m;
	uint32_t *uid;
};

static int
deliver_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct deliver_arg *a = arg;
	struct store_mailbox mb;
	struct store_quota q;
	int rc;

	memset(&mb, 0, sizeof(mb));
	rc = store_mbox_by_name(s, txn, a->mailbox == NULL ? "INBOX" :
	    a->mailbox, &mb, err);
	if (rc != STORE_OK)
		goto out;
	if ((rc = store_quota_load(s, txn, &q, err)) != STORE_OK)
		goto out;
	if (q.limit != 0 && (q.used + a->m.size > q.limit ||
	    q.used + a->m.size < q.used)) {
		str_copyf(err, "over quota: %llu of %llu octets used, "
		    "message of %llu", (unsigned long long)q.used,
		    (unsigned long long)q.limit,
		    (unsigned long long)a->m.size);
		if (q.over_since == 0) {
			q.over_since = (int64_t)time(NULL);
			if (store_quota_put(s, txn, &q, err) == STORE_OK)
				s->keep = true;	/* commit over_since */
		}
		rc = STORE_QUOTA;
		goto out;
	}
	if (q.over_since != 0) {
		q.over_since = 0;
		if ((rc = store_quota_put(s, txn, &q, err)) != STORE_OK)
			goto out;
	}
	rc = store_msg_add(s, txn, &mb, &a->m, true, false, err);
	if (rc == STORE_OK && a->uid != NULL)
		*a->uid = a->m.uid;
out:
	store_mailbox_free(&mb);
	return rc;
}

int
store_deliver(struct store *s, struct store_spool *sp, const char *mailbox,
    unsigned flags, const char *keywords, time_t internaldate,
    uint32_t *uid, struct str *err)
{
	struct deliver_arg a;
	struct stat st_sp, st_u;
	bool linked = false;
	int rc;

	if (sp == NULL || !sp->finished || sp->failed) {
		str_copys(err, "store_deliver: the spool is not finished");
		return STORE_INVALID;
	}
	if (flags & ~0x3fu) {
		str_copys(err, "unknown flag bits");
		return STORE_INVALID;
	}
	memset(&a, 0, sizeof(a));
	a.mailbox = mailbox;
	a.uid = uid;
	a.m.flags = flags;
	a.m.internaldate = internaldate != 0 ? internaldate : time(NULL);
	a.m.size = sp->size;
	a.m.tail = sp->last_lf ? STORE_TAIL_CRLF : STORE_TAIL_OTHER;
	memcpy(a.m.file, sp->file, sizeof(a.m.file));
	if ((rc = store_keywords_norm(keywords, &a.m.keywords, err)) !=
	    STORE_OK)
		goto out;
	/* The file first, durably; the index entry after. */
	if (linkat(AT_FDCWD, sp->path.s, s->msgdir_fd, sp->file, 0) == 0)
		linked = true;
	else if (errno != EEXIST ||
	    fstatat(AT_FDCWD, sp->path.s, &st_sp, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fstatat(s->msgdir_fd, sp->file, &st_u, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st_sp.st_ino != st_u.st_ino || st_sp.st_dev != st_u.st_dev) {
		/* EEXIST with the same inode: delivered to this user
		 * before (two addresses of one user); share the link. */
		rc = errno == 0 ? STORE_ERR : io_rc();
		str_copyf(err, "link %s into %s/msg: %s", sp->path.s,
		    s->path.s, strerror(errno == 0 ? EEXIST : errno));
		goto out;
	}
	if (linked && (rc = store_fsync_dir(s->msgdir_fd, s->path.s, err)) !=
	    STORE_OK)
		goto fail;
	if (linked && s->txn != NULL) {
		/* inside the caller's transaction: its abort unlinks */
		str_catb(&s->linked, sp->file, STORE_FILE_LEN + 1);
		linked = false;
	}
	rc = store_write(s, deliver_txn, &a, err);
	if (rc == STORE_OK)
		goto out;
fail:
	/* Nothing references a file we linked: take it back (a leftover
	 * after a crash is harmless, see store_expire). */
	if (linked)
		(void)unlinkat(s->msgdir_fd, sp->file, 0);
out:
	str_free(&a.m.keywords);
	return rc;
}
