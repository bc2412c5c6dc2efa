/*
 * popd - shared declarations of the POP3 server.
 *
 * One worker serves one session at a time (lib/daemon/server.c), from
 * login on: pop3-login speaks to the client until it has logged in and
 * hands it over (popd_login.c); struct popd is its state.  A session never locks the mailbox: at
 * login it takes a snapshot of INBOX (UIDs, sizes, files) and serves it
 * to the end; message files never change and outlive an expunge by the
 * retention period, so RETR of a message another session expunged
 * meanwhile still works.  DELE marks only the snapshot; QUIT expunges
 * the marked messages in one store transaction (popd_update).
 */
#ifndef POPD_H
#define POPD_H

#include <stdbool.h>
#include <stdint.h>

#include "server.h"
#include "session.h"
#include "store.h"

/* Sessions come from pop3-login, over login_dir/popd. */
#define POPD_ROLE_LOGIN "login"

/* RFC 2449 4: commands are at most 255 octets with CRLF; we take a
 * little more.  SASL responses (RFC 5034 4) may be longer: authc.h's
 * AUTHC_LINE_MAX. */
#define POPD_LINE_MAX 512

enum popd_state {
	POPD_AUTHORIZATION,
	POPD_TRANSACTION,
	POPD_DONE,		/* QUIT or a fatal error: end the session */
};

/* A message of the snapshot; its message number is its index + 1. */
struct popd_msg {
	uint32_t uid;
	uint64_t size;		/* octets RETR sends before the final "." */
	uint64_t file_size;	/* octets of the message file */
	time_t internaldate;
	unsigned flags;		/* STORE_F_* at login */
	unsigned char tail;	/* STORE_TAIL_*: how the file ends */
	bool deleted;		/* DELE in this session */
	bool retrieved;		/* RETR in this session: \Seen at QUIT */
	char file[STORE_FILE_LEN + 1];
};

struct popd {
	struct session ss;
	enum popd_state state;
	const char *store_dir;
	struct str user;	/* the store user */
	struct store *store;	/* after login */
	uint32_t inbox_id;
	uint32_t uidvalidity;
	struct popd_msg *msgs;
	size_t nmsgs;
	size_t ndeleted;
	uint64_t deleted_size;
	uint64_t total_size;
	unsigned errors;	/* -ERR answers in a row; too many closes */
	unsigned long commands;
	int slot_ip, slot_user;	/* lib/base/slots.h locks, or -1 */
	int client_fd;		/* the client's connection (or the TLS
				 * relay's socket), from pop3-login */
	bool adopted;		/* ss is open */
};

/* popd_session - serve one POP3 connection to the end. */
void popd_session(int fd, const struct server_listener *l, void *ctx);

/* Replies: "+OK text" / "-ERR text"; -ERR answers in a row count
 * toward popd_error_limit. */
void popd_ok(struct popd *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void popd_err(struct popd *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* popd_login.c: popd_adopt - take the session pop3-login hands over on
 * sock and answer its login: true when it is in the TRANSACTION state;
 * false to end it (p->adopted: ss is open and must be closed). */
bool popd_adopt(struct popd *p, int sock, const struct server_listener *l);
/* popd_caps - the CAPA lines (each ending CRLF) after login. */
void popd_caps(const struct popd *p, struct str *out);

/* popd_maildrop.c: the snapshot and the TRANSACTION commands on it. */
/* popd_maildrop_load - take the INBOX snapshot: 0, or -1 with err. */
int popd_maildrop_load(struct popd *p, struct str *err);
void popd_maildrop_free(struct popd *p);
/* popd_open - open the file of message m: an fd, or -1 with err and
 * errno (ENOENT: purged since the snapshot). */
int popd_open(struct popd *p, const struct popd_msg *m, struct str *err);
/* popd_msg - message number arg (text) of the snapshot, not deleted:
 * the message, or NULL after answering -ERR. */
struct popd_msg *popd_msg(struct popd *p, const char *arg);
void popd_cmd_stat(struct popd *p, const char *args);
void popd_cmd_list(struct popd *p, const char *args);
void popd_cmd_uidl(struct popd *p, const char *args);
void popd_cmd_dele(struct popd *p, const char *args);
void popd_cmd_rset(struct popd *p, const char *args);
/* popd_update - the UPDATE state (RFC 1939 6): expunge what DELE marked
 * and mark what RETR sent \Seen, all in one transaction.  0, or -1 with
 * err (then nothing changed). */
int popd_update(struct popd *p, size_t *expunged, struct str *err);
/* popd_uidl - the unique id of message m (stable forever: UIDVALIDITY
 * and UID of INBOX). */
void popd_uidl(const struct popd *p, const struct popd_msg *m,
    struct str *out);

/* popd_retr.c: message text, dot-stuffed. */
void popd_cmd_retr(struct popd *p, const char *args);
void popd_cmd_top(struct popd *p, const char *args);

#endif
