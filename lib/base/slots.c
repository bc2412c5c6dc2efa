/*
 * slots - see slots.h.  Slot files are DIR/<key>.<n>, the key escaped
 * like store user names so that no key can name another path.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
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
	unsigned n;
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
