/*
 * rec - typed records of queue files; the format is in rec.h.
 */
#include <stdint.h>

#include "log.h"
#include "rec.h"

/* A varint for REC_MAX needs 3 bytes; more than this is corrupt. */
#define REC_VARINT_MAX 4

void
rec_put(struct str *out, int type, const void *p, size_t n)
{
	unsigned char v[REC_VARINT_MAX + 1];
	size_t k = 0, len = n;

	if (n > REC_MAX)
		log_panic("rec_put: record of %zu bytes", n);
	do {
		v[k] = len & 0x7f;
		len >>= 7;
		if (len)
			v[k] |= 0x80;
		k++;
	} while (len);
	str_catc(out, (char)type);
	str_catb(out, v, k);
	str_catb(out, p, n);
}

static int
type_known(int t)
{
	switch (t) {
	case REC_VERSION: case REC_TIME: case REC_ATTR: case REC_SENDER:
	case REC_PARAMS: case REC_RCPT: case REC_CONTENT: case REC_DATA:
	case REC_END:
		return 1;
	}
	return 0;
}

static int
get_byte(struct buf *b, unsigned char *c, enum buf_status *st)
{
	return buf_read(b, c, 1, st) == 1 ? 0 : -1;
}

int
rec_get(struct buf *b, int *type, struct str *out, struct str *err)
{
	enum buf_status st;
	unsigned char c;
	uint32_t len = 0;
	int k;

	str_clear(out);
	if (get_byte(b, &c, &st) < 0) {
		if (st == BUF_EOF)
			return 0;
		str_copys(err, "read error");
		return -1;
	}
	if (!type_known(c)) {
		str_copyf(err, "unknown record type 0x%02x", c);
		return -1;
	}
	*type = c;
	for (k = 0;; k++) {
		if (k == REC_VARINT_MAX) {
			str_copys(err, "record length too long");
			return -1;
		}
		if (get_byte(b, &c, &st) < 0) {
			str_copys(err, st == BUF_EOF ? "truncated record "
			    "length" : "read error");
			return -1;
		}
		len |= (uint32_t)(c & 0x7f) << (7 * k);
		if (!(c & 0x80))
			break;
	}
	if (len > REC_MAX) {
		str_copyf(err, "record of %u bytes is over the limit",
		    (unsigned)len);
		return -1;
	}
	st = buf_read_exact(b, out, len);
	if (st != BUF_OK) {
		str_copys(err, st == BUF_EOF ? "truncated record" :
		    "read error");
		return -1;
	}
	return 1;
}
