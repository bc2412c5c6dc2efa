/*
 * mime_text - decoded header and body text for IMAP SEARCH, and the
 * Date field as a time.
 */
#include <string.h>

#include "mime_int.h"

/* decoded - a field value unfolded, trimmed, encoded words decoded */
static void
decoded(const struct hdr_field *f, struct str *out)
{
	struct str t = STR_INIT;
	size_t b = 0, e;

	mime_unfold(f->val, f->vlen, &t);
	if (t.len == 0)
		return;
	e = t.len;
	mime_trim(t.s, &b, &e);
	mime_decode_words(t.s + b, e - b, out);
	str_free(&t);
}

int
mime_header(const struct mime *m, const char *name, struct str *out)
{
	const struct mime_part *p = &m->p[0];
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len;
	struct hdr_field f;
	int found = 0;

	while (hdr_next(m->msg, end, &pos, &f)) {
		if (!f.colon || !hdr_name_is(f.name, f.nlen, name))
			continue;
		if (found)
			str_catc(out, '\n');
		decoded(&f, out);
		found = 1;
	}
	return found;
}

void
mime_headers_text(const struct mime *m, struct str *out)
{
	const struct mime_part *p = &m->p[0];
	size_t pos = p->hdr_off, end = p->hdr_off + p->hdr_len;
	struct hdr_field f;

	while (hdr_next(m->msg, end, &pos, &f)) {
		if (!f.colon)
			continue;
		str_catb(out, f.name, f.nlen);
		str_cats(out, ": ");
		decoded(&f, out);
		str_catc(out, '\n');
	}
}

void
mime_body_text(const struct mime *m, struct str *out)
{
	struct str raw = STR_INIT;
	struct mime_ct ct, cte;
	struct hdr_field f;
	size_t i;
	bool first = true;

	/* the array is in message order, so parts come out in order */
	for (i = 0; i < m->n; i++) {
		const struct mime_part *p = &m->p[i];
		const struct str *cs;

		if (p->kind != MIME_LEAF || p->opaque)
			continue;
		mime_part_ct(m, p, &ct);
		if (!mime_ct_is(&ct, "text", NULL)) {
			mime_ct_free(&ct);
			continue;
		}
		str_clear(&raw);
		memset(&cte, 0, sizeof(cte));
		if (mime_field_find(m, p, "Content-Transfer-Encoding", &f))
			mime_ct_parse(f.val, f.vlen, false, &cte);
		if (mime_cte_decode(cte.type, cte.tlen, m->msg + p->body_off,
		    p->body_len, &raw) < 0)
			str_catb(&raw, m->msg + p->body_off, p->body_len);
		mime_ct_free(&cte);
		if (!first)
			str_catc(out, '\n');
		first = false;
		cs = mime_ct_param(&ct, "charset");
		mime_to_utf8(cs ? cs->s : NULL, cs ? cs->len : 0, raw.s,
		    raw.len, out);
		mime_ct_free(&ct);
	}
	str_free(&raw);
}

int
mime_date(const struct mime *m, time_t *t)
{
	struct hdr_field f;

	*t = 0;
	if (!mime_field_find(m, &m->p[0], "Date", &f) ||
	    mime_parse_date(f.val, f.vlen, t) < 0) {
		*t = 0;
		return 0;
	}
	return 1;
}
