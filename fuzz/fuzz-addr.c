/* fuzz-addr - SMTP paths and mailboxes (lib/mail/addr.c), the same
 * bytes as a header section (lib/mail/hdr.c), and as RFC 2047 words and
 * a date (lib/mime).  Byte 0: the addr flags. */
#include "addr.h"
#include "fuzzbuf.h"
#include "hdr.h"
#include "mime.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str out = STR_INIT, err = STR_INIT;
	const char *s = (const char *)data + 1;
	struct hdr_field fld;
	size_t n, used, pos = 0;
	unsigned flags;
	time_t t;

	if (size < 1)
		return 0;
	n = size - 1;
	flags = data[0] & (ADDR_UTF8 | ADDR_NULL_OK);
	if (addr_parse_path(s, n, flags, &out, &used, &err) == 0)
		(void)addr_domain(str_cstr(&out));
	(void)addr_check_mailbox(s, n, flags, &err);
	while (hdr_next(s, n, &pos, &fld) && !hdr_is_end(&fld))
		;
	str_clear(&out);
	mime_decode_words(s, n, &out);
	(void)mime_parse_date(s, n, &t);
	str_free(&out);
	str_free(&err);
	return 0;
}
