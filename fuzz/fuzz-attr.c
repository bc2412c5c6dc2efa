/* fuzz-attr - attribute lists as the daemons read them from each other
 * (lib/base/attr.c), one after another until the input ends or breaks
 * a rule.  Byte 0: piece size. */
#include "attr.h"
#include "fuzzbuf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attrs a = ATTRS_INIT;
	struct str err = STR_INIT;
	struct fuzzbuf f;
	struct buf b;

	if (size < 1)
		return 0;
	fuzzbuf_open(&b, &f, data + 1, size - 1, data[0]);
	while (attr_read(&b, &a, 1u << 20, &err) == BUF_OK) {
		(void)attr_get(&a, "request");
		(void)attr_count(&a, "rcpt");
		(void)attr_check_greeting(&a, "cleanup", "1.0", &err);
	}
	fuzzbuf_close(&b);
	attrs_free(&a);
	str_free(&err);
	return 0;
}
