/* test-str - the growable string type. */
#include <string.h>

#include "str.h"
#include "tap.h"

int
main(void)
{
	struct str a = STR_INIT, b = STR_INIT;
	char *p;
	int i;

	is_str(str_cstr(&a), "", "empty string reads as \"\"");
	str_cats(&a, "hello");
	str_catc(&a, ' ');
	str_catb(&a, "world!!", 5);
	is_str(a.s, "hello world", "cat functions append");
	is_int(a.len, 11, "length counts bytes");
	str_catb(&a, "\0x", 2);
	is_int(a.len, 13, "binary-safe append of NUL");
	ok(a.s[a.len] == '\0', "spare NUL kept after binary data");
	str_truncate(&a, 5);
	is_str(a.s, "hello", "truncate");
	str_truncate(&a, 50);
	is_int(a.len, 5, "truncate longer is a no-op");
	str_copyf(&b, "%d-%s", 42, "x");
	is_str(b.s, "42-x", "copyf");
	for (i = 0; i < 1000; i++)
		str_catf(&b, "%04d", i);
	is_int(b.len, 4 + 4000, "catf grows past the first buffer");
	ok(memcmp(b.s + b.len - 4, "0999", 4) == 0, "catf content at the end");
	str_copys(&a, "line\r\n");
	is_int(str_chomp(&a), 2, "chomp CRLF removes two bytes");
	is_str(a.s, "line", "chomp result");
	str_copys(&a, "line\n");
	is_int(str_chomp(&a), 1, "chomp LF");
	str_copys(&a, "  \t pad me \r\n");
	str_trim(&a);
	is_str(a.s, "pad me", "trim both ends");
	ok(str_eqs(&a, "pad me") && !str_eqs(&a, "pad"), "eqs");
	str_cat(&a, &a);
	is_str(a.s, "pad mepad me", "cat of itself");
	p = str_steal(&a);
	is_str(p, "pad mepad me", "steal hands over the buffer");
	ok(a.s == NULL && a.len == 0, "steal leaves the string empty");
	free(p);
	str_free(&b);
	str_free(&b);
	ok(b.s == NULL, "free twice is harmless");
	str_clear(&b);
	ok(b.len == 0, "clear of an empty string");
	return done_testing();
}
