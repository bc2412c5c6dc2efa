/*
 * roostctl - the one admin command.
 *
 *   roostctl [-d DIR] [-c FILE] [--port-base N] COMMAND
 *
 * With -d DIR the embedded layout in DIR is used (created on first
 * start); otherwise the installed one (/etc/roost/roost.conf).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "ctl.h"
#include "daemon.h"
#include "listen.h"
#include "log.h"
#include "priv.h"

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: roostctl [-d DIR] [-c FILE] [--port-base N] COMMAND\n"
	    "commands:\n"
	    "  init               create the embedded layout (-d), start "
	    "nothing\n"
	    "  start              start every service; wait until all are ready\n"
	    "  stop               stop every service; wait until all are gone\n"
	    "  status             each service with its pid and uptime\n"
	    "  restart SERVICE    restart one service (%s",
	    ctl_services[0]);
	for (size_t i = 1; i < ctl_nservices; i++)
		fprintf(code ? stderr : stdout, ", %s", ctl_services[i]);
	fprintf(code ? stderr : stdout, ")\n"
	    "  config [check]     print the effective configuration, or "
	    "validate it\n"
	    "  user add|del|list|passwd|quota|forward|undelete ...\n"
	    "                     manage users (roostctl(8))\n"
	    "  domain add|del|list DOMAIN\n"
	    "                     manage virtual domains\n"
	    "  queue [list|show|hold|release|requeue|delete|flush] [ID...]\n"
	    "                     inspect and manage the mail queue\n"
	    "  mailbox list|show|fetch|check USER ...\n"
	    "                     look into a user's mailboxes\n"
	    "  expire [--older-than TIME]\n"
	    "                     purge expunged messages past retention\n"
	    "  dns lookup TYPE NAME... | mx DOMAIN | addrs HOST | fcrdns IP\n"
	    "                     ask DNS as the daemons do\n"
	    "options:\n"
	    "  -d DIR             use the embedded layout in DIR\n"
	    "  -c FILE            configuration file (default %s)\n"
	    "  --port-base N      embedded layout: ports N+25, N+587, ... "
	    "(default %d)\n", DAEMON_CONF_DEFAULT, CTL_PORT_BASE_DEFAULT);
	exit(code);
}

/* absolute - path made absolute against the working directory. */
static void
absolute(const char *path, struct str *out)
{
	char cwd[PATH_MAX];

	str_clear(out);
	if (path[0] != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL) {
			fprintf(stderr, "roostctl: getcwd: %s\n",
			    strerror(errno));
			exit(111);
		}
		str_catf(out, "%s/", cwd);
	}
	str_cats(out, path);
}

/* endpoint - the first endpoint of a listen key, for the welcome text. */
static void
endpoint(const char *key, struct str *out)
{
	struct listen_spec sp[LISTEN_MAX];
	struct str err = STR_INIT;
	size_t n = 0;

	str_clear(out);
	if (listen_parse(cfg_str(key), sp, &n, &err) == 0 && n > 0) {
		if (strcmp(sp[0].host, "0.0.0.0") == 0)
			str_copyf(out, "localhost:%u", sp[0].port);
		else
			listen_format(&sp[0], out);
	} else
		str_copys(out, "(not listening)");
	str_free(&err);
}

static void
print_welcome(struct ctl *c, pid_t svscan, const struct str *fp)
{
	struct str ports = STR_INIT, smtp = STR_INIT, imap = STR_INIT;
	struct str self = STR_INIT;

	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	/* Name this very program, which need not be on PATH. */
	exe[n > 0 ? n : 0] = '\0';
	str_copys(&self, n > 0 ? exe : "roostctl");
	if (c->embed_dir)
		str_catf(&self, " -d %s", c->embed_dir);
	ctl_listen_summary(&ports);
	endpoint("smtpd_listen", &smtp);
	endpoint("imapd_listen", &imap);
	printf("roost is running (s6-svscan pid %ld)\n%s", (long)svscan,
	    str_cstr(&ports));
	if (fp->len > 0) {
		struct str cert = STR_INIT;

		ctl_abspath("tls_cert_file", &cert);
		printf("TLS certificate: %s\n  SHA-256 fingerprint %s\n",
		    cert.s, fp->s);
		str_free(&cert);
	} else
		printf("TLS: off (no certificate)\n");
	printf("logs:    %s/<service>/current\n"
	    "status:  %s status\n"
	    "stop:    %s stop\n", c->logdir.s, self.s, self.s);
	printf("add a user:\n"
	    "  echo secret | %s user add you@example.test --password-stdin\n"
	    "send a message:\n"
	    "  swaks --server %s --from me@localhost --to you@example.test\n"
	    "read it:\n"
	    "  %s mailbox show you@example.test INBOX\n"
	    "  %s mailbox fetch you@example.test INBOX 1\n"
	    "  curl -u you@example.test:secret "
	    "'imap://%s/INBOX;UID=1'\n",
	    self.s, smtp.s, self.s, self.s, imap.s);
	str_free(&ports);
	str_free(&smtp);
	str_free(&imap);
	str_free(&self);
}

static int
cmd_start(struct ctl *c)
{
	static struct str fp;
	pid_t pid;

	int rc;

	if (c->embed_dir && (rc = ctl_layout_embedded(c)) != 0)
		return rc;
	ctl_load(c, true);
	if (c->port_base >= 0 && c->embed_dir &&
	    strstr(var_smtpd_listen, ":") != NULL) {
		/* --port-base only shapes a new layout; say so when the
		 * existing one disagrees rather than silently ignoring it. */
		char want[32];

		snprintf(want, sizeof want, ":%ld",
		    25 + c->port_base);
		if (strstr(var_smtpd_listen, want) == NULL)
			fprintf(stderr, "roostctl: note: --port-base applies "
			    "when %s is created; using the ports in %s\n",
			    c->embed_dir, c->conf.s);
	}
	if ((pid = ctl_svscan_pid(c)) != 0) {
		printf("roost is already running (s6-svscan pid %ld)\n",
		    (long)pid);
		return 0;
	}
	if (ctl_prepare(c) < 0 || ctl_tls_prepare(c, &fp) < 0 ||
	    ctl_tables_refresh(c) < 0 || ctl_write_services(c) < 0 ||
	    ctl_svscan_start(c) < 0)
		return 111;
	if (ctl_wait_ready(c) < 0) {
		(void)ctl_stop(c);
		return 111;
	}
	print_welcome(c, ctl_svscan_pid(c), &fp);
	return 0;
}

/* as_owner - when root, make the layout (directories, accounts), then
 * become the account of user_key for good. */
static void
as_owner(struct ctl *c, const char *user_key)
{
	struct str err = STR_INIT;

	if (!priv_is_root())
		return;
	if (ctl_prepare(c) < 0)
		exit(111);
	if (priv_drop(cfg_str(user_key), &err) < 0) {
		fprintf(stderr, "roostctl: %s\n", err.s);
		exit(111);
	}
	str_free(&err);
}

static int
cmd_config(struct ctl *c, int argc, char **argv)
{
	struct str out = STR_INIT;

	ctl_load(c, true);
	if (argc > 0 && strcmp(argv[0], "check") == 0) {
		printf("%s: ok\n", c->conf.s);
		return 0;
	}
	if (argc > 0)
		usage(100);
	cfg_dump(&out, false);
	fputs(str_cstr(&out), stdout);
	str_free(&out);
	return 0;
}

int
main(int argc, char **argv)
{
	/* Process-lifetime state: static, so it stays reachable. */
	static struct ctl c;
	static struct str dir;
	char **args = NULL, *end;
	const char *conf = NULL;
	int nargs = 0, i;

	memset(&c, 0, sizeof c);
	c.port_base = -1;
	log_init("roostctl");
	for (i = 1; i < argc && args == NULL; i++) {
		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			c.embed_dir = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "--port-base") == 0 && i + 1 < argc) {
			errno = 0;
			c.port_base = strtol(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || c.port_base < 0)
				usage(100);
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			usage(0);
		else if (argv[i][0] == '-')
			usage(100);
		else {
			/* Options end at the command: the rest are its own. */
			args = argv + i;
			nargs = argc - i;
		}
	}
	if (nargs == 0)
		usage(100);
	/* Absolute paths, so the s6 scripts work from any directory. */
	if (c.embed_dir) {
		absolute(c.embed_dir, &dir);
		c.embed_dir = dir.s;
		str_copyf(&c.conf, "%s/etc/roost.conf", c.embed_dir);
	}
	if (conf)
		absolute(conf, &c.conf);
	else if (!c.embed_dir)
		str_copys(&c.conf, DAEMON_CONF_DEFAULT);

	if (strcmp(args[0], "start") == 0 && nargs == 1)
		return cmd_start(&c);
	/* the layout alone, to edit roost.conf before the first start */
	if (strcmp(args[0], "init") == 0 && nargs == 1) {
		if (!c.embed_dir)
			usage(100);
		return ctl_layout_embedded(&c);
	}
	if (strcmp(args[0], "config") == 0)
		return cmd_config(&c, nargs - 1, args + 1);
	if (c.embed_dir && access(c.conf.s, F_OK) != 0) {
		printf("roost is not running (no layout in %s)\n", c.embed_dir);
		return strcmp(args[0], "status") == 0 ? 3 :
		    strcmp(args[0], "stop") == 0 ? 0 : 1;
	}
	if (strcmp(args[0], "stop") == 0 && nargs == 1) {
		ctl_load(&c, false);
		return ctl_stop(&c);
	}
	if (strcmp(args[0], "status") == 0 && nargs == 1) {
		ctl_load(&c, false);
		return ctl_status(&c);
	}
	if (strcmp(args[0], "restart") == 0 && nargs == 2) {
		int rc;

		ctl_load(&c, true);
		rc = ctl_restart(&c, args[1]);
		/* IMAP and POP3 are two processes each (doc/SECURITY.md);
		 * a restart to apply a change of imapd_* or popd_* keys
		 * must reach the login process, which owns the ports. */
		if (rc == 0 && strcmp(args[1], "imapd") == 0)
			rc = ctl_restart(&c, "imap-login");
		else if (rc == 0 && strcmp(args[1], "popd") == 0)
			rc = ctl_restart(&c, "pop3-login");
		return rc;
	}
	ctl_load(&c, true);
	/* DNS needs no account: the answers touch nothing */
	if (strcmp(args[0], "dns") == 0) {
		int rc = ctl_cmd_dns(&c, nargs - 1, args + 1);

		if (rc == 100)
			usage(100);
		return rc;
	}
	/* The store and the queue belong to daemon accounts; root acting
	 * on them would follow whatever links those accounts planted
	 * there, so it becomes the owner first.  The tables in data_dir
	 * are root's: user and domain stay root for them, and do their
	 * work in the store as its owner (ctl_as_store_owner). */
	if (strcmp(args[0], "queue") == 0)
		as_owner(&c, "qmgr_user");
	else if (strcmp(args[0], "user") == 0 ||
	    strcmp(args[0], "domain") == 0) {
		if (priv_is_root() && ctl_prepare(&c) < 0)
			return 111;
	} else
		as_owner(&c, "lmtpd_user");
	if (strcmp(args[0], "user") == 0)
		return ctl_cmd_user(&c, nargs - 1, args + 1);
	if (strcmp(args[0], "domain") == 0)
		return ctl_cmd_domain(&c, nargs - 1, args + 1);
	if (strcmp(args[0], "queue") == 0)
		return ctl_cmd_queue(&c, nargs - 1, args + 1);
	if (strcmp(args[0], "mailbox") == 0)
		return ctl_cmd_mailbox(&c, nargs - 1, args + 1);
	if (strcmp(args[0], "expire") == 0)
		return ctl_cmd_expire(&c, nargs - 1, args + 1);
	usage(100);
}
