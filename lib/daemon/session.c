/*
 * session - per-connection frame; see session.h.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "session.h"
#include "slots.h"
#include "sock.h"
#include "tls.h"

void
session_open(struct session *ss, int fd, const char *role,
    long long timeout_s)
{
	memset(ss, 0, sizeof *ss);
	ss->role = role;
	log_set_session(daemon_session_id());
	sock_peer_name(fd, &ss->peer, &ss->port);
	buf_init(&ss->b, fd, 0);
	buf_set_timeout(&ss->b, (int)(timeout_s * 1000));
	log_info("connect from=%s port=%u role=%s", ss->peer.s, ss->port, role);
}

void
session_adopt(struct session *ss, int fd, const char *role,
    long long timeout_s, const char *peer, unsigned port, const char *id)
{
	static char sid[33];

	memset(ss, 0, sizeof *ss);
	ss->role = role;
	snprintf(sid, sizeof sid, "%s", id != NULL ? id : daemon_session_id());
	log_set_session(sid);
	str_copys(&ss->peer, peer);
	ss->port = port;
	buf_init(&ss->b, fd, 0);
	buf_set_timeout(&ss->b, (int)(timeout_s * 1000));
}

void
session_close(struct session *ss)
{
	(void)buf_flush(&ss->b);
	tls_end(&ss->b);
	log_info("disconnect from=%s in=%llu out=%llu", ss->peer.s,
	    (unsigned long long)ss->b.bytes_in,
	    (unsigned long long)ss->b.bytes_out);
	buf_free(&ss->b);
	str_free(&ss->line);
	str_free(&ss->peer);
}

int
session_verb(struct str *line, char *verb, size_t vmax, const char **args)
{
	size_t i = 0;

	str_chomp(line);
	while (i < line->len && line->s[i] != ' ') {
		if (i + 1 >= vmax)
			return -1;
		verb[i] = (char)toupper((unsigned char)line->s[i]);
		i++;
	}
	verb[i] = '\0';
	*args = i < line->len ? line->s + i + 1 : "";
	return i == 0 ? -1 : 0;
}

int
session_admit(const struct session *ss, const char *daemon, long long limit)
{
	struct str dir = STR_INIT;
	int fd;

	str_copyf(&dir, "%s/%s", var_run_dir, daemon);
	fd = session_admit_at(ss, AT_FDCWD, dir.s, limit);
	str_free(&dir);
	return fd;
}

int
session_admit_at(const struct session *ss, int dfd, const char *dir,
    long long limit)
{
	struct str err = STR_INIT;
	int fd;

	fd = slot_take_at(dfd, dir, ss->peer.s, (unsigned)limit, &err);
	if (fd == -2)
		log_warn("connection limit: %s", err.s);
	else if (fd == -1)
		log_info("refused from=%s: too many connections", ss->peer.s);
	str_free(&err);
	return fd;
}
