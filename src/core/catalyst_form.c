/*
 * catalyst_form: a ContentType row into the Catalyst form (brief §4).
 *
 * The rules are listed in catalyst_form.h and explained, with the error
 * messages and warning codes, in docs/catalyst-form.md. The form is built
 * from the parsed "fields" document in place (fields, relationships and
 * unknown members are moved, not copied; the document is then dropped);
 * what comes from settings is copied, as settings is kept whole. So the form
 * shares nothing with anything else and the caller may change it freely.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalyst_form.h"
#include "core/findings.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Warning codes (docs/catalyst-form.md lists them with examples). */
#define W_SETTINGS_JSON "catalyst-settings-invalid-json"
#define W_SETTINGS_OBJECT "catalyst-settings-not-object"
#define W_NAME_MISMATCH "catalyst-name-mismatch"
#define W_FIELDS_MISSING "catalyst-fields-missing"
#define W_NO_TYPE "catalyst-field-no-type"
#define W_TYPE_STRING "catalyst-field-type-not-string"
#define W_REQUIRED "catalyst-field-required-not-boolean"
#define W_ORDER "catalyst-field-order-not-number"
#define W_VALIDATION_CONFLICT "catalyst-validation-conflict"
#define W_VALIDATION_OBJECT "catalyst-validation-not-object"
#define W_DEFAULT_CONFLICT "catalyst-default-conflict"
#define W_OPTIONS_ARRAY "catalyst-options-not-array"
#define W_OPTION_INVALID "catalyst-option-invalid"
#define W_NESTED_ARRAY "catalyst-nested-fields-not-array"
#define W_REL_FIELD "catalyst-relationship-field-unknown"

/* Seed-style validation keys that sit at a field's top level (§1.9). */
#define SEED_VALIDATION_KEYS                                                   \
	"minLength", "maxLength", "pattern", "min", "max", "precision",        \
		"minDate", "maxDate", "minItems", "maxItems"
static const char *const seed_validation_keys[] = {SEED_VALIDATION_KEYS};

/* Members of the shape-A object that the form takes elsewhere. */
static const char *const object_known_keys[] = {
	"name", "pluralName", "icon", "description", "fields", "relationships",
};

/* What the normalizer carries along: the row, for messages and paths. */
struct norm {
	const struct catalyst_row *row;
	struct findings *findings;
};

static const char *row_id(const struct catalyst_row *row)
{
	return row->id ? row->id : "?";
}

static const char *row_name(const struct catalyst_row *row)
{
	return row->name ? row->name : "?";
}

/*
 * Records "content type 'ID' (NAME): REASON" and returns ERR_INVALID.
 */
static int row_error(const struct catalyst_row *row, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int row_error(const struct catalyst_row *row, const char *fmt, ...)
{
	struct buf reason = BUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	buf_vaddf(&reason, fmt, ap);
	va_end(ap);
	ret = err_set(ERR_INVALID, "content type '%s' (%s): %s", row_id(row),
		      row_name(row), reason.ptr);
	buf_release(&reason);
	return ret;
}

/*
 * jx_load reports "cannot parse WHAT at L:C: REASON". Keeps the
 * " at L:C: REASON" part of the current message in out (or the whole
 * message when it does not have that form), and clears the error.
 */
static void take_parse_detail(struct buf *out, const char *what)
{
	const char *msg = err_msg();
	size_t plen = strlen("cannot parse ");
	size_t wlen = strlen(what);

	if (!strncmp(msg, "cannot parse ", plen) &&
	    !strncmp(msg + plen, what, wlen) &&
	    !strncmp(msg + plen + wlen, " at ", 4))
		buf_adds(out, msg + plen + wlen);
	else {
		buf_adds(out, ": ");
		buf_adds(out, msg);
	}
	err_clear();
}

static void add_warning(struct norm *n, const char *code, const char *path,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_warning(struct norm *n, const char *code, const char *path,
			const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	if (!n->findings)
		return;
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	findings_add(n->findings, FINDING_WARNING, code, path, "%s", msg.ptr);
	buf_release(&msg);
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
	default:
		return "null";
	}
}

/* True when v is absent or JSON null. */
static int is_absent(const json_t *v)
{
	return !v || json_is_null(v);
}

/* A usable name: a non-empty string without NUL bytes. */
static const char *usable_name(const json_t *v)
{
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (!*s || strlen(s) != json_string_length(v))
		return NULL;
	return s;
}

/*
 * Moves the seed-style validation keys of field into its "validation"
 * object, creating it when needed. path is the field's finding path.
 */
static void move_seed_validation(struct norm *n, json_t *field,
				 const char *path)
{
	json_t *validation = json_object_get(field, "validation");
	size_t i;

	for (i = 0;
	     i < sizeof(seed_validation_keys) / sizeof(seed_validation_keys[0]);
	     i++) {
		const char *key = seed_validation_keys[i];
		json_t *top = json_object_get(field, key);
		json_t *inner;

		if (!top)
			continue;
		if (json_is_null(validation)) {
			json_object_del(field, "validation");
			validation = NULL;
		}
		if (validation && !json_is_object(validation)) {
			add_warning(
				n, W_VALIDATION_OBJECT, path,
				"validation is %s, so '%s' stays where it is",
				json_kind(validation), key);
			continue;
		}
		if (!validation) {
			validation = json_object();
			json_object_set_new(field, "validation", validation);
		}
		inner = json_object_get(validation, key);
		if (!inner) {
			json_object_set(validation, key, top);
		} else if (!json_equal(inner, top)) {
			struct buf p = BUF_INIT;

			buf_addf(&p, "%s.validation.%s", path, key);
			add_warning(
				n, W_VALIDATION_CONFLICT, p.ptr,
				"'%s' is set both at the field's top level and "
				"in validation, with different values; the one "
				"in validation is kept",
				key);
			buf_release(&p);
		}
		json_object_del(field, key);
	}
}

/* Seed "default" becomes "defaultValue". */
static void rename_default(struct norm *n, json_t *field, const char *path)
{
	json_t *def = json_object_get(field, "default");
	json_t *value = json_object_get(field, "defaultValue");

	if (!def)
		return;
	if (!value) {
		json_object_set(field, "defaultValue", def);
	} else if (!json_equal(def, value)) {
		struct buf p = BUF_INIT;

		buf_addf(&p, "%s.defaultValue", path);
		add_warning(n, W_DEFAULT_CONFLICT, p.ptr,
			    "both 'default' and 'defaultValue' are set, with "
			    "different values; 'defaultValue' is kept");
		buf_release(&p);
	}
	json_object_del(field, "default");
}

void catalyst_option_label(struct buf *b, const json_t *opt)
{
	if (json_is_string(opt)) {
		buf_add(b, json_string_value(opt), json_string_length(opt));
	} else if (json_is_integer(opt)) {
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(opt));
	} else if (json_is_real(opt)) {
		double d = json_real_value(opt);
		char text[64];

		for (int prec = 1; prec <= 17; prec++) {
			snprintf(text, sizeof(text), "%.*g", prec, d);
			if (strtod(text, NULL) == d)
				break;
		}
		buf_adds(b, text);
	} else {
		buf_adds(b, json_is_true(opt) ? "true" : "false");
	}
}

/*
 * Plain options ("A", 3, true) become {label, value}: the value as it is,
 * the label its text. Object options are kept.
 */
static void normalize_options(struct norm *n, json_t *field, const char *path)
{
	json_t *options = json_object_get(field, "options");
	struct buf label = BUF_INIT;
	json_t *opt;
	size_t i;

	if (!options || json_is_null(options))
		return;
	if (!json_is_array(options)) {
		struct buf p = BUF_INIT;

		buf_addf(&p, "%s.options", path);
		add_warning(n, W_OPTIONS_ARRAY, p.ptr,
			    "options is %s, not an array; kept as it is",
			    json_kind(options));
		buf_release(&p);
		return;
	}
	json_array_foreach(options, i, opt)
	{
		if (json_is_string(opt) || json_is_number(opt) ||
		    json_is_boolean(opt)) {
			json_t *o = json_object();

			buf_reset(&label);
			catalyst_option_label(&label, opt);
			json_object_set_new(o, "label",
					    json_stringn(label.ptr, label.len));
			json_object_set(o, "value", opt);
			json_array_set_new(options, i, o);
		} else if (!json_is_object(opt)) {
			struct buf p = BUF_INIT;

			buf_addf(&p, "%s.options[%zu]", path, i);
			add_warning(n, W_OPTION_INVALID, p.ptr,
				    "options[%zu] is %s, neither a plain value "
				    "nor an object; kept as it is",
				    i, json_kind(opt));
			buf_release(&p);
		}
	}
	buf_release(&label);
}

static int normalize_fields(struct norm *n, json_t **out, json_t *arr,
			    const char *path, const char *where);

/*
 * The members of a field that normalization looks at, found in one pass
 * over the field rather than by a lookup each (most fields have few
 * members and none of the seed-style ones).
 */
struct field_members {
	json_t *type, *required, *order, *fields;
	int has_seed, has_default, has_options;
};

/* The members scan_members looks for: the named ones, then the seed-style
 * validation keys. */
enum { FM_TYPE, FM_REQUIRED, FM_ORDER, FM_FIELDS, FM_DEFAULT, FM_OPTIONS,
       FM_SEED };
static const char *const field_scan_names[] = {
	"type", "required", "order", "fields", "default", "options",
	SEED_VALIDATION_KEYS};
#define FIELD_SCAN_NR (sizeof(field_scan_names) / sizeof(field_scan_names[0]))

static void scan_members(struct field_members *fm, json_t *field)
{
	json_t *slots[FIELD_SCAN_NR];
	size_t i;

	jx_pick(field, field_scan_names, FIELD_SCAN_NR, slots);
	memset(fm, 0, sizeof(*fm));
	fm->type = slots[FM_TYPE];
	fm->required = slots[FM_REQUIRED];
	fm->order = slots[FM_ORDER];
	fm->fields = slots[FM_FIELDS];
	fm->has_default = !!slots[FM_DEFAULT];
	fm->has_options = !!slots[FM_OPTIONS];
	for (i = FM_SEED; i < FIELD_SCAN_NR; i++)
		fm->has_seed |= !!slots[i];
}

/*
 * Normalizes one field of the parsed document in place, named name, at
 * position index of its array; *out is a new reference to it. path is its
 * finding path ("Author:fields.social"), where the error prefix of its parent
 * ("" or "field 'social': "). name must not point into the field itself.
 */
static int normalize_field(struct norm *n, json_t **out, json_t *src,
			   const char *name, size_t index, const char *path,
			   const char *where)
{
	json_t *field = json_incref(src);
	json_t *v, *nested_out = NULL;
	struct buf nested_path = BUF_INIT, nested_where = BUF_INIT;
	struct field_members fm;
	int ret = -1;

	*out = NULL;
	scan_members(&fm, field);
	json_object_del(field, "name");

	v = fm.type;
	if (is_absent(v))
		add_warning(n, W_NO_TYPE, path, "field '%s' has no type", name);
	else if (!json_is_string(v))
		add_warning(n, W_TYPE_STRING, path,
			    "the type of field '%s' is %s, not a string", name,
			    json_kind(v));

	v = fm.required;
	if (is_absent(v))
		json_object_set_new(field, "required", json_false());
	else if (!json_is_boolean(v))
		add_warning(n, W_REQUIRED, path,
			    "'required' of field '%s' is %s, not true or false",
			    name, json_kind(v));

	v = fm.order;
	if (is_absent(v))
		json_object_set_new(field, "order",
				    json_integer((json_int_t)index));
	else if (!json_is_number(v))
		add_warning(n, W_ORDER, path,
			    "'order' of field '%s' is %s, not a number", name,
			    json_kind(v));

	/* Each of these does nothing when its members are absent. */
	if (fm.has_seed)
		move_seed_validation(n, field, path);
	if (fm.has_default)
		rename_default(n, field, path);
	if (fm.has_options)
		normalize_options(n, field, path);

	/* the three above leave "fields" alone */
	v = fm.fields;
	if (json_is_array(v)) {
		buf_addf(&nested_path, "%s.fields", path);
		buf_addf(&nested_where, "%sfield '%s': ", where, name);
		ret = normalize_fields(n, &nested_out, v, nested_path.ptr,
				       nested_where.ptr);
		if (ret < 0)
			goto out;
		json_object_set_new(field, "fields", nested_out);
		nested_out = NULL;
	} else if (v && !json_is_null(v)) {
		add_warning(
			n, W_NESTED_ARRAY, path,
			"the nested fields of field '%s' are %s, not an array; "
			"kept as they are",
			name, json_kind(v));
	}

	*out = field;
	field = NULL;
	ret = 0;
out:
	json_decref(field);
	json_decref(nested_out);
	buf_release(&nested_path);
	buf_release(&nested_where);
	return ret;
}

/*
 * An array of fields into an object keyed by name. path is the finding path
 * of the array ("Blog Post:fields"), where the error prefix for its fields.
 * The fields are normalized in place: arr belongs to the parsed document,
 * which the caller owns and drops afterwards.
 */
static int normalize_fields(struct norm *n, json_t **out, json_t *arr,
			    const char *path, const char *where)
{
	json_t *fields = json_object();
	json_t *src, *field = NULL, *name_v = NULL;
	struct buf fpath = BUF_INIT;
	const char *kind = *where ? "nested field" : "field";
	size_t i;
	int ret = -1;

	*out = NULL;
	json_array_foreach(arr, i, src)
	{
		const char *name;

		if (!json_is_object(src)) {
			ret = row_error(n->row, "%s%s %zu is %s, not an object",
					where, kind, i + 1, json_kind(src));
			goto out;
		}
		name = usable_name(json_object_get(src, "name"));
		if (!name) {
			json_t *nv = json_object_get(src, "name");

			if (is_absent(nv) ||
			    (json_is_string(nv) && !*json_string_value(nv)))
				ret = row_error(n->row, "%s%s %zu has no name",
						where, kind, i + 1);
			else if (json_is_string(nv))
				ret = row_error(n->row,
						"%s%s %zu has a name with a "
						"NUL byte",
						where, kind, i + 1);
			else
				ret = row_error(n->row,
						"%s%s %zu has a name that is "
						"%s, not a string",
						where, kind, i + 1,
						json_kind(nv));
			goto out;
		}
		if (json_object_get(fields, name)) {
			ret = row_error(n->row, "%stwo %ss are named '%s'",
					where, kind, name);
			goto out;
		}
		buf_reset(&fpath);
		buf_adds(&fpath, path);
		buf_addch(&fpath, '.');
		buf_adds(&fpath, name);
		/* The field drops its "name": keep the string alive. */
		name_v = json_incref(json_object_get(src, "name"));
		ret = normalize_field(n, &field, src, name, i, fpath.ptr,
				      where);
		if (ret < 0)
			goto out;
		json_object_set_new(fields, name, field);
		field = NULL;
		json_decref(name_v);
		name_v = NULL;
	}
	*out = fields;
	fields = NULL;
	ret = 0;
out:
	json_decref(fields);
	json_decref(field);
	json_decref(name_v);
	buf_release(&fpath);
	return ret;
}

/* Relationships keyed by name, else fieldName, else id. */
static int normalize_relationships(struct norm *n, json_t **out,
				   const json_t *arr, const json_t *fields)
{
	json_t *rels = json_object();
	json_t *src;
	struct buf path = BUF_INIT;
	size_t i;
	int ret = -1;

	*out = NULL;
	json_array_foreach(arr, i, src)
	{
		const char *key, *field_name;

		if (!json_is_object(src)) {
			ret = row_error(n->row,
					"relationship %zu is %s, not an object",
					i + 1, json_kind(src));
			goto out;
		}
		key = usable_name(json_object_get(src, "name"));
		if (!key)
			key = usable_name(json_object_get(src, "fieldName"));
		if (!key)
			key = usable_name(json_object_get(src, "id"));
		if (!key) {
			ret = row_error(n->row,
					"relationship %zu has no name, "
					"fieldName or id",
					i + 1);
			goto out;
		}
		if (json_object_get(rels, key)) {
			ret = row_error(n->row,
					"two relationships are named '%s'",
					key);
			goto out;
		}
		buf_reset(&path);
		buf_addf(&path, "%s:relationships.%s", row_name(n->row), key);
		field_name = jx_str(src, "fieldName");
		if (field_name && !json_object_get(fields, field_name))
			add_warning(n, W_REL_FIELD, path.ptr,
				    "relationship '%s' names field '%s', which "
				    "does "
				    "not exist",
				    key, field_name);
		json_object_set(rels, key, src);
	}
	*out = rels;
	rels = NULL;
	ret = 0;
out:
	json_decref(rels);
	buf_release(&path);
	return ret;
}

/*
 * Parses the settings column. Returns the object when it is a non-empty
 * object (a new reference), else NULL; bad settings are only a warning.
 */
static json_t *parse_settings(struct norm *n)
{
	const struct catalyst_row *row = n->row;
	struct buf path = BUF_INIT, detail = BUF_INIT;
	json_t *settings = NULL;

	if (!row->settings_json)
		return NULL;
	buf_addf(&path, "%s:settings", row_name(row));
	if (jx_load(&settings, row->settings_json, strlen(row->settings_json),
		    "settings") < 0) {
		take_parse_detail(&detail, "settings");
		add_warning(n, W_SETTINGS_JSON, path.ptr,
			    "settings is not valid JSON%s; it is ignored",
			    detail.ptr);
	} else if (!json_is_object(settings)) {
		add_warning(n, W_SETTINGS_OBJECT, path.ptr,
			    "settings is %s, not an object; it is ignored",
			    json_kind(settings));
		json_decref(settings);
		settings = NULL;
	} else if (!json_object_size(settings)) {
		json_decref(settings);
		settings = NULL;
	}
	buf_release(&path);
	buf_release(&detail);
	return settings;
}

/*
 * Parses the fields column into *doc_out (the object or array inside,
 * shape C unwrapped once) and its shape.
 */
static int parse_fields(struct norm *n, json_t **doc_out,
			enum catalyst_fields_shape *shape)
{
	const struct catalyst_row *row = n->row;
	struct buf detail = BUF_INIT;
	json_t *doc = NULL, *inner = NULL;
	int ret = -1;

	*doc_out = NULL;
	if (!row->fields_json) {
		ret = row_error(row, "fields is missing (NULL)");
		goto out;
	}
	if (jx_load(&doc, row->fields_json, strlen(row->fields_json),
		    "fields") < 0) {
		take_parse_detail(&detail, "fields");
		ret = row_error(row, "fields is not valid JSON%s", detail.ptr);
		goto out;
	}
	if (json_is_string(doc)) {
		if (jx_load(&inner, json_string_value(doc),
			    json_string_length(doc), "fields") < 0) {
			take_parse_detail(&detail, "fields");
			ret = row_error(row,
					"fields is a JSON string whose content "
					"is not valid JSON%s",
					detail.ptr);
			goto out;
		}
		if (json_is_object(inner))
			*shape = CATALYST_SHAPE_STRING_OBJECT;
		else if (json_is_array(inner))
			*shape = CATALYST_SHAPE_STRING_ARRAY;
		else {
			ret = row_error(row,
					"fields is a JSON string holding %s, "
					"not an object or an array",
					json_kind(inner));
			goto out;
		}
		json_decref(doc);
		doc = inner;
		inner = NULL;
	} else if (json_is_object(doc)) {
		*shape = CATALYST_SHAPE_OBJECT;
	} else if (json_is_array(doc)) {
		*shape = CATALYST_SHAPE_ARRAY;
	} else {
		ret = row_error(row, "fields is %s, not an object or an array",
				json_kind(doc));
		goto out;
	}
	*doc_out = doc;
	doc = NULL;
	ret = 0;
out:
	json_decref(doc);
	json_decref(inner);
	buf_release(&detail);
	return ret;
}

static int is_known_object_key(const char *key)
{
	size_t i;

	for (i = 0;
	     i < sizeof(object_known_keys) / sizeof(object_known_keys[0]); i++)
		if (!strcmp(key, object_known_keys[i]))
			return 1;
	return 0;
}

/*
 * Sets form[key] to a copy of the first present, non-null value among the
 * column (a string), obj[key] and settings[key].
 */
static void set_from_sources(json_t *form, const char *key, const char *column,
			     const json_t *obj, const json_t *settings)
{
	json_t *v;

	if (column) {
		json_object_set_new(form, key, json_string(column));
		return;
	}
	v = json_object_get(obj, key);
	if (is_absent(v))
		v = json_object_get(settings, key);
	if (!is_absent(v))
		json_object_set_new(form, key, json_deep_copy(v));
}

/* Drops the findings added after the first nr (those of a rejected row). */
static void findings_truncate(struct findings *f, size_t nr)
{
	if (!f)
		return;
	while (f->nr > nr) {
		struct finding *it = &f->items[--f->nr];

		free(it->code);
		free(it->path);
		free(it->message);
	}
}

int catalyst_form_from_row(json_t **out, enum catalyst_fields_shape *shape_out,
			   const struct catalyst_row *row,
			   struct findings *findings)
{
	struct norm n = {row, findings};
	enum catalyst_fields_shape shape = CATALYST_SHAPE_ARRAY;
	json_t *doc = NULL, *settings = NULL, *form = NULL, *extra = NULL;
	json_t *fields = NULL, *rels = NULL;
	json_t *obj = NULL, *field_arr, *rel_arr = NULL;
	struct buf path = BUF_INIT;
	size_t nr_findings = findings ? findings->nr : 0;
	const char *key, *category;
	json_t *v;
	int ret = -1;

	*out = NULL;
	if (!row->id || !*row->id) {
		ret = row_error(row, "the row has no id");
		goto out;
	}
	if (!row->name) {
		ret = row_error(row, "the row has no name");
		goto out;
	}
	if (!row->website_id) {
		ret = row_error(row, "the row has no websiteId");
		goto out;
	}
	ret = parse_fields(&n, &doc, &shape);
	if (ret < 0)
		goto out;
	settings = parse_settings(&n);

	field_arr = doc;
	if (json_is_object(doc)) {
		obj = doc;
		field_arr = json_object_get(obj, "fields");
		if (is_absent(field_arr)) {
			buf_addf(&path, "%s:fields", row_name(row));
			add_warning(
				&n, W_FIELDS_MISSING, path.ptr,
				"the fields object has no \"fields\" array; "
				"the type has no fields");
			field_arr = NULL;
		} else if (!json_is_array(field_arr)) {
			ret = row_error(row,
					"the \"fields\" member of fields is "
					"%s, not an array",
					json_kind(field_arr));
			goto out;
		}
		rel_arr = json_object_get(obj, "relationships");
		if (json_is_null(rel_arr))
			rel_arr = NULL;
		if (rel_arr && !json_is_array(rel_arr)) {
			ret = row_error(row,
					"relationships is %s, not an array",
					json_kind(rel_arr));
			goto out;
		}
	}

	if (field_arr) {
		buf_reset(&path);
		buf_addf(&path, "%s:fields", row_name(row));
		ret = normalize_fields(&n, &fields, field_arr, path.ptr, "");
		if (ret < 0)
			goto out;
	} else {
		fields = json_object();
	}
	if (rel_arr) {
		ret = normalize_relationships(&n, &rels, rel_arr, fields);
		if (ret < 0)
			goto out;
	} else {
		rels = json_object();
	}

	if (obj) {
		const char *oname = jx_str(obj, "name");

		if (oname && strcmp(oname, row->name)) {
			buf_reset(&path);
			buf_addf(&path, "%s:name", row_name(row));
			add_warning(
				&n, W_NAME_MISMATCH, path.ptr,
				"the fields object is named '%s' but the row "
				"'%s'; the row's name is used",
				oname, row->name);
		}
		json_object_foreach(obj, key, v)
		{
			if (is_known_object_key(key))
				continue;
			if (!extra)
				extra = json_object();
			json_object_set(extra, key, v);
		}
	}

	form = json_object();
	json_object_set_new(form, "id", json_string(row->id));
	json_object_set_new(form, "websiteId", json_string(row->website_id));
	json_object_set_new(form, "name", json_string(row->name));
	if (row->key)
		json_object_set_new(form, "key", json_string(row->key));
	set_from_sources(form, "pluralName", row->plural_name, obj, settings);
	set_from_sources(form, "icon", NULL, obj, settings);
	set_from_sources(form, "description", NULL, obj, settings);
	category = row->category;
	if (!category)
		category = jx_str(settings, "category");
	json_object_set_new(form, "category",
			    json_string(category ? category : "component"));
	if (row->display_field)
		json_object_set_new(form, "displayField",
				    json_string(row->display_field));
	if (settings) {
		json_object_set_new(form, "settings", settings);
		settings = NULL;
	}
	if (extra) {
		json_object_set_new(form, "extra", extra);
		extra = NULL;
	}
	json_object_set_new(form, "fields", fields);
	fields = NULL;
	json_object_set_new(form, "relationships", rels);
	rels = NULL;

	if (shape_out)
		*shape_out = shape;
	*out = form;
	form = NULL;
	ret = 0;
out:
	if (ret < 0)
		findings_truncate(findings, nr_findings);
	json_decref(doc);
	json_decref(settings);
	json_decref(form);
	json_decref(extra);
	json_decref(fields);
	json_decref(rels);
	buf_release(&path);
	return ret;
}

/*
 * "YYYY-MM-DD HH:MM:SS[.fff]" (SQL) or "YYYY-MM-DDTHH:MM:SS[.fff]" with an
 * optional zone (ISO 8601): seconds are required, as both writers put them.
 */
static long long parse_datetime(const char *s, enum catalyst_time_format *fmt)
{
	long long ms;
	unsigned parts;

	if (time_parse_iso(s, &ms, &parts) < 0 || !(parts & TIME_HAS_SECONDS) ||
	    ms < 0)
		return -1;
	*fmt = parts & (TIME_T_SEPARATOR | TIME_HAS_ZONE) ? CATALYST_TIME_ISO
							   : CATALYST_TIME_SQL;
	return ms;
}

long long catalyst_parse_time(const char *text, enum catalyst_time_format *fmt)
{
	enum catalyst_time_format f = CATALYST_TIME_NULL;
	long long ms = -1;
	const char *p;

	if (!text || !*text)
		goto out;
	for (p = text; *p >= '0' && *p <= '9'; p++)
		;
	if (!*p) {
		char *end;

		if (p - text > 18)
			goto out;
		errno = 0;
		ms = strtoll(text, &end, 10);
		if (errno || *end)
			ms = -1;
		else
			f = CATALYST_TIME_MILLIS;
		goto out;
	}
	ms = parse_datetime(text, &f);
	if (ms < 0)
		f = CATALYST_TIME_NULL;
out:
	if (fmt)
		*fmt = f;
	return ms;
}

void catalyst_row_release(struct catalyst_row *row)
{
	if (!row)
		return;
	FREE_AND_NULL(row->id);
	FREE_AND_NULL(row->website_id);
	FREE_AND_NULL(row->name);
	FREE_AND_NULL(row->fields_json);
	FREE_AND_NULL(row->settings_json);
	FREE_AND_NULL(row->key);
	FREE_AND_NULL(row->plural_name);
	FREE_AND_NULL(row->display_field);
	FREE_AND_NULL(row->category);
	row->created_ms = -1;
	row->updated_ms = -1;
	row->time_format = CATALYST_TIME_NULL;
}

const json_t *catalyst_form_relationship(const json_t *form, const char *field)
{
	const json_t *rels = json_object_get(form, "relationships");
	const json_t *found = NULL;
	const char **names;
	size_t nr;

	if (!json_is_object(rels))
		return NULL;
	names = jx_sorted_keys(rels, &nr);
	for (size_t i = 0; i < nr && !found; i++) {
		const json_t *rel = json_object_get(rels, names[i]);
		const char *name;

		if (!json_is_object(rel))
			continue;
		name = jx_str(rel, "fieldName");
		if (!name)
			name = jx_str(rel, "name");
		if (!name)
			name = names[i];
		if (!strcmp(name, field))
			found = rel;
	}
	free(names);
	return found;
}
