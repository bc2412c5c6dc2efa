/*
 * smtpcmd - SMTP command line parsing; see smtpcmd.h.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "smtpcmd.h"

static const struct {
	const char *name;
	enum smtpcmd_verb verb;
} verbs[] = {
	{ "EHLO", SMTPCMD_EHLO }, { "HELO", SMTPCMD_HELO },
	{ "MAIL", SMTPCMD_MAIL }, { "RCPT", SMTPCMD_RCPT },
	{ "DATA", SMTPCMD_DATA }, { "BDAT", SMTPCMD_BDAT },
	{ "RSET", SMTPCMD_RSET }, { "NOOP", SMTPCMD_NOOP },
	{ "QUIT", SMTPCMD_QUIT }, { "HELP", SMTPCMD_HELP },
	{ "VRFY", SMTPCMD_VRFY }, { "EXPN", SMTPCMD_EXPN },
	{ "STARTTLS", SMTPCMD_STARTTLS }, { "AUTH", SMTPCMD_AUTH },
};

static int
fail(struct smtpcmd *c, const char *reply)
{
	str_copys(&c->reply, reply);
	return -1;
}

/* is_uphex - xtext's hexchar is upper-case only (RFC 3461 4). */
static bool
is_uphex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F');
}

bool
smtpcmd_xtext_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '+') {
			if (i + 2 >= n || !is_uphex(s[i + 1]) ||
			    !is_uphex(s[i + 2]))
				return false;
			i += 2;
		} else if (ch < 33 || ch > 126 || ch == '=')
			return false;
	}
	return true;
}

/* notify_parse - NEVER, or a list of SUCCESS, FAILURE, DELAY. */
static unsigned
notify_parse(const char *v, size_t n)
{
	unsigned bits = 0, b;

	for (;;) {
		size_t k = 0;

		while (k < n && v[k] != ',')
			k++;
		if (k == 5 && strncasecmp(v, "NEVER", 5) == 0)
			b = SMTPCMD_NOTIFY_NEVER;
		else if (k == 7 && strncasecmp(v, "SUCCESS", 7) == 0)
			b = SMTPCMD_NOTIFY_SUCCESS;
		else if (k == 7 && strncasecmp(v, "FAILURE", 7) == 0)
			b = SMTPCMD_NOTIFY_FAILURE;
		else if (k == 5 && strncasecmp(v, "DELAY", 5) == 0)
			b = SMTPCMD_NOTIFY_DELAY;
		else
			return 0;
		if (bits & b)
			return 0;
		bits |= b;
		if (k == n)
			break;
		v += k + 1;
		n -= k + 1;
	}
	/* RFC 3461 4.1: NEVER stands alone. */
	if ((bits & SMTPCMD_NOTIFY_NEVER) && bits != SMTPCMD_NOTIFY_NEVER)
		return 0;
	return bits;
}

/* orcpt_ok - addr-type ";" xtext, addr-type an atom. */
static bool
orcpt_ok(const char *v, size_t n)
{
	const char *semi = memchr(v, ';', n);
	size_t i, tl;

	if (semi == NULL || semi == v || n > SMTPCMD_ORCPT_MAX)
		return false;
	tl = (size_t)(semi - v);
	for (i = 0; i < tl; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '-')
			return false;
	return n - tl - 1 > 0 && smtpcmd_xtext_ok(semi + 1, n - tl - 1);
}

/* one_param - check keyword k (kl bytes) with value v (vl bytes, or
 * v == NULL for none) for MAIL (mail true) or RCPT. */
static int
one_param(struct smtpcmd *c, bool mail, const char *k, size_t kl,
    const char *v, size_t vl, unsigned *seen)
{
	static const char *const mail_kw[] = { "SIZE", "BODY", "SMTPUTF8",
		"RET", "ENVID", "AUTH" };
	static const char *const rcpt_kw[] = { "NOTIFY", "ORCPT" };
	const char *const *kw = mail ? mail_kw : rcpt_kw;
	size_t nkw = mail ? 6 : 2, i;

	for (i = 0; i < nkw; i++)
		if (strlen(kw[i]) == kl && strncasecmp(k, kw[i], kl) == 0)
			break;
	if (i == nkw) {
		str_copyf(&c->reply, "555 5.5.4 Error: unsupported "
		    "parameter %.*s", (int)(kl > 40 ? 40 : kl), k);
		return -1;
	}
	if (*seen & (1u << i))
		return fail(c, "501 5.5.4 Error: duplicate parameter");
	*seen |= 1u << i;
	if ((v == NULL) != (mail && i == 2))
		goto bad;
	if (mail && i == 5) {
		/* RFC 4954 5: AUTH=<> or an xtext mailbox.  It is checked
		 * and dropped: roost does not pass on a submitter's claim
		 * (the server's own record is the Received header). */
		if ((vl == 2 && v[0] == '<' && v[1] == '>') ||
		    (vl > 0 && vl <= 500 && smtpcmd_xtext_ok(v, vl)))
			return 0;
		goto bad;
	}
	if (c->params.len)
		str_catc(&c->params, ' ');
	str_cats(&c->params, kw[i]);
	if (v) {
		str_catc(&c->params, '=');
		str_catb(&c->params, v, vl);
	}
	if (!mail) {
		if (i == 0 && (c->notify = notify_parse(v, vl)) == 0)
			goto bad;
		if (i == 1 && !orcpt_ok(v, vl))
			goto bad;
		return 0;
	}
	switch (i) {
	case 0:
		if (vl == 0 || vl > 20)
			goto bad;
		c->has_size = true;
		for (c->size = 0; vl > 0; v++, vl--) {
			if (*v < '0' || *v > '9')
				goto bad;
			/* saturate: anything this big is over the limit */
			if (c->size > 1000000000000000000ULL)
				c->size = 1000000000000000000ULL;
			else
				c->size = c->size * 10 + (unsigned)(*v - '0');
		}
		break;
	case 1:
		if (vl == 4 && strncasecmp(v, "7BIT", 4) == 0)
			c->body = SMTPCMD_BODY_7BIT;
		else if (vl == 8 && strncasecmp(v, "8BITMIME", 8) == 0)
			c->body = SMTPCMD_BODY_8BITMIME;
		else
			return fail(c, "555 5.5.4 Error: unsupported BODY "
			    "type");
		break;
	case 2:
		c->smtputf8 = true;
		break;
	case 3:
		if (vl == 4 && strncasecmp(v, "FULL", 4) == 0)
			c->ret = 'F';
		else if (vl == 4 && strncasecmp(v, "HDRS", 4) == 0)
			c->ret = 'H';
		else
			goto bad;
		break;
	case 4:
		if (vl == 0 || vl > SMTPCMD_ENVID_MAX ||
		    !smtpcmd_xtext_ok(v, vl))
			goto bad;
		break;
	}
	return 0;
bad:
	str_copyf(&c->reply, "501 5.5.4 Error: bad parameter %.*s", (int)kl,
	    k);
	return -1;
}

/* path_cmd - MAIL FROM:<path> / RCPT TO:<path> with parameters. */
static int
path_cmd(struct smtpcmd *c, const char *a, size_t n, unsigned flags)
{
	bool mail = c->verb == SMTPCMD_MAIL;
	const char *kw = mail ? "FROM:" : "TO:";
	size_t kl = strlen(kw), used = 0, i;
	unsigned seen = 0;
	struct str err = STR_INIT;

	if (n < kl || strncasecmp(a, kw, kl) != 0) {
		str_copyf(&c->reply, "501 5.5.2 Syntax: %s", mail ?
		    "MAIL FROM:<address>" : "RCPT TO:<address>");
		return -1;
	}
	a += kl;
	n -= kl;
	/* Many clients put a space after the colon; accept it. */
	while (n > 0 && *a == ' ') {
		a++;
		n--;
	}
	/* RFC 5321 4.1.1.3: <Postmaster> needs no domain */
	if (!mail && n >= 12 && strncasecmp(a, "<postmaster>", 12) == 0) {
		str_copyb(&c->addr, a + 1, 10);
		used = 12;
	} else if (addr_parse_path(a, n, ADDR_UTF8 |
	    (mail ? ADDR_NULL_OK : 0), &c->addr, &used, &err) < 0) {
		str_copyf(&c->reply, "501 %s Error: bad %s address syntax: "
		    "%s", mail ? "5.1.7" : "5.1.3", mail ? "sender" :
		    "recipient", err.s);
		str_free(&err);
		return -1;
	}
	str_free(&err);
	a += used;
	n -= used;
	while (n > 0) {
		const char *k, *eq, *v = NULL;
		size_t len, vl = 0;

		if (*a != ' ')
			return fail(c, "501 5.5.2 Error: bad syntax after "
			    "address");
		while (n > 0 && *a == ' ') {
			a++;
			n--;
		}
		if (n == 0)
			break;
		if (!(flags & SMTPCMD_ESMTP))
			return fail(c, "555 5.5.4 Error: parameters need "
			    "EHLO");
		for (len = 0; len < n && a[len] != ' '; len++)
			;
		k = a;
		eq = memchr(a, '=', len);
		if (eq) {
			v = eq + 1;
			vl = len - (size_t)(v - a);
		}
		for (i = 0; k + i < (eq ? eq : a + len); i++)
			if (!isalnum((unsigned char)k[i]) && k[i] != '-')
				return fail(c, "501 5.5.4 Error: bad parameter "
				    "syntax");
		if (i == 0)
			return fail(c, "501 5.5.4 Error: bad parameter syntax");
		if (one_param(c, mail, k, i, v, vl, &seen) < 0)
			return -1;
		a += len;
		n -= len;
	}
	if (!(mail ? c->smtputf8 : (flags & SMTPCMD_UTF8) != 0))
		for (i = 0; i < c->addr.len; i++)
			if ((unsigned char)c->addr.s[i] >= 0x80)
				return fail(c, "553 5.6.7 Error: non-ASCII "
				    "address needs SMTPUTF8");
	return 0;
}

static int
bdat_cmd(struct smtpcmd *c, const char *a, size_t n)
{
	size_t i = 0;

	c->chunk = 0;
	while (i < n && a[i] >= '0' && a[i] <= '9') {
		if (i >= 18)
			return fail(c, "501 5.5.4 Error: BDAT size too big");
		c->chunk = c->chunk * 10 + (unsigned)(a[i] - '0');
		i++;
	}
	if (i == 0)
		return fail(c, "501 5.5.4 Syntax: BDAT size [LAST]");
	if (i == n)
		return 0;
	if (a[i] == ' ' && n - i - 1 == 4 &&
	    strncasecmp(a + i + 1, "LAST", 4) == 0) {
		c->last = true;
		return 0;
	}
	return fail(c, "501 5.5.4 Syntax: BDAT size [LAST]");
}

int
smtpcmd_parse(const char *line, size_t len, unsigned flags,
    struct smtpcmd *c)
{
	size_t vl = 0, i;
	const char *a;

	c->verb = SMTPCMD_UNKNOWN;
	str_clear(&c->arg);
	str_clear(&c->addr);
	str_clear(&c->params);
	str_clear(&c->reply);
	c->has_size = c->smtputf8 = c->last = false;
	c->size = c->chunk = 0;
	c->body = SMTPCMD_BODY_NONE;
	c->ret = 0;
	c->notify = 0;
	while (vl < len && line[vl] != ' ')
		vl++;
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (vl == strlen(verbs[i].name) &&
		    strncasecmp(line, verbs[i].name, vl) == 0)
			c->verb = verbs[i].verb;
	if (c->verb == SMTPCMD_UNKNOWN)
		return fail(c, "500 5.5.2 Error: command not recognized");
	a = vl < len ? line + vl + 1 : line + len;
	len -= (size_t)(a - line);
	switch (c->verb) {
	case SMTPCMD_EHLO:
	case SMTPCMD_HELO:
		for (i = 0; i < len && a[i] != ' '; i++)
			;
		if (i == 0)
			return fail(c, c->verb == SMTPCMD_EHLO ?
			    "501 5.5.4 Syntax: EHLO hostname" :
			    "501 5.5.4 Syntax: HELO hostname");
		str_copyb(&c->arg, a, i);
		return 0;
	case SMTPCMD_MAIL:
	case SMTPCMD_RCPT:
		return path_cmd(c, a, len, flags);
	case SMTPCMD_BDAT:
		return bdat_cmd(c, a, len);
	case SMTPCMD_DATA:
	case SMTPCMD_RSET:
	case SMTPCMD_QUIT:
	case SMTPCMD_STARTTLS:
		/* trailing blanks are harmless; anything else is not */
		for (i = 0; i < len; i++)
			if (a[i] != ' ')
				return fail(c, "501 5.5.4 Error: no "
				    "parameters allowed");
		return 0;
	case SMTPCMD_VRFY:
	case SMTPCMD_EXPN:
		if (len == 0)
			return fail(c, "501 5.5.4 Error: argument required");
		/* FALLTHROUGH */
	default:
		str_copyb(&c->arg, a, len);
		return 0;
	}
}

void
smtpcmd_free(struct smtpcmd *c)
{
	str_free(&c->arg);
	str_free(&c->addr);
	str_free(&c->params);
	str_free(&c->reply);
}
