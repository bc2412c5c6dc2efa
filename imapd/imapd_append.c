/*
 * imapd_append - APPEND (RFC 3501 6.3.11, RFC 9051 6.3.12) with
 * MULTIAPPEND (RFC 3502), literal8 (RFC 3516 BINARY), the UTF8 data
 * item (RFC 6855 4) and APPENDUID (RFC 4315 UIDPLUS).
 *
 * The whole command is checked before anything is written: a BAD or NO
 * leaves the store as it was.  Each message is spooled (and fsynced)
 * first; then one write transaction delivers them all, so MULTIAPPEND
 * is all or nothing as RFC 3502 wants.  New messages in the selected
 * mailbox are reported by the session loop after the command.
 *
 * A message is never held whole in memory: past IMAP_SINK_MIN, the
 * command reader hands literals to our sink, which writes them into
 * spool files (store_dir/tmp, as lmtpd's) as they arrive; delivery
 * links those into the user's store.  The session drops what a command
 * left over, so no spool file outlives its command or the session.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "cfg.h"
#include "imapd.h"
#include "log.h"
#include "mime.h"

struct amsg {
	unsigned flags;		/* STORE_F_* */
	struct str kw;		/* keywords, space-separated */
	time_t date;		/* 0: now */
	const struct imap_arg *data;
	struct store_spool *sp;
	uint32_t uid;
};

static int
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* parse_date - RFC 3501 date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (the
 * day may be " d"): 0 and *t, or -1. */
static int
parse_date(const char *s, size_t n, time_t *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int day, mon, year, hh, mm, ss, zh, zm, off;
	struct tm tm;
	time_t v;

	if (n != 26 || s[2] != '-' || s[6] != '-' || s[11] != ' ' ||
	    s[14] != ':' || s[17] != ':' || s[20] != ' ' ||
	    (s[21] != '+' && s[21] != '-'))
		return -1;
	if (s[0] == ' ' ? digits(s + 1, 1, &day) : digits(s, 2, &day))
		return -1;
	if ((mon = mime_month(s + 3)) < 0 || digits(s + 7, 4, &year) || digits(s + 12, 2, &hh) ||
	    digits(s + 15, 2, &mm) || digits(s + 18, 2, &ss) ||
	    digits(s + 22, 2, &zh) || digits(s + 24, 2, &zm))
		return -1;
	if (day < 1 || day > mdays[mon] || hh > 23 || mm > 59 || ss > 60 ||
	    zm > 59 || year < 1970)
		return -1;
	if (mon == 1 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	v = timegm(&tm);
	off = (zh * 60 + zm) * 60;
	v = s[21] == '+' ? v - off : v + off;
	/* 0 asks the store for "now": the epoch itself becomes 1 s. */
	*t = v > 0 ? v : 1;
	return 0;
}

static bool
keyword_ok(const struct imap_arg *a)
{
	size_t i;

	if (a->type != IMAP_ARG_ATOM || a->len == 0)
		return false;
	for (i = 0; i < a->len; i++) {
		unsigned char ch = (unsigned char)a->s[i];

		if (ch <= 0x20 || ch >= 0x7f || strchr("(){%*\"\\]", ch))
			return false;
	}
	return true;
}

/* parse_flags - "(\Seen kw ...)": 0, or -1 (BAD).  \Recent cannot be
 * set by a client (RFC 3501 2.3.2). */
static int
parse_flags(const struct imap_arg *l, struct amsg *m)
{
	static const struct {
		const char *name;
		unsigned bit;
	} sys[] = {
		{ "\\Seen", STORE_F_SEEN },
		{ "\\Answered", STORE_F_ANSWERED },
		{ "\\Flagged", STORE_F_FLAGGED },
		{ "\\Deleted", STORE_F_DELETED },
		{ "\\Draft", STORE_F_DRAFT },
	};
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		const struct imap_arg *f = &l->list[i];

		if (f->type == IMAP_ARG_ATOM && f->s[0] == '\\') {
			for (k = 0; k < sizeof(sys) / sizeof(sys[0]); k++)
				if (imap_arg_is(f, sys[k].name))
					break;
			if (k == sizeof(sys) / sizeof(sys[0]))
				return -1;
			m->flags |= sys[k].bit;
		} else if (keyword_ok(f)) {
			if (m->kw.len > 0)
				str_catc(&m->kw, ' ');
			str_catb(&m->kw, f->s, f->len);
		} else
			return -1;
	}
	if (m->kw.len > STORE_KEYWORDS_MAX)
		return -1;
	return 0;
}

/* parse - the messages after the mailbox name: their count, or -1
 * after answering BAD. */
static ssize_t
parse(struct imapd *st, const struct imap_cmd *c, struct amsg **out)
{
	struct amsg *m = NULL;
	size_t n = 0, i = 1;
	const char *why = NULL;

	while (i < c->nargs && why == NULL) {
		const struct imap_arg *a = &c->args[i];
		struct amsg *cur;

		m = xreallocarray(m, n + 1, sizeof(*m));
		cur = &m[n++];
		memset(cur, 0, sizeof(*cur));
		if (a->type == IMAP_ARG_LIST) {
			if (parse_flags(a, cur) < 0) {
				why = "Invalid flag list";
				break;
			}
			a = ++i < c->nargs ? &c->args[i] : NULL;
		}
		if (a != NULL && a->type == IMAP_ARG_STRING && !a->literal) {
			if (parse_date(a->s, a->len, &cur->date) < 0) {
				why = "Invalid date-time";
				break;
			}
			a = ++i < c->nargs ? &c->args[i] : NULL;
		}
		/* RFC 6855 4: UTF8 (~{n}...) once UTF8=ACCEPT is on */
		if (a != NULL && st->utf8 && imap_arg_is(a, "UTF8") &&
		    i + 1 < c->nargs && c->args[i + 1].type == IMAP_ARG_LIST &&
		    c->args[i + 1].n == 1 && c->args[i + 1].list[0].literal8) {
			a = &c->args[++i].list[0];
		}
		if (a == NULL || a->type != IMAP_ARG_STRING || !a->literal) {
			why = "APPEND needs the message as a literal";
			break;
		}
		/* RFC 3516 4.4: NUL is allowed in literal8 only */
		if (!a->literal8 && memchr(a->s, '\0', a->len) != NULL) {
			why = "NUL in a literal; use literal8";
			break;
		}
		cur->data = a;
		i++;
	}
	if (why == NULL && n == 0)
		why = "APPEND needs a mailbox and a message";
	if (why != NULL) {
		for (i = 0; i < n; i++)
			str_free(&m[i].kw);
		free(m);
		imapd_bad(st, c, "%s", why);
		return -1;
	}
	*out = m;
	return (ssize_t)n;
}

static bool
map_full(int rc, const struct str *err)
{
	return rc == STORE_ERR && err->s != NULL &&
	    strstr(err->s, "MDB_MAP_FULL") != NULL;
}

/* deliver_all - every message into the mailbox in one transaction; the
 * mailbox as it is afterwards into mb (for its UIDVALIDITY). */
static int
deliver_all(struct imapd *st, const char *name, struct amsg *m, size_t n,
    struct store_mailbox *mb, struct str *err)
{
	int attempt, rc = STORE_ERR;
	size_t i;

	/* A full map fails an explicit transaction; the next begin grows
	 * it (store.h), so one retry is worth it. */
	for (attempt = 0; attempt < 2; attempt++) {
		if ((rc = store_txn_begin(st->store, true, err)) != STORE_OK)
			return rc;
		for (i = 0; i < n && rc == STORE_OK; i++)
			rc = store_deliver(st->store, m[i].sp, name,
			    m[i].flags | STORE_F_RECENT, m[i].kw.s,
			    m[i].date, &m[i].uid, err);
		if (rc == STORE_OK) {
			store_mailbox_free(mb);
			rc = store_mailbox_get(st->store, name, mb, err);
		}
		rc = store_txn_end(st->store, rc, err);
		if (!map_full(rc, err))
			break;
	}
	return rc;
}

void
imapd_cmd_append(struct imapd *st, const struct imap_cmd *c)
{
	struct amsg *m = NULL;
	struct store_mailbox mb;
	struct str name = STR_INIT, err = STR_INIT, set = STR_INIT;
	uint32_t *uids = NULL;
	unsigned long long limit = (unsigned long long)
	    var_message_size_limit;
	ssize_t sn;
	size_t n = 0, i;
	int rc;

	memset(&mb, 0, sizeof(mb));
	if (c->nargs < 2) {
		imapd_bad(st, c, "APPEND needs a mailbox and a message");
		return;
	}
	if ((sn = parse(st, c, &m)) < 0)
		return;
	n = (size_t)sn;
	if (c->args[0].len == 0 ||
	    imapd_name_in(st, &c->args[0], &name) < 0 ||
	    !store_name_valid(name.s)) {
		imapd_no(st, c, "[CANNOT] Invalid mailbox name");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (m[i].data->len == 0 && m[i].data->sunk < 0) {
			imapd_no(st, c, "Empty message refused");
			goto out;
		}
		if (m[i].data->len > limit) {
			imapd_no(st, c, "[TOOBIG] Message over %llu octets",
			    limit);
			goto out;
		}
	}
	/* RFC 3501 6.3.11: a missing mailbox gets TRYCREATE, and nothing
	 * is spooled for it. */
	rc = store_mailbox_get(st->store, name.s, &mb, &err);
	if (rc == STORE_NOMBOX) {
		imapd_no(st, c, "[TRYCREATE] No such mailbox");
		goto out;
	}
	if (rc != STORE_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		const struct imap_arg *d = m[i].data;

		if (d->sunk >= 0) {	/* spooled while read, and finished */
			m[i].sp = st->spools[d->sunk];
			st->spools[d->sunk] = NULL;
		} else if ((rc = store_spool_begin(&m[i].sp, st->store_dir,
		    &err)) != STORE_OK ||
		    (rc = store_spool_write(m[i].sp, d->s, d->len, &err)) !=
		    STORE_OK ||
		    (rc = store_spool_finish(m[i].sp, &err)) != STORE_OK)
			goto fail;
		/* line ends became CRLF: the stored size is what counts */
		if (store_spool_size(m[i].sp) > limit) {
			imapd_no(st, c, "[TOOBIG] Message over %llu octets",
			    limit);
			goto out;
		}
	}
	rc = deliver_all(st, name.s, m, n, &mb, &err);
	if (rc == STORE_NOMBOX) {
		imapd_no(st, c, "[TRYCREATE] No such mailbox");
		goto out;
	}
	if (rc != STORE_OK)
		goto fail;
	uids = xreallocarray(NULL, n, sizeof(*uids));
	for (i = 0; i < n; i++)
		uids[i] = m[i].uid;
	imap_seqset_format(uids, n, &set);
	imapd_ok(st, c, "[APPENDUID %lu %s] APPEND completed",
	    (unsigned long)mb.uidvalidity, set.s);
	goto out;
fail:
	imapd_store_error(st, c, rc, "APPEND", &err);
out:
	for (i = 0; i < n; i++) {
		store_spool_end(&m[i].sp);
		str_free(&m[i].kw);
	}
	free(m);
	free(uids);
	store_mailbox_free(&mb);
	str_free(&name);
	str_free(&err);
	str_free(&set);
}

/* ---- the sink ---- */

/* spool_failed - log a spool failure; the answer for "tag NO". */
static const char *
spool_failed(struct imapd *st, int rc, struct str *err)
{
	log_error("user=%s APPEND: %s", st->user.s,
	    err->len > 0 ? err->s : "spool failed");
	str_free(err);
	return rc == STORE_NOSPACE ? "[UNAVAILABLE] APPEND: the server is "
	    "out of disk space; try again later" :
	    "[SERVERBUG] APPEND: internal error";
}

static const char *
sink_open(void *arg, int *no)
{
	struct imapd *st = arg;
	struct str err = STR_INIT;
	int rc;

	if (st->nspools == st->capspools) {
		st->capspools = st->capspools ? size_mul(st->capspools, 2) : 4;
		st->spools = xreallocarray(st->spools, st->capspools,
		    sizeof(*st->spools));
	}
	rc = store_spool_begin(&st->spools[st->nspools], st->store_dir, &err);
	if (rc != STORE_OK)
		return spool_failed(st, rc, &err);
	*no = (int)st->nspools++;
	return NULL;
}

static const char *
sink_write(void *arg, int no, const void *p, size_t n)
{
	struct imapd *st = arg;
	struct str err = STR_INIT;
	int rc;

	rc = store_spool_write(st->spools[no], p, n, &err);
	return rc == STORE_OK ? NULL : spool_failed(st, rc, &err);
}

/* sink_close - fsync, so that delivery only links. */
static const char *
sink_close(void *arg, int no)
{
	struct imapd *st = arg;
	struct str err = STR_INIT;
	int rc;

	rc = store_spool_finish(st->spools[no], &err);
	return rc == STORE_OK ? NULL : spool_failed(st, rc, &err);
}

void
imapd_append_sink(struct imapd *st)
{
	st->sink.min = IMAP_SINK_MIN;
	st->sink.arg = st;
	st->sink.open = sink_open;
	st->sink.write = sink_write;
	st->sink.close = sink_close;
	st->cmd.sink = &st->sink;
}

void
imapd_append_drop(struct imapd *st)
{
	size_t i;

	for (i = 0; i < st->nspools; i++)
		store_spool_end(&st->spools[i]);
	st->nspools = 0;
}
