/*
 * test-rec - queue file records (lib/mail/rec.c) and reading an entry's
 * envelope (lib/mail/queue.c).
 */
#include <fcntl.h>
#include <stdint.h>

#include "alloc.h"
#include "fd.h"
#include "queue.h"
#include "rec.h"
#include "tap.h"

static char dir[] = "/tmp/test-rec.XXXXXX";

/* decode - read every record of img through a buf on a file. */
static int
decode(const struct str *img, int *types, size_t *lens, size_t max,
    size_t *n, struct str *err)
{
	char path[64];
	struct buf b;
	struct str r = STR_INIT;
	int fd, type, rc;

	snprintf(path, sizeof(path), "%s/img", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fd_write_all(fd, img->s, img->len);
	lseek(fd, 0, SEEK_SET);
	buf_init(&b, fd, 0);
	*n = 0;
	str_clear(err);
	while ((rc = rec_get(&b, &type, &r, err)) == 1 && *n < max) {
		types[*n] = type;
		lens[*n] = r.len;
		(*n)++;
	}
	buf_free(&b);
	close(fd);
	str_free(&r);
	return rc;
}

static void
test_varint(void)
{
	static const size_t sizes[] = { 0, 1, 127, 128, 16383, 16384,
	    REC_MAX };
	struct str img = STR_INIT, err = STR_INIT;
	int types[16];
	size_t lens[16], n, i;
	char *p = xcalloc(1, REC_MAX);

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		rec_put(&img, REC_DATA, p, sizes[i]);
	is_mem(img.s, 2, "D\0", 2, "length 0 is one byte");
	is_mem(img.s + 2, 3, "D\001\0", 3, "length 1");
	is_mem(img.s + 5, 2, "D\177", 2, "length 127 is one byte");
	is_mem(img.s + 5 + 2 + 127, 3, "D\200\001", 3,
	    "length 128 is two bytes");
	is_int(decode(&img, types, lens, 16, &n, &err), 0, "decodes to EOF");
	is_int(n, 7, "seven records");
	for (i = 0; i < n; i++)
		is_int(lens[i], sizes[i], "length %zu round trip", sizes[i]);
	str_free(&img);
	free(p);
	str_free(&err);
}

static void
expect_corrupt(const void *bytes, size_t len, const char *name)
{
	struct str img = STR_INIT, err = STR_INIT;
	int types[16];
	size_t lens[16], n;

	str_copyb(&img, bytes, len);
	is_int(decode(&img, types, lens, 16, &n, &err), -1, "%s: corrupt",
	    name);
	ok(err.len > 0, "%s: reason %s", name, str_cstr(&err));
	str_free(&img);
	str_free(&err);
}

static void
test_corrupt(void)
{
	expect_corrupt("X\0", 2, "unknown type");
	expect_corrupt("D\5abc", 5, "truncated payload");
	expect_corrupt("D", 1, "missing length");
	expect_corrupt("D\200", 2, "truncated length");
	/* REC_MAX + 1 = 0x100001 */
	expect_corrupt("D\201\200\100", 4, "oversized length");
	expect_corrupt("D\200\200\200\200\001", 6, "varint too long");
}

/* entry - write a complete queue file, optionally cut short. */
static void
entry(const char *path, size_t cut, int end)
{
	struct str img = STR_INIT;
	int fd;

	rec_put(&img, REC_VERSION, REC_VERSION_TEXT,
	    strlen(REC_VERSION_TEXT));
	rec_put(&img, REC_TIME, "1700000000123456", 16);
	rec_put(&img, REC_ATTR, "helo=mx.example", 15);
	rec_put(&img, REC_ATTR, "flags=", 6);
	rec_put(&img, REC_SENDER, "a@example.org", 13);
	rec_put(&img, REC_PARAMS, "BODY=8BITMIME", 13);
	rec_put(&img, REC_RCPT, "b@example.org", 13);
	rec_put(&img, REC_RCPT, "c@example.org NOTIFY=NEVER", 26);
	rec_put(&img, REC_CONTENT, "", 0);
	rec_put(&img, REC_DATA, "Subject: x\n\n", 12);
	rec_put(&img, REC_DATA, "body\n", 5);
	if (end)
		rec_put(&img, REC_END, "", 0);
	if (cut)
		str_truncate(&img, img.len - cut);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fd_write_all(fd, img.s, img.len);
	close(fd);
	str_free(&img);
}

static void
test_queue(void)
{
	struct queue_env e;
	struct str err = STR_INIT, path = STR_INIT;

	str_copyf(&path, "%s/%s", dir, "0hjkmnpqrstvwxyz");
	entry(path.s, 0, 1);
	is_int(queue_read_env(path.s, &e, &err), 0, "entry reads");
	is_str(e.id, "0hjkmnpqrstvwxyz", "id from the file name");
	ok(e.arrival_us == 1700000000123456ULL, "arrival");
	is_str(e.sender.s, "a@example.org", "sender");
	is_str(e.params.s, "BODY=8BITMIME", "params");
	is_int(e.nrcpt, 2, "two recipients");
	is_str(e.rcpt[1].s, "c@example.org NOTIFY=NEVER", "rcpt params");
	is_str(attr_get(&e.attrs, "helo"), "mx.example", "attr");
	is_str(attr_get(&e.attrs, "flags"), "", "empty attr");
	is_int(e.size, 17, "content size");
	queue_env_free(&e);

	entry(path.s, 0, 0);
	is_int(queue_read_env(path.s, &e, &err), -1, "missing REC_END");
	ok(strstr(err.s, "corrupt") != NULL, "says corrupt: %s", err.s);
	entry(path.s, 3, 1);
	is_int(queue_read_env(path.s, &e, &err), -1, "truncated file");
	entry(path.s, 2, 1);
	is_int(queue_read_env(path.s, &e, &err), -1, "cut before end");
	str_cats(&path, "-none");
	is_int(queue_read_env(path.s, &e, &err), -1, "missing file");
	str_free(&path);
	str_free(&err);
}

int
main(void)
{
	char rm[64];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_varint();
	test_corrupt();
	test_queue();
	snprintf(rm, sizeof(rm), "%s/img", dir);
	unlink(rm);
	snprintf(rm, sizeof(rm), "%s/0hjkmnpqrstvwxyz", dir);
	unlink(rm);
	rmdir(dir);
	return done_testing();
}
