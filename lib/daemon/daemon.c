/*
 * daemon - common daemon start-up; see daemon.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "priv.h"
#include "qid.h"
#include "ready.h"
#include "sandbox.h"
#include "tls.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc/roost"
#endif

static void __attribute__((noreturn))
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-c roost.conf] [-d notification-fd] [-v]\n",
	    prog);
	exit(EXIT_PERM);
}

void
daemon_start(struct daemon *d, const char *prog, int argc, char **argv)
{
	struct str err = STR_INIT;
	int c, verbose = 0;
	char *end;
	long v;

	d->prog = prog;
	d->conf = DAEMON_CONF_DEFAULT;
	d->notify_fd = -1;
	log_init(prog);
	while ((c = getopt(argc, argv, "c:d:v")) != -1) {
		switch (c) {
		case 'c':
			d->conf = optarg;
			break;
		case 'd':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 0 || v > 1024)
				usage(prog);
			d->notify_fd = (int)v;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(prog);
		}
	}
	if (optind != argc)
		usage(prog);
	if (cfg_load(d->conf, &err) < 0)
		log_fatal_config("%s", err.s);
	str_free(&err);
	{
		const char *lvl = var_log_level;

		log_set_level(verbose || strcmp(lvl, "debug") == 0 ? LOG_DEBUG :
		    strcmp(lvl, "warning") == 0 ? LOG_WARN :
		    strcmp(lvl, "error") == 0 ? LOG_ERROR : LOG_INFO);
	}
	/* Relative paths are taken from base_dir; being there also keeps
	 * working after the drop even if its parents are closed to us. */
	if (chdir(var_base_dir) < 0)
		log_fatal_config("%s: base_dir: cannot chdir to %s: %s",
		    d->conf, var_base_dir, strerror(errno));
	/* Nothing a daemon runs (pipe's commands included) may gain
	 * privileges through a setuid file or file capabilities. */
	if (priv_no_new_privs(&err) < 0)
		log_fatal("%s", err.s);
	str_free(&err);
}

void
daemon_drop(const struct daemon *d, const char *user_key)
{
	struct str err = STR_INIT;

	if (priv_drop(cfg_str(user_key), &err) < 0)
		log_fatal_config("%s: %s: %s", d->conf, user_key, err.s);
	str_free(&err);
}

void
daemon_ready(struct daemon *d)
{
	if (ready_notify(d->notify_fd) < 0)
		log_warn("readiness notification on fd %d failed: %s",
		    d->notify_fd, strerror(errno));
	d->notify_fd = -1;
	log_info("ready");
}

const char *
daemon_hostname(void)
{
	static char name[256];
	const char *h = var_myhostname;

	if (*h)
		return h;
	if (name[0] == '\0' && gethostname(name, sizeof name - 1) < 0)
		snprintf(name, sizeof name, "localhost");
	return name;
}

bool
daemon_tls(const struct daemon *d, const char *service)
{
	struct str err = STR_INIT;
	struct tls_conf c;

	tls_conf_from_cfg(&c, service);
	if (tls_load(&c, &err) < 0)
		log_fatal_config("%s: %s", d->conf, err.s);
	str_free(&err);
	return tls_available();
}

static mode_t unix_mode = 0660;
static bool sandbox_dns;

#define ALSO_MAX 4
static struct {
	const char *what, *value, *role;
} also[ALSO_MAX];
static size_t nalso;
static const char *jail;	/* daemon_confine */

void
daemon_listen_also(const char *what, const char *value, const char *role)
{
	if (nalso == ALSO_MAX)
		log_panic("daemon_listen_also: too many");
	also[nalso].what = what;
	also[nalso].value = value;
	also[nalso++].role = role;
}

void
daemon_confine(const char *dir)
{
	jail = dir;
}

void
daemon_sandbox_dns(void)
{
	sandbox_dns = true;
}

void
daemon_unix_mode(unsigned mode)
{
	unix_mode = (mode_t)mode;
}

/* server_conf - the worker pool of daemon name as configured:
 * name_process_min, name_process_limit and the process_* keys. */
static void
server_conf(struct server *s, const char *name)
{
	char key[64];

	memset(s, 0, sizeof *s);
	s->name = name;
	s->run_dir = var_run_dir;
	snprintf(key, sizeof key, "%s_process_min", name);
	s->min = (unsigned)cfg_int(key);
	snprintf(key, sizeof key, "%s_process_limit", name);
	s->limit = (unsigned)cfg_int(key);
	if (s->min > s->limit)
		s->min = s->limit;
	s->max_use = (unsigned)var_process_max_use;
	s->idle_timeout = (unsigned)var_process_idle_timeout;
	s->shutdown_timeout = (unsigned)var_shutdown_timeout;
}

void
daemon_serve(struct daemon *d, const char *name,
    const struct daemon_endpoint *eps, size_t neps, const char *user_key,
    void (*serve)(int, const struct server_listener *, void *))
{
	static struct server s;
	struct str err = STR_INIT;
	uid_t uid;
	gid_t gid;
	size_t i;

	/* An unknown user is a configuration error (exit 100), not a
	 * reason for s6 to restart us forever. */
	if (user_key != NULL && priv_is_root() &&
	    priv_lookup(cfg_str(user_key), &uid, &gid, &err) < 0)
		log_fatal_config("%s: %s: %s", d->conf, user_key, err.s);
	server_conf(&s, name);
	for (i = 0; i < neps; i++)
		if (server_listen_mode(&s, eps[i].key, cfg_str(eps[i].key),
		    eps[i].role, user_key ? cfg_str(user_key) : NULL, unix_mode,
		    &err) < 0)
			log_fatal("%s", err.s);
	for (i = 0; i < nalso; i++)
		if (server_listen_mode(&s, also[i].what, also[i].value,
		    also[i].role, user_key ? cfg_str(user_key) : NULL, unix_mode,
		    &err) < 0)
			log_fatal("%s", err.s);
	if (s.nls == 0)
		log_fatal_config("%s: no endpoint configured", d->conf);
	if (user_key != NULL && priv_drop_chroot(cfg_str(user_key),
	    priv_is_root() ? jail : NULL, &err) < 0)
		log_fatal_config("%s: %s: %s", d->conf, user_key, err.s);
	/* pipe (no user_key) stays root to run users' commands: a
	 * deny-list for it, an allow-list for every other daemon */
	sandbox_enter(d->prog, user_key == NULL ? SANDBOX_DENY :
	    sandbox_dns ? SANDBOX_ALLOW_DNS : SANDBOX_ALLOW);
	s.serve = serve;
	s.tick = daemon_sweep_slots;
	s.tick_s = 60;
	daemon_ready(d);
	server_run(&s);
}

const char *
daemon_session_id(void)
{
	static char id[QID_LEN + 1];

	qid_new(id);
	return id;
}
