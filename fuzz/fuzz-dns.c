/* fuzz-dns - DNS answers through dns_parse() (lib/dns/dns_parse.c), as
 * a server or anyone spoofing one could send them, then what the SMTP
 * client makes of an MX answer and a round through the cache.  Byte 0
 * picks the type asked; the name asked is "example.test" (the seeds'
 * question), the rest is the packet. */
#include <string.h>

#include "dns.h"
#include "fuzzbuf.h"

static const unsigned types[] = {
	DNS_T_A, DNS_T_AAAA, DNS_T_MX, DNS_T_TXT, DNS_T_PTR, DNS_T_TLSA,
	DNS_T_CNAME, DNS_T_NS,
};

static time_t
fixed_clock(void)
{
	return 1000;
}

static unsigned
first(void *arg, unsigned n)
{
	(void)arg;
	return n - 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_cache *cache;
	struct dns_answer a, b;
	struct dns_mx_list l;
	unsigned type;

	if (size < 1)
		return 0;
	if (cache == NULL)
		cache = dns_cache_new(4, fixed_clock);
	type = types[data[0] % (sizeof types / sizeof types[0])];
	(void)dns_parse(data + 1, size - 1, data[0] & 0x80 ? 0x1234 : -1,
	    "example.test", type, &a);
	if (type == DNS_T_MX) {
		(void)dns_mx_from_answer(&a, "example.test", first, NULL, &l);
		dns_mx_list_free(&l);
	}
	dns_cache_put(cache, "example.test", type, 0, &a);
	if (dns_cache_get(cache, "example.test", type, 0, &b))
		dns_answer_free(&b);
	dns_answer_free(&a);
	return 0;
}
