/*
 * authd_ticket - one-time tickets that carry a login from the
 * pre-authentication process (imap-login, pop3-login) to the post-
 * authentication daemon (imapd, popd), so that the daemon with store
 * access never takes a user name on the word of the process that
 * spoke to the stranger.
 *
 * A ticket is 128 random bits, written as 32 hex digits; it is a file
 * run_dir/authd/tickets/<hex> holding "<service> <user>", in a folder
 * only authd's account can open, so every worker of the pool sees it.
 * Redeeming reads the file and unlinks it: of two redeemers only the
 * one whose unlink succeeds gets the user.  A ticket is good for
 * TICKET_TTL seconds; stale ones are swept now and then at issue.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "authd.h"
#include "cfg.h"
#include "fd.h"
#include "log.h"

#define TICKET_TTL 60
#define TICKET_FILE_MAX 512

static void
dir_path(struct str *out)
{
	str_copyf(out, "%s/authd/tickets", var_run_dir);
}

bool
authd_ticket_ok(const char *hex)
{
	size_t n = strspn(hex, "0123456789abcdef");

	return n == AUTHD_TICKET_HEX && hex[n] == '\0';
}

void
authd_ticket_prepare(uid_t uid, gid_t gid, bool chown_it)
{
	struct str dir = STR_INIT;

	dir_path(&dir);
	if (mkdir(dir.s, 0700) < 0 && errno != EEXIST)
		log_fatal("mkdir %s: %s", dir.s, strerror(errno));
	if (chown_it && chown(dir.s, uid, gid) < 0)
		log_fatal("chown %s: %s", dir.s, strerror(errno));
	str_free(&dir);
}

/* sweep - remove tickets older than TICKET_TTL (never redeemed). */
static void
sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);
	int dfd;

	if (d == NULL)
		return;
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		struct stat sb;

		if (!authd_ticket_ok(e->d_name) ||
		    fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (now - sb.st_mtime > TICKET_TTL || sb.st_mtime > now + 5)
			(void)unlinkat(dfd, e->d_name, 0);
	}
	closedir(d);
}

int
authd_ticket_issue(const char *service, const char *user,
    char hex[AUTHD_TICKET_HEX + 1])
{
	unsigned char r[AUTHD_TICKET_HEX / 2];
	struct str path = STR_INIT, body = STR_INIT;
	int fd, rc = -1;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		log_error("ticket: getrandom: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	dir_path(&path);
	if (r[0] < 8)	/* one issue in 32 */
		sweep(path.s);
	str_catf(&path, "/%s", hex);
	str_copyf(&body, "%s %s", service, user);
	fd = open(path.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 || fd_write_all(fd, body.s, body.len) < 0)
		log_error("ticket: %s: %s", path.s, strerror(errno));
	else
		rc = 0;
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		(void)unlink(path.s);
	str_free(&path);
	str_free(&body);
	return rc;
}

int
authd_ticket_redeem(const char *service, const char *hex, struct str *user)
{
	struct str path = STR_INIT;
	char body[TICKET_FILE_MAX + 1];
	struct stat sb;
	ssize_t n = -1;
	size_t sl = strlen(service);
	int fd, rc = -1;

	if (!authd_ticket_ok(hex))
		return -1;
	dir_path(&path);
	str_catf(&path, "/%s", hex);
	fd = open(path.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		n = read(fd, body, TICKET_FILE_MAX);
	if (fd >= 0)
		close(fd);
	/* Only the redeemer whose unlink wins may use it. */
	if (n > 0 && unlink(path.s) == 0 &&
	    time(NULL) - sb.st_mtime <= TICKET_TTL) {
		body[n] = '\0';
		if ((size_t)n > sl + 1 && memcmp(body, service, sl) == 0 &&
		    body[sl] == ' ') {
			str_copys(user, body + sl + 1);
			rc = 0;
		}
	}
	str_free(&path);
	return rc;
}
