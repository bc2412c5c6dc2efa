/*
 * imap_search - SEARCH criteria (RFC 3501 6.4.4, RFC 9051 6.4.4,
 * RFC 7162 MODSEQ) parsed into a tree and evaluated per message.
 *
 * Every search key of RFC 3501/9051 is understood: ALL, ANSWERED, BCC,
 * BEFORE, BODY, CC, DELETED, DRAFT, FLAGGED, FROM, HEADER, KEYWORD,
 * LARGER, NEW, NOT, OLD, ON, OR, RECENT, SEEN, SENTBEFORE, SENTON,
 * SENTSINCE, SINCE, SMALLER, SUBJECT, TEXT, TO, UID, UNANSWERED,
 * UNDELETED, UNDRAFT, UNFLAGGED, UNKEYWORD, UNSEEN, a sequence set, a
 * parenthesized list, and MODSEQ [entry-name entry-type] n.  Keys are
 * case-insensitive; string keys match as case-insensitive substrings of
 * the decoded (UTF-8) text; dates compare by day in the server's
 * timezone for BEFORE/ON/SINCE (internal date) and by the Date field's
 * own day for SENT*.  The charset and RETURN options are the caller's:
 * it strips them before calling imap_search_parse.
 */
#ifndef IMAP_SEARCH_H
#define IMAP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "imap_parse.h"
#include "mime.h"
#include "str.h"

struct imap_search;

/* The most keys one search may have: each may cost a pass over every
 * message's text. */
#define IMAP_SEARCH_KEYS_MAX 1000

/* What evaluation sees of one message. */
struct imap_search_msg {
	uint32_t seq, uid;
	unsigned flags;		/* STORE_F_* */
	const char *keywords;	/* space-separated */
	uint64_t modseq;
	time_t internaldate;
	uint64_t size;
	/* content - the parsed message, loaded on first need; NULL when it
	 * cannot be read (then content keys do not match). */
	const struct mime *(*content)(void *ctx);
	/* header - optional: the field decoded as mime_header() gives it,
	 * from somewhere cheaper than the content (1 found, 0 absent), or
	 * -1 to have it taken from the content. */
	int (*header)(void *ctx, const char *name, struct str *out);
	void *ctx;
};

/* imap_search_parse - args[0..n) as one search-key list (an implicit
 * AND): 0 and *q, or -1 with a reason in err.  Nesting is bounded by
 * depth_max. */
int imap_search_parse(const struct imap_arg *args, size_t n,
    unsigned depth_max, struct imap_search **q, struct str *err);
void imap_search_free(struct imap_search **q);

/* imap_search_prepare - give '*' its values (the highest sequence
 * number and UID in the mailbox) before evaluating; call again when
 * they change.  When "$" (SEARCHRES) is used, saved is the saved UID
 * set (may be NULL: empty). */
void imap_search_prepare(struct imap_search *q, uint32_t max_seq,
    uint32_t max_uid, const struct imap_seqset *saved_uids);
bool imap_search_match(const struct imap_search *q,
    const struct imap_search_msg *m);
/* imap_search_needs_content - whether any key looks at headers or body
 * (the caller can skip loading messages otherwise). */
bool imap_search_needs_content(const struct imap_search *q);
/* imap_search_has_modseq - whether the MODSEQ key is used (the result
 * then carries "(MODSEQ n)", RFC 7162 3.1.5). */
bool imap_search_has_modseq(const struct imap_search *q);

#endif
