/*
 * store_mutf7 - mailbox names: modified UTF-7 (RFC 3501 5.1.3) to UTF-8
 * and back, and what the store accepts as a name.
 */
#include <stdint.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "str.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* utf8_next - decode one code point at *p (strictly: no overlong forms,
 * no surrogates, at most U+10FFFF), advancing *p; -1 when invalid. */
static int32_t
utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0], min;
	int n, i;

	if (c < 0x80) {
		*p = s + 1;
		return (int32_t)c;
	}
	if ((c & 0xe0) == 0xc0)
		n = 1, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 2, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 3, c &= 0x07, min = 0x10000;
	else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*p = s + n + 1;
	return (int32_t)c;
}

static void
utf8_put(struct str *out, uint32_t c)
{
	if (c < 0x80)
		str_catc(out, (char)c);
	else if (c < 0x800) {
		str_catc(out, (char)(0xc0 | c >> 6));
		str_catc(out, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		str_catc(out, (char)(0xe0 | c >> 12));
		str_catc(out, (char)(0x80 | (c >> 6 & 0x3f)));
		str_catc(out, (char)(0x80 | (c & 0x3f)));
	} else {
		str_catc(out, (char)(0xf0 | c >> 18));
		str_catc(out, (char)(0x80 | (c >> 12 & 0x3f)));
		str_catc(out, (char)(0x80 | (c >> 6 & 0x3f)));
		str_catc(out, (char)(0x80 | (c & 0x3f)));
	}
}

int
store_utf8_to_mutf7(const char *in, struct str *out)
{
	const unsigned char *p = (const unsigned char *)in;
	uint32_t bits = 0;
	int nbits = 0;
	bool open = false;

	str_clear(out);
	if (in == NULL)
		return -1;
	while (*p != '\0') {
		int32_t c = utf8_next(&p);

		if (c < 0)
			return -1;
		if (c >= 0x20 && c <= 0x7e) {
			if (open) {
				if (nbits > 0)
					str_catc(out,
					    b64[(bits << (6 - nbits)) & 0x3f]);
				str_catc(out, '-');
				open = false;
				nbits = 0;
			}
			if (c == '&')
				str_cats(out, "&-");
			else
				str_catc(out, (char)c);
			continue;
		}
		if (!open) {
			str_catc(out, '&');
			open = true;
			bits = 0;
			nbits = 0;
		}
		{
			uint32_t u[2];
			int nu = 1, i;

			if (c >= 0x10000) {
				c -= 0x10000;
				u[0] = 0xd800 | ((uint32_t)c >> 10);
				u[1] = 0xdc00 | ((uint32_t)c & 0x3ff);
				nu = 2;
			} else
				u[0] = (uint32_t)c;
			for (i = 0; i < nu; i++) {
				bits = bits << 16 | u[i];
				nbits += 16;
				while (nbits >= 6) {
					nbits -= 6;
					str_catc(out,
					    b64[(bits >> nbits) & 0x3f]);
				}
				bits &= (1u << nbits) - 1;
			}
		}
	}
	if (open) {
		if (nbits > 0)
			str_catc(out, b64[(bits << (6 - nbits)) & 0x3f]);
		str_catc(out, '-');
	}
	return 0;
}

static int
b64_val(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return -1;
	return (int)(p - b64);
}

static int
decode(const char *in, struct str *out)
{
	const unsigned char *p = (const unsigned char *)in;

	str_clear(out);
	while (*p != '\0') {
		uint32_t bits = 0, hi = 0;
		int nbits = 0, v;

		if (*p < 0x20 || *p > 0x7e)
			return -1;
		if (*p != '&') {
			str_catc(out, (char)*p++);
			continue;
		}
		p++;
		if (*p == '-') {
			str_catc(out, '&');
			p++;
			continue;
		}
		if (*p == '\0')
			return -1;
		for (; *p != '-'; p++) {
			if ((v = b64_val(*p)) < 0)
				return -1;
			bits = bits << 6 | (uint32_t)v;
			nbits += 6;
			if (nbits >= 16) {
				uint32_t u;

				nbits -= 16;
				u = (bits >> nbits) & 0xffff;
				bits &= (1u << nbits) - 1;
				if (u >= 0xd800 && u <= 0xdbff) {
					if (hi != 0)
						return -1;
					hi = u;
					continue;
				}
				if (u >= 0xdc00 && u <= 0xdfff) {
					if (hi == 0)
						return -1;
					u = 0x10000 + ((hi - 0xd800) << 10) +
					    (u - 0xdc00);
					hi = 0;
				} else if (hi != 0)
					return -1;
				/* printable ASCII must not be encoded */
				if (u >= 0x20 && u <= 0x7e)
					return -1;
				utf8_put(out, u);
			}
		}
		p++;	/* '-' */
		if (hi != 0 || nbits >= 6 || bits != 0)
			return -1;
	}
	return 0;
}

int
store_mutf7_to_utf8(const char *in, struct str *out)
{
	struct str back = STR_INIT;
	int rc;

	if (in == NULL) {
		str_clear(out);
		return -1;
	}
	/* Only the canonical encoding is valid (no split or empty runs). */
	rc = decode(in, out);
	if (rc == 0 && (store_utf8_to_mutf7(out->s == NULL ? "" : out->s,
	    &back) < 0 || strcmp(str_cstr(&back), in) != 0))
		rc = -1;
	if (rc < 0)
		str_clear(out);
	str_free(&back);
	return rc;
}

bool
store_name_valid(const char *name)
{
	const unsigned char *p = (const unsigned char *)name, *level;
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 || n > STORE_NAME_MAX)
		return false;
	level = p;
	for (;;) {
		const unsigned char *at = p;
		int32_t c;

		if (*p == '/' || *p == '\0') {
			size_t len = (size_t)(at - level);

			if (len == 0)
				return false;	/* empty level */
			if ((len == 1 && level[0] == '.') ||
			    (len == 2 && level[0] == '.' && level[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			level = ++p;
			continue;
		}
		if ((c = utf8_next(&p)) < 0)
			return false;
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
		    c == '*' || c == '%' || c == 0x2028 || c == 0x2029 ||
		    c == 0xfeff)
			return false;
	}
}
