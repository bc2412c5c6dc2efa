/*
 * pop3-login - the POP3 login process (pop3_login.h).  main() only
 * wires: the listeners and keys as root, then the chroot and the drop
 * (login_start, daemon_serve).
 */
#include "daemon.h"
#include "login.h"
#include "pop3_login.h"

static const struct daemon_endpoint endpoints[] = {
	{ "popd_listen", POP3_LOGIN_ROLE_POP3 },
	{ "popd_pop3s_listen", POP3_LOGIN_ROLE_POP3S },
};

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
main(int argc, char **argv)
{
	struct daemon d;

	daemon_start(&d, "pop3-login", argc, argv);
	login_start(&d, "popd");
	daemon_serve(&d, "pop3_login", endpoints, 2, "login_user",
	    pop3_login_session);
}
