/* fuzz-imap - IMAP commands as imapd reads them (imapd/imap_parse.c):
 * off a buf in pieces, literals and all, or parsed from text; a SEARCH
 * goes on to imapd/imap_search.c, and every atom that could be a
 * sequence set to imap_seqset_parse.  Byte 0: mode bit and piece size. */
#include <string.h>

#include "fuzzbuf.h"
#include "../imapd/imap_parse.h"
#include "../imapd/imap_search.h"

static const struct imap_limits lim = {
	.line_max = 8192,
	.text_max = 32768,
	.literal_max = 4096,
	.append_max = 65536,
	.literals_max = 65536,
	.discard_max = 4096,
	.depth_max = 8,
};

static void
search(const struct imap_cmd *c)
{
	struct imap_search *q = NULL;
	struct str err = STR_INIT;
	const struct imap_arg *a = c->args;
	size_t n = c->nargs;

	/* UID SEARCH: the verb is UID, the first argument SEARCH */
	if (strcmp(c->verb, "UID") == 0 && n > 0 &&
	    imap_arg_is(&a[0], "SEARCH")) {
		a++;
		n--;
	} else if (strcmp(c->verb, "SEARCH") != 0)
		return;
	if (imap_search_parse(a, n, lim.depth_max, &q, &err) == 0) {
		imap_search_prepare(q, 100, 1000, NULL);
		(void)imap_search_needs_content(q);
		(void)imap_search_has_modseq(q);
	}
	imap_search_free(&q);
	str_free(&err);
}

static void
seqsets(const struct imap_cmd *c)
{
	struct imap_seqset set;

	memset(&set, 0, sizeof set);
	for (size_t i = 0; i < c->nargs; i++)
		if (c->args[i].type == IMAP_ARG_ATOM &&
		    imap_seqset_parse(c->args[i].s, &set) == 0) {
			imap_seqset_resolve(&set, 50);
			(void)imap_seqset_has(&set, 7);
		}
	imap_seqset_free(&set);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_cmd c;
	struct str err = STR_INIT;
	struct fuzzbuf f;
	struct buf b;

	if (size < 1)
		return 0;
	imap_cmd_init(&c);
	if (data[0] & 1) {
		fuzzbuf_open(&b, &f, data + 1, size - 1, data[0] >> 1);
		for (int i = 0; i < 64; i++) {
			enum imap_read_rc rc = imap_cmd_read(&b, &c, &lim,
			    &err);

			if (rc == IMAP_READ_OK) {
				search(&c);
				seqsets(&c);
			} else if (rc != IMAP_READ_BAD && rc != IMAP_READ_NO)
				break;
		}
		fuzzbuf_close(&b);
	} else if (imap_cmd_parse((const char *)data + 1, size - 1, &c, &lim,
	    &err) == IMAP_READ_OK) {
		search(&c);
		seqsets(&c);
	}
	imap_cmd_free(&c);
	str_free(&err);
	return 0;
}
