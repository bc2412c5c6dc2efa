/*
 * test-cfg - roost.conf parsing, the key table, roost.conf(5) and the
 * installed conf/roost.conf.  Documentation files are read from
 * $ROOST_SRCDIR (default ".").
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "cfg.h"
#include "listen.h"
#include "log.h"
#include "str.h"
#include "tap.h"

/* A test table of its own covers every type's parser at its limits;
 * cfg_table_* serve it as cfg_* serve cfg_keys[]. */
static struct cfg_table tt;
#define tcfg_load(path, err) cfg_table_load(&tt, path, err)
#define tcfg_str(key) cfg_table_str(&tt, key)
#define tcfg_int(key) cfg_table_int(&tt, key)
#define tcfg_bool(key) cfg_table_bool(&tt, key)
#define tcfg_dump(out, changed) cfg_table_dump(&tt, out, changed)
#define tcfg_reset() cfg_table_reset(&tt)

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/libexec/roost"
#endif
/* What the manual and conf/roost.conf give as daemon_dir's default: the
 * real one depends on the build's PREFIX. */
#define STOCK_LIBEXECDIR "/usr/libexec/roost"

#define GIB (1LL << 30)
#define NOVAL (LLONG_MIN + 1)	/* tval(): the line did not load */

static int
t_check(const char *value, struct str *why)
{
	if (strcmp(value, "bad") == 0) {
		str_copys(why, "'bad' is right out");
		return -1;
	}
	return strcmp(value, "mute") == 0 ? -1 : 0;
}

static const struct cfg_key tcfg_keys[] = {
	{ "t_str", CFG_STR, "hello", 0, 0, NULL, "text", NULL },
	{ "t_checked", CFG_STR, "fine", 0, 0, t_check, "checked text", NULL },
	{ "t_int", CFG_INT, "5", -10, 100, NULL, "small integer", NULL },
	{ "t_big", CFG_INT, "0", LLONG_MIN, LLONG_MAX, NULL, "any integer", NULL },
	{ "t_size", CFG_SIZE, "1k", 1024, 4 * GIB, NULL, "bounded size", NULL },
	{ "t_bigsize", CFG_SIZE, "0", 0, LLONG_MAX, NULL, "any size", NULL },
	{ "t_time", CFG_TIME, "60s", 1, 4 * 604800, NULL, "bounded time", NULL },
	{ "t_bigtime", CFG_TIME, "0", 0, LLONG_MAX, NULL, "any time", NULL },
	{ "t_bool", CFG_BOOL, "no", 0, 0, NULL, "flag", NULL },
};
static struct cfg_table tt = CFG_TABLE_INIT(tcfg_keys);

static char dir[] = "/tmp/test-cfg.XXXXXX";
static char **made;		/* files to remove at the end */
static size_t nmade;
static struct str emsg = STR_INIT;

/* conf_b - a new file in dir holding n bytes of text; its path. */
static const char *
conf_b(const void *text, size_t n)
{
	struct str path = STR_INIT;
	int fd;

	str_copyf(&path, "%s/c%zu.conf", dir, nmade);
	fd = open(path.s, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n || close(fd) < 0) {
		perror(path.s);
		exit(2);
	}
	made = xreallocarray(made, nmade + 1, sizeof *made);
	made[nmade++] = str_steal(&path);
	return made[nmade - 1];
}

static const char *
conf(const char *text)
{
	return conf_b(text, strlen(text));
}

/* load / tload - write text to a new file and load it. */
static int
load(const char *text, const char **path)
{
	const char *p = conf(text);

	if (path != NULL)
		*path = p;
	str_clear(&emsg);
	return cfg_load(p, &emsg);
}

static int
tload(const char *text, const char **path)
{
	const char *p = conf(text);

	if (path != NULL)
		*path = p;
	str_clear(&emsg);
	return tcfg_load(p, &emsg);
}

/* fails - rc is -1 and emsg reads path followed by want. */
static void
fails(int rc, const char *path, const char *want, const char *name)
{
	struct str w = STR_INIT;

	str_copyf(&w, "%s%s", path, want);
	ok(rc == -1, "%s: rejected", name);
	is_str(str_cstr(&emsg), w.s, "%s: message", name);
	str_free(&w);
}

/* load_fails / tload_fails - a one-file load that must fail with want
 * after the path. */
static void
load_fails(const char *text, const char *want, const char *name)
{
	const char *path;
	int rc = load(text, &path);

	fails(rc, path, want, name);
}

static void
tload_fails(const char *text, const char *want, const char *name)
{
	const char *path;
	int rc = tload(text, &path);

	fails(rc, path, want, name);
}

/* tval - load "key = value" into the test table; the number it gives. */
static long long
tval(const char *key, const char *value)
{
	struct str line = STR_INIT;
	long long n = NOVAL;

	str_copyf(&line, "%s = %s\n", key, value);
	if (tload(line.s, NULL) == 0)
		n = tcfg_int(key);
	else
		diag("%s", emsg.s);
	str_free(&line);
	return n;
}

/* panics - fn() must end in log_panic() (SIGABRT), quietly. */
static void
panics(void (*fn)(void), const char *name)
{
	struct rlimit nocore = { 0, 0 };
	pid_t pid;
	int status = 0, fd;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		(void)setrlimit(RLIMIT_CORE, &nocore);
		if ((fd = open("/dev/null", O_WRONLY)) >= 0)
			log_set_fd(fd);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "%s",
	    name))
		diag("child status 0x%x", status);
}

static void p_unknown_str(void) { (void)cfg_str("nosuch"); }
static void p_unknown_int(void) { (void)cfg_int("nosuch"); }
static void p_unknown_origin(void) { (void)cfg_origin("nosuch"); }
static void p_str_of_time(void) { (void)cfg_str("smtpd_timeout"); }
static void p_int_of_str(void) { (void)cfg_int("myhostname"); }
static void p_bool_of_int(void) { (void)cfg_bool("smtpd_process_limit"); }
static void p_int_of_bool(void) { (void)tcfg_int("t_bool"); }

static size_t
count_lines(const struct str *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->len; i++)
		n += s->s[i] == '\n';
	return n;
}

/* default_is - whether documented text is k's default. */
static bool
default_is(const struct cfg_key *k, const char *text)
{
	if (strcmp(text, k->def) == 0)
		return true;
	return strcmp(k->def, LIBEXECDIR) == 0 &&
	    strcmp(text, STOCK_LIBEXECDIR) == 0;
}

/* unroff - drop the roff escapes the manual uses in defaults. */
static void
unroff(const char *s, struct str *out)
{
	str_clear(out);
	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == '-') {
			str_catc(out, '-');
			s += 2;
		} else if (s[0] == '\\' && s[1] == '&') {
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'f' && s[2] != '\0') {
			s += 3;
		} else
			str_catc(out, *s++);
	}
}

static FILE *
open_src(const char *rel, struct str *path)
{
	const char *top = getenv("ROOST_SRCDIR");
	FILE *f;

	str_copyf(path, "%s/%s", top != NULL && *top ? top : ".", rel);
	if ((f = fopen(path->s, "r")) == NULL)
		diag("%s: %s", path->s, strerror(errno));
	return f;
}

static void
test_lazy_defaults(void)
{
	/* Nothing loaded yet: the accessors still see the defaults. */
	is_str(cfg_str("queue_dir"), "/var/spool/roost",
	    "defaults without a load");
	is_str(cfg_origin("queue_dir"), "default", "origin of a default");
	cfg_reset();
	is_str(cfg_str("base_dir"), "/", "base_dir default");
	is_str(cfg_str("store_dir"), "/var/lib/roost/store",
	    "store_dir default");
	is_str(cfg_str("run_dir"), "/run/roost", "run_dir default");
	is_str(cfg_str("daemon_dir"), LIBEXECDIR, "daemon_dir default");
	is_str(cfg_str("myhostname"), "", "myhostname default is empty");
	is_str(cfg_str("log_level"), "info", "log_level default");
	is_str(cfg_str("smtpd_listen"), "0.0.0.0:25", "smtpd_listen default");
	is_str(cfg_str("lmtpd_listen"), "unix:lmtp", "lmtpd_listen default");
	is_str(cfg_str("smtpd_user"), "roost-smtpd", "smtpd_user default");
	is_int(cfg_int("smtpd_process_limit"), 100, "smtpd_process_limit");
	is_int(cfg_int("process_max_use"), 1000, "process_max_use");
	is_int(cfg_int("smtpd_timeout"), 300, "smtpd_timeout in seconds");
	is_int(cfg_int("imapd_timeout"), 1800, "imapd_timeout in seconds");
	is_int(cfg_int("start_timeout"), 30, "start_timeout in seconds");
}

static void
test_table(void)
{
	size_t i, j;
	bool dup = false, names = true, docs = true, bounds = true;
	bool found = true;

	ok(cfg_nkeys > 0, "the table has keys");
	for (i = 0; i < cfg_nkeys; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		for (j = i + 1; j < cfg_nkeys; j++)
			if (strcmp(k->name, cfg_keys[j].name) == 0) {
				diag("duplicate key %s", k->name);
				dup = true;
			}
		if (k->name[0] == '\0' ||
		    strspn(k->name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(k->name)) {
			diag("bad key name '%s'", k->name);
			names = false;
		}
		if (k->doc == NULL || k->doc[0] == '\0' ||
		    strchr(k->doc, '\n') != NULL) {
			diag("%s: doc is not one line", k->name);
			docs = false;
		}
		if (k->type != CFG_STR && k->type != CFG_BOOL &&
		    k->min > k->max) {
			diag("%s: min above max", k->name);
			bounds = false;
		}
		if (cfg_find(k->name) != k)
			found = false;
		str_clear(&emsg);
		if (!ok(cfg_set(k->name, k->def, &emsg) == 0,
		    "default of %s is valid", k->name))
			diag("%s", emsg.s);
	}
	ok(!dup, "no duplicate key names");
	ok(names, "key names are lowercase, digits and _");
	ok(docs, "every key has a one-line doc");
	ok(bounds, "numeric bounds are ordered");
	ok(found, "cfg_find finds every key");
	ok(cfg_find("nosuch") == NULL, "cfg_find of an unknown key is NULL");
	ok(cfg_find("") == NULL, "cfg_find of the empty name is NULL");
	cfg_reset();
}

static void
test_syntax(void)
{
	const char *path;
	struct str big = STR_INIT;

	cfg_reset();
	ok(load("", NULL) == 0, "empty file loads");
	is_int(cfg_int("smtpd_timeout"), 300, "empty file: defaults");

	ok(load("# comment\n\n   \n\t# indented comment\n"
	    "smtpd_timeout = 10m\n\t myhostname\t=\tmx.example  \n"
	    "smtpd_process_min=3\n", NULL) == 0,
	    "comments, blank lines, blanks around key and value");
	is_int(cfg_int("smtpd_timeout"), 600, "value after comments");
	is_str(cfg_str("myhostname"), "mx.example", "blanks and tabs trimmed");
	is_int(cfg_int("smtpd_process_min"), 3, "no blanks around '='");

	ok(load("myhostname = a # not a comment\n", NULL) == 0 &&
	    strcmp(cfg_str("myhostname"), "a # not a comment") == 0,
	    "'#' after a value is part of it");
	ok(load("myhostname = a=b\n", NULL) == 0 &&
	    strcmp(cfg_str("myhostname"), "a=b") == 0,
	    "the first '=' splits key and value");
	ok(load("myhostname =\n", NULL) == 0 && cfg_str("myhostname")[0] == 0,
	    "empty string value");
	ok(load("myhostname =   \t\n", NULL) == 0 &&
	    cfg_str("myhostname")[0] == 0, "blank string value is empty");

	ok(load("smtpd_timeout = 2m\r\nmyhostname = crlf.example\r\n\r\n"
	    "# c\r\n", NULL) == 0, "CRLF lines");
	is_int(cfg_int("smtpd_timeout"), 120, "CRLF: number without CR");
	is_str(cfg_str("myhostname"), "crlf.example",
	    "CRLF: string without CR");
	ok(load("myhostname = last.example", NULL) == 0 &&
	    strcmp(cfg_str("myhostname"), "last.example") == 0,
	    "no final newline");
	ok(load("myhostname = last.example\r", NULL) == 0 &&
	    strcmp(cfg_str("myhostname"), "last.example") == 0,
	    "no final newline after CR");

	load_fails("# one\n\n\nsmtp_listen = 0.0.0.0:25\n",
	    ":4: unknown key 'smtp_listen'", "unknown key");
	load_fails("# one\nsmtpd_listen 0.0.0.0:25\n",
	    ":2: expected 'key = value'", "line without '='");
	load_fails("= 5\n", ":1: no key before '='", "empty key");
	load_fails("  =\n", ":1: no key before '='", "blank key, no value");
	load_fails("smtpd listen = x\n", ":1: unknown key 'smtpd listen'",
	    "key with a blank inside");
	load_fails("myhostname = a\nsmtpd_timeout = 1\nmyhostname = b\n",
	    ":3: myhostname: already set on line 1", "duplicate key");
	load_fails("myhostname = a\r\nmyhostname = a\r\n",
	    ":2: myhostname: already set on line 1", "duplicate, same value");

	/* Line length: CFG_LINE_MAX bytes, not counting the line end. */
	str_copys(&big, "myhostname = ");
	while (big.len < CFG_LINE_MAX)
		str_catc(&big, 'x');
	str_cats(&big, "\r\n");
	ok(load(big.s, NULL) == 0 &&
	    strlen(cfg_str("myhostname")) == CFG_LINE_MAX - 13,
	    "a line of exactly CFG_LINE_MAX bytes (CRLF)");
	str_copys(&big, "# fine\n#");
	while (big.len < 7 + CFG_LINE_MAX + 1)
		str_catc(&big, '-');
	str_catc(&big, '\n');
	load_fails(big.s, ":2: line too long (more than 4096 bytes)",
	    "a comment one byte over CFG_LINE_MAX");
	str_truncate(&big, big.len - 1);
	load_fails(big.s, ":2: line too long (more than 4096 bytes)",
	    "an overlong last line without newline");

	path = conf_b("myhostname = a\0b\n", 17);
	str_clear(&emsg);
	fails(cfg_load(path, &emsg), path, ":1: NUL byte", "NUL byte");
	path = conf_b("# x\n\0\n", 6);
	str_clear(&emsg);
	fails(cfg_load(path, &emsg), path, ":2: NUL byte", "NUL byte alone");
	load_fails("myhostname = a\x01" "b\n", ":1: control character \\x01",
	    "control character");
	load_fails("myhostname = a\rb\n", ":1: control character \\x0d",
	    "CR inside a line");
	load_fails("myhostname = a\x7f\n", ":1: control character \\x7f",
	    "DEL");
	str_free(&big);
}

static void
test_values(void)
{
	cfg_reset();
	/* INT */
	ok(load("smtpd_process_limit = 10000\nsmtpd_process_min = 0\n"
	    "process_max_use = 0\n", NULL) == 0, "INT bounds are inclusive");
	is_int(cfg_int("smtpd_process_limit"), 10000, "INT maximum");
	is_int(cfg_int("smtpd_process_min"), 0, "INT minimum 0");
	ok(load("smtpd_process_limit = 007\n", NULL) == 0 &&
	    cfg_int("smtpd_process_limit") == 7, "leading zeros are decimal");
	load_fails("smtpd_process_limit = abc\n",
	    ":1: smtpd_process_limit: 'abc' is not a number", "INT: letters");
	load_fails("smtpd_process_limit = 12x\n",
	    ":1: smtpd_process_limit: '12x' is not a number", "INT: suffix");
	load_fails("smtpd_process_limit = 1.5\n",
	    ":1: smtpd_process_limit: '1.5' is not a number", "INT: decimal");
	load_fails("smtpd_process_limit = +5\n",
	    ":1: smtpd_process_limit: '+5' is not a number", "INT: plus");
	load_fails("smtpd_process_limit = -\n",
	    ":1: smtpd_process_limit: '-' is not a number", "INT: lone -");
	load_fails("smtpd_process_limit = 1 0\n",
	    ":1: smtpd_process_limit: '1 0' is not a number", "INT: blank");
	load_fails("smtpd_process_limit =\n",
	    ":1: smtpd_process_limit: empty value, want a number",
	    "INT: empty");
	load_fails("smtpd_process_limit = 0\n",
	    ":1: smtpd_process_limit: 0 is below the minimum 1", "INT: below");
	load_fails("smtpd_process_limit = -5\n",
	    ":1: smtpd_process_limit: -5 is below the minimum 1",
	    "INT: negative below");
	load_fails("smtpd_process_limit = 10001\n",
	    ":1: smtpd_process_limit: 10001 is above the maximum 10000",
	    "INT: above");
	load_fails("smtpd_process_limit = 99999999999999999999\n",
	    ":1: smtpd_process_limit: '99999999999999999999' is too large",
	    "INT: overflow");
	load_fails("smtpd_process_limit = -99999999999999999999\n",
	    ":1: smtpd_process_limit: '-99999999999999999999' is too small",
	    "INT: negative overflow");
	is_int(tval("t_int", "-10"), -10, "INT: negative at the minimum");
	is_int(tval("t_int", "-0"), 0, "INT: -0");
	tload_fails("t_int = -11\n", ":1: t_int: -11 is below the minimum -10",
	    "INT: negative minimum");
	is_int(tval("t_big", "9223372036854775807"), LLONG_MAX,
	    "INT: LLONG_MAX");
	is_int(tval("t_big", "-9223372036854775808"), LLONG_MIN,
	    "INT: LLONG_MIN");
	tload_fails("t_big = 9223372036854775808\n",
	    ":1: t_big: '9223372036854775808' is too large",
	    "INT: LLONG_MAX + 1");
	tload_fails("t_big = -9223372036854775809\n",
	    ":1: t_big: '-9223372036854775809' is too small",
	    "INT: LLONG_MIN - 1");

	/* TIME */
	is_int((load("smtpd_timeout = 90\n", NULL), cfg_int("smtpd_timeout")),
	    90, "TIME: bare seconds");
	is_int((load("smtpd_timeout = 90s\n", NULL), cfg_int("smtpd_timeout")),
	    90, "TIME: s");
	is_int((load("smtpd_timeout = 2m\n", NULL), cfg_int("smtpd_timeout")),
	    120, "TIME: m");
	is_int((load("smtpd_timeout = 1h\n", NULL), cfg_int("smtpd_timeout")),
	    3600, "TIME: h, at the maximum");
	is_int((load("imapd_timeout = 1d\n", NULL), cfg_int("imapd_timeout")),
	    86400, "TIME: d");
	is_int(tval("t_time", "2w"), 2 * 604800, "TIME: w");
	is_int(tval("t_time", "4w"), 4 * 604800, "TIME: maximum in weeks");
	is_int(tval("t_time", "1s"), 1, "TIME: minimum");
	load_fails("smtpd_timeout = 5000000\n",
	    ":1: smtpd_timeout: 5000000s is above the maximum 3600s",
	    "TIME: above");
	load_fails("smtpd_timeout = 2h\n",
	    ":1: smtpd_timeout: 7200s is above the maximum 3600s",
	    "TIME: above, with a suffix");
	load_fails("smtpd_timeout = 0\n",
	    ":1: smtpd_timeout: 0s is below the minimum 1s", "TIME: below");
	load_fails("imapd_timeout = 59s\n",
	    ":1: imapd_timeout: 59s is below the minimum 60s",
	    "TIME: imapd minimum");
	tload_fails("t_time = 5w\n",
	    ":1: t_time: 3024000s is above the maximum 2419200s",
	    "TIME: above in weeks");
	load_fails("smtpd_timeout = 5x\n",
	    ":1: smtpd_timeout: '5x' is not a time (seconds, or a number with "
	    "s, m, h, d or w)", "TIME: bad unit");
	load_fails("smtpd_timeout = 5M\n",
	    ":1: smtpd_timeout: '5M' is not a time (seconds, or a number with "
	    "s, m, h, d or w)", "TIME: units are lowercase");
	load_fails("smtpd_timeout = 5 m\n",
	    ":1: smtpd_timeout: '5 m' is not a time (seconds, or a number with "
	    "s, m, h, d or w)", "TIME: blank before the unit");
	load_fails("smtpd_timeout = 5ms\n",
	    ":1: smtpd_timeout: '5ms' is not a time (seconds, or a number with "
	    "s, m, h, d or w)", "TIME: two units");
	load_fails("smtpd_timeout = m\n",
	    ":1: smtpd_timeout: 'm' is not a time (seconds, or a number with "
	    "s, m, h, d or w)", "TIME: unit alone");
	load_fails("smtpd_timeout = -5\n",
	    ":1: smtpd_timeout: '-5' is not a time (seconds, or a number with "
	    "s, m, h, d or w)", "TIME: negative");
	load_fails("smtpd_timeout =\n",
	    ":1: smtpd_timeout: empty value, want a time", "TIME: empty");
	tload_fails("t_bigtime = 99999999999999w\n",
	    ":1: t_bigtime: '99999999999999w' is too large",
	    "TIME: overflow in the multiplication");
	tload_fails("t_bigtime = 99999999999999999999\n",
	    ":1: t_bigtime: '99999999999999999999' is too large",
	    "TIME: overflow in the digits");

	/* SIZE */
	is_int(tval("t_size", "1024"), 1024, "SIZE: bytes");
	is_int(tval("t_size", "2k"), 2048, "SIZE: k");
	is_int(tval("t_size", "2K"), 2048, "SIZE: K");
	is_int(tval("t_size", "3m"), 3 << 20, "SIZE: m");
	is_int(tval("t_size", "3M"), 3 << 20, "SIZE: M");
	is_int(tval("t_size", "1g"), GIB, "SIZE: g");
	is_int(tval("t_size", "4G"), 4 * GIB, "SIZE: G, at the maximum");
	is_int(tval("t_bigsize", "0"), 0, "SIZE: zero");
	is_int(tval("t_bigsize", "8589934591g"), 8589934591LL * GIB,
	    "SIZE: largest g that fits");
	tload_fails("t_size = 5g\n", ":1: t_size: 5g is above the maximum 4g",
	    "SIZE: above, in g");
	tload_fails("t_size = 4294967297\n",
	    ":1: t_size: 4294967297 is above the maximum 4g",
	    "SIZE: above by one byte");
	tload_fails("t_size = 1023\n",
	    ":1: t_size: 1023 is below the minimum 1k",
	    "SIZE: below");
	tload_fails("t_size = 4294968320\n",
	    ":1: t_size: 4194305k is above the maximum 4g",
	    "SIZE: messages use the largest exact unit");
	tload_fails("t_bigsize = 99999999999999999999999g\n",
	    ":1: t_bigsize: '99999999999999999999999g' is too large",
	    "SIZE: overflow in the digits");
	tload_fails("t_bigsize = 8589934592g\n",
	    ":1: t_bigsize: '8589934592g' is too large",
	    "SIZE: overflow in the multiplication");
	tload_fails("t_size = 1kb\n", ":1: t_size: '1kb' is not a size "
	    "(bytes, or a number with k, m or g)", "SIZE: two letters");
	tload_fails("t_size = 1t\n", ":1: t_size: '1t' is not a size "
	    "(bytes, or a number with k, m or g)", "SIZE: unknown unit");
	tload_fails("t_size = 1.5k\n", ":1: t_size: '1.5k' is not a size "
	    "(bytes, or a number with k, m or g)", "SIZE: decimal");
	tload_fails("t_size = k\n", ":1: t_size: 'k' is not a size "
	    "(bytes, or a number with k, m or g)", "SIZE: unit alone");
	tload_fails("t_size = -1\n", ":1: t_size: '-1' is not a size "
	    "(bytes, or a number with k, m or g)", "SIZE: negative");
	tload_fails("t_size =\n", ":1: t_size: empty value, want a size",
	    "SIZE: empty");

	/* BOOL */
	{
		static const char *const yes[] = {
			"yes", "true", "on", "1", "YES", "True", "oN",
		};
		static const char *const no[] = {
			"no", "false", "off", "0", "NO", "False", "OFF",
		};
		struct str line = STR_INIT;
		size_t i;

		for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
			str_copyf(&line, "t_bool = %s\n", yes[i]);
			ok(tload(line.s, NULL) == 0 && tcfg_bool("t_bool"),
			    "BOOL: '%s' is true", yes[i]);
			str_copyf(&line, "t_bool = %s\n", no[i]);
			ok(tload(line.s, NULL) == 0 && !tcfg_bool("t_bool"),
			    "BOOL: '%s' is false", no[i]);
		}
		str_free(&line);
	}
	tload_fails("t_bool = maybe\n", ":1: t_bool: 'maybe' is not a boolean "
	    "(yes/no, true/false, on/off, 1/0)", "BOOL: bad word");
	tload_fails("t_bool = y\n", ":1: t_bool: 'y' is not a boolean "
	    "(yes/no, true/false, on/off, 1/0)", "BOOL: prefix");
	tload_fails("t_bool = 2\n", ":1: t_bool: '2' is not a boolean "
	    "(yes/no, true/false, on/off, 1/0)", "BOOL: 2");
	tload_fails("t_bool =\n", ":1: t_bool: empty value, want yes or no",
	    "BOOL: empty");

	/* STR with a check function */
	ok(tload("t_checked = good\n", NULL) == 0 &&
	    strcmp(tcfg_str("t_checked"), "good") == 0, "check accepts");
	tload_fails("t_checked = bad\n", ":1: t_checked: 'bad' is right out",
	    "check's reason is reported");
	tload_fails("t_checked = mute\n", ":1: t_checked: bad value",
	    "check without a reason");
	ok(tload("t_str = \n", NULL) == 0 && tcfg_str("t_str")[0] == '\0',
	    "STR: empty value");
}

static void
test_listen_and_level(void)
{
	struct str why = STR_INIT, want = STR_INIT;
	const char *path;
	int rc;

	cfg_reset();
	ok(listen_check("127.0.0.1:99999", &why) < 0, "listen_check rejects");
	str_copyf(&want, ":1: smtpd_listen: %s", why.s);
	rc = load("smtpd_listen = 127.0.0.1:99999\n", &path);
	fails(rc, path, want.s, "bad listen value, listen_check's reason");
	str_clear(&why);
	(void)listen_check("nonsense", &why);
	str_copyf(&want, ":2: imapd_listen: %s", why.s);
	rc = load("\nimapd_listen = nonsense\n", &path);
	fails(rc, path, want.s, "listen value without a port");
	ok(load("smtpd_listen = 127.0.0.1:2525, [::1]:2525\n", NULL) == 0 &&
	    strcmp(cfg_str("smtpd_listen"), "127.0.0.1:2525, [::1]:2525") == 0,
	    "listen list accepted");
	ok(load("smtpd_listen =\n", NULL) == 0 &&
	    cfg_str("smtpd_listen")[0] == '\0',
	    "empty listen value (do not listen)");
	ok(load("log_level = debug\n", NULL) == 0 &&
	    strcmp(cfg_str("log_level"), "debug") == 0, "log_level debug");
	load_fails("log_level = verbose\n", ":1: log_level: 'verbose' is not "
	    "debug, info, warning or error", "log_level checked");
	load_fails("log_level =\n", ":1: log_level: '' is not "
	    "debug, info, warning or error", "log_level empty");
	str_free(&why);
	str_free(&want);
}

static void
test_files(void)
{
	struct str p = STR_INIT;

	cfg_reset();
	str_copyf(&p, "%s/nosuch.conf", dir);
	str_clear(&emsg);
	fails(cfg_load(p.s, &emsg), p.s, ": cannot open: No such file or "
	    "directory", "missing file");
	str_clear(&emsg);
	fails(cfg_load(dir, &emsg), dir, ": cannot read: Is a directory",
	    "a directory");
	str_clear(&emsg);
	fails(cfg_load("/dev/zero", &emsg), "/dev/zero",
	    ": too large (more than 1048576 bytes)", "endless file");
	{
		char *blob = malloc(CFG_FILE_MAX + 1);
		const char *path;

		memset(blob, '\n', CFG_FILE_MAX + 1);
		path = conf_b(blob, CFG_FILE_MAX);
		str_clear(&emsg);
		ok(cfg_load(path, &emsg) == 0, "a file of CFG_FILE_MAX bytes");
		path = conf_b(blob, CFG_FILE_MAX + 1);
		str_clear(&emsg);
		fails(cfg_load(path, &emsg), path,
		    ": too large (more than 1048576 bytes)",
		    "a file one byte over CFG_FILE_MAX");
		free(blob);
	}
	if (geteuid() == 0)
		skip("root reads files whatever their mode");
	else {
		const char *path = conf("myhostname = x\n");

		chmod(path, 0);
		str_clear(&emsg);
		fails(cfg_load(path, &emsg), path, ": cannot open: Permission "
		    "denied", "unreadable file");
	}
	str_free(&p);
}

static void
test_transactional(void)
{
	const char *path;

	cfg_reset();
	ok(load("myhostname = good.example\n", NULL) == 0, "first load");
	load_fails("smtpd_timeout = 10\nmyhostname = other\nbad line\n",
	    ":3: expected 'key = value'", "second load fails late");
	is_str(cfg_str("myhostname"), "good.example",
	    "failed load: previous values untouched");
	is_int(cfg_int("smtpd_timeout"), 300,
	    "failed load: good lines before the bad one not applied");
	ok(load("smtpd_timeout = 10\n", &path) == 0, "third load");
	is_str(cfg_str("myhostname"), "", "a load starts from the defaults");
	is_int(cfg_int("smtpd_timeout"), 10, "third load applied");
	str_clear(&emsg);
	ok(cfg_load(dir, &emsg) < 0 && cfg_int("smtpd_timeout") == 10,
	    "unreadable file: previous values untouched");
	cfg_reset();
	is_int(cfg_int("smtpd_timeout"), 300, "cfg_reset restores defaults");
}

static void
test_set_origin_dump(void)
{
	struct str out = STR_INIT, want = STR_INIT;
	const char *path;

	cfg_reset();
	str_clear(&emsg);
	ok(cfg_set("smtpd_timeout", " 2m ", &emsg) == 0, "cfg_set");
	is_int(cfg_int("smtpd_timeout"), 120, "cfg_set value (trimmed)");
	is_str(cfg_origin("smtpd_timeout"), "set", "origin of cfg_set");
	ok(cfg_set("smtpd_timeout", "0", &emsg) < 0, "cfg_set out of range");
	is_str(emsg.s, "smtpd_timeout: 0s is below the minimum 1s",
	    "cfg_set message: key: reason");
	is_int(cfg_int("smtpd_timeout"), 120, "failed cfg_set changes nothing");
	ok(cfg_set("nosuch", "1", &emsg) < 0, "cfg_set unknown key");
	is_str(emsg.s, "unknown key 'nosuch'", "cfg_set unknown key message");
	ok(cfg_set("myhostname", "a\nb", &emsg) < 0, "cfg_set newline");
	is_str(emsg.s, "myhostname: control character \\x0a",
	    "cfg_set newline message");
	ok(cfg_set("myhostname", "", &emsg) == 0, "cfg_set empty string");
	ok(cfg_set("smtpd_listen", "x", &emsg) < 0 &&
	    strncmp(emsg.s, "smtpd_listen: ", 14) == 0,
	    "cfg_set runs the check function");

	ok(load("# c\n\nmyhostname = mx.example\nsmtpd_timeout = 5m\n"
	    "smtpd_process_limit = 100\n", &path) == 0, "load for origins");
	str_copyf(&want, "%s:3", path);
	is_str(cfg_origin("myhostname"), want.s, "origin file:line");
	str_copyf(&want, "%s:5", path);
	is_str(cfg_origin("smtpd_process_limit"), want.s,
	    "origin of a value equal to the default");
	is_str(cfg_origin("queue_dir"), "default", "origin default");

	str_copys(&out, "keep\n");
	cfg_dump(&out, false);
	ok(strncmp(out.s, "keep\nbase_dir = /\n", 18) == 0,
	    "dump appends, in table order");
	is_int(count_lines(&out), cfg_nkeys + 1, "dump has every key");
	ok(strstr(out.s, "\nsmtpd_timeout = 5m\n") != NULL,
	    "dump shows values as written");
	ok(strstr(out.s, "\nmyhostname = mx.example\n") != NULL,
	    "dump shows loaded values");
	str_clear(&out);
	cfg_dump(&out, true);
	is_str(out.s, "myhostname = mx.example\n",
	    "changed only: equal values (5m = 300s, 100) are not changes");
	ok(cfg_set("smtpd_timeout", "6m", &emsg) == 0, "set another");
	str_clear(&out);
	cfg_dump(&out, true);
	is_str(out.s, "myhostname = mx.example\nsmtpd_timeout = 6m\n",
	    "changed only, table order");
	cfg_reset();
	str_clear(&out);
	cfg_dump(&out, true);
	is_int(out.len, 0, "nothing changed after cfg_reset");

	ok(tload("t_bool = off\nt_size = 1024\n", NULL) == 0, "test table");
	str_clear(&out);
	tcfg_dump(&out, true);
	is_int(out.len, 0, "'off' is the default 'no'; 1024 is '1k'");
	ok(tload("t_bool = on\n", NULL) == 0, "test table changed");
	str_clear(&out);
	tcfg_dump(&out, true);
	is_str(out.s, "t_bool = on\n", "boolean change dumped");
	str_free(&out);
	str_free(&want);
}

static void
test_panics(void)
{
	panics(p_unknown_str, "cfg_str of an unknown key panics");
	panics(p_unknown_int, "cfg_int of an unknown key panics");
	panics(p_unknown_origin, "cfg_origin of an unknown key panics");
	panics(p_str_of_time, "cfg_str of a TIME key panics");
	panics(p_int_of_str, "cfg_int of a STR key panics");
	panics(p_bool_of_int, "cfg_bool of an INT key panics");
	panics(p_int_of_bool, "cfg_int of a BOOL key panics");
}

/*
 * roost.conf(5): under KEYS, every key has an entry ".TP", ".B key",
 * "(type, default value)", in table order, and every entry is a key.
 * A numeric key's text then starts "From MIN to MAX.", in the unit
 * style of the error messages.
 */
static void
test_manual(void)
{
	static const char *const doc_type[] = {
		[CFG_STR] = "string", [CFG_INT] = "integer",
		[CFG_BOOL] = "boolean", [CFG_SIZE] = "size",
		[CFG_TIME] = "time",
	};
	struct str path = STR_INIT, prefix = STR_INIT, text = STR_INIT;
	char *line = NULL, *nl;
	size_t cap = 0, next = 0, lineno = 0;
	const struct cfg_key *k = NULL, *bk = NULL;
	bool in_keys = false, order = true, known = true, typed = true;
	bool tag = false, bounds_ok = true;
	bool defaults_ok = true, seen_keys = false;
	char *seen;
	FILE *f;

	if ((f = open_src("man/man5/roost.conf.5", &path)) == NULL) {
		ok(0, "roost.conf(5) is readable");
		str_free(&path);
		return;
	}
	seen = calloc(cfg_nkeys, 1);
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (bk != NULL && strcmp(line, ".br") != 0) {
			str_copys(&prefix, "From ");
			cfg_format_num(bk, bk->min, &prefix);
			str_cats(&prefix, " to ");
			cfg_format_num(bk, bk->max, &prefix);
			str_catc(&prefix, '.');
			if (strncmp(line, prefix.s, prefix.len) != 0) {
				diag("%s:%zu: %s: want '%s'", path.s, lineno,
				    bk->name, prefix.s);
				bounds_ok = false;
			}
			bk = NULL;
		}
		if (k != NULL) {
			/* The line after ".B key" gives type and default. */
			str_copyf(&prefix, "(%s, default ", doc_type[k->type]);
			if (strncmp(line, prefix.s, prefix.len) != 0 ||
			    line[strlen(line) - 1] != ')') {
				diag("%s:%zu: want %s...)", path.s, lineno,
				    prefix.s);
				typed = false;
			} else {
				line[strlen(line) - 1] = '\0';
				unroff(line + prefix.len, &text);
				if (strcmp(text.s, "empty") == 0)
					str_clear(&text);
				if (!default_is(k, text.s)) {
					diag("%s:%zu: %s: default '%s', table "
					    "'%s'", path.s, lineno, k->name,
					    text.s, k->def);
					defaults_ok = false;
				}
			}
			if (k->type != CFG_STR && k->type != CFG_BOOL)
				bk = k;
			k = NULL;
			continue;
		}
		if (strncmp(line, ".SH ", 4) == 0) {
			in_keys = strcmp(line + 4, "KEYS") == 0;
			seen_keys |= in_keys;
			continue;
		}
		/* Only the tag of a .TP entry under KEYS documents a key. */
		if (!in_keys || !tag || strncmp(line, ".B ", 3) != 0) {
			tag = strcmp(line, ".TP") == 0;
			continue;
		}
		tag = false;
		if ((k = cfg_find(line + 3)) == NULL) {
			diag("%s:%zu: '%s' is not a key", path.s, lineno,
			    line + 3);
			known = false;
			continue;
		}
		if (next >= cfg_nkeys || k != &cfg_keys[next]) {
			diag("%s:%zu: %s out of table order (want %s)", path.s,
			    lineno, k->name, next < cfg_nkeys ?
			    cfg_keys[next].name : "nothing");
			order = false;
		}
		seen[k - cfg_keys] = 1;
		next = (size_t)(k - cfg_keys) + 1;
	}
	fclose(f);
	ok(seen_keys, "roost.conf(5) has a KEYS section");
	{
		size_t i;
		bool all = true;

		for (i = 0; i < cfg_nkeys; i++)
			if (!seen[i]) {
				diag("%s is not documented", cfg_keys[i].name);
				all = false;
			}
		ok(all, "every key has an entry in roost.conf(5)");
	}
	ok(known, "every key documented under KEYS exists");
	ok(order, "KEYS lists the keys in table order");
	ok(typed, "every documented key gives (type, default ...)");
	ok(defaults_ok, "documented defaults match the table");
	ok(bounds_ok, "documented bounds match the table");
	free(seen);
	free(line);
	str_free(&path);
	str_free(&prefix);
	str_free(&text);
}

/* conf/roost.conf: loads cleanly and lists every key, commented out with
 * its default, in table order. */
static void
test_installed_conf(void)
{
	struct str path = STR_INIT, key = STR_INIT;
	char *line = NULL, *nl, *eq;
	size_t cap = 0, next = 0, i;
	const struct cfg_key *k;
	bool order = true, defaults_ok = true, all = true;
	char *seen;
	FILE *f;

	if ((f = open_src("conf/roost.conf", &path)) == NULL) {
		ok(0, "conf/roost.conf is readable");
		str_free(&path);
		return;
	}
	str_clear(&emsg);
	if (!ok(cfg_load(path.s, &emsg) == 0, "conf/roost.conf loads"))
		diag("%s", emsg.s);
	str_clear(&emsg);
	cfg_dump(&emsg, true);
	ok(emsg.len == 0, "conf/roost.conf changes nothing");
	seen = calloc(cfg_nkeys, 1);
	while (getline(&line, &cap, f) > 0) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] != '#' || (eq = strstr(line, " =")) == NULL)
			continue;
		str_copyb(&key, line + 1, (size_t)(eq - line - 1));
		if ((k = cfg_find(key.s)) == NULL)
			continue;
		seen[k - cfg_keys] = 1;
		eq += 2;
		eq += *eq == ' ';
		if (!default_is(k, eq)) {
			diag("%s: %s = '%s', table '%s'", path.s, k->name, eq,
			    k->def);
			defaults_ok = false;
		}
		if (next >= cfg_nkeys || k != &cfg_keys[next]) {
			diag("%s: %s out of table order", path.s, k->name);
			order = false;
		}
		next = (size_t)(k - cfg_keys) + 1;
	}
	fclose(f);
	for (i = 0; i < cfg_nkeys; i++)
		if (!seen[i]) {
			diag("%s: no line for %s", path.s, cfg_keys[i].name);
			all = false;
		}
	ok(all, "conf/roost.conf has a line for every key");
	ok(defaults_ok, "conf/roost.conf shows the table's defaults");
	ok(order, "conf/roost.conf follows table order");
	free(seen);
	free(line);
	str_free(&path);
	str_free(&key);
}

/* vars_agree - every key's variable holds what its lookup by name
 * gives; true when all do. */
static bool
vars_agree(void)
{
	size_t i, bad = 0;

	for (i = 0; i < cfg_nkeys; i++) {
		const struct cfg_key *k = &cfg_keys[i];

		if (k->var == NULL) {
			diag("%s has no variable", k->name);
			bad++;
		} else if (k->type == CFG_STR ?
		    *(const char **)k->var != cfg_str(k->name) :
		    k->type == CFG_BOOL ?
		    *(bool *)k->var != cfg_bool(k->name) :
		    *(long long *)k->var != cfg_int(k->name)) {
			diag("var_%s differs from its value", k->name);
			bad++;
		}
	}
	return bad == 0;
}

/* The typed variables (var_<key>): the defaults from the start, then
 * whatever a load, a set or a reset makes of them. */
static void
test_vars(void)
{
	const char *path;

	cfg_reset();
	ok(vars_agree(), "vars: the defaults");
	is_int(var_message_size_limit, 25 * 1024 * 1024,
	    "vars: a size in bytes");
	is_int(var_smtpd_timeout, 300, "vars: a time in seconds");
	ok(var_smtpd_sender_login_check, "vars: a boolean");
	is_int(load("message_size_limit = 1m\nsmtpd_timeout = 2m\n"
	    "smtpd_sender_login_check = no\nmyhostname = mx.example\n",
	    &path), 0, "vars: load");
	ok(vars_agree(), "vars: after a load");
	is_int(var_message_size_limit, 1024 * 1024, "vars: loaded size");
	is_int(var_smtpd_timeout, 120, "vars: loaded time");
	ok(!var_smtpd_sender_login_check, "vars: loaded boolean");
	is_str(var_myhostname, "mx.example", "vars: loaded string");
	ok(load("smtpd_timeout = never\n", NULL) < 0 &&
	    var_smtpd_timeout == 120, "vars: a bad file changes none");
	is_int(cfg_set("imapd_timeout", "1h", &emsg), 0, "vars: set");
	is_int(var_imapd_timeout, 3600, "vars: after a set");
	ok(vars_agree(), "vars: after a set, all agree");
	cfg_reset();
	is_str(var_myhostname, "", "vars: reset");
	ok(vars_agree(), "vars: after a reset");
}

int
main(void)
{
	size_t i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_lazy_defaults();
	test_table();
	test_syntax();
	test_values();
	test_listen_and_level();
	test_files();
	test_transactional();
	test_set_origin_dump();
	test_panics();
	test_vars();
	test_manual();
	test_installed_conf();

	for (i = 0; i < nmade; i++) {
		unlink(made[i]);
		free(made[i]);
	}
	free(made);
	rmdir(dir);
	cfg_reset();
	cfg_table_free(&tt);
	str_free(&emsg);
	return done_testing();
}
