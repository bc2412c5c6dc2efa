/*
 * addr - RFC 5321 paths and mailboxes, as they appear in MAIL FROM and
 * RCPT TO (section 4.1.2), with the SMTPUTF8 extension (RFC 6531).
 *
 * A path is "<" [A-d-l ":"] Mailbox ">"; the source route (A-d-l) is
 * accepted and dropped (RFC 5321 C).  A mailbox is a Dot-string or a
 * Quoted-string local part, "@", and a domain name or an address literal
 * ([1.2.3.4] or [IPv6:...]).  Comments and folding white space are not
 * part of SMTP paths and are refused.  UTF-8 is allowed in the local part
 * and the domain only with ADDR_UTF8 (the client gave SMTPUTF8).
 *
 * Limits (RFC 5321 4.5.3.1): local part 64 octets, domain 255, the
 * whole path 256 including the angle brackets.
 */
#ifndef ROOST_ADDR_H
#define ROOST_ADDR_H

#include <stddef.h>

#include "str.h"

#define ADDR_LOCAL_MAX 64
#define ADDR_DOMAIN_MAX 255
#define ADDR_PATH_MAX 256

#define ADDR_UTF8 0x01		/* UTF-8 allowed (SMTPUTF8) */
#define ADDR_NULL_OK 0x02	/* "<>" allowed (reverse-path) */

/*
 * addr_parse_path - parse the path at the start of s (len bytes).  On
 * success out holds the mailbox as written, without brackets and source
 * route ("" for <>), *used the bytes taken through '>', and 0 is
 * returned; else -1 with a reason in err.
 */
int addr_parse_path(const char *s, size_t len, unsigned flags,
    struct str *out, size_t *used, struct str *err);
/* addr_check_mailbox - 0 when s is a valid RFC 5321 Mailbox, else -1
 * with a reason in err. */
int addr_check_mailbox(const char *s, size_t len, unsigned flags,
    struct str *err);
/* addr_domain - the domain of a mailbox (after its last '@'), or "". */
const char *addr_domain(const char *mailbox);

#endif
