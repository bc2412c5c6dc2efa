/*
 * mime_int - declarations shared by the mime_*.c files; not for users
 * of mime.h.
 *
 * The part tree is a flat array in pre-order (parts are created in
 * message order); links are indexes, MIME_NONE for none.  Every offset
 * is into the caller's message and lies within [0, len].
 */
#ifndef ROOST_MIME_INT_H
#define ROOST_MIME_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "hdr.h"
#include "mime.h"
#include "str.h"

#define MIME_NONE ((size_t)-1)

enum mime_kind {
	MIME_LEAF,	/* anything without parsed children */
	MIME_MULTI,	/* multipart with a boundary: children are its parts */
	MIME_MSG	/* message/rfc822: one child, the encapsulated message */
};

struct mime_part {
	size_t hdr_off, hdr_len;	/* header, with its empty line if any */
	size_t body_off, body_len;
	size_t lines;			/* LFs in the body */
	size_t parent, child, next;
	size_t last;			/* last child, for appending */
	size_t blineno;			/* LFs before body_off */
	size_t end_min;			/* after its close delimiter line */
	unsigned depth;
	unsigned char kind;
	bool digest;	/* multipart/digest: children default to rfc822 */
	bool in_digest;	/* parent is a digest */
	bool opaque;	/* multipart or rfc822 kept whole (depth limit) */
	bool no_parts;	/* multipart type, but no parts can be found */
};

struct mime {
	const char *msg;
	size_t len;
	struct mime_part *p;
	size_t n, cap;
};

/* mime_field_find - the first field `name` of part p's header. */
bool mime_field_find(const struct mime *m, const struct mime_part *p,
    const char *name, struct hdr_field *f);

/* A Content-Type or Content-Disposition value.  Parameter values are
 * unquoted; RFC 2231 continuations are joined under their base name
 * ("name*" when any piece is extended). */
struct mime_param {
	const char *name;
	size_t nlen;
	struct str val;
};
struct mime_ct {
	const char *type, *sub;
	size_t tlen, slen;
	bool has_sub;
	struct mime_param *p;
	size_t n, cap;
};
/* mime_ct_parse (mime_field.c) - "type/sub; params" (with_sub) or
 * "type; params".  A Content-Type with junk after its subtype, or
 * without a type, comes back with empty type and subtype. */
void mime_ct_parse(const char *v, size_t n, bool with_sub,
    struct mime_ct *ct);
void mime_ct_free(struct mime_ct *ct);
/* mime_ct_param - the value of the first parameter `name`, or NULL. */
const struct str *mime_ct_param(const struct mime_ct *ct, const char *name);
/* mime_part_ct - part p's content type with the defaults applied
 * (text/plain, or message/rfc822 in a digest). */
void mime_part_ct(const struct mime *m, const struct mime_part *p,
    struct mime_ct *ct);
bool mime_ct_is(const struct mime_ct *ct, const char *type, const char *sub);

/* mime_cfws - index of the first octet at or after i that is not
 * white space, a line end or inside a (nested) comment. */
size_t mime_cfws(const char *s, size_t n, size_t i);
/* mime_trim - [*b, *e) without leading and trailing white space. */
void mime_trim(const char *s, size_t *b, size_t *e);

void mime_qp_decode(const char *s, size_t n, bool q_encoding,
    struct str *out);
/* mime_cte_decode - undo encoding `cte` (NULL: none): 0, or -2 for an
 * encoding we do not know. */
int mime_cte_decode(const char *cte, size_t clen, const char *s, size_t n,
    struct str *out);
/* mime_to_utf8 - s[0..n) in charset cs to UTF-8; an unknown charset
 * copies the octets as they are, a bad sequence becomes U+FFFD. */
void mime_to_utf8(const char *cs, size_t clen, const char *s, size_t n,
    struct str *out);
/* mime_unfold - drop the CRLF of folded lines. */
void mime_unfold(const char *s, size_t n, struct str *out);

/* Addresses (mime_addr.c): an IMAP address list "((...)...)" or NIL. */
void mime_addr_list(const char *s, size_t n, struct str *out);
/* mime_quote_human (mime_imap.c) - like Dovecot for names and
 * subjects: white space runs become one space; any change makes it a
 * literal. */
void mime_quote_human(struct str *out, const char *s, size_t n);

#endif
