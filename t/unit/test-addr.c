/*
 * test-addr - RFC 5321 paths: hand-picked cases, then the is_email test
 * set (Dominic Sayers, BSD licence) from ROOST_ISEMAIL or the shared
 * corpora (tap_corpus).  is_email grades addresses against RFC 5322 as
 * well; an SMTP path must take its VALID, DNSWARN (DNS is not syntax)
 * and RFC5321 categories and refuse ERR, CFWS and DEPREC (no comments
 * or folding in paths) and RFC5322 (forms only a message header may
 * carry: general domain literals, over-long parts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

static int
path_ok(const char *p, unsigned flags, const char *want)
{
	struct str out = STR_INIT, err = STR_INIT;
	size_t used = 0;
	int r = addr_parse_path(p, strlen(p), flags, &out, &used, &err);

	if (r == 0 && want && strcmp(out.s ? out.s : "", want) != 0)
		r = -2;
	if (r == 0 && used != strlen(p))
		r = -3;
	str_free(&out);
	str_free(&err);
	return r;
}

static void
hand_picked(void)
{
	char buf[400];
	int i;

	ok(path_ok("<user@example.com>", 0, "user@example.com") == 0,
	    "plain mailbox");
	ok(path_ok("<>", ADDR_NULL_OK, "") == 0, "null path when allowed");
	ok(path_ok("<>", 0, NULL) < 0, "null path refused for RCPT");
	ok(path_ok("<@a.example,@b.example:u@c.example>", 0,
	    "u@c.example") == 0, "source route accepted and dropped");
	ok(path_ok("<@a.example:u@c.example>", 0, "u@c.example") == 0,
	    "one-hop source route");
	ok(path_ok("<@a.example,u@c.example>", 0, NULL) < 0,
	    "source route without colon");
	ok(path_ok("<@:u@c.example>", 0, NULL) < 0, "empty source route");
	ok(path_ok("user@example.com", 0, NULL) < 0, "no brackets");
	ok(path_ok("<user@example.com", 0, NULL) < 0, "unclosed");
	ok(path_ok("<\"a b\"@example.com>", 0, "\"a b\"@example.com") == 0,
	    "quoted local part kept as written");
	ok(path_ok("<\"a>b\"@example.com>", 0, NULL) == 0,
	    "'>' inside quotes does not end the path");
	ok(path_ok("<\"a\\\"b\"@example.com>", 0, NULL) == 0, "quoted pair");
	ok(path_ok("<u@[192.0.2.1]>", 0, NULL) == 0, "IPv4 literal");
	ok(path_ok("<u@[IPv6:2001:db8::1]>", 0, NULL) == 0, "IPv6 literal");
	ok(path_ok("<u@[ipv6:::1]>", 0, NULL) == 0, "IPv6 tag any case");
	ok(path_ok("<u@[300.0.2.1]>", 0, NULL) < 0, "bad IPv4 literal");
	ok(path_ok("<u@[x-tag:stuff]>", 0, NULL) < 0,
	    "general literal refused (no registered tag)");
	ok(path_ok("<u@example.com.>", 0, NULL) < 0, "trailing dot");
	ok(path_ok("<u..v@example.com>", 0, NULL) < 0, "double dot");
	ok(path_ok("<u@-example.com>", 0, NULL) < 0, "leading hyphen");
	ok(path_ok("<u@example>", 0, NULL) == 0, "single-label domain");
	ok(path_ok("<u@ex ample.com>", 0, NULL) < 0, "space in domain");
	ok(path_ok("<(c)u@example.com>", 0, NULL) < 0, "comment refused");
	ok(path_ok("<j\xc3\xb6rg@b\xc3\xbc\x63her.example>", 0, NULL) < 0,
	    "UTF-8 refused without SMTPUTF8");
	ok(path_ok("<j\xc3\xb6rg@b\xc3\xbc\x63her.example>", ADDR_UTF8,
	    NULL) == 0, "UTF-8 taken with SMTPUTF8");
	ok(path_ok("<\"j\xc3\xb6rg\"@example>", ADDR_UTF8, NULL) == 0,
	    "UTF-8 in quoted local part with SMTPUTF8");
	ok(path_ok("<j\xc3\x28rg@example>", ADDR_UTF8, NULL) < 0,
	    "malformed UTF-8 refused");
	ok(path_ok("<j\xc0\xafrg@example>", ADDR_UTF8, NULL) < 0,
	    "overlong UTF-8 refused");
	ok(path_ok("<j\xed\xa0\x80@example>", ADDR_UTF8, NULL) < 0,
	    "UTF-8 surrogate refused");

	/* 64-octet local part, 63-octet label, 256-octet path */
	snprintf(buf, sizeof buf, "<%064d@example.com>", 0);
	ok(path_ok(buf, 0, NULL) == 0, "64-octet local part");
	snprintf(buf, sizeof buf, "<%065d@example.com>", 0);
	ok(path_ok(buf, 0, NULL) < 0, "65-octet local part refused");
	snprintf(buf, sizeof buf, "<u@%063d.com>", 0);
	ok(path_ok(buf, 0, NULL) == 0, "63-octet label");
	snprintf(buf, sizeof buf, "<u@%064d.com>", 0);
	ok(path_ok(buf, 0, NULL) < 0, "64-octet label refused");
	/* '<' 'u' '@' domain '>': 256 octets in all, then 257 */
	for (i = 256; i <= 257; i++) {
		size_t d = (size_t)i - 4, k;

		memcpy(buf, "<u@", 3);
		for (k = 0; k < d; k++)
			buf[3 + k] = (k + 1) % 61 == 0 ? '.' : 'a';
		buf[3 + d] = '>';
		buf[4 + d] = '\0';
		if (i == 256)
			ok(path_ok(buf, 0, NULL) == 0, "256-octet path");
		else
			ok(path_ok(buf, 0, NULL) < 0, "257-octet path refused");
	}
	is_str(addr_domain("u@Example.COM"), "Example.COM", "addr_domain");
	is_str(addr_domain("postmaster"), "", "addr_domain without @");
}

/* decode - XML text to bytes; U+2400 + n (the "symbol for" block)
 * stands for control character n, as the test set's notes say. */
static void
decode(const char *s, size_t n, struct str *out)
{
	size_t i;

	str_clear(out);
	for (i = 0; i < n; i++) {
		unsigned long cp;
		const char *semi;

		if (s[i] != '&') {
			str_catc(out, s[i]);
			continue;
		}
		semi = memchr(s + i, ';', n - i);
		if (semi == NULL) {
			str_catc(out, s[i]);
			continue;
		}
		if (s[i + 1] == '#')
			cp = s[i + 2] == 'x' ? strtoul(s + i + 3, NULL, 16) :
			    strtoul(s + i + 2, NULL, 10);
		else if (strncmp(s + i, "&amp;", 5) == 0)
			cp = '&';
		else if (strncmp(s + i, "&lt;", 4) == 0)
			cp = '<';
		else if (strncmp(s + i, "&gt;", 4) == 0)
			cp = '>';
		else if (strncmp(s + i, "&quot;", 6) == 0)
			cp = '"';
		else
			cp = '\'';
		if (cp >= 0x2400 && cp < 0x2420)
			cp -= 0x2400;
		if (cp < 0x80)
			str_catc(out, (char)cp);
		else if (cp < 0x800) {
			str_catc(out, (char)(0xc0 | (cp >> 6)));
			str_catc(out, (char)(0x80 | (cp & 0x3f)));
		} else {
			str_catc(out, (char)(0xe0 | (cp >> 12)));
			str_catc(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
			str_catc(out, (char)(0x80 | (cp & 0x3f)));
		}
		i = (size_t)(semi - s);
	}
}

static const char *
tag(const char *t, const char *end, const char *name, size_t *len)
{
	char open[32], close[32];
	const char *a, *b;

	snprintf(open, sizeof open, "<%s>", name);
	snprintf(close, sizeof close, "</%s>", name);
	a = memmem(t, (size_t)(end - t), open, strlen(open));
	if (a == NULL)
		return NULL;
	a += strlen(open);
	b = memmem(a, (size_t)(end - a), close, strlen(close));
	if (b == NULL)
		return NULL;
	*len = (size_t)(b - a);
	return a;
}

static void
isemail(void)
{
	const char *file = getenv("ROOST_ISEMAIL");
	char where[1024];
	struct str xml = STR_INIT, addr = STR_INIT, path = STR_INIT;
	char chunk[8192];
	const char *t;
	size_t n, total = 0;
	FILE *f;

	if (file == NULL)
		file = tap_corpus("isemail/tests.xml", where, sizeof where);
	if ((f = fopen(file, "r")) == NULL) {
		tap_no_corpus("is_email test set", file);
		return;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		str_catb(&xml, chunk, n);
	fclose(f);
	for (t = xml.s; (t = strstr(t, "<test id=\"")) != NULL; t++) {
		const char *end = strstr(t, "</test>"), *a, *cat;
		size_t al = 0, cl = 0;
		int id = atoi(t + 10), want, got;

		if (end == NULL)
			break;
		a = tag(t, end, "address", &al);
		cat = tag(t, end, "category", &cl);
		if (cat == NULL)
			continue;
		decode(a ? a : "", a ? al : 0, &addr);
		want = strncmp(cat, "ISEMAIL_VALID", 13) == 0 ||
		    strncmp(cat, "ISEMAIL_DNSWARN", 15) == 0 ||
		    strncmp(cat, "ISEMAIL_RFC5321", 15) == 0;
		str_copys(&path, "<");
		str_cat(&path, &addr);
		str_cats(&path, ">");
		got = path_ok(path.s, 0, NULL) == 0;
		ok(got == want, "is_email #%d %.*s: %s", id, (int)cl, cat,
		    want ? "accepted" : "refused");
		total++;
	}
	ok(total > 150, "is_email: %zu vectors read", total);
	str_free(&xml);
	str_free(&addr);
	str_free(&path);
}

int
main(void)
{
	hand_picked();
	isemail();
	return done_testing();
}
