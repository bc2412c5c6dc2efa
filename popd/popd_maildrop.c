/*
 * popd_maildrop - the INBOX snapshot a POP3 session works on, the
 * TRANSACTION commands that only read or mark it (STAT, LIST, UIDL,
 * DELE, RSET), and the UPDATE state that applies the marks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "cfg.h"
#include "log.h"
#include "popd.h"

struct collect {
	struct popd_msg *v;
	size_t n, cap;
};

static int
collect_msg(const struct store_msg *m, void *arg)
{
	struct collect *c = arg;
	struct popd_msg *pm;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xreallocarray(c->v, c->cap, sizeof *c->v);
	}
	pm = &c->v[c->n++];
	memset(pm, 0, sizeof *pm);
	pm->uid = m->uid;
	pm->file_size = pm->size = m->size;
	pm->internaldate = m->internaldate;
	pm->flags = m->flags;
	pm->tail = m->tail;
	memcpy(pm->file, m->file, sizeof pm->file);
	return 0;
}

/* wire_size - RETR ends a message that does not end in CRLF with one,
 * so such a message is two octets longer on the wire than on disk.  The
 * store's record says how the file ends (STORE_TAIL_*); only for one it
 * could not tell is the file read.  A file that is gone (purged since
 * the snapshot) keeps its recorded size; RETR will say it is gone. */
int
popd_open(struct popd *p, const struct popd_msg *pm, struct str *err)
{
	struct store_msg m;

	memset(&m, 0, sizeof m);
	m.uid = pm->uid;
	m.size = pm->file_size;
	memcpy(m.file, pm->file, sizeof m.file);
	return store_msg_open(p->store, &m, err);
}

static void
wire_size(struct popd *p, struct popd_msg *pm)
{
	struct str err = STR_INIT;
	char tail[2];
	int fd;

	if (pm->file_size == 0)
		return;
	if (pm->tail != STORE_TAIL_UNKNOWN) {
		if (pm->tail == STORE_TAIL_OTHER)
			pm->size += 2;
		return;
	}
	fd = popd_open(p, pm, &err);
	if (fd < 0) {
		log_warn("uid=%" PRIu32 ": %s", pm->uid, str_cstr(&err));
		str_free(&err);
		return;
	}
	if (pm->file_size < 2 ||
	    pread(fd, tail, 2, (off_t)pm->file_size - 2) != 2 ||
	    tail[0] != '\r' || tail[1] != '\n')
		pm->size += 2;
	close(fd);
	str_free(&err);
}

int
popd_maildrop_load(struct popd *p, struct str *err)
{
	struct store_mailbox mb;
	struct collect c = { NULL, 0, 0 };
	size_t i;
	int rc;

	memset(&mb, 0, sizeof mb);
	if (store_txn_begin(p->store, false, err) != STORE_OK)
		return -1;
	rc = store_mailbox_get(p->store, "INBOX", &mb, err);
	if (rc == STORE_OK)
		rc = store_msg_list(p->store, mb.id, 1, collect_msg, &c, err);
	store_txn_abort(p->store);
	if (rc != STORE_OK) {
		store_mailbox_free(&mb);
		free(c.v);
		return -1;
	}
	p->inbox_id = mb.id;
	p->uidvalidity = mb.uidvalidity;
	store_mailbox_free(&mb);
	p->msgs = c.v;
	p->nmsgs = c.n;
	p->total_size = 0;
	for (i = 0; i < c.n; i++) {
		wire_size(p, &c.v[i]);
		p->total_size += c.v[i].size;
	}
	return 0;
}

void
popd_maildrop_free(struct popd *p)
{
	free(p->msgs);
	p->msgs = NULL;
	p->nmsgs = 0;
}

/* msgno - a message number: digits only, no sign, no blanks around. */
static bool
msgno(const char *arg, size_t *n)
{
	unsigned long long v;
	char *end;

	if (*arg < '0' || *arg > '9')
		return false;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > SIZE_MAX)
		return false;
	*n = (size_t)v;
	return true;
}

struct popd_msg *
popd_msg(struct popd *p, const char *arg)
{
	size_t n;

	if (!msgno(arg, &n)) {
		popd_err(p, "Invalid message number");
		return NULL;
	}
	if (n > p->nmsgs) {
		popd_err(p, "No such message; there are %zu", p->nmsgs);
		return NULL;
	}
	if (p->msgs[n - 1].deleted) {
		popd_err(p, "Message %zu is already deleted", n);
		return NULL;
	}
	return &p->msgs[n - 1];
}

void
popd_uidl(const struct popd *p, const struct popd_msg *m, struct str *out)
{
	str_catf(out, "%08" PRIx32 "%08" PRIx32, p->uidvalidity, m->uid);
}

void
popd_cmd_stat(struct popd *p, const char *args)
{
	if (*args != '\0') {
		popd_err(p, "STAT takes no argument");
		return;
	}
	popd_ok(p, "%zu %" PRIu64, p->nmsgs - p->ndeleted,
	    p->total_size - p->deleted_size);
}

/* listing - LIST and UIDL: one message, or every one not deleted. */
static void
listing(struct popd *p, const char *args, bool uidl)
{
	struct str s = STR_INIT;
	struct popd_msg *m;
	size_t i;

	if (*args != '\0') {
		if ((m = popd_msg(p, args)) == NULL)
			return;
		if (uidl)
			popd_uidl(p, m, &s);
		else
			str_catf(&s, "%" PRIu64, m->size);
		popd_ok(p, "%zu %s", (size_t)(m - p->msgs) + 1, s.s);
		str_free(&s);
		return;
	}
	if (uidl)
		popd_ok(p, "Unique-ID listing follows");
	else
		popd_ok(p, "%zu messages (%" PRIu64 " octets)",
		    p->nmsgs - p->ndeleted, p->total_size - p->deleted_size);
	for (i = 0; i < p->nmsgs; i++) {
		m = &p->msgs[i];
		if (m->deleted)
			continue;
		str_clear(&s);
		if (uidl)
			popd_uidl(p, m, &s);
		else
			str_catf(&s, "%" PRIu64, m->size);
		buf_printf(&p->ss.b, "%zu %s\r\n", i + 1, s.s);
	}
	buf_puts(&p->ss.b, ".\r\n");
	str_free(&s);
}

void
popd_cmd_list(struct popd *p, const char *args)
{
	listing(p, args, false);
}

void
popd_cmd_uidl(struct popd *p, const char *args)
{
	listing(p, args, true);
}

void
popd_cmd_dele(struct popd *p, const char *args)
{
	struct popd_msg *m;

	if ((m = popd_msg(p, args)) == NULL)
		return;
	m->deleted = true;
	p->ndeleted++;
	p->deleted_size += m->size;
	popd_ok(p, "Message %zu deleted", (size_t)(m - p->msgs) + 1);
}

void
popd_cmd_rset(struct popd *p, const char *args)
{
	size_t i;

	if (*args != '\0') {
		popd_err(p, "RSET takes no argument");
		return;
	}
	for (i = 0; i < p->nmsgs; i++)
		p->msgs[i].deleted = false;
	p->ndeleted = 0;
	p->deleted_size = 0;
	popd_ok(p, "%zu messages (%" PRIu64 " octets)", p->nmsgs,
	    p->total_size);
}

/* expired - popd_expire days (RFC 2449 EXPIRE): a message seen before
 * or retrieved now that arrived more than that long ago goes at QUIT;
 * with 0, every retrieved message goes. */
static bool
expired(const struct popd_msg *m, time_t now)
{
	const char *e = var_popd_expire;
	long days;

	if (*e == '\0' || strcmp(e, "never") == 0)
		return false;
	days = strtol(e, NULL, 10);
	if (days == 0)
		return m->retrieved;
	return (m->retrieved || (m->flags & STORE_F_SEEN)) &&
	    now - m->internaldate > (time_t)days * 86400;
}

/* mark_seen - \Seen on a retrieved message, keeping whatever flags other
 * sessions set meanwhile; a message already gone is left alone. */
static int
mark_seen(struct popd *p, const struct popd_msg *pm, struct str *err)
{
	struct store_msg m;
	int rc;

	rc = store_msg_get(p->store, p->inbox_id, pm->uid, &m, err);
	if (rc == STORE_NOMSG || rc == STORE_NOMBOX)
		return STORE_OK;
	if (rc != STORE_OK)
		return rc;
	if ((m.flags & STORE_F_SEEN) == 0)
		rc = store_msg_set_flags(p->store, p->inbox_id, pm->uid,
		    m.flags | STORE_F_SEEN, str_cstr(&m.keywords), 0, &m,
		    err);
	store_msg_free(&m);
	return rc;
}

int
popd_update(struct popd *p, size_t *expunged, struct str *err)
{
	struct store_mailbox mb;
	time_t now = time(NULL);
	size_t i, n = 0;
	int rc = STORE_OK;
	bool any = false;

	for (i = 0; i < p->nmsgs && !any; i++)
		any = p->msgs[i].deleted || p->msgs[i].retrieved ||
		    expired(&p->msgs[i], now);
	*expunged = 0;
	if (!any)
		return 0;
	if (store_txn_begin(p->store, true, err) != STORE_OK)
		return -1;
	/* UIDs name the snapshot's messages only while INBOX is the one it
	 * was taken of (an index rebuilt meanwhile gives new ones). */
	memset(&mb, 0, sizeof mb);
	rc = store_mailbox_get(p->store, "INBOX", &mb, err);
	if (rc == STORE_OK && (mb.id != p->inbox_id ||
	    mb.uidvalidity != p->uidvalidity)) {
		str_copys(err, "INBOX changed its UIDVALIDITY during the "
		    "session");
		rc = STORE_ERR;
	}
	store_mailbox_free(&mb);
	for (i = 0; i < p->nmsgs && rc == STORE_OK; i++) {
		const struct popd_msg *m = &p->msgs[i];

		if (m->deleted || expired(m, now)) {
			rc = store_msg_expunge(p->store, p->inbox_id, m->uid,
			    err);
			/* expunged or moved by another session already */
			if (rc == STORE_NOMSG || rc == STORE_NOMBOX)
				rc = STORE_OK;
			else if (rc == STORE_OK)
				n++;
		} else if (m->retrieved) {
			rc = mark_seen(p, m, err);
		}
	}
	if (store_txn_end(p->store, rc, err) != STORE_OK)
		return -1;
	*expunged = n;
	return 0;
}
