/*
 * alloc - memory allocation that never returns NULL to callers.
 *
 * On exhaustion the process logs and exits 111 through log_fatal(),
 * which first runs the daemon's die hook (smtpd answers 421 4.3.0
 * there); callers therefore never test for NULL.  A size computation
 * that would overflow is our bug, not the environment's: log_panic()
 * aborts for a core.
 */
#ifndef ROOST_ALLOC_H
#define ROOST_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray - resize to nmemb * size bytes, checking the product. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* size_add / size_mul - overflow-checked size arithmetic; die on overflow. */
size_t size_add(size_t a, size_t b);
size_t size_mul(size_t a, size_t b);

#endif
