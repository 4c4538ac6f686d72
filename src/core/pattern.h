/*
 * pattern: checking the regular expressions of property patterns.
 */
#ifndef CORE_PATTERN_H
#define CORE_PATTERN_H

#include <stddef.h>

struct buf;

/*
 * Checks that pat (len bytes, no NUL inside) compiles as a .NET regular
 * expression, as far as a translation to POSIX extended syntax can tell.
 * Returns 0, or -1 with the reason appended to *why.
 */
int pattern_check(const char *pat, size_t len, struct buf *why);

#endif
