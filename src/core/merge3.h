/*
 * merge3: a three-way merge of JSON documents (brief §9), for pull, sync
 * and conflict resolution.
 *
 * Objects merge member by member, down to each leaf, so that edits to
 * different attributes of one property (properties.title.maxLength on one
 * side, properties.title.displayName on the other) both survive. For each
 * member, with base B and sides L and R:
 *
 *	L, R objects                 -> merged member by member (with an absent
 *	                                base when B is absent or not an object)
 *	L == R                       -> L (the same change on both, or none)
 *	L == B                       -> R (only R changed it, removal too)
 *	R == B                       -> L
 *	L, R, B arrays (or absent)
 *	  under a set-valued name    -> merged as sets, never a conflict
 *	otherwise                    -> a conflict: both-added when B is
 *	                                absent, delete-modify when L or R is,
 *	                                both-changed else
 *
 * A member removed on one side and changed anywhere inside on the other
 * is one delete-modify conflict at that member: its pieces make no sense
 * without it. Equality is diff_equal's (numbers by value, 1 == 1.0; JSON
 * null is a value, only a missing member is absent). Paths and set-valued
 * names follow core/diff.h, so a conflict's path reads like a diff entry's.
 */
#ifndef CORE_MERGE3_H
#define CORE_MERGE3_H

#include <jansson.h>
#include <stddef.h>

struct buf;

enum merge_kind {
	MERGE_BOTH_CHANGED = 0, /* present in all three, changed differently
				   on both sides */
	MERGE_DELETE_MODIFY,	/* present in base; removed on one side,
				   changed on the other */
	MERGE_BOTH_ADDED	/* absent from base; added on both sides with
				   different values */
};

/* Which side's value a conflicting path holds in the merged document. */
enum merge_side { MERGE_LOCAL = 0, MERGE_REMOTE = 1 };

struct merge_conflict {
	enum merge_kind kind;
	/* The member names from the root (a new array of strings); empty for
	 * the document itself. */
	json_t *segments;
	/* For display, exactly as struct diff_entry's path:
	 * "properties.title.maxLength", names that are not plain identifiers
	 * quoted (fields["a.b"]), "" for the document. */
	char *path;
	/* Deep copies of the three values (NULL = absent on that side), so
	 * the inputs may change or go once merge3 returns. */
	json_t *base, *local, *remote;
};

struct merge_result {
	/* New and not sharing any mutable value with the inputs (callers
	 * edit it); NULL when the merged document does not exist. */
	json_t *merged;
	/* The conflicts in path order (members in bytewise name order). */
	struct merge_conflict *items;
	size_t nr, alloc;
	/*
	 * Changes taken from each side, for reports and tests: one per member
	 * whose value merged takes from that side (a leaf, or a whole member
	 * added, removed or changed in kind) and one per set element added or
	 * removed. A change made identically on both sides counts on both;
	 * conflicting paths count on neither.
	 */
	size_t local_changes, remote_changes;
};

#define MERGE_RESULT_INIT                                                      \
	{                                                                      \
		NULL, NULL, 0, 0, 0, 0                                         \
	}

struct merge_options {
	/* Member names whose array values are sets (NULL-ended), at any
	 * depth; NULL for diff's default (mayContainTypes, allowedTypes,
	 * restrictedTypes, compositionBehaviors, mediaFileExtensions). */
	const char *const *set_keys;
	/* The value a conflicting path takes in merged (removed when that
	 * side removed it). The default, MERGE_LOCAL, is Catalyst's. */
	enum merge_side prefer;
};

/* Deeper documents are refused rather than risking the stack (a content
 * type is about five levels deep; jansson parses up to 2048). */
#define MERGE_MAX_DEPTH 512

/*
 * Three-way merge of base, local and remote; any may be NULL (the document
 * does not exist on that side: a creation or a deletion). The inputs are
 * borrowed and not changed. out need not be initialised: it is overwritten
 * (release an earlier result first), and the caller releases it with
 * merge_result_release. Conflicts are not
 * errors (see out->nr): merged holds opt->prefer's value at each of them.
 * Returns 0, or ERR_INVALID for a document nested deeper than
 * MERGE_MAX_DEPTH (out is then empty). opt may be NULL.
 *
 * Set-valued arrays merge as sets: the elements of base kept by both sides
 * plus those added by either, compared by value; a side without the member
 * has the empty set. When both sides changed a set, the result is sorted
 * (null, false, true, numbers, strings bytewise, arrays, objects) so that
 * it does not depend on which side is which; an empty result is absent
 * when a side removed the member, [] otherwise.
 */
int merge3(const json_t *base, const json_t *local, const json_t *remote,
	   const struct merge_options *opt, struct merge_result *out)
	__attribute__((warn_unused_result));

/* Frees the contents; r is MERGE_RESULT_INIT afterwards. NULL is fine. */
void merge_result_release(struct merge_result *r);

/*
 * The conflicts as a new JSON array (values deep-copied):
 * [{"path", "segments", "kind": "both-changed"|"delete-modify"|"both-added",
 *   "base"?, "local"?, "remote"?}], a side left out when absent there.
 */
json_t *merge_conflicts_to_json(const struct merge_result *r);

/* "both-changed", "delete-modify" or "both-added" (static). */
const char *merge_kind_name(enum merge_kind k);

/*
 * Sets the value at segments (an array of member names) inside *doc, for
 * resolving conflicts path by path. Objects missing on the way are
 * created; a NULL *doc becomes an object; empty segments replace *doc
 * itself. value is borrowed (deep-copied); NULL removes the member (a
 * missing one, or one under a missing object, is fine and creates nothing;
 * with empty segments *doc becomes NULL). Returns 0, or ERR_INVALID when
 * segments is not an array of strings or a segment crosses a value that
 * is not an object; *doc is unchanged on error.
 */
int merge_set_path(json_t **doc, const json_t *segments, const json_t *value);

/*
 * Appends a three-way view for people, one block per conflict: the path
 * ("(the whole type)" for the document, as diff_format says), then
 * "  base:   VALUE", "  local:  VALUE", "  remote: VALUE", each value as
 * compact canonical JSON (sorted keys) or "(absent)".
 */
void merge_format_conflicts(struct buf *out, const struct merge_result *r);

#endif
