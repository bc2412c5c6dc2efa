/*
 * lmtpd_msgid - find the Message-ID a duplicate is recognised by.
 * Pure (no I/O), so the unit test compiles it in.
 *
 * The first Message-ID field wins; its value is unfolded (RFC 5322
 * 2.2.3), and blanks at either end and just inside '<' and '>' go, so
 * "< a@b >" and "<a@b>" are one key.  Anything else is kept as is:
 * a key is only compared, never parsed further.
 */
#include <string.h>
#include <strings.h>

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
	size_t i = 0, n, eol;
	const char *nl;

	str_clear(out);
	while (i < len) {
		nl = memchr(head + i, '\n', len - i);
		eol = nl ? (size_t)(nl - head) : len;
		if (eol == i || (eol == i + 1 && head[i] == '\r'))
			break; /* the end of the header */
		n = 10; /* strlen("Message-ID") */
		if (eol - i > n &&
		    strncasecmp(head + i, "Message-ID", n) == 0) {
			size_t j = i + n;

			while (j < eol && (head[j] == ' ' || head[j] == '\t'))
				j++;
			if (j < eol && head[j] == ':') {
				str_catb(&v, head + j + 1, eol - j - 1);
				/* continuation lines */
				for (i = eol + 1; i < len &&
				     (head[i] == ' ' || head[i] == '\t');
				     i = eol + 1) {
					nl = memchr(head + i, '\n', len - i);
					eol = nl ? (size_t)(nl - head) : len;
					str_catb(&v, head + i, eol - i);
				}
				break;
			}
		}
		i = eol + 1;
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
