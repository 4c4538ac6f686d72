/*
 * catalyst_sqlite: reading Catalyst's SQLite database.
 *
 * The database is opened read-only and never created. The ContentType
 * columns are looked up once with PRAGMA table_info; the SELECT is put
 * together from fixed fragments only (a missing optional column is read as
 * NULL), and every value from the caller is bound as a parameter.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/catalyst_form.h"
#include "source/catalyst_sqlite.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define CATALYST_BUSY_TIMEOUT_MS 5000
/*
 * catalyst_db_each_type reads the rows this many at a time, by primary key,
 * in one statement: one read lock and one check of the file per batch
 * rather than per row, and SQLite keeps its buffers from row to row. The
 * rows are handed out after the batch is read, with no lock held.
 */
#define CATALYST_READ_BATCH 64

/* The ContentType columns we read, in the order of the SELECT. */
enum col {
	COL_ID,
	COL_WEBSITE_ID,
	COL_NAME,
	COL_FIELDS,
	COL_SETTINGS,
	COL_KEY,
	COL_PLURAL_NAME,
	COL_DISPLAY_FIELD,
	COL_CATEGORY,
	COL_CREATED_AT,
	COL_UPDATED_AT,
	COL_NR
};

static const char *const col_names[COL_NR] = {
	"id",	    "websiteId", "name",       "fields",
	"settings", "key",	 "pluralName", "displayField",
	"category", "createdAt", "updatedAt",
};

/* The SELECT fragment of each column, when present and when absent. */
static const char *const col_present[COL_NR] = {
	"\"id\"",	"\"websiteId\"", "\"name\"",	   "\"fields\"",
	"\"settings\"", "\"key\"",	 "\"pluralName\"", "\"displayField\"",
	"\"category\"", "\"createdAt\"", "\"updatedAt\"",
};

/*
 * createdAt as milliseconds, whatever its storage: INTEGER ms, digits as
 * TEXT, or date text SQLite understands ('YYYY-MM-DD HH:MM:SS', ISO 8601
 * with Z or an offset). Used for ordering only.
 */
#define ORDER_CREATED                                                          \
	"CASE typeof(\"createdAt\")"                                           \
	" WHEN 'integer' THEN \"createdAt\""                                   \
	" WHEN 'real' THEN CAST(\"createdAt\" AS INTEGER)"                     \
	" WHEN 'text' THEN CASE WHEN \"createdAt\" NOT GLOB '*[^0-9]*'"        \
	" THEN CAST(\"createdAt\" AS INTEGER)"                                 \
	" ELSE CAST(round((julianday(\"createdAt\") - 2440587.5)"              \
	" * 86400000.0) AS INTEGER) END"                                       \
	" END"

struct catalyst_db {
	sqlite3 *db;
	char *path;
	char **columns; /* every column of ContentType, as named */
	size_t nr_columns;
	int has[COL_NR];
	int has_website_table;
	int utf8; /* the database's text encoding is UTF-8 */
};

/* Records "WHAT 'PATH': SQLITE-MESSAGE" with code. */
static int db_error(struct catalyst_db *db, int code, const char *what)
{
	return err_set(code, "%s '%s': %s", what, db->path,
		       sqlite3_errmsg(db->db));
}

/* The first read of a file tells whether it is a database at all. */
static int columns_error(struct catalyst_db *db, int rc)
{
	if (rc == SQLITE_NOTADB)
		return err_set(ERR_INVALID,
			       "'%s' is not a Catalyst database (%s)", db->path,
			       sqlite3_errmsg(db->db));
	return db_error(db, ERR_GENERIC, "cannot read");
}

static int read_columns(struct catalyst_db *db)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc, ret = -1;

	rc = sqlite3_prepare_v2(db->db, "PRAGMA table_info(\"ContentType\")",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = columns_error(db, rc);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);

		if (!name)
			continue;
		ALLOC_GROW(db->columns, db->nr_columns + 1, alloc);
		db->columns[db->nr_columns++] = xstrdup(name);
		for (int i = 0; i < COL_NR; i++)
			if (!strcmp(name, col_names[i]))
				db->has[i] = 1;
	}
	if (rc != SQLITE_DONE) {
		ret = columns_error(db, rc);
		goto out;
	}
	if (!db->nr_columns) {
		ret = err_set(ERR_INVALID,
			      "'%s' is not a Catalyst database (no ContentType "
			      "table)",
			      db->path);
		goto out;
	}
	for (int i = COL_ID; i <= COL_FIELDS; i++) {
		if (!db->has[i]) {
			ret = err_set(ERR_INVALID,
				      "'%s' is not a Catalyst database (its "
				      "ContentType table has no '%s' column)",
				      db->path, col_names[i]);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int find_website_table(struct catalyst_db *db)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	rc = sqlite3_prepare_v2(db->db,
				"SELECT 1 FROM sqlite_master WHERE type IN "
				"('table', 'view') AND name = 'Website'",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = db_error(db, ERR_GENERIC, "cannot read");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		ret = db_error(db, ERR_GENERIC, "cannot read");
		goto out;
	}
	db->has_website_table = rc == SQLITE_ROW;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* Whether the database stores its text as UTF-8 (else UTF-16). */
static int find_encoding(struct catalyst_db *db)
{
	sqlite3_stmt *st = NULL;
	const char *enc;
	int ret = -1;

	if (sqlite3_prepare_v2(db->db, "PRAGMA encoding", -1, &st, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		ret = db_error(db, ERR_GENERIC, "cannot read");
		goto out;
	}
	enc = (const char *)sqlite3_column_text(st, 0);
	db->utf8 = enc && !strcmp(enc, "UTF-8");
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int open_mode(struct catalyst_db **out, const char *path, int flags)
{
	struct catalyst_db *db = xcalloc(1, sizeof(*db));
	struct stat st;
	int rc, ret = -1;

	*out = NULL;
	db->path = xstrdup(path);
	if (stat(path, &st) < 0) {
		ret = err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_GENERIC,
			      "cannot open Catalyst database '%s': %s", path,
			      strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = err_set(ERR_INVALID,
			      "cannot open Catalyst database '%s': it is a "
			      "directory",
			      path);
		goto out;
	}
	rc = sqlite3_open_v2(path, &db->db, flags, NULL);
	if (rc != SQLITE_OK) {
		ret = err_set(ERR_GENERIC,
			      "cannot open Catalyst database '%s': %s", path,
			      db->db ? sqlite3_errmsg(db->db)
				     : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(db->db, CATALYST_BUSY_TIMEOUT_MS);
	ret = read_columns(db);
	if (ret < 0)
		goto out;
	ret = find_website_table(db);
	if (ret < 0)
		goto out;
	ret = find_encoding(db);
	if (ret < 0)
		goto out;
	*out = db;
	db = NULL;
	ret = 0;
out:
	catalyst_db_close(db);
	return ret;
}

int catalyst_db_open(struct catalyst_db **out, const char *path)
{
	return open_mode(out, path, SQLITE_OPEN_READONLY);
}

int catalyst_db_open_rw(struct catalyst_db **out, const char *path)
{
	return open_mode(out, path, SQLITE_OPEN_READWRITE);
}

struct sqlite3 *catalyst_db_handle(struct catalyst_db *db)
{
	return db->db;
}

const char *catalyst_db_path(const struct catalyst_db *db)
{
	return db->path;
}

void catalyst_db_close(struct catalyst_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->db);
	for (size_t i = 0; i < db->nr_columns; i++)
		free(db->columns[i]);
	free(db->columns);
	free(db->path);
	free(db);
}

int catalyst_db_has_column(const struct catalyst_db *db, const char *column)
{
	for (size_t i = 0; i < db->nr_columns; i++)
		if (!strcmp(db->columns[i], column))
			return 1;
	return 0;
}

static json_t *column_json(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? json_string(s) : json_null();
}

int catalyst_db_websites(struct catalyst_db *db, json_t **out)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	const char *sql;
	int rc, ret = -1;

	*out = NULL;
	/*
	 * Without a Website table (a trimmed copy of the database), the
	 * websites are the websiteIds the types name, each named by its id.
	 */
	if (db->has_website_table)
		sql = "SELECT w.\"id\", w.\"name\", COUNT(ct.\"id\")"
		      " FROM \"Website\" w"
		      " LEFT JOIN \"ContentType\" ct"
		      " ON ct.\"websiteId\" = w.\"id\""
		      " WHERE w.\"id\" IS NOT NULL"
		      " GROUP BY w.\"id\", w.\"name\""
		      " ORDER BY w.\"name\", w.\"id\"";
	else
		sql = "SELECT \"websiteId\", \"websiteId\", COUNT(*)"
		      " FROM \"ContentType\""
		      " WHERE \"websiteId\" IS NOT NULL"
		      " GROUP BY \"websiteId\""
		      " ORDER BY \"websiteId\"";
	rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = db_error(db, ERR_GENERIC, "cannot read the websites of");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *w = json_object();

		json_object_set_new(w, "id", column_json(st, 0));
		json_object_set_new(w, "name", column_json(st, 1));
		json_object_set_new(w, "types",
				    json_integer(sqlite3_column_int64(st, 2)));
		json_array_append_new(arr, w);
	}
	if (rc != SQLITE_DONE) {
		ret = db_error(db, ERR_GENERIC, "cannot read the websites of");
		goto out;
	}
	*out = arr;
	arr = NULL;
	ret = 0;
out:
	sqlite3_finalize(st);
	json_decref(arr);
	return ret;
}

/* Appends "'name' (id), ..." for every website to b. */
static void list_websites(struct buf *b, const json_t *websites)
{
	const json_t *w;
	size_t i;

	json_array_foreach(websites, i, w)
	{
		const char *id = json_string_value(json_object_get(w, "id"));
		const char *name =
			json_string_value(json_object_get(w, "name"));

		buf_addf(b, "%s'%s' (%s)", i ? ", " : "", name ? name : "",
			 id ? id : "");
	}
}

int catalyst_db_resolve_website(struct catalyst_db *db, const char *spec,
				char **id_out)
{
	json_t *websites = NULL;
	const json_t *w, *match = NULL;
	struct buf list = BUF_INIT;
	size_t i, nr_named = 0;
	int ret;

	*id_out = NULL;
	ret = catalyst_db_websites(db, &websites);
	if (ret < 0)
		goto out;

	if (!spec) {
		if (json_array_size(websites) == 1) {
			match = json_array_get(websites, 0);
		} else if (!json_array_size(websites)) {
			ret = err_set(ERR_NOTFOUND, "'%s' has no websites",
				      db->path);
			goto out;
		} else {
			list_websites(&list, websites);
			ret = err_set(ERR_INVALID,
				      "'%s' has %zu websites; choose one by "
				      "id or name: %s",
				      db->path, json_array_size(websites),
				      list.ptr);
			goto out;
		}
	}

	/* An id wins over a name; ids are unique, names need not be. */
	json_array_foreach(websites, i, w)
	{
		const char *wid = jx_str(w, "id");

		if (match)
			break;
		if (wid && !strcmp(spec, wid))
			match = w;
	}
	if (!match) {
		json_array_foreach(websites, i, w)
		{
			const char *name =
				json_string_value(json_object_get(w, "name"));

			if (!name || strcmp(spec, name))
				continue;
			buf_addf(&list, "%s%s", nr_named ? ", " : "",
				 json_string_value(json_object_get(w, "id")));
			nr_named++;
			match = w;
		}
		if (nr_named > 1) {
			ret = err_set(ERR_INVALID,
				      "website name '%s' is ambiguous in '%s': "
				      "give one of the ids %s",
				      spec, db->path, list.ptr);
			goto out;
		}
	}
	if (!match) {
		buf_reset(&list);
		list_websites(&list, websites);
		ret = err_set(ERR_NOTFOUND,
			      "no website '%s' in '%s'; websites: %s", spec,
			      db->path,
			      json_array_size(websites) ? list.ptr : "none");
		goto out;
	}
	*id_out = xstrdup(json_string_value(json_object_get(match, "id")));
	ret = 0;
out:
	json_decref(websites);
	buf_release(&list);
	return ret;
}

static char *column_strdup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? xstrdup(s) : NULL;
}

long long catalyst_column_time(sqlite3_stmt *st, int i,
			       enum catalyst_time_format *fmt)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		*fmt = CATALYST_TIME_MILLIS;
		return sqlite3_column_int64(st, i);
	case SQLITE_FLOAT:
		*fmt = CATALYST_TIME_MILLIS;
		return (long long)sqlite3_column_double(st, i);
	case SQLITE_NULL:
		*fmt = CATALYST_TIME_NULL;
		return -1;
	default:
		return catalyst_parse_time(
			(const char *)sqlite3_column_text(st, i), fmt);
	}
}

/* What a SELECT of the ContentType columns is for. */
enum select_mode {
	SELECT_HEADERS, /* every row of a website, in order, not the heavy */
	SELECT_ONE,	/* one row by id (?1) */
	SELECT_BATCH,	/* the rows of CATALYST_READ_BATCH ids (?1...) */
};

/*
 * The SELECT of the ContentType columns: ordered by createdAt then id and
 * limited to a website (?1) for the headers, with fields and settings left
 * out so that the sort carries little; else rows by id.
 */
static void build_select(struct buf *sql, const struct catalyst_db *db,
			 enum select_mode mode, int by_website)
{
	int headers = mode == SELECT_HEADERS;

	buf_adds(sql, "SELECT ");
	for (int i = 0; i < COL_NR; i++) {
		int heavy = i == COL_FIELDS || i == COL_SETTINGS;

		if (i)
			buf_adds(sql, ", ");
		buf_adds(sql, db->has[i] && !(headers && heavy) ? col_present[i]
								: "NULL");
	}
	buf_adds(sql, " FROM \"ContentType\"");
	if (mode == SELECT_ONE) {
		buf_adds(sql, " WHERE \"id\" = ?1");
		return;
	}
	if (mode == SELECT_BATCH) {
		buf_adds(sql, " WHERE \"id\" IN (");
		for (int i = 1; i <= CATALYST_READ_BATCH; i++)
			buf_addf(sql, "%s?%d", i > 1 ? ", " : "", i);
		buf_addch(sql, ')');
		return;
	}
	if (by_website)
		buf_adds(sql, " WHERE \"websiteId\" = ?1");
	if (db->has[COL_CREATED_AT])
		buf_adds(sql, " ORDER BY " ORDER_CREATED ", \"id\"");
	else
		buf_adds(sql, " ORDER BY \"id\"");
}

static void fill_row(struct catalyst_row *row, sqlite3_stmt *st)
{
	enum catalyst_time_format created_fmt, updated_fmt;

	row->id = column_strdup(st, COL_ID);
	row->website_id = column_strdup(st, COL_WEBSITE_ID);
	row->name = column_strdup(st, COL_NAME);
	row->fields_json = column_strdup(st, COL_FIELDS);
	row->settings_json = column_strdup(st, COL_SETTINGS);
	row->key = column_strdup(st, COL_KEY);
	row->plural_name = column_strdup(st, COL_PLURAL_NAME);
	row->display_field = column_strdup(st, COL_DISPLAY_FIELD);
	row->category = column_strdup(st, COL_CATEGORY);
	row->created_ms = catalyst_column_time(st, COL_CREATED_AT, &created_fmt);
	row->updated_ms = catalyst_column_time(st, COL_UPDATED_AT, &updated_fmt);
	row->time_format = created_fmt != CATALYST_TIME_NULL ? created_fmt
							     : updated_fmt;
}

/*
 * A text column of st as a string in *b (reused from row to row), or NULL
 * for NULL. sqlite3_column_text would make SQLite copy the value once more
 * to add a NUL, a large allocation per row for fields; the bytes of a UTF-8
 * text are taken as they are instead.
 */
static const char *column_text_into(const struct catalyst_db *db,
				    sqlite3_stmt *st, int i, struct buf *b)
{
	const void *p;
	int n;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	if (db->utf8 && sqlite3_column_type(st, i) == SQLITE_TEXT)
		p = sqlite3_column_blob(st, i);
	else
		p = sqlite3_column_text(st, i);
	n = sqlite3_column_bytes(st, i);
	buf_reset(b);
	if (p && n > 0)
		buf_add(b, p, (size_t)n);
	return b->ptr;
}

/* The string members of a row, and their columns. */
#define ROW_TEXTS 9

static char **row_text(struct catalyst_row *row, size_t i)
{
	char **members[ROW_TEXTS] = {
		&row->id,	   &row->website_id,	&row->name,
		&row->fields_json, &row->settings_json, &row->key,
		&row->plural_name, &row->display_field, &row->category,
	};

	return members[i];
}

static const int row_text_cols[ROW_TEXTS] = {
	COL_ID,	 COL_WEBSITE_ID,  COL_NAME,	     COL_FIELDS,   COL_SETTINGS,
	COL_KEY, COL_PLURAL_NAME, COL_DISPLAY_FIELD, COL_CATEGORY,
};

/* A row read ahead of its turn; its strings live in text[]. */
struct held_row {
	struct catalyst_row row;
	struct buf text[ROW_TEXTS];
	int present;
};

/* Like fill_row, into h (whose buffers are reused). */
static void hold_row(struct held_row *h, sqlite3_stmt *st,
		     const struct catalyst_db *db)
{
	enum catalyst_time_format created_fmt, updated_fmt;
	struct catalyst_row *row = &h->row;

	for (size_t i = 0; i < ROW_TEXTS; i++)
		*row_text(row, i) = (char *)column_text_into(
			db, st, row_text_cols[i], &h->text[i]);
	row->created_ms =
		catalyst_column_time(st, COL_CREATED_AT, &created_fmt);
	row->updated_ms =
		catalyst_column_time(st, COL_UPDATED_AT, &updated_fmt);
	row->time_format =
		created_fmt != CATALYST_TIME_NULL ? created_fmt : updated_fmt;
	h->present = 1;
}

/*
 * Like fill_row, but the strings are borrowed from st: valid until it is
 * stepped, reset or finalized. For rows handed to a callback.
 */
static void fill_row_borrowed(struct catalyst_row *row, sqlite3_stmt *st)
{
	enum catalyst_time_format created_fmt, updated_fmt;

	for (size_t i = 0; i < ROW_TEXTS; i++)
		*row_text(row, i) =
			(char *)sqlite3_column_text(st, row_text_cols[i]);
	row->created_ms =
		catalyst_column_time(st, COL_CREATED_AT, &created_fmt);
	row->updated_ms =
		catalyst_column_time(st, COL_UPDATED_AT, &updated_fmt);
	row->time_format =
		created_fmt != CATALYST_TIME_NULL ? created_fmt : updated_fmt;
}

static int prepare(struct catalyst_db *db, sqlite3_stmt **st,
		   enum select_mode mode, const char *website_id)
{
	struct buf sql = BUF_INIT;
	int ret = 0;

	build_select(&sql, db, mode, website_id != NULL);
	if (sqlite3_prepare_v2(db->db, sql.ptr, (int)sql.len, st, NULL) !=
		    SQLITE_OK ||
	    (website_id && sqlite3_bind_text(*st, 1, website_id, -1,
					     SQLITE_TRANSIENT) != SQLITE_OK))
		ret = db_error(db, ERR_GENERIC, "cannot read content types of");
	buf_release(&sql);
	return ret;
}

int catalyst_db_each_header(struct catalyst_db *db, const char *website_id,
			    catalyst_row_fn fn, void *payload)
{
	struct catalyst_row row = {0};
	sqlite3_stmt *st = NULL;
	int rc, ret;

	if ((ret = prepare(db, &st, SELECT_HEADERS, website_id)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fill_row_borrowed(&row, st);
		ret = fn(&row, payload);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = db_error(db, ERR_GENERIC, "cannot read content types of");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int catalyst_db_get_type(struct catalyst_db *db, const char *id,
			 struct catalyst_row *row)
{
	sqlite3_stmt *st = NULL;
	int rc, ret;

	memset(row, 0, sizeof(*row));
	if ((ret = prepare(db, &st, SELECT_ONE, NULL)) < 0)
		goto out;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK) {
		ret = db_error(db, ERR_GENERIC, "cannot read content types of");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = err_set(ERR_NOTFOUND, "no content type '%s' in '%s'", id,
			      db->path);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		ret = db_error(db, ERR_GENERIC, "cannot read content types of");
		goto out;
	}
	fill_row(row, st);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

struct id_list {
	char **ids;
	size_t nr, alloc;
};

static int collect_id(const struct catalyst_row *row, void *payload)
{
	struct id_list *l = payload;

	ALLOC_GROW(l->ids, l->nr + 1, l->alloc);
	l->ids[l->nr++] = xstrdup(row->id ? row->id : "");
	return 0;
}

/*
 * Reads the rows of ids[0..nr) (nr <= CATALYST_READ_BATCH) into held[],
 * each at the position of its id; a row deleted since the header query is
 * not present.
 */
static int read_batch(struct catalyst_db *db, sqlite3_stmt *st,
		      char *const *ids, size_t nr, struct held_row *held)
{
	int rc, ret = 0;

	for (size_t i = 0; i < CATALYST_READ_BATCH; i++) {
		held[i].present = 0;
		rc = i < nr ? sqlite3_bind_text(st, (int)i + 1, ids[i], -1,
						SQLITE_STATIC)
			    : sqlite3_bind_null(st, (int)i + 1);
		if (rc != SQLITE_OK)
			goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, COL_ID);
		size_t at = 0;

		while (at < nr &&
		       (held[at].present || !id || strcmp(ids[at], id)))
			at++;
		if (at < nr)
			hold_row(&held[at], st, db);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	goto out;
fail:
	ret = db_error(db, ERR_GENERIC, "cannot read content types of");
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/*
 * The order comes from the light header query, then the rows are read by
 * their primary keys, a batch at a time: sorting whole rows would make
 * SQLite carry every fields document through its sorter (and spill it to
 * disk for large models).
 */
int catalyst_db_each_type(struct catalyst_db *db, const char *website_id,
			  catalyst_row_fn fn, void *payload)
{
	struct id_list order = {0};
	struct held_row *held = NULL;
	sqlite3_stmt *st = NULL;
	int ret;

	if ((ret = catalyst_db_each_header(db, website_id, collect_id,
					   &order)) < 0)
		goto out;
	if ((ret = prepare(db, &st, SELECT_BATCH, NULL)) < 0)
		goto out;
	held = xcalloc(CATALYST_READ_BATCH, sizeof(*held));
	for (size_t i = 0; i < CATALYST_READ_BATCH; i++)
		for (size_t k = 0; k < ROW_TEXTS; k++)
			held[i].text[k] = (struct buf)BUF_INIT;
	for (size_t start = 0; start < order.nr; start += CATALYST_READ_BATCH) {
		size_t n = order.nr - start;

		if (n > CATALYST_READ_BATCH)
			n = CATALYST_READ_BATCH;
		if ((ret = read_batch(db, st, order.ids + start, n, held)) < 0)
			goto out;
		for (size_t i = 0; i < n; i++) {
			if (!held[i].present)
				continue; /* deleted since the header query */
			ret = fn(&held[i].row, payload);
			if (ret)
				goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	for (size_t i = 0; held && i < CATALYST_READ_BATCH; i++)
		for (size_t k = 0; k < ROW_TEXTS; k++)
			buf_release(&held[i].text[k]);
	free(held);
	for (size_t i = 0; i < order.nr; i++)
		free(order.ids[i]);
	free(order.ids);
	return ret;
}
