/*
 * cfg - roost.conf loading and typed access; see cfg.h.
 *
 * A table's current values live in t->vals, parallel to t->keys and
 * built from the defaults on first use; publish() copies them into the
 * keys' typed variables whenever they change.  cfg_table_load() parses a
 * whole file into a fresh array and swaps it in only when every line was
 * good, so a bad file leaves the previous values as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "cfg.h"
#include "fd.h"
#include "log.h"

struct cfg_val {
	char *text;		/* as written, blanks trimmed */
	long long num;		/* INT/SIZE/TIME converted; BOOL 0 or 1 */
	char *origin;		/* "file:line" or "set"; NULL: the default */
};

/* The process's own table: cfg_keys[] and the values in use. */
static struct cfg_table proc;

static const char *const type_name[] = {
	[CFG_STR] = "string", [CFG_INT] = "integer", [CFG_BOOL] = "boolean",
	[CFG_SIZE] = "size", [CFG_TIME] = "time",
};
/* What an empty value should have been, by type. */
static const char *const type_want[] = {
	[CFG_STR] = "text", [CFG_INT] = "a number", [CFG_BOOL] = "yes or no",
	[CFG_SIZE] = "a size", [CFG_TIME] = "a time",
};

static void
val_free(struct cfg_val *v)
{
	free(v->text);
	free(v->origin);
	v->text = v->origin = NULL;
}

static void
vals_free(const struct cfg_table *t, struct cfg_val *vs)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		val_free(&vs[i]);
	free(vs);
}

static size_t
key_index(const struct cfg_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* digits - parse a run of decimal digits at *sp into *out, advancing *sp;
 * 0, -1 when there is no digit, -2 on overflow. */
static int
digits(const char **sp, unsigned long long limit, unsigned long long *out)
{
	const char *s = *sp;
	unsigned long long v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (limit - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

/* number - digits with an optional one-letter unit from units[] (the
 * multipliers in mult[]); 0, -1 malformed, -2 overflow. */
static int
number(const char *s, const char *units, const long long *mult,
    long long *out)
{
	unsigned long long v;
	long long m = 1, r;
	const char *u;
	int rc;

	if ((rc = digits(&s, LLONG_MAX, &v)) < 0)
		return rc;
	if (*s != '\0') {
		if (s[1] != '\0' || (u = strchr(units, *s)) == NULL)
			return -1;
		m = mult[u - units];
	}
	if (__builtin_mul_overflow((long long)v, m, &r))
		return -2;
	*out = r;
	return 0;
}

static const char size_units[] = "kKmMgG";
static const long long size_mult[] = {
	1LL << 10, 1LL << 10, 1LL << 20, 1LL << 20, 1LL << 30, 1LL << 30,
};
static const char time_units[] = "smhdw";
static const long long time_mult[] = { 1, 60, 3600, 86400, 604800 };

void
cfg_format_num(const struct cfg_key *k, long long v, struct str *out)
{
	static const char sfx[] = "gmk";
	int i;

	if (k->type == CFG_TIME) {
		str_catf(out, "%llds", v);
		return;
	}
	if (k->type == CFG_SIZE && v != 0)
		for (i = 0; i < 3; i++) {
			long long m = 1LL << (10 * (3 - i));

			if (v % m == 0) {
				str_catf(out, "%lld%c", v / m, sfx[i]);
				return;
			}
		}
	str_catf(out, "%lld", v);
}

static int
parse_int(const char *s, long long *out)
{
	unsigned long long v;
	bool neg = *s == '-';
	int rc;

	if (neg)
		s++;
	/* -LLONG_MIN does not fit in a long long; build it from -LLONG_MAX. */
	rc = digits(&s, (unsigned long long)LLONG_MAX + neg, &v);
	if (rc < 0 || *s != '\0')
		return rc < 0 ? rc : -1;
	*out = !neg ? (long long)v : v == 0 ? 0 : -(long long)(v - 1) - 1;
	return 0;
}

static int
parse_bool(const char *s, long long *out)
{
	static const char *const words[] = {
		"no", "false", "off", "0", "yes", "true", "on", "1",
	};
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcasecmp(s, words[i]) == 0) {
			*out = i >= 4;
			return 0;
		}
	return -1;
}

/* parse - convert text for key k into v (text copied); 0, or -1 with a
 * reason naming neither file, line nor key. */
static int
parse(const struct cfg_key *k, const char *text, struct cfg_val *v,
    struct str *why)
{
	struct str reason = STR_INIT;
	long long n = 0;
	int rc = 0;

	str_clear(why);
	if (k->type != CFG_STR && *text == '\0') {
		str_copyf(why, "empty value, want %s", type_want[k->type]);
		return -1;
	}
	switch (k->type) {
	case CFG_STR:
		if (k->check != NULL && k->check(text, &reason) < 0) {
			str_copys(why, reason.len ? reason.s : "bad value");
			rc = -1;
		}
		break;
	case CFG_INT:
		if ((rc = parse_int(text, &n)) == -1)
			str_copyf(why, "'%s' is not a number", text);
		break;
	case CFG_SIZE:
		if ((rc = number(text, size_units, size_mult, &n)) == -1)
			str_copyf(why, "'%s' is not a size (bytes, or a number "
			    "with k, m or g)", text);
		break;
	case CFG_TIME:
		if ((rc = number(text, time_units, time_mult, &n)) == -1)
			str_copyf(why, "'%s' is not a time (seconds, or a "
			    "number with s, m, h, d or w)", text);
		break;
	case CFG_BOOL:
		if ((rc = parse_bool(text, &n)) == -1)
			str_copyf(why, "'%s' is not a boolean (yes/no, "
			    "true/false, on/off, 1/0)", text);
		break;
	}
	str_free(&reason);
	if (rc == -2)
		str_copyf(why, "'%s' is too %s", text,
		    *text == '-' ? "small" : "large");
	if (rc < 0)
		return -1;
	if (k->type == CFG_INT || k->type == CFG_SIZE || k->type == CFG_TIME) {
		if (n < k->min || n > k->max) {
			str_clear(why);
			cfg_format_num(k, n, why);
			str_cats(why, n < k->min ? " is below the minimum " :
			    " is above the maximum ");
			cfg_format_num(k, n < k->min ? k->min : k->max, why);
			return -1;
		}
	}
	v->text = xstrdup(text);
	v->num = n;
	v->origin = NULL;
	return 0;
}

/* defaults - fresh values array holding every key's default. */
static struct cfg_val *
defaults(const struct cfg_table *t)
{
	struct cfg_val *vs = xcalloc(t->n, sizeof *vs);
	struct str why = STR_INIT;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (parse(&t->keys[i], t->keys[i].def, &vs[i], &why) < 0)
			log_panic("cfg: default of %s: %s", t->keys[i].name,
			    why.s);
	str_free(&why);
	return vs;
}

/* publish - the current values into the keys' typed variables. */
static void
publish(struct cfg_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct cfg_key *k = &t->keys[i];

		if (k->var == NULL)
			continue;
		if (k->type == CFG_STR)
			*(const char **)k->var = t->vals[i].text;
		else if (k->type == CFG_BOOL)
			*(bool *)k->var = t->vals[i].num != 0;
		else
			*(long long *)k->var = t->vals[i].num;
	}
}

static void
init(struct cfg_table *t)
{
	if (t->vals == NULL) {
		t->vals = defaults(t);
		publish(t);
	}
}

void
cfg_table_reset(struct cfg_table *t)
{
	if (t->vals != NULL)
		vals_free(t, t->vals);
	t->vals = defaults(t);
	publish(t);
}

/* bad_byte - a reason when line holds a byte no value may contain. */
static bool
bad_byte(const char *s, size_t n, struct str *why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0') {
			str_copys(why, "NUL byte");
			return true;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			str_copyf(why, "control character \\x%02x", c);
			return true;
		}
	}
	return false;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* read_file - the whole of path into out; 0, or -1 with "path: reason". */
static int
read_file(const char *path, struct str *out, struct str *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0) {
		str_copyf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		str_ready(out, 8192);
		r = fd_read(fd, out->s + out->len, out->cap - out->len - 1);
		if (r <= 0)
			break;
		out->len += (size_t)r;
		if (out->len > CFG_FILE_MAX) {
			str_copyf(err, "%s: too large (more than %zu bytes)",
			    path, CFG_FILE_MAX);
			(void)fd_close(fd);
			return -1;
		}
	}
	out->s[out->len] = '\0';
	if (r < 0) {
		str_copyf(err, "%s: cannot read: %s", path, strerror(errno));
		(void)fd_close(fd);
		return -1;
	}
	(void)fd_close(fd);
	return 0;
}

/* load_line - apply one line (no line end) to vs; line_of[i] is the
 * line that set key i (0: none yet).  0, or -1 with the error in err. */
static int
load_line(const struct cfg_table *t, const char *path, size_t lineno,
    const char *s, size_t n, struct cfg_val *vs, size_t *line_of,
    struct str *err)
{
	struct str key = STR_INIT, value = STR_INIT, why = STR_INIT;
	const char *eq;
	size_t i;
	int rc = -1;

	if (n > CFG_LINE_MAX) {
		str_copyf(err, "%s:%zu: line too long (more than %d bytes)",
		    path, lineno, CFG_LINE_MAX);
		return -1;
	}
	if (bad_byte(s, n, &why)) {
		str_copyf(err, "%s:%zu: %s", path, lineno, why.s);
		str_free(&why);
		return -1;
	}
	while (n > 0 && blank(*s)) {
		s++;
		n--;
	}
	if (n == 0 || *s == '#')
		return 0;
	if ((eq = memchr(s, '=', n)) == NULL) {
		str_copyf(err, "%s:%zu: expected 'key = value'", path, lineno);
		return -1;
	}
	str_copyb(&key, s, (size_t)(eq - s));
	str_trim(&key);
	str_copyb(&value, eq + 1, n - (size_t)(eq - s) - 1);
	str_trim(&value);
	if (key.len == 0)
		str_copyf(err, "%s:%zu: no key before '='", path, lineno);
	else if ((i = key_index(t, key.s)) == SIZE_MAX)
		str_copyf(err, "%s:%zu: unknown key '%s'", path, lineno, key.s);
	else if (line_of[i] != 0)
		str_copyf(err, "%s:%zu: %s: already set on line %zu", path,
		    lineno, key.s, line_of[i]);
	else if (parse(&t->keys[i], value.s, &vs[i], &why) < 0)
		str_copyf(err, "%s:%zu: %s: %s", path, lineno, key.s, why.s);
	else {
		str_copyf(&why, "%s:%zu", path, lineno);
		vs[i].origin = str_steal(&why);
		line_of[i] = lineno;
		rc = 0;
	}
	str_free(&key);
	str_free(&value);
	str_free(&why);
	return rc;
}

int
cfg_table_load(struct cfg_table *t, const char *path, struct str *err)
{
	struct str text = STR_INIT;
	struct cfg_val *vs = NULL;
	size_t *line_of = NULL, lineno = 0, pos = 0;
	int rc = -1;

	init(t);
	if (read_file(path, &text, err) < 0)
		goto out;
	vs = xcalloc(t->n, sizeof *vs);
	line_of = xcalloc(t->n, sizeof *line_of);
	while (pos < text.len) {
		const char *s = text.s + pos, *nl;
		size_t n = text.len - pos;

		if ((nl = memchr(s, '\n', n)) != NULL)
			n = (size_t)(nl - s);
		pos += n + (nl != NULL);
		lineno++;
		/* CRLF files come from editors elsewhere; the CR is noise. */
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (load_line(t, path, lineno, s, n, vs, line_of, err) < 0)
			goto out;
	}
	/* Keys the file left alone take their defaults. */
	{
		struct cfg_val *defs = defaults(t);
		size_t i;

		for (i = 0; i < t->n; i++)
			if (line_of[i] == 0) {
				vs[i] = defs[i];
				defs[i].text = NULL;
			}
		vals_free(t, defs);
	}
	vals_free(t, t->vals);
	t->vals = vs;
	vs = NULL;
	publish(t);
	rc = 0;
out:
	if (vs != NULL)
		vals_free(t, vs);
	free(line_of);
	str_free(&text);
	return rc;
}

int
cfg_table_set(struct cfg_table *t, const char *key, const char *value,
    struct str *err)
{
	struct str v = STR_INIT, why = STR_INIT;
	struct cfg_val nv = { NULL, 0, NULL };
	size_t i;
	int rc = -1;

	init(t);
	str_copys(&v, value);
	str_trim(&v);
	if ((i = key_index(t, key)) == SIZE_MAX)
		str_copyf(err, "unknown key '%s'", key);
	else if (bad_byte(v.s, v.len, &why) ||
	    parse(&t->keys[i], v.s, &nv, &why) < 0)
		str_copyf(err, "%s: %s", key, why.s);
	else {
		val_free(&t->vals[i]);
		nv.origin = xstrdup("set");
		t->vals[i] = nv;
		publish(t);
		rc = 0;
	}
	str_free(&v);
	str_free(&why);
	return rc;
}

/* lookup - the index of key, which must exist and be one of the types
 * in the mask (1 << type); anything else is a bug in the caller. */
static size_t
lookup(struct cfg_table *t, const char *key, unsigned mask)
{
	size_t i;

	init(t);
	if ((i = key_index(t, key)) == SIZE_MAX)
		log_panic("cfg: no such key '%s'", key);
	if (!(mask & (1u << t->keys[i].type)))
		log_panic("cfg: %s is of type %s", key,
		    type_name[t->keys[i].type]);
	return i;
}

/* The index first: lookup() may be what allocates t->vals. */
const char *
cfg_table_str(struct cfg_table *t, const char *key)
{
	size_t i = lookup(t, key, 1u << CFG_STR);

	return t->vals[i].text;
}

long long
cfg_table_int(struct cfg_table *t, const char *key)
{
	size_t i = lookup(t, key, 1u << CFG_INT | 1u << CFG_SIZE |
	    1u << CFG_TIME);

	return t->vals[i].num;
}

bool
cfg_table_bool(struct cfg_table *t, const char *key)
{
	size_t i = lookup(t, key, 1u << CFG_BOOL);

	return t->vals[i].num != 0;
}

const char *
cfg_table_origin(struct cfg_table *t, const char *key)
{
	size_t i;

	init(t);
	if ((i = key_index(t, key)) == SIZE_MAX)
		log_panic("cfg: no such key '%s'", key);
	return t->vals[i].origin != NULL ? t->vals[i].origin : "default";
}

const struct cfg_key *
cfg_table_find(const struct cfg_table *t, const char *name)
{
	size_t i = key_index(t, name);

	return i == SIZE_MAX ? NULL : &t->keys[i];
}

void
cfg_table_dump(struct cfg_table *t, struct str *out, bool changed_only)
{
	struct cfg_val *defs = NULL;
	size_t i;

	init(t);
	if (changed_only)
		defs = defaults(t);
	for (i = 0; i < t->n; i++) {
		/* Compare what the values mean: "5m" is the default "300s". */
		if (defs != NULL && (t->keys[i].type == CFG_STR ?
		    strcmp(t->vals[i].text, defs[i].text) == 0 :
		    t->vals[i].num == defs[i].num))
			continue;
		str_catf(out, "%s = %s\n", t->keys[i].name, t->vals[i].text);
	}
	if (defs != NULL)
		vals_free(t, defs);
}

void
cfg_table_free(struct cfg_table *t)
{
	if (t->vals != NULL)
		vals_free(t, t->vals);
	t->vals = NULL;
}

/* The process's table, bound to cfg_keys[] on first use (cfg_nkeys is
 * not a constant expression here). */
static struct cfg_table *
self(void)
{
	if (proc.keys == NULL) {
		proc.keys = cfg_keys;
		proc.n = cfg_nkeys;
	}
	return &proc;
}

void
cfg_reset(void)
{
	cfg_table_reset(self());
}

int
cfg_load(const char *path, struct str *err)
{
	return cfg_table_load(self(), path, err);
}

int
cfg_set(const char *key, const char *value, struct str *err)
{
	return cfg_table_set(self(), key, value, err);
}

const char *
cfg_str(const char *key)
{
	return cfg_table_str(self(), key);
}

long long
cfg_int(const char *key)
{
	return cfg_table_int(self(), key);
}

bool
cfg_bool(const char *key)
{
	return cfg_table_bool(self(), key);
}

const char *
cfg_origin(const char *key)
{
	return cfg_table_origin(self(), key);
}

const struct cfg_key *
cfg_find(const char *name)
{
	return cfg_table_find(self(), name);
}

void
cfg_dump(struct str *out, bool changed_only)
{
	cfg_table_dump(self(), out, changed_only);
}
