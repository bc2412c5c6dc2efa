/*
 * ready - s6 readiness notification; see ready.h.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "fd.h"
#include "ready.h"

int
ready_notify(int fd)
{
	int rc;

	if (fd < 0)
		return 0;
	rc = fd_write_all(fd, "\n", 1);
	fd_close(fd);
	return rc;
}

int
ready_fd_from_file(const char *path)
{
	char buf[16];
	ssize_t n;
	long v;
	char *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = fd_read(fd, buf, sizeof buf - 1);
	fd_close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || v < 0 || v > 1024)
		return -1;
	return (int)v;
}
