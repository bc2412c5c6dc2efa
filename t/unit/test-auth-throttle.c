/*
 * test-auth-throttle - authd's failed-login counters: the address
 * block, the (user, address) block that never spreads to other
 * addresses, per-user counts that never block, the window, the block's
 * end, success clearing the pair, sharing across processes, and a
 * flood that stays within the table.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth_throttle.h"
#include "tap.h"

int
main(void)
{
	struct auth_throttle_limits lim = {3, 2, 600, 900};
	struct auth_throttle *t = auth_throttle_create(64, &lim);
	int64_t now = 1000000;
	char ip[64];
	pid_t pid;

	if (t == NULL)
		bail("auth_throttle_create");

	/* Address block: 3 failures, whoever the users. */
	ok(!auth_throttle_ip_blocked(t, "192.0.2.1", now), "fresh address");
	auth_throttle_fail(t, "a@x.test", "192.0.2.1", true, now);
	auth_throttle_fail(t, "b@x.test", "192.0.2.1", true, now);
	ok(!auth_throttle_ip_blocked(t, "192.0.2.1", now), "2 of 3: open");
	auth_throttle_fail(t, NULL, "192.0.2.1", true, now);
	ok(auth_throttle_ip_blocked(t, "192.0.2.1", now), "3 of 3: blocked");
	ok(auth_throttle_user_blocked(t, "c@x.test", "192.0.2.1", now),
	    "every user is blocked from it");
	ok(!auth_throttle_ip_blocked(t, "192.0.2.2", now),
	    "another address is not");
	ok(auth_throttle_ip_blocked(t, "192.0.2.1", now + 899),
	    "still blocked just before the end");
	ok(!auth_throttle_ip_blocked(t, "192.0.2.1", now + 900),
	    "open when the block ends");
	auth_throttle_fail(t, NULL, "192.0.2.1", true, now + 900);
	ok(!auth_throttle_ip_blocked(t, "192.0.2.1", now + 900),
	    "a fresh allowance after the block");

	/* IPv6: one /64 counts as one address; v4-mapped ones stay apart. */
	now += 10000;
	auth_throttle_fail(t, NULL, "2001:db8:1:2::1", true, now);
	auth_throttle_fail(t, NULL, "2001:db8:1:2:aaaa::7", true, now);
	auth_throttle_fail(t, NULL, "2001:db8:1:2:ffff:ffff:ffff:ffff", true, now);
	ok(auth_throttle_ip_blocked(t, "2001:db8:1:2::99", now),
	    "three addresses of one /64: the /64 is blocked");
	ok(!auth_throttle_ip_blocked(t, "2001:db8:1:3::1", now),
	    "the next /64 is not");
	auth_throttle_fail(t, NULL, "::ffff:192.0.2.50", true, now);
	auth_throttle_fail(t, NULL, "::ffff:192.0.2.51", true, now);
	auth_throttle_fail(t, NULL, "::ffff:192.0.2.52", true, now);
	ok(!auth_throttle_ip_blocked(t, "::ffff:192.0.2.53", now),
	    "v4-mapped addresses are counted one by one");

	/* (user, address) block: alice from .10 only. */
	now += 10000;
	auth_throttle_fail(t, "alice@x.test", "192.0.2.10", true, now);
	ok(!auth_throttle_user_blocked(t, "alice@x.test", "192.0.2.10", now),
	    "1 of 2: open");
	is_int(auth_throttle_fail(t, "alice@x.test", "192.0.2.10", true, now), 2,
	    "the user's count over all addresses");
	ok(auth_throttle_user_blocked(t, "alice@x.test", "192.0.2.10", now),
	    "2 of 2: alice blocked from .10");
	ok(!auth_throttle_ip_blocked(t, "192.0.2.10", now),
	    "the address itself is open");
	ok(!auth_throttle_user_blocked(t, "bob@x.test", "192.0.2.10", now),
	    "bob from .10 is not blocked");
	ok(!auth_throttle_user_blocked(t, "alice@x.test", "192.0.2.11", now),
	    "alice from another address is not blocked");

	/* A user attacked from many addresses is never blocked from a
	 * clean one; the count only grows (for the delay). */
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i);
		auth_throttle_fail(t, "carol@x.test", ip, true, now);
	}
	is_int(auth_throttle_fail(t, "carol@x.test", "203.0.113.1", true, now), 21,
	    "carol's failures from everywhere counted");
	ok(!auth_throttle_user_blocked(t, "carol@x.test", "203.0.113.2", now),
	    "carol from a clean address is not blocked");

	/* Success clears the pair. */
	now += 10000;
	auth_throttle_fail(t, "dave@x.test", "192.0.2.20", true, now);
	auth_throttle_success(t, "dave@x.test", "192.0.2.20", now);
	auth_throttle_fail(t, "dave@x.test", "192.0.2.20", true, now);
	ok(!auth_throttle_user_blocked(t, "dave@x.test", "192.0.2.20", now),
	    "a success resets the pair's count");

	/* The window: failures further apart than it do not add up. */
	auth_throttle_fail(t, "erin@x.test", "192.0.2.30", true, now);
	auth_throttle_fail(t, "erin@x.test", "192.0.2.30", true, now + 601);
	ok(!auth_throttle_user_blocked(
	       t, "erin@x.test", "192.0.2.30", now + 601),
	    "failures outside the window do not add up");

	/* Shared memory: a child's failures block the parent's view. */
	now += 10000;
	if ((pid = xfork()) == 0) {
		for (int i = 0; i < 3; i++)
			auth_throttle_fail(t, NULL, "192.0.2.40", true, now);
		_exit(0);
	}
	reap(pid);
	ok(auth_throttle_ip_blocked(t, "192.0.2.40", now),
	    "a block counted by another process is seen");

	/* A flood of addresses: bounded table, no crash, recent counts
	 * still work. */
	for (int i = 0; i < 5000; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
		    i & 255);
		auth_throttle_fail(t, "mallory@x.test", ip, true, now + i);
	}
	for (int i = 0; i < 3; i++)
		auth_throttle_fail(t, NULL, "192.0.2.50", true, now + 5000);
	ok(auth_throttle_ip_blocked(t, "192.0.2.50", now + 5000),
	    "blocks still work after a flood");

	/* An exempt address (count_ip false) is never blocked as such, but
	 * each of its users is, from it, after user_ip_limit failures. */
	for (int i = 0; i < 10; i++) {
		snprintf(ip, sizeof ip, "u%d@x.test", i);
		auth_throttle_fail(t, ip, "198.51.100.1", false, now + 6000);
	}
	ok(!auth_throttle_ip_blocked(t, "198.51.100.1", now + 6000),
	    "exempt: 10 failures of 10 users do not block the address");
	for (int i = 0; i < 2; i++)
		auth_throttle_fail(t, "zed@x.test", "198.51.100.1", false,
		    now + 6000);
	ok(auth_throttle_user_blocked(t, "zed@x.test", "198.51.100.1",
	    now + 6000), "exempt: a user's own failures still block it");
	ok(!auth_throttle_user_blocked(t, "amy@x.test", "198.51.100.1",
	    now + 6000), "exempt: and no one else");

	auth_throttle_destroy(&t);
	ok(t == NULL, "destroyed");
	return done_testing();
}
