/* test-alloc - allocation wrappers and checked size arithmetic. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>

#include "alloc.h"
#include "log.h"
#include "tap.h"

/* Under AddressSanitizer, let a huge malloc fail as it does in
 * production instead of aborting the test. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void
huge(void *unused)
{
	(void)unused;
	log_set_fd(open("/dev/null", O_WRONLY));
	(void)xmalloc(SIZE_MAX / 2);
}

static int
aborts(size_t (*fn)(size_t, size_t), size_t a, size_t b)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		log_set_fd(open("/dev/null", O_WRONLY));
		signal(SIGABRT, SIG_DFL);
		fn(a, b);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

int
main(void)
{
	char *p = xmalloc(0), *q;

	ok(p != NULL, "xmalloc(0) returns memory");
	free(p);
	p = xstrdup("hello");
	is_str(p, "hello", "xstrdup");
	q = xstrndup("hello", 3);
	is_str(q, "hel", "xstrndup cuts");
	free(q);
	q = xstrndup("hi", 10);
	is_str(q, "hi", "xstrndup of a shorter string");
	free(q);
	p = xrealloc(p, 100);
	is_str(p, "hello", "xrealloc keeps content");
	free(p);
	p = xcalloc(10, 10);
	ok(p[0] == 0 && p[99] == 0, "xcalloc zeroes");
	free(p);
	is_int(size_add(2, 3), 5, "size_add");
	is_int(size_mul(6, 7), 42, "size_mul");
	ok(aborts(size_add, SIZE_MAX, 1), "size_add overflow aborts");
	ok(aborts(size_mul, SIZE_MAX / 2, 3), "size_mul overflow aborts");
	dies(huge, NULL, EXIT_TEMP, "out of memory exits 111");
	return done_testing();
}
