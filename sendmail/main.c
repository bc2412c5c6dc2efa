/*
 * sendmail - the local submission wrapper (also mailq and newaliases).
 *
 * main() parses the command line, loads roost.conf (-C, else $ROOST_CONF,
 * else the installed default) and runs one mode.  Unlike the daemons we
 * do not chdir to base_dir: relative paths given by the caller (-C, a
 * recipient file) must keep their meaning, so configured paths are made
 * absolute instead (sendmail_path).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "listen.h"
#include "log.h"
#include "sendmail.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc/roost"
#endif

void
sendmail_fatal(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_FATAL, fmt, ap);
	va_end(ap);
	exit(code);
}

/* Out of memory is the environment's fault: the caller may retry. */
static void
die_hook(void)
{
	_exit(EX_TEMPFAIL);
}

void
sendmail_path(const char *value, struct str *out)
{
	const char *base = var_base_dir;

	if (value[0] == '/' || base[0] == '\0') {
		str_copys(out, value);
		return;
	}
	str_copyf(out, "%s%s%s", base,
	    base[strlen(base) - 1] == '/' ? "" : "/", value);
}

int
sendmail_socket(const char *key, struct str *out, struct str *err)
{
	struct str run = STR_INIT;
	int rc;

	sendmail_path(var_run_dir, &run);
	rc = listen_unix_path(key, cfg_str(key), run.s, out, err);
	str_free(&run);
	return rc;
}

/* smtp - -bs: smtpd speaks SMTP on our stdin/stdout (smtpd -S). */
static int
smtp(const struct sendmail_opts *o, const char *conf)
{
	struct str prog = STR_INIT, dir = STR_INIT, abs = STR_INIT;
	char cwd[4096];

	(void)o;
	sendmail_path(var_daemon_dir, &dir);
	str_copyf(&prog, "%s/smtpd", dir.s);
	/* smtpd resolves the file from base_dir, not from our cwd. */
	if (conf[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
		str_copyf(&abs, "%s/%s", cwd, conf);
	else
		str_copys(&abs, conf);
	execl(prog.s, "smtpd", "-S", "-c", abs.s, (char *)NULL);
	sendmail_fatal(EX_UNAVAILABLE, "cannot run %s: %s", prog.s,
	    strerror(errno));
}

int
main(int argc, char **argv)
{
	struct sendmail_opts o;
	struct str err = STR_INIT;
	const char *conf, *name, *p;
	int rc;

	name = argc > 0 && argv[0] ? argv[0] : "sendmail";
	if ((p = strrchr(name, '/')) != NULL)
		name = p + 1;
	if (strcmp(name, "mailq") != 0 && strcmp(name, "newaliases") != 0)
		name = "sendmail";
	log_init(name);
	log_set_die_hook(die_hook);
	/* A cleanup that hangs up mid-message must give an exit code and a
	 * reason, not a silent death by SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);

	if (sendmail_opts_parse(&o, argc, argv, &err) < 0)
		sendmail_fatal(EX_USAGE, "%s", err.s);
	for (p = o.warnings.s; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');

		log_warn("%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
	if (o.verbose)
		log_set_level(LOG_DEBUG);

	if (o.mode == SENDMAIL_DELIVER && o.nrcpt == 0 &&
	    !o.rcpt_from_headers)
		sendmail_fatal(EX_USAGE, "no recipients specified (give "
		    "addresses or -t)");

	conf = o.conf ? o.conf : getenv("ROOST_CONF");
	if (conf == NULL || *conf == '\0')
		conf = DAEMON_CONF_DEFAULT;
	if (cfg_load(conf, &err) < 0)
		sendmail_fatal(EX_CONFIG, "%s", err.s);
	str_free(&err);

	switch (o.mode) {
	case SENDMAIL_MAILQ:
		rc = sendmail_mailq(&o);
		break;
	case SENDMAIL_FLUSH:
		rc = sendmail_flush(&o);
		break;
	case SENDMAIL_SMTP:
		rc = smtp(&o, conf);
		break;
	case SENDMAIL_NEWALIASES:
		rc = sendmail_newaliases();
		break;
	default:
		rc = sendmail_submit(&o);
		break;
	}
	sendmail_opts_free(&o);
	return rc;
}
