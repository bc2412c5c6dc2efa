/*
 * qmgr_entry - one delivery run over one entry in active/, in a worker
 * thread with plain blocking code.
 *
 * Order of work, each step durable before the next acts on it:
 *   0. submit the reports an earlier run recorded but never confirmed;
 *   1. resolve every pending recipient into its final targets;
 *   2. run the command and file targets through pipe(8): a command is
 *      recorded as started before it runs and each outcome right after
 *      its answer (a command is not idempotent: one started but never
 *      answered is not run again; the postmaster is told instead);
 *   3. one LMTP transaction (per QMGR_LMTP_RCPT_MAX) for all mailbox
 *      targets, then one append with every target's and recipient's
 *      outcome (lmtpd's duplicate suppression covers a crash between
 *      its 250 and our fsync);
 *   4. expire what outlived maximal_queue_lifetime;
 *   5. reports (qmgr_report.c), each recorded, submitted, confirmed;
 *   6. delete the entry (entry, directory fsync, then status file) or
 *      move it to deferred/.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alloc.h"
#include "cfg.h"
#include "log.h"
#include "qmgr_run.h"

static pthread_mutex_t resolver_mu = PTHREAD_MUTEX_INITIALIZER;

void
qmgr_reply_set(struct qmgr_reply *r, enum qmgr_result res, const char *dsn,
    const char *fmt, ...)
{
	va_list ap;

	r->result = res;
	r->unknown = false;
	str_copys(&r->dsn, dsn);
	str_clear(&r->text);
	va_start(ap, fmt);
	str_vcatf(&r->text, fmt, ap);
	va_end(ap);
}

void
qmgr_reply_free(struct qmgr_reply *r)
{
	str_free(&r->dsn);
	str_free(&r->text);
}

/* xtext_decode - RFC 3461 4: "+XX" is a hex-coded byte; anything that
 * decodes to a control byte is kept coded, as it must not reach a
 * header. */
static void
xtext_decode(const char *p, size_t n, struct str *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *h, *l;
	size_t i;
	int c;

	str_clear(out);
	for (i = 0; i < n; i++) {
		if (p[i] == '+' && n - i >= 3 &&
		    (h = memchr(hex, p[i + 1], 16)) != NULL &&
		    (l = memchr(hex, p[i + 2], 16)) != NULL &&
		    (c = (int)((h - hex) << 4 | (l - hex))) >= 0x20 &&
		    c != 0x7f) {
			str_catc(out, (char)c);
			i += 2;
		} else
			str_catc(out, p[i]);
	}
}

static unsigned
parse_notify(const char *params, struct str *orcpt)
{
	unsigned bits = 0;
	const char *p = params, *end, *v;
	size_t n;

	str_clear(orcpt);
	if (p == NULL)
		return NOTIFY_FAILURE | NOTIFY_DELAY;
	bits = ~0u;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		end = strchr(p, ' ');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n > 7 && strncasecmp(p, "NOTIFY=", 7) == 0) {
			bits = 0;
			for (v = p + 7; v < p + n;) {
				size_t k = strcspn(v, ", ");

				if (k > (size_t)(p + n - v))
					k = (size_t)(p + n - v);
				if (k == 7 && strncasecmp(v, "SUCCESS", k) == 0)
					bits |= NOTIFY_SUCCESS;
				else if (k == 7 &&
				    strncasecmp(v, "FAILURE", k) == 0)
					bits |= NOTIFY_FAILURE;
				else if (k == 5 &&
				    strncasecmp(v, "DELAY", k) == 0)
					bits |= NOTIFY_DELAY;
				v += k + 1;
			}
		} else if (n > 6 && strncasecmp(p, "ORCPT=", 6) == 0)
			xtext_decode(p + 6, n - 6, orcpt);
		p += n;
	}
	return bits == ~0u ? NOTIFY_FAILURE | NOTIFY_DELAY : bits;
}

static uint64_t
backoff(unsigned tries)
{
	uint64_t d = qmgr_conf.min_backoff_us;

	while (tries-- > 1 && d < qmgr_conf.max_backoff_us)
		d *= 2;
	return d < qmgr_conf.max_backoff_us ? d : qmgr_conf.max_backoff_us;
}

/* log_outcome - the Postfix-style line for one recipient or target. */
static void
log_outcome(const struct run *x, const char *to, const char *orig,
    const char *relay, const struct qmgr_reply *o, const char *status)
{
	uint64_t d = x->now > x->e.arrival_us ? x->now - x->e.arrival_us : 0;

	log_info("%s: to=<%s>%s%s%s, relay=%s, delay=%llu.%llu, dsn=%s, "
	    "status=%s (%s)", x->id, to, orig ? ", orig_to=<" : "",
	    orig ? orig : "", orig ? ">" : "", relay,
	    (unsigned long long)(d / 1000000),
	    (unsigned long long)(d / 100000 % 10), str_cstr(&o->dsn),
	    status, str_cstr(&o->text));
}

static const char *
word(enum qmgr_result r)
{
	return r == QMGR_SENT ? "sent" : r == QMGR_BOUNCE ? "bounced" :
	    "deferred";
}

/* record - one status record about recipient i (target NULL: itself). */
static void
record(struct str *rec, size_t i, const char *target, const char *status,
    const struct qmgr_reply *o, uint64_t now)
{
	str_clear(rec);
	qstatus_putu(rec, "rcpt", i);
	if (target != NULL)
		qstatus_put(rec, "target", target);
	qstatus_put(rec, "status", status);
	if (o != NULL) {
		qstatus_put(rec, "dsn", str_cstr(&o->dsn));
		qstatus_put(rec, "text", str_cstr(&o->text));
	}
	qstatus_putu(rec, "time", now);
}

int
qmgr_run_append(struct run *x, struct str *recs, size_t n)
{
	struct str err = STR_INIT, *all = recs;
	size_t i, k = n;
	int rc = 0;

	if (n == 0)
		return 0;
	if (x->st.version < QSTATUS_VERSION && x->st.valid != 0) {
		/* an older file: say from here on what it holds, so an
		 * older reader stops rather than misread it */
		all = xcalloc(n + 1, sizeof(*all));
		qstatus_putu(&all[0], "version", QSTATUS_VERSION);
		for (i = 0; i < n; i++)
			all[i + 1] = recs[i];
		k = n + 1;
	}
	if (qstatus_append_at(x->spath.s, &x->st.valid, all, k, &err) < 0) {
		log_error("%s: %s", x->id, err.s);
		rc = -1;
	} else {
		x->st.version = QSTATUS_VERSION;
		for (i = 0; i < n; i++)
			if (qstatus_apply(&x->st, &recs[i]) < 0)
				log_error("%s: cannot fold a status record "
				    "of our own", x->id);
	}
	if (all != recs) {
		str_free(&all[0]);
		free(all);
	}
	str_free(&err);
	return rc;
}

static struct tgt *
new_tgt(struct run *x)
{
	if (x->nt == x->tcap) {
		x->tcap = x->tcap ? x->tcap * 2 : 8;
		x->t = xreallocarray(x->t, x->tcap, sizeof(*x->t));
	}
	memset(&x->t[x->nt], 0, sizeof(x->t[0]));
	return &x->t[x->nt++];
}

/* lmtp_address - RCPT TO for a store user: "bob" lives in a local
 * domain, so localhost names it; a virtual user is its own address. */
static void
lmtp_address(const struct resolve_target *rt, struct str *out)
{
	const char *at = strchr(str_cstr(&rt->to), '@');
	const char *delim = var_recipient_delimiter;
	char d = *delim ? *delim : '+';

	str_clear(out);
	if (at == NULL)
		str_cats(out, str_cstr(&rt->to));
	else
		str_catb(out, rt->to.s, (size_t)(at - rt->to.s));
	if (rt->detail.len > 0) {
		str_catc(out, d);
		str_cat(out, &rt->detail);
	}
	str_cats(out, at ? at : "@localhost");
}

/* resolve - targets of every pending recipient of this run. */
static void
resolve(struct run *x)
{
	struct resolve_target *rt;
	struct str why = STR_INIT;
	size_t i, j, n;

	for (i = 0; i < x->e.nrcpt; i++) {
		struct rcpt *r = &x->r[i];
		struct qstatus_rcpt *s = &x->st.rcpt[i];

		if (s->done || s->waiting)
			continue;
		r->active = true;
		rt = NULL;
		n = 0;
		str_clear(&why);
		pthread_mutex_lock(&resolver_mu);
		r->rc = resolve_expand(qmgr_conf.resolver, r->addr.s, &rt, &n,
		    &why);
		pthread_mutex_unlock(&resolver_mu);
		if (r->rc == RESOLVE_UNKNOWN) {
			if (why.len == 0)
				str_copyf(&why, "%s: User unknown", r->addr.s);
			qmgr_reply_set(&r->outcome, QMGR_BOUNCE, "5.1.1",
			    "550 5.1.1 %s", why.s);
			r->final = true;
		} else if (r->rc == RESOLVE_PERM) {
			if (why.len == 0)
				str_copyf(&why, "%s: cannot deliver",
				    r->addr.s);
			qmgr_reply_set(&r->outcome, QMGR_BOUNCE, "5.3.0",
			    "554 5.3.0 %s", why.s);
			r->final = true;
		} else if (r->rc == RESOLVE_REMOTE) {
			struct tgt *t = new_tgt(x);

			t->rcpt = i;
			t->kind = RESOLVE_FORWARD;
			str_copyf(&t->name, "forward:%s", r->addr.s);
		} else if (r->rc != RESOLVE_OK) {
			if (why.len == 0)
				str_copyf(&why, "%s: temporary lookup "
				    "failure", r->addr.s);
			qmgr_reply_set(&r->outcome, QMGR_DEFER, "4.3.0",
			    "451 4.3.0 %s", why.s);
		}
		if (r->rc != RESOLVE_OK) {
			if (rt != NULL)
				resolve_targets_free(rt, n);
			continue;
		}
		for (j = 0; j < n; j++) {
			struct tgt *t = new_tgt(x);
			static const char *const kname[] = {
				[RESOLVE_MAILBOX] = "mailbox",
				[RESOLVE_FORWARD] = "forward",
				[RESOLVE_COMMAND] = "command",
				[RESOLVE_FILE] = "file",
				[RESOLVE_FAILED] = "failed",
			};

			t->rcpt = i;
			t->kind = rt[j].kind;
			str_copys(&t->to, str_cstr(&rt[j].to));
			str_copys(&t->detail, str_cstr(&rt[j].detail));
			str_copys(&t->via, str_cstr(&rt[j].via));
			t->uid = rt[j].uid;
			t->gid = rt[j].gid;
			t->repeat = rt[j].repeat;
			/* never run anything as root, nor with its group */
			if (t->uid == 0 || t->gid == 0) {
				t->uid = qmgr_conf.nobody_uid;
				t->gid = qmgr_conf.nobody_gid;
			}
			str_copyf(&t->name, "%s:%s", kname[t->kind],
			    t->to.s ? t->to.s : "");
			if (t->kind == RESOLVE_MAILBOX) {
				if (t->detail.len > 0)
					str_catf(&t->name, "+%s", t->detail.s);
				lmtp_address(&rt[j], &t->lmtp_addr);
			}
			/* a target name is one line of done_targets */
			for (char *p = t->name.s; *p; p++)
				if (*p == '\n' || *p == '\r')
					*p = ' ';
			t->skip = qstatus_target_done(s, t->name.s);
			/* started, never answered: it may have run */
			t->unknown = t->kind == RESOLVE_COMMAND && !t->skip &&
			    !t->repeat &&
			    qstatus_target_started(s, t->name.s);
			if (t->kind == RESOLVE_FAILED && !t->skip) {
				/* an unknown member of a list: it bounces,
				 * the rest of the list is delivered */
				qmgr_reply_set(&t->reply, QMGR_BOUNCE,
				    "5.1.1", "550 5.1.1 %s",
				    str_cstr(&rt[j].why));
				t->tried = true;
				log_outcome(x, t->to.s, r->addr.s, "none",
				    &t->reply, "bounced");
			}
		}
		resolve_targets_free(rt, n);
	}
	str_free(&why);
}

/* started - record that command target i (and every later target
 * that is the same run of it) is about to run, so that a crash before
 * its outcome is recorded cannot run it again: 0, or -1. */
static int
started(struct run *x, size_t i)
{
	const struct tgt *t = &x->t[i];
	struct str *recs = xcalloc(x->nt - i, sizeof(*recs));
	size_t j, n = 0;
	int rc;

	for (j = i; j < x->nt; j++) {
		const struct tgt *u = &x->t[j];

		if (j == i || (!u->skip && !u->unknown &&
		    u->kind == t->kind && u->uid == t->uid &&
		    u->gid == t->gid && str_eqs(&u->to, str_cstr(&t->to))))
			record(&recs[n++], u->rcpt, u->name.s, "started", NULL,
			    qmgr_now_us());
	}
	rc = qmgr_run_append(x, recs, n);
	for (j = 0; j < n; j++)
		str_free(&recs[j]);
	free(recs);
	return rc;
}

/* deliver_pipes - command and file targets, each recorded at once. */
static void
deliver_pipes(struct run *x)
{
	struct str rec = STR_INIT;
	size_t i;
	int told = 0;

	for (i = 0; i < x->nt; i++)
		if (x->t[i].unknown) {
			told = qmgr_report_unknown(x);
			break;
		}
	for (i = 0; i < x->nt; i++) {
		struct tgt *t = &x->t[i];
		struct qmgr_pipe_req q;

		struct tgt *same = NULL;
		size_t j;

		if (t->skip || (t->kind != RESOLVE_COMMAND &&
		    t->kind != RESOLVE_FILE))
			continue;
		/* Two recipients that reach one command or file get one
		 * run of it, as they get one copy in a mailbox. */
		for (j = 0; j < i && same == NULL; j++)
			if (x->t[j].tried && !x->t[j].unknown &&
			    x->t[j].kind == t->kind &&
			    x->t[j].uid == t->uid && x->t[j].gid == t->gid &&
			    str_eqs(&x->t[j].to, str_cstr(&t->to)))
				same = &x->t[j];
		memset(&q, 0, sizeof q);
		q.id = x->id;
		q.path = x->path.s;
		q.size = x->e.size;
		q.kind = t->kind == RESOLVE_COMMAND ? "command" : "file";
		q.target = t->to.s ? t->to.s : "";
		q.uid = t->uid;
		q.gid = t->gid;
		q.sender = x->e.sender.s ? x->e.sender.s : "";
		q.recipient = x->r[t->rcpt].addr.s;
		q.alias = t->via.s ? t->via.s : "";
		if (t->unknown && told < 0)
			qmgr_reply_set(&t->reply, QMGR_DEFER, "4.3.0",
			    "cannot record the unknown outcome of a command");
		else if (t->unknown)
			/* never again: the postmaster was told */
			qmgr_reply_set(&t->reply, QMGR_SENT, "2.0.0",
			    "outcome unknown: the command was running when "
			    "delivery was interrupted; not run again, the "
			    "postmaster was notified");
		else if (same != NULL) {
			qmgr_reply_set(&t->reply, same->reply.result,
			    str_cstr(&same->reply.dsn), "%s",
			    str_cstr(&same->reply.text));
			t->reply.unknown = same->reply.unknown;
		} else if (t->kind == RESOLVE_COMMAND && !t->repeat &&
		    started(x, i) < 0)
			qmgr_reply_set(&t->reply, QMGR_DEFER, "4.3.0",
			    "cannot record the start of a command");
		else
			qmgr_pipe_deliver(&q, &t->reply);
		t->tried = true;
		if (!t->reply.unknown && (t->reply.result != QMGR_DEFER ||
		    qstatus_target_started(&x->st.rcpt[t->rcpt], t->name.s))) {
			/* a deferral, too, is an outcome once started */
			record(&rec, t->rcpt, t->name.s,
			    word(t->reply.result), &t->reply, qmgr_now_us());
			if (qmgr_run_append(x, &rec, 1) < 0 &&
			    t->reply.result != QMGR_DEFER)
				/* not durable: must not count as done */
				qmgr_reply_set(&t->reply, QMGR_DEFER, "4.3.0",
				    "cannot record the outcome");
		}
		str_copyf(&rec, "%s%s", t->kind == RESOLVE_COMMAND ? "|" :
		    "", q.target);
		log_outcome(x, rec.s, q.recipient, "pipe", &t->reply,
		    t->reply.unknown ? "unknown" : word(t->reply.result));
	}
	str_free(&rec);
}

/* deliver_lmtp - every mailbox target, each distinct address once. */
static void
deliver_lmtp(struct run *x)
{
	const char **addr = xcalloc(x->nt + 1, sizeof(*addr));
	size_t *slot = xcalloc(x->nt + 1, sizeof(*slot));
	struct qmgr_reply *rep;
	size_t i, j, n = 0, off;
	struct qmgr_lmtp_txn txn;
	const char *params = str_cstr(&x->e.params);

	for (i = 0; i < x->nt; i++) {
		struct tgt *t = &x->t[i];

		if (t->skip || t->kind != RESOLVE_MAILBOX)
			continue;
		for (j = 0; j < n; j++)
			if (strcasecmp(addr[j], t->lmtp_addr.s) == 0)
				break;
		if (j == n)
			addr[n++] = t->lmtp_addr.s;
		slot[i] = j;
		t->tried = true;
	}
	rep = xcalloc(n + 1, sizeof(*rep));
	for (off = 0; off < n; off += QMGR_LMTP_RCPT_MAX) {
		memset(&txn, 0, sizeof txn);
		txn.id = x->id;
		txn.path = x->path.s;
		txn.sender = str_cstr(&x->e.sender);
		txn.eightbit = strcasestr(params, "BODY=8BITMIME") != NULL;
		txn.smtputf8 = strcasestr(params, "SMTPUTF8") != NULL;
		txn.rcpt = addr + off;
		txn.nrcpt = n - off < QMGR_LMTP_RCPT_MAX ? n - off :
		    QMGR_LMTP_RCPT_MAX;
		txn.reply = rep + off;
		qmgr_lmtp_deliver(&txn);
	}
	for (i = 0; i < x->nt; i++) {
		struct tgt *t = &x->t[i];

		if (!t->tried || t->kind != RESOLVE_MAILBOX)
			continue;
		qmgr_reply_set(&t->reply, rep[slot[i]].result,
		    str_cstr(&rep[slot[i]].dsn), "%s",
		    str_cstr(&rep[slot[i]].text));
		log_outcome(x, t->lmtp_addr.s, x->r[t->rcpt].addr.s, "lmtp",
		    &t->reply, word(t->reply.result));
	}
	for (i = 0; i < n; i++)
		qmgr_reply_free(&rep[i]);
	free(rep);
	free(addr);
	free(slot);
}

bool
qmgr_run_needs_dsn(const struct run *x, size_t i)
{
	const struct qstatus_rcpt *s = &x->st.rcpt[i];

	if (x->e.sender.len == 0 || s->notified)
		return false;
	return (s->done == 2 && (x->r[i].notify & NOTIFY_FAILURE)) ||
	    (s->done == 1 && (x->r[i].notify & NOTIFY_SUCCESS));
}

/* conclude - each active recipient's outcome of this run, recorded
 * together with the LMTP targets' in one append. */
static int
conclude(struct run *x)
{
	struct str *recs;
	size_t i, j, n = 0;
	int rc;

	recs = xcalloc(x->nt + x->e.nrcpt + 1, sizeof(*recs));
	for (i = 0; i < x->nt; i++) {
		struct tgt *t = &x->t[i];

		if (t->tried && (t->kind == RESOLVE_MAILBOX ||
		    t->kind == RESOLVE_FAILED) &&
		    t->reply.result != QMGR_DEFER)
			record(&recs[n++], t->rcpt, t->name.s,
			    word(t->reply.result), &t->reply, x->now);
	}
	for (i = 0; i < x->e.nrcpt; i++) {
		struct rcpt *r = &x->r[i];
		struct qstatus_rcpt *s = &x->st.rcpt[i];
		bool deferred = false, fwd = false, any = false;
		const struct qmgr_reply *last = NULL, *defer = NULL;
		const struct qmgr_reply *bounce = NULL;

		if (!r->active)
			continue;
		for (j = 0; j < x->nt && r->rc == RESOLVE_OK; j++) {
			struct tgt *t = &x->t[j];

			if (t->rcpt != i || t->skip)
				continue;
			any = true;
			if (t->kind == RESOLVE_FORWARD) {
				fwd = true;
				continue;
			}
			last = &t->reply;
			if (t->reply.result == QMGR_DEFER) {
				deferred = true;
				defer = &t->reply;
			} else if (t->reply.result == QMGR_BOUNCE)
				bounce = &t->reply;
		}
		if (r->rc == RESOLVE_REMOTE)
			fwd = any = true;
		if (r->rc == RESOLVE_OK || r->rc == RESOLVE_REMOTE) {
			if (deferred) {
				/* the reason is the deferring target's,
				 * not whatever target came last */
				qmgr_reply_set(&r->outcome, QMGR_DEFER,
				    str_cstr(&defer->dsn), "%s",
				    str_cstr(&defer->text));
			} else if (fwd) {
				r->waiting = true;
				qmgr_reply_set(&r->outcome, QMGR_DEFER,
				    "4.4.0", "waiting for outbound "
				    "delivery");
				log_outcome(x, r->addr.s, NULL, "none",
				    &r->outcome, "deferred");
			} else {
				r->final = true;
				if (bounce != NULL)
					qmgr_reply_set(&r->outcome,
					    QMGR_BOUNCE, str_cstr(&bounce->dsn),
					    "%s", str_cstr(&bounce->text));
				else if (last != NULL)
					qmgr_reply_set(&r->outcome, QMGR_SENT,
					    str_cstr(&last->dsn), "%s",
					    str_cstr(&last->text));
				else	/* every target done before */
					qmgr_reply_set(&r->outcome, QMGR_SENT,
					    "2.0.0", "delivered");
			}
		} else if (r->final || r->rc == RESOLVE_TEMP)
			log_outcome(x, r->addr.s, NULL, "none", &r->outcome,
			    word(r->outcome.result));
		if (r->waiting) {
			record(&recs[n++], i, NULL, "waiting", &r->outcome,
			    x->now);
		} else if (r->final) {
			record(&recs[n++], i, NULL, word(r->outcome.result),
			    &r->outcome, x->now);
			s->done = r->outcome.result == QMGR_SENT ? 1 : 2;
		} else {
			s->tries++;
			s->next_us = x->now + backoff(s->tries);
			record(&recs[n], i, NULL, "deferred", &r->outcome,
			    x->now);
			qstatus_putu(&recs[n], "next", s->next_us);
			qstatus_putu(&recs[n++], "tries", s->tries);
		}
		str_copys(&s->dsn, str_cstr(&r->outcome.dsn));
		str_copys(&s->text, str_cstr(&r->outcome.text));
		s->time_us = x->now;
		s->waiting = r->waiting;
	}
	/* When this run leaves every recipient sent with nothing owed, the
	 * removal of the entry (unlink, fsync) is the durable record; a
	 * crash before it redelivers only over LMTP, which lmtpd's
	 * duplicate suppression absorbs, as after a crash before an
	 * append.  Pipe outcomes were recorded already. */
	for (i = 0; i < x->e.nrcpt; i++)
		if (x->st.rcpt[i].done != 1 || qmgr_run_needs_dsn(x, i))
			break;
	rc = i == x->e.nrcpt ? 0 : qmgr_run_append(x, recs, n);
	for (i = 0; i < n; i++)
		str_free(&recs[i]);
	free(recs);
	return rc;
}

/* expire - bounce what is pending past maximal_queue_lifetime (a
 * recipient waiting for the outbound client is not ours to expire). */
static int
expire(struct run *x)
{
	struct str *recs = xcalloc(x->e.nrcpt + 1, sizeof(*recs));
	size_t i, n = 0;
	int rc;

	if (x->now < x->e.arrival_us + qmgr_conf.lifetime_us) {
		free(recs);
		return 0;
	}
	for (i = 0; i < x->e.nrcpt; i++) {
		struct qstatus_rcpt *s = &x->st.rcpt[i];
		struct rcpt *r = &x->r[i];

		if (s->done || s->waiting)
			continue;
		qmgr_reply_set(&r->outcome, QMGR_BOUNCE,
		    s->dsn.len ? s->dsn.s : "4.4.7", "message expired after "
		    "%llu seconds: %s", (unsigned long long)
		    (qmgr_conf.lifetime_us / 1000000),
		    s->text.len ? s->text.s : "not delivered");
		r->final = true;
		s->done = 2;
		record(&recs[n++], i, NULL, "bounced", &r->outcome, x->now);
		log_outcome(x, r->addr.s, NULL, "none", &r->outcome,
		    "bounced");
	}
	rc = qmgr_run_append(x, recs, n);
	for (i = 0; i < n; i++)
		str_free(&recs[i]);
	free(recs);
	if (rc < 0)		/* not durable: keep them pending */
		for (i = 0; i < x->e.nrcpt; i++)
			if (x->r[i].final && x->st.rcpt[i].done == 2)
				x->st.rcpt[i].done = 0;
	return rc;
}

/* due - when the entry should run next: UINT64_MAX when nothing but
 * remote recipients wait. */
static uint64_t
due(const struct queue_env *e, const struct qstatus *st, uint64_t now,
    bool dsn_failed)
{
	uint64_t t = UINT64_MAX;
	bool pending = false, waiting = false;
	size_t i;

	for (i = 0; i < e->nrcpt; i++) {
		const struct qstatus_rcpt *s = &st->rcpt[i];

		if (s->done)
			continue;
		if (s->waiting) {
			waiting = true;
			continue;
		}
		pending = true;
		if (s->next_us < t)
			t = s->next_us;
	}
	if (pending) {
		if (qmgr_conf.warn_us > 0 && st->warned_us == 0 &&
		    e->arrival_us + qmgr_conf.warn_us < t)
			t = e->arrival_us + qmgr_conf.warn_us;
		if (e->arrival_us + qmgr_conf.lifetime_us < t)
			t = e->arrival_us + qmgr_conf.lifetime_us;
	}
	if (dsn_failed && now + qmgr_conf.min_backoff_us < t)
		t = now + qmgr_conf.min_backoff_us;
	if (!pending && !waiting && t == UINT64_MAX)
		t = now;	/* only the removal is left to do */
	return t;
}

int
qmgr_entry_due(const char *path, const char *id, uint64_t *due_us)
{
	struct queue_env e;
	struct qstatus st;
	struct str err = STR_INIT, spath = STR_INIT;
	int rc = -1;

	if (queue_read_env(path, &e, &err) < 0) {
		str_free(&err);
		return -1;
	}
	qstatus_path(qmgr_conf.queue_dir, id, &spath);
	if (qstatus_read(spath.s, e.nrcpt, &st, &err) == 0) {
		*due_us = due(&e, &st, qmgr_now_us(), false);
		rc = 0;
	}
	qstatus_free(&st);
	queue_env_free(&e);
	str_free(&err);
	str_free(&spath);
	return rc;
}

/* finish - delete the entry, or move it to deferred/. */
static enum qmgr_outcome
finish(struct run *x, uint64_t *due_us)
{
	struct str to = STR_INIT;
	enum qmgr_outcome o;
	size_t i;

	for (i = 0; i < x->e.nrcpt; i++)
		if (!x->st.rcpt[i].done || qmgr_run_needs_dsn(x, i))
			break;
	if (i == x->e.nrcpt && !x->dsn_failed) {
		/* all done and reported: the entry goes first, so a crash
		 * leaves an orphan status file, never a lost record */
		if (unlink(x->path.s) < 0) {
			/* the status file must outlive the entry, or the
			 * next run would deliver everything again */
			log_error("%s: unlink %s: %m", x->id, x->path.s);
			return QMGR_DONE;
		}
		if (queue_fsync_dir(qmgr_conf.queue_dir, QUEUE_ACTIVE) < 0)
			log_error("%s: fsync active: %m", x->id);
		/* cleanup's claims on our reports: nobody submits them
		 * again now (a crash here leaves them to the start-up
		 * sweep) */
		for (i = 0; i < x->st.nreport; i++) {
			qmgr_qpath(&to, QUEUE_REPORTS, x->st.report[i].id.s);
			if (unlink(to.s) < 0 && errno != ENOENT)
				log_warn("%s: unlink %s: %m", x->id, to.s);
		}
		str_free(&to);
		if (unlink(x->spath.s) < 0 && errno != ENOENT)
			log_warn("%s: unlink %s: %m", x->id, x->spath.s);
		log_info("%s: removed", x->id);
		return QMGR_DONE;
	}
	/* what failed to be recorded is due again at once: never sooner
	 * than a second, so a persistent error cannot spin */
	*due_us = due(&x->e, &x->st, x->now, x->dsn_failed);
	if (*due_us < x->now + 1000000)
		*due_us = x->now + 1000000;
	qmgr_qpath(&to, QUEUE_DEFERRED, x->id);
	if (rename(x->path.s, to.s) < 0) {
		log_error("%s: rename to deferred: %m", x->id);
		o = QMGR_GONE;
	} else {
		if (queue_fsync_dir(qmgr_conf.queue_dir, QUEUE_DEFERRED) < 0)
			log_warn("%s: fsync deferred: %m", x->id);
		o = QMGR_DEFERRED;
	}
	str_free(&to);
	return o;
}

static void
corrupt(struct run *x, const char *why)
{
	struct str to = STR_INIT;

	qmgr_qpath(&to, QUEUE_CORRUPT, x->id);
	log_error("%s: %s; moved to corrupt/", x->id, why);
	if (rename(x->path.s, to.s) < 0)
		log_error("%s: rename to corrupt: %m", x->id);
	str_free(&to);
}

enum qmgr_outcome
qmgr_entry_run(const char *id, uint64_t *due_us)
{
	struct run x;
	struct str err = STR_INIT;
	enum qmgr_outcome o;
	size_t i;

	memset(&x, 0, sizeof x);
	x.st.valid = QSTATUS_UNKNOWN;	/* until qstatus_read says */
	x.id = id;
	qmgr_qpath(&x.path, QUEUE_ACTIVE, id);
	qstatus_path(qmgr_conf.queue_dir, id, &x.spath);
	if (queue_read_env(x.path.s, &x.e, &err) < 0) {
		o = QMGR_GONE;
		if (access(x.path.s, F_OK) < 0)
			;	/* someone else took it */
		else if (strncmp(err.s, "corrupt ", 8) == 0)
			corrupt(&x, err.s);
		else {		/* EMFILE, EIO...: not the entry's fault */
			struct str to = STR_INIT;

			log_error("%s: %s", id, err.s);
			qmgr_qpath(&to, QUEUE_DEFERRED, id);
			if (rename(x.path.s, to.s) == 0) {
				o = QMGR_DEFERRED;
				*due_us = qmgr_now_us() +
				    qmgr_conf.min_backoff_us;
			}
			str_free(&to);
		}
		goto out_noenv;
	}
	x.r = xcalloc(x.e.nrcpt + 1, sizeof(*x.r));
	for (i = 0; i < x.e.nrcpt; i++) {
		const char *s = x.e.rcpt[i].s, *sp = strchr(s, ' ');

		str_copyb(&x.r[i].addr, s, sp ? (size_t)(sp - s) : strlen(s));
		x.r[i].params = sp ? sp + 1 : NULL;
		x.r[i].notify = parse_notify(x.r[i].params, &x.r[i].orcpt);
	}
	x.now = qmgr_now_us();
	if (qstatus_read(x.spath.s, x.e.nrcpt, &x.st, &err) < 0) {
		/* never guess what was delivered: keep it for the
		 * operator, retrying rarely */
		log_error("%s: %s", id, err.s);
		x.dsn_failed = true;
		qstatus_free(&x.st);
		x.st.valid = QSTATUS_UNKNOWN;	/* append only with care */
		x.st.nrcpt = x.e.nrcpt;
		x.st.rcpt = xcalloc(x.e.nrcpt + 1, sizeof(*x.st.rcpt));
		for (i = 0; i < x.e.nrcpt; i++)
			x.st.rcpt[i].waiting = true;
		o = finish(&x, due_us);
		*due_us = x.now + qmgr_conf.max_backoff_us;
		goto out;
	}
	qmgr_report_resume(&x);
	resolve(&x);
	deliver_pipes(&x);
	deliver_lmtp(&x);
	x.now = qmgr_now_us();
	if (conclude(&x) < 0) {
		/* outcomes not durable: retry all of it later (LMTP
		 * duplicates are suppressed by lmtpd) */
		x.dsn_failed = true;
		for (i = 0; i < x.e.nrcpt; i++)
			if (x.r[i].final)
				x.st.rcpt[i].done = 0;
	} else {
		(void)expire(&x);
		/* the null sender gets no reports: say so once */
		for (i = 0; i < x.e.nrcpt; i++)
			if (x.e.sender.len == 0 && x.r[i].final &&
			    x.st.rcpt[i].done == 2)
				log_info("%s: to=<%s>, status=bounced, null "
				    "sender: notification dropped", id,
				    x.r[i].addr.s);
		qmgr_report_outcomes(&x);
		qmgr_report_delay(&x);
	}
	o = finish(&x, due_us);
out:
	for (i = 0; x.r != NULL && i < x.e.nrcpt; i++) {
		str_free(&x.r[i].addr);
		str_free(&x.r[i].orcpt);
		qmgr_reply_free(&x.r[i].outcome);
	}
	free(x.r);
	for (i = 0; i < x.nt; i++) {
		str_free(&x.t[i].name);
		str_free(&x.t[i].to);
		str_free(&x.t[i].detail);
		str_free(&x.t[i].via);
		str_free(&x.t[i].lmtp_addr);
		qmgr_reply_free(&x.t[i].reply);
	}
	free(x.t);
	qstatus_free(&x.st);
	queue_env_free(&x.e);
out_noenv:
	str_free(&x.path);
	str_free(&x.spath);
	str_free(&err);
	return o;
}
