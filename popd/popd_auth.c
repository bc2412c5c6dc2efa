/*
 * popd_auth - the AUTHORIZATION state: CAPA's list, USER/PASS (RFC
 * 1939 7) and AUTH (RFC 5034), both checked by authd(8), then the
 * session limits and the INBOX snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "authc.h"
#include "cfg.h"
#include "log.h"
#include "popd.h"
#include "slots.h"
#include "tls.h"

#define SERVICE "pop"

void
popd_caps(const struct popd *p, struct str *out)
{
	struct str mechs = STR_INIT;
	const char *expire = var_popd_expire;

	str_cats(out, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
	    "PIPELINING\r\n");
	if (p->state == POPD_AUTHORIZATION) {
		/* USER/PASS is plaintext: offered when PLAIN would be, and
		 * while authd cannot say (PASS then fails as temporary) */
		if (authc_mechs(SERVICE, p->secured, p->ss.peer.s, &mechs) < 0 ||
		    authc_offers(str_cstr(&mechs), "PLAIN"))
			str_cats(out, "USER\r\n");
		if (mechs.len > 0)
			str_catf(out, "SASL %s\r\n", mechs.s);
		if (!p->secured && tls_available())
			str_cats(out, "STLS\r\n");
	}
	if (strcmp(expire, "never") == 0)
		str_cats(out, "EXPIRE NEVER\r\n");
	else if (*expire != '\0')
		str_catf(out, "EXPIRE %s\r\n", expire);
	if (var_popd_login_delay > 0)
		str_catf(out, "LOGIN-DELAY %lld\r\n",
		    var_popd_login_delay);
	str_cats(out, "IMPLEMENTATION roost\r\n");
	str_free(&mechs);
}

/* login_delay - RFC 2449 LOGIN-DELAY: false when user logged in less
 * than popd_login_delay ago; else the time of this login is kept in
 * run_dir/popd/<user>.login. */
static bool
login_delay_ok(const char *dir, const char *user)
{
	long long delay = var_popd_login_delay;
	struct str path = STR_INIT;
	struct stat sb;
	bool ok = true;
	int fd;

	if (delay <= 0)
		return true;
	slot_key_path(dir, user, &path);
	str_cats(&path, ".login");
	if (stat(path.s, &sb) == 0 && time(NULL) - sb.st_mtime < delay &&
	    time(NULL) >= sb.st_mtime)
		ok = false;
	if (ok) {
		fd = open(path.s, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600);
		if (fd < 0 || futimens(fd, NULL) < 0)
			log_warn("%s: %s", path.s, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	str_free(&path);
	return ok;
}

/* login - user has authenticated: take a session slot, open the store
 * and the snapshot, and enter the TRANSACTION state. */
static void
login(struct popd *p, const char *user, const char *mech)
{
	struct str dir = STR_INIT, err = STR_INIT;
	unsigned limit = (unsigned)var_popd_user_sessions;

	str_copyf(&dir, "%s/popd", var_run_dir);
	p->slot_user = slot_take(dir.s, user, limit, &err);
	if (p->slot_user == -1) {
		log_info("user=%s refused: %s", user, limit == 1 ?
		    "another session is active" : "too many sessions");
		popd_err(p, "[IN-USE] %s", limit == 1 ?
		    "Another POP3 session of this user is active" :
		    "Too many POP3 sessions of this user");
		goto out;
	}
	if (p->slot_user == -2) {
		log_warn("session limit: %s", err.s);
		p->slot_user = -1;
	}
	if (!login_delay_ok(dir.s, user)) {
		log_info("user=%s refused: login delay", user);
		popd_err(p, "[LOGIN-DELAY] Wait %lld seconds between logins",
		    var_popd_login_delay);
		goto fail;
	}
	if (store_open_login(&p->store, p->store_dir, user,
	    (uint64_t)var_quota_default, &err) != STORE_OK ||
	    popd_maildrop_load(p, &err) < 0) {
		log_error("user=%s store: %s", user, str_cstr(&err));
		popd_err(p, "[SYS/TEMP] Mailbox unavailable; try later");
		store_close(&p->store);
		goto fail;
	}
	str_copys(&p->user, user);
	p->state = POPD_TRANSACTION;
	buf_set_deadline(&p->ss.b, 0);	/* popd_login_timeout is over */
	log_info("login user=%s mech=%s messages=%zu octets=%llu", user, mech,
	    p->nmsgs, (unsigned long long)p->total_size);
	popd_ok(p, "Logged in; %zu messages (%llu octets)", p->nmsgs,
	    (unsigned long long)p->total_size);
	goto out;
fail:
	if (p->slot_user >= 0)
		close(p->slot_user);
	p->slot_user = -1;
out:
	str_free(&dir);
	str_free(&err);
}

/* result - act on authd's answer. */
static void
result(struct popd *p, struct authc_result *res, const char *user,
    const char *mech)
{
	if (res->status == AUTHC_OK) {
		login(p, res->user.s, mech);
		return;
	}
	if (res->status == AUTHC_TEMPFAIL) {
		log_error("auth user=%s mech=%s: %s", user, mech,
		    str_cstr(&res->text));
		popd_err(p, "[SYS/TEMP] Authentication unavailable; try "
		    "later");
		return;
	}
	log_info("auth failed user=%s mech=%s from=%s: %s", user, mech,
	    p->ss.peer.s, str_cstr(&res->code));
	if (str_eqs(&res->code, "cancelled")) {
		popd_err(p, "Authentication cancelled");
		return;
	}
	if (str_eqs(&res->code, "mechanism")) {
		popd_err(p, "[AUTH] Mechanism not available on this "
		    "connection");
		return;
	}
	p->auth_failures++;
	authc_delay(&p->ss.b, res);
	popd_err(p, "[AUTH] %s", str_eqs(&res->code, "blocked") ?
	    "Too many failed logins; try later" : "Authentication failed");
}

void
popd_cmd_user(struct popd *p, const char *args)
{
	struct str mechs = STR_INIT;

	if (authc_mechs(SERVICE, p->secured, p->ss.peer.s, &mechs) == 0 &&
	    !authc_offers(str_cstr(&mechs), "PLAIN"))
		popd_err(p, "[AUTH] Plaintext login refused on an "
		    "unencrypted connection; use STLS");
	else if (*args == '\0' || strlen(args) > 255)
		popd_err(p, "USER needs a user name");
	else {
		str_copys(&p->user, args);
		p->have_user = true;
		popd_ok(p, "Send the password");
	}
	str_free(&mechs);
}

void
popd_cmd_pass(struct popd *p, const char *args)
{
	struct authc_result res;

	if (!p->have_user) {
		popd_err(p, "USER first");
		return;
	}
	p->have_user = false;
	memset(&res, 0, sizeof res);
	authc_password(SERVICE, p->user.s, args, p->ss.peer.s, p->secured,
	    &res);
	result(p, &res, p->user.s, "USER");
	authc_result_free(&res);
}

void
popd_cmd_auth(struct popd *p, const char *args)
{
	struct authc_result res;
	struct str mech = STR_INIT, mechs = STR_INIT;
	const char *sp = strchr(args, ' ');
	size_t i;

	if (*args == '\0') {
		/* the pre-RFC 5034 probe some clients still send */
		(void)authc_mechs(SERVICE, p->secured, p->ss.peer.s, &mechs);
		popd_ok(p, "Mechanisms follow");
		for (i = 0; i < mechs.len; i++)
			buf_put(&p->ss.b, mechs.s[i] == ' ' ? "\r\n" :
			    &mechs.s[i], mechs.s[i] == ' ' ? 2 : 1);
		buf_puts(&p->ss.b, mechs.len > 0 ? "\r\n.\r\n" : ".\r\n");
		str_free(&mechs);
		return;
	}
	str_copyb(&mech, args, sp != NULL ? (size_t)(sp - args) :
	    strlen(args));
	memset(&res, 0, sizeof res);
	authc_converse(&p->ss.b, "+ ", SERVICE, mech.s, p->ss.peer.s,
	    p->secured, sp != NULL ? sp + 1 : NULL, &res);
	result(p, &res, res.status == AUTHC_OK ? res.user.s : "-", mech.s);
	authc_result_free(&res);
	str_free(&mech);
}
