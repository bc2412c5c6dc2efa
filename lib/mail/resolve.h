/*
 * resolve - where mail for an address goes: the local domains with
 * aliases(5) and system accounts, virtual domains with per-address
 * aliases and catch-all, users' forwarding, and +detail extensions.
 *
 * Order for an address user[+detail]@domain (domain lowercased; a bare
 * local part means a local domain):
 *   1. virtual_alias_maps: the whole address, then user@domain without
 *      the extension, then the catch-all @domain;
 *   2. local domains (myhostname, localhost, mydestination): aliases for
 *      the local part (then without extension), then a roost user
 *      "local-part", then (local_system_users) a system account;
 *   3. virtual domains (users.db): the user "local-part@domain";
 *   4. any other domain is remote.
 * A user with forward= expands to those addresses (and to the mailbox
 * too with keep=1).  Expansion recurses (alias to alias, :include:
 * lists) to at most RESOLVE_DEPTH levels with loop detection; an alias
 * that names itself delivers to the mailbox of that name, as in
 * sendmail.
 */
#ifndef ROOST_RESOLVE_H
#define ROOST_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "str.h"

#define RESOLVE_DEPTH 20
#define RESOLVE_MAX_TARGETS 10000	/* a larger expansion fails */

enum resolve_rc {
	RESOLVE_OK = 0,
	RESOLVE_UNKNOWN = 1,	/* no such user in a domain of ours: 5.1.1 */
	RESOLVE_REMOTE = 2,	/* resolve_verify: not one of our domains */
	RESOLVE_PERM = 3,	/* permanent failure other than unknown
				 * (loop, too many targets, forbidden
				 * command/file): why says which */
	RESOLVE_TEMP = -1,	/* table unreadable etc.: try again later */
};

enum resolve_kind {
	RESOLVE_MAILBOX,	/* to: store user; detail: the extension */
	RESOLVE_FORWARD,	/* to: a remote address (outbound) */
	RESOLVE_COMMAND,	/* to: the command line after '|' */
	RESOLVE_FILE,		/* to: the absolute path */
	RESOLVE_FAILED,		/* to: a member of a list that is unknown
				 * (5.1.1); why: the reason.  The other
				 * members are still delivered */
};

struct resolve_target {
	enum resolve_kind kind;
	struct str to;
	struct str detail;
	uid_t uid;		/* COMMAND/FILE: the account it runs as */
	gid_t gid;
	struct str via;		/* the alias (or user) that produced it */
	struct str why;		/* RESOLVE_FAILED: the reason */
	bool repeat;		/* COMMAND written ":repeat:|cmd": safe to
				 * run again when its outcome is unknown */
};

struct resolver;

/* What a resolver works from: the values of roost.conf's keys of the
 * same names (hostname: myhostname or the system's), as
 * resolve_conf_from_cfg() takes them; a test may fill its own. */
struct resolve_conf {
	const char *base_dir;	/* relative paths below are taken from it */
	const char *data_dir;	/* users.db */
	const char *alias_maps, *virtual_alias_maps;	/* "": none */
	const char *hostname;
	const char *mydestination, *recipient_delimiter, *default_privs;
	bool local_system_users;
	bool allow_commands, allow_files, allow_includes;
};

void resolve_conf_from_cfg(struct resolve_conf *c);
/* resolver_open - a resolver working from c (copied); resolver_open_cfg
 * - one from the loaded configuration.  Tables are reopened when
 * rebuilt. */
struct resolver *resolver_open(const struct resolve_conf *c);
struct resolver *resolver_open_cfg(void);
void resolver_close(struct resolver **r);

/* resolver_local_domain - whether domain is one of the local domains;
 * resolver_our_domain - local or a virtual domain in users.db
 * (-1 on a table error). */
bool resolver_local_domain(struct resolver *r, const char *domain);
int resolver_our_domain(struct resolver *r, const char *domain,
    struct str *why);

/* resolve_verify - for smtpd's RCPT check: RESOLVE_OK (deliverable
 * here), RESOLVE_UNKNOWN, RESOLVE_REMOTE or RESOLVE_TEMP. */
int resolve_verify(struct resolver *r, const char *addr, struct str *why);

/* resolve_mailbox - for lmtpd: the store user (and extension) an
 * address delivers to, without alias expansion or forwarding (the MTA
 * in front did that).  RESOLVE_OK, RESOLVE_UNKNOWN or RESOLVE_TEMP. */
int resolve_mailbox(struct resolver *r, const char *addr, struct str *user,
    struct str *detail, struct str *why);

/* resolve_expand - for qmgr: every final target of addr into *out
 * (*n of them; free with resolve_targets_free).  RESOLVE_OK, or
 * RESOLVE_UNKNOWN / RESOLVE_PERM / RESOLVE_TEMP with why. */
int resolve_expand(struct resolver *r, const char *addr,
    struct resolve_target **out, size_t *n, struct str *why);
void resolve_targets_free(struct resolve_target *t, size_t n);

#endif
