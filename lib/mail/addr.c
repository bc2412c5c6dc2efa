/*
 * addr - RFC 5321 path and mailbox parsing; see addr.h.
 */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"

/* utf8_seq - length of the well-formed UTF-8 sequence at s (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF), 0 if none. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned c = s[0], lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int
is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* non_ascii - a UTF-8 sequence at s when allowed; its length or 0. */
static size_t
non_ascii(const char *s, size_t n, unsigned flags)
{
	if ((unsigned char)*s < 0x80 || !(flags & ADDR_UTF8))
		return 0;
	return utf8_seq((const unsigned char *)s, n);
}

/* local_part - Dot-string or Quoted-string; bytes used or 0. */
static size_t
local_part(const char *s, size_t n, unsigned flags, struct str *err)
{
	size_t i = 0, k;

	if (n > 0 && s[0] == '"') {
		for (i = 1; i < n && s[i] != '"'; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '\\') {
				if (++i >= n || s[i] < 32 || s[i] > 126) {
					str_copys(err, "bad quoted pair");
					return 0;
				}
			} else if ((k = non_ascii(s + i, n - i, flags)) > 0)
				i += k - 1;
			else if (c < 32 || c > 126) {
				str_copys(err, "bad character in quoted "
				    "local part");
				return 0;
			}
		}
		if (i >= n) {
			str_copys(err, "unclosed quoted local part");
			return 0;
		}
		return i + 1;
	}
	for (;;) {
		size_t start = i;

		while (i < n) {
			if (is_atext((unsigned char)s[i]))
				i++;
			else if ((k = non_ascii(s + i, n - i, flags)) > 0)
				i += k;
			else
				break;
		}
		if (i == start) {
			str_copys(err, i == 0 ? "missing local part" :
			    "bad dot in local part");
			return 0;
		}
		if (i >= n || s[i] != '.')
			return i;
		i++;
	}
}

/* domain_name - sub-domain *("." sub-domain); 0 or -1. */
static int
domain_name(const char *s, size_t n, unsigned flags, struct str *err)
{
	size_t i = 0, k;

	if (n == 0) {
		str_copys(err, "missing domain");
		return -1;
	}
	for (;;) {
		size_t start = i;

		while (i < n) {
			if (is_letdig((unsigned char)s[i]) || s[i] == '-')
				i++;
			else if ((k = non_ascii(s + i, n - i, flags)) > 0)
				i += k;
			else
				break;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-') {
			str_copys(err, "bad domain label");
			return -1;
		}
		if (i - start > 63) {
			str_copys(err, "domain label too long");
			return -1;
		}
		if (i == n)
			return 0;
		if (s[i] != '.' || ++i == n) {
			str_copys(err, "bad character in domain");
			return -1;
		}
	}
}

/* address_literal - "[" IPv4 / "IPv6:" IPv6 "]"; general literals have
 * no registered tag, so none is valid. */
static int
address_literal(const char *s, size_t n, struct str *err)
{
	char tmp[64];
	unsigned char bin[16];
	int v6 = 0;

	if (n < 2 || s[n - 1] != ']') {
		str_copys(err, "unclosed address literal");
		return -1;
	}
	s++;
	n -= 2;
	if (n > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
		v6 = 1;
	}
	if (n == 0 || n >= sizeof tmp) {
		str_copys(err, "bad address literal");
		return -1;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	/* inet_pton takes exactly the dotted quad and the RFC 4291 text
	 * forms, which is what RFC 5321 4.1.3 describes. */
	if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, bin) != 1) {
		str_copys(err, "bad address literal");
		return -1;
	}
	/* RFC 5321 IPv6-comp: "::" stands for at least two groups, so at
	 * most six are written (an IPv4 tail counts as two). */
	if (v6 && strstr(tmp, "::") != NULL) {
		size_t i, groups = 0;

		for (i = 0; tmp[i]; i++)
			if (tmp[i] != ':' && (i == 0 || tmp[i - 1] == ':'))
				groups++;
		if (strchr(tmp, '.'))
			groups++;
		if (groups > 6) {
			str_copys(err, "\"::\" must stand for two or more "
			    "groups");
			return -1;
		}
	}
	return 0;
}

int
addr_check_mailbox(const char *s, size_t len, unsigned flags,
    struct str *err)
{
	size_t lp;

	if ((lp = local_part(s, len, flags, err)) == 0)
		return -1;
	if (lp > ADDR_LOCAL_MAX) {
		str_copys(err, "local part too long");
		return -1;
	}
	if (lp >= len || s[lp] != '@') {
		str_copys(err, lp >= len ? "missing domain" :
		    "bad character in local part");
		return -1;
	}
	s += lp + 1;
	len -= lp + 1;
	if (len > ADDR_DOMAIN_MAX) {
		str_copys(err, "domain too long");
		return -1;
	}
	if (len > 0 && s[0] == '[')
		return address_literal(s, len, err);
	return domain_name(s, len, flags, err);
}

/* path_end - index of the '>' that ends the path, skipping quoted
 * strings; n if none. */
static size_t
path_end(const char *s, size_t n)
{
	size_t i;
	int q = 0;

	for (i = 1; i < n; i++) {
		if (q && s[i] == '\\')
			i++;
		else if (s[i] == '"')
			q = !q;
		else if (!q && s[i] == '>')
			return i;
	}
	return n;
}

int
addr_parse_path(const char *s, size_t len, unsigned flags,
    struct str *out, size_t *used, struct str *err)
{
	size_t end, i = 1;

	str_clear(out);
	if (len == 0 || s[0] != '<') {
		str_copys(err, "path must be in angle brackets");
		return -1;
	}
	if ((end = path_end(s, len)) == len) {
		str_copys(err, "unclosed path");
		return -1;
	}
	if (end + 1 > ADDR_PATH_MAX) {
		str_copys(err, "path too long");
		return -1;
	}
	*used = end + 1;
	if (end == 1) {
		if (flags & ADDR_NULL_OK)
			return 0;
		str_copys(err, "null path not allowed here");
		return -1;
	}
	/* A-d-l = At-domain *( "," At-domain ) ":" */
	if (s[1] == '@') {
		for (;;) {
			size_t j = ++i;

			while (i < end && s[i] != ',' && s[i] != ':')
				i++;
			if (i == end || (j < end && s[j] == '[') ||
			    domain_name(s + j, i - j, flags, err) < 0) {
				str_copys(err, "bad source route");
				return -1;
			}
			if (s[i] == ':')
				break;
			if (++i >= end || s[i] != '@') {
				str_copys(err, "bad source route");
				return -1;
			}
		}
		i++;
	}
	if (addr_check_mailbox(s + i, end - i, flags, err) < 0)
		return -1;
	str_copyb(out, s + i, end - i);
	return 0;
}

const char *
addr_domain(const char *mailbox)
{
	const char *at = strrchr(mailbox, '@');

	return at ? at + 1 : "";
}
