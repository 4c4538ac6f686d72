/*
 * capture: the changelog and triggers in Catalyst's database, and
 * write-back of a content type in the row's own shape.
 *
 * The trigger and changelog SQL is put together from constant fragments
 * only (one per ContentType column that exists, from the same fixed list
 * the reader uses); every value is bound.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/canon.h"
#include "core/catalyst_form.h"
#include "source/capture.h"
#include "source/catalyst_sqlite.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define CHANGELOG "_catalyst_sync_changelog"
#define META "_catalyst_sync_meta"
/* The version of what capture_install puts in place. */
#define CAPTURE_SCHEMA "1"

struct capture {
	struct catalyst_db *cdb;
	sqlite3 *db; /* borrowed from cdb */
	int in_tx;
};

/* The ContentType columns a changelog row keeps, as the reader names them. */
static const char *const row_cols[] = {
	"id",	    "websiteId", "name",       "fields",
	"settings", "key",	 "pluralName", "displayField",
	"category", "createdAt", "updatedAt",
};
#define ROW_COLS_NR (sizeof(row_cols) / sizeof(row_cols[0]))

static const char *const trigger_names[3] = {
	CAPTURE_PREFIX "contenttype_insert",
	CAPTURE_PREFIX "contenttype_update",
	CAPTURE_PREFIX "contenttype_delete",
};
static const char *const trigger_ops[3] = {"INSERT", "UPDATE", "DELETE"};

static int db_error(struct capture *c, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_BUSY)
		return err_set(ERR_TIMEOUT,
			       "cannot %s in '%s': the database stayed busy "
			       "(Catalyst is writing)",
			       what, capture_path(c));
	return err_set(ERR_GENERIC, "cannot %s in '%s': %s", what,
		       capture_path(c), sqlite3_errmsg(c->db));
}

int capture_open(struct capture **out, const char *path)
{
	struct capture *c = xcalloc(1, sizeof(*c));
	int ret;

	*out = NULL;
	if ((ret = catalyst_db_open_rw(&c->cdb, path)) < 0) {
		free(c);
		return ret;
	}
	c->db = catalyst_db_handle(c->cdb);
	*out = c;
	return 0;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	capture_rollback(c);
	catalyst_db_close(c->cdb);
	free(c);
}

struct catalyst_db *capture_db(struct capture *c)
{
	return c->cdb;
}

const char *capture_path(const struct capture *c)
{
	return catalyst_db_path(c->cdb);
}

/* Runs constant SQL (one or more statements). */
static int exec_sql(struct capture *c, const char *sql, const char *what)
{
	const char *tail = sql;
	sqlite3_stmt *st = NULL;
	int rc;

	while (tail && *tail) {
		rc = sqlite3_prepare_v2(c->db, tail, -1, &st, &tail);
		if (rc != SQLITE_OK)
			return db_error(c, rc, what);
		if (!st)
			break;
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return db_error(c, rc, what);
	}
	return 0;
}

int capture_begin(struct capture *c, int write)
{
	int ret;

	if (c->in_tx)
		return err_set(ERR_GENERIC, "BUG: Catalyst transactions do "
					    "not nest");
	ret = exec_sql(c, write ? "BEGIN IMMEDIATE" : "BEGIN",
		       "start a transaction");
	if (!ret)
		c->in_tx = 1;
	return ret;
}

int capture_commit(struct capture *c)
{
	int ret = exec_sql(c, "COMMIT", "commit");

	if (ret < 0)
		capture_rollback(c);
	c->in_tx = 0;
	return ret;
}

void capture_rollback(struct capture *c)
{
	if (!c || !c->in_tx)
		return;
	if (!sqlite3_get_autocommit(c->db))
		(void)exec_sql(c, "ROLLBACK", "roll back");
	c->in_tx = 0;
}

/* --- install, check, uninstall ------------------------------------------ */

static const char changelog_sql[] =
	"CREATE TABLE IF NOT EXISTS \"" CHANGELOG "\" ("
	"\"id\" INTEGER PRIMARY KEY, "
	"\"op\" TEXT NOT NULL CHECK (\"op\" IN ('INSERT', 'UPDATE', "
	"'DELETE')), "
	"\"changedAt\" INTEGER NOT NULL, "
	"\"typeId\" NOT NULL, \"websiteId\", \"name\", \"fields\", "
	"\"settings\", \"key\", \"pluralName\", \"displayField\", "
	"\"category\", \"createdAt\", \"updatedAt\");"
	"CREATE TABLE IF NOT EXISTS \"" META "\" ("
	"\"key\" TEXT NOT NULL PRIMARY KEY, \"value\" TEXT NOT NULL);"
	"INSERT OR IGNORE INTO \"" META "\" (\"key\", \"value\") VALUES "
	"('install_id', lower(hex(randomblob(16))));"
	"INSERT OR IGNORE INTO \"" META "\" (\"key\", \"value\") VALUES "
	"('installed_at', CAST((julianday('now') - 2440587.5) * 86400000.0 "
	"AS INTEGER));"
	"INSERT OR REPLACE INTO \"" META "\" (\"key\", \"value\") VALUES "
	"('schema', '" CAPTURE_SCHEMA "');";

/*
 * The CREATE TRIGGER text for trigger i: an INSERT into the changelog of
 * every column the reader knows, NEW's (OLD's for a delete) where the
 * column exists and NULL where it does not. Constant fragments only.
 */
static void trigger_sql(struct buf *b, struct capture *c, int i)
{
	const char *rec = i == 2 ? "OLD" : "NEW";

	buf_addf(b,
		 "CREATE TRIGGER \"%s\" AFTER %s ON \"ContentType\" "
		 "FOR EACH ROW BEGIN INSERT INTO \"" CHANGELOG "\" (\"op\", "
		 "\"changedAt\", \"typeId\"",
		 trigger_names[i], trigger_ops[i]);
	for (size_t k = 1; k < ROW_COLS_NR; k++)
		buf_addf(b, ", \"%s\"", row_cols[k]);
	buf_addf(b,
		 ") VALUES ('%s', CAST((julianday('now') - 2440587.5) * "
		 "86400000.0 AS INTEGER)",
		 trigger_ops[i]);
	for (size_t k = 0; k < ROW_COLS_NR; k++) {
		if (catalyst_db_has_column(c->cdb, row_cols[k]))
			buf_addf(b, ", %s.\"%s\"", rec, row_cols[k]);
		else
			buf_adds(b, ", NULL");
	}
	buf_adds(b, "); END");
}

/* The stored CREATE text of an object, or NULL when it does not exist. */
static int object_sql(struct capture *c, const char *type, const char *name,
		      char **out)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	*out = NULL;
	rc = sqlite3_prepare_v2(c->db,
				"SELECT sql FROM sqlite_master WHERE type = ?1"
				" AND name = ?2",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read the schema");
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);

		*out = xstrdup(s ? s : "");
	} else if (rc != SQLITE_DONE) {
		ret = db_error(c, rc, "read the schema");
	}
	sqlite3_finalize(st);
	return ret;
}

static int meta_value(struct capture *c, const char *key, char **out)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	*out = NULL;
	rc = sqlite3_prepare_v2(c->db,
				"SELECT \"value\" FROM \"" META "\""
				" WHERE \"key\" = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read " META);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		*out = xstrdup((const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_error(c, rc, "read " META);
	sqlite3_finalize(st);
	return ret;
}

void capture_status_release(struct capture_status *st)
{
	FREE_AND_NULL(st->install_id);
	memset(st, 0, sizeof(*st));
}

const char *capture_health_name(enum capture_health h)
{
	switch (h) {
	case CAPTURE_OK:
		return "installed";
	case CAPTURE_BROKEN:
		return "missing";
	case CAPTURE_ABSENT:
	default:
		return "not installed";
	}
}

int capture_check(struct capture *c, struct capture_status *out)
{
	struct buf want = BUF_INIT;
	char *sql = NULL, *meta = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = object_sql(c, "table", CHANGELOG, &sql)) < 0)
		goto out;
	out->has_changelog = sql != NULL;
	FREE_AND_NULL(sql);
	if ((ret = object_sql(c, "table", META, &meta)) < 0)
		goto out;
	if (meta && (ret = meta_value(c, "install_id", &out->install_id)) < 0)
		goto out;
	for (int i = 0; i < 3; i++) {
		if ((ret = object_sql(c, "trigger", trigger_names[i], &sql)) <
		    0)
			goto out;
		if (sql) {
			out->triggers_nr++;
			buf_reset(&want);
			trigger_sql(&want, c, i);
			if (strcmp(sql, want.ptr))
				out->stale_nr++;
		}
		FREE_AND_NULL(sql);
	}
	if (!out->has_changelog && !out->triggers_nr && !out->install_id)
		out->health = CAPTURE_ABSENT;
	else if (out->has_changelog && out->install_id &&
		 out->triggers_nr == 3 && !out->stale_nr)
		out->health = CAPTURE_OK;
	else
		out->health = CAPTURE_BROKEN;
	ret = 0;
out:
	free(sql);
	free(meta);
	buf_release(&want);
	if (ret < 0)
		capture_status_release(out);
	return ret;
}

int capture_install(struct capture *c, int *changed_out)
{
	struct buf want = BUF_INIT, drop = BUF_INIT;
	char *sql = NULL, *table = NULL;
	int ret, changed = 0;

	if ((ret = capture_begin(c, 1)) < 0)
		return ret;
	if ((ret = object_sql(c, "table", CHANGELOG, &table)) < 0)
		goto out;
	changed |= !table;
	if ((ret = exec_sql(c, changelog_sql, "create " CHANGELOG)) < 0)
		goto out;
	for (int i = 0; i < 3; i++) {
		if ((ret = object_sql(c, "trigger", trigger_names[i], &sql)) <
		    0)
			goto out;
		buf_reset(&want);
		trigger_sql(&want, c, i);
		if (sql && !strcmp(sql, want.ptr)) {
			FREE_AND_NULL(sql);
			continue;
		}
		if (sql) {
			buf_reset(&drop);
			buf_addf(&drop, "DROP TRIGGER \"%s\"",
				 trigger_names[i]);
			if ((ret = exec_sql(c, drop.ptr, "replace a trigger")) <
			    0)
				goto out;
		}
		if ((ret = exec_sql(c, want.ptr, "create a trigger")) < 0)
			goto out;
		changed = 1;
		FREE_AND_NULL(sql);
	}
	ret = capture_commit(c);
	if (!ret && changed_out)
		*changed_out = changed;
out:
	if (ret < 0)
		capture_rollback(c);
	free(sql);
	free(table);
	buf_release(&want);
	buf_release(&drop);
	return ret;
}

int capture_uninstall(struct capture *c, int *changed_out)
{
	struct capture_status st;
	int ret;

	if ((ret = capture_check(c, &st)) < 0)
		return ret;
	if (changed_out)
		*changed_out = st.health != CAPTURE_ABSENT;
	capture_status_release(&st);
	if ((ret = capture_begin(c, 1)) < 0)
		return ret;
	ret = exec_sql(c,
		       "DROP TRIGGER IF EXISTS \"" CAPTURE_PREFIX
		       "contenttype_insert\";"
		       "DROP TRIGGER IF EXISTS \"" CAPTURE_PREFIX
		       "contenttype_update\";"
		       "DROP TRIGGER IF EXISTS \"" CAPTURE_PREFIX
		       "contenttype_delete\";"
		       "DROP TABLE IF EXISTS \"" CHANGELOG "\";"
		       "DROP TABLE IF EXISTS \"" META "\";",
		       "remove change capture");
	if (ret < 0) {
		capture_rollback(c);
		return ret;
	}
	return capture_commit(c);
}

/* --- the changelog ------------------------------------------------------ */

static char *col_strdup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? xstrdup(s) : NULL;
}

int capture_each_change(struct capture *c, long long after_id,
			capture_change_fn fn, void *payload)
{
	struct capture_change ch;
	enum catalyst_time_format cf, uf;
	sqlite3_stmt *st = NULL;
	char *table = NULL;
	int rc, ret;

	memset(&ch, 0, sizeof(ch));
	if ((ret = object_sql(c, "table", CHANGELOG, &table)) < 0)
		return ret;
	if (!table)
		return err_set(ERR_NOTFOUND, "'%s' has no changelog",
			       capture_path(c));
	free(table);
	rc = sqlite3_prepare_v2(
		c->db,
		"SELECT \"id\", \"op\", \"changedAt\", \"typeId\", "
		"\"websiteId\", \"name\", \"fields\", \"settings\", \"key\", "
		"\"pluralName\", \"displayField\", \"category\", "
		"\"createdAt\", "
		"\"updatedAt\" FROM \"" CHANGELOG "\" WHERE \"id\" > ?1 "
		"ORDER BY \"id\"",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read the changelog");
	sqlite3_bind_int64(st, 1, after_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *op = (const char *)sqlite3_column_text(st, 1);

		ch.id = sqlite3_column_int64(st, 0);
		ch.op = !strcmp(op, "INSERT")	? CAPTURE_INSERT
			: !strcmp(op, "DELETE") ? CAPTURE_DELETE
						: CAPTURE_UPDATE;
		ch.changed_ms = sqlite3_column_int64(st, 2);
		ch.row.id = col_strdup(st, 3);
		ch.row.website_id = col_strdup(st, 4);
		ch.row.name = col_strdup(st, 5);
		ch.row.fields_json = col_strdup(st, 6);
		ch.row.settings_json = col_strdup(st, 7);
		ch.row.key = col_strdup(st, 8);
		ch.row.plural_name = col_strdup(st, 9);
		ch.row.display_field = col_strdup(st, 10);
		ch.row.category = col_strdup(st, 11);
		ch.row.created_ms = catalyst_column_time(st, 12, &cf);
		ch.row.updated_ms = catalyst_column_time(st, 13, &uf);
		ch.row.time_format = cf != CATALYST_TIME_NULL ? cf : uf;
		ret = fn(&ch, payload);
		catalyst_row_release(&ch.row);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = db_error(c, rc, "read the changelog");
		goto out;
	}
	ret = 0;
out:
	catalyst_row_release(&ch.row);
	sqlite3_finalize(st);
	return ret;
}

int capture_last_change(struct capture *c, long long *out)
{
	sqlite3_stmt *st = NULL;
	char *table = NULL;
	int rc, ret = 0;

	*out = 0;
	if ((ret = object_sql(c, "table", CHANGELOG, &table)) < 0 || !table)
		return ret;
	free(table);
	rc = sqlite3_prepare_v2(
		c->db, "SELECT coalesce(max(\"id\"), 0) FROM \"" CHANGELOG "\"",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read the changelog");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		ret = db_error(c, rc, "read the changelog");
	sqlite3_finalize(st);
	return ret;
}

/* --- JSON as JavaScript writes it --------------------------------------- */

static void stringify_string(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	buf_addch(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"':
			buf_adds(out, "\\\"");
			break;
		case '\\':
			buf_adds(out, "\\\\");
			break;
		case '\b':
			buf_adds(out, "\\b");
			break;
		case '\f':
			buf_adds(out, "\\f");
			break;
		case '\n':
			buf_adds(out, "\\n");
			break;
		case '\r':
			buf_adds(out, "\\r");
			break;
		case '\t':
			buf_adds(out, "\\t");
			break;
		default:
			if (ch < 0x20) {
				buf_adds(out, "\\u00");
				buf_addch(out, hex[ch >> 4]);
				buf_addch(out, hex[ch & 15]);
			} else {
				buf_addch(out, ch);
			}
		}
	}
	buf_addch(out, '"');
}

int capture_stringify(struct buf *out, const json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;
	int ret, first = 1;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		buf_addch(out, '{');
		json_object_foreach((json_t *)v, key, m)
		{
			if (!first)
				buf_addch(out, ',');
			first = 0;
			stringify_string(out, key, strlen(key));
			buf_addch(out, ':');
			if ((ret = capture_stringify(out, m)) < 0)
				return ret;
		}
		buf_addch(out, '}');
		return 0;
	case JSON_ARRAY:
		buf_addch(out, '[');
		json_array_foreach(v, i, m)
		{
			if (i)
				buf_addch(out, ',');
			if ((ret = capture_stringify(out, m)) < 0)
				return ret;
		}
		buf_addch(out, ']');
		return 0;
	case JSON_STRING:
		stringify_string(out, json_string_value(v),
				 json_string_length(v));
		return 0;
	case JSON_INTEGER:
		buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL: {
		double d = json_real_value(v);

		if (d != d || d - d != 0)
			return err_set(ERR_INVALID,
				       "a number is not finite (NaN or "
				       "Infinity)");
		canon_number(out, d);
		return 0;
	}
	case JSON_TRUE:
		buf_adds(out, "true");
		return 0;
	case JSON_FALSE:
		buf_adds(out, "false");
		return 0;
	case JSON_NULL:
	default:
		buf_adds(out, "null");
		return 0;
	}
}

/* --- rendering a form into the row's shape ------------------------------ */

/* Seed-style validation keys (as in catalyst_form.c). */
static const char *const seed_keys[] = {
	"minLength", "maxLength", "pattern", "min",	 "max",
	"precision", "minDate",	  "maxDate", "minItems", "maxItems",
};

/* Members of the shape-A object that are not "extra". */
static const char *const object_keys[] = {
	"name", "pluralName", "icon", "description", "fields", "relationships",
};

static int in_list(const char *s, const char *const *list, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

#define IS_SEED_KEY(k)                                                         \
	in_list((k), seed_keys, sizeof(seed_keys) / sizeof(*seed_keys))
#define IS_OBJECT_KEY(k)                                                       \
	in_list((k), object_keys, sizeof(object_keys) / sizeof(*object_keys))

static int present(const json_t *v)
{
	return v && !json_is_null(v);
}

/* Equal, counting absent and null as the same. */
static int same(const json_t *a, const json_t *b)
{
	if (!present(a) || !present(b))
		return !present(a) && !present(b);
	return json_equal(a, b);
}

struct render {
	const struct catalyst_row *row;
	const struct capture_columns *cols;
	json_t *obj;	  /* the shape-A object, borrowed from doc */
	json_t *settings; /* owned; NULL when the row has none */
	int settings_bad; /* the row's settings are not a JSON object */
};

static int render_error(const struct render *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int render_error(const struct render *r, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	ret = err_set(ERR_INVALID, "cannot write content type '%s' (%s): %s",
		      r->row->id ? r->row->id : "?",
		      r->row->name ? r->row->name : "?", msg.ptr);
	buf_release(&msg);
	return ret;
}

static int is_plain(const json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/*
 * The options to write: plain values again when the row had plain options
 * and every new option is exactly what a plain value normalizes to.
 */
static json_t *render_options(const json_t *orig, const json_t *opts)
{
	struct buf label = BUF_INIT;
	json_t *plain, *o;
	size_t i;

	if (!json_is_array(orig) || !json_is_array(opts) ||
	    !json_array_size(orig))
		return json_deep_copy(opts);
	json_array_foreach(orig, i, o)
	{
		if (!is_plain(o))
			return json_deep_copy(opts);
	}
	plain = json_array();
	json_array_foreach(opts, i, o)
	{
		const json_t *value = json_object_get(o, "value");

		buf_reset(&label);
		if (!json_is_object(o) || json_object_size(o) != 2 ||
		    !is_plain(value) ||
		    !json_is_string(json_object_get(o, "label")))
			goto not_plain;
		catalyst_option_label(&label, value);
		if (strcmp(label.ptr, jx_str(o, "label")))
			goto not_plain;
		json_array_append(plain, (json_t *)value);
	}
	buf_release(&label);
	return plain;
not_plain:
	buf_release(&label);
	json_decref(plain);
	return json_deep_copy(opts);
}

static json_t *new_fields_array(const json_t *fields);

/* A new field object for the row: {id?, name, ...the form's members}. */
static json_t *new_field(const char *name, const json_t *f)
{
	json_t *o = json_object(), *v;
	const char *k;

	if (present(json_object_get(f, "id")))
		json_object_set(o, "id", json_object_get(f, "id"));
	json_object_set_new(o, "name", json_string(name));
	json_object_foreach((json_t *)f, k, v)
	{
		if (!strcmp(k, "id") || !strcmp(k, "name"))
			continue;
		if (!strcmp(k, "fields") && json_is_object(v))
			json_object_set_new(o, k, new_fields_array(v));
		else
			json_object_set_new(o, k, json_deep_copy(v));
	}
	return o;
}

static json_t *new_fields_array(const json_t *fields)
{
	json_t *arr = json_array(), *f;
	const char *name;

	json_object_foreach((json_t *)fields, name, f)
	{
		json_array_append_new(arr, new_field(name, f));
	}
	return arr;
}

static int patch_fields(const struct render *r, json_t **out, const json_t *arr,
			const json_t *f0s, const json_t *f1s);

/* Writes validation v1 (was v0) into field o the way o keeps it. */
static void patch_validation(json_t *o, const json_t *v0, const json_t *v1)
{
	json_t *val = json_object_get(o, "validation"), *x;
	int had = val != NULL;
	const char *s;

	if (present(v1) && !json_is_object(v1)) {
		json_object_set_new(o, "validation", json_deep_copy(v1));
		json_object_foreach((json_t *)v0, s, x)
		{
			if (IS_SEED_KEY(s))
				json_object_del(o, s);
		}
		return;
	}
	if (!json_is_object(val)) {
		val = json_object();
		json_object_set_new(o, "validation", val);
	}
	json_object_foreach((json_t *)v1, s, x)
	{
		if (same(json_object_get(v0, s), x))
			continue;
		if (IS_SEED_KEY(s) && json_object_get(o, s) &&
		    !json_object_get(val, s))
			json_object_set_new(o, s, json_deep_copy(x));
		else
			json_object_set_new(val, s, json_deep_copy(x));
	}
	if (json_is_object(v0)) {
		json_object_foreach((json_t *)v0, s, x)
		{
			if (json_object_get(v1, s))
				continue;
			json_object_del(val, s);
			if (IS_SEED_KEY(s))
				json_object_del(o, s);
		}
	}
	if (!had && !json_object_size(val))
		json_object_del(o, "validation");
}

/*
 * The row's field o (a copy) changed from form field f0 to f1, now named
 * name.
 */
static int patch_field(const struct render *r, json_t **out, const json_t *orig,
		       const json_t *f0, const json_t *f1, const char *name)
{
	json_t *o = json_deep_copy(orig), *v1, *v0, *nested = NULL;
	const char *k;
	int ret;

	*out = NULL;
	if (strcmp(jx_str(o, "name"), name))
		json_object_set_new(o, "name", json_string(name));
	json_object_foreach((json_t *)f1, k, v1)
	{
		v0 = json_object_get(f0, k);
		if (!strcmp(k, "name") || same(v0, v1))
			continue;
		if (!strcmp(k, "validation")) {
			patch_validation(o, v0, v1);
		} else if (!strcmp(k, "defaultValue")) {
			if (json_object_get(o, "default") &&
			    !json_object_get(o, "defaultValue"))
				json_object_set_new(o, "default",
						    json_deep_copy(v1));
			else
				json_object_set_new(o, "defaultValue",
						    json_deep_copy(v1));
		} else if (!strcmp(k, "options")) {
			json_object_set_new(
				o, "options",
				render_options(json_object_get(orig, "options"),
					       v1));
		} else if (!strcmp(k, "fields") && json_is_object(v1)) {
			const json_t *ofields = json_object_get(o, "fields");

			if (json_is_array(ofields) && json_is_object(v0))
				ret = patch_fields(r, &nested, ofields, v0, v1);
			else
				ret = (nested = new_fields_array(v1)) ? 0 : -1;
			if (ret < 0) {
				json_decref(o);
				return ret;
			}
			json_object_set_new(o, "fields", nested);
			nested = NULL;
		} else {
			json_object_set_new(o, k, json_deep_copy(v1));
		}
	}
	json_object_foreach((json_t *)f0, k, v0)
	{
		if (json_object_get(f1, k))
			continue;
		if (!strcmp(k, "validation")) {
			patch_validation(o, v0, NULL);
			json_object_del(o, "validation");
		} else if (!strcmp(k, "defaultValue")) {
			json_object_del(o, "default");
			json_object_del(o, "defaultValue");
		} else {
			json_object_del(o, k);
		}
	}
	*out = o;
	return 0;
}

/* The form field of f1s that continues form field name (f0). */
static const char *match_field(const json_t *f1s, const char *name,
			       const json_t *f0)
{
	const char *id0 = jx_str(f0, "id"), *n1;
	const json_t *f1;

	if (id0) {
		json_object_foreach((json_t *)f1s, n1, f1)
		{
			const char *id1 = jx_str(f1, "id");

			if (id1 && !strcmp(id0, id1))
				return n1;
		}
	}
	f1 = json_object_get(f1s, name);
	if (f1 && (!id0 || !jx_str(f1, "id")))
		return name;
	return NULL;
}

/*
 * The row's fields array arr, whose form was f0s, made to hold f1s: kept
 * fields patched in place, removed ones dropped, new ones appended.
 */
static int patch_fields(const struct render *r, json_t **out, const json_t *arr,
			const json_t *f0s, const json_t *f1s)
{
	json_t *res = json_array(), *done = json_object(), *o, *f = NULL;
	const char *n1;
	size_t i;
	int ret = -1;

	*out = NULL;
	json_array_foreach(arr, i, o)
	{
		const char *name = jx_str(o, "name");
		const json_t *f0 = name ? json_object_get(f0s, name) : NULL;

		if (!f0) {
			ret = render_error(r,
					   "its field %zu is not in its "
					   "Catalyst form",
					   i + 1);
			goto out;
		}
		n1 = match_field(f1s, name, f0);
		if (!n1 || json_object_get(done, n1))
			continue; /* removed */
		ret = patch_field(r, &f, o, f0, json_object_get(f1s, n1), n1);
		if (ret < 0)
			goto out;
		json_array_append_new(res, f);
		f = NULL;
		json_object_set_new(done, n1, json_true());
	}
	json_object_foreach((json_t *)f1s, n1, o)
	{
		if (json_object_get(done, n1))
			continue;
		json_array_append_new(res, new_field(n1, o));
	}
	/* An implicit order is the position: keep the form's where it moved. */
	json_array_foreach(res, i, o)
	{
		const json_t *want = json_object_get(
			json_object_get(f1s, jx_str(o, "name")), "order");

		if (!json_object_get(o, "order") && json_is_integer(want) &&
		    json_integer_value(want) != (json_int_t)i)
			json_object_set(o, "order", (json_t *)want);
	}
	*out = res;
	res = NULL;
	ret = 0;
out:
	json_decref(res);
	json_decref(done);
	json_decref(f);
	return ret;
}

/* The key a relationship is known by in the form (as catalyst_form.c). */
static const char *rel_key(const json_t *rel)
{
	const char *k = jx_str(rel, "name");

	if (!k || !*k)
		k = jx_str(rel, "fieldName");
	if (!k || !*k)
		k = jx_str(rel, "id");
	return k;
}

static json_t *patch_relationships(const json_t *arr, const json_t *rels)
{
	json_t *res = json_array(), *done = json_object(), *o;
	const char *k;
	size_t i;

	json_array_foreach(arr, i, o)
	{
		const json_t *now;

		k = rel_key(o);
		now = k ? json_object_get(rels, k) : NULL;
		if (!now || json_object_get(done, k))
			continue;
		json_array_append_new(res, json_equal(o, now)
						   ? json_deep_copy(o)
						   : json_deep_copy(now));
		json_object_set_new(done, k, json_true());
	}
	json_object_foreach((json_t *)rels, k, o)
	{
		if (!json_object_get(done, k))
			json_array_append_new(res, json_deep_copy(o));
	}
	json_decref(done);
	return res;
}

/* What the reader would take for member (column, else object, else
 * settings), borrowed. */
static const json_t *read_member(const struct render *r, const char *column,
				 const char *member, json_t **tmp)
{
	const json_t *v;

	*tmp = NULL;
	if (column) {
		*tmp = json_string(column);
		return *tmp;
	}
	v = json_object_get(r->obj, member);
	if (present(v))
		return v;
	v = json_object_get(r->settings, member);
	return present(v) ? v : NULL;
}

/*
 * Makes pluralName, icon or description read as want: written where the
 * reader finds it now, else in the column, the object or settings.
 */
static int route_member(struct render *r, const char *member, int has_column,
			char **column, const json_t *want)
{
	json_t *tmp;
	const json_t *cur = read_member(r, *column, member, &tmp);
	int done = same(cur, want);

	json_decref(tmp);
	if (done)
		return 0;
	if (!present(want)) {
		FREE_AND_NULL(*column);
		json_object_del(r->obj, member);
		json_object_del(r->settings, member);
		return 0;
	}
	if (*column || (has_column && json_is_string(want) &&
			!present(json_object_get(r->obj, member)) &&
			!present(json_object_get(r->settings, member)))) {
		if (!json_is_string(want))
			return render_error(r, "%s must be a string", member);
		free(*column);
		*column = xstrdup(json_string_value(want));
		return 0;
	}
	if (r->obj && (present(json_object_get(r->obj, member)) ||
		       !present(json_object_get(r->settings, member)))) {
		json_object_set_new(r->obj, member, json_deep_copy(want));
		return 0;
	}
	if (r->settings || r->cols->settings) {
		if (r->settings_bad)
			return render_error(r,
					    "its settings are not a JSON "
					    "object, so '%s' has no place",
					    member);
		if (!r->settings)
			r->settings = json_object();
		json_object_set_new(r->settings, member, json_deep_copy(want));
		return 0;
	}
	return render_error(r,
			    "the row keeps its fields as a plain array and "
			    "has no settings column, so '%s' has no place",
			    member);
}

static int route_category(struct render *r, char **column, const json_t *want)
{
	const char *w =
		json_is_string(want) ? json_string_value(want) : "component";
	const char *cur = *column ? *column : jx_str(r->settings, "category");

	if (!cur)
		cur = "component";
	if (!strcmp(cur, w))
		return 0;
	if (r->cols->category) {
		free(*column);
		*column = xstrdup(w);
		return 0;
	}
	if (r->cols->settings && !r->settings_bad) {
		if (!r->settings)
			r->settings = json_object();
		json_object_set_new(r->settings, "category", json_string(w));
		return 0;
	}
	return render_error(r,
			    "the row has no category or settings column, "
			    "so category '%s' has no place",
			    w);
}

/* A string column value from form member (for key, displayField). */
static int column_member(struct render *r, const json_t *form,
			 const char *member, int has_column, char **column)
{
	const json_t *v = json_object_get(form, member);

	if (!present(v))
		return 0; /* absent: the column keeps its value */
	if (!json_is_string(v))
		return render_error(r, "%s must be a string", member);
	if (!has_column)
		return render_error(r,
				    "the ContentType table has no '%s' "
				    "column",
				    member);
	free(*column);
	*column = xstrdup(json_string_value(v));
	return 0;
}

/* The row's fields document: the object or array inside (shape C
 * unwrapped), a new reference; *string_shape when it was a string. */
static int load_doc(const struct render *r, json_t **out, int *string_shape)
{
	json_t *doc = NULL, *inner = NULL;
	int ret;

	*out = NULL;
	*string_shape = 0;
	if (!r->row->fields_json)
		return render_error(r, "its fields column is NULL");
	ret = jx_load(&doc, r->row->fields_json, strlen(r->row->fields_json),
		      "fields");
	if (ret < 0)
		return ret;
	if (json_is_string(doc)) {
		ret = jx_load(&inner, json_string_value(doc),
			      json_string_length(doc), "fields");
		json_decref(doc);
		if (ret < 0)
			return ret;
		doc = inner;
		*string_shape = 1;
	}
	if (!json_is_object(doc) && !json_is_array(doc)) {
		json_decref(doc);
		return render_error(r, "its fields are neither an object nor "
				       "an array");
	}
	*out = doc;
	return 0;
}

static int check_identity(const struct render *r, const json_t *form)
{
	const char *id = jx_str(form, "id"), *wid = jx_str(form, "websiteId");

	if (!json_is_object(form))
		return render_error(r, "the document is not an object");
	if (id && strcmp(id, r->row->id))
		return render_error(r, "the document is content type '%s'", id);
	if (wid && r->row->website_id && strcmp(wid, r->row->website_id))
		return render_error(r,
				    "the document belongs to website '%s', the "
				    "row to '%s'",
				    wid, r->row->website_id);
	if (!jx_str(form, "name") || !*jx_str(form, "name"))
		return render_error(r, "the document has no name");
	if (present(json_object_get(form, "fields")) &&
	    !json_is_object(json_object_get(form, "fields")))
		return render_error(r, "its fields must be an object keyed by "
				       "name");
	if (present(json_object_get(form, "relationships")) &&
	    !json_is_object(json_object_get(form, "relationships")))
		return render_error(r, "its relationships must be an object "
				       "keyed by name");
	if (present(json_object_get(form, "extra")) &&
	    !json_is_object(json_object_get(form, "extra")))
		return render_error(r, "extra must be an object");
	return 0;
}

/* Serializes doc (wrapped in a JSON string for shape C). */
static int doc_text(char **out, const json_t *doc, int string_shape)
{
	struct buf text = BUF_INIT, wrapped = BUF_INIT;
	int ret;

	*out = NULL;
	if ((ret = capture_stringify(&text, doc)) < 0)
		goto out;
	if (string_shape) {
		stringify_string(&wrapped, text.ptr, text.len);
		*out = buf_detach(&wrapped, NULL);
	} else {
		*out = buf_detach(&text, NULL);
	}
out:
	buf_release(&text);
	buf_release(&wrapped);
	return ret;
}

int capture_render(struct catalyst_row *out, const struct catalyst_row *row,
		   const json_t *old_form, const json_t *form,
		   const struct capture_columns *cols)
{
	struct render r = {row, cols, NULL, NULL, 0};
	json_t *doc = NULL, *orig_doc = NULL, *orig_settings = NULL;
	json_t *fields = NULL, *rels, *extra, *v;
	const json_t *f0s, *f1s, *arr;
	json_t *empty = json_object();
	char *plural = NULL, *category = NULL, *key = NULL, *display = NULL;
	const char *k;
	int string_shape = 0, ret;

	memset(out, 0, sizeof(*out));
	if ((ret = check_identity(&r, form)) < 0)
		goto out;
	if ((ret = load_doc(&r, &doc, &string_shape)) < 0)
		goto out;
	orig_doc = json_deep_copy(doc);
	if (json_is_object(doc))
		r.obj = doc;
	if (row->settings_json) {
		if (jx_load(&orig_settings, row->settings_json,
			    strlen(row->settings_json), "settings") < 0 ||
		    !json_is_object(orig_settings)) {
			err_clear();
			json_decref(orig_settings);
			orig_settings = NULL;
			r.settings_bad = 1;
		} else {
			r.settings = json_deep_copy(orig_settings);
		}
	}

	/* settings first: the members routed below may live in it. */
	if (!same(json_object_get(old_form, "settings"),
		  json_object_get(form, "settings"))) {
		v = json_object_get(form, "settings");
		if (present(v) && !json_is_object(v)) {
			ret = render_error(&r, "settings must be an object");
			goto out;
		}
		if (!cols->settings && present(v)) {
			ret = render_error(&r, "the ContentType table has no "
					       "settings column");
			goto out;
		}
		json_decref(r.settings);
		r.settings = present(v) ? json_deep_copy(v) : NULL;
		r.settings_bad = 0;
	}

	plural = row->plural_name ? xstrdup(row->plural_name) : NULL;
	category = row->category ? xstrdup(row->category) : NULL;
	key = row->key ? xstrdup(row->key) : NULL;
	display = row->display_field ? xstrdup(row->display_field) : NULL;
	if ((ret = route_member(&r, "pluralName", cols->plural_name, &plural,
				json_object_get(form, "pluralName"))) < 0)
		goto out;
	{
		char *none = NULL;

		if ((ret = route_member(&r, "icon", 0, &none,
					json_object_get(form, "icon"))) < 0 ||
		    (ret = route_member(&r, "description", 0, &none,
					json_object_get(form, "description"))) <
			    0)
			goto out;
	}
	if ((ret = route_category(&r, &category,
				  json_object_get(form, "category"))) < 0)
		goto out;
	if ((ret = column_member(&r, form, "key", cols->key, &key)) < 0 ||
	    (ret = column_member(&r, form, "displayField", cols->display_field,
				 &display)) < 0)
		goto out;

	/* The name: the column, and the object's copy when it changed. */
	if (r.obj && json_object_get(r.obj, "name") &&
	    !same(json_object_get(old_form, "name"),
		  json_object_get(form, "name")))
		json_object_set(r.obj, "name", json_object_get(form, "name"));

	/* extra: the object's unknown members. */
	extra = json_object_get(form, "extra");
	if (r.obj) {
		json_t *drop = json_array(), *x;
		size_t i;

		json_object_foreach(r.obj, k, v)
		{
			if (!IS_OBJECT_KEY(k) && !json_object_get(extra, k))
				json_array_append_new(drop, json_string(k));
		}
		json_array_foreach(drop, i, x)
		{
			json_object_del(r.obj, json_string_value(x));
		}
		json_decref(drop);
		json_object_foreach(extra, k, v)
		{
			if (IS_OBJECT_KEY(k)) {
				ret = render_error(&r, "extra cannot hold '%s'",
						   k);
				goto out;
			}
			if (!same(json_object_get(r.obj, k), v))
				json_object_set_new(r.obj, k,
						    json_deep_copy(v));
		}
	} else if (json_object_size(extra)) {
		ret = render_error(&r, "the row keeps its fields as a plain "
				       "array, which has no place for extra "
				       "members");
		goto out;
	}

	/* fields */
	f0s = json_object_get(old_form, "fields");
	f1s = json_object_get(form, "fields");
	if (!f1s)
		f1s = empty;
	arr = r.obj ? json_object_get(r.obj, "fields") : doc;
	if (!json_is_array(arr)) {
		if (json_object_size(f1s)) {
			fields = new_fields_array(f1s);
			json_object_set_new(r.obj, "fields", fields);
			fields = NULL;
		}
	} else {
		if ((ret = patch_fields(&r, &fields, arr, f0s, f1s)) < 0)
			goto out;
		if (r.obj) {
			json_object_set_new(r.obj, "fields", fields);
		} else {
			json_decref(doc);
			doc = fields;
		}
		fields = NULL;
	}

	/* relationships */
	rels = json_object_get(form, "relationships");
	if (!rels)
		rels = empty;
	if (!same(json_object_get(old_form, "relationships"), rels)) {
		if (!r.obj) {
			if (json_object_size(rels)) {
				ret = render_error(
					&r, "the row keeps its fields as "
					    "a plain array, which has no "
					    "place for relationships");
				goto out;
			}
		} else {
			arr = json_object_get(r.obj, "relationships");
			if (json_is_array(arr) || json_object_size(rels))
				json_object_set_new(
					r.obj, "relationships",
					patch_relationships(json_is_array(arr)
								    ? arr
								    : empty,
							    rels));
		}
	}

	/* The row. */
	out->id = xstrdup(row->id);
	out->website_id = row->website_id ? xstrdup(row->website_id) : NULL;
	out->name = xstrdup(jx_str(form, "name"));
	if (json_equal(doc, orig_doc))
		out->fields_json = xstrdup(row->fields_json);
	else if ((ret = doc_text(&out->fields_json, doc, string_shape)) < 0)
		goto out;
	if (r.settings_bad || same(r.settings, orig_settings) ||
	    (!r.settings && !orig_settings)) {
		out->settings_json =
			row->settings_json ? xstrdup(row->settings_json) : NULL;
	} else if (r.settings) {
		if ((ret = doc_text(&out->settings_json, r.settings, 0)) < 0)
			goto out;
	}
	out->key = key;
	key = NULL;
	out->plural_name = plural;
	plural = NULL;
	out->display_field = display;
	display = NULL;
	out->category = category;
	category = NULL;
	out->created_ms = row->created_ms;
	out->updated_ms = row->updated_ms;
	out->time_format = row->time_format;
	ret = 0;
out:
	if (ret < 0)
		catalyst_row_release(out);
	json_decref(doc);
	json_decref(orig_doc);
	json_decref(orig_settings);
	json_decref(r.settings);
	json_decref(fields);
	json_decref(empty);
	free(plural);
	free(category);
	free(key);
	free(display);
	return ret;
}

/* --- write-back --------------------------------------------------------- */

static void columns_of(struct capture *c, struct capture_columns *cols)
{
	cols->settings = catalyst_db_has_column(c->cdb, "settings");
	cols->key = catalyst_db_has_column(c->cdb, "key");
	cols->plural_name = catalyst_db_has_column(c->cdb, "pluralName");
	cols->display_field = catalyst_db_has_column(c->cdb, "displayField");
	cols->category = catalyst_db_has_column(c->cdb, "category");
}

/*
 * Reads form's row and renders form into it: *rendered (the row to write)
 * and *stored (its Catalyst form, as it will read back), with the content
 * hashes of the row now and of stored.
 */
static int render_for(struct capture *c, const json_t *form,
		      struct catalyst_row *rendered, json_t **stored,
		      char old_hash[CANON_HASH_LEN + 1],
		      char new_hash[CANON_HASH_LEN + 1])
{
	struct catalyst_row row = {0};
	struct capture_columns cols;
	json_t *old_form = NULL;
	const char *id = jx_str(form, "id");
	int ret;

	*stored = NULL;
	memset(rendered, 0, sizeof(*rendered));
	if (!id)
		return err_set(ERR_INVALID,
			       "the document has no content type id");
	if ((ret = catalyst_db_get_type(c->cdb, id, &row)) < 0)
		goto out;
	if ((ret = catalyst_form_from_row(&old_form, NULL, &row, NULL)) < 0 ||
	    (ret = canon_content_hash(old_hash, old_form)) < 0)
		goto out;
	columns_of(c, &cols);
	if ((ret = capture_render(rendered, &row, old_form, form, &cols)) < 0)
		goto out;
	if ((ret = catalyst_form_from_row(stored, NULL, rendered, NULL)) < 0) {
		err_prefix("the row rendered for '%s' does not read back", id);
		goto out;
	}
	ret = canon_content_hash(new_hash, *stored);
out:
	if (ret < 0) {
		catalyst_row_release(rendered);
		json_decref(*stored);
		*stored = NULL;
	}
	catalyst_row_release(&row);
	json_decref(old_form);
	return ret;
}

int capture_prepare(struct capture *c, const json_t *form, json_t **stored_out,
		    char hash_out[CANON_HASH_LEN + 1],
		    char old_hash_out[CANON_HASH_LEN + 1])
{
	struct catalyst_row rendered;
	char old_hash[CANON_HASH_LEN + 1];
	int ret;

	ret = render_for(c, form, &rendered, stored_out, old_hash, hash_out);
	catalyst_row_release(&rendered);
	if (!ret && old_hash_out)
		memcpy(old_hash_out, old_hash, sizeof(old_hash));
	return ret;
}

/* Days since the epoch to a civil date (Howard Hinnant, public domain). */
static void civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (long long)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

/*
 * The new updatedAt, in the style of the old value old (its text, or NULL
 * for an INTEGER or NULL column): sep ' ' or 'T', with milliseconds when
 * the old one had a fraction, and the old one's zone designator.
 */
static void format_like(struct buf *out, long long ms, const char *old)
{
	long long y, days = ms / 86400000, rem = ms % 86400000;
	unsigned mo, d;
	const char *t = strpbrk(old, "T t");
	int iso = t && (*t == 'T' || *t == 't');
	int frac = t && strchr(t, '.') != NULL;
	const char *zone = "";

	if (t && (strchr(t, 'Z') || strchr(t, 'z')))
		zone = "Z";
	else if (t && (strchr(t, '+') || strchr(t + 1, '-')))
		zone = "+00:00";
	civil_from_days(days, &y, &mo, &d);
	buf_addf(out, "%04lld-%02u-%02u%c%02lld:%02lld:%02lld", y, mo, d,
		 iso ? 'T' : ' ', rem / 3600000, rem / 60000 % 60,
		 rem / 1000 % 60);
	if (frac)
		buf_addf(out, ".%03lld", rem % 1000);
	buf_adds(out, zone);
}

/*
 * Binds the new updatedAt at index i in the row's own format: INTEGER ms
 * (as Prisma writes), digits as TEXT, or date text like the old value.
 * It is never earlier than the old value plus one tick of its format.
 */
static int bind_updated(struct capture *c, sqlite3_stmt *up, int i,
			const char *id)
{
	sqlite3_stmt *st = NULL;
	struct buf text = BUF_INIT;
	long long now = time_now_ms(), old = -1;
	enum catalyst_time_format fmt = CATALYST_TIME_NULL;
	int type = SQLITE_NULL, rc, ret = 0;
	char *old_text = NULL;

	rc = sqlite3_prepare_v2(c->db,
				"SELECT \"updatedAt\" FROM \"ContentType\""
				" WHERE \"id\" = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read updatedAt");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		type = sqlite3_column_type(st, 0);
		if (type == SQLITE_TEXT)
			old_text = col_strdup(st, 0);
		else if (type != SQLITE_NULL)
			old = sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		ret = db_error(c, rc, "read updatedAt");
	}
	sqlite3_finalize(st);
	if (ret < 0)
		return ret;
	if (old_text)
		old = catalyst_parse_time(old_text, &fmt);
	if (type != SQLITE_TEXT || fmt == CATALYST_TIME_NULL) {
		/* INTEGER, REAL, NULL or unreadable text: Prisma's ms. */
		if (now <= old)
			now = old + 1;
		sqlite3_bind_int64(up, i, now);
	} else if (fmt == CATALYST_TIME_MILLIS) {
		if (now <= old)
			now = old + 1;
		buf_addf(&text, "%lld", now);
		sqlite3_bind_text(up, i, text.ptr, (int)text.len,
				  SQLITE_TRANSIENT);
	} else {
		long long tick = strchr(old_text, '.') ? 1 : 1000;

		if (now < old + tick)
			now = old + tick;
		format_like(&text, now, old_text);
		sqlite3_bind_text(up, i, text.ptr, (int)text.len,
				  SQLITE_TRANSIENT);
	}
	free(old_text);
	buf_release(&text);
	return 0;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int update_row(struct capture *c, const struct catalyst_row *r)
{
	struct capture_columns cols;
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc, ret;

	columns_of(c, &cols);
	/* Constant fragments for the columns that exist. */
	buf_adds(&sql, "UPDATE \"ContentType\" SET \"name\" = ?1, "
		       "\"fields\" = ?2");
	if (cols.settings)
		buf_adds(&sql, ", \"settings\" = ?3");
	if (cols.key)
		buf_adds(&sql, ", \"key\" = ?4");
	if (cols.plural_name)
		buf_adds(&sql, ", \"pluralName\" = ?5");
	if (cols.display_field)
		buf_adds(&sql, ", \"displayField\" = ?6");
	if (cols.category)
		buf_adds(&sql, ", \"category\" = ?7");
	if (catalyst_db_has_column(c->cdb, "updatedAt"))
		buf_adds(&sql, ", \"updatedAt\" = ?8");
	buf_adds(&sql, " WHERE \"id\" = ?9");
	rc = sqlite3_prepare_v2(c->db, sql.ptr, (int)sql.len, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = db_error(c, rc, "write the content type");
		goto out;
	}
	bind_opt(st, 1, r->name);
	bind_opt(st, 2, r->fields_json);
	if (cols.settings)
		bind_opt(st, 3, r->settings_json);
	if (cols.key)
		bind_opt(st, 4, r->key);
	if (cols.plural_name)
		bind_opt(st, 5, r->plural_name);
	if (cols.display_field)
		bind_opt(st, 6, r->display_field);
	if (cols.category)
		bind_opt(st, 7, r->category);
	if (catalyst_db_has_column(c->cdb, "updatedAt") &&
	    (ret = bind_updated(c, st, 8, r->id)) < 0)
		goto out;
	bind_opt(st, 9, r->id);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = db_error(c, rc, "write the content type");
		goto out;
	}
	if (!sqlite3_changes(c->db)) {
		ret = err_set(ERR_NOTFOUND,
			      "content type '%s' is gone from "
			      "'%s'",
			      r->id, capture_path(c));
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	return ret;
}

int capture_write(struct capture *c, const json_t *form,
		  const char *expect_hash)
{
	struct catalyst_row rendered = {0};
	json_t *stored = NULL;
	char old_hash[CANON_HASH_LEN + 1], new_hash[CANON_HASH_LEN + 1];
	char want[CANON_HASH_LEN + 1];
	int ret;

	if ((ret = canon_content_hash(want, form)) < 0)
		return ret;
	if ((ret = capture_begin(c, 1)) < 0)
		return ret;
	ret = render_for(c, form, &rendered, &stored, old_hash, new_hash);
	if (ret < 0)
		goto out;
	if (!strcmp(old_hash, want)) {
		ret = 1; /* already there */
		goto out;
	}
	if (expect_hash && strcmp(old_hash, expect_hash)) {
		ret = err_set(ERR_CONFLICT,
			      "content type '%s' changed in '%s' meanwhile",
			      jx_str(form, "id"), capture_path(c));
		goto out;
	}
	if (strcmp(new_hash, want)) {
		ret = err_set(ERR_INVALID,
			      "content type '%s' cannot be written back "
			      "faithfully (it would read back differently)",
			      jx_str(form, "id"));
		goto out;
	}
	if ((ret = update_row(c, &rendered)) < 0)
		goto out;
	ret = capture_commit(c);
	log_debug("source", "wrote content type '%s' to '%s'",
		  jx_str(form, "id"), capture_path(c));
out:
	if (ret != 0)
		capture_rollback(c);
	catalyst_row_release(&rendered);
	json_decref(stored);
	return ret;
}

/* --- creating and deleting rows ----------------------------------------- */

/*
 * A new row looks like the rows already there: they are surveyed for the
 * style of their ids, the shape of their fields JSON and the format of
 * their timestamps. Shape and timestamps are taken from the website's own
 * rows (the ones the new type will sit next to) when it has any, else from
 * the whole table; the id style from the whole table.
 */

/* How a timestamp column is written. */
enum time_kind {
	TIME_KIND_INT = 0, /* INTEGER milliseconds (Prisma) */
	TIME_KIND_DIGITS,  /* milliseconds as TEXT digits */
	TIME_KIND_TEXT	   /* date text like example */
};

#define TIME_STYLES_MAX 8

/* The timestamp styles seen in a column, each with a count. */
struct time_votes {
	struct {
		char *sig;     /* "int", "digits" or the style of a text */
		char *example; /* a text value of that style */
		size_t nr;
	} items[TIME_STYLES_MAX];
	size_t nr;
};

struct shape_votes {
	size_t rows, object, array, wrapped, plain;
	struct time_votes created, updated;
};

struct survey {
	size_t cuid, uuid;	 /* ids of each style, whole table */
	struct shape_votes site; /* the website's rows */
	struct shape_votes all;	 /* every row */
};

static void time_votes_release(struct time_votes *v)
{
	for (size_t i = 0; i < v->nr; i++) {
		free(v->items[i].sig);
		free(v->items[i].example);
	}
	v->nr = 0;
}

static void survey_release(struct survey *s)
{
	time_votes_release(&s->site.created);
	time_votes_release(&s->site.updated);
	time_votes_release(&s->all.created);
	time_votes_release(&s->all.updated);
}

/* A Prisma cuid: "c" and 24 lowercase base36 characters. */
static int is_cuid(const char *s)
{
	if (!s || strlen(s) != 25 || s[0] != 'c')
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')))
			return 0;
	return 1;
}

/* A UUID: 8-4-4-4-12 hex digits. */
static int is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		char ch = s[i];

		if (dash != (ch == '-'))
			return 0;
		if (!dash &&
		    !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return 0;
	}
	return 1;
}

/*
 * The shape of a fields text from its first characters: 1 an object, 2 an
 * array, 0 unknown; *wrapped when it is a JSON string of one (shape C).
 */
static int shape_of(const char *s, int *wrapped)
{
	*wrapped = 0;
	if (!s)
		return 0;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '"') {
		*wrapped = 1;
		s++;
		for (;;) {
			if (*s == ' ')
				s++;
			else if (s[0] == '\\' && s[1] && strchr("ntr", s[1]))
				s += 2;
			else
				break;
		}
	}
	return *s == '{' ? 1 : *s == '[' ? 2 : 0;
}

static void vote_time(struct time_votes *v, sqlite3_stmt *st, int i)
{
	struct buf sig = BUF_INIT;
	enum catalyst_time_format fmt;
	const char *text = NULL;
	size_t k;

	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		buf_adds(&sig, "int");
		break;
	case SQLITE_TEXT:
		text = (const char *)sqlite3_column_text(st, i);
		if (catalyst_parse_time(text, &fmt) < 0)
			goto out;
		if (fmt == CATALYST_TIME_MILLIS)
			buf_adds(&sig, "digits");
		else
			format_like(&sig, 0, text); /* the style, at 0 */
		break;
	default:
		goto out;
	}
	for (k = 0; k < v->nr; k++)
		if (!strcmp(v->items[k].sig, sig.ptr))
			break;
	if (k == v->nr) {
		if (v->nr == TIME_STYLES_MAX)
			goto out;
		v->items[k].sig = buf_detach(&sig, NULL);
		v->items[k].example = text ? xstrdup(text) : NULL;
		v->items[k].nr = 0;
		v->nr++;
	}
	v->items[k].nr++;
out:
	buf_release(&sig);
}

static void vote_row(struct shape_votes *v, sqlite3_stmt *st)
{
	int wrapped, shape = shape_of((const char *)sqlite3_column_text(st, 2),
				      &wrapped);

	v->rows++;
	if (shape) {
		v->object += shape == 1;
		v->array += shape == 2;
		v->wrapped += wrapped;
		v->plain += !wrapped;
	}
	vote_time(&v->created, st, 3);
	vote_time(&v->updated, st, 4);
}

static int survey_rows(struct capture *c, const char *website_id,
		       struct survey *out)
{
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	/* Constant fragments; fields only as far as its shape shows. */
	buf_adds(&sql, "SELECT \"id\", \"websiteId\" = ?1, "
		       "substr(\"fields\", 1, 32), ");
	buf_adds(&sql, catalyst_db_has_column(c->cdb, "createdAt")
			       ? "\"createdAt\", "
			       : "NULL, ");
	buf_adds(&sql, catalyst_db_has_column(c->cdb, "updatedAt")
			       ? "\"updatedAt\""
			       : "NULL");
	buf_adds(&sql, " FROM \"ContentType\"");
	rc = sqlite3_prepare_v2(c->db, sql.ptr, (int)sql.len, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = db_error(c, rc, "survey the content types");
		goto out;
	}
	sqlite3_bind_text(st, 1, website_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		out->cuid += is_cuid(id);
		out->uuid += is_uuid(id);
		vote_row(&out->all, st);
		if (sqlite3_column_int(st, 1))
			vote_row(&out->site, st);
	}
	if (rc != SQLITE_DONE)
		ret = db_error(c, rc, "survey the content types");
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	return ret;
}

/* The votes to follow: the website's rows, else every row. */
static const struct shape_votes *survey_votes(const struct survey *s)
{
	return s->site.rows ? &s->site : &s->all;
}

/* The most common timestamp style (Prisma's INTEGER ms when none). */
static void time_style(const struct time_votes *v, enum time_kind *kind,
		       const char **example)
{
	size_t best = 0;

	*kind = TIME_KIND_INT;
	*example = NULL;
	if (!v->nr)
		return;
	for (size_t k = 1; k < v->nr; k++)
		if (v->items[k].nr > v->items[best].nr)
			best = k;
	if (!strcmp(v->items[best].sig, "digits"))
		*kind = TIME_KIND_DIGITS;
	else if (strcmp(v->items[best].sig, "int")) {
		*kind = TIME_KIND_TEXT;
		*example = v->items[best].example;
	}
}

/* Binds now at i in the style of the column's votes. */
static void bind_new_time(sqlite3_stmt *st, int i, const struct time_votes *v,
			  long long now)
{
	struct buf text = BUF_INIT;
	enum time_kind kind;
	const char *example;

	time_style(v, &kind, &example);
	if (kind == TIME_KIND_INT) {
		sqlite3_bind_int64(st, i, now);
		return;
	}
	if (kind == TIME_KIND_DIGITS)
		buf_addf(&text, "%lld", now);
	else
		format_like(&text, now, example);
	sqlite3_bind_text(st, i, text.ptr, (int)text.len, SQLITE_TRANSIENT);
	buf_release(&text);
}

/*
 * A new id in the style of the table's ids: a UUID v4 when most look like
 * UUIDs, else a cuid ("c", 8 base36 digits of the time in milliseconds as
 * Prisma's cuid starts, 16 random base36 digits).
 */
static void make_id(struct buf *out, int uuid)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned char r[16];
	char stamp[16];
	unsigned long long t = (unsigned long long)time_now_ms();
	int n = 0;

	sqlite3_randomness(sizeof(r), r);
	if (uuid) {
		r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
		r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
		for (int i = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				buf_addch(out, '-');
			buf_addch(out, digits[r[i] >> 4]);
			buf_addch(out, digits[r[i] & 15]);
		}
		return;
	}
	do {
		stamp[n++] = digits[t % 36];
		t /= 36;
	} while (t && n < 8);
	while (n < 8)
		stamp[n++] = '0';
	buf_addch(out, 'c');
	while (n)
		buf_addch(out, stamp[--n]);
	for (int i = 0; i < 16; i++)
		buf_addch(out, digits[r[i] % 36]);
}

/* A new id no row has yet. */
static int new_id(struct capture *c, struct buf *out, int uuid)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(
		c->db, "SELECT 1 FROM \"ContentType\" WHERE \"id\" = ?1", -1,
		&st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "make an id");
	for (int tries = 0;; tries++) {
		buf_reset(out);
		make_id(out, uuid);
		sqlite3_bind_text(st, 1, out->ptr, (int)out->len,
				  SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			ret = db_error(c, rc, "make an id");
			break;
		}
		if (tries == 8) {
			ret = err_set(ERR_GENERIC,
				      "cannot make a new content type id in "
				      "'%s'",
				      capture_path(c));
			break;
		}
	}
	sqlite3_finalize(st);
	return ret;
}

/* Whether the ContentType column must be given (NOT NULL, no default). */
static int column_required(struct capture *c, const char *name, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	*out = 0;
	rc = sqlite3_prepare_v2(c->db,
				"SELECT \"notnull\" AND \"dflt_value\" IS NULL "
				"FROM pragma_table_info('ContentType') "
				"WHERE \"name\" = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read the ContentType columns");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE)
		ret = db_error(c, rc, "read the ContentType columns");
	sqlite3_finalize(st);
	return ret;
}

/* A required column we would not fill makes the INSERT fail: say so. */
static int check_unknown_columns(struct capture *c)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(
		c->db,
		"SELECT \"name\" FROM pragma_table_info('ContentType') "
		"WHERE \"notnull\" AND \"dflt_value\" IS NULL AND \"name\" "
		"NOT IN ('id', 'websiteId', 'name', 'fields', 'settings', "
		"'key', 'pluralName', 'displayField', 'category', 'icon', "
		"'description', 'createdAt', 'updatedAt')",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read the ContentType columns");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = err_set(ERR_INVALID,
			      "cannot create a content type in '%s': its "
			      "ContentType table requires a column "
			      "catalyst-sync does not know ('%s')",
			      capture_path(c), sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		ret = db_error(c, rc, "read the ContentType columns");
	sqlite3_finalize(st);
	return ret;
}

/* ERR_NOTFOUND when the database has websites and website_id is not one. */
static int check_website(struct capture *c, const char *website_id)
{
	sqlite3_stmt *st = NULL;
	char *table = NULL;
	int rc, ret;

	if ((ret = object_sql(c, "table", "Website", &table)) < 0 || !table)
		return ret; /* no Website table: nothing to check */
	free(table);
	rc = sqlite3_prepare_v2(c->db,
				"SELECT 1 FROM \"Website\" WHERE \"id\" = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read the websites");
	sqlite3_bind_text(st, 1, website_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		ret = err_set(ERR_NOTFOUND, "no website '%s' in '%s'",
			      website_id, capture_path(c));
	else if (rc != SQLITE_ROW)
		ret = db_error(c, rc, "read the websites");
	sqlite3_finalize(st);
	return ret;
}

/* ERR_CONFLICT when the website has a type named name (or keyed key). */
static int check_taken(struct capture *c, const char *website_id,
		       const char *name, const char *key)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(
		c->db,
		key ? "SELECT \"id\", \"name\" = ?2 FROM \"ContentType\" "
		      "WHERE \"websiteId\" = ?1 AND (\"name\" = ?2 OR "
		      "\"key\" = ?3) ORDER BY \"name\" = ?2 DESC LIMIT 1"
		    : "SELECT \"id\", 1 FROM \"ContentType\" "
		      "WHERE \"websiteId\" = ?1 AND \"name\" = ?2 LIMIT 1",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read the content types");
	sqlite3_bind_text(st, 1, website_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (key)
		sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 1))
		ret = err_set(ERR_CONFLICT,
			      "website '%s' in '%s' already has a content "
			      "type named '%s' ('%s')",
			      website_id, capture_path(c), name,
			      sqlite3_column_text(st, 0));
	else if (rc == SQLITE_ROW)
		ret = err_set(ERR_CONFLICT,
			      "website '%s' in '%s' already has a content "
			      "type with key '%s' ('%s')",
			      website_id, capture_path(c), key,
			      sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		ret = db_error(c, rc, "read the content types");
	sqlite3_finalize(st);
	return ret;
}

/* What capture_create knows while it renders the new row. */
struct create_ctx {
	const json_t *form;
	const char *name;
	struct capture_columns cols;
	int icon_col, description_col; /* columns no Catalyst has had */
	int plural_required, display_required;
};

static int create_error(const struct create_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int create_error(const struct create_ctx *x, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	ret = err_set(ERR_INVALID, "cannot create content type '%s': %s",
		      x->name ? x->name : "?", msg.ptr);
	buf_release(&msg);
	return ret;
}

/* The form must be one capture_create can read at all. */
static int check_new_form(const struct create_ctx *x, const char *website_id)
{
	static const char *const objects[] = {"fields", "relationships",
					      "extra", "settings"};
	static const char *const strings[] = {"pluralName", "category", "key",
					      "displayField"};
	const json_t *form = x->form, *v;
	const char *wid = jx_str(form, "websiteId"), *k;

	if (!json_is_object(form))
		return err_set(ERR_INVALID, "cannot create a content type: "
					    "the document is not an object");
	if (!x->name || !*x->name)
		return err_set(ERR_INVALID, "cannot create a content type: "
					    "the document has no name");
	if (!website_id || !*website_id)
		return create_error(x, "no website given");
	if (wid && strcmp(wid, website_id))
		return create_error(x, "the document belongs to website '%s'",
				    wid);
	for (size_t i = 0; i < sizeof(objects) / sizeof(*objects); i++) {
		v = json_object_get(form, objects[i]);
		if (present(v) && !json_is_object(v))
			return create_error(x, "%s must be an object",
					    objects[i]);
	}
	for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++) {
		v = json_object_get(form, strings[i]);
		if (present(v) && !json_is_string(v))
			return create_error(x, "%s must be a string",
					    strings[i]);
	}
	json_object_foreach((json_t *)json_object_get(form, "fields"), k, v)
	{
		if (!json_is_object(v))
			return create_error(x, "field '%s' is not an object",
					    k);
	}
	json_object_foreach((json_t *)json_object_get(form, "relationships"), k,
			    v)
	{
		if (!json_is_object(v))
			return create_error(x,
					    "relationship '%s' is not an "
					    "object",
					    k);
	}
	return 0;
}

/* The form's fields as a new array: in "order" when every field has a
 * numeric one (a stable sort), else as they come. */
static json_t *new_fields_ordered(const json_t *fields)
{
	size_t nr = json_object_size(fields), i = 0;
	const char **names = xcalloc(nr + 1, sizeof(*names));
	const json_t **vals = xcalloc(nr + 1, sizeof(*vals));
	json_t *arr = json_array(), *f;
	const char *name;
	int sorted = 1;

	json_object_foreach((json_t *)fields, name, f)
	{
		names[i] = name;
		vals[i++] = f;
		sorted &= json_is_number(json_object_get(f, "order"));
	}
	for (i = 1; sorted && i < nr; i++) {
		const char *n = names[i];
		const json_t *v = vals[i];
		double o = json_number_value(json_object_get(v, "order"));
		size_t j = i;

		for (; j && json_number_value(
				    json_object_get(vals[j - 1], "order")) > o;
		     j--) {
			names[j] = names[j - 1];
			vals[j] = vals[j - 1];
		}
		names[j] = n;
		vals[j] = v;
	}
	for (i = 0; i < nr; i++)
		json_array_append_new(arr, new_field(names[i], vals[i]));
	free(names);
	free(vals);
	return arr;
}

/*
 * Puts member (value v) into the settings *s, made when needed: the place
 * of what a plain array cannot hold, and of category without a column.
 */
static int settings_put(const struct create_ctx *x, json_t **s,
			const char *member, const json_t *v,
			const char *no_column)
{
	const json_t *cur = json_object_get(*s, member);

	if (!x->cols.settings)
		return create_error(x, "%s, so '%s' has no place", no_column,
				    member);
	if (present(cur))
		return same(cur, v) ? 0
				    : create_error(x,
						   "its settings hold "
						   "another '%s'",
						   member);
	if (!*s)
		*s = json_object();
	json_object_set_new(*s, member, json_deep_copy(v));
	return 0;
}

/* Catalyst's own key: name.toLowerCase().replace(/\s+/g, '_'). */
static char *catalyst_key(const char *name)
{
	struct buf b = BUF_INIT;
	int space = 0;

	for (const char *p = name; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ' ' || (ch >= '\t' && ch <= '\r')) {
			if (!space)
				buf_addch(&b, '_');
			space = 1;
			continue;
		}
		space = 0;
		buf_addch(&b, ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
	}
	return buf_detach(&b, NULL);
}

/*
 * The new row id that holds x->form, its fields a plain array (array) or
 * Catalyst's object, wrapped in a JSON string or not. ERR_INVALID when a
 * member has no place in that shape.
 */
static int render_new(struct catalyst_row *out, const struct create_ctx *x,
		      const char *id, const char *website_id, int array,
		      int wrapped)
{
	static const char *const loose[] = {"icon", "description"};
	const json_t *form = x->form, *v;
	const json_t *plural = json_object_get(form, "pluralName");
	const json_t *rels = json_object_get(form, "relationships");
	const json_t *extra = json_object_get(form, "extra");
	const char *category = jx_str(form, "category"), *k;
	json_t *doc = NULL, *settings = NULL, *fields, *arr;
	const char *no_place = array ? "its fields are kept as a plain array "
				       "here and the table has no settings "
				       "column"
				     : "the table has no settings column";
	int ret;

	memset(out, 0, sizeof(*out));
	if (!category)
		category = "component";
	v = json_object_get(form, "settings");
	if (json_object_size(v)) {
		if (!x->cols.settings) {
			ret = create_error(x, "the ContentType table has no "
					      "settings column");
			goto out;
		}
		settings = json_deep_copy(v);
	}

	fields = new_fields_ordered(json_object_get(form, "fields"));
	if (array) {
		doc = fields;
		if (json_object_size(rels)) {
			ret = create_error(x, "its fields are kept as a plain "
					      "array here, which has no place "
					      "for relationships");
			goto out;
		}
		if (json_object_size(extra)) {
			ret = create_error(x, "its fields are kept as a plain "
					      "array here, which has no place "
					      "for extra members");
			goto out;
		}
		if (present(plural) && !x->cols.plural_name &&
		    (ret = settings_put(x, &settings, "pluralName", plural,
					no_place)) < 0)
			goto out;
		for (size_t i = 0; i < sizeof(loose) / sizeof(*loose); i++) {
			v = json_object_get(form, loose[i]);
			if (present(v) &&
			    (ret = settings_put(x, &settings, loose[i], v,
						no_place)) < 0)
				goto out;
		}
	} else {
		/* As Catalyst's service writes it. */
		doc = json_object();
		json_object_set_new(doc, "name", json_string(x->name));
		if (present(plural))
			json_object_set(doc, "pluralName", (json_t *)plural);
		for (size_t i = 0; i < sizeof(loose) / sizeof(*loose); i++) {
			v = json_object_get(form, loose[i]);
			if (present(v))
				json_object_set_new(doc, loose[i],
						    json_deep_copy(v));
		}
		json_object_set_new(doc, "fields", fields);
		arr = json_array();
		json_object_foreach((json_t *)rels, k, v)
		{
			json_array_append_new(arr, json_deep_copy(v));
		}
		json_object_set_new(doc, "relationships", arr);
		json_object_foreach((json_t *)extra, k, v)
		{
			if (IS_OBJECT_KEY(k)) {
				ret = create_error(x, "extra cannot hold '%s'",
						   k);
				goto out;
			}
			json_object_set_new(doc, k, json_deep_copy(v));
		}
	}

	/* category: its column, else settings ("component" needs none). */
	if (x->cols.category) {
		out->category = xstrdup(category);
	} else if (present(json_object_get(settings, "category")) ||
		   strcmp(category, "component")) {
		json_t *c = json_string(category);

		ret = settings_put(x, &settings, "category", c,
				   "the table has no category or settings "
				   "column");
		json_decref(c);
		if (ret < 0)
			goto out;
	}

	/* The columns only. */
	if (present(json_object_get(form, "key"))) {
		if (!x->cols.key) {
			ret = create_error(x, "the ContentType table has no "
					      "'key' column");
			goto out;
		}
		out->key = xstrdup(jx_str(form, "key"));
	} else if (x->cols.key) {
		out->key = catalyst_key(x->name); /* Catalyst always has one */
	}
	if (x->cols.plural_name) {
		if (present(plural))
			out->plural_name = xstrdup(json_string_value(plural));
		else if (x->plural_required) { /* the UI's default */
			struct buf p = BUF_INIT;

			buf_addf(&p, "%ss", x->name);
			out->plural_name = buf_detach(&p, NULL);
		}
	}
	if (present(json_object_get(form, "displayField"))) {
		if (!x->cols.display_field) {
			ret = create_error(x, "the ContentType table has no "
					      "'displayField' column");
			goto out;
		}
		out->display_field = xstrdup(jx_str(form, "displayField"));
	} else if (x->cols.display_field && x->display_required) {
		const json_t *first = json_array_get(
			array ? doc : json_object_get(doc, "fields"), 0);

		out->display_field = xstrdup(
			jx_str(first, "name") ? jx_str(first, "name") : "");
	}

	out->id = xstrdup(id);
	out->website_id = xstrdup(website_id);
	out->name = xstrdup(x->name);
	if ((ret = doc_text(&out->fields_json, doc, wrapped)) < 0 ||
	    (settings &&
	     (ret = doc_text(&out->settings_json, settings, 0)) < 0))
		goto out;
	out->created_ms = out->updated_ms = -1;
	out->time_format = CATALYST_TIME_NULL;
	ret = 0;
out:
	if (ret < 0)
		catalyst_row_release(out);
	json_decref(doc);
	json_decref(settings);
	return ret;
}

/* A form's fields as the reader completes them: required and order. */
static void complete_fields(json_t *fields)
{
	const char *k;
	json_t *f, *nested;
	size_t i = 0;

	json_object_foreach(fields, k, f)
	{
		if (!present(json_object_get(f, "required")))
			json_object_set_new(f, "required", json_false());
		if (!present(json_object_get(f, "order")))
			json_object_set_new(f, "order",
					    json_integer((json_int_t)i));
		nested = json_object_get(f, "fields");
		if (json_is_object(nested))
			complete_fields(nested);
		i++;
	}
}

/*
 * What row must read back as: form as the reader completes it (fields,
 * relationships, category, each field's required and order), with what
 * the row adds by design (a key, a required pluralName or displayField,
 * the settings members routed there).
 */
static json_t *expected_form(const json_t *form, const struct catalyst_row *row)
{
	json_t *e = json_deep_copy(form), *drop = json_array(), *v, *s = NULL;
	const char *k;
	size_t i;

	json_object_foreach(e, k, v)
	{
		if (!present(v))
			json_array_append_new(drop, json_string(k));
	}
	json_array_foreach(drop, i, v)
	{
		json_object_del(e, json_string_value(v));
	}
	json_decref(drop);
	if (!json_object_get(e, "fields"))
		json_object_set_new(e, "fields", json_object());
	complete_fields(json_object_get(e, "fields"));
	if (!json_object_get(e, "relationships"))
		json_object_set_new(e, "relationships", json_object());
	if (!json_object_size(json_object_get(e, "extra")))
		json_object_del(e, "extra");
	if (!json_object_get(e, "category"))
		json_object_set_new(e, "category", json_string("component"));
	if (row->key && !json_object_get(e, "key"))
		json_object_set_new(e, "key", json_string(row->key));
	if (row->plural_name && !json_object_get(e, "pluralName"))
		json_object_set_new(e, "pluralName",
				    json_string(row->plural_name));
	if (row->display_field && !json_object_get(e, "displayField"))
		json_object_set_new(e, "displayField",
				    json_string(row->display_field));
	if (row->settings_json &&
	    !jx_load(&s, row->settings_json, strlen(row->settings_json),
		     "settings"))
		json_object_set_new(e, "settings", s);
	else
		json_object_del(e, "settings");
	return e;
}

/* The first member (other than id and websiteId) a and b differ in. */
static const char *first_difference(const json_t *a, const json_t *b)
{
	const json_t *pair[2] = {a, b};
	const char *k;
	json_t *v;

	for (int i = 0; i < 2; i++) {
		json_object_foreach((json_t *)pair[i], k, v)
		{
			if (!strcmp(k, "id") || !strcmp(k, "websiteId"))
				continue;
			if (!same(json_object_get(a, k), json_object_get(b, k)))
				return k;
		}
	}
	return "content";
}

/* ERR_INVALID unless form (as expected of row) reads back as stored. */
static int check_faithful(const struct create_ctx *x,
			  const struct catalyst_row *row, const json_t *stored)
{
	char want[CANON_HASH_LEN + 1], got[CANON_HASH_LEN + 1];
	json_t *e = expected_form(x->form, row);
	int ret;

	if ((ret = canon_content_hash(want, e)) < 0 ||
	    (ret = canon_content_hash(got, stored)) < 0)
		goto out;
	if (strcmp(want, got))
		ret = create_error(x, "it would read back differently (its %s)",
				   first_difference(e, stored));
out:
	json_decref(e);
	return ret;
}

/*
 * Renders the new row in the shape the votes prefer; a form a plain array
 * cannot hold (relationships, extra members, icon without a settings
 * column) is written as Catalyst's own object instead, the shape the app
 * itself writes. *stored gets the row's Catalyst form.
 */
static int render_best(struct catalyst_row *out, json_t **stored,
		       const struct create_ctx *x, const char *id,
		       const char *website_id, const struct shape_votes *v)
{
	int array = v->array > v->object, wrapped = v->wrapped > v->plain;
	int ret;

	*stored = NULL;
	for (;;) {
		ret = render_new(out, x, id, website_id, array, wrapped);
		if (!ret) {
			ret = catalyst_form_from_row(stored, NULL, out, NULL);
			if (!ret)
				ret = check_faithful(x, out, *stored);
			if (ret < 0) {
				catalyst_row_release(out);
				json_decref(*stored);
				*stored = NULL;
			}
		}
		if (ret != ERR_INVALID || !array)
			return ret;
		log_debug("source",
			  "'%s' cannot be a plain array (%s); writing an "
			  "object",
			  x->name, err_msg());
		err_clear();
		array = 0;
	}
}

static int insert_row(struct capture *c, const struct create_ctx *x,
		      const struct catalyst_row *r, const struct survey *sv)
{
	const struct shape_votes *votes = survey_votes(sv);
	struct buf sql = BUF_INIT, values = BUF_INIT;
	sqlite3_stmt *st = NULL;
	long long now = time_now_ms();
	int created = catalyst_db_has_column(c->cdb, "createdAt");
	int updated = catalyst_db_has_column(c->cdb, "updatedAt");
	int rc, ret;

	/* Constant fragments for the columns that exist. */
	buf_adds(&sql, "INSERT INTO \"ContentType\" (\"id\", \"websiteId\", "
		       "\"name\", \"fields\"");
	buf_adds(&values, "?1, ?2, ?3, ?4");
#define COLUMN(cond, col, n)                                                   \
	do {                                                                   \
		if (cond) {                                                    \
			buf_adds(&sql, ", \"" col "\"");                       \
			buf_adds(&values, ", ?" #n);                           \
		}                                                              \
	} while (0)
	COLUMN(x->cols.settings, "settings", 5);
	COLUMN(x->cols.key, "key", 6);
	COLUMN(x->cols.plural_name, "pluralName", 7);
	COLUMN(x->cols.display_field, "displayField", 8);
	COLUMN(x->cols.category, "category", 9);
	COLUMN(x->icon_col, "icon", 10);
	COLUMN(x->description_col, "description", 11);
	COLUMN(created, "createdAt", 12);
	COLUMN(updated, "updatedAt", 13);
#undef COLUMN
	buf_addf(&sql, ") VALUES (%s)", values.ptr);
	rc = sqlite3_prepare_v2(c->db, sql.ptr, (int)sql.len, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = db_error(c, rc, "create the content type");
		goto out;
	}
	bind_opt(st, 1, r->id);
	bind_opt(st, 2, r->website_id);
	bind_opt(st, 3, r->name);
	bind_opt(st, 4, r->fields_json);
	if (x->cols.settings)
		bind_opt(st, 5, r->settings_json);
	if (x->cols.key)
		bind_opt(st, 6, r->key);
	if (x->cols.plural_name)
		bind_opt(st, 7, r->plural_name);
	if (x->cols.display_field)
		bind_opt(st, 8, r->display_field);
	if (x->cols.category)
		bind_opt(st, 9, r->category);
	if (x->icon_col)
		bind_opt(st, 10, jx_str(x->form, "icon"));
	if (x->description_col)
		bind_opt(st, 11, jx_str(x->form, "description"));
	if (created)
		bind_new_time(st, 12, &votes->created, now);
	if (updated)
		bind_new_time(st, 13, &votes->updated, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT &&
	    (sqlite3_extended_errcode(c->db) == SQLITE_CONSTRAINT_UNIQUE ||
	     sqlite3_extended_errcode(c->db) == SQLITE_CONSTRAINT_PRIMARYKEY))
		ret = err_set(ERR_CONFLICT,
			      "cannot create content type '%s' in '%s': %s",
			      r->name, capture_path(c), sqlite3_errmsg(c->db));
	else if (rc != SQLITE_DONE)
		ret = db_error(c, rc, "create the content type");
	else
		ret = 0;
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	buf_release(&values);
	return ret;
}

int capture_create(struct capture *c, const char *website_id,
		   const json_t *form, json_t **stored_out, char **id_out)
{
	struct create_ctx x;
	struct survey sv;
	struct catalyst_row row = {0}, back = {0};
	struct buf id = BUF_INIT;
	json_t *stored = NULL, *readback = NULL;
	char h1[CANON_HASH_LEN + 1], h2[CANON_HASH_LEN + 1];
	int ret;

	memset(&x, 0, sizeof(x));
	memset(&sv, 0, sizeof(sv));
	if (stored_out)
		*stored_out = NULL;
	if (id_out)
		*id_out = NULL;
	x.form = form;
	x.name = jx_str(form, "name");
	if ((ret = check_new_form(&x, website_id)) < 0)
		return ret;
	if ((ret = capture_begin(c, 1)) < 0)
		return ret;
	columns_of(c, &x.cols);
	x.icon_col = catalyst_db_has_column(c->cdb, "icon");
	x.description_col = catalyst_db_has_column(c->cdb, "description");
	if ((ret = check_website(c, website_id)) < 0 ||
	    (ret = check_unknown_columns(c)) < 0 ||
	    (ret = column_required(c, "pluralName", &x.plural_required)) < 0 ||
	    (ret = column_required(c, "displayField", &x.display_required)) <
		    0 ||
	    (ret = survey_rows(c, website_id, &sv)) < 0 ||
	    (ret = new_id(c, &id, sv.uuid > sv.cuid)) < 0)
		goto out;
	if ((ret = render_best(&row, &stored, &x, id.ptr, website_id,
			       survey_votes(&sv))) < 0)
		goto out;
	if ((ret = check_taken(c, website_id, row.name, row.key)) < 0 ||
	    (ret = insert_row(c, &x, &row, &sv)) < 0)
		goto out;

	/* As it reads back from the database itself (defaults and all). */
	if ((ret = catalyst_db_get_type(c->cdb, id.ptr, &back)) < 0 ||
	    (ret = catalyst_form_from_row(&readback, NULL, &back, NULL)) < 0 ||
	    (ret = canon_content_hash(h1, stored)) < 0 ||
	    (ret = canon_content_hash(h2, readback)) < 0)
		goto out;
	if (strcmp(h1, h2)) {
		ret = create_error(&x, "'%s' changed it as it was written",
				   capture_path(c));
		goto out;
	}
	if ((ret = capture_commit(c)) < 0)
		goto out;
	log_debug("source", "created content type '%s' (%s) in '%s'", id.ptr,
		  x.name, capture_path(c));
	if (stored_out) {
		*stored_out = readback;
		readback = NULL;
	}
	if (id_out)
		*id_out = buf_detach(&id, NULL);
	ret = 0;
out:
	if (ret < 0)
		capture_rollback(c);
	survey_release(&sv);
	catalyst_row_release(&row);
	catalyst_row_release(&back);
	json_decref(stored);
	json_decref(readback);
	buf_release(&id);
	return ret;
}

/* Appends name as a quoted SQL identifier. */
static void add_ident(struct buf *b, const char *name)
{
	buf_addch(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			buf_addch(b, '"');
		buf_addch(b, *p);
	}
	buf_addch(b, '"');
}

/*
 * ERR_CONFLICT when a row of another table still refers to type id through
 * a foreign key (Catalyst's ContentItem, later WebsitePage, ...): deleting
 * it would orphan them on our connection (foreign keys off) or delete them
 * with it on Catalyst's (ON DELETE CASCADE), and content is not ours to
 * remove.
 */
static int check_unreferenced(struct capture *c, const char *id,
			      const char *name)
{
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL, *cnt = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(
		c->db,
		"SELECT m.\"name\", f.\"from\" FROM \"sqlite_master\" AS m, "
		"pragma_foreign_key_list(m.\"name\") AS f "
		"WHERE m.\"type\" = 'table' AND f.\"table\" = 'ContentType' "
		"COLLATE NOCASE AND (f.\"to\" IS NULL OR f.\"to\" = 'id')",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(c, rc, "read the schema");
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(st, 0);
		const char *col = (const char *)sqlite3_column_text(st, 1);
		long long nr;

		if (!table || !col)
			continue;
		buf_reset(&sql);
		buf_adds(&sql, "SELECT count(*) FROM ");
		add_ident(&sql, table);
		buf_adds(&sql, " WHERE ");
		add_ident(&sql, col);
		buf_adds(&sql, " = ?1");
		rc = sqlite3_prepare_v2(c->db, sql.ptr, (int)sql.len, &cnt,
					NULL);
		if (rc != SQLITE_OK) {
			ret = db_error(c, rc, "read the schema");
			break;
		}
		sqlite3_bind_text(cnt, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(cnt);
		nr = rc == SQLITE_ROW ? sqlite3_column_int64(cnt, 0) : 0;
		if (rc != SQLITE_ROW)
			ret = db_error(c, rc, "count the rows using the type");
		else if (nr)
			ret = err_set(ERR_CONFLICT,
				      "content type '%s' (%s) is still used by "
				      "%lld row%s of %s in '%s'; not deleted",
				      id, name, nr, nr == 1 ? "" : "s", table,
				      capture_path(c));
		sqlite3_finalize(cnt);
		cnt = NULL;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_error(c, rc, "read the schema");
	sqlite3_finalize(st);
	buf_release(&sql);
	return ret;
}

int capture_delete(struct capture *c, const char *type_id,
		   const char *expect_hash)
{
	struct catalyst_row row = {0};
	struct buf why = BUF_INIT;
	sqlite3_stmt *st = NULL;
	json_t *form = NULL;
	char hash[CANON_HASH_LEN + 1];
	int rc, ret;

	if ((ret = capture_begin(c, 1)) < 0)
		return ret;
	if ((ret = catalyst_db_get_type(c->cdb, type_id, &row)) < 0)
		goto out;
	if (expect_hash) {
		if (catalyst_form_from_row(&form, NULL, &row, NULL) < 0 ||
		    canon_content_hash(hash, form) < 0) {
			buf_adds(&why, err_msg());
			ret = err_set(ERR_CONFLICT,
				      "content type '%s' changed in '%s' "
				      "meanwhile (%s); not deleted",
				      type_id, capture_path(c), why.ptr);
			goto out;
		}
		if (strcmp(hash, expect_hash)) {
			ret = err_set(ERR_CONFLICT,
				      "content type '%s' (%s) changed in '%s' "
				      "meanwhile; not deleted",
				      type_id, row.name ? row.name : "?",
				      capture_path(c));
			goto out;
		}
	}
	if ((ret = check_unreferenced(c, type_id, row.name ? row.name : "?")) <
	    0)
		goto out;
	rc = sqlite3_prepare_v2(c->db,
				"DELETE FROM \"ContentType\" WHERE \"id\" = ?1",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = db_error(c, rc, "delete the content type");
		goto out;
	}
	sqlite3_bind_text(st, 1, type_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		ret = db_error(c, rc, "delete the content type");
		goto out;
	}
	if ((ret = capture_commit(c)) < 0)
		goto out;
	log_debug("source", "deleted content type '%s' from '%s'", type_id,
		  capture_path(c));
out:
	if (ret < 0)
		capture_rollback(c);
	sqlite3_finalize(st);
	catalyst_row_release(&row);
	json_decref(form);
	buf_release(&why);
	return ret;
}
