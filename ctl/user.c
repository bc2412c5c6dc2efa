/*
 * user - roostctl user add|del|list|passwd|quota|forward|undelete.
 *
 * The user table and the password table live in data_dir (lib/mail/users.h),
 * the mailboxes in store_dir (lib/store/store.h).  The tables are
 * root's (passwd.db readable by authd_user's group only): roostctl
 * writes them as root, and does its work in the store as the store's
 * owner, in a child (ctl_as_store_owner), so that neither the store's
 * owner can change a password or a forward nor root follow a link the
 * owner put in the store.  A
 * password never appears on the command line, in the environment or in
 * any output: it comes from one line of standard input
 * (--password-stdin) or from a terminal prompt without echo.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "addr.h"
#include "cfg.h"
#include "ctl.h"
#include "resolve.h"
#include "store.h"
#include "users.h"

#define PASSWORD_MAX 1024

struct userctx {
	struct users *users;
	struct str data_dir, store_dir;
	uid_t uid, tab_uid, pw_uid;	/* the store's, users.db's, passwd.db's */
	gid_t gid, tab_gid, pw_gid;
};

static int
usage(void)
{
	fprintf(stderr, "usage: roostctl user add NAME [--password-stdin] "
	    "[--quota SIZE]\n"
	    "       roostctl user del NAME\n"
	    "       roostctl user list\n"
	    "       roostctl user passwd NAME [--password-stdin]\n"
	    "       roostctl user quota NAME SIZE\n"
	    "       roostctl user forward NAME [ADDR[,ADDR...]] [--keep]\n"
	    "       roostctl user undelete NAME [--since TIME]\n");
	return 100;
}

/* ctx_open - the tables, and data_dir made if missing. */
static int
ctx_open(struct userctx *x)
{
	ctl_abspath("data_dir", &x->data_dir);
	ctl_abspath("store_dir", &x->store_dir);
	ctl_store_owner(&x->uid, &x->gid);
	ctl_table_owner(false, &x->tab_uid, &x->tab_gid);
	ctl_table_owner(true, &x->pw_uid, &x->pw_gid);
	if (mkdir(x->data_dir.s, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "roostctl: %s: %s\n", x->data_dir.s,
		    strerror(errno));
		return -1;
	}
	x->users = users_open(x->data_dir.s);
	return 0;
}

static void
ctx_close(struct userctx *x)
{
	users_close(&x->users);
	str_free(&x->data_dir);
	str_free(&x->store_dir);
}

/* canonical - the user name as stored: lowercased, and a user of a
 * local domain (bob@localhost) by its bare local part. */
static int
canonical(const char *name, struct str *out)
{
	struct str err = STR_INIT;
	struct resolver *r;
	char *at;

	if (users_name_check(name, out, &err) < 0) {
		fprintf(stderr, "roostctl: %s: %s\n", name, err.s);
		str_free(&err);
		return -1;
	}
	str_free(&err);
	/* user+detail is the extension of user: a name with a delimiter
	 * in it could never receive mail. */
	if (*var_recipient_delimiter != '\0' &&
	    strcspn(out->s, var_recipient_delimiter) <
	    strcspn(out->s, "@")) {
		fprintf(stderr, "roostctl: %s: a user name cannot contain "
		    "the recipient_delimiter (%s)\n", name,
		    var_recipient_delimiter);
		return -1;
	}
	if ((at = strchr(out->s, '@')) != NULL) {
		r = resolver_open_cfg();
		if (resolver_local_domain(r, at + 1))
			str_truncate(out, (size_t)(at - out->s));
		resolver_close(&r);
	}
	return 0;
}

/* parse_size - "250m", "1g", "4096", "default" (0): 0 or -1. */
static int
parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (strcmp(s, "default") == 0) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case 'k': shift = 10; end++; break;
	case 'm': shift = 20; end++; break;
	case 'g': shift = 30; end++; break;
	case 't': shift = 40; end++; break;
	}
	if (*end != '\0' || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

static void
format_size(uint64_t v, char *buf, size_t n)
{
	static const char units[] = "KMGT";
	int u = -1;

	if (v < 1024) {
		snprintf(buf, n, "%llu", (unsigned long long)v);
		return;
	}
	double d = (double)v;

	while (d >= 1024 && u < 3) {
		d /= 1024;
		u++;
	}
	snprintf(buf, n, d < 10 && d != (double)(uint64_t)d ? "%.1f%c" :
	    "%.0f%c", d, units[u]);
}

/* read_line_fd - one line of fd, byte by byte so nothing after it is
 * consumed: 0, or -1 (error or too long). */
static int
read_line_fd(int fd, struct str *out)
{
	char c;
	ssize_t r;

	str_clear(out);
	for (;;) {
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || c == '\n')
			break;
		if (out->len >= PASSWORD_MAX)
			return -1;
		str_catc(out, c);
	}
	if (out->len && out->s[out->len - 1] == '\r')
		str_truncate(out, out->len - 1);
	return r == 0 && out->len == 0 ? -1 : 0;
}

/* prompt - read a password from the terminal on fd 0 without echo. */
static int
prompt(const char *text, struct str *out)
{
	struct termios old, quiet;
	int rc;

	if (tcgetattr(0, &old) < 0)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	/* Echo off before the prompt: TCSAFLUSH drops what was typed
	 * ahead, and a quick typist must not lose the answer. */
	if (tcsetattr(0, TCSAFLUSH, &quiet) < 0)
		return -1;
	fprintf(stderr, "%s", text);
	fflush(stderr);
	rc = read_line_fd(0, out);
	tcsetattr(0, TCSAFLUSH, &old);
	return rc;
}

static void
wipe(struct str *s)
{
	if (s->s != NULL)
		memset(s->s, 0, s->cap);
	str_free(s);
}

/* get_password - 1 with a password in pw, 0 none (no flag, no
 * terminal), -1 refused (message printed). */
static int
get_password(bool from_stdin, struct str *pw)
{
	struct str again = STR_INIT;
	int rc;

	if (from_stdin) {
		if (read_line_fd(0, pw) < 0 || pw->len == 0) {
			fprintf(stderr, "roostctl: --password-stdin: expected "
			    "one non-empty line on standard input\n");
			return -1;
		}
		return 1;
	}
	if (!isatty(0))
		return 0;
	if (prompt("Password: ", pw) < 0 || pw->len == 0) {
		fprintf(stderr, "roostctl: no password entered\n");
		return -1;
	}
	rc = prompt("Password again: ", &again) == 0 &&
	    again.len == pw->len && memcmp(again.s, pw->s, pw->len) == 0;
	wipe(&again);
	if (!rc) {
		fprintf(stderr, "roostctl: the passwords do not match; "
		    "nothing changed\n");
		return -1;
	}
	return 1;
}

static int
set_password(struct userctx *x, const char *name, struct str *pw)
{
	struct str err = STR_INIT;
	int rc = users_passwd_set(x->users, name, pw->s, x->pw_uid,
	    x->pw_gid, &err);

	if (rc < 0)
		fprintf(stderr, "roostctl: password of %s: %s\n", name,
		    err.s);
	str_free(&err);
	return rc;
}

/* What is done in the store, as its owner (ctl_as_store_owner). */
struct store_op {
	struct userctx *x;
	const char *name;
	uint64_t quota;
	const char *shown;	/* quota as the operator wrote it */
};

static int
store_create(void *arg)
{
	struct store_op *op = arg;
	struct str err = STR_INIT;
	int rc = 0;

	if (store_user_create(op->x->store_dir.s, op->name, op->quota,
	    op->x->uid, op->x->gid, &err) != 0) {
		fprintf(stderr, "roostctl: store of %s: %s\n", op->name,
		    err.s);
		rc = 1;
	}
	str_free(&err);
	return rc;
}

static int
store_remove(void *arg)
{
	struct store_op *op = arg;
	struct str err = STR_INIT;
	int rc = 0;

	if (store_user_delete(op->x->store_dir.s, op->name, &err) != 0 &&
	    store_user_exists(op->x->store_dir.s, op->name)) {
		fprintf(stderr, "roostctl: user %s removed, but not the "
		    "store: %s\n", op->name, err.s);
		rc = 1;
	}
	str_free(&err);
	return rc;
}

static int
store_quota(void *arg)
{
	struct store_op *op = arg;
	struct str err = STR_INIT;
	struct store *s = NULL;
	int rc = 0;

	if (store_open(&s, op->x->store_dir.s, op->name, &err) != 0 ||
	    store_quota_set(s, op->quota, &err) != 0) {
		fprintf(stderr, "roostctl: store of %s: %s\n", op->name,
		    err.s);
		rc = 1;
	} else
		printf("quota of %s set to %s\n", op->name, op->shown);
	store_close(&s);
	str_free(&err);
	return rc;
}

static int
cmd_add(struct userctx *x, int argc, char **argv)
{
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	struct store_op op;
	struct str name = STR_INIT, err = STR_INIT, pw = STR_INIT;
	bool from_stdin = false;
	const char *arg = NULL;
	char *at;
	int rc = 1, have;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = true;
		else if (strcmp(argv[i], "--quota") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &rec.quota) < 0) {
				fprintf(stderr, "roostctl: --quota: '%s' is "
				    "not a size (like 500m or 2g)\n", argv[i]);
				return 100;
			}
		} else if (argv[i][0] == '-' || arg != NULL)
			return usage();
		else
			arg = argv[i];
	}
	if (arg == NULL)
		return usage();
	if (canonical(arg, &name) < 0) {
		rc = 100;
		goto out;
	}
	if ((have = users_get(x->users, name.s, &rec, &err)) != 0) {
		if (have > 0)
			fprintf(stderr, "roostctl: user %s already exists\n",
			    name.s);
		else
			fprintf(stderr, "roostctl: %s\n", err.s);
		goto out;
	}
	if ((have = get_password(from_stdin, &pw)) < 0)
		goto out;
	if ((at = strchr(name.s, '@')) != NULL) {
		int d = users_domain_add(x->users, at + 1, x->tab_uid,
		    x->tab_gid, &err);

		if (d < 0) {
			fprintf(stderr, "roostctl: %s\n", err.s);
			goto out;
		}
		if (d == 0)
			printf("domain %s added\n", at + 1);
	}
	str_copyb(&rec.name, name.s, name.len);
	if (users_put(x->users, &rec, x->tab_uid, x->tab_gid, &err) < 0) {
		fprintf(stderr, "roostctl: %s\n", err.s);
		goto out;
	}
	if (have && set_password(x, name.s, &pw) < 0) {
		(void)users_del(x->users, name.s, &err);
		goto out;
	}
	op.x = x;
	op.name = name.s;
	op.quota = rec.quota ? rec.quota : (uint64_t)var_quota_default;
	if (ctl_as_store_owner(store_create, &op) != 0) {
		(void)users_del(x->users, name.s, &err);
		goto out;
	}
	printf("user %s added%s\n", name.s, have ? "" :
	    " (no password: IMAP and POP logins fail until "
	    "'roostctl user passwd')");
	rc = 0;
out:
	wipe(&pw);
	user_rec_free(&rec);
	str_free(&name);
	str_free(&err);
	return rc;
}

static int
cmd_del(struct userctx *x, int argc, char **argv)
{
	struct store_op op;
	struct str name = STR_INIT, err = STR_INIT;
	int rc = 1, r;

	if (argc != 1 || argv[0][0] == '-')
		return usage();
	if (canonical(argv[0], &name) < 0) {
		str_free(&name);
		return 100;
	}
	r = users_del(x->users, name.s, &err);
	op.x = x;
	op.name = name.s;
	if (r == 1)
		fprintf(stderr, "roostctl: no such user: %s\n", name.s);
	else if (r < 0)
		fprintf(stderr, "roostctl: %s\n", err.s);
	else if (ctl_as_store_owner(store_remove, &op) != 0)
		;
	else {
		printf("user %s removed with its mail\n", name.s);
		rc = 0;
	}
	str_free(&name);
	str_free(&err);
	return rc;
}

static int
list_one(const struct user_rec *rec, void *arg)
{
	struct userctx *x = arg;
	struct str err = STR_INIT;
	struct store *s = NULL;
	uint64_t used, limit, msgs;
	time_t over;
	char q[32], u[32];

	if (rec->quota)
		format_size(rec->quota, q, sizeof q);
	else
		snprintf(q, sizeof q, "default");
	if (store_open(&s, x->store_dir.s, rec->name.s, &err) == 0 &&
	    store_quota_get(s, &used, &limit, &msgs, &over, &err) == 0)
		format_size(used, u, sizeof u);
	else
		snprintf(u, sizeof u, "-");
	store_close(&s);
	printf("%-32s quota=%s used=%s%s%s%s\n", rec->name.s, q, u,
	    rec->forward.len ? " forward=" : "", str_cstr(&rec->forward),
	    rec->forward.len && rec->keep ? " keep" : "");
	str_free(&err);
	return 0;
}

/* list_all - every user with what the store says of them, as the
 * store's owner (users.db is readable by all). */
static int
list_all(void *arg)
{
	struct userctx *x = arg;
	struct str err = STR_INIT;
	int rc = 0;

	if (users_list(x->users, list_one, x, &err) < 0) {
		fprintf(stderr, "roostctl: %s\n", err.s);
		rc = 1;
	}
	str_free(&err);
	return rc;
}

static int
cmd_list(struct userctx *x, int argc)
{
	if (argc != 0)
		return usage();
	return ctl_as_store_owner(list_all, x);
}

/* load - the record of an existing user: 0, or an exit code. */
static int
load(struct userctx *x, const char *arg, struct user_rec *rec)
{
	struct str err = STR_INIT;
	int r;

	if (canonical(arg, &rec->name) < 0)
		return 100;
	r = users_get(x->users, rec->name.s, rec, &err);
	if (r == 0)
		fprintf(stderr, "roostctl: no such user: %s\n", rec->name.s);
	else if (r < 0)
		fprintf(stderr, "roostctl: %s\n", err.s);
	str_free(&err);
	return r == 1 ? 0 : 1;
}

static int
save(struct userctx *x, struct user_rec *rec)
{
	struct str err = STR_INIT;
	int rc = 0;

	if (users_put(x->users, rec, x->tab_uid, x->tab_gid, &err) < 0) {
		fprintf(stderr, "roostctl: %s\n", err.s);
		rc = 1;
	}
	str_free(&err);
	return rc;
}

static int
cmd_passwd(struct userctx *x, int argc, char **argv)
{
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	struct str pw = STR_INIT;
	bool from_stdin = argc == 2 && strcmp(argv[1], "--password-stdin") == 0;
	int rc, have;

	if (argc < 1 || argc > 2 || (argc == 2 && !from_stdin) ||
	    argv[0][0] == '-')
		return usage();
	if ((rc = load(x, argv[0], &rec)) != 0)
		goto out;
	rc = 1;
	if ((have = get_password(from_stdin, &pw)) < 0)
		goto out;
	if (have == 0) {
		fprintf(stderr, "roostctl: no terminal to ask for the "
		    "password; use --password-stdin\n");
		goto out;
	}
	if (set_password(x, rec.name.s, &pw) == 0) {
		printf("password of %s changed\n", rec.name.s);
		rc = 0;
	}
out:
	wipe(&pw);
	user_rec_free(&rec);
	return rc;
}

static int
cmd_quota(struct userctx *x, int argc, char **argv)
{
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	struct store_op op;
	uint64_t q;
	int rc;

	if (argc != 2)
		return usage();
	if (parse_size(argv[1], &q) < 0) {
		fprintf(stderr, "roostctl: '%s' is not a size (like 500m, 2g "
		    "or default)\n", argv[1]);
		return 100;
	}
	if ((rc = load(x, argv[0], &rec)) != 0)
		goto out;
	rec.quota = q;
	if ((rc = save(x, &rec)) != 0)
		goto out;
	op.x = x;
	op.name = rec.name.s;
	op.quota = q ? q : (uint64_t)var_quota_default;
	op.shown = argv[1];
	rc = ctl_as_store_owner(store_quota, &op);
out:
	user_rec_free(&rec);
	return rc;
}

static int
cmd_forward(struct userctx *x, int argc, char **argv)
{
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	struct str fwd = STR_INIT, err = STR_INIT, one = STR_INIT;
	const char *name = NULL;
	bool keep = false;
	int rc = 100;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--keep") == 0) {
			keep = true;
			continue;
		}
		if (argv[i][0] == '-')
			return usage();
		if (name == NULL) {
			name = argv[i];
			continue;
		}
		/* ADDR[,ADDR...], possibly over several words. */
		for (const char *p = argv[i]; *p;) {
			size_t k = strcspn(p, ", \t");

			if (k) {
				str_copyb(&one, p, k);
				if (addr_check_mailbox(one.s, one.len, 0,
				    &err) < 0 || strchr(one.s, '@') == NULL) {
					fprintf(stderr, "roostctl: '%s' is not "
					    "an address%s%s\n", one.s,
					    err.len ? ": " : "",
					    str_cstr(&err));
					goto out;
				}
				str_catf(&fwd, "%s%s", fwd.len ? ", " : "",
				    one.s);
			}
			p += k + (p[k] != '\0');
		}
	}
	if (name == NULL || (keep && fwd.len == 0))
		goto usage;
	if ((rc = load(x, name, &rec)) != 0)
		goto out;
	str_copyb(&rec.forward, fwd.s, fwd.len);
	rec.keep = keep;
	if ((rc = save(x, &rec)) == 0) {
		if (fwd.len)
			printf("mail for %s goes to %s%s\n", rec.name.s, fwd.s,
			    keep ? " and a copy stays in the mailbox" : "");
		else
			printf("mail for %s is no longer forwarded\n",
			    rec.name.s);
	}
	goto out;
usage:
	rc = usage();
out:
	user_rec_free(&rec);
	str_free(&fwd);
	str_free(&err);
	str_free(&one);
	return rc;
}

struct undelete_args {
	struct ctl *c;
	int argc;
	char **argv;
};

/* undelete - all in the store (lib/store), as its owner */
static int
undelete(void *arg)
{
	struct undelete_args *u = arg;

	return ctl_user_undelete(u->c, u->argc, u->argv);
}

int
ctl_cmd_user(struct ctl *c, int argc, char **argv)
{
	struct userctx x;
	int rc;

	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "undelete") == 0) {
		struct undelete_args u = { c, argc - 1, argv + 1 };

		return ctl_as_store_owner(undelete, &u);
	}
	if (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "del") != 0 &&
	    strcmp(argv[0], "list") != 0 && strcmp(argv[0], "passwd") != 0 &&
	    strcmp(argv[0], "quota") != 0 && strcmp(argv[0], "forward") != 0)
		return usage();
	memset(&x, 0, sizeof x);
	if (ctx_open(&x) < 0) {
		ctx_close(&x);
		return 1;
	}
	if (strcmp(argv[0], "add") == 0)
		rc = cmd_add(&x, argc - 1, argv + 1);
	else if (strcmp(argv[0], "del") == 0)
		rc = cmd_del(&x, argc - 1, argv + 1);
	else if (strcmp(argv[0], "list") == 0)
		rc = cmd_list(&x, argc - 1);
	else if (strcmp(argv[0], "passwd") == 0)
		rc = cmd_passwd(&x, argc - 1, argv + 1);
	else if (strcmp(argv[0], "quota") == 0)
		rc = cmd_quota(&x, argc - 1, argv + 1);
	else
		rc = cmd_forward(&x, argc - 1, argv + 1);
	ctx_close(&x);
	fflush(stdout);
	return rc;
}
