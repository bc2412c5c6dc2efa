/*
 * resolve - where mail for an address goes; see resolve.h for the order
 * of lookups.
 *
 * Trust: a |command, /file or :include: target is honoured only when it
 * comes from an alias file or an include file, and runs as the owner of
 * that file (root's become default_privs).  Addresses typed by a remote
 * sender, virtual aliases and users' forward= lists are only ever
 * looked up as addresses.
 *
 * Tables are lib/base/table handles, which notice a rebuilt file at every
 * lookup, so a long-lived resolver (an smtpd worker) sees newaliases and
 * roostctl changes at once.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "aliases.h"
#include "resolve.h"
#include "table.h"
#include "users.h"

#define INCLUDE_MAX (1024 * 1024)

struct resolver {
	struct users *users;
	struct table *aliases;		/* NULL: alias_maps empty */
	struct table *virtual;		/* NULL: virtual_alias_maps empty */
	struct str alias_db;
	struct str hostname, destinations, delim, default_privs;
	bool system_users, commands, files, includes;
};

/* abspath - value made absolute against base (sendmail and roostctl do
 * not chdir there as the daemons do). */
static void
abspath(const char *base, const char *value, struct str *out)
{

	if (value[0] == '/' || base[0] == '\0')
		str_copys(out, value);
	else
		str_copyf(out, "%s%s%s", base,
		    base[strlen(base) - 1] == '/' ? "" : "/", value);
}

static void
lower(struct str *s)
{
	for (size_t i = 0; i < s->len; i++)
		s->s[i] = (char)tolower((unsigned char)s->s[i]);
}

struct resolver *
resolver_open(const struct resolve_conf *c)
{
	struct resolver *r = xcalloc(1, sizeof *r);
	struct str p = STR_INIT;

	abspath(c->base_dir, c->data_dir, &p);
	r->users = users_open(p.s);
	if (*c->alias_maps) {
		abspath(c->base_dir, c->alias_maps, &p);
		str_copyf(&r->alias_db, "%s.db", p.s);
		r->aliases = table_open(r->alias_db.s);
	}
	if (*c->virtual_alias_maps) {
		abspath(c->base_dir, c->virtual_alias_maps, &p);
		str_cats(&p, ".db");
		r->virtual = table_open(p.s);
	}
	str_free(&p);
	str_copys(&r->hostname, c->hostname);
	lower(&r->hostname);
	str_copys(&r->destinations, c->mydestination);
	str_copys(&r->delim, c->recipient_delimiter);
	str_copys(&r->default_privs, c->default_privs);
	r->system_users = c->local_system_users;
	r->commands = c->allow_commands;
	r->files = c->allow_files;
	r->includes = c->allow_includes;
	return r;
}

void
resolver_close(struct resolver **rp)
{
	struct resolver *r = *rp;

	if (r == NULL)
		return;
	users_close(&r->users);
	table_close(&r->aliases);
	table_close(&r->virtual);
	str_free(&r->alias_db);
	str_free(&r->hostname);
	str_free(&r->destinations);
	str_free(&r->delim);
	str_free(&r->default_privs);
	free(r);
	*rp = NULL;
}

bool
resolver_local_domain(struct resolver *r, const char *domain)
{
	const char *list = r->destinations.s ? r->destinations.s : "";
	size_t n = strlen(domain);

	if (n == 0 || strcasecmp(domain, "localhost") == 0 ||
	    strcasecmp(domain, r->hostname.s) == 0)
		return true;
	for (;;) {
		size_t k;

		list += strspn(list, " \t,");
		if (*list == '\0')
			return false;
		k = strcspn(list, " \t,");
		if ((k == n && strncasecmp(list, domain, n) == 0) ||
		    (((k == 11 && strncmp(list, "$myhostname", 11) == 0) ||
		    (k == 13 && strncmp(list, "${myhostname}", 13) == 0)) &&
		    strcasecmp(domain, r->hostname.s) == 0))
			return true;
		list += k;
	}
}

/* get - a table lookup that treats a table turned off as empty. */
static int
get(struct table *t, const char *key, struct str *val, struct str *why)
{
	return t == NULL ? 0 : table_get(t, key, val, why);
}

int
resolver_our_domain(struct resolver *r, const char *domain, struct str *why)
{
	struct str d = STR_INIT, val = STR_INIT;
	int rc;

	if (resolver_local_domain(r, domain))
		return 1;
	str_copys(&d, domain);
	lower(&d);
	rc = users_domain_exists(r->users, d.s, why);
	/* A domain with virtual aliases is ours (aliases(5)). */
	if (rc == 0)
		rc = get(r->virtual, d.s, &val, why);
	str_free(&d);
	str_free(&val);
	return rc;
}

/* ---- addresses ---- */

struct parts {
	struct str local;	/* lowercased local part */
	struct str base;	/* local part without the extension */
	struct str detail;	/* the extension, or empty */
	struct str domain;	/* lowercased; empty for a bare name */
};

static void
parts_free(struct parts *p)
{
	str_free(&p->local);
	str_free(&p->base);
	str_free(&p->detail);
	str_free(&p->domain);
}

static void
split_addr(struct resolver *r, const char *addr, struct parts *p)
{
	const char *at = strrchr(addr, '@');
	size_t ln = at ? (size_t)(at - addr) : strlen(addr);
	size_t k;

	str_copyb(&p->local, addr, ln);
	lower(&p->local);
	str_copys(&p->domain, at ? at + 1 : "");
	lower(&p->domain);
	/* user+detail: the first delimiter byte, not the first one. */
	k = r->delim.len ? strcspn(p->local.s, r->delim.s) : p->local.len;
	if (k > 0 && k < p->local.len) {
		str_copyb(&p->base, p->local.s, k);
		str_copys(&p->detail, p->local.s + k + 1);
	} else {
		str_copyb(&p->base, p->local.s, p->local.len);
		str_clear(&p->detail);
	}
}

/* system_user - a local account of that name (local_system_users). */
static bool
system_user(struct resolver *r, const char *name)
{
	return r->system_users && name[0] != '\0' && getpwnam(name) != NULL;
}

/* local_mailbox - the mailbox of a local-domain name: 1 a roost user
 * (rec filled when rec != NULL), 2 a system account, 0 none, -1 error. */
static int
local_mailbox(struct resolver *r, const char *name, struct user_rec *rec,
    struct str *why)
{
	struct user_rec tmp = { STR_INIT, 0, STR_INIT, false, 0 };
	int rc = users_get(r->users, name, rec ? rec : &tmp, why);

	user_rec_free(&tmp);
	if (rc != 0)
		return rc;
	return system_user(r, name) ? 2 : 0;
}

int
resolve_verify(struct resolver *r, const char *addr, struct str *why)
{
	struct parts p = { STR_INIT, STR_INIT, STR_INIT, STR_INIT };
	struct str key = STR_INIT, val = STR_INIT;
	int rc;

	split_addr(r, addr, &p);
	/* 1. virtual aliases, whole, without extension, catch-all. */
	if (p.domain.len) {
		str_copyf(&key, "%s@%s", p.local.s, p.domain.s);
		if ((rc = get(r->virtual, key.s, &val, why)) == 0 &&
		    p.detail.len) {
			str_copyf(&key, "%s@%s", p.base.s, p.domain.s);
			rc = get(r->virtual, key.s, &val, why);
		}
		if (rc == 0) {
			str_copyf(&key, "@%s", p.domain.s);
			rc = get(r->virtual, key.s, &val, why);
		}
		if (rc != 0)
			goto done;
	}
	if (resolver_local_domain(r, p.domain.s)) {
		/* 2. aliases, roost users, system accounts. */
		if ((rc = get(r->aliases, p.local.s, &val, why)) == 0 &&
		    p.detail.len)
			rc = get(r->aliases, p.base.s, &val, why);
		if (rc == 0)
			rc = local_mailbox(r, p.base.s, NULL, why);
		goto done;
	}
	/* 3. virtual domains; 4. remote. */
	if ((rc = resolver_our_domain(r, p.domain.s, why)) == 1) {
		struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };

		str_copyf(&key, "%s@%s", p.base.s, p.domain.s);
		rc = users_get(r->users, key.s, &rec, why);
		user_rec_free(&rec);
	} else if (rc == 0)
		rc = -2;
done:
	parts_free(&p);
	str_free(&key);
	str_free(&val);
	if (rc == -2)
		return RESOLVE_REMOTE;
	if (rc < 0)
		return RESOLVE_TEMP;
	if (rc == 0) {
		str_copys(why, "User unknown");
		return RESOLVE_UNKNOWN;
	}
	return RESOLVE_OK;
}

int
resolve_mailbox(struct resolver *r, const char *addr, struct str *user,
    struct str *detail, struct str *why)
{
	struct parts p = { STR_INIT, STR_INIT, STR_INIT, STR_INIT };
	int rc;

	split_addr(r, addr, &p);
	str_clear(user);
	str_copyb(detail, p.detail.s, p.detail.len);
	if (resolver_local_domain(r, p.domain.s)) {
		str_copyb(user, p.base.s, p.base.len);
		rc = local_mailbox(r, p.base.s, NULL, why);
	} else {
		struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };

		str_copyf(user, "%s@%s", p.base.s, p.domain.s);
		rc = users_get(r->users, user->s, &rec, why);
		user_rec_free(&rec);
	}
	parts_free(&p);
	if (rc < 0)
		return RESOLVE_TEMP;
	if (rc == 0) {
		str_copys(why, "User unknown");
		return RESOLVE_UNKNOWN;
	}
	return RESOLVE_OK;
}

/* ---- expansion ---- */

struct trust {			/* where a target was written */
	bool file;		/* an alias or include file */
	bool include;		/* an include file */
	bool addresses_only;	/* others could write it: no |cmd, /file */
	uid_t uid;		/* its owner's account, after default_privs */
	gid_t gid;
	uid_t file_uid;		/* the file's owner as it is */
	mode_t mode;
};

/* The work one expansion may do, however its aliases and include files
 * name each other: each include file is read once, and the lookups are
 * counted, so a list that fans out at every level cannot run for
 * minutes while qmgr waits. */
#define EXPAND_STEPS_MAX 20000
#define EXPAND_FILES_MAX 1000

struct exp {
	struct resolver *r;
	struct resolve_target *v;
	size_t n, cap;
	const char *path[RESOLVE_DEPTH + 2];	/* names being expanded */
	size_t depth;
	size_t steps;				/* lookups and includes */
	struct { dev_t dev; ino_t ino; } seen[EXPAND_FILES_MAX];
	size_t nseen;				/* include files read */
	struct str *why;
};

/* owner - the account a file's |command and /file targets run as: its
 * owner's, or default_privs for a file of root's. */
static int
owner(const struct resolver *r, const char *path, int fd, struct trust *t,
    struct str *why)
{
	struct stat st;
	struct passwd *pw;

	if ((fd >= 0 ? fstat(fd, &st) : stat(path, &st)) < 0) {
		str_copyf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	t->file = true;
	t->include = false;
	t->addresses_only = false;
	t->file_uid = st.st_uid;
	t->mode = st.st_mode;
	if (st.st_uid == 0) {
		const char *dp = r->default_privs.s;

		if ((pw = getpwnam(dp)) == NULL || pw->pw_uid == 0) {
			str_copyf(why, "default_privs: no usable account %s",
			    dp);
			return -1;
		}
		t->uid = pw->pw_uid;
		t->gid = pw->pw_gid;
		return 0;
	}
	t->uid = st.st_uid;
	pw = getpwuid(st.st_uid);
	t->gid = pw ? pw->pw_gid : st.st_gid;
	return 0;
}

static int
add(struct exp *e, enum resolve_kind kind, const char *to,
    const char *detail, const struct trust *t, const char *via)
{
	struct resolve_target *x;

	for (size_t i = 0; i < e->n; i++)	/* each target once */
		if (e->v[i].kind == kind && str_eqs(&e->v[i].to, to) &&
		    str_eqs(&e->v[i].detail, detail))
			return RESOLVE_OK;
	if (e->n >= RESOLVE_MAX_TARGETS) {
		str_copyf(e->why, "more than %d targets",
		    RESOLVE_MAX_TARGETS);
		return RESOLVE_PERM;
	}
	if (e->n == e->cap) {
		e->cap = e->cap ? size_mul(e->cap, 2) : 8;
		e->v = xreallocarray(e->v, e->cap, sizeof *e->v);
	}
	x = memset(&e->v[e->n++], 0, sizeof *x);
	x->kind = kind;
	str_copys(&x->to, to);
	str_copys(&x->detail, detail);
	str_copys(&x->via, via);
	x->uid = t && t->file ? t->uid : (uid_t)-1;
	x->gid = t && t->file ? t->gid : (gid_t)-1;
	return RESOLVE_OK;
}

static int expand(struct exp *e, const char *addr, const char *detail,
    const char *via);

/* push - enter name for loop detection; RESOLVE_OK or RESOLVE_PERM. */
static int
push(struct exp *e, const char *name)
{
	for (size_t i = 0; i < e->depth; i++)
		if (strcmp(e->path[i], name) == 0) {
			str_copyf(e->why, "mail loop: %s", name);
			return RESOLVE_PERM;
		}
	if (e->depth >= RESOLVE_DEPTH) {
		str_copyf(e->why, "alias expansion deeper than %d levels "
		    "at %s", RESOLVE_DEPTH, name);
		return RESOLVE_PERM;
	}
	e->path[e->depth++] = name;
	return RESOLVE_OK;
}

static int targets(struct exp *e, const char *lines, const char *name,
    const char *detail, const struct trust *t);

/* include - the targets of an include file, as its owner wrote them.
 * Its |command and /file targets run as its owner, so they are honoured
 * only when nobody else could have written them: not from a file that
 * group or others may write, nor from one that another user's include
 * file names (else any user could borrow the owner of any file). */
static int
include(struct exp *e, const char *path, const char *detail,
    const struct trust *parent)
{
	struct str text = STR_INIT, lines = STR_INIT, why = STR_INIT;
	struct stat st;
	struct trust t;
	char buf[8192];
	ssize_t k;
	size_t i;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK))
	    < 0) {
		str_copyf(e->why, ":include:%s: %s", path, strerror(errno));
		return errno == ENOENT || errno == EACCES || errno == ELOOP ?
		    RESOLVE_PERM : RESOLVE_TEMP;
	}
	if (owner(e->r, path, fd, &t, e->why) < 0 || fstat(fd, &st) < 0) {
		close(fd);
		return RESOLVE_TEMP;
	}
	for (i = 0; i < e->nseen; i++)
		if (e->seen[i].dev == st.st_dev && e->seen[i].ino == st.st_ino) {
			close(fd);	/* its targets are in already */
			return RESOLVE_OK;
		}
	if (e->nseen == EXPAND_FILES_MAX) {
		close(fd);
		str_copyf(e->why, "more than %d include files",
		    EXPAND_FILES_MAX);
		return RESOLVE_PERM;
	}
	e->seen[e->nseen].dev = st.st_dev;
	e->seen[e->nseen++].ino = st.st_ino;
	t.include = true;
	if ((t.mode & 022) != 0 || (parent != NULL && (parent->addresses_only ||
	    (parent->include && parent->file_uid != t.file_uid))))
		t.addresses_only = true;
	while ((k = read(fd, buf, sizeof buf)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || text.len + (size_t)k > INCLUDE_MAX) {
			str_copyf(e->why, ":include:%s: %s", path, k < 0 ?
			    strerror(errno) : "larger than 1 MiB");
			close(fd);
			str_free(&text);
			return k < 0 ? RESOLVE_TEMP : RESOLVE_PERM;
		}
		str_catb(&text, buf, (size_t)k);
	}
	close(fd);
	if (memchr(str_cstr(&text), '\0', text.len) != NULL) {
		str_copyf(e->why, ":include:%s: NUL byte", path);
		rc = RESOLVE_PERM;
	} else if (aliases_parse_targets(str_cstr(&text), &lines, &why) < 0) {
		str_copyf(e->why, ":include:%s: %s", path, why.s);
		rc = RESOLVE_PERM;
	} else
		rc = targets(e, str_cstr(&lines), path, detail, &t);
	str_free(&text);
	str_free(&lines);
	str_free(&why);
	return rc;
}

#define REPEAT ":repeat:"	/* then a |command safe to run twice */

/* special - a |command, /file or :include: target of name, honoured
 * only when written in a file (t) and allowed by the configuration. */
static int
special(struct exp *e, const char *one, const char *name,
    const char *detail, const struct trust *t)
{
	bool cmd = one[0] == '|', file = one[0] == '/';
	const char *what = cmd ? "commands" : file ? "files" : "includes";
	struct str key = STR_INIT;
	int rc;

	if (t == NULL) {
		str_copyf(e->why, "%s: %s may only come from an alias file",
		    name, one);
		return RESOLVE_PERM;
	}
	if (t->addresses_only && (cmd || file)) {
		str_copyf(e->why, "%s: %s: commands and files come only from "
		    "an include file only its owner can write", name, one);
		return RESOLVE_PERM;
	}
	if (!(cmd ? e->r->commands : file ? e->r->files : e->r->includes)) {
		str_copyf(e->why, "%s: mail to %s is turned off "
		    "(allow_mail_to_%s)", name, what, what);
		return RESOLVE_PERM;
	}
	if (cmd)
		return add(e, RESOLVE_COMMAND, one + 1, "", t, name);
	if (strncasecmp(one, REPEAT, sizeof REPEAT - 1) == 0) {
		size_t had = e->n;

		rc = special(e, one + sizeof REPEAT - 1, name, detail, t);
		if (rc == RESOLVE_OK && e->n > had)
			e->v[had].repeat = true;
		return rc;
	}
	if (file)
		return add(e, RESOLVE_FILE, one, "", t, name);
	str_copyf(&key, ":include:%s", one + 9);
	if ((rc = push(e, key.s)) == RESOLVE_OK) {
		rc = include(e, one + 9, detail, t);
		e->depth--;
	}
	str_free(&key);
	return rc;
}

/* targets - expand each line of lines, the value of name, written in a
 * file (t) or not (t == NULL). */
static int
targets(struct exp *e, const char *lines, const char *name,
    const char *detail, const struct trust *t)
{
	struct str one = STR_INIT;
	int rc = RESOLVE_OK;

	for (const char *p = lines; *p && rc == RESOLVE_OK;) {
		size_t len = strcspn(p, "\n");

		str_copyb(&one, p, len);
		p += len + (p[len] == '\n');
		if (one.len == 0)
			continue;
		if (one.s[0] == '|' || one.s[0] == '/' ||
		    strncasecmp(one.s, ":include:", 9) == 0 ||
		    strncasecmp(one.s, REPEAT "|", sizeof REPEAT) == 0)
			rc = special(e, one.s, name, detail, t);
		else if ((rc = expand(e, one.s, detail, name)) ==
		    RESOLVE_UNKNOWN) {
			/* one stale member of a list fails alone, as in
			 * sendmail: the others still get the mail */
			size_t had = e->n;

			if ((rc = add(e, RESOLVE_FAILED, one.s, "", NULL,
			    name)) == RESOLVE_OK && e->n > had)
				str_copys(&e->v[had].why, str_cstr(e->why));
			str_clear(e->why);
		}
	}
	str_free(&one);
	return rc;
}

/* user_targets - a roost user's mailbox or forwarding (not when the
 * user's own forwarding names the user: noalias). */
static int
user_targets(struct exp *e, const struct user_rec *rec, const char *detail,
    bool noalias)
{
	struct str lines = STR_INIT;
	int rc;

	if (rec->forward.len == 0 || noalias)
		return add(e, RESOLVE_MAILBOX, rec->name.s, detail, NULL,
		    rec->name.s);
	for (const char *p = rec->forward.s; *p;) {
		size_t k = strcspn(p, ", \t");

		if (k) {
			str_catb(&lines, p, k);
			str_catc(&lines, '\n');
		}
		p += k + (p[k] != '\0');
	}
	rc = targets(e, lines.s, rec->name.s, detail, NULL);
	if (rc == RESOLVE_OK && rec->keep)
		rc = add(e, RESOLVE_MAILBOX, rec->name.s, detail, NULL,
		    rec->name.s);
	str_free(&lines);
	return rc;
}

/* expand_parts - steps 1 to 4 of resolve.h for one address. */
static int
expand_parts(struct exp *e, struct parts *p, const char *addr,
    const char *detail, bool noalias, const char *via)
{
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	struct str key = STR_INIT, val = STR_INIT;
	struct trust t;
	int rc;

	if (p->domain.len && !noalias) {
		str_copyf(&key, "%s@%s", p->local.s, p->domain.s);
		if ((rc = get(e->r->virtual, key.s, &val, e->why)) == 1)
			detail = "";	/* matched with its extension */
		if (rc == 0 && p->detail.len) {
			str_copyf(&key, "%s@%s", p->base.s, p->domain.s);
			rc = get(e->r->virtual, key.s, &val, e->why);
		}
		if (rc == 0) {
			str_copyf(&key, "@%s", p->domain.s);
			rc = get(e->r->virtual, key.s, &val, e->why);
		}
		if (rc < 0)
			goto temp;
		if (rc == 1) {
			rc = targets(e, val.s, key.s, detail, NULL);
			goto out;
		}
	}
	if (resolver_local_domain(e->r, p->domain.s)) {
		if (!noalias) {
			const char *name = p->local.s;

			if ((rc = get(e->r->aliases, name, &val, e->why)) == 0 &&
			    p->detail.len) {
				name = p->base.s;
				rc = get(e->r->aliases, name, &val, e->why);
			}
			if (rc < 0)
				goto temp;
			if (rc == 1) {
				if (name == p->local.s)
					detail = "";
				if (owner(e->r, e->r->alias_db.s, -1, &t,
				    e->why) < 0)
					goto temp;
				rc = targets(e, val.s, name, detail, &t);
				goto out;
			}
		}
		rc = local_mailbox(e->r, p->base.s, &rec, e->why);
		if (rc < 0)
			goto temp;
		if (rc == 1)
			rc = user_targets(e, &rec, detail, noalias);
		else if (rc == 2)
			rc = add(e, RESOLVE_MAILBOX, p->base.s, detail, NULL,
			    via);
		else {
			str_copyf(e->why, "%s: User unknown", addr);
			rc = RESOLVE_UNKNOWN;
		}
		goto out;
	}
	if ((rc = resolver_our_domain(e->r, p->domain.s, e->why)) < 0)
		goto temp;
	if (rc == 0) {
		rc = add(e, RESOLVE_FORWARD, addr, "", NULL, via);
		goto out;
	}
	str_copyf(&key, "%s@%s", p->base.s, p->domain.s);
	if ((rc = users_get(e->r->users, key.s, &rec, e->why)) < 0)
		goto temp;
	if (rc == 1)
		rc = user_targets(e, &rec, detail, noalias);
	else {
		str_copyf(e->why, "%s: User unknown", addr);
		rc = RESOLVE_UNKNOWN;
	}
	goto out;
temp:
	rc = RESOLVE_TEMP;
out:
	user_rec_free(&rec);
	str_free(&key);
	str_free(&val);
	return rc;
}

static int
expand(struct exp *e, const char *addr, const char *detail, const char *via)
{
	struct parts p = { STR_INIT, STR_INIT, STR_INIT, STR_INIT };
	struct str name = STR_INIT;
	bool self;
	int rc;

	if (++e->steps > EXPAND_STEPS_MAX) {
		str_copyf(e->why, "%s: expansion takes more than %d lookups",
		    via, EXPAND_STEPS_MAX);
		return RESOLVE_PERM;
	}
	split_addr(e->r, addr, &p);
	if (p.local.len == 0) {
		str_copyf(e->why, "%s: empty local part", addr);
		parts_free(&p);
		return RESOLVE_UNKNOWN;
	}
	/* The canonical name, for loop detection: bare names and local
	 * domains are one namespace. */
	if (resolver_local_domain(e->r, p.domain.s))
		str_copyb(&name, p.local.s, p.local.len);
	else
		str_copyf(&name, "%s@%s", p.local.s, p.domain.s);
	/* An alias (or forward list) that names itself means its own
	 * mailbox, as in sendmail; any other repeat is a loop. */
	self = e->depth > 0 && strcmp(e->path[e->depth - 1], name.s) == 0;
	if (self || (rc = push(e, name.s)) == RESOLVE_OK) {
		/* An extension the address has itself wins over the one
		 * passed down from an alias matched without it. */
		rc = expand_parts(e, &p, addr, p.detail.len ? p.detail.s :
		    detail, self, via);
		if (!self)
			e->depth--;
	}
	parts_free(&p);
	str_free(&name);
	return rc;
}

int
resolve_expand(struct resolver *r, const char *addr,
    struct resolve_target **out, size_t *n, struct str *why)
{
	struct exp *e;
	int rc;

	e = xcalloc(1, sizeof *e);
	e->r = r;
	e->why = why;
	rc = expand(e, addr, "", addr);
	if (rc == RESOLVE_OK && e->n == 0) {
		/* an empty list, or an include file caught mid-rewrite:
		 * never "delivered" to nobody */
		str_copyf(why, "%s expands to no recipients", addr);
		rc = RESOLVE_TEMP;
	}
	if (rc != RESOLVE_OK) {
		resolve_targets_free(e->v, e->n);
		free(e);
		*out = NULL;
		*n = 0;
		return rc;
	}
	*out = e->v;
	*n = e->n;
	free(e);
	return RESOLVE_OK;
}

void
resolve_targets_free(struct resolve_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		str_free(&t[i].to);
		str_free(&t[i].detail);
		str_free(&t[i].via);
		str_free(&t[i].why);
	}
	free(t);
}
