#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/tform.h"
#include "util/err.h"
#include "util/xalloc.h"
#include "util/banned.h"

int tform_parse_api_version(enum api_version *out, const char *name)
{
	if (name && !strcmp(name, "v1")) {
		*out = API_V1;
		return 0;
	}
	if (name && !strcmp(name, "preview3")) {
		*out = API_PREVIEW3;
		return 0;
	}
	return err_set(ERR_USAGE,
		       "unknown API version '%s' (expected v1 or preview3)",
		       name ? name : "");
}

const char *tform_api_version_name(enum api_version v)
{
	return v == API_PREVIEW3 ? "preview3" : "v1";
}

static int in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (name[0] == (*list)[0] && !strcmp(name, *list))
			return 1;
	return 0;
}

static const char *const owned_property_members[] = {
	"type", "format", "contentType", "items", "displayName",
	"description", "isRequired", "sortOrder", "minimum", "maximum",
	"minLength", "maxLength", "pattern", "enum", "minItems", "maxItems",
	"allowedTypes", "restrictedTypes", NULL,
};

static const char *const owned_type_members[] = {
	"key", "displayName", "description", "baseType", "properties", NULL,
};

int tform_property_member_owned(const char *name)
{
	return name && in_list(name, owned_property_members);
}

int tform_type_member_owned(const char *name)
{
	return name && in_list(name, owned_type_members);
}

/* Members a server fills in that no client writes. */
static const char *const read_only_members[] = {
	"source", "created", "createdBy", "lastModified", "lastModifiedBy",
	NULL,
};

/* Arrays whose order means nothing: sorted and deduplicated. */
static const char *const set_members[] = {
	"mayContainTypes", "allowedTypes", "restrictedTypes",
	"compositionBehaviors", "mediaFileExtensions", NULL,
};

/* Where in a content type an object sits; decides what applies to it. */
enum level {
	LEVEL_TYPE,       /* the content type */
	LEVEL_PROPERTIES, /* its "properties" map */
	LEVEL_PROPERTY,   /* one property */
	LEVEL_ITEMS,      /* a property's "items" */
	LEVEL_OTHER       /* any other object member */
};

/* Whether v means "absent": false, null, "", []. */
static int is_absent(const json_t *v)
{
	return !v || json_is_false(v) || json_is_null(v) ||
	       (json_is_string(v) && !json_string_length(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

/* An integral real (1.0) as an integer, so that 1 and 1.0 compare equal. */
static json_t *normal_number(json_t *v)
{
	double d;

	if (!json_is_real(v))
		return NULL;
	d = json_real_value(v);
	if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
		return NULL;
	return json_integer((json_int_t)d);
}

/* Normalizes the numbers inside v, at any depth (for array elements). */
static void normalize_numbers(json_t *v)
{
	const char *k;
	json_t *m, *n;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			if ((n = normal_number(m)))
				json_array_set_new(v, i, n);
			else
				normalize_numbers(m);
		}
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, m) {
			if ((n = normal_number(m)))
				json_object_set_new(v, k, n);
			else
				normalize_numbers(m);
		}
	}
}

static int cmp_json_str(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a;
	const json_t *y = *(json_t *const *)b;
	size_t xl = json_string_length(x), yl = json_string_length(y);
	int c = memcmp(json_string_value(x), json_string_value(y),
		       xl < yl ? xl : yl);

	if (c)
		return c;
	return xl < yl ? -1 : xl > yl;
}

/* Sorts an array of strings and drops duplicates; others are left alone. */
static void sort_set(json_t *a)
{
	size_t n = json_array_size(a), i, out = 0;
	json_t **items;

	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(a, i)))
			return;
	if (n < 2)
		return;
	items = xcalloc(n, sizeof(*items));
	for (i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(a, i));
	qsort(items, n, sizeof(*items), cmp_json_str);
	json_array_clear(a);
	for (i = 0; i < n; i++) {
		if (out && !cmp_json_str(&items[i], &items[out - 1])) {
			json_decref(items[i]);
			items[i] = NULL;
			continue;
		}
		items[out++] = items[i];
	}
	for (i = 0; i < out; i++)
		json_array_append_new(a, items[i]);
	free(items);
}

static void rename_member(json_t *obj, const char *from, const char *to)
{
	json_t *v = json_object_get(obj, from);

	if (!v)
		return;
	json_object_set(obj, to, v);
	json_object_del(obj, from);
}

static void canon_object(json_t *obj, enum level lvl, enum api_version v)
{
	const char *k;
	json_t *m;
	void *tmp;

	if (lvl == LEVEL_TYPE)
		for (const char *const *r = read_only_members; *r; r++)
			json_object_del(obj, *r);
	if (v == API_PREVIEW3 &&
	    (lvl == LEVEL_PROPERTY || lvl == LEVEL_ITEMS)) {
		rename_member(obj, "required", "isRequired");
		rename_member(obj, "localized", "isLocalized");
	}
	json_object_foreach_safe(obj, tmp, k, m) {
		json_t *n = normal_number(m);

		if (n) {
			json_object_set_new(obj, k, n);
			continue;
		}
		if (json_is_object(m)) {
			enum level sub = LEVEL_OTHER;

			if (lvl == LEVEL_TYPE && !strcmp(k, "properties"))
				sub = LEVEL_PROPERTIES;
			else if (lvl == LEVEL_PROPERTIES)
				sub = LEVEL_PROPERTY;
			else if (lvl == LEVEL_PROPERTY && !strcmp(k, "items"))
				sub = LEVEL_ITEMS;
			canon_object(m, sub, v);
			if (lvl != LEVEL_PROPERTIES &&
			    !strcmp(k, "editorSettings") &&
			    !json_object_size(m))
				json_object_del(obj, k);
			continue;
		}
		if (json_is_array(m) && lvl != LEVEL_PROPERTIES) {
			/*
			 * An empty accessRights means "nobody may create
			 * content of this type", not "absent": keep it.
			 */
			if (lvl == LEVEL_TYPE && !strcmp(k, "accessRights") &&
			    !json_array_size(m))
				continue;
			if (in_list(k, set_members))
				sort_set(m);
			else
				normalize_numbers(m);
		}
		if (is_absent(m))
			json_object_del(obj, k);
	}
}

void tform_canonicalize(json_t *doc, enum api_version v)
{
	if (json_is_object(doc))
		canon_object(doc, LEVEL_TYPE, v);
}

json_t *tform_canonical(const json_t *remote, enum api_version v)
{
	json_t *doc = json_deep_copy(remote);

	tform_canonicalize(doc, v);
	return doc;
}

static const char *const preview3_lacks_type[] = {
	"isContract", "contracts", "accessRights", NULL,
};

static const char *const preview3_lacks_property[] = {
	"displayMode", "editorSettings", NULL,
};

static void wire_property(json_t *p)
{
	json_t *items = json_object_get(p, "items");

	rename_member(p, "isRequired", "required");
	rename_member(p, "isLocalized", "localized");
	for (const char *const *r = preview3_lacks_property; *r; r++)
		json_object_del(p, *r);
	if (json_is_object(items)) {
		rename_member(items, "isRequired", "required");
		rename_member(items, "isLocalized", "localized");
		json_object_del(items, "editorSettings");
	}
}

json_t *tform_to_wire(const json_t *canonical, enum api_version v)
{
	json_t *doc, *props, *p;
	const char *k;

	/* v1 names are the canonical names: nothing to copy. */
	if (v != API_PREVIEW3 || !json_is_object(canonical))
		return json_incref((json_t *)canonical);
	doc = json_deep_copy(canonical);
	for (const char *const *r = preview3_lacks_type; *r; r++)
		json_object_del(doc, *r);
	props = json_object_get(doc, "properties");
	if (json_is_object(props))
		json_object_foreach(props, k, p)
			if (json_is_object(p))
				wire_property(p);
	return doc;
}

/* The members of obj that the lens does not own (new object). */
/* A deep copy of the members of obj whose ownership is keep. */
static json_t *members_owned(const json_t *obj, int (*owned)(const char *),
			     int keep)
{
	json_t *out = json_object();
	const char *k;
	json_t *m;

	json_object_foreach((json_t *)obj, k, m)
		if (!owned(k) == !keep)
			json_object_set_new(out, k, json_deep_copy(m));
	return out;
}

static json_t *unowned(const json_t *obj, int (*owned)(const char *))
{
	return members_owned(obj, owned, 0);
}

json_t *tform_owned(const json_t *canonical)
{
	json_t *out = members_owned(canonical, tform_type_member_owned, 1);
	json_t *props = json_object_get(out, "properties");
	const char *k;
	json_t *p;

	json_object_foreach(props, k, p) {
		json_t *mine, *items;

		if (!json_is_object(p))
			continue;
		mine = members_owned(p, tform_property_member_owned, 1);
		items = json_object_get(mine, "items");
		if (json_is_object(items))
			json_object_set_new(mine, "items",
					    members_owned(items,
							  tform_property_member_owned,
							  1));
		json_object_set_new(props, k, mine);
	}
	return out;
}

json_t *tform_overlay(const json_t *canonical)
{
	json_t *props_out = json_object();
	json_t *overlay;
	const json_t *props;
	const char *k;
	json_t *p;

	overlay = json_pack("{s:o}", "type",
			    unowned(canonical, tform_type_member_owned));
	props = json_object_get(canonical, "properties");
	/* json_object_foreach skips anything but an object */
	json_object_foreach((json_t *)props, k, p) {
		json_t *mine, *items;

		if (!json_is_object(p))
			continue;
		mine = unowned(p, tform_property_member_owned);
		items = json_object_get(p, "items");
		if (json_is_object(items)) {
			json_t *it = unowned(
				items, tform_property_member_owned);

			if (json_object_size(it))
				json_object_set_new(mine, "items", it);
			else
				json_decref(it);
		}
		if (json_object_size(mine))
			json_object_set_new(props_out, k, mine);
		else
			json_decref(mine);
	}
	json_object_set_new(overlay, "properties", props_out);
	return overlay;
}
