/*
 * The backward lens. The heart of it is the round-trip law of brief §6:
 * forward(backward(form, from, to)) == tform_owned(to) on owned paths, for
 * every change the table can express. Each change kind is checked on the
 * sample rows (normalized with catalyst_form_from_row), then combinations,
 * a new type, preservation, what cannot be expressed, bad input, and a
 * seeded random walk of edits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalyst_form.h"
#include "core/findings.h"
#include "core/keys.h"
#include "core/lens.h"
#include "core/tform.h"
#include "tap.h"
#include "testlib.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

/* ---- helpers ---------------------------------------------------------- */

/* JSON with single quotes for readability (no test value holds a quote). */
static json_t *load(const char *text)
{
	char *t = xstrdup(text);
	json_t *v = NULL;

	for (char *p = t; *p; p++)
		if (*p == '\'')
			*p = '"';
	if (jx_load(&v, t, strlen(t), "test JSON") < 0)
		diag("bad test JSON: %s (%s)", t, err_msg());
	free(t);
	return v;
}

static char *dump(const json_t *v)
{
	return v ? json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT |
				  JSON_ENCODE_ANY)
		 : NULL;
}

static int is_json(const json_t *got, const char *want_text, const char *name)
{
	json_t *want = load(want_text);
	char *g = dump(got), *w = dump(want);
	int res = ok(got && want && json_equal(got, want), "%s", name);

	if (!res) {
		diag("got:  %s", g ? g : "(null)");
		diag("want: %s", w ? w : want_text);
	}
	free(g);
	free(w);
	json_decref(want);
	return res;
}

static void dump_findings(const struct findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		diag("%s %s: %s", f->items[i].code, f->items[i].path,
		     f->items[i].message);
}

static int has_finding(const struct findings *f, const char *path,
		       const char *needle)
{
	for (size_t i = 0; i < f->nr; i++) {
		const struct finding *it = &f->items[i];

		if (strcmp(it->code, "inexpressible-change") ||
		    it->severity != FINDING_WARNING ||
		    (path && strcmp(it->path, path)))
			continue;
		if (needle && !strstr(it->message, needle))
			continue;
		return 1;
	}
	return 0;
}

/* A member by a dotted path ("fields.title.validation"); borrowed. */
static json_t *at(const json_t *v, const char *path)
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
	return (json_t *)v;
}

/* at() must hold the JSON want_text (NULL: must be absent). */
static void is_at(const json_t *v, const char *path, const char *want_text,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void is_at(const json_t *v, const char *path, const char *want_text,
		  const char *fmt, ...)
{
	json_t *got = at(v, path);
	struct buf name = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&name, fmt, ap);
	va_end(ap);
	if (!want_text) {
		char *g = dump(got);

		if (!ok(!got, "%s", name.ptr))
			diag("%s is %s", path, g);
		free(g);
	} else {
		is_json(got, want_text, name.ptr);
	}
	buf_release(&name);
}

/* ---- the samples and the website's type keys -------------------------- */

static json_t *samples[TEST_NR_SAMPLES];
/* {Catalyst id: Optimizely key} of every sample type (and Everything). */
static json_t *type_keys;

static int sample_row(struct catalyst_row *r, const char *file)
{
	struct buf path = BUF_INIT;
	json_t *doc = NULL, *row;
	int ret;

	test_fixture_path(&path, file);
	ret = jx_load_file(&doc, path.ptr);
	buf_release(&path);
	if (ret < 0)
		return ret;
	row = json_object_get(doc, "row");
	memset(r, 0, sizeof(*r));
	r->id = xstrdup(jx_str(row, "id"));
	r->website_id = xstrdup(jx_str(row, "websiteId"));
	r->name = xstrdup(jx_str(row, "name"));
	r->fields_json = xstrdup(jx_str(row, "fields"));
	if (jx_str(row, "settings"))
		r->settings_json = xstrdup(jx_str(row, "settings"));
	r->created_ms = json_integer_value(json_object_get(row, "createdAt"));
	r->updated_ms = json_integer_value(json_object_get(row, "updatedAt"));
	r->time_format = CATALYST_TIME_MILLIS;
	json_decref(doc);
	return 0;
}

static int load_samples(void)
{
	struct keys_type kt[TEST_NR_SAMPLES];

	memset(kt, 0, sizeof(kt));
	for (size_t i = 0; i < TEST_NR_SAMPLES; i++) {
		struct catalyst_row r;

		if (sample_row(&r, test_samples[i]) < 0 ||
		    catalyst_form_from_row(&samples[i], NULL, &r, NULL) < 0) {
			diag("cannot load %s: %s", test_samples[i], err_msg());
			return -1;
		}
		kt[i].id = jx_str(samples[i], "id");
		kt[i].name = jx_str(samples[i], "name");
		kt[i].seed = kt[i].name;
		kt[i].created_ms = r.created_ms;
		catalyst_row_release(&r);
	}
	keys_assign_types(kt, TEST_NR_SAMPLES, NULL, NULL);
	type_keys = json_object();
	for (size_t i = 0; i < TEST_NR_SAMPLES; i++) {
		json_object_set_new(type_keys, kt[i].id,
				    json_string(kt[i].key));
		free(kt[i].key);
	}
	json_object_set_new(type_keys, "everything01",
			    json_string("Everything"));
	return 0;
}

static const char *key_of(const json_t *form)
{
	const char *id = jx_str(form, "id");

	return id ? jx_str(type_keys, id) : NULL;
}

/*
 * Every Catalyst type the lens knows, as a normalized form: Catalyst's own
 * shapes (ids, placeholders, plain and object options, relationships by
 * fieldName, by name and by member name, a target without a key).
 */
static const char everything_form[] =
	"{'id':'everything01','websiteId':'site01','name':'Everything',"
	"'category':'folder','fields':{"
	"'md':{'type':'markdown','label':'Notes','required':false,'order':0,"
	"'validation':{'maxLength':5000}},"
	"'str':{'type':'string','required':false,'order':1,"
	"'validation':{'minLength':0,'maxLength':10}},"
	"'area':{'type':'textarea','required':false,'order':2,"
	"'placeholder':'Say it'},"
	"'site':{'type':'url','required':true,'order':3},"
	"'mail':{'type':'email','required':false,'order':4,"
	"'validation':{'pattern':'^.+@example[.]com$'}},"
	"'contact':{'type':'email','required':false,'order':5},"
	"'ratio':{'type':'number','required':false,'order':6,"
	"'validation':{'min':0.5,'max':1.5,'precision':2}},"
	"'when':{'type':'datetime','required':false,'order':7,"
	"'validation':{'minDate':1735689600000}},"
	"'day':{'type':'datetime','required':false,'order':8,"
	"'validation':{'minDate':'2024-02-29 10:30'}},"
	"'size':{'type':'select','required':false,'order':9,"
	"'options':[{'label':'Small','value':1},{'label':'Large','value':3},"
	"{'label':'Again','value':1.0},{'label':'Odd','value':{'a':1}}]},"
	"'weight':{'type':'select','required':false,'order':10,"
	"'options':[{'label':'Light','value':0.5},"
	"{'label':'Heavy','value':2}]},"
	"'yes':{'type':'select','required':false,'order':11,"
	"'options':[{'label':'Yes','value':true},"
	"{'label':'No','value':false}]},"
	"'none':{'type':'select','required':false,'order':12,'options':[]},"
	"'colors':{'type':'multiselect','required':false,'order':13,"
	"'options':[{'label':'Red','value':'red','description':'warm'},"
	"{'label':'','value':'blue'},{'label':'Green'}],"
	"'validation':{'minItems':1,'maxItems':2}},"
	"'labels':{'type':'tags','required':false,'order':14,"
	"'validation':{'maxItems':20}},"
	"'clip':{'type':'media','required':false,'order':15,"
	"'accept':'video/*'},"
	"'asset':{'type':'media','required':false,'order':16,"
	"'accept':'video/mp4, image/*'},"
	"'any':{'type':'media','required':false,'order':17},"
	"'mixed':{'type':'media','required':false,'order':18,"
	"'accept':['image/png','.pdf']},"
	"'pics':{'type':'gallery','required':false,'order':19,"
	"'validation':{'minItems':1}},"
	"'data':{'type':'object','required':false,'order':20,"
	"'fields':{'a':{'type':'text','required':false,'order':0}}},"
	"'blob':{'type':'json','required':false,'order':21},"
	"'related':{'type':'reference','required':false,'order':22},"
	"'articles':{'type':'reference','required':false,'order':23},"
	"'tagsOf':{'type':'reference','required':false,'order':24,"
	"'validation':{'maxItems':5}},"
	"'ghost':{'type':'reference','required':false,'order':25},"
	"'nums':{'type':'array','itemType':'number','required':false,"
	"'order':26,'validation':{'min':0}},"
	"'picks':{'type':'array','itemType':'select','required':false,"
	"'order':27,'options':['a']},"
	"'refs':{'type':'array','itemType':'reference','required':false,"
	"'order':28},"
	"'bare':{'type':'array','required':false,'order':29},"
	"'mix':{'type':'select','required':false,'order':30,"
	"'options':[{'label':'One','value':1},{'label':'Two','value':'2'},"
	"{'value':true}]},"
	"'rich':{'type':'richtext','required':false,'order':31,"
	"'label':'','helpText':''},"
	"'bad':{'type':'date','required':false,'order':32,"
	"'validation':{'minDate':'soon','maxDate':'2024-02-30'}},"
	"'flag':{'type':'boolean','required':true,'order':33,"
	"'defaultValue':true},"
	"'count':{'type':'number','required':false,'order':34,"
	"'validation':{'precision':0}}},"
	"'relationships':{"
	"'articles':{'type':'oneToMany',"
	"'targetContentTypeId':'cmeg00bv8q4r2kbsqmyiam2ue'},"
	"'r2':{'type':'manyToMany',"
	"'targetContentTypeId':'cmeg00dv8q4p2q8pvopdmtbh3',"
	"'fieldName':'tagsOf'},"
	"'r3':{'type':'oneToOne','targetContentTypeId':'elsewhere',"
	"'fieldName':'ghost'},"
	"'r4':{'type':'manyToOne',"
	"'targetContentTypeId':'cmeg00av8q4lbvno60oqlua99',"
	"'name':'refs'}}}";

/* ---- lens runs --------------------------------------------------------- */

/* The property keys the forward lens would make for form. */
static json_t *keys_for(const json_t *form)
{
	return keys_assign_properties(form, NULL, jx_str(form, "name"),
				      lens_base_type(jx_str(form, "category")),
				      NULL);
}

static json_t *forward(const json_t *form, const char *type_key,
		       const json_t *keys)
{
	struct lens_ctx ctx = {type_key, type_keys, keys, NULL, NULL};
	json_t *doc = NULL;

	if (lens_forward(&doc, form, &ctx) < 0) {
		diag("forward failed: %s", err_msg());
		err_clear();
		return NULL;
	}
	return doc;
}

/* One pull: the case's form, keys and documents, and what came of it. */
struct pull {
	const char *type_key;
	json_t *form;  /* the form to pull onto (borrowed) */
	json_t *keys;  /* its property keys */
	json_t *from;  /* forward(form) */
	json_t *to;    /* the document to reach: a copy of from, edited */
	json_t *out;   /* the result of the backward lens */
	json_t *out_keys;
	json_t *back;  /* forward(out) with out_keys */
	struct findings f;
	int ret;
	int quiet; /* a failing round trip is expected: no diagnostics */
};

static void pull_start(struct pull *p, json_t *form, const char *type_key)
{
	memset(p, 0, sizeof(*p));
	p->type_key = type_key;
	p->form = form;
	p->keys = form ? keys_for(form) : NULL;
	p->from = form ? forward(form, type_key, p->keys) : NULL;
	p->to = p->from ? json_deep_copy(p->from) : NULL;
}

static void pull_release(struct pull *p)
{
	json_decref(p->keys);
	json_decref(p->from);
	json_decref(p->to);
	json_decref(p->out);
	json_decref(p->out_keys);
	json_decref(p->back);
	findings_release(&p->f);
}

/* A property of the document to reach, to edit. */
static json_t *prop(struct pull *p, const char *key)
{
	json_t *v = at(p->to, "properties");

	v = json_object_get(v, key);
	if (!v)
		diag("no property '%s' to edit", key);
	return v;
}

static void set(json_t *obj, const char *member, const char *json_text)
{
	if (!obj)
		return;
	if (!json_text)
		json_object_del(obj, member);
	else
		json_object_set_new(obj, member, load(json_text));
}

/* The owned members of the canonical form of a document. */
static json_t *owned(const json_t *doc)
{
	json_t *c = tform_canonical(doc, API_V1);
	json_t *o = tform_owned(c);

	json_decref(c);
	return o;
}

/*
 * Runs the backward lens from p->from to p->to, then the forward lens over
 * the result; returns whether the round-trip law holds (the check is not a
 * TAP result: callers report it).
 */
static int pull_run(struct pull *p)
{
	struct lens_back_ctx ctx = {.type_key = p->type_key,
				    .type_keys = type_keys,
				    .prop_keys = p->keys,
				    .findings = &p->f};
	json_t *want, *got;
	int res;

	p->ret = lens_backward(&p->out, p->form, p->from, p->to, &ctx,
			       &p->out_keys);
	if (p->ret < 0) {
		diag("backward failed: %s", err_msg());
		return 0;
	}
	p->back = forward(p->out, p->type_key, p->out_keys);
	if (!p->back)
		return 0;
	want = owned(p->to);
	got = owned(p->back);
	res = json_equal(want, got);
	if (!res && !p->quiet) {
		char *w = dump(want), *g = dump(got);

		diag("want: %s", w);
		diag("got:  %s", g);
		free(w);
		free(g);
	}
	json_decref(want);
	json_decref(got);
	return res;
}

/* pull_run as a test, with no warnings expected. */
static void law(struct pull *p, const char *name)
{
	ok(pull_run(p), "%s: round trip", name);
	if (!ok(p->f.nr == 0, "%s: no warnings", name))
		dump_findings(&p->f);
}

static json_t *field_of(const struct pull *p, const char *name)
{
	return json_object_get(json_object_get(p->out, "fields"), name);
}

/* ---- identity ---------------------------------------------------------- */

static void test_identity(void)
{
	json_t *every = load(everything_form);

	for (size_t i = 0; i <= TEST_NR_SAMPLES; i++) {
		json_t *form = i < TEST_NR_SAMPLES ? samples[i] : every;
		const char *name = i < TEST_NR_SAMPLES ? test_samples[i]
						       : "everything";
		struct pull p;

		pull_start(&p, form, i < TEST_NR_SAMPLES ? key_of(form)
							 : "Everything");
		law(&p, name);
		ok(p.out && json_equal(p.out, form),
		   "%s: from == to gives the form back", name);
		ok(p.out_keys && json_equal(p.out_keys, p.keys),
		   "%s: and its keys", name);
		pull_release(&p);
	}

	/* without `from`, the forward lens gives it */
	{
		struct pull p;
		struct lens_back_ctx ctx = {.type_key = "Article",
					    .type_keys = type_keys,
					    .prop_keys = NULL,
					    .findings = NULL};

		pull_start(&p, samples[7], key_of(samples[7]));
		ok(lens_backward(&p.out, p.form, NULL, p.to, &ctx, NULL) == 0 &&
			   json_equal(p.out, p.form),
		   "from NULL means forward(form); keys generated when NULL");
		pull_release(&p);
	}
	json_decref(every);
}

/* ---- single changes on the samples ------------------------------------- */

static void test_type_level(void)
{
	struct pull p;

	/* sample 08 keeps description in settings as well */
	pull_start(&p, samples[7], key_of(samples[7]));
	set(p.to, "displayName", "'Feature Article'");
	law(&p, "type displayName");
	is_at(p.out, "name", "'Feature Article'", "becomes the name");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(p.to, "description", "'Long reads'");
	law(&p, "type description");
	is_at(p.out, "description", "'Long reads'", "becomes description");
	is_at(p.out, "settings.description", "'Long reads'",
	      "and settings.description, where the row keeps it too");
	is_at(p.out, "settings.icon", "'\xf0\x9f\x93\xb0'",
	      "the rest of settings is left alone");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(p.to, "description", NULL);
	law(&p, "type description removed");
	is_at(p.out, "description", NULL, "removes description");
	is_at(p.out, "settings.description", NULL, "in settings too");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(p.to, "baseType", "'_page'");
	law(&p, "baseType _page");
	is_at(p.out, "category", "'page'", "category page");
	is_at(p.out, "settings.category", NULL,
	      "no settings.category is made up");
	pull_release(&p);

	/* the AI update tool keeps category in settings */
	{
		json_t *form = json_deep_copy(samples[5]);

		set(form, "category", "'page'");
		set(json_object_get(form, "settings"), "category", "'page'");
		pull_start(&p, form, key_of(form));
		set(p.to, "baseType", "'_folder'");
		law(&p, "baseType _folder on a form with settings.category");
		is_at(p.out, "category", "'folder'", "category folder");
		is_at(p.out, "settings.category", "'folder'",
		      "settings.category folder");
		pull_release(&p);

		pull_start(&p, form, key_of(form));
		set(p.to, "baseType", "'_component'");
		law(&p, "baseType _component");
		is_at(p.out, "settings.category", "'component'",
		      "settings.category component");
		pull_release(&p);
		json_decref(form);
	}
}

/* Property members that map one to one: label, helpText, required, order. */
static void test_generic_members(void)
{
	struct pull p;
	json_t *title;

	pull_start(&p, samples[7], key_of(samples[7]));
	title = prop(&p, "title");
	set(title, "displayName", "'Headline'");
	law(&p, "displayName");
	is_at(p.out, "fields.title.label", "'Headline'", "becomes the label");
	is_at(p.out, "fields.title.id", "'1755226812000_ifypowxg4'",
	      "the field keeps its id");
	is_at(p.out, "fields.title.placeholder", "'Enter text...'",
	      "and its placeholder");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "title"), "description", "'The H1'");
	set(prop(&p, "slug"), "description", "'Lower-case words'");
	law(&p, "description");
	is_at(p.out, "fields.title.helpText", "'The H1'", "changes helpText");
	is_at(p.out, "fields.slug.helpText", "'Lower-case words'",
	      "adds helpText");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "title"), "description", NULL);
	law(&p, "description removed");
	is_at(p.out, "fields.title.helpText", NULL, "removes helpText");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "title"), "isRequired", NULL);
	set(prop(&p, "featured"), "isRequired", "true");
	law(&p, "isRequired");
	is_at(p.out, "fields.title.required", "false", "required false");
	is_at(p.out, "fields.featured.required", "true", "required true");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "title"), "sortOrder", "9");
	law(&p, "sortOrder");
	is_at(p.out, "fields.title.order", "9", "becomes order");
	pull_release(&p);

	/* seed-style fields have no label: only a different name sets one */
	pull_start(&p, samples[0], key_of(samples[0]));
	set(prop(&p, "excerpt"), "displayName", "'Teaser'");
	law(&p, "displayName on a field without label");
	is_at(p.out, "fields.excerpt.label", "'Teaser'", "gets a label");
	is_at(p.out, "fields.excerpt.type", "'textarea'",
	      "and stays a textarea");
	pull_release(&p);
}

static void test_bounds(void)
{
	struct pull p;
	json_t *every = load(everything_form);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "title"), "minLength", "10");
	set(prop(&p, "title"), "maxLength", NULL);
	set(prop(&p, "slug"), "pattern", "'^[a-z-]+$'");
	law(&p, "minLength, maxLength, pattern");
	is_at(p.out, "fields.title.validation", "{'minLength':10}",
	      "validation minLength/maxLength");
	is_at(p.out, "fields.slug.validation.pattern", "'^[a-z-]+$'",
	      "validation pattern");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "readingTime"), "minimum", "2");
	set(prop(&p, "readingTime"), "maximum", NULL);
	law(&p, "minimum, maximum on a number");
	is_at(p.out, "fields.readingTime.validation",
	      "{'min':2,'precision':0}", "validation min/max");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "readingTime"), "type", "'float'");
	law(&p, "integer -> float");
	is_at(p.out, "fields.readingTime.validation",
	      "{'min':1,'max':60}", "drops precision 0");
	is_at(p.out, "fields.readingTime.type", "'number'", "still a number");
	pull_release(&p);

	pull_start(&p, samples[9], key_of(samples[9]));
	set(prop(&p, "stock"), "type", "'integer'");
	law(&p, "float -> integer");
	is_at(p.out, "fields.stock.validation", "{'precision':0}",
	      "precision 0");
	pull_release(&p);

	/* dates: in the form Catalyst used */
	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "publishDate"), "minimum", "'2025-06-01T00:00:00Z'");
	set(prop(&p, "publishDate"), "maximum", "'2026-01-01T12:30:00Z'");
	law(&p, "date bounds");
	is_at(p.out, "fields.publishDate.validation",
	      "{'minDate':'2025-06-01','maxDate':'2026-01-01T12:30:00Z',"
	      "'format':'YYYY-MM-DD'}",
	      "a date-only value at midnight stays date-only; a time is ISO");
	pull_release(&p);

	pull_start(&p, every, "Everything");
	set(prop(&p, "when"), "minimum", "'2025-02-01T00:00:00Z'");
	set(prop(&p, "when"), "maximum", "'2026-02-01T00:00:00Z'");
	set(prop(&p, "day"), "minimum", "'2024-03-01T00:00:00Z'");
	set(prop(&p, "bad"), "minimum", "'2024-03-01T00:00:00Z'");
	law(&p, "date bounds in other forms");
	is_at(p.out, "fields.when.validation",
	      "{'minDate':1738368000000,'maxDate':1769904000000}",
	      "milliseconds stay milliseconds");
	is_at(p.out, "fields.day.validation.minDate",
	      "'2024-03-01T00:00:00Z'", "a value with a time gets one");
	is_at(p.out, "fields.bad.validation",
	      "{'minDate':'2024-03-01','maxDate':'2024-02-30'}",
	      "a date field without a readable bound gets a date; the "
	      "unreadable maxDate is left alone");
	pull_release(&p);

	pull_start(&p, samples[9], key_of(samples[9]));
	set(prop(&p, "images"), "minItems", "1");
	set(prop(&p, "images"), "maxItems", "8");
	law(&p, "minItems, maxItems");
	is_at(p.out, "fields.images.validation", "{'minItems':1,'maxItems':8}",
	      "validation minItems/maxItems");
	is_at(p.out, "fields.images.type", "'gallery'", "still a gallery");
	pull_release(&p);
	json_decref(every);
}

static void test_enum(void)
{
	struct pull p;
	json_t *form = json_deep_copy(samples[9]);
	json_t *every = load(everything_form);

	/* an option with more than the lens sends */
	set(at(form, "fields.availability.options.1"), "description",
	    "'Ask us'");
	pull_start(&p, form, key_of(form));
	set(prop(&p, "availability"), "enum",
	    "[{'value':'in_stock','displayName':'Available'},"
	    "{'value':'out_of_stock','displayName':'Out of stock'},"
	    "{'value':'backorder','displayName':'Backorder'}]");
	law(&p, "enum");
	is_at(p.out, "fields.availability.options",
	      "[{'label':'Available','value':'in_stock'},"
	      "{'label':'Out of stock','value':'out_of_stock',"
	      "'description':'Ask us'},"
	      "{'label':'Backorder','value':'backorder'}]",
	      "options: renamed, kept with their members, added, removed");
	pull_release(&p);

	/* a select with no options gains some */
	pull_start(&p, form, key_of(form));
	set(prop(&p, "category"), "format", "'selectOne'");
	set(prop(&p, "category"), "enum",
	    "[{'value':'toys','displayName':'Toys'}]");
	law(&p, "enum on a select without options");
	is_at(p.out, "fields.category.options",
	      "[{'label':'Toys','value':'toys'}]", "options from the enum");
	is_at(p.out, "fields.category.type", "'select'", "still a select");
	pull_release(&p);
	json_decref(form);

	pull_start(&p, every, "Everything");
	set(prop(&p, "size"), "enum",
	    "[{'value':3,'displayName':'Large'},"
	    "{'value':5,'displayName':'Huge'}]");
	set(at(p.to, "properties.colors.items"), "enum",
	    "[{'value':'red','displayName':'Red'},"
	    "{'value':'blue','displayName':'Bleu'}]");
	set(prop(&p, "mix"), "enum",
	    "[{'value':'1','displayName':'One'},"
	    "{'value':'true','displayName':'true'},"
	    "{'value':'x','displayName':'X'}]");
	law(&p, "enums of numbers, of a multiselect, of mixed options");
	is_at(p.out, "fields.size.options",
	      "[{'label':'Large','value':3},{'label':'Huge','value':5},"
	      "{'label':'Odd','value':{'a':1}}]",
	      "numbers: the ignored option stays, the duplicate goes "
	      "with its value");
	is_at(p.out, "fields.colors.options",
	      "[{'label':'Red','value':'red','description':'warm'},"
	      "{'label':'Bleu','value':'blue'}]",
	      "a multiselect's items enum");
	is_at(p.out, "fields.mix.options",
	      "[{'label':'One','value':'1'},{'value':'true'},"
	      "{'label':'X','value':'x'}]",
	      "mixed options matched by their text");
	pull_release(&p);
	json_decref(every);
}

static void test_references(void)
{
	struct pull p;
	json_t *every = load(everything_form);
	const char *article = jx_str(type_keys, "cmeg00bv8q4r2kbsqmyiam2ue");
	const char *author = jx_str(type_keys, "cmeg00av8q4lbvno60oqlua99");
	struct buf b = BUF_INIT;

	pull_start(&p, samples[7], key_of(samples[7]));
	buf_addf(&b, "['%s']", article);
	set(prop(&p, "author"), "allowedTypes", b.ptr);
	law(&p, "allowedTypes of a reference");
	is_at(p.out, "relationships.author.targetContentTypeId",
	      "'cmeg00bv8q4r2kbsqmyiam2ue'",
	      "the relationship's target, through type_keys");
	is_at(p.out, "relationships.author.id", "'1755226828000_8wn2mxkds'",
	      "the relationship keeps its id");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "author"), "allowedTypes", NULL);
	law(&p, "allowedTypes removed");
	is_at(p.out, "relationships.author", NULL, "removes the relationship");
	is_at(p.out, "fields.author.type", "'reference'", "a reference still");
	pull_release(&p);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "author"), "type", "'array'");
	set(prop(&p, "author"), "allowedTypes", NULL);
	buf_reset(&b);
	buf_addf(&b, "{'type':'contentReference','allowedTypes':['%s']}",
		 author);
	set(prop(&p, "author"), "items", b.ptr);
	set(prop(&p, "author"), "maxItems", "3");
	law(&p, "a reference made to-many");
	is_at(p.out, "relationships.author.type", "'manyToMany'",
	      "manyToOne -> manyToMany");
	is_at(p.out, "fields.author.validation", "{'maxItems':3}",
	      "with maxItems");
	pull_release(&p);

	pull_start(&p, every, "Everything");
	buf_reset(&b);
	buf_addf(&b, "['%s']", author);
	set(prop(&p, "related"), "allowedTypes", b.ptr);
	set(prop(&p, "ghost"), "allowedTypes", b.ptr);
	set(at(p.to, "properties.refs.items"), "allowedTypes", NULL);
	set(prop(&p, "clip"), "allowedTypes", "['_image','_video']");
	set(prop(&p, "asset"), "allowedTypes", "['_media']");
	set(prop(&p, "any"), "allowedTypes", "['_video']");
	set(prop(&p, "mixed"), "allowedTypes", "['_media']");
	law(&p, "targets of references and media");
	is_json(at(p.out, "relationships.related"),
		"{'name':'related','type':'manyToOne',"
		"'sourceContentTypeId':'everything01',"
		"'targetContentTypeId':'cmeg00av8q4lbvno60oqlua99',"
		"'fieldName':'related','isRequired':false}",
		"a new relationship, as the UI writes one");
	is_at(p.out, "relationships.r3.targetContentTypeId",
	      "'cmeg00av8q4lbvno60oqlua99'",
	      "an unresolved target is pointed at a known type");
	is_at(p.out, "relationships.r4", NULL,
	      "no allowedTypes on array items: their relationship goes");
	is_at(p.out, "fields.clip.accept", "'video/*, image/*'",
	      "media accept: the kinds allowed");
	is_at(p.out, "fields.asset.accept", "'application/*'",
	      "media accept: _media");
	is_at(p.out, "fields.any.accept", "'video/*'",
	      "media accept made");
	is_at(p.out, "fields.mixed.accept", "['.pdf']",
	      "an accept list keeps its form and its entries");
	pull_release(&p);
	buf_release(&b);
	json_decref(every);
}

/* Changed property types, through the reverse of the forward table. */
static void test_type_changes(void)
{
	static const struct {
		const char *prop, *shape, *type, *more_path, *more;
	} cases[] = {
		{"title", "{'type':'richText'}", "richText", "validation",
		 NULL},
		{"body", "{'type':'string','maxLength':100}", "text",
		 "validation", "{'maxLength':100}"},
		{"featured", "{'type':'float','minimum':0.5}", "number",
		 "validation", "{'min':0.5}"},
		{"featured", "{'type':'integer'}", "number", "validation",
		 "{'precision':0}"},
		{"title", "{'type':'boolean'}", "boolean", "validation", NULL},
		{"title", "{'type':'dateTime'}", "datetime", "validation",
		 NULL},
		{"title", "{'type':'url'}", "url", "validation", NULL},
		{"title", "{'type':'json'}", "json", "validation", NULL},
		{"author", "{'type':'contentReference',"
			   "'allowedTypes':['_image']}",
		 "image", "validation", NULL},
		{"heroImage", "{'type':'contentReference'}", "reference",
		 "validation.maxSize", "5242880"},
		{"heroImage", "{'type':'contentReference',"
			      "'allowedTypes':['_image','_video']}",
		 "media", "validation.allowedTypes",
		 "['image/jpeg','image/png','image/webp','video/*']"},
		{"title", "{'type':'array','items':{'type':'string'}}",
		 "tags", "validation", NULL},
		{"title", "{'type':'array','items':{'type':'string',"
			  "'enum':[{'value':'a','displayName':'A'}]}}",
		 "multiselect", "options", "[{'label':'A','value':'a'}]"},
		{"heroImage", "{'type':'array','items':{"
			      "'type':'contentReference',"
			      "'allowedTypes':['_image']},'maxItems':4}",
		 "gallery", "validation.maxItems", "4"},
		{"title", "{'type':'string','format':'selectOne',"
			  "'enum':[{'value':'a','displayName':'A'}]}",
		 "select", "options", "[{'label':'A','value':'a'}]"},
		{"readingTime", "{'type':'integer','enum':["
				"{'value':1,'displayName':'One'}]}",
		 "select", "options", "[{'label':'One','value':1}]"},
		{"title", "{'type':'array','items':{'type':'float',"
			  "'minimum':1}}",
		 "array", "itemType", "'number'"},
		{"title", "{'type':'array','items':{'type':'string',"
			  "'maxLength':9}}",
		 "array", "validation", "{'maxLength':9}"},
		{"title", "{'type':'array','items':{"
			  "'type':'contentReference'}}",
		 "array", "itemType", "'reference'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct pull p;
		json_t *pr, *shape = load(cases[i].shape);
		struct buf path = BUF_INIT, want = BUF_INIT;

		pull_start(&p, samples[7], key_of(samples[7]));
		pr = prop(&p, cases[i].prop);
		/* keep the generic members, replace the shape */
		json_object_set(shape, "displayName",
				json_object_get(pr, "displayName"));
		json_object_set(shape, "sortOrder",
				json_object_get(pr, "sortOrder"));
		json_object_set_new(json_object_get(p.to, "properties"),
				    cases[i].prop, shape);
		law(&p, cases[i].shape);
		buf_addf(&path, "fields.%s.type", cases[i].prop);
		buf_addf(&want, "'%s'", cases[i].type);
		is_at(p.out, path.ptr, want.ptr, "%s becomes %s", cases[i].prop,
		      cases[i].type);
		buf_reset(&path);
		buf_addf(&path, "fields.%s.%s", cases[i].prop,
			 cases[i].more_path);
		is_at(p.out, path.ptr, cases[i].more, "with %s",
		      cases[i].more_path);
		pull_release(&p);
		buf_release(&path);
		buf_release(&want);
	}
}

/* Where the property's type did not change the field keeps its own. */
static void test_kept_types(void)
{
	struct pull p;
	json_t *every = load(everything_form);

	pull_start(&p, every, "Everything");
	set(prop(&p, "md"), "displayName", "'Long notes'");
	set(prop(&p, "md"), "maxLength", "9000");
	set(prop(&p, "mail"), "displayName", "'E-mail'");
	set(prop(&p, "mail"), "pattern", "'^.+@example[.]org$'");
	set(prop(&p, "area"), "maxLength", "300");
	set(prop(&p, "rich"), "displayName", "'Rich'");
	set(prop(&p, "data"), "isRequired", "true");
	set(prop(&p, "yes"), "displayName", "'Yes or no'");
	set(prop(&p, "none"), "description", "'Nothing yet'");
	law(&p, "changes that keep the property's type");
	is_at(p.out, "fields.md.type", "'markdown'", "markdown stays markdown");
	is_at(p.out, "fields.md.label", "'Long notes'", "with its new label");
	is_at(p.out, "fields.mail.type", "'email'", "email stays email");
	is_at(p.out, "fields.area.type", "'textarea'",
	      "textarea stays textarea");
	is_at(p.out, "fields.area.placeholder", "'Say it'",
	      "and keeps its placeholder");
	is_at(p.out, "fields.rich.type", "'richtext'",
	      "richtext keeps its spelling");
	is_at(p.out, "fields.data.type", "'object'", "object stays object");
	is_at(p.out, "fields.data.fields.a.type", "'text'",
	      "with its nested fields");
	is_at(p.out, "fields.yes.type", "'select'",
	      "a boolean select stays a select");
	is_at(p.out, "fields.none.type", "'select'",
	      "a select without options stays a select");
	pull_release(&p);

	/* an e-mail field without a pattern would get the default one back */
	pull_start(&p, every, "Everything");
	set(prop(&p, "mail"), "pattern", NULL);
	law(&p, "an e-mail pattern removed");
	is_at(p.out, "fields.mail.type", "'text'",
	      "makes the field text: email cannot be without a pattern");
	pull_release(&p);

	/* a text rule on a select without options makes it text */
	pull_start(&p, every, "Everything");
	set(prop(&p, "none"), "maxLength", "5");
	set(at(p.to, "properties.labels.items"), "maxLength", "12");
	set(prop(&p, "yes"), "type", "'string'");
	law(&p, "what the type cannot say changes the type");
	is_at(p.out, "fields.none.type", "'text'", "select -> text");
	is_at(p.out, "fields.none.options", NULL, "without options");
	is_at(p.out, "fields.labels.type", "'array'",
	      "tags with a rule on items -> array");
	is_at(p.out, "fields.labels.itemType", "'text'", "of text");
	is_at(p.out, "fields.labels.validation",
	      "{'maxItems':20,'maxLength':12}", "with both rules");
	is_at(p.out, "fields.yes.type", "'text'", "boolean select -> text");
	pull_release(&p);
	json_decref(every);
}

static void test_add_remove(void)
{
	struct pull p;
	json_t *every = load(everything_form);

	pull_start(&p, samples[7], key_of(samples[7]));
	set(json_object_get(p.to, "properties"), "subtitle",
	    "{'type':'string','displayName':'Subtitle','maxLength':80,"
	    "'description':'Under the title','sortOrder':2}");
	set(json_object_get(p.to, "properties"), "featured", NULL);
	law(&p, "add and remove properties");
	is_json(field_of(&p, "subtitle"),
		"{'label':'Subtitle','type':'text','required':false,"
		"'validation':{'maxLength':80},'helpText':'Under the title',"
		"'order':2}",
		"an added property is a field named after its key");
	ok(!field_of(&p, "featured"), "a removed property removes its field");
	is_at(p.out_keys, "subtitle", "'subtitle'", "keys_out has the added");
	is_at(p.out_keys, "featured", NULL, "not the removed");
	is_int(json_object_size(p.out_keys),
	       json_object_size(json_object_get(p.out, "fields")),
	       "and one key per field");
	pull_release(&p);

	/* no sortOrder: after the last, and not worth a warning */
	pull_start(&p, samples[7], key_of(samples[7]));
	set(json_object_get(p.to, "properties"), "tagList",
	    "{'type':'array','items':{'type':'string'},"
	    "'displayName':'Tags','isRequired':true}");
	p.quiet = 1;
	ok(!pull_run(&p) && !p.f.nr,
	   "an added property without sortOrder gets one, quietly");
	is_json(field_of(&p, "tagList"),
		"{'label':'Tags','type':'tags','required':true,'order':8}",
		"it goes after the last field");
	pull_release(&p);

	/* persisted keys: fields are found by key, not by name */
	{
		json_t *keys = keys_for(samples[7]);
		struct lens_back_ctx ctx = {.type_key = "Article",
					    .type_keys = type_keys,
					    .prop_keys = keys,
					    .findings = NULL};
		json_t *from, *to, *out = NULL, *out_keys = NULL, *back;

		set(keys, "title", "'headline'");
		set(keys, "author", "'title'");
		from = forward(samples[7], "Article", keys);
		to = json_deep_copy(from);
		set(json_object_get(to, "properties"), "title", NULL);
		set(json_object_get(to, "properties"), "writer",
		    "{'type':'string','displayName':'Writer','sortOrder':9}");
		set(json_object_get(to, "properties"), "body", NULL);
		set(json_object_get(to, "properties"), "body2",
		    "{'type':'richText','displayName':'Body','sortOrder':2}");
		ok(lens_backward(&out, samples[7], from, to, &ctx,
				 &out_keys) == 0,
		   "a pull with persisted keys");
		ok(!at(out, "fields.author") && at(out, "fields.title"),
		   "property 'title' is field author; 'headline' is title");
		is_at(out, "relationships.author", NULL,
		      "the removed field's relationship goes too");
		is_at(out_keys, "writer", "'writer'", "an added field");
		back = forward(out, "Article", out_keys);
		ok(back && json_equal(at(back, "properties"),
				      at(to, "properties")),
		   "round trip with persisted keys");
		json_decref(back);
		json_decref(out);
		json_decref(out_keys);
		json_decref(from);
		json_decref(to);
		json_decref(keys);
	}

	/* a property whose key is another field's name */
	pull_start(&p, every, "Everything");
	{
		json_t *keys = p.keys;

		set(keys, "str", "'text1'");
		json_decref(p.from);
		json_decref(p.to);
		p.from = forward(every, "Everything", keys);
		p.to = json_deep_copy(p.from);
	}
	set(json_object_get(p.to, "properties"), "str",
	    "{'type':'url','displayName':'Str','sortOrder':40}");
	law(&p, "an added key that is a field name already");
	is_at(p.out, "fields.str2.type", "'url'",
	      "the new field gets a suffix");
	is_at(p.out_keys, "str2", "'str'", "and keeps its key");
	is_at(p.out, "fields.str.type", "'string'", "the old one is untouched");
	pull_release(&p);
	json_decref(every);
}

static void test_combination(void)
{
	struct pull p;
	const char *author = jx_str(type_keys, "cmeg00av8q4lbvno60oqlua99");
	struct buf b = BUF_INIT;

	pull_start(&p, samples[7], key_of(samples[7]));
	set(p.to, "displayName", "'Story'");
	set(p.to, "baseType", "'_page'");
	set(prop(&p, "title"), "displayName", "'Headline'");
	set(prop(&p, "title"), "maxLength", "90");
	set(prop(&p, "title"), "isRequired", NULL);
	set(prop(&p, "readingTime"), "type", "'float'");
	set(prop(&p, "readingTime"), "maximum", "120.5");
	set(prop(&p, "publishDate"), "minimum", "'2024-12-01T00:00:00Z'");
	set(prop(&p, "heroImage"), "allowedTypes", "['_image','_video']");
	set(json_object_get(p.to, "properties"), "body", NULL);
	buf_addf(&b, "{'type':'array','items':{'type':'contentReference',"
		     "'allowedTypes':['%s']},'displayName':'Co-authors',"
		     "'sortOrder':10,'maxItems':3}",
		 author);
	set(json_object_get(p.to, "properties"), "coAuthors", b.ptr);
	law(&p, "many changes at once");
	is_at(p.out, "name", "'Story'", "name");
	is_at(p.out, "category", "'page'", "category");
	is_at(p.out, "fields.title.validation",
	      "{'minLength':5,'maxLength':90}",
	      "title validation");
	is_at(p.out, "fields.readingTime.validation",
	      "{'min':1,'max':120.5}", "readingTime validation");
	is_at(p.out, "fields.heroImage.type", "'media'", "heroImage is media");
	is_at(p.out, "fields.coAuthors.type", "'reference'",
	      "coAuthors is a reference");
	is_at(p.out, "relationships.coAuthors.type", "'manyToMany'",
	      "with a to-many relationship");
	ok(!field_of(&p, "body"), "body is gone");
	pull_release(&p);
	buf_release(&b);
}

/* A type new to Catalyst: every property type of the table. */
static const char new_doc[] =
	"{'key':'Landing','displayName':'Landing Page',"
	"'description':'From the CMS','baseType':'_page','properties':{"
	"'heading':{'type':'string','displayName':'Heading','isRequired':true,"
	"'maxLength':120,'sortOrder':0},"
	"'intro':{'type':'richText','displayName':'Intro','sortOrder':1},"
	"'price':{'type':'float','displayName':'Price','minimum':0,"
	"'sortOrder':2},"
	"'count':{'type':'integer','displayName':'Count','maximum':9,"
	"'sortOrder':3},"
	"'live':{'type':'boolean','displayName':'Live','sortOrder':4},"
	"'opens':{'type':'dateTime','displayName':'Opens',"
	"'minimum':'2025-01-01T08:00:00Z','sortOrder':5},"
	"'link':{'type':'url','displayName':'Link','sortOrder':6},"
	"'hero':{'type':'contentReference','allowedTypes':['_image'],"
	"'displayName':'Hero','sortOrder':7},"
	"'clip':{'type':'contentReference','allowedTypes':['_video'],"
	"'displayName':'Clip','sortOrder':8},"
	"'writer':{'type':'contentReference','allowedTypes':['%s'],"
	"'displayName':'Writer','sortOrder':9},"
	"'anything':{'type':'contentReference','displayName':'Anything',"
	"'sortOrder':10},"
	"'features':{'type':'array','items':{'type':'string','enum':["
	"{'value':'a','displayName':'A'},{'value':'b','displayName':'B'}]},"
	"'displayName':'Features','minItems':1,'sortOrder':11},"
	"'keywords':{'type':'array','items':{'type':'string'},"
	"'displayName':'Keywords','maxItems':10,'sortOrder':12},"
	"'photos':{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['_image']},'displayName':'Photos','sortOrder':13},"
	"'related':{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['%s']},'displayName':'Related','sortOrder':14},"
	"'scores':{'type':'array','items':{'type':'integer','minimum':1},"
	"'displayName':'Scores','sortOrder':15},"
	"'meta':{'type':'json','displayName':'Meta','sortOrder':16},"
	"'layout':{'type':'string','format':'selectOne','enum':["
	"{'value':'wide','displayName':'Wide'},"
	"{'value':'narrow','displayName':'Narrow'}],'displayName':'Layout',"
	"'sortOrder':17},"
	"'stars':{'type':'integer','enum':[{'value':1,'displayName':'One'},"
	"{'value':5,'displayName':'Five'}],'displayName':'Stars',"
	"'sortOrder':18},"
	"'dates':{'type':'array','items':{'type':'dateTime'},"
	"'displayName':'Dates','sortOrder':19}},"
	"'sortOrder':20,'mayContainTypes':['*']}";

static void test_new_type(void)
{
	const char *author = jx_str(type_keys, "cmeg00av8q4lbvno60oqlua99");
	const char *article = jx_str(type_keys, "cmeg00bv8q4r2kbsqmyiam2ue");
	struct pull p;
	struct buf text = BUF_INIT;

	buf_addf(&text, new_doc, author, article);
	memset(&p, 0, sizeof(p));
	p.type_key = "Landing";
	p.to = load(text.ptr);
	law(&p, "a new type from the CMS");
	is_at(p.out, "name", "'Landing Page'", "named by displayName");
	is_at(p.out, "description", "'From the CMS'", "with its description");
	is_at(p.out, "category", "'page'", "its category");
	ok(!at(p.out, "id") && !at(p.out, "websiteId"),
	   "no id or websiteId: the caller sets those");
	is_json(at(p.out, "fields.heading"),
		"{'label':'Heading','type':'text','required':true,"
		"'validation':{'maxLength':120},'order':0}",
		"a text field");
	is_at(p.out, "fields.count.validation", "{'precision':0,'max':9}",
	      "integer: number with precision 0");
	is_at(p.out, "fields.opens.type", "'datetime'", "dateTime: datetime");
	is_at(p.out, "fields.opens.validation.minDate",
	      "'2025-01-01T08:00:00Z'", "with an ISO bound");
	is_at(p.out, "fields.hero.type", "'image'", "image");
	is_at(p.out, "fields.clip.accept", "'video/*'", "media with accept");
	is_at(p.out, "fields.writer.type", "'reference'", "reference");
	is_json(at(p.out, "relationships.writer"),
		"{'name':'writer','type':'manyToOne',"
		"'targetContentTypeId':'cmeg00av8q4lbvno60oqlua99',"
		"'fieldName':'writer','isRequired':false}",
		"with a relationship (no source id yet)");
	is_at(p.out, "fields.anything.type", "'reference'",
	      "a reference to anything");
	is_at(p.out, "relationships.anything", NULL, "has no relationship");
	is_at(p.out, "fields.features.type", "'multiselect'", "multiselect");
	is_at(p.out, "fields.keywords.type", "'tags'", "tags");
	is_at(p.out, "fields.photos.type", "'gallery'", "gallery");
	is_at(p.out, "fields.related.type", "'reference'",
	      "a to-many reference");
	is_at(p.out, "relationships.related.type", "'manyToMany'",
	      "manyToMany");
	is_at(p.out, "fields.scores.itemType", "'number'", "array of number");
	is_at(p.out, "fields.meta.type", "'json'", "json");
	is_at(p.out, "fields.layout.type", "'select'", "select");
	is_at(p.out, "fields.stars.options",
	      "[{'label':'One','value':1},{'label':'Five','value':5}]",
	      "a select with numbers");
	is_at(p.out, "fields.dates.itemType", "'datetime'",
	      "array of datetime");
	is_int(json_object_size(p.out_keys), 20, "a key per field");
	pull_release(&p);

	/* no displayName: the key names it */
	memset(&p, 0, sizeof(p));
	p.type_key = "Bare";
	p.to = load("{'key':'Bare','baseType':'_folder','properties':{}}");
	p.quiet = 1;
	ok(!pull_run(&p), "a type without displayName cannot round-trip");
	is_at(p.out, "name", "'Bare'", "it is named by its key");
	is_at(p.out, "category", "'folder'", "folder");
	ok(has_finding(&p.f, "Bare:displayName", NULL),
	   "and the missing displayName is reported");
	pull_release(&p);
	buf_release(&text);
}

/* What the change does not touch stays exactly as it was. */
static void test_preservation(void)
{
	struct pull p;
	json_t *form = json_deep_copy(samples[7]), *before;

	set(form, "createdAt", "1755226812000");
	set(form, "extra", "{'schemaVersion':2}");
	set(at(form, "fields.title"), "x-custom", "{'keep':true}");
	set(at(form, "fields.readingTime"), "defaultValue", "5");
	set(at(form, "relationships.author"), "x-note", "'hand-made'");
	before = json_deep_copy(form);
	pull_start(&p, form, key_of(form));
	set(prop(&p, "title"), "displayName", "'Headline'");
	set(prop(&p, "readingTime"), "maximum", "90");
	set(prop(&p, "author"), "displayName", "'Writer'");
	law(&p, "changes next to data the lens does not carry");
	ok(json_equal(form, before), "the input form is not changed");
	is_at(p.out, "createdAt", "1755226812000", "createdAt");
	is_at(p.out, "extra", "{'schemaVersion':2}", "unknown form members");
	is_at(p.out, "icon", "'\xf0\x9f\x93\xb0'", "icon");
	is_at(p.out, "fields.title.x-custom", "{'keep':true}",
	      "unknown field members");
	is_at(p.out, "fields.title.id", "'1755226812000_ifypowxg4'",
	      "field ids");
	is_at(p.out, "fields.title.placeholder", "'Enter text...'",
	      "placeholder");
	is_at(p.out, "fields.readingTime.defaultValue", "5", "defaultValue");
	is_at(p.out, "fields.heroImage.validation",
	      "{'maxSize':5242880,'allowedTypes':['image/jpeg','image/png',"
	      "'image/webp']}",
	      "validation the lens does not read");
	is_at(p.out, "relationships.author.x-note", "'hand-made'",
	      "relationship members");
	{
		/* only the three touched members differ */
		json_t *a = json_deep_copy(p.out);

		set(at(a, "fields.title"), "label", "'Title'");
		set(at(a, "fields.readingTime.validation"), "max", "60");
		set(at(a, "fields.author"), "label", "'Author'");
		ok(json_equal(a, form), "and nothing else changed");
		json_decref(a);
	}
	pull_release(&p);

	/* target-owned members of either side are ignored */
	pull_start(&p, form, key_of(form));
	set(p.to, "sortOrder", "30");
	set(p.to, "mayContainTypes", "['*']");
	set(prop(&p, "title"), "indexingType", "'searchable'");
	set(prop(&p, "title"), "group", "'SEO'");
	set(prop(&p, "title"), "isLocalized", "true");
	law(&p, "target-owned members");
	ok(json_equal(p.out, form), "change nothing");
	pull_release(&p);
	json_decref(before);
	json_decref(form);
}

/* What Catalyst cannot hold: a warning, the member left out, no crash. */
static void test_inexpressible(void)
{
	struct pull p;
	const char *author = jx_str(type_keys, "cmeg00av8q4lbvno60oqlua99");
	const char *article = jx_str(type_keys, "cmeg00bv8q4r2kbsqmyiam2ue");
	json_t *every = load(everything_form);
	struct buf b = BUF_INIT;

	pull_start(&p, samples[7], key_of(samples[7]));
	set(p.to, "key", "'Other'");
	set(p.to, "baseType", "'_experience'");
	set(json_object_get(p.to, "properties"), "components",
	    "{'type':'array','items':{'type':'content'},"
	    "'displayName':'Components','sortOrder':20}");
	set(json_object_get(p.to, "properties"), "seo",
	    "{'type':'component','contentType':'Seo','displayName':'SEO',"
	    "'sortOrder':21}");
	set(prop(&p, "body"), "type", "'content'");
	set(prop(&p, "title"), "format", "'html'");
	set(prop(&p, "title"), "displayName", NULL);
	set(prop(&p, "slug"), "restrictedTypes", "['Page']");
	buf_addf(&b, "['%s','%s']", author, article);
	set(prop(&p, "author"), "allowedTypes", b.ptr);
	set(prop(&p, "heroImage"), "allowedTypes", "['_image','Unknown']");
	set(prop(&p, "readingTime"), "minimum", "'soon'");
	set(prop(&p, "featured"), "enum", "[{'value':true,'displayName':'Y'}]");
	set(prop(&p, "publishDate"), "maxLength", "3");
	set(prop(&p, "title"), "sortOrder", NULL);
	p.quiet = 1;
	ok(!pull_run(&p), "changes Catalyst cannot hold do not round-trip");
	is_int(p.ret, 0, "but the pull succeeds");
	ok(has_finding(&p.f, "Article:key", "'Other'") ||
		   has_finding(&p.f, "Article:key", "Other"),
	   "a key change");
	ok(has_finding(&p.f, "Article:baseType", "_experience"),
	   "an unknown base type");
	ok(has_finding(&p.f, "Article:properties.components",
		       "cannot be held"),
	   "a content area is not pulled");
	ok(has_finding(&p.f, "Article:properties.seo", "'component'"),
	   "nor a component property");
	ok(has_finding(&p.f, "Article:properties.body.type", "content"),
	   "a type Catalyst has no type for");
	ok(has_finding(&p.f, "Article:properties.title.format", "html"),
	   "a format other than selectOne");
	ok(has_finding(&p.f, "Article:properties.title.displayName", NULL),
	   "a property without displayName");
	ok(has_finding(&p.f, "Article:properties.slug.restrictedTypes", NULL),
	   "restrictedTypes");
	ok(has_finding(&p.f, "Article:properties.author.allowedTypes", NULL),
	   "two allowed types on one reference");
	ok(has_finding(&p.f, "Article:properties.heroImage.allowedTypes",
		       NULL),
	   "an unknown allowed type");
	ok(has_finding(&p.f, "Article:properties.readingTime.minimum",
		       "soon"),
	   "a bound of the wrong kind");
	ok(has_finding(&p.f, "Article:properties.featured.enum", NULL),
	   "an enum on a boolean");
	ok(has_finding(&p.f, "Article:properties.publishDate.maxLength",
		       NULL),
	   "a length on a date");
	ok(!has_finding(&p.f, "Article:properties.title.sortOrder", NULL),
	   "but not a missing sortOrder: fields always have an order");
	is_int(findings_count(&p.f, FINDING_ERROR), 0, "warnings, not errors");
	is_at(p.out, "category", "'component'", "the category is kept");
	is_at(p.out, "fields.body.type", "'richText'", "and body's type");
	is_at(p.out, "fields.title.label", "'Title'", "and title's label");
	is_at(p.out, "relationships.author.targetContentTypeId",
	      "'cmeg00av8q4lbvno60oqlua99'", "and author's target");
	is_at(p.out, "fields.readingTime.validation.min", "1",
	      "and the bound");
	ok(!field_of(&p, "components") && !field_of(&p, "seo"),
	   "nothing is added for what cannot be held");
	is_at(p.out, "fields.heroImage.type", "'reference'",
	      "a reference is the closest to a mixed allowedTypes");
	pull_release(&p);

	/* unknown Catalyst types are the user's: kept, reported */
	{
		json_t *form = load("{'name':'Odd','fields':{"
				    "'color':{'type':'color','required':false,"
				    "'order':0}}}");

		pull_start(&p, form, "Odd");
		set(prop(&p, "color"), "maxLength", "7");
		set(prop(&p, "color"), "displayName", "'Colour'");
		p.quiet = 1;
	ok(!pull_run(&p), "a rule on an unknown type");
		is_at(p.out, "fields.color.type", "'color'", "keeps the type");
		is_at(p.out, "fields.color.label", "'Colour'",
		      "takes what it can");
		ok(has_finding(&p.f, "Odd:properties.color.maxLength", "color"),
		   "and reports the rest");
		pull_release(&p);
		json_decref(form);
	}

	/* float enum values that are all whole numbers */
	pull_start(&p, every, "Everything");
	set(prop(&p, "weight"), "enum",
	    "[{'value':1,'displayName':'Light'},"
	    "{'value':2,'displayName':'Heavy'}]");
	p.quiet = 1;
	ok(!pull_run(&p), "a float enum of whole numbers");
	ok(has_finding(&p.f, "Everything:properties.weight.type", "float"),
	   "comes back as integer, and says so");
	pull_release(&p);

	/* findings NULL */
	pull_start(&p, samples[7], key_of(samples[7]));
	set(prop(&p, "body"), "type", "'content'");
	{
		struct lens_back_ctx ctx = {.type_key = "Article",
					    .type_keys = type_keys,
					    .prop_keys = p.keys,
					    .findings = NULL};

		ok(lens_backward(&p.out, p.form, p.from, p.to, &ctx, NULL) == 0,
		   "no findings list is fine too");
	}
	pull_release(&p);
	json_decref(every);
	buf_release(&b);
}

static void test_errors(void)
{
	struct lens_back_ctx ctx = {.type_key = "Article",
				    .type_keys = type_keys,
				    .prop_keys = NULL,
				    .findings = NULL};
	json_t *out = (json_t *)&ctx, *keys = (json_t *)&ctx;
	json_t *good = load("{'key':'Article','displayName':'A',"
			    "'baseType':'_page','properties':{}}");
	static const struct {
		const char *form, *to, *needle;
	} cases[] = {
		{NULL, "[]", "not an object"},
		{NULL, "{'properties':[]}", "properties"},
		{NULL, "{'properties':{'a':1}}", "'a'"},
		{NULL, "{'properties':{'a':{'type':'array','items':3}}}",
		 "items of property 'a'"},
		{"[]", NULL, "form"},
		{"{'name':'A','fields':[]}", NULL, "fields"},
		{"{'name':'A','fields':{'x':2}}", NULL, "field 'x'"},
		{"{'name':'A','fields':{},'relationships':[]}", NULL,
		 "relationships"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		json_t *form = cases[i].form ? load(cases[i].form) : NULL;
		json_t *to = cases[i].to ? load(cases[i].to)
					 : json_incref(good);
		int ret;

		out = keys = (json_t *)&ctx;
		ret = lens_backward(&out, form, form ? good : NULL, to, &ctx,
				    &keys);
		is_int(ret, ERR_INVALID, "bad input %zu is refused", i);
		ok(!out && !keys, "with *out and *keys_out NULL");
		if (!ok(strstr(err_msg(), cases[i].needle) != NULL,
			"naming the member (%s)", cases[i].needle))
			diag("message: %s", err_msg());
		json_decref(form);
		json_decref(to);
	}
	{
		json_t *form = load("{'name':'A','fields':{"
				    "'a':{'type':'text'},'b':{'type':'url'}}}");
		json_t *pk = load("{'a':'k','b':'k'}");
		struct lens_back_ctx dup = {.type_key = "A",
					    .type_keys = NULL,
					    .prop_keys = pk,
					    .findings = NULL};

		is_int(lens_backward(&out, form, good, good, &dup, NULL),
		       ERR_INVALID, "two fields with one key are refused");
		ok(strstr(err_msg(), "'a' and 'b'") &&
			   strstr(err_msg(), "'k'"),
		   "naming both and the key");
		json_decref(pk);
		json_decref(form);
	}
	{
		struct lens_back_ctx nokey = {.type_key = NULL,
					      .type_keys = NULL,
					      .prop_keys = NULL,
					      .findings = NULL};
		json_t *to = load("{'properties':{}}");

		is_int(lens_backward(&out, NULL, NULL, to, &nokey, NULL),
		       ERR_INVALID, "no type key anywhere is refused");
		json_decref(to);
	}
	err_clear();
	json_decref(good);
}

static int streq_(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int has_enum_(const json_t *p)
{
	return json_array_size(json_object_get(p, "enum")) > 0;
}

static int is_real_enum(const json_t *p)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(p, "enum"), i, e)
		if (json_is_real(json_object_get(e, "value")))
			return 1;
	return 0;
}

static int is_string_enum(const json_t *p)
{
	return json_is_string(
		json_object_get(json_array_get(json_object_get(p, "enum"), 0),
				"value"));
}

/* ---- a seeded random walk of edits ------------------------------------ */

static unsigned long long rng_state = 0x2545F4914F6CDD1DULL;
static unsigned serial; /* makes added values and names unique */

static unsigned rnd(unsigned n)
{
	/* xorshift64*: deterministic, so a failure can be replayed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

/* The keys of the website's types, for allowedTypes. */
static const char *some_type_key(void)
{
	static const char *const ids[] = {
		"cmeg00av8q4lbvno60oqlua99", "cmeg00bv8q4r2kbsqmyiam2ue",
		"cmeg00dv8q4p2q8pvopdmtbh3", "cmeg004v8q4me1fftxjyf2buc",
		"everything01",
	};
	return jx_str(type_keys, ids[rnd(sizeof(ids) / sizeof(*ids))]);
}

/* Shapes the table can express; %s is a type key of the website. */
static const char *const shapes[] = {
	"{'type':'string'}",
	"{'type':'string','maxLength':80}",
	"{'type':'string','minLength':2,'pattern':'^x+$'}",
	"{'type':'richText'}",
	"{'type':'float','minimum':0.5}",
	"{'type':'integer','maximum':10}",
	"{'type':'boolean'}",
	"{'type':'dateTime','minimum':'2024-01-01T00:00:00Z'}",
	"{'type':'url'}",
	"{'type':'json'}",
	"{'type':'string','format':'selectOne','enum':["
	"{'value':'a','displayName':'A'},{'value':'b','displayName':'B'}]}",
	"{'type':'integer','enum':[{'value':1,'displayName':'One'},"
	"{'value':2,'displayName':'Two'}]}",
	"{'type':'float','enum':[{'value':0.5,'displayName':'Half'},"
	"{'value':2,'displayName':'Two'}]}",
	"{'type':'contentReference','allowedTypes':['_image']}",
	"{'type':'contentReference','allowedTypes':['_image','_video']}",
	"{'type':'contentReference','allowedTypes':['_media']}",
	"{'type':'contentReference'}",
	"{'type':'contentReference','allowedTypes':['%s']}",
	"{'type':'array','items':{'type':'string'}}",
	"{'type':'array','items':{'type':'string'},'maxItems':5}",
	"{'type':'array','items':{'type':'string','enum':["
	"{'value':'x','displayName':'X'}]},'minItems':1}",
	"{'type':'array','items':{'type':'integer','enum':["
	"{'value':7,'displayName':'Seven'}]}}",
	"{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['_image']}}",
	"{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['%s']},'maxItems':4}",
	"{'type':'array','items':{'type':'contentReference'}}",
	"{'type':'array','items':{'type':'contentReference',"
	"'allowedTypes':['_video']}}",
	"{'type':'array','items':{'type':'float','minimum':1}}",
	"{'type':'array','items':{'type':'integer'}}",
	"{'type':'array','items':{'type':'dateTime'}}",
	"{'type':'array','items':{'type':'url'}}",
	"{'type':'array','items':{'type':'boolean'}}",
	"{'type':'array','items':{'type':'richText'}}",
	"{'type':'array','items':{'type':'json'}}",
	"{'type':'array','items':{'type':'string','maxLength':10}}",
};

static json_t *random_shape(struct buf *log)
{
	struct buf text = BUF_INIT;
	unsigned i = rnd(sizeof(shapes) / sizeof(*shapes));
	json_t *shape;

	buf_addf(&text, shapes[i], some_type_key());
	shape = load(text.ptr);
	buf_addf(log, " shape %s", text.ptr);
	buf_release(&text);
	return shape;
}

static json_t *random_date(void)
{
	struct buf b = BUF_INIT;
	long long ms = time_days_from_civil(2020 + rnd(10), 1 + rnd(12),
					    1 + rnd(28)) *
		       86400000LL;
	json_t *v;

	if (rnd(2))
		ms += (long long)rnd(86400) * 1000;
	if (time_format_utc(&b, ms) < 0)
		diag("cannot format %lld", ms);
	v = json_string(b.ptr);
	buf_release(&b);
	return v;
}

static json_t *random_number(int whole)
{
	if (whole || rnd(2))
		return json_integer(rnd(200));
	return json_real(rnd(200) + 0.5);
}

static const char *random_key(const json_t *obj)
{
	size_t n = json_object_size(obj), i = 0, pick;
	const char *k;
	json_t *v;

	if (!n)
		return NULL;
	pick = rnd((unsigned)n);
	json_object_foreach((json_t *)obj, k, v)
		if (i++ == pick)
			return k;
	return NULL;
}

/* Sets or removes a member (half the time each, removal only if set). */
static void set_or_remove(json_t *p, const char *m, json_t *v,
			  struct buf *log)
{
	if (json_object_get(p, m) && rnd(2)) {
		json_object_del(p, m);
		json_decref(v);
		buf_addf(log, " -%s", m);
		return;
	}
	json_object_set_new(p, m, v);
	buf_addf(log, " %s", m);
}

/* An enum edit that keeps the enum's kind (so its type stays right). */
static void edit_enum(json_t *p, struct buf *log)
{
	json_t *en = json_object_get(p, "enum"), *e;
	size_t n = json_array_size(en);
	int floats = is_real_enum(p), strings = is_string_enum(p);
	char name[32];

	snprintf(name, sizeof(name), "Opt %u", ++serial);
	switch (rnd(4)) {
	case 0: /* rename */
		json_object_set_new(json_array_get(en, rnd((unsigned)n)),
				    "displayName", json_string(name));
		buf_adds(log, " enum-rename");
		break;
	case 1: /* add */
		e = json_object();
		if (strings)
			json_object_set_new(e, "value", json_string(name));
		else if (floats)
			json_object_set_new(e, "value",
					    json_real(1000 + serial + 0.5));
		else
			json_object_set_new(e, "value",
					    json_integer(1000 + serial));
		json_object_set_new(e, "displayName", json_string(name));
		json_array_insert_new(en, rnd((unsigned)n + 1), e);
		buf_adds(log, " enum-add");
		break;
	case 2: /* remove (a float enum must keep a fraction) */
		if (n > 1 && !floats) {
			json_array_remove(en, rnd((unsigned)n));
			buf_adds(log, " enum-remove");
		}
		break;
	default: /* reorder */
		if (n > 1) {
			size_t i = rnd((unsigned)n);

			e = json_incref(json_array_get(en, i));
			json_array_remove(en, i);
			json_array_append_new(en, e);
			buf_adds(log, " enum-move");
		}
		break;
	}
}

/* An edit of the type-specific members of a property (or its items). */
static void edit_typed(json_t *p, int as_item, struct buf *log)
{
	static const char *const allowed[] = {
		"['_image']", "['_video']", "['_image','_video']", "['_media']",
		NULL, "key",
	};
	const char *t = jx_str(p, "type");
	json_t *items = json_object_get(p, "items");

	if (has_enum_(p)) {
		edit_enum(p, log);
	} else if (streq_(t, "string")) {
		switch (rnd(3)) {
		case 0:
			set_or_remove(p, "minLength", json_integer(rnd(5)),
				      log);
			break;
		case 1:
			set_or_remove(p, "maxLength",
				      json_integer(5 + rnd(300)), log);
			break;
		default:
			set_or_remove(p, "pattern",
				      json_string(rnd(2) ? "^[a-z]+$"
							 : "^\\d{3}$"),
				      log);
			break;
		}
	} else if (streq_(t, "float") || streq_(t, "integer")) {
		switch (rnd(3)) {
		case 0:
			set_or_remove(p, "minimum", random_number(0), log);
			break;
		case 1:
			set_or_remove(p, "maximum", random_number(0), log);
			break;
		default:
			json_object_set_new(p, "type",
					    json_string(streq_(t, "float")
								? "integer"
								: "float"));
			buf_adds(log, " int<->float");
			break;
		}
	} else if (streq_(t, "dateTime")) {
		set_or_remove(p, rnd(2) ? "minimum" : "maximum",
			      random_date(), log);
	} else if (streq_(t, "contentReference")) {
		const char *a = allowed[rnd(sizeof(allowed) /
					    sizeof(*allowed))];
		struct buf text = BUF_INIT;

		if (as_item && a && strchr(a, '_') && rnd(2))
			a = "['_image']";
		if (!a) {
			json_object_del(p, "allowedTypes");
			buf_adds(log, " -allowedTypes");
		} else {
			if (!strcmp(a, "key"))
				buf_addf(&text, "['%s']", some_type_key());
			else
				buf_adds(&text, a);
			json_object_set_new(p, "allowedTypes", load(text.ptr));
			buf_addf(log, " allowedTypes %s", text.ptr);
		}
		buf_release(&text);
	} else if (streq_(t, "array") && !as_item) {
		if (rnd(2) && json_is_object(items)) {
			edit_typed(items, 1, log);
			return;
		}
		set_or_remove(p, rnd(2) ? "minItems" : "maxItems",
			      json_integer(rnd(10)), log);
	}
}

static void edit_property(json_t *p, struct buf *log)
{
	char text[32];

	snprintf(text, sizeof(text), "Label %u", ++serial);
	/* enums are few: edit them more often */
	switch (rnd(has_enum_(p) ||
				    has_enum_(json_object_get(p, "items"))
			    ? 16
			    : 8)) {
	case 0:
		json_object_set_new(p, "displayName", json_string(text));
		buf_adds(log, " displayName");
		break;
	case 1:
		set_or_remove(p, "description", json_string(text), log);
		break;
	case 2:
		if (jx_true(p, "isRequired"))
			json_object_del(p, "isRequired");
		else
			json_object_set_new(p, "isRequired", json_true());
		buf_adds(log, " isRequired");
		break;
	case 3:
		json_object_set_new(p, "sortOrder", json_integer(rnd(50)));
		buf_adds(log, " sortOrder");
		break;
	default:
		edit_typed(p, 0, log);
		break;
	}
}

static void random_edit(json_t *to, struct buf *log)
{
	json_t *props = json_object_get(to, "properties");
	const char *key = random_key(props);
	unsigned what = rnd(100);
	char text[48];

	if (what < 8) {
		static const char *const bases[] = {"_page", "_component",
						    "_folder"};

		snprintf(text, sizeof(text), "Type %u", ++serial);
		switch (rnd(3)) {
		case 0:
			json_object_set_new(to, "displayName",
					    json_string(text));
			buf_adds(log, " type-displayName");
			break;
		case 1:
			set_or_remove(to, "description", json_string(text),
				      log);
			break;
		default:
			json_object_set_new(to, "baseType",
					    json_string(bases[rnd(3)]));
			buf_adds(log, " baseType");
			break;
		}
	} else if (what < 16 || !key) {
		json_t *shape = random_shape(log);

		snprintf(text, sizeof(text), "added%u", ++serial);
		json_object_set_new(shape, "displayName", json_string(text));
		json_object_set_new(shape, "sortOrder", json_integer(rnd(60)));
		if (rnd(2))
			json_object_set_new(shape, "isRequired", json_true());
		json_object_set_new(props, text, shape);
		buf_addf(log, " add %s", text);
	} else if (what < 22) {
		buf_addf(log, " remove %s", key);
		json_object_del(props, key);
	} else if (what < 32) {
		json_t *old = json_object_get(props, key);
		json_t *shape = random_shape(log);
		static const char *const keep[] = {"displayName", "sortOrder",
						   "isRequired", "description"};

		for (size_t i = 0; i < 4; i++)
			if (json_object_get(old, keep[i]))
				json_object_set(shape, keep[i],
						json_object_get(old, keep[i]));
		buf_addf(log, " retype %s", key);
		json_object_set_new(props, key, shape);
	} else {
		buf_addf(log, " %s:", key);
		edit_property(json_object_get(props, key), log);
	}
}

static void test_random_walk(void)
{
	json_t *bases[TEST_NR_SAMPLES + 1];
	json_t *form = NULL, *keys = NULL, *from = NULL;
	const char *type_key = NULL;
	struct buf log = BUF_INIT;
	int fails = 0, warned = 0, runs = 500;

	for (size_t i = 0; i < TEST_NR_SAMPLES; i++)
		bases[i] = samples[i];
	bases[TEST_NR_SAMPLES] = load(everything_form);
	for (int n = 0; n < runs; n++) {
		struct lens_back_ctx ctx = {0};
		struct findings f = FINDINGS_INIT;
		json_t *to, *out = NULL, *out_keys = NULL, *back = NULL;
		json_t *want = NULL, *got = NULL;
		unsigned edits;

		/* a walk starts again from a sample every 25 steps */
		if (n % 25 == 0) {
			size_t b = rnd(TEST_NR_SAMPLES + 1);

			json_decref(form);
			json_decref(keys);
			json_decref(from);
			form = json_deep_copy(bases[b]);
			type_key = b < TEST_NR_SAMPLES ? key_of(form)
						       : "Everything";
			keys = keys_for(form);
			from = forward(form, type_key, keys);
		}
		to = json_deep_copy(from);
		buf_reset(&log);
		edits = 1 + rnd(3);
		for (unsigned e = 0; e < edits; e++)
			random_edit(to, &log);
		tform_canonicalize(to, API_V1);
		/* T_LENS_BACK_LOG=1 lists the edits of every step */
		if (getenv("T_LENS_BACK_LOG"))
			diag("step %d on %s:%s", n, type_key, log.ptr);

		ctx.type_key = type_key;
		ctx.type_keys = type_keys;
		ctx.prop_keys = keys;
		ctx.findings = &f;
		if (lens_backward(&out, form, from, to, &ctx, &out_keys) == 0)
			back = forward(out, type_key, out_keys);
		if (back) {
			want = owned(to);
			got = owned(back);
		}
		if (!back || !json_equal(want, got)) {
			char *w = dump(want), *g = dump(got), *fo = dump(form);

			if (fails++ < 5) {
				diag("step %d on %s:%s", n, type_key, log.ptr);
				diag("form: %s", fo);
				diag("want: %s", w);
				diag("got:  %s", g);
			}
			free(w);
			free(g);
			free(fo);
		}
		if (f.nr) {
			if (warned++ < 5) {
				diag("step %d warned:%s", n, log.ptr);
				dump_findings(&f);
			}
		}
		/* walk on: the result is the next step's form */
		if (back) {
			json_decref(form);
			json_decref(keys);
			json_decref(from);
			form = out;
			keys = out_keys;
			from = back;
			out = out_keys = back = NULL;
		}
		json_decref(out);
		json_decref(out_keys);
		json_decref(back);
		json_decref(want);
		json_decref(got);
		json_decref(to);
		findings_release(&f);
	}
	is_int(fails, 0, "%d random edit steps keep the round-trip law", runs);
	is_int(warned, 0, "and none of them is reported inexpressible");
	json_decref(form);
	json_decref(keys);
	json_decref(from);
	json_decref(bases[TEST_NR_SAMPLES]);
	buf_release(&log);
}

int main(void)
{
	plan_lazy();
	if (load_samples() < 0)
		return done_testing();
	test_identity();
	test_type_level();
	test_generic_members();
	test_bounds();
	test_enum();
	test_references();
	test_type_changes();
	test_kept_types();
	test_add_remove();
	test_combination();
	test_new_type();
	test_preservation();
	test_inexpressible();
	test_errors();
	test_random_walk();
	for (size_t i = 0; i < TEST_NR_SAMPLES; i++)
		json_decref(samples[i]);
	json_decref(type_keys);
	return done_testing();
}
