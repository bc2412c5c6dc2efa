/*
 * cleanup_content - the message as it streams in: the header section is
 * collected (bounded) until the first empty line, rewritten, and only
 * then is the envelope written, because recipients may come from the
 * headers; the body goes straight to the queue file.
 */
#include <string.h>

#include "cfg.h"
#include "cleanup.h"

static void
finish_header(struct cleanup_msg *m, const char *h, size_t n)
{
	struct str out = STR_INIT;

	m->in_body = 1;
	if (n > CLEANUP_HEADER_MAX) {
		cleanup_fail(m, CLEANUP_FAIL, "5.6.0 header section over %d "
		    "bytes", CLEANUP_HEADER_MAX);
		return;
	}
	if (cleanup_header(m, h, n, &out) == CLEANUP_OK) {
		if (m->rcpt.n == 0)
			cleanup_fail(m, CLEANUP_FAIL, "5.5.1 no recipient "
			    "addresses found in the message header");
		cleanup_queue_envelope(m);
		cleanup_queue_data(m, out.s, out.len);
	}
	str_free(&out);
}

void
cleanup_content(struct cleanup_msg *m, const char *p, size_t n)
{
	const char *sep;
	size_t from, hlen;

	if (m->rc != CLEANUP_OK)
		return;		/* read to the end, answered then */
	m->size += n;
	if (m->size > (unsigned long long)var_message_size_limit) {
		cleanup_fail(m, CLEANUP_FAIL, "5.3.4 message too big");
		return;
	}
	if (m->in_body) {
		cleanup_queue_data(m, p, n);
		return;
	}
	from = m->hdr.len > 0 ? m->hdr.len - 1 : 0;
	str_catb(&m->hdr, p, n);
	if (m->hdr.s[0] == '\n') {
		sep = m->hdr.s;
		hlen = 0;
	} else {
		sep = memmem(m->hdr.s + from, m->hdr.len - from, "\n\n", 2);
		hlen = sep ? (size_t)(sep - m->hdr.s) + 1 : 0;
	}
	if (sep == NULL) {
		if (m->hdr.len > CLEANUP_HEADER_MAX)
			finish_header(m, m->hdr.s, m->hdr.len);
		return;
	}
	finish_header(m, m->hdr.s, hlen);
	/* the body keeps its separating empty line */
	cleanup_queue_data(m, m->hdr.s + hlen, m->hdr.len - hlen);
	str_free(&m->hdr);
}

void
cleanup_content_end(struct cleanup_msg *m)
{
	if (m->rc == CLEANUP_OK && !m->in_body) {
		finish_header(m, m->hdr.s, m->hdr.len);
		str_free(&m->hdr);
	}
}
