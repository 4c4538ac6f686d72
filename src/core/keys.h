/*
 * keys: Optimizely keys generated from Catalyst names (brief §5).
 *
 * Generation is deterministic and table-tested. Keys are generated once and
 * then persisted (type_map, field_map in the store); this module only makes
 * them. Words are runs of ASCII letters and digits, accented Latin letters
 * folded to their base letter, a lower-to-upper change starting a new word.
 */
#ifndef CORE_KEYS_H
#define CORE_KEYS_H

#include <jansson.h>
#include <stddef.h>

struct findings;

#define KEYS_MAX_LEN 255

/* A type key from a seed (the key column, else the name): "Blog Post" ->
 * "BlogPost", "2024 Événements" -> "Type2024Evenements". Caller frees. */
char *keys_type_key(const char *seed);

/* A property key from a field name: "SEO Title" -> "seoTitle", "x" ->
 * "fieldX". Caller frees. */
char *keys_property_key(const char *seed);

/* True for keys the service reserves for types (BlankExperience,
 * BlankSection, SysContentFolder, any "globalcontract:" key). */
int keys_is_reserved_type(const char *key);

/* True for property keys reserved on a type of base type base_type
 * ("composition" on "_experience"). */
int keys_is_reserved_property(const char *key, const char *base_type);

/* One type to give a key to. */
struct keys_type {
	const char *id;       /* Catalyst id */
	const char *name;     /* for messages */
	const char *seed;     /* the key column, else the name */
	long long created_ms; /* orders collisions (then id) */
	char *key;            /* out: owned by the caller after the call */
};

/*
 * Gives every entry a unique key: generated from its seed, suffixed "2",
 * "3", ... when the key is reserved, or taken by an earlier entry (ordered by
 * created_ms, then id) or by a name in taken (a JSON object whose member
 * names are keys already in use; may be NULL). Each suffixing adds a
 * "key-collision" warning to findings (may be NULL) that names both sides.
 * Entries whose key is already set are kept as they are (persisted keys).
 */
void keys_assign_types(struct keys_type *types, size_t nr, const json_t *taken,
		       struct findings *findings);

/*
 * Property keys for the fields of one Catalyst form: returns a new object
 * {field name: property key}, unique within the type, suffixed in field
 * order (then name) with a "key-collision" warning on a clash or a reserved
 * name. existing (may be NULL) maps field names to persisted keys, which are
 * kept. type_label names the type in messages; base_type is the type's
 * Optimizely base type ("_page").
 */
json_t *keys_assign_properties(const json_t *form, const json_t *existing,
			       const char *type_label, const char *base_type,
			       struct findings *findings);

#endif
