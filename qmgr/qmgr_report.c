/*
 * qmgr_report - delivery reports, each sent exactly once across
 * crashes.  A report is first recorded in the entry's status file
 * (report=, with everything needed to write it again), then submitted
 * to cleanup under its report ID, then confirmed (reported=).  A run
 * that finds a report recorded but not confirmed submits it again
 * before anything else; cleanup queues a report ID once
 * (cleanup_report.c), so a crash between its commit and our
 * confirmation costs nothing.  Items in a recorded report are never
 * reported again.
 *
 * The report ID is the entry's ID, '.', a letter for the kind and a
 * hash of the recipients and targets it covers: the same report of the
 * same entry always has the same ID.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "qmgr_run.h"

static const struct {
	const char *word;
	char letter;
	enum qmgr_dsn_kind kind;
} kinds[] = {
	{ "failed", 'f', QMGR_DSN_FAILED },
	{ "delivered", 's', QMGR_DSN_DELIVERED },
	{ "delayed", 'w', QMGR_DSN_DELAYED },
	{ "unknown", 'u', QMGR_DSN_UNKNOWN },
};

static size_t
kind_of(const char *word)
{
	size_t k;

	for (k = 0; k < sizeof kinds / sizeof kinds[0] - 1; k++)
		if (strcmp(kinds[k].word, word) == 0)
			break;
	return k;
}

/* fnv - FNV-1a, 64 bits, of n bytes, continuing from h. */
static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* report_id - the ID of the report of kind k about items. */
static void
report_id(const struct run *x, size_t k, const char *items, struct str *out)
{
	struct qstatus_item it;
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p = items;

	memset(&it, 0, sizeof it);
	h = fnv(h, x->id, strlen(x->id));
	h = fnv(h, kinds[k].word, strlen(kinds[k].word));
	while (qstatus_item_next(&p, &it) == 0) {
		char num[24];
		int n = snprintf(num, sizeof num, "\n%zu\t", it.rcpt);

		h = fnv(h, num, (size_t)n);
		h = fnv(h, str_cstr(&it.target), it.target.len);
	}
	qstatus_item_free(&it);
	str_copyf(out, "%s.%c%016" PRIx64, x->id, kinds[k].letter, h);
}

/* submit - report i of x->st to cleanup, then confirm it. */
static int
submit(struct run *x, size_t i)
{
	const struct qstatus_report *rep = &x->st.report[i];
	size_t k = kind_of(rep->kind.s), n = 0, cap = 8;
	struct qmgr_dsn_rcpt *d = xcalloc(cap, sizeof(*d));
	struct qstatus_item *it = xcalloc(cap, sizeof(*it));
	struct str err = STR_INIT, qid = STR_INIT, rec = STR_INIT;
	const char *p = str_cstr(&rep->items);
	int rc = -1;

	while (qstatus_item_next(&p, &it[n]) == 0) {
		const struct rcpt *r = &x->r[it[n].rcpt];

		d[n].addr = r->addr.s;
		d[n].orcpt = r->orcpt.len ? r->orcpt.s : NULL;
		d[n].status = it[n].dsn.len ? it[n].dsn.s : "4.0.0";
		d[n].diag = it[n].text.len ? it[n].text.s :
		    "no reason recorded";
		d[n].last_us = it[n].time_us;
		if (++n == cap) {
			cap *= 2;
			d = xreallocarray(d, cap, sizeof(*d));
			it = xreallocarray(it, cap, sizeof(*it));
			memset(it + n, 0, (cap - n) * sizeof(*it));
		}
	}
	if (qmgr_dsn_send(&x->e, x->path.s, kinds[k].kind, d, n, rep->id.s,
	    &qid, &err) < 0) {
		log_warn("%s: cannot send a notification: %s", x->id, err.s);
		goto out;
	}
	qstatus_put(&rec, "reported", rep->id.s);
	qstatus_put(&rec, "queue_id", qid.s);
	rc = qmgr_run_append(x, &rec, 1);
out:
	if (rc < 0)
		x->dsn_failed = true;
	for (i = 0; i <= n; i++)
		qstatus_item_free(&it[i]);
	free(it);
	free(d);
	str_free(&err);
	str_free(&qid);
	str_free(&rec);
	return rc;
}

/* report - record a report of kind word about items, then submit it:
 * 0 once recorded (submitted or not), -1 when not even recorded. */
static int
report(struct run *x, const char *word, const struct str *items)
{
	struct str rec = STR_INIT, id = STR_INIT;
	int rc;

	report_id(x, kind_of(word), items->s, &id);
	qstatus_put(&rec, "report", id.s);
	qstatus_put(&rec, "kind", word);
	qstatus_putu(&rec, "time", x->now);
	qstatus_put(&rec, "items", items->s);
	rc = qmgr_run_append(x, &rec, 1);
	if (rc < 0)
		x->dsn_failed = true;
	else
		(void)submit(x, x->st.nreport - 1);
	str_free(&rec);
	str_free(&id);
	return rc;
}

void
qmgr_report_resume(struct run *x)
{
	size_t i;

	for (i = 0; i < x->st.nreport; i++)
		if (!x->st.report[i].submitted) {
			log_info("%s: report %s was never confirmed: "
			    "submitting it again", x->id,
			    x->st.report[i].id.s);
			(void)submit(x, i);
		}
}

void
qmgr_report_outcomes(struct run *x)
{
	struct str failed = STR_INIT, sent = STR_INIT;
	size_t i;

	for (i = 0; i < x->e.nrcpt; i++) {
		const struct qstatus_rcpt *s = &x->st.rcpt[i];

		if (!qmgr_run_needs_dsn(x, i))
			continue;
		qstatus_item_put(s->done == 2 ? &failed : &sent, i,
		    s->time_us ? s->time_us : x->now,
		    s->dsn.len ? s->dsn.s : s->done == 1 ? "2.0.0" : "5.0.0",
		    "", s->text.len ? s->text.s : "no reason recorded");
	}
	/* a failed target of a recipient whose other targets still go
	 * on: told now, not when the recipient is final */
	for (i = 0; i < x->st.nbounce; i++) {
		const struct qstatus_bounce *b = &x->st.bounce[i];

		if (b->old || x->e.sender.len == 0 ||
		    x->st.rcpt[b->rcpt].done == 2 ||
		    !(x->r[b->rcpt].notify & NOTIFY_FAILURE) ||
		    qstatus_reported(&x->st, b->rcpt, b->target.s))
			continue;
		qstatus_item_put(&failed, b->rcpt, b->time_us ? b->time_us :
		    x->now, b->dsn.len ? b->dsn.s : "5.0.0", b->target.s,
		    str_cstr(&b->text));
	}
	if (failed.len > 0)
		(void)report(x, "failed", &failed);
	if (sent.len > 0)
		(void)report(x, "delivered", &sent);
	str_free(&failed);
	str_free(&sent);
}

void
qmgr_report_delay(struct run *x)
{
	struct str items = STR_INIT, rec = STR_INIT;
	size_t i;
	bool pending = false;

	if (qmgr_conf.warn_us == 0 || x->st.warned_us != 0 ||
	    x->now < x->e.arrival_us + qmgr_conf.warn_us)
		return;
	for (i = 0; i < x->e.nrcpt; i++) {
		const struct qstatus_rcpt *s = &x->st.rcpt[i];

		if (s->done || s->waiting)
			continue;
		pending = true;
		if (x->e.sender.len > 0 && (x->r[i].notify & NOTIFY_DELAY))
			qstatus_item_put(&items, i, s->time_us ? s->time_us :
			    x->now, s->dsn.len ? s->dsn.s : "4.0.0", "",
			    s->text.len ? s->text.s : "no reason recorded");
	}
	if (items.len > 0)
		(void)report(x, "delayed", &items);	/* sets warned */
	else if (pending) {
		/* nobody to tell: only that the time has passed */
		qstatus_putu(&rec, "warned", x->now);
		(void)qmgr_run_append(x, &rec, 1);
	}
	str_free(&items);
	str_free(&rec);
}

int
qmgr_report_unknown(struct run *x)
{
	struct str items = STR_INIT, text = STR_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < x->nt; i++) {
		const struct tgt *t = &x->t[i];

		if (!t->unknown || qstatus_reported(&x->st, t->rcpt, t->name.s))
			continue;
		log_warn("%s: to=<%s>, |%s: outcome unknown (started, never "
		    "answered): not run again, telling the postmaster", x->id,
		    x->r[t->rcpt].addr.s, str_cstr(&t->to));
		str_copyf(&text, "|%s: was running when delivery was "
		    "interrupted; its outcome is unknown", str_cstr(&t->to));
		qstatus_item_put(&items, t->rcpt, x->now, "2.0.0", t->name.s,
		    text.s);
	}
	if (items.len > 0)
		rc = report(x, "unknown", &items);
	str_free(&items);
	str_free(&text);
	return rc;
}
