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

#endif
