/*
 * cleanup_report - a delivery report is queued once however often qmgr
 * submits it (report_id=, lib/mail/qstatus.h): qmgr records a report
 * before submitting it and resubmits one it has no answer for, so a
 * crash of either side between our commit and its record must not make
 * a second copy.
 *
 * The claim is queue_dir/reports/<report ID>, created with O_EXCL and
 * holding our queue ID, made durable before the entry's rename into
 * incoming/.  A later submission of the same report finds it and gets
 * the first queue ID back; if the first commit died between the two
 * steps, its complete file still waits in tmp/ and is committed now.
 * An empty or unreadable claim (a crash before its write reached the
 * disk) was never followed by a commit, so it is taken over.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "fd.h"
#include "log.h"
#include "queue.h"

#include "cleanup.h"

#define REPORT_ID_MAX 64

bool
cleanup_report_id_valid(const char *s)
{
	const char *dot = strchr(s, '.');
	char id[QID_LEN + 1];
	size_t n = strlen(s);

	if (dot == NULL || dot - s != QID_LEN || n > REPORT_ID_MAX ||
	    n == QID_LEN + 1)
		return false;
	memcpy(id, s, QID_LEN);
	id[QID_LEN] = '\0';
	if (!qid_valid(id))
		return false;
	for (s = dot + 1; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* earlier - the queue ID in an existing claim, or "" when it holds
 * none. */
static void
earlier(int fd, char id[QID_LEN + 1])
{
	char buf[QID_LEN + 2];
	ssize_t n = pread(fd, buf, sizeof buf, 0);

	id[0] = '\0';
	if (n == QID_LEN + 1 && buf[QID_LEN] == '\n') {
		memcpy(id, buf, QID_LEN);
		id[QID_LEN] = '\0';
		if (!qid_valid(id))
			id[0] = '\0';
	}
}

/* finish_earlier - commit id if its file still waits in tmp/: 0 when
 * it is queued (now or before), -1 on an error. */
static int
finish_earlier(const char *id)
{
	struct str from = STR_INIT, to = STR_INIT;
	int rc = 0;

	str_copyf(&from, "%s/" QUEUE_TMP "/%s", var_queue_dir, id);
	str_copyf(&to, "%s/" QUEUE_INCOMING "/%s", var_queue_dir, id);
	if (rename(from.s, to.s) == 0) {
		log_info("report queued as %s committed now", id);
		rc = queue_fsync_dir(var_queue_dir, QUEUE_INCOMING);
	} else if (errno != ENOENT)
		rc = -1;
	str_free(&from);
	str_free(&to);
	return rc;
}

int
cleanup_report_claim(struct cleanup_msg *m)
{
	struct str path = STR_INIT, dir = STR_INIT;
	char line[QID_LEN + 2], first[QID_LEN + 1];
	int fd, rc = -1;

	str_copyf(&dir, "%s/" QUEUE_REPORTS, var_queue_dir);
	str_copyf(&path, "%s/%s", dir.s, m->report_id.s);
	fd = open(path.s, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0640);
	if (fd < 0 && errno == EEXIST) {
		fd = open(path.s, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			goto out;
		earlier(fd, first);
		if (first[0] != '\0') {
			if (finish_earlier(first) < 0)
				goto out;
			log_info("report %s was queued as %s: not again",
			    m->report_id.s, first);
			memcpy(m->id, first, sizeof first);
			rc = 1;
			goto out;
		}
		if (ftruncate(fd, 0) < 0)
			goto out;
	}
	if (fd < 0)
		goto out;
	snprintf(line, sizeof line, "%s\n", m->id);
	if (pwrite(fd, line, QID_LEN + 1, 0) != QID_LEN + 1 || fsync(fd) < 0 ||
	    queue_fsync_dir(var_queue_dir, QUEUE_REPORTS) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		log_error("%s: %s", path.s, strerror(errno));
	if (fd >= 0)
		fd_close(fd);
	str_free(&path);
	str_free(&dir);
	return rc;
}
