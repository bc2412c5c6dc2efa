/*
 * daemon - the steps every roost daemon's main() takes, in order:
 *
 *   daemon_start()  options -c CONF -d FD -v, logging, configuration
 *                   (a bad file stops the daemon with exit 100 and a
 *                   message naming file, line and key), chdir(base_dir)
 *   daemon_tls()    (TLS daemons) read certificates and keys
 *   ...bind sockets, open what needs privilege...
 *   daemon_drop()   become the configured user (when root)
 *   daemon_ready()  tell s6 the service is up
 *   ...serve...
 */
#ifndef ROOST_DAEMON_H
#define ROOST_DAEMON_H
#include <stdbool.h>
#include <stddef.h>

struct daemon {
	const char *prog;
	const char *conf;	/* configuration file */
	int notify_fd;		/* s6 notification fd, or -1 */
};

#define DAEMON_CONF_DEFAULT SYSCONFDIR "/roost.conf"

void daemon_start(struct daemon *d, const char *prog, int argc,
    char **argv);
/* daemon_drop - priv_drop to the user named by config key user_key. */
void daemon_drop(const struct daemon *d, const char *user_key);
void daemon_ready(struct daemon *d);
/* daemon_hostname - myhostname, or the system's host name. */
const char *daemon_hostname(void);
/*
 * daemon_tls - load the TLS context of service ("smtpd", "imapd",
 * "popd") with tls_load(): call after daemon_start and before
 * daemon_serve or daemon_drop, so the key files are read with the
 * privileges the daemon started with and the workers forked later share
 * one context (and its session-ticket keys).  A configured file that is
 * missing or unreadable stops the daemon (exit 100, naming key and
 * file); when no certificate is available TLS is off (tls_available()
 * is false) and a line says so.  Returns tls_available().
 */
bool daemon_tls(const struct daemon *d, const char *service);



#include "server.h"

struct daemon_endpoint {
	const char *key;	/* listen key in roost.conf */
	const char *role;	/* tag handed to serve() */
};

/* daemon_unix_mode - the mode daemon_serve gives its Unix sockets
 * (default 0660; cleanup's is 0666, any local user may submit).  A
 * setter rather than an endpoint field keeps the existing positional
 * endpoint tables compiling under -Wextra. */
void daemon_unix_mode(unsigned mode);

/* daemon_sandbox_dns - daemon_serve gives the workers a filter that
 * lets them ask DNS (SANDBOX_ALLOW_DNS, sandbox.h). */
void daemon_sandbox_dns(void);

/* daemon_listen_also - one more endpoint for daemon_serve, with its
 * listen value (kept, not copied) rather than a key; what names it in
 * messages. */
void daemon_listen_also(const char *what, const char *value,
    const char *role);
/* daemon_confine - daemon_serve chroots to dir (kept, not copied) before
 * it drops to its user, when started as root. */
void daemon_confine(const char *dir);
/* daemon_login_dir - make run_dir/login_dir, root's and open to all
 * (0755) when root: it holds the sockets the login processes use and is
 * their chroot.  daemon_login_path - the path of socket name in it as
 * this process sees it: "/name" once confined there, else under
 * run_dir. */
void daemon_login_dir(const struct daemon *d);
void daemon_login_path(const char *name, bool confined, struct str *out);

/*
 * daemon_serve - the whole life of a session daemon named name: bind every
 * endpoint (Unix sockets owned by the user in user_key), drop to that
 * user, signal readiness and run the worker pool with serve().  A NULL
 * user_key keeps the privileges the daemon started with (pipe(8), whose
 * workers become each delivery's account) and leaves its sockets owned
 * by that user.
 */
void daemon_serve(struct daemon *d, const char *name,
    const struct daemon_endpoint *eps, size_t neps, const char *user_key,
    void (*serve)(int, const struct server_listener *, void *))
    __attribute__((noreturn));
/* daemon_run_subdir - make run_dir/<name> (the session-count locks of
 * lib/base/slots.h) the property of the account in user_key.  Call before
 * daemon_serve.  name NULL: the program's name (cleanup's socket has
 * that one). */
void daemon_run_subdir(const struct daemon *d, const char *name,
    const char *user_key);
/* daemon_sweep_slots - remove the unused session slot files from the
 * folders daemon_run_subdir made (lib/base/slots.h: slot_sweep);
 * daemon_serve's master runs it at start and every minute. */
void daemon_sweep_slots(void);
/* daemon_store_prepare - daemon_run_subdir for a daemon serving the
 * store to users, whose account in user_key must also be the store's
 * owner (lmtpd_user). */
void daemon_store_prepare(const struct daemon *d, const char *user_key);
/* daemon_session_id - a fresh id for log lines (a queue-ID-like string). */
const char *daemon_session_id(void);
#endif
