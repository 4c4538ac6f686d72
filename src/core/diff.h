/*
 * diff: a structural diff of two JSON documents (brief §9), for `diff`
 * and, later, three-way merge.
 *
 * Objects are compared member by member, down to each leaf: a Catalyst form
 * to each field attribute (fields.title.label), a target form to each
 * property attribute (properties.title.maxLength). Arrays are atomic values
 * (changed as a whole), except set-valued ones (allowedTypes and the other
 * members brief §4 names), which are compared as sets: each element added
 * or removed is its own entry. Numbers compare by value (1 and 1.0 are
 * equal), as in canonical JSON.
 */
#ifndef CORE_DIFF_H
#define CORE_DIFF_H

#include <jansson.h>
#include <stddef.h>

struct buf;

enum diff_op {
	DIFF_ADD = 0,	 /* present in b only */
	DIFF_REMOVE = 1, /* present in a only */
	DIFF_CHANGE = 2	 /* present in both, different */
};

struct diff_entry {
	enum diff_op op;
	/* The member names from the root (a new array of strings); empty
	 * for the document itself. */
	json_t *segments;
	/* For display: "fields.title.label", with names that are not plain
	 * identifiers quoted (fields["a.b"]); "[]" after a set-valued array
	 * whose element this entry adds or removes. "" for the document. */
	char *path;
	json_t *old;	/* the value in a (NULL when added) */
	json_t *new;	/* the value in b (NULL when removed) */
	int set_member; /* old/new is an element of the set at path */
};

struct diff {
	struct diff_entry *items;
	size_t nr, alloc;
};

#define DIFF_INIT                                                              \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

struct diff_options {
	/* Member names whose array values are sets (NULL-ended); NULL for
	 * the default: mayContainTypes, allowedTypes, restrictedTypes,
	 * compositionBehaviors, mediaFileExtensions. */
	const char *const *set_keys;
};

/*
 * Appends the differences from a to b to out, ordered by path (members in
 * bytewise order of their names). a or b may be NULL (a document that
 * does not exist: one entry for the whole). opt may be NULL.
 */
void diff_json(struct diff *out, const json_t *a, const json_t *b,
	       const struct diff_options *opt);

void diff_release(struct diff *d);

/* The set-valued members brief §4 names (NULL-ended): the default of diff
 * and of merge (core/merge3.h). */
extern const char *const diff_default_set_keys[];

/* The display path of the first nr segments, as entries' paths read
 * ("fields.title.label", fields["a.b"]); a new string, "" for none. */
char *diff_path(const json_t *segments, size_t nr);

/* True when a and b are equal as canonical JSON (numbers by value). */
int diff_equal(const json_t *a, const json_t *b);

/*
 * Appends one line per entry: "~ path: OLD -> NEW", "+ path: NEW",
 * "- path: OLD", values as compact JSON.
 */
void diff_format(struct buf *out, const struct diff *d);

/* The entries as a new JSON array of {op: add|remove|change, path,
 * segments, old?, new?, set_member?}. */
json_t *diff_to_json(const struct diff *d);

#endif
