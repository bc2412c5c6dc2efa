/*
 * str - growable byte strings; see str.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "str.h"

void
str_free(struct str *sa)
{
	free(sa->s);
	sa->s = NULL;
	sa->len = sa->cap = 0;
}

void
str_ready(struct str *sa, size_t n)
{
	size_t need = size_add(size_add(sa->len, n), 1);
	size_t cap;

	if (need <= sa->cap)
		return;
	cap = sa->cap ? sa->cap : 32;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	sa->s = xrealloc(sa->s, cap);
	sa->cap = cap;
}

void
str_truncate(struct str *sa, size_t len)
{
	if (len < sa->len) {
		sa->len = len;
		sa->s[len] = '\0';
	}
}

void
str_catb(struct str *sa, const void *buf, size_t n)
{
	str_ready(sa, n);
	if (n)	/* memmove: str_copyb may be given a part of sa itself */
		memmove(sa->s + sa->len, buf, n);
	sa->len += n;
	sa->s[sa->len] = '\0';
}

void
str_cats(struct str *sa, const char *s)
{
	str_catb(sa, s, strlen(s));
}

void
str_catc(struct str *sa, char c)
{
	str_catb(sa, &c, 1);
}

void
str_cat(struct str *sa, const struct str *other)
{
	/* other may be sa itself: grow first, so the source is not freed
	 * by the realloc under str_catb. */
	str_ready(sa, other->len);
	str_catb(sa, other->s, other->len);
}

void
str_copyb(struct str *sa, const void *buf, size_t n)
{
	sa->len = 0;
	str_catb(sa, buf, n);
}

void
str_copys(struct str *sa, const char *s)
{
	str_copyb(sa, s, strlen(s));
}

void
str_vcatf(struct str *sa, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	str_ready(sa, 64);
	va_copy(aq, ap);
	n = vsnprintf(sa->s + sa->len, sa->cap - sa->len, fmt, aq);
	va_end(aq);
	if (n < 0)
		log_panic("str_vcatf: bad format '%s'", fmt);
	if ((size_t)n >= sa->cap - sa->len) {
		str_ready(sa, (size_t)n);
		n = vsnprintf(sa->s + sa->len, sa->cap - sa->len, fmt, ap);
	}
	sa->len += (size_t)n;
}

void
str_catf(struct str *sa, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	str_vcatf(sa, fmt, ap);
	va_end(ap);
}

void
str_copyf(struct str *sa, const char *fmt, ...)
{
	va_list ap;

	sa->len = 0;
	va_start(ap, fmt);
	str_vcatf(sa, fmt, ap);
	va_end(ap);
}

const char *
str_cstr(const struct str *sa)
{
	return sa->s ? sa->s : "";
}

bool
str_eqs(const struct str *sa, const char *s)
{
	size_t n = strlen(s);

	return sa->len == n && (n == 0 || memcmp(sa->s, s, n) == 0);
}

size_t
str_chomp(struct str *sa)
{
	size_t before = sa->len;

	if (sa->len && sa->s[sa->len - 1] == '\n') {
		sa->len--;
		if (sa->len && sa->s[sa->len - 1] == '\r')
			sa->len--;
		sa->s[sa->len] = '\0';
	}
	return before - sa->len;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
str_trim(struct str *sa)
{
	size_t i = 0;

	while (sa->len && blank(sa->s[sa->len - 1]))
		sa->len--;
	while (i < sa->len && blank(sa->s[i]))
		i++;
	if (i)
		memmove(sa->s, sa->s + i, sa->len - i);
	sa->len -= i;
	if (sa->s)
		sa->s[sa->len] = '\0';
}

char *
str_steal(struct str *sa)
{
	char *s;

	str_ready(sa, 0);
	s = sa->s;
	sa->s = NULL;
	sa->len = sa->cap = 0;
	return s;
}

int
str_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}
