/*
 * users - the user and domain table (users.db) and the password table
 * (passwd.db); see users.h.
 *
 * Values are attribute text, "name=value\n" lines with '%', CR, LF and
 * NUL written %XX as in lib/base/attr.h; unknown names are ignored so later
 * versions may add fields.
 */
#include <crypt.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "base64.h"
#include "table.h"
#include "users.h"

struct users {
	struct str users_path, passwd_path;
	struct table *users, *passwd;
};

static int users_passwd_remove(struct users *u, const char *name,
    struct str *err);

struct users *
users_open(const char *data_dir)
{
	struct users *u = xcalloc(1, sizeof *u);

	str_copyf(&u->users_path, "%s/" USERS_DB, data_dir);
	str_copyf(&u->passwd_path, "%s/" PASSWD_DB, data_dir);
	u->users = table_open(u->users_path.s);
	u->passwd = table_open(u->passwd_path.s);
	return u;
}

void
users_close(struct users **u)
{
	if (*u == NULL)
		return;
	table_close(&(*u)->users);
	table_close(&(*u)->passwd);
	str_free(&(*u)->users_path);
	str_free(&(*u)->passwd_path);
	free(*u);
	*u = NULL;
}

/* ---- names ---- */

/* Local parts: what an operator types for a mailbox; no byte that means
 * something to a path, a shell, a table key or an address parser. */
static bool
local_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' ||
		    c == '-' || c == '+' || c == '='))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

static int
domain_check(const char *d, struct str *out, struct str *err)
{
	size_t n = strlen(d), label = 0;

	str_clear(out);
	if (n == 0 || n > 253) {
		str_copys(err, "domain must have 1 to 253 characters");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)d[i]);

		if (c == '.') {
			if (label == 0 || d[i + 1] == '\0' ||
			    d[i - 1] == '-') {
				str_copyf(err, "'%s' has an empty label or one "
				    "ending in '-'", d);
				return -1;
			}
			label = 0;
		} else if (islower(c) || isdigit(c) || c == '-') {
			if (label == 0 && c == '-') {
				str_copyf(err, "'%s' has a label starting with "
				    "'-'", d);
				return -1;
			}
			if (++label > 63) {
				str_copyf(err, "'%s' has a label over 63 "
				    "characters", d);
				return -1;
			}
		} else {
			str_copyf(err, "'%s' is not a domain name "
			    "(letters, digits, '-' and '.')", d);
			return -1;
		}
		str_catc(out, (char)c);
	}
	return 0;
}

int
users_name_check(const char *name, struct str *out, struct str *err)
{
	struct str low = STR_INIT, dom = STR_INIT;
	const char *at;
	size_t ln;
	int rc = -1;

	for (const char *p = name; *p; p++)
		str_catc(&low, (char)tolower((unsigned char)*p));
	at = strchr(str_cstr(&low), '@');
	ln = at ? (size_t)(at - low.s) : low.len;
	if (!local_ok(str_cstr(&low), ln)) {
		str_copys(err, "user name: the local part must be 1 to 64 "
		    "of a-z 0-9 . _ - + =, not starting or ending with '.'");
		goto out;
	}
	if (at != NULL) {
		if (strchr(at + 1, '@') != NULL) {
			str_copys(err, "user name has more than one '@'");
			goto out;
		}
		if (domain_check(at + 1, &dom, err) < 0)
			goto out;
	}
	str_copyb(out, low.s, ln);
	if (at != NULL)
		str_catf(out, "@%s", dom.s);
	rc = 0;
out:
	str_free(&low);
	str_free(&dom);
	return rc;
}

/* ---- record text ---- */

static void
attr_put_text(struct str *out, const char *name, const char *value)
{
	str_catf(out, "%s=", name);
	for (const char *p = value; *p; p++) {
		if (*p == '%' || *p == '\r' || *p == '\n')
			str_catf(out, "%%%02X", (unsigned char)*p);
		else
			str_catc(out, *p);
	}
	str_catc(out, '\n');
}

static int
attr_get_text(const char *text, const char *name, struct str *value)
{
	size_t n = strlen(name);

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			str_clear(value);
			for (size_t i = n + 1; i < len; i++) {
				int h, l;

				if (p[i] == '%' && i + 2 < len &&
				    (h = str_hexval(p[i + 1])) >= 0 &&
				    (l = str_hexval(p[i + 2])) >= 0) {
					str_catc(value, (char)(h * 16 + l));
					i += 2;
				} else
					str_catc(value, p[i]);
			}
			return 1;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

static void
rec_decode(const char *name, const char *text, struct user_rec *rec)
{
	struct str v = STR_INIT;

	str_copys(&rec->name, name);
	rec->quota = 0;
	rec->keep = false;
	rec->created = 0;
	str_clear(&rec->forward);
	if (attr_get_text(text, "quota", &v))
		rec->quota = strtoull(v.s, NULL, 10);
	if (attr_get_text(text, "forward", &v))
		str_copyb(&rec->forward, v.s, v.len);
	if (attr_get_text(text, "keep", &v))
		rec->keep = str_eqs(&v, "1");
	if (attr_get_text(text, "created", &v))
		rec->created = (time_t)strtoll(v.s, NULL, 10);
	str_free(&v);
}

static void
rec_encode(const struct user_rec *rec, struct str *out)
{
	char num[32];

	str_clear(out);
	snprintf(num, sizeof num, "%llu", (unsigned long long)rec->quota);
	attr_put_text(out, "quota", num);
	attr_put_text(out, "forward", str_cstr(&rec->forward));
	attr_put_text(out, "keep", rec->keep ? "1" : "0");
	snprintf(num, sizeof num, "%lld", (long long)(rec->created ?
	    rec->created : time(NULL)));
	attr_put_text(out, "created", num);
}

void
user_rec_free(struct user_rec *rec)
{
	str_free(&rec->name);
	str_free(&rec->forward);
}

/* ---- lookups ---- */

int
users_get(struct users *u, const char *name, struct user_rec *rec,
    struct str *err)
{
	struct str key = STR_INIT, val = STR_INIT;
	int rc;

	str_copyf(&key, "U:%s", name);
	for (size_t i = 2; i < key.len; i++)
		key.s[i] = (char)tolower((unsigned char)key.s[i]);
	rc = table_get(u->users, key.s, &val, err);
	if (rc == 1)
		rec_decode(key.s + 2, val.s, rec);
	str_free(&key);
	str_free(&val);
	return rc;
}

int
users_domain_exists(struct users *u, const char *domain, struct str *err)
{
	struct str key = STR_INIT, val = STR_INIT;
	int rc;

	str_copyf(&key, "D:%s", domain);
	for (size_t i = 2; i < key.len; i++)
		key.s[i] = (char)tolower((unsigned char)key.s[i]);
	rc = table_get(u->users, key.s, &val, err);
	str_free(&key);
	str_free(&val);
	return rc;
}

struct each {
	char prefix;
	int (*ufn)(const struct user_rec *, void *);
	int (*dfn)(const char *, void *);
	void *arg;
};

static int
each_entry(const char *key, const char *val, void *arg)
{
	struct each *e = arg;
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	int rc;

	if (key[0] != e->prefix || key[1] != ':')
		return 0;
	if (e->dfn != NULL)
		return e->dfn(key + 2, e->arg);
	rec_decode(key + 2, val, &rec);
	rc = e->ufn(&rec, e->arg);
	user_rec_free(&rec);
	return rc;
}

int
users_list(struct users *u, int (*fn)(const struct user_rec *, void *),
    void *arg, struct str *err)
{
	struct each e = { 'U', fn, NULL, arg };

	return table_each(u->users, each_entry, &e, err);
}

int
users_domain_list(struct users *u, int (*fn)(const char *, void *),
    void *arg, struct str *err)
{
	struct each e = { 'D', NULL, fn, arg };

	return table_each(u->users, each_entry, &e, err);
}

/* ---- changes ---- */

/* edit - one read-modify-write of users.db under the writers' lock:
 * fn changes the build and returns 0 (commit), 1 (nothing to do) or -1. */
static int
edit(struct users *u, int (*fn)(struct users *, struct table_build *,
    const void *, struct str *), const void *arg, uid_t owner, gid_t group,
    struct str *err)
{
	struct table_build *b;
	int rc;

	if (table_build_begin(&b, u->users_path.s, err) < 0)
		return -1;
	if (table_build_load(b, err) < 0) {
		table_build_abort(&b);
		return -1;
	}
	/* Under the lock, so the check and the change are one step. */
	rc = fn(u, b, arg, err);
	if (rc != 0) {
		table_build_abort(&b);
		return rc;
	}
	return table_build_commit(&b, 0644, owner, group, err);
}

static int
do_domain_add(struct users *u, struct table_build *b, const void *arg,
    struct str *err)
{
	struct str key = STR_INIT;
	int rc;

	str_copyf(&key, "D:%s", (const char *)arg);
	rc = users_domain_exists(u, arg, err);
	if (rc == 0)
		rc = table_build_put(b, key.s, "", err);
	str_free(&key);
	return rc;
}

int
users_domain_add(struct users *u, const char *domain, uid_t owner,
    gid_t group, struct str *err)
{
	struct str d = STR_INIT;
	int rc = -1;

	if (domain_check(domain, &d, err) == 0)
		rc = edit(u, do_domain_add, d.s, owner, group, err);
	str_free(&d);
	return rc;
}

struct count {
	const char *domain;
	size_t n;
};

static int
count_user(const struct user_rec *rec, void *arg)
{
	struct count *c = arg;
	const char *at = strchr(rec->name.s, '@');

	if (at != NULL && strcmp(at + 1, c->domain) == 0)
		c->n++;
	return 0;
}

static int
do_domain_del(struct users *u, struct table_build *b, const void *arg,
    struct str *err)
{
	struct count c = { arg, 0 };
	struct str key = STR_INIT;
	int rc;

	if ((rc = users_domain_exists(u, arg, err)) != 1)
		return rc < 0 ? -1 : 1;
	if (users_list(u, count_user, &c, err) < 0)
		return -1;
	if (c.n > 0) {
		str_copyf(err, "domain %s still has %zu user%s", c.domain,
		    c.n, c.n == 1 ? "" : "s");
		return -1;
	}
	str_copyf(&key, "D:%s", c.domain);
	rc = table_build_del(b, key.s, err);
	str_free(&key);
	return rc;
}

int
users_domain_del(struct users *u, const char *domain, struct str *err)
{
	struct str d = STR_INIT;
	int rc = -1;

	if (domain_check(domain, &d, err) == 0)
		rc = edit(u, do_domain_del, d.s, (uid_t)-1, (gid_t)-1, err);
	str_free(&d);
	return rc;
}

/* The replaced file keeps the owner the last writer gave it. */

static int
do_put(struct users *u, struct table_build *b, const void *arg,
    struct str *err)
{
	const struct user_rec *rec = arg;
	struct str key = STR_INIT, val = STR_INIT;
	const char *at = strchr(rec->name.s, '@');
	int rc;

	(void)u;
	if (at != NULL) {
		/* A user of a virtual domain brings the domain with it. */
		str_copyf(&key, "D:%s", at + 1);
		if (table_build_put(b, key.s, "", err) < 0) {
			str_free(&key);
			return -1;
		}
	}
	rec_encode(rec, &val);
	str_copyf(&key, "U:%s", rec->name.s);
	rc = table_build_put(b, key.s, val.s, err);
	str_free(&key);
	str_free(&val);
	return rc;
}

int
users_put(struct users *u, const struct user_rec *rec, uid_t owner,
    gid_t group, struct str *err)
{
	struct user_rec r = *rec;
	struct str name = STR_INIT;
	int rc = -1;

	if (users_name_check(str_cstr(&rec->name), &name, err) == 0) {
		r.name = name;
		rc = edit(u, do_put, &r, owner, group, err);
	}
	str_free(&name);
	return rc;
}

static int
do_del(struct users *u, struct table_build *b, const void *arg,
    struct str *err)
{
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	struct str key = STR_INIT;
	int rc;

	if ((rc = users_get(u, arg, &rec, err)) != 1)
		return rc < 0 ? -1 : 1;
	user_rec_free(&rec);
	str_copyf(&key, "U:%s", (const char *)arg);
	rc = table_build_del(b, key.s, err);
	str_free(&key);
	return rc;
}

int
users_del(struct users *u, const char *name, struct str *err)
{
	struct str n = STR_INIT;
	int rc = -1;

	/* The hash goes first: a crash in between must not leave a
	 * password waiting for the next user of that name. */
	if (users_name_check(name, &n, err) == 0 &&
	    users_passwd_remove(u, n.s, err) == 0)
		rc = edit(u, do_del, n.s, (uid_t)-1, (gid_t)-1, err);
	str_free(&n);
	return rc;
}

/* ---- passwords ---- */

/* hash - crypt(3) of password with a fresh salt: yescrypt where
 * libxcrypt has it, else SHA-crypt.  0, or -1 with err. */
static int
hash(const char *password, struct str *out, struct str *err)
{
	static const char *const prefixes[] = { "$y$", "$6$" };
	struct crypt_data *cd = xcalloc(1, sizeof *cd);
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	int rc = -1;

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		const char *h;

		if (crypt_gensalt_rn(prefixes[i], 0, NULL, 0, salt,
		    sizeof salt) == NULL)
			continue;
		h = crypt_r(password, salt, cd);
		if (h != NULL && h[0] == '$') {
			str_copys(out, h);
			rc = 0;
			break;
		}
	}
	if (rc < 0)
		str_copys(err, "crypt(3) offers neither yescrypt nor "
		    "SHA-512");
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	return rc;
}

/* passwd_edit - put (text != NULL: the entry's attribute text) or
 * remove name in passwd.db. */
static int
passwd_edit(struct users *u, const char *name, const char *text,
    uid_t owner, gid_t group, struct str *err)
{
	struct table_build *b;
	int rc;

	if (table_build_begin(&b, u->passwd_path.s, err) < 0)
		return -1;
	if (table_build_load(b, err) < 0) {
		table_build_abort(&b);
		return -1;
	}
	if (text != NULL)
		rc = table_build_put(b, name, text, err);
	else
		rc = table_build_del(b, name, err);
	if (rc < 0) {
		table_build_abort(&b);
		return -1;
	}
	return table_build_commit(&b, 0640, owner, group, err);
}

static int
users_passwd_remove(struct users *u, const char *name, struct str *err)
{
	struct str val = STR_INIT;
	int rc = table_get(u->passwd, name, &val, err);

	str_free(&val);
	if (rc <= 0)
		return rc;
	return passwd_edit(u, name, NULL, (uid_t)-1, (gid_t)-1, err);
}

/* ---- SCRAM secrets (RFC 5802, RFC 7677, stored as RFC 5803) ---- */

static const EVP_MD *
scram_md(const char *mech)
{
	if (strcmp(mech, "SCRAM-SHA-1") == 0)
		return EVP_sha1();
	if (strcmp(mech, "SCRAM-SHA-256") == 0)
		return EVP_sha256();
	return NULL;
}

/* scram_format - RFC 5803: "<mech>$<iter>:<salt>$<StoredKey>:<ServerKey>",
 * base64 each. */
static void
scram_format(struct str *out, const char *mech, unsigned iter,
    const unsigned char *salt, size_t saltlen, const unsigned char *stored,
    const unsigned char *skey, size_t size)
{
	str_copyf(out, "%s$%u:", mech, iter);
	base64_encode(salt, saltlen, out);
	str_catc(out, '$');
	base64_encode(stored, size, out);
	str_catc(out, ':');
	base64_encode(skey, size, out);
}

int
users_scram_secret(const char *mech, const char *password,
    const unsigned char *salt, size_t saltlen, unsigned iter,
    struct str *out, struct str *err)
{
	const EVP_MD *md = scram_md(mech);
	unsigned char salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE];
	unsigned char stored[EVP_MAX_MD_SIZE], skey[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int size, rc = -1;

	if (md == NULL || iter == 0 || saltlen == 0 || saltlen > 1024) {
		str_copyf(err, "SCRAM: bad mechanism, salt or iteration "
		    "count for %s", mech);
		return -1;
	}
	size = EVP_MD_get_size(md);
	/* SaltedPassword := Hi(password, salt, i), which is PBKDF2 with
	 * HMAC-H (RFC 5802 2.2). */
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
	    (int)saltlen, (int)iter, md, size, salted) != 1 ||
	    HMAC(md, salted, size, (const unsigned char *)"Client Key", 10,
	    ckey, &len) == NULL ||
	    EVP_Digest(ckey, (size_t)size, stored, NULL, md, NULL) != 1 ||
	    HMAC(md, salted, size, (const unsigned char *)"Server Key", 10,
	    skey, &len) == NULL) {
		str_copyf(err, "SCRAM: OpenSSL failed to compute the %s "
		    "secret", mech);
		goto out;
	}
	scram_format(out, mech, iter, salt, saltlen, stored, skey,
	    (size_t)size);
	rc = 0;
out:
	explicit_bzero(salted, sizeof salted);
	explicit_bzero(ckey, sizeof ckey);
	return rc;
}

/* fake_part - HMAC(md, key, what NUL mech NUL name): size bytes. */
static int
fake_part(const EVP_MD *md, const unsigned char *key, size_t keylen,
    const char *what, const char *mech, const char *name,
    unsigned char *out)
{
	struct str msg = STR_INIT;
	unsigned int len = 0;
	int ok;

	str_cats(&msg, what);
	str_catc(&msg, '\0');
	str_cats(&msg, mech);
	str_catc(&msg, '\0');
	str_cats(&msg, name);
	ok = HMAC(md, key, (int)keylen, (const unsigned char *)msg.s, msg.len,
	    out, &len) != NULL;
	str_free(&msg);
	return ok ? 0 : -1;
}

int
users_scram_fake(const char *mech, const char *name,
    const unsigned char *key, size_t keylen, struct str *out)
{
	const EVP_MD *md = scram_md(mech);
	unsigned char salt[EVP_MAX_MD_SIZE], stored[EVP_MAX_MD_SIZE];
	unsigned char skey[EVP_MAX_MD_SIZE];
	int size;

	if (md == NULL || keylen == 0 ||
	    fake_part(EVP_sha256(), key, keylen, "salt", mech, name,
	    salt) < 0 ||
	    fake_part(md, key, keylen, "stored", mech, name, stored) < 0 ||
	    fake_part(md, key, keylen, "server", mech, name, skey) < 0)
		return -1;
	size = EVP_MD_get_size(md);
	scram_format(out, mech, USERS_SCRAM_ITERATIONS, salt,
	    USERS_SCRAM_SALT_LEN, stored, skey, (size_t)size);
	return 0;
}

/* scram_new - the secret of password for mech with a fresh salt. */
static int
scram_new(const char *password, const char *mech, struct str *out,
    struct str *err)
{
	unsigned char salt[USERS_SCRAM_SALT_LEN];

	if (getrandom(salt, sizeof salt, 0) != (ssize_t)sizeof salt) {
		str_copys(err, "SCRAM: no random bytes for a salt");
		return -1;
	}
	return users_scram_secret(mech, password, salt, sizeof salt,
	    USERS_SCRAM_ITERATIONS, out, err);
}

int
users_passwd_scram(struct users *u, const char *name, const char *mech,
    struct str *out, struct str *err)
{
	struct str val = STR_INIT, key = STR_INIT;
	const char *attr = strcmp(mech, "SCRAM-SHA-1") == 0 ? "scram-sha-1" :
	    strcmp(mech, "SCRAM-SHA-256") == 0 ? "scram-sha-256" : NULL;
	int rc;

	if (attr == NULL)
		return 0;
	for (const char *p = name; *p; p++)
		str_catc(&key, (char)tolower((unsigned char)*p));
	rc = table_get(u->passwd, str_cstr(&key), &val, err);
	str_free(&key);
	if (rc == 1)
		rc = attr_get_text(val.s, attr, out) && out->len > 0 ? 1 : 0;
	if (val.s != NULL)
		explicit_bzero(val.s, val.len);
	str_free(&val);
	return rc;
}

int
users_passwd_set(struct users *u, const char *name, const char *password,
    uid_t owner, gid_t group, struct str *err)
{
	struct user_rec rec = { STR_INIT, 0, STR_INIT, false, 0 };
	struct str n = STR_INIT, h = STR_INIT, text = STR_INIT;
	struct str s1 = STR_INIT, s256 = STR_INIT;
	int rc = -1;

	if (users_name_check(name, &n, err) < 0)
		goto out;
	if (*password == '\0' || strpbrk(password, "\r\n") != NULL) {
		str_copys(err, "a password must be one non-empty line");
		goto out;
	}
	if ((rc = users_get(u, n.s, &rec, err)) != 1) {
		if (rc == 0)
			str_copyf(err, "no such user: %s", n.s);
		rc = -1;
		goto out;
	}
	rc = -1;
	if (hash(password, &h, err) == 0 &&
	    scram_new(password, "SCRAM-SHA-1", &s1, err) == 0 &&
	    scram_new(password, "SCRAM-SHA-256", &s256, err) == 0) {
		attr_put_text(&text, "crypt", h.s);
		attr_put_text(&text, "scram-sha-1", s1.s);
		attr_put_text(&text, "scram-sha-256", s256.s);
		rc = passwd_edit(u, n.s, text.s, owner, group, err);
	}
out:
	user_rec_free(&rec);
	str_free(&n);
	str_free(&h);
	if (text.s != NULL)
		explicit_bzero(text.s, text.len);
	str_free(&text);
	str_free(&s1);
	str_free(&s256);
	return rc;
}

/* same - compare in time that depends on the lengths only. */
static bool
same(const char *a, size_t an, const char *b, size_t bn)
{
	unsigned char d = an != bn;
	size_t n = an < bn ? an : bn;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int
users_passwd_check(struct users *u, const char *name, const char *password,
    struct str *err)
{
	struct str val = STR_INIT, stored = STR_INIT, key = STR_INIT;
	struct crypt_data *cd;
	const char *h;
	int rc;

	for (const char *p = name; *p; p++)
		str_catc(&key, (char)tolower((unsigned char)*p));
	rc = table_get(u->passwd, str_cstr(&key), &val, err);
	str_free(&key);
	if (rc <= 0 || !attr_get_text(val.s, "crypt", &stored) ||
	    stored.len == 0 || stored.s[0] != '$') {
		/* No hash, or a locked one ("*", "!..."): no match. */
		str_free(&val);
		str_free(&stored);
		return rc < 0 ? -1 : 0;
	}
	cd = xcalloc(1, sizeof *cd);
	h = crypt_r(password, stored.s, cd);
	rc = h != NULL && h[0] == '$' &&
	    same(h, strlen(h), stored.s, stored.len);
	explicit_bzero(cd, sizeof *cd);
	free(cd);
	explicit_bzero(val.s, val.len);
	explicit_bzero(stored.s, stored.len);
	str_free(&val);
	str_free(&stored);
	return rc;
}
