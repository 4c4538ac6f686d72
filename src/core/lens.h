/*
 * lens: the Catalyst form to the canonical target form (brief §6, forward).
 *
 * The canonical target form is an Optimizely content type in v1 vocabulary
 * (isRequired, isLocalized), whatever version is spoken on the wire:
 *
 *   {key, displayName, description?, baseType, properties: {<key>: {type,
 *    format?, items?, displayName?, description?, isRequired?, sortOrder?,
 *    minimum?, maximum?, minLength?, maxLength?, pattern?, enum?, minItems?,
 *    maxItems?, allowedTypes?, ...}}, ...target-owned members}
 *
 * and is canonical in the sense of core/tform.h: absent-equivalent values
 * ("", false, null, []) are left out and set-valued arrays are sorted, so the
 * lens output can be hashed and compared with a normalized remote document.
 */
#ifndef CORE_LENS_H
#define CORE_LENS_H

#include <jansson.h>

struct findings;

struct lens_ctx {
	/* This type's Optimizely key. */
	const char *type_key;
	/* {Catalyst type id: Optimizely key} for the types of the website,
	 * so references can name their targets. */
	const json_t *type_keys;
	/* {field name: property key} for this type (keys_assign_properties). */
	const json_t *prop_keys;
	/* Target-owned members taken from the remote document (the overlay
	 * of brief §4), merged into the result; NULL when there is none. */
	const json_t *overlay;
	/* Warnings (unknown field types, unresolved references) go here;
	 * may be NULL. */
	struct findings *findings;
};

/*
 * Maps a Catalyst form to a new canonical target form (*out). Returns 0, or
 * ERR_INVALID when the form lacks what the mapping needs (a name).
 */
int lens_forward(json_t **out, const json_t *form, const struct lens_ctx *ctx)
	__attribute__((warn_unused_result));

/* The Optimizely base type for a Catalyst category ("page" -> "_page";
 * unknown -> "_component"). */
const char *lens_base_type(const char *category);

struct lens_back_ctx {
	/* This type's Optimizely key. */
	const char *type_key;
	/* {Catalyst type id: Optimizely key} of the website, to turn
	 * allowedTypes keys back into relationship targets. */
	const json_t *type_keys;
	/* {field name: property key} of form, as the forward lens used them;
	 * may be NULL (keys are then generated as lens_forward does). */
	const json_t *prop_keys;
	/* Changes Catalyst cannot hold, as warnings with code
	 * "inexpressible-change" and path "<TypeKey>:properties.x.y"; may be
	 * NULL. */
	struct findings *findings;
};

/*
 * The backward lens (brief §6, pull): carries the change from `from` to `to`
 * onto the Catalyst form `form` and returns the new Catalyst form in *out
 * (a new reference the caller owns).
 *
 * `from` is what the forward lens made of `form` (or the base both sides
 * agreed on, equal to it on owned paths); `to` is the document to reach,
 * e.g. the remote document. Both are canonical target forms; only owned
 * members matter (target-owned members are ignored: the caller keeps them in
 * the overlay). `from` may be NULL with a form: the forward lens is then run
 * to get it. `form` may be NULL for a type new to Catalyst (adopted from the
 * CMS); `from` is then ignored and a complete form is built ({name,
 * description?, category, fields, relationships}, no id or websiteId: the
 * caller sets those; relationships made then have no sourceContentTypeId
 * either).
 *
 * Members: displayName -> name, description -> description (also in
 * settings.description when the form keeps one there), baseType -> category
 * (also settings.category when present); per property: displayName -> label,
 * description -> helpText, isRequired -> required, sortOrder -> order, bounds
 * -> validation, enum -> options, allowedTypes -> relationship targets
 * (through type_keys) or media accept lists. A property whose shape the
 * field's Catalyst type can still produce keeps that type (markdown stays
 * markdown); otherwise the type comes from the reverse of the forward table.
 * An added property becomes a field named after its property key (suffixed
 * "2", "3"... when that name is taken); a removed property removes its field
 * (found through prop_keys) and the field's relationship.
 *
 * Everything the change does not touch stays exactly as it was (unknown
 * keys, placeholder, defaultValue, icon, field ids, createdAt...). What `to`
 * holds that Catalyst cannot express is left out, with a warning.
 *
 * *keys_out (may be NULL) gets a new object {field name: property key} for
 * every field of the result, so the caller can persist the keys of added
 * fields. With those keys, lens_forward of the result equals
 * tform_owned(to) for every change the table can express.
 *
 * Returns 0, or ERR_INVALID (bad input, with a message naming the member);
 * *out and *keys_out are NULL then.
 */
int lens_backward(json_t **out, const json_t *form, const json_t *from,
		  const json_t *to, const struct lens_back_ctx *ctx,
		  json_t **keys_out) __attribute__((warn_unused_result));

#endif
