/*
 * sock - socket helpers; see sock.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd.h"
#include "sock.h"

int
sock_tcp_listen(const char *host, unsigned port, int backlog, struct str *err)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	int fd = -1, one = 1, rc, saved;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof portstr, "%u", port);
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		str_copyf(err, "cannot resolve %s: %s", host, gai_strerror(rc));
		errno = EINVAL;
		return -1;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		goto fail;
	if (res->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
		goto fail;
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, backlog) < 0)
		goto fail;
	freeaddrinfo(res);
	return fd;
fail:
	saved = errno;
	str_copyf(err, "cannot listen on %s%s%s:%u: %s",
	    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
	    port, strerror(saved));
	if (fd >= 0)
		fd_close(fd);
	freeaddrinfo(res);
	errno = saved;
	return -1;
}

static int
fill_sun(struct sockaddr_un *sun, const char *path, struct str *err)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		str_copyf(err, "socket path %s is too long", path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

int
sock_unix_listen(const char *path, mode_t mode, int backlog, struct str *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, saved;

	if (fill_sun(&sun, path, err) < 0)
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			str_copyf(err, "%s exists and is not a socket", path);
			errno = EEXIST;
			return -1;
		}
		(void)unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    chmod(path, mode) < 0 || listen(fd, backlog) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	str_copyf(err, "cannot listen on unix:%s: %s", path, strerror(saved));
	if (fd >= 0)
		fd_close(fd);
	errno = saved;
	return -1;
}

int
sock_unix_connect(const char *path, int timeout_ms, struct str *err)
{
	struct sockaddr_un sun;
	int fd, saved, soerr = 0;
	socklen_t len = sizeof soerr;

	if (fill_sun(&sun, path, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN)
			goto fail;
		if (fd_wait(fd, POLLOUT, timeout_ms) <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			goto fail;
		if (soerr) {
			errno = soerr;
			goto fail;
		}
	}
	if (fd_nonblock(fd, false) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	str_copyf(err, "cannot connect to unix:%s: %s", path, strerror(saved));
	if (fd >= 0)
		fd_close(fd);
	errno = saved;
	return -1;
}

int
sock_peer_cred(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
	struct ucred cr;
	socklen_t len = sizeof cr;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	*uid = cr.uid;
	*gid = cr.gid;
	*pid = cr.pid;
	return 0;
}

void
sock_peer_name(int fd, struct str *addr, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char buf[INET6_ADDRSTRLEN];

	*port = 0;
	str_copys(addr, "unknown");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
		str_copys(addr, buf);
		*port = ntohs(in->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
		str_copys(addr, buf);
		*port = ntohs(in6->sin6_port);
	} else if (ss.ss_family == AF_UNIX)
		str_copys(addr, "unix");
}
