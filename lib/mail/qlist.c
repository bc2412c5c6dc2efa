/*
 * qlist - finding and listing queue entries; the contract is in qlist.h.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "qlist.h"

const char *const qlist_states[] = {
	QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD,
};
const size_t qlist_nstates = sizeof qlist_states / sizeof qlist_states[0];

/* Every state an entry can be found in, for qlist_find. */
static const char *const all_states[] = {
	QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD,
	QUEUE_CORRUPT,
};

/* Column of the sender and the recipients in the listing. */
#define QLIST_INDENT (QID_LEN + 1 + 1 + 8 + 1 + 20 + 2)

char
qlist_mark(const char *state)
{
	if (strcmp(state, QUEUE_ACTIVE) == 0)
		return '*';
	if (strcmp(state, QUEUE_HOLD) == 0)
		return '!';
	return ' ';
}

/* canonical - the static name of a state, so entries can point at it. */
static const char *
canonical(const char *state)
{
	size_t i;

	for (i = 0; i < sizeof all_states / sizeof all_states[0]; i++)
		if (strcmp(state, all_states[i]) == 0)
			return all_states[i];
	return NULL;
}

void
qlist_entry_path(const char *queue_dir, const char *state, const char *id,
    struct str *out)
{
	str_copyf(out, "%s/%s/%s", queue_dir, state, id);
}

static int
by_id(const void *a, const void *b)
{
	const struct qlist_entry *x = a, *y = b;

	return strcmp(x->id, y->id);
}

int
qlist_scan(const char *queue_dir, const char *const *states, size_t nstates,
    struct qlist_entry **v, size_t *n, struct str *err)
{
	struct str path = STR_INIT;
	struct dirent *de;
	size_t k;
	DIR *d;
	int rc = 0;

	for (k = 0; k < nstates && rc == 0; k++) {
		const char *state = canonical(states[k]);

		if (state == NULL)
			log_panic("qlist_scan: unknown state %s", states[k]);
		str_copyf(&path, "%s/%s", queue_dir, state);
		if ((d = opendir(path.s)) == NULL) {
			if (errno != ENOENT) {
				str_copyf(err, "cannot read the queue in %s: "
				    "%s", path.s, strerror(errno));
				rc = -1;
			}
			continue;
		}
		errno = 0;
		while ((de = readdir(d)) != NULL) {
			if (!qid_valid(de->d_name))
				continue;	/* ".", "..", droppings */
			*v = xreallocarray(*v, size_add(*n, 1), sizeof(**v));
			memcpy((*v)[*n].id, de->d_name, QID_LEN + 1);
			(*v)[*n].state = state;
			(*v)[*n].mark = qlist_mark(state);
			(*n)++;
			errno = 0;
		}
		if (errno != 0) {
			int e = errno;

			str_copyf(err, "cannot read the queue in %s: %s",
			    path.s, strerror(e));
			closedir(d);
			errno = e;
			rc = -1;
			continue;
		}
		closedir(d);
	}
	if (*n > 1)
		qsort(*v, *n, sizeof(**v), by_id);
	str_free(&path);
	return rc;
}

size_t
qlist_count(const char *queue_dir, const char *state)
{
	struct qlist_entry *v = NULL;
	struct str err = STR_INIT;
	size_t n = 0;

	(void)qlist_scan(queue_dir, &state, 1, &v, &n, &err);
	free(v);
	str_free(&err);
	return n;
}

const char *
qlist_find(const char *queue_dir, const char *id)
{
	struct str path = STR_INIT;
	const char *found = NULL;
	size_t i;

	if (!qid_valid(id))
		return NULL;
	/* In qmgr's order of moves (incoming, active, deferred), so an
	 * entry moving while we look is more likely seen than missed. */
	for (i = 0; i < sizeof all_states / sizeof all_states[0]; i++) {
		qlist_entry_path(queue_dir, all_states[i], id, &path);
		if (access(path.s, F_OK) == 0) {
			found = all_states[i];
			break;
		}
	}
	str_free(&path);
	return found;
}

int
qlist_rcpt_addr(const struct str *rcpt)
{
	size_t n = strcspn(str_cstr(rcpt), " ");

	return n > INT_MAX ? INT_MAX : (int)n;
}

int
qlist_read(const char *queue_dir, const struct qlist_entry *q,
    struct queue_env *e, struct qstatus *st, struct str *err)
{
	struct str path = STR_INIT, why = STR_INIT;
	int rc = 1;

	memset(st, 0, sizeof(*st));
	qlist_entry_path(queue_dir, q->state, q->id, &path);
	if (queue_read_env(path.s, e, err) < 0) {
		/* Gone meanwhile (delivered or moved): not an error. */
		rc = access(path.s, F_OK) < 0 && errno == ENOENT ? 0 : -1;
		str_free(&path);
		return rc;
	}
	qstatus_path(queue_dir, q->id, &path);
	if (qstatus_read(path.s, e->nrcpt, st, &why) < 0) {
		/* Fall back to "all pending", as with no status file:
		 * showing a recipient too many is better than hiding one. */
		qstatus_free(st);
		st->nrcpt = e->nrcpt;
		st->rcpt = xcalloc(e->nrcpt ? e->nrcpt : 1, sizeof(*st->rcpt));
		str_copyf(err, "%s: status: %s", q->id, why.s);
	}
	str_free(&path);
	str_free(&why);
	return rc;
}

void
qlist_put_text(FILE *out, const char *p, size_t n, int lines)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 || c == 0x7f) &&
		    !(lines && (c == '\n' || c == '\t')))
			fprintf(out, "\\x%02x", c);
		else
			putc(c, out);
	}
}

/* when - the arrival time as mailq shows it. */
static void
when(const struct queue_env *e, const char *id, char *out, size_t size)
{
	time_t t = (time_t)((e->arrival_us ? e->arrival_us :
	    qid_time_us(id)) / 1000000);
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%a %b %e %H:%M:%S", &tm) == 0)
		snprintf(out, size, "?");
}

/* print_entry - one entry's block. */
static void
print_entry(FILE *out, const struct qlist_entry *q, const struct queue_env *e,
    const struct qstatus *st)
{
	char at[32];
	size_t i;

	when(e, q->id, at, sizeof at);
	fprintf(out, "%-*s%c %8llu %-20.20s  ", QID_LEN, q->id, q->mark,
	    (unsigned long long)e->size, at);
	if (e->sender.len > 0)
		qlist_put_text(out, e->sender.s, e->sender.len, 0);
	else
		fputs("MAILER-DAEMON", out);
	fputc('\n', out);
	for (i = 0; i < e->nrcpt; i++) {
		const struct qstatus_rcpt *r = i < st->nrcpt ? &st->rcpt[i] :
		    NULL;

		if (r != NULL && r->done != 0)
			continue;
		if (r != NULL && r->text.len > 0) {
			fprintf(out, "%*s(", QLIST_INDENT, "");
			qlist_put_text(out, r->text.s, r->text.len, 0);
			fputs(")\n", out);
		}
		fprintf(out, "%*s", QLIST_INDENT, "");
		qlist_put_text(out, e->rcpt[i].s,
		    (size_t)qlist_rcpt_addr(&e->rcpt[i]), 0);
		fputc('\n', out);
	}
	fputc('\n', out);
}

int
qlist_print(const char *queue_dir, FILE *out, struct str *err)
{
	struct qlist_entry *v = NULL;
	struct str why = STR_INIT;
	unsigned long long bytes = 0;
	size_t n = 0, i, shown = 0, corrupt;

	if (qlist_scan(queue_dir, qlist_states, qlist_nstates, &v, &n,
	    err) < 0) {
		int e = errno;

		free(v);
		errno = e;
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct queue_env e;
		struct qstatus st;
		int rc;

		str_clear(&why);
		rc = qlist_read(queue_dir, &v[i], &e, &st, &why);
		if (why.len > 0)
			log_warn("%s", why.s);
		if (rc <= 0)
			continue;
		if (shown++ == 0)
			fprintf(out, "-Queue ID-%*s --Size-- "
			    "----Arrival Time---- -Sender/Recipient-------\n",
			    QID_LEN - 10 + 1, "");
		print_entry(out, &v[i], &e, &st);
		bytes += e.size;
		queue_env_free(&e);
		qstatus_free(&st);
	}
	if (shown == 0)
		fprintf(out, "Mail queue is empty\n");
	if ((corrupt = qlist_count(queue_dir, QUEUE_CORRUPT)) > 0)
		fprintf(out, "-- %zu corrupt entr%s kept in %s/%s.\n", corrupt,
		    corrupt == 1 ? "y" : "ies", queue_dir, QUEUE_CORRUPT);
	if (shown > 0)
		fprintf(out, "-- %llu Kbytes in %zu Request%s.\n",
		    (bytes + 1023) / 1024, shown, shown == 1 ? "" : "s");
	free(v);
	str_free(&why);
	return 0;
}
