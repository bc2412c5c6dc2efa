/* fuzz-queue - the queue's files: records read off a buf in pieces
 * (lib/mail/rec.c), and whole files as qmgr and mailq read them, the
 * envelope (lib/mail/queue.c) and the status file (lib/mail/qstatus.c),
 * from a memfd.  Byte 0: which (low 2 bits) and piece size. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzzbuf.h"
#include "qstatus.h"
#include "queue.h"
#include "rec.h"

static int memfd = -1;
static char path[64];

static void
as_file(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz-queue", 0);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) < 0 ||
	    pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
}

static int
content(void *arg, const char *p, size_t n)
{
	(void)arg, (void)p, (void)n;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct str out = STR_INIT, err = STR_INIT;
	struct queue_env e = { 0 };
	struct qstatus st = { 0 };
	struct fuzzbuf f;
	struct buf b;
	int type;

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzzbuf_open(&b, &f, data + 1, size - 1, data[0] >> 2);
		while (rec_get(&b, &type, &out, &err) > 0)
			;
		fuzzbuf_close(&b);
		break;
	case 1:
		as_file(data + 1, size - 1);
		if (queue_read_env(path, &e, &err) == 0)
			(void)queue_read_content(path, content, NULL, &err);
		queue_env_free(&e);
		break;
	default:
		as_file(data + 1, size - 1);
		(void)qstatus_read(path, (data[0] >> 2) + 1u, &st, &err);
		qstatus_free(&st);
		break;
	}
	str_free(&out);
	str_free(&err);
	return 0;
}
