/*
 * base64 - RFC 4648 base64, strict, for SASL exchanges (RFC 4422 wants
 * a malformed response refused, not guessed at).
 */
#ifndef ROOST_BASE64_H
#define ROOST_BASE64_H

#include <stddef.h>

#include "str.h"

/* base64_encode - append the encoding of p[0..n) to out. */
void base64_encode(const void *p, size_t n, struct str *out);
/* base64_decode - append the decoding of s[0..n) to out: 0, or -1 when
 * s is not canonical base64 (bad character, length or padding). */
int base64_decode(const char *s, size_t n, struct str *out);

/* base64_decode_lenient - the same for message bodies (RFC 2045 6.8):
 * characters outside the alphabet are skipped and the data ends at the
 * first "=", so that broken mail decodes as far as it can. */
void base64_decode_lenient(const char *s, size_t n, struct str *out);

#endif
