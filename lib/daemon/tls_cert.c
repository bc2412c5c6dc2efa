/*
 * tls_cert - the self-signed certificate of the embedded layout, made
 * with the OpenSSL API (no openssl(1) behind the user's back), and the
 * SHA-256 fingerprints roostctl prints; see tls.h.
 *
 * The files are written beside their final names and renamed into
 * place, the key first: a certificate file that exists is complete and
 * has its key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fd.h"
#include "tls.h"

#define VALID_DAYS 3650

static void
reason(struct str *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char tmp[256];

	if (e != 0) {
		ERR_error_string_n(e, tmp, sizeof tmp);
		str_copyf(err, "%s: %s", what, tmp);
	} else
		str_copys(err, what);
	ERR_clear_error();
}

/* name_ok - a host name we may put into a DNS subjectAltName. */
static bool
name_ok(const char *h)
{
	size_t i;

	if (*h == '\0' || strlen(h) > 253)
		return false;
	for (i = 0; h[i]; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '-' ||
		    h[i] == '.'))
			return false;
	return true;
}

static int
add_ext(X509 *x, int nid, const char *value, struct str *err)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL) {
		reason(err, "certificate extension");
		return -1;
	}
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (ok != 1) {
		reason(err, "certificate extension");
		return -1;
	}
	return 0;
}

static X509 *
make_cert(EVP_PKEY *key, const char *host, struct str *err)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BIGNUM *bn = BN_new();
	struct str san = STR_INIT;
	int ok = 0;

	if (x == NULL || bn == NULL) {
		reason(err, "out of memory");
		goto out;
	}
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), VALID_DAYS, 0, NULL) ==
	    NULL || X509_set_pubkey(x, key) != 1) {
		reason(err, "certificate fields");
		goto out;
	}
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"roost (self-signed)", -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)host, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1) {
		reason(err, "certificate name");
		goto out;
	}
	if (strcmp(host, "localhost") != 0)
		str_catf(&san, "DNS:%s,", host);
	str_cats(&san, "DNS:localhost,IP:127.0.0.1");
	if (add_ext(x, NID_basic_constraints, "critical,CA:FALSE", err) < 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature", err) < 0 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth", err) < 0 ||
	    add_ext(x, NID_subject_key_identifier, "hash", err) < 0 ||
	    add_ext(x, NID_subject_alt_name, san.s, err) < 0)
		goto out;
	if (X509_sign(x, key, EVP_sha256()) == 0) {
		reason(err, "signing the certificate");
		goto out;
	}
	ok = 1;
out:
	BN_free(bn);
	str_free(&san);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* put - write the memory BIO's bytes to path (mode) by a rename. */
static int
put(const char *path, BIO *mem, mode_t mode, struct str *err)
{
	struct str tmp = STR_INIT;
	char *p;
	long n = BIO_get_mem_data(mem, &p);
	int fd, rc = -1;

	str_copyf(&tmp, "%s.tmp%ld", path, (long)getpid());
	(void)unlink(tmp.s);	/* a leftover of a crashed run */
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd < 0) {
		str_copyf(err, "cannot create %s: %s", tmp.s, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || fd_write_all(fd, p, (size_t)n) < 0 ||
	    fsync(fd) < 0) {
		str_copyf(err, "cannot write %s: %s", tmp.s, strerror(errno));
		close(fd);
		unlink(tmp.s);
		goto out;
	}
	close(fd);
	if (rename(tmp.s, path) < 0) {
		str_copyf(err, "cannot rename %s to %s: %s", tmp.s, path,
		    strerror(errno));
		unlink(tmp.s);
		goto out;
	}
	rc = 0;
out:
	str_free(&tmp);
	return rc;
}

static void
fingerprint_of(X509 *x, struct str *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;

	str_clear(out);
	if (X509_digest(x, EVP_sha256(), md, &n) != 1)
		return;
	for (i = 0; i < n; i++)
		str_catf(out, "%s%02X", i ? ":" : "", md[i]);
}

int
tls_cert_make(const char *certpath, const char *keypath,
    const char *hostname, struct str *fingerprint, struct str *err)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *kb = NULL, *cb = NULL;
	int rc = -1;

	ERR_clear_error();
	if (!name_ok(hostname))
		hostname = "localhost";
	if ((key = EVP_EC_gen("P-256")) == NULL) {
		reason(err, "generating an EC P-256 key");
		goto out;
	}
	if ((x = make_cert(key, hostname, err)) == NULL)
		goto out;
	kb = BIO_new(BIO_s_mem());
	cb = BIO_new(BIO_s_mem());
	if (kb == NULL || cb == NULL ||
	    PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(cb, x) != 1) {
		reason(err, "encoding PEM");
		goto out;
	}
	if (put(keypath, kb, 0600, err) < 0 || put(certpath, cb, 0644, err) < 0)
		goto out;
	fingerprint_of(x, fingerprint);
	rc = 0;
out:
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

int
tls_cert_fingerprint(const char *path, struct str *fingerprint,
    struct str *err)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *x;

	if (bio == NULL) {
		str_copyf(err, "cannot read %s: %s", path, strerror(errno));
		ERR_clear_error();
		return -1;
	}
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x == NULL) {
		reason(err, path);
		return -1;
	}
	fingerprint_of(x, fingerprint);
	X509_free(x);
	return 0;
}
