/*
 * aliases - the aliases(5) and virtual file parsers and newaliases'
 * compiler; see aliases.h and aliases(5).
 *
 * The file is read whole (it is the operator's own, but still bounded),
 * cut into logical entries (a line that starts with a blank continues
 * the entry before it; comment and empty lines are skipped, also inside
 * an entry), and each entry into a name and its targets.  Nothing is
 * written unless every entry parses, so a typo never leaves a half
 * table behind.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "aliases.h"
#include "table.h"

#define LINE_MAX_ 65536			/* one physical line */
#define ENTRY_MAX (1024 * 1024)		/* one logical entry */
#define FILE_MAX ((size_t)256 << 20)
#define NAME_MAX_ 256

/* target_check - one target (quotes already removed): 0 or -1. */
static int
target_check(const char *t, enum aliases_kind kind, struct str *err)
{
	const char *p;

	if (kind == ALIASES_VIRTUAL && (t[0] == '|' || t[0] == '/' ||
	    strncasecmp(t, ":include:", 9) == 0 ||
	    strncasecmp(t, ":repeat:", 8) == 0)) {
		str_copyf(err, "'%s': virtual targets are addresses only", t);
		return -1;
	}
	if (strncasecmp(t, ":repeat:", 8) == 0) {
		if (t[8] != '|') {
			str_copyf(err, "'%s': :repeat: marks a |command only",
			    t);
			return -1;
		}
		t += 8;
	}
	if (t[0] == '|') {
		if (t[1 + strspn(t + 1, " \t")] == '\0') {
			str_copys(err, "'|' without a command");
			return -1;
		}
		return 0;
	}
	if (strncasecmp(t, ":include:", 9) == 0) {
		if (t[9] != '/') {
			str_copyf(err, "'%s': an include file needs an "
			    "absolute path", t);
			return -1;
		}
		return 0;
	}
	if (t[0] == '/')
		return 0;
	/* A quoted local part may hold blanks: check what follows it. */
	if (t[0] != '"' || (p = strchr(t + 1, '"')) == NULL)
		p = t;
	else
		p++;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' ||
		    c == '(' || c == ')' || c == ';' || c == '\\') {
			str_copyf(err, "'%s' is not an address", t);
			return -1;
		}
	}
	if (t[0] == '@' || t[strlen(t) - 1] == '@') {
		str_copyf(err, "'%s' is not an address", t);
		return -1;
	}
	return 0;
}

/* separator - whether c ends a target. */
static bool
separator(char c, enum aliases_kind kind)
{
	return c == ',' || c == '\n' ||
	    (kind == ALIASES_VIRTUAL && isspace((unsigned char)c));
}

/* split - targets of p[0..n) (commas between them; for virtual files
 * blanks too, and newlines always) as lines into out.  A target that
 * is entirely quoted loses its quotes, so "|cmd a, b" is one target. */
static int
split(const char *p, size_t n, enum aliases_kind kind, struct str *out,
    size_t *count, struct str *err)
{
	struct str t = STR_INIT;
	size_t i = 0;
	int rc = -1;

	*count = 0;
	while (i < n) {
		bool quoted = false, inq = false;

		while (i < n && (p[i] == ',' || isspace((unsigned char)p[i])))
			i++;
		if (i == n)
			break;
		str_clear(&t);
		if (p[i] == '"') {
			quoted = true;
			for (i++; i < n && p[i] != '"'; i++) {
				if (p[i] == '\n')
					break;
				str_catc(&t, p[i]);
			}
			if (i == n || p[i] != '"') {
				str_copys(err, "unterminated quote");
				goto out;
			}
			i++;
			if (i < n && p[i] == '@') {
				/* "local part"@domain: an address, keep
				 * it as written. */
				struct str q = STR_INIT;

				str_copyf(&q, "\"%s\"", str_cstr(&t));
				str_copyb(&t, q.s, q.len);
				str_free(&q);
				quoted = false;
			} else {
				while (i < n && (p[i] == ' ' || p[i] == '\t'))
					i++;
				if (i < n && !separator(p[i], kind)) {
					str_copys(err, "text after a closing "
					    "quote");
					goto out;
				}
			}
		}
		for (; !quoted && i < n && (inq || !separator(p[i], kind));
		    i++) {
			if (p[i] == '"')
				inq = !inq;
			if (inq && p[i] == '\n')
				break;
			str_catc(&t, p[i]);
		}
		if (inq) {
			str_copys(err, "unterminated quote");
			goto out;
		}
		if (!quoted)
			str_trim(&t);
		if (t.len == 0) {
			str_copys(err, "empty target");
			goto out;
		}
		if (memchr(t.s, '\0', t.len) != NULL) {
			str_copys(err, "NUL byte");
			goto out;
		}
		if (target_check(t.s, kind, err) < 0)
			goto out;
		str_cat(out, &t);
		str_catc(out, '\n');
		++*count;
	}
	rc = 0;
out:
	str_free(&t);
	return rc;
}

int
aliases_parse_targets(const char *text, struct str *lines, struct str *err)
{
	struct str body = STR_INIT;
	size_t count;
	int rc;

	/* An include file: lines of targets, with comments. */
	str_clear(lines);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t lead = strspn(p, " \t");

		if (lead < len && p[lead] != '#')
			str_catb(&body, p, len);
		str_catc(&body, '\n');
		p += len + (nl != NULL);
	}
	rc = split(str_cstr(&body), body.len, ALIASES_LOCAL, lines, &count,
	    err);
	str_free(&body);
	return rc;
}

/* read_all - the whole file, bounded; 0 or -1 with err. */
static int
read_all(const char *path, struct str *out, struct stat *st,
    struct str *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char buf[65536];
	ssize_t r;

	str_clear(out);
	if (fd < 0 || fstat(fd, st) < 0) {
		str_copyf(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		str_copyf(err, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	while ((r = read(fd, buf, sizeof buf)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			str_copyf(err, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (out->len + (size_t)r > FILE_MAX) {
			str_copyf(err, "%s: larger than %zu MiB", path,
			    FILE_MAX >> 20);
			close(fd);
			return -1;
		}
		str_catb(out, buf, (size_t)r);
	}
	close(fd);
	return 0;
}

struct entry {
	struct str text;	/* the logical line */
	size_t line;		/* where it starts */
};

/* parse_entry - name and target lines of one logical line. */
static int
parse_entry(const struct entry *e, enum aliases_kind kind, struct str *name,
    struct str *targets, struct str *err)
{
	const char *p = e->text.s;
	size_t n = e->text.len, i = 0, count;

	str_clear(name);
	str_clear(targets);
	if (kind == ALIASES_LOCAL && p[0] == '"') {
		for (i = 1; i < n && p[i] != '"'; i++)
			str_catc(name, p[i]);
		if (i == n) {
			str_copys(err, "unterminated quote in the name");
			return -1;
		}
		i++;
	} else {
		for (; i < n && p[i] != ':' && !isspace((unsigned char)p[i]);
		    i++)
			str_catc(name, (char)tolower((unsigned char)p[i]));
	}
	if (kind == ALIASES_LOCAL) {
		i += strspn(p + i, " \t");
		if (i == n || p[i] != ':') {
			str_copys(err, "expected \"name: target, ...\"");
			return -1;
		}
		i++;
	}
	if (name->len == 0) {
		str_copys(err, "empty name");
		return -1;
	}
	if (name->len > NAME_MAX_) {
		str_copyf(err, "name longer than %d bytes", NAME_MAX_);
		return -1;
	}
	for (size_t k = 0; k < name->len; k++) {
		unsigned char c = (unsigned char)name->s[k];

		if (c < ' ' || c == 0x7f || c == ',' ||
		    (kind == ALIASES_VIRTUAL && c == ':')) {
			str_copys(err, "bad character in the name");
			return -1;
		}
		name->s[k] = (char)tolower(c);
	}
	if (split(p + i, n - i, kind, targets, &count, err) < 0)
		return -1;
	if (count == 0) {
		str_copyf(err, "'%s' has no targets", name->s);
		return -1;
	}
	return 0;
}

/* entries - cut text into logical lines. */
static int
entries(const char *src, const struct str *text, struct entry **out,
    size_t *n, struct str *err)
{
	struct entry *v = NULL;
	size_t cap = 0, lineno = 0;

	*n = 0;
	for (size_t off = 0; off < text->len;) {
		const char *p = text->s + off;
		const char *nl = memchr(p, '\n', text->len - off);
		size_t len = nl ? (size_t)(nl - p) : text->len - off;
		size_t lead = strspn(p, " \t");

		lineno++;
		off += len + (nl != NULL);
		if (len > LINE_MAX_) {
			str_copyf(err, "%s:%zu: line longer than %d bytes", src,
			    lineno, LINE_MAX_);
			goto fail;
		}
		if (memchr(p, '\0', len) != NULL) {
			str_copyf(err, "%s:%zu: NUL byte", src, lineno);
			goto fail;
		}
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (lead >= len || p[lead] == '#')
			continue;
		if (lead > 0) {
			if (*n == 0) {
				str_copyf(err, "%s:%zu: continuation line "
				    "without an entry before it", src, lineno);
				goto fail;
			}
			if (v[*n - 1].text.len + len > ENTRY_MAX) {
				str_copyf(err, "%s:%zu: entry longer than "
				    "%d bytes", src, v[*n - 1].line, ENTRY_MAX);
				goto fail;
			}
			/* A line break separates like a blank: keep one. */
			str_catc(&v[*n - 1].text, ' ');
			str_catb(&v[*n - 1].text, p + lead, len - lead);
			continue;
		}
		if (*n == cap) {
			cap = cap ? size_mul(cap, 2) : 256;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[*n].text = (struct str)STR_INIT;
		v[*n].line = lineno;
		str_copyb(&v[*n].text, p, len);
		++*n;
	}
	*out = v;
	return 0;
fail:
	for (size_t i = 0; i < *n; i++)
		str_free(&v[i].text);
	free(v);
	*n = 0;
	return -1;
}

struct seen {
	char *name;
	size_t line;
};

static int
seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->line < y->line ? -1 : x->line > y->line);
}

int
aliases_compile(const char *src, enum aliases_kind kind, size_t *count,
    struct str *err)
{
	struct str text = STR_INIT, name = STR_INIT, targets = STR_INIT;
	struct str dbpath = STR_INIT, why = STR_INIT;
	struct table_build *b = NULL;
	struct entry *ev = NULL;
	struct seen *seen = NULL;
	struct stat st;
	size_t n = 0, i;
	int rc = -1;

	*count = 0;
	if (read_all(src, &text, &st, err) < 0 ||
	    entries(src, &text, &ev, &n, err) < 0)
		goto out;
	seen = xcalloc(n ? n : 1, sizeof *seen);
	for (i = 0; i < n; i++) {
		if (parse_entry(&ev[i], kind, &name, &targets, &why) < 0) {
			str_copyf(err, "%s:%zu: %s", src, ev[i].line, why.s);
			goto out;
		}
		seen[i].name = xstrdup(name.s);
		seen[i].line = ev[i].line;
	}
	qsort(seen, n, sizeof *seen, seen_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(seen[i].name, seen[i - 1].name) == 0) {
			str_copyf(err, "%s:%zu: duplicate %s '%s' (first at "
			    "line %zu)", src, seen[i].line,
			    kind == ALIASES_LOCAL ? "alias" : "address",
			    seen[i].name, seen[i - 1].line);
			goto out;
		}
	str_copyf(&dbpath, "%s.db", src);
	if (table_build_begin(&b, dbpath.s, err) < 0)
		goto out;
	/* Every domain with a virtual address is one of ours, as an
	 * explicit "domain anything" line says; the explicit line, put
	 * later, wins. */
	for (i = 0; kind == ALIASES_VIRTUAL && i < n; i++) {
		const char *at = strrchr(seen[i].name, '@');

		if (at != NULL && at[1] != '\0' &&
		    table_build_put(b, at + 1, "", err) < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		(void)parse_entry(&ev[i], kind, &name, &targets, &why);
		if (targets.len)	/* one per line, no final newline */
			targets.s[--targets.len] = '\0';
		if (table_build_put(b, name.s, targets.s, err) < 0)
			goto out;
	}
	if (table_build_commit(&b, 0644, st.st_uid, st.st_gid, err) < 0)
		goto out;
	*count = n;
	rc = 0;
out:
	table_build_abort(&b);
	for (i = 0; i < n; i++) {
		str_free(&ev[i].text);
		if (seen)
			free(seen[i].name);
	}
	free(ev);
	free(seen);
	str_free(&text);
	str_free(&name);
	str_free(&targets);
	str_free(&dbpath);
	str_free(&why);
	return rc;
}
