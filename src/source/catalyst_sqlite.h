/*
 * catalyst_sqlite: reading Catalyst's SQLite database (brief §3, §4).
 *
 * Catalyst's tables are Prisma models: quoted, case-sensitive names
 * ("ContentType", "websiteId"). The columns differ between Catalyst versions
 * (key, pluralName, displayField, category and settings may or may not
 * exist), so the reader looks at the table's columns once and selects what
 * is there. Rows are handed out one at a time, so memory stays flat however
 * many types there are.
 */
#ifndef SOURCE_CATALYST_SQLITE_H
#define SOURCE_CATALYST_SQLITE_H

#include <jansson.h>

struct catalyst_db;
struct catalyst_row;

/* Opens the database read-only. Errors name the path. */
int catalyst_db_open(struct catalyst_db **out, const char *path)
	__attribute__((warn_unused_result));
void catalyst_db_close(struct catalyst_db *db);

/*
 * The websites as a new JSON array [{id, name, types}] ordered by name, with
 * the number of content types of each.
 */
int catalyst_db_websites(struct catalyst_db *db, json_t **out)
	__attribute__((warn_unused_result));

/*
 * Resolves a website given by id or by name. With spec NULL: the only
 * website, or an error listing them when there are several. *id_out is
 * malloc'd. ERR_NOTFOUND when none matches, ERR_INVALID when a name is
 * ambiguous.
 */
int catalyst_db_resolve_website(struct catalyst_db *db, const char *spec,
				char **id_out)
	__attribute__((warn_unused_result));

/*
 * Calls fn for each ContentType row of website_id (NULL: all websites),
 * ordered by createdAt then id. The row is valid during the call only. A row
 * whose columns cannot be read (a NULL fields column, a bad timestamp) is
 * still handed out: normalization reports it. fn returns 0 to go on, or an
 * error code to stop, which is returned.
 */
typedef int (*catalyst_row_fn)(const struct catalyst_row *row, void *payload);
int catalyst_db_each_type(struct catalyst_db *db, const char *website_id,
			  catalyst_row_fn fn, void *payload)
	__attribute__((warn_unused_result));

/*
 * Like catalyst_db_each_type, but without reading the heavy columns: rows
 * have fields_json and settings_json NULL. For passes that need only ids,
 * names, keys and times.
 */
int catalyst_db_each_header(struct catalyst_db *db, const char *website_id,
			    catalyst_row_fn fn, void *payload)
	__attribute__((warn_unused_result));

/*
 * A timestamp column of st, whatever its storage: INTEGER or REAL
 * milliseconds, SQL text or ISO 8601 text; -1 (and CATALYST_TIME_NULL)
 * when NULL or unreadable. Shared with the changelog reader.
 */
struct sqlite3_stmt;
enum catalyst_time_format;
long long catalyst_column_time(struct sqlite3_stmt *st, int i,
			       enum catalyst_time_format *fmt);

/* True when the ContentType table has the named column. */
int catalyst_db_has_column(const struct catalyst_db *db, const char *column);

/*
 * Opens the database read-write, for change capture and write-back
 * (source/capture.c); the same checks as catalyst_db_open, and the same
 * busy timeout, so that Catalyst's own writers are waited for.
 */
int catalyst_db_open_rw(struct catalyst_db **out, const char *path)
	__attribute__((warn_unused_result));

/* The SQLite handle of db (borrowed), for source/capture.c only. */
struct sqlite3;
struct sqlite3 *catalyst_db_handle(struct catalyst_db *db);

/* The path db was opened with (borrowed). */
const char *catalyst_db_path(const struct catalyst_db *db);

/*
 * Reads the ContentType row id into *row (released by the caller with
 * catalyst_row_release). ERR_NOTFOUND when there is no such row.
 */
int catalyst_db_get_type(struct catalyst_db *db, const char *id,
			 struct catalyst_row *row)
	__attribute__((warn_unused_result));

#endif
