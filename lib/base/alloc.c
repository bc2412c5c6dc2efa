/*
 * alloc - allocation wrappers; see alloc.h.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"

static void
nomem(size_t n)
{
	log_fatal("out of memory allocating %zu bytes", n);
}

size_t
size_add(size_t a, size_t b)
{
	size_t r;

	if (__builtin_add_overflow(a, b, &r))
		log_panic("size overflow: %zu + %zu", a, b);
	return r;
}

size_t
size_mul(size_t a, size_t b)
{
	size_t r;

	if (__builtin_mul_overflow(a, b, &r))
		log_panic("size overflow: %zu * %zu", a, b);
	return r;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		nomem(n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		nomem(size_mul(nmemb, size));
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		nomem(n);
	return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	return xrealloc(p, size_mul(nmemb, size));
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(size_add(len, 1));

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
