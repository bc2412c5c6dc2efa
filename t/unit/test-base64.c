/* test-base64 - RFC 4648 vectors, strictness, and round trips. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "tap.h"

int
main(void)
{
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *const bad[] = {
		"Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm9v!", "Zm 9v",
		"Zg==Zg==", "=Zg=", "Zm9vYg=a", "\x80\x80\x80\x80",
	};
	struct str s = STR_INIT;
	unsigned char raw[256];
	size_t i, n;
	int round_ok = 1;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		str_clear(&s);
		base64_encode(vec[i][0], strlen(vec[i][0]), &s);
		is_str(str_cstr(&s), vec[i][1], "encode '%s'", vec[i][0]);
		str_clear(&s);
		ok(base64_decode(vec[i][1], strlen(vec[i][1]), &s) == 0 &&
		    s.len == strlen(vec[i][0]) &&
		    memcmp(str_cstr(&s), vec[i][0], s.len) == 0,
		    "decode '%s'", vec[i][1]);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		str_copys(&s, "kept");
		ok(base64_decode(bad[i], strlen(bad[i]), &s) == -1 &&
		    str_eqs(&s, "kept"), "refuse '%s', output unchanged",
		    bad[i]);
	}
	srand(7);
	for (n = 0; n < 2000; n++) {
		struct str e = STR_INIT, d = STR_INIT;
		size_t len = (size_t)rand() % sizeof raw;

		for (i = 0; i < len; i++)
			raw[i] = (unsigned char)rand();
		base64_encode(raw, len, &e);
		if (base64_decode(e.s ? e.s : "", e.len, &d) != 0 ||
		    d.len != len || (len && memcmp(d.s, raw, len) != 0))
			round_ok = 0;
		str_free(&e);
		str_free(&d);
	}
	ok(round_ok, "2000 random round trips");
	str_clear(&s);
	base64_decode_lenient("Zm9v\r\nYm\001Fy!==junk", 18, &s);
	is_str(str_cstr(&s), "foobar", "lenient: junk skipped, ends at =");
	str_clear(&s);
	base64_decode_lenient("Zm9vYg", 6, &s);
	is_str(str_cstr(&s), "foob", "lenient: missing padding");
	str_free(&s);
	return done_testing();
}
