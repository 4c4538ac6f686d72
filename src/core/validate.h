/*
 * validate: validation stages of brief §10 that need no server.
 *
 * (1) the Catalyst form: field types known, names usable, options well
 *     formed (row-level parse errors are found by catalyst_form itself);
 * (2) the target rules on a canonical target form: key pattern and length,
 *     reserved names, property type companions (array needs items, component
 *     needs contentType, no nested arrays), enum values of the property's
 *     type, minimum <= maximum, minLength <= maxLength, patterns that
 *     compile, references to types that exist or are being created;
 * (4) key collisions, reported by core/keys as warnings.
 * Stage (3), compatibility with the remote (data loss), comes with the plan.
 *
 * Every finding carries a code from docs/validation.md, a severity and a
 * path "<type>:<path>".
 */
#ifndef CORE_VALIDATE_H
#define CORE_VALIDATE_H

#include <jansson.h>

struct findings;

/* Stage 1 on a Catalyst form; label names the type in paths. */
void validate_catalyst(const json_t *form, const char *label,
		       struct findings *findings);

/*
 * Stage 2 on a canonical target form. known_types is an object whose member
 * names are the type keys that exist or are being created (references to
 * base types such as "_image" are always fine); may be NULL to skip the
 * reference check.
 */
void validate_target(const json_t *doc, const json_t *known_types,
		     struct findings *findings);

/* Counts findings of severity error, treating warnings as errors when strict. */
size_t validate_failures(const struct findings *findings, int strict);

#endif
