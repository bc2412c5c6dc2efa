/*
 * smtpd_session - one SMTP conversation (RFC 5321): the greeting, the
 * command loop, replies and error counting, and the -S mode that serves
 * sendmail -bs on stdin/stdout.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "fd.h"
#include "log.h"
#include "smtpd.h"
#include "tls.h"

void
smtpd_reply(struct smtpd *st, const char *fmt, ...)
{
	struct str line = STR_INIT;
	va_list ap;

	va_start(ap, fmt);
	str_vcatf(&line, fmt, ap);
	va_end(ap);
	if (line.len > 0 && (line.s[0] == '4' || line.s[0] == '5')) {
		log_info("reject: %s", line.s);
		st->errors++;
	}
	str_cats(&line, "\r\n");
	buf_put(&st->ss.b, line.s, line.len);
	str_free(&line);
}

void
smtpd_reset(struct smtpd *st)
{
	if (st->sub_open && st->sub.in_data &&
	    submit_abort(&st->sub) != SUBMIT_OK) {
		submit_close(&st->sub);
		st->sub_open = false;
	}
	st->in_mail = st->utf8 = st->in_bdat = st->too_big = false;
	st->sub_failed = false;
	str_clear(&st->sender);
	str_clear(&st->mail_params);
	str_clear(&st->content);
	attrs_clear(&st->rcpts);
	st->size = 0;
}

/*
 * drain - before hanging up on a client: read and drop what it already
 * sent (briefly), since closing a socket with unread input sends a RST
 * that can destroy our last reply before the client reads it.
 */
static void
drain(struct smtpd *st)
{
	enum buf_status bs;
	char tmp[4096];
	size_t total = 0;

	if (buf_flush(&st->ss.b) != BUF_OK)
		return;
	(void)buf_discard_input(&st->ss.b);
	buf_set_timeout(&st->ss.b, 200);
	while (total < 1024 * 1024) {
		ssize_t r = buf_read(&st->ss.b, tmp, sizeof tmp, &bs);

		if (r <= 0)
			break;
		total += (size_t)r;
	}
}

/* pregreet - on the MX port, a client outside mynetworks that talks
 * before our greeting is a spam engine that does not wait for replies. */
static bool
pregreet(struct smtpd *st)
{
	long long wait = var_smtpd_pregreet_wait;

	if (st->local || st->relay_ok || wait <= 0 ||
	    strcmp(st->ss.role, SMTPD_ROLE_MX) != 0)
		return true;
	if (buf_wait_input(&st->ss.b, (int)(wait * 1000)) == 0)
		return true;
	smtpd_reply(st, "554 5.5.1 %s Error: talking before the greeting",
	    st->host);
	drain(st);
	return false;
}

static void
serve(struct smtpd *st)
{
	size_t max = (size_t)var_smtpd_line_limit;
	unsigned limit = (unsigned)var_smtpd_error_limit;

	/* before the greeting, as Postfix: what a client says before it
	 * waits for this lookup still counts as talking first */
	smtpd_client_name(st);
	if (!pregreet(st))
		return;
	smtpd_reply(st, "220 %s ESMTP roost", st->host);
	while (!st->quit) {
		enum buf_status bs = buf_getline(&st->ss.b, &st->ss.line, max);

		if (bs == BUF_TIMEOUT) {
			buf_set_deadline(&st->ss.b, BUF_LAST_WORDS_MS);
			smtpd_reply(st, "421 4.4.2 %s Error: timeout exceeded",
			    st->host);
			drain(st);
			break;
		}
		if (bs != BUF_OK && bs != BUF_TOOLONG)
			break;
		if (bs == BUF_TOOLONG)
			smtpd_reply(st, "500 5.5.2 Error: line too long");
		else {
			str_chomp(&st->ss.line);
			smtpd_command(st, st->ss.line.s, st->ss.line.len);
		}
		if (!st->quit && st->errors >= limit) {
			smtpd_reply(st, "421 4.7.0 %s Error: too many errors",
			    st->host);
			drain(st);
			break;
		}
	}
}

void
smtpd_starttls(struct smtpd *st)
{
	struct str err = STR_INIT;

	if (st->tls) {
		smtpd_reply(st, "503 5.5.1 Error: TLS already active");
		return;
	}
	if (st->local || !tls_available()) {
		smtpd_reply(st, "454 4.7.0 TLS not available");
		return;
	}
	if (st->in_mail) {
		smtpd_reply(st, "503 5.5.1 Error: MAIL transaction in "
		    "progress");
		return;
	}
	smtpd_reply(st, "220 2.0.0 Ready to start TLS");
	/* tls_start sends the 220, then drops whatever the client sent
	 * after STARTTLS in the clear (CVE-2011-0411). */
	if (tls_start(&st->ss.b, &err) < 0) {
		st->quit = true;	/* b is dead: not another word */
		str_free(&err);
		return;
	}
	str_free(&err);
	/* RFC 3207 4.2: forget what the client said before, as after the
	 * greeting; it must say EHLO again. */
	st->tls = true;
	smtpd_reset(st);
	st->hello = 0;
	str_clear(&st->helo);
	/* a login before TLS is forgotten too (RFC 3207 4.2) */
	str_clear(&st->auth_user);
	st->relay_ok = st->local || smtpd_policy_relay(st);
}

static void
cleanup_state(struct smtpd *st)
{
	smtpd_reset(st);
	if (st->sub_open)
		submit_close(&st->sub);
	cidr_free(&st->mynetworks);
	if (st->slot_ip >= 0)
		close(st->slot_ip);
	smtpcmd_free(&st->cmd);
	str_free(&st->helo);
	str_free(&st->client_name);
	str_free(&st->sender);
	str_free(&st->mail_params);
	str_free(&st->content);
	str_free(&st->sub_reason);
	str_free(&st->auth_user);
	authc_memo_free(&st->mechs);
	attrs_free(&st->rcpts);
}

/* begin - what every session knows before its first word: our name,
 * mynetworks, whether the client may relay. */
static void
begin(struct smtpd *st)
{
	struct str err = STR_INIT;

	st->host = daemon_hostname();
	if (cidr_parse(var_mynetworks, &st->mynetworks, &err) < 0)
		log_error("mynetworks: %s", err.s);	/* cfg checked it */
	str_free(&err);
	st->relay_ok = st->local || smtpd_policy_relay(st);
	st->slot_ip = -1;
}

/* admit - the per-address connection limit (not for mynetworks), taken
 * before any TLS handshake: false to hang up, with a 421 only where the
 * client can read it (not before implicit TLS). */
static bool
admit(struct smtpd *st, bool say)
{
	if (st->relay_ok)
		return true;
	st->slot_ip = session_admit(&st->ss, "smtpd",
	    var_smtpd_ip_sessions);
	if (st->slot_ip != -1)
		return true;
	if (say)
		smtpd_reply(st, "421 4.7.0 %s Error: too many connections "
		    "from your address", st->host);
	return false;
}

void
smtpd_session(int fd, const struct server_listener *l, void *ctx)
{
	static struct smtpd st;

	(void)ctx;
	memset(&st, 0, sizeof st);
	session_open(&st.ss, fd, l->role, var_smtpd_timeout);
	buf_set_deadline(&st.ss.b, (int64_t)var_smtpd_session_timeout * 1000);
	begin(&st);
	if (!admit(&st, strcmp(l->role, SMTPD_ROLE_SMTPS) != 0))
		;
	else if (strcmp(l->role, SMTPD_ROLE_SMTPS) != 0)
		serve(&st);
	else if (!tls_available())
		log_warn("implicit TLS is not available; closing");
	else {
		struct str err = STR_INIT;

		/* RFC 8314 3.3: the handshake comes first, then the
		 * greeting, inside TLS. */
		if (tls_start(&st.ss.b, &err) == 0) {
			st.tls = true;
			serve(&st);
		}
		str_free(&err);
	}
	cleanup_state(&st);
	session_close(&st.ss);
}

/*
 * The -S transport: read fd 0, write fd 1.  buf waits on b->fd (0) for
 * input under its timeout; a read that would block says EAGAIN so it
 * does, since we must not make the caller's stdin non-blocking.
 */
static ssize_t
local_read(struct buf *b, void *p, size_t n)
{
	struct pollfd pfd = { .fd = b->fd, .events = POLLIN };

	if (poll(&pfd, 1, 0) == 0) {
		b->want = POLLIN;
		errno = EAGAIN;
		return -1;
	}
	return fd_read(b->fd, p, n);
}

static ssize_t
local_write(struct buf *b, const void *p, size_t n)
{
	(void)b;
	return fd_write(STDOUT_FILENO, p, n);
}

static const struct buf_ops local_ops = { local_read, local_write };

void
smtpd_local(void)
{
	static struct smtpd st;

	memset(&st, 0, sizeof st);
	st.local = true;
	session_open(&st.ss, STDIN_FILENO, SMTPD_ROLE_LOCAL,
	    var_smtpd_timeout);
	str_copys(&st.ss.peer, "local");
	buf_set_ops(&st.ss.b, &local_ops, NULL);
	begin(&st);
	serve(&st);
	cleanup_state(&st);
	session_close(&st.ss);
}
