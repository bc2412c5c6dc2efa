/*
 * hdr - an RFC 5322 header section, field by field (hdr.h).
 */
#include <string.h>
#include <strings.h>

#include "hdr.h"

#define NONE ((size_t)-1)

bool
hdr_name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

bool
hdr_is_end(const struct hdr_field *f)
{
	return f->rlen > 0 && (f->raw[0] == '\n' ||
	    (f->raw[0] == '\r' && f->rlen > 1 && f->raw[1] == '\n'));
}

bool
hdr_next(const char *s, size_t end, size_t *pos, struct hdr_field *f)
{
	size_t i = *pos, colon = NONE, eol;
	const char *lf;

	if (i >= end)
		return false;
	f->name = f->raw = s + i;
	/* the field runs until a line that does not start with WSP */
	for (;;) {
		lf = memchr(s + i, '\n', end - i);
		eol = lf ? (size_t)(lf - s) : end;
		if (colon == NONE) {
			const char *c = memchr(s + i, ':', eol - i);

			if (c)
				colon = (size_t)(c - s);
		}
		i = lf ? eol + 1 : end;
		if (i >= end || (s[i] != ' ' && s[i] != '\t'))
			break;
	}
	f->rlen = i - *pos;
	/* the value stops before the final line end */
	eol = i;
	if (eol > *pos && s[eol - 1] == '\n')
		eol--;
	if (eol > *pos && s[eol - 1] == '\r')
		eol--;
	f->colon = colon != NONE;
	if (colon == NONE) {
		f->nlen = eol - *pos;
		f->val = s + eol;
		f->vlen = 0;
	} else {
		size_t ne = colon;

		while (ne > *pos && (s[ne - 1] == ' ' || s[ne - 1] == '\t'))
			ne--;
		f->nlen = ne - *pos;
		f->val = s + colon + 1;
		f->vlen = eol > colon ? eol - colon - 1 : 0;
	}
	*pos = i;
	return true;
}
