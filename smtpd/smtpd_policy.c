/*
 * smtpd_policy - who may relay and which recipients smtpd takes.
 */
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cfg.h"
#include "smtpd.h"

bool
smtpd_policy_relay(const struct smtpd *st)
{
	return cidr_match(&st->mynetworks, st->ss.peer.s);
}

/* in_list - whether name is one of the blank/comma separated words of
 * list, ignoring case (domain names are case-insensitive). */
static bool
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (;;) {
		size_t k;

		list += strspn(list, " \t,");
		if (*list == '\0')
			return false;
		k = strcspn(list, " \t,");
		if (k == n && strncasecmp(list, name, n) == 0)
			return true;
		list += k;
	}
}

int
smtpd_policy_rcpt(const struct smtpd *st, const char *rcpt,
    struct str *reply)
{
	const char *dom = addr_domain(rcpt);

	/* RFC 5321 4.5.1: <postmaster> without a domain is always ours. */
	if (strchr(rcpt, '@') == NULL ||
	    strcasecmp(dom, st->host) == 0 ||
	    in_list(cfg_str("mydestination"), dom)) {
		/* XXX The delivery work looks the user up here and refuses
		 * unknown ones with 550 5.1.1. */
		return 0;
	}
	if (st->relay_ok)
		return 0;
	str_copyf(reply, "554 5.7.1 <%s>: Relay access denied", rcpt);
	return -1;
}
