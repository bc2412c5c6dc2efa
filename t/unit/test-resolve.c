/* test-resolve - recipient resolution: every rule of resolve.h against
 * real tables in a scratch directory. */
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "aliases.h"
#include "cfg.h"
#include "resolve.h"
#include "users.h"
#include "tap.h"

static char dir[] = "/tmp/test-resolve.XXXXXX";
static struct str err, why;

static void
set(const char *key, const char *value)
{
	if (cfg_set(key, value, &err) < 0)
		bail(err.s);
}

static void
file(const char *name, const char *text)
{
	struct str p = STR_INIT;
	int fd;

	str_copyf(&p, "%s/%s", dir, name);
	fd = open(p.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		bail("write");
	close(fd);
	str_free(&p);
}

static void
compile(const char *name, enum aliases_kind kind)
{
	struct str p = STR_INIT;
	size_t n;

	str_copyf(&p, "%s/%s", dir, name);
	if (aliases_compile(p.s, kind, &n, &err) < 0)
		bail(err.s);
	str_free(&p);
}

/* expand - the targets of addr as "kind:to[+detail][(uid)]" words. */
static int
expand(struct resolver *r, const char *addr, struct str *out)
{
	static const char *const kinds[] = { "mbox", "fwd", "cmd", "file",
		"failed" };
	struct resolve_target *t;
	size_t n;
	int rc;

	str_clear(out);
	str_clear(&why);
	rc = resolve_expand(r, addr, &t, &n, &why);
	for (size_t i = 0; i < n; i++) {
		str_catf(out, "%s%s:%s", i ? " " : "", kinds[t[i].kind],
		    t[i].to.s);
		if (t[i].detail.len)
			str_catf(out, "+%s", t[i].detail.s);
		if (t[i].kind == RESOLVE_COMMAND || t[i].kind == RESOLVE_FILE)
			str_catf(out, "(%ld)", (long)t[i].uid);
	}
	resolve_targets_free(t, n);
	return rc;
}

static void
is_expand(struct resolver *r, const char *addr, int want_rc,
    const char *want, const char *name)
{
	struct str out = STR_INIT;
	int rc = expand(r, addr, &out);

	is_int(rc, want_rc, "%s: rc", name);
	if (rc != want_rc)
		diag("why: %s", str_cstr(&why));
	if (want_rc == RESOLVE_OK)
		is_str(out.s ? out.s : "", want, "%s", name);
	else
		ok(strstr(str_cstr(&why), want) != NULL, "%s: why '%s'",
		    name, str_cstr(&why));
	str_free(&out);
}

static int
user(struct users *u, const char *name, const char *fwd, bool keep)
{
	struct user_rec rec = { STR_INIT, 0, STR_INIT, keep, 0 };
	int rc;

	str_copys(&rec.name, name);
	str_copys(&rec.forward, fwd);
	rc = users_put(u, &rec, (uid_t)-1, (gid_t)-1, &err);
	user_rec_free(&rec);
	return rc;
}

int
main(void)
{
	struct str p = STR_INIT, out = STR_INIT, u1 = STR_INIT, d1 = STR_INIT;
	struct str t2 = STR_INIT;
	struct passwd pw_nobody, pw_daemon, *nobody = &pw_nobody, *dmn = &pw_daemon;
	struct resolver *r;
	struct users *u;
	char num[64];

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	if (getpwnam("nobody") == NULL || getpwnam("daemon") == NULL)
		bail("need the accounts nobody and daemon");
	pw_nobody = *getpwnam("nobody");
	pw_daemon = *getpwnam("daemon");
	cfg_reset();
	set("data_dir", dir);
	str_copyf(&p, "%s/aliases", dir);
	set("alias_maps", p.s);
	str_copyf(&p, "%s/virtual", dir);
	set("virtual_alias_maps", p.s);
	set("myhostname", "mx.example.net");
	set("mydestination", "localhost, local.example,$myhostname");
	set("default_privs", "nobody");

	u = users_open(dir);
	ok(user(u, "bob", "", false) == 0, "user bob");
	ok(user(u, "alice@example.test", "", false) == 0, "user alice");
	ok(user(u, "fwd@example.test", "x@remote.example, alice@example.test",
	    true) == 0, "user fwd (forward, keep)");
	ok(user(u, "self@example.test", "self@example.test, y@remote.example",
	    false) == 0, "user self (forwards to itself)");
	ok(user(u, "bad@example.test", "|/bin/sh", false) == 0,
	    "user with a command as forward");
	ok(users_domain_add(u, "empty.example", (uid_t)-1, (gid_t)-1, &err)
	    == 0, "domain without users");

	str_copyf(&p, "%s/list", dir);
	file("list", "# members\nbob, carol@remote.example\n"
	    "\"|/usr/bin/listprog\"\n");
	file("aliases",
	    "postmaster: root\n"
	    "root: root, admin@remote.example\n"
	    "team: bob, alice@example.test, bob\n"
	    "cmd: \"|/usr/bin/prog -x\"\n"
	    "tofile: /var/tmp/mail.log\n"
	    "loop1: loop2\nloop2: loop1\n"
	    "d0: d1\nd1: d2\nd2: d3\nd3: d4\nd4: d5\nd5: d6\nd6: d7\n"
	    "d7: d8\nd8: d9\nd9: d10\nd10: d11\nd11: d12\nd12: d13\n"
	    "d13: d14\nd14: d15\nd15: d16\nd16: d17\nd17: d18\n"
	    "d18: d19\nd19: d20\nd20: d21\nd21: bob\n"
	    "short: d10\n"
	    "Mixed: bob\n"
	    "ext+one: alice@example.test\n"
	    "plain: bob\n"
	    "virt: info@example.test\n"
	    "missing: :include:/nonexistent/list\n"
	    "stale: bob, gone@example.test, nosuchuser\n");
	{
		struct str t = STR_INIT;

		str_copyf(&t, "list: :include:%s/list\n", dir);
		str_copyf(&p, "%s/aliases", dir);
		int fd = open(p.s, O_WRONLY | O_APPEND);

		if (fd < 0 || write(fd, t.s, t.len) != (ssize_t)t.len)
			bail("append");
		close(fd);
		str_free(&t);
	}
	compile("aliases", ALIASES_LOCAL);
	file("virtual",
	    "info@example.test alice@example.test, bob\n"
	    "@catch.example alice@example.test\n"
	    "out@example.test someone@remote.example\n"
	    "vloop@example.test vloop2@example.test\n"
	    "vloop2@example.test vloop@example.test\n"
	    "keepself@example.test keepself@example.test, x@remote.example\n"
	    "alias.example anything\n"
	    "root@localhost bob\n");
	compile("virtual", ALIASES_VIRTUAL);
	r = resolver_open_cfg();

	/* Domains. */
	ok(resolver_local_domain(r, "localhost"), "localhost is local");
	ok(resolver_local_domain(r, "LOCAL.example"), "mydestination");
	ok(resolver_local_domain(r, "mx.example.net"), "myhostname");
	ok(resolver_local_domain(r, ""), "a bare name is local");
	ok(!resolver_local_domain(r, "example.test"), "virtual not local");
	ok(!resolver_local_domain(r, "local.example.org"), "no suffix match");
	is_int(resolver_our_domain(r, "example.test", &why), 1,
	    "virtual domain is ours");
	is_int(resolver_our_domain(r, "alias.example", &why), 1,
	    "virtual alias domain is ours");
	is_int(resolver_our_domain(r, "catch.example", &why), 1,
	    "catch-all domain is ours");
	is_int(resolver_our_domain(r, "remote.example", &why), 0,
	    "remote is not");

	/* resolve_verify (smtpd). */
	is_int(resolve_verify(r, "bob@localhost", &why), RESOLVE_OK,
	    "verify roost user");
	is_int(resolve_verify(r, "BOB+tag@LocalHost", &why), RESOLVE_OK,
	    "verify with extension and case");
	is_int(resolve_verify(r, "nosuch@localhost", &why), RESOLVE_UNKNOWN,
	    "verify unknown local");
	is_int(resolve_verify(r, "root@mx.example.net", &why), RESOLVE_OK,
	    "verify system account (alias too)");
	is_int(resolve_verify(r, "daemon@local.example", &why), RESOLVE_OK,
	    "verify system account");
	is_int(resolve_verify(r, "postmaster", &why), RESOLVE_OK,
	    "verify bare postmaster");
	is_int(resolve_verify(r, "team@localhost", &why), RESOLVE_OK,
	    "verify alias");
	is_int(resolve_verify(r, "alice@example.test", &why), RESOLVE_OK,
	    "verify virtual user");
	is_int(resolve_verify(r, "alice+x@Example.TEST", &why), RESOLVE_OK,
	    "verify virtual user with extension");
	is_int(resolve_verify(r, "nosuch@example.test", &why),
	    RESOLVE_UNKNOWN, "verify unknown virtual");
	is_int(resolve_verify(r, "x@empty.example", &why), RESOLVE_UNKNOWN,
	    "verify domain without users");
	is_int(resolve_verify(r, "info@example.test", &why), RESOLVE_OK,
	    "verify virtual alias");
	is_int(resolve_verify(r, "any.thing@catch.example", &why),
	    RESOLVE_OK, "verify catch-all");
	is_int(resolve_verify(r, "x@alias.example", &why), RESOLVE_UNKNOWN,
	    "verify unknown in a virtual alias domain");
	is_int(resolve_verify(r, "x@remote.example", &why), RESOLVE_REMOTE,
	    "verify remote");
	is_int(resolve_verify(r, "\"|/bin/sh\"@localhost", &why),
	    RESOLVE_UNKNOWN, "a command typed as an address is unknown");
	is_int(resolve_verify(r, "/etc/passwd@localhost", &why),
	    RESOLVE_UNKNOWN, "a file typed as an address is unknown");
	is_int(resolve_verify(r, "@localhost", &why), RESOLVE_UNKNOWN,
	    "empty local part");
	is_int(resolve_verify(r, "+bob@localhost", &why), RESOLVE_UNKNOWN,
	    "only an extension");
	is_int(resolve_verify(r, "bob@@localhost", &why), RESOLVE_UNKNOWN,
	    "two '@': the local part 'bob@' is nobody");
	{
		struct str big = STR_INIT;

		for (int i = 0; i < 2000; i++)
			str_cats(&big, "bob");
		str_cats(&big, "@localhost");
		is_int(resolve_verify(r, big.s, &why), RESOLVE_UNKNOWN,
		    "6000-byte local part");
		is_expand(r, big.s, RESOLVE_UNKNOWN, "User unknown",
		    "expand a 6000-byte local part");
		str_copys(&big, "x@");
		for (int i = 0; i < 2000; i++)
			str_cats(&big, "example.");
		str_cats(&big, "test");
		is_int(resolve_verify(r, big.s, &why), RESOLVE_REMOTE,
		    "16000-byte domain");
		str_free(&big);
	}

	/* resolve_mailbox (lmtpd). */
	is_int(resolve_mailbox(r, "Bob+Tag@localhost", &u1, &d1, &why),
	    RESOLVE_OK, "mailbox of a local user");
	is_str(u1.s, "bob", "store user");
	is_str(d1.s, "tag", "detail");
	is_int(resolve_mailbox(r, "alice+x+y@example.test", &u1, &d1, &why),
	    RESOLVE_OK, "mailbox of a virtual user");
	is_str(u1.s, "alice@example.test", "store user");
	is_str(d1.s, "x+y", "detail from the first delimiter");
	is_int(resolve_mailbox(r, "daemon@localhost", &u1, &d1, &why),
	    RESOLVE_OK, "mailbox of a system account");
	is_int(resolve_mailbox(r, "team@localhost", &u1, &d1, &why),
	    RESOLVE_UNKNOWN, "no alias expansion in lmtpd");
	is_int(resolve_mailbox(r, "info@example.test", &u1, &d1, &why),
	    RESOLVE_UNKNOWN, "nor virtual aliases");

	/* resolve_expand (qmgr). */
	snprintf(num, sizeof num, "(%ld)", (long)nobody->pw_uid);
	is_expand(r, "bob@localhost", RESOLVE_OK, "mbox:bob", "local user");
	is_expand(r, "bob+Tag@localhost", RESOLVE_OK, "mbox:bob+tag",
	    "extension");
	is_expand(r, "daemon", RESOLVE_OK, "mbox:daemon", "system account");
	is_expand(r, "root@localhost", RESOLVE_OK, "mbox:bob",
	    "virtual aliases come first, also for local domains");
	is_expand(r, "postmaster@local.example", RESOLVE_OK,
	    "mbox:root fwd:admin@remote.example",
	    "alias that names itself: its mailbox");
	is_expand(r, "TEAM@localhost", RESOLVE_OK,
	    "mbox:bob mbox:alice@example.test", "alias list, once each");
	is_expand(r, "mixed", RESOLVE_OK, "mbox:bob", "alias name case");
	is_expand(r, "team+x@localhost", RESOLVE_OK,
	    "mbox:bob+x mbox:alice@example.test+x",
	    "extension passed through an alias");
	is_expand(r, "ext+one@localhost", RESOLVE_OK,
	    "mbox:alice@example.test", "alias with the extension wins");
	str_copyf(&out, "cmd:/usr/bin/prog -x%s", num);
	is_expand(r, "cmd@localhost", RESOLVE_OK, out.s,
	    "command of root's alias file runs as default_privs");
	str_copyf(&out, "file:/var/tmp/mail.log%s", num);
	is_expand(r, "tofile", RESOLVE_OK, out.s, "file target");
	is_expand(r, "loop1@localhost", RESOLVE_PERM, "mail loop",
	    "alias loop");
	is_expand(r, "d0@localhost", RESOLVE_PERM, "deeper than",
	    "too deep");
	is_expand(r, "short@localhost", RESOLVE_OK, "mbox:bob",
	    "12 levels are fine");
	is_expand(r, "nosuch@localhost", RESOLVE_UNKNOWN, "User unknown",
	    "unknown local");
	is_expand(r, "info@example.test", RESOLVE_OK,
	    "mbox:alice@example.test mbox:bob", "virtual alias");
	is_expand(r, "virt", RESOLVE_OK, "mbox:alice@example.test mbox:bob",
	    "local alias to a virtual alias");
	is_expand(r, "who@catch.example", RESOLVE_OK,
	    "mbox:alice@example.test", "catch-all");
	is_expand(r, "out@example.test", RESOLVE_OK,
	    "fwd:someone@remote.example", "virtual alias to remote");
	is_expand(r, "vloop@example.test", RESOLVE_PERM, "mail loop",
	    "virtual loop");
	is_expand(r, "stale", RESOLVE_OK, "mbox:bob failed:gone@example.test "
	    "failed:nosuchuser", "unknown members of a list fail alone");
	is_expand(r, "keepself@example.test", RESOLVE_OK,
	    "failed:keepself@example.test fwd:x@remote.example",
	    "virtual alias to itself without a user: that member fails");
	is_expand(r, "x@remote.example", RESOLVE_OK, "fwd:x@remote.example",
	    "remote address");
	is_expand(r, "nobody@example.test", RESOLVE_UNKNOWN, "User unknown",
	    "unknown virtual user");
	is_expand(r, "fwd@example.test", RESOLVE_OK,
	    "fwd:x@remote.example mbox:alice@example.test "
	    "mbox:fwd@example.test", "forward with keep");
	is_expand(r, "self@example.test", RESOLVE_OK,
	    "mbox:self@example.test fwd:y@remote.example",
	    "forward naming the user itself");
	is_expand(r, "bad@example.test", RESOLVE_PERM,
	    "only come from an alias file", "forward to a command refused");
	is_expand(r, "missing", RESOLVE_PERM, "No such file",
	    "missing include file");
	str_copyf(&out, "mbox:bob fwd:carol@remote.example "
	    "cmd:/usr/bin/listprog%s", num);
	is_expand(r, "list", RESOLVE_OK, out.s, "include file");

	/* Owners: a non-root alias file and include file. */
	if (geteuid() == 0) {
		str_copyf(&p, "%s/list", dir);
		ok(chown(p.s, dmn->pw_uid, dmn->pw_gid) == 0, "chown list");
		str_copyf(&out, "mbox:bob fwd:carol@remote.example "
		    "cmd:/usr/bin/listprog(%ld)", (long)dmn->pw_uid);
		is_expand(r, "list", RESOLVE_OK, out.s,
		    "include commands run as the include file's owner");
		str_copyf(&p, "%s/aliases", dir);
		ok(chown(p.s, dmn->pw_uid, dmn->pw_gid) == 0, "chown aliases");
		compile("aliases", ALIASES_LOCAL);
		str_copyf(&out, "cmd:/usr/bin/prog -x(%ld)",
		    (long)dmn->pw_uid);
		is_expand(r, "cmd", RESOLVE_OK, out.s,
		    "commands run as the alias file's owner");
		{
			struct resolve_target *t;
			size_t n;

			ok(resolve_expand(r, "cmd", &t, &n, &why) == RESOLVE_OK
			    && n == 1 && t[0].gid == dmn->pw_gid,
			    "and the owner's group");
			resolve_targets_free(t, n);
		}

		/* An include another user's include names, or one that
		 * others may write: addresses only, never commands. */
		str_copyf(&t2, ":include:%s/inner\nbob\n", dir);
		file("list", t2.s);
		file("inner", "|/usr/bin/evil\n");
		str_copyf(&p, "%s/inner", dir);
		ok(chown(p.s, nobody->pw_uid, nobody->pw_gid) == 0,
		    "chown inner");
		is_expand(r, "list", RESOLVE_PERM, "only its owner can write",
		    "no commands from another user's nested include");
		file("inner", "carol@remote.example\n");
		is_expand(r, "list", RESOLVE_OK,
		    "fwd:carol@remote.example mbox:bob",
		    "addresses from it still count");
		file("list", "|/usr/bin/listprog\n");
		str_copyf(&p, "%s/list", dir);
		ok(chmod(p.s, 0666) == 0, "chmod list 0666");
		is_expand(r, "list", RESOLVE_PERM, "only its owner can write",
		    "no commands from a world-writable include");
		ok(chmod(p.s, 0644) == 0, "chmod list back");
	} else
		skip("not root: owner mapping");

	/* An empty list is never "delivered". */
	file("list", "# nobody here yet\n");
	is_expand(r, "list", RESOLVE_TEMP, "expands to no recipients",
	    "empty include");

	/* Lists that name each other at every level are read once each:
	 * 3^12 paths, 12 files. */
	for (int i = 0; i < 12; i++) {
		char name[16];

		str_clear(&t2);
		for (int j = 0; j < 3; j++)
			str_catf(&t2, ":include:%s/fan%d\n", dir, i + 1);
		snprintf(name, sizeof name, "fan%d", i);
		file(name, t2.s);
	}
	file("fan12", "x@remote.example\n");
	str_copyf(&t2, ":include:%s/fan0\n", dir);
	file("list", t2.s);
	/* read once each, they stay far below the 1000-file limit that
	 * 3^12 readings would hit */
	is_expand(r, "list", RESOLVE_OK, "fwd:x@remote.example",
	    "fan-out of includes");

	/* Too many targets. */
	{
		struct str big = STR_INIT;

		for (int i = 0; i <= RESOLVE_MAX_TARGETS; i++)
			str_catf(&big, "m%d@remote.example\n", i);
		file("list", big.s);
		is_expand(r, "list", RESOLVE_PERM, "more than",
		    "too many targets");
		str_free(&big);
	}

	/* Switches. */
	resolver_close(&r);
	set("allow_mail_to_commands", "no");
	set("allow_mail_to_files", "no");
	set("allow_mail_to_includes", "no");
	set("local_system_users", "no");
	r = resolver_open_cfg();
	is_expand(r, "cmd", RESOLVE_PERM, "allow_mail_to_commands",
	    "commands off");
	is_expand(r, "tofile", RESOLVE_PERM, "allow_mail_to_files",
	    "files off");
	is_expand(r, "list", RESOLVE_PERM, "allow_mail_to_includes",
	    "includes off");
	is_expand(r, "daemon@localhost", RESOLVE_UNKNOWN, "User unknown",
	    "system accounts off");
	is_int(resolve_verify(r, "daemon@localhost", &why), RESOLVE_UNKNOWN,
	    "verify: system accounts off");
	is_int(resolve_mailbox(r, "daemon@localhost", &u1, &d1, &why),
	    RESOLVE_UNKNOWN, "mailbox: system accounts off");
	is_expand(r, "bob", RESOLVE_OK, "mbox:bob", "roost users still");

	/* No delimiter: '+' is part of the name. */
	resolver_close(&r);
	set("recipient_delimiter", "");
	r = resolver_open_cfg();
	is_int(resolve_verify(r, "bob+x@localhost", &why), RESOLVE_UNKNOWN,
	    "no delimiter: bob+x is unknown");
	resolver_close(&r);
	set("recipient_delimiter", "+-");
	r = resolver_open_cfg();
	is_expand(r, "bob-x@localhost", RESOLVE_OK, "mbox:bob+x",
	    "several delimiters");

	/* A resolver from a conf of its own, not the configuration's. */
	{
		struct resolve_conf c;
		struct resolver *own;

		resolve_conf_from_cfg(&c);
		c.mydestination = "Other.Example";
		c.recipient_delimiter = "";
		own = resolver_open(&c);
		ok(resolver_local_domain(own, "other.example") &&
		    !resolver_local_domain(r, "other.example"),
		    "own conf: its own local domains");
		is_expand(own, "bob-x@other.example", RESOLVE_UNKNOWN,
		    "unknown", "own conf: its own delimiter");
		resolver_close(&own);
	}

	/* Rebuilt tables are seen by an open resolver. */
	file("aliases", "new: bob\n");
	compile("aliases", ALIASES_LOCAL);
	is_expand(r, "new", RESOLVE_OK, "mbox:bob", "rebuilt aliases seen");
	is_expand(r, "team", RESOLVE_UNKNOWN, "unknown", "old alias gone");
	ok(user(u, "carl@example.test", "", false) == 0, "add a user");
	is_int(resolve_verify(r, "carl@example.test", &why), RESOLVE_OK,
	    "new user seen at once");

	/* Unreadable tables: a temporary failure. */
	/* (Replaced, as every roost tool does; never changed in place.) */
	file("junk", "junk junk junk junk junk junk junk junk junk");
	str_copyf(&p, "%s/junk", dir);
	str_copyf(&out, "%s/users.db", dir);
	ok(rename(p.s, out.s) == 0, "junk over users.db");
	is_int(resolve_verify(r, "carl@example.test", &why), RESOLVE_TEMP,
	    "corrupt users.db: temporary (%s)", str_cstr(&why));
	is_expand(r, "carl@example.test", RESOLVE_TEMP, "users.db",
	    "expand: temporary");
	is_int(resolve_mailbox(r, "bob", &u1, &d1, &why), RESOLVE_TEMP,
	    "mailbox: temporary");

	resolver_close(&r);
	resolver_close(&r);
	users_close(&u);
	str_copyf(&p, "rm -rf %s", dir);
	if (system(p.s) != 0)
		diag("could not remove %s", dir);
	str_free(&p);
	str_free(&out);
	str_free(&t2);
	str_free(&u1);
	str_free(&d1);
	str_free(&err);
	str_free(&why);
	return done_testing();
}
