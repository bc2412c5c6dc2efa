/*
 * tls - server-side TLS through OpenSSL 3; see tls.h.
 *
 * One SSL_CTX per process, made by tls_load in the daemon's master
 * before the workers fork: every worker inherits the same session-ticket
 * keys, so a session resumes whichever worker takes the next connection.
 * The certificates of tls_sni_dir are loaded at the same time and put on
 * the SSL object by the servername callback (SSL_use_cert_and_key), so
 * that one context serves every name.
 *
 * The transport ops keep buf's contract: they never block (the socket
 * is made non-blocking at the handshake) and say EAGAIN with b->want set
 * to what OpenSSL waits for, and buf does the waiting under its timeout
 * and deadline.  OpenSSL is told not to read ahead, and buf's read-ahead
 * buffer (16 KiB) holds a whole record, so no decrypted input hides in
 * OpenSSL where a poll on the descriptor cannot see it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "alloc.h"
#include "fd.h"
#include "log.h"
#include "tls.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc/roost"
#endif

/* A certificate of tls_sni_dir: the leaf, its chain and its key. */
struct sni_cert {
	char *name;		/* lower case; "*.example.org" for a wildcard */
	X509 *cert;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
};

/* The state of one TLS connection, in buf's op_ctx. */
struct tls_conn {
	SSL *ssl;
	char desc[128];		/* "TLSv1.3 TLS_AES_256_GCM_SHA384" */
};

static SSL_CTX *ctx;
static struct sni_cert *snis;
static size_t nsnis;

static void
chain_free(STACK_OF(X509) *chain)
{
	sk_X509_pop_free(chain, X509_free);
}

/* ---- errors ---- */

/* ssl_reason - the OpenSSL error queue's last reason (or fallback), and
 * empty the queue. */
static void
ssl_reason(struct str *out, const char *fallback)
{
	unsigned long e, last = 0;
	char tmp[256];

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0) {
		str_cats(out, fallback);
		return;
	}
	if (ERR_reason_error_string(last) != NULL)
		str_cats(out, ERR_reason_error_string(last));
	else {
		ERR_error_string_n(last, tmp, sizeof tmp);
		str_cats(out, tmp);
	}
}

/* ---- configuration checks (cfg_keys.c) ---- */

static int
protocol_version(const char *name)
{
	static const struct {
		const char *name;
		int v;
	} v[] = {
		{ "TLSv1", TLS1_VERSION }, { "TLSv1.0", TLS1_VERSION },
		{ "TLSv1.1", TLS1_1_VERSION }, { "TLSv1.2", TLS1_2_VERSION },
		{ "TLSv1.3", TLS1_3_VERSION },
	};
	size_t i;

	if (*name == '\0')
		return 0;
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		if (strcasecmp(name, v[i].name) == 0)
			return v[i].v;
	return -1;
}

int
tls_protocol_check(const char *value, struct str *err)
{
	if (protocol_version(value) >= 0)
		return 0;
	str_copyf(err, "'%s' is not TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3",
	    value);
	return -1;
}

/* try_ctx - whether OpenSSL takes value for one of the list settings. */
static int
try_ctx(int (*set)(SSL_CTX *, const char *), const char *value,
    const char *what, struct str *err)
{
	SSL_CTX *c;
	int rc = 0;

	if (*value == '\0')
		return 0;
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL) {
		str_copyf(err, "cannot check %s: ", what);
		ssl_reason(err, "SSL_CTX_new failed");
		return -1;
	}
	if (set(c, value) != 1) {
		str_copyf(err, "'%s' is not a valid %s: ", value, what);
		ssl_reason(err, "no usable entry");
		rc = -1;
	}
	ERR_clear_error();
	SSL_CTX_free(c);
	return rc;
}

static int
set_groups(SSL_CTX *c, const char *v)
{
	return SSL_CTX_set1_groups_list(c, v);
}

int
tls_ciphers_check(const char *value, struct str *err)
{
	return try_ctx(SSL_CTX_set_cipher_list, value, "TLS 1.2 cipher list",
	    err);
}

int
tls_ciphersuites_check(const char *value, struct str *err)
{
	return try_ctx(SSL_CTX_set_ciphersuites, value,
	    "TLS 1.3 cipher suite list", err);
}

int
tls_groups_check(const char *value, struct str *err)
{
	return try_ctx(set_groups, value, "group list", err);
}

/* ---- loading ---- */

/* pem_open - a BIO reading path; NULL with "KEY: cannot read PATH:
 * REASON" in err. */
static BIO *
pem_open(const char *path, const char *key, struct str *err)
{
	FILE *f = fopen(path, "r");
	BIO *bio;

	if (f == NULL) {
		str_copyf(err, "%s: cannot read %s: %s", key, path,
		    strerror(errno));
		return NULL;
	}
	if ((bio = BIO_new_fp(f, BIO_CLOSE)) == NULL) {
		fclose(f);
		str_copyf(err, "%s: %s: ", key, path);
		ssl_reason(err, "out of memory");
	}
	return bio;
}

/*
 * pem_load - the certificates of certpath (leaf first, then its chain)
 * and the key of keypath (which may be the same file; blocks of other
 * kinds are skipped).  ckey and kkey are the configuration keys that
 * named the files, for the messages.  0, or -1 with a reason in err.
 */
static int
pem_load(const char *certpath, const char *ckey, const char *keypath,
    const char *kkey, X509 **cert, STACK_OF(X509) **chain, EVP_PKEY **key,
    struct str *err)
{
	BIO *bio;
	X509 *x;

	*cert = NULL;
	*chain = NULL;
	*key = NULL;
	ERR_clear_error();
	if ((bio = pem_open(certpath, ckey, err)) == NULL)
		return -1;
	*cert = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
	if (*cert == NULL) {
		BIO_free(bio);
		str_copyf(err, "%s: %s: no certificate: ", ckey, certpath);
		ssl_reason(err, "no PEM certificate found");
		return -1;
	}
	*chain = sk_X509_new_null();
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(*chain, x) == 0)
			log_fatal("tls: out of memory");
	ERR_clear_error();
	BIO_free(bio);
	if ((bio = pem_open(keypath, kkey, err)) == NULL)
		goto fail;
	*key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (*key == NULL) {
		str_copyf(err, "%s: %s: no private key: ", kkey, keypath);
		ssl_reason(err, "no PEM private key found");
		goto fail;
	}
	if (X509_check_private_key(*cert, *key) != 1) {
		str_copyf(err, "%s: %s: the key does not match the "
		    "certificate in %s (%s)", kkey, keypath, certpath, ckey);
		ERR_clear_error();
		goto fail;
	}
	return 0;
fail:
	X509_free(*cert);
	chain_free(*chain);
	EVP_PKEY_free(*key);
	*cert = NULL;
	*chain = NULL;
	*key = NULL;
	return -1;
}

static void
sni_free(void)
{
	size_t i;

	for (i = 0; i < nsnis; i++) {
		free(snis[i].name);
		X509_free(snis[i].cert);
		chain_free(snis[i].chain);
		EVP_PKEY_free(snis[i].key);
	}
	free(snis);
	snis = NULL;
	nsnis = 0;
}

/* sni_load - every <name>.pem of dir ("_.<parent>.pem" is the same as
 * "*.<parent>.pem", for shells' sake). */
static int
sni_load(const char *dir, struct str *err)
{
	struct str path = STR_INIT;
	struct dirent *de;
	size_t cap = 0, i;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		str_copyf(err, "tls_sni_dir: cannot open %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		struct sni_cert sc;

		if (n <= 4 || strcmp(de->d_name + n - 4, ".pem") != 0 ||
		    de->d_name[0] == '.')
			continue;
		str_copyf(&path, "%s/%s", dir, de->d_name);
		if (pem_load(path.s, "tls_sni_dir", path.s, "tls_sni_dir",
		    &sc.cert, &sc.chain, &sc.key, err) < 0) {
			rc = -1;
			break;
		}
		sc.name = xmalloc(n - 3);
		memcpy(sc.name, de->d_name, n - 4);
		sc.name[n - 4] = '\0';
		for (i = 0; sc.name[i]; i++)
			sc.name[i] = (char)tolower((unsigned char)sc.name[i]);
		if (sc.name[0] == '_' && sc.name[1] == '.')
			sc.name[0] = '*';
		if (nsnis == cap) {
			cap = cap ? cap * 2 : 8;
			snis = xreallocarray(snis, cap, sizeof *snis);
		}
		snis[nsnis++] = sc;
	}
	closedir(d);
	str_free(&path);
	return rc;
}

static const struct sni_cert *
sni_find(const char *name)
{
	size_t i;

	for (i = 0; i < nsnis; i++)
		if (strcmp(snis[i].name, name) == 0)
			return &snis[i];
	return NULL;
}

/* servername - pick the certificate for the name the client asked for:
 * the exact name, else the wildcard of its parent; else the default. */
static int
servername(SSL *ssl, int *alert, void *arg)
{
	const char *sn = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	const struct sni_cert *sc;
	char name[256], *dot;
	size_t i;

	(void)alert;
	(void)arg;
	if (sn == NULL || nsnis == 0 || strlen(sn) >= sizeof name - 1)
		return SSL_TLSEXT_ERR_OK;
	for (i = 0; sn[i]; i++)
		name[i] = (char)tolower((unsigned char)sn[i]);
	name[i] = '\0';
	if (i > 0 && name[i - 1] == '.')
		name[i - 1] = '\0';
	sc = sni_find(name);
	if (sc == NULL && (dot = strchr(name, '.')) != NULL && dot > name) {
		dot[-1] = '*';
		sc = sni_find(dot - 1);
	}
	if (sc != NULL &&
	    SSL_use_cert_and_key(ssl, sc->cert, sc->key, sc->chain, 1) != 1) {
		struct str e = STR_INIT;

		ssl_reason(&e, "unknown error");
		log_warn("tls: certificate for sni=%s not usable: %s", sn,
		    e.s);
		str_free(&e);
	}
	return SSL_TLSEXT_ERR_OK;
}

void
tls_unload(void)
{
	SSL_CTX_free(ctx);
	ctx = NULL;
	sni_free();
}

/* The handshake deadline, from the tls_conf of the last tls_load. */
static long long handshake_timeout = 30;

int
tls_load(const struct tls_conf *c, struct str *err)
{
	const char *certpath, *keypath, *kval, *v;
	const char *ckey = c->cert_key, *kkey = c->key_key;
	const char *service = c->service;
	X509 *cert;
	STACK_OF(X509) *chain;
	EVP_PKEY *key;
	int minv, maxv;
	long opts;

	tls_unload();
	handshake_timeout = c->handshake_timeout;
	certpath = c->cert_file;
	keypath = kval = c->key_file;
	if (*certpath == '\0') {
		log_info("tls: off: %s is empty", ckey);
		return 0;
	}
	if (*keypath == '\0')
		keypath = certpath;	/* the key is in the certificate file */
	/* The installed defaults are optional; what was configured is not. */
	if (!c->cert_explicit && access(certpath, F_OK) < 0 &&
	    errno == ENOENT) {
		log_info("tls: off: no certificate at %s (%s)", certpath,
		    ckey);
		return 0;
	}
	if (pem_load(certpath, ckey, keypath, *kval ? kkey : ckey, &cert,
	    &chain, &key, err) < 0)
		return -1;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		log_fatal("tls: SSL_CTX_new failed");
	if (SSL_CTX_use_cert_and_key(ctx, cert, key, chain, 1) != 1) {
		str_copyf(err, "%s: %s not usable: ", ckey, certpath);
		ssl_reason(err, "unknown error");
		goto fail;
	}
	X509_free(cert);
	chain_free(chain);
	EVP_PKEY_free(key);
	cert = NULL;
	chain = NULL;
	key = NULL;

	minv = protocol_version(c->min_protocol);
	maxv = protocol_version(c->max_protocol);
	if (minv < 0 || maxv < 0 || (maxv && minv > maxv)) {
		str_copyf(err, "tls_min_protocol/tls_max_protocol: %s..%s is "
		    "not a range", c->min_protocol, c->max_protocol);
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(ctx, minv) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, maxv) != 1) {
		str_copyf(err, "tls_min_protocol/tls_max_protocol: ");
		ssl_reason(err, "not supported");
		goto fail;
	}
	if (*(v = c->ciphers) &&
	    SSL_CTX_set_cipher_list(ctx, v) != 1) {
		str_copyf(err, "tls_ciphers: '%s': ", v);
		ssl_reason(err, "no usable cipher");
		goto fail;
	}
	if (*(v = c->ciphersuites) &&
	    SSL_CTX_set_ciphersuites(ctx, v) != 1) {
		str_copyf(err, "tls_ciphersuites: '%s': ", v);
		ssl_reason(err, "no usable suite");
		goto fail;
	}
	if (*(v = c->groups) &&
	    SSL_CTX_set1_groups_list(ctx, v) != 1) {
		str_copyf(err, "tls_groups: '%s': ", v);
		ssl_reason(err, "no usable group");
		goto fail;
	}
	opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF;
	if (!c->session_tickets)
		opts |= SSL_OP_NO_TICKET;
	SSL_CTX_set_options(ctx, (uint64_t)opts);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_read_ahead(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_timeout(ctx, 3600);
	if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)service,
	    (unsigned)strnlen(service, SSL_MAX_SID_CTX_LENGTH)) != 1) {
		str_copyf(err, "tls: session id context: ");
		ssl_reason(err, "failed");
		goto fail;
	}
	if (*(v = c->sni_dir) && sni_load(v, err) < 0)
		goto fail;
	SSL_CTX_set_tlsext_servername_callback(ctx, servername);
	log_info("tls: loaded %s%s%s, %zu SNI certificate%s", certpath,
	    keypath != certpath ? " and " : "",
	    keypath != certpath ? keypath : "", nsnis, nsnis == 1 ? "" : "s");
	return 1;
fail:
	X509_free(cert);
	chain_free(chain);
	EVP_PKEY_free(key);
	tls_unload();
	ERR_clear_error();
	return -1;
}

bool
tls_available(void)
{
	return ctx != NULL;
}

/* ---- the transport ---- */

/* io_result - map an SSL_read/SSL_write failure onto buf's op contract. */
static ssize_t
io_result(struct buf *b, struct tls_conn *t, int r)
{
	int e = SSL_get_error(t->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		b->want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		b->want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0)
			return 0;	/* EOF without close_notify */
		return -1;
	default: {
		struct str s = STR_INIT;

		ssl_reason(&s, "protocol error");
		log_info("tls: %s", s.s);
		str_free(&s);
		errno = EPROTO;
		return -1;
	}
	}
}

static ssize_t
tls_read(struct buf *b, void *p, size_t n)
{
	struct tls_conn *t = b->op_ctx;
	size_t got = 0, more;
	int r;

	errno = 0;
	ERR_clear_error();
	r = SSL_read_ex(t->ssl, p, n, &got);
	if (r != 1)
		return io_result(b, t, r);
	/* Take what OpenSSL already holds, so a poll of the descriptor
	 * never misses input. */
	while (got < n && SSL_pending(t->ssl) > 0 &&
	    SSL_read_ex(t->ssl, (char *)p + got, n - got, &more) == 1)
		got += more;
	ERR_clear_error();
	return (ssize_t)got;
}

static ssize_t
tls_write(struct buf *b, const void *p, size_t n)
{
	struct tls_conn *t = b->op_ctx;
	size_t put = 0;
	int r;

	errno = 0;
	ERR_clear_error();
	r = SSL_write_ex(t->ssl, p, n, &put);
	if (r != 1)
		return io_result(b, t, r);
	return (ssize_t)put;
}

static const struct buf_ops tls_ops = { tls_read, tls_write };

/* handshake - SSL_accept under a deadline of tls_handshake_timeout for
 * the whole handshake: a client that stalls it must not hold a worker
 * for a whole session timeout, nor stretch it wait by wait. */
static int
handshake(struct buf *b, SSL *ssl, struct str *err)
{
	int64_t saved = b->deadline_ms, end;
	enum buf_status st;
	int r, e, rc = -1;

	end = buf_now_ms() + handshake_timeout * 1000;
	if (saved == 0 || saved > end)
		b->deadline_ms = end;
	for (;;) {
		errno = 0;
		ERR_clear_error();
		if ((r = SSL_accept(ssl)) == 1) {
			rc = 0;
			break;
		}
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			st = buf_await(b, e == SSL_ERROR_WANT_READ ? POLLIN :
			    POLLOUT);
			if (st == BUF_OK)
				continue;
			str_copys(err, st == BUF_TIMEOUT ? "timeout" :
			    strerror(b->err));
			break;
		}
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			str_copys(err, errno ? strerror(errno) :
			    "connection closed by the client");
		else
			ssl_reason(err, "protocol error");
		break;
	}
	b->deadline_ms = saved;
	ERR_clear_error();
	return rc;
}

int
tls_start(struct buf *b, struct str *err)
{
	struct tls_conn *t;
	const char *sn;
	size_t dropped;

	str_clear(err);
	if (ctx == NULL) {
		str_copys(err, "TLS is not available");
		return -1;
	}
	if (tls_active(b)) {
		str_copys(err, "TLS is already active");
		return -1;
	}
	if (buf_flush(b) != BUF_OK) {
		str_copys(err, "cannot send the reply before the handshake");
		log_info("tls: handshake failed: %s", err->s);
		if (b->err == 0)
			b->err = ETIMEDOUT;	/* dead either way */
		str_free(&b->out);
		return -1;
	}
	/* The STARTTLS injection class (CVE-2011-0411): what came with or
	 * after the command, before the handshake, is not TLS input. */
	if ((dropped = buf_discard_input(b)) > 0)
		log_info("tls: dropped %zu bytes sent before the handshake",
		    dropped);
	if (fd_nonblock(b->fd, true) < 0) {
		str_copyf(err, "cannot make the socket non-blocking: %s",
		    strerror(errno));
		log_info("tls: handshake failed: %s", err->s);
		b->err = errno;
		return -1;
	}
	t = xcalloc(1, sizeof *t);
	if ((t->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(t->ssl, b->fd) != 1)
		log_fatal("tls: SSL_new failed");
	if (handshake(b, t->ssl, err) < 0) {
		log_info("tls: handshake failed: %s", err->s);
		SSL_free(t->ssl);
		free(t);
		/* Nothing more may go out in the clear, nor come in. */
		b->err = EPROTO;
		str_free(&b->out);
		(void)buf_discard_input(b);
		return -1;
	}
	snprintf(t->desc, sizeof t->desc, "%s %s", SSL_get_version(t->ssl),
	    SSL_get_cipher_name(t->ssl));
	buf_set_ops(b, &tls_ops, t);
	sn = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
	log_info("tls: %s cipher=%s sni=%s resumed=%s",
	    SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl),
	    sn ? sn : "-", SSL_session_reused(t->ssl) ? "yes" : "no");
	return 0;
}

bool
tls_active(const struct buf *b)
{
	return b->ops == &tls_ops && b->op_ctx != NULL;
}

bool
tls_pending(const struct buf *b)
{
	return tls_active(b) &&
	    SSL_pending(((struct tls_conn *)b->op_ctx)->ssl) > 0;
}

const char *
tls_describe(const struct buf *b)
{
	return tls_active(b) ? ((struct tls_conn *)b->op_ctx)->desc : NULL;
}

const char *
tls_sni(const struct buf *b)
{
	if (!tls_active(b))
		return NULL;
	return SSL_get_servername(((struct tls_conn *)b->op_ctx)->ssl,
	    TLSEXT_NAMETYPE_host_name);
}

void
tls_end(struct buf *b)
{
	struct tls_conn *t;

	if (!tls_active(b))
		return;
	t = b->op_ctx;
	/* One try: the socket is non-blocking, and the peer's answer is
	 * not waited for (RFC 8446 6.1 allows closing at once). */
	if (b->err == 0)
		(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t);
	buf_set_ops(b, NULL, NULL);
}
