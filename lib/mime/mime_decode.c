/*
 * mime_decode - content transfer encodings (RFC 2045 6), RFC 2047
 * encoded words and charset conversion to UTF-8 (iconv).
 *
 * Decoders are lenient: what does not decode is skipped (base64) or
 * kept as it is (quoted-printable, unknown charsets), because SEARCH
 * and BINARY should do their best with broken mail rather than fail.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "mime_int.h"

/* mime_qp_decode - quoted-printable (RFC 2045 6.7), or the Q encoding
 * of RFC 2047 4.2 where "_" is a space and there are no soft breaks. */
void
mime_qp_decode(const char *s, size_t n, bool q_encoding, struct str *out)
{
	size_t i, ws;

	str_ready(out, n);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '_' && q_encoding) {
			str_catc(out, ' ');
		} else if (c == '=' && i + 2 < n && str_hexval(s[i + 1]) >= 0 &&
		    str_hexval(s[i + 2]) >= 0) {
			str_catc(out, (char)(str_hexval(s[i + 1]) * 16 +
			    str_hexval(s[i + 2])));
			i += 2;
		} else if (c == '=' && !q_encoding) {
			/* soft line break: "=" then blanks then the line end */
			ws = i + 1;
			while (ws < n && (s[ws] == ' ' || s[ws] == '\t'))
				ws++;
			if (ws < n && s[ws] == '\r' && ws + 1 < n &&
			    s[ws + 1] == '\n')
				i = ws + 1;
			else if (ws < n && s[ws] == '\n')
				i = ws;
			else if (ws == n)
				i = n;
			else
				str_catc(out, c);
		} else if ((c == ' ' || c == '\t') && !q_encoding) {
			/* trailing blanks on a line were added in transport */
			ws = i;
			while (ws < n && (s[ws] == ' ' || s[ws] == '\t'))
				ws++;
			if (ws == n || s[ws] == '\r' || s[ws] == '\n')
				i = ws - 1;
			else
				str_catb(out, s + i, ws - i);
			i = ws - 1;
		} else
			str_catc(out, c);
	}
}

int
mime_cte_decode(const char *cte, size_t clen, const char *s, size_t n,
    struct str *out)
{
	if (cte == NULL || clen == 0 || hdr_name_is(cte, clen, "7bit") ||
	    hdr_name_is(cte, clen, "8bit") ||
	    hdr_name_is(cte, clen, "binary"))
		str_catb(out, s, n);
	else if (hdr_name_is(cte, clen, "base64"))
		base64_decode_lenient(s, n, out);
	else if (hdr_name_is(cte, clen, "quoted-printable"))
		mime_qp_decode(s, n, false, out);
	else
		return -2;
	return 0;
}

static bool
is_utf8_name(const char *cs, size_t n)
{
	return hdr_name_is(cs, n, "utf-8") || hdr_name_is(cs, n, "utf8") ||
	    hdr_name_is(cs, n, "us-ascii") || hdr_name_is(cs, n, "ascii");
}

void
mime_to_utf8(const char *cs, size_t clen, const char *s, size_t n,
    struct str *out)
{
	char name[64], *in, *o;
	size_t il, ol, start;
	iconv_t cd;

	if (n == 0)
		return;
	if (cs == NULL || clen == 0 || clen >= sizeof(name) ||
	    is_utf8_name(cs, clen)) {
		str_catb(out, s, n);
		return;
	}
	memcpy(name, cs, clen);
	name[clen] = '\0';
	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1) {
		str_catb(out, s, n);
		return;
	}
	in = (char *)(uintptr_t)s;
	il = n;
	while (il > 0) {
		str_ready(out, il * 4 + 16);
		start = out->len;
		o = out->s + start;
		ol = out->cap - start - 1;
		if (iconv(cd, &in, &il, &o, &ol) != (size_t)-1) {
			out->len = (size_t)(o - out->s);
			break;
		}
		out->len = (size_t)(o - out->s);
		if (errno == E2BIG)
			continue;
		/* invalid or truncated input: U+FFFD and go on */
		str_cats(out, "\xef\xbf\xbd");
		in++;
		il--;
	}
	out->s[out->len] = '\0';
	iconv_close(cd);
}

void
mime_unfold(const char *s, size_t n, struct str *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n')
			str_catc(out, s[i]);
}

/* encoded_word - "=?charset?e?text?=" at s[i..n): its parts and end. */
static bool
encoded_word(const char *s, size_t n, size_t i, size_t *cs, size_t *csl,
    char *enc, size_t *tx, size_t *txl, size_t *end)
{
	size_t j, q1, q2;

	if (i + 8 > n || s[i] != '=' || s[i + 1] != '?')
		return false;
	for (j = i + 2; j < n && s[j] != '?'; j++)
		if (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' ||
		    s[j] == '\n')
			return false;
	if (j + 3 >= n || s[j + 2] != '?')
		return false;
	q1 = j;
	*enc = s[j + 1];
	if (*enc != 'q' && *enc != 'Q' && *enc != 'b' && *enc != 'B')
		return false;
	for (q2 = j + 3; q2 + 1 < n; q2++) {
		if (s[q2] == '?' && s[q2 + 1] == '=')
			break;
		if (s[q2] == ' ' || s[q2] == '\t' || s[q2] == '\r' ||
		    s[q2] == '\n')
			return false;
	}
	if (q2 + 1 >= n)
		return false;
	*cs = i + 2;
	*csl = q1 - (i + 2);
	/* RFC 2231 5: charset*language */
	for (j = *cs; j < q1; j++)
		if (s[j] == '*') {
			*csl = j - *cs;
			break;
		}
	*tx = q1 + 3;
	*txl = q2 - *tx;
	*end = q2 + 2;
	return true;
}

void
mime_decode_words(const char *in, size_t n, struct str *out)
{
	struct str raw = STR_INIT;
	size_t i = 0, cs = 0, csl = 0, tx, txl, end, pend_cs = 0, pend_csl = 0;
	bool pending = false;
	char enc;

	while (i < n) {
		size_t j = i;

		/* white space between two encoded words is dropped (6.2) */
		if (pending) {
			while (j < n && (in[j] == ' ' || in[j] == '\t' ||
			    in[j] == '\r' || in[j] == '\n'))
				j++;
		}
		if (encoded_word(in, n, j, &cs, &csl, &enc, &tx, &txl, &end)) {
			/* same charset: join the octets first, a character
			 * may be split across words */
			if (pending && (csl != pend_csl ||
			    strncasecmp(in + cs, in + pend_cs, csl) != 0)) {
				mime_to_utf8(in + pend_cs, pend_csl, raw.s,
				    raw.len, out);
				str_clear(&raw);
			}
			if (enc == 'b' || enc == 'B')
				base64_decode_lenient(in + tx, txl, &raw);
			else
				mime_qp_decode(in + tx, txl, true, &raw);
			pending = true;
			pend_cs = cs;
			pend_csl = csl;
			i = end;
			continue;
		}
		if (pending) {
			mime_to_utf8(in + pend_cs, pend_csl, raw.s, raw.len,
			    out);
			str_clear(&raw);
			pending = false;
		}
		str_catc(out, in[i]);
		i++;
	}
	if (pending)
		mime_to_utf8(in + pend_cs, pend_csl, raw.s, raw.len, out);
	str_free(&raw);
}
