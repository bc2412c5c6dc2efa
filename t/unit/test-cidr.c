/* test-cidr - mynetworks lists: parsing, checking and matching. */
#include <string.h>

#include "cidr.h"
#include "tap.h"

static int
check(const char *v)
{
	struct str err = STR_INIT;
	int r = cidr_check(v, &err);

	if (r < 0 && err.len == 0)
		r = -2;	/* a refusal must say why */
	str_free(&err);
	return r;
}

static int
match(const char *list, const char *addr)
{
	struct cidr_list l = CIDR_LIST_INIT;
	struct str err = STR_INIT;
	int r;

	if (cidr_parse(list, &l, &err) < 0)
		r = -1;
	else
		r = cidr_match(&l, addr);
	cidr_free(&l);
	str_free(&err);
	return r;
}

int
main(void)
{
	struct cidr_list l = CIDR_LIST_INIT;
	struct str err = STR_INIT;

	is_int(check("127.0.0.0/8 [::1]/128"), 0, "the default");
	is_int(check(""), 0, "empty list");
	is_int(check("10.0.0.0/8,192.168.0.0/16 , 2001:db8::/32"), 0,
	    "commas and blanks, bare IPv6");
	is_int(check("[2001:db8::]/32 [::1]"), 0, "bracketed IPv6");
	is_int(check("192.0.2.7"), 0, "single address");
	is_int(check("0.0.0.0/0 ::/0"), 0, "everything");
	is_int(check("10.1.2.3/8"), -1, "host bits set refused");
	is_int(check("10.0.0.0/33"), -1, "IPv4 prefix over 32");
	is_int(check("[::1]/129"), -1, "IPv6 prefix over 128");
	is_int(check("10.0.0.0/"), -1, "empty prefix");
	is_int(check("10.0.0.0/x"), -1, "non-numeric prefix");
	is_int(check("example.com"), -1, "names refused");
	is_int(check("10.0.0"), -1, "short address");
	is_int(check("[10.0.0.1]"), -1, "IPv4 in brackets refused");
	is_int(check("[::1"), -1, "unclosed bracket");
	ok(cidr_parse("1.2.3.4 bad", &l, &err) < 0 &&
	    strstr(err.s, "bad") != NULL, "reason names the bad entry");

	is_int(match("127.0.0.0/8 [::1]/128", "127.0.0.1"), 1, "loopback");
	is_int(match("127.0.0.0/8 [::1]/128", "127.255.1.2"), 1, "in /8");
	is_int(match("127.0.0.0/8 [::1]/128", "128.0.0.1"), 0, "outside");
	is_int(match("127.0.0.0/8 [::1]/128", "::1"), 1, "IPv6 loopback");
	is_int(match("127.0.0.0/8 [::1]/128", "::2"), 0, "other IPv6");
	is_int(match("127.0.0.0/8", "::ffff:127.0.0.1"), 1,
	    "IPv4-mapped matches IPv4 entry");
	is_int(match("192.168.1.128/25", "192.168.1.200"), 1, "/25 inside");
	is_int(match("192.168.1.128/25", "192.168.1.127"), 0, "/25 outside");
	is_int(match("2001:db8::/32", "2001:db8:ffff::1"), 1, "IPv6 /32");
	is_int(match("2001:db8::/33", "2001:db8:8000::1"), 0, "IPv6 /33");
	is_int(match("0.0.0.0/0", "203.0.113.9"), 1, "/0 matches all IPv4");
	is_int(match("0.0.0.0/0", "2001:db8::1"), 0, "/0 IPv4 not IPv6");
	is_int(match("", "127.0.0.1"), 0, "empty list matches nothing");
	is_int(match("127.0.0.1", "unix"), 0, "not an address");
	is_int(match("127.0.0.1", "unknown"), 0, "unknown peer");
	cidr_free(&l);
	str_free(&err);
	return done_testing();
}
