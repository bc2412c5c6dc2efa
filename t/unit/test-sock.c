/* test-sock - listening and connecting sockets; readiness; peer names. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fd.h"
#include "ready.h"
#include "sock.h"
#include "tap.h"

int
main(void)
{
	char dir[] = "/tmp/test-sock-XXXXXX", path[256], buf[8];
	struct str err = STR_INIT, addr = STR_INIT;
	struct stat st;
	unsigned port;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int l, c, a, p[2], fd;

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof path, "%s/sock", dir);
	l = sock_unix_listen(path, 0660, 8, &err);
	ok(l >= 0, "unix listen");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660, "socket mode");
	ok((fcntl(l, F_GETFD) & FD_CLOEXEC) != 0, "listener is close-on-exec");
	c = sock_unix_connect(path, 1000, &err);
	ok(c >= 0, "unix connect");
	ok((fcntl(c, F_GETFL) & O_NONBLOCK) == 0, "client is blocking");
	ok(fd_wait(l, POLLIN, 1000) == 1, "listener readable");
	a = accept(l, NULL, NULL);
	ok(a >= 0, "accepted");
	ok(sock_peer_cred(a, &uid, &gid, &pid) == 0 && uid == getuid() &&
	    pid == getpid(), "peer credentials");
	sock_peer_name(a, &addr, &port);
	is_str(addr.s, "unix", "unix peer name");
	fd_close(a);
	fd_close(c);
	fd_close(l);

	/* A stale socket is replaced; any other file is left alone. */
	l = sock_unix_listen(path, 0600, 8, &err);
	ok(l >= 0, "stale socket replaced");
	fd_close(l);
	snprintf(path, sizeof path, "%s/file", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	fd_close(fd);
	str_clear(&err);
	ok(sock_unix_listen(path, 0600, 8, &err) < 0 &&
	    strstr(err.s, "not a socket"), "regular file not replaced");
	str_clear(&err);
	ok(sock_unix_connect("/nonexistent/sock", 100, &err) < 0 &&
	    strstr(err.s, "/nonexistent/sock"), "connect error names path");

	l = sock_tcp_listen("127.0.0.1", 0 + 1, 8, &err);
	ok(l < 0 || getuid() == 0, "port 1 needs root");
	if (l >= 0)
		fd_close(l);
	/* Find a free port by asking for one, then reuse it. */
	{
		struct sockaddr_in sin;
		socklen_t len = sizeof sin;
		int t = socket(AF_INET, SOCK_STREAM, 0);

		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bind(t, (struct sockaddr *)&sin, sizeof sin);
		getsockname(t, (struct sockaddr *)&sin, &len);
		port = ntohs(sin.sin_port);
		close(t);
	}
	l = sock_tcp_listen("127.0.0.1", port, 8, &err);
	ok(l >= 0, "tcp listen on 127.0.0.1:%u", port);
	str_clear(&err);
	ok(sock_tcp_listen("127.0.0.1", port, 8, &err) < 0 &&
	    errno == EADDRINUSE && strstr(err.s, "127.0.0.1:"),
	    "busy port: EADDRINUSE, message names the address");
	{
		struct sockaddr_in sin;
		int t = socket(AF_INET, SOCK_STREAM, 0);
		unsigned pp;

		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons((unsigned short)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok(connect(t, (struct sockaddr *)&sin, sizeof sin) == 0,
		    "tcp connect");
		fd_wait(l, POLLIN, 1000);
		a = accept(l, NULL, NULL);
		sock_peer_name(a, &addr, &pp);
		is_str(addr.s, "127.0.0.1", "tcp peer address");
		ok(pp > 0, "tcp peer port");
		close(a);
		close(t);
	}
	fd_close(l);
	str_clear(&err);
	ok(sock_tcp_listen("no.such.host.invalid", 25, 8, &err) < 0 &&
	    strstr(err.s, "no.such.host.invalid"), "unresolvable host");

	/* s6 readiness: one newline, then the fd is closed. */
	ok(pipe(p) == 0, "pipe");
	ok(ready_notify(p[1]) == 0, "ready_notify");
	ok(fd_read(p[0], buf, sizeof buf) == 1 && buf[0] == '\n',
	    "exactly one newline written");
	ok(fd_read(p[0], buf, sizeof buf) == 0, "then end of file (closed)");
	ok(ready_notify(-1) == 0, "no fd: nothing to do");
	snprintf(path, sizeof path, "%s/notification-fd", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	fd_write_all(fd, "3\n", 2);
	fd_close(fd);
	is_int(ready_fd_from_file(path), 3, "notification-fd file read");
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	fd_write_all(fd, "x\n", 2);
	fd_close(fd);
	is_int(ready_fd_from_file(path), -1, "malformed notification-fd");
	str_free(&err);
	str_free(&addr);
	return done_testing();
}
