/*
 * authc_proto - the part of a SASL exchange every protocol daemon does
 * the same way; see authc.h.
 */
#include <string.h>
#include <time.h>

#include "authc.h"

bool
authc_offers(const char *list, const char *mech)
{
	size_t n = strlen(mech);
	const char *s = list;

	while (n > 0 && (s = strstr(s, mech)) != NULL) {
		if ((s == list || s[-1] == ' ') &&
		    (s[n] == ' ' || s[n] == '\0'))
			return true;
		s += n;
	}
	return false;
}

struct conversation {
	struct buf *b;
	const char *prefix;
};

/* challenge - prefix and the challenge, then one line back. */
static int
challenge(void *ctx, const char *chal, struct str *resp)
{
	struct conversation *c = ctx;

	buf_printf(c->b, "%s%s\r\n", c->prefix, chal);
	if (buf_getline(c->b, resp, AUTHC_LINE_MAX) != BUF_OK)
		return -1;
	str_chomp(resp);
	return str_eqs(resp, "*") ? -1 : 0;
}

int
authc_converse(struct buf *b, const char *prefix, const char *service,
    const char *mech, const char *ip, bool secured, const char *ir,
    struct authc_result *res)
{
	struct conversation c = { b, prefix };
	struct str upper = STR_INIT, resp = STR_INIT;
	size_t i;

	str_copys(&upper, mech);
	for (i = 0; i < upper.len; i++)
		if (upper.s[i] >= 'a' && upper.s[i] <= 'z')
			upper.s[i] = (char)(upper.s[i] - 'a' + 'A');
	authc_run(service, upper.s, ip, secured, ir, challenge, &c, res);
	/* None of SMTP, IMAP and POP3 puts data in its success reply:
	 * the final server message (SCRAM's signature) is one more
	 * challenge, answered with an empty line (RFC 4954 4, RFC 9051
	 * 6.2.2, RFC 5034 4). */
	if (res->status == AUTHC_OK && res->final_data.len > 0 &&
	    (challenge(&c, res->final_data.s, &resp) < 0 || resp.len > 0)) {
		res->status = AUTHC_FAIL;
		str_copys(&res->code, "cancelled");
	}
	str_free(&upper);
	str_free(&resp);
	return res->status;
}

void
authc_delay(struct buf *b, const struct authc_result *res)
{
	struct timespec ts = { res->delay_ms / 1000,
	    (res->delay_ms % 1000) * 1000000L };

	if (res->status != AUTHC_FAIL || res->delay_ms <= 0)
		return;
	(void)buf_flush(b);
	nanosleep(&ts, NULL);
}

const char *
authc_memo_get(struct authc_memo *m, const char *service, bool secured,
    const char *ip)
{
	if (!m->known || m->secured != secured) {
		m->secured = secured;
		m->known = authc_mechs(service, secured, ip, &m->list) == 0;
		if (!m->known)
			return NULL;
	}
	return str_cstr(&m->list);
}

void
authc_memo_free(struct authc_memo *m)
{
	str_free(&m->list);
	m->known = false;
}
