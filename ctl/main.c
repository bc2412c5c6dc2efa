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
#include "log.h"

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: roostctl [-d DIR] [-c FILE] [--port-base N] COMMAND\n"
	    "commands:\n"
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
	    "options:\n"
	    "  -d DIR             use the embedded layout in DIR\n"
	    "  -c FILE            configuration file (default %s)\n"
	    "  --port-base N      embedded layout: ports N+25, N+587, ... "
	    "(default %d)\n", DAEMON_CONF_DEFAULT, CTL_PORT_BASE_DEFAULT);
	exit(code);
}

static void
print_welcome(struct ctl *c, pid_t svscan)
{
	struct str ports = STR_INIT;
	const char *self = c->embed_dir ? "roostctl -d " : "roostctl";

	ctl_listen_summary(&ports);
	printf("roost is running (s6-svscan pid %ld)\n%s", (long)svscan,
	    ports.s ? ports.s : "");
	printf("logs:   %s/<service>/current\n", c->logdir.s);
	printf("status: %s%s status    stop: %s%s stop\n", self,
	    c->embed_dir ? c->embed_dir : "", self,
	    c->embed_dir ? c->embed_dir : "");
	printf("send a message:\n"
	    "  swaks --server %s --from you@localhost --to you@localhost\n"
	    "read it:\n"
	    "  curl -u USER:PASSWORD 'imap://%s/INBOX;UID=1'\n",
	    c->embed_dir ? "127.0.0.1:<SMTP port>" : "localhost:25",
	    c->embed_dir ? "127.0.0.1:<IMAP port>" : "localhost");
	str_free(&ports);
}

static int
cmd_start(struct ctl *c)
{
	pid_t pid;

	if (c->embed_dir && ctl_layout_embedded(c) < 0)
		return 111;
	ctl_load(c);
	if (c->port_base >= 0 && c->embed_dir &&
	    strstr(cfg_str("smtpd_listen"), ":") != NULL) {
		/* --port-base only shapes a new layout; say so when the
		 * existing one disagrees rather than silently ignoring it. */
		char want[32];

		snprintf(want, sizeof want, ":%ld",
		    25 + c->port_base);
		if (strstr(cfg_str("smtpd_listen"), want) == NULL)
			fprintf(stderr, "roostctl: note: --port-base applies "
			    "when %s is created; using the ports in %s\n",
			    c->embed_dir, c->conf.s);
	}
	if ((pid = ctl_svscan_pid(c)) != 0) {
		printf("roost is already running (s6-svscan pid %ld)\n",
		    (long)pid);
		return 0;
	}
	if (ctl_prepare(c) < 0 || ctl_write_services(c) < 0 ||
	    ctl_svscan_start(c) < 0)
		return 111;
	if (ctl_wait_ready(c) < 0) {
		(void)ctl_stop(c);
		return 111;
	}
	print_welcome(c, ctl_svscan_pid(c));
	return 0;
}

static int
cmd_config(struct ctl *c, int argc, char **argv)
{
	struct str out = STR_INIT;

	ctl_load(c);
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
	struct ctl c;
	char *args[8], *end;
	const char *conf = NULL;
	char dir[PATH_MAX];
	int nargs = 0, i;

	memset(&c, 0, sizeof c);
	c.port_base = -1;
	log_init("roostctl");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			c.embed_dir = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(argv[i], "--port-base") == 0 && i + 1 < argc) {
			errno = 0;
			c.port_base = strtol(argv[++i], &end, 10);
			if (errno || *end || c.port_base < 0)
				usage(100);
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			usage(0);
		else if (argv[i][0] == '-')
			usage(100);
		else if (nargs < 8)
			args[nargs++] = argv[i];
		else
			usage(100);
	}
	if (nargs == 0)
		usage(100);
	if (c.embed_dir) {
		/* Absolute, so the s6 scripts work from any directory. */
		if (c.embed_dir[0] != '/') {
			if (getcwd(dir, sizeof dir) == NULL ||
			    strlen(dir) + strlen(c.embed_dir) + 2 > sizeof dir) {
				fprintf(stderr, "roostctl: bad directory\n");
				return 100;
			}
			strncat(dir, "/", sizeof dir - strlen(dir) - 1);
			strncat(dir, c.embed_dir, sizeof dir - strlen(dir) - 1);
			c.embed_dir = dir;
		}
		str_copyf(&c.conf, "%s/etc/roost.conf", c.embed_dir);
	}
	if (conf)
		str_copys(&c.conf, conf);
	else if (!c.embed_dir)
		str_copys(&c.conf, DAEMON_CONF_DEFAULT);

	if (strcmp(args[0], "start") == 0 && nargs == 1)
		return cmd_start(&c);
	if (strcmp(args[0], "config") == 0)
		return cmd_config(&c, nargs - 1, args + 1);
	if (!c.embed_dir || access(c.conf.s, F_OK) == 0)
		ctl_load(&c);
	else {
		printf("roost is not running (no layout in %s)\n", c.embed_dir);
		return strcmp(args[0], "status") == 0 ? 3 : 0;
	}
	if (strcmp(args[0], "stop") == 0 && nargs == 1)
		return ctl_stop(&c);
	if (strcmp(args[0], "status") == 0 && nargs == 1)
		return ctl_status(&c);
	if (strcmp(args[0], "restart") == 0 && nargs == 2)
		return ctl_restart(&c, args[1]);
	usage(100);
}
