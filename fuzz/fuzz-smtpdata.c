/* fuzz-smtpdata - message data as DATA (dot-stuffed, ended by CRLF.CRLF)
 * and as BDAT chunks (lib/mail/smtpdata.c), read through a buf in pieces
 * of the input's choosing.  Byte 0: mode bits; byte 1: piece size. */
#include <stdbool.h>

#include "fuzzbuf.h"
#include "smtpdata.h"

#define LINE_MAX_FUZZ 1000

static size_t
take(void *arg, const char *p, size_t n)
{
	struct smtpdata *d = arg;
	struct str out = STR_INIT;
	unsigned long long size = 0;
	size_t used = smtpdata_take(d, p, n, &out, &size);

	str_free(&out);
	return used;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpdata d;
	struct fuzzbuf f;
	struct buf b;
	struct str line = STR_INIT, out = STR_INIT;
	bool dot, normalize;

	if (size < 2)
		return 0;
	dot = data[0] & 1;
	normalize = data[0] & 2;
	smtpdata_init(&d, dot, normalize, LINE_MAX_FUZZ);
	fuzzbuf_open(&b, &f, data + 2, size - 2, data[1]);
	if (dot)
		(void)smtpdata_read(&b, &d, &line, LINE_MAX_FUZZ, take, &d);
	else
		(void)smtpdata_chunk(&b, size - 2, 1 + data[1] * 16u, take,
		    &d);
	smtpdata_finish(&d, &out);
	fuzzbuf_close(&b);
	str_free(&line);
	str_free(&out);
	return 0;
}
