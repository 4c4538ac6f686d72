/*
 * t_capture: the changelog and triggers in a Catalyst database (edits made
 * by another connection, Prisma's table rebuild), and write-back in the
 * row's own shape.
 */
#include <sqlite3.h>
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

int main(void)
{
	plan_lazy();
	test_stringify();
	test_install();
	test_changelog();
	test_identity();
	test_write_shapes();
	test_write_later();
	return done_testing();
}
