/*
 * login - handing a session from a login process to its daemon, and
 * taking it there; see login.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "fd.h"
#include "handoff.h"
#include "log.h"
#include "login.h"
#include "sock.h"
#include "tls.h"

/* The list every hand-off carries, beside the caller's extra. */
static void
session_attrs(struct login *lg, const struct authc_result *res,
    const char *mech, struct attrs *a)
{
	const char *tls = tls_describe(&lg->ss.b);
	char port[16];

	attrs_add(a, "version", "1.0", 3);
	attrs_add(a, "ticket", res->ticket.s, res->ticket.len);
	attrs_add(a, "user", res->user.s, res->user.len);
	attrs_add(a, "mech", mech, strlen(mech));
	attrs_add(a, "peer", lg->ss.peer.s, lg->ss.peer.len);
	snprintf(port, sizeof port, "%u", lg->ss.port);
	attrs_add(a, "port", port, strlen(port));
	attrs_add(a, "session", log_session(), strlen(log_session()));
	if (tls != NULL)
		attrs_add(a, "tls", tls, strlen(tls));
}

int
login_handoff(struct login *lg, const struct authc_result *res,
    const char *mech, const struct attrs *extra)
{
	struct attrs a = ATTRS_INIT;
	struct str path = STR_INIT, err = STR_INIT;
	bool tls = tls_active(&lg->ss.b);
	int fds[HANDOFF_FDS_MAX], pair[2] = { -1, -1 }, rc = -1;
	size_t nfds = 0, i;

	session_attrs(lg, res, mech, &a);
	for (i = 0; extra != NULL && i < extra->n; i++)
		attrs_add(&a, extra->v[i].name, extra->v[i].value.s,
		    extra->v[i].value.len);
	if (tls) {
		int sz = 512 * 1024;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
		    pair) < 0) {
			log_error("handoff: socketpair: %s", strerror(errno));
			goto out;
		}
		/* room to write ahead on both sides of the relay */
		(void)setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
		(void)setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
		fds[nfds++] = pair[1];
	} else {
		/* What the client pipelined behind its login goes along. */
		if (buf_pending(&lg->ss.b) > 0)
			attrs_add(&a, "input", lg->ss.b.in + lg->ss.b.in_pos,
			    buf_pending(&lg->ss.b));
		fds[nfds++] = lg->ss.b.fd;
	}
	if (lg->slot_ip >= 0)
		fds[nfds++] = lg->slot_ip;
	daemon_login_path(lg->daemon, login_is_confined(), &path);
	if (buf_flush(&lg->ss.b) != BUF_OK ||
	    handoff_send(path.s, fds, nfds, &a, &err) < 0) {
		if (err.len > 0)
			log_error("handoff to %s: %s", lg->daemon, err.s);
		goto out;
	}
	log_info("handoff user=%s to=%s", res->user.s, lg->daemon);
	rc = 0;
	if (!tls) {
		(void)buf_discard_input(&lg->ss.b);
		goto out;
	}
	fd_close(pair[1]);
	pair[1] = -1;
	/* The login deadline is over; the daemon behind keeps the
	 * session's own timeouts. */
	buf_set_deadline(&lg->ss.b, 0);
	tls_proxy(&lg->ss.b, pair[0]);
out:
	for (i = 0; i < 2; i++)
		if (pair[i] >= 0)
			fd_close(pair[i]);
	attrs_free(&a);
	str_free(&path);
	str_free(&err);
	return rc;
}

/* session_ok - a log session id as the login process sent it. */
static bool
session_ok(const char *s)
{
	size_t n = strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz");

	return n > 0 && n <= 32 && s[n] == '\0';
}

enum login_adopted
login_adopt(int sock, const char *service, const char *role,
    long long timeout_s, struct session *ss, int *client_fd, int *slot_ip,
    struct attrs *a, struct str *user)
{
	struct authc_result res;
	struct str err = STR_INIT;
	int fds[HANDOFF_FDS_MAX];
	size_t nfds;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	const char *peer, *port, *sess, *ticket, *claimed, *input;
	enum login_adopted rc = LOGIN_REFUSED;

	*client_fd = *slot_ip = -1;
	if (sock_peer_cred(sock, &uid, &gid, &pid) < 0 ||
	    !login_peer_ok(uid)) {
		log_warn("handoff refused from uid=%ld: not a login process",
		    (long)uid);
		return LOGIN_NONE;
	}
	if (handoff_recv(sock, fds, &nfds, a, &err) < 0) {
		log_warn("%s", err.s);
		str_free(&err);
		return LOGIN_NONE;
	}
	*client_fd = fds[0];
	if (nfds > 1)
		*slot_ip = fds[1];
	peer = attr_get(a, "peer");
	port = attr_get(a, "port");
	sess = attr_get(a, "session");
	session_adopt(ss, *client_fd, role, timeout_s,
	    peer ? peer : "unknown", port ? (unsigned)atoi(port) : 0,
	    sess != NULL && session_ok(sess) ? sess : NULL);
	input = attr_get(a, "input");
	if (input != NULL) {
		const struct attr *in = NULL;

		for (size_t i = 0; i < a->n; i++)
			if (strcmp(a->v[i].name, "input") == 0)
				in = &a->v[i];
		buf_preload(&ss->b, in->value.s, in->value.len);
	}
	ticket = attr_get(a, "ticket");
	claimed = attr_get(a, "user");
	memset(&res, 0, sizeof res);
	if (ticket == NULL || claimed == NULL)
		log_warn("handoff without a ticket or user: refused");
	else if (authc_redeem(service, ticket, &res) != AUTHC_OK)
		log_warn("handoff user=%s: ticket refused: %s", claimed,
		    str_cstr(&res.text));
	else if (!str_eqs(&res.user, claimed))
		log_warn("handoff user=%s: the ticket is %s's: refused",
		    claimed, res.user.s);
	else {
		str_copyb(user, res.user.s, res.user.len);
		rc = LOGIN_OK;
	}
	authc_result_free(&res);
	str_free(&err);
	return rc;
}
