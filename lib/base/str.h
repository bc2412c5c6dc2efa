/*
 * str - the growable, binary-safe byte string used for all text.
 *
 * A struct str owns its buffer.  s[len] is always a NUL byte (not counted
 * in len), so s may be passed to C string functions when the content has
 * no NUL of its own.  All growth is overflow-checked; allocation never
 * fails (see alloc.h).  Pointers into s are invalidated by any call that
 * may grow the string.
 *
 * A zeroed struct str (STR_INIT) is a valid empty string.
 */
#ifndef ROOST_STR_H
#define ROOST_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct str {
	char *s;
	size_t len;
	size_t cap;	/* bytes allocated, including room for the NUL */
};

#define STR_INIT { NULL, 0, 0 }

/* str_free - release the buffer; the string becomes empty again. */
void str_free(struct str *sa);
/* str_ready - make room for at least n more bytes (plus the NUL). */
void str_ready(struct str *sa, size_t n);
/* str_truncate - cut to len bytes (no-op when already shorter). */
void str_truncate(struct str *sa, size_t len);
static inline void str_clear(struct str *sa) { str_truncate(sa, 0); }

void str_catb(struct str *sa, const void *buf, size_t n);
void str_cats(struct str *sa, const char *s);
void str_catc(struct str *sa, char c);
void str_cat(struct str *sa, const struct str *other);
void str_copyb(struct str *sa, const void *buf, size_t n);
void str_copys(struct str *sa, const char *s);
/* str_catf / str_vcatf - append printf-formatted text. */
void str_catf(struct str *sa, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void str_vcatf(struct str *sa, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void str_copyf(struct str *sa, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* str_cstr - the content as a C string ("" for a never-used string). */
const char *str_cstr(const struct str *sa);
/* str_eq / str_eqs - exact comparison with another string or C string. */
bool str_eqs(const struct str *sa, const char *s);
/* str_chomp - drop a trailing LF or CRLF; returns how many bytes went. */
size_t str_chomp(struct str *sa);
/* str_trim - drop leading and trailing blanks (space, tab, CR, LF). */
void str_trim(struct str *sa);
/* str_hexval - the value of a hexadecimal digit (either case), or -1. */
int str_hexval(char c);
/* str_steal - hand the buffer to the caller (NUL-terminated, never NULL). */
char *str_steal(struct str *sa);

#endif
