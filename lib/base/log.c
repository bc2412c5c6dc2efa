/*
 * log - line-per-event logging to stderr; see log.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd.h"
#include "log.h"

static const char *prog = "roost";
static const char *session;
static enum log_level minlevel = LOG_INFO;
static void (*die_hook)(void);
static int log_fd = 2;

static const char *const level_name[] = {
	"debug", "info", "warning", "error", "fatal",
};

void
log_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	prog = slash ? slash + 1 : name;
}

void
log_set_level(enum log_level min)
{
	minlevel = min;
}

void
log_set_session(const char *id)
{
	session = id;
}

const char *
log_session(void)
{
	return session != NULL ? session : "";
}

void
log_set_die_hook(void (*fn)(void))
{
	die_hook = fn;
}

void
log_set_fd(int fd)
{
	log_fd = fd;
}

/* Fixed buffer on purpose: logging must work when memory is exhausted. */
void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char raw[LOG_LINE_MAX], line[LOG_LINE_MAX + 8];
	size_t n = 0, i;
	int r;

	if (lvl < minlevel)
		return;
	r = vsnprintf(raw, sizeof raw, fmt, ap);
	if (r < 0)
		raw[0] = '\0';
	r = snprintf(line, LOG_LINE_MAX, "%s: %s: %s%s", prog,
	    level_name[lvl], session ? session : "", session ? " " : "");
	n = r < 0 ? 0 : (size_t)r >= LOG_LINE_MAX ? LOG_LINE_MAX - 1 : (size_t)r;
	for (i = 0; raw[i] != '\0' && n < LOG_LINE_MAX - 5; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c < 0x20 || c >= 0x7f || c == '\\') {
			if (c == '\\') {
				line[n++] = '\\';
				line[n++] = '\\';
			} else {
				snprintf(line + n, 5, "\\x%02x", c);
				n += 4;
			}
		} else
			line[n++] = (char)c;
	}
	line[n++] = '\n';
	(void)fd_write_all(log_fd, line, n);
}

#define LOG_FN(name, lvl)                        \
	void name(const char *fmt, ...)          \
	{                                        \
		va_list ap;                      \
		va_start(ap, fmt);               \
		log_vmsg(lvl, fmt, ap);          \
		va_end(ap);                      \
	}
LOG_FN(log_debug, LOG_DEBUG)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_warn, LOG_WARN)
LOG_FN(log_error, LOG_ERROR)

static void __attribute__((noreturn))
die(int code)
{
	void (*hook)(void) = die_hook;

	die_hook = NULL;	/* a failing hook must not recurse */
	if (hook)
		hook();
	_exit(code);
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_FATAL, fmt, ap);
	va_end(ap);
	die(EXIT_TEMP);
}

void
log_fatal_config(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_FATAL, fmt, ap);
	va_end(ap);
	die(EXIT_PERM);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_FATAL, fmt, ap);
	va_end(ap);
	abort();
}
