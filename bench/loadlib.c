/*
 * loadlib - see loadlib.h.
 */
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loadlib.h"

void
load_name(const char *pattern, long n, long k, struct str *out)
{
	const char *pct = n > 0 ? strstr(pattern, "%d") : NULL;

	str_clear(out);
	if (pct == NULL) {
		str_cats(out, pattern);
		return;
	}
	str_catb(out, pattern, (size_t)(pct - pattern));
	str_catf(out, "%ld", k % n + 1);
	str_cats(out, pct + 2);
}

int
load_dial(const char *host, const char *port)
{
	struct addrinfo hints, *res;
	int fd;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}
