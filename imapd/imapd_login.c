/*
 * imapd_login - how a session reaches imapd: imap-login hands it over
 * after authd accepted the login (lib/mail/login.h); imapd redeems the
 * ticket, takes the per-user session slot and opens the store, and
 * answers the login command itself.
 */
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "imapd.h"
#include "log.h"
#include "login.h"
#include "slots.h"

/* refuse - the login command's NO, then the end of the session (there
 * is no not-authenticated state here to go back to). */
static void
refuse(struct imapd *st, const char *text)
{
	buf_printf(&st->ss.b, "%s NO %s\r\n* BYE Logging out\r\n",
	    st->cmd.tag[0] ? st->cmd.tag : "*", text);
}

/* enter - user has authenticated: the session limit, the store, and the
 * authenticated state. */
static bool
enter(struct imapd *st, const char *user, const char *mech)
{
	struct str err = STR_INIT, dir = STR_INIT;
	bool ok = false;

	str_copyf(&dir, "%s/imapd", var_run_dir);
	st->slot_user = slot_take(dir.s, user,
	    (unsigned)var_imapd_user_sessions, &err);
	if (st->slot_user == -1) {
		log_info("user=%s refused: too many sessions", user);
		refuse(st, "[LIMIT] Too many sessions for this user");
		goto out;
	}
	if (st->slot_user == -2) {
		log_warn("session limit: %s", err.s);
		st->slot_user = -1;
	}
	if (store_open_login(&st->store, st->store_dir, user,
	    (uint64_t)var_quota_default, &err) != STORE_OK) {
		log_error("user=%s store: %s", user, str_cstr(&err));
		refuse(st, "[UNAVAILABLE] Mailbox store unavailable");
		goto out;
	}
	str_copys(&st->user, user);
	st->state = IMAPD_AUTH;
	log_info("login user=%s mech=%s", user, mech);
	str_clear(&dir);
	imapd_caps(st, &dir);
	buf_printf(&st->ss.b, "%s OK [CAPABILITY %s] Logged in\r\n",
	    st->cmd.tag[0] ? st->cmd.tag : "*", dir.s);
	ok = true;
out:
	str_free(&err);
	str_free(&dir);
	return ok;
}

bool
imapd_adopt(struct imapd *st, int sock, const struct server_listener *l)
{
	struct attrs a = ATTRS_INIT;
	struct str user = STR_INIT;
	enum login_adopted rc;
	const char *tag, *mech;
	bool ok = false;

	rc = login_adopt(sock, "imap", l->role, var_imapd_timeout, &st->ss,
	    &st->client_fd, &st->slot_ip, &a, &user);
	if (rc == LOGIN_NONE)
		goto out;
	st->adopted = true;
	tag = attr_get(&a, "tag");
	if (tag != NULL && strlen(tag) < sizeof st->cmd.tag &&
	    tag[strcspn(tag, " \r\n")] == '\0')
		memcpy(st->cmd.tag, tag, strlen(tag) + 1);
	mech = attr_get(&a, "mech");
	if (rc == LOGIN_REFUSED)
		refuse(st, "[UNAVAILABLE] Login failed; try again later");
	else
		ok = enter(st, user.s, mech != NULL ? mech : "-");
out:
	attrs_free(&a);
	str_free(&user);
	return ok;
}
