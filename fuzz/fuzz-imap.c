/* fuzz-imap - IMAP commands as imapd reads them (imapd/imap_parse.c):
 * off a buf in pieces, literals and all, or parsed from text; a SEARCH
 * goes on to imapd/imap_search.c, and every atom that could be a
 * sequence set to imap_seqset_parse.  Byte 0: mode bit and piece size.
 * The reader has a sink that takes APPEND literals past 16 octets (a
 * write starting '!' fails, as does every fourth open), and every
 * literal the tree says it took must be one the sink has. */
#include <stdlib.h>
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

/* the sink: how many literals it opened, and which it closed */
struct sunk {
	int n;
	unsigned closed;
};

static const char *
sink_open(void *arg, int *no)
{
	struct sunk *k = arg;

	if (k->n % 4 == 3 || k->n >= 32) {
		k->n++;
		return "cannot open";
	}
	*no = k->n++;
	return NULL;
}

static const char *
sink_write(void *arg, int no, const void *p, size_t n)
{
	struct sunk *k = arg;

	if (no < 0 || no >= k->n || n == 0 ||
	    (k->closed & (1u << no)) != 0)
		abort();
	return *(const char *)p == '!' ? "cannot write" : NULL;
}

static const char *
sink_close(void *arg, int no)
{
	struct sunk *k = arg;

	if (no < 0 || no >= k->n || (k->closed & (1u << no)) != 0)
		abort();
	k->closed |= 1u << no;
	return NULL;
}

/* check_sunk - each literal the tree says the sink took is one it has
 * closed, and holds nothing itself. */
static void
check_sunk(const struct imap_arg *a, size_t n, const struct sunk *k)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].type == IMAP_ARG_LIST)
			check_sunk(a[i].list, a[i].n, k);
		else if (a[i].sunk >= 0 && (a[i].sunk >= k->n ||
		    (k->closed & (1u << a[i].sunk)) == 0 || a[i].len != 0 ||
		    !a[i].literal))
			abort();
	}
}

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
	struct sunk k;
	const struct imap_sink sink = { 16, &k, sink_open, sink_write,
	    sink_close };

	if (size < 1)
		return 0;
	imap_cmd_init(&c);
	if (data[0] & 1) {
		fuzzbuf_open(&b, &f, data + 1, size - 1, data[0] >> 1);
		c.sink = &sink;
		for (int i = 0; i < 64; i++) {
			enum imap_read_rc rc;

			memset(&k, 0, sizeof k);	/* dropped after each */
			rc = imap_cmd_read(&b, &c, &lim, &err);
			if (rc == IMAP_READ_OK) {
				check_sunk(c.args, c.nargs, &k);
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
