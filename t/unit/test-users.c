/* test-users - the user, domain and password tables. */
#include <stdlib.h>
#include <sys/stat.h>

#include "users.h"
#include "tap.h"

static struct str err;

static int
collect(const struct user_rec *rec, void *arg)
{
	str_catf(arg, "%s q=%llu f=%s k=%d;", rec->name.s,
	    (unsigned long long)rec->quota, str_cstr(&rec->forward),
	    rec->keep);
	return 0;
}

static int
collect_dom(const char *d, void *arg)
{
	str_catf(arg, "%s;", d);
	return 0;
}

static int
put(struct users *u, const char *name, uint64_t quota, const char *fwd,
    bool keep)
{
	struct user_rec rec = { STR_INIT, quota, STR_INIT, keep, 0 };
	int rc;

	str_copys(&rec.name, name);
	str_copys(&rec.forward, fwd);
	rc = users_put(u, &rec, (uid_t)-1, (gid_t)-1, &err);
	user_rec_free(&rec);
	return rc;
}

static void
names(void)
{
	static const char *const good[][2] = {
		{ "Alice@Example.TEST", "alice@example.test" },
		{ "bob", "bob" },
		{ "a.b-c_d+e=f@x-y.example", "a.b-c_d+e=f@x-y.example" },
		{ "x@a", "x@a" },
	};
	static const char *const bad[] = {
		"", "@example.test", "alice@", "a@@b", "a@b@c", ".a", "a.",
		"a..b", "a b", "a/b", "../etc", "a@b/c", "a@-b.c", "a@b-.c",
		"a@b..c", "a@.b", "a@b.", "a:b", "a\nb", "a%b", "a@b_c",
		"\"q\"", "a\x01", "\xc3\xa4@b",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct str out = STR_INIT, big = STR_INIT;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		ok(users_name_check(good[i][0], &out, &err) == 0,
		    "name ok: %s", good[i][0]);
		is_str(out.s, good[i][1], "canonical %s", good[i][0]);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(users_name_check(bad[i], &out, &err) < 0 && err.len > 0,
		    "bad name %zu refused", i);
	str_copys(&big, "a@");
	for (int i = 0; i < 30; i++)
		str_cats(&big, "abcdefghi.");
	str_cats(&big, "x");
	ok(users_name_check(big.s, &out, &err) < 0, "domain over 253");
	str_free(&out);
	str_free(&big);
}

int
main(void)
{
	char dir[] = "/tmp/test-users.XXXXXX";
	struct str list = STR_INIT, p = STR_INIT;
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	struct users *u;
	struct stat st;

	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	names();
	u = users_open(dir);

	/* Empty tables. */
	is_int(users_get(u, "alice@example.test", &rec, &err), 0,
	    "no users yet");
	is_int(users_domain_exists(u, "example.test", &err), 0,
	    "no domains yet");
	is_int(users_list(u, collect, &list, &err), 0, "list empty");
	is_str(str_cstr(&list), "", "nothing listed");

	/* Domains. */
	is_int(users_domain_add(u, "Example.TEST", (uid_t)-1, (gid_t)-1,
	    &err), 0, "domain add");
	is_int(users_domain_add(u, "example.test", (uid_t)-1, (gid_t)-1,
	    &err), 1, "domain add again: nothing to do");
	is_int(users_domain_exists(u, "EXAMPLE.test", &err), 1,
	    "domain exists, any case");
	ok(users_domain_add(u, "bad domain", (uid_t)-1, (gid_t)-1, &err) < 0,
	    "bad domain refused: %s", str_cstr(&err));
	ok(users_domain_add(u, "D:x", (uid_t)-1, (gid_t)-1, &err) < 0,
	    "key-like domain refused");

	/* Users. */
	is_int(put(u, "Alice@Example.test", 1000, "", false), 0, "put alice");
	is_int(put(u, "bob", 0, "b@remote.example, c@remote.example", true),
	    0, "put bob (local)");
	is_int(put(u, "carol@other.example", 0, "", false), 0,
	    "put a user of a new domain");
	is_int(users_domain_exists(u, "other.example", &err), 1,
	    "the user brought the domain");
	ok(put(u, "../x", 0, "", false) < 0, "hostile name refused");
	is_int(users_get(u, "ALICE@example.test", &rec, &err), 1,
	    "get alice, any case");
	is_str(rec.name.s, "alice@example.test", "name lowercased");
	is_int((long long)rec.quota, 1000, "quota kept");
	ok(rec.created > 0, "created set");
	is_int(users_get(u, "bob", &rec, &err), 1, "get bob");
	is_str(rec.forward.s, "b@remote.example, c@remote.example",
	    "forward kept");
	ok(rec.keep, "keep kept");
	str_clear(&list);
	is_int(users_list(u, collect, &list, &err), 0, "list");
	is_str(list.s, "alice@example.test q=1000 f= k=0;"
	    "bob q=0 f=b@remote.example, c@remote.example k=1;"
	    "carol@other.example q=0 f= k=0;", "list in name order");
	str_clear(&list);
	is_int(users_domain_list(u, collect_dom, &list, &err), 0,
	    "domain list");
	is_str(list.s, "example.test;other.example;", "domains");

	/* Update: quota and forward (with bytes that need escaping). */
	is_int(put(u, "alice@example.test", 5, "x%y@z\nw", false), 0,
	    "replace alice");
	is_int(users_get(u, "alice@example.test", &rec, &err), 1, "get");
	is_int((long long)rec.quota, 5, "new quota");
	is_str(rec.forward.s, "x%y@z\nw", "escaped forward round trip");

	/* Passwords. */
	is_int(users_passwd_check(u, "alice@example.test", "pw", &err), 0,
	    "no password yet: no match");
	ok(users_passwd_set(u, "nobody@example.test", "pw", (uid_t)-1,
	    (gid_t)-1, &err) < 0, "password for no user refused");
	ok(users_passwd_set(u, "alice@example.test", "", (uid_t)-1,
	    (gid_t)-1, &err) < 0, "empty password refused");
	ok(users_passwd_set(u, "alice@example.test", "a\nb", (uid_t)-1,
	    (gid_t)-1, &err) < 0, "two-line password refused");
	is_int(users_passwd_set(u, "alice@example.test", "s3cret pass",
	    (uid_t)-1, (gid_t)-1, &err), 0, "set password");
	is_int(users_passwd_check(u, "Alice@example.test", "s3cret pass",
	    &err), 1, "password matches");
	is_int(users_passwd_check(u, "alice@example.test", "s3cret pas",
	    &err), 0, "prefix does not match");
	is_int(users_passwd_check(u, "alice@example.test", "s3cret passs",
	    &err), 0, "longer does not match");
	is_int(users_passwd_check(u, "alice@example.test", "", &err), 0,
	    "empty does not match");
	is_int(users_passwd_check(u, "bob", "s3cret pass", &err), 0,
	    "another user's password does not match");
	str_copyf(&p, "%s/passwd.db", dir);
	ok(stat(p.s, &st) == 0 && (st.st_mode & 0777) == 0640,
	    "passwd.db is 0640");
	{
		/* The hash, never the password, is in the file. */
		FILE *f = fopen(p.s, "r");
		char buf[65536];
		size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;

		if (f)
			fclose(f);
		ok(n > 0 && memmem(buf, n, "s3cret", 6) == NULL,
		    "no clear text in passwd.db");
		ok(memmem(buf, n, "crypt=$y$", 9) != NULL ||
		    memmem(buf, n, "crypt=$6$", 9) != NULL,
		    "a yescrypt or SHA-512 hash");
	}
	str_copyf(&p, "%s/users.db", dir);
	ok(stat(p.s, &st) == 0 && (st.st_mode & 0777) == 0644,
	    "users.db is 0644");
	is_int(users_passwd_set(u, "alice@example.test", "new", (uid_t)-1,
	    (gid_t)-1, &err), 0, "change password");
	is_int(users_passwd_check(u, "alice@example.test", "s3cret pass",
	    &err), 0, "old password no longer matches");
	is_int(users_passwd_check(u, "alice@example.test", "new", &err), 1,
	    "new one does");

	/* Deleting: domain refuses while it has users. */
	ok(users_domain_del(u, "example.test", &err) < 0 &&
	    strstr(err.s, "1 user") != NULL, "domain with users stays: %s",
	    str_cstr(&err));
	is_int(users_del(u, "alice@example.test", &err), 0, "del alice");
	is_int(users_del(u, "alice@example.test", &err), 1,
	    "del again: nothing to do");
	is_int(users_get(u, "alice@example.test", &rec, &err), 0,
	    "alice gone");
	is_int(users_passwd_check(u, "alice@example.test", "new", &err), 0,
	    "and her password");
	is_int(users_domain_del(u, "example.test", &err), 0,
	    "empty domain deleted");
	is_int(users_domain_del(u, "example.test", &err), 1,
	    "deleted again: nothing to do");
	is_int(users_domain_exists(u, "example.test", &err), 0, "gone");

	/* A second handle (another process's view) sees every change. */
	{
		struct users *u2 = users_open(dir);

		is_int(users_get(u2, "bob", &rec, &err), 1, "second handle");
		is_int(put(u, "dave", 0, "", false), 0, "put dave");
		is_int(users_get(u2, "dave", &rec, &err), 1,
		    "second handle sees the rebuild");
		users_close(&u2);
	}

	/* A corrupt table is an error, not "no such user". */
	str_copyf(&p, "%s/users.db", dir);
	{
		FILE *f = fopen(p.s, "w");

		if (f) {
			fputs("garbage garbage garbage garbage garbage", f);
			fclose(f);
		}
	}
	is_int(users_get(u, "bob", &rec, &err), -1, "corrupt: error: %s",
	    str_cstr(&err));

	users_close(&u);
	users_close(&u);
	user_rec_free(&rec);
	str_copyf(&p, "rm -rf %s", dir);
	if (system(p.s) != 0)
		diag("could not remove %s", dir);
	str_free(&p);
	str_free(&list);
	str_free(&err);
	return done_testing();
}
