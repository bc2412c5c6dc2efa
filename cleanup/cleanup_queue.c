/*
 * cleanup_queue - writing one queue entry: tmp/ID with O_EXCL, records
 * as in lib/mail/rec.h, then the commit (fsync, rename into incoming/, fsync
 * of incoming/).  roost-queue(5) has the states.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cfg.h"
#include "cleanup.h"
#include "fd.h"
#include "listen.h"
#include "log.h"
#include "priv.h"
#include "queue.h"
#include "rec.h"
#include "sock.h"
#include "trigger.h"

#define DATA_REC_MAX 65536	/* rec.h: chunks of at most 64 KiB */
#define OUT_FLUSH (256 * 1024)

/* io_fail - op on path failed (errno): log it and fail the message
 * with reason, or with 4.3.1 when the disk is full, which smtpd answers
 * 452 4.3.1 (RFC 3463). */
static void
io_fail(struct cleanup_msg *m, const char *op, const char *path,
    const char *reason)
{
	int e = errno;

	log_error("%s %s: %s", op, path, strerror(e));
	cleanup_fail(m, CLEANUP_TEMP, "%s", e == ENOSPC || e == EDQUOT ?
	    "4.3.1 insufficient system storage" : reason);
}

enum cleanup_rc
cleanup_queue_open(struct cleanup_msg *m)
{
	struct timeval tv;
	int tries;

	gettimeofday(&tv, NULL);
	m->arrival_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	for (tries = 0; tries < 10; tries++) {
		qid_new(m->id);
		str_copyf(&m->tmp_path, "%s/" QUEUE_TMP "/%s",
		    var_queue_dir, m->id);
		/* 0640: qmgr reads it through the queue's group */
		m->fd = open(m->tmp_path.s, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0640);
		if (m->fd >= 0 || errno != EEXIST)
			break;
	}
	if (m->fd < 0) {
		io_fail(m, "create", m->tmp_path.s,
		    "4.3.0 cannot create queue file");
		str_clear(&m->tmp_path);
		return CLEANUP_TEMP;
	}
	return CLEANUP_OK;
}

static void
flush_out(struct cleanup_msg *m)
{
	if (m->out.len == 0 || m->fd < 0)
		return;
	if (m->rc == CLEANUP_OK && fd_write_all(m->fd, m->out.s,
	    m->out.len) < 0) {
		io_fail(m, "write", m->tmp_path.s,
		    "4.3.0 queue file write error");
	}
	str_clear(&m->out);
}

void
cleanup_queue_envelope(struct cleanup_msg *m)
{
	struct str t = STR_INIT;
	size_t i;

	rec_put(&m->out, REC_VERSION, REC_VERSION_TEXT,
	    strlen(REC_VERSION_TEXT));
	str_copyf(&t, "%llu", (unsigned long long)m->arrival_us);
	rec_put(&m->out, REC_TIME, t.s, t.len);
	for (i = 0; i < m->facts.n; i++) {
		str_copyf(&t, "%s=", m->facts.v[i].name);
		str_cat(&t, &m->facts.v[i].value);
		rec_put(&m->out, REC_ATTR, t.s, t.len);
	}
	rec_put(&m->out, REC_SENDER, m->sender.s, m->sender.len);
	rec_put(&m->out, REC_PARAMS, m->params.s, m->params.len);
	for (i = 0; i < m->rcpt.n; i++)
		rec_put(&m->out, REC_RCPT, m->rcpt.v[i].value.s,
		    m->rcpt.v[i].value.len);
	rec_put(&m->out, REC_CONTENT, "", 0);
	str_free(&t);
}

void
cleanup_queue_data(struct cleanup_msg *m, const void *p, size_t n)
{
	const char *c = p;
	size_t k;

	if (m->rc != CLEANUP_OK)
		return;
	while (n > 0) {
		k = n < DATA_REC_MAX ? n : DATA_REC_MAX;
		rec_put(&m->out, REC_DATA, c, k);
		c += k;
		n -= k;
		if (m->out.len >= OUT_FLUSH)
			flush_out(m);
	}
}

/* fsync_dir - make a rename in dir durable. */
static int
fsync_dir(const char *dir)
{
	int fd, rc;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	fd_close(fd);
	return rc;
}

enum cleanup_rc
cleanup_queue_commit(struct cleanup_msg *m)
{
	struct str dst = STR_INIT;

	rec_put(&m->out, REC_END, "", 0);
	flush_out(m);
	if (m->rc == CLEANUP_OK && fsync(m->fd) < 0) {
		io_fail(m, "fsync", m->tmp_path.s,
		    "4.3.0 queue file write error");
	}
	if (m->rc != CLEANUP_OK) {
		cleanup_queue_discard(m);
		return m->rc;
	}
	fd_close(m->fd);
	m->fd = -1;
	if (m->report_id.len > 0) {
		int claim = cleanup_report_claim(m);

		if (claim != 0) {
			if (claim < 0)
				cleanup_fail(m, CLEANUP_TEMP,
				    "4.3.0 cannot record the report");
			m->again = claim > 0;
			cleanup_queue_discard(m);
			return m->rc;
		}
	}
	str_copyf(&dst, "%s/" QUEUE_INCOMING "/%s", var_queue_dir,
	    m->id);
	if (rename(m->tmp_path.s, dst.s) < 0) {
		io_fail(m, "rename", m->tmp_path.s,
		    "4.3.0 cannot commit queue file");
		cleanup_queue_discard(m);
		str_free(&dst);
		return m->rc;
	}
	str_clear(&m->tmp_path);
	str_copyf(&dst, "%s/" QUEUE_INCOMING, var_queue_dir);
	if (fsync_dir(dst.s) < 0) {
		/* The entry is in incoming/ but may not survive a crash;
		 * a duplicate after a retry beats a lost message. */
		io_fail(m, "fsync", dst.s,
		    "4.3.0 cannot commit queue file");
	}
	str_free(&dst);
	return m->rc;
}

void
cleanup_queue_discard(struct cleanup_msg *m)
{
	if (m->fd >= 0) {
		fd_close(m->fd);
		m->fd = -1;
	}
	if (m->tmp_path.len > 0 && unlink(m->tmp_path.s) < 0 &&
	    errno != ENOENT)
		log_warn("unlink %s: %s", m->tmp_path.s,
		    strerror(errno));
	str_clear(&m->tmp_path);
	str_clear(&m->out);
}

void
cleanup_trigger(void)
{
	struct str err = STR_INIT;

	/* A lost wake-up costs latency, never mail: give up quickly. */
	if (trigger_qmgr(var_qmgr_listen, var_run_dir, TRIGGER_INCOMING, 100, 0,
	    &err) < 0)
		log_debug("qmgr trigger: %s", err.s);
	str_free(&err);
}
