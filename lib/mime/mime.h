/*
 * mime - an RFC 5322 + MIME (RFC 2045-2049) message parser for IMAP
 * FETCH and SEARCH, and the IMAP renderings built from it (ENVELOPE,
 * BODY, BODYSTRUCTURE, BODY[section], BINARY[section]).
 *
 * The parser never fails: whatever the input, it yields a part tree
 * that covers the octets (a missing or broken boundary makes the rest
 * of the part its last body part; a header without the empty line ends
 * at the end of the part).  It refers to the caller's bytes, which must
 * outlive the struct mime; it never copies the message.  Line ends may
 * be CRLF or LF (the store's files are CRLF; line counts and offsets
 * are of the bytes given).
 *
 * Limits: nesting of multiparts and message/rfc822 beyond MIME_DEPTH_MAX
 * is taken as an opaque leaf; at most MIME_PARTS_MAX parts per message
 * (the rest goes into the last part's body); header lines of any length.
 */
#ifndef ROOST_MIME_H
#define ROOST_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "str.h"

#define MIME_DEPTH_MAX 32
#define MIME_PARTS_MAX 10000

struct mime;

/* mime_parse - parse msg[0..len); never NULL. */
struct mime *mime_parse(const char *msg, size_t len);
void mime_free(struct mime **m);

/* ---- IMAP renderings (RFC 3501 7.4.2, RFC 9051 7.5.2) ----
 * Appended to out as IMAP syntax: strings quoted when they can be,
 * literals {n}\r\n... otherwise, NIL for absent values.  The output
 * matches Dovecot 2.3: types, subtypes, encodings and parameter names
 * and values keep the case of the message (defaults are lower case,
 * "text" "plain" ("charset" "us-ascii") "7bit"); RFC 2231 continuations
 * are joined.  mime_imap.c lists the few deliberate differences. */

/* mime_envelope - the "(date subject from sender reply-to to cc bcc
 * in-reply-to message-id)" list of the top-level message; sender and
 * reply-to default to from as the RFC says.  Like Dovecot, the last
 * Date, Subject, In-Reply-To and Message-ID count, and address fields
 * that occur more than once are joined into one list. */
void mime_envelope(const struct mime *m, struct str *out);
/* mime_bodystructure - BODYSTRUCTURE with extension data (extended) or
 * the non-extensible BODY form: the parenthesised "body" of RFC 3501,
 * ready to follow "BODYSTRUCTURE ". */
void mime_bodystructure(const struct mime *m, bool extended,
    struct str *out);

/* mime_section - the octets of BODY[spec], spec being the text between
 * the brackets, case-insensitive: "" (whole message), "HEADER", "TEXT",
 * "HEADER.FIELDS (A B)", "HEADER.FIELDS.NOT (A B)", "1", "1.2.MIME",
 * "2.HEADER", "3.TEXT", "1.HEADER.FIELDS (X)".  Appended to out.
 * 0 done (a part that does not exist gives empty output, as Dovecot
 * does), -1 the spec is malformed (err says why). */
int mime_section(const struct mime *m, const char *spec, struct str *out,
    struct str *err);

/* mime_binary - BINARY[part]: the content of the leaf part "1.2" ("" is
 * the body of a non-multipart message), Content-Transfer-Encoding
 * (base64, quoted-printable, 7bit, 8bit, binary) undone.  Appended to
 * out.  0 done (a part that does not exist gives empty output; a
 * message/rfc822 part gives its message, decoded), -1 malformed part
 * spec or a multipart (err), -2 an encoding we cannot undo (the caller
 * answers [UNKNOWN-CTE]). */
int mime_binary(const struct mime *m, const char *part, struct str *out,
    struct str *err);

/* ---- SEARCH support ---- */

/* mime_header - every field `name` (case-insensitive) of the top-level
 * header, unfolded and with RFC 2047 encoded words decoded to UTF-8,
 * appended to out one per line ("\n" between); 1 when the field exists
 * (even empty), 0 when not. */
int mime_header(const struct mime *m, const char *name, struct str *out);
/* mime_headers_text - the whole top-level header decoded like
 * mime_header (field names kept), for SEARCH TEXT. */
void mime_headers_text(const struct mime *m, struct str *out);
/* mime_body_text - the text of every text/\* part (and the top part of a
 * non-MIME message) with transfer encoding undone and charset converted
 * to UTF-8 (unknown charsets: bytes as they are), parts joined with
 * "\n"; for SEARCH BODY and TEXT.  Other parts are skipped. */
void mime_body_text(const struct mime *m, struct str *out);
/* mime_date - the Date field as a time (RFC 5322 3.3, with the obsolete
 * forms); 0 and *t = 0 when there is none or it does not parse, else 1. */
int mime_date(const struct mime *m, time_t *t);

/* ---- pieces, exported for their own tests and for other users ---- */

/* mime_decode_words - RFC 2047 encoded words in in[0..n) to UTF-8 into
 * out (appended); text that is not an encoded word is copied. */
void mime_decode_words(const char *in, size_t n, struct str *out);
/* mime_month - the month named by the three letters at s ("Jan" ..
 * "Dec", any case): 0 .. 11, or -1. */
int mime_month(const char *s);
/* mime_parse_date - an RFC 5322 date-time: 0 and *t, or -1. */
int mime_parse_date(const char *s, size_t n, time_t *t);
/* mime_quote - append s[0..n) as an IMAP string: "quoted" (with \" and
 * \\ escaped) when it has no CR, LF, NUL or 8-bit octets and is at most
 * 1024 octets, else a literal {n}\r\n followed by the octets. */
void mime_quote(struct str *out, const char *s, size_t n);
/* mime_nstring - mime_quote, or NIL when s is NULL. */
void mime_nstring(struct str *out, const char *s, size_t n);

#endif
