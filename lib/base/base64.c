/*
 * base64 - see base64.h.
 */
#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
base64_encode(const void *p, size_t n, struct str *out)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned long v = (unsigned long)b[i] << 16 |
		    (unsigned long)b[i + 1] << 8 | b[i + 2];

		str_catc(out, alphabet[v >> 18 & 63]);
		str_catc(out, alphabet[v >> 12 & 63]);
		str_catc(out, alphabet[v >> 6 & 63]);
		str_catc(out, alphabet[v & 63]);
	}
	if (n - i == 1) {
		str_catc(out, alphabet[b[i] >> 2]);
		str_catc(out, alphabet[(b[i] & 3) << 4]);
		str_cats(out, "==");
	} else if (n - i == 2) {
		str_catc(out, alphabet[b[i] >> 2]);
		str_catc(out, alphabet[(b[i] & 3) << 4 | b[i + 1] >> 4]);
		str_catc(out, alphabet[(b[i + 1] & 15) << 2]);
		str_catc(out, '=');
	}
}

static int
value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
base64_decode(const char *s, size_t n, struct str *out)
{
	size_t i, start = out->len;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		int v[4], k, pad = 0;

		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = value(s[i + k])) < 0)
				goto bad;
		}
		/* Canonical: the bits the padding drops must be zero. */
		if ((pad == 1 && (v[2] & 3) != 0) ||
		    (pad == 2 && (v[1] & 15) != 0))
			goto bad;
		str_catc(out, (char)(v[0] << 2 | v[1] >> 4));
		if (pad < 2)
			str_catc(out, (char)((v[1] & 15) << 4 | v[2] >> 2));
		if (pad < 1)
			str_catc(out, (char)((v[2] & 3) << 6 | v[3]));
	}
	return 0;
bad:
	str_truncate(out, start);
	return -1;
}

void
base64_decode_lenient(const char *s, size_t n, struct str *out)
{
	unsigned long acc = 0;
	int bits = 0, v;
	size_t i;

	str_ready(out, n / 4 * 3 + 3);
	for (i = 0; i < n && s[i] != '='; i++) {
		if ((v = value(s[i])) < 0)
			continue;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			str_catc(out, (char)(acc >> bits & 0xff));
		}
	}
}
