/*
 * imap_parse - reading IMAP commands off the wire into an argument tree
 * (RFC 3501 9 / RFC 9051 9 grammar, RFC 7888 literals), and sequence
 * sets.
 *
 * A command is read whole before it runs: the line, and for each
 * literal {n} (synchronizing: "+ Ready" is sent first), {n+} (LITERAL+)
 * or ~{n} (literal8, RFC 3516) its octets and the rest of the line.  The
 * parser then turns the text into a tree of atoms, strings (quoted or
 * literal), NIL and parenthesized lists.
 *
 * Atoms: an atom that opens '[' runs to the matching ']' whatever it
 * holds (spaces and parentheses too), so "BODY[HEADER.FIELDS (A B)]<0.10>"
 * is one atom; atoms otherwise stop at SP, '(', ')', '"', CR, LF, '{'
 * and at ')' closing a list.  "NIL" is an atom; imap_arg_nil() tells.
 *
 * Limits (struct imap_limits): the length of each line and of the
 * command's text in all, each literal, the sum of literals, and list
 * nesting.  A synchronizing literal over the limit is refused before
 * its octets are sent (the client gets "tag NO [TOOBIG]" and the
 * session goes on); a non-synchronizing one over the limit is read and
 * thrown away up to discard_max, past which the connection has to be
 * closed (IMAP_READ_FATAL).
 *
 * A sink (struct imap_sink) keeps big messages out of memory: the
 * literals of APPEND that would take the command's literal octets in
 * memory past the sink's min go to it while they are read, and the tree
 * holds an empty string that names the sink's copy (imap_arg.sunk).
 * The NUL check of a literal that is not a literal8 is made on the way.
 */
#ifndef IMAP_PARSE_H
#define IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "str.h"

enum imap_arg_type {
	IMAP_ARG_ATOM,
	IMAP_ARG_STRING,	/* quoted string or literal */
	IMAP_ARG_LIST,
};

struct imap_arg {
	enum imap_arg_type type;
	bool literal;		/* STRING: came as a literal */
	bool literal8;		/* STRING: came as ~{n} */
	char *s;		/* ATOM/STRING: octets, NUL-terminated */
	size_t len;
	int sunk;		/* STRING: the sink's number for a literal it
				 * took (s is "", len 0); -1: none */
	struct imap_arg *list;	/* LIST: the elements */
	size_t n;
};

struct imap_limits {
	size_t line_max;	/* one line, CRLF included */
	size_t text_max;	/* the command's lines together */
	size_t literal_max;	/* one literal in a command other than APPEND */
	size_t append_max;	/* one literal in APPEND (APPENDLIMIT) */
	size_t literals_max;	/* all literals of one command together */
	size_t discard_max;	/* refused non-sync literal we still swallow */
	unsigned depth_max;	/* list nesting */
	unsigned min_rate;	/* octets/s a literal must keep up, after */
	int grace_ms;		/* this long; min_rate 0: no bound */
};

#define IMAP_LITERAL_GRACE_MS 60000	/* imapd's grace_ms */

#define IMAP_SINK_MIN 65536	/* imapd's sink's min */

/*
 * imap_sink - where APPEND literals go when they would not fit in
 * memory: open starts one and gives its number, write gives it the
 * octets in order, close says they are all there.  Each returns NULL,
 * or the text for "tag NO text" (a string that outlives the command);
 * then the rest of the command is read and thrown away.  The reader
 * never drops what the sink took: the sink's owner does, after every
 * command whatever came of it.
 */
struct imap_sink {
	size_t min;		/* APPEND literal octets kept in memory */
	void *arg;
	const char *(*open)(void *arg, int *no);
	const char *(*write)(void *arg, int no, const void *p, size_t n);
	const char *(*close)(void *arg, int no);
};

struct imap_cmd {
	char tag[65];		/* "" when the line had none */
	char verb[32];		/* upper-cased; "UID" for UID commands */
	struct imap_arg *args;	/* the arguments after the verb */
	size_t nargs;
	/* internal: the storage behind the tree */
	struct str text;
	struct imap_arg *pool;
	size_t npool, cappool;
	struct str lits;
	const struct imap_sink *sink;	/* NULL: every literal in memory */
	struct imap_sunk {
		size_t off;	/* where its octets would be in text */
		int no;		/* the sink's number */
	} *sunk;
	size_t nsunk, capsunk;
};

enum imap_read_rc {
	IMAP_READ_OK,
	IMAP_READ_BAD,		/* answer "tag BAD reason" (or "* BAD" when
				 * tag is ""); the session goes on */
	IMAP_READ_NO,		/* "tag NO [TOOBIG] reason"; goes on */
	IMAP_READ_FATAL,	/* "* BYE reason" and close */
	IMAP_READ_EOF,
	IMAP_READ_TIMEOUT,
};

void imap_cmd_init(struct imap_cmd *c);
void imap_cmd_free(struct imap_cmd *c);

/* imap_cmd_read - read and parse the next command from b; the reason
 * for anything but IMAP_READ_OK/EOF/TIMEOUT in err. */
enum imap_read_rc imap_cmd_read(struct buf *b, struct imap_cmd *c,
    const struct imap_limits *lim, struct str *err);

/* imap_cmd_parse - parse a complete command held in memory (the line
 * and literal octets as sent, with sync literals' continuations
 * implied): for tests and for reading commands from other sources. */
enum imap_read_rc imap_cmd_parse(const char *text, size_t len,
    struct imap_cmd *c, const struct imap_limits *lim, struct str *err);

/* Helpers on arguments. */
bool imap_arg_nil(const struct imap_arg *a);
/* imap_arg_astring - an atom or a string (NIL is an atom here). */
bool imap_arg_astring(const struct imap_arg *a);
/* imap_arg_is - an atom equal to word, case-insensitively. */
bool imap_arg_is(const struct imap_arg *a, const char *word);
/* imap_arg_number - an atom of digits within 0..max: 0 and *v, or -1. */
int imap_arg_number(const struct imap_arg *a, uint64_t max, uint64_t *v);

/* ---- sequence sets (RFC 3501 9 "sequence-set", RFC 9051) ----
 * '*' is kept as IMAP_STAR until imap_seqset_resolve gives it a value.
 * "$" (SEARCHRES) parses to an empty set with dollar set. */
#define IMAP_STAR UINT32_MAX

struct imap_range {
	uint32_t lo, hi;
};

struct imap_seqset {
	struct imap_range *r;
	size_t n, cap;
	bool dollar;
};

/* imap_seqset_parse - "1,3:5,7:*" into set (emptied first): 0, or -1
 * when malformed (zero, empty element, trailing comma, junk). */
int imap_seqset_parse(const char *s, struct imap_seqset *set);
/* imap_seqset_resolve - replace '*' by star (the highest number in use;
 * 0 when the mailbox is empty), order each range low..high, sort and
 * merge, so that imap_seqset_has can bisect. */
void imap_seqset_resolve(struct imap_seqset *set, uint32_t star);
bool imap_seqset_has(const struct imap_seqset *set, uint32_t v);
void imap_seqset_add(struct imap_seqset *set, uint32_t lo, uint32_t hi);
void imap_seqset_free(struct imap_seqset *set);
/* imap_seqset_format - ascending values v[0..n) (duplicates allowed)
 * appended to out in compact form ("1:3,7"); nothing when n is 0. */
void imap_seqset_format(const uint32_t *v, size_t n, struct str *out);

/* ---- output ---- */

/* imap_put_astring - s as an atom when it is one, else as
 * mime_quote() writes it (quoted, or a literal). */
void imap_put_astring(struct str *out, const char *s, size_t n);

#endif
