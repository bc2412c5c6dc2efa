/*
 * hdr - an RFC 5322 header section, field by field: the one walker that
 * cleanup, lmtpd and the MIME parser share.
 *
 * A field runs from its first line through every following line that
 * starts with a blank (folding, RFC 5322 2.2.3).  Nothing is copied: a
 * field points into the section.  The walker judges nothing: a line
 * without a colon comes back with colon false and the whole line as its
 * name, and a section that starts with a continuation line gives a
 * first field whose raw text starts with a blank; what either means is
 * the caller's to say.
 */
#ifndef ROOST_HDR_H
#define ROOST_HDR_H

#include <stdbool.h>
#include <stddef.h>

/* One field: name (blanks before the colon dropped), value (after the
 * colon, still folded, without the final line end) and raw (the whole
 * field with its line end). */
struct hdr_field {
	const char *name, *val, *raw;
	size_t nlen, vlen, rlen;
	bool colon;	/* false: a line that is not a field */
};

/* hdr_next - the field at *pos in s[..end), advancing *pos past it;
 * false at end.  The colon is the first one in any line of the field. */
bool hdr_next(const char *s, size_t end, size_t *pos, struct hdr_field *f);
/* hdr_name_is - whether s[0..n) is name, ignoring case. */
bool hdr_name_is(const char *s, size_t n, const char *name);
/* hdr_is_end - whether f is the empty line that ends a section (with
 * whatever folded lines a broken message put after it). */
bool hdr_is_end(const struct hdr_field *f);

#endif
