/*
 * mime_addr - RFC 5322 3.4 address lists as IMAP ENVELOPE address
 * structures (RFC 3501 7.4.2): ((name adl mailbox host) ...).
 *
 * Tolerant the way Dovecot is, whose output we match (see the cases in
 * t/unit/test-mime.c): phrases, quoted strings, comments (a comment
 * names an address that has no phrase), angle addresses with obsolete
 * routes (RFC 5322 4.4), groups as (NIL NIL "name" NIL) ...
 * (NIL NIL NIL NIL); an empty address, a missing local part or domain
 * become MISSING_MAILBOX / MISSING_DOMAIN, an unclosed angle address
 * SYNTAX_ERROR, an empty route INVALID_ROUTE, all as Dovecot writes
 * them; anything but a comma after an address ends the list.  Phrases
 * broken by an unterminated quote or by blanks around dots come out
 * simpler than Dovecot's (which are odd).  Every step consumes input.
 */
#include <string.h>

#include "mime_int.h"

enum { T_EOF, T_WORD, T_DLIT, T_SPECIAL };

struct lex {
	const char *s;
	size_t n, i;
	struct str qs;		/* the current quoted string, unescaped */
	const char *cm;		/* the last comment's text */
	size_t cml;
	bool broken_cm;		/* an unterminated comment */
	bool broken_qs;		/* an unterminated quoted string */
};

struct tok {
	int type;
	char c;			/* T_SPECIAL */
	const char *p;		/* T_WORD, T_DLIT */
	size_t len;
	bool ws;		/* white space or a comment before it */
};

static bool
special(char c)
{
	return strchr("()<>[]:;@\\,.\"", c) != NULL;
}

static void
next(struct lex *lx, struct tok *t)
{
	const char *s = lx->s;
	size_t n = lx->n, i = lx->i, st;

	t->ws = false;
	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n')) {
			i++;
			t->ws = true;
		}
		if (i < n && s[i] == '(') {
			size_t depth = 1;

			st = ++i;
			for (; i < n && depth > 0; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				else if (s[i] == '(')
					depth++;
				else if (s[i] == ')')
					depth--;
			}
			lx->cm = s + st;
			lx->cml = i - st - (depth == 0 ? 1 : 0);
			if (depth > 0)
				lx->broken_cm = true;
			t->ws = true;
			continue;
		}
		break;
	}
	if (i >= n) {
		t->type = T_EOF;
		lx->i = n;
		return;
	}
	if (s[i] == '"') {
		str_clear(&lx->qs);
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '\r' || s[i] == '\n')
				continue;
			str_catc(&lx->qs, s[i]);
		}
		if (i >= n)
			lx->broken_qs = true;
		lx->i = i < n ? i + 1 : n;
		t->type = T_WORD;
		t->p = lx->qs.s ? lx->qs.s : "";
		t->len = lx->qs.len;
		return;
	}
	if (s[i] == '[') {
		st = i;
		while (i < n && s[i] != ']')
			i++;
		lx->i = i < n ? i + 1 : n;
		t->type = T_DLIT;
		t->p = s + st;
		t->len = lx->i - st;
		return;
	}
	if (special(s[i])) {
		t->type = T_SPECIAL;
		t->c = s[i];
		lx->i = i + 1;
		return;
	}
	st = i;
	while (i < n && !special(s[i]) && s[i] != ' ' && s[i] != '\t' &&
	    s[i] != '\r' && s[i] != '\n')
		i++;
	t->type = T_WORD;
	t->p = s + st;
	t->len = i - st;
	lx->i = i;
}

static bool
is_sp(const struct tok *t, char c)
{
	return t->type == T_SPECIAL && t->c == c;
}

/* domain - atoms, dots and literals until something else; that token
 * is left in *t. */
static void
domain(struct lex *lx, struct tok *t, struct str *out)
{
	bool want_atom = true;	/* two atoms need a dot between them */

	for (;;) {
		next(lx, t);
		if ((t->type == T_WORD || t->type == T_DLIT) && want_atom) {
			str_catb(out, t->p, t->len);
			want_atom = false;
		} else if (is_sp(t, '.')) {
			str_catc(out, '.');
			want_atom = true;
		} else
			return;
	}
}

static void
emit(struct str *out, bool *any, const struct str *name,
    const struct str *adl, const struct str *mbox, const struct str *host)
{
	str_cats(out, *any ? "(" : "((");
	*any = true;
	if (name && name->len)
		mime_quote_human(out, name->s, name->len);
	else
		str_cats(out, "NIL");
	str_catc(out, ' ');
	if (adl && adl->len)
		mime_quote(out, adl->s, adl->len);
	else
		str_cats(out, "NIL");
	str_catc(out, ' ');
	if (mbox)
		mime_quote(out, mbox->len ? mbox->s : "MISSING_MAILBOX",
		    mbox->len ? mbox->len : 15);
	else
		str_cats(out, "NIL");
	str_catc(out, ' ');
	if (host)
		mime_quote(out, host->len ? host->s : "MISSING_DOMAIN",
		    host->len ? host->len : 14);
	else
		str_cats(out, "NIL");
	str_catc(out, ')');
}

void
mime_addr_list(const char *s, size_t n, struct str *out)
{
	struct lex lx = { s, n, 0, STR_INIT, NULL, 0, false, false };
	struct str phrase = STR_INIT, local = STR_INIT, dom = STR_INIT,
	    adl = STR_INIT, cname = STR_INIT;
	struct tok t;
	bool any = false, in_group = false, group_start = false;

	next(&lx, &t);
	while (t.type != T_EOF) {
		bool words = false, prev_word = false, adjacent = false;
		bool syntax = false;
		size_t first = 0;	/* local part before a second word */

		str_clear(&phrase);
		str_clear(&local);
		str_clear(&dom);
		str_clear(&adl);
		lx.cm = NULL;
		/* a phrase, or the local part of an addr-spec */
		while (t.type == T_WORD || t.type == T_DLIT || is_sp(&t, '.')) {
			if (t.ws && phrase.len)
				str_catc(&phrase, ' ');
			if (is_sp(&t, '.')) {
				str_catc(&phrase, '.');
				str_catc(&local, '.');
				prev_word = false;
			} else {
				if (prev_word && !adjacent) {
					adjacent = true;
					first = local.len;
				}
				str_catb(&phrase, t.p, t.len);
				str_catb(&local, t.p, t.len);
				prev_word = true;
			}
			words = true;
			next(&lx, &t);
		}
		if (lx.broken_qs && words && t.type == T_EOF) {
			/* an unterminated quoted string: Dovecot keeps
			 * nothing of the address */
			str_clear(&local);
			emit(out, &any, NULL, NULL, &local, &dom);
			break;
		}
		if (is_sp(&t, ':') && words) {
			emit(out, &any, NULL, NULL, &phrase, NULL);
			in_group = group_start = true;
			next(&lx, &t);
			continue;
		}
		if (is_sp(&t, '<')) {
			bool bad_route = false;

			next(&lx, &t);
			/* obsolete route: @a,@b: */
			while (is_sp(&t, '@')) {
				size_t before;

				if (adl.len)
					str_catc(&adl, ',');
				str_catc(&adl, '@');
				before = adl.len;
				domain(&lx, &t, &adl);
				if (adl.len == before)
					bad_route = true;
				while (is_sp(&t, ','))
					next(&lx, &t);
				if (is_sp(&t, ':')) {
					next(&lx, &t);
					break;
				}
			}
			str_clear(&local);
			while (t.type == T_WORD || is_sp(&t, '.')) {
				if (is_sp(&t, '.'))
					str_catc(&local, '.');
				else
					str_catb(&local, t.p, t.len);
				next(&lx, &t);
			}
			if (is_sp(&t, '@'))
				domain(&lx, &t, &dom);
			syntax = !is_sp(&t, '>');
			while (t.type != T_EOF && !is_sp(&t, '>') &&
			    !is_sp(&t, ','))
				next(&lx, &t);
			if (is_sp(&t, '>'))
				next(&lx, &t);
			if (syntax || lx.broken_cm)	/* Dovecot's word */
				str_copys(&dom, "SYNTAX_ERROR");
			if (bad_route)	/* Dovecot's word for "<@>" */
				str_copys(&adl, "INVALID_ROUTE");
			emit(out, &any, &phrase, &adl, &local, &dom);
			if (syntax)
				break;	/* Dovecot gives up there */
		} else if (words && adjacent && lx.cm) {
			/* "a (c) b": local part a, named by the comment */
			str_truncate(&local, first);
			str_copyb(&cname, lx.cm, lx.cml);
			emit(out, &any, &cname, NULL, &local, &dom);
		} else if (words && adjacent) {
			/* words that are no local part: a name, as Dovecot */
			str_clear(&local);
			emit(out, &any, &phrase, NULL, &local, &dom);
		} else if (is_sp(&t, '@') || words) {
			if (is_sp(&t, '@'))
				domain(&lx, &t, &dom);
			if (dom.len && (dom.s[0] == '.' ||
			    dom.s[dom.len - 1] == '.'))
				str_clear(&dom);
			str_clear(&cname);
			if (lx.broken_cm)
				str_clear(&dom);	/* as Dovecot */
			else if (lx.cm)
				str_catb(&cname, lx.cm, lx.cml);
			emit(out, &any, &cname, NULL, &local, &dom);
		} else if (!(is_sp(&t, ';') && group_start)) {
			/* nothing where an address belongs */
			emit(out, &any, NULL, NULL, &local, &dom);
			if (!is_sp(&t, ',') && !is_sp(&t, ';'))
				break;
		}
		group_start = false;
		if (is_sp(&t, ';')) {
			if (!in_group)
				break;	/* junk: the list ends */
			emit(out, &any, NULL, NULL, NULL, NULL);
			in_group = false;
			next(&lx, &t);
		}
		/* anything but a comma after an address ends the list */
		if (!is_sp(&t, ','))
			break;
		next(&lx, &t);
	}
	if (in_group)
		emit(out, &any, NULL, NULL, NULL, NULL);
	str_cats(out, any ? ")" : "NIL");
	str_free(&lx.qs);
	str_free(&phrase);
	str_free(&local);
	str_free(&dom);
	str_free(&adl);
	str_free(&cname);
}
