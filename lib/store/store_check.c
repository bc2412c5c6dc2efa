/*
 * store_check - verify one user's store against its invariants: every
 * record's file exists with its size, mailbox counters, quota usage and
 * file references agree with the records.  See store.h.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "map.h"
#include "store.h"
#include "store_int.h"
#include "str.h"

struct check {
	struct str *report;
	size_t problems;
	char (*files)[STORE_FILE_LEN + 1];	/* every reference */
	size_t nfiles, capfiles;
};

static void __attribute__((format(printf, 2, 3)))
problem(struct check *c, const char *fmt, ...)
{
	va_list ap;

	c->problems++;
	if (c->report == NULL)
		return;
	va_start(ap, fmt);
	str_vcatf(c->report, fmt, ap);
	va_end(ap);
	str_catc(c->report, '\n');
}

static void
ref(struct check *c, const char *file)
{
	if (c->nfiles == c->capfiles) {
		c->capfiles = c->capfiles ? c->capfiles * 2 : 256;
		c->files = xreallocarray(c->files, c->capfiles,
		    sizeof(*c->files));
	}
	memcpy(c->files[c->nfiles++], file, STORE_FILE_LEN + 1);
}

static void
file_ok(struct store *s, struct check *c, const struct store_msg *m,
    const char *what)
{
	struct stat st;

	if (!store_file_name_valid(m->file)) {
		problem(c, "%s: invalid file name", what);
		return;
	}
	if (fstatat(s->msgdir_fd, m->file, &st, AT_SYMLINK_NOFOLLOW) < 0)
		problem(c, "%s: file %s missing", what, m->file);
	else if ((uint64_t)st.st_size != m->size)
		problem(c, "%s: file %s has %lld octets, record says %llu",
		    what, m->file, (long long)st.st_size,
		    (unsigned long long)m->size);
	ref(c, m->file);
}

static int
cmp_file(const void *a, const void *b)
{
	return memcmp(a, b, STORE_FILE_LEN);
}

static int
check_txn(struct store *s, MDB_txn *txn, void *arg, struct str *err)
{
	struct check *c = arg;
	struct store_mailbox mb;
	struct store_msg m;
	struct store_expunged e;
	struct store_quota q;
	MDB_cursor *cur = NULL, *mc = NULL;
	MDB_val k, v, mk, mv;
	uint64_t used = 0, count = 0;
	char what[128];
	size_t i, j;
	int rc, kind;

	memset(&mb, 0, sizeof(mb));
	memset(&m, 0, sizeof(m));
	memset(&e, 0, sizeof(e));
	if (mdb_cursor_open(txn, store_dbi(s, DB_MBOX), &cur) != 0 ||
	    mdb_cursor_open(txn, store_dbi(s, DB_MSG), &mc) != 0) {
		str_copys(err, "check: mdb_cursor_open failed");
		rc = STORE_ERR;
		goto out;
	}
	/* mailboxes and their messages */
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct str sv = { v.mv_data, v.mv_size, 0 };
		uint32_t id, n = 0, unseen = 0, recent = 0, maxuid = 0;
		uint64_t size = 0, maxmod = 0;
		unsigned char key[8];
		uint32_t nid;

		if (k.mv_size != 4) {
			problem(c, "mbox: bad key");
			continue;
		}
		id = store_get_be32(k.mv_data);
		if (store_mbox_decode(&sv, id, &mb) < 0) {
			problem(c, "mailbox %u: bad record", id);
			continue;
		}
		{
			struct store_mailbox byname;
			struct str e2 = STR_INIT;

			memset(&byname, 0, sizeof(byname));
			nid = store_mbox_by_name(s, txn, mb.name.s, &byname,
			    &e2) == STORE_OK ? byname.id : 0;
			store_mailbox_free(&byname);
			str_free(&e2);
		}
		if (nid != id)
			problem(c, "mailbox %u (%s): name index disagrees", id,
			    mb.name.s);
		store_msgkey(key, id, 0);
		mk.mv_data = key;
		mk.mv_size = 8;
		for (rc = mdb_cursor_get(mc, &mk, &mv, MDB_SET_RANGE); rc == 0;
		    rc = mdb_cursor_get(mc, &mk, &mv, MDB_NEXT)) {
			if (mk.mv_size != 8 || store_get_be32(mk.mv_data) != id)
				break;
			if (store_msg_decode(mv.mv_data, mv.mv_size, &m) < 0) {
				problem(c, "mailbox %s: bad message record",
				    mb.name.s);
				continue;
			}
			m.uid = store_get_be32((unsigned char *)mk.mv_data + 4);
			snprintf(what, sizeof(what), "%.80s UID %u",
			    mb.name.s, m.uid);
			file_ok(s, c, &m, what);
			n++;
			size += m.size;
			if (!(m.flags & STORE_F_SEEN))
				unseen++;
			if (m.flags & STORE_F_RECENT)
				recent++;
			if (m.uid > maxuid)
				maxuid = m.uid;
			if (m.modseq > maxmod)
				maxmod = m.modseq;
		}
		if (n != mb.messages || size != mb.size ||
		    unseen != mb.unseen || recent != mb.recent)
			problem(c, "mailbox %s: counts %u/%llu/%u/%u, records "
			    "%u/%llu/%u/%u", mb.name.s, mb.messages,
			    (unsigned long long)mb.size, mb.unseen, mb.recent,
			    n, (unsigned long long)size, unseen, recent);
		if (maxuid >= mb.uidnext)
			problem(c, "mailbox %s: UID %u not below UIDNEXT %u",
			    mb.name.s, maxuid, mb.uidnext);
		if (maxmod > mb.highestmodseq)
			problem(c, "mailbox %s: modseq %llu above "
			    "HIGHESTMODSEQ %llu", mb.name.s,
			    (unsigned long long)maxmod,
			    (unsigned long long)mb.highestmodseq);
		used += size;
		count += n;
	}
	/* messages of no mailbox */
	for (rc = mdb_cursor_get(mc, &mk, &mv, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(mc, &mk, &mv, MDB_NEXT)) {
		MDB_val ik, iv;
		unsigned char idk[4];

		memcpy(idk, mk.mv_data, 4);
		ik.mv_data = idk;
		ik.mv_size = 4;
		if (mdb_get(txn, store_dbi(s, DB_MBOX), &ik, &iv) != 0)
			problem(c, "message of missing mailbox %u",
			    store_get_be32(idk));
	}
	if ((rc = store_quota_load(s, txn, &q, err)) != STORE_OK)
		goto out;
	if (q.used != used || q.messages != count)
		problem(c, "quota: %llu octets/%llu messages recorded, "
		    "records sum to %llu/%llu", (unsigned long long)q.used,
		    (unsigned long long)q.messages, (unsigned long long)used,
		    (unsigned long long)count);
	/* the expunge log holds references too */
	mdb_cursor_close(cur);
	cur = NULL;
	if (mdb_cursor_open(txn, store_dbi(s, DB_EXP), &cur) != 0) {
		str_copys(err, "check: mdb_cursor_open failed");
		rc = STORE_ERR;
		goto out;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		str_free(&e.msg.keywords);
		store_expunged_decode(v.mv_data, v.mv_size, &e, &kind);
		if (kind < 0)
			problem(c, "expunge log: bad record");
		if (kind != EXP_KIND_EXPUNGED)
			continue;
		snprintf(what, sizeof(what), "expunged (mailbox %u UID %u)",
		    e.mailbox_id, e.uid);
		file_ok(s, c, &e.msg, what);
	}
	/* references against the files database */
	if (c->nfiles > 0)
		qsort(c->files, c->nfiles, sizeof(*c->files), cmp_file);
	for (i = 0; i < c->nfiles; i = j) {
		MDB_val fk = { STORE_FILE_LEN, c->files[i] }, fv;
		uint32_t want;

		for (j = i; j < c->nfiles && memcmp(c->files[j], c->files[i],
		    STORE_FILE_LEN) == 0; j++)
			;
		want = (uint32_t)(j - i);
		if (mdb_get(txn, store_dbi(s, DB_FILES), &fk, &fv) != 0 ||
		    fv.mv_size != 4)
			problem(c, "file %s: %u references, none recorded",
			    c->files[i], want);
		else if (store_get_le32(fv.mv_data) != want)
			problem(c, "file %s: %u references, %u recorded",
			    c->files[i], want, store_get_le32(fv.mv_data));
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (mdb_cursor_open(txn, store_dbi(s, DB_FILES), &cur) == 0) {
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			char f[STORE_FILE_LEN + 1];

			if (k.mv_size != STORE_FILE_LEN)
				continue;
			memcpy(f, k.mv_data, STORE_FILE_LEN);
			f[STORE_FILE_LEN] = '\0';
			if (c->nfiles == 0 || bsearch(f, c->files,
			    c->nfiles, sizeof(*c->files), cmp_file) == NULL)
				problem(c, "file %s: recorded, not referenced",
				    f);
		}
	}
	rc = STORE_OK;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (mc != NULL)
		mdb_cursor_close(mc);
	store_mailbox_free(&mb);
	str_free(&m.keywords);
	str_free(&e.msg.keywords);
	return rc;
}

int
store_check(struct store *s, size_t *problems, struct str *report,
    struct str *err)
{
	struct check c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.report = report;
	rc = store_read(s, check_txn, &c, err);
	free(c.files);
	if (problems != NULL)
		*problems = c.problems;
	return rc;
}
