/*
 * handoff - passing a session from a login process to its daemon; see
 * handoff.h.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "fd.h"
#include "handoff.h"
#include "sock.h"

int
handoff_send(const char *path, const int *fds, size_t nfds,
    const struct attrs *a, struct str *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HANDOFF_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct attrs reply = ATTRS_INIT;
	struct msghdr msg;
	struct cmsghdr *cm;
	struct iovec iov;
	struct buf b;
	char one = 'F';
	int sock, rc = -1;
	const char *st;

	if (nfds == 0 || nfds > HANDOFF_FDS_MAX) {
		str_copys(err, "handoff: bad descriptor count");
		return -1;
	}
	if ((sock = sock_unix_connect(path, HANDOFF_TIMEOUT_MS, err)) < 0)
		return -1;
	buf_init(&b, sock, 0);
	buf_set_timeout(&b, HANDOFF_TIMEOUT_MS);
	if (attr_read(&b, &reply, ATTR_REPLY_MAX, err) != BUF_OK ||
	    attr_check_greeting(&reply, HANDOFF_PROTO, HANDOFF_VERSION,
	    err) < 0) {
		if (err->len == 0)
			str_copyf(err, "%s: no greeting", path);
		goto out;
	}
	memset(&msg, 0, sizeof msg);
	memset(&u, 0, sizeof u);
	iov.iov_base = &one;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) {
		str_copyf(err, "%s: sendmsg: %s", path, strerror(errno));
		goto out;
	}
	attr_write(&b, a);
	if (buf_flush(&b) != BUF_OK ||
	    attr_read(&b, &reply, ATTR_REPLY_MAX, err) != BUF_OK) {
		if (err->len == 0)
			str_copyf(err, "%s: the daemon went away", path);
		goto out;
	}
	st = attr_get(&reply, "status");
	if (st == NULL || strcmp(st, "ok") != 0) {
		str_copyf(err, "%s: refused (%s)", path, st ? st : "no status");
		goto out;
	}
	rc = 0;
out:
	attrs_free(&reply);
	buf_free(&b);
	fd_close(sock);
	return rc;
}

/* take_fds - the descriptors of a received message: how many, or -1
 * when there were none or too many (all closed then). */
static int
take_fds(struct msghdr *msg, int *fds)
{
	struct cmsghdr *cm;
	size_t n = 0;
	int bad = (msg->msg_flags & MSG_CTRUNC) != 0;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		size_t k, i;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
			if (n < HANDOFF_FDS_MAX)
				fds[n++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (bad || n == 0) {
		while (n > 0)
			close(fds[--n]);
		return -1;
	}
	return (int)n;
}

int
handoff_recv(int sock, int *fds, size_t *nfds, struct attrs *a,
    struct str *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (HANDOFF_FDS_MAX + 1))];
		struct cmsghdr align;
	} u;
	struct msghdr msg;
	struct iovec iov;
	struct buf b;
	char one;
	int n = -1;
	ssize_t r;

	*nfds = 0;
	buf_init(&b, sock, 0);
	buf_set_timeout(&b, HANDOFF_TIMEOUT_MS);
	attr_greet(&b, HANDOFF_PROTO, HANDOFF_VERSION);
	if (buf_flush(&b) != BUF_OK) {
		str_copys(err, "handoff: cannot greet");
		goto out;
	}
	if (fd_wait(sock, POLLIN, HANDOFF_TIMEOUT_MS) <= 0) {
		str_copys(err, "handoff: no descriptors in time");
		goto out;
	}
	memset(&msg, 0, sizeof msg);
	iov.iov_base = &one;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof u.buf;
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r != 1 || (n = take_fds(&msg, fds)) < 0) {
		if (r == 1)
			str_copys(err, "handoff: no or too many descriptors");
		else
			str_copyf(err, "handoff: recvmsg: %s",
			    r < 0 ? strerror(errno) : "end of input");
		n = -1;
		goto out;
	}
	if (attr_read(&b, a, HANDOFF_LIST_MAX, err) != BUF_OK) {
		if (err->len == 0)
			str_copys(err, "handoff: no session attributes");
		goto fail;
	}
	attr_puts(&b, "status", "ok");
	attr_end(&b);
	if (buf_flush(&b) != BUF_OK) {
		str_copys(err, "handoff: the login process went away");
		goto fail;
	}
	*nfds = (size_t)n;
	buf_free(&b);
	return 0;
fail:
	while (n > 0)
		close(fds[--n]);
out:
	buf_free(&b);
	return -1;
}
