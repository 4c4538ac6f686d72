/*
 * patch: the merge patch that turns a remote content type into the desired
 * one, on owned paths only (brief §4, §10, §14). Pure functions over
 * canonical target forms (core/tform.h).
 *
 * The patch is an RFC 7396 merge patch in the canonical (v1) vocabulary;
 * the target backend turns it into the wire form with tform_to_wire before
 * sending it. Rules:
 *
 *  - Only owned members are compared and sent (tform_type_member_owned,
 *    tform_property_member_owned; the same predicate applies inside a
 *    property's "items"). Target-owned members are never sent, with the
 *    one exception below, and then only with the remote's own values.
 *  - A changed member is sent with its new value. Objects ("items") are
 *    diffed member by member; arrays and scalars are sent whole.
 *  - The canonical form leaves defaults out, so a member present in the
 *    remote document and absent from the desired one is returning to its
 *    default and is sent explicitly: false for a flag, [] for a list, and
 *    null for anything else (minLength, pattern, description, items...).
 *    When a property's type (or its items' type) changes, a list that goes
 *    away is sent as null instead of [], because the new type may not
 *    allow the member at all; and every member the old type takes and the
 *    new one does not is sent as null too, since the server may hold a
 *    value there that the canonical form does not show (an empty
 *    restrictedTypes it filled in). A remote value that is what the server
 *    fills in by itself (a property's sortOrder of 0) is not reset.
 *  - A property that goes away is sent as null; this is the only null
 *    that removes something the user can see.
 *  - A new property is sent with its owned members.
 *  - The key is never sent (it is in the URL and cannot change).
 *  - Under preview3 every changed property is sent whole: all its owned
 *    members from the desired document, the explicit defaults above, and
 *    its target-owned members with the remote's values, so that a server
 *    that replaces rather than merges a property loses nothing.
 */
#ifndef CORE_PATCH_H
#define CORE_PATCH_H

#include <jansson.h>

#include "core/tform.h"

/*
 * The merge patch from remote (D_R) to desired (D_L), both canonical.
 * Returns a new object, empty when there is nothing to send. remote may be
 * NULL (everything owned in desired is then new).
 */
json_t *patch_compute(const json_t *remote, const json_t *desired,
		      enum api_version v);

/* True when patch has nothing to send (NULL or an empty object). */
int patch_is_empty(const json_t *patch);

/*
 * Whether applying patch to remote (canonical) loses data, as the server
 * judges it (brief §10 stage 3): an existing property removed, its type or
 * its items' type changed, its isLocalized turned on, its indexingType
 * changed; the type's mayContainTypes shrunk; the baseType changed.
 * Returns the number of such changes (0: safe). When reasons_out is not
 * NULL it receives a new array of {"path": "properties.body", "reason":
 * "property removed"}, one per change, in a stable order.
 */
int patch_data_loss(const json_t *remote, const json_t *patch,
		    json_t **reasons_out);

/*
 * True when remote (canonical) already holds what patch asks for: every
 * member set to its value (absent-equivalent values such as false and []
 * match an absent member), every null member absent. Used to tell whether
 * a write whose answer was lost did take effect.
 */
int patch_satisfied(const json_t *remote, const json_t *patch);

/*
 * Applies patch to doc as RFC 7396 says (null removes, objects merge,
 * anything else replaces) and returns a new document; doc may be NULL.
 * The result is not canonicalized.
 */
json_t *patch_apply(const json_t *doc, const json_t *patch);

#endif
