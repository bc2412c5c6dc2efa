/*
 * cleanup_session - one client of the queue writer: who it is, then
 * transactions until it hangs up; the protocol is in cleanup.h.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "cleanup.h"
#include "log.h"
#include "priv.h"
#include "rec.h"
#include "session.h"
#include "slots.h"
#include "sock.h"

#define CHUNK_LINE_MAX 32

enum step { STEP_NEXT, STEP_HANGUP };

/* identify - trusted callers may describe the SMTP session; anyone else
 * is a local user, known by login name. */
static int
identify(int fd, struct cleanup_msg *m)
{
	struct str err = STR_INIT;
	struct passwd *pw;
	uid_t suid;
	gid_t sgid, gid;
	pid_t pid;
	char *comma;

	if (sock_peer_cred(fd, &m->uid, &gid, &pid) < 0) {
		log_warn("peer credentials: %s", strerror(errno));
		return -1;
	}
	/* the embedded layout runs every daemon as one user: ours; qmgr
	 * submits delivery reports */
	m->trusted = m->uid == 0 || m->uid == geteuid() ||
	    (priv_lookup(var_smtpd_user, &suid, &sgid, &err) == 0 &&
	    m->uid == suid) ||
	    (priv_lookup(var_qmgr_user, &suid, &sgid, &err) == 0 &&
	    m->uid == suid);
	m->reporter = m->uid == 0 || m->uid == geteuid() ||
	    (priv_lookup(var_qmgr_user, &suid, &sgid, &err) == 0 &&
	    m->uid == suid);
	str_free(&err);
	pw = getpwuid(m->uid);
	if (pw == NULL) {
		str_copyf(&m->login, "%u", (unsigned)m->uid);
		return 0;
	}
	str_copys(&m->login, pw->pw_name);
	str_copys(&m->gecos, pw->pw_gecos ? pw->pw_gecos : "");
	comma = strchr(m->gecos.s, ',');
	if (comma != NULL)
		str_truncate(&m->gecos, (size_t)(comma - m->gecos.s));
	return 0;
}

/* admit - a local user's slot of cleanup_user_sessions: its fd, or -1
 * when all are taken (-2, a system error, lets the session go on). */
static int
admit(const struct cleanup_msg *m)
{
	struct str dir = STR_INIT, key = STR_INIT, err = STR_INIT;
	int fd;

	str_copyf(&dir, "%s/" CLEANUP_SLOTS, var_run_dir);
	str_copyf(&key, "uid:%u", (unsigned)m->uid);
	fd = slot_take(dir.s, key.s, (unsigned)var_cleanup_user_sessions,
	    &err);
	if (fd == -2)
		log_warn("session limit: %s", err.s);
	else if (fd == -1)
		log_info("refused uid=%u login=%s: too many sessions",
		    (unsigned)m->uid, m->login.s);
	str_free(&dir);
	str_free(&key);
	str_free(&err);
	return fd;
}

static void
answer(struct session *ss, struct cleanup_msg *m)
{
	attr_puts(&ss->b, "status", m->rc == CLEANUP_OK ? "ok" :
	    m->rc == CLEANUP_FAIL ? "fail" : "tempfail");
	if (m->rc != CLEANUP_OK)
		attr_puts(&ss->b, "reason", m->reason.s);
	else if (m->id[0] && !m->tmp_path.len)
		attr_puts(&ss->b, "queue_id", m->id);
	attr_end(&ss->b);
}

static void
refused(struct cleanup_msg *m)
{
	log_info("refused from=<%s> nrcpt=%zu reason=%s", m->sender.s ?
	    m->sender.s : "", m->rcpt.n, m->reason.s);
}

/* content - the chunks up to "0\n" (-1: hang up, 1: aborted). */
static int
content(struct session *ss, struct cleanup_msg *m, struct str *chunk)
{
	enum buf_status st;
	unsigned long long n, total = 0;
	char *end;

	for (;;) {
		st = buf_getline(&ss->b, &ss->line, CHUNK_LINE_MAX);
		if (st != BUF_OK) {
			log_info("connection lost during content%s",
			    st == BUF_TIMEOUT ? " (timeout)" : "");
			return -1;
		}
		if (str_eqs(&ss->line, "-\n"))
			return 1;
		if (ss->line.s[0] < '0' || ss->line.s[0] > '9') {
			log_warn("protocol error: bad chunk line");
			return -1;
		}
		errno = 0;
		n = strtoull(ss->line.s, &end, 10);
		if (errno != 0 || *end != '\n' || n > REC_MAX) {
			log_warn("protocol error: bad chunk length");
			return -1;
		}
		if (n == 0)
			return 0;
		total += n;
		if (total > (unsigned long long)var_message_size_limit +
		    CLEANUP_OVER_MAX) {
			/* answered now, then hung up on: a client that
			 * sees its write fail reads this (lib/mail/submit.c) */
			log_warn("message data over %llu bytes: hanging up",
			    (unsigned long long)var_message_size_limit +
			    CLEANUP_OVER_MAX);
			cleanup_fail(m, CLEANUP_FAIL, "5.3.4 message too big");
			answer(ss, m);
			(void)buf_flush(&ss->b);
			return -1;
		}
		str_clear(chunk);
		st = buf_read_exact(&ss->b, chunk, (size_t)n);
		if (st != BUF_OK) {
			log_info("connection lost during content%s",
			    st == BUF_TIMEOUT ? " (timeout)" : "");
			return -1;
		}
		cleanup_content(m, chunk->s, chunk->len);
	}
}

static enum step
transaction(struct session *ss, struct cleanup_msg *m,
    const struct attrs *req, struct str *chunk)
{
	int rc;

	cleanup_msg_reset(m);
	if (cleanup_envelope(m, req) == CLEANUP_OK)
		(void)cleanup_queue_open(m);
	answer(ss, m);
	if (m->rc != CLEANUP_OK) {
		refused(m);
		return STEP_NEXT;
	}
	rc = content(ss, m, chunk);
	if (rc != 0) {
		cleanup_queue_discard(m);
		if (rc > 0)
			log_info("aborted id=%s", m->id);
		return rc > 0 ? STEP_NEXT : STEP_HANGUP;
	}
	cleanup_content_end(m);
	if (m->rc == CLEANUP_OK)
		(void)cleanup_queue_commit(m);
	else
		cleanup_queue_discard(m);
	answer(ss, m);
	if (m->rc != CLEANUP_OK) {
		refused(m);
		return STEP_NEXT;
	}
	if (m->again)
		return STEP_NEXT;
	log_info("queued id=%s from=<%s> nrcpt=%zu size=%llu", m->id,
	    m->sender.s ? m->sender.s : "", m->rcpt.n,
	    (unsigned long long)m->size);
	/* the answer goes out before the wake-up: the client waits on it */
	(void)buf_flush(&ss->b);
	cleanup_trigger();
	return STEP_NEXT;
}

void
cleanup_session(int fd, const struct server_listener *l, void *ctx)
{
	struct session ss;
	struct cleanup_msg m;
	struct attrs req = ATTRS_INIT;
	struct str err = STR_INIT, chunk = STR_INIT;
	const char *r;
	enum buf_status st;
	int slot = -2;	/* -2: not counted */

	(void)ctx;
	memset(&m, 0, sizeof(m));
	m.fd = -1;
	session_open(&ss, fd, l->role, var_cleanup_timeout);
	if (identify(fd, &m) < 0)
		goto out;
	attr_greet(&ss.b, CLEANUPPROTO_NAME, CLEANUPPROTO_VERSION);
	if (!m.trusted)
		slot = admit(&m);
	for (;;) {
		st = attr_read(&ss.b, &req, (size_t)var_attr_list_limit,
		    &err);
		if (st != BUF_OK) {
			if (err.len > 0)
				log_warn("protocol error: %s", err.s);
			break;
		}
		r = attr_get(&req, "request");
		if (slot == -1) {
			/* answered once the request is in, so that the
			 * client, still writing it, is not cut off */
			attr_puts(&ss.b, "status", "tempfail");
			attr_puts(&ss.b, "reason", "4.3.2 too many "
			    "submissions in progress from this user");
			attr_end(&ss.b);
			break;
		}
		if (r == NULL || strcmp(r, "submit") != 0) {
			/* perhaps a newer client: say why, then hang up */
			attr_puts(&ss.b, "status", "tempfail");
			attr_puts(&ss.b, "reason", "4.3.0 unknown request");
			attr_end(&ss.b);
			log_warn("protocol error: unknown request");
			break;
		}
		if (transaction(&ss, &m, &req, &chunk) == STEP_HANGUP)
			break;
	}
out:
	cleanup_queue_discard(&m);
	cleanup_msg_reset(&m);
	attrs_free(&m.rcpt);
	attrs_free(&m.facts);
	str_free(&m.sender);
	str_free(&m.params);
	str_free(&m.hdr);
	str_free(&m.out);
	str_free(&m.reason);
	str_free(&m.tmp_path);
	str_free(&m.login);
	str_free(&m.gecos);
	str_free(&m.report_id);
	attrs_free(&req);
	str_free(&err);
	str_free(&chunk);
	if (slot >= 0)
		close(slot);
	session_close(&ss);
}
