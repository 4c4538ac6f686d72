/*
 * t_capture: the changelog and triggers in a Catalyst database (edits made
 * by another connection, Prisma's table rebuild), and write-back in the
 * row's own shape.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testlib.h"
#include "core/canon.h"
#include "core/catalyst_form.h"
#include "source/capture.h"
#include "source/catalyst_sqlite.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static const char *const fixture938[] = {"catalyst-938657b-fixture.sql", NULL};
static const char *const fixture_later[] = {"later-schema.sql", NULL};

/* Shape B with settings, shape A, shape C of the later schema. */
#define BLOG_SEED "cmeg004v8q4me1fftxjyf2buc"
#define ARTICLE_UI "cmeg00bv8q4r2kbsqmyiam2ue"
#define HERO_LATER "later_hero"

/* Runs SQL on its own connection: "another process" editing Catalyst. */
static int other_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		diag("sql: %s", msg);
	sqlite3_free(msg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static char *other_value(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The Catalyst form of row id, read through c. */
static json_t *form_of(struct capture *c, const char *id)
{
	struct catalyst_row row;
	json_t *form = NULL;

	if (catalyst_db_get_type(capture_db(c), id, &row) < 0 ||
	    catalyst_form_from_row(&form, NULL, &row, NULL) < 0) {
		diag("form_of(%s): %s", id, err_msg());
		err_clear();
	}
	catalyst_row_release(&row);
	return form;
}

static int same_content(const json_t *a, const json_t *b)
{
	char ha[CANON_HASH_LEN + 1], hb[CANON_HASH_LEN + 1];

	if (!a || !b || canon_content_hash(ha, a) < 0 ||
	    canon_content_hash(hb, b) < 0)
		return 0;
	return !strcmp(ha, hb);
}

static void test_stringify(void)
{
	struct buf b = BUF_INIT;
	json_t *v = NULL;

	const char *text = "{\"b\":1.0,\"a\":[0.1,1e21,-0.0,"
			   "\"\\u0001\\n\\\"é\"],\"c\":null,\"d\":true,"
			   "\"e\":12345678901234}";

	ok(!jx_load(&v, text, strlen(text), "t"), "parse");
	if (!v)
		return;
	ok(!capture_stringify(&b, v), "stringify");
	is_str(b.ptr,
	       "{\"b\":1,\"a\":[0.1,1e+21,0,\"\\u0001\\n\\\"é\"],\"c\":null,"
	       "\"d\":true,\"e\":12345678901234}",
	       "as JSON.stringify writes it: insertion order, ES numbers");
	json_decref(v);
	buf_release(&b);
}

static void test_install(void)
{
	char *path = test_build_db(fixture938, NULL), *v;
	struct capture *c = NULL;
	struct capture_status st;
	int changed = -1;

	ok(!capture_open(&c, path), "open read-write");
	ok(!capture_check(c, &st) && st.health == CAPTURE_ABSENT,
	   "nothing installed at first");
	capture_status_release(&st);
	ok(!capture_install(c, &changed) && changed == 1, "install");
	ok(!capture_check(c, &st) && st.health == CAPTURE_OK &&
		   st.triggers_nr == 3 && st.install_id &&
		   strlen(st.install_id) == 32,
	   "installed: changelog, three triggers, an install id");
	capture_status_release(&st);
	ok(!capture_install(c, &changed) && changed == 0,
	   "installing again changes nothing");
	v = other_value(path, "SELECT count(*) FROM sqlite_master WHERE name "
			      "LIKE '\\_catalyst\\_sync\\_%' ESCAPE '\\'");
	is_str(v, "5", "five objects, all prefixed _catalyst_sync_");
	free(v);
	capture_close(c);
	c = NULL;

	/* Prisma's rebuild drops the triggers. */
	ok(!other_exec(path,
		       "PRAGMA foreign_keys=OFF;"
		       "CREATE TABLE \"new_ContentType\" ("
		       " \"id\" TEXT NOT NULL PRIMARY KEY,"
		       " \"websiteId\" TEXT NOT NULL, \"name\" TEXT NOT NULL,"
		       " \"fields\" TEXT NOT NULL, \"settings\" TEXT,"
		       " \"createdAt\" DATETIME NOT NULL DEFAULT"
		       " CURRENT_TIMESTAMP, \"updatedAt\" DATETIME NOT NULL);"
		       "INSERT INTO \"new_ContentType\" SELECT \"id\","
		       " \"websiteId\", \"name\", \"fields\", \"settings\","
		       " \"createdAt\", \"updatedAt\" FROM \"ContentType\";"
		       "DROP TABLE \"ContentType\";"
		       "ALTER TABLE \"new_ContentType\" RENAME TO"
		       " \"ContentType\";"
		       "PRAGMA foreign_keys=ON;"),
	   "Prisma rebuilds ContentType");
	ok(!capture_open(&c, path), "reopen");
	ok(!capture_check(c, &st) && st.health == CAPTURE_BROKEN &&
		   st.triggers_nr == 0 && st.has_changelog,
	   "the triggers are missing, the changelog is still there");
	capture_status_release(&st);
	ok(!capture_install(c, &changed) && changed == 1, "init reinstalls");
	ok(!capture_check(c, &st) && st.health == CAPTURE_OK, "healthy again");
	capture_status_release(&st);
	capture_close(c);
	c = NULL;

	/* A column added under the triggers makes them out of date. */
	ok(!other_exec(path, "ALTER TABLE \"ContentType\" ADD COLUMN \"key\" "
			     "TEXT"),
	   "a column is added");
	ok(!capture_open(&c, path), "reopen");
	ok(!capture_check(c, &st) && st.health == CAPTURE_BROKEN &&
		   st.triggers_nr == 3 && st.stale_nr == 3,
	   "the triggers are out of date");
	capture_status_release(&st);
	ok(!capture_install(c, &changed) && changed == 1, "init replaces them");
	ok(!capture_check(c, &st) && st.health == CAPTURE_OK, "healthy");
	capture_status_release(&st);

	ok(!capture_uninstall(c, &changed) && changed == 1, "uninstall");
	ok(!capture_check(c, &st) && st.health == CAPTURE_ABSENT,
	   "nothing left");
	capture_status_release(&st);
	ok(!capture_uninstall(c, &changed) && changed == 0,
	   "uninstalling again is fine");
	capture_close(c);
	v = other_value(path, "SELECT count(*) FROM \"ContentType\"");
	is_str(v, "10", "Catalyst's rows are untouched");
	free(v);
	unlink(path);
	free(path);
}

struct seen {
	int nr;
	long long last;
	int ordered;
	char ops[8];
	char names[4][16];
};

static int collect_change(const struct capture_change *ch, void *payload)
{
	struct seen *s = payload;

	if (ch->id <= s->last)
		s->ordered = 0;
	s->last = ch->id;
	if (s->nr < 4) {
		s->ops[s->nr] = "IUD"[ch->op];
		snprintf(s->names[s->nr], sizeof(s->names[0]), "%s",
			 ch->row.name ? ch->row.name : "");
	}
	s->nr++;
	return 0;
}

static void test_changelog(void)
{
	char *path = test_build_db(fixture938, NULL);
	struct capture *c = NULL;
	struct seen s = {0, 0, 1, "", {""}};
	long long last = -1;
	json_t *form;

	ok(!capture_open(&c, path) && !capture_install(c, NULL), "install");
	is_int(capture_each_change(c, 0, collect_change, &s) == 0 && s.nr == 0,
	       1, "an empty changelog");
	capture_close(c);
	ok(!other_exec(path,
		       "UPDATE \"ContentType\" SET \"name\" = 'Post' WHERE "
		       "\"id\" = '" BLOG_SEED "';"
		       "UPDATE \"ContentType\" SET \"name\" = 'Post 2' WHERE "
		       "\"id\" = '" BLOG_SEED "';"
		       "INSERT INTO \"ContentType\" (\"id\", \"websiteId\", "
		       "\"name\", \"fields\", \"createdAt\", \"updatedAt\") "
		       "VALUES ('cnew', 'cmeg001v8q48mfvlko9frxe53', 'New', "
		       "'[]', 1, 2);"
		       "DELETE FROM \"ContentType\" WHERE \"id\" = 'cnew';"),
	   "another connection makes four edits while we are away");
	ok(!capture_open(&c, path), "reopen");
	ok(!capture_each_change(c, 0, collect_change, &s), "read them");
	is_int(s.nr, 4, "all four");
	ok(s.ordered, "in order");
	ok(!memcmp(s.ops, "UUID", 4), "update, update, insert, delete");
	is_str(s.names[0], "Post", "each a snapshot of its moment");
	is_str(s.names[1], "Post 2", "the second");
	is_str(s.names[3], "New", "a delete keeps the old row");
	ok(!capture_last_change(c, &last) && last == s.last, "the last id");
	memset(&s, 0, sizeof(s));
	s.ordered = 1;
	ok(!capture_each_change(c, last - 1, collect_change, &s) && s.nr == 1,
	   "reading after an id");
	form = form_of(c, BLOG_SEED);
	is_str(jx_str(form, "name"), "Post 2", "the row itself");
	json_decref(form);
	capture_close(c);
	unlink(path);
	free(path);
}

/*
 * Writes form into its row through capture_write and checks it reads back
 * with the same content. Returns the row's raw fields text.
 */
static char *write_and_read(const char *path, struct capture *c, json_t *form,
			    const char *what)
{
	json_t *stored = NULL, *back;
	char h[CANON_HASH_LEN + 1], old[CANON_HASH_LEN + 1];
	struct buf sql = BUF_INIT;
	char *text;

	ok(!capture_prepare(c, form, &stored, h, old), "%s: prepare", what);
	if (!stored) {
		diag("%s", err_msg());
		err_clear();
		return NULL;
	}
	ok(same_content(stored, form), "%s: reads back as written", what);
	is_int(capture_write(c, stored, old), 0, "%s: written", what);
	back = form_of(c, jx_str(form, "id"));
	ok(same_content(back, form), "%s: the row holds it", what);
	is_int(capture_write(c, stored, old), 1,
	       "%s: writing it again does nothing", what);
	json_decref(back);
	json_decref(stored);
	buf_addf(&sql,
		 "SELECT \"fields\" FROM \"ContentType\" WHERE \"id\" = "
		 "'%s'",
		 jx_str(form, "id"));
	text = other_value(path, sql.ptr);
	buf_release(&sql);
	return text;
}

static void test_write_shapes(void)
{
	char *path = test_build_db(fixture938, NULL), *text, *v;
	struct capture *c = NULL;
	json_t *form, *f;
	struct buf sql = BUF_INIT;
	char old[CANON_HASH_LEN + 1], h[CANON_HASH_LEN + 1];
	json_t *stored = NULL;

	ok(!capture_open(&c, path) && !capture_install(c, NULL),
	   "open and install");

	/* Shape B (plain array, seed style). */
	form = form_of(c, BLOG_SEED);
	v = other_value(path, "SELECT \"fields\" FROM \"ContentType\" WHERE "
			      "\"id\" = '" BLOG_SEED "'");
	ok(!capture_prepare(c, form, &stored, h, old) && !strcmp(h, old),
	   "an unchanged form renders to the same content");
	json_decref(stored);
	f = json_object_get(json_object_get(form, "fields"), "title");
	json_object_set_new(json_object_get(f, "validation"), "maxLength",
			    json_integer(120));
	json_object_set_new(f, "label", json_string("Headline"));
	json_object_set_new(json_object_get(form, "fields"), "summary",
			    json_pack("{s:s, s:b, s:i}", "type", "textarea",
				      "required", 0, "order", 9));
	text = write_and_read(path, c, form, "shape B");
	ok(text && text[0] == '[', "shape B stays a plain array");
	ok(text && strstr(text, "\"maxLength\":120") &&
		   !strstr(text, "\"validation\""),
	   "a seed-style key is changed where it is");
	ok(text && strstr(text, "\"unique\":true"),
	   "keys we do not understand are kept");
	ok(text && strstr(text, "{\"name\":\"summary\",\"type\":\"textarea\""),
	   "a new field is appended, name first");
	ok(text && v && !strncmp(text, v, 10),
	   "the untouched start is the same text");
	free(text);
	free(v);
	json_decref(form);

	/* Icon from settings (no place in a plain array). */
	form = form_of(c, BLOG_SEED);
	json_object_set_new(form, "icon", json_string("🗞"));
	json_object_set_new(json_object_get(form, "settings"), "icon",
			    json_string("🗞"));
	text = write_and_read(path, c, form, "settings member");
	free(text);
	v = other_value(path, "SELECT \"settings\" FROM \"ContentType\" WHERE "
			      "\"id\" = '" BLOG_SEED "'");
	ok(v && strstr(v, "\"icon\":\"🗞\"") &&
		   strstr(v, "\"defaultStatus\""),
	   "settings keep their other members");
	free(v);
	json_decref(form);

	/* Relationships have no place in a plain array. */
	form = form_of(c, BLOG_SEED);
	json_object_set_new(json_object_get(form, "relationships"), "author",
			    json_pack("{s:s, s:s}", "type", "manyToOne",
				      "targetContentTypeId", "x"));
	ok(capture_prepare(c, form, &stored, h, old) == ERR_INVALID &&
		   strstr(err_msg(), "relationships"),
	   "relationships in a plain-array row are refused");
	err_clear();
	json_decref(form);

	/* Shape A (the app's object). */
	form = form_of(c, ARTICLE_UI);
	json_object_set_new(form, "description", json_string("Essays"));
	f = json_object_get(form, "fields");
	{
		const char *name;
		json_t *x, *renamed = NULL;
		const char *first = NULL;

		json_object_foreach(f, name, x)
		{
			first = name;
			break;
		}
		renamed = json_deep_copy(json_object_get(f, first));
		json_object_del(f, first);
		json_object_set_new(f, "headline", renamed);
	}
	text = write_and_read(path, c, form, "shape A");
	ok(text && text[0] == '{' && strstr(text, "\"description\":\"Essays\""),
	   "shape A stays an object, with its description");
	ok(text && strstr(text, "\"name\":\"headline\"") &&
		   strstr(text, "\"relationships\""),
	   "a renamed field (same id) keeps its place; relationships kept");
	free(text);
	json_decref(form);

	/* Another id or website is refused. */
	form = form_of(c, ARTICLE_UI);
	json_object_set_new(form, "websiteId", json_string("elsewhere"));
	ok(capture_prepare(c, form, &stored, h, old) == ERR_INVALID,
	   "a form of another website is refused");
	err_clear();
	json_decref(form);

	/* A stale base is a conflict, and nothing is written. */
	form = form_of(c, ARTICLE_UI);
	json_object_set_new(form, "name", json_string("Essay"));
	ok(!capture_prepare(c, form, &stored, h, old), "prepare");
	ok(!other_exec(path, "UPDATE \"ContentType\" SET \"name\" = 'Story' "
			     "WHERE \"id\" = '" ARTICLE_UI "'"),
	   "another process renames it meanwhile");
	is_int(capture_write(c, stored, old), ERR_CONFLICT,
	       "the write is refused");
	err_clear();
	v = other_value(path, "SELECT \"name\" FROM \"ContentType\" WHERE "
			      "\"id\" = '" ARTICLE_UI "'");
	is_str(v, "Story", "and the other edit stands");
	free(v);
	json_decref(stored);
	json_decref(form);

	/* updatedAt keeps the row's format. */
	v = other_value(path, "SELECT typeof(\"updatedAt\") FROM "
			      "\"ContentType\" WHERE \"id\" = '" BLOG_SEED "'");
	is_str(v, "integer", "INTEGER milliseconds stay INTEGER");
	free(v);
	ok(!other_exec(path,
		       "UPDATE \"ContentType\" SET \"updatedAt\" = "
		       "'2025-08-15 01:02:03' WHERE \"id\" = '" ARTICLE_UI "'"),
	   "a row with SQL text timestamps");
	form = form_of(c, ARTICLE_UI);
	json_object_set_new(form, "name", json_string("Essay"));
	text = write_and_read(path, c, form, "text timestamps");
	free(text);
	v = other_value(path, "SELECT \"updatedAt\" FROM \"ContentType\" "
			      "WHERE \"id\" = '" ARTICLE_UI "'");
	ok(v && strlen(v) == 19 && v[10] == ' ' &&
		   strcmp(v, "2025-08-15 "
			     "01:02:03") > 0,
	   "stays 'YYYY-MM-DD HH:MM:SS', later (%s)", v ? v : "NULL");
	free(v);
	json_decref(form);
	ok(!other_exec(path,
		       "UPDATE \"ContentType\" SET \"updatedAt\" = "
		       "'2025-08-15T01:02:03.004Z' WHERE \"id\" = '" ARTICLE_UI
		       "'"),
	   "a row with ISO timestamps");
	form = form_of(c, ARTICLE_UI);
	json_object_set_new(form, "name", json_string("Essays"));
	text = write_and_read(path, c, form, "ISO timestamps");
	free(text);
	v = other_value(path, "SELECT \"updatedAt\" FROM \"ContentType\" "
			      "WHERE \"id\" = '" ARTICLE_UI "'");
	ok(v && strlen(v) == 24 && v[10] == 'T' && v[23] == 'Z',
	   "stays ISO with milliseconds and Z (%s)", v ? v : "NULL");
	free(v);
	json_decref(form);

	/* Our writes come round through the triggers too. */
	v = other_value(path,
			"SELECT count(*) FROM \"_catalyst_sync_changelog\"");
	ok(v && strcmp(v, "0"), "the changelog saw our writes (%s)",
	   v ? v : "NULL");
	free(v);

	capture_close(c);
	buf_release(&sql);
	unlink(path);
	free(path);
}

static void test_write_later(void)
{
	char *path = test_build_db(fixture_later, NULL), *text, *v;
	struct capture *c = NULL;
	json_t *form, *stored = NULL;
	char old[CANON_HASH_LEN + 1], h[CANON_HASH_LEN + 1];

	ok(!capture_open(&c, path), "open a later-schema database");
	form = form_of(c, HERO_LATER);
	json_object_set_new(form, "pluralName", json_string("Heroes"));
	json_object_set_new(form, "category", json_string("page"));
	json_object_set_new(
		json_object_get(json_object_get(form, "fields"), "title"),
		"helpText", json_string("Big words"));
	text = write_and_read(path, c, form, "shape C");
	ok(text && text[0] == '"', "shape C stays a JSON string");
	free(text);
	v = other_value(path,
			"SELECT \"pluralName\" || '/' || \"category\" "
			"FROM \"ContentType\" WHERE \"id\" = 'later_hero'");
	is_str(v, "Heroes/page", "columns are written where they are");
	free(v);
	json_decref(form);

	form = form_of(c, HERO_LATER);
	json_object_set_new(form, "settings", json_pack("{s:b}", "x", 1));
	ok(capture_prepare(c, form, &stored, h, old) == ERR_INVALID,
	   "settings without a settings column are refused");
	err_clear();
	json_decref(form);
	capture_close(c);
	unlink(path);
	free(path);
}

/* Every sample row, unchanged, renders to its own text. */
static void test_identity(void)
{
	char *path = test_build_db(fixture938, NULL);
	struct capture *c = NULL;
	struct capture_columns cols = {1, 0, 0, 0, 0};
	static const char *ids[] = {
		"cmeg004v8q4me1fftxjyf2buc", "cmeg005v8q4qnhnk8rr0ng7o3",
		"cmeg006v8q4ex22v6i0kie2er", "cmeg007v8q4ge2iefa5uy0mnx",
		"cmeg008v8q4a4vzo9coy44e40", "cmeg009v8q4rta3qcrl3ytqwb",
		"cmeg00av8q4lbvno60oqlua99", "cmeg00bv8q4r2kbsqmyiam2ue",
		"cmeg00cv8q4tfjgrx9y01obw8", "cmeg00dv8q4p2q8pvopdmtbh3",
	};

	ok(!capture_open(&c, path), "open");
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct catalyst_row row, out;
		json_t *form = NULL;

		if (catalyst_db_get_type(capture_db(c), ids[i], &row) < 0 ||
		    catalyst_form_from_row(&form, NULL, &row, NULL) < 0) {
			ok(0, "read %s: %s", ids[i], err_msg());
			err_clear();
			catalyst_row_release(&row);
			continue;
		}
		ok(!capture_render(&out, &row, form, form, &cols) &&
			   !strcmp(out.fields_json, row.fields_json) &&
			   !strcmp(out.settings_json, row.settings_json),
		   "sample %zu renders to its own text", i + 1);
		catalyst_row_release(&out);
		catalyst_row_release(&row);
		json_decref(form);
	}
	capture_close(c);
	unlink(path);
	free(path);
}

/* --- creating and deleting rows --------------------------------------- */

/* Websites of the 938657b fixture: the app's object rows, seed arrays. */
#define SITE_UI "cmedxk9n20000v8q4website01"
#define SITE_SEED "cmeg001v8q48mfvlko9frxe53"

static char *sql_value(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *sql_value(const char *path, const char *fmt, ...)
{
	struct buf sql = BUF_INIT;
	va_list ap;
	char *v;

	va_start(ap, fmt);
	buf_vaddf(&sql, fmt, ap);
	va_end(ap);
	v = other_value(path, sql.ptr);
	buf_release(&sql);
	return v;
}

static int looks_cuid(const char *s)
{
	if (!s || strlen(s) != 25 || s[0] != 'c')
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z')))
			return 0;
	return 1;
}

static int looks_uuid4(const char *s)
{
	if (!s || strlen(s) != 36 || s[14] != '4' || !strchr("89ab", s[19]))
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return 0;
	}
	return 1;
}

/* A type as pull --adopt would bring it: a complete Catalyst form. */
static json_t *event_form(const char *name)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s, s:b, s:i}, "
			 "s:{s:s, s:s, s:b, s:i, s:{s:s}}}, s:{}}",
			 "name", name, "pluralName", "Events", "icon", "🎫",
			 "description", "A dated happening", "category",
			 "component", "fields", "title", "type", "text",
			 "label", "Title", "required", 1, "order", 0,
			 "startsAt", "type", "date", "label", "Starts",
			 "required", 0, "order", 1, "validation", "format",
			 "yyyy-MM-dd", "relationships");
}

/* The row count of the table, as text. */
static char *count_rows(const char *path)
{
	return other_value(path, "SELECT count(*) FROM \"ContentType\"");
}

/*
 * Creates form in site through capture_create and checks what it gives
 * back: the new id, the stored form (content as expect, else as form; the
 * new id and site), and that the row itself reads back as stored. Returns
 * the new id (the caller frees it), or NULL.
 */
static char *create_checked(struct capture *c, const char *site,
			    const json_t *form, const json_t *expect,
			    const char *what)
{
	json_t *stored = NULL, *back;
	char *id = NULL;
	int ret = capture_create(c, site, form, &stored, &id);

	is_int(ret, 0, "%s: created", what);
	if (ret < 0) {
		diag("%s", err_msg());
		err_clear();
		return NULL;
	}
	ok(same_content(stored, expect ? expect : form),
	   "%s: reads back as the form", what);
	ok(id && !strcmp(jx_str(stored, "id"), id) &&
		   !strcmp(jx_str(stored, "websiteId"), site),
	   "%s: with its new id and website", what);
	back = form_of(c, id);
	ok(same_content(back, stored), "%s: the row holds it", what);
	json_decref(back);
	json_decref(stored);
	return id;
}

struct last_change {
	char op;
	char *type_id;
	json_t *form;
};

static int keep_last_change(const struct capture_change *ch, void *payload)
{
	struct last_change *l = payload;

	l->op = "IUD"[ch->op];
	free(l->type_id);
	l->type_id = xstrdup(ch->row.id ? ch->row.id : "");
	json_decref(l->form);
	l->form = NULL;
	if (catalyst_form_from_row(&l->form, NULL, &ch->row, NULL) < 0)
		err_clear();
	return 0;
}

static void last_change_release(struct last_change *l)
{
	free(l->type_id);
	json_decref(l->form);
	memset(l, 0, sizeof(*l));
}

static void test_create_object(void)
{
	char *path = test_build_db(fixture938, NULL), *id, *v, *n0, *n1;
	struct capture *c = NULL;
	struct last_change last = {0};
	long long before = time_now_ms(), after, at, mark = 0;
	json_t *form;

	ok(!capture_open(&c, path) && !capture_install(c, NULL),
	   "open and install");
	ok(!capture_last_change(c, &mark), "the changelog so far");
	form = event_form("Event");
	json_object_set_new(json_object_get(form, "fields"), "venue",
			    json_pack("{s:s, s:s, s:b, s:i}", "type",
				      "reference", "label", "Venue", "required",
				      0, "order", 2));
	json_object_set_new(json_object_get(form, "relationships"), "venue",
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "id",
				      "rel_venue", "name", "venue", "type",
				      "manyToOne", "targetContentTypeId",
				      ARTICLE_UI, "fieldName", "venue",
				      "isRequired", 0));
	id = create_checked(c, SITE_UI, form, NULL, "object rows");
	after = time_now_ms();
	ok(looks_cuid(id), "a cuid like the other ids (%s)", id ? id : "");
	v = sql_value(path,
		      "SELECT \"fields\" FROM \"ContentType\" WHERE \"id\" = "
		      "'%s'",
		      id ? id : "");
	ok(v && !strncmp(v,
			 "{\"name\":\"Event\",\"pluralName\":\"Events\","
			 "\"icon\":\"🎫\",\"description\":\"A dated "
			 "happening\",\"fields\":[{\"name\":\"title\"",
			 strlen("{\"name\":\"Event\",\"pluralName\":"
				"\"Events\",\"icon\":\"🎫\",\"description\":"
				"\"A dated happening\",\"fields\":[{\"name\":"
				"\"title\"")),
	   "fields as Catalyst's service writes its object");
	ok(v && strstr(v, "\"relationships\":[{\"id\":\"rel_venue\""),
	   "relationships as an array");
	free(v);
	v = sql_value(path,
		      "SELECT typeof(\"createdAt\") || '/' || "
		      "typeof(\"updatedAt\") || '/' || (\"createdAt\" = "
		      "\"updatedAt\") || '/' || coalesce(\"settings\", 'NULL') "
		      "FROM \"ContentType\" WHERE \"id\" = '%s'",
		      id ? id : "");
	is_str(v, "integer/integer/1/NULL",
	       "INTEGER ms like the other rows, no settings invented");
	free(v);
	v = sql_value(path,
		      "SELECT \"createdAt\" FROM \"ContentType\" WHERE \"id\" "
		      "= '%s'",
		      id ? id : "");
	at = v ? strtoll(v, NULL, 10) : 0;
	ok(at >= before && at <= after, "created now");
	free(v);

	/* The triggers logged it, as a row history can read. */
	ok(!capture_each_change(c, mark, keep_last_change, &last) &&
		   last.op == 'I' && last.type_id && id &&
		   !strcmp(last.type_id, id),
	   "the changelog has the INSERT");
	{
		json_t *now = form_of(c, id ? id : "");

		ok(same_content(last.form, now),
		   "its snapshot has the content written");
		json_decref(now);
	}
	last_change_release(&last);

	/* Names are taken per website. */
	n0 = count_rows(path);
	is_int(capture_create(c, SITE_UI, form, NULL, NULL), ERR_CONFLICT,
	       "the same name again is a conflict");
	ok(strstr(err_msg(), "already has a content type named 'Event'"),
	   "which says so (%s)", err_msg());
	err_clear();
	json_object_set_new(form, "name", json_string("Article"));
	is_int(capture_create(c, SITE_UI, form, NULL, NULL), ERR_CONFLICT,
	       "so is the name of a type of Catalyst's own");
	err_clear();
	n1 = count_rows(path);
	is_str(n1, n0, "and nothing was inserted");
	free(n1);
	ok(!capture_each_change(c, mark, keep_last_change, &last) &&
		   last.op == 'I' && id && !strcmp(last.type_id, id),
	   "nor logged");
	last_change_release(&last);

	/* What cannot be held. */
	json_object_del(form, "name");
	is_int(capture_create(c, SITE_UI, form, NULL, NULL), ERR_INVALID,
	       "a form without a name is refused");
	err_clear();
	json_object_set_new(form, "name", json_string("Keyed"));
	json_object_set_new(form, "key", json_string("keyed"));
	is_int(capture_create(c, SITE_UI, form, NULL, NULL), ERR_INVALID,
	       "a key without a key column is refused");
	ok(strstr(err_msg(), "'key'"), "naming it (%s)", err_msg());
	err_clear();
	json_object_del(form, "key");
	json_object_set_new(form, "displayField", json_string("title"));
	is_int(capture_create(c, SITE_UI, form, NULL, NULL), ERR_INVALID,
	       "so is a displayField");
	err_clear();
	json_object_del(form, "displayField");
	json_object_set_new(json_object_get(form, "fields"), "bad",
			    json_string("text"));
	is_int(capture_create(c, SITE_UI, form, NULL, NULL), ERR_INVALID,
	       "a field that is not an object is refused");
	err_clear();
	json_object_del(json_object_get(form, "fields"), "bad");
	json_object_set_new(json_object_get(form, "fields"), "loose",
			    json_pack("{s:s, s:b, s:i, s:i}", "type", "text",
				      "required", 0, "order", 3, "maxLength",
				      5));
	is_int(capture_create(c, SITE_UI, form, NULL, NULL), ERR_INVALID,
	       "a form that would read back otherwise is refused");
	ok(strstr(err_msg(), "read back differently (its fields)"),
	   "saying where (%s)", err_msg());
	err_clear();
	json_object_del(json_object_get(form, "fields"), "loose");
	json_object_set_new(form, "websiteId", json_string(SITE_SEED));
	is_int(capture_create(c, SITE_UI, form, NULL, NULL), ERR_INVALID,
	       "a form of another website is refused");
	err_clear();
	json_object_del(form, "websiteId");
	is_int(capture_create(c, "no_such_site", form, NULL, NULL),
	       ERR_NOTFOUND, "an unknown website is not found");
	err_clear();
	n1 = count_rows(path);
	is_str(n1, n0, "none of them inserted anything");
	free(n1);
	free(n0);

	/* A form the reader completes (no required, no order) is fine. */
	json_decref(form);
	form = json_pack("{s:s, s:{s:{s:s}, s:{s:s}}}", "name", "Sparse",
			 "fields", "a", "type", "text", "b", "type", "boolean");
	{
		json_t *expect = json_pack(
			"{s:s, s:s, s:{s:{s:s, s:b, s:i}, s:{s:s, s:b, s:i}}, "
			"s:{}}",
			"name", "Sparse", "category", "component", "fields",
			"a", "type", "text", "required", 0, "order", 0, "b",
			"type", "boolean", "required", 0, "order", 1,
			"relationships");
		char *sid = create_checked(c, SITE_UI, form, expect,
					   "a sparse form");

		free(sid);
		json_decref(expect);
	}

	json_decref(form);
	free(id);
	capture_close(c);
	unlink(path);
	free(path);
}

static void test_create_array(void)
{
	char *path = test_build_db(fixture938, NULL), *id, *v;
	struct capture *c = NULL;
	json_t *form, *expect;

	ok(!capture_open(&c, path), "open");

	/* A form as one of these rows normalizes: members in settings. */
	form = event_form("Event");
	json_object_set_new(form, "category", json_string("page"));
	json_object_set_new(form, "settings",
			    json_pack("{s:s, s:s, s:s, s:s, s:s}",
				      "displayName", "Events", "icon", "🎫",
				      "pluralName", "Events", "description",
				      "A dated happening", "category", "page"));
	id = create_checked(c, SITE_SEED, form, NULL, "array rows");
	v = sql_value(path,
		      "SELECT \"fields\" FROM \"ContentType\" WHERE \"id\" = "
		      "'%s'",
		      id ? id : "");
	ok(v && !strncmp(v, "[{\"name\":\"title\",\"type\":\"text\"", 30),
	   "fields as a plain array like the other rows (%.40s)",
	   v ? v : "NULL");
	free(v);
	v = sql_value(path,
		      "SELECT \"settings\" FROM \"ContentType\" WHERE \"id\" = "
		      "'%s'",
		      id ? id : "");
	ok(v && strstr(v, "\"displayName\":\"Events\"") &&
		   strstr(v, "\"category\":\"page\""),
	   "settings kept, category in settings.category (%s)", v ? v : "NULL");
	free(v);
	v = sql_value(path,
		      "SELECT typeof(\"createdAt\") FROM \"ContentType\" "
		      "WHERE \"id\" = '%s'",
		      id ? id : "");
	is_str(v, "integer", "INTEGER ms");
	free(v);
	free(id);
	json_decref(form);

	/* Members a plain array has no room for go to settings. */
	form = event_form("Venue");
	expect = json_deep_copy(form);
	json_object_set_new(expect, "settings",
			    json_pack("{s:s, s:s, s:s}", "pluralName", "Events",
				      "icon", "🎫", "description",
				      "A dated happening"));
	id = create_checked(c, SITE_SEED, form, expect,
			    "pluralName, icon, description");
	v = sql_value(path,
		      "SELECT substr(\"fields\", 1, 1) || \"settings\" FROM "
		      "\"ContentType\" WHERE \"id\" = '%s'",
		      id ? id : "");
	is_str(v,
	       "[{\"pluralName\":\"Events\",\"icon\":\"🎫\",\"description\":"
	       "\"A dated happening\"}",
	       "into settings, as the seeds keep them");
	free(v);
	free(id);
	json_decref(expect);
	json_decref(form);

	/* Relationships need Catalyst's object. */
	form = event_form("Talk");
	json_object_set_new(json_object_get(form, "relationships"), "speaker",
			    json_pack("{s:s, s:s, s:s}", "name", "speaker",
				      "type", "manyToOne",
				      "targetContentTypeId",
				      "cmeg005v8q4qnhnk8rr0ng7o3"));
	id = create_checked(c, SITE_SEED, form, NULL, "relationships");
	v = sql_value(path,
		      "SELECT substr(\"fields\", 1, 15) || '/' || "
		      "coalesce(\"settings\", 'NULL') FROM \"ContentType\" "
		      "WHERE \"id\" = '%s'",
		      id ? id : "");
	is_str(v, "{\"name\":\"Talk\",/NULL",
	       "are written as the app's object instead");
	free(v);
	free(id);
	json_decref(form);

	capture_close(c);
	unlink(path);
	free(path);
}

/* A table with neither a settings nor a category column. */
static void test_create_bare(void)
{
	char *path = test_build_db(fixture938,
				   "ALTER TABLE \"ContentType\" DROP COLUMN "
				   "\"settings\""),
	     *id, *v;
	struct capture *c = NULL;
	json_t *form;

	ok(!capture_open(&c, path), "open a table without settings");
	form = event_form("Event");
	json_object_set_new(form, "category", json_string("page"));
	is_int(capture_create(c, SITE_SEED, form, NULL, NULL), ERR_INVALID,
	       "a page has no place");
	ok(strstr(err_msg(), "no category or settings column"),
	   "saying so (%s)", err_msg());
	err_clear();
	json_object_set_new(form, "category", json_string("component"));
	id = create_checked(c, SITE_SEED, form, NULL,
			    "a component, with an icon");
	v = sql_value(path,
		      "SELECT substr(\"fields\", 1, 15) FROM \"ContentType\" "
		      "WHERE \"id\" = '%s'",
		      id ? id : "");
	is_str(v, "{\"name\":\"Event\"",
	       "the icon needs the object here, among plain arrays");
	free(v);
	free(id);
	json_decref(form);
	capture_close(c);
	unlink(path);
	free(path);
}

static void test_create_later(void)
{
	char *path = test_build_db(fixture_later, NULL), *id, *v;
	struct capture *c = NULL;
	json_t *form, *expect;

	ok(!capture_open(&c, path) && !capture_install(c, NULL),
	   "open a later-schema database");
	form = json_pack("{s:s, s:s, s:{s:{s:s, s:b, s:i}}, s:{}}", "name",
			 "Promo  Banner", "category", "component", "fields",
			 "headline", "type", "text", "required", 1, "order", 0,
			 "relationships");
	expect = json_deep_copy(form);
	json_object_set_new(expect, "key", json_string("promo_banner"));
	json_object_set_new(expect, "pluralName",
			    json_string("Promo  Banners"));
	id = create_checked(c, "site_later", form, expect,
			    "key and pluralName columns");
	v = sql_value(path,
		      "SELECT \"key\" || '/' || \"pluralName\" || '/' || "
		      "\"category\" || '/' || coalesce(\"displayField\", "
		      "'NULL') || '/' || \"fields\" FROM \"ContentType\" WHERE "
		      "\"id\" = '%s'",
		      id ? id : "");
	is_str(v,
	       "promo_banner/Promo  Banners/component/NULL/"
	       "[{\"name\":\"headline\",\"type\":\"text\",\"required\":true,"
	       "\"order\":0}]",
	       "Catalyst's key, the UI's plural, category in its column, a "
	       "plain array as most rows here");
	free(v);
	ok(looks_cuid(id), "a cuid, though no id here is one");
	free(id);
	json_decref(expect);

	/* A folder, keyed and described: the object holds description. */
	json_object_set_new(form, "name", json_string("Archive"));
	json_object_set_new(form, "key", json_string("archive_folder"));
	json_object_set_new(form, "pluralName", json_string("Archives"));
	json_object_set_new(form, "category", json_string("folder"));
	json_object_set_new(form, "description", json_string("Old things"));
	json_object_set_new(form, "displayField", json_string("headline"));
	id = create_checked(c, "site_later", form, NULL, "a described folder");
	v = sql_value(path,
		      "SELECT \"key\" || '/' || \"pluralName\" || '/' || "
		      "\"category\" || '/' || \"displayField\" || '/' || "
		      "substr(\"fields\", 1, 55) FROM \"ContentType\" WHERE "
		      "\"id\" = '%s'",
		      id ? id : "");
	is_str(v,
	       "archive_folder/Archives/folder/headline/"
	       "{\"name\":\"Archive\",\"pluralName\":\"Archives\","
	       "\"description\"",
	       "columns, and Catalyst's object where an array has no room");
	free(v);
	free(id);

	/* Taken keys and names; settings with no column. */
	json_object_set_new(form, "name", json_string("Another"));
	json_object_set_new(form, "key", json_string("landing_page"));
	is_int(capture_create(c, "site_later", form, NULL, NULL), ERR_CONFLICT,
	       "a key the website has is a conflict");
	ok(strstr(err_msg(), "with key 'landing_page'"), "saying so (%s)",
	   err_msg());
	err_clear();
	json_object_set_new(form, "key", json_string("another"));
	json_object_set_new(form, "name", json_string("Landing Page"));
	is_int(capture_create(c, "site_later", form, NULL, NULL), ERR_CONFLICT,
	       "so is a name");
	err_clear();
	json_object_set_new(form, "name", json_string("Another"));
	json_object_set_new(form, "settings", json_pack("{s:b}", "x", 1));
	is_int(capture_create(c, "site_later", form, NULL, NULL), ERR_INVALID,
	       "settings without a settings column are refused");
	err_clear();
	v = count_rows(path);
	is_str(v, "5", "three rows of its own and the two created");
	free(v);
	v = other_value(path, "SELECT group_concat(\"op\") FROM "
			      "\"_catalyst_sync_changelog\"");
	is_str(v, "INSERT,INSERT", "both logged by the triggers");
	free(v);
	json_decref(form);
	capture_close(c);
	unlink(path);
	free(path);
}

/* Creates a type in site of a database built with extra and returns
 * "typeof(createdAt)|createdAt|id" of the new row. */
static char *create_styled(const char *extra, const char *site)
{
	char *path = test_build_db(fixture938, extra), *id = NULL, *v = NULL;
	struct capture *c = NULL;
	json_t *form = event_form("Styled");

	if (capture_open(&c, path) < 0 ||
	    capture_create(c, site, form, NULL, &id) < 0) {
		diag("%s", err_msg());
		err_clear();
	} else {
		v = sql_value(path,
			      "SELECT typeof(\"createdAt\") || '|' || "
			      "\"createdAt\" || '|' || typeof(\"updatedAt\") "
			      "|| '|' || \"updatedAt\" || '|' || \"id\" || "
			      "'|' || substr(\"fields\", 1, 1) FROM "
			      "\"ContentType\" WHERE \"id\" = '%s'",
			      id);
	}
	capture_close(c);
	json_decref(form);
	free(id);
	unlink(path);
	free(path);
	return v;
}

static void test_create_styles(void)
{
	char *v;
	const char *p;

	v = create_styled("UPDATE \"ContentType\" SET \"createdAt\" = "
			  "'2025-08-15T01:02:03.004Z', \"updatedAt\" = "
			  "'2025-08-16T01:02:03.004Z' WHERE \"websiteId\" = "
			  "'" SITE_UI "'",
			  SITE_UI);
	ok(v && !strncmp(v, "text|", 5) && v[15] == 'T' && v[29] == '|' &&
		   v[28] == 'Z' && !strncmp(v + 30, "text|", 5),
	   "ISO text with milliseconds and Z, like the website's rows (%s)",
	   v ? v : "NULL");
	free(v);
	v = create_styled("UPDATE \"ContentType\" SET \"createdAt\" = "
			  "'2025-08-15T01:02:03.004Z', \"updatedAt\" = "
			  "'2025-08-16T01:02:03.004Z' WHERE \"websiteId\" = "
			  "'" SITE_UI "'",
			  SITE_SEED);
	ok(v && !strncmp(v, "integer|", 8),
	   "another website's rows do not count (%s)", v ? v : "NULL");
	free(v);
	v = create_styled("UPDATE \"ContentType\" SET \"createdAt\" = "
			  "'2025-08-15 01:02:03', \"updatedAt\" = "
			  "'2025-08-15 01:02:03'",
			  SITE_UI);
	ok(v && !strncmp(v, "text|", 5) && v[15] == ' ' && v[24] == '|',
	   "'YYYY-MM-DD HH:MM:SS' text (%s)", v ? v : "NULL");
	free(v);
	v = create_styled("UPDATE \"ContentType\" SET \"createdAt\" = "
			  "'2025-08-15 01:02:03', \"updatedAt\" = "
			  "'2025-08-15T01:02:03+02:00'",
			  SITE_UI);
	ok(v && !strncmp(v, "text|", 5) && v[15] == ' ' && v[24] == '|' &&
		   !strncmp(v + 25, "text|", 5) && v[40] == 'T' &&
		   !strncmp(v + 49, "+00:00|", 7),
	   "each column in its own format: SQL text, ISO with offset (%s)",
	   v ? v : "NULL");
	free(v);
	v = create_styled(
		"UPDATE \"ContentType\" SET \"id\" = lower(hex(randomblob(4)))"
		" || '-' || lower(hex(randomblob(2))) || '-4' || "
		"substr(lower(hex(randomblob(2))), 2) || '-a' || "
		"substr(lower(hex(randomblob(2))), 2) || '-' || "
		"lower(hex(randomblob(6)))",
		SITE_UI);
	p = v ? strrchr(v, '|') : NULL;
	{
		char id[37] = "";

		if (p && p - v > 37) {
			memcpy(id, p - 36, 36);
			id[36] = '\0';
		}
		ok(looks_uuid4(id) && p[-37] == '|',
		   "a UUID v4 among UUIDs (%s)", v ? v : "NULL");
	}
	free(v);
	v = create_styled("DELETE FROM \"ContentType\"", SITE_UI);
	p = v ? strrchr(v, '|') : NULL;
	ok(v && !strncmp(v, "integer|", 8) && p && p[1] == '{' && p - v > 25 &&
		   p[-26] == '|',
	   "an empty table: INTEGER ms, the app's object (%s)", v ? v : "NULL");
	if (p) {
		char id[26];

		memcpy(id, p - 25, 25);
		id[25] = '\0';
		ok(looks_cuid(id), "and a cuid (%s)", id);
	} else {
		ok(0, "and a cuid");
	}
	free(v);
}

static void test_delete(void)
{
	char *path = test_build_db(fixture938, NULL), *v, *id = NULL;
	struct capture *c = NULL;
	struct last_change last = {0};
	char h[CANON_HASH_LEN + 1], stale[CANON_HASH_LEN + 1];
	long long mark = 0;
	json_t *form, *stored = NULL;

	ok(!capture_open(&c, path) && !capture_install(c, NULL),
	   "open and install");
	form = form_of(c, ARTICLE_UI);
	ok(form && !canon_content_hash(stale, form), "the base hash");
	json_decref(form);
	ok(!other_exec(path, "UPDATE \"ContentType\" SET \"name\" = 'Story' "
			     "WHERE \"id\" = '" ARTICLE_UI "'"),
	   "another process renames it meanwhile");
	is_int(capture_delete(c, ARTICLE_UI, stale), ERR_CONFLICT,
	       "a stale hash is a conflict");
	ok(strstr(err_msg(), "changed") != NULL, "saying so (%s)", err_msg());
	err_clear();
	v = other_value(path, "SELECT \"name\" FROM \"ContentType\" WHERE "
			      "\"id\" = '" ARTICLE_UI "'");
	is_str(v, "Story", "and the row is still there");
	free(v);

	ok(!capture_last_change(c, &mark), "the changelog so far");
	form = form_of(c, ARTICLE_UI);
	ok(form && !canon_content_hash(h, form), "the current hash");
	json_decref(form);
	is_int(capture_delete(c, ARTICLE_UI, h), 0,
	       "deleted with the right hash");
	v = other_value(path, "SELECT count(*) FROM \"ContentType\" WHERE "
			      "\"id\" = '" ARTICLE_UI "'");
	is_str(v, "0", "the row is gone");
	free(v);
	ok(!capture_each_change(c, mark, keep_last_change, &last) &&
		   last.op == 'D' && last.type_id &&
		   !strcmp(last.type_id, ARTICLE_UI) && last.form &&
		   !strcmp(jx_str(last.form, "name"), "Story"),
	   "the changelog has the DELETE, with the row as it was");
	last_change_release(&last);
	is_int(capture_delete(c, ARTICLE_UI, h), ERR_NOTFOUND,
	       "deleting it again: not found");
	err_clear();
	is_int(capture_delete(c, "no_such_type", NULL), ERR_NOTFOUND,
	       "an unknown id: not found");
	err_clear();
	is_int(capture_delete(c, BLOG_SEED, NULL), 0,
	       "without a hash, whatever it holds");

	/* Content items are not ours to remove. */
	ok(!other_exec(path,
		       "INSERT INTO \"ContentItem\" (\"id\", "
		       "\"contentTypeId\", \"websiteId\", \"data\", "
		       "\"updatedAt\") VALUES ('item1', "
		       "'cmeg00cv8q4tfjgrx9y01obw8', '" SITE_UI "', '{}', 1)"),
	   "a content item of the AI blog post");
	is_int(capture_delete(c, "cmeg00cv8q4tfjgrx9y01obw8", NULL),
	       ERR_CONFLICT, "a type with content items is not deleted");
	ok(strstr(err_msg(), "1 row of ContentItem"), "saying why (%s)",
	   err_msg());
	err_clear();
	v = other_value(path, "SELECT count(*) FROM \"ContentType\" WHERE "
			      "\"id\" = 'cmeg00cv8q4tfjgrx9y01obw8'");
	is_str(v, "1", "it is still there");
	free(v);

	/* A created type round trip: create, then delete by its hash. */
	form = event_form("Event");
	ok(!capture_create(c, SITE_UI, form, &stored, &id) && stored &&
		   !canon_content_hash(h, stored),
	   "create one");
	is_int(capture_delete(c, id ? id : "", h), 0,
	       "and delete it by the hash it was created with");
	ok(!capture_each_change(c, mark, keep_last_change, &last) &&
		   last.op == 'D' && id && !strcmp(last.type_id, id),
	   "logged too");
	last_change_release(&last);
	v = other_value(path, "SELECT group_concat(\"op\") FROM "
			      "\"_catalyst_sync_changelog\"");
	is_str(v, "UPDATE,DELETE,DELETE,INSERT,DELETE",
	       "every change logged, in order");
	free(v);
	json_decref(stored);
	json_decref(form);
	free(id);
	capture_close(c);
	unlink(path);
	free(path);
}

int main(void)
{
	plan_lazy();
	test_stringify();
	test_install();
	test_changelog();
	test_identity();
	test_write_shapes();
	test_write_later();
	test_create_object();
	test_create_array();
	test_create_bare();
	test_create_later();
	test_create_styles();
	test_delete();
	return done_testing();
}
