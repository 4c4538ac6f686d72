#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "testlib.h"
#include "core/catalyst_form.h"
#include "core/findings.h"
#include "source/catalyst_sqlite.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"


static int has_str(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/* What a pass over the rows saw. */
struct seen {
	size_t nr, nr_ok, nr_bad;
	long long last_created;
	int ordered;
	int stop_after; /* 0: never */
	json_t *forms;	/* id -> form */
	json_t *errors; /* id -> message */
	json_t *rows;	/* id -> {created, updated, format, shape} */
	struct findings findings;
};

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->last_created = -1;
	s->ordered = 1;
	s->forms = json_object();
	s->errors = json_object();
	s->rows = json_object();
}

static void seen_release(struct seen *s)
{
	json_decref(s->forms);
	json_decref(s->errors);
	json_decref(s->rows);
	findings_release(&s->findings);
}

static int collect(const struct catalyst_row *row, void *payload)
{
	struct seen *s = payload;
	enum catalyst_fields_shape shape = 99;
	json_t *form = NULL;

	s->nr++;
	if (row->created_ms >= 0) {
		if (row->created_ms < s->last_created)
			s->ordered = 0;
		s->last_created = row->created_ms;
	}
	if (catalyst_form_from_row(&form, &shape, row, &s->findings) < 0) {
		s->nr_bad++;
		json_object_set_new(s->errors, row->id, json_string(err_msg()));
		err_clear();
	} else {
		s->nr_ok++;
		json_object_set_new(s->forms, row->id, form);
	}
	json_object_set_new(s->rows, row->id,
			    json_pack("{sI sI si si}", "created",
				      (json_int_t)row->created_ms, "updated",
				      (json_int_t)row->updated_ms, "format",
				      (int)row->time_format, "shape",
				      (int)shape));
	if (s->stop_after && s->nr == (size_t)s->stop_after)
		return ERR_CONFLICT;
	return 0;
}

static long long row_int(struct seen *s, const char *id, const char *key)
{
	json_t *v = json_object_get(json_object_get(s->rows, id), key);

	return json_is_integer(v) ? json_integer_value(v) : -999;
}

static const char *form_str(struct seen *s, const char *id, const char *key)
{
	return jx_str(json_object_get(s->forms, id), key);
}

static const struct finding *find_code(const struct findings *f,
				       const char *code)
{
	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->items[i].code, code))
			return &f->items[i];
	return NULL;
}

static void test_open_errors(void)
{
	static const char *const nothing[] = {NULL};
	struct catalyst_db *db = (struct catalyst_db *)1;
	char *dir = test_temp_path();
	struct buf missing = BUF_INIT, want = BUF_INIT;
	struct stat st;
	char *path;

	/* dir is an empty file; a path below it cannot exist */
	unlink(dir);
	buf_addf(&missing, "%s-missing.db", dir);
	is_int(catalyst_db_open(&db, missing.ptr), ERR_NOTFOUND,
	       "a missing file: ERR_NOTFOUND");
	ok(!db, "no handle");
	ok(has_str(err_msg(), missing.ptr), "the message names the path");
	ok(has_str(err_msg(), "No such file"), "and says why: %s", err_msg());
	ok(stat(missing.ptr, &st) < 0, "and no file is created");

	path = test_build_db(nothing, "CREATE TABLE \"Other\" (a);");
	buf_addf(&want,
		 "'%s' is not a Catalyst database (no ContentType "
		 "table)",
		 path);
	is_int(catalyst_db_open(&db, path), ERR_INVALID,
	       "a database without ContentType: ERR_INVALID");
	is_str(err_msg(), want.ptr, "with the message");
	unlink(path);
	free(path);

	path = test_build_db(nothing, NULL);
	is_int(catalyst_db_open(&db, path), ERR_INVALID,
	       "an empty file: ERR_INVALID");
	ok(stat(path, &st) == 0 && st.st_size == 0,
	   "and the file is left empty");
	unlink(path);
	free(path);

	path = test_build_db(nothing, "CREATE TABLE \"ContentType\" (\"id\", "
				 "\"name\", \"fields\");");
	is_int(catalyst_db_open(&db, path), ERR_INVALID,
	       "ContentType without websiteId: ERR_INVALID");
	ok(has_str(err_msg(), "no 'websiteId' column"), "naming the column: %s",
	   err_msg());
	unlink(path);
	free(path);

	path = test_temp_path();
	{
		FILE *f = fopen(path, "w");

		fputs("this is not a database, just some text that is long "
		      "enough to be read as a header by SQLite's pager\n",
		      f);
		fclose(f);
	}
	is_int(catalyst_db_open(&db, path), ERR_INVALID,
	       "a text file: ERR_INVALID");
	ok(has_str(err_msg(), path) &&
		   has_str(err_msg(), "is not a Catalyst database"),
	   "naming the path: %s", err_msg());
	unlink(path);
	free(path);

	is_int(catalyst_db_open(&db, "/"), ERR_INVALID,
	       "a directory: ERR_INVALID");
	ok(!db, "still no handle");

	buf_release(&missing);
	buf_release(&want);
	free(dir);
}

static void check_samples(struct seen *s)
{
	struct buf path = BUF_INIT;

	for (size_t i = 0; i < TEST_NR_SAMPLES; i++) {
		json_t *doc = NULL, *parsed, *form;
		const char *id;
		size_t want;

		test_fixture_path(&path, test_samples[i]);
		if (jx_load_file(&doc, path.ptr) < 0) {
			ok(0, "load %s: %s", test_samples[i], err_msg());
			continue;
		}
		id = jx_str(json_object_get(doc, "row"), "id");
		parsed = json_object_get(doc, "fields_parsed");
		want = json_is_array(parsed) ? json_array_size(parsed)
					     : json_array_size(json_object_get(
						       parsed, "fields"));
		form = json_object_get(s->forms, id);
		ok(form, "%s normalizes from the database", test_samples[i]);
		is_int(json_object_size(json_object_get(form, "fields")), want,
		       "%s: %zu fields", test_samples[i], want);
		is_int(row_int(s, id, "created"),
		       json_integer_value(json_object_get(
			       json_object_get(doc, "row"), "createdAt")),
		       "%s: createdAt as INTEGER ms", test_samples[i]);
		is_int(row_int(s, id, "format"), CATALYST_TIME_MILLIS,
		       "%s: MILLIS format", test_samples[i]);
		is_int(row_int(s, id, "shape"),
		       i < 5 ? CATALYST_SHAPE_ARRAY : CATALYST_SHAPE_OBJECT,
		       "%s: shape", test_samples[i]);
		json_decref(doc);
	}
	buf_release(&path);
}

struct bad_row {
	const char *id, *name, *reason;
};

static void test_main_db(void)
{
	static const char *const files[] = {"catalyst-938657b-fixture.sql",
					    "malformed.sql", NULL};
	static const struct bad_row bad[] = {
		{"bad_notjson", "Broken Json",
		 "fields is not valid JSON at 1:"},
		{"bad_dupkey", "Duplicate Key", "duplicate object key"},
		{"bad_noname", "Nameless Field", "field 3 has no name"},
		{"bad_samename", "Twin Fields", "two fields are named 'title'"},
	};
	struct catalyst_db *db = NULL;
	char *path = test_build_db(files, NULL);
	struct seen s;
	json_t *websites = NULL, *form;
	const struct finding *w;
	char *id = NULL;

	if (catalyst_db_open(&db, path) < 0) {
		ok(0, "open the fixture database: %s", err_msg());
		goto out;
	}
	ok(1, "the fixture database opens read-only");
	ok(catalyst_db_has_column(db, "settings"), "it has settings");
	ok(catalyst_db_has_column(db, "createdAt"), "and createdAt");
	ok(!catalyst_db_has_column(db, "key"), "but no key column");
	ok(!catalyst_db_has_column(db, "Settings"), "names are case-sensitive");

	/* All rows, all websites. */
	seen_init(&s);
	is_int(catalyst_db_each_type(db, NULL, collect, &s), 0,
	       "each_type over all websites");
	is_int(s.nr, 19, "hands out all 19 rows");
	is_int(s.nr_bad, 4, "4 are rejected");
	is_int(s.nr_ok, 15, "15 normalize");
	ok(s.ordered, "ordered by createdAt across INTEGER and TEXT times");
	check_samples(&s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *msg = jx_str(s.errors, bad[i].id);
		struct buf want = BUF_INIT;

		buf_addf(&want, "content type '%s' (%s): ", bad[i].id,
			 bad[i].name);
		ok(has_str(msg, want.ptr), "%s: the error names id and name",
		   bad[i].id);
		ok(has_str(msg, bad[i].reason), "%s: and the reason: %s",
		   bad[i].id, msg ? msg : "(none)");
		buf_release(&want);
	}

	/* Timestamps in three formats. */
	is_int(row_int(&s, "ok_sqltime", "created"), 1755336600000LL,
	       "TEXT 'YYYY-MM-DD HH:MM:SS' createdAt");
	is_int(row_int(&s, "ok_sqltime", "updated"), 1755338400000LL,
	       "and updatedAt");
	is_int(row_int(&s, "ok_sqltime", "format"), CATALYST_TIME_SQL,
	       "format SQL");
	is_int(row_int(&s, "ok_isotime", "created"), 1755332130250LL,
	       "ISO createdAt with ms and Z");
	is_int(row_int(&s, "ok_isotime", "updated"), 1755338400000LL,
	       "ISO updatedAt with an offset");
	is_int(row_int(&s, "ok_isotime", "format"), CATALYST_TIME_ISO,
	       "format ISO");
	form = json_object_get(s.forms, "ok_sqltime");
	ok(form && !json_object_get(form, "settings"),
	   "NULL settings: no settings in the form");
	is_str(form_str(&s, "ok_isotime", "pluralName"), "Iso Times",
	       "ISO row normalizes");

	/* Shape C. */
	is_int(row_int(&s, "ok_shapec", "shape"), CATALYST_SHAPE_STRING_ARRAY,
	       "a JSON string of an array is shape C");
	form = json_object_get(s.forms, "ok_shapec");
	is_int(json_object_size(json_object_get(form, "fields")), 2,
	       "and unwraps to its 2 fields");
	ok(json_is_object(json_object_get(
		   json_object_get(json_object_get(form, "fields"), "tags"),
		   "options")) == 0,
	   "options stay an array");
	is_int(row_int(&s, "ok_shapec_obj", "shape"),
	       CATALYST_SHAPE_STRING_OBJECT, "a JSON string of an object too");
	is_str(form_str(&s, "ok_shapec_obj", "pluralName"), "Shape C Objects",
	       "its pluralName comes through");

	/* Warnings of the usable row. */
	ok(json_object_get(s.forms, "ok_warnings"),
	   "the row with warnings is usable");
	w = find_code(&s.findings, "catalyst-settings-invalid-json");
	is_str(w ? w->path : NULL, "Warnings:settings",
	       "settings not JSON is a warning");
	w = find_code(&s.findings, "catalyst-field-no-type");
	is_str(w ? w->path : NULL, "Warnings:fields.mystery",
	       "so is a field without a type");
	w = find_code(&s.findings, "catalyst-relationship-field-unknown");
	is_str(w ? w->path : NULL, "Warnings:relationships.owner",
	       "and a relationship to no field");
	w = find_code(&s.findings, "catalyst-validation-conflict");
	is_str(w ? w->path : NULL, "Warnings:fields.title.validation.maxLength",
	       "and a seed key disagreeing with validation");
	is_int(s.findings.nr, 4, "no other warnings in the whole database");
	seen_release(&s);

	/* One website. */
	seen_init(&s);
	is_int(catalyst_db_each_type(db, "cmedxk9n20000v8q4website01", collect,
				     &s),
	       0, "each_type of one website");
	is_int(s.nr, 5, "gives its 5 types");
	ok(s.ordered, "in order");
	seen_release(&s);

	seen_init(&s);
	is_int(catalyst_db_each_type(db, "' OR 1=1 --", collect, &s), 0,
	       "a hostile website id");
	is_int(s.nr, 0, "matches nothing (bound, not pasted)");
	seen_release(&s);

	/* The callback stops the walk. */
	seen_init(&s);
	s.stop_after = 2;
	is_int(catalyst_db_each_type(db, NULL, collect, &s), ERR_CONFLICT,
	       "the callback's code is returned");
	is_int(s.nr, 2, "and no row is handed out after it");
	seen_release(&s);

	/* Websites. */
	is_int(catalyst_db_websites(db, &websites), 0, "websites");
	is_int(json_array_size(websites), 9, "9 websites");
	is_str(jx_str(json_array_get(websites, 0), "name"), "Catalyst QA Site",
	       "ordered by name");
	is_int(json_integer_value(
		       json_object_get(json_array_get(websites, 0), "types")),
	       5, "with the number of types");
	is_str(jx_str(json_array_get(websites, 8), "name"), "Twin Site",
	       "last by name");
	json_decref(websites);

	is_int(catalyst_db_resolve_website(db, "cmeg002v8q4f32oc70kuffyb1",
					   &id),
	       0, "resolve by id");
	is_str(id, "cmeg002v8q4f32oc70kuffyb1", "gives the id");
	free(id);
	is_int(catalyst_db_resolve_website(db, "ShopFlow Store", &id), 0,
	       "resolve by name");
	is_str(id, "cmeg002v8q4f32oc70kuffyb1", "gives its id");
	free(id);
	is_int(catalyst_db_resolve_website(db, "twin_b", &id), 0,
	       "an id of an ambiguous name resolves");
	is_str(id, "twin_b", "to itself");
	free(id);
	id = (char *)1;
	is_int(catalyst_db_resolve_website(db, "Twin Site", &id), ERR_INVALID,
	       "an ambiguous name: ERR_INVALID");
	ok(!id, "no id then");
	ok(has_str(err_msg(), "twin_a") && has_str(err_msg(), "twin_b"),
	   "listing the ids: %s", err_msg());
	is_int(catalyst_db_resolve_website(db, "No Such Site", &id),
	       ERR_NOTFOUND, "an unknown website: ERR_NOTFOUND");
	ok(has_str(err_msg(), "'No Such Site'") &&
		   has_str(err_msg(), "'TechVerse Blog'"),
	   "naming it and the websites there are: %s", err_msg());
	is_int(catalyst_db_resolve_website(db, "shopflow store", &id),
	       ERR_NOTFOUND, "names are matched exactly");
	is_int(catalyst_db_resolve_website(db, NULL, &id), ERR_INVALID,
	       "no spec with several websites: ERR_INVALID");
	ok(has_str(err_msg(), "9 websites"), "saying how many: %s", err_msg());
out:
	catalyst_db_close(db);
	unlink(path);
	free(path);
}

static void test_later_schema(void)
{
	static const char *const files[] = {"later-schema.sql", NULL};
	struct catalyst_db *db = NULL;
	char *path = test_build_db(files, NULL);
	json_t *form, *extra;
	struct seen s;
	char *id = NULL;

	if (catalyst_db_open(&db, path) < 0) {
		ok(0, "open the later-schema database: %s", err_msg());
		goto out;
	}
	ok(catalyst_db_has_column(db, "key") &&
		   catalyst_db_has_column(db, "pluralName") &&
		   catalyst_db_has_column(db, "displayField") &&
		   catalyst_db_has_column(db, "category"),
	   "the later columns are there");
	ok(!catalyst_db_has_column(db, "settings"), "settings is not");
	is_int(catalyst_db_resolve_website(db, NULL, &id), 0,
	       "the only website resolves without a spec");
	is_str(id, "site_later", "to its id");
	free(id);

	seen_init(&s);
	is_int(catalyst_db_each_type(db, "site_later", collect, &s), 0,
	       "each_type");
	is_int(s.nr_ok, 3, "3 rows normalize");
	is_int(s.findings.nr, 0, "without warnings");

	form = json_object_get(s.forms, "later_page");
	is_str(jx_str(form, "category"), "page", "category from the column");
	is_str(jx_str(form, "key"), "landing_page", "key from the column");
	is_str(jx_str(form, "pluralName"), "Landing Pages",
	       "pluralName: the column beats the fields object");
	is_str(jx_str(form, "displayField"), "heading", "displayField");
	is_str(jx_str(form, "icon"), "🏠", "icon from the fields object");
	is_str(jx_str(form, "description"), "A campaign landing page",
	       "description from the fields object");
	extra = json_object_get(form, "extra");
	is_str(jx_str(json_object_get(extra, "contentSchema"), "layout"),
	       "wide", "unknown object members under extra");
	is_int(json_object_size(extra), 1, "and nothing else there");
	ok(!json_object_get(form, "settings"), "no settings");

	form = json_object_get(s.forms, "later_folder");
	is_str(jx_str(form, "category"), "folder", "a folder");
	is_int(json_object_size(json_object_get(form, "fields")), 0,
	       "with no fields");
	ok(!json_object_get(form, "displayField"),
	   "a NULL displayField is left out");

	form = json_object_get(s.forms, "later_hero");
	is_int(row_int(&s, "later_hero", "shape"), CATALYST_SHAPE_STRING_ARRAY,
	       "the double-encoded row is shape C");
	is_int(json_object_size(json_object_get(form, "fields")), 2,
	       "with its 2 fields");
	is_str(jx_str(form, "category"), "component", "a component");
	seen_release(&s);
out:
	catalyst_db_close(db);
	unlink(path);
	free(path);
}

static void test_minimal_schema(void)
{
	static const char *const nothing[] = {NULL};
	struct catalyst_db *db = NULL;
	char *path = test_build_db(
		nothing,
		"CREATE TABLE \"ContentType\" (\"id\" TEXT PRIMARY KEY, "
		"\"websiteId\" TEXT, \"name\" TEXT, \"fields\" TEXT);"
		"INSERT INTO \"ContentType\" VALUES "
		"('b','w1','B','[]'),('a','w1','A',NULL),('c','w2','C','[]');");
	json_t *websites = NULL;
	struct seen s;
	char *id = NULL;

	if (catalyst_db_open(&db, path) < 0) {
		ok(0, "open a minimal database: %s", err_msg());
		goto out;
	}
	ok(1, "only id, websiteId, name and fields are needed");
	is_int(catalyst_db_websites(db, &websites), 0,
	       "websites without a Website table");
	is_int(json_array_size(websites), 2, "are the websiteIds used");
	is_int(json_integer_value(
		       json_object_get(json_array_get(websites, 0), "types")),
	       2, "with their counts");
	json_decref(websites);
	is_int(catalyst_db_resolve_website(db, "w2", &id), 0, "resolve");
	free(id);

	seen_init(&s);
	is_int(catalyst_db_each_type(db, NULL, collect, &s), 0, "each_type");
	is_int(s.nr, 3, "hands out every row");
	is_int(s.nr_bad, 1, "the NULL fields row is rejected");
	ok(has_str(jx_str(s.errors, "a"), "fields is missing"),
	   "by normalization: %s", jx_str(s.errors, "a"));
	is_int(row_int(&s, "a", "created"), -1, "missing createdAt is -1");
	is_int(row_int(&s, "a", "format"), CATALYST_TIME_NULL,
	       "with format NULL");
	is_str(form_str(&s, "b", "category"), "component",
	       "category defaults to component");
	seen_release(&s);
out:
	catalyst_db_close(db);
	unlink(path);
	free(path);
}

int main(void)
{
	plan_lazy();
	test_open_errors();
	test_main_db();
	test_later_schema();
	test_minimal_schema();
	catalyst_db_close(NULL);
	return done_testing();
}
