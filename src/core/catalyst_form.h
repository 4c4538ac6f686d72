/*
 * catalyst_form: a Catalyst ContentType row normalized into the Catalyst form
 * of brief §4, whatever shape the row's JSON has.
 *
 * The form is a JSON object:
 *
 *   {id, websiteId, name, key?, pluralName?, icon?, description?, category,
 *    displayField?, settings?, extra?,
 *    fields: {<name>: {type, label?, required, helpText?, placeholder?,
 *                      defaultValue?, options?, validation?, order, id?,
 *                      fields?: {...nested, same shape...}, <unknown keys>}},
 *    relationships: {<name>: {type, targetContentTypeId, fieldName?, ...}}}
 *
 * Normalization rules (each one documented in docs/catalyst-form.md):
 * - fields: shape A (object with a "fields" array), B (plain array) or C (a
 *   JSON string holding A or B) all give the same form;
 * - "required" is always present (false when absent); "order" is always
 *   present (the field's position in the array when absent);
 * - seed-style top-level validation keys (minLength, maxLength, pattern, min,
 *   max, precision, minDate, maxDate, minItems, maxItems) move into
 *   "validation"; seed "default" becomes "defaultValue";
 * - plain-string options ["A","B"] become [{"label":"A","value":"A"}];
 * - nested "fields" arrays (type object) become objects keyed by name too;
 * - pluralName/icon/description come from the column, else the fields
 *   object, else settings; category from the column, else settings.category,
 *   else "component"; settings is kept whole when it is a non-empty object;
 * - unknown members of the fields object (shape A) are kept under "extra";
 *   unknown members of a field are kept in the field.
 *
 * The row keeps what a write-back needs (its shape and timestamp format).
 */
#ifndef CORE_CATALYST_FORM_H
#define CORE_CATALYST_FORM_H

#include <jansson.h>

struct findings;

enum catalyst_fields_shape {
	CATALYST_SHAPE_OBJECT = 0, /* A: {name, pluralName, fields: [...]} */
	CATALYST_SHAPE_ARRAY = 1,  /* B: [ {field}, ... ] */
	CATALYST_SHAPE_STRING_OBJECT = 2, /* C: a JSON string of A */
	CATALYST_SHAPE_STRING_ARRAY = 3   /* C: a JSON string of B */
};

enum catalyst_time_format {
	CATALYST_TIME_MILLIS = 0, /* INTEGER ms since the epoch (Prisma) */
	CATALYST_TIME_SQL = 1,    /* TEXT 'YYYY-MM-DD HH:MM:SS' */
	CATALYST_TIME_ISO = 2,    /* TEXT ISO 8601 */
	CATALYST_TIME_NULL = 3    /* missing */
};

/* One ContentType row as read from the database; strings are owned. */
struct catalyst_row {
	char *id;
	char *website_id;
	char *name;
	char *fields_json;   /* the raw "fields" column text */
	char *settings_json; /* NULL when the column is NULL or absent */
	/* The later schema's columns; NULL when the column is absent. */
	char *key;
	char *plural_name;
	char *display_field;
	char *category;
	long long created_ms; /* -1 when missing or unparseable */
	long long updated_ms;
	enum catalyst_time_format time_format;
};

void catalyst_row_release(struct catalyst_row *row);

/*
 * Normalizes row into a new Catalyst form (*out, a new reference) and
 * reports its shape in *shape_out (may be NULL). Problems that make the row
 * unusable (fields not JSON, duplicate JSON keys, a field without a name, two
 * fields with one name, a field that is not an object) return ERR_INVALID
 * with a message naming the row's id, name and the reason; *out is NULL then.
 * Lesser problems are added to findings (may be NULL) as warnings.
 */
int catalyst_form_from_row(json_t **out, enum catalyst_fields_shape *shape_out,
			   const struct catalyst_row *row,
			   struct findings *findings)
	__attribute__((warn_unused_result));

/*
 * Appends the label a plain option gets when normalized: a string as it
 * is; a number or boolean as its JSON text (reals in the fewest digits
 * that read back the same).
 */
struct buf;
void catalyst_option_label(struct buf *b, const json_t *opt);

/*
 * The relationship that gives a reference field its target: the one whose
 * fieldName (else name, else member name) equals field; the first by member
 * name when several do. Borrowed from form; NULL when there is none.
 */
const json_t *catalyst_form_relationship(const json_t *form,
					 const char *field);

/*
 * Parses a Catalyst timestamp: INTEGER milliseconds given as text digits,
 * "YYYY-MM-DD HH:MM:SS[.fff]" (UTC), or ISO 8601 with an optional fraction
 * and "Z" or "+HH:MM". Returns milliseconds since the epoch, or -1.
 */
long long catalyst_parse_time(const char *text, enum catalyst_time_format *fmt);

#endif
