/*
 * domain - roostctl domain add|del|list, and ctl_tables_refresh, which
 * roostctl start runs to compile the alias files that changed (as
 * newaliases would).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "aliases.h"
#include "cfg.h"
#include "ctl.h"
#include "resolve.h"
#include "users.h"

static int
usage(void)
{
	fprintf(stderr, "usage: roostctl domain add|del DOMAIN\n"
	    "       roostctl domain list\n");
	return 100;
}

static int
print_domain(const char *d, void *arg)
{
	(void)arg;
	printf("%s\n", d);
	return 0;
}

int
ctl_cmd_domain(struct ctl *c, int argc, char **argv)
{
	struct str dir = STR_INIT, err = STR_INIT;
	struct users *u = NULL;
	struct resolver *r;
	uid_t uid;
	gid_t gid;
	int rc = 1, k;

	(void)c;
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		ctl_abspath("data_dir", &dir);
		u = users_open(dir.s);
		if (users_domain_list(u, print_domain, NULL, &err) < 0)
			fprintf(stderr, "roostctl: %s\n", err.s);
		else
			rc = 0;
		goto out;
	}
	if (argc != 2 || (strcmp(argv[0], "add") != 0 &&
	    strcmp(argv[0], "del") != 0))
		return usage();
	r = resolver_open_cfg();
	k = resolver_local_domain(r, argv[1]);
	resolver_close(&r);
	if (k) {
		fprintf(stderr, "roostctl: %s is a local domain (myhostname, "
		    "localhost or mydestination), not a virtual one\n",
		    argv[1]);
		return 1;
	}
	ctl_abspath("data_dir", &dir);
	if (mkdir(dir.s, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "roostctl: %s: %s\n", dir.s, strerror(errno));
		str_free(&dir);
		return 1;
	}
	u = users_open(dir.s);
	ctl_table_owner(false, &uid, &gid);	/* users.db: root's */
	if (strcmp(argv[0], "add") == 0) {
		k = users_domain_add(u, argv[1], uid, gid, &err);
		if (k == 0)
			printf("domain %s added\n", argv[1]);
		else if (k == 1)
			printf("domain %s exists already\n", argv[1]);
	} else {
		k = users_domain_del(u, argv[1], &err);
		if (k == 0)
			printf("domain %s removed\n", argv[1]);
		else if (k == 1)
			fprintf(stderr, "roostctl: no such domain: %s\n",
			    argv[1]);
	}
	if (k < 0)
		fprintf(stderr, "roostctl: %s\n", err.s);
	rc = k == 0 || (k == 1 && strcmp(argv[0], "add") == 0) ? 0 : 1;
out:
	users_close(&u);
	str_free(&dir);
	str_free(&err);
	fflush(stdout);
	return rc;
}

/* The aliases file an embedded layout starts with: RFC 5321 requires a
 * postmaster, and root reads it. */
static const char default_aliases[] =
    "# aliases(5): \"name: target, target, ...\".  Run newaliases (or\n"
    "# roostctl start) after editing.  Targets: local users, addresses,\n"
    "# \"|command\", /file, :include:/path.\n"
    "postmaster: root\n";

/* refresh - compile key's file when it is newer than its .db. */
static int
refresh(const char *key, enum aliases_kind kind, bool make_default)
{
	struct str src = STR_INIT, db = STR_INIT, err = STR_INIT;
	struct stat s, d;
	size_t n;

	if (*cfg_str(key) == '\0')
		return 0;
	ctl_abspath(key, &src);
	str_copyf(&db, "%s.db", src.s);
	if (stat(src.s, &s) < 0 && errno == ENOENT && make_default &&
	    ctl_write_file(src.s, default_aliases, 0644) == 0)
		(void)stat(src.s, &s);
	if (stat(src.s, &s) == 0 && (stat(db.s, &d) < 0 ||
	    d.st_mtim.tv_sec < s.st_mtim.tv_sec ||
	    (d.st_mtim.tv_sec == s.st_mtim.tv_sec &&
	    d.st_mtim.tv_nsec < s.st_mtim.tv_nsec))) {
		/* A syntax error keeps the old table (if any) in use; the
		 * operator sees why, and mail still flows. */
		if (aliases_compile(src.s, kind, &n, &err) < 0)
			fprintf(stderr, "roostctl: warning: %s (the previous "
			    "table stays in use)\n", err.s);
	}
	str_free(&src);
	str_free(&db);
	str_free(&err);
	return 0;
}

int
ctl_tables_refresh(struct ctl *c)
{
	(void)c;
	/* Only a relative alias_maps is ours to create (the embedded
	 * layout's etc/aliases); /etc/aliases belongs to the system. */
	refresh("alias_maps", ALIASES_LOCAL, var_alias_maps[0] != '/');
	refresh("virtual_alias_maps", ALIASES_VIRTUAL, false);
	return 0;
}
