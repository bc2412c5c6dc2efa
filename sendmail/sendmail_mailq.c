/*
 * sendmail_mailq - list the queue as Postfix's mailq does (-bp).
 *
 * Entries of incoming/, active/, deferred/ and hold/ are read directly
 * (lib/queue.h) and listed oldest first.  That needs read access to
 * queue_dir, which ordinary users do not have on an installed system:
 * we then say so and exit EX_NOPERM rather than print an empty queue.
 * XXX A privileged "roostctl queue" service will list it for them.
 *
 * Output, per entry: ID, a mark ('*' active, '!' on hold), size, arrival
 * time and sender, then one recipient per line under the sender; a blank
 * line separates entries and a "-- N Kbytes in M Requests." line ends it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "cfg.h"
#include "log.h"
#include "queue.h"
#include "sendmail.h"

/* Column of the sender and the recipients. */
#define MAILQ_INDENT (QID_LEN + 1 + 1 + 8 + 1 + 20 + 2)

struct mailq_entry {
	char id[QID_LEN + 1];
	char mark;
	struct str path;
};

static const struct {
	const char *dir;
	char mark;
} mailq_dirs[] = {
	{ QUEUE_INCOMING, ' ' },
	{ QUEUE_ACTIVE, '*' },
	{ QUEUE_DEFERRED, ' ' },
	{ QUEUE_HOLD, '!' },
};

static int
by_id(const void *a, const void *b)
{
	const struct mailq_entry *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* scan - add the entries of one queue directory; -1 when unreadable. */
static int
scan(const char *queue, const char *dir, char mark,
    struct mailq_entry **v, size_t *n)
{
	struct str path = STR_INIT;
	struct dirent *de;
	DIR *d;

	str_copyf(&path, "%s/%s", queue, dir);
	if ((d = opendir(path.s)) == NULL) {
		str_free(&path);
		return errno == ENOENT ? 0 : -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!qid_valid(de->d_name))
			continue;	/* ".", "..", editor droppings */
		*v = xreallocarray(*v, *n + 1, sizeof(**v));
		memcpy((*v)[*n].id, de->d_name, QID_LEN + 1);
		(*v)[*n].mark = mark;
		(*v)[*n].path = (struct str)STR_INIT;
		str_copyf(&(*v)[*n].path, "%s/%s", path.s, de->d_name);
		(*n)++;
	}
	closedir(d);
	str_free(&path);
	return 0;
}

/* show - print one entry, after the header when first; 0, or -1 when it
 * vanished (delivered meanwhile) or is unreadable. */
static int
show(const struct mailq_entry *m, unsigned long long *bytes, int first)
{
	struct queue_env e;
	struct str err = STR_INIT;
	char when[32];
	struct tm tm;
	time_t t;
	size_t i;

	if (queue_read_env(m->path.s, &e, &err) < 0) {
		if (access(m->path.s, F_OK) < 0 && errno == ENOENT) {
			str_free(&err);
			return -1;
		}
		log_warn("%s", err.s);
		str_free(&err);
		return -1;
	}
	t = (time_t)((e.arrival_us ? e.arrival_us : qid_time_us(m->id)) /
	    1000000);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof when, "%a %b %e %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof when, "?");
	if (first)
		printf("-Queue ID-%*s --Size-- ----Arrival Time---- "
		    "-Sender/Recipient-------\n", QID_LEN - 10 + 1, "");
	printf("%-*s%c %8llu %-20.20s  %s\n", QID_LEN, m->id, m->mark,
	    (unsigned long long)e.size, when,
	    e.sender.len ? e.sender.s : "MAILER-DAEMON");
	/* XXX Per-recipient "(reason)" lines come with the delivery
	 * work's status records. */
	for (i = 0; i < e.nrcpt; i++) {
		const char *r = str_cstr(&e.rcpt[i]);

		printf("%*s%.*s\n", MAILQ_INDENT, "", (int)strcspn(r, " "), r);
	}
	printf("\n");
	*bytes += e.size;
	queue_env_free(&e);
	return 0;
}

int
sendmail_mailq(const struct sendmail_opts *o)
{
	struct mailq_entry *v = NULL;
	struct str queue = STR_INIT;
	unsigned long long bytes = 0;
	size_t n = 0, i, shown = 0;

	(void)o;
	sendmail_path(cfg_str("queue_dir"), &queue);
	if (access(queue.s, R_OK | X_OK) < 0)
		sendmail_fatal(errno == ENOENT ? EX_CONFIG : EX_NOPERM,
		    "cannot read the queue in %s: %s", queue.s,
		    strerror(errno));
	for (i = 0; i < sizeof mailq_dirs / sizeof mailq_dirs[0]; i++)
		if (scan(queue.s, mailq_dirs[i].dir, mailq_dirs[i].mark, &v,
		    &n) < 0)
			sendmail_fatal(errno == EACCES ? EX_NOPERM : EX_IOERR,
			    "cannot read the queue in %s/%s: %s", queue.s,
			    mailq_dirs[i].dir, strerror(errno));
	if (n > 0)
		qsort(v, n, sizeof(*v), by_id);
	for (i = 0; i < n; i++)
		if (show(&v[i], &bytes, shown == 0) == 0)
			shown++;
	if (shown == 0)
		printf("Mail queue is empty\n");
	else
		printf("-- %llu Kbytes in %zu Request%s.\n",
		    (bytes + 1023) / 1024, shown, shown == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		str_free(&v[i].path);
	free(v);
	str_free(&queue);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}
