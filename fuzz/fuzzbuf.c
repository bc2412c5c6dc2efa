/*
 * fuzzbuf - a memory transport for struct buf; see fuzzbuf.h.
 */
#include <string.h>

#include "fuzzbuf.h"

static ssize_t
mem_read(struct buf *b, void *p, size_t n)
{
	struct fuzzbuf *f = b->op_ctx;
	size_t k = f->n - f->pos;

	if (k > n)
		k = n;
	if (f->piece > 0 && k > f->piece)
		k = f->piece;
	memcpy(p, f->p + f->pos, k);
	f->pos += k;
	return (ssize_t)k;
}

static ssize_t
mem_write(struct buf *b, const void *p, size_t n)
{
	(void)b, (void)p;
	return (ssize_t)n;
}

static const struct buf_ops mem_ops = { mem_read, mem_write };

void
fuzzbuf_open(struct buf *b, struct fuzzbuf *f, const uint8_t *data,
    size_t size, size_t piece)
{
	f->p = data;
	f->n = size;
	f->pos = 0;
	f->piece = piece;
	buf_init(b, -1, 0);
	buf_set_ops(b, &mem_ops, f);
}

void
fuzzbuf_close(struct buf *b)
{
	buf_free(b);
}
