#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/findings.h"
#include "core/keys.h"
#include "core/catalyst_form.h"
#include "core/lens.h"
#include "core/tform.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* The pattern given to e-mail fields that bring none of their own. */
#define LENS_EMAIL_PATTERN "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"

const char *lens_base_type(const char *category)
{
	if (category && !strcasecmp(category, "page"))
		return "_page";
	if (category && !strcasecmp(category, "folder"))
		return "_folder";
	return "_component";
}

/* One forward run over one form. */
struct lens_run {
	const json_t *form;
	const struct lens_ctx *ctx;
	const char *label; /* the type's name, for finding paths */
};

/* The field being mapped, or the item type of an array field. */
struct field_in {
	const char *name;
	const json_t *field;
	const json_t *validation; /* an object, or NULL */
	const char *type;	  /* the type being mapped */
	int as_item;		  /* mapping an array's items */
};

static void warn(struct lens_run *r, const struct field_in *f, const char *code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void warn(struct lens_run *r, const struct field_in *f, const char *code,
		 const char *fmt, ...)
{
	struct buf path = BUF_INIT;
	struct buf msg = BUF_INIT;
	va_list ap;

	if (!r->ctx->findings)
		return;
	buf_addf(&path, "%s:fields.%s", r->label, f->name);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	findings_add(r->ctx->findings, FINDING_WARNING, code, path.ptr, "%s",
		     msg.ptr);
	buf_release(&path);
	buf_release(&msg);
}

static void set_str(json_t *obj, const char *key, const char *s)
{
	/* keys are our literals, values come from valid JSON: no UTF-8 check */
	json_object_set_new_nocheck(obj, key, json_string_nocheck(s));
}

/* One-element array of a string. */
static json_t *str_list(const char *s)
{
	json_t *a = json_array();

	json_array_append_new(a, json_string(s));
	return a;
}

/*
 * Copies validation[from] to dst[to] when it is a count: an integral number
 * from 0 to INT32_MAX (minLength, maxLength, minItems, maxItems).
 */
static void copy_count(json_t *dst, const char *to, const json_t *validation,
		       const char *from)
{
	const json_t *v = json_object_get(validation, from);
	double d;

	if (!jx_is_integral(v))
		return;
	d = json_number_value(v);
	if (d < 0 || d > INT32_MAX)
		return;
	json_object_set_new_nocheck(dst, to, json_integer((json_int_t)d));
}

/* Copies validation[from] to dst[to] when it is a number. */
static void copy_number(json_t *dst, const char *to, const json_t *validation,
			const char *from)
{
	const json_t *v = json_object_get(validation, from);

	if (json_is_number(v))
		json_object_set_new_nocheck(dst, to, json_deep_copy(v));
}

static void copy_item_counts(json_t *dst, const struct field_in *f)
{
	copy_count(dst, "minItems", f->validation, "minItems");
	copy_count(dst, "maxItems", f->validation, "maxItems");
}

/* A field mapper: sets the type-specific members of dst. */
struct field_map {
	const char *type;
	void (*map)(json_t *dst, const struct field_in *f, struct lens_run *r);
	int item_ok; /* may be the item type of an array */
};

static void map_string(json_t *dst, const struct field_in *f,
		       struct lens_run *r)
{
	const char *pattern = jx_str(f->validation, "pattern");

	(void)r;
	set_str(dst, "type", "string");
	copy_count(dst, "minLength", f->validation, "minLength");
	copy_count(dst, "maxLength", f->validation, "maxLength");
	if (pattern && *pattern)
		set_str(dst, "pattern", pattern);
}

static void map_email(json_t *dst, const struct field_in *f, struct lens_run *r)
{
	map_string(dst, f, r);
	if (!json_object_get(dst, "pattern"))
		set_str(dst, "pattern", LENS_EMAIL_PATTERN);
}

static void map_rich_text(json_t *dst, const struct field_in *f,
			  struct lens_run *r)
{
	(void)f;
	(void)r;
	set_str(dst, "type", "richText");
}

static void map_number(json_t *dst, const struct field_in *f,
		       struct lens_run *r)
{
	const json_t *precision = json_object_get(f->validation, "precision");
	int integer =
		json_is_number(precision) && json_number_value(precision) == 0;

	(void)r;
	set_str(dst, "type", integer ? "integer" : "float");
	copy_number(dst, "minimum", f->validation, "min");
	copy_number(dst, "maximum", f->validation, "max");
}

static void map_boolean(json_t *dst, const struct field_in *f,
			struct lens_run *r)
{
	(void)f;
	(void)r;
	set_str(dst, "type", "boolean");
}

/* A bound that is not a date is not sent; validation stage 1 reports it. */
static void copy_date(json_t *dst, const char *to, const struct field_in *f,
		      const char *from)
{
	const json_t *v = json_object_get(f->validation, from);
	struct buf iso = BUF_INIT;
	long long ms;
	int bad = 1;

	if (!v || json_is_null(v) ||
	    (json_is_string(v) && !json_string_length(v)))
		return;
	if (json_is_string(v) &&
	    !time_parse_iso(json_string_value(v), &ms, NULL))
		bad = time_format_utc(&iso, ms);
	else if (json_is_integer(v))
		bad = time_format_utc(&iso, json_integer_value(v));
	if (!bad)
		set_str(dst, to, iso.ptr);
	buf_release(&iso);
}

static void map_date(json_t *dst, const struct field_in *f, struct lens_run *r)
{
	(void)r;
	set_str(dst, "type", "dateTime");
	copy_date(dst, "minimum", f, "minDate");
	copy_date(dst, "maximum", f, "maxDate");
}

static void map_url(json_t *dst, const struct field_in *f, struct lens_run *r)
{
	(void)f;
	(void)r;
	set_str(dst, "type", "url");
}

static void map_json(json_t *dst, const struct field_in *f, struct lens_run *r)
{
	(void)f;
	(void)r;
	set_str(dst, "type", "json");
}

/* A number as text, for the value of a mixed option list. */
static void number_text(struct buf *b, const json_t *v)
{
	char tmp[64];
	double d;

	if (json_is_integer(v)) {
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	}
	d = json_real_value(v);
	snprintf(tmp, sizeof(tmp), "%.15g", d);
	if (strtod(tmp, NULL) != d)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	buf_adds(b, tmp);
}

/* Any scalar as text (for displayName fallbacks and mixed lists). */
static void scalar_text(struct buf *b, const json_t *v)
{
	if (json_is_string(v))
		buf_add(b, json_string_value(v), json_string_length(v));
	else if (json_is_number(v))
		number_text(b, v);
	else if (json_is_boolean(v))
		buf_adds(b, json_is_true(v) ? "true" : "false");
}

enum option_kind {
	OPTIONS_NONE,
	OPTIONS_STRING,
	OPTIONS_NUMBER,
	OPTIONS_BOOLEAN,
	OPTIONS_MIXED
};

static int is_scalar(const json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/*
 * The value of one option: its "value", else its label (a bare scalar is
 * its own value); NULL when it has none that an enum can hold.
 */
static const json_t *option_value(const json_t *opt)
{
	const json_t *v;

	if (!json_is_object(opt))
		return is_scalar(opt) ? opt : NULL;
	v = json_object_get(opt, "value");
	if (!v || json_is_null(v))
		v = json_object_get(opt, "label");
	return is_scalar(v) ? v : NULL;
}

static enum option_kind classify_options(const json_t *options)
{
	enum option_kind kind = OPTIONS_NONE, k;
	const json_t *opt;
	size_t i;

	json_array_foreach(options, i, opt)
	{
		const json_t *v = option_value(opt);

		if (!v)
			continue;
		if (json_is_string(v))
			k = OPTIONS_STRING;
		else if (json_is_number(v))
			k = OPTIONS_NUMBER;
		else
			k = OPTIONS_BOOLEAN;
		if (kind == OPTIONS_NONE)
			kind = k;
		else if (kind != k)
			kind = OPTIONS_MIXED;
	}
	return kind;
}

/* Equal values, where 1 and 1.0 are one number. */
static int same_value(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

/* The enum list [{value, displayName}] of a string or number option list. */
static json_t *build_enum(const json_t *options, int as_text, int *integral)
{
	json_t *list = json_array();
	struct buf text = BUF_INIT;
	const json_t *opt;
	size_t i, j;

	*integral = 1;
	json_array_foreach(options, i, opt)
	{
		const json_t *v = option_value(opt);
		const char *label = jx_str(opt, "label");
		json_t *value, *seen, *entry;
		int dup = 0;

		if (!v)
			continue;
		buf_reset(&text);
		if (as_text) {
			scalar_text(&text, v);
			value = json_stringn(text.ptr, text.len);
		} else {
			value = json_deep_copy(v);
			if (!jx_is_integral(v))
				*integral = 0;
		}
		json_array_foreach(
			list, j,
			seen) if (same_value(json_object_get(seen, "value"),
					     value)) dup = 1;
		buf_reset(&text);
		if (label && *label)
			buf_adds(&text, label);
		else
			scalar_text(&text, v);
		if (dup || !text.len) {
			json_decref(value);
			continue;
		}
		entry = json_object();
		json_object_set_new_nocheck(entry, "value", value);
		json_object_set_new_nocheck(entry, "displayName",
					    json_stringn(text.ptr, text.len));
		json_array_append_new(list, entry);
	}
	buf_release(&text);
	return list;
}

/*
 * A select's options: string values give string + enum (+ format selectOne
 * for a single select), numeric values integer or float + enum, boolean
 * values boolean; mixed values are sent as strings (validation stage 1
 * reports them).
 */
static void map_options(json_t *dst, const struct field_in *f, int single)
{
	const json_t *options = json_object_get(f->field, "options");
	enum option_kind kind = classify_options(options);
	json_t *list;
	int integral;

	switch (kind) {
	case OPTIONS_NONE:
		set_str(dst, "type", "string");
		return;
	case OPTIONS_BOOLEAN:
		set_str(dst, "type", "boolean");
		return;
	case OPTIONS_NUMBER:
		list = build_enum(options, 0, &integral);
		set_str(dst, "type", integral ? "integer" : "float");
		json_object_set_new_nocheck(dst, "enum", list);
		return;
	case OPTIONS_MIXED:
		/* Stage 1 reports mixed-option-types; send them as strings. */
		/* fall through */
	case OPTIONS_STRING:
		list = build_enum(options, 1, &integral);
		set_str(dst, "type", "string");
		if (single)
			set_str(dst, "format", "selectOne");
		json_object_set_new_nocheck(dst, "enum", list);
		return;
	}
}

static void map_select(json_t *dst, const struct field_in *f,
		       struct lens_run *r)
{
	(void)r;
	map_options(dst, f, !f->as_item);
}

static void map_multiselect(json_t *dst, const struct field_in *f,
			    struct lens_run *r)
{
	json_t *items = json_object();

	(void)r;
	map_options(items, f, 0);
	set_str(dst, "type", "array");
	json_object_set_new_nocheck(dst, "items", items);
	copy_item_counts(dst, f);
}

static void map_tags(json_t *dst, const struct field_in *f, struct lens_run *r)
{
	json_t *items = json_object();

	(void)r;
	set_str(dst, "type", "array");
	set_str(items, "type", "string");
	json_object_set_new_nocheck(dst, "items", items);
	copy_item_counts(dst, f);
}

static json_t *image_reference(void)
{
	json_t *ref = json_object();

	set_str(ref, "type", "contentReference");
	json_object_set_new_nocheck(ref, "allowedTypes", str_list("_image"));
	return ref;
}

static void map_image(json_t *dst, const struct field_in *f, struct lens_run *r)
{
	json_t *ref = image_reference();

	(void)f;
	(void)r;
	json_object_update(dst, ref);
	json_decref(ref);
}

static void add_media_kind(json_t *types, const char *mime, size_t n)
{
	const char *kind = "_media";

	while (n && (*mime == ' ' || *mime == '\t')) {
		mime++;
		n--;
	}
	if (!n)
		return;
	if (n >= 6 && !strncasecmp(mime, "video/", 6))
		kind = "_video";
	else if (n >= 6 && !strncasecmp(mime, "image/", 6))
		kind = "_image";
	json_array_append_new(types, json_string(kind));
}

/* Adds the media base types of a comma-separated MIME list. */
static void add_media_kinds(json_t *types, const char *list)
{
	const char *comma;

	while ((comma = strchr(list, ','))) {
		add_media_kind(types, list, (size_t)(comma - list));
		list = comma + 1;
	}
	add_media_kind(types, list, strlen(list));
}

/*
 * media: allowedTypes from "accept" (a MIME list, as a string or an array),
 * else from validation.allowedTypes: "video/..." -> _video, "image/..." ->
 * _image, anything else (or nothing) -> _media.
 */
static void map_media(json_t *dst, const struct field_in *f, struct lens_run *r)
{
	const json_t *accept = json_object_get(f->field, "accept");
	json_t *types = json_array();
	const json_t *v;
	size_t i;

	(void)r;
	if (!accept || json_is_null(accept))
		accept = json_object_get(f->validation, "allowedTypes");
	if (json_is_string(accept))
		add_media_kinds(types, json_string_value(accept));
	else if (json_is_array(accept))
		json_array_foreach(accept, i, v) if (json_is_string(v))
			add_media_kinds(types, json_string_value(v));
	if (!json_array_size(types))
		json_array_append_new(types, json_string("_media"));
	set_str(dst, "type", "contentReference");
	json_object_set_new_nocheck(dst, "allowedTypes", types);
}

static void map_gallery(json_t *dst, const struct field_in *f,
			struct lens_run *r)
{
	(void)r;
	set_str(dst, "type", "array");
	json_object_set_new_nocheck(dst, "items", image_reference());
	copy_item_counts(dst, f);
}

static int is_to_many(const json_t *rel)
{
	const char *type = jx_str(rel, "type");

	return type && (!strcasecmp(type, "oneToMany") ||
			!strcasecmp(type, "manyToMany"));
}

static void map_reference(json_t *dst, const struct field_in *f,
			  struct lens_run *r)
{
	const json_t *rel = catalyst_form_relationship(r->form, f->name);
	json_t *ref = json_object();
	const char *target, *key = NULL;

	set_str(ref, "type", "contentReference");
	/* A missing relationship is reported by validation stage 1. */
	if (rel) {
		target = jx_str(rel, "targetContentTypeId");
		key = target ? jx_str(r->ctx->type_keys, target) : NULL;
		if (!key)
			warn(r, f, "unresolved-reference",
			     "reference field '%s' targets content type '%s', "
			     "which has no key in this target; it may refer "
			     "to content of any type",
			     f->name, target ? target : "");
	}
	if (key)
		json_object_set_new_nocheck(ref, "allowedTypes", str_list(key));
	if (!f->as_item && rel && is_to_many(rel)) {
		set_str(dst, "type", "array");
		json_object_set_new_nocheck(dst, "items", ref);
		copy_item_counts(dst, f);
		return;
	}
	json_object_update(dst, ref);
	json_decref(ref);
}

static void map_array(json_t *dst, const struct field_in *f,
		      struct lens_run *r);

/*
 * The forward table of brief §6. Types are matched exactly, as
 * core/validate matches them (richText and richtext are both listed).
 */
static const struct field_map field_maps[] = {
	{"text", map_string, 1},	 {"string", map_string, 1},
	{"textarea", map_string, 1},	 {"markdown", map_string, 1},
	{"email", map_email, 1},	 {"richText", map_rich_text, 1},
	{"richtext", map_rich_text, 1},	 {"number", map_number, 1},
	{"boolean", map_boolean, 1},	 {"date", map_date, 1},
	{"datetime", map_date, 1},	 {"url", map_url, 1},
	{"select", map_select, 1},	 {"multiselect", map_multiselect, 0},
	{"tags", map_tags, 0},		 {"image", map_image, 1},
	{"media", map_media, 1},	 {"gallery", map_gallery, 0},
	{"reference", map_reference, 1}, {"json", map_json, 1},
	{"object", map_json, 1},	 {"array", map_array, 0},
};

static const struct field_map *find_map(const char *type)
{
	if (!type)
		return NULL;
	for (size_t i = 0; i < sizeof(field_maps) / sizeof(*field_maps); i++)
		if (type[0] == field_maps[i].type[0] &&
		    !strcmp(type, field_maps[i].type))
			return &field_maps[i];
	return NULL;
}

/* array: items mapped from itemType (no nested arrays). */
static void map_array(json_t *dst, const struct field_in *f, struct lens_run *r)
{
	struct field_in item = *f;
	const struct field_map *m;
	json_t *items = json_object();

	item.type = jx_str(f->field, "itemType");
	item.as_item = 1;
	m = find_map(item.type);
	if (!item.type) {
		warn(r, f, "unknown-item-type",
		     "array field '%s' has no itemType; its items are sent as "
		     "strings",
		     f->name);
		set_str(items, "type", "string");
	} else if (!m || !m->item_ok) {
		/* Stage 1 reports an unknown item type; not a nesting one. */
		if (m)
			warn(r, f, "unknown-item-type",
			     "array field '%s' has item type '%s', which would "
			     "nest arrays; its items are sent as strings",
			     f->name, item.type);
		set_str(items, "type", "string");
	} else {
		m->map(items, &item, r);
	}
	set_str(dst, "type", "array");
	json_object_set_new_nocheck(dst, "items", items);
	copy_item_counts(dst, f);
}

/*
 * The members of a field that every mapping reads, found in one pass over
 * the field (as json_object_get would find them) rather than by a lookup
 * each.
 */
struct field_members {
	const json_t *validation, *order, *label, *help, *type, *required;
};

static void scan_field(struct field_members *fm, const json_t *field)
{
	static const char *const names[] = {"validation", "order", "label",
					    "helpText",	  "type",  "required"};
	json_t *slots[6];

	jx_pick(field, names, 6, slots);
	fm->validation = slots[0];
	fm->order = slots[1];
	fm->label = slots[2];
	fm->help = slots[3];
	fm->type = slots[4];
	fm->required = slots[5];
}

static json_t *map_field(const char *name, const json_t *field,
			 struct lens_run *r)
{
	json_t *prop = json_object();
	struct field_members fm;
	const json_t *validation, *order;
	const char *label, *help;
	const struct field_map *m;
	struct field_in f;

	scan_field(&fm, field);
	validation = fm.validation;
	order = fm.order;
	label = json_string_value(fm.label);
	help = json_string_value(fm.help);
	/* every reader of f.validation takes NULL as "no validation" */
	if (!json_is_object(validation))
		validation = NULL;
	f.name = name;
	f.field = field;
	f.validation = validation;
	f.type = json_string_value(fm.type);
	f.as_item = 0;
	m = find_map(f.type);
	if (m) {
		m->map(prop, &f, r);
	} else {
		/* Stage 1 reports the unknown type; it goes as a string. */
		set_str(prop, "type", "string");
	}
	set_str(prop, "displayName", label && *label ? label : name);
	if (help)
		set_str(prop, "description", help);
	if (json_is_true(fm.required))
		json_object_set_new_nocheck(prop, "isRequired", json_true());
	if (jx_is_integral(order) &&
	    fabs(json_number_value(order)) <= INT32_MAX)
		json_object_set_new(
			prop, "sortOrder",
			json_integer((json_int_t)json_number_value(order)));
	return prop;
}

/*
 * Merges the target-owned members of the overlay (tform_overlay). Values are
 * copied: the result is canonicalized in place, the overlay is the caller's.
 */
static void merge_members(json_t *dst, const json_t *src,
			  int (*owned)(const char *))
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)src, k, v) if (!owned(k))
		json_object_set_new(dst, k, json_deep_copy(v));
}

static void merge_overlay(json_t *doc, const json_t *overlay)
{
	const json_t *props = json_object_get(overlay, "properties");
	json_t *mine = json_object_get(doc, "properties");
	const char *k;
	json_t *v;

	merge_members(doc, json_object_get(overlay, "type"),
		      tform_type_member_owned);
	json_object_foreach((json_t *)props, k, v)
	{
		json_t *prop = json_object_get(mine, k);
		json_t *items = json_object_get(prop, "items");

		if (!json_is_object(prop) || !json_is_object(v))
			continue;
		merge_members(prop, v, tform_property_member_owned);
		if (json_is_object(items))
			merge_members(items, json_object_get(v, "items"),
				      tform_property_member_owned);
	}
}

/* An object member, for walking an object in name order. */
struct member {
	const char *name;
	const json_t *value;
};

static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->name,
		      ((const struct member *)b)->name);
}

/*
 * The members of obj sorted by name (bytewise, as jx_sorted_keys sorts
 * them) into *out, which the caller frees; returns how many.
 */
static size_t sorted_members(struct member **out, const json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	struct member *m = xcalloc(n ? n : 1, sizeof(*m));
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v)
	{
		m[i].name = k;
		m[i].value = v;
		i++;
	}
	qsort(m, n, sizeof(*m), cmp_member);
	*out = m;
	return n;
}

/* The field other than not_this whose property key is key (for messages). */
static const char *key_owner(const json_t *prop_keys, const char *key,
			     const char *not_this)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)prop_keys, k,
			    v) if (strcmp(k, not_this) && json_is_string(v) &&
				   !strcmp(json_string_value(v), key)) return k;
	return "?";
}

int lens_forward(json_t **out, const json_t *form, const struct lens_ctx *ctx)
{
	struct lens_run r;
	const json_t *fields = json_object_get(form, "fields");
	const json_t *prop_keys = ctx->prop_keys;
	json_t *own_keys = NULL, *doc = NULL, *props;
	const char *name = jx_str(form, "name");
	const char *desc = jx_str(form, "description");
	const char *id = jx_str(form, "id");
	const char *base;
	struct member *names = NULL;
	size_t nr = 0, i;
	int ret = -1;

	*out = NULL;
	if (!json_is_object(form) || !name || !*name) {
		ret = err_set(ERR_INVALID, "content type '%s' has no name",
			      id ? id : "?");
		goto out;
	}
	if (!ctx->type_key || !*ctx->type_key) {
		ret = err_set(ERR_INVALID, "content type '%s' has no key",
			      name);
		goto out;
	}
	if (fields && !json_is_object(fields)) {
		ret = err_set(ERR_INVALID,
			      "the fields of content type '%s' are not an "
			      "object",
			      name);
		goto out;
	}
	r.form = form;
	r.ctx = ctx;
	r.label = name;
	base = lens_base_type(jx_str(form, "category"));
	if (!prop_keys)
		prop_keys = own_keys = keys_assign_properties(
			form, NULL, name, base, ctx->findings);

	doc = json_object();
	/* the caller's key is checked: json_string refuses invalid UTF-8 */
	if (json_object_set_new_nocheck(doc, "key",
					json_string(ctx->type_key)) < 0) {
		ret = err_set(ERR_INVALID,
			      "the key of content type '%s' is not valid UTF-8",
			      name);
		goto out;
	}
	set_str(doc, "displayName", name);
	if (desc)
		set_str(doc, "description", desc);
	set_str(doc, "baseType", base);
	props = json_object();
	json_object_set_new_nocheck(doc, "properties", props);

	if (fields)
		nr = sorted_members(&names, fields);
	for (i = 0; i < nr; i++) {
		const json_t *field = names[i].value;
		const char *key = jx_str(prop_keys, names[i].name);

		if (!json_is_object(field)) {
			ret = err_set(ERR_INVALID,
				      "field '%s' of content type '%s' is not "
				      "an object",
				      names[i].name, name);
			goto out;
		}
		if (!key) {
			ret = err_set(ERR_INVALID,
				      "field '%s' of content type '%s' has no "
				      "property key",
				      names[i].name, name);
			goto out;
		}
		if (json_object_get(props, key)) {
			ret = err_set(ERR_INVALID,
				      "fields '%s' and '%s' of content type "
				      "'%s' both have property key '%s'",
				      key_owner(prop_keys, key, names[i].name),
				      names[i].name, name, key);
			goto out;
		}
		json_object_set_new(props, key,
				    map_field(names[i].name, field, &r));
	}
	if (ctx->overlay)
		merge_overlay(doc, ctx->overlay);
	tform_canonicalize(doc, API_V1);
	*out = doc;
	doc = NULL;
	ret = 0;
out:
	free(names);
	json_decref(doc);
	json_decref(own_keys);
	return ret;
}
