/*
 * mailbox - roostctl mailbox list|show|fetch|check, user undelete and
 * expire: the message store (lib/store/store.h) seen by the administrator.
 *
 * Output is meant for scripts as much as for people: one record per
 * line, fields separated by a single TAB (mailbox names never contain
 * control characters), no header; roostctl(8) documents every format.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "ctl.h"
#include "store.h"

#define SPOOL_MAX_AGE (24 * 3600)	/* expire: stale store_dir/tmp files */

static int
usage(void)
{
	fprintf(stderr, "usage: roostctl mailbox list USER\n"
	    "       roostctl mailbox show USER [MAILBOX]\n"
	    "       roostctl mailbox fetch USER MAILBOX UID\n"
	    "       roostctl mailbox check USER\n"
	    "       roostctl user undelete USER [--since TIME]\n"
	    "       roostctl expire [--older-than AGE]\n");
	return 100;
}

static int
open_user(const char *user, struct store **s)
{
	struct str dir = STR_INIT, err = STR_INIT;
	int rc;

	ctl_abspath("store_dir", &dir);
	rc = store_open(s, dir.s, user, &err);
	if (rc == STORE_NOUSER)
		fprintf(stderr, "roostctl: no such user in the store: %s\n",
		    user);
	else if (rc != STORE_OK)
		fprintf(stderr, "roostctl: %s: %s\n", user, str_cstr(&err));
	str_free(&dir);
	str_free(&err);
	return rc == STORE_OK ? 0 : 1;
}

static void
special_names(unsigned su, struct str *out)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ STORE_SU_ALL, "\\All" }, { STORE_SU_ARCHIVE, "\\Archive" },
		{ STORE_SU_DRAFTS, "\\Drafts" },
		{ STORE_SU_FLAGGED, "\\Flagged" }, { STORE_SU_JUNK, "\\Junk" },
		{ STORE_SU_SENT, "\\Sent" }, { STORE_SU_TRASH, "\\Trash" },
	};
	size_t i;

	str_clear(out);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (su & names[i].bit) {
			if (out->len > 0)
				str_catc(out, ',');
			str_cats(out, names[i].name);
		}
	if (out->len == 0)
		str_catc(out, '-');
}

static void
flag_names(unsigned f, const struct str *keywords, struct str *out)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ STORE_F_SEEN, "\\Seen" }, { STORE_F_ANSWERED, "\\Answered" },
		{ STORE_F_FLAGGED, "\\Flagged" },
		{ STORE_F_DELETED, "\\Deleted" }, { STORE_F_DRAFT, "\\Draft" },
		{ STORE_F_RECENT, "\\Recent" },
	};
	size_t i;

	str_clear(out);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit) {
			if (out->len > 0)
				str_catc(out, ',');
			str_cats(out, names[i].name);
		}
	for (i = 0; i < keywords->len; i++) {
		if (i == 0 && out->len > 0)
			str_catc(out, ',');
		str_catc(out, keywords->s[i] == ' ' ? ',' : keywords->s[i]);
	}
	if (out->len == 0)
		str_catc(out, '-');
}

static void
iso_time(time_t t, char buf[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%lld", (long long)t);
}

/* ---- mailbox list ---- */

static int
list_one(const struct store_mailbox *mb, void *arg)
{
	struct str *su = arg;

	special_names(mb->special, su);
	printf("%s\t%s\t%u\t%u\t%llu\t%u\t%u\n", mb->name.s, su->s,
	    mb->messages, mb->unseen, (unsigned long long)mb->size,
	    mb->uidvalidity, mb->uidnext);
	return 0;
}

static int
cmd_list(const char *user)
{
	struct store *s;
	struct str su = STR_INIT, err = STR_INIT;
	int rc = 0;

	if (open_user(user, &s) != 0)
		return 1;
	if (store_mailbox_list(s, list_one, &su, &err) != STORE_OK) {
		fprintf(stderr, "roostctl: %s: %s\n", user, str_cstr(&err));
		rc = 1;
	}
	store_close(&s);
	str_free(&su);
	str_free(&err);
	return rc;
}

/* ---- mailbox show ---- */

static int
show_one(const struct store_msg *m, void *arg)
{
	struct str *fl = arg;
	char date[32];

	flag_names(m->flags, &m->keywords, fl);
	iso_time(m->internaldate, date);
	printf("%u\t%s\t%llu\t%s\t%llu\t%s\n", m->uid, fl->s,
	    (unsigned long long)m->size, date, (unsigned long long)m->modseq,
	    m->file);
	return 0;
}

static int
get_mailbox(struct store *s, const char *user, const char *name,
    struct store_mailbox *mb)
{
	struct str err = STR_INIT;
	int rc;

	rc = store_mailbox_get(s, name, mb, &err);
	if (rc == STORE_NOMBOX || rc == STORE_INVALID)
		fprintf(stderr, "roostctl: %s: no such mailbox: %s\n", user,
		    name);
	else if (rc != STORE_OK)
		fprintf(stderr, "roostctl: %s: %s\n", user, str_cstr(&err));
	str_free(&err);
	return rc == STORE_OK ? 0 : 1;
}

static int
cmd_show(const char *user, const char *name)
{
	struct store *s;
	struct store_mailbox mb;
	struct str fl = STR_INIT, err = STR_INIT;
	int rc = 1;

	if (open_user(user, &s) != 0)
		return 1;
	/* one snapshot for the mailbox and its messages */
	if (store_txn_begin(s, false, &err) != STORE_OK) {
		fprintf(stderr, "roostctl: %s: %s\n", user, str_cstr(&err));
		goto out;
	}
	if (get_mailbox(s, user, name, &mb) != 0)
		goto out;
	if (store_msg_list(s, mb.id, 1, show_one, &fl, &err) != STORE_OK)
		fprintf(stderr, "roostctl: %s: %s\n", user, str_cstr(&err));
	else
		rc = 0;
	store_mailbox_free(&mb);
out:
	store_txn_abort(s);
	store_close(&s);
	str_free(&fl);
	str_free(&err);
	return rc;
}

/* ---- mailbox fetch ---- */

static int
parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
cmd_fetch(const char *user, const char *name, const char *uidarg)
{
	struct store *s;
	struct store_mailbox mb;
	struct store_msg m;
	struct str err = STR_INIT;
	char buf[65536];
	uint32_t uid;
	ssize_t n;
	int fd, rc = 1;

	if (parse_u32(uidarg, &uid) < 0) {
		fprintf(stderr, "roostctl: mailbox fetch: bad UID: %s\n",
		    uidarg);
		return 100;
	}
	if (open_user(user, &s) != 0)
		return 1;
	if (get_mailbox(s, user, name, &mb) != 0) {
		store_close(&s);
		return 1;
	}
	rc = store_msg_get(s, mb.id, uid, &m, &err);
	if (rc == STORE_NOMSG) {
		fprintf(stderr, "roostctl: %s: %s: no message with UID %u\n",
		    user, name, uid);
		rc = 1;
		goto out;
	}
	if (rc != STORE_OK || (fd = store_msg_open(s, &m, &err)) < 0) {
		fprintf(stderr, "roostctl: %s: %s\n", user, str_cstr(&err));
		rc = 1;
		goto out;
	}
	rc = 0;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "roostctl: read %s: %s\n", m.file,
			    strerror(errno));
			rc = 1;
			break;
		}
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			rc = 1;
			break;
		}
	}
	close(fd);
out:
	store_msg_free(&m);
	store_mailbox_free(&mb);
	store_close(&s);
	str_free(&err);
	return rc;
}

/* ---- mailbox check ---- */

static int
cmd_check(const char *user)
{
	struct store *s;
	struct str report = STR_INIT, err = STR_INIT;
	size_t problems = 0;
	int rc;

	if (open_user(user, &s) != 0)
		return 1;
	if (store_check(s, &problems, &report, &err) != STORE_OK) {
		fprintf(stderr, "roostctl: %s: %s\n", user, str_cstr(&err));
		rc = 1;
	} else {
		fputs(str_cstr(&report), stdout);
		printf("%s: %zu problem%s\n", user, problems,
		    problems == 1 ? "" : "s");
		rc = problems ? 1 : 0;
	}
	store_close(&s);
	str_free(&report);
	str_free(&err);
	return rc;
}

int
ctl_cmd_mailbox(struct ctl *c, int argc, char **argv)
{
	int rc;

	(void)c;
	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "list") == 0 && argc == 2)
		rc = cmd_list(argv[1]);
	else if (strcmp(argv[0], "show") == 0 && (argc == 2 || argc == 3))
		rc = cmd_show(argv[1], argc == 3 ? argv[2] : "INBOX");
	else if (strcmp(argv[0], "fetch") == 0 && argc == 4)
		rc = cmd_fetch(argv[1], argv[2], argv[3]);
	else if (strcmp(argv[0], "check") == 0 && argc == 2)
		rc = cmd_check(argv[1]);
	else
		return usage();
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "roostctl: write: %s\n", strerror(errno));
		rc = 1;
	}
	return rc;
}

/* ---- times ---- */

/* parse_age - "N" seconds or N with a unit s, m, h, d or w: seconds. */
static int
parse_age(const char *s, time_t *out)
{
	static const char units[] = "smhdw";
	static const long long mult[] = { 1, 60, 3600, 86400, 604800 };
	const char *u;
	char *end;
	long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || v < 0)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > (long long)(100 * 366) * 86400 / mult[u - units])
			return -1;
		v *= mult[u - units];
	}
	*out = (time_t)v;
	return 0;
}

/* parse_since - an absolute unix time (digits only), an ISO date
 * "YYYY-MM-DD[THH:MM:SS][Z]" (UTC), or an age ("2h", "3d": that long
 * before now). */
static int
parse_since(const char *s, time_t *out)
{
	struct tm tm;
	const char *end;
	time_t age;
	size_t n = strlen(s), i;

	for (i = 0; i < n && isdigit((unsigned char)s[i]); i++)
		;
	if (n > 0 && i == n) {
		long long v;

		errno = 0;
		v = strtoll(s, NULL, 10);
		if (errno != 0)
			return -1;
		*out = (time_t)v;
		return 0;
	}
	if (n >= 10 && s[4] == '-') {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (end != NULL && *end == 'T')
			end = strptime(end + 1, "%H:%M:%S", &tm);
		if (end != NULL && *end == 'Z')
			end++;
		if (end == NULL || *end != '\0')
			return -1;
		*out = timegm(&tm);
		return *out == (time_t)-1 ? -1 : 0;
	}
	if (parse_age(s, &age) < 0 || i == n)
		return -1;
	*out = time(NULL) - age;
	return 0;
}

/* ---- user undelete ---- */

int
ctl_user_undelete(struct ctl *c, int argc, char **argv)
{
	struct store *s;
	struct str err = STR_INIT;
	time_t since = 0;
	size_t n = 0;
	int rc;

	(void)c;
	if (argc == 3 && strcmp(argv[1], "--since") == 0) {
		if (parse_since(argv[2], &since) < 0) {
			fprintf(stderr, "roostctl: user undelete: bad TIME: %s "
			    "(unix time, YYYY-MM-DD[THH:MM:SS] or an age "
			    "like 2h, 3d)\n", argv[2]);
			return 100;
		}
	} else if (argc != 1)
		return usage();
	if (open_user(argv[0], &s) != 0)
		return 1;
	rc = store_undelete(s, since, &n, &err);
	if (rc != STORE_OK) {
		fprintf(stderr, "roostctl: %s: undelete: %s\n", argv[0],
		    str_cstr(&err));
		rc = 1;
	} else
		printf("undeleted %zu message%s for %s\n", n,
		    n == 1 ? "" : "s", argv[0]);
	store_close(&s);
	str_free(&err);
	return rc;
}

/* ---- expire ---- */

/* unescape - a user directory name back to the user name. */
static int
unescape(const char *e, struct str *out)
{
	str_clear(out);
	for (; *e != '\0'; e++) {
		if (*e == '%') {
			unsigned v;

			if (!isxdigit((unsigned char)e[1]) ||
			    !isxdigit((unsigned char)e[2]) ||
			    sscanf(e + 1, "%2x", &v) != 1)
				return -1;
			str_catc(out, (char)v);
			e += 2;
		} else
			str_catc(out, *e);
	}
	return out->len > 0 ? 0 : -1;
}

int
ctl_cmd_expire(struct ctl *c, int argc, char **argv)
{
	struct str dir = STR_INIT, udir = STR_INIT, user = STR_INIT;
	struct str err = STR_INIT;
	time_t age, before;
	size_t n, total = 0, users = 0, spool = 0;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	(void)c;
	age = (time_t)var_expunge_retention * 86400;
	if (argc == 2 && strcmp(argv[0], "--older-than") == 0) {
		if (parse_age(argv[1], &age) < 0) {
			fprintf(stderr, "roostctl: expire: bad AGE: %s "
			    "(seconds, or a number with s, m, h, d or w)\n",
			    argv[1]);
			return 100;
		}
	} else if (argc != 0)
		return usage();
	/* 0: everything expunged so far, this second included */
	before = age == 0 ? time(NULL) + 1 : time(NULL) - age;
	ctl_abspath("store_dir", &dir);
	str_copyf(&udir, "%s/u", dir.s);
	if ((d = opendir(udir.s)) == NULL && errno != ENOENT) {
		fprintf(stderr, "roostctl: expire: %s: %s\n", udir.s,
		    strerror(errno));
		rc = 1;
	}
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct store *s;

		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		if (unescape(de->d_name, &user) < 0)
			continue;
		if (store_open(&s, dir.s, user.s, &err) != STORE_OK) {
			fprintf(stderr, "roostctl: expire: %s: %s\n", user.s,
			    str_cstr(&err));
			rc = 1;
			continue;
		}
		if (store_expire(s, before, &n, &err) != STORE_OK) {
			fprintf(stderr, "roostctl: expire: %s: %s\n", user.s,
			    str_cstr(&err));
			rc = 1;
		} else {
			const unsigned char *q;

			/* control characters would break the line format */
			for (q = (const unsigned char *)user.s; *q; q++)
				if (*q < 0x20 || *q == 0x7f)
					printf("%%%02X", *q);
				else
					putchar(*q);
			printf("\t%zu\n", n);
			total += n;
			users++;
		}
		store_close(&s);
	}
	if (d != NULL)
		closedir(d);
	if (store_spool_clean(dir.s, time(NULL) - SPOOL_MAX_AGE, &spool,
	    &err) != STORE_OK) {
		fprintf(stderr, "roostctl: expire: %s\n", str_cstr(&err));
		rc = 1;
	}
	printf("expired %zu message%s of %zu user%s, removed %zu stale spool "
	    "file%s\n", total, total == 1 ? "" : "s", users,
	    users == 1 ? "" : "s", spool, spool == 1 ? "" : "s");
	if (fflush(stdout) != 0)
		rc = 1;
	str_free(&dir);
	str_free(&udir);
	str_free(&user);
	str_free(&err);
	return rc;
}
