/*
 * cfg_keys - every roost.conf key: name, type, default, bounds and the
 * line roost.conf(5) expands on.  Keep the groups in the same order as
 * the manual page and conf/roost.conf; test-cfg checks all three agree.
 */
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "cidr.h"
#include "listen.h"
#include "tls.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc/roost"
#endif
#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/libexec/roost"
#endif

#define K_STR(name, def, check, doc) \
	{ name, CFG_STR, def, 0, 0, check, doc }
#define K_INT(name, def, min, max, doc) \
	{ name, CFG_INT, def, min, max, NULL, doc }
#define K_TIME(name, def, min, max, doc) \
	{ name, CFG_TIME, def, min, max, NULL, doc }
#define K_SIZE(name, def, min, max, doc) \
	{ name, CFG_SIZE, def, min, max, NULL, doc }
#define K_BOOL(name, def, doc) \
	{ name, CFG_BOOL, def, 0, 0, NULL, doc }

#define DAY 86400LL

/* log_level_check - the levels lib/daemon/daemon.c maps onto
 * log_set_level(). */
static int
log_level_check(const char *value, struct str *err)
{
	static const char *const levels[] = {
		"debug", "info", "warning", "error",
	};
	size_t i;

	for (i = 0; i < sizeof levels / sizeof levels[0]; i++)
		if (strcmp(value, levels[i]) == 0)
			return 0;
	str_copyf(err, "'%s' is not debug, info, warning or error", value);
	return -1;
}

/* bare_lf_check - what smtpd may do with a bare LF or CR in DATA. */
static int
bare_lf_check(const char *value, struct str *err)
{
	if (strcmp(value, "reject") == 0 || strcmp(value, "normalize") == 0)
		return 0;
	str_copyf(err, "'%s' is not reject or normalize", value);
	return -1;
}

/* expire_check - popd_expire: empty (not advertised), "never", or a
 * number of days. */
static int
expire_check(const char *value, struct str *err)
{
	size_t i;

	if (*value == '\0' || strcmp(value, "never") == 0)
		return 0;
	for (i = 0; value[i] >= '0' && value[i] <= '9' && i < 6; i++)
		;
	if (i > 0 && value[i] == '\0')
		return 0;
	str_copyf(err, "'%s' is not a number of days or never", value);
	return -1;
}

/* auth_source_check - where authd checks passwords. */
static int
auth_source_check(const char *value, struct str *err)
{
	if (strcmp(value, "roost") == 0 || strcmp(value, "saslauthd") == 0)
		return 0;
	str_copyf(err, "'%s' is not roost or saslauthd", value);
	return -1;
}

/* auth_plaintext_check - when a password may travel in the clear. */
static int
auth_plaintext_check(const char *value, struct str *err)
{
	if (strcmp(value, "tls") == 0 ||
	    strcmp(value, "tls_or_loopback") == 0)
		return 0;
	str_copyf(err, "'%s' is not tls or tls_or_loopback", value);
	return -1;
}

/* auth_mechanisms_check - names authd knows, blank-separated. */
static int
auth_mechanisms_check(const char *value, struct str *err)
{
	static const char *const known[] = {
		"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256",
	};
	const char *p = value;

	while (*p) {
		size_t n = strcspn(p, " \t,"), i;

		for (i = 0; n > 0 && i < sizeof known / sizeof known[0]; i++)
			if (strlen(known[i]) == n &&
			    strncasecmp(p, known[i], n) == 0)
				break;
		if (n > 0 && i == sizeof known / sizeof known[0]) {
			str_copyf(err, "'%.*s' is not PLAIN, LOGIN, "
			    "SCRAM-SHA-1 or SCRAM-SHA-256", (int)n, p);
			return -1;
		}
		p += n;
		p += strspn(p, " \t,");
	}
	return 0;
}

const struct cfg_key cfg_keys[] = {
	/* Layout. */
	K_STR("base_dir", "/", NULL,
	    "directory every daemon changes into at start; relative paths "
	    "in other keys are taken from it"),
	K_STR("queue_dir", "/var/spool/roost", NULL, "the mail queue"),
	K_STR("store_dir", "/var/lib/roost/store", NULL, "the message store"),
	K_STR("data_dir", "/var/lib/roost", NULL,
	    "the user and domain table and other lookup state"),
	K_STR("run_dir", "/run/roost", NULL,
	    "Unix sockets and the s6 scan directory"),
	K_STR("log_dir", "/var/log/roost", NULL,
	    "one s6-log directory per service"),
	K_STR("daemon_dir", LIBEXECDIR, NULL,
	    "where roostctl finds the daemon programs"),

	/* Identity and logging. */
	K_STR("myhostname", "", NULL,
	    "name used in greetings and Received headers; empty: the "
	    "system's host name"),
	K_STR("log_level", "info", log_level_check,
	    "least severe level logged: debug, info, warning or error"),

	/* Listeners. */
	K_STR("smtpd_listen", "0.0.0.0:25", listen_check,
	    "SMTP from other mail servers (MX)"),
	K_STR("smtpd_submission_listen", "0.0.0.0:587", listen_check,
	    "message submission from users (RFC 6409)"),
	K_STR("smtpd_smtps_listen", "0.0.0.0:465", listen_check,
	    "submission over implicit TLS (RFC 8314)"),
	K_STR("imapd_listen", "0.0.0.0:143", listen_check, "IMAP"),
	K_STR("imapd_imaps_listen", "0.0.0.0:993", listen_check,
	    "IMAP over implicit TLS"),
	K_STR("popd_listen", "0.0.0.0:110", listen_check, "POP3"),
	K_STR("popd_pop3s_listen", "0.0.0.0:995", listen_check,
	    "POP3 over implicit TLS"),
	K_STR("managesieve_listen", "0.0.0.0:4190", listen_check,
	    "ManageSieve (RFC 5804)"),
	K_STR("lmtpd_listen", "unix:lmtp", listen_check,
	    "LMTP from the queue manager to local delivery"),
	K_STR("cleanup_listen", "unix:cleanup", listen_check,
	    "where smtpd hands messages to cleanup"),
	K_STR("qmgr_listen", "unix:qmgr", listen_check,
	    "the queue manager's trigger socket"),
	K_STR("pipe_listen", "unix:pipe", listen_check,
	    "where the queue manager hands command and file deliveries"),

	/* Users each daemon drops to when started as root. */
	K_STR("smtpd_user", "roost-smtpd", NULL, "account smtpd runs as"),
	K_STR("cleanup_user", "roost-queue", NULL,
	    "account cleanup runs as"),
	K_STR("qmgr_user", "roost-queue", NULL,
	    "account qmgr runs as; it shares the queue with cleanup"),
	K_STR("lmtpd_user", "roost-lmtp", NULL, "account lmtpd runs as"),
	K_STR("imapd_user", "roost-lmtp", NULL,
	    "account imapd runs as: the store's owner (lmtpd_user)"),
	K_STR("popd_user", "roost-lmtp", NULL,
	    "account popd runs as: the store's owner, like lmtpd_user"),
	K_STR("log_user", "roost-log", NULL, "account s6-log runs as"),

	/* Worker pools. */
	K_INT("smtpd_process_limit", "100", 1, 10000,
	    "most smtpd workers at once"),
	K_INT("smtpd_process_min", "2", 0, 1000,
	    "smtpd workers kept waiting"),
	K_INT("lmtpd_process_limit", "20", 1, 10000,
	    "most lmtpd workers at once"),
	K_INT("lmtpd_process_min", "1", 0, 1000,
	    "lmtpd workers kept waiting"),
	K_INT("imapd_process_limit", "500", 1, 10000,
	    "most imapd workers at once"),
	K_INT("imapd_process_min", "2", 0, 1000,
	    "imapd workers kept waiting"),
	K_INT("popd_process_limit", "100", 1, 10000,
	    "most popd workers at once"),
	K_INT("popd_process_min", "1", 0, 1000, "popd workers kept waiting"),
	K_INT("cleanup_process_limit", "50", 1, 10000,
	    "most cleanup workers at once"),
	K_INT("cleanup_process_min", "1", 0, 1000,
	    "cleanup workers kept waiting"),
	K_INT("pipe_process_limit", "10", 1, 1000,
	    "most pipe workers at once"),
	K_INT("pipe_process_min", "0", 0, 1000,
	    "pipe workers kept waiting"),
	K_INT("process_max_use", "1000", 0, 10000000,
	    "connections a worker serves before it is replaced; 0: "
	    "unlimited"),
	K_TIME("process_idle_timeout", "60s", 1, 86400,
	    "idle workers above the minimum exit after this"),
	K_TIME("shutdown_timeout", "10s", 0, 300,
	    "on SIGTERM, how long sessions in progress may take to finish"),

	/* Timeouts. */
	K_TIME("smtpd_timeout", "300s", 1, 3600,
	    "SMTP command and data timeout (RFC 5321 4.5.3.2)"),
	K_TIME("lmtpd_timeout", "300s", 1, 3600, "LMTP timeout"),
	/* RFC 3501 5.4 wants an autologout timer of at least 30 minutes;
	 * shorter values are allowed for tests but break that rule. */
	K_TIME("imapd_timeout", "1800s", 60, 86400,
	    "IMAP inactivity autologout (RFC 3501 5.4)"),
	/* RFC 1939 3: likewise, at least 10 minutes. */
	K_TIME("popd_timeout", "600s", 60, 86400,
	    "POP3 inactivity timeout (RFC 1939)"),
	K_TIME("start_timeout", "30s", 1, 600,
	    "how long roostctl start waits for every service to be ready"),

	/* Mail in. */
	K_STR("mynetworks", "127.0.0.0/8 [::1]/128", cidr_check,
	    "clients that may relay: addresses and networks in CIDR form"),
	K_STR("mydestination", "localhost", NULL,
	    "domains delivered here besides myhostname"),
	{ "message_size_limit", CFG_SIZE, "25m", 1024, 2147483648LL, NULL,
	    "largest message accepted, in bytes (RFC 1870 SIZE)" },
	K_INT("smtpd_recipient_limit", "1000", 1, 100000,
	    "recipients per message; more get 452 4.5.3"),
	K_INT("smtpd_line_limit", "1000", 512, 65536,
	    "longest command or text line, CRLF included"),
	K_INT("smtpd_ip_sessions", "50", 1, 10000,
	    "most SMTP connections from one client address outside "
	    "mynetworks at once"),
	K_INT("smtpd_error_limit", "20", 1, 1000,
	    "errors in one session before smtpd hangs up"),
	K_TIME("smtpd_pregreet_wait", "1s", 0, 30,
	    "wait before the greeting on the MX port; clients outside "
	    "mynetworks that talk first are disconnected"),
	K_BOOL("smtpd_sender_login_check", "yes",
	    "an authenticated client may send only as its own addresses"),
	K_STR("smtpd_bare_lf", "reject", bare_lf_check,
	    "bare LF or CR in message data: reject or normalize"),
	K_TIME("smtpd_data_timeout", "600s", 1, 3600,
	    "how long smtpd waits for the rest of the message data"),
	K_TIME("cleanup_timeout", "600s", 1, 3600,
	    "how long cleanup waits for its client"),

	/* Delivery. */
	K_STR("lmtp_destination", "unix:lmtp", listen_check,
	    "the LMTP server qmgr delivers local mail to"),
	K_INT("lmtp_concurrency", "20", 1, 1000,
	    "most LMTP deliveries in progress at once"),
	K_INT("pipe_concurrency", "4", 1, 1000,
	    "most command and file deliveries in progress at once"),
	K_TIME("minimal_backoff_time", "300s", 1, DAY,
	    "first retry after a temporary failure"),
	K_TIME("maximal_backoff_time", "3600s", 1, 7 * DAY,
	    "longest interval between retries"),
	K_TIME("queue_run_delay", "60s", 1, 3600,
	    "how often qmgr scans deferred/ for entries that are due"),
	K_TIME("delay_warning_time", "4h", 0, 30 * DAY,
	    "delay notice to the sender after this; 0: never"),
	K_TIME("maximal_queue_lifetime", "5d", 1, 100 * DAY,
	    "bounce what is still undelivered after this"),
	K_SIZE("bounce_size_limit", "50k", 0, 10485760,
	    "most of the original message returned in a bounce"),

	/* Addresses and tables. */
	K_STR("alias_maps", "/etc/aliases", NULL,
	    "aliases(5) file for local domains; empty: none"),
	K_STR("virtual_alias_maps", "/etc/roost/virtual", NULL,
	    "per-address aliases for virtual domains; empty: none"),
	K_STR("recipient_delimiter", "+", NULL,
	    "separators of address extensions (user+detail); empty: none"),
	K_BOOL("local_system_users", "yes",
	    "system accounts are mailboxes in local domains"),
	K_BOOL("allow_mail_to_commands", "yes",
	    "aliases may deliver to |command"),
	K_BOOL("allow_mail_to_files", "yes", "aliases may deliver to /file"),
	K_BOOL("allow_mail_to_includes", "yes",
	    "aliases may read :include: files"),
	K_STR("default_privs", "nobody", NULL,
	    "account for command and file deliveries of root's aliases"),
	K_TIME("command_timeout", "600s", 1, DAY,
	    "longest run of a |command delivery"),

	/* Store. */
	K_SIZE("quota_default", "250m", 0, 1099511627776LL,
	    "storage limit of a user without one of their own; 0: none"),
	K_TIME("quota_grace", "1d", 0, 365 * DAY,
	    "over quota: refuse temporarily this long, then permanently"),
	K_BOOL("duplicate_suppression", "yes",
	    "drop a message already delivered to the same recipient"),
	K_TIME("duplicate_window", "2d", 0, 365 * DAY,
	    "how long a delivered Message-ID is remembered"),
	K_INT("expunge_retention", "7", 0, 3650,
	    "days an expunged message stays recoverable"),

	/* IMAP and logins. */
	K_INT("imapd_line_max", "65536", 1024, 1048576,
	    "longest IMAP command line, CRLF included"),
	K_SIZE("imapd_literal_max", "1m", 1024, 104857600,
	    "largest literal of a command other than APPEND"),
	K_INT("imapd_user_sessions", "20", 1, 10000,
	    "most IMAP sessions of one user at once"),
	K_INT("imapd_ip_sessions", "50", 1, 10000,
	    "most IMAP connections from one client address at once"),
	K_INT("imapd_error_limit", "20", 1, 1000,
	    "bad commands in a row before imapd hangs up"),

	/* POP3. */
	K_INT("popd_user_sessions", "10", 1, 10000,
	    "most POP3 sessions of one user at once (1: one at a time)"),
	K_INT("popd_ip_sessions", "50", 1, 10000,
	    "most POP3 connections from one client address at once"),
	K_INT("popd_error_limit", "10", 1, 1000,
	    "-ERR answers in a row before popd hangs up"),
	K_INT("popd_command_limit", "100000", 10, 100000000,
	    "commands in one POP3 session before popd hangs up"),
	K_STR("popd_expire", "", expire_check,
	    "EXPIRE: days a retrieved message is kept, never, or empty"),
	K_TIME("popd_login_delay", "0", 0, DAY,
	    "LOGIN-DELAY: least time between two logins of a user"),

	/* TLS. */
	K_STR("tls_cert_file", SYSCONFDIR "/tls/cert.pem", NULL,
	    "certificate chain (PEM) of every TLS service; a missing "
	    "default file means no TLS; empty: no TLS"),
	K_STR("tls_key_file", SYSCONFDIR "/tls/key.pem", NULL,
	    "private key (PEM) of tls_cert_file; empty: in tls_cert_file"),
	K_STR("smtpd_tls_cert_file", "", NULL,
	    "smtpd's own certificate; empty: tls_cert_file"),
	K_STR("smtpd_tls_key_file", "", NULL,
	    "smtpd's own key; empty: tls_key_file"),
	K_STR("imapd_tls_cert_file", "", NULL,
	    "imapd's own certificate; empty: tls_cert_file"),
	K_STR("imapd_tls_key_file", "", NULL,
	    "imapd's own key; empty: tls_key_file"),
	K_STR("popd_tls_cert_file", "", NULL,
	    "popd's own certificate; empty: tls_cert_file"),
	K_STR("popd_tls_key_file", "", NULL,
	    "popd's own key; empty: tls_key_file"),
	K_STR("tls_min_protocol", "TLSv1.2", tls_protocol_check,
	    "oldest TLS version accepted: TLSv1, TLSv1.1, TLSv1.2 or "
	    "TLSv1.3"),
	K_STR("tls_max_protocol", "", tls_protocol_check,
	    "newest TLS version offered; empty: the newest OpenSSL has"),
	K_STR("tls_ciphers", "", tls_ciphers_check,
	    "OpenSSL cipher list for TLS 1.2 and older; empty: "
	    "OpenSSL's default"),
	K_STR("tls_ciphersuites", "", tls_ciphersuites_check,
	    "TLS 1.3 cipher suites, colon-separated; empty: OpenSSL's "
	    "default"),
	K_STR("tls_groups", "", tls_groups_check,
	    "key exchange groups (curves), colon-separated; empty: "
	    "OpenSSL's default"),
	K_STR("tls_sni_dir", "", NULL,
	    "directory of DOMAIN.pem files (chain and key) chosen by the "
	    "client's server name; empty: none"),
	K_TIME("tls_handshake_timeout", "30s", 1, 600,
	    "longest a TLS handshake may take"),
	K_BOOL("tls_session_tickets", "yes",
	    "resume TLS sessions with tickets, on any worker"),

	/* Authentication. */
	K_STR("authd_listen", "unix:auth", listen_check,
	    "authd's socket, where smtpd, imapd and popd check logins"),
	K_STR("authd_user", "roost-lmtp", NULL,
	    "account authd runs as: the store's owner (lmtpd_user)"),
	K_INT("authd_process_limit", "100", 1, 10000,
	    "most authd workers at once"),
	K_INT("authd_process_min", "1", 0, 1000,
	    "authd workers kept waiting"),
	K_TIME("authd_timeout", "15s", 1, 3600,
	    "how long authd waits for a client daemon's next line"),
	K_INT("authd_ip_sessions", "4", 1, 1000,
	    "most logins of one address waiting for their client at once"),
	K_STR("auth_source", "roost", auth_source_check,
	    "passwords: roost (the user table) or saslauthd (system "
	    "accounts)"),
	K_STR("saslauthd_path", "/run/saslauthd/mux", NULL,
	    "saslauthd's socket, for auth_source = saslauthd"),
	K_STR("auth_mechanisms", "PLAIN LOGIN SCRAM-SHA-256 SCRAM-SHA-1",
	    auth_mechanisms_check, "SASL mechanisms offered, in order"),
	K_STR("auth_plaintext", "tls", auth_plaintext_check,
	    "passwords in the clear (PLAIN, LOGIN, USER/PASS): tls or "
	    "tls_or_loopback"),
	K_TIME("auth_failure_delay", "2s", 0, 60,
	    "wait before answering a failed login"),
	K_TIME("auth_failure_window", "10m", 1, DAY,
	    "how long a failed login counts towards a block"),
	K_INT("auth_ip_failure_limit", "20", 0, 1000000,
	    "failed logins from one address that block it; 0: never"),
	K_INT("auth_user_ip_failure_limit", "5", 0, 1000000,
	    "failed logins of one user from one address that block the "
	    "pair; 0: never"),
	K_TIME("auth_block_time", "15m", 1, 7 * DAY,
	    "how long a block lasts"),
	K_INT("auth_throttle_entries", "16384", 64, 16777216,
	    "size of authd's table of failure counts"),
};

const size_t cfg_nkeys = sizeof cfg_keys / sizeof cfg_keys[0];
