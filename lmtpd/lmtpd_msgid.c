/*
 * lmtpd_msgid - find the Message-ID, and the key a duplicate is
 * recognised by.  Pure (no I/O), so the unit test links it.
 *
 * The first Message-ID field wins; its value is unfolded (RFC 5322
 * 2.2.3), and blanks at either end and just inside '<' and '>' go, so
 * "< a@b >" and "<a@b>" are one key.  Anything else is kept as is:
 * a key is only compared, never parsed further.
 *
 * The duplicate key adds the From address and the Date: anyone can
 * send a message with a Message-ID they expect, but to have the real
 * one dropped they would have to match its sender and its date to the
 * second too, while the same post through two lists keeps all three
 * (list managers add footers and subject tags, so not the body).
 */
#include <ctype.h>
#include <string.h>

#include "hdr.h"
#include "lmtpd.h"

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
lmtpd_msgid(const char *head, size_t len, struct str *out)
{
	struct str v = STR_INIT;
	struct hdr_field f;
	size_t i, pos = 0;

	str_clear(out);
	while (hdr_next(head, len, &pos, &f) && !hdr_is_end(&f))
		if (f.colon && hdr_name_is(f.name, f.nlen, "Message-ID")) {
			str_copyb(&v, f.val, f.vlen);
			break;
		}
	for (i = 0; i < v.len; i++) {
		if (blank(v.s[i])) {
			/* a blank after '<' or before '>' or at an end */
			size_t k = i;

			while (k < v.len && blank(v.s[k]))
				k++;
			if (out->len == 0 || out->s[out->len - 1] == '<' ||
			    k == v.len || v.s[k] == '>') {
				i = k - 1;
				continue;
			}
			str_catc(out, ' ');
			i = k - 1;
			continue;
		}
		str_catc(out, v.s[i]);
	}
	str_free(&v);
	if (out->len == 0 || out->len > LMTPD_MSGID_MAX ||
	    memchr(out->s, '\0', out->len) != NULL) {
		str_clear(out);
		return -1;
	}
	return 0;
}

/* first_value - the first field name's value, unfolded, each run of
 * blanks made one space, trimmed; empty when there is none. */
static void
first_value(const char *head, size_t len, const char *name, struct str *out)
{
	struct hdr_field f;
	size_t i, pos = 0;

	str_clear(out);
	while (hdr_next(head, len, &pos, &f) && !hdr_is_end(&f))
		if (f.colon && hdr_name_is(f.name, f.nlen, name)) {
			for (i = 0; i < f.vlen; i++) {
				if (!blank(f.val[i]))
					str_catc(out, f.val[i]);
				else if (out->len > 0 &&
				    out->s[out->len - 1] != ' ')
					str_catc(out, ' ');
			}
			break;
		}
	while (out->len > 0 && out->s[out->len - 1] == ' ')
		str_truncate(out, out->len - 1);
}

/* from_addr - the address of a From value: what the last "<...>"
 * holds, else the value up to a comment; lower case. */
static void
from_addr(struct str *v)
{
	char *lt = strrchr(str_cstr(v), '<'), *gt;
	size_t i;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		size_t n = (size_t)(gt - lt - 1);

		memmove(v->s, lt + 1, n);
		str_truncate(v, n);
	} else if (v->len > 0 && (lt = strchr(v->s, '(')) != NULL) {
		str_truncate(v, (size_t)(lt - v->s));
		while (v->len > 0 && v->s[v->len - 1] == ' ')
			str_truncate(v, v->len - 1);
	}
	for (i = 0; i < v->len; i++)
		v->s[i] = (char)tolower((unsigned char)v->s[i]);
}

int
lmtpd_dupkey(const char *head, size_t len, struct str *out)
{
	struct str v = STR_INIT;

	if (lmtpd_msgid(head, len, out) < 0)
		return -1;
	first_value(head, len, "From", &v);
	from_addr(&v);
	str_catc(out, '\x01');
	str_cat(out, &v);
	first_value(head, len, "Date", &v);
	str_catc(out, '\x01');
	str_cat(out, &v);
	str_free(&v);
	if (memchr(out->s, '\0', out->len) != NULL) {
		str_clear(out);
		return -1;
	}
	return 0;
}
