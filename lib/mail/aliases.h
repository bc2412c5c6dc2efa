/*
 * aliases - the aliases(5) and virtual alias text files, parsed and
 * compiled into lib/base/table files (FILE.db) by newaliases.
 *
 * aliases(5): "name: target, target, ..." with continuation lines that
 * begin with a blank, # comments, targets being addresses, local names,
 * "|command" (quoted when it has commas or blanks: "|cmd arg"),
 * "/file", and ":include:/path".  Names are matched case-insensitively.
 *
 * virtual: "address target, target, ..." one per line; an address
 * "@domain" is the catch-all of the domain.  Targets are addresses.
 *
 * A compiled entry's value is the targets, one per line, as written
 * (quotes removed).
 */
#ifndef ROOST_ALIASES_H
#define ROOST_ALIASES_H

#include <stddef.h>

#include "str.h"

enum aliases_kind { ALIASES_LOCAL, ALIASES_VIRTUAL };

/* aliases_compile - parse src and write src.db (owner and mode of src,
 * mode 0644): 0 with the entry count in *n, or -1 with err naming
 * "file:line: reason" for a syntax error (nothing is written then). */
int aliases_compile(const char *src, enum aliases_kind kind, size_t *n,
    struct str *err);

/* aliases_parse_targets - split one value as written in an alias file
 * (commas, quotes) into lines: 0, or -1 with err.  Used for :include:
 * files, which are read at expansion time. */
int aliases_parse_targets(const char *text, struct str *lines,
    struct str *err);

#endif
