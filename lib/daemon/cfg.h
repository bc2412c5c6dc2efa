/*
 * cfg - roost.conf: one file of "key = value" lines shared by all daemons.
 *
 * Every key is defined once, in the table in cfg_keys.c: name, type,
 * default, bounds and a one-line description; roost.conf(5) documents the
 * same table (a unit test checks the two agree).  Loading is strict: an
 * unknown key, a malformed or out-of-range value, a duplicate key or a
 * line that is not "key = value" is an error naming the file, the line
 * and the key, and nothing of that file is applied.
 *
 * Syntax: blank lines and lines whose first non-blank byte is '#' are
 * ignored; otherwise "key = value", with blanks around both trimmed.
 * Values are taken literally (no quoting, no expansion).  Lines are
 * limited to CFG_LINE_MAX bytes.
 *
 * Types: CFG_STR (any text), CFG_INT (decimal), CFG_BOOL (yes/no,
 * true/false, on/off, 1/0), CFG_SIZE (bytes, with optional k/m/g suffix,
 * powers of 1024), CFG_TIME (seconds, with optional s/m/h/d/w suffix).
 * cfg_int() returns INT as is, SIZE in bytes and TIME in seconds.
 *
 * The values live in process-wide storage, read-only after start, and
 * each has a typed variable (var_<key>, below).
 */
#ifndef ROOST_CFG_H
#define ROOST_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "str.h"

#define CFG_LINE_MAX 4096
/* A config file is a few kilobytes; the cap stops a wrong path such as
 * /dev/zero from eating memory before the NUL check sees it. */
#define CFG_FILE_MAX ((size_t)1 << 20)

enum cfg_type { CFG_STR, CFG_INT, CFG_BOOL, CFG_SIZE, CFG_TIME };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *def;		/* default, in config-file syntax */
	long long min, max;		/* bounds for INT/SIZE/TIME */
	/* check - extra validation of a STR value (NULL: none); returns
	 * 0 or -1 with a reason (no file/line/key) in err. */
	int (*check)(const char *value, struct str *err);
	const char *doc;		/* one line, for roost.conf(5) */
	/* var - the key's variable (NULL: none): const char * for STR,
	 * long long for INT, SIZE and TIME, bool for BOOL. */
	void *var;
};

extern const struct cfg_key cfg_keys[];
extern const size_t cfg_nkeys;

/*
 * var_<key> - the value of every key, typed, as cfg_keys.def declares
 * it: STR const char *, INT long long, SIZE bytes and TIME seconds as
 * long long, BOOL bool.  They hold the defaults from the start of the
 * program and follow every cfg_reset(), cfg_load() and cfg_set(); a
 * misspelt name does not compile.  Read them, never write them.
 */
#define K_STR(n, ...) extern const char *var_##n;
#define K_INT(n, ...) extern long long var_##n;
#define K_TIME K_INT
#define K_SIZE K_INT
#define K_BOOL(n, ...) extern bool var_##n;
#include "cfg_keys.def"
#undef K_STR
#undef K_INT
#undef K_TIME
#undef K_SIZE
#undef K_BOOL

/*
 * A table of keys and the values in use.  The process has one, bound to
 * cfg_keys[], which the cfg_* functions below serve; cfg_table_* serve
 * any table (a test's, a tool's) the same way.  Initialise with
 * CFG_TABLE_INIT; values are built on first use.
 */
struct cfg_val;
struct cfg_table {
	const struct cfg_key *keys;
	size_t n;
	struct cfg_val *vals;	/* parallel to keys; NULL until first use */
};
#define CFG_TABLE_INIT(keys) { (keys), sizeof(keys) / sizeof((keys)[0]), NULL }

void cfg_table_reset(struct cfg_table *t);
int cfg_table_load(struct cfg_table *t, const char *path, struct str *err);
int cfg_table_set(struct cfg_table *t, const char *key, const char *value,
    struct str *err);
const char *cfg_table_str(struct cfg_table *t, const char *key);
long long cfg_table_int(struct cfg_table *t, const char *key);
bool cfg_table_bool(struct cfg_table *t, const char *key);
const char *cfg_table_origin(struct cfg_table *t, const char *key);
const struct cfg_key *cfg_table_find(const struct cfg_table *t,
    const char *name);
void cfg_table_dump(struct cfg_table *t, struct str *out,
    bool changed_only);
/* cfg_table_free - the table's values (it may be used again). */
void cfg_table_free(struct cfg_table *t);

/* cfg_reset - every key back to its default. */
void cfg_reset(void);
/* cfg_load - read path and apply it over the defaults (after
 * cfg_reset).  0 on success; -1 with "path:line: key: reason" (or
 * "path: reason" when the file cannot be read) in err, and the previous
 * values untouched. */
int cfg_load(const char *path, struct str *err);
/* cfg_set - set one key from text (as a file line would); 0 or -1 with
 * "key: reason" in err. */
int cfg_set(const char *key, const char *value, struct str *err);

/* Lookups by name, for keys chosen at run time (a table of keys, a key
 * made from a daemon's name); code that knows its key uses var_<key>.
 * They panic on an unknown key or a type mismatch: both are bugs. */
const char *cfg_str(const char *key);
long long cfg_int(const char *key);
bool cfg_bool(const char *key);
/* cfg_origin - "default" or "file:line" where the value came from. */
const char *cfg_origin(const char *key);
/* cfg_find - the table entry for name, or NULL. */
const struct cfg_key *cfg_find(const char *name);
/* cfg_format_num - append v in key k's own units, as messages and
 * roost.conf(5) write it ("4g", "300s"). */
void cfg_format_num(const struct cfg_key *k, long long v, struct str *out);
/* cfg_dump - "key = value\n" for every key (only non-defaults when
 * changed_only), in table order. */
void cfg_dump(struct str *out, bool changed_only);

#endif
