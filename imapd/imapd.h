/*
 * imapd - shared declarations of the IMAP server.
 *
 * One worker process serves one session at a time (lib/daemon/server.c),
 * from login on: imap-login speaks to the client until it has logged
 * in and hands it over (imapd_login.c); struct imapd is its state.  Command handlers take the
 * parsed command, write untagged responses and the tagged completion
 * into st->ss.b themselves, and return.  After each command the
 * session loop reports what changed in the selected mailbox where RFC
 * 3501 7.4.1 allows (imapd_sync).
 */
#ifndef IMAPD_H
#define IMAPD_H

#include <stdbool.h>
#include <stdint.h>

#include "authc.h"
#include "imap_parse.h"
#include "server.h"
#include "session.h"
#include "store.h"

/* Sessions come from imap-login, over login_dir/imapd. */
#define IMAPD_ROLE_LOGIN "login"

/* Nesting of lists and of SEARCH keys we accept. */
#define IMAPD_DEPTH_MAX 32

enum imapd_state {
	IMAPD_NOAUTH,
	IMAPD_AUTH,
	IMAPD_SELECTED,
	IMAPD_LOGOUT,
};

/* A message of the selected mailbox as this session knows it: the
 * sequence number is its index + 1. */
struct imapd_msg {
	uint32_t uid;
	unsigned flags;		/* STORE_F_*, as last reported */
	char *keywords;		/* as last reported; NULL: none */
	uint64_t modseq;	/* as last reported */
	bool recent;		/* \Recent belongs to this session */
	bool gone;		/* expunged, not yet reported */
};

struct imapd {
	struct session ss;
	struct imap_cmd cmd;
	struct imap_limits lim;
	enum imapd_state state;
	const char *store_dir;
	struct store *store;	/* after login */
	struct str user;	/* the store user name, after login */
	int notify_fd;		/* store_notify_open, during IDLE */
	bool utf8;		/* ENABLE UTF8=ACCEPT: names are UTF-8 */
	bool rev2;		/* ENABLE IMAP4rev2 */
	bool condstore;		/* CONDSTORE enabled (RFC 7162 3.1) */
	unsigned bad_commands;	/* in a row; too many closes */
	int slot_ip, slot_user;	/* lib/base/slots.h locks, or -1 */
	int client_fd;		/* the client's connection (or the TLS
				 * relay's socket), from imap-login */
	bool adopted;		/* ss is open */
	/* The tagged completion of the command running: kept back until
	 * the untagged news the command may carry has been written. */
	struct str tagged;

	/* The selected mailbox. */
	struct store_mailbox mb;
	bool readonly;		/* EXAMINE */
	struct imapd_msg *msgs;
	size_t nmsgs, capmsgs;
	uint64_t seen_modseq;	/* changes up to here are reported */
	bool gone_pending;	/* expunges seen but not yet reported */
	struct imap_seqset saved;	/* SEARCHRES "$", UIDs */
	struct str kwlist;	/* keywords announced in FLAGS */

	/* APPEND literals spooled as they are read (imapd_append.c) */
	struct imap_sink sink;
	struct store_spool **spools;
	size_t nspools, capspools;
};

/* imapd_session - serve one session imap-login hands over on fd. */
void imapd_session(int fd, const struct server_listener *l, void *ctx);
/* imapd_caps - the capability list of the authenticated states. */
void imapd_caps(struct imapd *st, struct str *out);

/* imapd_login.c: imapd_adopt - take the session imap-login hands over
 * on sock, and answer its login: true when it is in the authenticated
 * state; false to end it (st->adopted: ss is open and must be closed). */
bool imapd_adopt(struct imapd *st, int sock,
    const struct server_listener *l);

/* ---- replies (imapd_session.c) ---- */
/* imapd_ok/no/bad - the tagged completion for c: "tag OK text". */
void imapd_ok(struct imapd *st, const struct imap_cmd *c, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
void imapd_no(struct imapd *st, const struct imap_cmd *c, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
void imapd_bad(struct imapd *st, const struct imap_cmd *c, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* imapd_store_error - "tag NO [code] text" for a failed store call:
 * TRYCREATE for a missing mailbox, OVERQUOTA, ALREADYEXISTS,
 * NONEXISTENT, SERVERBUG (logged) for STORE_ERR. */
void imapd_store_error(struct imapd *st, const struct imap_cmd *c, int rc,
    const char *what, const struct str *err);

/* ---- mailbox names (imapd_session.c) ---- */
/* imapd_name_in - the mailbox name a client sent, as the store's UTF-8
 * name (modified UTF-7 decoded unless UTF8=ACCEPT is on; "inbox" in any
 * case is INBOX): 0, or -1 when it is not a valid name. */
int imapd_name_in(struct imapd *st, const struct imap_arg *a,
    struct str *name);
/* imapd_name_out - append the store name as the client wants it. */
void imapd_name_out(struct imapd *st, const char *name, struct str *out);

/* ---- the selected mailbox (imapd_select.c) ---- */
void imapd_cmd_select(struct imapd *st, const struct imap_cmd *c);
void imapd_cmd_close(struct imapd *st, const struct imap_cmd *c);
/* imapd_unselect - leave the selected state (no expunge). */
void imapd_unselect(struct imapd *st);
/* imapd_sync - report changes since the last report: new messages
 * (EXISTS, RECENT), flag changes (FETCH), and expunges when
 * allow_expunge (not during FETCH, STORE, SEARCH: RFC 3501 7.4.1).
 * 0, or -1 when the mailbox went away (BYE sent, session ends). */
int imapd_sync(struct imapd *st, bool allow_expunge);
/* imapd_change_begin - called first in a write transaction that
 * changes only flags of the selected mailbox: whether the session had
 * seen every earlier change.  Then, after the commit, the session may
 * set seen_modseq to its own last modseq and skip comparing the whole
 * mailbox at the next imapd_sync (write transactions are serialized,
 * so nothing else came between). */
bool imapd_change_begin(struct imapd *st);
/* imapd_msgset - resolve a sequence set (or UID set when uid) against
 * the view: the indexes into st->msgs, ascending, into *idx (malloc'd)
 * and their count; -1 when malformed (the BAD is sent). */
int imapd_msgset(struct imapd *st, const struct imap_cmd *c,
    const struct imap_arg *a, bool uid, size_t **idx, size_t *n);
/* imapd_flags_out - "(\Seen \Answered kw ...)" for flags and keywords
 * (with \Recent when recent). */
void imapd_flags_out(struct str *out, unsigned flags, const char *keywords,
    bool recent);
/* The system flags a client may store, with their STORE_F_* bits. */
struct imapd_sysflag {
	unsigned bit;
	const char *name;
};
#define IMAPD_SYSFLAGS 5
extern const struct imapd_sysflag imapd_sysflags[IMAPD_SYSFLAGS];
/* imapd_word_in - whether the space-separated list holds w[0..n),
 * case-insensitively (keywords are case-insensitive, RFC 3501 2.3.2). */
bool imapd_word_in(const char *list, const char *w, size_t n);
/* imapd_msg_update - the view's idea of message i after this session
 * changed it (so that imapd_sync does not report it back). */
void imapd_msg_update(struct imapd *st, size_t i, const struct store_msg *m);
/* imapd_keywords_note - announce keywords not yet in FLAGS (a new
 * "* FLAGS" and PERMANENTFLAGS when there are). */
void imapd_keywords_note(struct imapd *st, const char *keywords);
/* imapd_expunged - drop message i from the view and say so. */
void imapd_expunged(struct imapd *st, size_t i);

/* ---- a message's content (imapd_msgdata.c) ---- */
struct mime;

/* Parts of the parse cache entry. */
#define IMAPD_CACHE_ENVELOPE 0
#define IMAPD_CACHE_BODY 1
#define IMAPD_CACHE_BODYSTRUCTURE 2
#define IMAPD_CACHE_FIELDS 3	/* first of the SEARCH fields */

struct imapd_msgdata {
	struct imapd *st;
	const struct store_msg *m;
	int fd;
	char *map;
	size_t size;
	struct mime *mime;
	struct str cache;
	bool have_cache, cache_new, failed;
};

void imapd_msgdata_init(struct imapd_msgdata *d, struct imapd *st,
    const struct store_msg *m);
/* imapd_msgdata_file - map the file: 0, or -1 (logged). */
int imapd_msgdata_file(struct imapd_msgdata *d);
/* imapd_msgdata_bytes - the mapped file (after _file), d->size long. */
const char *imapd_msgdata_bytes(const struct imapd_msgdata *d);
/* imapd_msgdata_mime - the parsed message, or NULL when unreadable. */
const struct mime *imapd_msgdata_mime(struct imapd_msgdata *d);
/* imapd_msgdata_cached - append an IMAPD_CACHE_* rendering ("NIL" when
 * the message cannot be read). */
void imapd_msgdata_cached(struct imapd_msgdata *d, int nth,
    struct str *out);
/* imapd_msgdata_header - append the decoded field as mime_header()
 * would: 1 found, 0 absent, -1 not a cached field (ask the mime). */
int imapd_msgdata_header(struct imapd_msgdata *d, const char *name,
    struct str *out);
/* imapd_msgdata_done - release; a cache entry made meanwhile is added
 * to batch (may be NULL) for imapd_cache_write. */
void imapd_msgdata_done(struct imapd_msgdata *d, struct str *batch);
/* imapd_cache_write - store the batched cache entries in one
 * transaction (after the command's responses). */
void imapd_cache_write(struct imapd *st, const struct str *batch);

/* ---- commands on the selected mailbox ---- */
void imapd_cmd_fetch(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi);				/* imapd_fetch.c */
void imapd_cmd_store(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi);				/* imapd_flags.c */
void imapd_cmd_copy(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi, bool move);			/* imapd_copy.c */
void imapd_cmd_expunge(struct imapd *st, const struct imap_cmd *c,
    bool uid, size_t argi);			/* imapd_copy.c */
void imapd_cmd_search(struct imapd *st, const struct imap_cmd *c, bool uid,
    size_t argi);				/* imapd_searchcmd.c */

/* ---- mailboxes (imapd_list.c, imapd_mailbox.c) ---- */
void imapd_cmd_list(struct imapd *st, const struct imap_cmd *c, bool lsub);
void imapd_cmd_status(struct imapd *st, const struct imap_cmd *c);
void imapd_cmd_namespace(struct imapd *st, const struct imap_cmd *c);
void imapd_cmd_create(struct imapd *st, const struct imap_cmd *c);
void imapd_cmd_delete(struct imapd *st, const struct imap_cmd *c);
void imapd_cmd_rename(struct imapd *st, const struct imap_cmd *c);
void imapd_cmd_subscribe(struct imapd *st, const struct imap_cmd *c,
    bool on);
/* imapd_cmd_append - APPEND / MULTIAPPEND (imapd_append.c). */
void imapd_cmd_append(struct imapd *st, const struct imap_cmd *c);
/* imapd_append_sink - give st->cmd the sink that writes big APPEND
 * literals into spool files while they are read (imap_parse.h). */
void imapd_append_sink(struct imapd *st);
/* imapd_append_drop - remove the spool files of the last command that
 * APPEND did not take (after every command, and at the end). */
void imapd_append_drop(struct imapd *st);

/* ---- waiting (imapd_idle.c) ---- */
void imapd_cmd_idle(struct imapd *st, const struct imap_cmd *c);

#endif
