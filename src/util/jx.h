/*
 * jx: small helpers over jansson.
 *
 * Loading always rejects duplicate keys (a document with two "title" keys is
 * ambiguous, and we never guess) and reports line and column. Dumps are for
 * storing and display: anything that is hashed goes through core/canon.
 */
#ifndef UTIL_JX_H
#define UTIL_JX_H

#include <jansson.h>
#include <stddef.h>

struct buf;

/*
 * Parses len bytes of text. On failure returns ERR_INVALID with a message
 * "cannot parse WHAT at LINE:COLUMN: REASON". *out is a new reference.
 */
int jx_load(json_t **out, const char *text, size_t len, const char *what)
	__attribute__((warn_unused_result));
/*
 * jx_load's fast path, for tests: 0 with *out set when it read text, or 1
 * when it declined and jansson's own parser is to decide (not an error:
 * nothing is set). What it reads, it reads exactly as json_loadb does.
 */
int jx_parse_fast(json_t **out, const char *text, size_t len);
/* Reads and parses a file (at most 64 MiB); errors name the path. */
int jx_load_file(json_t **out, const char *path)
	__attribute__((warn_unused_result));
/* The string member key of obj, or NULL when absent or not a string. */
const char *jx_str(const json_t *obj, const char *key);
/* 1 when member key is JSON true, 0 otherwise. */
int jx_true(const json_t *obj, const char *key);
/* Appends a pretty (2-space, insertion order) dump of v to b. */
void jx_dump_pretty(struct buf *b, const json_t *v);
/*
 * Appends a compact dump of v to b (insertion order): what json_dumps(v,
 * JSON_COMPACT | JSON_ENCODE_ANY) gives, byte for byte, but written here
 * (several times faster). Nothing for a NULL v.
 */
void jx_dump_compact(struct buf *b, const json_t *v);
/* Sets obj[key] = v, taking the reference; a NULL v is ignored. */
void jx_set_new(json_t *obj, const char *key, json_t *v);
/*
 * An object's keys in sorted (bytewise) order, for stable iteration. The
 * array holds borrowed key pointers; free() it when done.
 */
const char **jx_sorted_keys(const json_t *obj, size_t *nr_out);

/*
 * Finds names[0..nr) among the members of obj in one pass over them (for
 * objects read many times on a hot path, where a json_object_get per name
 * costs a hash each): slots[i] gets the value of names[i], or NULL. A key
 * with a NUL inside never matches, as with json_object_get. Returns how
 * many were found; obj that is not an object finds none.
 */
size_t jx_pick(const json_t *obj, const char *const *names, size_t nr,
	       json_t **slots);

/* A number with no fractional part (an integer, or a real such as 3.0). */
int jx_is_integral(const json_t *v);

#endif
