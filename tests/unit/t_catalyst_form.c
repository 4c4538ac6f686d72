#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testlib.h"
#include "core/catalyst_form.h"
#include "core/findings.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"


/*
 * A member by a dotted path ("fields.title.validation.maxLength"); a
 * segment of digits indexes an array. Borrowed; NULL when absent.
 */
static json_t *at(json_t *v, const char *path)
{
	struct buf seg = BUF_INIT;
	const char *p = path;

	while (v && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		buf_reset(&seg);
		buf_add(&seg, p, n);
		if (json_is_array(v))
			v = json_array_get(v, strtoul(seg.ptr, NULL, 10));
		else
			v = json_object_get(v, seg.ptr);
		p += n;
		if (*p == '.')
			p++;
	}
	buf_release(&seg);
	return v;
}

static const char *at_str(json_t *v, const char *path)
{
	json_t *s = at(v, path);

	return json_is_string(s) ? json_string_value(s) : NULL;
}

static long long at_int(json_t *v, const char *path)
{
	json_t *i = at(v, path);

	return json_is_integer(i) ? json_integer_value(i) : -999;
}

static void row_set(struct catalyst_row *r, const char *id, const char *name,
		    const char *fields, const char *settings)
{
	memset(r, 0, sizeof(*r));
	catalyst_row_release(r);
	r->id = xstrdup(id);
	r->website_id = xstrdup("site");
	r->name = xstrdup(name);
	r->fields_json = fields ? xstrdup(fields) : NULL;
	r->settings_json = settings ? xstrdup(settings) : NULL;
}

/* Normalizes a one-off row; returns the code, the form in *out. */
static int form_of(json_t **out, struct findings *f, const char *fields,
		   const char *settings)
{
	struct catalyst_row r;
	int ret;

	row_set(&r, "t1", "Thing", fields, settings);
	ret = catalyst_form_from_row(out, NULL, &r, f);
	catalyst_row_release(&r);
	return ret;
}

static const struct finding *find_code(const struct findings *f,
				       const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return &f->items[i];
	return NULL;
}

static int has_str(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* Loads sample file into *doc and its row into r. */
static int load_sample(json_t **doc, struct catalyst_row *r, const char *file)
{
	struct buf path = BUF_INIT;
	json_t *row;
	int ret;

	test_fixture_path(&path, file);
	ret = jx_load_file(doc, path.ptr);
	buf_release(&path);
	if (ret < 0)
		return ret;
	row = json_object_get(*doc, "row");
	memset(r, 0, sizeof(*r));
	catalyst_row_release(r);
	r->id = xstrdup(jx_str(row, "id"));
	r->website_id = xstrdup(jx_str(row, "websiteId"));
	r->name = xstrdup(jx_str(row, "name"));
	r->fields_json = xstrdup(jx_str(row, "fields"));
	if (jx_str(row, "settings"))
		r->settings_json = xstrdup(jx_str(row, "settings"));
	r->created_ms = json_integer_value(json_object_get(row, "createdAt"));
	r->updated_ms = json_integer_value(json_object_get(row, "updatedAt"));
	r->time_format = CATALYST_TIME_MILLIS;
	return 0;
}

/* Every field (and nested field) has a boolean required and an order. */
static int all_fields_complete(json_t *fields)
{
	const char *name;
	json_t *f;

	json_object_foreach(fields, name, f)
	{
		json_t *nested = json_object_get(f, "fields");

		if (!json_is_boolean(json_object_get(f, "required")) ||
		    !json_is_number(json_object_get(f, "order")) ||
		    json_object_get(f, "name"))
			return 0;
		if (json_is_object(nested) && !all_fields_complete(nested))
			return 0;
	}
	return 1;
}

/* No top-level seed keys, and every option an object. */
static int all_fields_clean(json_t *fields)
{
	static const char *const seed[] = {
		"minLength", "maxLength", "pattern", "min",
		"max",	     "precision", "minDate", "maxDate",
		"minItems",  "maxItems",  "default"};
	const char *name;
	json_t *f, *opt;
	size_t i;

	json_object_foreach(fields, name, f)
	{
		for (i = 0; i < sizeof(seed) / sizeof(seed[0]); i++)
			if (json_object_get(f, seed[i]))
				return 0;
		json_array_foreach(json_object_get(f, "options"), i, opt)
		{
			if (!json_is_object(opt))
				return 0;
		}
	}
	return 1;
}

static void test_sample_rows(void)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < TEST_NR_SAMPLES; i++) {
		struct findings f = FINDINGS_INIT;
		struct catalyst_row r;
		enum catalyst_fields_shape shape = 99;
		json_t *doc = NULL, *form = NULL, *parsed;
		size_t want;
		int ret;

		if (load_sample(&doc, &r, test_samples[i]) < 0) {
			ok(0, "load %s: %s", test_samples[i], err_msg());
			continue;
		}
		parsed = json_object_get(doc, "fields_parsed");
		want = json_is_array(parsed) ? json_array_size(parsed)
					     : json_array_size(json_object_get(
						       parsed, "fields"));
		ret = catalyst_form_from_row(&form, &shape, &r, &f);
		is_int(ret, 0, "%s normalizes", test_samples[i]);
		if (ret < 0)
			diag("%s", err_msg());
		is_int(json_object_size(json_object_get(form, "fields")), want,
		       "%s has %zu fields", test_samples[i], want);
		is_int(shape,
		       i < 5 ? CATALYST_SHAPE_ARRAY : CATALYST_SHAPE_OBJECT,
		       "%s has the shape of its era", test_samples[i]);
		ok(all_fields_complete(json_object_get(form, "fields")),
		   "%s: every field has required and order, and no name",
		   test_samples[i]);
		ok(all_fields_clean(json_object_get(form, "fields")),
		   "%s: seed keys moved, options are objects", test_samples[i]);
		ok(json_is_object(json_object_get(form, "relationships")),
		   "%s: relationships is an object", test_samples[i]);
		is_str(at_str(form, "category"), "component",
		       "%s: category defaults to component", test_samples[i]);
		is_str(at_str(form, "id"), r.id, "%s: id", test_samples[i]);
		is_str(at_str(form, "websiteId"), r.website_id, "%s: websiteId",
		       test_samples[i]);
		is_str(at_str(form, "name"), r.name, "%s: name", test_samples[i]);
		is_int(f.nr, 0, "%s: no warnings", test_samples[i]);
		for (size_t k = 0; k < f.nr; k++)
			diag("%s %s %s", f.items[k].code, f.items[k].path,
			     f.items[k].message);
		ok(!json_object_get(form, "createdAt") &&
			   !json_object_get(form, "updatedAt"),
		   "%s: timestamps are not part of the form", test_samples[i]);

		switch (i) {
		case 0:
			is_str(at_str(form, "fields.category.options.0.label"),
			       "JavaScript", "plain-string option -> label");
			is_str(at_str(form, "fields.category.options.0.value"),
			       "JavaScript", "plain-string option -> value");
			is_int(json_array_size(
				       at(form, "fields.category.options")),
			       5, "all five options kept");
			is_int(at_int(form,
				      "fields.title.validation.maxLength"),
			       200, "seed maxLength moved into validation");
			is_int(at_int(form, "fields.readTime.validation.min"),
			       1, "seed min moved");
			is_int(at_int(form, "fields.readTime.validation.max"),
			       60, "seed max moved");
			ok(json_is_true(at(form, "fields.slug.unique")),
			   "unknown member 'unique' stays in the field");
			is_str(at_str(form, "fields.tags.itemType"), "text",
			       "unknown member 'itemType' stays");
			ok(json_is_false(at(form, "fields.category.required")),
			   "absent required becomes false");
			is_int(at_int(form, "fields.title.order"), 0,
			       "absent order is the array index (first)");
			is_int(at_int(form, "fields.readTime.order"), 9,
			       "absent order is the array index (last)");
			is_str(at_str(form, "icon"), "📝",
			       "icon taken from settings");
			ok(!at(form, "pluralName"),
			   "no pluralName: settings has displayName only");
			is_int(json_object_size(at(form, "settings")), 5,
			       "settings kept whole");
			ok(!at(form, "extra"), "no extra for shape B");
			ok(!at(form, "fields.content.validation"),
			   "no validation made up when nothing moves");
			break;
		case 1:
			is_int(json_object_size(
				       at(form, "fields.social.fields")),
			       3, "nested fields keyed by name");
			ok(json_is_false(at(form,
					    "fields.social.fields.twitter."
					    "required")),
			   "nested field gets required");
			is_int(at_int(form,
				      "fields.social.fields.linkedin.order"),
			       2, "nested field gets its order");
			break;
		case 2:
			ok(json_is_true(
				   at(form, "fields.digital.defaultValue")),
			   "seed default -> defaultValue");
			is_int(at_int(form,
				      "fields.images.validation.maxItems"),
			       10, "seed maxItems moved");
			break;
		case 3:
			ok(json_is_false(
				   at(form, "fields.featured.defaultValue")),
			   "a false default is kept as defaultValue");
			is_int(at_int(form, "fields.year.validation.min"), 2020,
			       "year min moved");
			break;
		case 4:
			is_str(at_str(form, "fields.publishDate.label"),
			       "Publish Date", "labels kept");
			break;
		case 5:
			is_str(at_str(form, "pluralName"), "NewContentTypes",
			       "pluralName from the fields object");
			is_str(at_str(form, "icon"), "📋",
			       "icon from the fields object");
			is_str(at_str(form,
				      "fields.field_1755226803000.placeholder"),
			       "Enter text...", "placeholder kept");
			is_int(at_int(form, "fields.field_1755226803000.order"),
			       0, "order 0 kept");
			is_str(at_str(form, "fields.field_1755226803000.id"),
			       "1755226802000_ivv4w1csg", "field id kept");
			break;
		case 6:
			is_str(at_str(form, "description"),
			       "Article author profile", "description");
			is_int(at_int(form,
				      "fields.fullName.validation.maxLength"),
			       100, "validation object kept");
			is_str(at_str(form, "fields.bio.type"), "richText",
			       "type string as-is");
			break;
		case 7:
			is_str(at_str(form, "relationships.author."
					    "targetContentTypeId"),
			       "cmeg00av8q4lbvno60oqlua99",
			       "relationship keyed by name");
			is_int(at_int(form, "fields.readingTime.defaultValue"),
			       0, "defaultValue 0 kept");
			is_str(at_str(form, "fields.publishDate.validation."
					    "format"),
			       "YYYY-MM-DD", "validation.format kept");
			break;
		case 8:
			is_int(at_int(form, "fields.title.order"), 1,
			       "1-based AI order kept");
			is_int(at_int(form, "fields.readingTime.order"), 10,
			       "duplicate order kept");
			ok(!at(form, "icon"), "no icon anywhere");
			break;
		case 9:
			is_str(at_str(form,
				      "fields.availability.options.1.value"),
			       "out_of_stock", "object options unchanged");
			is_str(at_str(form, "icon"), "🛍️",
			       "emoji icon as-is");
			break;
		}
		json_decref(form);
		json_decref(doc);
		catalyst_row_release(&r);
		findings_release(&f);
	}
	buf_release(&b);
}

static void test_shapes_equal(void)
{
	const char *arr = "[{\"name\":\"title\",\"type\":\"text\","
			  "\"required\":true,\"maxLength\":80},"
			  "{\"name\":\"kind\",\"type\":\"select\","
			  "\"options\":[\"a\",\"b\"],\"default\":\"a\"}]";
	const char *arr_norm =
		"[{\"name\":\"title\",\"type\":\"text\",\"required\":true,"
		"\"validation\":{\"maxLength\":80},\"order\":0},"
		"{\"name\":\"kind\",\"type\":\"select\",\"required\":false,"
		"\"options\":[{\"label\":\"a\",\"value\":\"a\"},"
		"{\"label\":\"b\",\"value\":\"b\"}],\"defaultValue\":\"a\","
		"\"order\":1}]";
	struct buf obj = BUF_INIT, cobj = BUF_INIT, carr = BUF_INIT;
	struct buf nobj = BUF_INIT;
	json_t *s;
	json_t *forms[5] = {NULL};
	enum catalyst_fields_shape shapes[5];
	const char *texts[5];
	struct catalyst_row r;

	buf_addf(&obj,
		 "{\"name\":\"Thing\",\"fields\":%s,"
		 "\"relationships\":[]}",
		 arr);
	buf_addf(&nobj, "{\"name\":\"Thing\",\"fields\":%s}", arr_norm);
	s = json_string(obj.ptr);
	jx_dump_compact(&cobj, s);
	json_decref(s);
	s = json_string(arr);
	jx_dump_compact(&carr, s);
	json_decref(s);
	texts[0] = obj.ptr;
	texts[1] = arr;
	texts[2] = cobj.ptr;
	texts[3] = carr.ptr;
	texts[4] = nobj.ptr;
	for (int i = 0; i < 5; i++) {
		row_set(&r, "t1", "Thing", texts[i], NULL);
		is_int(catalyst_form_from_row(&forms[i], &shapes[i], &r, NULL),
		       0, "shape variant %d normalizes", i);
		catalyst_row_release(&r);
	}
	is_int(shapes[0], CATALYST_SHAPE_OBJECT, "A is the object shape");
	is_int(shapes[1], CATALYST_SHAPE_ARRAY, "B is the array shape");
	is_int(shapes[2], CATALYST_SHAPE_STRING_OBJECT, "C of A");
	is_int(shapes[3], CATALYST_SHAPE_STRING_ARRAY, "C of B");
	ok(json_equal(forms[0], forms[1]), "A and B give equal forms");
	ok(json_equal(forms[0], forms[2]), "A and C(A) give equal forms");
	ok(json_equal(forms[1], forms[3]), "B and C(B) give equal forms");
	ok(json_equal(forms[0], forms[4]),
	   "the seed style and the app style of one type are equal");
	for (int i = 0; i < 5; i++)
		json_decref(forms[i]);
	buf_release(&obj);
	buf_release(&cobj);
	buf_release(&carr);
	buf_release(&nobj);
}

struct bad_case {
	const char *fields;
	const char *reason;
	const char *what;
};

static void test_errors(void)
{
	static const struct bad_case cases[] = {
		{"[{\"name\":\"title\",}]",
		 "fields is not valid JSON at 1:", "fields not JSON"},
		{"[{\"name\":\"title\",\"name\":\"x\"}]",
		 "fields is not valid JSON at 1:", "a duplicate key"},
		{"[{\"name\":\"title\",\"name\":\"x\"}]", "duplicate",
		 "the reason names the duplicate key"},
		{"[{\"name\":\"a\"},{\"name\":\"b\"},{\"type\":\"text\"}]",
		 "field 3 has no name", "a field without a name"},
		{"[{\"name\":\"\"}]", "field 1 has no name",
		 "an empty name is no name"},
		{"[{\"name\":7}]", "field 1 has a name that is a number",
		 "a name that is not a string"},
		{"[{\"name\":\"title\"},{\"name\":\"title\"}]",
		 "two fields are named 'title'", "two fields with one name"},
		{"[{\"name\":\"a\"},\"b\"]",
		 "field 2 is a string, not an object",
		 "a field that is not an object"},
		{"[{\"name\":\"social\",\"type\":\"object\",\"fields\":"
		 "[{\"name\":\"x\"},{\"type\":\"text\"}]}]",
		 "field 'social': nested field 2 has no name",
		 "a nested field without a name"},
		{"[{\"name\":\"social\",\"type\":\"object\",\"fields\":"
		 "[{\"name\":\"x\"},{\"name\":\"x\"}]}]",
		 "field 'social': two nested fields are named 'x'",
		 "two nested fields with one name"},
		{"42", "fields is a number, not an object or an array",
		 "a number"},
		{"\"[1,\"",
		 "fields is a JSON string whose content is not "
		 "valid JSON at 1:",
		 "shape C holding bad JSON"},
		{"\"\\\"[]\\\"\"", "fields is a JSON string holding a string",
		 "shape C is unwrapped once only"},
		{"{\"name\":\"Thing\",\"fields\":{}}",
		 "the \"fields\" member of fields is an object, not an array",
		 "shape A with a fields object"},
		{"{\"name\":\"Thing\",\"fields\":[],\"relationships\":{}}",
		 "relationships is an object, not an array",
		 "relationships not an array"},
		{"{\"fields\":[],\"relationships\":[{\"type\":\"oneToOne\"}]}",
		 "relationship 1 has no name, fieldName or id",
		 "a relationship without a key"},
		{"{\"fields\":[],\"relationships\":[{\"name\":\"r\"},"
		 "{\"fieldName\":\"r\"}]}",
		 "two relationships are named 'r'", "two relationships"},
		{NULL, "fields is missing (NULL)", "a NULL fields column"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *form = (json_t *)1;
		int ret;

		err_clear();
		ret = form_of(&form, NULL, cases[i].fields, NULL);
		is_int(ret, ERR_INVALID, "%s: ERR_INVALID", cases[i].what);
		ok(!form, "%s: no form", cases[i].what);
		ok(has_str(err_msg(), "content type 't1' (Thing): "),
		   "%s: message names the id and name", cases[i].what);
		ok(has_str(err_msg(), cases[i].reason), "%s: message says '%s'",
		   cases[i].what, cases[i].reason);
		if (!has_str(err_msg(), cases[i].reason))
			diag("got: %s", err_msg());
	}
}

static void test_warnings(void)
{
	struct findings f = FINDINGS_INIT;
	const struct finding *w;
	json_t *form = NULL;

	is_int(form_of(&form, &f, "[{\"name\":\"a\",\"type\":\"text\"}]",
		       "{\"icon\": \"x\","),
	       0, "settings not JSON: the row is still usable");
	w = find_code(&f, "catalyst-settings-invalid-json");
	ok(w, "and warns catalyst-settings-invalid-json");
	is_str(w ? w->path : NULL, "Thing:settings", "at Thing:settings");
	ok(w && has_str(w->message, "not valid JSON at 1:"),
	   "with line and column");
	ok(w && w->severity == FINDING_WARNING, "as a warning");
	ok(!json_object_get(form, "settings") && !json_object_get(form, "icon"),
	   "and settings is ignored");
	is_str(err_msg(), "", "the parse error is cleared");
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, &f, "[]", "[1]"), 0, "settings an array");
	ok(find_code(&f, "catalyst-settings-not-object"),
	   "warns catalyst-settings-not-object");
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, &f, "[]", "{}"), 0, "settings empty");
	ok(!json_object_get(form, "settings") && !f.nr,
	   "empty settings are left out, silently");
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, &f,
		       "{\"name\":\"Other\",\"fields\":[{\"name\":\"mystery\"},"
		       "{\"name\":\"t\",\"type\":\"text\",\"maxLength\":100,"
		       "\"minLength\":2,\"validation\":{\"maxLength\":120,"
		       "\"minLength\":2}},"
		       "{\"name\":\"d\",\"type\":\"number\",\"default\":1,"
		       "\"defaultValue\":2,\"required\":\"yes\","
		       "\"order\":\"first\",\"options\":[\"x\",null]},"
		       "{\"name\":\"k\",\"type\":5,\"options\":\"x\"}],"
		       "\"relationships\":[{\"name\":\"owner\","
		       "\"fieldName\":\"owner\"},{\"name\":\"t2\","
		       "\"fieldName\":\"t\"}],\"contentSchema\":{\"a\":1}}",
		       NULL),
	       0, "a row with many lesser problems is usable");
	w = find_code(&f, "catalyst-field-no-type");
	is_str(w ? w->path : NULL, "Thing:fields.mystery",
	       "field without a type: catalyst-field-no-type");
	w = find_code(&f, "catalyst-validation-conflict");
	is_str(w ? w->path : NULL, "Thing:fields.t.validation.maxLength",
	       "conflicting seed key: catalyst-validation-conflict");
	is_int(at_int(form, "fields.t.validation.maxLength"), 120,
	       "validation's value is kept");
	ok(!at(form, "fields.t.maxLength") && !at(form, "fields.t.minLength"),
	   "the seed keys are gone");
	w = find_code(&f, "catalyst-default-conflict");
	is_str(w ? w->path : NULL, "Thing:fields.d.defaultValue",
	       "default and defaultValue differ: catalyst-default-conflict");
	is_int(at_int(form, "fields.d.defaultValue"), 2,
	       "defaultValue is kept");
	ok(find_code(&f, "catalyst-field-required-not-boolean"),
	   "required \"yes\": catalyst-field-required-not-boolean");
	is_str(at_str(form, "fields.d.required"), "yes", "and kept as-is");
	ok(find_code(&f, "catalyst-field-order-not-number"),
	   "order \"first\": catalyst-field-order-not-number");
	w = find_code(&f, "catalyst-option-invalid");
	is_str(w ? w->path : NULL, "Thing:fields.d.options[1]",
	       "option null: catalyst-option-invalid");
	is_str(at_str(form, "fields.d.options.0.label"), "x",
	       "the string option next to it is converted");
	ok(find_code(&f, "catalyst-field-type-not-string"),
	   "type 5: catalyst-field-type-not-string");
	ok(find_code(&f, "catalyst-options-not-array"),
	   "options \"x\": catalyst-options-not-array");
	w = find_code(&f, "catalyst-relationship-field-unknown");
	is_str(w ? w->path : NULL, "Thing:relationships.owner",
	       "relationship to no field: "
	       "catalyst-relationship-field-unknown");
	ok(w && has_str(w->message, "'owner'"), "naming the field");
	w = find_code(&f, "catalyst-name-mismatch");
	is_str(w ? w->path : NULL, "Thing:name",
	       "object name differs: catalyst-name-mismatch");
	is_str(at_str(form, "name"), "Thing", "the row's name wins");
	is_int(at_int(form, "extra.contentSchema.a"), 1,
	       "unknown object members go under extra");
	is_int(f.nr, 10, "ten warnings, one each");
	for (size_t i = 0; i < f.nr; i++)
		ok(f.items[i].severity == FINDING_WARNING, "%s is a warning",
		   f.items[i].code);
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, &f,
		       "[{\"name\":\"p\",\"type\":\"select\","
		       "\"options\":[1,2.5,0.1,true,\"x\",{\"label\":\"L\","
		       "\"value\":7}]}]",
		       NULL),
	       0, "plain number and boolean options");
	is_int(f.nr, 0, "are no problem");
	is_str(at_str(form, "fields.p.options.0.label"), "1",
	       "an integer option gets its text as label");
	is_int(at_int(form, "fields.p.options.0.value"), 1,
	       "and keeps its number as value");
	is_str(at_str(form, "fields.p.options.1.label"), "2.5", "a real");
	ok(json_is_real(at(form, "fields.p.options.1.value")),
	   "stays a real value");
	is_str(at_str(form, "fields.p.options.2.label"), "0.1",
	       "in the fewest digits");
	is_str(at_str(form, "fields.p.options.3.label"), "true", "a boolean");
	ok(json_is_true(at(form, "fields.p.options.3.value")),
	   "stays a boolean value");
	is_str(at_str(form, "fields.p.options.4.value"), "x", "a string");
	is_int(at_int(form, "fields.p.options.5.value"), 7,
	       "an object option is kept");
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, &f,
		       "[{\"name\":\"t\",\"type\":\"text\",\"maxLength\":5,"
		       "\"validation\":{\"maxLength\":5},\"default\":\"a\","
		       "\"defaultValue\":\"a\"}]",
		       NULL),
	       0, "equal duplicates");
	is_int(f.nr, 0, "equal seed and validation values: no warning");
	ok(!at(form, "fields.t.maxLength") && !at(form, "fields.t.default"),
	   "and the seed copies are dropped");
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, &f,
		       "[{\"name\":\"t\",\"maxLength\":5,"
		       "\"validation\":\"strict\",\"type\":\"text\"}]",
		       NULL),
	       0, "validation not an object");
	ok(find_code(&f, "catalyst-validation-not-object"),
	   "warns catalyst-validation-not-object");
	is_int(at_int(form, "fields.t.maxLength"), 5,
	       "and the seed key stays at the top");
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, &f,
		       "[{\"name\":\"t\",\"type\":\"object\","
		       "\"fields\":\"oops\"}]",
		       NULL),
	       0, "nested fields not an array");
	ok(find_code(&f, "catalyst-nested-fields-not-array"),
	   "warns catalyst-nested-fields-not-array");
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, &f, "{\"name\":\"Thing\",\"icon\":\"i\"}", NULL),
	       0, "an object without fields");
	ok(find_code(&f, "catalyst-fields-missing"),
	   "warns catalyst-fields-missing");
	is_int(json_object_size(at(form, "fields")), 0, "and has no fields");
	json_decref(form);
	findings_release(&f);

	is_int(form_of(&form, NULL, "[{\"name\":\"m\"}]", "[1]"), 0,
	       "findings may be NULL");
	json_decref(form);

	findings_add(&f, FINDING_ERROR, "earlier", "X:", "from another type");
	is_int(form_of(&form, &f, "[{\"name\":\"a\"},{\"type\":\"text\"}]",
		       "{"),
	       ERR_INVALID, "a rejected row");
	is_int(f.nr, 1, "leaves no warnings of its own behind");
	is_str(f.nr ? f.items[0].code : NULL, "earlier",
	       "and keeps the earlier findings");
	findings_release(&f);
}

static void test_type_level(void)
{
	struct catalyst_row r;
	json_t *form = NULL;

	row_set(&r, "t1", "Thing",
		"{\"name\":\"Thing\",\"pluralName\":\"Obj\",\"icon\":\"O\","
		"\"fields\":[]}",
		"{\"pluralName\":\"Set\",\"icon\":\"S\",\"description\":\"D\","
		"\"category\":\"page\"}");
	is_int(catalyst_form_from_row(&form, NULL, &r, NULL), 0, "sources");
	is_str(at_str(form, "pluralName"), "Obj",
	       "fields object before settings");
	is_str(at_str(form, "icon"), "O", "icon from the object");
	is_str(at_str(form, "description"), "D",
	       "description from settings when the object has none");
	is_str(at_str(form, "category"), "page", "category from settings");
	ok(!at(form, "key") && !at(form, "displayField"),
	   "no key or displayField without columns");
	json_decref(form);

	r.plural_name = xstrdup("Col");
	r.category = xstrdup("folder");
	r.key = xstrdup("thing");
	r.display_field = xstrdup("title");
	is_int(catalyst_form_from_row(&form, NULL, &r, NULL), 0, "columns");
	is_str(at_str(form, "pluralName"), "Col", "the column comes first");
	is_str(at_str(form, "category"), "folder", "category column first");
	is_str(at_str(form, "key"), "thing", "key from the column");
	is_str(at_str(form, "displayField"), "title", "displayField too");
	is_str(at_str(form, "settings.category"), "page",
	       "settings still kept whole");
	json_decref(form);
	catalyst_row_release(&r);

	row_set(&r, "t1", "Thing", "[]", "{\"category\":7}");
	is_int(catalyst_form_from_row(&form, NULL, &r, NULL), 0, "odd cat");
	is_str(at_str(form, "category"), "component",
	       "a non-string settings.category falls back to component");
	json_decref(form);
	catalyst_row_release(&r);

	row_set(&r, "t1", "Thing", "[]", NULL);
	FREE_AND_NULL(r.website_id);
	form = (json_t *)1;
	is_int(catalyst_form_from_row(&form, NULL, &r, NULL), ERR_INVALID,
	       "a row without websiteId is unusable");
	ok(!form, "no form then");
	catalyst_row_release(&r);
	catalyst_row_release(&r);
	ok(!r.id && r.created_ms == -1, "release twice is harmless");
}

static void test_time(void)
{
	static const char *const bad[] = {
		"",
		"abc",
		"2025-13-01 00:00:00",
		"2025-02-29 00:00:00",
		"2025-08-16 24:00:00",
		"2025-08-16",
		"2025-08-16T09:30:00Zjunk",
		"2025-08-16T09:30:00+02:",
		"2025-08-16T09:30:00.",
		"25-08-16 09:30:00",
		"1755209405160x",
		"99999999999999999999",
		"-5",
	};
	enum catalyst_time_format fmt = 99;

	is_int(catalyst_parse_time("1755209405160", &fmt), 1755209405160LL,
	       "milliseconds as digits");
	is_int(fmt, CATALYST_TIME_MILLIS, "are MILLIS");
	is_int(catalyst_parse_time("2025-08-16 09:30:00", &fmt),
	       1755336600000LL, "SQL text");
	is_int(fmt, CATALYST_TIME_SQL, "is SQL");
	is_int(catalyst_parse_time("2025-08-16 09:30:00.5", &fmt),
	       1755336600500LL, "SQL text with a fraction");
	is_int(catalyst_parse_time("2025-08-14T22:10:05.160Z", &fmt),
	       1755209405160LL, "ISO with ms and Z");
	is_int(fmt, CATALYST_TIME_ISO, "is ISO");
	is_int(catalyst_parse_time("2025-08-16T12:00:00+02:00", &fmt),
	       1755338400000LL, "ISO with an offset");
	is_int(catalyst_parse_time("2024-02-29T23:59:59.999123-05:30", &fmt),
	       1709270999999LL, "leap day, micros, negative offset");
	is_int(catalyst_parse_time("2025-08-16T12:00:00+0200", NULL),
	       1755338400000LL, "offset without a colon; fmt may be NULL");
	is_int(catalyst_parse_time("2025-08-16T09:30:00", &fmt),
	       1755336600000LL, "ISO without a zone is UTC");
	is_int(catalyst_parse_time("1970-01-01T00:00:00Z", &fmt), 0,
	       "the epoch");

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fmt = 99;
		is_int(catalyst_parse_time(bad[i], &fmt), -1, "'%s' is refused",
		       bad[i]);
		is_int(fmt, CATALYST_TIME_NULL, "'%s' has no format", bad[i]);
	}
	is_int(catalyst_parse_time(NULL, &fmt), -1, "NULL is refused");
}

int main(void)
{
	plan_lazy();
	test_sample_rows();
	test_shapes_equal();
	test_errors();
	test_warnings();
	test_type_level();
	test_time();
	return done_testing();
}
