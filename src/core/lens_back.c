/*
 * lens_back: the backward lens (brief §6, pull). The change from one
 * canonical target form to another is carried onto a Catalyst form, member
 * by member, so that what the change does not touch stays as it was.
 *
 * Per property the work is: the generic members (label, helpText, required,
 * order); then the type. The field keeps its Catalyst type when that type
 * can still produce the new property's shape (fits()), else it gets the type
 * the reverse of the forward table gives (reverse_type()) and the data its
 * old type left behind is cleared. Then every type-specific member that
 * changed (all of them after a retype) is written where the forward lens
 * reads it: validation, options, accept, the field's relationship.
 *
 * What cannot be expressed is found by running the forward lens over the
 * result and comparing the touched paths with the document to reach
 * (check_result()), so the warnings name exactly what did not come across.
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "core/catalyst_form.h"
#include "core/findings.h"
#include "core/keys.h"
#include "core/lens.h"
#include "core/tform.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define LENS_BACK_CODE "inexpressible-change"
#define DAY_MS 86400000LL
/* Dumped values in messages are cut here. */
#define SHOW_MAX 120

struct back_run {
	const struct lens_back_ctx *ctx;
	const char *type_key; /* for finding paths */
	json_t *form;	      /* the result being built */
	json_t *fields;	      /* its fields (borrowed from form) */
	json_t *keys;	      /* {field name: property key} of the result */
};

/* ---- small helpers --------------------------------------------------- */

static int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Equal members, where both absent is equal too. */
static int same(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	return json_equal((json_t *)a, (json_t *)b);
}

static int changed(const json_t *a, const json_t *b, const char *m)
{
	return !same(json_object_get(a, m), json_object_get(b, m));
}

static int is_type(const json_t *p, const char *t)
{
	return streq(jx_str(p, "type"), t);
}

static int has_enum(const json_t *p)
{
	return json_array_size(json_object_get(p, "enum")) > 0;
}

/* What only a text field (or text items) can say about a string. */
static int has_text_rules(const json_t *p)
{
	return json_object_get(p, "minLength") ||
	       json_object_get(p, "maxLength") || json_object_get(p, "pattern");
}

static int is_scalar(const json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/* Equal values, where 1 and 1.0 are one number (as the forward lens). */
static int same_value(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return same(a, b);
}

/* Any scalar as text, exactly as the forward lens writes it. */
static void scalar_text(struct buf *b, const json_t *v)
{
	char tmp[64];
	double d;

	if (json_is_string(v)) {
		buf_add(b, json_string_value(v), json_string_length(v));
	} else if (json_is_integer(v)) {
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		snprintf(tmp, sizeof(tmp), "%.15g", d);
		if (strtod(tmp, NULL) != d)
			snprintf(tmp, sizeof(tmp), "%.17g", d);
		buf_adds(b, tmp);
	} else if (json_is_boolean(v)) {
		buf_adds(b, json_is_true(v) ? "true" : "false");
	}
}

/* The value of an option: its "value", else its label; a scalar itself. */
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

/* Whether a field's options hold values and all of them are booleans. */
static int options_all_boolean(const json_t *field)
{
	const json_t *opt;
	size_t i;
	int any = 0;

	json_array_foreach(json_object_get(field, "options"), i, opt)
	{
		const json_t *v = option_value(opt);

		if (!v)
			continue;
		if (!json_is_boolean(v))
			return 0;
		any = 1;
	}
	return any;
}

static int has_option_values(const json_t *field)
{
	const json_t *opt;
	size_t i;

	json_array_foreach(json_object_get(field, "options"), i,
			   opt) if (option_value(opt)) return 1;
	return 0;
}

/* ---- Catalyst type classes ------------------------------------------- */

static int cat_stringy(const char *t)
{
	return streq(t, "text") || streq(t, "string") || streq(t, "textarea") ||
	       streq(t, "markdown") || streq(t, "email");
}

static int cat_rich(const char *t)
{
	return streq(t, "richText") || streq(t, "richtext");
}

static int cat_date(const char *t)
{
	return streq(t, "date") || streq(t, "datetime");
}

static int cat_json(const char *t)
{
	return streq(t, "json") || streq(t, "object");
}

/* Types the forward lens maps to arrays whatever their relationship. */
static int cat_array(const char *t)
{
	return streq(t, "multiselect") || streq(t, "tags") ||
	       streq(t, "gallery") || streq(t, "array");
}

static int cat_known(const char *t)
{
	return cat_stringy(t) || cat_rich(t) || cat_date(t) || cat_json(t) ||
	       cat_array(t) || streq(t, "number") || streq(t, "boolean") ||
	       streq(t, "url") || streq(t, "select") || streq(t, "image") ||
	       streq(t, "media") || streq(t, "reference");
}

/* ---- allowedTypes ---------------------------------------------------- */

enum allowed_kind {
	ALLOWED_NONE,  /* absent or empty */
	ALLOWED_IMAGE, /* exactly ["_image"] */
	ALLOWED_MEDIA, /* media base types only (_image, _video, _media) */
	ALLOWED_KEY,   /* one content type of the website */
	ALLOWED_OTHER  /* anything Catalyst cannot name */
};

/* The Catalyst id whose key is key (the least id when several are). */
static const char *type_id(const struct back_run *r, const char *key)
{
	const char *id, *best = NULL;
	json_t *v;

	json_object_foreach((json_t *)r->ctx->type_keys, id,
			    v) if (streq(json_string_value(v), key) &&
				   (!best || strcmp(id, best) < 0)) best = id;
	return best;
}

static int media_base(const char *s)
{
	return streq(s, "_image") || streq(s, "_video") || streq(s, "_media");
}

static enum allowed_kind allowed_kind(const struct back_run *r,
				      const json_t *allowed)
{
	size_t n = json_array_size(allowed), i;
	int media = 1;

	if (!n)
		return allowed && !json_is_array(allowed) ? ALLOWED_OTHER
							  : ALLOWED_NONE;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(allowed, i));

		if (!s)
			return ALLOWED_OTHER;
		media &= media_base(s);
	}
	if (media)
		return n == 1 && streq(json_string_value(
					       json_array_get(allowed, 0)),
				       "_image")
			       ? ALLOWED_IMAGE
			       : ALLOWED_MEDIA;
	if (n == 1 && type_id(r, json_string_value(json_array_get(allowed, 0))))
		return ALLOWED_KEY;
	return ALLOWED_OTHER;
}

/* ---- relationships --------------------------------------------------- */

/* The member name of the relationship of field fname; NULL when none. */
static const char *rel_member(const struct back_run *r, const char *fname)
{
	const json_t *rels = json_object_get(r->form, "relationships");
	const json_t *rel = catalyst_form_relationship(r->form, fname);
	const char *k;
	json_t *v;

	if (!rel)
		return NULL;
	json_object_foreach((json_t *)rels, k, v) if (v == rel) return k;
	return NULL;
}

static json_t *rel_of(const struct back_run *r, const char *fname)
{
	const char *k = rel_member(r, fname);

	return k ? json_object_get(json_object_get(r->form, "relationships"), k)
		 : NULL;
}

static void rel_remove(struct back_run *r, const char *fname)
{
	json_t *rels = json_object_get(r->form, "relationships");
	const char *k;

	/* a field may have been given more than one */
	while ((k = rel_member(r, fname)))
		json_object_del(rels, k);
}

static int rel_to_many(const json_t *rel)
{
	const char *t = jx_str(rel, "type");

	return t &&
	       (!strcasecmp(t, "oneToMany") || !strcasecmp(t, "manyToMany"));
}

/* Whether the relationship's target has a key in this target. */
static int rel_resolves(const struct back_run *r, const json_t *rel)
{
	const char *target = jx_str(rel, "targetContentTypeId");

	return target && jx_str(r->ctx->type_keys, target);
}

/* Makes a relationship to-one or to-many, keeping its source side. */
static void rel_set_many(json_t *rel, int many)
{
	const char *t = jx_str(rel, "type");
	const char *nt;

	if (rel_to_many(rel) == many)
		return;
	if (t && !strncasecmp(t, "one", 3))
		nt = many ? "oneToMany" : "oneToOne";
	else
		nt = many ? "manyToMany" : "manyToOne";
	json_object_set_new(rel, "type", json_string(nt));
}

/*
 * Points field fname at the one content type allowed (a relationship);
 * removes its relationship when nothing is allowed. Anything else cannot
 * be named by one relationship and is left for check_result to report.
 */
static void set_reference(struct back_run *r, const char *fname,
			  const json_t *allowed, int many)
{
	json_t *rels, *rel;
	const char *id, *src;
	struct buf name = BUF_INIT;
	int n = 2;

	switch (allowed_kind(r, allowed)) {
	case ALLOWED_NONE:
		rel_remove(r, fname);
		return;
	case ALLOWED_KEY:
		break;
	default:
		return;
	}
	id = type_id(r, json_string_value(json_array_get(allowed, 0)));
	rel = rel_of(r, fname);
	if (rel) {
		json_object_set_new(rel, "targetContentTypeId",
				    json_string(id));
		return;
	}
	rels = json_object_get(r->form, "relationships");
	if (!json_is_object(rels)) {
		rels = json_object();
		json_object_set_new(r->form, "relationships", rels);
	}
	buf_adds(&name, fname);
	while (json_object_get(rels, name.ptr)) {
		buf_reset(&name);
		buf_addf(&name, "%s%d", fname, n++);
	}
	/* the shape the relationships page of the UI writes */
	rel = json_object();
	json_object_set_new(rel, "name", json_string(name.ptr));
	json_object_set_new(rel, "type",
			    json_string(many ? "manyToMany" : "manyToOne"));
	src = jx_str(r->form, "id");
	if (src)
		json_object_set_new(rel, "sourceContentTypeId",
				    json_string(src));
	json_object_set_new(rel, "targetContentTypeId", json_string(id));
	json_object_set_new(rel, "fieldName", json_string(fname));
	json_object_set_new(rel, "isRequired", json_false());
	json_object_set_new(rels, name.ptr, rel);
	buf_release(&name);
}

/* ---- shapes: which Catalyst type produces a property ------------------ */

static const char *reverse_type(const struct back_run *r, const json_t *p,
				int as_item, const char **item_out);

/* select: enum values, or booleans (a boolean select has no enum). */
static int fits_select(const json_t *field, const json_t *p)
{
	const char *pt = jx_str(p, "type");

	if (has_enum(p))
		return streq(pt, "string") || streq(pt, "integer") ||
		       streq(pt, "float");
	if (streq(pt, "boolean"))
		return options_all_boolean(field);
	return streq(pt, "string") && !has_option_values(field) &&
	       !has_text_rules(p);
}

static int fits_reference(const struct back_run *r, const char *fname,
			  const json_t *p, int as_item)
{
	const json_t *items = json_object_get(p, "items");
	const json_t *rel;
	enum allowed_kind ak;

	if (is_type(p, "contentReference")) {
		ak = allowed_kind(r, json_object_get(p, "allowedTypes"));
		return ak != ALLOWED_IMAGE && ak != ALLOWED_MEDIA;
	}
	if (as_item || !is_type(p, "array") ||
	    !is_type(items, "contentReference"))
		return 0;
	ak = allowed_kind(r, json_object_get(items, "allowedTypes"));
	if (ak == ALLOWED_KEY)
		return 1;
	if (ak == ALLOWED_IMAGE || ak == ALLOWED_MEDIA)
		return 0;
	/* to-many without a key: only a relationship we cannot resolve */
	rel = catalyst_form_relationship(r->form, fname);
	return rel && !rel_resolves(r, rel);
}

/*
 * Whether Catalyst type t of field (as an array's item type when as_item)
 * can produce the shape of property p: its type, enum, items and
 * allowedTypes. Bounds and labels do not matter here.
 */
static int fits(const struct back_run *r, const char *fname,
		const json_t *field, const char *t, const json_t *p,
		int as_item)
{
	const char *pt = jx_str(p, "type");
	const json_t *items = json_object_get(p, "items");
	enum allowed_kind ak;

	if (!t || !pt)
		return 0;
	if (cat_stringy(t))
		return streq(pt, "string") && !has_enum(p) &&
		       (!streq(t, "email") || json_object_get(p, "pattern"));
	if (cat_rich(t))
		return streq(pt, "richText");
	if (streq(t, "number"))
		return (streq(pt, "float") || streq(pt, "integer")) &&
		       !has_enum(p);
	if (streq(t, "boolean"))
		return streq(pt, "boolean");
	if (cat_date(t))
		return streq(pt, "dateTime");
	if (streq(t, "url"))
		return streq(pt, "url");
	if (cat_json(t))
		return streq(pt, "json");
	if (streq(t, "select"))
		return fits_select(field, p);
	if (streq(t, "image") || streq(t, "media")) {
		ak = allowed_kind(r, json_object_get(p, "allowedTypes"));
		return streq(pt, "contentReference") &&
		       (ak == ALLOWED_IMAGE ||
			(streq(t, "media") && ak == ALLOWED_MEDIA));
	}
	if (streq(t, "reference"))
		return fits_reference(r, fname, p, as_item);
	/* unknown types, and arrays as items, are sent as plain strings */
	if (!cat_known(t) || as_item)
		return streq(pt, "string") && !has_enum(p);
	if (!streq(pt, "array") || !json_is_object(items))
		return 0;
	if (streq(t, "multiselect"))
		return fits_select(field, items);
	if (streq(t, "tags"))
		return is_type(items, "string") && !has_enum(items) &&
		       !has_text_rules(items);
	if (streq(t, "gallery"))
		return is_type(items, "contentReference") &&
		       allowed_kind(r,
				    json_object_get(items, "allowedTypes")) ==
			       ALLOWED_IMAGE;
	return reverse_type(r, items, 1, NULL) != NULL;
}

/*
 * The reverse of the forward table: the Catalyst type for property p (for
 * an array's items when as_item), and for an "array" its item type in
 * *item_out. NULL when Catalyst has no type for it.
 */
static const char *reverse_type(const struct back_run *r, const json_t *p,
				int as_item, const char **item_out)
{
	const char *pt = jx_str(p, "type");
	const json_t *items = json_object_get(p, "items");
	const char *it, *item;

	if (item_out)
		*item_out = NULL;
	if (!pt)
		return NULL;
	if (streq(pt, "string"))
		return has_enum(p) ? "select" : "text";
	if (streq(pt, "richText"))
		return "richText";
	if (streq(pt, "float") || streq(pt, "integer"))
		return has_enum(p) ? "select" : "number";
	if (streq(pt, "boolean"))
		return "boolean";
	if (streq(pt, "dateTime"))
		return "datetime";
	if (streq(pt, "url"))
		return "url";
	if (streq(pt, "json"))
		return "json";
	if (streq(pt, "contentReference")) {
		switch (allowed_kind(r, json_object_get(p, "allowedTypes"))) {
		case ALLOWED_IMAGE:
			return "image";
		case ALLOWED_MEDIA:
			return "media";
		default:
			return "reference";
		}
	}
	if (as_item || !streq(pt, "array") || !json_is_object(items))
		return NULL;
	it = jx_str(items, "type");
	if (has_enum(items) &&
	    (streq(it, "string") || streq(it, "integer") || streq(it, "float")))
		return "multiselect";
	if (streq(it, "string") && !has_text_rules(items))
		return "tags";
	if (streq(it, "contentReference")) {
		switch (allowed_kind(r,
				     json_object_get(items, "allowedTypes"))) {
		case ALLOWED_IMAGE:
			return "gallery";
		case ALLOWED_KEY:
			return "reference";
		default:
			break;
		}
	}
	item = reverse_type(r, items, 1, NULL);
	if (!item)
		return NULL;
	if (item_out)
		*item_out = item;
	return "array";
}

/* ---- writing members ------------------------------------------------- */

static json_t *validation_of(json_t *field, int make)
{
	json_t *v = json_object_get(field, "validation");

	if (json_is_object(v) || !make)
		return json_is_object(v) ? v : NULL;
	v = json_object();
	json_object_set_new(field, "validation", v);
	return v;
}

/* Sets validation[k] (taking value), or removes it when value is NULL. */
static void validation_put(json_t *field, const char *k, json_t *value)
{
	json_t *v;

	if (value) {
		json_object_set_new(validation_of(field, 1), k, value);
		return;
	}
	v = validation_of(field, 0);
	/* a validation emptied here goes; one that was empty stays */
	if (v && !json_object_del(v, k) && !json_object_size(v))
		json_object_del(field, "validation");
}

/* A count the forward lens carries: whole, 0 to INT32_MAX. */
static void set_count(json_t *field, const char *k, const json_t *v)
{
	if (!v) {
		validation_put(field, k, NULL);
		return;
	}
	if (!jx_is_integral(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > INT32_MAX)
		return;
	validation_put(field, k,
		       json_integer((json_int_t)json_number_value(v)));
}

static void set_number(json_t *field, const char *k, const json_t *v)
{
	if (!v)
		validation_put(field, k, NULL);
	else if (json_is_number(v))
		validation_put(field, k, json_deep_copy(v));
}

/*
 * A date bound, in the form Catalyst used: milliseconds when the bound (or
 * the other bound) was a number; "YYYY-MM-DD" when it was a date without a
 * time (or, with no bound to go by, the field is a date) and the new value
 * is midnight UTC; else ISO 8601 UTC as the forward lens writes it.
 */
static void set_date(json_t *field, const char *t, const char *k,
		     const char *other, const json_t *v)
{
	const json_t *validation = validation_of(field, 0);
	const json_t *old = json_object_get(validation, k);
	struct buf iso = BUF_INIT;
	long long ms, old_ms;
	unsigned parts;
	int date_only = streq(t, "date");

	if (!v) {
		validation_put(field, k, NULL);
		return;
	}
	if (!json_is_string(v) ||
	    time_parse_iso(json_string_value(v), &ms, NULL))
		return;
	if (!old || json_is_null(old))
		old = json_object_get(validation, other);
	if (json_is_integer(old)) {
		validation_put(field, k, json_integer(ms));
		return;
	}
	if (json_is_string(old) &&
	    !time_parse_iso(json_string_value(old), &old_ms, &parts))
		date_only = !(parts & TIME_HAS_CLOCK);
	if (time_format_utc(&iso, ms) < 0)
		goto out;
	if (date_only && ms % DAY_MS == 0)
		buf_setlen(&iso, 10);
	validation_put(field, k, json_stringn(iso.ptr, iso.len));
out:
	buf_release(&iso);
}

/* The option of old (not yet used) whose value matches v; -1 when none. */
static ssize_t match_option(const json_t *old, const char *used,
			    const json_t *v, int *by_text)
{
	struct buf text = BUF_INIT;
	const json_t *opt;
	ssize_t found = -1;
	size_t i;

	*by_text = 0;
	json_array_foreach(old, i, opt)
	{
		const json_t *ov = option_value(opt);

		if (used[i] || !ov)
			continue;
		if (same_value(ov, v)) {
			found = (ssize_t)i;
			break;
		}
		buf_reset(&text);
		scalar_text(&text, ov);
		/* mixed options were sent as text */
		if (found < 0 && json_is_string(v) && !json_is_string(ov) &&
		    !strcmp(text.ptr, json_string_value(v))) {
			found = (ssize_t)i;
			*by_text = 1;
		}
	}
	buf_release(&text);
	return found;
}

/*
 * Appends the old options that no enum entry took and that the forward lens
 * ignored (no usable value, or a repeat of a value that is kept): they were
 * never in the CMS, so the CMS cannot have removed them.
 */
static void keep_ignored_options(json_t *list, const json_t *old,
				 const char *used)
{
	const json_t *opt, *prev;
	size_t i, j;

	json_array_foreach(old, i, opt)
	{
		const json_t *v = option_value(opt);
		int ignored = !v;

		for (j = 0; j < i && !ignored; j++) {
			prev = json_array_get(old, j);
			ignored = used[j] && same_value(option_value(prev), v);
		}
		if (!used[i] && ignored)
			json_array_append_new(list, json_deep_copy(opt));
	}
}

/*
 * options from an enum [{value, displayName}]: an option whose value
 * matches keeps its other members (description...); the label changes only
 * where the forward lens would not show displayName.
 */
static void set_options(json_t *field, const json_t *en)
{
	const json_t *old = json_object_get(field, "options");
	char *used = xcalloc(json_array_size(old) + 1, 1);
	json_t *list = json_array();
	struct buf shown = BUF_INIT;
	const json_t *e;
	size_t i;

	if (!en) {
		json_object_del(field, "options");
		goto out;
	}
	json_array_foreach(en, i, e)
	{
		const json_t *v = json_object_get(e, "value");
		const char *dn = jx_str(e, "displayName");
		const char *label;
		json_t *opt;
		ssize_t j;
		int by_text;

		if (!is_scalar(v))
			continue;
		j = match_option(old, used, v, &by_text);
		if (j >= 0 && json_is_object(json_array_get(old, (size_t)j))) {
			used[j] = 1;
			opt = json_deep_copy(json_array_get(old, (size_t)j));
			if (by_text || json_object_get(opt, "value"))
				json_object_set_new(opt, "value",
						    json_deep_copy(v));
		} else {
			if (j >= 0)
				used[j] = 1;
			opt = json_object();
			buf_reset(&shown);
			if (dn && *dn)
				buf_adds(&shown, dn);
			else
				scalar_text(&shown, v);
			json_object_set_new(opt, "label",
					    json_stringn(shown.ptr, shown.len));
			json_object_set_new(opt, "value", json_deep_copy(v));
		}
		label = jx_str(opt, "label");
		buf_reset(&shown);
		if (label && *label)
			buf_adds(&shown, label);
		else
			scalar_text(&shown, option_value(opt));
		if (dn && *dn && strcmp(shown.ptr, dn))
			json_object_set_new(opt, "label", json_string(dn));
		json_array_append_new(list, opt);
	}
	keep_ignored_options(list, old, used);
	json_object_set_new(field, "options", list);
	list = NULL;
out:
	json_decref(list);
	buf_release(&shown);
	free(used);
}

/* The media base type of one MIME entry, as the forward lens reads it. */
static const char *mime_kind(const char *mime, size_t n)
{
	while (n && (*mime == ' ' || *mime == '\t')) {
		mime++;
		n--;
	}
	if (!n)
		return NULL;
	if (n >= 6 && !strncasecmp(mime, "video/", 6))
		return "_video";
	if (n >= 6 && !strncasecmp(mime, "image/", 6))
		return "_image";
	return "_media";
}

static int in_list(const json_t *list, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i,
			   v) if (streq(json_string_value(v), s)) return 1;
	return 0;
}

/* Keeps entry (n bytes) of an accept list when its kind is still allowed. */
static void keep_mime(json_t *kept, json_t *covered, const json_t *allowed,
		      const char *mime, size_t n)
{
	const char *kind = mime_kind(mime, n);

	while (n && (*mime == ' ' || *mime == '\t')) {
		mime++;
		n--;
	}
	if (!kind || !in_list(allowed, kind))
		return;
	json_array_append_new(kept, json_stringn(mime, n));
	if (!in_list(covered, kind))
		json_array_append_new(covered, json_string(kind));
}

/*
 * media: the accept list for allowedTypes. Entries of kinds still allowed
 * stay ("video/mp4"); each kind not covered gets a generic entry. The list
 * keeps its place (accept, else validation.allowedTypes) and its form (a
 * comma-separated string or an array).
 */
static void set_accept(json_t *field, const json_t *allowed)
{
	static const char *const generic[][2] = {
		{"_image", "image/*"},
		{"_video", "video/*"},
		{"_media", "application/*"},
	};
	json_t *accept = json_object_get(field, "accept");
	json_t *kept = json_array(), *covered = json_array();
	int in_validation = 0, as_string;
	struct buf joined = BUF_INIT;
	const json_t *v;
	size_t i;

	if (!json_array_size(allowed))
		goto out;
	if (!accept || json_is_null(accept)) {
		accept = json_object_get(validation_of(field, 0),
					 "allowedTypes");
		in_validation = accept && !json_is_null(accept);
	}
	as_string = !in_validation && (!accept || json_is_string(accept));
	if (json_is_string(accept)) {
		const char *s = json_string_value(accept), *comma;

		while ((comma = strchr(s, ','))) {
			keep_mime(kept, covered, allowed, s,
				  (size_t)(comma - s));
			s = comma + 1;
		}
		keep_mime(kept, covered, allowed, s, strlen(s));
	} else {
		json_array_foreach(accept, i, v) if (json_is_string(v))
			keep_mime(kept, covered, allowed, json_string_value(v),
				  json_string_length(v));
	}
	for (i = 0; i < sizeof(generic) / sizeof(*generic); i++)
		if (in_list(allowed, generic[i][0]) &&
		    !in_list(covered, generic[i][0]))
			json_array_append_new(kept, json_string(generic[i][1]));
	if (in_validation) {
		validation_put(field, "allowedTypes", kept);
		kept = NULL;
	} else if (!as_string) {
		json_object_set_new(field, "accept", kept);
		kept = NULL;
	} else {
		json_array_foreach(kept, i, v)
		{
			if (i)
				buf_adds(&joined, ", ");
			buf_adds(&joined, json_string_value(v));
		}
		json_object_set_new(field, "accept",
				    json_stringn(joined.ptr, joined.len));
	}
out:
	json_decref(kept);
	json_decref(covered);
	buf_release(&joined);
}

/*
 * Writes member m of a property (or of its items when as_item) onto field,
 * whose (item) type is t, where the forward lens reads it. A value the
 * lens would not carry is left out; check_result reports it.
 */
static void set_member(json_t *field, const char *t, const char *m,
		       const json_t *v, int as_item)
{
	if (streq(m, "minLength") || streq(m, "maxLength")) {
		if (cat_stringy(t))
			set_count(field, m, v);
	} else if (streq(m, "pattern")) {
		if (!cat_stringy(t))
			return;
		if (!v)
			validation_put(field, m, NULL);
		else if (json_is_string(v))
			validation_put(field, m, json_deep_copy(v));
	} else if (streq(m, "minimum") || streq(m, "maximum")) {
		int min = streq(m, "minimum");

		if (streq(t, "number"))
			set_number(field, min ? "min" : "max", v);
		else if (cat_date(t))
			set_date(field, t, min ? "minDate" : "maxDate",
				 min ? "maxDate" : "minDate", v);
	} else if (streq(m, "enum")) {
		/* a multiselect's enum is on its items, passed as "select" */
		if (streq(t, "select"))
			set_options(field, v);
	} else if (streq(m, "minItems") || streq(m, "maxItems")) {
		if (!as_item && (cat_array(t) || streq(t, "reference")))
			set_count(field, m, v);
	} else if (streq(m, "allowedTypes")) {
		/* references are pointed by set_reference */
		if (streq(t, "media"))
			set_accept(field, v);
	}
}

/* The members whose meaning depends on the type. */
static const char *const typed_members[] = {
	"minLength", "maxLength", "pattern",  "minimum",      "maximum",
	"enum",	     "minItems",  "maxItems", "allowedTypes", NULL,
};

/* The validation keys the forward lens reads, by what reads them. */
static const char *const item_validation[] = {
	"minLength", "maxLength", "pattern", "min", "max",
	"precision", "minDate",	  "maxDate", NULL,
};

static void drop_validation(json_t *field, const char *const *keys)
{
	for (; *keys; keys++)
		validation_put(field, *keys, NULL);
}

/*
 * Clears what the old (item) type of field fname left that type t (with
 * item type item) does not read, so that the new type's members are
 * written on a clean slate.
 */
static void clear_type_data(struct back_run *r, json_t *field,
			    const char *fname, const char *t, const char *item)
{
	static const char *const counts[] = {"minItems", "maxItems", NULL};
	const char *eff = item ? item : t;

	drop_validation(field, item_validation);
	if (!item)
		drop_validation(field, counts);
	if (!streq(t, "multiselect") && !streq(eff, "select"))
		json_object_del(field, "options");
	if (!streq(eff, "media"))
		json_object_del(field, "accept");
	if (!streq(eff, "reference"))
		rel_remove(r, fname);
	if (!streq(t, "object"))
		json_object_del(field, "fields");
}

static void retype(struct back_run *r, json_t *field, const char *fname,
		   const char *t, const char *item)
{
	json_object_set_new(field, "type", json_string(t));
	if (item)
		json_object_set_new(field, "itemType", json_string(item));
	else
		json_object_del(field, "itemType");
	clear_type_data(r, field, fname, t, NULL);
}

/* number: integer exactly when validation.precision is 0. */
static void adjust_number(json_t *field, const char *t, const json_t *p)
{
	const json_t *prec =
		json_object_get(validation_of(field, 0), "precision");
	int zero = json_is_number(prec) && json_number_value(prec) == 0;

	if (!streq(t, "number"))
		return;
	if (is_type(p, "integer") && !zero)
		validation_put(field, "precision", json_integer(0));
	else if (is_type(p, "float") && zero)
		validation_put(field, "precision", NULL);
}

/* The allowedTypes that name a reference's target. */
static const json_t *target_types(const json_t *p)
{
	if (is_type(p, "array"))
		return json_object_get(json_object_get(p, "items"),
				       "allowedTypes");
	return json_object_get(p, "allowedTypes");
}

/*
 * The type-specific part of a property: fp is the property before (NULL:
 * write every member of tp), tp after.
 */
static void apply_typed(struct back_run *r, const char *fname, json_t *field,
			const json_t *fp, const json_t *tp)
{
	const char *t = jx_str(field, "type"), *nt, *nitem, *it;
	const json_t *ti = json_object_get(tp, "items"), *fi;
	int many = is_type(tp, "array");
	json_t *rel;

	if (!fits(r, fname, field, t, tp, 0)) {
		nt = reverse_type(r, tp, 0, &nitem);
		if (!nt)
			return; /* check_result reports the type */
		retype(r, field, fname, nt, nitem);
		t = nt;
		fp = NULL;
	}
	adjust_number(field, t, tp);
	if (streq(t, "reference")) {
		rel = rel_of(r, fname);
		if (rel)
			rel_set_many(rel, many);
		if (!fp || !same(target_types(fp), target_types(tp)))
			set_reference(r, fname, target_types(tp), many);
	}
	for (size_t i = 0; typed_members[i]; i++)
		if (!fp || changed(fp, tp, typed_members[i]))
			set_member(field, t, typed_members[i],
				   json_object_get(tp, typed_members[i]), 0);

	/* the items of arrays that carry members on them */
	fi = fp ? json_object_get(fp, "items") : NULL;
	if (streq(t, "multiselect")) {
		it = "select";
	} else if (streq(t, "array") && json_is_object(ti)) {
		it = jx_str(field, "itemType");
		if (!fits(r, fname, field, it, ti, 1)) {
			it = reverse_type(r, ti, 1, NULL);
			if (!it)
				return; /* fits() of the array says never */
			json_object_set_new(field, "itemType", json_string(it));
			clear_type_data(r, field, fname, t, it);
			fi = NULL;
		}
		adjust_number(field, it, ti);
		if (streq(it, "reference") &&
		    (!fi || changed(fi, ti, "allowedTypes")))
			set_reference(r, fname,
				      json_object_get(ti, "allowedTypes"), 1);
	} else {
		return;
	}
	for (size_t i = 0; typed_members[i]; i++)
		if (!fi || changed(fi, ti, typed_members[i]))
			set_member(field, it, typed_members[i],
				   json_object_get(ti, typed_members[i]), 1);
}

/* label, helpText, required, order: from whatever changed of fp -> tp. */
static void apply_generic(json_t *field, const char *fname, const json_t *fp,
			  const json_t *tp)
{
	const char *d, *label;
	const json_t *v;

	if (changed(fp, tp, "displayName")) {
		d = jx_str(tp, "displayName");
		label = jx_str(field, "label");
		/* no displayName cannot be said: check_result reports it */
		if (d && *d && strcmp(d, label && *label ? label : fname))
			json_object_set_new(field, "label", json_string(d));
	}
	if (changed(fp, tp, "description")) {
		d = jx_str(tp, "description");
		if (d)
			json_object_set_new(field, "helpText", json_string(d));
		else
			json_object_del(field, "helpText");
	}
	if (changed(fp, tp, "isRequired"))
		json_object_set_new(field, "required",
				    json_boolean(jx_true(tp, "isRequired")));
	v = json_object_get(tp, "sortOrder");
	/* a field always has an order: no sortOrder leaves it */
	if (changed(fp, tp, "sortOrder") && jx_is_integral(v) &&
	    fabs(json_number_value(v)) <= INT32_MAX)
		json_object_set_new(
			field, "order",
			json_integer((json_int_t)json_number_value(v)));
}

/* ---- fields by property key ----------------------------------------- */

/* The field that has property key key (the least name when several do). */
static const char *field_for_key(const struct back_run *r, const char *key)
{
	const char *name, *best = NULL;
	json_t *v;

	json_object_foreach(r->keys, name,
			    v) if (streq(json_string_value(v), key) &&
				   json_object_get(r->fields, name) &&
				   (!best || strcmp(name, best) < 0)) best =
		name;
	return best;
}

static int field_name_taken(const struct back_run *r, const char *name)
{
	const char *k;
	json_t *v;

	json_object_foreach(r->fields, k, v) if (!strcasecmp(k, name)) return 1;
	return 0;
}

/* The order after the last field's. */
static json_int_t next_order(const struct back_run *r)
{
	json_int_t next = 0;
	const char *k;
	json_t *f;

	json_object_foreach(r->fields, k, f)
	{
		const json_t *o = json_object_get(f, "order");

		if (jx_is_integral(o) && json_number_value(o) >= (double)next &&
		    json_number_value(o) < INT32_MAX)
			next = (json_int_t)json_number_value(o) + 1;
	}
	return next;
}

/*
 * An added property: a new field named after its key (so the key stays),
 * in the member order Catalyst writes: label, type, required, validation,
 * options, helpText, order.
 */
static void add_field(struct back_run *r, const char *key, const json_t *tp)
{
	const char *t, *item, *d = jx_str(tp, "displayName");
	json_t *field, *order = json_object_get(tp, "sortOrder");
	struct buf name = BUF_INIT;
	int n = 2;

	t = reverse_type(r, tp, 0, &item);
	if (!t)
		return; /* check_result reports it */
	buf_adds(&name, key);
	while (field_name_taken(r, name.ptr)) {
		buf_reset(&name);
		buf_addf(&name, "%s%d", key, n++);
	}
	field = json_object();
	if (d && *d)
		json_object_set_new(field, "label", json_string(d));
	json_object_set_new(field, "type", json_string(t));
	if (item)
		json_object_set_new(field, "itemType", json_string(item));
	json_object_set_new(field, "required",
			    json_boolean(jx_true(tp, "isRequired")));
	json_object_set_new(r->fields, name.ptr, field);
	json_object_set_new(r->keys, name.ptr, json_string(key));
	apply_typed(r, name.ptr, field, NULL, tp);
	if (jx_str(tp, "description"))
		json_object_set_new(field, "helpText",
				    json_string(jx_str(tp, "description")));
	if (jx_is_integral(order) &&
	    fabs(json_number_value(order)) <= INT32_MAX)
		json_object_set_new(
			field, "order",
			json_integer((json_int_t)json_number_value(order)));
	else
		json_object_set_new(field, "order",
				    json_integer(next_order(r)));
	buf_release(&name);
}

static void remove_field(struct back_run *r, const char *fname)
{
	rel_remove(r, fname);
	json_object_del(r->keys, fname);
	json_object_del(r->fields, fname);
}

/* One property that differs between fp and tp (either may be NULL). */
static void apply_property(struct back_run *r, const char *key,
			   const json_t *fp, const json_t *tp)
{
	const char *found = field_for_key(r, key);
	char *fname = found ? xstrdup(found) : NULL;
	json_t *field = fname ? json_object_get(r->fields, fname) : NULL;

	if (!tp) {
		if (fname)
			remove_field(r, fname);
	} else if (!field) {
		add_field(r, key, tp);
	} else {
		apply_generic(field, fname, fp, tp);
		apply_typed(r, fname, field, fp, tp);
	}
	free(fname);
}

/* ---- the type itself ------------------------------------------------- */

static const char *category_of(const char *base_type)
{
	if (streq(base_type, "_page"))
		return "page";
	if (streq(base_type, "_component"))
		return "component";
	if (streq(base_type, "_folder"))
		return "folder";
	return NULL;
}

/* Sets form[k], and settings[k] when the form keeps one there too. */
static void set_mirrored(json_t *form, const char *k, const char *v)
{
	json_t *settings = json_object_get(form, "settings");

	if (v)
		json_object_set_new(form, k, json_string(v));
	else
		json_object_del(form, k);
	if (!json_is_object(settings) || !json_object_get(settings, k))
		return;
	if (v)
		json_object_set_new(settings, k, json_string(v));
	else
		json_object_del(settings, k);
}

static void apply_type(struct back_run *r, const json_t *from, const json_t *to)
{
	const char *d;

	if (changed(from, to, "displayName")) {
		d = jx_str(to, "displayName");
		if (d && *d)
			json_object_set_new(r->form, "name", json_string(d));
	}
	if (changed(from, to, "description"))
		set_mirrored(r->form, "description", jx_str(to, "description"));
	if (changed(from, to, "baseType")) {
		d = category_of(jx_str(to, "baseType"));
		if (d)
			set_mirrored(r->form, "category", d);
	}
}

/* The skeleton of a type new to Catalyst, with its type-level members. */
static json_t *new_form(const char *type_key, const json_t *to)
{
	const char *name = jx_str(to, "displayName");
	const char *desc = jx_str(to, "description");
	const char *cat = category_of(jx_str(to, "baseType"));
	json_t *form = json_object();

	json_object_set_new(form, "name",
			    json_string(name && *name ? name : type_key));
	if (desc)
		json_object_set_new(form, "description", json_string(desc));
	json_object_set_new(form, "category",
			    json_string(cat ? cat : "component"));
	json_object_set_new(form, "fields", json_object());
	json_object_set_new(form, "relationships", json_object());
	return form;
}

/* ---- what did not come across ---------------------------------------- */

static void show(struct buf *b, const json_t *v)
{
	size_t start = b->len;

	if (!v) {
		buf_adds(b, "nothing");
		return;
	}
	jx_dump_compact(b, v);
	if (b->len - start > SHOW_MAX) {
		buf_setlen(b, start + SHOW_MAX);
		buf_adds(b, "...");
	}
}

static void warn_member(struct back_run *r, const char *path, const char *what,
			const json_t *want, const json_t *got,
			const char *fname)
{
	struct buf p = BUF_INIT, w = BUF_INIT, g = BUF_INIT, f = BUF_INIT;
	const json_t *field = json_object_get(r->fields, fname);

	buf_addf(&p, "%s:%s", r->type_key, path);
	show(&w, want);
	show(&g, got);
	if (field)
		buf_addf(&f, " (field '%s' of type '%s')", fname,
			 jx_str(field, "type") ? jx_str(field, "type") : "?");
	if (want)
		findings_add(r->ctx->findings, FINDING_WARNING, LENS_BACK_CODE,
			     p.ptr,
			     "the CMS has %s %s, which Catalyst cannot "
			     "hold%s; Catalyst keeps %s",
			     what, w.ptr, f.ptr, g.ptr);
	else
		findings_add(r->ctx->findings, FINDING_WARNING, LENS_BACK_CODE,
			     p.ptr,
			     "the CMS has no %s, which Catalyst cannot "
			     "express%s; Catalyst keeps %s",
			     what, f.ptr, g.ptr);
	buf_release(&p);
	buf_release(&w);
	buf_release(&g);
	buf_release(&f);
}

/* Equal date-time bounds written differently ("+00:00" and "Z"). */
static int same_time(const json_t *a, const json_t *b)
{
	long long x, y;

	return json_is_string(a) && json_is_string(b) &&
	       !time_parse_iso(json_string_value(a), &x, NULL) &&
	       !time_parse_iso(json_string_value(b), &y, NULL) && x == y;
}

/* Compares the owned members of one property (or its items). */
static void check_members(struct back_run *r, struct buf *path, const char *key,
			  const char *fname, const json_t *got,
			  const json_t *want)
{
	struct buf what = BUF_INIT;
	size_t base = path->len;
	const char **names;
	size_t nr, i;
	json_t *both = json_object();

	if (changed(got, want, "type")) {
		buf_adds(path, ".type");
		buf_addf(&what, "type of property '%s'", key);
		warn_member(r, path->ptr, what.ptr,
			    json_object_get(want, "type"),
			    json_object_get(got, "type"), fname);
		goto out;
	}
	json_object_update(both, (json_t *)got);
	json_object_update(both, (json_t *)want);
	names = jx_sorted_keys(both, &nr);
	for (i = 0; i < nr; i++) {
		const json_t *a = json_object_get(got, names[i]);
		const json_t *b = json_object_get(want, names[i]);

		if (same(a, b) || (streq(names[i], "sortOrder") && !b))
			continue;
		if ((streq(names[i], "minimum") ||
		     streq(names[i], "maximum")) &&
		    same_time(a, b))
			continue;
		buf_setlen(path, base);
		buf_addf(path, ".%s", names[i]);
		if (streq(names[i], "items") && json_is_object(a) &&
		    json_is_object(b)) {
			check_members(r, path, key, fname, a, b);
			continue;
		}
		buf_reset(&what);
		buf_addf(&what, "%s of property '%s'", names[i], key);
		warn_member(r, path->ptr, what.ptr, b, a, fname);
	}
	buf_setlen(path, base);
	free(names);
out:
	json_decref(both);
	buf_release(&what);
}

/*
 * Runs the forward lens over the result and reports each touched member
 * where it does not give what `to` holds: those are the changes Catalyst
 * cannot express.
 */
static void check_result(struct back_run *r, const json_t *from,
			 const json_t *to, const json_t *touched)
{
	static const char *const type_members[] = {
		"key", "displayName", "description", "baseType", NULL};
	struct lens_ctx lc = {r->type_key, r->ctx->type_keys, r->keys, NULL,
			      NULL};
	const json_t *props, *want_props;
	struct buf path = BUF_INIT, what = BUF_INIT;
	json_t *doc = NULL;
	size_t i;

	if (!r->ctx->findings)
		return;
	/*
	 * Only input the forward lens refuses anyway (two fields with one
	 * persisted key) fails here; the result stands, and the caller's own
	 * forward run reports it.
	 */
	if (lens_forward(&doc, r->form, &lc) < 0) {
		err_clear();
		goto out;
	}
	for (i = 0; type_members[i]; i++) {
		const char *m = type_members[i];

		/* a new type (from NULL) has all of them changed */
		if ((from && !changed(from, to, m)) || !changed(doc, to, m))
			continue;
		buf_reset(&what);
		buf_addf(&what, "%s", m);
		warn_member(r, m, what.ptr, json_object_get(to, m),
			    json_object_get(doc, m), "");
	}
	props = json_object_get(doc, "properties");
	want_props = json_object_get(to, "properties");
	for (i = 0; i < json_array_size(touched); i++) {
		const char *key = json_string_value(json_array_get(touched, i));
		const json_t *want = json_object_get(want_props, key);
		const json_t *got = json_object_get(props, key);
		struct buf p = BUF_INIT;

		if (!want)
			continue;
		buf_reset(&path);
		buf_addf(&path, "properties.%s", key);
		if (got) {
			check_members(r, &path, key, field_for_key(r, key), got,
				      want);
			continue;
		}
		buf_addf(&p, "%s:%s", r->type_key, path.ptr);
		findings_add(r->ctx->findings, FINDING_WARNING, LENS_BACK_CODE,
			     p.ptr,
			     "property '%s' of type '%s' cannot be held in "
			     "Catalyst; it is not pulled",
			     key,
			     jx_str(want, "type") ? jx_str(want, "type") : "?");
		buf_release(&p);
	}
out:
	json_decref(doc);
	buf_release(&path);
	buf_release(&what);
}

/* ---- input ----------------------------------------------------------- */

/* A canonical document's owned members, after checking their shape. */
static int owned_doc(json_t **out, const json_t *doc, const char *which)
{
	const json_t *props, *p;
	json_t *canon;
	const char *k;

	*out = NULL;
	if (!json_is_object(doc))
		return err_set(ERR_INVALID, "the %s document is not an object",
			       which);
	props = json_object_get(doc, "properties");
	if (props && !json_is_object(props))
		return err_set(ERR_INVALID,
			       "properties of the %s document is not an "
			       "object",
			       which);
	json_object_foreach((json_t *)props, k, p)
	{
		const json_t *items = json_object_get(p, "items");

		if (!json_is_object(p))
			return err_set(ERR_INVALID,
				       "property '%s' of the %s document is "
				       "not an object",
				       k, which);
		if (items && !json_is_object(items) && !json_is_null(items))
			return err_set(ERR_INVALID,
				       "items of property '%s' of the %s "
				       "document is not an object",
				       k, which);
	}
	canon = tform_canonical(doc, API_V1);
	*out = tform_owned(canon);
	json_decref(canon);
	return 0;
}

static int check_form(const json_t *form, const json_t *prop_keys)
{
	const json_t *fields = json_object_get(form, "fields");
	const json_t *rels = json_object_get(form, "relationships");
	const char *name = jx_str(form, "name");
	const char *k;
	json_t *v;

	if (!json_is_object(form))
		return err_set(ERR_INVALID, "the Catalyst form is not an "
					    "object");
	if (!name)
		name = "?";
	if (fields && !json_is_object(fields))
		return err_set(ERR_INVALID,
			       "the fields of content type '%s' are not an "
			       "object",
			       name);
	if (rels && !json_is_object(rels) && !json_is_null(rels))
		return err_set(ERR_INVALID,
			       "the relationships of content type '%s' are "
			       "not an object",
			       name);
	json_object_foreach((json_t *)fields, k, v) if (
		!json_is_object(
			v)) return err_set(ERR_INVALID,
					   "field '%s' of content type '%s' is "
					   "not an object",
					   k, name);
	if (prop_keys && !json_is_object(prop_keys))
		return err_set(ERR_INVALID,
			       "the property keys of content type '%s' are "
			       "not an object",
			       name);
	return 0;
}

/* Two fields with one key, as lens_forward refuses them. */
static int check_keys(const json_t *keys, const json_t *form)
{
	const char **names;
	size_t nr, i, j;
	int ret = 0;

	names = jx_sorted_keys(keys, &nr);
	for (i = 0; i < nr && !ret; i++)
		for (j = i + 1; j < nr && !ret; j++)
			if (streq(jx_str(keys, names[i]),
				  jx_str(keys, names[j])))
				ret = err_set(ERR_INVALID,
					      "fields '%s' and '%s' of content "
					      "type '%s' both have property "
					      "key '%s'",
					      names[i], names[j],
					      jx_str(form, "name"),
					      jx_str(keys, names[i]));
	free(names);
	return ret;
}

/* The keys of the properties that differ between from and to, sorted. */
static json_t *touched_keys(const json_t *from, const json_t *to)
{
	const json_t *fp = json_object_get(from, "properties");
	const json_t *tp = json_object_get(to, "properties");
	json_t *all = json_object(), *list = json_array();
	const char **names;
	size_t nr, i;

	json_object_update(all, (json_t *)fp);
	json_object_update(all, (json_t *)tp);
	names = jx_sorted_keys(all, &nr);
	for (i = 0; i < nr; i++)
		if (changed(fp, tp, names[i]))
			json_array_append_new(list, json_string(names[i]));
	free(names);
	json_decref(all);
	return list;
}

int lens_backward(json_t **out, const json_t *form, const json_t *from,
		  const json_t *to, const struct lens_back_ctx *ctx,
		  json_t **keys_out)
{
	struct back_run r = {ctx, NULL, NULL, NULL, NULL};
	json_t *own_from = NULL, *own_to = NULL, *fwd = NULL, *touched = NULL;
	const json_t *fprops, *tprops;
	size_t i;
	int no_fields = 0, ret = -1;

	assert(out && ctx);
	*out = NULL;
	if (keys_out)
		*keys_out = NULL;
	r.type_key = ctx->type_key && *ctx->type_key ? ctx->type_key
						     : jx_str(to, "key");
	if (!r.type_key || !*r.type_key) {
		ret = err_set(ERR_INVALID,
			      "the content type to pull has no key");
		goto out;
	}
	if ((ret = owned_doc(&own_to, to, "pulled")) < 0)
		goto out;
	if (form) {
		if ((ret = check_form(form, ctx->prop_keys)) < 0)
			goto out;
		r.form = json_deep_copy(form);
		no_fields = !json_object_get(r.form, "fields");
		if (no_fields)
			json_object_set_new(r.form, "fields", json_object());
		/* keep the persisted keys; make those missing as forward */
		r.keys = keys_assign_properties(
			form, ctx->prop_keys, jx_str(form, "name"),
			lens_base_type(jx_str(form, "category")), NULL);
		if ((ret = check_keys(r.keys, form)) < 0)
			goto out;
		if (!from) {
			struct lens_ctx lc = {r.type_key, ctx->type_keys,
					      r.keys, NULL, NULL};

			if ((ret = lens_forward(&fwd, form, &lc)) < 0)
				goto out;
			from = fwd;
		}
		if ((ret = owned_doc(&own_from, from, "base")) < 0)
			goto out;
		apply_type(&r, own_from, own_to);
	} else {
		/* a type new to Catalyst: every member of `to` is a change */
		r.form = new_form(r.type_key, own_to);
		r.keys = json_object();
		own_from = json_object();
	}
	r.fields = json_object_get(r.form, "fields");

	touched = touched_keys(own_from, own_to);
	fprops = json_object_get(own_from, "properties");
	tprops = json_object_get(own_to, "properties");
	/* removals first, so that added fields may take freed names */
	for (i = 0; i < json_array_size(touched); i++) {
		const char *key = json_string_value(json_array_get(touched, i));

		if (!json_object_get(tprops, key))
			apply_property(&r, key, json_object_get(fprops, key),
				       NULL);
	}
	for (i = 0; i < json_array_size(touched); i++) {
		const char *key = json_string_value(json_array_get(touched, i));
		const json_t *tp = json_object_get(tprops, key);

		if (tp)
			apply_property(&r, key, json_object_get(fprops, key),
				       tp);
	}
	if (json_array_size(touched) || !json_equal(own_from, own_to))
		check_result(&r, form ? own_from : NULL, own_to, touched);

	/* a form without fields that gained none stays without */
	if (no_fields && !json_object_size(r.fields))
		json_object_del(r.form, "fields");
	*out = r.form;
	r.form = NULL;
	if (keys_out) {
		*keys_out = r.keys;
		r.keys = NULL;
	}
	ret = 0;
out:
	json_decref(r.form);
	json_decref(r.keys);
	json_decref(own_from);
	json_decref(own_to);
	json_decref(fwd);
	json_decref(touched);
	return ret;
}
