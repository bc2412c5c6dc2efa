/*
 * dns - every DNS lookup of roost: c-ares carries the packets, we build
 * the queries (so EDNS0 and its DO bit are ours to set) and parse the
 * raw answers ourselves (c-ares 1.18 has no TLSA parser and no cache).
 *
 *   dns_parse.c    query building and the answer parser (pure: no I/O)
 *   dns_cache.c    positive and negative answers by TTL (RFC 2308),
 *                  bounded, least recently used first out
 *   dns_servers.c  the "IP[:PORT], ..." list of dns_servers
 *   dns_resolv.c   the resolver: c-ares channel, poll() integration,
 *                  the blocking wrapper
 *   dns_mx.c       what the SMTP client and server ask: MX hosts in
 *                  order, a host's addresses, forward-confirmed PTR
 *
 * Results are one of five codes, and callers must handle each:
 *   DNS_OK         records of the type (after CNAMEs)
 *   DNS_NXDOMAIN   the name does not exist (permanent)
 *   DNS_NODATA     the name exists, without records of the type
 *   DNS_TEMPFAIL   SERVFAIL, REFUSED, timeout, network: try later
 *   DNS_MALFORMED  an answer we cannot trust (treat as temporary)
 *
 * Limits keep hostile answers harmless: DNS_ANSWER_MAX bytes,
 * DNS_RR_MAX records, names of DNS_NAME_MAX bytes, DNS_PTR_MAX
 * compression jumps; a parser error is DNS_MALFORMED, never a crash.
 * This layer sits on lib/base only: configuration comes in a struct
 * dns_conf (lib/daemon/dns_conf.c fills one from roost.conf).
 */
#ifndef ROOST_DNS_H
#define ROOST_DNS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "str.h"

#define DNS_ANSWER_MAX 65535	/* bytes of one answer (TCP's limit) */
#define DNS_RR_MAX 256		/* records kept from one answer */
#define DNS_NAME_MAX 253	/* a name in text, without the last dot */
#define DNS_PTR_MAX 64		/* compression jumps in one name */
#define DNS_SERVERS_MAX 8	/* entries of dns_servers */

/* types we ask for */
#define DNS_T_A 1
#define DNS_T_NS 2
#define DNS_T_CNAME 5
#define DNS_T_SOA 6
#define DNS_T_PTR 12
#define DNS_T_MX 15
#define DNS_T_TXT 16
#define DNS_T_AAAA 28
#define DNS_T_OPT 41
#define DNS_T_TLSA 52

enum dns_rc { DNS_OK, DNS_NXDOMAIN, DNS_NODATA, DNS_TEMPFAIL, DNS_MALFORMED };

/* dns_rc_name - "OK", "NXDOMAIN", ... for logs and roostctl. */
const char *dns_rc_name(enum dns_rc rc);
/* dns_type_name / dns_type_code - "MX" <-> 15 for the types above;
 * code 0 for a name we do not know. */
const char *dns_type_name(unsigned type);
unsigned dns_type_code(const char *name);

/*
 * One record of the asked type.  Names are in text, lowercased, without
 * the final dot ("." for the root, as a null MX has).
 *   A, AAAA   data: 4 or 16 bytes of address
 *   MX        pref, target (the exchange)
 *   PTR       target
 *   CNAME     target (only when CNAME itself was asked)
 *   TXT       data: the character-strings joined, len bytes (may hold
 *             NULs; a NUL follows them)
 *   TLSA      usage, selector, mtype; data: the association, len bytes
 */
struct dns_rr {
	uint16_t type;
	uint32_t ttl;
	uint16_t pref;
	uint8_t usage, selector, mtype;
	char *target;
	unsigned char *data;
	size_t len;
};

struct dns_answer {
	enum dns_rc rc;
	unsigned rcode;		/* the header's RCODE, or 0 */
	bool ad;		/* the header's AD bit (RFC 4035 3.2.3): to be
				 * believed only from a validating resolver
				 * on a trusted path, such as loopback */
	uint32_t ttl;		/* how long the answer may be cached */
	char *canon;		/* the name after the CNAME chain */
	uint32_t cname_ttl;	/* the chain's smallest TTL (none: max) */
	struct dns_rr *rr;
	size_t n;
};

/* dns_answer_free - release what the answer holds; it becomes empty. */
void dns_answer_free(struct dns_answer *a);
/* dns_answer_copy - a deep copy of src into dst (which is overwritten). */
void dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src);

/* Query flags. */
#define DNS_F_DO 0x1		/* EDNS0 DO: ask for DNSSEC (RFC 3225) */

/* dns_query_build - a query for name and type in out (recursion
 * desired, id 0, EDNS0 with a 1232-byte payload; DO when flags say).
 * 0, or -1 for a name that cannot be put in a query. */
int dns_query_build(const char *name, unsigned type, unsigned flags,
    struct str *out);
/*
 * dns_parse - parse the answer buf[0..len) to the query (id, name,
 * type) into a (which it overwrites; free it after).  Returns a->rc.
 * The records kept are those of type owned by name or by a name that
 * a CNAME in the answer leads to from it.  (A chain that ends in a name
 * without records and without a SOA is incomplete: dns_query asks
 * again for a->canon, as RFC 1034 5.3.2 says.)  The negative TTL is the
 * smaller of the authority section's SOA TTL and SOA MINIMUM (RFC 2308
 * 5), 0 without one.  id < 0: not checked.
 */
enum dns_rc dns_parse(const unsigned char *buf, size_t len, int id,
    const char *name, unsigned type, struct dns_answer *a);
/* dns_name_norm - name checked and made canonical into out: lowercase,
 * without a final dot, at most DNS_NAME_MAX bytes, labels of 1-63.
 * 0 or -1. */
int dns_name_norm(const char *name, struct str *out);
/* dns_reverse_name - the in-addr.arpa or ip6.arpa name of the numeric
 * address ip; 0 or -1 when ip is not an address. */
int dns_reverse_name(const char *ip, struct str *out);

/*
 * The cache: answers by (name lowercased, type, DO), each until its
 * TTL runs out, at most max entries (the least recently used goes
 * first).  Only OK, NXDOMAIN and NODATA are kept; TTLs are capped at
 * DNS_CACHE_TTL_MAX.  clock (NULL: time(NULL)) is what tests replace.
 */
#define DNS_CACHE_TTL_MAX 86400
struct dns_cache;
struct dns_cache *dns_cache_new(size_t max, time_t (*clock)(void));
void dns_cache_free(struct dns_cache **c);
/* dns_cache_get - a copy of the live entry into a (true), or false. */
bool dns_cache_get(struct dns_cache *c, const char *name, unsigned type,
    unsigned flags, struct dns_answer *a);
/* dns_cache_put - keep a copy of a (unless its rc or TTL says not). */
void dns_cache_put(struct dns_cache *c, const char *name, unsigned type,
    unsigned flags, const struct dns_answer *a);
/* dns_cache_count - entries held (expired ones included until met). */
size_t dns_cache_count(const struct dns_cache *c);

/* One server of dns_servers. */
struct dns_server {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned port;
};
/*
 * dns_servers_parse - "IP[:PORT], ..." (commas and/or blanks; IPv6 as
 * [ADDR]:PORT or a bare ADDR; port 53 when none) into at most
 * DNS_SERVERS_MAX entries; *n is 0 for an empty value.  0, or -1 with
 * a reason naming the bad entry in err.
 */
int dns_servers_parse(const char *value, struct dns_server *out, size_t *n,
    struct str *err);
/* dns_servers_check - the cfg check hook of dns_servers. */
int dns_servers_check(const char *value, struct str *err);

/* How a resolver is made. */
struct dns_conf {
	struct dns_server servers[DNS_SERVERS_MAX];
	size_t nservers;	/* 0: those of /etc/resolv.conf */
	int timeout_ms;		/* one lookup, every try and server */
	size_t cache_max;	/* entries; 0: no cache */
	bool udp_only;		/* never TCP: a truncated answer is used
				 * as it is (smtpd's sandbox has no TCP) */
	time_t (*clock)(void);	/* for the cache; NULL: time(NULL) */
};

struct dns_resolver;

/* dns_open - a resolver; NULL with a reason in err (c-ares could not
 * start, say). */
struct dns_resolver *dns_open(const struct dns_conf *conf, struct str *err);
/* dns_close - cancel what is pending (each callback runs once with
 * DNS_TEMPFAIL) and release the resolver. */
void dns_close(struct dns_resolver **r);

/*
 * The asynchronous interface, for a poll() loop:
 *   dns_query()     start a lookup; cb runs once with the answer (which
 *                   it must not keep: copy what it needs), from
 *                   dns_query itself for a cached one, else from
 *                   dns_process or dns_close
 *   dns_pollfds()   the descriptors and events to wait for (at most
 *                   max; returns how many)
 *   dns_timeout()   the longest wait before dns_process must run again,
 *                   in ms (-1: nothing pending)
 *   dns_process()   handle what poll() returned (pfd as dns_pollfds
 *                   filled it, revents set) and the timeouts
 *   dns_pending()   lookups under way
 */
typedef void dns_cb(void *arg, const struct dns_answer *a);
void dns_query(struct dns_resolver *r, const char *name, unsigned type,
    unsigned flags, dns_cb *cb, void *arg);
size_t dns_pollfds(struct dns_resolver *r, struct pollfd *pfd, size_t max);
int dns_timeout(struct dns_resolver *r);
void dns_process(struct dns_resolver *r, const struct pollfd *pfd, size_t n);
size_t dns_pending(const struct dns_resolver *r);
/* dns_queries - queries sent to servers so far (cache misses). */
unsigned long dns_queries(const struct dns_resolver *r);

/* dns_wait - run the loop until nothing is pending or deadline_ms
 * (CLOCK_MONOTONIC, as buf_now_ms() in buf.h) passes, when what is
 * pending is cancelled (DNS_TEMPFAIL).  Blocks. */
void dns_wait(struct dns_resolver *r, int64_t deadline_ms);

/* dns_lookup - one lookup, blocking for at most the resolver's
 * timeout: the answer in a (free it after); returns a->rc. */
enum dns_rc dns_lookup(struct dns_resolver *r, const char *name,
    unsigned type, unsigned flags, struct dns_answer *a);
/* dns_lookup_until - the same, ending by deadline_ms (buf_now_ms). */
enum dns_rc dns_lookup_until(struct dns_resolver *r, const char *name,
    unsigned type, unsigned flags, struct dns_answer *a, int64_t deadline_ms);
/* dns_timeout_ms - the resolver's time for one lookup. */
int dns_timeout_ms(const struct dns_resolver *r);

/*
 * The mail exchangers of a domain (RFC 5321 5.1), for the SMTP client:
 * the MX hosts by preference, equal preferences in random order.
 *   rc DNS_OK, implicit false   hosts from the MX records
 *   rc DNS_OK, implicit true    no MX: the domain itself, preference 0
 *                               (its A/AAAA are dns_addrs' business)
 *   rc DNS_OK, null_mx true     RFC 7505 null MX: bounce at once, n 0
 *   rc DNS_NXDOMAIN             no such domain: bounce at once
 *   rc DNS_TEMPFAIL             defer (DNS_MALFORMED is reported so)
 */
struct dns_mx {
	uint16_t pref;
	char *host;
};
struct dns_mx_list {
	enum dns_rc rc;
	bool implicit, null_mx;
	struct dns_mx *v;
	size_t n;
};
/* dns_rand - a random number below n; rng NULL in dns_mx_hosts means
 * arc4random_uniform(3).  Tests pass their own. */
typedef unsigned dns_rand(void *arg, unsigned n);
enum dns_rc dns_mx_hosts(struct dns_resolver *r, const char *domain,
    dns_rand *rng, void *rng_arg, struct dns_mx_list *out);
/* dns_mx_from_answer - the same from an MX answer already in hand. */
enum dns_rc dns_mx_from_answer(const struct dns_answer *a, const char *domain,
    dns_rand *rng, void *rng_arg, struct dns_mx_list *out);
void dns_mx_list_free(struct dns_mx_list *l);

/*
 * dns_addrs - the IPv6 and IPv4 addresses of host (AAAA first, both
 * asked at once): rc DNS_OK with at least one, else DNS_TEMPFAIL when
 * either lookup failed so, else DNS_NXDOMAIN or DNS_NODATA.
 */
struct dns_addr {
	int family;
	unsigned char a[16];
};
struct dns_addr_list {
	enum dns_rc rc;
	struct dns_addr *v;
	size_t n;
};
enum dns_rc dns_addrs(struct dns_resolver *r, const char *host,
    struct dns_addr_list *out);
void dns_addr_list_free(struct dns_addr_list *l);

/*
 * dns_fcrdns - the forward-confirmed reverse name of address ip (RFC
 * 8601 "iprev"): a PTR name one of whose addresses is ip, in name.
 * DNS_OK, or another code with name "unknown" (DNS_NODATA when there is
 * a PTR that does not confirm).  All lookups end by the resolver's
 * timeout from the start.
 */
enum dns_rc dns_fcrdns(struct dns_resolver *r, const char *ip,
    struct str *name);

#endif
