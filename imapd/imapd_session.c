/*
 * imapd_session - one IMAP session from login on (imap-login serves the
 * not-authenticated state and TLS): the command loop, the states of RFC
 * 3501 3 / RFC 9051 3 after login, and the commands valid in any state
 * (CAPABILITY, NOOP, LOGOUT, ID, ENABLE).
 *
 * Every command is read whole (imap_parse.c), dispatched by verb and
 * state, and answered; the tagged completion is held back in
 * st->tagged so that the untagged news about the selected mailbox
 * (imapd_sync) goes out before it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "imapd.h"
#include "log.h"
#include "mime.h"

#define CAPS_ANY "IMAP4rev1 IMAP4rev2 SASL-IR ID ENABLE LITERAL+"
#define CAPS_AUTH " IDLE NAMESPACE UNSELECT UIDPLUS CHILDREN LIST-EXTENDED" \
	" LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE MOVE CONDSTORE ESEARCH" \
	" SEARCHRES BINARY MULTIAPPEND STATUS=SIZE UTF8=ACCEPT"

/* ---- replies ---- */

static void
tagged(struct imapd *st, const struct imap_cmd *c, const char *what,
    const char *fmt, va_list ap)
{
	str_clear(&st->tagged);
	str_catf(&st->tagged, "%s %s ", c->tag[0] ? c->tag : "*", what);
	str_vcatf(&st->tagged, fmt, ap);
	str_cats(&st->tagged, "\r\n");
}

void
imapd_ok(struct imapd *st, const struct imap_cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tagged(st, c, "OK", fmt, ap);
	va_end(ap);
}

void
imapd_no(struct imapd *st, const struct imap_cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tagged(st, c, "NO", fmt, ap);
	va_end(ap);
}

void
imapd_bad(struct imapd *st, const struct imap_cmd *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tagged(st, c, "BAD", fmt, ap);
	va_end(ap);
}

void
imapd_store_error(struct imapd *st, const struct imap_cmd *c, int rc,
    const char *what, const struct str *err)
{
	const char *why = err != NULL && err->len > 0 ? err->s : "failed";

	switch (rc) {
	case STORE_NOMBOX:
		imapd_no(st, c, "[TRYCREATE] %s: no such mailbox", what);
		break;
	case STORE_EXISTS:
		imapd_no(st, c, "[ALREADYEXISTS] %s: mailbox exists", what);
		break;
	case STORE_QUOTA:
		imapd_no(st, c, "[OVERQUOTA] %s: quota exceeded", what);
		break;
	case STORE_NOMSG:
		imapd_no(st, c, "[NONEXISTENT] %s: no such message", what);
		break;
	case STORE_INVALID:
		imapd_no(st, c, "[CANNOT] %s: %s", what, why);
		break;
	case STORE_NOSPACE:	/* RFC 5530: the server's disk, not quota */
		log_error("user=%s %s: %s", st->user.s, what, why);
		imapd_no(st, c, "[UNAVAILABLE] %s: the server is out of disk "
		    "space; try again later", what);
		break;
	default:
		log_error("user=%s %s: %s", st->user.s, what, why);
		imapd_no(st, c, "[SERVERBUG] %s: internal error", what);
		break;
	}
}

/* ---- names ---- */

int
imapd_name_in(struct imapd *st, const struct imap_arg *a, struct str *name)
{
	if (!imap_arg_astring(a) || a->len == 0 ||
	    memchr(a->s, '\0', a->len) != NULL)
		return -1;
	str_clear(name);
	/* IMAP4rev2 names are UTF-8 too (RFC 9051 5.1). */
	if (st->utf8 || st->rev2)
		str_copyb(name, a->s, a->len);
	else if (store_mutf7_to_utf8(a->s, name) < 0 || name->len == 0)
		return -1;
	if (strcasecmp(name->s, "INBOX") == 0)
		str_copys(name, "INBOX");
	else if (strncasecmp(name->s, "INBOX/", 6) == 0)
		memcpy(name->s, "INBOX", 5);
	return 0;
}

void
imapd_name_out(struct imapd *st, const char *name, struct str *out)
{
	struct str m = STR_INIT;

	if (st->utf8 || st->rev2 || store_utf8_to_mutf7(name, &m) < 0)
		mime_quote(out, name, strlen(name));
	else
		mime_quote(out, m.s, m.len);
	str_free(&m);
}

/* ---- capabilities ---- */

void
imapd_caps(struct imapd *st, struct str *out)
{
	(void)st;
	str_cats(out, CAPS_ANY);
	str_cats(out, CAPS_AUTH);
	str_catf(out, " APPENDLIMIT=%lld", var_message_size_limit);
}

static void
cmd_capability(struct imapd *st, const struct imap_cmd *c)
{
	struct str s = STR_INIT;

	imapd_caps(st, &s);
	buf_printf(&st->ss.b, "* CAPABILITY %s\r\n", s.s);
	str_free(&s);
	imapd_ok(st, c, "CAPABILITY completed");
}

/* ---- any state ---- */

static void
cmd_id(struct imapd *st, const struct imap_cmd *c)
{
	if (c->nargs != 1 || (c->args[0].type != IMAP_ARG_LIST &&
	    !imap_arg_nil(&c->args[0]))) {
		imapd_bad(st, c, "ID needs a parameter list or NIL");
		return;
	}
	buf_puts(&st->ss.b, "* ID (\"name\" \"roost\")\r\n");
	imapd_ok(st, c, "ID completed");
}

static void
cmd_enable(struct imapd *st, const struct imap_cmd *c)
{
	struct str on = STR_INIT;
	size_t i;

	if (c->nargs == 0) {
		imapd_bad(st, c, "ENABLE needs capability names");
		return;
	}
	for (i = 0; i < c->nargs; i++) {
		const struct imap_arg *a = &c->args[i];

		if (a->type != IMAP_ARG_ATOM) {
			imapd_bad(st, c, "ENABLE takes atoms");
			str_free(&on);
			return;
		}
		if (imap_arg_is(a, "IMAP4rev2") && !st->rev2) {
			st->rev2 = true;
			str_cats(&on, " IMAP4rev2");
		} else if (imap_arg_is(a, "CONDSTORE") && !st->condstore) {
			st->condstore = true;
			str_cats(&on, " CONDSTORE");
		} else if (imap_arg_is(a, "UTF8=ACCEPT") && !st->utf8) {
			st->utf8 = true;
			str_cats(&on, " UTF8=ACCEPT");
		}
	}
	buf_printf(&st->ss.b, "* ENABLED%s\r\n", on.len ? on.s : "");
	str_free(&on);
	imapd_ok(st, c, "ENABLE completed");
}

/* ---- dispatch ---- */

#define S_AUTH (1u << IMAPD_AUTH)
#define S_SEL (1u << IMAPD_SELECTED)
#define S_ANY (S_AUTH | S_SEL)
#define S_LOGGED (S_AUTH | S_SEL)

enum kind {
	K_PLAIN,	/* handler(st, c) */
	K_SEL,		/* handler(st, c, uid, argi) on the selected mailbox */
};

struct command {
	const char *verb;
	unsigned states;
	bool expunge_ok;	/* EXPUNGE news may follow (RFC 3501 7.4.1) */
	void (*plain)(struct imapd *, const struct imap_cmd *);
	void (*sel)(struct imapd *, const struct imap_cmd *, bool, size_t);
};

static void cmd_noop(struct imapd *st, const struct imap_cmd *c)
{
	imapd_ok(st, c, "%s completed", c->verb);
}

static void cmd_logout(struct imapd *st, const struct imap_cmd *c)
{
	buf_puts(&st->ss.b, "* BYE roost logging out\r\n");
	imapd_ok(st, c, "LOGOUT completed");
	st->state = IMAPD_LOGOUT;
}

static void cmd_list(struct imapd *st, const struct imap_cmd *c)
{
	imapd_cmd_list(st, c, false);
}

static void cmd_lsub(struct imapd *st, const struct imap_cmd *c)
{
	imapd_cmd_list(st, c, true);
}

static void cmd_subscribe(struct imapd *st, const struct imap_cmd *c)
{
	imapd_cmd_subscribe(st, c, true);
}

static void cmd_unsubscribe(struct imapd *st, const struct imap_cmd *c)
{
	imapd_cmd_subscribe(st, c, false);
}

static void cmd_unselect(struct imapd *st, const struct imap_cmd *c)
{
	imapd_unselect(st);
	imapd_ok(st, c, "UNSELECT completed");
}

static void cmd_copy(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi)
{
	imapd_cmd_copy(st, c, uid, argi, false);
}

static void cmd_move(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi)
{
	imapd_cmd_copy(st, c, uid, argi, true);
}

static const struct command commands[] = {
	{ "CAPABILITY", S_ANY, true, cmd_capability, NULL },
	{ "NOOP", S_ANY, true, cmd_noop, NULL },
	{ "LOGOUT", S_ANY, true, cmd_logout, NULL },
	{ "ID", S_ANY, true, cmd_id, NULL },
	{ "ENABLE", S_AUTH, true, cmd_enable, NULL },
	{ "SELECT", S_LOGGED, true, imapd_cmd_select, NULL },
	{ "EXAMINE", S_LOGGED, true, imapd_cmd_select, NULL },
	{ "CREATE", S_LOGGED, true, imapd_cmd_create, NULL },
	{ "DELETE", S_LOGGED, true, imapd_cmd_delete, NULL },
	{ "RENAME", S_LOGGED, true, imapd_cmd_rename, NULL },
	{ "SUBSCRIBE", S_LOGGED, true, cmd_subscribe, NULL },
	{ "UNSUBSCRIBE", S_LOGGED, true, cmd_unsubscribe, NULL },
	{ "LIST", S_LOGGED, true, cmd_list, NULL },
	{ "LSUB", S_LOGGED, true, cmd_lsub, NULL },
	{ "NAMESPACE", S_LOGGED, true, imapd_cmd_namespace, NULL },
	{ "STATUS", S_LOGGED, true, imapd_cmd_status, NULL },
	{ "APPEND", S_LOGGED, true, imapd_cmd_append, NULL },
	{ "IDLE", S_LOGGED, true, imapd_cmd_idle, NULL },
	{ "CHECK", S_SEL, true, cmd_noop, NULL },
	{ "CLOSE", S_SEL, true, imapd_cmd_close, NULL },
	{ "UNSELECT", S_SEL, true, cmd_unselect, NULL },
	{ "EXPUNGE", S_SEL, true, NULL, imapd_cmd_expunge },
	{ "SEARCH", S_SEL, false, NULL, imapd_cmd_search },
	{ "FETCH", S_SEL, false, NULL, imapd_cmd_fetch },
	{ "STORE", S_SEL, false, NULL, imapd_cmd_store },
	{ "COPY", S_SEL, true, NULL, cmd_copy },
	{ "MOVE", S_SEL, true, NULL, cmd_move },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *
find(const char *verb)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].verb, verb) == 0)
			return &commands[i];
	return NULL;
}

/* dispatch - run c; whether EXPUNGE news may follow it. */
static bool
dispatch(struct imapd *st, const struct imap_cmd *c)
{
	const struct command *cmd;
	bool uid = false;
	size_t argi = 0;

	if (strcmp(c->verb, "UID") == 0) {
		char sub[32];
		size_t i;

		if (c->nargs == 0 || c->args[0].type != IMAP_ARG_ATOM ||
		    c->args[0].len >= sizeof sub) {
			imapd_bad(st, c, "UID needs a command");
			return false;
		}
		for (i = 0; i <= c->args[0].len; i++)
			sub[i] = (char)toupper((unsigned char)c->args[0].s[i]);
		cmd = find(sub);
		if (cmd == NULL || cmd->sel == NULL) {
			imapd_bad(st, c, "Unknown UID command");
			return false;
		}
		uid = true;
		argi = 1;
	} else if ((cmd = find(c->verb)) == NULL) {
		imapd_bad(st, c, "Unknown command %s", c->verb);
		return false;
	}
	if ((cmd->states & (1u << st->state)) == 0) {
		if (st->state == IMAPD_AUTH && (cmd->states & S_SEL))
			imapd_bad(st, c, "No mailbox selected");
		else
			imapd_bad(st, c, "Not valid in this state");
		return false;
	}
	if (cmd->plain != NULL)
		cmd->plain(st, c);
	else
		cmd->sel(st, c, uid, argi);
	return cmd->expunge_ok || uid;
}

static void
limits(struct imap_limits *lim)
{
	lim->line_max = (size_t)var_imapd_line_max;
	lim->text_max = lim->line_max * 4;
	lim->literal_max = (size_t)var_imapd_literal_max;
	lim->append_max = (size_t)var_message_size_limit;
	lim->literals_max = lim->append_max > lim->literal_max ?
	    lim->append_max : lim->literal_max;
	lim->discard_max = lim->literal_max;
	lim->depth_max = IMAPD_DEPTH_MAX;
	lim->min_rate = (unsigned)var_imapd_min_data_rate;
	lim->grace_ms = IMAP_LITERAL_GRACE_MS;
}

static void
finish(struct imapd *st)
{
	imapd_unselect(st);
	imapd_append_drop(st);
	free(st->spools);
	if (st->notify_fd >= 0)
		close(st->notify_fd);
	store_close(&st->store);
	imap_cmd_free(&st->cmd);
	imap_seqset_free(&st->saved);
	str_free(&st->user);
	str_free(&st->tagged);
	str_free(&st->kwlist);
	if (st->slot_user >= 0)
		close(st->slot_user);
	if (st->slot_ip >= 0)
		close(st->slot_ip);
	if (st->adopted)
		session_close(&st->ss);
	if (st->client_fd >= 0)
		close(st->client_fd);
}

void
imapd_session(int fd, const struct server_listener *l, void *ctx)
{
	struct imapd st;
	struct str err = STR_INIT;

	(void)ctx;
	memset(&st, 0, sizeof st);
	st.notify_fd = st.slot_ip = st.slot_user = st.client_fd = -1;
	st.store_dir = var_store_dir;
	imap_cmd_init(&st.cmd);
	imapd_append_sink(&st);
	limits(&st.lim);
	if (!imapd_adopt(&st, fd, l)) {
		finish(&st);
		return;
	}
	while (st.state != IMAPD_LOGOUT && !server_stopping) {
		enum imap_read_rc rc;
		bool expunge_ok = true, bad = false;

		rc = imap_cmd_read(&st.ss.b, &st.cmd, &st.lim, &err);
		if (rc == IMAP_READ_EOF)
			break;
		if (rc == IMAP_READ_TIMEOUT) {
			buf_set_deadline(&st.ss.b, BUF_LAST_WORDS_MS);
			buf_puts(&st.ss.b,
			    "* BYE Autologout; idle for too long\r\n");
			break;
		}
		if (rc == IMAP_READ_FATAL) {
			buf_printf(&st.ss.b, "* BYE %s\r\n", err.s);
			break;
		}
		str_clear(&st.tagged);
		/* A command that did not parse may still have been a FETCH,
		 * STORE or SEARCH to the client: no expunges (RFC 3501
		 * 7.4.1); they follow the next command. */
		expunge_ok = false;
		if (rc == IMAP_READ_BAD) {
			imapd_bad(&st, &st.cmd, "%s", err.s);
			bad = true;
		} else if (rc == IMAP_READ_NO) {
			imapd_no(&st, &st.cmd, "%s", err.s);
		} else {
			const char *t;

			expunge_ok = dispatch(&st, &st.cmd);
			t = str_cstr(&st.tagged);
			bad = strncmp(t + strcspn(t, " "), " BAD", 4) == 0;
		}
		imapd_append_drop(&st);
		if (st.state == IMAPD_SELECTED &&
		    imapd_sync(&st, expunge_ok) < 0)
			break;
		buf_put(&st.ss.b, st.tagged.s, st.tagged.len);
		st.bad_commands = bad ? st.bad_commands + 1 : 0;
		if (st.bad_commands >= (unsigned)var_imapd_error_limit) {
			buf_puts(&st.ss.b, "* BYE Too many bad commands\r\n");
			break;
		}
	}
	if (st.user.len > 0)
		log_info("logout user=%s", st.user.s);
	str_free(&err);
	finish(&st);
}
