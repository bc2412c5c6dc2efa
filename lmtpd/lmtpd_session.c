/*
 * lmtpd_session - one LMTP conversation (RFC 2033): the greeting, the
 * command loop and the envelope commands.  Commands are parsed by
 * lib/mail/smtpcmd as smtpd's are; LHLO takes the place of EHLO, and HELO
 * and EHLO are refused (RFC 2033 4.1).
 *
 * RCPT resolves the address to a store user at once, so an unknown
 * user is refused in the dialogue (550 5.1.1) and a user who has a
 * mailbox but no store yet (a system account) gets one before the data
 * arrives: mail to a new user never bounces because nobody logged in.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "cfg.h"
#include "daemon.h"
#include "lmtpd.h"
#include "log.h"

/* The resolver of this worker, opened at its first recipient and kept
 * for the sessions it serves after. */
static struct resolver *resolver;

void
lmtpd_reply(struct lmtpd *st, const char *fmt, ...)
{
	struct str line = STR_INIT;
	va_list ap;

	va_start(ap, fmt);
	str_vcatf(&line, fmt, ap);
	va_end(ap);
	if (line.len > 0 && (line.s[0] == '4' || line.s[0] == '5'))
		log_info("reject: %s", line.s);
	str_cats(&line, "\r\n");
	buf_put(&st->ss.b, line.s, line.len);
	str_free(&line);
}

/* error - a reply to a command out of sequence or malformed: these,
 * not refused recipients, count towards LMTPD_ERROR_MAX. */
static void
error(struct lmtpd *st, const char *reply)
{
	st->errors++;
	lmtpd_reply(st, "%s", reply);
}

void
lmtpd_reset(struct lmtpd *st)
{
	size_t i;

	if (st->sp != NULL)
		store_spool_end(&st->sp);
	for (i = 0; i < st->nrcpt; i++) {
		str_free(&st->rcpt[i].addr);
		str_free(&st->rcpt[i].user);
		str_free(&st->rcpt[i].detail);
	}
	st->nrcpt = 0;
	st->in_mail = st->utf8 = st->in_bdat = st->too_big = false;
	st->spool_failed = st->spool_full = st->head_done = false;
	st->size = 0;
	str_clear(&st->sender);
	str_clear(&st->content);
	str_clear(&st->head);
	str_clear(&st->spool_err);
}

static void
cmd_lhlo(struct lmtpd *st, const char *args)
{
	if (*args == '\0') {
		error(st, "501 5.5.4 Syntax: LHLO hostname");
		return;
	}
	lmtpd_reset(st);
	st->lhlo = true;
	/* SIZE, 8BITMIME and SMTPUTF8 cost nothing: the store keeps the
	 * octets as they come */
	lmtpd_reply(st,
	    "250-%s\r\n250-PIPELINING\r\n250-SIZE %lld\r\n"
	    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n"
	    "250 CHUNKING",
	    st->host, var_message_size_limit);
}

static void
cmd_mail(struct lmtpd *st)
{
	const struct smtpcmd *c = &st->cmd;

	if (!st->lhlo) {
		error(st, "503 5.5.1 Error: send LHLO first");
		return;
	}
	if (st->in_mail) {
		error(st, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (c->has_size &&
	    c->size > (unsigned long long)var_message_size_limit) {
		lmtpd_reply(st,
		    "552 5.3.4 Error: message too big for "
		    "system");
		return;
	}
	st->in_mail = true;
	st->utf8 = c->smtputf8;
	str_copyb(&st->sender, c->addr.s, c->addr.len);
	lmtpd_reply(st, "250 2.1.0 Ok");
}

/* mailbox - the store user of addr, with a store made when missing:
 * 0, or -1 with the reply sent. */
static int
mailbox(
    struct lmtpd *st, const char *addr, struct str *user, struct str *detail)
{
	struct str why = STR_INIT;
	int rc;

	if (resolver == NULL)
		resolver = resolver_open_cfg();
	rc = resolve_mailbox(resolver, addr, user, detail, &why);
	if (rc == RESOLVE_UNKNOWN) {
		lmtpd_reply(st, "550 5.1.1 <%s> User unknown", addr);
		str_free(&why);
		return -1;
	}
	if (rc != RESOLVE_OK) {
		log_error(
		    "to=<%s> cannot resolve: %s", addr, why.s ? why.s : "");
		lmtpd_reply(
		    st, "451 4.3.0 <%s> Temporary lookup failure", addr);
		str_free(&why);
		return -1;
	}
	if (!store_user_exists(st->store_dir, user->s)) {
		rc = store_user_create(st->store_dir, user->s,
		    (uint64_t)var_quota_default, (uid_t)-1, (gid_t)-1, &why);
		if (rc != STORE_OK) {
			log_error("to=<%s> user=%s cannot create the store: "
				  "%s",
			    addr, user->s, why.s ? why.s : "");
			lmtpd_reply(st,
			    "451 4.3.0 <%s> Mailbox temporarily "
			    "unavailable",
			    addr);
			str_free(&why);
			return -1;
		}
		log_info("user=%s store created", user->s);
	}
	str_free(&why);
	return 0;
}

static void
cmd_rcpt(struct lmtpd *st)
{
	const struct smtpcmd *c = &st->cmd;
	struct str user = STR_INIT, detail = STR_INIT;
	struct lmtpd_rcpt *r;

	if (!st->in_mail) {
		error(st, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (st->in_bdat) {
		error(st, "503 5.5.1 Error: RCPT during BDAT");
		return;
	}
	if (st->nrcpt >= LMTPD_RCPT_MAX) {
		lmtpd_reply(st, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (c->addr.len == 0) {
		error(st, "501 5.1.3 Error: null recipient");
		return;
	}
	if (mailbox(st, c->addr.s, &user, &detail) < 0) {
		str_free(&user);
		str_free(&detail);
		return;
	}
	if (st->nrcpt == st->rcpt_cap) {
		st->rcpt_cap = st->rcpt_cap ? st->rcpt_cap * 2 : 8;
		st->rcpt =
		    xreallocarray(st->rcpt, st->rcpt_cap, sizeof *st->rcpt);
	}
	r = &st->rcpt[st->nrcpt++];
	memset(r, 0, sizeof *r);
	str_copyb(&r->addr, c->addr.s, c->addr.len);
	r->user = user;
	r->detail = detail;
	lmtpd_reply(st, "250 2.1.5 Ok");
}

/* command - serve one line (CRLF removed). */
static void
command(struct lmtpd *st, const char *line, size_t len)
{
	unsigned flags =
	    (st->lhlo ? SMTPCMD_ESMTP : 0) | (st->utf8 ? SMTPCMD_UTF8 : 0);

	if (memchr(line, '\0', len) != NULL) {
		error(st, "500 5.5.2 Error: NUL in command");
		return;
	}
	if (len >= 4 && (len == 4 || line[4] == ' ')) {
		if (strncasecmp(line, "LHLO", 4) == 0) {
			cmd_lhlo(st, len > 4 ? line + 5 : "");
			return;
		}
		if (strncasecmp(line, "HELO", 4) == 0 ||
		    strncasecmp(line, "EHLO", 4) == 0) {
			error(st, "500 5.5.1 Error: this is LMTP: use LHLO");
			return;
		}
	}
	if (smtpcmd_parse(line, len, flags, &st->cmd) < 0) {
		error(st, st->cmd.reply.s);
		return;
	}
	switch (st->cmd.verb) {
	case SMTPCMD_MAIL:
		cmd_mail(st);
		break;
	case SMTPCMD_RCPT:
		cmd_rcpt(st);
		break;
	case SMTPCMD_DATA:
		if (!lmtpd_data(st))
			st->quit = true;
		break;
	case SMTPCMD_BDAT:
		if (!lmtpd_bdat(st))
			st->quit = true;
		break;
	case SMTPCMD_RSET:
		lmtpd_reset(st);
		lmtpd_reply(st, "250 2.0.0 Ok");
		break;
	case SMTPCMD_NOOP:
		lmtpd_reply(st, "250 2.0.0 Ok");
		break;
	case SMTPCMD_QUIT:
		lmtpd_reply(st, "221 2.0.0 %s closing", st->host);
		st->quit = true;
		break;
	case SMTPCMD_VRFY:
		lmtpd_reply(st,
		    "252 2.5.2 Cannot VRFY user, but will "
		    "accept message and attempt delivery");
		break;
	default:
		error(st, "502 5.5.1 Error: command not implemented");
		break;
	}
}

static void
serve(struct lmtpd *st)
{
	lmtpd_reply(st, "220 %s LMTP roost", st->host);
	while (!st->quit) {
		enum buf_status bs =
		    buf_getline(&st->ss.b, &st->ss.line, LMTPD_LINE_MAX + 2);

		if (bs == BUF_TIMEOUT) {
			lmtpd_reply(st,
			    "421 4.4.2 %s Error: timeout "
			    "exceeded",
			    st->host);
			break;
		}
		if (bs != BUF_OK && bs != BUF_TOOLONG)
			break;
		if (bs == BUF_TOOLONG)
			error(st, "500 5.5.2 Error: line too long");
		else {
			str_chomp(&st->ss.line);
			command(st, st->ss.line.s, st->ss.line.len);
		}
		if (!st->quit && st->errors >= LMTPD_ERROR_MAX) {
			lmtpd_reply(st, "421 4.7.0 %s Error: too many errors",
			    st->host);
			break;
		}
	}
}

void
lmtpd_session(int fd, const struct server_listener *l, void *ctx)
{
	static struct lmtpd st;

	(void)ctx;
	memset(&st, 0, sizeof st);
	st.host = daemon_hostname();
	st.store_dir = var_store_dir;
	session_open(&st.ss, fd, l->role, var_lmtpd_timeout);
	if (lmtpd_peer_ok(fd, l))
		serve(&st);
	else
		lmtpd_reply(&st, "421 4.7.0 %s Error: not allowed", st.host);
	lmtpd_reset(&st);
	smtpcmd_free(&st.cmd);
	str_free(&st.sender);
	str_free(&st.content);
	str_free(&st.head);
	str_free(&st.spool_err);
	free(st.rcpt);
	session_close(&st.ss);
}
