/*
 * smtpd_policy - who may relay and which recipients smtpd takes.
 */
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "log.h"
#include "resolve.h"
#include "smtpd.h"

bool
smtpd_policy_relay(const struct smtpd *st)
{
	return cidr_match(&st->mynetworks, st->ss.peer.s);
}

/* The resolver of this worker process, opened at its first recipient:
 * after the fork, so no LMDB handle is shared between processes.  Its
 * tables notice rebuilt files by themselves. */
static struct resolver *resolver;

int
smtpd_policy_rcpt(const struct smtpd *st, const char *rcpt,
    struct str *reply)
{
	struct str why = STR_INIT;
	int rc;

	if (resolver == NULL)
		resolver = resolver_open_cfg();
	rc = resolve_verify(resolver, rcpt, &why);
	/* RFC 5321 4.5.1: <postmaster> without a domain is always taken. */
	if (rc == RESOLVE_UNKNOWN && strcasecmp(rcpt, "postmaster") == 0)
		rc = RESOLVE_OK;
	switch (rc) {
	case RESOLVE_OK:
		break;
	case RESOLVE_UNKNOWN:
		str_copyf(reply, "550 5.1.1 <%s>: Recipient address rejected: "
		    "User unknown", rcpt);
		break;
	case RESOLVE_REMOTE:
		if (st->relay_ok) {
			rc = RESOLVE_OK;
			break;
		}
		str_copyf(reply, "554 5.7.1 <%s>: Relay access denied", rcpt);
		break;
	default:
		log_warn("recipient lookup failed for <%s>: %s", rcpt,
		    str_cstr(&why));
		str_copyf(reply, "451 4.3.0 <%s>: Temporary lookup failure",
		    rcpt);
		break;
	}
	str_free(&why);
	return rc == RESOLVE_OK ? 0 : -1;
}
