/*
 * log - one line per event on stderr, for s6-log to timestamp and store.
 *
 * Line format: "<prog>: <level>: [<session> ]<text>".  No timestamps (s6-log
 * adds TAI64N), no syslog.  Control bytes and non-ASCII in the text are
 * escaped as \xHH so untrusted input cannot forge or split lines, and a
 * line is cut at LOG_LINE_MAX bytes.
 *
 * log_fatal() runs the die hook (if set), then exits 111 (temporary
 * failure: s6 restarts the service); log_fatal_config() exits 100 (bad
 * configuration: s6 stops restarting).  log_panic() is for our own bugs and
 * aborts for a core.
 */
#ifndef ROOST_LOG_H
#define ROOST_LOG_H

#include <stdarg.h>

#define LOG_LINE_MAX 2000

#define EXIT_PERM 100	/* usage or configuration error */
#define EXIT_TEMP 111	/* system failure; retrying may help */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL };

/* log_init - name the program in every line; level below min is dropped. */
void log_init(const char *prog);
void log_set_level(enum log_level min);
/* log_set_session - prefix following lines with a session id (NULL: none). */
void log_set_session(const char *id);
/* log_session - the current session id, or "". */
const char *log_session(void);
/* log_set_die_hook - run fn once before a fatal exit. */
void log_set_die_hook(void (*fn)(void));
/* log_set_fd - write to fd instead of 2 (tests). */
void log_set_fd(int fd);

#define LOGF __attribute__((format(printf, 1, 2)))
void log_debug(const char *fmt, ...) LOGF;
void log_info(const char *fmt, ...) LOGF;
void log_warn(const char *fmt, ...) LOGF;
void log_error(const char *fmt, ...) LOGF;
void log_fatal(const char *fmt, ...) LOGF __attribute__((noreturn));
void log_fatal_config(const char *fmt, ...) LOGF __attribute__((noreturn));
void log_panic(const char *fmt, ...) LOGF __attribute__((noreturn));
#undef LOGF
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
