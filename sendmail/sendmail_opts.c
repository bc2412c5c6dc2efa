/*
 * sendmail_opts - the command line of sendmail, mailq and newaliases.
 *
 * Parsed by hand rather than with getopt(3): sendmail options glue their
 * values ("-fuser", "-oi", "-bp"), some take an optional value ("-q",
 * "-q30m"), and unknown options must be ignored with a warning instead
 * of stopping (a cron job must not lose its mail over "-X").  Options
 * may follow recipients, as with GNU getopt (Postfix behaves so); "--"
 * ends them.  Nothing here has side effects: main() prints the
 * warnings, so the unit test sees exactly what was decided.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "sendmail.h"

/* Flags without a value that we accept and ignore silently: -m (me
 * too), -n (no aliasing), -G (gateway), -U (initial submission), -c,
 * -x (old flags some scripts still pass). */
#define QUIET_FLAGS "mnGUcx"
/* Options of classic sendmail that take a value we do not use; knowing
 * them keeps the value from being taken for a recipient ("-N never"). */
#define VALUE_OPTS "BhLNORVXpe"

static void
warn(struct sendmail_opts *o, const char *what, const char *value)
{
	str_catf(&o->warnings, "ignoring option %s%s%s\n", what,
	    value ? " " : "", value ? value : "");
}

/* opt_o - one -oXXX option, value glued or separate. */
static void
opt_o(struct sendmail_opts *o, const char *v)
{
	if (strcmp(v, "i") == 0)
		o->dot_ends = 0;
	else if (v[0] == 'e' && v[1] != '\0' && v[2] == '\0' &&
	    strchr("meqpw", v[1]) != NULL)
		;	/* error mode: we always report on stderr */
	else if (v[0] == 'd' && v[1] != '\0' && v[2] == '\0' &&
	    strchr("ibq", v[1]) != NULL)
		;	/* delivery mode: cleanup queues, qmgr delivers */
	else
		str_catf(&o->warnings, "ignoring option -o%s\n", v);
}

/* opt_b - a -bX mode; -1 when unsupported. */
static int
opt_b(struct sendmail_opts *o, const char *v, struct str *err)
{
	if (strcmp(v, "m") == 0)
		o->mode = SENDMAIL_DELIVER;
	else if (strcmp(v, "p") == 0)
		o->mode = SENDMAIL_MAILQ;
	else if (strcmp(v, "i") == 0)
		o->mode = SENDMAIL_NEWALIASES;
	else if (strcmp(v, "s") == 0)
		o->mode = SENDMAIL_SMTP;
	else {
		str_copyf(err, "unsupported mode -b%s", v);
		return -1;
	}
	return 0;
}

/* value - the value of option letter at arg[j]: the rest of the word, or
 * the next word; NULL when there is none. */
static const char *
value(int argc, char **argv, int *i, size_t j)
{
	if (argv[*i][j + 1] != '\0')
		return argv[*i] + j + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* option - one word starting with '-': a cluster of flags, possibly
 * ending in an option with a value. */
static int
option(struct sendmail_opts *o, int argc, char **argv, int *i,
    struct str *err)
{
	const char *w = argv[*i], *v;
	char c, name[3] = "-?";
	size_t j;

	for (j = 1; (c = w[j]) != '\0'; j++) {
		name[1] = c;
		switch (c) {
		case 't':
			o->rcpt_from_headers = 1;
			continue;
		case 'i':
			o->dot_ends = 0;
			continue;
		case 'v':
			o->verbose++;
			continue;
		case 'I':
			o->mode = SENDMAIL_NEWALIASES;
			continue;
		case 'q':
			/* -q, or -qINTERVAL/-qRsite/-qIid: flush once. */
			if (w[j + 1] != '\0')
				warn(o, w, "(flushing the queue once)");
			o->mode = SENDMAIL_FLUSH;
			return 0;
		case 'f':
		case 'r':
		case 'F':
		case 'C':
		case 'o':
		case 'b':
			break;
		default:
			if (strchr(QUIET_FLAGS, c) != NULL)
				continue;
			if (strchr(VALUE_OPTS, c) != NULL) {
				v = value(argc, argv, i, j);
				warn(o, name, v);
				return 0;
			}
			warn(o, name, NULL);
			continue;
		}
		/* An option with a value: it ends the word. */
		if ((v = value(argc, argv, i, j)) == NULL) {
			str_copyf(err, "option %s requires a value", name);
			return -1;
		}
		switch (c) {
		case 'f':
		case 'r':
			o->sender = v;
			return 0;
		case 'F':
			o->fullname = v;
			return 0;
		case 'C':
			o->conf = v;
			return 0;
		case 'o':
			opt_o(o, v);
			return 0;
		default:
			return opt_b(o, v, err);
		}
	}
	return 0;
}

int
sendmail_opts_parse(struct sendmail_opts *o, int argc, char **argv,
    struct str *err)
{
	const char *base;
	int i, dashdash = 0;

	memset(o, 0, sizeof(*o));
	o->mode = SENDMAIL_DELIVER;
	o->dot_ends = 1;
	o->rcpt = xcalloc((size_t)(argc > 0 ? argc : 1), sizeof(char *));
	base = argc > 0 && argv[0] ? argv[0] : "sendmail";
	if (strrchr(base, '/') != NULL)
		base = strrchr(base, '/') + 1;
	if (strcmp(base, "mailq") == 0)
		o->mode = SENDMAIL_MAILQ;
	else if (strcmp(base, "newaliases") == 0)
		o->mode = SENDMAIL_NEWALIASES;
	for (i = 1; i < argc; i++) {
		if (!dashdash && strcmp(argv[i], "--") == 0)
			dashdash = 1;
		else if (!dashdash && argv[i][0] == '-' && argv[i][1] != '\0') {
			if (option(o, argc, argv, &i, err) < 0)
				return -1;
		} else if (argv[i][0] != '\0')
			o->rcpt[o->nrcpt++] = argv[i];
	}
	return 0;
}

void
sendmail_opts_free(struct sendmail_opts *o)
{
	free(o->rcpt);
	o->rcpt = NULL;
	o->nrcpt = 0;
	str_free(&o->warnings);
}

void
sendmail_sender(const char *arg, struct str *out)
{
	size_t n = strlen(arg);

	while (n > 0 && (*arg == ' ' || *arg == '\t'))
		arg++, n--;
	while (n > 0 && (arg[n - 1] == ' ' || arg[n - 1] == '\t'))
		n--;
	if (n >= 2 && arg[0] == '<' && arg[n - 1] == '>')
		arg++, n -= 2;
	str_copyb(out, arg, n);
}

/* add - one address from [p, p + n), trimmed; "Name <addr>" gives addr. */
static size_t
add(const char *p, size_t n, struct str *out)
{
	const char *lt, *gt;

	lt = memchr(p, '<', n);
	if (lt != NULL &&
	    (gt = memchr(lt, '>', n - (size_t)(lt - p))) != NULL) {
		n = (size_t)(gt - lt - 1);
		p = lt + 1;
	}
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0)
		return 0;
	str_catb(out, p, n);
	str_catc(out, '\0');
	return 1;
}

size_t
sendmail_rcpt_split(const char *arg, struct str *out)
{
	const char *start = arg, *p;
	size_t found = 0;
	int quoted = 0, angle = 0;

	/* A comma inside quotes ("Doe, John" <j@x>) or angle brackets
	 * (source routes) does not separate addresses. */
	for (p = arg;; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '\\' && quoted && p[1] != '\0')
			p++;
		else if (*p == '<' && !quoted)
			angle = 1;
		else if (*p == '>' && !quoted)
			angle = 0;
		else if (*p == '\0' || (*p == ',' && !quoted && !angle)) {
			found += add(start, (size_t)(p - start), out);
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	return found;
}
