/*
 * slots - see slots.h.  Slot files are DIR/<key>.<n>, the key escaped
 * like store user names so that no key can name another path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slots.h"

void
slot_key_path(const char *dir, const char *key, struct str *out)
{
	size_t i;

	str_copyf(out, "%s/", dir);
	for (i = 0; key[i] != '\0' && i < 255; i++) {
		unsigned char c = (unsigned char)key[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr("._+@-:", c) != NULL && i > 0))
			str_catc(out, (char)c);
		else
			str_catf(out, "%%%02X", c);
	}
}

int
slot_take(const char *dir, const char *key, unsigned limit,
    struct str *err)
{
	return slot_take_at(AT_FDCWD, dir, key, limit, err);
}

int
slot_take_at(int dfd, const char *dir, const char *key, unsigned limit,
    struct str *err)
{
	struct str path = STR_INIT;
	size_t base;
	unsigned n, stale = 0;
	int fd;

	slot_key_path(dir, key, &path);
	base = path.len;
	for (n = 0; n < limit; n++) {
		str_truncate(&path, base);
		str_catf(&path, ".%u", n);
		fd = openat(dfd, path.s,
		    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			str_copyf(err, "%s: %s", path.s, strerror(errno));
			str_free(&path);
			return -2;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			struct stat sb;

			/* A sweeper unlinked it between our open and our
			 * lock: that file counts for no one; take the path
			 * afresh. */
			if (fstat(fd, &sb) == 0 && sb.st_nlink == 0 &&
			    stale++ < 8) {
				close(fd);
				n--;
				continue;
			}
			str_free(&path);
			return fd;
		}
		close(fd);
		if (errno != EWOULDBLOCK) {
			str_copyf(err, "flock %s: %s", path.s,
			    strerror(errno));
			str_free(&path);
			return -2;
		}
	}
	str_free(&path);
	return -1;
}

/* slot_name - "<key>.<digits>": a slot file (popd's ".login" files and
 * anything else are left alone). */
static bool
slot_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && dot != name && dot[1] != '\0' &&
	    strspn(dot + 1, "0123456789") == strlen(dot + 1);
}

int
slot_sweep(int dfd)
{
	DIR *d;
	struct dirent *e;
	int dup_fd = dup(dfd), n = 0;

	if (dup_fd < 0 || (d = fdopendir(dup_fd)) == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return -1;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		int fd;

		if (!slot_name(e->d_name))
			continue;
		fd = openat(dfd, e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK);
		if (fd < 0)
			continue;
		/* free: unlink it while we hold it, so that a taker that
		 * opened it meanwhile sees it gone (slot_take_at) */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    unlinkat(dfd, e->d_name, 0) == 0)
			n++;
		close(fd);
	}
	closedir(d);
	return n;
}
