/*
 * cfg_keys - the table of every roost.conf key and its typed variable,
 * both made from cfg_keys.def, and the checks of string values.
 */
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "cidr.h"
#include "dns.h"
#include "listen.h"
#include "tls.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc/roost"
#endif
#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/libexec/roost"
#endif

/* The variables, then the table that points at them. */
#define K_STR(n, ...) const char *var_##n;
#define K_INT(n, ...) long long var_##n;
#define K_TIME K_INT
#define K_SIZE K_INT
#define K_BOOL(n, ...) bool var_##n;
#include "cfg_keys.def"
#undef K_STR
#undef K_INT
#undef K_TIME
#undef K_SIZE
#undef K_BOOL

#define K_STR(n, def, check, doc) \
	{ #n, CFG_STR, def, 0, 0, check, doc, &var_##n },
#define K_INT(n, def, min, max, doc) \
	{ #n, CFG_INT, def, min, max, NULL, doc, &var_##n },
#define K_TIME(n, def, min, max, doc) \
	{ #n, CFG_TIME, def, min, max, NULL, doc, &var_##n },
#define K_SIZE(n, def, min, max, doc) \
	{ #n, CFG_SIZE, def, min, max, NULL, doc, &var_##n },
#define K_BOOL(n, def, doc) \
	{ #n, CFG_BOOL, def, 0, 0, NULL, doc, &var_##n },

#define DAY 86400LL

/* log_level_check - the levels lib/daemon/daemon.c maps onto
 * log_set_level(). */
static int
log_level_check(const char *value, struct str *err)
{
	static const char *const levels[] = {
		"debug", "info", "warning", "error",
	};
	size_t i;

	for (i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(value, levels[i]) == 0)
			return 0;
	str_copyf(err, "'%s' is not debug, info, warning or error", value);
	return -1;
}

/* seccomp_action_check - what a refused system call does. */
static int
seccomp_action_check(const char *value, struct str *err)
{
	if (strcmp(value, "kill") == 0 || strcmp(value, "log") == 0)
		return 0;
	str_copyf(err, "'%s' is not kill or log", value);
	return -1;
}

/* bare_lf_check - what smtpd may do with a bare LF or CR in DATA. */
static int
bare_lf_check(const char *value, struct str *err)
{
	if (strcmp(value, "reject") == 0 || strcmp(value, "normalize") == 0)
		return 0;
	str_copyf(err, "'%s' is not reject or normalize", value);
	return -1;
}

/* expire_check - popd_expire: empty (not advertised), "never", or a
 * number of days. */
static int
expire_check(const char *value, struct str *err)
{
	size_t i;

	if (*value == '\0' || strcmp(value, "never") == 0)
		return 0;
	for (i = 0; value[i] >= '0' && value[i] <= '9' && i < 6; i++)
		;
	if (i > 0 && value[i] == '\0')
		return 0;
	str_copyf(err, "'%s' is not a number of days or never", value);
	return -1;
}

/* auth_source_check - where authd checks passwords. */
static int
auth_source_check(const char *value, struct str *err)
{
	if (strcmp(value, "roost") == 0 || strcmp(value, "saslauthd") == 0)
		return 0;
	str_copyf(err, "'%s' is not roost or saslauthd", value);
	return -1;
}

/* auth_plaintext_check - when a password may travel in the clear. */
static int
auth_plaintext_check(const char *value, struct str *err)
{
	if (strcmp(value, "tls") == 0 ||
	    strcmp(value, "tls_or_loopback") == 0)
		return 0;
	str_copyf(err, "'%s' is not tls or tls_or_loopback", value);
	return -1;
}

/* auth_mechanisms_check - names authd knows, blank-separated. */
static int
auth_mechanisms_check(const char *value, struct str *err)
{
	static const char *const known[] = {
		"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256",
	};
	const char *p = value;

	while (*p) {
		size_t n = strcspn(p, " \t,"), i;

		for (i = 0; n > 0 && i < sizeof known / sizeof known[0]; i++)
			if (strlen(known[i]) == n &&
			    strncasecmp(p, known[i], n) == 0)
				break;
		if (n > 0 && i == sizeof known / sizeof known[0]) {
			str_copyf(err, "'%.*s' is not PLAIN, LOGIN, "
			    "SCRAM-SHA-1 or SCRAM-SHA-256", (int)n, p);
			return -1;
		}
		p += n;
		p += strspn(p, " \t,");
	}
	return 0;
}

const struct cfg_key cfg_keys[] = {
#include "cfg_keys.def"
};

const size_t cfg_nkeys = sizeof cfg_keys / sizeof cfg_keys[0];

/* The variables hold the defaults before any file is read. */
static void __attribute__((constructor))
cfg_keys_defaults(void)
{
	cfg_reset();
}
