/*
 * lmtpd_msgid - find the Message-ID a duplicate is recognised by.
 * Pure (no I/O), so the unit test links it.
 *
 * The first Message-ID field wins; its value is unfolded (RFC 5322
 * 2.2.3), and blanks at either end and just inside '<' and '>' go, so
 * "< a@b >" and "<a@b>" are one key.  Anything else is kept as is:
 * a key is only compared, never parsed further.
 */
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
