/*
 * migrations: the SQLite schema of the state store, as numbered migrations
 * (brief §13), applied in order by store_sqlite.c at open, each in its own
 * transaction and recorded in schema_migrations.
 *
 * A migration is never edited once released: a change is a new migration
 * with the next number, and STORE_SCHEMA_VERSION (store.h) moves with it.
 * schema_migrations and store_info exist before any migration (the
 * backend makes them first, so that even a store from a newer binary can
 * be told apart).
 * docs/store.md describes every table. All times are INTEGER milliseconds
 * since the epoch; all JSON is TEXT.
 */
#include <stddef.h>

#include "store/store.h"

static const char migration_1[] =
	/* Release targets: one per sync.platforms entry. */
	"CREATE TABLE targets ("
	" name TEXT NOT NULL PRIMARY KEY CHECK (length(name) > 0),"
	" url TEXT,"
	" website_id TEXT,"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"

	/* Persisted identity (brief §5). */
	"CREATE TABLE type_map ("
	" type_id TEXT NOT NULL PRIMARY KEY CHECK (length(type_id) > 0),"
	" website_id TEXT NOT NULL,"
	" key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),"
	" origin TEXT NOT NULL CHECK (origin IN ('generated', 'mapped')),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" UNIQUE (website_id, key));"
	"CREATE TABLE field_map ("
	" type_id TEXT NOT NULL,"
	" field_ref TEXT NOT NULL CHECK (length(field_ref) > 0),"
	" field_name TEXT NOT NULL,"
	" key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (type_id, field_ref),"
	" UNIQUE (type_id, key));"

	/* Target-owned members per type (brief §4). */
	"CREATE TABLE target_overlay ("
	" target TEXT NOT NULL,"
	" type_id TEXT NOT NULL,"
	" overlay TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (target, type_id));"

	/* Version history (brief §7); PRD names kept. */
	"CREATE TABLE content_type_versions ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" version_id TEXT NOT NULL UNIQUE CHECK (length(version_id) = 64),"
	" type_id TEXT NOT NULL,"
	" website_id TEXT NOT NULL,"
	" type_key TEXT,"
	" name TEXT,"
	" content_hash TEXT NOT NULL CHECK (length(content_hash) = 64),"
	" content_snapshot TEXT,"
	" deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
	" change_source TEXT NOT NULL"
	"  CHECK (change_source IN ('UI', 'AI', 'SYNC')),"
	" author TEXT,"
	" message TEXT,"
	" created_at INTEGER NOT NULL,"
	" changelog_install TEXT,"
	" changelog_id INTEGER,"
	" mainline INTEGER NOT NULL DEFAULT 1 CHECK (mainline IN (0, 1)),"
	/* No version names it as a parent yet (kept by the backend). */
	" is_head INTEGER NOT NULL DEFAULT 1 CHECK (is_head IN (0, 1)),"
	" CHECK (deleted = 1 OR content_snapshot IS NOT NULL),"
	" CHECK ((changelog_install IS NULL) = (changelog_id IS NULL)),"
	" UNIQUE (changelog_install, changelog_id));"
	"CREATE INDEX content_type_versions_type"
	" ON content_type_versions (type_id, seq);"
	"CREATE INDEX content_type_versions_type_main"
	" ON content_type_versions (type_id, mainline, seq);"
	"CREATE INDEX content_type_versions_heads"
	" ON content_type_versions (type_id, seq) WHERE is_head = 1;"
	"CREATE INDEX content_type_versions_created"
	" ON content_type_versions (created_at);"
	"CREATE INDEX content_type_versions_author"
	" ON content_type_versions (author, seq);"
	"CREATE INDEX content_type_versions_source"
	" ON content_type_versions (change_source, seq);"
	"CREATE TABLE version_parents ("
	" version_id TEXT NOT NULL"
	"  REFERENCES content_type_versions (version_id) ON DELETE CASCADE,"
	" parent_id TEXT NOT NULL"
	"  REFERENCES content_type_versions (version_id) ON DELETE RESTRICT,"
	" parent_order INTEGER NOT NULL CHECK (parent_order >= 0),"
	" PRIMARY KEY (version_id, parent_order),"
	" UNIQUE (version_id, parent_id),"
	" CHECK (version_id <> parent_id));"
	"CREATE INDEX version_parents_parent ON version_parents (parent_id);"

	/* What each target last agreed on, per type (brief §8). */
	"CREATE TABLE sync_state ("
	" target TEXT NOT NULL,"
	" type_id TEXT NOT NULL,"
	" type_key TEXT,"
	" base_doc TEXT,"
	" base_hash TEXT,"
	" remote_etag TEXT,"
	" local_version TEXT,"
	" status TEXT NOT NULL CHECK (status IN ('new', 'in_sync',"
	"  'modified', 'drift', 'conflict', 'deleted', 'blocked',"
	"  'failed')),"
	" conflict_status TEXT"
	"  CHECK (conflict_status IN ('none', 'detected', 'resolved')),"
	" last_sync_at INTEGER,"
	" last_conflict_at INTEGER,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (target, type_id));"
	"CREATE INDEX sync_state_type ON sync_state (type_id);"

	/* Runs and their journal (brief §11). */
	"CREATE TABLE sync_runs ("
	" run_id TEXT NOT NULL PRIMARY KEY,"
	" target TEXT NOT NULL,"
	" mode TEXT NOT NULL CHECK (mode IN ('push', 'pull',"
	"  'bidirectional')),"
	" status TEXT NOT NULL CHECK (status IN ('planned', 'running',"
	"  'done', 'partial', 'failed', 'interrupted')),"
	" requested_by TEXT,"
	" plan TEXT,"
	" summary TEXT,"
	" started_at INTEGER NOT NULL,"
	" finished_at INTEGER);"
	"CREATE INDEX sync_runs_target ON sync_runs (target, started_at);"
	"CREATE TABLE sync_ops ("
	" run_id TEXT NOT NULL REFERENCES sync_runs (run_id)"
	"  ON DELETE CASCADE,"
	" seq INTEGER NOT NULL CHECK (seq >= 0),"
	" type_id TEXT,"
	" type_key TEXT NOT NULL,"
	" action TEXT NOT NULL CHECK (action IN ('create', 'update',"
	"  'delete', 'adopt', 'pull', 'record_base', 'skip')),"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done',"
	"  'failed', 'skipped')),"
	" request TEXT,"
	" response TEXT,"
	" etag TEXT,"
	" error TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" started_at INTEGER,"
	" finished_at INTEGER,"
	" PRIMARY KEY (run_id, seq));"

	/* The audit trail of every sync of every type. */
	"CREATE TABLE sync_history ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" run_id TEXT,"
	" target TEXT NOT NULL,"
	" type_id TEXT,"
	" type_key TEXT NOT NULL,"
	" version_id TEXT,"
	" direction TEXT NOT NULL CHECK (direction IN ('push', 'pull')),"
	" status TEXT NOT NULL CHECK (status IN ('success', 'failed',"
	"  'skipped')),"
	" pushed_data TEXT,"
	" response_data TEXT,"
	" error_message TEXT,"
	" requested_by TEXT,"
	" started_at INTEGER NOT NULL,"
	" completed_at INTEGER);"
	"CREATE INDEX sync_history_type ON sync_history (type_id, started_at);"
	"CREATE INDEX sync_history_run ON sync_history (run_id);"

	/* Conflicts and how they were resolved (brief §9). */
	"CREATE TABLE conflict_log ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" target TEXT NOT NULL,"
	" type_id TEXT,"
	" type_key TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" conflict_type TEXT NOT NULL CHECK (conflict_type IN ('field',"
	"  'structural', 'delete')),"
	" base_value TEXT,"
	" local_value TEXT,"
	" remote_value TEXT,"
	" base_hash TEXT,"
	" local_hash TEXT,"
	" remote_hash TEXT,"
	" resolution TEXT NOT NULL DEFAULT 'pending' CHECK (resolution IN"
	"  ('pending', 'local_wins', 'remote_wins', 'merged', 'manual')),"
	" resolved_by TEXT,"
	" resolved_at INTEGER,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX conflict_log_type ON conflict_log (type_id, created_at);"

	/* Remote documents saved before they were changed (brief §12). */
	"CREATE TABLE backups ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" run_id TEXT,"
	" target TEXT NOT NULL,"
	" type_id TEXT,"
	" type_key TEXT NOT NULL,"
	" remote_doc TEXT NOT NULL,"
	" etag TEXT,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX backups_type ON backups (target, type_key, created_at);"

	/* The two-database protocol (brief §7). */
	"CREATE TABLE intents ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind TEXT NOT NULL CHECK (kind IN ('record', 'pull', 'merge')),"
	" type_id TEXT NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'pending'"
	"  CHECK (state IN ('pending', 'done', 'abandoned')),"
	" payload TEXT NOT NULL,"
	" note TEXT,"
	" created_at INTEGER NOT NULL,"
	" finished_at INTEGER,"
	" CHECK ((state = 'pending') = (finished_at IS NULL)));"
	"CREATE INDEX intents_pending ON intents (state, id);"

	/* Per-target locks (brief §13). */
	"CREATE TABLE locks ("
	" target TEXT NOT NULL PRIMARY KEY,"
	" owner_pid INTEGER NOT NULL CHECK (owner_pid > 0),"
	" owner_host TEXT NOT NULL,"
	" token TEXT NOT NULL,"
	" acquired_at INTEGER NOT NULL,"
	" renewed_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" CHECK (expires_at >= renewed_at));";

/*
 * Migration 2: runs, their journal, the sync history and backups as the
 * executor writes them (brief §11). No released code ever wrote these four
 * tables, so they are dropped and made again rather than copied: the
 * journal gets the actions of the executor (link, import, forget), the
 * history an action and upper-case statuses, and rows that name a run
 * refer to it (the journal and the history go with their run, a backup
 * outlives it).
 */
static const char migration_2[] =
	"DROP TABLE sync_ops;"
	"DROP TABLE sync_history;"
	"DROP TABLE backups;"
	"DROP TABLE sync_runs;"

	/* One run of the executor. */
	"CREATE TABLE sync_runs ("
	" run_id TEXT NOT NULL PRIMARY KEY"
	"  CHECK (length(run_id) BETWEEN 4 AND 64),"
	" target TEXT NOT NULL CHECK (length(target) > 0),"
	" mode TEXT NOT NULL CHECK (mode IN ('push', 'pull',"
	"  'bidirectional')),"
	" status TEXT NOT NULL CHECK (status IN ('running', 'done',"
	"  'partial', 'failed', 'interrupted')),"
	" requested_by TEXT,"
	" plan TEXT NOT NULL,"
	" summary TEXT,"
	" started_at INTEGER NOT NULL,"
	" finished_at INTEGER);"
	"CREATE INDEX sync_runs_started ON sync_runs (started_at);"
	"CREATE INDEX sync_runs_target ON sync_runs (target, started_at);"

	/* Its journal: one row per operation of the plan. */
	"CREATE TABLE sync_ops ("
	" run_id TEXT NOT NULL REFERENCES sync_runs (run_id)"
	"  ON DELETE CASCADE,"
	" seq INTEGER NOT NULL CHECK (seq >= 0),"
	" type_id TEXT,"
	" type_key TEXT,"
	" action TEXT NOT NULL CHECK (action IN ('create', 'update',"
	"  'delete', 'link', 'import', 'record_base', 'forget')),"
	" state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done',"
	"  'failed', 'skipped')),"
	" request TEXT,"
	" response TEXT,"
	" etag TEXT,"
	" error TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" started_at INTEGER,"
	" finished_at INTEGER,"
	" PRIMARY KEY (run_id, seq));"

	/* The audit trail of every sync of every type. */
	"CREATE TABLE sync_history ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" run_id TEXT REFERENCES sync_runs (run_id) ON DELETE CASCADE,"
	" target TEXT NOT NULL,"
	" type_id TEXT,"
	" type_key TEXT NOT NULL CHECK (length(type_key) > 0),"
	" version_id TEXT,"
	" direction TEXT NOT NULL CHECK (direction IN ('push', 'pull')),"
	" action TEXT NOT NULL CHECK (action IN ('create', 'update',"
	"  'delete', 'link', 'import', 'record_base', 'forget')),"
	" status TEXT NOT NULL CHECK (status IN ('SUCCESS', 'FAILED',"
	"  'PARTIAL', 'SKIPPED')),"
	" pushed_data TEXT,"
	" response_data TEXT,"
	" error_message TEXT,"
	" requested_by TEXT,"
	" started_at INTEGER NOT NULL,"
	" completed_at INTEGER);"
	"CREATE INDEX sync_history_started ON sync_history (started_at);"
	"CREATE INDEX sync_history_key ON sync_history (type_key, started_at);"
	"CREATE INDEX sync_history_type ON sync_history (type_id, started_at);"
	"CREATE INDEX sync_history_run ON sync_history (run_id, started_at);"

	/* Remote documents saved before they were changed (brief §12). */
	"CREATE TABLE backups ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" run_id TEXT REFERENCES sync_runs (run_id) ON DELETE SET NULL,"
	" target TEXT NOT NULL,"
	" type_id TEXT,"
	" type_key TEXT NOT NULL CHECK (length(type_key) > 0),"
	" remote_doc TEXT NOT NULL,"
	" etag TEXT,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX backups_run ON backups (run_id, id);"
	"CREATE INDEX backups_type ON backups (target, type_key, created_at);";

/*
 * Migration 3: the conflict log as brief §9 writes it. SQLite cannot alter
 * a CHECK, so the table is made anew, the rows are copied, the old table is
 * dropped and the new one renamed (its index goes with the old table and is
 * made again). A conflict now has an origin ('sync': Catalyst against a
 * target; 'branch': two versions of the history edited from one), the
 * member names of its path, the run that met it and the value it was
 * resolved to; a branch conflict has no target and may have no type key; a
 * conflict seen again with other documents is 'superseded'. Old rows are
 * sync conflicts; one that was resolved without a time gets its creation
 * time, so that every row keeps the rule "resolved_at is set exactly when
 * it is no longer pending". Rows keep their ids, and new ones go on from
 * the highest id the old table gave.
 */
static const char migration_3[] =
	"CREATE TABLE conflict_log_new ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" origin TEXT NOT NULL DEFAULT 'sync'"
	"  CHECK (origin IN ('sync', 'branch')),"
	" target TEXT,"
	" type_id TEXT,"
	" type_key TEXT,"
	" path TEXT NOT NULL,"
	" segments TEXT,"
	" conflict_type TEXT NOT NULL CHECK (conflict_type IN ('field',"
	"  'structural', 'delete')),"
	" base_value TEXT,"
	" local_value TEXT,"
	" remote_value TEXT,"
	" base_hash TEXT,"
	" local_hash TEXT,"
	" remote_hash TEXT,"
	" run_id TEXT,"
	" resolution TEXT NOT NULL DEFAULT 'pending' CHECK (resolution IN"
	"  ('pending', 'local_wins', 'remote_wins', 'merged', 'manual',"
	"  'superseded')),"
	" resolved_value TEXT,"
	" resolved_by TEXT,"
	" resolved_at INTEGER,"
	" created_at INTEGER NOT NULL,"
	" CHECK ((resolution = 'pending') = (resolved_at IS NULL)),"
	/* A sync conflict names its target and type key; a branch one has
	 * no target. */
	" CHECK (origin = 'branch' OR (target IS NOT NULL"
	"  AND type_key IS NOT NULL)),"
	" CHECK (origin = 'sync' OR target IS NULL));"
	"INSERT INTO conflict_log_new (id, origin, target, type_id, type_key,"
	" path, conflict_type, base_value, local_value, remote_value,"
	" base_hash, local_hash, remote_hash, resolution, resolved_by,"
	" resolved_at, created_at)"
	" SELECT id, 'sync', target, type_id, type_key, path, conflict_type,"
	" base_value, local_value, remote_value, base_hash, local_hash,"
	" remote_hash, resolution, resolved_by,"
	" CASE WHEN resolution = 'pending' THEN NULL"
	"  ELSE coalesce(resolved_at, created_at) END,"
	" created_at FROM conflict_log ORDER BY id;"
	/* AUTOINCREMENT never gives an id twice: the new table goes on from
	 * the highest id the old one gave, removed rows included. */
	"UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence"
	"  WHERE name = 'conflict_log')"
	" WHERE name = 'conflict_log_new' AND seq < (SELECT seq"
	"  FROM sqlite_sequence WHERE name = 'conflict_log');"
	"INSERT INTO sqlite_sequence (name, seq)"
	" SELECT 'conflict_log_new', seq FROM sqlite_sequence"
	" WHERE name = 'conflict_log' AND NOT EXISTS (SELECT 1"
	"  FROM sqlite_sequence WHERE name = 'conflict_log_new');"
	"DROP TABLE conflict_log;"
	"ALTER TABLE conflict_log_new RENAME TO conflict_log;"
	"CREATE INDEX conflict_log_type ON conflict_log (type_id, created_at);"
	"CREATE INDEX conflict_log_target"
	" ON conflict_log (target, resolution);";

/*
 * Migration 4: the journal and the history take the operations that
 * write Catalyst (pull, pull_create, pull_delete: brief §12). A CHECK
 * cannot be altered, so both tables are made anew and their rows copied
 * (nothing refers to them).
 */
#define ACTIONS_4                                                              \
	" action TEXT NOT NULL CHECK (action IN ('create', 'update',"          \
	"  'delete', 'link', 'import', 'record_base', 'forget', 'pull',"       \
	"  'pull_create', 'pull_delete')),"
static const char migration_4[] =
	"CREATE TABLE sync_ops_4 ("
	" run_id TEXT NOT NULL REFERENCES sync_runs (run_id)"
	"  ON DELETE CASCADE,"
	" seq INTEGER NOT NULL CHECK (seq >= 0),"
	" type_id TEXT,"
	" type_key TEXT," ACTIONS_4
	" state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done',"
	"  'failed', 'skipped')),"
	" request TEXT,"
	" response TEXT,"
	" etag TEXT,"
	" error TEXT,"
	" attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	" started_at INTEGER,"
	" finished_at INTEGER,"
	" PRIMARY KEY (run_id, seq));"
	"INSERT INTO sync_ops_4 SELECT run_id, seq, type_id, type_key, action,"
	" state, request, response, etag, error, attempts, started_at,"
	" finished_at FROM sync_ops;"
	"DROP TABLE sync_ops;"
	"ALTER TABLE sync_ops_4 RENAME TO sync_ops;"
	"CREATE TABLE sync_history_4 ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" run_id TEXT REFERENCES sync_runs (run_id) ON DELETE CASCADE,"
	" target TEXT NOT NULL,"
	" type_id TEXT,"
	" type_key TEXT NOT NULL CHECK (length(type_key) > 0),"
	" version_id TEXT,"
	" direction TEXT NOT NULL CHECK (direction IN ('push', "
	"'pull'))," ACTIONS_4
	" status TEXT NOT NULL CHECK (status IN ('SUCCESS', 'FAILED',"
	"  'PARTIAL', 'SKIPPED')),"
	" pushed_data TEXT,"
	" response_data TEXT,"
	" error_message TEXT,"
	" requested_by TEXT,"
	" started_at INTEGER NOT NULL,"
	" completed_at INTEGER);"
	"INSERT INTO sync_history_4 SELECT id, run_id, target, type_id,"
	" type_key, version_id, direction, action, status, pushed_data,"
	" response_data, error_message, requested_by, started_at, completed_at"
	" FROM sync_history;"
	"DROP TABLE sync_history;"
	"ALTER TABLE sync_history_4 RENAME TO sync_history;"
	"CREATE INDEX sync_history_started ON sync_history (started_at);"
	"CREATE INDEX sync_history_key ON sync_history (type_key, started_at);"
	"CREATE INDEX sync_history_type ON sync_history (type_id, started_at);"
	"CREATE INDEX sync_history_run ON sync_history (run_id, started_at);";
#undef ACTIONS_4

const struct store_migration store_sqlite_migrations[] = {
	{1, "init", migration_1},
	{2, "runs", migration_2},
	{3, "conflicts", migration_3},
	{4, "pull", migration_4},
	{0, NULL, NULL}};
