/*
 * smtpd_scan - the content scanner hook, asked at the end of the data
 * and before the reply so that a refused message is refused in the
 * dialogue and never bounced (DESIGN.md, before-queue filtering).
 *
 * XXX A pass-through until the scanner work lands; it will need the
 * content, which smtpd_data then keeps (or tees) for it.
 */
#include "smtpd.h"

int
smtpd_scan(const struct smtpd *st, struct str *reply)
{
	(void)st;
	(void)reply;
	return 0;
}
