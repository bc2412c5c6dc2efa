/*
 * cleanup_addr - the addresses in an RFC 5322 address list, for
 * recipients taken from To/Cc/Bcc.  Display names, comments, groups and
 * source routes are dropped; what is left of each mailbox is its
 * addr-spec (with any quoted local part kept as written).
 */
#include "cleanup.h"

struct scan {
	struct str cur;		/* text outside <>: a bare addr-spec */
	struct str angle;	/* text inside <> */
	int have_angle;
};

static void
emit(struct scan *s, void (*fn)(void *, const char *, size_t), void *ctx)
{
	const struct str *a = s->have_angle ? &s->angle : &s->cur;
	const char *p = a->s;
	size_t n = a->len, i;

	/* obsolete source route "<@a,@b:user@c>": keep only user@c */
	if (n > 0 && p[0] == '@')
		for (i = n; i > 0; i--)
			if (p[i - 1] == ':') {
				p += i;
				n -= i;
				break;
			}
	if (n > 0)
		fn(ctx, p, n);
	str_clear(&s->cur);
	str_clear(&s->angle);
	s->have_angle = 0;
}

void
cleanup_addr_list(const char *v, size_t n,
    void (*fn)(void *, const char *, size_t), void *ctx)
{
	struct scan s = { STR_INIT, STR_INIT, 0 };
	struct str *into;
	int in_angle = 0, depth;
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = v[i];
		into = in_angle ? &s.angle : &s.cur;
		switch (c) {
		case '(':
			/* comments nest, and may hold quoted pairs */
			for (depth = 1, i++; i < n && depth > 0; i++) {
				if (v[i] == '\\')
					i++;
				else if (v[i] == '(')
					depth++;
				else if (v[i] == ')')
					depth--;
			}
			i--;
			break;
		case '"':
			str_catc(into, c);
			for (i++; i < n && v[i] != '"'; i++) {
				if (v[i] == '\\' && i + 1 < n)
					str_catc(into, v[i++]);
				str_catc(into, v[i]);
			}
			str_catc(into, '"');
			break;
		case '<':
			in_angle = 1;
			str_clear(&s.angle);
			break;
		case '>':
			if (in_angle) {
				in_angle = 0;
				s.have_angle = 1;
			}
			break;
		case ':':
			/* a group: what came before is its display name */
			if (in_angle)
				str_catc(into, c);
			else
				str_clear(&s.cur);
			break;
		case ',':
		case ';':
			if (in_angle)
				str_catc(into, c);
			else
				emit(&s, fn, ctx);
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			str_catc(into, c);
		}
	}
	emit(&s, fn, ctx);
	str_free(&s.cur);
	str_free(&s.angle);
}
