/*
 * authd - the authentication daemon (see authd.h and authd(8)).  main()
 * only wires: the peers it serves, the shared failure counters and
 * libsasl2 are set up in the master, before the workers fork, so every
 * worker of every service counts failures in the same table.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "authd.h"
#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "priv.h"

static struct str login_sock = STR_INIT;

static const struct daemon_endpoint endpoints[] = {
    {"authd_listen", "auth"},
};

static void
add_peer(uid_t uid, bool redeem)
{
	for (size_t i = 0; i < authd_peers.n; i++)
		if (authd_peers.uid[i] == uid) {
			authd_peers.redeem[i] |= redeem;
			return;
		}
	if (authd_peers.n < sizeof authd_peers.uid / sizeof authd_peers.uid[0]) {
		authd_peers.redeem[authd_peers.n] = redeem;
		authd_peers.uid[authd_peers.n++] = uid;
	}
}

/* prepare - run_dir/authd for the per-address login slots and the
 * tickets; the peers are root, itself and the accounts of the daemons
 * that authenticate clients (in the embedded layout of an ordinary user
 * all of them are one), and only imapd and popd may redeem tickets.
 * authd_user is an account of its own: the only one that reads
 * passwd.db, with no access to the store. */
static void
prepare(const struct daemon *d)
{
	static const struct {
		const char *key;
		bool redeem;
	} clients[] = {
	    {"smtpd_user", false},
	    {"login_user", false},
	    {"imapd_user", true},
	    {"popd_user", true},
	};
	struct str err = STR_INIT;
	uid_t uid = geteuid();
	gid_t gid = getegid();

	daemon_run_subdir(d, NULL, "authd_user");
	if (priv_is_root() &&
	    priv_lookup(var_authd_user, &uid, &gid, &err) < 0)
		log_fatal_config("%s: %s: %s", d->conf, "authd_user", err.s);
	authd_ticket_prepare(uid, gid, priv_is_root());
	add_peer(0, true);
	add_peer(uid, true);
	for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
		if (priv_lookup(cfg_str(clients[i].key), &uid, &gid, &err) == 0)
			add_peer(uid, clients[i].redeem);
		else
			log_warn("%s: %s: %s (it cannot use authd)", d->conf,
			    clients[i].key, err.s);
	}
	str_free(&err);
	/* The login processes, chrooted to login_dir, find authd there. */
	daemon_login_dir(d);
	str_copyf(&login_sock, "unix:%s/auth", var_login_dir);
	daemon_listen_also("login_dir", login_sock.s, "auth");
}

int
main(int argc, char **argv)
{
	struct auth_throttle_limits lim;
	struct str err = STR_INIT;
	struct daemon d;

	daemon_start(&d, "authd", argc, argv);
	prepare(&d);
	lim.ip_limit = (unsigned)var_auth_ip_failure_limit;
	lim.user_ip_limit = (unsigned)var_auth_user_ip_failure_limit;
	lim.window = var_auth_failure_window;
	lim.block = var_auth_block_time;
	authd_throttle = auth_throttle_create(
	    (size_t)var_auth_throttle_entries, &lim);
	if (authd_throttle == NULL)
		log_fatal("cannot map the failure table: %s", strerror(errno));
	if (cidr_parse(var_auth_throttle_exempt, &authd_exempt, &err) < 0)
		log_fatal_config("%s: auth_throttle_exempt: %s", d.conf, err.s);
	authd_sasl_init();
	/* Any local process may connect; authd_session serves only the
	 * peers prepare() listed (SO_PEERCRED). */
	daemon_unix_mode(0666);
	daemon_serve(&d, "authd", endpoints, 1, "authd_user", authd_session);
}
