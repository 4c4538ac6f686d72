/*
 * capture: change capture in Catalyst's database, and writing a content
 * type back into it (brief §7).
 *
 * catalyst-sync adds, and documents (docs/history.md), exactly these objects
 * to Catalyst's database, all prefixed _catalyst_sync_:
 *
 *   _catalyst_sync_changelog   one row per insert, update or delete of a
 *                              ContentType row, with the row's columns as
 *                              they were then (a snapshot), in order
 *   _catalyst_sync_meta        the install id (names one installation, so
 *                              that a reinstalled changelog starts afresh)
 *   _catalyst_sync_contenttype_insert / _update / _delete
 *                              AFTER triggers on "ContentType" that write
 *                              the changelog
 *
 * Nothing of Catalyst's own is changed. The triggers use core SQL only
 * (no JSON functions), so they work with whatever SQLite Catalyst's Prisma
 * engine bundles. Prisma's SQLite migrations rebuild ContentType (create
 * new_ContentType, copy, drop, rename), which drops the triggers:
 * capture_check tells, and history falls back to a full scan.
 *
 * Write-back keeps the row's own shape: the fields JSON stays an object, a
 * plain array or a JSON string of either, as it was; keys we do not
 * understand stay where they were; updatedAt is written in the format the
 * row already uses. It happens in one Catalyst transaction (BEGIN
 * IMMEDIATE with a busy timeout, so Catalyst's own writers are waited for).
 */
#ifndef SOURCE_CAPTURE_H
#define SOURCE_CAPTURE_H

#include <jansson.h>

#include "core/canon.h"
#include "core/catalyst_form.h"

struct capture;
struct catalyst_db;

#define CAPTURE_PREFIX "_catalyst_sync_"

/*
 * Opens Catalyst's database at path read-write (never creating it). Errors
 * name the path. Free with capture_close.
 */
int capture_open(struct capture **out, const char *path)
	__attribute__((warn_unused_result));
void capture_close(struct capture *c);

/* The reader on the same connection (borrowed), for catalyst_db_* calls. */
struct catalyst_db *capture_db(struct capture *c);
/* The database's path (borrowed). */
const char *capture_path(const struct capture *c);

enum capture_health {
	CAPTURE_ABSENT = 0, /* nothing of ours is installed */
	CAPTURE_OK = 1,	    /* the changelog and all three triggers */
	CAPTURE_BROKEN = 2  /* installed once, but a trigger is missing or
			       out of date (Prisma rebuilt ContentType, or
			       a column was added) */
};

struct capture_status {
	enum capture_health health;
	int triggers_nr; /* how many of our three triggers exist */
	/* How many of them differ from what capture_install makes. */
	int stale_nr;
	int has_changelog; /* the changelog table exists */
	char *install_id;  /* NULL when not installed */
};
void capture_status_release(struct capture_status *st);

/* How the change capture stands (what `status` shows). */
int capture_check(struct capture *c, struct capture_status *out)
	__attribute__((warn_unused_result));

/* A short description of a health ("installed", "missing", ...). */
const char *capture_health_name(enum capture_health h);

/*
 * Installs (or repairs) the changelog, the meta table and the triggers, in
 * one transaction. Idempotent: *changed_out (may be NULL) says whether
 * anything had to be created or replaced. A changelog that exists is kept
 * with its rows.
 */
int capture_install(struct capture *c, int *changed_out)
	__attribute__((warn_unused_result));

/*
 * Removes everything capture_install adds (triggers first, so Catalyst's
 * writes never meet a trigger without its table). *changed_out (may be
 * NULL) says whether there was anything to remove.
 */
int capture_uninstall(struct capture *c, int *changed_out)
	__attribute__((warn_unused_result));

enum capture_op { CAPTURE_INSERT = 0, CAPTURE_UPDATE = 1, CAPTURE_DELETE = 2 };

/* One changelog row: the ContentType row as it was after the change (before
 * it, for a delete). */
struct capture_change {
	long long id;
	enum capture_op op;
	long long changed_ms;
	struct catalyst_row row;
};

typedef int (*capture_change_fn)(const struct capture_change *ch,
				 void *payload);

/*
 * Calls fn for each changelog row with an id greater than after_id, in id
 * order (the order the changes happened). fn returns 0 to go on or an
 * error code to stop, which is returned. ERR_NOTFOUND when there is no
 * changelog.
 */
int capture_each_change(struct capture *c, long long after_id,
			capture_change_fn fn, void *payload)
	__attribute__((warn_unused_result));

/* The greatest changelog id (0 when empty or absent). */
int capture_last_change(struct capture *c, long long *out)
	__attribute__((warn_unused_result));

/*
 * A transaction on Catalyst's database: capture_begin(c, 0) for a
 * consistent read (a full scan, the changelog and the rows together),
 * capture_begin(c, 1) to write (BEGIN IMMEDIATE). capture_rollback is for
 * error paths and never fails.
 */
int capture_begin(struct capture *c, int write)
	__attribute__((warn_unused_result));
int capture_commit(struct capture *c) __attribute__((warn_unused_result));
void capture_rollback(struct capture *c);

/* Which optional ContentType columns exist (they differ by version). */
struct capture_columns {
	int settings, key, plural_name, display_field, category;
};

/*
 * The pure part of write-back: the row that holds form in the shape of
 * row. old_form is row's own Catalyst form (catalyst_form_from_row). Fills
 * out (released with catalyst_row_release) with row's id, website and
 * times and new name, fields_json, settings_json and optional columns;
 * members that did not change keep row's exact text. ERR_INVALID when form
 * holds something the row has no place for (relationships in a plain
 * array, a category without a category or settings column, ...) or is not
 * a Catalyst form of this row (another id or website).
 */
int capture_render(struct catalyst_row *out, const struct catalyst_row *row,
		   const json_t *old_form, const json_t *form,
		   const struct capture_columns *cols)
	__attribute__((warn_unused_result));

/*
 * What form becomes once written into the row of its type, as read back:
 * *stored_out is the Catalyst form of the rendered row (a new reference)
 * and hash_out its content hash; old_hash_out (may be NULL) the content
 * hash of the row now. Nothing is written. ERR_NOTFOUND when the row does
 * not exist.
 */
int capture_prepare(struct capture *c, const json_t *form, json_t **stored_out,
		    char hash_out[CANON_HASH_LEN + 1],
		    char old_hash_out[CANON_HASH_LEN + 1])
	__attribute__((warn_unused_result));

/*
 * Writes form (as capture_prepare gave it) into its row, in one Catalyst
 * transaction, updatedAt set in the row's own format. The row must still
 * hold the content expect_hash (may be NULL: any content), else
 * ERR_CONFLICT and nothing is written. Returns 1 without writing when the
 * row holds form's content already, 0 when it was written.
 */
int capture_write(struct capture *c, const json_t *form,
		  const char *expect_hash) __attribute__((warn_unused_result));

/*
 * Inserts a new ContentType row holding form, a Catalyst form (its id, if
 * any, is ignored: a new id is made), for website_id, in one Catalyst
 * transaction (BEGIN IMMEDIATE, busy timeout as capture_write). The row
 * looks like the rows already there:
 *
 * - the id is a UUID v4 when most ids of the table look like UUIDs, else a
 *   Prisma cuid ("c" + 24 lowercase base36 characters; also when the table
 *   is empty);
 * - the fields JSON is Catalyst's object ({name, pluralName, icon,
 *   description, fields: [...], relationships: [...], extra members}) or a
 *   plain array of fields, whichever most of the website's rows use (of
 *   the whole table's when the website has none; the object on a tie or
 *   when there are no rows), wrapped in a JSON string when most are. A
 *   form a plain array cannot hold (relationships, extra members, icon or
 *   description without a settings column) is written as the object, the
 *   shape Catalyst's own service writes. Fields are written in "order"
 *   when every field has a numeric one, else as they come;
 * - createdAt and updatedAt are now, each in the format most of those
 *   rows use (INTEGER milliseconds, digits, 'YYYY-MM-DD HH:MM:SS' or ISO
 *   text with or without milliseconds and zone; INTEGER ms when none);
 * - category goes to its column when the table has one, else to
 *   settings.category (nothing for "component", the reader's default);
 *   key, pluralName, displayField, icon and description go to their
 *   columns when the table has them. A key column always gets a value
 *   (Catalyst's: the name lowercased, runs of white space as '_'), a
 *   required pluralName column the UI's default (name + "s"), a required
 *   displayField column the first field's name.
 *
 * ERR_INVALID when form cannot be held faithfully (no name, a member with
 * no place, or it would read back as other content than form plus what
 * the row adds by design: the generated columns and the members routed
 * into settings; a field without required or order reads back with the
 * reader's defaults, false and its position, which is no difference).
 * ERR_NOTFOUND when the database has a Website table
 * without website_id. ERR_CONFLICT when the website already has a type of
 * that name (exact match) or, with a key column, of that key. Nothing is
 * written on error. *stored_out (may be NULL) gets the Catalyst form of
 * the new row as read back (with its id; a new reference), *id_out (may
 * be NULL) the new id (malloc'd). The change-capture triggers, when
 * installed, log the INSERT like any other.
 */
int capture_create(struct capture *c, const char *website_id,
		   const json_t *form, json_t **stored_out, char **id_out)
	__attribute__((warn_unused_result));

/*
 * Deletes the ContentType row type_id, in one Catalyst transaction, when it
 * still holds the content expect_hash (a content hash as canon_content_hash
 * gives of catalyst_form_from_row; NULL: any content). ERR_CONFLICT, and
 * nothing deleted, when it holds something else (or no longer reads as a
 * Catalyst form), or when rows of another table still refer to it by a
 * foreign key (Catalyst's ContentItem rows: deleting the type would orphan
 * them, or with Catalyst's ON DELETE CASCADE delete them, and content is
 * not ours to remove). ERR_NOTFOUND when there is no such row. The
 * change-capture triggers, when installed, log the DELETE.
 */
int capture_delete(struct capture *c, const char *type_id,
		   const char *expect_hash) __attribute__((warn_unused_result));

/* Serializes v as JavaScript's JSON.stringify does (insertion order, no
 * spaces, ECMAScript numbers), as Catalyst itself writes its JSON. */
struct buf;
int capture_stringify(struct buf *out, const json_t *v)
	__attribute__((warn_unused_result));

#endif
