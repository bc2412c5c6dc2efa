/* fuzz-mime - a message through the MIME parser (lib/mime) and every
 * rendering imapd asks of it: ENVELOPE, BODYSTRUCTURE, sections,
 * BINARY, the SEARCH texts and the date. */
#include <stdbool.h>
#include <time.h>

#include "fuzzbuf.h"
#include "mime.h"

static const char *const sections[] = {
	"", "HEADER", "TEXT", "1", "1.MIME", "2.1.HEADER", "1.2.3.TEXT",
	"HEADER.FIELDS (FROM SUBJECT)", "2.HEADER.FIELDS.NOT (TO)",
};
static const char *const parts[] = { "", "1", "1.1", "2.3" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime *m = mime_parse((const char *)data, size);
	struct str out = STR_INIT, err = STR_INIT;
	time_t t;

	if (m == NULL)
		return 0;
	mime_envelope(m, &out);
	mime_bodystructure(m, true, &out);
	mime_bodystructure(m, false, &out);
	for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
		str_clear(&out);
		(void)mime_section(m, sections[i], &out, &err);
	}
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		str_clear(&out);
		(void)mime_binary(m, parts[i], &out, &err);
	}
	str_clear(&out);
	(void)mime_header(m, "subject", &out);
	mime_headers_text(m, &out);
	str_clear(&out);
	mime_body_text(m, &out);
	(void)mime_date(m, &t);
	mime_free(&m);
	str_free(&out);
	str_free(&err);
	return 0;
}
