#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/patch.h"
#include "core/tform.h"
#include "util/buf.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* Whether v means "absent" in the canonical form: false, null, "", []. */
static int is_absent(const json_t *v)
{
	return !v || json_is_false(v) || json_is_null(v) ||
	       (json_is_string(v) && !json_string_length(v)) ||
	       (json_is_array(v) && !json_array_size(v));
}

/* Values equal once "absent" spellings are treated as one. */
static int same(const json_t *a, const json_t *b)
{
	if (is_absent(a) || is_absent(b))
		return is_absent(a) && is_absent(b);
	return json_equal(a, b);
}

static int str_differs(const json_t *a, const json_t *b)
{
	const char *x = json_string_value(a), *y = json_string_value(b);

	if (!x || !y)
		return !x != !y;
	return strcmp(x, y) != 0;
}

/*
 * Whether v is the value the server fills in for member name when it is
 * not sent (a property's sortOrder reads back as 0). Such a value in the
 * remote document is no reason to send an explicit default: that would be
 * a change that never goes away.
 */
static int server_default(const char *name, const json_t *v)
{
	return !strcmp(name, "sortOrder") && json_is_integer(v) &&
	       json_integer_value(v) == 0;
}

/*
 * The value that returns an owned member to its default: false for a flag,
 * [] for a list (null when the owner's type changed, since the new type may
 * not allow the member), null for everything else.
 */
static json_t *default_of(const json_t *old, int type_changed)
{
	if (json_is_boolean(old))
		return json_false();
	if (json_is_array(old) && !type_changed)
		return json_array();
	return json_null();
}

static json_t *whole_member_set(const json_t *r, const json_t *l,
				int type_changed);

/*
 * Members that only some property (or item) types take; a server refuses
 * them on the others, and may have filled some in by itself (an empty
 * restrictedTypes on a reference) where the canonical form cannot show
 * them.
 */
static const char *const with_string[] = {"minLength", "maxLength", "pattern",
					  "enum", NULL};
static const char *const with_number[] = {"minimum", "maximum", "enum", NULL};
static const char *const with_ref[] = {"contentType", "allowedTypes",
				       "restrictedTypes", NULL};
static const char *const with_component[] = {"contentType", NULL};
static const char *const with_array[] = {"items", "minItems", "maxItems", NULL};
static const char *const with_nothing[] = {NULL};

static const char *const *companions_of(const char *type)
{
	if (!type)
		return with_nothing;
	if (!strcmp(type, "string"))
		return with_string;
	if (!strcmp(type, "integer") || !strcmp(type, "float") ||
	    !strcmp(type, "dateTime"))
		return with_number;
	if (!strcmp(type, "content") || !strcmp(type, "contentReference"))
		return with_ref;
	if (!strcmp(type, "component"))
		return with_component;
	if (!strcmp(type, "array"))
		return with_array;
	return with_nothing;
}

static int takes(const char *type, const char *member)
{
	for (const char *const *m = companions_of(type); *m; m++)
		if (!strcmp(*m, member))
			return 1;
	return 0;
}

/*
 * On a type change, sends null for every member the old type takes and the
 * new one does not, unless l sets it: whatever the server holds there,
 * visible or not, has to go for the new type to be valid.
 */
static void drop_companions(json_t *out, const char *old_type,
			    const char *new_type, const json_t *l)
{
	for (const char *const *m = companions_of(old_type); *m; m++) {
		if (!tform_property_member_owned(*m) || takes(new_type, *m) ||
		    json_object_get(out, *m) || json_object_get(l, *m))
			continue;
		json_object_set_new(out, *m, json_null());
	}
}

/*
 * The changes that turn the member set r (a property or its items) into l
 * on owned members. With whole, every owned member of l is included, not
 * only the changed ones, and r's target-owned members are kept as they are.
 */
static json_t *member_set_patch(const json_t *r, const json_t *l, int whole,
				int type_changed)
{
	json_t *out = json_object();
	const char *k;
	json_t *lv, *rv;

	json_object_foreach((json_t *)l, k, lv) {
		if (!tform_property_member_owned(k))
			continue;
		rv = r ? json_object_get(r, k) : NULL;
		if (!strcmp(k, "items") && json_is_object(lv)) {
			int it_changed =
				type_changed ||
				str_differs(json_object_get(lv, "type"),
					    json_object_get(rv, "type"));
			json_t *sub;

			if (!json_is_object(rv)) {
				/* new items: owned members only */
				sub = member_set_patch(NULL, lv, 0, 0);
			} else if (whole) {
				sub = whole_member_set(rv, lv, it_changed);
			} else {
				sub = member_set_patch(rv, lv, 0, it_changed);
				if (!json_object_size(sub)) {
					json_decref(sub);
					continue;
				}
			}
			json_object_set_new(out, k, sub);
			continue;
		}
		if (whole || !same(lv, rv))
			json_object_set_new(out, k, json_deep_copy(lv));
	}
	json_object_foreach((json_t *)r, k, rv) {
		if (!tform_property_member_owned(k) || is_absent(rv) ||
		    server_default(k, rv))
			continue;
		if (!is_absent(json_object_get(l, k)))
			continue;
		json_object_set_new(out, k, default_of(rv, type_changed));
	}
	if (type_changed && r)
		drop_companions(out, jx_str(r, "type"), jx_str(l, "type"), l);
	if (whole) {
		json_object_foreach((json_t *)r, k, rv) {
			if (!tform_property_member_owned(k))
				json_object_set_new(out, k, json_deep_copy(rv));
		}
	}
	return out;
}

static json_t *whole_member_set(const json_t *r, const json_t *l,
				int type_changed)
{
	return member_set_patch(r, l, 1, type_changed);
}

/* The patch of one property present on both sides; NULL when unchanged. */
static json_t *property_patch(const json_t *r, const json_t *l,
			      enum api_version v)
{
	int type_changed = str_differs(json_object_get(r, "type"),
				       json_object_get(l, "type"));
	json_t *p = member_set_patch(r, l, 0, type_changed);

	if (!json_object_size(p)) {
		json_decref(p);
		return NULL;
	}
	if (v == API_PREVIEW3) {
		json_decref(p);
		p = whole_member_set(r, l, type_changed);
	}
	return p;
}

static json_t *properties_patch(const json_t *rprops, const json_t *lprops,
				enum api_version v)
{
	json_t *out = json_object();
	const char *k;
	json_t *lp, *rp;

	json_object_foreach((json_t *)lprops, k, lp) {
		rp = json_object_get(rprops, k);
		if (!json_is_object(lp)) {
			if (!json_equal(lp, rp))
				json_object_set_new(out, k, json_deep_copy(lp));
			continue;
		}
		if (!json_is_object(rp)) {
			json_object_set_new(out, k,
					    member_set_patch(NULL, lp, 0, 0));
			continue;
		}
		jx_set_new(out, k, property_patch(rp, lp, v));
	}
	json_object_foreach((json_t *)rprops, k, rp) {
		if (!json_object_get(lprops, k))
			json_object_set_new(out, k, json_null());
	}
	return out;
}

json_t *patch_compute(const json_t *remote, const json_t *desired,
		      enum api_version v)
{
	json_t *out = json_object();
	const char *k;
	json_t *lv, *rv;

	json_object_foreach((json_t *)desired, k, lv) {
		if (!tform_type_member_owned(k) || !strcmp(k, "key"))
			continue;
		rv = remote ? json_object_get(remote, k) : NULL;
		if (!strcmp(k, "properties") && json_is_object(lv)) {
			json_t *pp = properties_patch(
				json_is_object(rv) ? rv : NULL, lv, v);

			if (json_object_size(pp))
				json_object_set_new(out, k, pp);
			else
				json_decref(pp);
			continue;
		}
		if (!same(lv, rv))
			json_object_set_new(out, k, json_deep_copy(lv));
	}
	json_object_foreach((json_t *)remote, k, rv) {
		if (!tform_type_member_owned(k) || !strcmp(k, "key") ||
		    is_absent(rv) || !is_absent(json_object_get(desired, k)))
			continue;
		if (!strcmp(k, "properties") && json_is_object(rv)) {
			/* every property goes away */
			json_t *pp = properties_patch(rv, NULL, v);

			if (json_object_size(pp))
				json_object_set_new(out, k, pp);
			else
				json_decref(pp);
			continue;
		}
		json_object_set_new(out, k, default_of(rv, 0));
	}
	return out;
}

int patch_is_empty(const json_t *patch)
{
	return !patch || (json_is_object(patch) && !json_object_size(patch));
}

static void add_reason(json_t *reasons, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_reason(json_t *reasons, const char *path, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(
		reasons, json_pack("{s:s,s:s}", "path", path, "reason", b.ptr));
	buf_release(&b);
}

static const char *str_or(const json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* Whether list (an array, or NULL/null for none) holds the string s. */
static int list_has(const json_t *list, const json_t *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		if (json_equal(e, s))
			return 1;
	}
	return 0;
}

static void property_loss(json_t *reasons, const char *name, const json_t *rp,
			  const json_t *pp)
{
	struct buf path = BUF_INIT;
	const json_t *v, *ri, *pi;

	buf_addf(&path, "properties.%s", name);
	if (json_is_null(pp)) {
		add_reason(reasons, path.ptr, "property '%s' removed", name);
		goto out;
	}
	if (!json_is_object(pp))
		goto out;
	v = json_object_get(pp, "type");
	if (v && str_differs(v, json_object_get(rp, "type")))
		add_reason(reasons, path.ptr,
			   "type of '%s' changed from '%s' to '%s'", name,
			   str_or(json_object_get(rp, "type"), "(none)"),
			   str_or(v, "(none)"));
	ri = json_object_get(rp, "items");
	pi = json_object_get(pp, "items");
	if (json_is_object(ri) && pi) {
		const json_t *rt = json_object_get(ri, "type");
		const json_t *pt =
			json_is_object(pi) ? json_object_get(pi, "type") : NULL;

		if (json_is_null(pi) || (pt && str_differs(pt, rt)))
			add_reason(reasons, path.ptr,
				   "item type of '%s' changed from '%s' to "
				   "'%s'",
				   name, str_or(rt, "(none)"),
				   str_or(pt, "(none)"));
	}
	v = json_object_get(pp, "isLocalized");
	if (json_is_true(v) &&
	    !json_is_true(json_object_get(rp, "isLocalized")))
		add_reason(reasons, path.ptr, "'%s' made localized", name);
	v = json_object_get(pp, "indexingType");
	if (v && !same(v, json_object_get(rp, "indexingType")))
		add_reason(reasons, path.ptr,
			   "indexingType of '%s' changed from '%s' to '%s'",
			   name,
			   str_or(json_object_get(rp, "indexingType"),
				  "(default)"),
			   str_or(v, "(default)"));
out:
	buf_release(&path);
}

int patch_data_loss(const json_t *remote, const json_t *patch,
		    json_t **reasons_out)
{
	json_t *reasons = json_array();
	const json_t *v, *rprops, *pprops;
	const char **keys = NULL;
	size_t nr = 0, i;
	int n;

	v = json_object_get(patch, "baseType");
	if (v && remote && str_differs(v, json_object_get(remote, "baseType")))
		add_reason(
			reasons, "baseType",
			"base type changed from '%s' to '%s'",
			str_or(json_object_get(remote, "baseType"), "(none)"),
			str_or(v, "(none)"));
	v = json_object_get(patch, "mayContainTypes");
	if (v) {
		const json_t *old = json_object_get(remote, "mayContainTypes");
		json_t *e;

		json_array_foreach(old, i, e) {
			if (!list_has(v, e))
				add_reason(reasons, "mayContainTypes",
					   "mayContainTypes no longer holds "
					   "'%s'",
					   str_or(e, "?"));
		}
	}
	rprops = json_object_get(remote, "properties");
	pprops = json_object_get(patch, "properties");
	if (json_is_object(rprops) && pprops) {
		keys = jx_sorted_keys(rprops, &nr);
		for (i = 0; i < nr; i++) {
			const json_t *pp;

			if (json_is_null(pprops))
				pp = json_null();
			else if (!(pp = json_object_get(pprops, keys[i])))
				continue;
			property_loss(reasons, keys[i],
				      json_object_get(rprops, keys[i]), pp);
		}
		free(keys);
	}
	n = (int)json_array_size(reasons);
	if (reasons_out)
		*reasons_out = reasons;
	else
		json_decref(reasons);
	return n;
}

int patch_satisfied(const json_t *remote, const json_t *patch)
{
	const char *k;
	json_t *pv;

	if (!json_is_object(patch))
		return same(remote, patch);
	json_object_foreach((json_t *)patch, k, pv) {
		const json_t *rv = json_is_object(remote)
					   ? json_object_get(remote, k)
					   : NULL;

		if (json_is_object(pv)) {
			if (!patch_satisfied(json_is_object(rv) ? rv : NULL,
					     pv))
				return 0;
		} else if (!same(rv, pv)) {
			return 0;
		}
	}
	return 1;
}

json_t *patch_apply(const json_t *doc, const json_t *patch)
{
	json_t *out;
	const char *k;
	json_t *pv;

	if (!json_is_object(patch))
		return json_deep_copy(patch);
	out = json_is_object(doc) ? json_deep_copy(doc) : json_object();
	json_object_foreach((json_t *)patch, k, pv) {
		if (json_is_null(pv))
			json_object_del(out, k);
		else
			json_object_set_new(
				out, k,
				patch_apply(json_object_get(out, k), pv));
	}
	return out;
}
