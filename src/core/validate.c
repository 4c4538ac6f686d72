/*
 * validate: stages (1) and (2) of brief §10. The codes, their severities and
 * the path format are documented in docs/validation.md; keep the two in step.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/findings.h"
#include "core/catalyst_form.h"
#include "core/keys.h"
#include "core/pattern.h"
#include "core/validate.h"
#include "util/buf.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#include "util/banned.h"

#define VALIDATE_KEY_MAX 255
#define VALIDATE_NAME_MAX 255
#define VALIDATE_TYPE_DESC_MAX 255
#define VALIDATE_PROP_DESC_MAX 2000
/* Values quoted in messages are cut after this many bytes. */
#define VALIDATE_QUOTE_MAX 80

/* What one validation run carries around. */
struct vctx {
	struct findings *findings;
	/* "<type>:" followed by the member path being looked at. */
	struct buf path;
	/* Stage 2: known type keys (may be NULL) and the type's own key. */
	const json_t *known;
	const char *self_key;
};

/* ------------------------------------------------------------------ */
/* Paths, messages and small helpers                                  */

static size_t path_push(struct vctx *c, const char *seg)
{
	size_t old = c->path.len;

	if (c->path.len && c->path.ptr[c->path.len - 1] != ':')
		buf_addch(&c->path, '.');
	buf_adds(&c->path, seg);
	return old;
}

static size_t path_push_index(struct vctx *c, size_t i)
{
	size_t old = c->path.len;

	buf_addf(&c->path, "[%zu]", i);
	return old;
}

static void path_pop(struct vctx *c, size_t old)
{
	buf_setlen(&c->path, old);
}

/*
 * Adds a finding at the current path, extended by member when it is not
 * NULL ("maxLength" or "[2].value" style segments both work).
 */
static void report(struct vctx *c, enum finding_severity sev, const char *code,
		   const char *member, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void report(struct vctx *c, enum finding_severity sev, const char *code,
		   const char *member, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	size_t old = c->path.len;
	va_list ap;

	if (member)
		path_push(c, member);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	findings_add(c->findings, sev, code, c->path.ptr, "%s", msg.ptr);
	path_pop(c, old);
	buf_release(&msg);
}

/* Appends s (n bytes), cut on a character boundary when it is long. */
static void add_cut(struct buf *b, const char *s, size_t n)
{
	size_t cut = n;

	if (n > VALIDATE_QUOTE_MAX) {
		cut = VALIDATE_QUOTE_MAX;
		while (cut && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
	}
	buf_add(b, s, cut);
	if (cut < n)
		buf_adds(b, "...");
}

static void add_number(struct buf *b, double d)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%.15g", d);
	if (strtod(tmp, NULL) != d)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	buf_adds(b, tmp);
}

/*
 * The text of a JSON value for a message (without quotes): strings as they
 * are (cut when long), numbers in their shortest form, others as JSON.
 * Returns b->ptr; b is reset first.
 */
static const char *vtext(struct buf *b, const json_t *v)
{
	buf_reset(b);
	switch (json_typeof(v)) {
	case JSON_STRING:
		add_cut(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		add_number(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_adds(b, "true");
		break;
	case JSON_FALSE:
		buf_adds(b, "false");
		break;
	case JSON_NULL:
		buf_adds(b, "null");
		break;
	default: {
		struct buf dump = BUF_INIT;

		jx_dump_compact(&dump, v);
		add_cut(b, dump.ptr, dump.len);
		buf_release(&dump);
		break;
	}
	}
	return b->ptr;
}

/* A string quoted for a message, cut when long. */
static const char *stext(struct buf *b, const char *s)
{
	buf_reset(b);
	add_cut(b, s, strlen(s));
	return b->ptr;
}

/*
 * The members of the object being checked, taken in one pass: the checks of
 * one property look it up by name some forty times, and a scan of a few
 * members is cheaper than as many hash lookups. snap_push makes the
 * snapshot current for the checks of that object (the innermost one only);
 * snap_pop restores the one before. The object is not changed meanwhile:
 * validation only reads.
 */
#define SNAP_MAX 32

struct snap {
	const json_t *obj; /* NULL: none taken (too many members) */
	size_t nr;
	const char *key[SNAP_MAX];
	size_t len[SNAP_MAX];
	json_t *val[SNAP_MAX];
};

static _Thread_local const struct snap *snap_cur;

static const struct snap *snap_push(struct snap *s, const json_t *obj)
{
	const struct snap *prev = snap_cur;
	const char *k;
	size_t len;
	json_t *v;

	s->obj = NULL;
	s->nr = 0;
	if (!json_is_object(obj) || json_object_size(obj) > SNAP_MAX)
		return prev;
	json_object_keylen_foreach((json_t *)obj, k, len, v)
	{
		s->key[s->nr] = k;
		s->len[s->nr] = len;
		s->val[s->nr] = v;
		s->nr++;
	}
	s->obj = obj;
	snap_cur = s;
	return prev;
}

static void snap_pop(const struct snap *prev)
{
	snap_cur = prev;
}

/* json_object_get, answered from the snapshot when it is of obj. */
static json_t *lookup(const json_t *obj, const char *key)
{
	const struct snap *s = snap_cur;
	size_t len;

	if (!s || s->obj != obj)
		return json_object_get(obj, key);
	len = strlen(key);
	for (size_t i = 0; i < s->nr; i++)
		if (s->len[i] == len && !memcmp(s->key[i], key, len))
			return s->val[i];
	return NULL;
}

/* A member, treating JSON null as absent (null means "absent", brief §4). */
static json_t *member(const json_t *obj, const char *key)
{
	json_t *v = lookup(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* Characters (UTF-8 code points) in n bytes. */
static size_t utf8_chars(const char *s, size_t n)
{
	size_t chars = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			chars++;
	return chars;
}

/* Whole number held by a JSON integer, or by a real with no fraction. */
static int json_as_int(const json_t *v, long long *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 1;
	}
	if (!json_is_real(v))
		return 0;
	d = json_real_value(v);
	if (d != floor(d) || d < -9.2e18 || d > 9.2e18)
		return 0;
	*out = (long long)d;
	return 1;
}

static const char *kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	default:
		return "null";
	}
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (s[0] == (*list)[0] && !strcmp(s, *list))
			return 1;
	return 0;
}

static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Reads n digits at s into *out; 0 when they are not all digits. */
/*
 * A Catalyst date ("2024-01-01", "2024-01-01T10:00:00Z", "2024-01-01
 * 10:00") as milliseconds since the epoch. Returns 0 when s is none.
 */
static int parse_catalyst_date(const char *s, long long *out)
{
	return time_parse_iso(s, out, NULL) == 0;
}

/* An ISO 8601 date-time string as the service takes it ("...T...Z"). */
static int is_iso_datetime(const char *s)
{
	long long ms;
	unsigned parts;

	return !time_parse_iso(s, &ms, &parts) && (parts & TIME_T_SEPARATOR);
}

/* ------------------------------------------------------------------ */
/* Stage 1: the Catalyst form                                          */

static const char *const catalyst_types[] = {
	"text",	   "textarea", "richText", "richtext",	"number", "boolean",
	"date",	   "datetime", "image",	   "reference", "select", "multiselect",
	"gallery", "tags",     "json",	   "url",	"array",  "markdown",
	"email",   "object",   "media",	   "string",	NULL};

/*
 * True when a name has something to make a property key from: an ASCII
 * letter or digit, or a Latin letter with an accent (U+00C0..U+017F,
 * which key generation folds to its base letter).
 */
static int name_has_key_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (is_alpha(*p) || is_digit(*p))
			return 1;
		if (p[0] == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF &&
		    p[1] != 0x97 && p[1] != 0xB7)
			return 1;
		if ((p[0] == 0xC4 || p[0] == 0xC5) && p[1] >= 0x80 &&
		    p[1] <= 0xBF)
			return 1;
	}
	return 0;
}

/*
 * A non-negative whole number in a validation object. Returns 1 with *out
 * set when usable; reports and returns 0 when it is there but wrong; 0
 * when absent.
 */
static int cat_count(struct vctx *c, const json_t *v, const char *key,
		     const char *field, long long *out)
{
	struct buf t = BUF_INIT;
	json_t *x = member(v, key);
	int ok = 0;

	if (!x)
		return 0;
	if (!json_as_int(x, out)) {
		report(c, FINDING_ERROR, "invalid-validation", key,
		       "%s '%s' of field '%s' is not a whole number", key,
		       vtext(&t, x), field);
	} else if (*out < 0) {
		report(c, FINDING_ERROR, "invalid-bounds", key,
		       "%s '%lld' of field '%s' is negative", key, *out, field);
	} else {
		ok = 1;
	}
	buf_release(&t);
	return ok;
}

static int cat_number(struct vctx *c, const json_t *v, const char *key,
		      const char *field, double *out)
{
	struct buf t = BUF_INIT;
	json_t *x = member(v, key);

	if (!x)
		return 0;
	if (json_is_number(x)) {
		*out = json_number_value(x);
		return 1;
	}
	report(c, FINDING_ERROR, "invalid-validation", key,
	       "%s '%s' of field '%s' is not a number", key, vtext(&t, x),
	       field);
	buf_release(&t);
	return 0;
}

static int cat_date(struct vctx *c, const json_t *v, const char *key,
		    const char *field, long long *out)
{
	struct buf t = BUF_INIT;
	json_t *x = member(v, key);

	if (!x)
		return 0;
	if (json_is_string(x) && parse_catalyst_date(json_string_value(x), out))
		return 1;
	report(c, FINDING_ERROR, "invalid-validation", key,
	       "%s '%s' of field '%s' is not a date (YYYY-MM-DD or ISO 8601)",
	       key, vtext(&t, x), field);
	buf_release(&t);
	return 0;
}

static void cat_count_pair(struct vctx *c, const json_t *v, const char *lo_key,
			   const char *hi_key, const char *field)
{
	long long lo = 0, hi = 0;
	int has_lo = cat_count(c, v, lo_key, field, &lo);
	int has_hi = cat_count(c, v, hi_key, field, &hi);

	if (has_lo && has_hi && lo > hi)
		report(c, FINDING_ERROR, "invalid-bounds", hi_key,
		       "%s '%lld' of field '%s' is less than %s '%lld'", hi_key,
		       hi, field, lo_key, lo);
}

static void cat_validation(struct vctx *c, const json_t *field,
			   const char *name)
{
	struct buf t = BUF_INIT, t2 = BUF_INIT, why = BUF_INIT;
	json_t *v = member(field, "validation"), *x;
	const struct snap *prev;
	struct snap sv;
	size_t old;
	long long dlo, dhi, prec;
	double lo = 0, hi = 0;
	int has_lo, has_hi;

	if (!v)
		return;
	if (!json_is_object(v)) {
		report(c, FINDING_ERROR, "invalid-validation", "validation",
		       "validation of field '%s' is %s, not an object", name,
		       kind_name(v));
		return;
	}
	prev = snap_push(&sv, v);
	old = path_push(c, "validation");
	cat_count_pair(c, v, "minLength", "maxLength", name);
	cat_count_pair(c, v, "minItems", "maxItems", name);
	cat_count(c, v, "precision", name, &prec);

	has_lo = cat_number(c, v, "min", name, &lo);
	has_hi = cat_number(c, v, "max", name, &hi);
	if (has_lo && has_hi && lo > hi)
		report(c, FINDING_ERROR, "invalid-bounds", "max",
		       "max '%s' of field '%s' is less than min '%s'",
		       vtext(&t, member(v, "max")), name,
		       vtext(&t2, member(v, "min")));

	has_lo = cat_date(c, v, "minDate", name, &dlo);
	has_hi = cat_date(c, v, "maxDate", name, &dhi);
	if (has_lo && has_hi && dlo > dhi)
		report(c, FINDING_ERROR, "invalid-bounds", "maxDate",
		       "maxDate '%s' of field '%s' is before minDate '%s'",
		       vtext(&t, member(v, "maxDate")), name,
		       vtext(&t2, member(v, "minDate")));

	x = member(v, "pattern");
	if (x && !json_is_string(x)) {
		report(c, FINDING_ERROR, "invalid-validation", "pattern",
		       "pattern of field '%s' is %s, not a string", name,
		       kind_name(x));
	} else if (x && pattern_check(json_string_value(x),
				      json_string_length(x), &why) < 0) {
		report(c, FINDING_ERROR, "invalid-pattern", "pattern",
		       "pattern '%s' of field '%s' does not compile: %s",
		       vtext(&t, x), name, why.ptr);
	}
	path_pop(c, old);
	snap_pop(prev);
	buf_release(&t);
	buf_release(&t2);
	buf_release(&why);
}

/* The value of an option as one of the three kinds options may have. */
static const char *option_kind(const json_t *v)
{
	if (json_is_string(v))
		return "string";
	if (json_is_number(v))
		return "number";
	if (json_is_boolean(v))
		return "boolean";
	return NULL;
}

static int option_equal(const json_t *a, const json_t *b)
{
	if (json_is_string(a) && json_is_string(b))
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b),
			       json_string_length(a));
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) == json_is_true(b);
	return 0;
}

static void cat_options(struct vctx *c, const json_t *field, const char *name)
{
	struct buf t = BUF_INIT, seg = BUF_INIT;
	json_t *opts = member(field, "options");
	const json_t **values;
	const char *first_kind = NULL;
	size_t n, first_at = 0;
	int mixed_reported = 0;

	if (!opts)
		return;
	if (!json_is_array(opts)) {
		report(c, FINDING_ERROR, "invalid-option", "options",
		       "options of field '%s' is %s, not a list", name,
		       kind_name(opts));
		return;
	}
	n = json_array_size(opts);
	values = xcalloc(n ? n : 1, sizeof(*values));
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(opts, i);
		json_t *v = json_is_object(o) ? member(o, "value") : NULL;
		const char *kind = v ? option_kind(v) : NULL;

		buf_reset(&seg);
		buf_addf(&seg, "options[%zu]", i);
		if (!json_is_object(o)) {
			report(c, FINDING_ERROR, "invalid-option", seg.ptr,
			       "option %zu of field '%s' is %s, not an object",
			       i, name, kind_name(o));
			continue;
		}
		buf_adds(&seg, ".value");
		if (!v) {
			report(c, FINDING_ERROR, "invalid-option", seg.ptr,
			       "option %zu of field '%s' has no value", i,
			       name);
			continue;
		}
		if (!kind) {
			report(c, FINDING_ERROR, "invalid-option", seg.ptr,
			       "value of option %zu of field '%s' is %s, not "
			       "a string, number or boolean",
			       i, name, kind_name(v));
			continue;
		}
		values[i] = v;
		if (!first_kind) {
			first_kind = kind;
			first_at = i;
		} else if (strcmp(kind, first_kind) && !mixed_reported) {
			report(c, FINDING_ERROR, "mixed-option-types", seg.ptr,
			       "value '%s' of option %zu of field '%s' is a "
			       "%s, but option %zu has a %s value",
			       vtext(&t, v), i, name, kind, first_at,
			       first_kind);
			mixed_reported = 1;
		}
		for (size_t j = 0; j < i; j++) {
			if (values[j] && option_equal(values[j], v)) {
				report(c, FINDING_ERROR,
				       "duplicate-option-value", seg.ptr,
				       "value '%s' of option %zu of field '%s' "
				       "repeats option %zu",
				       vtext(&t, v), i, name, j);
				break;
			}
		}
	}
	free(values);
	buf_release(&t);
	buf_release(&seg);
}


static void cat_fields(struct vctx *c, const json_t *form, const json_t *fields,
		       const char *prefix);

/*
 * One field; name is its member name, display its name in messages
 * ("social.twitter" for nested fields), nested is set below an object.
 */
static void cat_field_checks(struct vctx *c, const json_t *form,
			     const json_t *field, const char *name,
			     const char *display, int nested)
{
	struct buf t = BUF_INIT;
	json_t *type, *item, *sub;
	const char *tn = NULL;

	if (!json_is_object(field))
		return; /* catalyst_form refuses such rows */
	if (!nested && !name_has_key_chars(name))
		report(c, FINDING_WARNING, "unusable-field-name", NULL,
		       "field name '%s' has no letters or digits to make a "
		       "property key from; a generated key is used",
		       stext(&t, name));
	type = member(field, "type");
	if (!type || (json_is_string(type) && !json_string_length(type))) {
		report(c, FINDING_ERROR, "missing-field-type", "type",
		       "field '%s' has no type", display);
	} else if (!json_is_string(type)) {
		report(c, FINDING_ERROR, "missing-field-type", "type",
		       "type of field '%s' is %s, not a string", display,
		       kind_name(type));
	} else {
		tn = json_string_value(type);
		if (!in_list(tn, catalyst_types))
			report(c, FINDING_WARNING, "unknown-field-type", "type",
			       "field '%s' has unknown type '%s'; it is synced "
			       "as a string",
			       display, stext(&t, tn));
	}

	cat_validation(c, field, display);
	if (tn && (!strcmp(tn, "select") || !strcmp(tn, "multiselect")))
		cat_options(c, field, display);
	if (tn && !strcmp(tn, "reference") && !nested &&
	    !catalyst_form_relationship(form, name))
		report(c, FINDING_WARNING, "reference-without-relationship",
		       NULL,
		       "reference field '%s' has no relationship; it is "
		       "synced as a reference to any content",
		       display);
	item = member(field, "itemType");
	if (tn && !strcmp(tn, "array") && item) {
		if (!json_is_string(item))
			report(c, FINDING_WARNING, "unknown-field-type",
			       "itemType",
			       "itemType of field '%s' is %s, not a string; "
			       "its items are synced as strings",
			       display, kind_name(item));
		else if (!strcmp(json_string_value(item), "array"))
			report(c, FINDING_ERROR, "nested-array", "itemType",
			       "array field '%s' has itemType 'array'; arrays "
			       "of arrays are not supported",
			       display);
		else if (!in_list(json_string_value(item), catalyst_types))
			report(c, FINDING_WARNING, "unknown-field-type",
			       "itemType",
			       "array field '%s' has unknown itemType '%s'; "
			       "its items are synced as strings",
			       display, vtext(&t, item));
	}
	sub = member(field, "fields");
	if (json_is_object(sub))
		cat_fields(c, form, sub, display);
	buf_release(&t);
}

/* The checks of cat_field, with its members taken once (struct snap). */
static void cat_field(struct vctx *c, const json_t *form, const json_t *field,
		      const char *name, const char *display, int nested)
{
	struct snap sn;
	const struct snap *prev = snap_push(&sn, field);

	cat_field_checks(c, form, field, name, display, nested);
	snap_pop(prev);
}

static void cat_fields(struct vctx *c, const json_t *form, const json_t *fields,
		       const char *prefix)
{
	struct buf display = BUF_INIT;
	const char **keys;
	size_t nr, old;

	keys = jx_sorted_keys(fields, &nr);
	old = path_push(c, "fields");
	for (size_t i = 0; i < nr; i++) {
		size_t here = path_push(c, keys[i]);

		buf_reset(&display);
		if (prefix)
			buf_addf(&display, "%s.", prefix);
		buf_adds(&display, keys[i]);
		cat_field(c, form, json_object_get(fields, keys[i]), keys[i],
			  display.ptr, prefix != NULL);
		path_pop(c, here);
	}
	path_pop(c, old);
	free(keys);
	buf_release(&display);
}

void validate_catalyst(const json_t *form, const char *label,
		       struct findings *findings)
{
	struct vctx c = {findings, BUF_INIT, NULL, NULL};
	json_t *fields = member(form, "fields");

	assert(findings);
	buf_adds(&c.path, label ? label : "");
	buf_addch(&c.path, ':');
	if (json_is_object(fields))
		cat_fields(&c, form, fields, NULL);
	buf_release(&c.path);
}

/* ------------------------------------------------------------------ */
/* Stage 2: the canonical target form                                  */

static const char *const base_types[] = {"_page",	"_component", "_folder",
					 "_media",	"_image",     "_video",
					 "_experience", "_section",   NULL};

static const char *const property_types[] = {
	"string",	    "url",     "boolean",
	"integer",	    "float",   "dateTime",
	"contentReference", "content", "link",
	"richText",	    "json",    "array",
	"component",	    NULL};

static const char *const indexing_types[] = {"disabled", "queryable",
					     "searchable", NULL};

static const char *const display_modes[] = {"available", "hidden", NULL};

static const char *const composition_behaviors[] = {
	"sectionEnabled", "elementEnabled", "formsElementEnabled", NULL};

enum member_kind {
	MK_STRING,
	MK_BOOL,
	MK_INT32, /* sortOrder */
	MK_COUNT, /* minLength... : int32; negative is reported later */
	MK_OBJECT,
	MK_ARRAY,
	MK_STRINGS, /* a list of strings */
};

struct member_rule {
	const char *name;
	enum member_kind kind;
};

/* More than any table below holds. */
#define MEMBER_RULES_MAX 32

/* What the JSON kind of each member must be (v1 ContentTypeProperty). */
static const struct member_rule property_members[] = {
	{"type", MK_STRING},	       {"format", MK_STRING},
	{"contentType", MK_STRING},    {"items", MK_OBJECT},
	{"displayName", MK_STRING},    {"description", MK_STRING},
	{"isRequired", MK_BOOL},       {"isLocalized", MK_BOOL},
	{"group", MK_STRING},	       {"sortOrder", MK_INT32},
	{"indexingType", MK_STRING},   {"displayMode", MK_STRING},
	{"minLength", MK_COUNT},       {"maxLength", MK_COUNT},
	{"pattern", MK_STRING},	       {"enum", MK_ARRAY},
	{"minItems", MK_COUNT},	       {"maxItems", MK_COUNT},
	{"allowedTypes", MK_STRINGS},  {"restrictedTypes", MK_STRINGS},
	{"editorSettings", MK_OBJECT}, {NULL, MK_STRING}};

/* v1 ArrayItem. */
static const struct member_rule item_members[] = {
	{"type", MK_STRING},
	{"format", MK_STRING},
	{"contentType", MK_STRING},
	{"minLength", MK_COUNT},
	{"maxLength", MK_COUNT},
	{"pattern", MK_STRING},
	{"enum", MK_ARRAY},
	{"allowedTypes", MK_STRINGS},
	{"restrictedTypes", MK_STRINGS},
	{"editorSettings", MK_OBJECT},
	{NULL, MK_STRING}};

/* v1 ContentType. */
static const struct member_rule type_members[] = {
	{"key", MK_STRING},
	{"displayName", MK_STRING},
	{"description", MK_STRING},
	{"baseType", MK_STRING},
	{"sortOrder", MK_INT32},
	{"mayContainTypes", MK_STRINGS},
	{"mediaFileExtensions", MK_STRINGS},
	{"compositionBehaviors", MK_STRINGS},
	{"contracts", MK_STRINGS},
	{"properties", MK_OBJECT},
	{"isContract", MK_BOOL},
	{"accessRights", MK_ARRAY},
	{NULL, MK_STRING}};

static int member_kind_ok(const json_t *v, enum member_kind kind)
{
	long long n;
	size_t i;
	json_t *e;

	switch (kind) {
	case MK_STRING:
		return json_is_string(v);
	case MK_BOOL:
		return json_is_boolean(v);
	case MK_INT32:
		return json_as_int(v, &n) && n >= INT32_MIN && n <= INT32_MAX;
	case MK_COUNT:
		return json_as_int(v, &n) && n <= INT32_MAX;
	case MK_OBJECT:
		return json_is_object(v);
	case MK_ARRAY:
		return json_is_array(v);
	case MK_STRINGS:
		if (!json_is_array(v))
			return 0;
		json_array_foreach(v, i, e) if (!json_is_string(e)) return 0;
		return 1;
	}
	return 0;
}

static const char *member_kind_name(enum member_kind kind)
{
	switch (kind) {
	case MK_STRING:
		return "a string";
	case MK_BOOL:
		return "true or false";
	case MK_INT32:
	case MK_COUNT:
		return "a 32-bit whole number";
	case MK_OBJECT:
		return "an object";
	case MK_ARRAY:
		return "a list";
	case MK_STRINGS:
		return "a list of strings";
	}
	return "?";
}

/*
 * Reports every member of obj whose JSON kind is wrong; subject names obj
 * in messages ("property 'title'"). Later checks read members through
 * get_*() helpers, which ignore values of the wrong kind, so one mistake
 * gives one finding.
 */
/*
 * Looks member k (klen bytes) up among rules; when its value v is of the
 * wrong kind, sets bad[rule] and returns 1.
 */
static int check_member_kind(const struct member_rule *rules, const char *k,
			     size_t klen, json_t *v, json_t **bad)
{
	if (json_is_null(v) || strlen(k) != klen)
		return 0;
	for (size_t i = 0; rules[i].name; i++) {
		assert(i < MEMBER_RULES_MAX);
		if (k[0] != rules[i].name[0] || strcmp(k, rules[i].name))
			continue;
		if (member_kind_ok(v, rules[i].kind))
			return 0;
		bad[i] = v;
		return 1;
	}
	return 0;
}

static void check_member_kinds(struct vctx *c, const json_t *obj,
			       const struct member_rule *rules,
			       const char *subject)
{
	/* Indexed by rule: the value of a member of the wrong kind. */
	json_t *bad[MEMBER_RULES_MAX] = {NULL};
	size_t nr_bad = 0, klen;
	const char *k;
	json_t *v;

	/*
	 * The object has fewer members than there are rules: look each member
	 * up among the rules, then report in the order of the rules.
	 */
	if (snap_cur && snap_cur->obj == obj) {
		for (size_t m = 0; m < snap_cur->nr; m++)
			nr_bad += check_member_kind(rules, snap_cur->key[m],
						    snap_cur->len[m],
						    snap_cur->val[m], bad);
	} else {
		json_object_keylen_foreach((json_t *)obj, k, klen, v) nr_bad +=
			check_member_kind(rules, k, klen, v, bad);
	}
	for (size_t i = 0; nr_bad && rules[i].name; i++)
		if (bad[i])
			report(c, FINDING_ERROR, "invalid-member",
			       rules[i].name, "%s of %s must be %s, not %s",
			       rules[i].name, subject,
			       member_kind_name(rules[i].kind),
			       kind_name(bad[i]));
}

static const char *get_str(const json_t *obj, const char *key)
{
	json_t *v = member(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int get_count(const json_t *obj, const char *key, long long *out)
{
	json_t *v = member(obj, key);

	return v && member_kind_ok(v, MK_COUNT) && json_as_int(v, out);
}

/* Checks a string's length in characters against max. */
static void check_length(struct vctx *c, const json_t *obj, const char *key,
			 size_t max, const char *subject)
{
	json_t *v = member(obj, key);
	size_t n;

	if (!json_is_string(v))
		return;
	n = utf8_chars(json_string_value(v), json_string_length(v));
	if (n > max)
		report(c, FINDING_ERROR, "value-too-long", key,
		       "%s of %s has %zu characters; the limit is %zu", key,
		       subject, n, max);
}

static void check_enum_member(struct vctx *c, const json_t *obj,
			      const char *key, const char *const *allowed,
			      const char *subject)
{
	struct buf t = BUF_INIT, list = BUF_INIT;
	const char *s = get_str(obj, key);

	if (s && !in_list(s, allowed)) {
		for (const char *const *a = allowed; *a; a++)
			buf_addf(&list, "%s'%s'", a == allowed ? "" : ", ", *a);
		report(c, FINDING_ERROR, "invalid-member", key,
		       "%s '%s' of %s is not one of %s", key, stext(&t, s),
		       subject, list.ptr);
	}
	buf_release(&t);
	buf_release(&list);
}

/*
 * Why a key does not match ^[A-Za-z][_0-9A-Za-z]+$ with 2..255 characters,
 * or NULL when it does.
 */
static const char *key_problem(const char *s, size_t len)
{
	if (!len || !is_alpha((unsigned char)s[0]))
		return "must start with a letter";
	for (size_t i = 1; i < len; i++)
		if (!is_alpha((unsigned char)s[i]) &&
		    !is_digit((unsigned char)s[i]) && s[i] != '_')
			return "may hold only letters, digits and '_'";
	if (len < 2)
		return "is too short: keys have 2 to 255 characters";
	if (len > VALIDATE_KEY_MAX)
		return "is too long: keys have 2 to 255 characters";
	return NULL;
}

static int reserved_type_key(const char *key)
{
	return keys_is_reserved_type(key);
}

/* A reference to another type: base type, "*", self or a known key. */
static void check_reference(struct vctx *c, const char *seg, const char *ref,
			    const char *what, const char *subject)
{
	struct buf t = BUF_INIT;

	if (ref[0] == '_' || !strcmp(ref, "*") ||
	    (c->self_key && !strcmp(ref, c->self_key)) || !c->known ||
	    json_object_get(c->known, ref))
		return;
	report(c, FINDING_ERROR, "unknown-reference", seg,
	       "%s of %s names '%s', which is neither a base type nor a "
	       "content type that exists or is being created",
	       what, subject, stext(&t, ref));
	buf_release(&t);
}

static void check_reference_list(struct vctx *c, const json_t *obj,
				 const char *key, const char *subject)
{
	json_t *list = member(obj, key), *e;
	size_t i;

	if (!member_kind_ok(list, MK_STRINGS))
		return;
	json_array_foreach(list, i, e)
	{
		char seg[64];

		snprintf(seg, sizeof(seg), "%s[%zu]", key, i);
		check_reference(c, seg, json_string_value(e), key, subject);
	}
}

/* The value kinds of enum entries and bounds for a property type. */
enum value_kind {
	VK_NONE,   /* the type takes no enum/minimum/maximum */
	VK_STRING, /* string: enum only */
	VK_INTEGER,
	VK_NUMBER,
	VK_DATETIME,
};

static enum value_kind value_kind_of(const char *type)
{
	if (!strcmp(type, "string"))
		return VK_STRING;
	if (!strcmp(type, "integer"))
		return VK_INTEGER;
	if (!strcmp(type, "float"))
		return VK_NUMBER;
	if (!strcmp(type, "dateTime"))
		return VK_DATETIME;
	return VK_NONE;
}

static const char *value_kind_name(enum value_kind k)
{
	switch (k) {
	case VK_STRING:
		return "a string";
	case VK_INTEGER:
		return "a whole number";
	case VK_NUMBER:
		return "a number";
	case VK_DATETIME:
		return "an ISO 8601 date-time string";
	case VK_NONE:
		break;
	}
	return "?";
}

static int value_matches(const json_t *v, enum value_kind k)
{
	long long n;

	switch (k) {
	case VK_STRING:
		return json_is_string(v);
	case VK_INTEGER:
		return json_as_int(v, &n);
	case VK_NUMBER:
		return json_is_number(v);
	case VK_DATETIME:
		return json_is_string(v) &&
		       !memchr(json_string_value(v), 0,
			       json_string_length(v)) &&
		       is_iso_datetime(json_string_value(v));
	case VK_NONE:
		break;
	}
	return 0;
}

static void check_enum(struct vctx *c, const json_t *obj, const char *type,
		       enum value_kind vk, const char *subject)
{
	struct buf t = BUF_INIT;
	json_t *list = member(obj, "enum"), *e;
	size_t i, old;

	if (!json_is_array(list))
		return;
	if (vk == VK_NONE) {
		report(c, FINDING_ERROR, "member-not-allowed", "enum",
		       "enum is not allowed on %s %s; only string, integer, "
		       "float and dateTime take one",
		       type, subject);
		return;
	}
	old = path_push(c, "enum");
	json_array_foreach(list, i, e)
	{
		size_t here = path_push_index(c, i);
		json_t *v = json_object_get(e, "value");
		const char *dn;

		if (!json_is_object(e)) {
			report(c, FINDING_ERROR, "invalid-member", NULL,
			       "enum entry %zu of %s is %s, not an object", i,
			       subject, kind_name(e));
			path_pop(c, here);
			continue;
		}
		if (!v || !value_matches(v, vk)) {
			report(c, FINDING_ERROR, "invalid-enum-value", "value",
			       "enum value '%s' of %s %s is not %s",
			       v ? vtext(&t, v) : "(none)", type, subject,
			       value_kind_name(vk));
		} else {
			for (size_t j = 0; j < i; j++) {
				json_t *w = json_object_get(
					json_array_get(list, j), "value");

				if (w && option_equal(v, w)) {
					report(c, FINDING_ERROR,
					       "duplicate-enum-value", "value",
					       "enum value '%s' of %s repeats "
					       "entry %zu",
					       vtext(&t, v), subject, j);
					break;
				}
			}
		}
		dn = jx_str(e, "displayName");
		if (!dn || !*dn)
			report(c, FINDING_ERROR, "missing-enum-display-name",
			       "displayName",
			       "enum entry %zu of %s has no displayName", i,
			       subject);
		path_pop(c, here);
	}
	path_pop(c, old);
	buf_release(&t);
}

static void check_bounds(struct vctx *c, const json_t *obj, const char *type,
			 enum value_kind vk, const char *subject)
{
	struct buf t = BUF_INIT, t2 = BUF_INIT;
	static const char *const keys[] = {"minimum", "maximum"};
	json_t *v[2];
	int ok[2] = {0, 0};

	for (int i = 0; i < 2; i++) {
		v[i] = member(obj, keys[i]);
		if (!v[i])
			continue;
		if (vk == VK_NONE || vk == VK_STRING) {
			report(c, FINDING_ERROR, "member-not-allowed", keys[i],
			       "%s is not allowed on %s %s; only integer, "
			       "float and dateTime take one",
			       keys[i], type, subject);
		} else if (!value_matches(v[i], vk)) {
			report(c, FINDING_ERROR, "bound-type-mismatch", keys[i],
			       "%s '%s' of %s %s is not %s", keys[i],
			       vtext(&t, v[i]), type, subject,
			       value_kind_name(vk));
		} else {
			ok[i] = 1;
		}
	}
	if (!ok[0] || !ok[1])
		goto out;
	if (vk == VK_DATETIME
		    ? strcmp(json_string_value(v[0]), json_string_value(v[1])) >
			      0
		    : json_number_value(v[0]) > json_number_value(v[1]))
		report(c, FINDING_ERROR, "invalid-bounds", "maximum",
		       "maximum '%s' of %s is less than minimum '%s'",
		       vtext(&t, v[1]), subject, vtext(&t2, v[0]));
out:
	buf_release(&t);
	buf_release(&t2);
}

/* A pair of counts (minLength/maxLength, minItems/maxItems). */
static void check_count_pair(struct vctx *c, const json_t *obj,
			     const char *lo_key, const char *hi_key,
			     int allowed, const char *type, const char *only,
			     const char *subject)
{
	const char *keys[2] = {lo_key, hi_key};
	long long n[2];
	int ok[2] = {0, 0};

	for (int i = 0; i < 2; i++) {
		if (!member(obj, keys[i]))
			continue;
		if (!allowed) {
			report(c, FINDING_ERROR, "member-not-allowed", keys[i],
			       "%s is not allowed on %s %s; only %s take one",
			       keys[i], type, subject, only);
		} else if (get_count(obj, keys[i], &n[i])) {
			if (n[i] < 0)
				report(c, FINDING_ERROR, "invalid-bounds",
				       keys[i], "%s '%lld' of %s is negative",
				       keys[i], n[i], subject);
			else
				ok[i] = 1;
		}
	}
	if (ok[0] && ok[1] && n[0] > n[1])
		report(c, FINDING_ERROR, "invalid-bounds", hi_key,
		       "%s '%lld' of %s is less than %s '%lld'", hi_key, n[1],
		       subject, lo_key, n[0]);
}

/*
 * The rules that depend on the type, shared by properties and array items:
 * string companions, enum, bounds, pattern, contentType, references.
 * type is NULL when it is missing or unknown (then only the checks that do
 * not depend on it run).
 */
static void check_typed(struct vctx *c, const json_t *obj, const char *type,
			const char *subject)
{
	struct buf t = BUF_INIT, why = BUF_INIT;
	json_t *pattern = member(obj, "pattern");
	const char *ct = get_str(obj, "contentType");
	int is_string = type && !strcmp(type, "string");
	int is_ref = type && (!strcmp(type, "content") ||
			      !strcmp(type, "contentReference"));

	if (type) {
		enum value_kind vk = value_kind_of(type);

		check_count_pair(c, obj, "minLength", "maxLength", is_string,
				 type, "strings", subject);
		if (pattern && !is_string)
			report(c, FINDING_ERROR, "member-not-allowed",
			       "pattern",
			       "pattern is not allowed on %s %s; only strings "
			       "take one",
			       type, subject);
		check_enum(c, obj, type, vk, subject);
		check_bounds(c, obj, type, vk, subject);
		if (!strcmp(type, "component") && !ct &&
		    !member(obj, "contentType"))
			report(c, FINDING_ERROR, "missing-content-type",
			       "contentType", "component %s has no contentType",
			       subject);
		if (is_ref && ct &&
		    json_array_size(member(obj, "allowedTypes")))
			report(c, FINDING_ERROR,
			       "content-type-and-allowed-types", "allowedTypes",
			       "%s %s has both contentType and allowedTypes; "
			       "the service rejects the pair",
			       type, subject);
	}
	if (json_is_string(pattern) &&
	    pattern_check(json_string_value(pattern),
			  json_string_length(pattern), &why) < 0)
		report(c, FINDING_ERROR, "invalid-pattern", "pattern",
		       "pattern '%s' of %s does not compile: %s",
		       vtext(&t, pattern), subject, why.ptr);
	if (ct)
		check_reference(c, "contentType", ct, "contentType", subject);
	check_reference_list(c, obj, "allowedTypes", subject);
	check_reference_list(c, obj, "restrictedTypes", subject);
	buf_release(&t);
	buf_release(&why);
}

static void check_items_checks(struct vctx *c, const json_t *items,
			       const char *prop)
{
	struct buf subject = BUF_INIT, t = BUF_INIT;
	const char *type = get_str(items, "type");
	size_t old = path_push(c, "items");

	buf_adds(&subject, "items of property '");
	buf_adds(&subject, prop);
	buf_addch(&subject, '\'');
	check_member_kinds(c, items, item_members, subject.ptr);
	if (!member(items, "type")) {
		report(c, FINDING_ERROR, "invalid-property-type", "type",
		       "items of property '%s' have no type", prop);
	} else if (type && !strcmp(type, "array")) {
		report(c, FINDING_ERROR, "nested-array", "type",
		       "items of property '%s' are arrays; arrays of arrays "
		       "are not supported",
		       prop);
		type = NULL;
	} else if (type && !in_list(type, property_types)) {
		report(c, FINDING_ERROR, "invalid-property-type", "type",
		       "type '%s' of the items of property '%s' is not a v1 "
		       "property type",
		       stext(&t, type), prop);
		type = NULL;
	}
	check_typed(c, items, type, subject.ptr);
	path_pop(c, old);
	buf_release(&subject);
	buf_release(&t);
}

/* The checks of check_items, with its members taken once (struct snap). */
static void check_items(struct vctx *c, const json_t *items, const char *prop)
{
	struct snap sn;
	const struct snap *prev = snap_push(&sn, items);

	check_items_checks(c, items, prop);
	snap_pop(prev);
}

static void check_property_checks(struct vctx *c, const char *key,
				  const json_t *p, const char *base_type)
{
	struct buf subject = BUF_INIT, t = BUF_INIT;
	const char *type, *why, *indexing;
	json_t *items;
	int is_array;

	buf_adds(&subject, "property '");
	buf_adds(&subject, stext(&t, key));
	buf_addch(&subject, '\'');
	if (!json_is_object(p)) {
		report(c, FINDING_ERROR, "invalid-member", NULL,
		       "property '%s' is %s, not an object", key, kind_name(p));
		goto out;
	}
	why = key_problem(key, strlen(key));
	if (why)
		report(c, FINDING_ERROR, "invalid-key", NULL,
		       "property key '%s' %s", stext(&t, key), why);
	else if (base_type && !strcmp(base_type, "_experience") &&
		 !strcasecmp(key, "composition"))
		report(c, FINDING_ERROR, "reserved-key", NULL,
		       "property key '%s' is reserved on '_experience' types",
		       key);
	check_member_kinds(c, p, property_members, subject.ptr);
	check_length(c, p, "displayName", VALIDATE_NAME_MAX, subject.ptr);
	check_length(c, p, "description", VALIDATE_PROP_DESC_MAX, subject.ptr);
	check_enum_member(c, p, "indexingType", indexing_types, subject.ptr);
	check_enum_member(c, p, "displayMode", display_modes, subject.ptr);

	type = get_str(p, "type");
	if (!member(p, "type")) {
		report(c, FINDING_ERROR, "invalid-property-type", "type",
		       "property '%s' has no type", key);
	} else if (type && !in_list(type, property_types)) {
		report(c, FINDING_ERROR, "invalid-property-type", "type",
		       "type '%s' of property '%s' is not a v1 property type",
		       stext(&t, type), key);
		type = NULL;
	}
	is_array = type && !strcmp(type, "array");

	indexing = get_str(p, "indexingType");
	if (type && indexing && strcmp(indexing, "disabled") &&
	    in_list(indexing, indexing_types) &&
	    (!strcmp(type, "content") || !strcmp(type, "contentReference")))
		report(c, FINDING_ERROR, "indexing-not-allowed", "indexingType",
		       "indexingType '%s' is not allowed on %s property '%s': "
		       "'IndexingType' should be applied to primitive "
		       "properties",
		       indexing, type, key);

	check_typed(c, p, is_array ? NULL : type, subject.ptr);
	if (is_array) {
		/* The string/enum/bound rules apply to the items, not here. */
		static const char *const item_only[] = {
			"minLength", "maxLength", "pattern", "enum",
			"minimum",   "maximum",	  NULL};

		for (const char *const *m = item_only; *m; m++)
			if (member(p, *m))
				report(c, FINDING_ERROR, "member-not-allowed",
				       *m,
				       "%s is not allowed on array property "
				       "'%s'; put it on its items",
				       *m, key);
		if (member(p, "contentType"))
			report(c, FINDING_ERROR, "member-not-allowed",
			       "contentType",
			       "contentType is not allowed on array property "
			       "'%s'; put it on its items",
			       key);
	}
	if (type)
		check_count_pair(c, p, "minItems", "maxItems", is_array, type,
				 "arrays", subject.ptr);

	items = member(p, "items");
	if (is_array && !items)
		report(c, FINDING_ERROR, "missing-items", "items",
		       "array property '%s' has no items", key);
	else if (items && type && !is_array)
		report(c, FINDING_ERROR, "member-not-allowed", "items",
		       "items is not allowed on %s property '%s'; only arrays "
		       "take one",
		       type, key);
	else if (json_is_object(items))
		check_items(c, items, key);
out:
	buf_release(&subject);
	buf_release(&t);
}

/* The checks of check_property, with its members taken once (struct snap). */
static void check_property(struct vctx *c, const char *key, const json_t *p,
			   const char *base_type)
{
	struct snap sn;
	const struct snap *prev = snap_push(&sn, p);

	check_property_checks(c, key, p, base_type);
	snap_pop(prev);
}

static void check_type_key(struct vctx *c, const json_t *doc)
{
	struct buf t = BUF_INIT;
	json_t *key = member(doc, "key");
	const char *why;

	if (!key) {
		report(c, FINDING_ERROR, "invalid-key", "key",
		       "content type has no key");
	} else if (json_is_string(key)) {
		const char *s = json_string_value(key);

		if (reserved_type_key(s))
			report(c, FINDING_ERROR, "reserved-key", "key",
			       "content type key '%s' is reserved by the "
			       "service",
			       stext(&t, s));
		else if ((why = key_problem(s, json_string_length(key))))
			report(c, FINDING_ERROR, "invalid-key", "key",
			       "content type key '%s' %s", stext(&t, s), why);
	}
	buf_release(&t);
}

static void check_base_type(struct vctx *c, const json_t *doc,
			    const char *subject)
{
	struct buf t = BUF_INIT;
	json_t *bt = member(doc, "baseType");
	const char *s = get_str(doc, "baseType");

	if (!bt) {
		if (!jx_true(doc, "isContract"))
			report(c, FINDING_ERROR, "invalid-base-type",
			       "baseType", "%s has no baseType", subject);
	} else if (s && !strcmp(s, "_element")) {
		report(c, FINDING_ERROR, "invalid-base-type", "baseType",
		       "the base type '_element' is not supported; use "
		       "'_component' with compositionBehaviors "
		       "['elementEnabled']");
	} else if (s && !in_list(s, base_types)) {
		report(c, FINDING_ERROR, "invalid-base-type", "baseType",
		       "baseType '%s' of %s is not one of '_page', "
		       "'_component', '_folder', '_media', '_image', "
		       "'_video', '_experience', '_section'",
		       stext(&t, s), subject);
	}
	buf_release(&t);
}

static void check_composition_behaviors(struct vctx *c, const json_t *doc,
					const char *subject)
{
	struct buf t = BUF_INIT;
	json_t *list = member(doc, "compositionBehaviors"), *e;
	const char *base = get_str(doc, "baseType");
	size_t i;

	if (!member_kind_ok(list, MK_STRINGS) || !json_array_size(list))
		goto out;
	if (base && in_list(base, base_types) && strcmp(base, "_component"))
		report(c, FINDING_ERROR, "member-not-allowed",
		       "compositionBehaviors",
		       "compositionBehaviors is not allowed on %s with "
		       "baseType '%s'; only '_component' types take it",
		       subject, base);
	json_array_foreach(list, i, e)
	{
		char seg[64];

		if (in_list(json_string_value(e), composition_behaviors))
			continue;
		snprintf(seg, sizeof(seg), "compositionBehaviors[%zu]", i);
		report(c, FINDING_ERROR, "invalid-member", seg,
		       "compositionBehaviors value '%s' of %s is not one of "
		       "'sectionEnabled', 'elementEnabled', "
		       "'formsElementEnabled'",
		       vtext(&t, e), subject);
	}
out:
	buf_release(&t);
}

void validate_target(const json_t *doc, const json_t *known_types,
		     struct findings *findings)
{
	struct vctx c = {findings, BUF_INIT, known_types, NULL};
	struct buf subject = BUF_INIT, t = BUF_INIT;
	const char *key = get_str(doc, "key"), *base;
	const char **keys = NULL;
	json_t *props, *dn;
	size_t nr, old;

	assert(findings);
	c.self_key = key;
	buf_adds(&c.path, key && *key ? key : "?");
	buf_addch(&c.path, ':');
	if (!json_is_object(doc)) {
		report(&c, FINDING_ERROR, "invalid-member", NULL,
		       "content type is %s, not an object", kind_name(doc));
		goto out;
	}
	buf_adds(&subject, "content type '");
	buf_adds(&subject, key ? stext(&t, key) : "?");
	buf_addch(&subject, '\'');
	check_member_kinds(&c, doc, type_members, subject.ptr);
	check_type_key(&c, doc);

	dn = member(doc, "displayName");
	if (!dn || (json_is_string(dn) && !json_string_length(dn)))
		report(&c, FINDING_ERROR, "missing-display-name", "displayName",
		       "%s has no displayName", subject.ptr);
	check_length(&c, doc, "displayName", VALIDATE_NAME_MAX, subject.ptr);
	check_length(&c, doc, "description", VALIDATE_TYPE_DESC_MAX,
		     subject.ptr);
	check_base_type(&c, doc, subject.ptr);
	check_composition_behaviors(&c, doc, subject.ptr);
	check_reference_list(&c, doc, "mayContainTypes", subject.ptr);

	props = member(doc, "properties");
	if (!json_is_object(props))
		goto out;
	keys = jx_sorted_keys(props, &nr);
	base = get_str(doc, "baseType");
	old = path_push(&c, "properties");
	for (size_t i = 0; i < nr; i++) {
		size_t here = path_push(&c, keys[i]);

		check_property(&c, keys[i], json_object_get(props, keys[i]),
			       base);
		path_pop(&c, here);
	}
	path_pop(&c, old);
out:
	free(keys);
	buf_release(&subject);
	buf_release(&t);
	buf_release(&c.path);
}

size_t validate_failures(const struct findings *findings, int strict)
{
	size_t n = findings_count(findings, FINDING_ERROR);

	if (strict)
		n += findings_count(findings, FINDING_WARNING);
	return n;
}
