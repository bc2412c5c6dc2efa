/*
 * sendmail_submit - queue the message on stdin through cleanup (-bm),
 * and ask qmgr to scan the queue (-q).
 *
 * The envelope is what the command line says: the sender of -f (none:
 * cleanup records the caller's login name, the only sender it trusts
 * from a local user anyway), the recipients given as arguments, and
 * flags=rcpt_from_headers for -t (cleanup reads To/Cc/Bcc and removes
 * Bcc).
 *
 * The input is read before cleanup is called: cron streams a job's
 * output as the job runs, and a slow job must neither hold a cleanup
 * worker nor run into cleanup_timeout.  Only what is over
 * message_size_limit is not held: we then connect, send what we have
 * and stream the rest, so cleanup refuses it with its own reason (no
 * size is limited here).
 */
#include <errno.h>
#include <string.h>
#include <sysexits.h>

#include "attr.h"
#include "cfg.h"
#include "fd.h"
#include "log.h"
#include "sendmail.h"
#include "sock.h"
#include "submit.h"
#include "trigger.h"

#define SENDMAIL_CHUNK 65536
#define SENDMAIL_CONNECT_MS 10000
#define QMGR_CONNECT_MS 5000

/* exit_of - the sysexits code of a failed submission. */
static int
exit_of(enum submit_rc rc)
{
	return rc == SUBMIT_PERM ? EX_DATAERR : EX_TEMPFAIL;
}

static void __attribute__((noreturn))
fail(struct submit *s, enum submit_rc rc)
{
	sendmail_fatal(exit_of(rc), "message not queued: %s",
	    s->reason.len ? s->reason.s : "cleanup gave no reason");
}

/* envelope - the request attributes of the command line. */
static void
envelope(const struct sendmail_opts *o, struct attrs *a)
{
	struct str v = STR_INIT, list = STR_INIT;
	const char *p;
	size_t i, n;

	if (o->sender != NULL) {
		sendmail_sender(o->sender, &v);
		attrs_add(a, "sender", v.s ? v.s : "", v.len);
	}
	for (i = 0; i < o->nrcpt; i++) {
		str_clear(&list);
		n = sendmail_rcpt_split(o->rcpt[i], &list);
		for (p = list.s; n > 0; n--, p += strlen(p) + 1)
			attrs_add(a, "rcpt", p, strlen(p));
	}
	if (o->rcpt_from_headers)
		attrs_add(a, "flags", "rcpt_from_headers", 17);
	if (o->fullname != NULL)
		attrs_add(a, "fullname", o->fullname, strlen(o->fullname));
	attrs_add(a, "proto", "LOCAL", 5);
	str_free(&v);
	str_free(&list);
}

int
sendmail_submit(const struct sendmail_opts *o)
{
	struct submit s;
	struct attrs env = ATTRS_INIT;
	struct sendmail_filter f;
	struct str path = STR_INIT, err = STR_INIT, out = STR_INIT;
	enum submit_rc rc;
	char in[SENDMAIL_CHUNK];
	ssize_t n;
	size_t hold;
	int done = 0, connected = 0;

	envelope(o, &env);
	if (attr_count(&env, "rcpt") == 0 && !o->rcpt_from_headers)
		sendmail_fatal(EX_USAGE, "no recipients specified (give "
		    "addresses or -t)");
	if (sendmail_socket("cleanup_listen", &path, &err) < 0)
		sendmail_fatal(EX_CONFIG, "cleanup_listen: %s", err.s);
	hold = (size_t)var_message_size_limit;

	sendmail_filter_init(&f, o->dot_ends);
	while (!done) {
		n = fd_read(0, in, sizeof in);
		if (n < 0)
			sendmail_fatal(EX_IOERR, "message not queued: "
			    "reading standard input: %s", strerror(errno));
		if (n == 0) {
			sendmail_filter_end(&f, &out);
			done = 1;
		} else
			done = sendmail_filter_put(&f, in, (size_t)n, &out);
		if (!connected && (done || out.len > hold)) {
			if ((rc = submit_open(&s, path.s,
			    SENDMAIL_CONNECT_MS)) != SUBMIT_OK ||
			    (rc = submit_begin(&s, &env)) != SUBMIT_OK)
				fail(&s, rc);
			connected = 1;
		}
		if (connected && out.len > 0 &&
		    (done || out.len >= SENDMAIL_CHUNK)) {
			if ((rc = submit_data(&s, out.s, out.len)) !=
			    SUBMIT_OK)
				fail(&s, rc);
			str_clear(&out);
		}
	}
	if ((rc = submit_end(&s)) != SUBMIT_OK)
		fail(&s, rc);
	log_debug("queued as %s", s.queue_id);
	submit_close(&s);
	attrs_free(&env);
	str_free(&path);
	str_free(&err);
	str_free(&out);
	return EX_OK;
}

int
sendmail_flush(const struct sendmail_opts *o)
{
	struct str run = STR_INIT, err = STR_INIT;

	(void)o;
	sendmail_path(var_run_dir, &run);
	/* -q as in Postfix: scan incoming, and everything deferred is due. */
	if (trigger_qmgr(var_qmgr_listen, run.s, TRIGGER_INCOMING TRIGGER_FLUSH,
	    QMGR_CONNECT_MS, 0, &err) < 0)
		sendmail_fatal(EX_UNAVAILABLE, "cannot reach the queue "
		    "manager: %s", err.s);
	log_debug("queue manager triggered");
	str_free(&run);
	str_free(&err);
	return EX_OK;
}
