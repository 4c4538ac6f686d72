/*
 * canon: RFC 8785 canonical JSON, and the hashes built on it (brief §4).
 *
 * These hashes are persisted (versions, sync state, plans), so the output of
 * this module is frozen: any change to it is a store migration.
 *
 * Canonical JSON: object members sorted by the UTF-16 code units of their
 * names, no insignificant whitespace, strings with the minimal escaping of
 * RFC 8785 §3.2.2.2, numbers in ECMAScript Number.prototype.toString form
 * (§3.2.2.3; integers are treated as IEEE doubles like every other number).
 */
#ifndef CORE_CANON_H
#define CORE_CANON_H

#include <jansson.h>
#include <stddef.h>

struct buf;

#define CANON_HASH_LEN 64

/*
 * Appends the canonical form of v to out. Returns 0, or ERR_INVALID (with a
 * message) for NaN/Infinity or a string that is not valid UTF-8.
 */
int canon_json(struct buf *out, const json_t *v)
	__attribute__((warn_unused_result));

/*
 * Formats d as ECMAScript's Number.prototype.toString would (shortest
 * round-trip digits; "1e+21", "1e-7", "0" for -0). d must be finite.
 * Appends to out.
 */
void canon_number(struct buf *out, double d);

/* SHA-256 (hex) of the canonical JSON of v. Errors as canon_json. */
int canon_hash(char out[CANON_HASH_LEN + 1], const json_t *v)
	__attribute__((warn_unused_result));

/*
 * The content hash of a Catalyst form (core/catalyst_form.h): the hash of the
 * form without its identity and bookkeeping members, which are the type's
 * "id" and "websiteId", and the "id" of each field (at any depth of nested
 * fields) and of each relationship. Timestamps are never in a form.
 */
int canon_content_hash(char out[CANON_HASH_LEN + 1], const json_t *form)
	__attribute__((warn_unused_result));

/*
 * The hash of the owned members of a canonical target document: the same
 * as canon_hash(tform_owned(canonical)) (core/tform.h), with no copy made.
 */
int canon_owned_hash(char out[CANON_HASH_LEN + 1], const json_t *canonical)
	__attribute__((warn_unused_result));

/*
 * The version id: the hash of
 * {"type": type_id, "content": content_hash, "parents": [sorted parents]}.
 * parents may be NULL when nr is 0; they need not be sorted.
 */
int canon_version_id(char out[CANON_HASH_LEN + 1], const char *type_id,
		     const char *content_hash, const char *const *parents,
		     size_t nr) __attribute__((warn_unused_result));

/*
 * The tree hash of a target: the hash of an object {type key: content hash}
 * (key_to_hash holds string values).
 */
int canon_tree_hash(char out[CANON_HASH_LEN + 1], const json_t *key_to_hash)
	__attribute__((warn_unused_result));

#endif
