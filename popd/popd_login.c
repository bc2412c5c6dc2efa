/*
 * popd_login - how a session reaches popd: pop3-login hands it over
 * after authd accepted the login (lib/mail/login.h); popd redeems the
 * ticket, applies the per-user limits and takes the INBOX snapshot,
 * and answers the login command itself.  Also CAPA's list after login.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "login.h"
#include "popd.h"
#include "slots.h"


void
popd_caps(const struct popd *p, struct str *out)
{
	const char *expire = var_popd_expire;

	(void)p;
	str_cats(out, "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
	    "PIPELINING\r\n");
	if (strcmp(expire, "never") == 0)
		str_cats(out, "EXPIRE NEVER\r\n");
	else if (*expire != '\0')
		str_catf(out, "EXPIRE %s\r\n", expire);
	if (var_popd_login_delay > 0)
		str_catf(out, "LOGIN-DELAY %lld\r\n",
		    var_popd_login_delay);
	str_cats(out, "IMPLEMENTATION roost\r\n");
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

bool
popd_adopt(struct popd *p, int sock, const struct server_listener *l)
{
	struct attrs a = ATTRS_INIT;
	struct str user = STR_INIT;
	enum login_adopted rc;
	const char *mech;

	rc = login_adopt(sock, "pop", l->role, var_popd_timeout, &p->ss,
	    &p->client_fd, &p->slot_ip, &a, &user);
	if (rc != LOGIN_NONE)
		p->adopted = true;
	if (rc == LOGIN_REFUSED)
		popd_err(p, "[SYS/TEMP] Login failed; try later");
	else if (rc == LOGIN_OK) {
		mech = attr_get(&a, "mech");
		login(p, user.s, mech != NULL ? mech : "-");
	}
	attrs_free(&a);
	str_free(&user);
	return p->state == POPD_TRANSACTION;
}
