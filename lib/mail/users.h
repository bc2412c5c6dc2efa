/*
 * users - the user and domain table (data_dir/users.db) and the password
 * table (data_dir/passwd.db), both lib/base/table files.
 *
 * User names: "alice@example.test" for a user of a virtual domain,
 * "bob" for a user of the local domains (myhostname, localhost,
 * mydestination).  Names are kept lowercased.  A user of a virtual
 * domain needs the domain in the table (users_add adds it).
 *
 * users.db entries: "D:<domain>" -> "" (a managed virtual domain);
 * "U:<user>" -> attr text (lib/base/attr.h): quota=<octets, 0 default>,
 * forward=<addresses, comma-separated>, keep=<0|1> (keep a copy when
 * forwarding), created=<unix time>.  It holds no secret: smtpd and qmgr
 * read it.  passwd.db: "<user>" -> attr text: crypt=<crypt(3) hash>,
 * scram-sha-1=<secret>, scram-sha-256=<secret>, the SCRAM secrets in
 * RFC 5803 form, "SCRAM-SHA-256$<iterations>:<base64 salt>$<base64
 * StoredKey>:<base64 ServerKey>" (what authd hands libsasl2's SCRAM
 * plugin as authPassword); readable by the store user only.  Entries
 * written before SCRAM support have crypt= only: such a user can log in
 * with PLAIN and LOGIN but not SCRAM until the password is set again.
 */
#ifndef ROOST_USERS_H
#define ROOST_USERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "str.h"

/* The files' names in data_dir. */
#define USERS_DB "users.db"
#define PASSWD_DB "passwd.db"

struct user_rec {
	struct str name;
	uint64_t quota;		/* octets; 0: quota_default */
	struct str forward;	/* comma-separated addresses, or empty */
	bool keep;
	time_t created;
};

struct users;

/* users_open - the tables under data_dir (they need not exist yet). */
struct users *users_open(const char *data_dir);
void users_close(struct users **u);

/* users_name_check - canonical (lowercased) user name of name into out:
 * 0, or -1 with a reason (not an address, empty local part, ...). */
int users_name_check(const char *name, struct str *out, struct str *err);

/* Lookups: 1 found, 0 not, -1 error with err. */
int users_get(struct users *u, const char *name, struct user_rec *rec,
    struct str *err);
int users_domain_exists(struct users *u, const char *domain,
    struct str *err);
/* users_list / users_domain_list - in name order; fn returns non-zero
 * to stop (that value is returned). */
int users_list(struct users *u,
    int (*fn)(const struct user_rec *rec, void *arg), void *arg,
    struct str *err);
int users_domain_list(struct users *u,
    int (*fn)(const char *domain, void *arg), void *arg, struct str *err);
void user_rec_free(struct user_rec *rec);

/* Changes (roostctl, as root or the owner of data_dir): 0, 1 when there
 * was nothing to do (already exists / does not exist), -1 with err.
 * The files are written with mode 0644 (users.db) and 0640 (passwd.db)
 * and given to owner/group when not -1. */
int users_domain_add(struct users *u, const char *domain, uid_t owner,
    gid_t group, struct str *err);
int users_domain_del(struct users *u, const char *domain, struct str *err);
int users_put(struct users *u, const struct user_rec *rec, uid_t owner,
    gid_t group, struct str *err);
int users_del(struct users *u, const char *name, struct str *err);

/* Passwords: stored as crypt(3) hashes (yescrypt where libcrypt has it,
 * else SHA-512) and as SCRAM-SHA-1 and SCRAM-SHA-256 secrets (a fresh
 * USERS_SCRAM_SALT_LEN-byte salt each, USERS_SCRAM_ITERATIONS
 * iterations), never in the clear.  The password is used as given (no
 * SASLprep), as libsasl2's SCRAM plugin does. */
#define USERS_SCRAM_ITERATIONS 4096
#define USERS_SCRAM_SALT_LEN 16
int users_passwd_set(struct users *u, const char *name,
    const char *password, uid_t owner, gid_t group, struct str *err);
/* users_passwd_check - 1 the password matches, 0 it does not (or the
 * user has none), -1 error. */
int users_passwd_check(struct users *u, const char *name,
    const char *password, struct str *err);
/* users_passwd_scram - the stored secret of name for mech
 * ("SCRAM-SHA-1" or "SCRAM-SHA-256") into out: 1 found, 0 none (no
 * such user, no password, an entry older than SCRAM support, another
 * mechanism), -1 error. */
int users_passwd_scram(struct users *u, const char *name, const char *mech,
    struct str *out, struct str *err);
/* users_scram_secret - the RFC 5803 secret of password for mech with
 * the given salt and iteration count into out (RFC 5802 3: StoredKey =
 * H(HMAC(SaltedPassword, "Client Key")), ServerKey =
 * HMAC(SaltedPassword, "Server Key"), SaltedPassword = Hi(password,
 * salt, iter)).  0, or -1 with err. */
int users_scram_secret(const char *mech, const char *password,
    const unsigned char *salt, size_t saltlen, unsigned iter,
    struct str *out, struct str *err);
/* users_scram_fake - a secret for a name that has none (no such user),
 * in the same form, with a salt and keys derived from key (HMAC), so
 * that the same name gets the same salt every time and an exchange
 * fails only at the proof, as a wrong password does: SCRAM must not
 * tell which users exist.  0, or -1. */
int users_scram_fake(const char *mech, const char *name,
    const unsigned char *key, size_t keylen, struct str *out);
/* The file in data_dir holding the key of users_scram_fake: made by
 * roostctl (32 random bytes, readable as passwd.db is). */
#define USERS_FAKE_KEY "authd.key"

#endif
