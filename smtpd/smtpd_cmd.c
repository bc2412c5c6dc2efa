/*
 * smtpd_cmd - one handler per SMTP command: the sequence rules of RFC
 * 5321 4.1.4 and the checks on the arguments smtpcmd parsed.
 */
#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>

#include "addr.h"
#include "cfg.h"
#include "log.h"
#include "smtpd.h"
#include "tls.h"

static void
cmd_ehlo(struct smtpd *st)
{
	struct str auth = STR_INIT;

	smtpd_reset(st);
	str_copyb(&st->helo, st->cmd.arg.s, st->cmd.arg.len);
	if (st->cmd.verb == SMTPCMD_HELO) {
		st->hello = 'H';
		smtpd_reply(st, "250 %s", st->host);
		return;
	}
	st->hello = 'E';
	smtpd_auth_ehlo(st, &auth);
	/* STARTTLS only when it can work: not inside TLS already, not
	 * for a local submission, and with a certificate loaded. */
	smtpd_reply(st, "250-%s\r\n250-PIPELINING\r\n250-SIZE %lld\r\n"
	    "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n"
	    "250-CHUNKING\r\n%s%s250 DSN", st->host,
	    var_message_size_limit,
	    !st->tls && !st->local && tls_available() ?
	    "250-STARTTLS\r\n" : "", str_cstr(&auth));
	str_free(&auth);
}

/* room_for - whether the queue's file system has queue_minfree (or 1.5
 * times message_size_limit) free besides a message of size octets.  A
 * failed statvfs does not stop mail: cleanup's writes will tell. */
static bool
room_for(unsigned long long size)
{
	unsigned long long need = (unsigned long long)var_queue_minfree, avail;
	struct statvfs fs;

	if (need == 0)
		need = (unsigned long long)var_message_size_limit / 2 * 3;
	if (statvfs(var_queue_dir, &fs) < 0) {
		log_warn("statvfs %s: %s", var_queue_dir, strerror(errno));
		return true;
	}
	avail = (unsigned long long)fs.f_bavail * fs.f_frsize;
	if (avail >= need && avail - need >= size)
		return true;
	log_warn("queue file system: %llu bytes free, %llu wanted",
	    avail, need + size);
	return false;
}

static void
cmd_mail(struct smtpd *st)
{
	const struct smtpcmd *c = &st->cmd;

	if (st->hello == 0) {
		smtpd_reply(st, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (st->in_mail) {
		smtpd_reply(st, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (!smtpd_auth_mail_ok(st, c->addr.s))
		return;
	if (c->has_size &&
	    c->size > (unsigned long long)var_message_size_limit) {
		smtpd_reply(st, "552 5.3.4 Error: message too big for "
		    "system");
		return;
	}
	if (!room_for(c->has_size ? c->size : 0)) {
		smtpd_reply(st, "452 4.3.1 Error: insufficient system storage");
		return;
	}
	st->in_mail = true;
	st->utf8 = c->smtputf8;
	str_copyb(&st->sender, c->addr.s, c->addr.len);
	str_copyb(&st->mail_params, c->params.s, c->params.len);
	smtpd_reply(st, "250 2.1.0 Ok");
}

static void
cmd_rcpt(struct smtpd *st)
{
	const struct smtpcmd *c = &st->cmd;
	struct str r = STR_INIT;

	if (!st->in_mail) {
		smtpd_reply(st, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (st->in_bdat) {
		smtpd_reply(st, "503 5.5.1 Error: RCPT during BDAT");
		return;
	}
	if (st->rcpts.n >= (size_t)var_smtpd_recipient_limit) {
		smtpd_reply(st, "452 4.5.3 Error: too many recipients");
		return;
	}
	if (smtpd_policy_rcpt(st, c->addr.s, &r) < 0) {
		smtpd_reply(st, "%s", r.s);
		str_free(&r);
		return;
	}
	str_copyb(&r, c->addr.s, c->addr.len);
	if (c->params.len) {
		str_catc(&r, ' ');
		str_cat(&r, &c->params);
	}
	attrs_add(&st->rcpts, "rcpt", r.s, r.len);
	str_free(&r);
	smtpd_reply(st, "250 2.1.5 Ok");
}

void
smtpd_command(struct smtpd *st, const char *line, size_t len)
{
	unsigned flags = (st->hello == 'E' ? SMTPCMD_ESMTP : 0) |
	    (st->utf8 ? SMTPCMD_UTF8 : 0);

	if (memchr(line, '\0', len) != NULL) {
		smtpd_reply(st, "500 5.5.2 Error: NUL in command");
		return;
	}
	if (smtpcmd_parse(line, len, flags, &st->cmd) < 0) {
		/* a bad BDAT leaves us unable to tell its data from
		 * commands, so its chunk, if any, reads as commands that
		 * the error limit ends */
		smtpd_reply(st, "%s", st->cmd.reply.s);
		return;
	}
	switch (st->cmd.verb) {
	case SMTPCMD_EHLO:
	case SMTPCMD_HELO:
		cmd_ehlo(st);
		break;
	case SMTPCMD_MAIL:
		cmd_mail(st);
		break;
	case SMTPCMD_RCPT:
		cmd_rcpt(st);
		break;
	case SMTPCMD_DATA:
		if (!smtpd_data(st))
			st->quit = true;
		break;
	case SMTPCMD_BDAT:
		if (!smtpd_bdat(st))
			st->quit = true;
		break;
	case SMTPCMD_RSET:
		smtpd_reset(st);
		smtpd_reply(st, "250 2.0.0 Ok");
		break;
	case SMTPCMD_NOOP:
		smtpd_reply(st, "250 2.0.0 Ok");
		break;
	case SMTPCMD_QUIT:
		smtpd_reply(st, "221 2.0.0 Bye");
		st->quit = true;
		break;
	case SMTPCMD_STARTTLS:
		smtpd_starttls(st);
		break;
	case SMTPCMD_AUTH:
		smtpd_cmd_auth(st, str_cstr(&st->cmd.arg));
		break;
	case SMTPCMD_HELP:
		smtpd_reply(st, "214 2.0.0 Commands: EHLO HELO MAIL RCPT "
		    "DATA BDAT RSET NOOP QUIT HELP VRFY STARTTLS AUTH");
		break;
	case SMTPCMD_VRFY:
		smtpd_reply(st, "252 2.5.2 Cannot VRFY user, but will "
		    "accept message and attempt delivery");
		break;
	case SMTPCMD_EXPN:
		smtpd_reply(st, "502 5.5.1 Error: EXPN is not available");
		break;
	default:
		smtpd_reply(st, "500 5.5.2 Error: command not recognized");
		break;
	}
}
