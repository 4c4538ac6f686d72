/*
 * store_sqlite: the SQLite backend of the state store (brief §13).
 *
 * One file in WAL mode, synchronous=NORMAL (FULL with durability: full),
 * foreign keys on, a busy timeout so that writers queue. Migrations
 * (migrations.c) are applied in order at open, each in its own
 * BEGIN IMMEDIATE transaction. Every statement is prepared from constant
 * text (or, for the version, history and conflict queries, from constant
 * fragments) and every value is bound; frequently used statements are
 * prepared once and cached.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define STORE_BUSY_TIMEOUT_MS 10000

enum stmt_id {
	S_META_GET,
	S_META_SET,
	S_TARGET_PUT,
	S_TYPE_KEY_GET,
	S_TYPE_KEY_FIND,
	S_TYPE_KEY_PUT,
	S_TYPE_KEYS_ALL,
	S_TYPE_KEYS_WEBSITE,
	S_FIELD_KEYS,
	S_FIELD_KEY_HOLDER,
	S_FIELD_KEY_PUT,
	S_OVERLAY_GET,
	S_OVERLAY_PUT,
	S_VERSION_EXISTS,
	S_VERSION_INSERT,
	S_PARENT_INSERT,
	S_PARENT_UNHEAD,
	S_PARENTS_OF,
	S_VERSION_GET,
	S_VERSION_RESOLVE,
	S_VERSION_HEADS,
	S_VERSION_MAINLINE,
	S_VERSION_TYPES,
	S_INTENT_ADD,
	S_INTENT_FINISH,
	S_INTENT_PENDING,
	S_LOCK_GET,
	S_LOCK_INSERT,
	S_LOCK_REPLACE,
	S_LOCK_RENEW,
	S_LOCK_RELEASE,
	S_SYNC_GET,
	S_SYNC_PUT,
	S_SYNC_LIST_ALL,
	S_SYNC_LIST_TYPE,
	S_RUN_PUT,
	S_RUN_UPDATE,
	S_RUN_GET,
	S_RUN_EXISTS,
	S_RUN_RESOLVE,
	S_RUN_LIST_ALL,
	S_RUN_LIST_TARGET,
	S_RUN_UNFINISHED_ALL,
	S_RUN_UNFINISHED_TARGET,
	S_OP_PUT,
	S_OPS,
	S_HISTORY_ADD,
	S_BACKUP_ADD,
	S_BACKUP_GET,
	S_BACKUPS_OF_RUN,
	S_BACKUP_LATEST,
	S_GC_OPS,
	S_GC_HISTORY,
	S_GC_BACKUPS,
	S_GC_RUNS,
	S_GC_INTENTS,
	S_GC_CONFLICTS,
	S_CONFLICT_SAME,
	S_CONFLICT_SUPERSEDE,
	S_CONFLICT_INSERT,
	S_CONFLICT_RESOLVE_ID,
	S_CONFLICT_RESOLVE,
	S_NR
};

/* The columns of a version row, in the order version_from_row reads. */
#define VERSION_COLS                                                           \
	"seq, version_id, type_id, website_id, type_key, name, content_hash, " \
	"deleted, change_source, author, message, created_at, "                \
	"changelog_install, changelog_id, mainline"
#define VERSION_COLS_NR 15

/* The columns of a run row, in the order run_from_row reads. */
#define RUN_COLS                                                               \
	"run_id, target, mode, status, requested_by, plan, summary, "          \
	"started_at, finished_at"
/* The columns of a journal row (op_from_row). */
#define OP_COLS                                                                \
	"run_id, seq, type_id, type_key, action, state, request, response, "   \
	"etag, error, attempts, started_at, finished_at"
/* The columns of a history row (history_json). */
#define HISTORY_COLS                                                           \
	"id, run_id, target, type_id, type_key, version_id, direction, "       \
	"action, status, pushed_data, response_data, error_message, "          \
	"requested_by, started_at, completed_at"
/* The columns of a backup row (backup_from_row, backup_json). */
#define BACKUP_COLS                                                            \
	"id, run_id, target, type_id, type_key, remote_doc, etag, created_at"
/* The columns of a conflict row (conflict_from_row). */
#define CONFLICT_COLS                                                          \
	"id, origin, target, type_id, type_key, path, segments, "              \
	"conflict_type, base_value, local_value, remote_value, base_hash, "    \
	"local_hash, remote_hash, run_id, resolution, resolved_value, "        \
	"resolved_by, resolved_at, created_at"
/* The pending conflicts of one (origin ?1, target ?2, type ?3, path ?4). */
#define CONFLICT_SAME_PLACE                                                    \
	" WHERE origin = ?1 AND target IS ?2 AND type_id = ?3 AND path = ?4"   \
	" AND resolution = 'pending'"
/*
 * The runs retention removes (?1 is the cutoff): finished, and finished
 * (else started) before it. Running and interrupted runs stay.
 */
#define GC_RUNS                                                                \
	"SELECT run_id FROM sync_runs"                                         \
	" WHERE status IN ('done', 'partial', 'failed')"                       \
	" AND coalesce(finished_at, started_at) < ?1"

static const char *const stmt_sql[S_NR] = {
	[S_META_GET] = "SELECT value FROM store_info WHERE key = ?1",
	[S_META_SET] =
		"INSERT INTO store_info (key, value) VALUES (?1, ?2)"
		" ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	[S_TARGET_PUT] =
		"INSERT INTO targets (name, url, website_id, created_at,"
		" updated_at) VALUES (?1, ?2, ?3, ?4, ?4)"
		" ON CONFLICT (name) DO UPDATE SET url = excluded.url,"
		" website_id = excluded.website_id,"
		" updated_at = excluded.updated_at",
	[S_TYPE_KEY_GET] = "SELECT key FROM type_map WHERE type_id = ?1",
	[S_TYPE_KEY_FIND] = "SELECT type_id FROM type_map"
			    " WHERE website_id = ?1 AND key = ?2",
	[S_TYPE_KEY_PUT] =
		"INSERT INTO type_map (type_id, website_id, key, origin,"
		" created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
		" ON CONFLICT (type_id) DO UPDATE SET"
		" website_id = excluded.website_id, key = excluded.key,"
		" origin = excluded.origin, updated_at = excluded.updated_at",
	[S_TYPE_KEYS_ALL] =
		"SELECT type_id, key FROM type_map ORDER BY type_id",
	[S_TYPE_KEYS_WEBSITE] = "SELECT type_id, key FROM type_map"
				" WHERE website_id = ?1 ORDER BY type_id",
	[S_FIELD_KEYS] = "SELECT field_ref, field_name, key FROM field_map"
			 " WHERE type_id = ?1 ORDER BY field_ref",
	[S_FIELD_KEY_HOLDER] = "SELECT field_ref FROM field_map"
			       " WHERE type_id = ?1 AND key = ?2",
	[S_FIELD_KEY_PUT] =
		"INSERT INTO field_map (type_id, field_ref, field_name, key,"
		" created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
		" ON CONFLICT (type_id, field_ref) DO UPDATE SET"
		" field_name = excluded.field_name, key = excluded.key,"
		" updated_at = excluded.updated_at",
	[S_OVERLAY_GET] = "SELECT overlay FROM target_overlay"
			  " WHERE target = ?1 AND type_id = ?2",
	[S_OVERLAY_PUT] =
		"INSERT INTO target_overlay (target, type_id, overlay,"
		" updated_at) VALUES (?1, ?2, ?3, ?4)"
		" ON CONFLICT (target, type_id) DO UPDATE SET"
		" overlay = excluded.overlay, updated_at = excluded.updated_at",
	[S_VERSION_EXISTS] = "SELECT type_id FROM content_type_versions WHERE "
			     "version_id = ?1",
	[S_VERSION_INSERT] =
		"INSERT INTO content_type_versions (version_id, type_id,"
		" website_id, type_key, name, content_hash, content_snapshot,"
		" deleted, change_source, author, message, created_at,"
		" changelog_install, changelog_id, mainline)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13, ?14, ?15)",
	[S_PARENT_INSERT] = "INSERT INTO version_parents (version_id,"
			    " parent_id, parent_order) VALUES (?1, ?2, ?3)",
	[S_PARENT_UNHEAD] = "UPDATE content_type_versions SET is_head = 0"
			    " WHERE version_id = ?1 AND is_head = 1",
	[S_PARENTS_OF] = "SELECT parent_id FROM version_parents"
			 " WHERE version_id = ?1 ORDER BY parent_order",
	[S_VERSION_GET] = "SELECT " VERSION_COLS ", content_snapshot"
			  " FROM content_type_versions WHERE version_id = ?1",
	[S_VERSION_RESOLVE] = "SELECT version_id FROM content_type_versions"
			      " WHERE version_id >= ?1 AND version_id < ?2"
			      " ORDER BY version_id LIMIT 6",
	[S_VERSION_HEADS] = "SELECT " VERSION_COLS ", NULL"
			    " FROM content_type_versions"
			    " WHERE type_id = ?1 AND is_head = 1"
			    " ORDER BY seq DESC",
	[S_VERSION_MAINLINE] = "SELECT " VERSION_COLS ", content_snapshot"
			       " FROM content_type_versions"
			       " WHERE type_id = ?1 AND mainline = 1"
			       " ORDER BY seq DESC LIMIT 1",
	[S_VERSION_TYPES] = "SELECT type_id, max(website_id)"
			    " FROM content_type_versions GROUP BY type_id",
	[S_INTENT_ADD] = "INSERT INTO intents (kind, type_id, state, payload,"
			 " created_at) VALUES (?1, ?2, 'pending', ?3, ?4)",
	[S_INTENT_FINISH] = "UPDATE intents SET state = ?2, note = ?3,"
			    " finished_at = ?4"
			    " WHERE id = ?1 AND state = 'pending'",
	[S_INTENT_PENDING] = "SELECT id, kind, type_id, state, payload, note,"
			     " created_at FROM intents"
			     " WHERE state = 'pending' ORDER BY id",
	[S_LOCK_GET] = "SELECT target, owner_pid, owner_host, token,"
		       " acquired_at, renewed_at, expires_at FROM locks"
		       " WHERE target = ?1",
	[S_LOCK_INSERT] =
		"INSERT INTO locks (target, owner_pid, owner_host, token,"
		" acquired_at, renewed_at, expires_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_LOCK_REPLACE] =
		"UPDATE locks SET owner_pid = ?2, owner_host = ?3, token = ?4,"
		" acquired_at = ?5, renewed_at = ?6, expires_at = ?7"
		" WHERE target = ?1 AND token = ?8",
	[S_LOCK_RENEW] = "UPDATE locks SET renewed_at = ?3, expires_at = ?4"
			 " WHERE target = ?1 AND token = ?2",
	[S_LOCK_RELEASE] = "DELETE FROM locks WHERE target = ?1 AND token = ?2",
	[S_SYNC_GET] = "SELECT target, type_id, type_key, base_doc, base_hash,"
		       " remote_etag, local_version, status, conflict_status,"
		       " last_sync_at, updated_at FROM sync_state"
		       " WHERE target = ?1 AND type_id = ?2",
	[S_SYNC_PUT] =
		"INSERT INTO sync_state (target, type_id, type_key, base_doc,"
		" base_hash, remote_etag, local_version, status,"
		" conflict_status, last_sync_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
		" ON CONFLICT (target, type_id) DO UPDATE SET"
		" type_key = excluded.type_key, base_doc = excluded.base_doc,"
		" base_hash = excluded.base_hash,"
		" remote_etag = excluded.remote_etag,"
		" local_version = excluded.local_version,"
		" status = excluded.status,"
		" conflict_status = excluded.conflict_status,"
		" last_sync_at = excluded.last_sync_at,"
		" updated_at = excluded.updated_at",
	[S_SYNC_LIST_ALL] = "SELECT target, type_id, type_key, local_version,"
			    " status, last_sync_at FROM sync_state"
			    " ORDER BY type_id, target",
	[S_SYNC_LIST_TYPE] = "SELECT target, type_id, type_key,"
			     " local_version, status, last_sync_at"
			     " FROM sync_state WHERE type_id = ?1"
			     " ORDER BY target",
	[S_RUN_PUT] =
		"INSERT INTO sync_runs (" RUN_COLS ")"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
		" ON CONFLICT (run_id) DO UPDATE SET target = excluded.target,"
		" mode = excluded.mode, status = excluded.status,"
		" requested_by = excluded.requested_by, plan = excluded.plan,"
		" summary = excluded.summary,"
		" started_at = excluded.started_at,"
		" finished_at = excluded.finished_at",
	[S_RUN_UPDATE] = "UPDATE sync_runs SET target = ?2, mode = ?3,"
			 " status = ?4, requested_by = ?5, summary = ?7,"
			 " started_at = ?8, finished_at = ?9"
			 " WHERE run_id = ?1",
	[S_RUN_GET] = "SELECT " RUN_COLS " FROM sync_runs WHERE run_id = ?1",
	[S_RUN_EXISTS] = "SELECT run_id FROM sync_runs WHERE run_id = ?1",
	[S_RUN_RESOLVE] = "SELECT run_id FROM sync_runs"
			  " WHERE run_id >= ?1 AND run_id < ?2"
			  " ORDER BY run_id LIMIT 6",
	[S_RUN_LIST_ALL] = "SELECT " RUN_COLS " FROM sync_runs"
			   " ORDER BY started_at DESC, rowid DESC LIMIT ?1",
	[S_RUN_LIST_TARGET] = "SELECT " RUN_COLS " FROM sync_runs"
			      " WHERE target = ?2"
			      " ORDER BY started_at DESC, rowid DESC LIMIT ?1",
	[S_RUN_UNFINISHED_ALL] =
		"SELECT run_id FROM sync_runs"
		" WHERE status IN ('running', 'interrupted')"
		" ORDER BY started_at DESC, rowid DESC LIMIT 1",
	[S_RUN_UNFINISHED_TARGET] =
		"SELECT run_id FROM sync_runs"
		" WHERE status IN ('running', 'interrupted') AND target = ?1"
		" ORDER BY started_at DESC, rowid DESC LIMIT 1",
	[S_OP_PUT] =
		"INSERT INTO sync_ops (" OP_COLS ")"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13)"
		" ON CONFLICT (run_id, seq) DO UPDATE SET"
		" type_id = excluded.type_id, type_key = excluded.type_key,"
		" action = excluded.action, state = excluded.state,"
		" request = excluded.request, response = excluded.response,"
		" etag = excluded.etag, error = excluded.error,"
		" attempts = excluded.attempts,"
		" started_at = excluded.started_at,"
		" finished_at = excluded.finished_at",
	[S_OPS] = "SELECT " OP_COLS " FROM sync_ops WHERE run_id = ?1"
		  " ORDER BY seq",
	[S_HISTORY_ADD] =
		"INSERT INTO sync_history (run_id, target, type_id, type_key,"
		" version_id, direction, action, status, pushed_data,"
		" response_data, error_message, requested_by, started_at,"
		" completed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
		" ?10, ?11, ?12, ?13, ?14)",
	[S_BACKUP_ADD] = "INSERT INTO backups (run_id, target, type_id,"
			 " type_key, remote_doc, etag, created_at)"
			 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_BACKUP_GET] = "SELECT " BACKUP_COLS " FROM backups WHERE id = ?1",
	[S_BACKUPS_OF_RUN] = "SELECT " BACKUP_COLS " FROM backups"
			     " WHERE run_id = ?1 ORDER BY id",
	[S_BACKUP_LATEST] = "SELECT " BACKUP_COLS " FROM backups"
			    " WHERE target = ?1 AND type_key = ?2"
			    " ORDER BY created_at DESC, id DESC LIMIT 1",
	[S_GC_OPS] = "DELETE FROM sync_ops WHERE run_id IN (" GC_RUNS ")",
	[S_GC_HISTORY] = "DELETE FROM sync_history"
			 " WHERE run_id IN (" GC_RUNS ")"
			 " OR (run_id IS NULL"
			 " AND coalesce(completed_at, started_at) < ?1)",
	/* Never the newest backup of a (target, type key). */
	[S_GC_BACKUPS] = "DELETE FROM backups"
			 " WHERE (run_id IN (" GC_RUNS ")"
			 " OR (run_id IS NULL AND created_at < ?1))"
			 " AND EXISTS (SELECT 1 FROM backups AS newer"
			 " WHERE newer.target = backups.target"
			 " AND newer.type_key = backups.type_key"
			 " AND (newer.created_at > backups.created_at"
			 " OR (newer.created_at = backups.created_at"
			 " AND newer.id > backups.id)))",
	[S_GC_RUNS] = "DELETE FROM sync_runs WHERE run_id IN (" GC_RUNS ")",
	[S_GC_INTENTS] = "DELETE FROM intents"
			 " WHERE state <> 'pending' AND finished_at < ?1",
	/* Never a pending conflict. */
	[S_GC_CONFLICTS] =
		"DELETE FROM conflict_log"
		" WHERE resolution <> 'pending' AND resolved_at < ?1",
	[S_CONFLICT_SAME] = "SELECT id FROM conflict_log" CONFLICT_SAME_PLACE
			    " AND local_hash IS ?5 AND remote_hash IS ?6"
			    " ORDER BY id LIMIT 1",
	[S_CONFLICT_SUPERSEDE] =
		"UPDATE conflict_log SET resolution = 'superseded',"
		" resolved_value = NULL, resolved_by = NULL,"
		" resolved_at = ?5" CONFLICT_SAME_PLACE,
	[S_CONFLICT_INSERT] =
		"INSERT INTO conflict_log (origin, target, type_id, type_key,"
		" path, segments, conflict_type, base_value, local_value,"
		" remote_value, base_hash, local_hash, remote_hash, run_id,"
		" resolution, resolved_value, resolved_by, resolved_at,"
		" created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
	[S_CONFLICT_RESOLVE_ID] =
		"UPDATE conflict_log SET resolution = ?2, resolved_value = ?3,"
		" resolved_by = ?4, resolved_at = ?5"
		" WHERE id = ?1 AND resolution = 'pending'",
	/* Every pending one of (origin, target, type), or the one at ?4. */
	[S_CONFLICT_RESOLVE] =
		"UPDATE conflict_log SET resolution = ?5, resolved_value = ?6,"
		" resolved_by = ?7, resolved_at = ?8"
		" WHERE origin = ?1 AND target IS ?2 AND type_id = ?3"
		" AND (?4 IS NULL OR path = ?4) AND resolution = 'pending'",
};

struct sqlite_store {
	struct store_backend be; /* first: the port sees only this */
	sqlite3 *db;
	char *path;
	int in_tx;
	sqlite3_stmt *stmts[S_NR];
};

static struct sqlite_store *ss_of(struct store_backend *be)
{
	return (struct sqlite_store *)be;
}

/* The err code for an SQLite result code. */
static int code_for(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ERR_TIMEOUT;
	case SQLITE_CONSTRAINT:
		return ERR_CONFLICT;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return ERR_INVALID;
	default:
		return ERR_GENERIC;
	}
}

/* Records "cannot WHAT in state store 'PATH': MESSAGE". */
static int sq_error(struct sqlite_store *ss, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_BUSY)
		return err_set(ERR_TIMEOUT,
			       "cannot %s in state store '%s': it is busy "
			       "(another catalyst-sync is writing)",
			       what, ss->path);
	return err_set(code_for(rc), "cannot %s in state store '%s': %s", what,
		       ss->path, sqlite3_errmsg(ss->db));
}

/* The cached statement id, reset and with its bindings cleared. */
static int stmt(struct sqlite_store *ss, enum stmt_id id, sqlite3_stmt **out)
{
	int rc;

	if (!ss->stmts[id]) {
		rc = sqlite3_prepare_v3(ss->db, stmt_sql[id], -1,
					SQLITE_PREPARE_PERSISTENT,
					&ss->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return sq_error(ss, rc, "prepare a query");
	}
	sqlite3_reset(ss->stmts[id]);
	sqlite3_clear_bindings(ss->stmts[id]);
	*out = ss->stmts[id];
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* Binds ms, or NULL when ms <= 0. */
static void bind_time(sqlite3_stmt *st, int i, long long ms)
{
	if (ms > 0)
		sqlite3_bind_int64(st, i, ms);
	else
		sqlite3_bind_null(st, i);
}

/* Binds v as compact JSON text (NULL for NULL). */
static void bind_json(sqlite3_stmt *st, int i, const json_t *v)
{
	struct buf b = BUF_INIT;

	if (!v) {
		sqlite3_bind_null(st, i);
		return;
	}
	jx_dump_compact(&b, v);
	sqlite3_bind_text(st, i, b.ptr, (int)b.len, SQLITE_TRANSIENT);
	buf_release(&b);
}

static char *col_strdup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? xstrdup(s) : NULL;
}

/* Parses a JSON column into *out (NULL for SQL NULL). */
static int col_json(struct sqlite_store *ss, sqlite3_stmt *st, int i,
		    json_t **out)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	int ret;

	*out = NULL;
	if (!s)
		return 0;
	ret = jx_load(out, s, (size_t)sqlite3_column_bytes(st, i),
		      "a stored document");
	if (ret < 0)
		return err_prefix("state store '%s'", ss->path);
	return 0;
}

/* Steps a statement that returns no rows. */
static int exec_step(struct sqlite_store *ss, sqlite3_stmt *st,
		     const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(ss, rc, what);
	return 0;
}

/* Runs every statement of a constant script, one prepared at a time. */
static int exec_script(struct sqlite_store *ss, const char *sql,
		       const char *what)
{
	const char *tail = sql;
	sqlite3_stmt *st = NULL;
	int rc;

	while (tail && *tail) {
		rc = sqlite3_prepare_v2(ss->db, tail, -1, &st, &tail);
		if (rc != SQLITE_OK)
			return sq_error(ss, rc, what);
		if (!st)
			break; /* only whitespace or comments were left */
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return sq_error(ss, rc, what);
	}
	return 0;
}

/*
 * Runs a one-row PRAGMA (or any one-value query) and copies its first
 * column into *out when out is not NULL.
 */
static int exec_value(struct sqlite_store *ss, const char *sql, char **out)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (out)
		*out = NULL;
	rc = sqlite3_prepare_v2(ss->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_error(ss, rc, "set up");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out)
		*out = col_strdup(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = sq_error(ss, rc, "set up");
	sqlite3_finalize(st);
	return ret;
}

/*
 * Transactions of the backend's own multi-statement writes: BEGIN
 * IMMEDIATE when the caller has none open, a savepoint inside the
 * caller's.
 */
static int own_begin(struct sqlite_store *ss)
{
	return exec_script(ss, ss->in_tx ? "SAVEPOINT own" : "BEGIN IMMEDIATE",
			   "start a transaction");
}

static int own_end(struct sqlite_store *ss, int ok)
{
	if (ok)
		return exec_script(ss, ss->in_tx ? "RELEASE own" : "COMMIT",
				   "commit");
	if (ss->in_tx)
		(void)exec_script(ss, "ROLLBACK TO own; RELEASE own",
				  "roll back");
	else
		(void)exec_script(ss, "ROLLBACK", "roll back");
	return 0;
}

/* --- open, migrations --------------------------------------------------- */

static const char bootstrap_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INTEGER NOT NULL PRIMARY KEY CHECK (version > 0),"
	" name TEXT NOT NULL,"
	" applied_at INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS store_info ("
	" key TEXT NOT NULL PRIMARY KEY,"
	" value TEXT NOT NULL);";

static int meta_get_(struct sqlite_store *ss, const char *key, char **out)
{
	sqlite3_stmt *st;
	int rc, ret;

	*out = NULL;
	if ((ret = stmt(ss, S_META_GET, &st)) < 0)
		return ret;
	bind_text(st, 1, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = col_strdup(st, 0);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = err_set(ERR_NOTFOUND, "no '%s' in state store '%s'", key,
			      ss->path);
	} else {
		ret = sq_error(ss, rc, "read");
	}
	sqlite3_reset(st);
	return ret;
}

static int meta_set_(struct sqlite_store *ss, const char *key,
		     const char *value)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_META_SET, &st)) < 0)
		return ret;
	bind_text(st, 1, key);
	bind_text(st, 2, value);
	return exec_step(ss, st, "write");
}

static int schema_version(struct sqlite_store *ss, int *out)
{
	char *v = NULL, *end;
	long n;
	int ret;

	*out = 0;
	ret = meta_get_(ss, "schema_version", &v);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		return 0;
	}
	if (ret < 0)
		return ret;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < 0 || n > 1000000)
		ret = err_set(ERR_INVALID,
			      "state store '%s' has a bad schema version '%s'",
			      ss->path, v);
	else
		*out = (int)n;
	free(v);
	return ret;
}

/* Refuses a file that has tables but is not a state store. */
static int check_is_store(struct sqlite_store *ss)
{
	char *tables = NULL, *has_info = NULL;
	int ret;

	ret = exec_value(ss, "SELECT count(*) FROM sqlite_master", &tables);
	if (ret < 0)
		goto out;
	ret = exec_value(ss,
			 "SELECT count(*) FROM sqlite_master WHERE type = "
			 "'table' AND name = 'store_info'",
			 &has_info);
	if (ret < 0)
		goto out;
	if (strcmp(tables, "0") && !strcmp(has_info, "0"))
		ret = err_set(ERR_INVALID,
			      "'%s' is not a catalyst-sync state store (is "
			      "sync.state.storage the Catalyst database?)",
			      ss->path);
out:
	free(tables);
	free(has_info);
	return ret;
}

/* Makes schema_migrations and store_info, and the store's identity. */
static int bootstrap(struct sqlite_store *ss, int *created)
{
	char *id = NULL;
	struct buf now = BUF_INIT;
	int ret;

	if ((ret = exec_script(ss, "BEGIN IMMEDIATE", "start a transaction")) <
	    0)
		return ret;
	if ((ret = exec_script(ss, bootstrap_sql, "create")) < 0)
		goto out;
	ret = meta_get_(ss, "store_id", &id);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		free(id);
		id = store_random_id();
		buf_addf(&now, "%lld", time_now_ms());
		if ((ret = meta_set_(ss, "store_id", id)) < 0 ||
		    (ret = meta_set_(ss, "created_at", now.ptr)) < 0 ||
		    (ret = meta_set_(ss, "schema_version", "0")) < 0)
			goto out;
		*created = 1;
	}
	if (ret < 0)
		goto out;
	ret = exec_script(ss, "COMMIT", "commit");
out:
	if (ret < 0)
		(void)exec_script(ss, "ROLLBACK", "roll back");
	free(id);
	buf_release(&now);
	return ret;
}

static int apply_migration(struct sqlite_store *ss,
			   const struct store_migration *m)
{
	sqlite3_stmt *st = NULL;
	struct buf what = BUF_INIT, v = BUF_INIT;
	int current, rc, ret;

	buf_addf(&what, "apply migration %d (%s)", m->version, m->name);
	if ((ret = exec_script(ss, "BEGIN IMMEDIATE", what.ptr)) < 0)
		goto out_nt;
	/* Another process may have applied it meanwhile. */
	if ((ret = schema_version(ss, &current)) < 0)
		goto out;
	if (current >= m->version) {
		ret = 0;
		goto out;
	}
	if ((ret = exec_script(ss, m->sql, what.ptr)) < 0)
		goto out;
	rc = sqlite3_prepare_v2(ss->db,
				"INSERT INTO schema_migrations (version, name,"
				" applied_at) VALUES (?1, ?2, ?3)",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = sq_error(ss, rc, what.ptr);
		goto out;
	}
	sqlite3_bind_int(st, 1, m->version);
	bind_text(st, 2, m->name);
	sqlite3_bind_int64(st, 3, time_now_ms());
	if ((ret = exec_step(ss, st, what.ptr)) < 0)
		goto out;
	buf_addf(&v, "%d", m->version);
	if ((ret = meta_set_(ss, "schema_version", v.ptr)) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		(void)exec_script(ss, "ROLLBACK", "roll back");
	else
		ret = exec_script(ss, "COMMIT", what.ptr);
	if (!ret)
		log_debug("store", "applied migration %d (%s) to '%s'",
			  m->version, m->name, ss->path);
out_nt:
	sqlite3_finalize(st);
	buf_release(&what);
	buf_release(&v);
	return ret;
}

static int migrate(struct sqlite_store *ss)
{
	int current, ret;

	if ((ret = schema_version(ss, &current)) < 0)
		return ret;
	if (current > STORE_SCHEMA_VERSION)
		return err_set(ERR_INVALID,
			       "state store '%s' has schema version %d, newer "
			       "than this catalyst-sync knows (%d); upgrade "
			       "catalyst-sync to use it",
			       ss->path, current, STORE_SCHEMA_VERSION);
	for (const struct store_migration *m = store_sqlite_migrations;
	     m->version; m++) {
		if (m->version <= current)
			continue;
		if ((ret = apply_migration(ss, m)) < 0)
			return ret;
	}
	return 0;
}

static void sqlite_free(struct store_backend *be)
{
	struct sqlite_store *ss = ss_of(be);

	if (!ss)
		return;
	for (int i = 0; i < S_NR; i++)
		sqlite3_finalize(ss->stmts[i]);
	if (ss->db)
		sqlite3_close(ss->db);
	free(ss->path);
	free(ss);
}

static const struct store_backend sqlite_table;

int store_sqlite_open(struct store_backend **out, const char *path,
		      const struct store_options *opt, int *created_out)
{
	struct sqlite_store *ss = xcalloc(1, sizeof(*ss));
	struct stat sb;
	char *mode = NULL;
	int flags = SQLITE_OPEN_READWRITE, rc, ret;

	*out = NULL;
	*created_out = 0;
	ss->be = sqlite_table;
	ss->path = xstrdup(path);
	if (stat(path, &sb) < 0) {
		if (errno != ENOENT || !opt->create) {
			ret = err_set(errno == ENOENT ? ERR_NOTFOUND
						      : ERR_GENERIC,
				      errno == ENOENT
					      ? "no state store at '%s' (%s); "
						"run 'catalyst-sync init' first"
					      : "cannot open state store '%s': "
						"%s",
				      path, strerror(errno));
			goto out;
		}
		flags |= SQLITE_OPEN_CREATE;
	} else if (S_ISDIR(sb.st_mode)) {
		ret = err_set(ERR_INVALID,
			      "cannot open state store '%s': it is a directory",
			      path);
		goto out;
	}
	rc = sqlite3_open_v2(path, &ss->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ret = err_set(
			ERR_GENERIC, "cannot open state store '%s': %s", path,
			ss->db ? sqlite3_errmsg(ss->db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_busy_timeout(ss->db, STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(ss->db, 1);
	if ((ret = check_is_store(ss)) < 0)
		goto out;
	if ((ret = exec_value(ss, "PRAGMA journal_mode=WAL", &mode)) < 0)
		goto out;
	if (!mode || strcmp(mode, "wal"))
		log_warn("store",
			 "state store '%s' cannot use WAL (journal "
			 "mode %s)",
			 path, mode ? mode : "unknown");
	if ((ret = exec_script(ss,
			       opt->durable ? "PRAGMA synchronous=FULL"
					    : "PRAGMA synchronous=NORMAL",
			       "set up")) < 0 ||
	    (ret = exec_script(ss, "PRAGMA foreign_keys=ON", "set up")) < 0)
		goto out;
	if ((ret = bootstrap(ss, created_out)) < 0)
		goto out;
	if ((ret = migrate(ss)) < 0)
		goto out;
	*out = &ss->be;
	ss = NULL;
	ret = 0;
out:
	free(mode);
	if (ss)
		sqlite_free(&ss->be);
	return ret;
}

/* --- the table's functions --------------------------------------------- */

static int sqlite_info(struct store_backend *be, struct store_info *out)
{
	struct sqlite_store *ss = ss_of(be);
	char *created = NULL;
	int ret;

	if ((ret = meta_get_(ss, "store_id", &out->store_id)) < 0)
		goto out;
	if ((ret = schema_version(ss, &out->schema_version)) < 0)
		goto out;
	if ((ret = meta_get_(ss, "created_at", &created)) < 0)
		goto out;
	out->created_ms = strtoll(created, NULL, 10);
	out->backend = xstrdup("sqlite");
	out->location = xstrdup(ss->path);
	ret = 0;
out:
	free(created);
	if (ret < 0)
		store_info_release(out);
	return ret;
}

static int sqlite_begin(struct store_backend *be, int write)
{
	struct sqlite_store *ss = ss_of(be);
	int ret;

	ret = exec_script(ss, write ? "BEGIN IMMEDIATE" : "BEGIN",
			  "start a transaction");
	if (!ret)
		ss->in_tx = 1;
	return ret;
}

static int sqlite_commit(struct store_backend *be)
{
	struct sqlite_store *ss = ss_of(be);
	int ret = exec_script(ss, "COMMIT", "commit");

	if (!ret)
		ss->in_tx = 0;
	return ret;
}

static int sqlite_rollback(struct store_backend *be)
{
	struct sqlite_store *ss = ss_of(be);

	for (int i = 0; i < S_NR; i++)
		if (ss->stmts[i])
			sqlite3_reset(ss->stmts[i]);
	if (sqlite3_get_autocommit(ss->db) == 0)
		(void)exec_script(ss, "ROLLBACK", "roll back");
	ss->in_tx = 0;
	return 0;
}

static int sqlite_meta_get(struct store_backend *be, const char *key,
			   char **out)
{
	return meta_get_(ss_of(be), key, out);
}

static int sqlite_meta_set(struct store_backend *be, const char *key,
			   const char *value)
{
	return meta_set_(ss_of(be), key, value);
}

static int sqlite_target_put(struct store_backend *be, const char *name,
			     const char *url, const char *website_id)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_TARGET_PUT, &st)) < 0)
		return ret;
	bind_text(st, 1, name);
	bind_text(st, 2, url);
	bind_text(st, 3, website_id);
	sqlite3_bind_int64(st, 4, time_now_ms());
	return exec_step(ss, st, "write the target");
}

/*
 * Runs a statement expected to give at most one row, copying its first
 * column to *out. ERR_NOTFOUND (with message notfound) when there is none.
 */
static int one_string(struct sqlite_store *ss, sqlite3_stmt *st, char **out,
		      const char *notfound)
{
	int rc = sqlite3_step(st), ret;

	*out = NULL;
	if (rc == SQLITE_ROW) {
		*out = col_strdup(st, 0);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = err_set(ERR_NOTFOUND, "%s", notfound);
	} else {
		ret = sq_error(ss, rc, "read");
	}
	sqlite3_reset(st);
	return ret;
}

static int sqlite_type_key_get(struct store_backend *be, const char *type_id,
			       char **key_out)
{
	struct sqlite_store *ss = ss_of(be);
	struct buf msg = BUF_INIT;
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_TYPE_KEY_GET, &st)) < 0)
		return ret;
	bind_text(st, 1, type_id);
	buf_addf(&msg, "content type '%s' has no persisted key yet", type_id);
	ret = one_string(ss, st, key_out, msg.ptr);
	buf_release(&msg);
	return ret;
}

static int sqlite_type_key_find(struct store_backend *be,
				const char *website_id, const char *key,
				char **type_id_out)
{
	struct sqlite_store *ss = ss_of(be);
	struct buf msg = BUF_INIT;
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_TYPE_KEY_FIND, &st)) < 0)
		return ret;
	bind_text(st, 1, website_id);
	bind_text(st, 2, key);
	buf_addf(&msg, "no content type has the key '%s'", key);
	ret = one_string(ss, st, type_id_out, msg.ptr);
	buf_release(&msg);
	return ret;
}

static int sqlite_type_key_put(struct store_backend *be, const char *website_id,
			       const char *type_id, const char *key,
			       const char *origin)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	char *holder = NULL;
	int ret;

	ret = sqlite_type_key_find(be, website_id, key, &holder);
	if (ret == ERR_NOTFOUND) {
		err_clear();
	} else if (ret < 0) {
		return ret;
	} else if (strcmp(holder, type_id)) {
		ret = err_set(ERR_CONFLICT,
			      "the key '%s' is already held by content type "
			      "'%s'",
			      key, holder);
		free(holder);
		return ret;
	}
	free(holder);
	if ((ret = stmt(ss, S_TYPE_KEY_PUT, &st)) < 0)
		return ret;
	bind_text(st, 1, type_id);
	bind_text(st, 2, website_id);
	bind_text(st, 3, key);
	bind_text(st, 4, origin);
	sqlite3_bind_int64(st, 5, time_now_ms());
	return exec_step(ss, st, "write the type key");
}

static int sqlite_type_keys(struct store_backend *be, const char *website_id,
			    json_t **out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	json_t *map = json_object();
	int rc, ret;

	ret = stmt(ss, website_id ? S_TYPE_KEYS_WEBSITE : S_TYPE_KEYS_ALL, &st);
	if (ret < 0)
		goto out;
	if (website_id)
		bind_text(st, 1, website_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(
			map, (const char *)sqlite3_column_text(st, 0),
			json_string((const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "read the type keys");
		goto out;
	}
	*out = map;
	map = NULL;
	ret = 0;
out:
	json_decref(map);
	return ret;
}

static int sqlite_field_keys(struct store_backend *be, const char *type_id,
			     struct store_field_key **out, size_t *nr_out)
{
	struct sqlite_store *ss = ss_of(be);
	struct store_field_key *fks = NULL;
	size_t nr = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_FIELD_KEYS, &st)) < 0)
		return ret;
	bind_text(st, 1, type_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(fks, nr + 1, alloc);
		fks[nr].field_ref = col_strdup(st, 0);
		fks[nr].field_name = col_strdup(st, 1);
		fks[nr].key = col_strdup(st, 2);
		nr++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_field_keys_free(fks, nr);
		return sq_error(ss, rc, "read the field keys");
	}
	*out = fks;
	*nr_out = nr;
	return 0;
}

static int sqlite_field_key_put(struct store_backend *be, const char *type_id,
				const struct store_field_key *fk)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	char *holder = NULL;
	int ret;

	if ((ret = stmt(ss, S_FIELD_KEY_HOLDER, &st)) < 0)
		return ret;
	bind_text(st, 1, type_id);
	bind_text(st, 2, fk->key);
	ret = one_string(ss, st, &holder, "");
	if (ret == ERR_NOTFOUND) {
		err_clear();
	} else if (ret < 0) {
		return ret;
	} else if (strcmp(holder, fk->field_ref)) {
		ret = err_set(ERR_CONFLICT,
			      "the property key '%s' of content type '%s' is "
			      "already held by field '%s'",
			      fk->key, type_id, holder);
		free(holder);
		return ret;
	}
	free(holder);
	if ((ret = stmt(ss, S_FIELD_KEY_PUT, &st)) < 0)
		return ret;
	bind_text(st, 1, type_id);
	bind_text(st, 2, fk->field_ref);
	bind_text(st, 3, fk->field_name);
	bind_text(st, 4, fk->key);
	sqlite3_bind_int64(st, 5, time_now_ms());
	return exec_step(ss, st, "write the field key");
}

static int sqlite_overlay_get(struct store_backend *be, const char *target,
			      const char *type_id, json_t **out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_OVERLAY_GET, &st)) < 0)
		return ret;
	bind_text(st, 1, target);
	bind_text(st, 2, type_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = col_json(ss, st, 0, out);
	else if (rc == SQLITE_DONE)
		ret = err_set(ERR_NOTFOUND,
			      "no overlay for content type '%s' in target "
			      "'%s'",
			      type_id, target);
	else
		ret = sq_error(ss, rc, "read the overlay");
	sqlite3_reset(st);
	return ret;
}

static int sqlite_overlay_put(struct store_backend *be, const char *target,
			      const char *type_id, const json_t *overlay)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_OVERLAY_PUT, &st)) < 0)
		return ret;
	bind_text(st, 1, target);
	bind_text(st, 2, type_id);
	bind_json(st, 3, overlay);
	sqlite3_bind_int64(st, 4, time_now_ms());
	return exec_step(ss, st, "write the overlay");
}

/* --- versions ----------------------------------------------------------- */

static int load_parents(struct sqlite_store *ss, struct store_version *v)
{
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_PARENTS_OF, &st)) < 0)
		return ret;
	bind_text(st, 1, v->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		store_version_add_parent(
			v, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_error(ss, rc, "read the parents of a version");
	return 0;
}

/*
 * Fills v from a row of VERSION_COLS followed by the snapshot column (which
 * may be NULL). Parents are read separately (load_parents).
 */
static int version_from_row(struct sqlite_store *ss, sqlite3_stmt *st,
			    struct store_version *v)
{
	store_version_init(v);
	v->seq = sqlite3_column_int64(st, 0);
	v->id = col_strdup(st, 1);
	v->type_id = col_strdup(st, 2);
	v->website_id = col_strdup(st, 3);
	v->type_key = col_strdup(st, 4);
	v->name = col_strdup(st, 5);
	v->content_hash = col_strdup(st, 6);
	v->deleted = sqlite3_column_int(st, 7);
	v->source = col_strdup(st, 8);
	v->author = col_strdup(st, 9);
	v->message = col_strdup(st, 10);
	v->created_ms = sqlite3_column_int64(st, 11);
	v->changelog_install = col_strdup(st, 12);
	v->changelog_id = sqlite3_column_type(st, 13) == SQLITE_NULL
				  ? -1
				  : sqlite3_column_int64(st, 13);
	v->mainline = sqlite3_column_int(st, 14);
	return col_json(ss, st, VERSION_COLS_NR, &v->snapshot);
}

static int sqlite_version_put(struct store_backend *be, struct store_version *v)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	char *other = NULL;
	int ret, rc, begun = 0;

	if ((ret = own_begin(ss)) < 0)
		return ret;
	begun = 1;
	if ((ret = stmt(ss, S_VERSION_EXISTS, &st)) < 0)
		goto out;
	bind_text(st, 1, v->id);
	ret = one_string(ss, st, &other, "");
	if (ret == 0) {
		/* Content-addressed: the same id is the same version. */
		ret = 1;
		goto out;
	}
	if (ret != ERR_NOTFOUND)
		goto out;
	err_clear();
	for (size_t i = 0; i < v->parents_nr; i++) {
		bind_text(st, 1, v->parents[i]);
		ret = one_string(ss, st, &other, "");
		free(other);
		other = NULL;
		if (ret == ERR_NOTFOUND) {
			ret = err_set(ERR_NOTFOUND,
				      "parent version '%s' of '%s' is not in "
				      "the store",
				      v->parents[i], v->id);
			goto out;
		}
		if (ret < 0)
			goto out;
	}
	if ((ret = stmt(ss, S_VERSION_INSERT, &st)) < 0)
		goto out;
	bind_text(st, 1, v->id);
	bind_text(st, 2, v->type_id);
	bind_text(st, 3, v->website_id);
	bind_text(st, 4, v->type_key);
	bind_text(st, 5, v->name);
	bind_text(st, 6, v->content_hash);
	bind_json(st, 7, v->deleted ? NULL : v->snapshot);
	sqlite3_bind_int(st, 8, v->deleted ? 1 : 0);
	bind_text(st, 9, v->source);
	bind_text(st, 10, v->author);
	bind_text(st, 11, v->message);
	sqlite3_bind_int64(st, 12, v->created_ms);
	bind_text(st, 13, v->changelog_install);
	if (v->changelog_id >= 0)
		sqlite3_bind_int64(st, 14, v->changelog_id);
	sqlite3_bind_int(st, 15, v->mainline ? 1 : 0);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT && v->changelog_install) {
		ret = err_set(ERR_CONFLICT,
			      "changelog row %lld already made a version",
			      v->changelog_id);
		goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "write a version");
		goto out;
	}
	v->seq = sqlite3_last_insert_rowid(ss->db);
	for (size_t i = 0; i < v->parents_nr; i++) {
		if ((ret = stmt(ss, S_PARENT_INSERT, &st)) < 0)
			goto out;
		bind_text(st, 1, v->id);
		bind_text(st, 2, v->parents[i]);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		if ((ret = exec_step(ss, st, "write a version's parents")) < 0)
			goto out;
		if ((ret = stmt(ss, S_PARENT_UNHEAD, &st)) < 0)
			goto out;
		bind_text(st, 1, v->parents[i]);
		if ((ret = exec_step(ss, st, "write a version's parents")) < 0)
			goto out;
	}
	ret = 0;
out:
	free(other);
	if (begun) {
		int end = own_end(ss, ret >= 0);

		if (ret >= 0 && end < 0)
			ret = end;
	}
	return ret;
}

static int sqlite_version_get(struct store_backend *be, const char *id,
			      struct store_version *out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_VERSION_GET, &st)) < 0)
		return ret;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = version_from_row(ss, st, out);
	else if (rc == SQLITE_DONE)
		ret = err_set(ERR_NOTFOUND, "no version '%s'", id);
	else
		ret = sq_error(ss, rc, "read a version");
	sqlite3_reset(st);
	if (!ret)
		ret = load_parents(ss, out);
	if (ret < 0)
		store_version_release(out);
	return ret;
}

/*
 * The one id that starts with prefix, from a statement selecting ids in
 * [?1, ?2): ids are lower-case hex, so every id with the prefix sorts
 * before prefix + "g". what names the thing ("version", "run"); ids are
 * shown cut to show_width characters in the ambiguity message.
 */
static int resolve_prefix(struct sqlite_store *ss, enum stmt_id which,
			  const char *prefix, const char *what, int show_width,
			  char **id_out)
{
	struct buf upper = BUF_INIT, list = BUF_INIT;
	sqlite3_stmt *st;
	size_t nr = 0;
	int rc, ret;

	*id_out = NULL;
	if ((ret = stmt(ss, which, &st)) < 0)
		return ret;
	buf_addf(&upper, "%sg", prefix);
	bind_text(st, 1, prefix);
	bind_text(st, 2, upper.ptr);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (!nr)
			*id_out = xstrdup(id);
		buf_addf(&list, "%s%.*s", nr ? ", " : "", show_width, id);
		nr++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		ret = sq_error(ss, rc, "read the ids");
	else if (!nr)
		ret = err_set(ERR_NOTFOUND, "no %s '%s'", what, prefix);
	else if (nr > 1)
		ret = err_set(ERR_INVALID,
			      "%s '%s' is ambiguous: it could be %s%s; give "
			      "more digits",
			      what, prefix, list.ptr, nr > 5 ? ", ..." : "");
	else
		ret = 0;
	if (ret < 0)
		FREE_AND_NULL(*id_out);
	buf_release(&upper);
	buf_release(&list);
	return ret;
}

static int sqlite_version_resolve(struct store_backend *be, const char *prefix,
				  char **id_out)
{
	return resolve_prefix(ss_of(be), S_VERSION_RESOLVE, prefix, "version",
			      12, id_out);
}

/*
 * A query with optional filters: constant SQL fragments, every value bound
 * (no SQL is built from values). filter_text and filter_int add a condition
 * when the value is given (non-NULL, > 0); filter_limit ends the query with
 * a LIMIT when limit is not 0; filter_prepare prepares and binds.
 */
#define FILTER_MAX 8
struct filter {
	struct buf sql;
	int conds, n;
	const char *text[FILTER_MAX];
	sqlite3_int64 num[FILTER_MAX];
};

static void filter_param(struct filter *f, const char *prefix, const char *cond,
			 const char *text, sqlite3_int64 num)
{
	if (f->n == FILTER_MAX)
		abort(); /* a programming error: FILTER_MAX is too small */
	buf_addf(&f->sql, "%s%s?%d", prefix, cond, f->n + 1);
	f->text[f->n] = text;
	f->num[f->n] = num;
	f->n++;
}

static void filter_text(struct filter *f, const char *cond, const char *value)
{
	if (value)
		filter_param(f, f->conds++ ? " AND " : " WHERE ", cond, value,
			     0);
}

static void filter_int(struct filter *f, const char *cond, long long value)
{
	if (value > 0)
		filter_param(f, f->conds++ ? " AND " : " WHERE ", cond, NULL,
			     value);
}

/* A condition without a value (constant text). */
static void filter_cond(struct filter *f, const char *cond)
{
	buf_addf(&f->sql, "%s%s", f->conds++ ? " AND " : " WHERE ", cond);
}

static void filter_limit(struct filter *f, size_t limit)
{
	if (limit)
		filter_param(f, " LIMIT ", "", NULL, (sqlite3_int64)limit);
}

static int filter_prepare(struct sqlite_store *ss, struct filter *f,
			  sqlite3_stmt **st, const char *what)
{
	int rc = sqlite3_prepare_v2(ss->db, f->sql.ptr, (int)f->sql.len, st,
				    NULL);

	if (rc != SQLITE_OK)
		return sq_error(ss, rc, what);
	for (int i = 0; i < f->n; i++) {
		if (f->text[i])
			bind_text(*st, i + 1, f->text[i]);
		else
			sqlite3_bind_int64(*st, i + 1, f->num[i]);
	}
	return 0;
}

static int sqlite_version_query(struct store_backend *be,
				const struct store_version_query *q,
				store_version_fn fn, void *payload)
{
	struct sqlite_store *ss = ss_of(be);
	struct filter f = {.sql = BUF_INIT};
	struct store_version v;
	sqlite3_stmt *st = NULL;
	int rc, ret;

	store_version_init(&v);
	buf_adds(&f.sql, "SELECT " VERSION_COLS);
	buf_adds(&f.sql, q->with_snapshot ? ", content_snapshot" : ", NULL");
	buf_adds(&f.sql, " FROM content_type_versions");
	filter_text(&f, "type_id = ", q->type_id);
	filter_int(&f, "created_at >= ", q->since_ms);
	filter_int(&f, "created_at < ", q->until_ms);
	filter_text(&f, "author = ", q->author);
	filter_text(&f, "change_source = ", q->source);
	buf_adds(&f.sql, " ORDER BY seq DESC");
	filter_limit(&f, q->limit);
	if ((ret = filter_prepare(ss, &f, &st, "query the versions")) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ret = version_from_row(ss, st, &v)) < 0 ||
		    (ret = load_parents(ss, &v)) < 0)
			goto out;
		ret = fn(&v, payload);
		store_version_release(&v);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "query the versions");
		goto out;
	}
	ret = 0;
out:
	store_version_release(&v);
	sqlite3_finalize(st);
	buf_release(&f.sql);
	return ret;
}

static int sqlite_version_heads(struct store_backend *be, const char *type_id,
				struct store_version_list *out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_VERSION_HEADS, &st)) < 0)
		return ret;
	bind_text(st, 1, type_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(out->items, out->nr + 1, out->alloc);
		ret = version_from_row(ss, st, &out->items[out->nr++]);
		if (ret < 0)
			break;
	}
	sqlite3_reset(st);
	if (!ret && rc != SQLITE_DONE)
		ret = sq_error(ss, rc, "read the heads");
	for (size_t i = 0; !ret && i < out->nr; i++)
		ret = load_parents(ss, &out->items[i]);
	if (ret < 0)
		store_version_list_release(out);
	return ret;
}

static int sqlite_version_mainline(struct store_backend *be,
				   const char *type_id,
				   struct store_version *out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_VERSION_MAINLINE, &st)) < 0)
		return ret;
	bind_text(st, 1, type_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = version_from_row(ss, st, out);
	else if (rc == SQLITE_DONE)
		ret = err_set(ERR_NOTFOUND,
			      "content type '%s' has no version yet", type_id);
	else
		ret = sq_error(ss, rc, "read the head");
	sqlite3_reset(st);
	if (!ret)
		ret = load_parents(ss, out);
	if (ret < 0)
		store_version_release(out);
	return ret;
}

static int sqlite_version_types(struct store_backend *be, json_t **out)
{
	struct sqlite_store *ss = ss_of(be);
	json_t *map = json_object();
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_VERSION_TYPES, &st)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(
			map, (const char *)sqlite3_column_text(st, 0),
			json_string((const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "read the versions");
		goto out;
	}
	*out = map;
	map = NULL;
out:
	json_decref(map);
	return ret;
}

/* --- intents ------------------------------------------------------------ */

static int sqlite_intent_add(struct store_backend *be, const char *kind,
			     const char *type_id, const json_t *payload,
			     long long *id_out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_INTENT_ADD, &st)) < 0)
		return ret;
	bind_text(st, 1, kind);
	bind_text(st, 2, type_id);
	bind_json(st, 3, payload);
	sqlite3_bind_int64(st, 4, time_now_ms());
	if ((ret = exec_step(ss, st, "write an intent")) < 0)
		return ret;
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(ss->db);
	return 0;
}

static int sqlite_intent_finish(struct store_backend *be, long long id,
				const char *state, const char *note)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_INTENT_FINISH, &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, state);
	bind_text(st, 3, note);
	sqlite3_bind_int64(st, 4, time_now_ms());
	if ((ret = exec_step(ss, st, "finish an intent")) < 0)
		return ret;
	if (!sqlite3_changes(ss->db))
		return err_set(ERR_NOTFOUND, "no pending intent %lld", id);
	return 0;
}

static int sqlite_intent_pending(struct store_backend *be, store_intent_fn fn,
				 void *payload)
{
	struct sqlite_store *ss = ss_of(be);
	struct store_intent *all = NULL;
	size_t nr = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc, ret;

	/* Read them all first: fn may write to the store. */
	if ((ret = stmt(ss, S_INTENT_PENDING, &st)) < 0)
		return ret;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_intent *in;

		ALLOC_GROW(all, nr + 1, alloc);
		in = &all[nr++];
		memset(in, 0, sizeof(*in));
		in->id = sqlite3_column_int64(st, 0);
		in->kind = col_strdup(st, 1);
		in->type_id = col_strdup(st, 2);
		in->state = col_strdup(st, 3);
		in->note = col_strdup(st, 5);
		in->created_ms = sqlite3_column_int64(st, 6);
		if ((ret = col_json(ss, st, 4, &in->payload)) < 0)
			break;
	}
	sqlite3_reset(st);
	if (!ret && rc != SQLITE_DONE)
		ret = sq_error(ss, rc, "read the intents");
	for (size_t i = 0; !ret && i < nr; i++)
		ret = fn(&all[i], payload);
	for (size_t i = 0; i < nr; i++)
		store_intent_release(&all[i]);
	free(all);
	return ret;
}

/* --- locks -------------------------------------------------------------- */

static int lock_read(struct sqlite_store *ss, const char *target,
		     struct store_lock *out)
{
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_LOCK_GET, &st)) < 0)
		return ret;
	bind_text(st, 1, target);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->target = col_strdup(st, 0);
		out->owner_pid = (long)sqlite3_column_int64(st, 1);
		out->owner_host = col_strdup(st, 2);
		out->token = col_strdup(st, 3);
		out->acquired_ms = sqlite3_column_int64(st, 4);
		out->renewed_ms = sqlite3_column_int64(st, 5);
		out->expires_ms = sqlite3_column_int64(st, 6);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = err_set(ERR_NOTFOUND, "target '%s' is not locked",
			      target);
	} else {
		ret = sq_error(ss, rc, "read the lock");
	}
	sqlite3_reset(st);
	return ret;
}

static void bind_lock(sqlite3_stmt *st, const struct store_lock *me)
{
	bind_text(st, 1, me->target);
	sqlite3_bind_int64(st, 2, me->owner_pid);
	bind_text(st, 3, me->owner_host);
	bind_text(st, 4, me->token);
	sqlite3_bind_int64(st, 5, me->acquired_ms);
	sqlite3_bind_int64(st, 6, me->renewed_ms);
	sqlite3_bind_int64(st, 7, me->expires_ms);
}

static int lock_replace(struct sqlite_store *ss, const struct store_lock *me,
			const char *old_token)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_LOCK_REPLACE, &st)) < 0)
		return ret;
	bind_lock(st, me);
	bind_text(st, 8, old_token);
	if ((ret = exec_step(ss, st, "take the lock")) < 0)
		return ret;
	if (!sqlite3_changes(ss->db))
		return err_set(
			ERR_CONFLICT,
			"the lock of target '%s' changed hands meanwhile",
			me->target);
	return 0;
}

static int sqlite_lock_try(struct store_backend *be,
			   const struct store_lock *me, long long now_ms,
			   struct store_lock *holder_out)
{
	struct sqlite_store *ss = ss_of(be);
	struct store_lock cur = {0};
	struct buf when = BUF_INIT;
	sqlite3_stmt *st;
	int ret;

	if ((ret = own_begin(ss)) < 0)
		return ret;
	ret = lock_read(ss, me->target, &cur);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		if ((ret = stmt(ss, S_LOCK_INSERT, &st)) < 0)
			goto out;
		bind_lock(st, me);
		ret = exec_step(ss, st, "take the lock");
		goto out;
	}
	if (ret < 0)
		goto out;
	if (!strcmp(cur.token, me->token) || cur.expires_ms < now_ms) {
		if (cur.expires_ms < now_ms)
			log_info("store",
				 "the lock of target '%s' held by process %ld "
				 "on %s expired; taking it over",
				 me->target, cur.owner_pid, cur.owner_host);
		ret = lock_replace(ss, me, cur.token);
		goto out;
	}
	time_format_iso(&when, cur.expires_ms);
	ret = err_set(ERR_CONFLICT,
		      "target '%s' is locked by process %ld on %s until %s",
		      me->target, cur.owner_pid, cur.owner_host, when.ptr);
	*holder_out = cur;
	memset(&cur, 0, sizeof(cur));
out : {
	int end = own_end(ss, ret >= 0);

	if (ret >= 0 && end < 0)
		ret = end;
}
	store_lock_release(&cur);
	buf_release(&when);
	return ret;
}

static int sqlite_lock_steal(struct store_backend *be,
			     const struct store_lock *me, const char *old_token,
			     long long now_ms)
{
	(void)now_ms;
	return lock_replace(ss_of(be), me, old_token);
}

static int sqlite_lock_renew(struct store_backend *be, const char *target,
			     const char *token, long long expires_ms,
			     long long now_ms)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_LOCK_RENEW, &st)) < 0)
		return ret;
	bind_text(st, 1, target);
	bind_text(st, 2, token);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_int64(st, 4, expires_ms);
	if ((ret = exec_step(ss, st, "renew the lock")) < 0)
		return ret;
	if (!sqlite3_changes(ss->db))
		return err_set(ERR_CONFLICT,
			       "the lock of target '%s' is no longer ours",
			       target);
	return 0;
}

static int sqlite_lock_release(struct store_backend *be, const char *target,
			       const char *token)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_LOCK_RELEASE, &st)) < 0)
		return ret;
	bind_text(st, 1, target);
	bind_text(st, 2, token);
	return exec_step(ss, st, "release the lock");
}

static int sqlite_lock_get(struct store_backend *be, const char *target,
			   struct store_lock *out)
{
	int ret = lock_read(ss_of(be), target, out);

	if (ret < 0)
		store_lock_release(out);
	return ret;
}

/* --- sync state --------------------------------------------------------- */

static int sqlite_sync_state_get(struct store_backend *be, const char *target,
				 const char *type_id,
				 struct store_sync_state *out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_SYNC_GET, &st)) < 0)
		return ret;
	bind_text(st, 1, target);
	bind_text(st, 2, type_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->target = col_strdup(st, 0);
		out->type_id = col_strdup(st, 1);
		out->type_key = col_strdup(st, 2);
		out->base_hash = col_strdup(st, 4);
		out->remote_etag = col_strdup(st, 5);
		out->local_version = col_strdup(st, 6);
		out->status = col_strdup(st, 7);
		out->conflict_status = col_strdup(st, 8);
		out->last_sync_ms = sqlite3_column_int64(st, 9);
		out->updated_ms = sqlite3_column_int64(st, 10);
		ret = col_json(ss, st, 3, &out->base_doc);
	} else if (rc == SQLITE_DONE) {
		ret = err_set(ERR_NOTFOUND,
			      "content type '%s' was never synced to '%s'",
			      type_id, target);
	} else {
		ret = sq_error(ss, rc, "read the sync state");
	}
	sqlite3_reset(st);
	if (ret < 0)
		store_sync_state_release(out);
	return ret;
}

static int sqlite_sync_state_put(struct store_backend *be,
				 const struct store_sync_state *s)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_SYNC_PUT, &st)) < 0)
		return ret;
	bind_text(st, 1, s->target);
	bind_text(st, 2, s->type_id);
	bind_text(st, 3, s->type_key);
	bind_json(st, 4, s->base_doc);
	bind_text(st, 5, s->base_hash);
	bind_text(st, 6, s->remote_etag);
	bind_text(st, 7, s->local_version);
	bind_text(st, 8, s->status);
	bind_text(st, 9, s->conflict_status);
	bind_time(st, 10, s->last_sync_ms);
	sqlite3_bind_int64(st, 11, time_now_ms());
	return exec_step(ss, st, "write the sync state");
}

static int sqlite_sync_state_list(struct store_backend *be, const char *type_id,
				  json_t **out)
{
	struct sqlite_store *ss = ss_of(be);
	json_t *arr = json_array();
	sqlite3_stmt *st;
	int rc, ret;

	ret = stmt(ss, type_id ? S_SYNC_LIST_TYPE : S_SYNC_LIST_ALL, &st);
	if (ret < 0)
		goto out;
	if (type_id)
		bind_text(st, 1, type_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();

		json_object_set_new(
			o, "target",
			json_string((const char *)sqlite3_column_text(st, 0)));
		json_object_set_new(
			o, "type_id",
			json_string((const char *)sqlite3_column_text(st, 1)));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			json_object_set_new(
				o, "type_key",
				json_string((const char *)sqlite3_column_text(
					st, 2)));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			json_object_set_new(
				o, "local_version",
				json_string((const char *)sqlite3_column_text(
					st, 3)));
		json_object_set_new(
			o, "status",
			json_string((const char *)sqlite3_column_text(st, 4)));
		json_object_set_new(o, "last_sync",
				    json_integer(sqlite3_column_int64(st, 5)));
		json_array_append_new(arr, o);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "read the sync state");
		goto out;
	}
	*out = arr;
	arr = NULL;
out:
	json_decref(arr);
	return ret;
}

/* --- runs, the journal, the history, backups ---------------------------- */

/* v, or JSON null when v is NULL (a column without a value). */
static json_t *or_null(json_t *v)
{
	return v ? v : json_null();
}

/* A text column as a JSON string, or null. */
static json_t *col_jstr(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? or_null(json_string(s)) : json_null();
}

/* A time column as an ISO 8601 UTC string, or null (NULL or 0). */
static json_t *col_jtime(sqlite3_stmt *st, int i)
{
	struct buf b = BUF_INIT;
	json_t *v;

	if (sqlite3_column_type(st, i) == SQLITE_NULL ||
	    sqlite3_column_int64(st, i) <= 0)
		return json_null();
	time_format_iso(&b, sqlite3_column_int64(st, i));
	v = json_string(b.ptr);
	buf_release(&b);
	return or_null(v);
}

/* A JSON column as a JSON value (null for SQL NULL). */
static int col_jjson(struct sqlite_store *ss, sqlite3_stmt *st, int i,
		     json_t **out)
{
	int ret = col_json(ss, st, i, out);

	if (!ret && !*out)
		*out = json_null();
	return ret;
}

/*
 * Steps a write of a row that names a run: a foreign key that fails means
 * the run does not exist (ERR_NOTFOUND).
 */
static int exec_run_child(struct sqlite_store *ss, sqlite3_stmt *st,
			  const char *run_id, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return err_set(ERR_NOTFOUND, "no run '%s' in state store '%s'",
			       run_id, ss->path);
	if (rc != SQLITE_DONE)
		return sq_error(ss, rc, what);
	return 0;
}

/* ERR_NOTFOUND when there is no run id. */
static int run_exists(struct sqlite_store *ss, const char *id)
{
	struct buf msg = BUF_INIT;
	sqlite3_stmt *st;
	char *got = NULL;
	int ret;

	if ((ret = stmt(ss, S_RUN_EXISTS, &st)) < 0)
		return ret;
	bind_text(st, 1, id);
	buf_addf(&msg, "no run '%s' in state store '%s'", id, ss->path);
	ret = one_string(ss, st, &got, msg.ptr);
	free(got);
	buf_release(&msg);
	return ret;
}

static int sqlite_run_put(struct store_backend *be, const struct store_run *r)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, r->plan ? S_RUN_PUT : S_RUN_UPDATE, &st)) < 0)
		return ret;
	bind_text(st, 1, r->id);
	bind_text(st, 2, r->target);
	bind_text(st, 3, r->mode);
	bind_text(st, 4, r->status);
	bind_text(st, 5, r->actor);
	if (r->plan)
		bind_json(st, 6, r->plan);
	bind_json(st, 7, r->summary);
	sqlite3_bind_int64(st, 8, r->started_ms);
	bind_time(st, 9, r->finished_ms);
	if ((ret = exec_step(ss, st, "write a run")) < 0)
		return ret;
	if (!r->plan && !sqlite3_changes(ss->db))
		return err_set(ERR_NOTFOUND, "no run '%s' in state store '%s'",
			       r->id, ss->path);
	return 0;
}

/* Fills r from a row of RUN_COLS. */
static int run_from_row(struct sqlite_store *ss, sqlite3_stmt *st,
			struct store_run *r)
{
	int ret;

	r->id = col_strdup(st, 0);
	r->target = col_strdup(st, 1);
	r->mode = col_strdup(st, 2);
	r->status = col_strdup(st, 3);
	r->actor = col_strdup(st, 4);
	r->started_ms = sqlite3_column_int64(st, 7);
	r->finished_ms = sqlite3_column_int64(st, 8);
	if ((ret = col_json(ss, st, 5, &r->plan)) < 0)
		return ret;
	return col_json(ss, st, 6, &r->summary);
}

static int sqlite_run_get(struct store_backend *be, const char *id,
			  struct store_run *out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int rc, ret;

	if ((ret = stmt(ss, S_RUN_GET, &st)) < 0)
		return ret;
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = run_from_row(ss, st, out);
	else if (rc == SQLITE_DONE)
		ret = err_set(ERR_NOTFOUND, "no run '%s'", id);
	else
		ret = sq_error(ss, rc, "read a run");
	sqlite3_reset(st);
	if (ret < 0)
		store_run_release(out);
	return ret;
}

static int sqlite_run_resolve(struct store_backend *be, const char *prefix,
			      char **id_out)
{
	return resolve_prefix(ss_of(be), S_RUN_RESOLVE, prefix, "run", 64,
			      id_out);
}

static int sqlite_run_list(struct store_backend *be, const char *target,
			   size_t limit, json_t **out)
{
	struct sqlite_store *ss = ss_of(be);
	json_t *arr = json_array(), *summary = NULL;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE, ret;

	ret = stmt(ss, target ? S_RUN_LIST_TARGET : S_RUN_LIST_ALL, &st);
	if (ret < 0)
		goto out;
	/* LIMIT -1 is no limit. */
	sqlite3_bind_int64(st, 1, limit ? (sqlite3_int64)limit : -1);
	if (target)
		bind_text(st, 2, target);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long started = sqlite3_column_int64(st, 7);
		long long finished = sqlite3_column_int64(st, 8);
		json_t *o = json_object();

		json_array_append_new(arr, o);
		if ((ret = col_jjson(ss, st, 6, &summary)) < 0)
			break;
		json_object_set_new(o, "id", col_jstr(st, 0));
		json_object_set_new(o, "target", col_jstr(st, 1));
		json_object_set_new(o, "mode", col_jstr(st, 2));
		json_object_set_new(o, "status", col_jstr(st, 3));
		json_object_set_new(o, "actor", col_jstr(st, 4));
		json_object_set_new(o, "summary", summary);
		summary = NULL;
		json_object_set_new(o, "started", col_jtime(st, 7));
		json_object_set_new(o, "finished", col_jtime(st, 8));
		json_object_set_new(o, "duration_ms",
				    finished > 0
					    ? json_integer(finished - started)
					    : json_null());
	}
	sqlite3_reset(st);
	if (ret < 0)
		goto out;
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "read the runs");
		goto out;
	}
	*out = arr;
	arr = NULL;
	ret = 0;
out:
	json_decref(arr);
	return ret;
}

static int sqlite_run_unfinished(struct store_backend *be, const char *target,
				 char **id_out)
{
	struct sqlite_store *ss = ss_of(be);
	struct buf msg = BUF_INIT;
	sqlite3_stmt *st;
	int ret;

	ret = stmt(ss, target ? S_RUN_UNFINISHED_TARGET : S_RUN_UNFINISHED_ALL,
		   &st);
	if (ret < 0)
		return ret;
	if (target) {
		bind_text(st, 1, target);
		buf_addf(&msg, "no unfinished run of target '%s'", target);
	} else {
		buf_adds(&msg, "no unfinished run");
	}
	ret = one_string(ss, st, id_out, msg.ptr);
	buf_release(&msg);
	return ret;
}

static int sqlite_op_put(struct store_backend *be, const struct store_op *op)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_OP_PUT, &st)) < 0)
		return ret;
	bind_text(st, 1, op->run_id);
	sqlite3_bind_int64(st, 2, op->seq);
	bind_text(st, 3, op->type_id);
	bind_text(st, 4, op->type_key);
	bind_text(st, 5, op->action);
	bind_text(st, 6, op->state);
	bind_json(st, 7, op->request);
	bind_json(st, 8, op->response);
	bind_text(st, 9, op->etag);
	bind_text(st, 10, op->error);
	sqlite3_bind_int(st, 11, op->attempts);
	bind_time(st, 12, op->started_ms);
	bind_time(st, 13, op->finished_ms);
	return exec_run_child(ss, st, op->run_id, "write an operation");
}

static int op_from_row(struct sqlite_store *ss, sqlite3_stmt *st,
		       struct store_op *op)
{
	int ret;

	memset(op, 0, sizeof(*op));
	op->run_id = col_strdup(st, 0);
	op->seq = (long)sqlite3_column_int64(st, 1);
	op->type_id = col_strdup(st, 2);
	op->type_key = col_strdup(st, 3);
	op->action = col_strdup(st, 4);
	op->state = col_strdup(st, 5);
	op->etag = col_strdup(st, 8);
	op->error = col_strdup(st, 9);
	op->attempts = sqlite3_column_int(st, 10);
	op->started_ms = sqlite3_column_int64(st, 11);
	op->finished_ms = sqlite3_column_int64(st, 12);
	if ((ret = col_json(ss, st, 6, &op->request)) < 0)
		return ret;
	return col_json(ss, st, 7, &op->response);
}

static int sqlite_ops(struct store_backend *be, const char *run_id,
		      struct store_op **out, size_t *nr_out)
{
	struct sqlite_store *ss = ss_of(be);
	struct store_op *ops = NULL;
	size_t nr = 0, alloc = 0;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE, ret;

	if ((ret = run_exists(ss, run_id)) < 0)
		return ret;
	if ((ret = stmt(ss, S_OPS, &st)) < 0)
		return ret;
	bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ALLOC_GROW(ops, nr + 1, alloc);
		if ((ret = op_from_row(ss, st, &ops[nr++])) < 0)
			break;
	}
	sqlite3_reset(st);
	if (!ret && rc != SQLITE_DONE)
		ret = sq_error(ss, rc, "read the journal");
	if (ret < 0) {
		store_ops_free(ops, nr);
		return ret;
	}
	*out = ops;
	*nr_out = nr;
	return 0;
}

static int sqlite_history_add(struct store_backend *be,
			      struct store_history_entry *e)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_HISTORY_ADD, &st)) < 0)
		return ret;
	bind_text(st, 1, e->run_id);
	bind_text(st, 2, e->target);
	bind_text(st, 3, e->type_id);
	bind_text(st, 4, e->type_key);
	bind_text(st, 5, e->version_id);
	bind_text(st, 6, e->direction);
	bind_text(st, 7, e->action);
	bind_text(st, 8, e->status);
	bind_json(st, 9, e->pushed);
	bind_json(st, 10, e->response);
	bind_text(st, 11, e->error);
	bind_text(st, 12, e->actor);
	sqlite3_bind_int64(st, 13, e->started_ms);
	bind_time(st, 14, e->finished_ms);
	if ((ret = exec_run_child(ss, st, e->run_id, "write the history")) < 0)
		return ret;
	e->id = sqlite3_last_insert_rowid(ss->db);
	return 0;
}

/* A row of HISTORY_COLS as the object store_history_query gives. */
static int history_json(struct sqlite_store *ss, sqlite3_stmt *st, json_t **out)
{
	json_t *o = json_object(), *pushed = NULL, *response = NULL;
	int ret;

	*out = NULL;
	if ((ret = col_jjson(ss, st, 9, &pushed)) < 0 ||
	    (ret = col_jjson(ss, st, 10, &response)) < 0)
		goto out;
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	json_object_set_new(o, "run_id", col_jstr(st, 1));
	json_object_set_new(o, "target", col_jstr(st, 2));
	json_object_set_new(o, "type_id", col_jstr(st, 3));
	json_object_set_new(o, "type_key", col_jstr(st, 4));
	json_object_set_new(o, "version_id", col_jstr(st, 5));
	json_object_set_new(o, "direction", col_jstr(st, 6));
	json_object_set_new(o, "action", col_jstr(st, 7));
	json_object_set_new(o, "status", col_jstr(st, 8));
	json_object_set_new(o, "pushed", pushed);
	json_object_set_new(o, "response", response);
	pushed = response = NULL;
	json_object_set_new(o, "error", col_jstr(st, 11));
	json_object_set_new(o, "actor", col_jstr(st, 12));
	json_object_set_new(o, "started", col_jtime(st, 13));
	json_object_set_new(o, "finished", col_jtime(st, 14));
	*out = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(pushed);
	json_decref(response);
	return ret;
}

static int sqlite_history_query(struct store_backend *be,
				const struct store_history_query *q,
				json_t **out)
{
	struct sqlite_store *ss = ss_of(be);
	struct filter f = {.sql = BUF_INIT};
	json_t *arr = json_array(), *o;
	sqlite3_stmt *st = NULL;
	int rc, ret;

	buf_adds(&f.sql, "SELECT " HISTORY_COLS " FROM sync_history");
	filter_text(&f, "target = ", q->target);
	filter_text(&f, "type_key = ", q->type_key);
	filter_text(&f, "type_id = ", q->type_id);
	filter_text(&f, "run_id = ", q->run_id);
	filter_text(&f, "status = ", q->status);
	filter_int(&f, "started_at >= ", q->since_ms);
	buf_adds(&f.sql, " ORDER BY started_at DESC, id DESC");
	filter_limit(&f, q->limit);
	if ((ret = filter_prepare(ss, &f, &st, "query the history")) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ret = history_json(ss, st, &o)) < 0)
			goto out;
		json_array_append_new(arr, o);
	}
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "query the history");
		goto out;
	}
	*out = arr;
	arr = NULL;
	ret = 0;
out:
	json_decref(arr);
	sqlite3_finalize(st);
	buf_release(&f.sql);
	return ret;
}

static int sqlite_backup_add(struct store_backend *be, struct store_backup *b)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_BACKUP_ADD, &st)) < 0)
		return ret;
	bind_text(st, 1, b->run_id);
	bind_text(st, 2, b->target);
	bind_text(st, 3, b->type_id);
	bind_text(st, 4, b->type_key);
	bind_json(st, 5, b->doc);
	bind_text(st, 6, b->etag);
	sqlite3_bind_int64(st, 7, b->created_ms);
	if ((ret = exec_run_child(ss, st, b->run_id, "write a backup")) < 0)
		return ret;
	b->id = sqlite3_last_insert_rowid(ss->db);
	return 0;
}

/* Fills b from a row of BACKUP_COLS. */
static int backup_from_row(struct sqlite_store *ss, sqlite3_stmt *st,
			   struct store_backup *b)
{
	b->id = sqlite3_column_int64(st, 0);
	b->run_id = col_strdup(st, 1);
	b->target = col_strdup(st, 2);
	b->type_id = col_strdup(st, 3);
	b->type_key = col_strdup(st, 4);
	b->etag = col_strdup(st, 6);
	b->created_ms = sqlite3_column_int64(st, 7);
	return col_json(ss, st, 5, &b->doc);
}

/* Runs a backup statement that gives at most one row into *out. */
static int one_backup(struct sqlite_store *ss, sqlite3_stmt *st,
		      struct store_backup *out, const char *notfound)
{
	int rc = sqlite3_step(st), ret;

	if (rc == SQLITE_ROW)
		ret = backup_from_row(ss, st, out);
	else if (rc == SQLITE_DONE)
		ret = err_set(ERR_NOTFOUND, "%s", notfound);
	else
		ret = sq_error(ss, rc, "read a backup");
	sqlite3_reset(st);
	if (ret < 0)
		store_backup_release(out);
	return ret;
}

static int sqlite_backup_get(struct store_backend *be, long long id,
			     struct store_backup *out)
{
	struct sqlite_store *ss = ss_of(be);
	struct buf msg = BUF_INIT;
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_BACKUP_GET, &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, id);
	buf_addf(&msg, "no backup %lld", id);
	ret = one_backup(ss, st, out, msg.ptr);
	buf_release(&msg);
	return ret;
}

static int sqlite_backups_of_run(struct store_backend *be, const char *run_id,
				 json_t **out)
{
	struct sqlite_store *ss = ss_of(be);
	json_t *arr = json_array(), *doc = NULL;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE, ret;

	if ((ret = run_exists(ss, run_id)) < 0)
		goto out;
	if ((ret = stmt(ss, S_BACKUPS_OF_RUN, &st)) < 0)
		goto out;
	bind_text(st, 1, run_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = json_object();

		json_array_append_new(arr, o);
		if ((ret = col_jjson(ss, st, 5, &doc)) < 0)
			break;
		json_object_set_new(o, "id",
				    json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(o, "target", col_jstr(st, 2));
		json_object_set_new(o, "type_id", col_jstr(st, 3));
		json_object_set_new(o, "type_key", col_jstr(st, 4));
		json_object_set_new(o, "doc", doc);
		doc = NULL;
		json_object_set_new(o, "etag", col_jstr(st, 6));
		json_object_set_new(o, "created", col_jtime(st, 7));
	}
	sqlite3_reset(st);
	if (ret < 0)
		goto out;
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "read the backups");
		goto out;
	}
	*out = arr;
	arr = NULL;
	ret = 0;
out:
	json_decref(arr);
	return ret;
}

static int sqlite_backup_latest(struct store_backend *be, const char *target,
				const char *type_key, struct store_backup *out)
{
	struct sqlite_store *ss = ss_of(be);
	struct buf msg = BUF_INIT;
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_BACKUP_LATEST, &st)) < 0)
		return ret;
	bind_text(st, 1, target);
	bind_text(st, 2, type_key);
	buf_addf(&msg, "no backup of '%s' in target '%s'", type_key, target);
	ret = one_backup(ss, st, out, msg.ptr);
	buf_release(&msg);
	return ret;
}

/* Runs one retention delete and returns how many rows it removed. */
static int gc_step(struct sqlite_store *ss, enum stmt_id id,
		   long long before_ms, size_t *count)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, id, &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, before_ms);
	if ((ret = exec_step(ss, st, "remove old records")) < 0)
		return ret;
	*count = (size_t)sqlite3_changes(ss->db);
	return 0;
}

/*
 * The removal is the count: a dry run removes the same rows in the same
 * transaction and rolls it back, so it cannot say anything else than a
 * real run would.
 */
static int sqlite_gc(struct store_backend *be, long long before_ms, int dry_run,
		     struct store_gc_report *out)
{
	struct sqlite_store *ss = ss_of(be);
	int ret, end;

	if ((ret = own_begin(ss)) < 0)
		return ret;
	/* The children first, then the runs: a backup kept as the newest of
	 * its type loses its run_id (ON DELETE SET NULL). */
	if ((ret = gc_step(ss, S_GC_OPS, before_ms, &out->ops)) < 0 ||
	    (ret = gc_step(ss, S_GC_HISTORY, before_ms, &out->history)) < 0 ||
	    (ret = gc_step(ss, S_GC_BACKUPS, before_ms, &out->backups)) < 0 ||
	    (ret = gc_step(ss, S_GC_RUNS, before_ms, &out->runs)) < 0 ||
	    (ret = gc_step(ss, S_GC_INTENTS, before_ms, &out->intents)) < 0 ||
	    (ret = gc_step(ss, S_GC_CONFLICTS, before_ms, &out->conflicts)) < 0)
		goto out;
	ret = 0;
out:
	end = own_end(ss, ret >= 0 && !dry_run);
	if (ret >= 0 && end < 0)
		ret = end;
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

/* --- the conflict log --------------------------------------------------- */

static int is_pending(const char *resolution)
{
	return !resolution || !strcmp(resolution, "pending");
}

/* Binds the place of a conflict: origin, target, type, path (?1..?4). */
static void bind_conflict_place(sqlite3_stmt *st,
				const struct store_conflict *c)
{
	bind_text(st, 1, c->origin);
	bind_text(st, 2, c->target);
	bind_text(st, 3, c->type_id);
	bind_text(st, 4, c->path);
}

/*
 * The id of the pending conflict at c's place seen with c's hashes, or 0
 * when there is none.
 */
static int conflict_same(struct sqlite_store *ss,
			 const struct store_conflict *c, long long *id_out)
{
	sqlite3_stmt *st;
	int rc, ret;

	*id_out = 0;
	if ((ret = stmt(ss, S_CONFLICT_SAME, &st)) < 0)
		return ret;
	bind_conflict_place(st, c);
	bind_text(st, 5, c->local_hash);
	bind_text(st, 6, c->remote_hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id_out = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		ret = sq_error(ss, rc, "read the conflict log");
	sqlite3_reset(st);
	return ret;
}

/* Resolves the pending conflict id as c says. */
static int conflict_resolve_id(struct sqlite_store *ss, long long id,
			       const struct store_conflict *c)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_CONFLICT_RESOLVE_ID, &st)) < 0)
		return ret;
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, c->resolution);
	bind_json(st, 3, c->resolved_value);
	bind_text(st, 4, c->resolved_by);
	sqlite3_bind_int64(st, 5, c->resolved_ms);
	return exec_step(ss, st, "resolve a conflict");
}

static int conflict_insert(struct sqlite_store *ss, struct store_conflict *c)
{
	int pending = is_pending(c->resolution);
	sqlite3_stmt *st;
	int ret;

	if ((ret = stmt(ss, S_CONFLICT_INSERT, &st)) < 0)
		return ret;
	bind_text(st, 1, c->origin);
	bind_text(st, 2, c->target);
	bind_text(st, 3, c->type_id);
	bind_text(st, 4, c->type_key);
	bind_text(st, 5, c->path);
	bind_json(st, 6, c->segments);
	bind_text(st, 7, c->kind);
	bind_json(st, 8, c->base_value);
	bind_json(st, 9, c->local_value);
	bind_json(st, 10, c->remote_value);
	bind_text(st, 11, c->base_hash);
	bind_text(st, 12, c->local_hash);
	bind_text(st, 13, c->remote_hash);
	bind_text(st, 14, c->run_id);
	bind_text(st, 15, pending ? "pending" : c->resolution);
	bind_json(st, 16, pending ? NULL : c->resolved_value);
	bind_text(st, 17, pending ? NULL : c->resolved_by);
	bind_time(st, 18, pending ? 0 : c->resolved_ms);
	sqlite3_bind_int64(st, 19, c->created_ms);
	if ((ret = exec_step(ss, st, "record a conflict")) < 0)
		return ret;
	c->id = sqlite3_last_insert_rowid(ss->db);
	return 0;
}

static int sqlite_conflict_add(struct store_backend *be,
			       struct store_conflict *c)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	long long same = 0;
	int ret, end;

	if ((ret = own_begin(ss)) < 0)
		return ret;
	if ((ret = conflict_same(ss, c, &same)) < 0)
		goto out;
	if (same) {
		/* Seen before with the same documents: the same conflict. */
		if (!is_pending(c->resolution) &&
		    (ret = conflict_resolve_id(ss, same, c)) < 0)
			goto out;
		c->id = same;
		ret = 0;
		goto out;
	}
	/* Seen before with other documents: that one is superseded. */
	if ((ret = stmt(ss, S_CONFLICT_SUPERSEDE, &st)) < 0)
		goto out;
	bind_conflict_place(st, c);
	sqlite3_bind_int64(st, 5, time_now_ms());
	if ((ret = exec_step(ss, st, "supersede a conflict")) < 0)
		goto out;
	ret = conflict_insert(ss, c);
out:
	end = own_end(ss, ret >= 0);
	if (ret >= 0 && end < 0)
		ret = end;
	return ret;
}

/* Fills c from a row of CONFLICT_COLS; releases c on error. */
static int conflict_from_row(struct sqlite_store *ss, sqlite3_stmt *st,
			     struct store_conflict *c)
{
	int ret;

	c->id = sqlite3_column_int64(st, 0);
	c->origin = col_strdup(st, 1);
	c->target = col_strdup(st, 2);
	c->type_id = col_strdup(st, 3);
	c->type_key = col_strdup(st, 4);
	c->path = col_strdup(st, 5);
	c->kind = col_strdup(st, 7);
	c->base_hash = col_strdup(st, 11);
	c->local_hash = col_strdup(st, 12);
	c->remote_hash = col_strdup(st, 13);
	c->run_id = col_strdup(st, 14);
	c->resolution = col_strdup(st, 15);
	c->resolved_by = col_strdup(st, 17);
	c->resolved_ms = sqlite3_column_int64(st, 18);
	c->created_ms = sqlite3_column_int64(st, 19);
	if ((ret = col_json(ss, st, 6, &c->segments)) < 0 ||
	    (ret = col_json(ss, st, 8, &c->base_value)) < 0 ||
	    (ret = col_json(ss, st, 9, &c->local_value)) < 0 ||
	    (ret = col_json(ss, st, 10, &c->remote_value)) < 0 ||
	    (ret = col_json(ss, st, 16, &c->resolved_value)) < 0)
		store_conflict_release(c);
	return ret;
}

static int sqlite_conflict_query(struct store_backend *be,
				 const struct store_conflict_query *q,
				 struct store_conflict_list *out)
{
	struct sqlite_store *ss = ss_of(be);
	struct filter f = {.sql = BUF_INIT};
	struct store_conflict c = {0};
	sqlite3_stmt *st = NULL;
	int rc, ret;

	buf_adds(&f.sql, "SELECT " CONFLICT_COLS " FROM conflict_log");
	filter_text(&f, "origin = ", q->origin);
	filter_text(&f, "target = ", q->target);
	filter_text(&f, "type_id = ", q->type_id);
	if (q->pending_only)
		filter_cond(&f, "resolution = 'pending'");
	buf_adds(&f.sql, " ORDER BY created_at DESC, id DESC");
	filter_limit(&f, q->limit);
	if ((ret = filter_prepare(ss, &f, &st, "query the conflict log")) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((ret = conflict_from_row(ss, st, &c)) < 0)
			goto out;
		ALLOC_GROW(out->items, out->nr + 1, out->alloc);
		out->items[out->nr++] = c;
		memset(&c, 0, sizeof(c));
	}
	if (rc != SQLITE_DONE) {
		ret = sq_error(ss, rc, "query the conflict log");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		store_conflict_list_release(out);
	sqlite3_finalize(st);
	buf_release(&f.sql);
	return ret;
}

static int sqlite_conflict_resolve(struct store_backend *be, const char *origin,
				   const char *target, const char *type_id,
				   const char *path, const char *resolution,
				   const json_t *value, const char *by,
				   long long at_ms, size_t *count_out)
{
	struct sqlite_store *ss = ss_of(be);
	sqlite3_stmt *st;
	int ret;

	*count_out = 0;
	if ((ret = stmt(ss, S_CONFLICT_RESOLVE, &st)) < 0)
		return ret;
	bind_text(st, 1, origin);
	bind_text(st, 2, target);
	bind_text(st, 3, type_id);
	bind_text(st, 4, path);
	bind_text(st, 5, resolution);
	bind_json(st, 6, value);
	bind_text(st, 7, by);
	sqlite3_bind_int64(st, 8, at_ms);
	if ((ret = exec_step(ss, st, "resolve conflicts")) < 0)
		return ret;
	*count_out = (size_t)sqlite3_changes(ss->db);
	return 0;
}

static const struct store_backend sqlite_table = {
	.version = STORE_BACKEND_VERSION,
	.name = "sqlite",
	.free = sqlite_free,
	.info = sqlite_info,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.meta_get = sqlite_meta_get,
	.meta_set = sqlite_meta_set,
	.target_put = sqlite_target_put,
	.type_key_get = sqlite_type_key_get,
	.type_key_find = sqlite_type_key_find,
	.type_key_put = sqlite_type_key_put,
	.type_keys = sqlite_type_keys,
	.field_keys = sqlite_field_keys,
	.field_key_put = sqlite_field_key_put,
	.overlay_get = sqlite_overlay_get,
	.overlay_put = sqlite_overlay_put,
	.version_put = sqlite_version_put,
	.version_get = sqlite_version_get,
	.version_resolve = sqlite_version_resolve,
	.version_query = sqlite_version_query,
	.version_heads = sqlite_version_heads,
	.version_mainline = sqlite_version_mainline,
	.version_types = sqlite_version_types,
	.intent_add = sqlite_intent_add,
	.intent_finish = sqlite_intent_finish,
	.intent_pending = sqlite_intent_pending,
	.lock_try = sqlite_lock_try,
	.lock_steal = sqlite_lock_steal,
	.lock_renew = sqlite_lock_renew,
	.lock_release = sqlite_lock_release,
	.lock_get = sqlite_lock_get,
	.sync_state_get = sqlite_sync_state_get,
	.sync_state_put = sqlite_sync_state_put,
	.sync_state_list = sqlite_sync_state_list,
	.run_put = sqlite_run_put,
	.run_get = sqlite_run_get,
	.run_resolve = sqlite_run_resolve,
	.run_list = sqlite_run_list,
	.run_unfinished = sqlite_run_unfinished,
	.op_put = sqlite_op_put,
	.ops = sqlite_ops,
	.history_add = sqlite_history_add,
	.history_query = sqlite_history_query,
	.backup_add = sqlite_backup_add,
	.backup_get = sqlite_backup_get,
	.backups_of_run = sqlite_backups_of_run,
	.backup_latest = sqlite_backup_latest,
	.gc = sqlite_gc,
	.conflict_add = sqlite_conflict_add,
	.conflict_query = sqlite_conflict_query,
	.conflict_resolve = sqlite_conflict_resolve,
};
