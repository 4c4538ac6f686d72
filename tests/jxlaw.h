/*
 * jxlaw: the law of jx_load's fast path, shared by t_jx and the fuzz
 * target: whatever jx_parse_fast reads, json_loadb reads too, into the
 * same tree (members in the same order, the same integer and real kinds,
 * the same values); and jx_load accepts and refuses exactly what
 * json_loadb does, with json_loadb's message. And jx_dump_compact writes
 * what json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) writes.
 */
#ifndef TESTS_JXLAW_H
#define TESTS_JXLAW_H

#include <stddef.h>

struct buf;

/*
 * Checks the law on len bytes of text: 0 when it holds, -1 when it does
 * not, with why in *why (reset first). *taken tells whether the fast path
 * read the text itself.
 */
int jxlaw_check(const char *text, size_t len, int *taken, struct buf *why);

#endif
