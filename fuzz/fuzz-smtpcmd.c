/* fuzz-smtpcmd - one SMTP command line (lib/mail/smtpcmd.c); the first
 * byte picks the flags (ESMTP, SMTPUTF8). */
#include "fuzzbuf.h"
#include "smtpcmd.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpcmd c = { 0 };
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0] & (SMTPCMD_ESMTP | SMTPCMD_UTF8);
	(void)smtpcmd_parse((const char *)data + 1, size - 1, flags, &c);
	smtpcmd_free(&c);
	(void)smtpcmd_xtext_ok((const char *)data + 1, size - 1);
	return 0;
}
