/*
 * auth_throttle - failed-login counters shared by every worker of
 * authd(8): per client address, per (user, address) and per user.
 *
 * The table lives in anonymous shared memory that authd's master maps
 * before it forks its workers, so all of them count together; a robust
 * process-shared mutex guards it (a worker killed while holding it
 * costs nothing but that one update).  Its size is fixed at creation:
 * entries are found by hashing into a bounded probe window, and when the
 * window is full the least recently touched entry is evicted, so memory
 * never grows and an attacker who floods it can at worst make the table
 * forget old counts.
 *
 * Rules (the reason for each is in authd(8)):
 *  - a client address with ip_limit failures within `window` seconds
 *    is blocked for `block` seconds, whatever the user;
 *  - a user with user_ip_limit failures from one address within the
 *    window is blocked from that address only;
 *  - failures of a user counted over all addresses never block: they
 *    only lengthen the delay the client daemon waits before answering a
 *    failure, so an attacker cannot lock a user out elsewhere;
 *  - a success clears the (user, address) count.
 * Times are seconds, passed in by the caller (tests use a fake clock).
 */
#ifndef ROOST_AUTH_THROTTLE_H
#define ROOST_AUTH_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auth_throttle_limits {
	unsigned ip_limit; /* failures per address; 0: no limit */
	unsigned user_ip_limit; /* failures per (user, address); 0: none */
	int64_t window; /* seconds over which failures count */
	int64_t block; /* seconds a block lasts */
};

struct auth_throttle;

/* auth_throttle_create - a shared table of `entries` entries (rounded
 * up to a power of two, at least 64).  NULL with errno when the mapping
 * fails. */
struct auth_throttle *auth_throttle_create(
    size_t entries, const struct auth_throttle_limits *lim);
void auth_throttle_destroy(struct auth_throttle **t);

/* auth_throttle_ip_blocked - is ip blocked at now? */
bool auth_throttle_ip_blocked(
    struct auth_throttle *t, const char *ip, int64_t now);
/* auth_throttle_user_blocked - is user blocked from ip at now (either
 * the address or the pair)? */
bool auth_throttle_user_blocked(
    struct auth_throttle *t, const char *user, const char *ip, int64_t now);
/* auth_throttle_fail - count one failure of user (NULL or "" when the
 * exchange never named one) from ip, and of ip itself unless count_ip
 * is false (an address exempt from per-address blocking: a webmail, a
 * NAT); returns the failures of that user over every address within
 * the window (0 without a user). */
unsigned auth_throttle_fail(struct auth_throttle *t, const char *user,
    const char *ip, bool count_ip, int64_t now);
/* auth_throttle_success - clear the (user, ip) count. */
void auth_throttle_success(
    struct auth_throttle *t, const char *user, const char *ip, int64_t now);

#endif
