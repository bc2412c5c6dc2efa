/*
 * cidr - lists of networks, as in the mynetworks key: IPv4 and IPv6
 * addresses and CIDR networks ("10.0.0.0/8", "[2001:db8::]/32", "::1"),
 * separated by blanks and/or commas.  IPv6 may be written in brackets.
 * A network with host bits set ("10.1.2.3/8") is refused: it is almost
 * always a typo, and guessing which part was meant is not safe for a
 * list that grants relaying.
 */
#ifndef ROOST_CIDR_H
#define ROOST_CIDR_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

struct cidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits;
};

struct cidr_list {
	struct cidr *v;
	size_t n;
};

#define CIDR_LIST_INIT { NULL, 0 }

/* cidr_parse - parse value into l (replacing it); 0, or -1 with a
 * reason in err. */
int cidr_parse(const char *value, struct cidr_list *l, struct str *err);
/* cidr_check - cfg check hook: cidr_parse without keeping the result. */
int cidr_check(const char *value, struct str *err);
/* cidr_match - whether the address in text form (as sock_peer_name
 * gives it) is in l; IPv4-mapped IPv6 addresses match IPv4 entries. */
bool cidr_match(const struct cidr_list *l, const char *addr);
void cidr_free(struct cidr_list *l);

#endif
