/*
 * tls - server-side TLS (OpenSSL 3) under the buffered I/O layer.
 *
 * One implementation for every protocol: a daemon loads its context once
 * at start (tls_load, as root, before the worker fork), and a session
 * turns TLS on for its struct buf with tls_start (STARTTLS, STLS, or at
 * once on an implicit-TLS port).  From then on buf's ops read and write
 * through OpenSSL, so protocol code does not change.
 *
 * Configuration (roost.conf(5), "TLS"; struct tls_conf below, filled by
 * tls_conf_from_cfg): tls_cert_file/tls_key_file, with
 * per-service overrides <service>_tls_cert_file/<service>_tls_key_file;
 * tls_min_protocol, tls_max_protocol, tls_ciphers, tls_ciphersuites,
 * tls_groups, tls_sni_dir (a directory of <domain>.pem files, each chain
 * plus key, picked by the client's SNI: exact name first, then the
 * "*.parent" wildcard file), tls_session_tickets.
 *
 * Session resumption works across the worker pool because the context,
 * and with it the session-ticket keys, is made in the master before it
 * forks.
 *
 * The state is process-wide (one server context per daemon) and a
 * worker serves one connection at a time, so one struct buf at a time
 * may have TLS on.
 */
#ifndef ROOST_TLS_H
#define ROOST_TLS_H

#include <stdbool.h>

#include "buf.h"
#include "str.h"

/*
 * What tls_load() builds a context from: the TLS keys of roost.conf for
 * one service, as tls_conf_from_cfg() takes them.  cert_key and key_key
 * name the keys the two files came from, for messages; *_explicit
 * whether the file was set rather than left at its default (a default
 * file may be missing: TLS is then off).
 */
struct tls_conf {
	const char *service;	/* "smtpd", "imapd", "popd" */
	const char *cert_file, *key_file;	/* key_file "": in cert_file */
	char cert_key[80], key_key[80];
	bool cert_explicit, key_explicit;
	const char *min_protocol, *max_protocol;
	const char *ciphers, *ciphersuites, *groups;	/* "": OpenSSL's */
	const char *sni_dir;	/* "": none */
	bool session_tickets;
	long long handshake_timeout;	/* seconds */
};

/* tls_conf_from_cfg - c for service from the configuration: its
 * <service>_tls_cert_file and <service>_tls_key_file when set, else
 * tls_cert_file and tls_key_file, and the tls_* keys. */
void tls_conf_from_cfg(struct tls_conf *c, const char *service);
/*
 * tls_load - build the server context from c.  Returns 1 when TLS is
 * loaded; 0 when no certificate is configured or available (the
 * installed default files are absent: TLS is off, and a line is logged);
 * -1 on an error, with a message naming the key and the file in err
 * (the daemon should stop: log_fatal_config).  Call as root, before
 * dropping privileges and before forking workers.  Calling it again
 * replaces the context.
 */
int tls_load(const struct tls_conf *c, struct str *err)
    __attribute__((warn_unused_result));
/* tls_available - whether tls_load loaded a certificate. */
bool tls_available(void);
/* tls_unload - drop the context (TLS off); tests. */
void tls_unload(void);

/* Checks of the TLS keys' values, for cfg_keys.c: 0, or -1 with a
 * reason in err.  Empty values pass (OpenSSL's defaults). */
int tls_protocol_check(const char *value, struct str *err);
int tls_ciphers_check(const char *value, struct str *err);
int tls_ciphersuites_check(const char *value, struct str *err);
int tls_groups_check(const char *value, struct str *err);

/*
 * tls_start - the server handshake on b: flush pending output (the
 * "220 Ready to start TLS" reply), discard read-ahead input (anything
 * pipelined before the handshake must never be taken as sent inside
 * it), then shake hands under b's timeout and deadline and swap b's ops
 * to TLS.  Logs "tls: TLSv1.3 cipher=... sni=..." on success.  Returns 0,
 * or -1 with the reason in err (also logged): the connection must be
 * closed without another word, since the peer's state is unknown.
 * Blocks; fails at once without tls_available() or when b already runs
 * TLS.
 */
int tls_start(struct buf *b, struct str *err)
    __attribute__((warn_unused_result));
/* tls_active - whether b runs TLS. */
bool tls_active(const struct buf *b);
/* tls_pending - whether OpenSSL holds input of b's not yet read (a poll
 * of the descriptor would not show it). */
bool tls_pending(const struct buf *b);
/* tls_proxy (tls_proxy.c) - relay between the TLS connection b and the
 * plain socket inner until either side ends or fails.  Writes to inner
 * never block (what inner cannot take yet waits, and the client is not
 * read while more than a megabyte waits); writes to the client block
 * under b's timeout, as a daemon's own writes would. */
void tls_proxy(struct buf *b, int inner);
/* tls_describe - "TLSv1.3 TLS_AES_256_GCM_SHA384" for b's connection, or
 * NULL without TLS.  The string lives until tls_end. */
const char *tls_describe(const struct buf *b);
/* tls_sni - the server name the client asked for, or NULL. */
const char *tls_sni(const struct buf *b);
/* tls_end - send close_notify (best effort, without waiting for the
 * peer's), free b's TLS state and give b back its plain ops.  A no-op
 * without TLS; session_close calls it. */
void tls_end(struct buf *b);

/*
 * tls_cert_make (tls_cert.c) - a self-signed certificate for the
 * embedded layout: an EC P-256 key, subject CN = hostname, subjectAltName
 * DNS:hostname, DNS:localhost, IP:127.0.0.1, valid ten years.  Writes
 * keypath (mode 0600) and certpath (mode 0644) atomically.  On success
 * the SHA-256 fingerprint ("AB:CD:...") is put in fingerprint.  0, or -1
 * with a reason in err.
 */
int tls_cert_make(const char *certpath, const char *keypath,
    const char *hostname, struct str *fingerprint, struct str *err)
    __attribute__((warn_unused_result));
/* tls_cert_fingerprint - the SHA-256 fingerprint of the first
 * certificate in the PEM file path: 0, or -1 with a reason in err. */
int tls_cert_fingerprint(const char *path, struct str *fingerprint,
    struct str *err) __attribute__((warn_unused_result));

#endif
