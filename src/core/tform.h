/*
 * tform: the canonical target form and the wire forms (brief §4).
 *
 * A remote document (as v1 or preview3 sends it) becomes the canonical
 * target form by: dropping read-only members (source, created, createdBy,
 * lastModified, lastModifiedBy, isContract when false); mapping preview3
 * names (required -> isRequired, localized -> isLocalized) at property and
 * item level; leaving out members whose value means "absent" (false, null,
 * "", [], and {} for editorSettings), in every object reached through
 * object members (not inside arrays such as enum); sorting set-valued arrays
 * (mayContainTypes, allowedTypes, restrictedTypes, compositionBehaviors,
 * mediaFileExtensions) and dropping their duplicates; writing integral reals
 * (10.0) as integers so that json_equal agrees with core/canon. One
 * exception: an empty accessRights is kept, because it means "nobody may
 * create content of this type", not "absent". Pure functions.
 */
#ifndef CORE_TFORM_H
#define CORE_TFORM_H

#include <jansson.h>

enum api_version {
	API_V1 = 0,
	API_PREVIEW3 = 1
};

/* "v1"/"preview3" -> version; returns 0, or ERR_USAGE for anything else. */
int tform_parse_api_version(enum api_version *out, const char *name);
const char *tform_api_version_name(enum api_version v);

/* The canonical form of a document read from a server (new reference). */
json_t *tform_canonical(const json_t *remote, enum api_version v);
/*
 * The same in place, for a document the caller owns and does not share
 * (a response just parsed, the lens output being built): no copy is made.
 */
void tform_canonicalize(json_t *doc, enum api_version v);

/*
 * The wire form of a canonical document for version v (new reference, to
 * be read and not changed: under v1 it is canonical itself, whose names
 * are the wire names); preview3 renames isRequired -> required and
 * isLocalized -> localized and drops the members preview3 does not have
 * (isContract, contracts, accessRights, displayMode, editorSettings).
 */
json_t *tform_to_wire(const json_t *canonical, enum api_version v);

/*
 * True when member name of a property is owned by the lens (the lens
 * produces it); every other property member is target-owned.
 */
int tform_property_member_owned(const char *name);
/* The same for members of the content type itself. */
int tform_type_member_owned(const char *name);

/*
 * The target-owned members of a canonical document: a new object
 * {"type": {member: value...}, "properties": {key: {member: value...}}}
 * holding what the lens does not produce, to be kept as the overlay. A
 * property's entry may hold "items": {member: value...} with the
 * target-owned members of its items (editorSettings); properties without
 * target-owned members have no entry.
 */
json_t *tform_overlay(const json_t *canonical);

/*
 * The owned members of a canonical document only (a new reference): what
 * the lens produces, so that a remote document can be compared with the
 * lens output, and hashed as brief §8 hashes L, R and B.
 */
json_t *tform_owned(const json_t *canonical);

#endif
