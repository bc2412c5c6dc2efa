/*
 * login_start - the start of a login process (imap-login, pop3-login),
 * see login.h.  In a file of its own so that only the login programs
 * link it, and with it the sanitizer option below.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "login.h"
#include "priv.h"

static int slot_dir = -1;

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer reads /proc at exit, which the chroot hides: it would
 * report its own failure, not a leak.  The rest of ASan stays on. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

int
login_slot_dir(void)
{
	return slot_dir;
}

void
login_start(struct daemon *d, const char *tls_service)
{
	static struct str jail = STR_INIT;
	struct str dir = STR_INIT;
	int dfd;

	/* The per-address slots: opened now, used from inside the jail. */
	daemon_run_subdir(d, NULL, "login_user");
	str_copyf(&dir, "%s/%s", var_run_dir, d->prog);
	dfd = open(dir.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		log_fatal("%s: %s", dir.s, strerror(errno));
	(void)daemon_tls(d, tls_service);
	daemon_login_dir(d);
	login_configure(priv_is_root());
	daemon_login_path("", false, &jail);
	daemon_confine(jail.s);
	str_free(&dir);
	slot_dir = dfd;
}
