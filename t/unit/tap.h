/*
 * tap.h - a tiny TAP producer for the C unit tests (run by prove).
 *
 *   ok(cond, "name %d", i);     is_int(got, want, "name");
 *   is_str(got, want, "name");  is_mem(got, glen, want, wlen, "name");
 *   dies(fn, arg, code, "name") runs fn(arg) in a child and expects it to
 *                               exit with code (fatal paths);
 *   return done_testing();      prints the plan; exit status 1 on failure.
 *
 * Header-only so each test is one .c file.
 */
#ifndef ROOST_TAP_H
#define ROOST_TAP_H

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...)                                           \
	do {                                                             \
		long long g_ = (long long)(got), w_ = (long long)(want); \
		if (!ok(g_ == w_, __VA_ARGS__))                          \
			printf("#   got %lld, want %lld\n", g_, w_);     \
	} while (0)

#define is_str(got, want, ...)                                        \
	do {                                                          \
		const char *g_ = (got), *w_ = (want);                 \
		int same_ = g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_; \
		if (!ok(same_, __VA_ARGS__))                          \
			printf("#   got '%s'\n#  want '%s'\n",        \
			    g_ ? g_ : "(null)", w_ ? w_ : "(null)");  \
	} while (0)

#define is_mem(got, glen, want, wlen, ...)                                \
	do {                                                              \
		size_t gl_ = (glen), wl_ = (wlen);                        \
		if (!ok(gl_ == wl_ && memcmp((got), (want), gl_) == 0,    \
			__VA_ARGS__))                                     \
			printf("#   got %zu bytes '%.*s'\n#  want %zu bytes '%.*s'\n", \
			    gl_, (int)gl_, (const char *)(got), wl_,      \
			    (int)wl_, (const char *)(want));              \
	} while (0)

/* bail - stop the whole test program: the environment failed us. */
static void __attribute__((unused, noreturn))
bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* xfork - fork with stdout flushed (so TAP lines are not doubled). */
static pid_t __attribute__((unused))
xfork(void)
{
	pid_t pid;

	fflush(stdout);
	if ((pid = fork()) < 0)
		bail("fork");
	return pid;
}

/* reap - wait for a child: its exit code, or -1 when it did not exit. */
static int __attribute__((unused))
reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* skip - count a test that cannot run here, marked as skipped. */
static void __attribute__((unused))
skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_n, why);
	fflush(stdout);
}

/* dies - run fn(arg) in a child; pass when it exits with code. */
static void __attribute__((unused))
dies(void (*fn)(void *), void *arg, int code, const char *name)
{
	pid_t pid;
	int status = 0;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!ok(WIFEXITED(status) && WEXITSTATUS(status) == code, "%s", name))
		printf("#   child status 0x%x, want exit %d\n", status, code);
}

static void __attribute__((unused))
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/*
 * tap_corpus - where a corpus of ../shared/corpora is: $ROOST_CORPORA/rel
 * (make sets it from the repository root), else ../shared/corpora/rel
 * from the current directory (prove runs from the repository root).
 */
static __attribute__((unused)) const char *
tap_corpus(const char *rel, char *buf, size_t size)
{
	const char *top = getenv("ROOST_CORPORA");

	snprintf(buf, size, "%s/%s", top && *top ? top : "../shared/corpora",
	    rel);
	return buf;
}

/* tap_no_corpus - a corpus is missing: a skip, or a failure where
 * ROOST_REQUIRE_CORPORA is set (CI must not pass on skips). */
static void __attribute__((unused))
tap_no_corpus(const char *what, const char *path)
{
	const char *req = getenv("ROOST_REQUIRE_CORPORA");

	if (req && *req && strcmp(req, "0") != 0)
		ok(0, "%s not found at %s (ROOST_REQUIRE_CORPORA is set)",
		    what, path);
	else {
		printf("ok %d # SKIP %s not found at %s\n", ++tap_n, what,
		    path);
		fflush(stdout);
	}
}

static int __attribute__((unused))
tap_rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* tap_rmtree - remove a test's scratch directory and everything in it
 * (no shell: a path is never a command). */
static void __attribute__((unused))
tap_rmtree(const char *dir)
{
	if (nftw(dir, tap_rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		diag("could not remove %s", dir);
}

static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
