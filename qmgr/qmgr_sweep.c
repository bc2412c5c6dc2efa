/*
 * qmgr_sweep - the queue's tmp/ holds a message only while cleanup
 * writes it; a file older than queue_tmp_max_age is what a cleanup that
 * died mid-message left (nothing was answered 250 for it: the 250 comes
 * after the rename out of tmp/).  qmgr removes such files at start and
 * once a day.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "qmgr.h"
#include "queue.h"

void
qmgr_sweep_tmp(uint64_t max_age_s)
{
	struct str dir = STR_INIT, path = STR_INIT;
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;
	unsigned n = 0;
	DIR *d;

	str_copyf(&dir, "%s/" QUEUE_TMP, qmgr_conf.queue_dir);
	if ((d = opendir(dir.s)) == NULL) {
		log_warn("sweep: opendir %s: %s", dir.s, strerror(errno));
		str_free(&dir);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		str_copyf(&path, "%s/%s", dir.s, e->d_name);
		if (lstat(path.s, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_mtime > now || (uint64_t)(now - st.st_mtime) <=
		    max_age_s)
			continue;
		if (unlink(path.s) < 0 && errno != ENOENT) {
			log_warn("sweep: unlink %s: %s", path.s,
			    strerror(errno));
			continue;
		}
		log_info("sweep: removed %s/%s, left %llds ago by a cleanup "
		    "that did not finish", QUEUE_TMP, e->d_name,
		    (long long)(now - st.st_mtime));
		n++;
	}
	closedir(d);
	if (n > 0)
		log_info("sweep: %u stale files removed from %s", n, QUEUE_TMP);
	str_free(&dir);
	str_free(&path);
}
