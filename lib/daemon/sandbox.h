/*
 * sandbox - a seccomp filter for each daemon (libseccomp): the system
 * calls it may make, every other one refused by killing the process
 * with a log line naming the call.
 *
 * Two kinds of filter:
 *   SANDBOX_ALLOW  an allow-list: what a roost daemon makes (I/O, memory,
 *                  Unix sockets, its own workers, time, signals), and
 *                  nothing that runs programs, changes identity, opens a
 *                  network socket or reaches the kernel's other
 *                  interfaces.  Every daemon but pipe.
 *   SANDBOX_ALLOW_DNS  the allow-list, and UDP sockets of IPv4 and IPv6
 *                  besides: a daemon whose workers ask DNS (smtpd, for
 *                  the client's name).  No TCP: its resolver ignores
 *                  truncation (lib/dns: dns_conf.udp_only), so a
 *                  subverted worker still cannot open a connection.
 *   SANDBOX_DENY   a deny-list of what no mail delivery needs (ptrace,
 *                  mount, module loading, BPF, keyrings, namespaces,
 *                  open_by_handle_at, process_vm_*, ...): pipe, whose
 *                  children run users' commands under the same filter.
 *
 * Keys: seccomp_off names daemons left without a filter ("all": every
 * one), for debugging; seccomp_action "kill" (the default) or "log"
 * (the kernel logs the call, the daemon goes on: for finding what a new
 * code path needs).  The sanitizer build has no filter (its runtime
 * makes calls no filter should allow).
 */
#ifndef ROOST_SANDBOX_H
#define ROOST_SANDBOX_H

#include <stdbool.h>

enum sandbox_kind { SANDBOX_ALLOW, SANDBOX_ALLOW_DNS, SANDBOX_DENY };

/* sandbox_available - false in the sanitizer build. */
bool sandbox_available(void);
/* sandbox_enter - install daemon's filter of kind (unless seccomp_off
 * names it), after the daemon has dropped its privileges; fatal when
 * the filter cannot be loaded.  Logs "seccomp: ..." once. */
void sandbox_enter(const char *daemon, enum sandbox_kind kind);
/* sandbox_install - the filter alone, with action "kill" or "log":
 * 0, or -1 (for the tests; sandbox_enter uses it). */
int sandbox_install(enum sandbox_kind kind, bool log_only);

#endif
