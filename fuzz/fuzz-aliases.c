/* fuzz-aliases - the targets of an aliases(5) value or an :include:
 * file, which any user may write (lib/mail/aliases.c). */
#include <stdlib.h>
#include <string.h>

#include "aliases.h"
#include "fuzzbuf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str lines = STR_INIT, err = STR_INIT;
	char *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';	/* a file's text: cut at a NUL, as read */
	(void)aliases_parse_targets(text, &lines, &err);
	free(text);
	str_free(&lines);
	str_free(&err);
	return 0;
}
