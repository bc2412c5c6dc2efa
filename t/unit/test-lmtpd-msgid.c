/*
 * test-lmtpd-msgid - the Message-ID lmtpd's duplicate suppression keys
 * on (lmtpd/lmtpd_msgid.c, pure, linked in).
 */
#include "../../lmtpd/lmtpd.h"
#include "tap.h"

static const char *
id(const char *head)
{
	static struct str out;

	if (lmtpd_msgid(head, strlen(head), &out) < 0)
		return NULL;
	return out.s;
}

int
main(void)
{
	struct str big = STR_INIT, out = STR_INIT;
	size_t i;

	is_str(id("Message-ID: <a@b>\n\nbody"), "<a@b>", "plain");
	is_str(id("Subject: x\r\nmessage-id:<a@b>\r\n\r\n"), "<a@b>",
	    "CRLF, any case, no blank after the colon");
	is_str(id("Message-ID :  < a@b >  \n\n"), "<a@b>",
	    "blanks around and inside the brackets go");
	is_str(id("Message-ID:\n <a@b>\n\n"), "<a@b>", "folded");
	is_str(id("Message-ID: <a@\n\tb>\n"), "<a@ b>",
	    "folded inside: unfolding keeps the blank, made one space");
	is_str(id("Message-ID: <a\n b@c>\n"), "<a b@c>",
	    "an inner blank stays (the key is compared, not parsed)");
	is_str(id("Message-ID: <1@x>\nMessage-ID: <2@x>\n\n"), "<1@x>",
	    "the first field wins");
	is_str(id("Subject: x\n\nMessage-ID: <body@x>\n"), NULL,
	    "a Message-ID in the body is not one");
	is_str(id("\nMessage-ID: <body@x>\n"), NULL,
	    "an empty header section has none");
	is_str(id("Message-IDs: <a@b>\n\n"), NULL, "another field name");
	is_str(id("Message-Id-Ext: <a@b>\n\n"), NULL, "a longer name");
	is_str(id("X-Message-ID: <a@b>\n\n"), NULL, "a prefixed name");
	is_str(id("Message-ID:    \n\n"), NULL, "an empty value is none");
	is_str(id("Message-ID"), NULL, "a truncated header");
	is_str(id(""), NULL, "nothing at all");
	is_str(id("Message-ID: <a@b>"), "<a@b>", "no final line end");
	is_str(id("Message-ID: x\n \n \n"), "x", "blank continuations");

	str_copys(&big, "Message-ID: <");
	for (i = 0; i < LMTPD_MSGID_MAX; i++)
		str_catc(&big, 'x');
	str_cats(&big, ">\n\n");
	is_str(id(big.s), NULL, "an oversized Message-ID is no key");
	str_copys(&big, "Message-ID: <");
	for (i = 0; i < LMTPD_MSGID_MAX - 2; i++)
		str_catc(&big, 'x');
	str_cats(&big, ">\n\n");
	ok(id(big.s) != NULL && strlen(id(big.s)) == LMTPD_MSGID_MAX,
	    "one at the limit is");
	is_int(lmtpd_msgid("Message-ID: <a\0b>\n", 18, &out), -1,
	    "a NUL in the value is no key");
	/* hostile: a huge folded field is bounded by the caller's head
	 * cap, and the result by LMTPD_MSGID_MAX */
	str_copys(&big, "Message-ID: <a@b>\n");
	for (i = 0; i < 10000; i++)
		str_cats(&big, " x\n");
	is_str(id(big.s), NULL, "a huge folded value is no key");

	/* The duplicate key: Message-ID, From address, Date. */
	{
		static const char post[] =
		    "Message-ID: <p1@x>\nFrom: Alice <Alice@Example.test>\n"
		    "Date: Mon, 07 Dec 2026 10:00:00\n +0000\nSubject: hi\n\n";
		static const char listed[] =
		    "Subject: [list] hi\nList-Id: <l.x>\nDate: Mon, 07 Dec "
		    "2026 10:00:00 +0000\nFrom: \"Alice\" <alice@example.test>"
		    "\nMessage-ID: <p1@x>\n\n";
		static const char forged[] =
		    "Message-ID: <p1@x>\nFrom: Mallory <m@evil.test>\n"
		    "Date: Mon, 07 Dec 2026 09:59:00 +0000\n\n";
		static const char same_from[] =
		    "Message-ID: <p1@x>\nFrom: alice@example.test (Alice)\n"
		    "Date: Mon, 07 Dec 2026 09:59:00 +0000\n\n";
		struct str a = STR_INIT, b = STR_INIT;

		ok(lmtpd_dupkey(post, strlen(post), &a) == 0,
		    "a post has a key");
		is_str(a.s, "<p1@x>\x01" "alice@example.test\x01"
		    "Mon, 07 Dec 2026 10:00:00 +0000", "Message-ID, From, Date");
		ok(lmtpd_dupkey(listed, strlen(listed), &b) == 0 &&
		    strcmp(a.s, b.s) == 0,
		    "the list's copy (tagged, other order) has the same key");
		ok(lmtpd_dupkey(forged, strlen(forged), &b) == 0 &&
		    strcmp(a.s, b.s) != 0,
		    "a forgery with the Message-ID has another");
		ok(lmtpd_dupkey(same_from, strlen(same_from), &b) == 0 &&
		    strcmp(a.s, b.s) != 0,
		    "and so has one from the same sender at another time");
		is_int(lmtpd_dupkey("Subject: x\n\n", 12, &b), -1,
		    "no Message-ID: no key");
		str_free(&a);
		str_free(&b);
	}
	str_free(&big);
	str_free(&out);
	return done_testing();
}
