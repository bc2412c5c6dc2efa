/* test-priv - dropping privileges. */
#include <sys/prctl.h>

#include "priv.h"
#include "tap.h"

static void
drop_to(void *user)
{
	struct str err = STR_INIT;

	if (priv_drop(user, &err) < 0)
		_exit(2);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		_exit(3);
	if (priv_is_root() || getuid() == 0 || getgid() == 0)
		_exit(4);
	if (setuid(0) == 0)
		_exit(5);
	_exit(0);
}

static void
drop_root(void *unused)
{
	struct str err = STR_INIT;

	(void)unused;
	_exit(priv_drop("root", &err) < 0 && strstr(err.s, "uid 0") ? 0 : 1);
}

int
main(void)
{
	struct str err = STR_INIT;
	uid_t uid;
	gid_t gid;

	ok(priv_lookup("root", &uid, &gid, &err) == 0 && uid == 0,
	    "lookup root");
	ok(priv_lookup("no-such-user-xyz", &uid, &gid, &err) < 0 &&
	    strstr(err.s, "no-such-user-xyz"), "unknown user named");
	if (priv_is_root()) {
		dies(drop_to, "nobody", 0, "root drops to nobody for good");
		dies(drop_root, NULL, 0, "refuses to 'drop' to root");
		dies(drop_to, "no-such-user-xyz", 2, "unknown user fails");
	} else {
		dies(drop_to, "nobody", 0, "non-root: stays, sets no_new_privs");
		skip("refusing uid 0 needs root");
		skip("failing on an unknown user needs root");
	}
	str_free(&err);
	return done_testing();
}
