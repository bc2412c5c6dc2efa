/*
 * sendmail_newaliases - newaliases (sendmail -bi, -I): compile the
 * aliases(5) file (alias_maps) and the virtual file (virtual_alias_maps)
 * into their FILE.db tables, each when configured and present.  A
 * syntax error names file and line, writes nothing (the old table stays
 * in use) and exits EX_CONFIG.  Running daemons notice the new tables
 * at their next lookup: nothing needs a reload.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "aliases.h"
#include "cfg.h"
#include "log.h"
#include "sendmail.h"

/* one - compile key's file: EX_OK (also when not configured or not
 * there), or EX_CONFIG with the error logged. */
static int
one(const char *key, enum aliases_kind kind, int *done)
{
	struct str path = STR_INIT, err = STR_INIT;
	struct stat st;
	size_t n;
	int rc = EX_OK;

	if (*cfg_str(key) == '\0')
		return EX_OK;
	sendmail_path(cfg_str(key), &path);
	if (stat(path.s, &st) < 0 && errno == ENOENT) {
		log_debug("%s: %s does not exist; nothing to compile", key,
		    path.s);
	} else if (aliases_compile(path.s, kind, &n, &err) < 0) {
		log_error("%s", err.s);
		rc = EX_CONFIG;
	} else {
		printf("newaliases: %zu %s in %s\n", n,
		    kind == ALIASES_LOCAL ? (n == 1 ? "alias" : "aliases") :
		    (n == 1 ? "virtual alias" : "virtual aliases"), path.s);
		++*done;
	}
	str_free(&path);
	str_free(&err);
	return rc;
}

int
sendmail_newaliases(void)
{
	int done = 0, a, v;

	a = one("alias_maps", ALIASES_LOCAL, &done);
	v = one("virtual_alias_maps", ALIASES_VIRTUAL, &done);
	if (fflush(stdout) != 0)
		return EX_IOERR;
	return a != EX_OK ? a : v;
}
