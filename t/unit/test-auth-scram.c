/*
 * test-auth-scram - the SCRAM secrets users_passwd_set stores for authd
 * (lib/mail/users.c): RFC 5802's SCRAM-SHA-1 and RFC 7677's SCRAM-SHA-256
 * examples, whose salt and iteration count give known StoredKey and
 * ServerKey; the examples' client proof and server signature are
 * verified against the secret the way a server does; and the secrets
 * reach passwd.db and come back.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "table.h"
#include "tap.h"
#include "users.h"

struct vec {
	const char *mech, *salt_b64, *auth_message, *proof, *verifier;
	const char *secret;
	const EVP_MD *(*md)(void);
};

static const struct vec vecs[] = {
    {"SCRAM-SHA-1", "QSXCR+Q6sek8bf92",
	"n=user,r=fyko+d2lbbFgONRv9qkxdawL,"
	"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	"s=QSXCR+Q6sek8bf92,i=4096,"
	"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
	"v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", "rmF9pqV8S7suAoZWja4dJRkFsKQ=",
	"SCRAM-SHA-1$4096:QSXCR+Q6sek8bf92$6dlGYMOdZcOPutkcNY8U2g7vK9Y="
	":D+CSWLOshSulAsxiupA+qs2/fTE=",
	EVP_sha1},
    {"SCRAM-SHA-256", "W22ZaJ0SNY7soEsUEjb6gQ==",
	"n=user,r=rOprNGfwEbeRWgbNEkqO,"
	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
	"dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	"6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	"SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
	"WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
	"wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	EVP_sha256},
};

/* keys - StoredKey and ServerKey of an RFC 5803 secret
 * (mech$iter:salt$stored:server), decoded. */
static void
keys(const char *secret, struct str *stored, struct str *server)
{
	const char *d = strrchr(secret, '$'), *c = strrchr(secret, ':');

	str_clear(stored);
	str_clear(server);
	if (d == NULL || c == NULL || c < d)
		return;
	(void)base64_decode(d + 1, (size_t)(c - d - 1), stored);
	(void)base64_decode(c + 1, strlen(c + 1), server);
}

/* verify - the server's side of the example exchange, from the stored
 * secret alone: the client proof checks out and our signature is the
 * example's. */
static void
verify(const struct vec *v, const char *secret)
{
	struct str stored = STR_INIT, server = STR_INIT, proof = STR_INIT;
	struct str sig = STR_INIT;
	unsigned char csig[EVP_MAX_MD_SIZE], ssig[EVP_MAX_MD_SIZE];
	unsigned char ckey[EVP_MAX_MD_SIZE], h[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	const EVP_MD *md = v->md();
	size_t n = (size_t)EVP_MD_get_size(md);

	keys(secret, &stored, &server);
	is_int(stored.len, n, "%s: StoredKey size", v->mech);
	is_int(server.len, n, "%s: ServerKey size", v->mech);
	(void)base64_decode(v->proof, strlen(v->proof), &proof);
	HMAC(md, stored.s, (int)stored.len,
	    (const unsigned char *)v->auth_message, strlen(v->auth_message),
	    csig, &len);
	for (size_t i = 0; i < n && i < proof.len; i++)
		ckey[i] = (unsigned char)proof.s[i] ^ csig[i];
	EVP_Digest(ckey, n, h, NULL, md, NULL);
	ok(stored.len == n && memcmp(h, stored.s, n) == 0,
	    "%s: the RFC's client proof verifies", v->mech);
	HMAC(md, server.s, (int)server.len,
	    (const unsigned char *)v->auth_message, strlen(v->auth_message),
	    ssig, &len);
	base64_encode(ssig, n, &sig);
	is_str(sig.s, v->verifier, "%s: our server signature is the RFC's",
	    v->mech);
	str_free(&stored);
	str_free(&server);
	str_free(&proof);
	str_free(&sig);
}

int
main(void)
{
	struct str out = STR_INIT, err = STR_INIT, salt = STR_INIT;
	struct str s1 = STR_INIT, s2 = STR_INIT;
	char dir[] = "/tmp/test-auth-scram.XXXXXX";
	struct user_rec rec = {STR_INIT, 0, STR_INIT, false, 0};
	struct users *u;

	for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		const struct vec *v = &vecs[i];

		str_clear(&salt);
		(void)base64_decode(v->salt_b64, strlen(v->salt_b64), &salt);
		is_int(users_scram_secret(v->mech, "pencil",
			   (const unsigned char *)salt.s, salt.len, 4096, &out,
			   &err),
		    0, "%s: secret computed", v->mech);
		is_str(out.s, v->secret, "%s: RFC 5803 secret", v->mech);
		verify(v, out.s);
	}
	ok(users_scram_secret("SCRAM-MD5", "x", (const unsigned char *)"s", 1,
	       1, &out, &err) < 0,
	    "unknown mechanism refused");
	ok(users_scram_secret("SCRAM-SHA-1", "x", (const unsigned char *)"s", 1,
	       0, &out, &err) < 0,
	    "zero iterations refused");

	/* Through passwd.db. */
	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	u = users_open(dir);
	str_copys(&rec.name, "alice@example.test");
	is_int(users_put(u, &rec, (uid_t)-1, (gid_t)-1, &err), 0, "user");
	is_int(users_passwd_scram(
		   u, "alice@example.test", "SCRAM-SHA-256", &out, &err),
	    0, "no password: no secret");
	is_int(users_passwd_set(u, "alice@example.test", "pencil", (uid_t)-1,
		   (gid_t)-1, &err),
	    0, "set password");
	is_int(users_passwd_scram(
		   u, "Alice@Example.TEST", "SCRAM-SHA-1", &s1, &err),
	    1, "SHA-1 secret stored");
	is_int(users_passwd_scram(
		   u, "alice@example.test", "SCRAM-SHA-256", &s2, &err),
	    1, "SHA-256 secret stored");
	ok(strncmp(str_cstr(&s1), "SCRAM-SHA-1$4096:", 17) == 0,
	    "SHA-1 secret form");
	ok(strncmp(str_cstr(&s2), "SCRAM-SHA-256$4096:", 19) == 0,
	    "SHA-256 secret form");
	ok(strstr(str_cstr(&s1), "pencil") == NULL, "no password inside");
	is_int(users_passwd_scram(u, "alice@example.test", "PLAIN", &out, &err),
	    0, "no secret for another mechanism");
	is_int(users_passwd_scram(
		   u, "bob@example.test", "SCRAM-SHA-1", &out, &err),
	    0, "no secret for an unknown user");
	is_int(users_passwd_check(u, "alice@example.test", "pencil", &err), 1,
	    "the crypt hash still checks");
	/* A fresh salt each time the password is set. */
	is_int(users_passwd_set(u, "alice@example.test", "pencil", (uid_t)-1,
		   (gid_t)-1, &err),
	    0, "set again");
	is_int(users_passwd_scram(
		   u, "alice@example.test", "SCRAM-SHA-1", &out, &err),
	    1, "secret again");
	ok(!str_eqs(&out, s1.s), "new salt, new secret");

	/* An entry written before SCRAM support: crypt= only.  PLAIN
	 * still works, SCRAM finds no secret. */
	{
		struct table_build *b;
		struct str path = STR_INIT, hashed = STR_INIT;

		str_copyf(&path, "%s/passwd.db", dir);
		ok(users_passwd_set(u, "alice@example.test", "old pw",
		       (uid_t)-1, (gid_t)-1, &err) == 0,
		    "set once more");
		/* keep the crypt= line only */
		users_close(&u);
		u = users_open(dir);
		ok(table_build_begin(&b, path.s, &err) == 0 &&
			table_build_load(b, &err) == 0,
		    "open passwd.db");
		{
			struct table *t = table_open(path.s);
			struct str val = STR_INIT;

			(void)table_get(t, "alice@example.test", &val, &err);
			str_copyb(
			    &hashed, val.s, strcspn(str_cstr(&val), "\n") + 1);
			table_close(&t);
			str_free(&val);
		}
		ok(strncmp(str_cstr(&hashed), "crypt=$", 7) == 0,
		    "the crypt line comes first");
		is_int(table_build_put(b, "alice@example.test", hashed.s, &err),
		    0, "old-style entry");
		is_int(table_build_commit(&b, 0640, (uid_t)-1, (gid_t)-1, &err),
		    0, "written");
		users_close(&u);
		u = users_open(dir);
		is_int(
		    users_passwd_check(u, "alice@example.test", "old pw", &err),
		    1, "old entry: the password still checks");
		is_int(users_passwd_scram(u, "alice@example.test",
			   "SCRAM-SHA-256", &out, &err),
		    0, "old entry: no SCRAM secret");
		str_free(&path);
		str_free(&hashed);
	}

	users_close(&u);
	tap_rmtree(dir);
	user_rec_free(&rec);
	str_free(&out);
	str_free(&err);
	str_free(&salt);
	str_free(&s1);
	str_free(&s2);
	return done_testing();
}
