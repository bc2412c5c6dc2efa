/*
 * sendmail - the local submission wrapper, installed as sendmail, mailq
 * and newaliases.  Cron, mail(1), PHP and scripts hand it a message on
 * stdin; it passes the message to cleanup over cleanup's socket (it
 * never writes the queue itself, so it needs no privilege), or, by
 * mode, lists the queue, flushes it or speaks SMTP through smtpd.
 *
 * Exit codes are those of <sysexits.h>: a message that could not be
 * queued always gives a non-zero exit and a "sendmail: fatal: ..." line.
 */
#ifndef SENDMAIL_H
#define SENDMAIL_H

#include <stddef.h>

#include "str.h"

enum sendmail_mode {
	SENDMAIL_DELIVER,	/* -bm: queue the message on stdin */
	SENDMAIL_MAILQ,		/* -bp, or called as mailq */
	SENDMAIL_NEWALIASES,	/* -bi, -I, or called as newaliases */
	SENDMAIL_SMTP,		/* -bs: SMTP on stdin/stdout */
	SENDMAIL_FLUSH,		/* -q: ask qmgr to scan the queue */
};

struct sendmail_opts {
	enum sendmail_mode mode;
	const char *conf;	/* -C FILE, or NULL */
	const char *sender;	/* -f/-r as given, or NULL */
	const char *fullname;	/* -F, or NULL */
	int rcpt_from_headers;	/* -t */
	int dot_ends;		/* a lone "." line ends input (no -i/-oi) */
	int verbose;		/* -v */
	char **rcpt;		/* recipient arguments, in order (argv's) */
	size_t nrcpt;
	struct str warnings;	/* "ignoring option -X\n" lines */
};

/*
 * sendmail_opts_parse - parse argv (argv[0] picks the mode: "mailq",
 * "newaliases", else sendmail) into o.  Unknown options are recorded in
 * o->warnings and otherwise ignored, as Postfix does.  Returns 0, or -1
 * on bad usage (a missing option argument, an unsupported -b mode) with
 * the reason in err.  Free with sendmail_opts_free().
 */
int sendmail_opts_parse(struct sendmail_opts *o, int argc, char **argv,
    struct str *err);
void sendmail_opts_free(struct sendmail_opts *o);

/* sendmail_sender - the envelope sender of -f/-r: angle brackets
 * removed, "<>" giving the null sender "". */
void sendmail_sender(const char *arg, struct str *out);

/*
 * sendmail_rcpt_split - the addresses in one recipient argument, which
 * may be a comma-separated list with "Name <addr>" forms (as mail(1)
 * passes them): each address is appended to out as a NUL-terminated
 * string; returns how many were found.
 */
size_t sendmail_rcpt_split(const char *arg, struct str *out);

/*
 * sendmail_filter - turn the stdin byte stream into the content cleanup
 * expects: CR before LF removed and, when dot_ends, a line holding only
 * "." ends the message (classic sendmail without -i).  Feed input with
 * sendmail_filter_put(), which appends to out and returns 1 once the end
 * line has been seen (input after it is ignored); sendmail_filter_end()
 * flushes held bytes at end of input and adds a final LF if missing.
 */
struct sendmail_filter {
	int dot_ends;
	int bol;		/* at the beginning of a line */
	int held_cr;		/* a CR not yet known to precede LF */
	int held_dot;		/* a "." at the beginning of a line */
	int done;		/* end line seen */
	int last;		/* last byte written, or -1 */
};

void sendmail_filter_init(struct sendmail_filter *f, int dot_ends);
int sendmail_filter_put(struct sendmail_filter *f, const char *p, size_t n,
    struct str *out);
void sendmail_filter_end(struct sendmail_filter *f, struct str *out);

/* sendmail_fatal - "<prog>: fatal: ..." on stderr and exit with code. */
void sendmail_fatal(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* sendmail_path - value of key as an absolute-or-cwd path: relative
 * values are taken from base_dir, as the daemons (which chdir there)
 * see them. */
void sendmail_path(const char *value, struct str *out);
/* sendmail_socket - the Unix socket path of listen key key (relative to
 * run_dir); 0, or -1 with a reason in err. */
int sendmail_socket(const char *key, struct str *out, struct str *err);

/* The modes; each returns the exit code. */
int sendmail_submit(const struct sendmail_opts *o);
int sendmail_mailq(const struct sendmail_opts *o);
int sendmail_flush(const struct sendmail_opts *o);
/* sendmail_newaliases - compile alias_maps and virtual_alias_maps. */
int sendmail_newaliases(void);

#endif
