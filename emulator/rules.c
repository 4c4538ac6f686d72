/*
 * rules: converting, validating, normalizing and rendering content types,
 * property groups and display templates. See docs/emulator.md
 * "Representation" and "Validation" for what this implements.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "support.h"
#include "util/buf.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

enum {
	M_V1 = 1 << 0,
	M_P3 = 1 << 1,
	M_BOTH = M_V1 | M_P3,
	M_RO = 1 << 2 /* read-only: filled by the server, ignored on input */
};

struct member {
	const char *name;   /* stored (and v1) name */
	const char *p3name; /* preview3 name when it differs */
	int flags;
};

/* The member order here is the order of every rendering. */
static const struct member type_members[] = {
	{"key", NULL, M_BOTH},
	{"displayName", NULL, M_BOTH},
	{"description", NULL, M_BOTH},
	{"baseType", NULL, M_BOTH},
	{"source", NULL, M_BOTH | M_RO},
	{"isContract", NULL, M_V1},
	{"sortOrder", NULL, M_BOTH},
	{"mayContainTypes", NULL, M_BOTH},
	{"mediaFileExtensions", NULL, M_BOTH},
	{"compositionBehaviors", NULL, M_BOTH},
	{"contracts", NULL, M_V1},
	{"accessRights", NULL, M_V1},
	{"created", NULL, M_BOTH | M_RO},
	{"createdBy", NULL, M_V1 | M_RO},
	{"lastModified", NULL, M_BOTH | M_RO},
	{"lastModifiedBy", NULL, M_BOTH | M_RO},
	{"properties", NULL, M_BOTH},
	{NULL, NULL, 0},
};

static const struct member prop_members[] = {
	{"type", NULL, M_BOTH},
	{"format", NULL, M_BOTH},
	{"contentType", NULL, M_BOTH},
	{"displayName", NULL, M_BOTH},
	{"description", NULL, M_BOTH},
	{"isRequired", "required", M_BOTH},
	{"isLocalized", "localized", M_BOTH},
	{"group", NULL, M_BOTH},
	{"sortOrder", NULL, M_BOTH},
	{"indexingType", NULL, M_BOTH},
	{"displayMode", NULL, M_V1},
	{"minimum", NULL, M_BOTH},
	{"maximum", NULL, M_BOTH},
	{"minLength", NULL, M_BOTH},
	{"maxLength", NULL, M_BOTH},
	{"pattern", NULL, M_BOTH},
	{"enum", NULL, M_BOTH},
	{"minItems", NULL, M_BOTH},
	{"maxItems", NULL, M_BOTH},
	{"allowedTypes", NULL, M_BOTH},
	{"restrictedTypes", NULL, M_BOTH},
	{"editorSettings", NULL, M_V1},
	{"imageDescriptor", NULL, M_P3},
	{"items", NULL, M_BOTH},
	{NULL, NULL, 0},
};

static const struct member item_members[] = {
	{"type", NULL, M_BOTH},
	{"format", NULL, M_BOTH},
	{"contentType", NULL, M_BOTH},
	{"minimum", NULL, M_BOTH},
	{"maximum", NULL, M_BOTH},
	{"minLength", NULL, M_BOTH},
	{"maxLength", NULL, M_BOTH},
	{"pattern", NULL, M_BOTH},
	{"enum", NULL, M_BOTH},
	{"allowedTypes", NULL, M_BOTH},
	{"restrictedTypes", NULL, M_BOTH},
	{"editorSettings", NULL, M_V1},
	{NULL, NULL, 0},
};

static const struct member enum_members[] = {
	{"value", NULL, M_BOTH},
	{"displayName", NULL, M_BOTH},
	{NULL, NULL, 0},
};

static const struct member image_members[] = {
	{"width", NULL, M_BOTH},
	{"height", NULL, M_BOTH},
	{"pregenerated", NULL, M_BOTH},
	{NULL, NULL, 0},
};

static const struct member group_members[] = {
	{"key", NULL, M_BOTH},
	{"displayName", NULL, M_BOTH},
	{"source", NULL, M_BOTH | M_RO},
	{"sortOrder", NULL, M_BOTH},
	{"created", NULL, M_BOTH | M_RO},
	{"createdBy", NULL, M_V1 | M_RO},
	{"lastModified", NULL, M_BOTH | M_RO},
	{"lastModifiedBy", NULL, M_BOTH | M_RO},
	{NULL, NULL, 0},
};

static const char *const base_types[] = {"_page",	"_component", "_media",
					 "_image",	"_video",     "_folder",
					 "_experience", "_section",   NULL};

static const char *const v1_types[] = {
	"string",	    "url",     "boolean",
	"integer",	    "float",   "dateTime",
	"contentReference", "content", "link",
	"richText",	    "json",    "array",
	"component",	    NULL};

static const char *const p3_types[] = {"string",
				       "url",
				       "boolean",
				       "integer",
				       "float",
				       "dateTime",
				       "contentReference",
				       "content",
				       "binary",
				       "link",
				       "richText",
				       "json",
				       "array",
				       "component",
				       NULL};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return 1;
	return 0;
}

int is_base_type(const char *s)
{
	return s && in_list(base_types, s);
}

static int is_ref_type(const char *t)
{
	return t && (!strcmp(t, "content") || !strcmp(t, "contentReference"));
}

const json_t *vctx_type(const struct vctx *c, const char *key)
{
	const json_t *t;
	struct res *r;

	if (c->self_key && !strcmp(c->self_key, key))
		return c->self;
	if (c->extra && (t = json_object_get(c->extra, key)))
		return t;
	r = rmap_get(&c->m->types, key);
	return r ? r->doc : NULL;
}

static int is_word(int ch, int first)
{
	if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'))
		return 1;
	return !first && ((ch >= '0' && ch <= '9') || ch == '_');
}

const char *key_problem(const char *key)
{
	size_t n = strlen(key);

	if (n < 2 || n > 255)
		return "must be 2 to 255 characters long";
	if (!is_word((unsigned char)key[0], 1))
		return "must start with a letter";
	for (size_t i = 1; i < n; i++)
		if (!is_word((unsigned char)key[i], 0))
			return "may only hold letters, digits and '_'";
	return NULL;
}

static const struct member *find_member(const struct member *table,
					const char *wire, enum emu_version v)
{
	int want = v == EMU_P3 ? M_P3 : M_V1;

	for (; table->name; table++) {
		const char *n = (v == EMU_P3 && table->p3name) ? table->p3name
							       : table->name;

		if ((table->flags & want) && !strcmp(n, wire))
			return table;
	}
	return NULL;
}

static const char *wire_name(const char *stored, enum emu_version v)
{
	if (v != EMU_P3)
		return stored;
	for (const struct member *m = prop_members; m->name; m++)
		if (!strcmp(m->name, stored))
			return m->p3name ? m->p3name : m->name;
	return stored;
}

/*
 * Copies the members of in that table knows, under their stored names.
 * Read-only members are dropped; unknown ones are reported when strict and
 * dropped otherwise; null members are kept only when keep_null.
 */
static json_t *convert_obj(const json_t *in, const struct member *table,
			   enum emu_version v, int strict, int keep_null,
			   const char *path, const char *what, json_t *errs)
{
	json_t *out = json_object();
	const char *k;
	json_t *val;

	json_object_foreach((json_t *)in, k, val)
	{
		const struct member *m = find_member(table, k, v);
		struct buf field = BUF_INIT;
		json_t *conv = NULL;

		buf_addf(&field, "%s%s", path, k);
		if (!m) {
			if (strict)
				errs_add(errs, field.ptr,
					 "'%s' is not a known member of %s.", k,
					 what);
			buf_release(&field);
			continue;
		}
		if ((m->flags & M_RO) || (json_is_null(val) && !keep_null)) {
			buf_release(&field);
			continue;
		}
		buf_addch(&field, '.');
		if (!strcmp(m->name, "properties") && table == type_members &&
		    json_is_object(val)) {
			const char *pn;
			json_t *pv;

			conv = json_object();
			json_object_foreach(val, pn, pv)
			{
				struct buf pp = BUF_INIT;

				buf_addf(&pp, "%s%s.", field.ptr, pn);
				if (json_is_object(pv))
					json_object_set_new(
						conv, pn,
						convert_obj(
							pv, prop_members, v, 1,
							keep_null, pp.ptr,
							"a property", errs));
				else if (!json_is_null(pv) || keep_null)
					json_object_set(conv, pn, pv);
				buf_release(&pp);
			}
		} else if (!strcmp(m->name, "items") && json_is_object(val)) {
			conv = convert_obj(val, item_members, v, 1, keep_null,
					   field.ptr, "an array item", errs);
		} else if (!strcmp(m->name, "imageDescriptor") &&
			   json_is_object(val)) {
			conv = convert_obj(val, image_members, v, 1, keep_null,
					   field.ptr, "an image descriptor",
					   errs);
		} else if (!strcmp(m->name, "enum") && json_is_array(val)) {
			size_t i;
			json_t *e;

			conv = json_array();
			json_array_foreach(val, i, e)
			{
				struct buf ep = BUF_INIT;

				buf_addf(&ep, "%senum[%zu].", path, i);
				if (json_is_object(e))
					json_array_append_new(
						conv,
						convert_obj(e, enum_members, v,
							    1, 0, ep.ptr,
							    "an enumeration "
							    "value",
							    errs));
				else
					json_array_append(conv, e);
				buf_release(&ep);
			}
		} else {
			conv = json_deep_copy(val);
		}
		json_object_set_new(out, m->name, conv);
		buf_release(&field);
	}
	return out;
}

json_t *ctype_from_wire(const json_t *in, enum emu_version v, int patch,
			const char *prefix, json_t *errs)
{
	return convert_obj(in, type_members, v, v == EMU_P3, patch, prefix,
			   "a content type", errs);
}

/* Validation helpers: each reports into errs and returns 0 when bad. */

struct vstate {
	const struct vctx *c;
	json_t *errs;
	struct buf field;
};

static const char *at(struct vstate *s, const char *path, const char *member)
{
	buf_reset(&s->field);
	buf_addf(&s->field, "%s%s", path, member);
	return s->field.ptr;
}

static int want_string(struct vstate *s, const json_t *obj, const char *path,
		       const char *member, size_t max)
{
	const json_t *v = json_object_get(obj, member);

	if (!v)
		return 1;
	if (!json_is_string(v)) {
		errs_add(s->errs, at(s, path, member), "'%s' must be a string.",
			 member);
		return 0;
	}
	if (max && json_string_length(v) > max) {
		errs_add(s->errs, at(s, path, member),
			 "'%s' must be at most %zu characters long.", member,
			 max);
		return 0;
	}
	return 1;
}

static int want_bool(struct vstate *s, const json_t *obj, const char *path,
		     const char *member, const char *shown)
{
	const json_t *v = json_object_get(obj, member);

	if (v && !json_is_boolean(v)) {
		errs_add(s->errs, at(s, path, shown),
			 "'%s' must be true or false.", shown);
		return 0;
	}
	return 1;
}

static int want_int(struct vstate *s, const json_t *obj, const char *path,
		    const char *member, int nonneg)
{
	const json_t *v = json_object_get(obj, member);

	if (!v)
		return 1;
	if (!json_is_int32(v) || (nonneg && json_integer_value(v) < 0)) {
		errs_add(s->errs, at(s, path, member),
			 "'%s' must be a%s 32-bit integer.", member,
			 nonneg ? " non-negative" : "");
		return 0;
	}
	return 1;
}

static int want_enum(struct vstate *s, const json_t *obj, const char *path,
		     const char *member, const char *const *allowed)
{
	const json_t *v = json_object_get(obj, member);
	struct buf list = BUF_INIT;

	if (!v || (json_is_string(v) && in_list(allowed, json_string_value(v))))
		return 1;
	for (const char *const *a = allowed; *a; a++)
		buf_addf(&list, "%s%s", a == allowed ? "" : ", ", *a);
	errs_add(s->errs, at(s, path, member), "'%s' must be one of %s.",
		 member, list.ptr);
	buf_release(&list);
	return 0;
}

/* An array of strings, or NULL (reported) when the member is not one. */
static const json_t *want_strings(struct vstate *s, const json_t *obj,
				  const char *path, const char *member)
{
	const json_t *v = json_object_get(obj, member);
	size_t i;
	json_t *e;

	if (!v)
		return NULL;
	if (!json_is_array(v)) {
		errs_add(s->errs, at(s, path, member),
			 "'%s' must be an array of strings.", member);
		return NULL;
	}
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e)) {
			struct buf f = BUF_INIT;

			buf_addf(&f, "%s%s[%zu]", path, member, i);
			errs_add(s->errs, f.ptr, "'%s' must hold strings.",
				 member);
			buf_release(&f);
			return NULL;
		}
	}
	return v;
}

/* Checks that each entry names '*', a base type or a known type. */
static void want_refs(struct vstate *s, const json_t *obj, const char *path,
		      const char *member)
{
	const json_t *list = want_strings(s, obj, path, member);
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
	{
		const char *ref = json_string_value(e);
		struct buf f = BUF_INIT;

		if (!strcmp(ref, "*") || is_base_type(ref) ||
		    vctx_type(s->c, ref))
			continue;
		buf_addf(&f, "%s%s[%zu]", path, member, i);
		errs_add(s->errs, f.ptr,
			 "Unable to find a content type or base type '%s'.",
			 ref);
		buf_release(&f);
	}
}

static void check_minmax_value(struct vstate *s, const json_t *v, const char *t,
			       const char *path, const char *member,
			       double *num, long long *ms, int *ok)
{
	*ok = 0;
	if (!strcmp(t, "integer") && json_is_integer(v)) {
		*num = (double)json_integer_value(v);
		*ok = 1;
	} else if (!strcmp(t, "float") && json_is_number(v)) {
		*num = json_number_value(v);
		*ok = 1;
	} else if (!strcmp(t, "dateTime") && json_is_string(v) &&
		   iso_parse(ms, json_string_value(v)) == 0) {
		*ok = 1;
	}
	if (!*ok)
		errs_add(s->errs, at(s, path, member),
			 "'%s' must be %s, as the property's type is '%s'.",
			 member,
			 !strcmp(t, "integer") ? "an integer"
			 : !strcmp(t, "float") ? "a number"
					       : "an ISO 8601 date-time string",
			 t);
}

static void check_enum(struct vstate *s, const json_t *p, const char *t,
		       const char *path)
{
	const json_t *list = json_object_get(p, "enum");
	size_t i;
	json_t *e;

	if (!list)
		return;
	if (!t || (strcmp(t, "string") && strcmp(t, "integer") &&
		   strcmp(t, "float") && strcmp(t, "dateTime"))) {
		if (t)
			errs_add(s->errs, at(s, path, "enum"),
				 "'enum' is only allowed for string, integer, "
				 "float and dateTime properties.");
		return;
	}
	if (!json_is_array(list)) {
		errs_add(s->errs, at(s, path, "enum"),
			 "'enum' must be an array of {value, displayName}.");
		return;
	}
	json_array_foreach(list, i, e)
	{
		struct buf ep = BUF_INIT;
		const json_t *v = json_object_get(e, "value");
		const json_t *dn = json_object_get(e, "displayName");
		long long ms;
		int ok;

		buf_addf(&ep, "%senum[%zu].", path, i);
		if (!json_is_object(e)) {
			buf_setlen(&ep, ep.len - 1);
			errs_add(s->errs, ep.ptr,
				 "An enumeration value must be an object.");
			buf_release(&ep);
			continue;
		}
		if (!json_is_string(dn) || !json_string_length(dn))
			errs_add(s->errs, at(s, ep.ptr, "displayName"),
				 "'displayName' is required and may not be "
				 "empty.");
		if (!v) {
			errs_add(s->errs, at(s, ep.ptr, "value"),
				 "'value' is required.");
		} else if (!strcmp(t, "string")) {
			if (!json_is_string(v))
				errs_add(s->errs, at(s, ep.ptr, "value"),
					 "'value' must be a string, as the "
					 "property's type is 'string'.");
		} else {
			double num;
			struct buf f = BUF_INIT;

			buf_adds(&f, ep.ptr);
			check_minmax_value(s, v, t, f.ptr, "value", &num, &ms,
					   &ok);
			buf_release(&f);
		}
		buf_release(&ep);
	}
}

/* A member that is set to something other than null or []. */
static int has_list_items(const json_t *p, const char *key)
{
	const json_t *v = json_object_get(p, key);

	return v && !json_is_null(v) &&
	       !(json_is_array(v) && json_array_size(v) == 0);
}

static void check_prop(struct vstate *s, const char *name, const json_t *p,
		       const char *path, const char *base_type, int is_item)
{
	const struct vctx *c = s->c;
	const json_t *tv = json_object_get(p, "type");
	const char *const *types = c->version == EMU_P3 ? p3_types : v1_types;
	const char *t = NULL;
	const json_t *ct, *mn, *mx, *items;
	static const char *const indexing[] = {"disabled", "queryable",
					       "searchable", NULL};
	static const char *const modes[] = {"available", "hidden", NULL};

	(void)name;
	if (!tv) {
		errs_add(s->errs, at(s, path, "type"), "The type is required.");
	} else if (!json_is_string(tv)) {
		errs_add(s->errs, at(s, path, "type"),
			 "'type' must be a string.");
	} else if (is_item && !strcmp(json_string_value(tv), "array")) {
		errs_add(s->errs, at(s, path, "type"),
			 "Nested arrays are not supported.");
	} else if (!in_list(types, json_string_value(tv))) {
		struct buf list = BUF_INIT;

		for (const char *const *a = types; *a; a++)
			if (!is_item || strcmp(*a, "array"))
				buf_addf(&list, "%s%s", a == types ? "" : ", ",
					 *a);
		errs_add(s->errs, at(s, path, "type"),
			 "'%s' is not a property type (%s).",
			 json_string_value(tv), list.ptr);
		buf_release(&list);
	} else {
		t = json_string_value(tv);
	}

	want_string(s, p, path, "format", 0);
	if (!is_item) {
		want_string(s, p, path, "displayName", 255);
		want_string(s, p, path, "description", 2000);
		want_bool(s, p, path, "isRequired",
			  wire_name("isRequired", c->version));
		want_bool(s, p, path, "isLocalized",
			  wire_name("isLocalized", c->version));
		want_string(s, p, path, "group", 255);
		want_int(s, p, path, "sortOrder", 0);
		if (want_enum(s, p, path, "indexingType", indexing) &&
		    is_ref_type(t) && json_object_get(p, "indexingType") &&
		    strcmp(jx_str(p, "indexingType"), "disabled")) {
			const char *it = jx_str(p, "indexingType");

			errs_add(
				s->errs, at(s, path, "indexingType"),
				"Setting 'IndexingType.%c%s' is not allowed on "
				"property of type '%s'. 'IndexingType' should "
				"be applied to primitive properties.",
				it[0] - 'a' + 'A', it + 1, t);
		}
		want_enum(s, p, path, "displayMode", modes);
	}

	/* contentType */
	ct = json_object_get(p, "contentType");
	if (ct && want_string(s, p, path, "contentType", 255) && t) {
		const char *ref = json_string_value(ct);
		const json_t *target = vctx_type(c, ref);

		if (strcmp(t, "component") && !is_ref_type(t)) {
			errs_add(s->errs, at(s, path, "contentType"),
				 "'contentType' is only allowed on properties "
				 "of type component, content or "
				 "contentReference.");
		} else if (!strcmp(t, "component")) {
			const char *bt =
				target ? jx_str(target, "baseType") : NULL;

			if (!target)
				errs_add(s->errs, at(s, path, "contentType"),
					 "Unable to find a content type '%s'.",
					 ref);
			else if (!bt || strcmp(bt, "_component"))
				errs_add(s->errs, at(s, path, "contentType"),
					 "The content type '%s' is not a "
					 "_component type.",
					 ref);
		} else {
			const json_t *al = json_object_get(p, "allowedTypes");

			if (!target && !is_base_type(ref))
				errs_add(s->errs, at(s, path, "contentType"),
					 "Unable to find a content type '%s'.",
					 ref);
			if (json_is_array(al) && json_array_size(al))
				errs_add(s->errs, at(s, path, "contentType"),
					 "'contentType' cannot be combined "
					 "with 'allowedTypes'.");
		}
	} else if (!ct && t && !strcmp(t, "component")) {
		errs_add(s->errs, at(s, path, "contentType"),
			 "A property of type 'component' needs a "
			 "'contentType'.");
	}

	/* minimum / maximum */
	mn = json_object_get(p, "minimum");
	mx = json_object_get(p, "maximum");
	if ((mn || mx) && t) {
		if (strcmp(t, "integer") && strcmp(t, "float") &&
		    strcmp(t, "dateTime")) {
			errs_add(s->errs,
				 at(s, path, mn ? "minimum" : "maximum"),
				 "'%s' is only allowed for integer, float and "
				 "dateTime properties.",
				 mn ? "minimum" : "maximum");
		} else {
			double a = 0, b = 0;
			long long ma = 0, mb = 0;
			int oka = 0, okb = 0;

			if (mn)
				check_minmax_value(s, mn, t, path, "minimum",
						   &a, &ma, &oka);
			if (mx)
				check_minmax_value(s, mx, t, path, "maximum",
						   &b, &mb, &okb);
			if (oka && okb &&
			    (!strcmp(t, "dateTime") ? ma > mb : a > b))
				errs_add(s->errs, at(s, path, "minimum"),
					 "'minimum' may not be greater than "
					 "'maximum'.");
		}
	}

	check_enum(s, p, t, path);

	/* string companions */
	if (t && strcmp(t, "string")) {
		static const char *const only_string[] = {
			"minLength", "maxLength", "pattern", NULL};

		for (const char *const *m = only_string; *m; m++)
			if (json_object_get(p, *m))
				errs_add(s->errs, at(s, path, *m),
					 "'%s' is only allowed for string "
					 "properties.",
					 *m);
	} else {
		if (want_int(s, p, path, "minLength", 1) &&
		    want_int(s, p, path, "maxLength", 1) &&
		    json_object_get(p, "minLength") &&
		    json_object_get(p, "maxLength") &&
		    json_integer_value(json_object_get(p, "minLength")) >
			    json_integer_value(json_object_get(p, "maxLength")))
			errs_add(s->errs, at(s, path, "minLength"),
				 "'minLength' may not be greater than "
				 "'maxLength'.");
		want_string(s, p, path, "pattern", 0);
	}

	/* array companions */
	if (!is_item) {
		if (t && strcmp(t, "array")) {
			if (json_object_get(p, "minItems"))
				errs_add(s->errs, at(s, path, "minItems"),
					 "'minItems' is only allowed for array "
					 "properties.");
			if (json_object_get(p, "maxItems"))
				errs_add(s->errs, at(s, path, "maxItems"),
					 "'maxItems' is only allowed for array "
					 "properties.");
		} else if (want_int(s, p, path, "minItems", 1) &&
			   want_int(s, p, path, "maxItems", 1) &&
			   json_object_get(p, "minItems") &&
			   json_object_get(p, "maxItems") &&
			   json_integer_value(json_object_get(p, "minItems")) >
				   json_integer_value(
					   json_object_get(p, "maxItems"))) {
			errs_add(s->errs, at(s, path, "minItems"),
				 "'minItems' may not be greater than "
				 "'maxItems'.");
		}
	}

	/* references */
	/*
	 * An empty list is what the server itself fills in on references,
	 * so it stays harmless when the property changes to another type.
	 */
	if (t && !is_ref_type(t)) {
		if (has_list_items(p, "allowedTypes"))
			errs_add(s->errs, at(s, path, "allowedTypes"),
				 "'allowedTypes' is only allowed for content "
				 "and contentReference properties.");
		if (has_list_items(p, "restrictedTypes"))
			errs_add(s->errs, at(s, path, "restrictedTypes"),
				 "'restrictedTypes' is only allowed for "
				 "content and contentReference properties.");
	} else {
		want_refs(s, p, path, "allowedTypes");
		want_refs(s, p, path, "restrictedTypes");
	}

	if (json_object_get(p, "editorSettings") &&
	    !json_is_object(json_object_get(p, "editorSettings")))
		errs_add(s->errs, at(s, path, "editorSettings"),
			 "'editorSettings' must be an object.");
	if (json_object_get(p, "imageDescriptor")) {
		const json_t *d = json_object_get(p, "imageDescriptor");
		struct buf dp = BUF_INIT;

		buf_addf(&dp, "%simageDescriptor.", path);
		if (!json_is_object(d)) {
			errs_add(s->errs, at(s, path, "imageDescriptor"),
				 "'imageDescriptor' must be an object.");
		} else {
			want_int(s, d, dp.ptr, "width", 1);
			want_int(s, d, dp.ptr, "height", 1);
			want_bool(s, d, dp.ptr, "pregenerated", "pregenerated");
		}
		buf_release(&dp);
	}

	if (is_item)
		return;
	items = json_object_get(p, "items");
	if (t && !strcmp(t, "array")) {
		struct buf ip = BUF_INIT;

		buf_addf(&ip, "%sitems.", path);
		if (!items)
			errs_add(s->errs, at(s, path, "items"),
				 "A property of type 'array' needs 'items'.");
		else if (!json_is_object(items))
			errs_add(s->errs, at(s, path, "items"),
				 "'items' must be an object.");
		else
			check_prop(s, name, items, ip.ptr, base_type, 1);
		buf_release(&ip);
	} else if (items && t) {
		errs_add(s->errs, at(s, path, "items"),
			 "'items' is only allowed for array properties.");
	}
}

void ctype_validate(const json_t *doc, const struct vctx *c, const char *prefix,
		    json_t *errs)
{
	struct vstate s = {c, errs, BUF_INIT};
	const json_t *key = json_object_get(doc, "key");
	const json_t *dn = json_object_get(doc, "displayName");
	const json_t *bt = json_object_get(doc, "baseType");
	const json_t *props = json_object_get(doc, "properties");
	const json_t *list;
	const char *base = NULL;
	int is_contract;
	static const char *const behaviors[] = {"sectionEnabled",
						"elementEnabled",
						"formsElementEnabled", NULL};
	size_t i;
	json_t *e;

	if (!key) {
		errs_add(errs, at(&s, prefix, "key"), "The key is required.");
	} else if (!json_is_string(key)) {
		errs_add(errs, at(&s, prefix, "key"),
			 "'key' must be a string.");
	} else if (key_problem(json_string_value(key))) {
		errs_add(errs, at(&s, prefix, "key"),
			 "The key '%s' is not valid: it %s.",
			 json_string_value(key),
			 key_problem(json_string_value(key)));
	}

	want_bool(&s, doc, prefix, "isContract", "isContract");
	is_contract = json_is_true(json_object_get(doc, "isContract"));

	if (want_string(&s, doc, prefix, "displayName", 255) &&
	    c->version == EMU_V1 && (!dn || !json_string_length(dn)))
		errs_add(errs, at(&s, prefix, "displayName"),
			 "The displayName is required.");
	want_string(&s, doc, prefix, "description", 255);

	if (!is_contract) {
		if (!bt) {
			errs_add(errs, at(&s, prefix, "baseType"),
				 "The baseType is required for content types "
				 "that are not contracts.");
		} else if (!json_is_string(bt)) {
			errs_add(errs, at(&s, prefix, "baseType"),
				 "'baseType' must be a string.");
		} else if (!strcmp(json_string_value(bt), "_element")) {
			errs_add(errs, at(&s, prefix, "baseType"),
				 "The base type '_element' is not supported.");
		} else if (!is_base_type(json_string_value(bt))) {
			errs_add(errs, at(&s, prefix, "baseType"),
				 "'%s' is not a base type (_page, _component, "
				 "_media, _image, _video, _folder, "
				 "_experience, _section).",
				 json_string_value(bt));
		} else {
			base = json_string_value(bt);
		}
	}

	want_int(&s, doc, prefix, "sortOrder", 0);
	want_refs(&s, doc, prefix, "mayContainTypes");
	want_strings(&s, doc, prefix, "mediaFileExtensions");

	list = want_strings(&s, doc, prefix, "compositionBehaviors");
	json_array_foreach(list, i, e)
	{
		struct buf f = BUF_INIT;

		buf_addf(&f, "%scompositionBehaviors[%zu]", prefix, i);
		if (!in_list(behaviors, json_string_value(e)))
			errs_add(errs, f.ptr,
				 "'%s' is not a composition behavior "
				 "(sectionEnabled, elementEnabled, "
				 "formsElementEnabled).",
				 json_string_value(e));
		buf_release(&f);
	}
	if (json_array_size(list) && base && strcmp(base, "_component"))
		errs_add(errs, at(&s, prefix, "compositionBehaviors"),
			 "'compositionBehaviors' can only be set when the "
			 "baseType is '_component'.");

	list = want_strings(&s, doc, prefix, "contracts");
	json_array_foreach(list, i, e)
	{
		const char *ref = json_string_value(e);
		const json_t *target = vctx_type(c, ref);
		struct buf f = BUF_INIT;

		buf_addf(&f, "%scontracts[%zu]", prefix, i);
		if (c->self_key && !strcmp(ref, c->self_key))
			errs_add(errs, f.ptr,
				 "A content type cannot be bound to itself.");
		else if (!target)
			errs_add(errs, f.ptr, "Unable to find a contract '%s'.",
				 ref);
		else if (!json_is_true(json_object_get(target, "isContract")))
			errs_add(errs, f.ptr,
				 "The content type '%s' is not a contract.",
				 ref);
		buf_release(&f);
	}

	list = json_object_get(doc, "accessRights");
	if (list && !json_is_array(list)) {
		errs_add(errs, at(&s, prefix, "accessRights"),
			 "'accessRights' must be an array.");
	} else {
		json_array_foreach(list, i, e)
		{
			static const char *const kinds[] = {
				"user", "role", "application", NULL};
			struct buf f = BUF_INIT;

			buf_addf(&f, "%saccessRights[%zu].", prefix, i);
			if (!json_is_object(e) ||
			    !json_is_string(json_object_get(e, "name")))
				errs_add(errs, at(&s, f.ptr, "name"),
					 "Each access right needs a 'name'.");
			else
				want_enum(&s, e, f.ptr, "type", kinds);
			buf_release(&f);
		}
	}

	if (props && !json_is_object(props)) {
		errs_add(errs, at(&s, prefix, "properties"),
			 "'properties' must be an object.");
	} else if (props) {
		const char *pn;
		json_t *pv;

		json_object_foreach((json_t *)props, pn, pv)
		{
			struct buf pp = BUF_INIT;
			const char *problem = key_problem(pn);

			buf_addf(&pp, "%sproperties.%s", prefix, pn);
			if (problem)
				errs_add(errs, pp.ptr,
					 "The property name '%s' is not valid: "
					 "it %s.",
					 pn, problem);
			else if (base && !strcmp(base, "_experience") &&
				 !strcmp(pn, "composition"))
				errs_add(errs, pp.ptr,
					 "The property name 'composition' is "
					 "reserved on experience types.");
			if (!json_is_object(pv)) {
				errs_add(errs, pp.ptr,
					 "A property must be an object.");
			} else {
				buf_addch(&pp, '.');
				check_prop(&s, pn, pv, pp.ptr, base, 0);
			}
			buf_release(&pp);
		}
	}
	buf_release(&s.field);
}

/* Copies src's members in table order, with the defaults of kind. */
enum norm_kind { NORM_TYPE, NORM_PROP, NORM_ITEM };

static json_t *norm_obj(const json_t *src, const struct member *table,
			enum norm_kind kind);

static json_t *norm_default(const json_t *src, const char *m,
			    enum norm_kind kind)
{
	const char *t = jx_str(src, "type");

	if (kind == NORM_TYPE) {
		if (!strcmp(m, "isContract"))
			return json_false();
		if (!strcmp(m, "sortOrder"))
			return json_integer(0);
		if (!strcmp(m, "mayContainTypes") ||
		    !strcmp(m, "mediaFileExtensions") ||
		    !strcmp(m, "compositionBehaviors") ||
		    !strcmp(m, "contracts"))
			return json_array();
		if (!strcmp(m, "properties"))
			return json_object();
		return NULL;
	}
	if (kind == NORM_PROP) {
		if (!strcmp(m, "isRequired") || !strcmp(m, "isLocalized"))
			return json_false();
		if (!strcmp(m, "sortOrder"))
			return json_integer(0);
	}
	if (is_ref_type(t) &&
	    (!strcmp(m, "allowedTypes") || !strcmp(m, "restrictedTypes")))
		return json_array();
	return NULL;
}

static json_t *norm_obj(const json_t *src, const struct member *table,
			enum norm_kind kind)
{
	json_t *out = json_object();
	int contract = kind == NORM_TYPE &&
		       json_is_true(json_object_get(src, "isContract"));

	for (const struct member *m = table; m->name; m++) {
		const json_t *v = json_object_get(src, m->name);
		json_t *nv = NULL;

		if (m->flags & M_RO)
			continue;
		if (contract && !strcmp(m->name, "baseType"))
			continue;
		if (!v || json_is_null(v)) {
			nv = norm_default(src, m->name, kind);
		} else if (kind == NORM_TYPE &&
			   !strcmp(m->name, "properties") &&
			   json_is_object(v)) {
			const char *pn;
			json_t *pv;

			nv = json_object();
			json_object_foreach((json_t *)v, pn, pv)
				json_object_set_new(
					nv, pn,
					json_is_object(pv)
						? norm_obj(pv, prop_members,
							   NORM_PROP)
						: json_deep_copy(pv));
		} else if (kind == NORM_PROP && !strcmp(m->name, "items") &&
			   json_is_object(v)) {
			nv = norm_obj(v, item_members, NORM_ITEM);
		} else {
			nv = json_deep_copy(v);
		}
		jx_set_new(out, m->name, nv);
	}
	return out;
}

json_t *ctype_normalize(const json_t *doc)
{
	return norm_obj(doc, type_members, NORM_TYPE);
}

static json_t *finish(const json_t *norm, const struct member *table,
		      const char *source, const char *created,
		      const char *created_by, const char *modified,
		      const char *modified_by)
{
	json_t *out = json_object();

	for (const struct member *m = table; m->name; m++) {
		const char *ro = NULL;

		if (!(m->flags & M_RO)) {
			json_t *v = json_object_get(norm, m->name);

			if (v)
				json_object_set(out, m->name, v);
			continue;
		}
		if (!strcmp(m->name, "source"))
			ro = source;
		else if (!strcmp(m->name, "created"))
			ro = created;
		else if (!strcmp(m->name, "createdBy"))
			ro = created_by;
		else if (!strcmp(m->name, "lastModified"))
			ro = modified;
		else if (!strcmp(m->name, "lastModifiedBy"))
			ro = modified_by;
		if (ro)
			json_object_set_new(out, m->name, json_string(ro));
	}
	return out;
}

json_t *ctype_finish(const json_t *norm, const char *source,
		     const char *created, const char *created_by,
		     const char *modified, const char *modified_by)
{
	return finish(norm, type_members, source, created, created_by, modified,
		      modified_by);
}

static json_t *strip(const json_t *doc, const struct member *table)
{
	json_t *out = json_copy((json_t *)doc);

	for (const struct member *m = table; m->name; m++)
		if (m->flags & M_RO)
			json_object_del(out, m->name);
	return out;
}

json_t *ctype_strip(const json_t *doc)
{
	return strip(doc, type_members);
}

static int list_has(const json_t *list, const json_t *v)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) if (json_equal(e, (json_t *)v)) return 1;
	return 0;
}

int ctype_breaking(const json_t *old, const json_t *new_, json_t *errs)
{
	const json_t *op = json_object_get(old, "properties");
	const json_t *np = json_object_get(new_, "properties");
	const json_t *om = json_object_get(old, "mayContainTypes");
	const json_t *nm = json_object_get(new_, "mayContainTypes");
	size_t before = json_array_size(errs), i;
	const char *pn;
	json_t *pv, *e;

	json_object_foreach((json_t *)op, pn, pv)
	{
		const json_t *q = json_object_get(np, pn);
		const json_t *a, *b;
		struct buf f = BUF_INIT;

		buf_addf(&f, "properties.%s", pn);
		if (!q) {
			errs_add(errs, f.ptr,
				 "The property '%s' would be removed.", pn);
			buf_release(&f);
			continue;
		}
		a = json_object_get(pv, "type");
		b = json_object_get(q, "type");
		if (!json_equal((json_t *)a, (json_t *)b))
			errs_add(errs, f.ptr,
				 "The type of property '%s' would change from "
				 "'%s' to '%s'.",
				 pn,
				 json_string_value(a) ? json_string_value(a)
						      : "",
				 json_string_value(b) ? json_string_value(b)
						      : "");
		a = json_object_get(json_object_get(pv, "items"), "type");
		b = json_object_get(json_object_get(q, "items"), "type");
		if (a && b && !json_equal((json_t *)a, (json_t *)b))
			errs_add(errs, f.ptr,
				 "The item type of property '%s' would change "
				 "from '%s' to '%s'.",
				 pn,
				 json_string_value(a) ? json_string_value(a)
						      : "",
				 json_string_value(b) ? json_string_value(b)
						      : "");
		if (!json_is_true(json_object_get(pv, "isLocalized")) &&
		    json_is_true(json_object_get(q, "isLocalized")))
			errs_add(errs, f.ptr,
				 "The property '%s' would become localized.",
				 pn);
		a = json_object_get(pv, "indexingType");
		b = json_object_get(q, "indexingType");
		if ((a || b) &&
		    !(a && b && json_equal((json_t *)a, (json_t *)b)))
			errs_add(errs, f.ptr,
				 "The indexing type of property '%s' would "
				 "change.",
				 pn);
		buf_release(&f);
	}
	json_array_foreach(om, i, e)
	{
		if (!list_has(nm, e))
			errs_add(errs, "mayContainTypes",
				 "'%s' would be removed from mayContainTypes.",
				 json_string_value(e) ? json_string_value(e)
						      : "?");
	}
	return (int)(json_array_size(errs) - before);
}

/* A property or item rendered for preview3. */
static json_t *render_p3_prop(const json_t *p, int is_item)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)p, k, v)
	{
		if (!strcmp(k, "displayMode") || !strcmp(k, "editorSettings"))
			continue;
		if (!is_item && !strcmp(k, "items") && json_is_object(v))
			json_object_set_new(out, k, render_p3_prop(v, 1));
		else
			json_object_set(out, wire_name(k, EMU_P3), v);
	}
	return out;
}

static int has_image_descriptor(const json_t *props)
{
	const char *k;
	json_t *v;

	json_object_foreach(
		(json_t *)props, k,
		v) if (json_object_get(v, "imageDescriptor")) return 1;
	return 0;
}

json_t *ctype_render(const json_t *doc, enum emu_version v)
{
	const json_t *props = json_object_get(doc, "properties");
	json_t *out, *np;
	const char *k;
	json_t *val;

	if (v == EMU_V1 && !has_image_descriptor(props))
		return json_incref((json_t *)doc);
	out = json_object();
	json_object_foreach((json_t *)doc, k, val)
	{
		if (v == EMU_P3 &&
		    (!strcmp(k, "isContract") || !strcmp(k, "contracts") ||
		     !strcmp(k, "accessRights") || !strcmp(k, "createdBy")))
			continue;
		if (strcmp(k, "properties") || !json_is_object(val)) {
			json_object_set(out, k, val);
			continue;
		}
		np = json_object();
		{
			const char *pn;
			json_t *pv;

			json_object_foreach(val, pn, pv)
			{
				if (v == EMU_P3) {
					json_object_set_new(
						np, pn, render_p3_prop(pv, 0));
				} else {
					json_t *c = json_copy(pv);

					json_object_del(c, "imageDescriptor");
					json_object_set_new(np, pn, c);
				}
			}
		}
		json_object_set_new(out, k, np);
	}
	return out;
}

/* Property groups */

json_t *group_from_wire(const json_t *in, enum emu_version v, int patch,
			const char *prefix, json_t *errs)
{
	return convert_obj(in, group_members, v, v == EMU_P3, patch, prefix,
			   "a property group", errs);
}

void group_validate(const json_t *doc, enum emu_version v, int check_reserved,
		    const char *prefix, json_t *errs)
{
	struct vctx c = {v, NULL, NULL, NULL, NULL};
	struct vstate s = {&c, errs, BUF_INIT};
	const json_t *key = json_object_get(doc, "key");
	const json_t *dn = json_object_get(doc, "displayName");

	if (!json_is_string(key)) {
		errs_add(errs, at(&s, prefix, "key"),
			 key ? "'key' must be a string."
			     : "The key is required.");
	} else if (key_problem(json_string_value(key))) {
		errs_add(errs, at(&s, prefix, "key"),
			 "The key '%s' is not valid: it %s.",
			 json_string_value(key),
			 key_problem(json_string_value(key)));
	} else if (check_reserved &&
		   group_is_reserved(json_string_value(key))) {
		errs_add(errs, at(&s, prefix, "key"),
			 "The TabDefinition name '%s' is reserved and cannot "
			 "be used.",
			 json_string_value(key));
	}
	if (want_string(&s, doc, prefix, "displayName", 255) && v == EMU_V1 &&
	    (!dn || !json_string_length(dn)))
		errs_add(errs, at(&s, prefix, "displayName"),
			 "The displayName is required.");
	want_int(&s, doc, prefix, "sortOrder", 0);
	buf_release(&s.field);
}

json_t *group_normalize(const json_t *doc)
{
	json_t *out = json_object();

	for (const struct member *m = group_members; m->name; m++) {
		const json_t *v = json_object_get(doc, m->name);

		if (m->flags & M_RO)
			continue;
		if (v && !json_is_null(v))
			json_object_set_new(out, m->name, json_deep_copy(v));
		else if (!strcmp(m->name, "sortOrder"))
			json_object_set_new(out, m->name, json_integer(0));
	}
	return out;
}

json_t *group_finish(const json_t *norm, const char *source,
		     const char *created, const char *created_by,
		     const char *modified, const char *modified_by)
{
	return finish(norm, group_members, source, created, created_by,
		      modified, modified_by);
}

json_t *group_strip(const json_t *doc)
{
	return strip(doc, group_members);
}

json_t *group_render(const json_t *doc, enum emu_version v)
{
	json_t *out;

	if (v == EMU_V1)
		return json_incref((json_t *)doc);
	out = json_copy((json_t *)doc);
	json_object_del(out, "createdBy");
	return out;
}

/* Display templates */

static const char *const template_ro[] = {
	"created", "createdBy", "lastModified", "lastModifiedBy", NULL};

void template_validate(const json_t *doc, const struct vctx *c,
		       const char *prefix, json_t *errs)
{
	struct vstate s = {c, errs, BUF_INIT};
	const json_t *key = json_object_get(doc, "key");
	const json_t *dn = json_object_get(doc, "displayName");
	const char *ct = jx_str(doc, "contentType");
	const char *bt = jx_str(doc, "baseType");

	if (!json_is_string(key))
		errs_add(errs, at(&s, prefix, "key"), "The key is required.");
	else if (key_problem(json_string_value(key)))
		errs_add(errs, at(&s, prefix, "key"),
			 "The key '%s' is not valid: it %s.",
			 json_string_value(key),
			 key_problem(json_string_value(key)));
	if (!json_is_string(dn) || !json_string_length(dn))
		errs_add(errs, at(&s, prefix, "displayName"),
			 "The displayName is required.");
	want_string(&s, doc, prefix, "nodeType", 50);
	want_string(&s, doc, prefix, "baseType", 0);
	want_string(&s, doc, prefix, "contentType", 255);
	want_bool(&s, doc, prefix, "isDefault", "isDefault");
	if (!jx_str(doc, "nodeType") && !bt && !ct)
		errs_add(errs, at(&s, prefix, "nodeType"),
			 "A display template needs one of 'nodeType', "
			 "'baseType' or 'contentType'.");
	if (bt && !is_base_type(bt))
		errs_add(errs, at(&s, prefix, "baseType"),
			 "'%s' is not a base type.", bt);
	if (ct && !vctx_type(c, ct))
		errs_add(errs, at(&s, prefix, "contentType"),
			 "Unable to find a content type '%s'.", ct);
	if (json_object_get(doc, "settings") &&
	    !json_is_object(json_object_get(doc, "settings")))
		errs_add(errs, at(&s, prefix, "settings"),
			 "'settings' must be an object.");
	buf_release(&s.field);
}

json_t *template_strip(const json_t *doc)
{
	json_t *out = json_copy((json_t *)doc);

	for (const char *const *m = template_ro; *m; m++)
		json_object_del(out, *m);
	return out;
}

json_t *template_finish(const json_t *in, const char *created,
			const char *created_by, const char *modified,
			const char *modified_by)
{
	json_t *out = template_strip(in);

	json_object_set_new(out, "created", json_string(created));
	json_object_set_new(out, "createdBy", json_string(created_by));
	json_object_set_new(out, "lastModified", json_string(modified));
	json_object_set_new(out, "lastModifiedBy", json_string(modified_by));
	return out;
}
