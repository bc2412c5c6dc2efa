/*
 * test-tls - lib/daemon/tls: the self-signed certificate, loading (and the
 * errors that name key and file), handshakes over a socketpair with an
 * OpenSSL client in a child process, the STARTTLS read-ahead discard,
 * SNI selection (exact and wildcard), the protocol range, resumption
 * across processes (the context is made before the fork, as in the
 * worker pool) and a failed handshake.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "cfg.h"
#include "fd.h"
#include "log.h"
#include "tap.h"
#include "tls.h"

static char dir[] = "/tmp/test-tls.XXXXXX";
static char logpath[64];

/* ---- helpers ---- */

static const char *
path(const char *name)
{
	static char p[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	return p[i];
}

static void
set(const char *key, const char *value)
{
	struct str err = STR_INIT;

	if (cfg_set(key, value, &err) < 0) {
		printf("Bail out! cfg_set %s: %s\n", key, err.s);
		exit(1);
	}
	str_free(&err);
}

/* load - tls_load for service, from the configuration as set. */
static int
load(const char *service, struct str *err)
{
	struct tls_conf c;

	tls_conf_from_cfg(&c, service);
	return tls_load(&c, err);
}

static void
cat_files(const char *out, const char *a, const char *b)
{
	char buf[8192];
	FILE *o = fopen(out, "w");
	const char *in[2] = { a, b };
	size_t n;
	int i;

	if (o == NULL)
		bail(out);
	for (i = 0; i < 2; i++) {
		FILE *f = fopen(in[i], "r");

		if (f == NULL)
			bail(in[i]);
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, n, o);
		fclose(f);
	}
	fclose(o);
}

static bool
log_has(const char *needle)
{
	char buf[65536];
	int fd = open(logpath, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* ---- the client side (OpenSSL, blocking) ---- */

struct client {
	const char *sni;		/* NULL: none */
	int maxv;			/* 0: newest */
	SSL_SESSION *sess;		/* to resume; NULL: none */
	const char *plain;		/* sent in the clear first */
	bool garbage;			/* send junk instead of a handshake */
};

static int
write_all(int fd, const char *s)
{
	return fd_write_all(fd, s, strlen(s));
}

/* read_plain - a line in the clear, byte by byte (nothing read ahead). */
static void
read_plain(int fd, char *line, size_t max)
{
	size_t i = 0;
	char c;

	while (i + 1 < max && read(fd, &c, 1) == 1) {
		line[i++] = c;
		if (c == '\n')
			break;
	}
	line[i] = '\0';
}

/* client_run - shake hands on fd, send "CN <subject CN>\r\n", read one
 * line back.  Returns the SSL (still open) or NULL. */
static SSL *
client_run(SSL_CTX *cc, int fd, const struct client *c, char *reply,
    size_t max)
{
	char line[512], cn[256] = "";
	X509 *peer;
	SSL *ssl;
	size_t got = 0;

	if (c->plain != NULL) {
		write_all(fd, c->plain);
		read_plain(fd, line, sizeof line);	/* "220 go" */
	}
	if (c->garbage) {
		write_all(fd, "GET / HTTP/1.0\r\n\r\n");
		return NULL;
	}
	ssl = SSL_new(cc);
	SSL_set_fd(ssl, fd);
	if (c->sni)
		SSL_set_tlsext_host_name(ssl, c->sni);
	if (c->sess)
		SSL_set_session(ssl, c->sess);
	if (SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	peer = SSL_get1_peer_certificate(ssl);
	if (peer != NULL) {
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
		    NID_commonName, cn, sizeof cn);
		X509_free(peer);
	}
	snprintf(line, sizeof line, "CN %s\r\n", cn);
	SSL_write(ssl, line, (int)strlen(line));
	reply[0] = '\0';
	while (got + 1 < max) {
		int r = SSL_read(ssl, reply + got, (int)(max - got - 1));

		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(reply, '\n', got) != NULL)
			break;
	}
	reply[got] = '\0';
	return ssl;
}

static SSL_CTX *
client_ctx(int maxv)
{
	SSL_CTX *cc = SSL_CTX_new(TLS_client_method());

	SSL_CTX_set_verify(cc, SSL_VERIFY_NONE, NULL);
	if (maxv) {
		SSL_CTX_set_max_proto_version(cc, maxv);
		SSL_CTX_set_min_proto_version(cc, TLS1_VERSION);
		SSL_CTX_set_security_level(cc, 0);
		SSL_CTX_set_cipher_list(cc, "DEFAULT:@SECLEVEL=0");
	}
	SSL_CTX_set_session_cache_mode(cc, SSL_SESS_CACHE_CLIENT);
	return cc;
}

/* ---- the server side (lib/daemon/tls over buf) ---- */

struct served {
	int rc;			/* tls_start */
	char err[256];
	char first[256];	/* first line in the clear */
	char line[256];		/* first line inside TLS */
	char desc[128];
	char sni[128];
	bool sticky;		/* after a failure: buf refuses output */
};

/* serve - the server half on fd: optionally a line in the clear and
 * "220 go", then tls_start, then read a line and echo "OK <line>". */
static void
serve(int fd, bool plain_first, struct served *out)
{
	struct buf b;
	struct str line = STR_INIT, err = STR_INIT;

	memset(out, 0, sizeof *out);
	buf_init(&b, fd, 0);
	buf_set_timeout(&b, 5000);
	if (plain_first) {
		(void)buf_getline(&b, &line, 200);
		snprintf(out->first, sizeof out->first, "%s", str_cstr(&line));
		buf_puts(&b, "220 go\r\n");
	}
	out->rc = tls_start(&b, &err);
	snprintf(out->err, sizeof out->err, "%s", str_cstr(&err));
	if (out->rc == 0) {
		snprintf(out->desc, sizeof out->desc, "%s",
		    tls_describe(&b) ? tls_describe(&b) : "");
		snprintf(out->sni, sizeof out->sni, "%s",
		    tls_sni(&b) ? tls_sni(&b) : "");
		if (buf_getline(&b, &line, 200) == BUF_OK)
			snprintf(out->line, sizeof out->line, "%s", line.s);
		buf_printf(&b, "OK %s", str_cstr(&line));
		(void)buf_flush(&b);
		tls_end(&b);
		out->sticky = tls_active(&b);	/* false: ended */
	} else {
		buf_puts(&b, "500 must not go out\r\n");
		out->sticky = buf_flush(&b) == BUF_ERROR && b.out.len == 0;
	}
	buf_free(&b);
	str_free(&line);
	str_free(&err);
}

/*
 * session - one connection: the client in a child process, the server
 * here.  The child's exit code: 0 handshake done and reply starting
 * with "OK CN <want_cn>", 1 handshake failed, 2 wrong reply.
 */
static int
session(const struct client *c, const char *want_cn, struct served *sv)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		bail("socketpair");
	if ((pid = xfork()) == 0) {
		SSL_CTX *cc = client_ctx(c->maxv);
		char reply[512], want[300];
		SSL *ssl;

		close(sp[0]);
		ssl = client_run(cc, sp[1], c, reply, sizeof reply);
		if (ssl == NULL)
			_exit(1);
		snprintf(want, sizeof want, "OK CN %s\r\n", want_cn);
		_exit(strcmp(reply, want) == 0 ? 0 : 2);
	}
	close(sp[1]);
	serve(sp[0], c->plain != NULL, sv);
	close(sp[0]);
	return reap(pid);
}

/* ---- tests ---- */

static void
test_cert_make(void)
{
	struct str fp = STR_INIT, fp2 = STR_INIT, err = STR_INIT;
	struct stat st;

	ok(tls_cert_make(path("cert.pem"), path("key.pem"), "mail.test", &fp,
	    &err) == 0, "tls_cert_make");
	if (err.len)
		diag("%s", err.s);
	ok(stat(path("key.pem"), &st) == 0 && (st.st_mode & 0777) == 0600,
	    "key is mode 0600");
	ok(stat(path("cert.pem"), &st) == 0 && (st.st_mode & 0777) == 0644,
	    "certificate is mode 0644");
	is_int(fp.len, 32 * 3 - 1, "fingerprint: 32 hex pairs with colons");
	ok(tls_cert_fingerprint(path("cert.pem"), &fp2, &err) == 0,
	    "tls_cert_fingerprint");
	is_str(fp2.s, fp.s, "  same fingerprint as made");
	ok(tls_cert_fingerprint(path("nonesuch.pem"), &fp2, &err) < 0 &&
	    strstr(err.s, "nonesuch.pem") != NULL,
	    "fingerprint of a missing file: error names it");
	/* Two more names, for SNI: exact and wildcard. */
	ok(tls_cert_make(path("o.crt"), path("o.key"), "other.test", &fp2,
	    &err) == 0 && strcmp(fp2.s, fp.s) != 0,
	    "a second certificate, another fingerprint");
	ok(tls_cert_make(path("w.crt"), path("w.key"), "wild.test", &fp2,
	    &err) == 0, "a third");
	ok(tls_cert_make(path("bad.crt"), path("bad.key"), "bad name!", &fp2,
	    &err) == 0, "an unusable host name falls back to localhost");
	str_free(&fp);
	str_free(&fp2);
	str_free(&err);
}

static void
test_checks(void)
{
	struct str err = STR_INIT;

	ok(tls_protocol_check("TLSv1.2", &err) == 0, "TLSv1.2 is a version");
	ok(tls_protocol_check("", &err) == 0, "empty version passes");
	ok(tls_protocol_check("TLSv1.4", &err) < 0 &&
	    strstr(err.s, "TLSv1.4") != NULL, "TLSv1.4 is not");
	ok(tls_ciphers_check("HIGH:!aNULL", &err) == 0, "cipher list ok");
	ok(tls_ciphers_check("NOPE-NOTHING", &err) < 0, "bad cipher list");
	ok(tls_ciphersuites_check("TLS_AES_128_GCM_SHA256", &err) == 0,
	    "cipher suite ok");
	ok(tls_ciphersuites_check("TLS_NOPE", &err) < 0, "bad cipher suite");
	ok(tls_groups_check("X25519:P-256", &err) == 0, "groups ok");
	ok(tls_groups_check("P-999", &err) < 0, "bad group");
	ok(cfg_set("tls_min_protocol", "SSLv3", &err) < 0,
	    "cfg refuses tls_min_protocol = SSLv3");
	str_free(&err);
}

static void
test_load_errors(void)
{
	struct str err = STR_INIT;
	struct stat st;

	cfg_reset();
	if (stat(SYSCONFDIR "/tls/cert.pem", &st) == 0)
		skip("an installed certificate exists");
	else
		ok(load("smtpd", &err) == 0 && !tls_available(),
		    "default certificate absent: TLS off, no error");
	set("tls_cert_file", path("missing.pem"));
	ok(load("smtpd", &err) < 0 && !tls_available(),
	    "configured certificate missing: error");
	ok(strstr(str_cstr(&err), "tls_cert_file") != NULL &&
	    strstr(str_cstr(&err), "missing.pem") != NULL,
	    "  naming the key and the file");
	str_clear(&err);
	set("tls_cert_file", path("cert.pem"));
	set("tls_key_file", path("o.key"));
	ok(load("smtpd", &err) < 0 &&
	    strstr(str_cstr(&err), "does not match") != NULL,
	    "key of another certificate: error");
	str_clear(&err);
	set("tls_key_file", path("key.pem"));
	set("smtpd_tls_cert_file", path("o.crt"));
	ok(load("smtpd", &err) < 0 &&
	    strstr(str_cstr(&err), "smtpd_tls_cert_file") != NULL,
	    "per-service certificate with the default key: error names "
	    "smtpd_tls_cert_file");
	str_clear(&err);
	set("smtpd_tls_key_file", path("o.key"));
	ok(load("smtpd", &err) == 1, "per-service certificate and key");
	set("smtpd_tls_cert_file", "");
	set("smtpd_tls_key_file", "");
	set("tls_cert_file", "");
	ok(load("smtpd", &err) == 0 && !tls_available(),
	    "tls_cert_file empty: TLS off");
	set("tls_cert_file", path("cert.pem"));
	set("tls_sni_dir", path("nonesuch"));
	ok(load("smtpd", &err) < 0 &&
	    strstr(str_cstr(&err), "tls_sni_dir") != NULL,
	    "missing tls_sni_dir: error names the key");
	set("tls_sni_dir", "");
	set("tls_min_protocol", "TLSv1.3");
	set("tls_max_protocol", "TLSv1.2");
	ok(load("smtpd", &err) < 0, "min above max: error");
	set("tls_min_protocol", "TLSv1.2");
	set("tls_max_protocol", "");
	str_free(&err);
}

static void
test_handshake(void)
{
	struct client c = { 0 };
	struct served sv;
	struct str err = STR_INIT;

	ok(load("smtpd", &err) == 1 && tls_available(), "tls_load");
	ok(session(&c, "mail.test", &sv) == 0, "implicit TLS: handshake, "
	    "a line each way");
	is_int(sv.rc, 0, "  tls_start");
	is_str(sv.line, "CN mail.test\r\n", "  line read inside TLS");
	ok(strncmp(sv.desc, "TLSv1.3 TLS_", 12) == 0, "  described as %s",
	    sv.desc);
	ok(!sv.sticky, "  tls_end gave back the plain transport");
	ok(log_has("tls: TLSv1.3 cipher=TLS_"), "  logged the handshake");

	/* STARTTLS with a command pipelined behind it. */
	c.plain = "STARTTLS\r\nNOOP\r\n";
	ok(session(&c, "mail.test", &sv) == 0, "STARTTLS with NOOP "
	    "pipelined: handshake");
	is_str(sv.first, "STARTTLS\r\n", "  STARTTLS read in the clear");
	is_str(sv.line, "CN mail.test\r\n",
	    "  first line inside TLS is the client's, not the NOOP");
	ok(log_has("dropped 6 bytes sent before the handshake"),
	    "  the pipelined bytes were dropped and logged");

	/* A client that does not speak TLS. */
	c.plain = NULL;
	c.garbage = true;
	ok(session(&c, "", &sv) == 1, "garbage instead of a ClientHello");
	ok(sv.rc < 0 && sv.err[0] != '\0', "  tls_start fails: %s", sv.err);
	ok(sv.sticky, "  nothing more goes out in the clear");
	ok(log_has("tls: handshake failed"), "  logged");
	str_free(&err);
}

static void
test_protocols(void)
{
	struct client c = { 0 };
	struct served sv;
	struct str err = STR_INIT;

	c.maxv = TLS1_1_VERSION;
	ok(session(&c, "mail.test", &sv) == 1 && sv.rc < 0,
	    "TLS 1.1 client refused by default (%s)", sv.err);
	c.maxv = TLS1_2_VERSION;
	ok(session(&c, "mail.test", &sv) == 0 &&
	    strncmp(sv.desc, "TLSv1.2 ", 8) == 0, "TLS 1.2 client: %s",
	    sv.desc);
	set("tls_min_protocol", "TLSv1.3");
	ok(load("smtpd", &err) == 1, "tls_min_protocol = TLSv1.3");
	ok(session(&c, "mail.test", &sv) == 1, "  TLS 1.2 client refused");
	set("tls_min_protocol", "TLSv1.2");
	set("tls_max_protocol", "TLSv1.2");
	set("tls_ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256");
	ok(load("smtpd", &err) == 1, "tls_max_protocol = TLSv1.2, "
	    "one cipher");
	c.maxv = 0;
	ok(session(&c, "mail.test", &sv) == 0 &&
	    strcmp(sv.desc, "TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256") == 0,
	    "  a TLS 1.3 client gets %s", sv.desc);
	set("tls_max_protocol", "");
	set("tls_ciphers", "");
	set("tls_ciphersuites", "TLS_CHACHA20_POLY1305_SHA256");
	ok(load("smtpd", &err) == 1 &&
	    session(&c, "mail.test", &sv) == 0 &&
	    strcmp(sv.desc, "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256") == 0,
	    "tls_ciphersuites: %s", sv.desc);
	set("tls_ciphersuites", "");
	str_free(&err);
}

static void
test_sni(void)
{
	struct client c = { 0 };
	struct served sv;
	struct str err = STR_INIT;

	if (mkdir(path("sni"), 0755) < 0)
		bail("mkdir sni");
	cat_files(path("sni/other.test.pem"), path("o.crt"), path("o.key"));
	/* the key first: the order in the file does not matter */
	cat_files(path("sni/*.wild.test.pem"), path("w.key"), path("w.crt"));
	set("tls_sni_dir", path("sni"));
	ok(load("imapd", &err) == 1, "tls_load with tls_sni_dir");
	if (err.len)
		diag("%s", err.s);
	c.sni = "other.test";
	ok(session(&c, "other.test", &sv) == 0, "SNI other.test: its "
	    "certificate");
	is_str(sv.sni, "other.test", "  tls_sni");
	c.sni = "OTHER.test";
	ok(session(&c, "other.test", &sv) == 0, "  case does not matter");
	c.sni = "a.wild.test";
	ok(session(&c, "wild.test", &sv) == 0, "SNI a.wild.test: the "
	    "wildcard certificate");
	c.sni = "a.b.wild.test";
	ok(session(&c, "mail.test", &sv) == 0, "SNI a.b.wild.test: the "
	    "default (a wildcard covers one label)");
	c.sni = "unknown.test";
	ok(session(&c, "mail.test", &sv) == 0, "unknown SNI: the default");
	c.sni = NULL;
	ok(session(&c, "mail.test", &sv) == 0, "no SNI: the default");
	ok(log_has("sni=a.wild.test"), "SNI logged");
	set("tls_sni_dir", "");
	str_free(&err);
}

/* test_resume - sessions made by one server process resume in another,
 * both forked after tls_load (as the workers are). */
static void
test_resume(void)
{
	struct str err = STR_INIT;
	SSL_SESSION *sess = NULL;
	struct client c = { 0 };
	SSL_CTX *cc;
	int round, reused = -1, first = -1;

	ok(load("smtpd", &err) == 1, "tls_load for resumption");
	cc = client_ctx(0);
	for (round = 0; round < 2; round++) {
		struct served sv;
		char reply[512];
		int sp[2];
		pid_t pid;
		SSL *ssl;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
			bail("socketpair");
		if ((pid = xfork()) == 0) {
			close(sp[1]);
			serve(sp[0], false, &sv);
			_exit(sv.rc == 0 ? 0 : 1);
		}
		close(sp[0]);
		c.sess = sess;
		ssl = client_run(cc, sp[1], &c, reply, sizeof reply);
		if (ssl != NULL) {
			if (round == 0) {
				first = SSL_session_reused(ssl);
				sess = SSL_get1_session(ssl);
			} else
				reused = SSL_session_reused(ssl);
			SSL_shutdown(ssl);
			SSL_free(ssl);
		}
		close(sp[1]);
		is_int(reap(pid), 0, "server process %d", round + 1);
	}
	is_int(first, 0, "first connection: a full handshake");
	is_int(reused, 1, "second connection, another process: resumed");
	ok(log_has("resumed=yes"), "  logged as resumed");
	SSL_SESSION_free(sess);
	SSL_CTX_free(cc);
	str_free(&err);
}

static void
cleanup_dir(void)
{
	tap_rmtree(dir);
}

int
main(void)
{
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		bail("mkdtemp");
	snprintf(logpath, sizeof logpath, "%s/log", dir);
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		bail("log file");
	log_init("test-tls");
	log_set_fd(fd);
	test_cert_make();
	test_checks();
	test_load_errors();
	test_handshake();
	test_protocols();
	test_sni();
	test_resume();
	tls_unload();
	cleanup_dir();
	return done_testing();
}
