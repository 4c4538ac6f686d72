/*
 * store: the state store port (brief §13).
 *
 * The state store keeps what catalyst-sync knows between runs: the persisted
 * keys (type_map, field_map), the version history of every content type
 * (content_type_versions, version_parents), the target overlays, sync
 * state, runs, journal, conflicts, backups, the intents of the two-database
 * protocol (brief §7) and the per-target locks.
 *
 * A backend is a versioned table of function pointers, as libgit2's refdb
 * backends are (struct store_backend). SQLite (store_sqlite.c) is the only
 * backend now; PostgreSQL comes later and must pass the same conformance
 * suite (tests/unit/t_store.c). Callers never see a backend: they use the
 * store_* functions below, which check the arguments, inject faults in
 * debug builds (CS_FAULT_AT=store:N fails the N-th store call) and call
 * through the table.
 *
 * Conventions of every function here: 0 on success, a negative err code
 * with a message (util/err.h) on failure; ERR_NOTFOUND when a looked-up
 * thing does not exist; ERR_CONFLICT when a uniqueness rule or a lock
 * refuses the write. Strings passed in are borrowed for the call; results
 * returned through "out" pointers belong to the caller, who releases them
 * with the matching *_release function (or free() for plain strings,
 * json_decref() for JSON). Times are milliseconds since the epoch.
 *
 * Writes outside an explicit transaction are each their own transaction.
 * store_begin(s, 1) starts a write transaction (SQLite: BEGIN IMMEDIATE, so
 * writers queue at the start rather than fail half-way); transactions do
 * not nest.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <jansson.h>
#include <stddef.h>

#include "core/canon.h"

/* The schema this binary writes; a store with a newer one is refused. */
#define STORE_SCHEMA_VERSION 4
/* The version of struct store_backend; a backend says which it fills. */
#define STORE_BACKEND_VERSION 3

/* Change sources of a version (brief §7). */
#define STORE_SOURCE_UI "UI"
#define STORE_SOURCE_AI "AI"
#define STORE_SOURCE_SYNC "SYNC"

struct store;
struct store_backend;

/* What store_open needs to know. */
struct store_options {
	/* Create the store when it does not exist (only init does). */
	int create;
	/* sync.state.durability is "full": commit durably (SQLite
	 * synchronous=FULL instead of NORMAL). */
	int durable;
};

/* store_info: the identity of a store. */
struct store_info {
	char *store_id;	    /* random, made when the store is created */
	int schema_version; /* the schema the store is at */
	long long created_ms;
	char *backend;	/* "sqlite" */
	char *location; /* the path (or, later, the DSN without secrets) */
};
void store_info_release(struct store_info *info);

/* One version of a content type (content_type_versions + parents). */
struct store_version {
	long long seq; /* insertion order; set by the store */
	char *id;      /* the version id (core/canon.h) */
	char *type_id; /* the Catalyst type id */
	char *website_id;
	/* Its Optimizely key when recorded, and its name; may be NULL. */
	char *type_key;
	char *name;
	char *content_hash; /* of snapshot; the hash of null when deleted */
	json_t *snapshot;   /* the Catalyst form; NULL when deleted or when
			       the query did not ask for snapshots */
	int deleted;	    /* the type was deleted in Catalyst */
	char *source;	    /* "UI", "AI" or "SYNC" */
	char *author;	    /* may be NULL */
	char *message;	    /* may be NULL */
	long long created_ms;
	/*
	 * Where it came from in the Catalyst changelog: the capture install
	 * id and the changelog row id; NULL and -1 when it did not come
	 * from there. A (install, id) pair makes at most one version.
	 */
	char *changelog_install;
	long long changelog_id;
	/*
	 * 1 when this content is (or was, when it was recorded) the row in
	 * Catalyst: the main line. 0 for a branch: an edit based on a version
	 * that was no longer the head, kept in the store until it is merged.
	 */
	int mainline;
	char **parents; /* ordered; parents[0] is the first parent */
	size_t parents_nr;
};
void store_version_init(struct store_version *v);
void store_version_release(struct store_version *v);
/* Appends a copy of parent to v's parents. */
void store_version_add_parent(struct store_version *v, const char *parent);

/* A list of versions, as the queries return them. */
struct store_version_list {
	struct store_version *items;
	size_t nr, alloc;
};
void store_version_list_release(struct store_version_list *l);

/* What store_version_query selects; zero/NULL members do not filter. */
struct store_version_query {
	const char *type_id;
	long long since_ms; /* created at or after; 0: no bound */
	long long until_ms; /* created before; 0: no bound */
	const char *author;
	const char *source;
	size_t limit;	   /* at most this many (newest first); 0: all */
	int with_snapshot; /* load the snapshots too */
};

/* The lock of one target (brief §13). */
struct store_lock {
	char *target;
	long owner_pid;
	char *owner_host;
	char *token; /* random, names one holder */
	long long acquired_ms;
	long long renewed_ms;
	long long expires_ms;
};
void store_lock_release(struct store_lock *l);

/* The sync state of one type in one target (brief §8). */
struct store_sync_state {
	char *target;
	char *type_id;
	char *type_key;
	json_t *base_doc; /* D_B; may be NULL */
	char *base_hash;
	char *remote_etag;
	char *local_version; /* the version last synced */
	/* new, in_sync, modified, drift, conflict, deleted, blocked, failed */
	char *status;
	char *conflict_status;	/* none, detected, resolved; may be NULL */
	long long last_sync_ms; /* 0 when never */
	long long updated_ms;
};
void store_sync_state_release(struct store_sync_state *st);

/* One persisted field key (field_map). */
struct store_field_key {
	char *field_ref;  /* the field's id, else "name:" + its name */
	char *field_name; /* its name when last seen */
	char *key;	  /* the property key */
};

/* One intent of the two-database protocol (brief §7). */
struct store_intent {
	long long id;
	char *kind; /* "record" (later "pull", "merge") */
	char *type_id;
	char *state;	 /* "pending", "done", "abandoned" */
	json_t *payload; /* what the step needs to finish or redo itself */
	char *note;	 /* why it ended as it did; may be NULL */
	long long created_ms;
	long long finished_ms; /* 0 while pending */
};
void store_intent_release(struct store_intent *in);

typedef int (*store_version_fn)(const struct store_version *v, void *payload);
typedef int (*store_intent_fn)(const struct store_intent *in, void *payload);

struct store_run;
struct store_op;
struct store_history_entry;
struct store_history_query;
struct store_backup;
struct store_gc_report;
struct store_conflict;
struct store_conflict_list;
struct store_conflict_query;

/*
 * The backend table. Every function gets the backend itself first; the
 * semantics of each are those of the store_* wrapper of the same name
 * below, which is where they are documented. A backend fills every member
 * (none is optional) and sets version to STORE_BACKEND_VERSION.
 */
struct store_backend {
	unsigned int version;
	const char *name;

	void (*free)(struct store_backend *be);
	int (*info)(struct store_backend *be, struct store_info *out);

	int (*begin)(struct store_backend *be, int write);
	int (*commit)(struct store_backend *be);
	int (*rollback)(struct store_backend *be);

	int (*meta_get)(struct store_backend *be, const char *key, char **out);
	int (*meta_set)(struct store_backend *be, const char *key,
			const char *value);

	int (*target_put)(struct store_backend *be, const char *name,
			  const char *url, const char *website_id);

	int (*type_key_get)(struct store_backend *be, const char *type_id,
			    char **key_out);
	int (*type_key_find)(struct store_backend *be, const char *website_id,
			     const char *key, char **type_id_out);
	int (*type_key_put)(struct store_backend *be, const char *website_id,
			    const char *type_id, const char *key,
			    const char *origin);
	int (*type_keys)(struct store_backend *be, const char *website_id,
			 json_t **out);
	int (*field_keys)(struct store_backend *be, const char *type_id,
			  struct store_field_key **out, size_t *nr_out);
	int (*field_key_put)(struct store_backend *be, const char *type_id,
			     const struct store_field_key *fk);

	int (*overlay_get)(struct store_backend *be, const char *target,
			   const char *type_id, json_t **out);
	int (*overlay_put)(struct store_backend *be, const char *target,
			   const char *type_id, const json_t *overlay);

	int (*version_put)(struct store_backend *be, struct store_version *v);
	int (*version_get)(struct store_backend *be, const char *id,
			   struct store_version *out);
	int (*version_resolve)(struct store_backend *be, const char *prefix,
			       char **id_out);
	int (*version_query)(struct store_backend *be,
			     const struct store_version_query *q,
			     store_version_fn fn, void *payload);
	int (*version_heads)(struct store_backend *be, const char *type_id,
			     struct store_version_list *out);
	int (*version_mainline)(struct store_backend *be, const char *type_id,
				struct store_version *out);
	int (*version_types)(struct store_backend *be, json_t **out);

	int (*intent_add)(struct store_backend *be, const char *kind,
			  const char *type_id, const json_t *payload,
			  long long *id_out);
	int (*intent_finish)(struct store_backend *be, long long id,
			     const char *state, const char *note);
	int (*intent_pending)(struct store_backend *be, store_intent_fn fn,
			      void *payload);

	int (*lock_try)(struct store_backend *be, const struct store_lock *me,
			long long now_ms, struct store_lock *holder_out);
	int (*lock_steal)(struct store_backend *be, const struct store_lock *me,
			  const char *old_token, long long now_ms);
	int (*lock_renew)(struct store_backend *be, const char *target,
			  const char *token, long long expires_ms,
			  long long now_ms);
	int (*lock_release)(struct store_backend *be, const char *target,
			    const char *token);
	int (*lock_get)(struct store_backend *be, const char *target,
			struct store_lock *out);

	int (*sync_state_get)(struct store_backend *be, const char *target,
			      const char *type_id,
			      struct store_sync_state *out);
	int (*sync_state_put)(struct store_backend *be,
			      const struct store_sync_state *st);
	int (*sync_state_list)(struct store_backend *be, const char *type_id,
			       json_t **out);

	/* Version 2: runs, the journal, the history, backups, retention. */
	int (*run_put)(struct store_backend *be, const struct store_run *r);
	int (*run_get)(struct store_backend *be, const char *id,
		       struct store_run *out);
	int (*run_resolve)(struct store_backend *be, const char *prefix,
			   char **id_out);
	int (*run_list)(struct store_backend *be, const char *target,
			size_t limit, json_t **out);
	int (*run_unfinished)(struct store_backend *be, const char *target,
			      char **id_out);
	int (*op_put)(struct store_backend *be, const struct store_op *op);
	int (*ops)(struct store_backend *be, const char *run_id,
		   struct store_op **out, size_t *nr_out);
	int (*history_add)(struct store_backend *be,
			   struct store_history_entry *e);
	int (*history_query)(struct store_backend *be,
			     const struct store_history_query *q, json_t **out);
	int (*backup_add)(struct store_backend *be, struct store_backup *b);
	int (*backup_get)(struct store_backend *be, long long id,
			  struct store_backup *out);
	int (*backups_of_run)(struct store_backend *be, const char *run_id,
			      json_t **out);
	int (*backup_latest)(struct store_backend *be, const char *target,
			     const char *type_key, struct store_backup *out);
	int (*gc)(struct store_backend *be, long long before_ms, int dry_run,
		  struct store_gc_report *out);

	/* Version 3: the conflict log. */
	int (*conflict_add)(struct store_backend *be, struct store_conflict *c);
	int (*conflict_query)(struct store_backend *be,
			      const struct store_conflict_query *q,
			      struct store_conflict_list *out);
	int (*conflict_resolve)(struct store_backend *be, const char *origin,
				const char *target, const char *type_id,
				const char *path, const char *resolution,
				const json_t *value, const char *by,
				long long at_ms, size_t *count_out);
};

/*
 * Opens the state store at location (a file path; "postgres://..." is
 * refused until that backend exists), applying pending migrations in
 * order. With opt->create unset a missing store is ERR_NOTFOUND with a
 * message that says to run 'catalyst-sync init'. A store whose schema is
 * newer than STORE_SCHEMA_VERSION is refused (ERR_INVALID) with a message
 * saying to upgrade. *out is freed with store_close.
 */
int store_open(struct store **out, const char *location,
	       const struct store_options *opt)
	__attribute__((warn_unused_result));

/* Wraps a backend (taking it over); for backends and the test suite. */
struct store *store_new_take(struct store_backend *be);

/* Closes the store (rolling back an open transaction). NULL is fine. */
void store_close(struct store *s);

/* True when the backend made a new store in store_open. */
int store_created(const struct store *s);

/* The store's identity (id, schema version, backend, location). */
int store_info(struct store *s, struct store_info *out)
	__attribute__((warn_unused_result));

/*
 * Transactions. store_begin(s, 1) takes the write lock at once (SQLite
 * BEGIN IMMEDIATE, waiting up to the busy timeout); store_begin(s, 0)
 * gives a consistent read. store_rollback never fails the caller: it is
 * for error paths, and returns void.
 */
int store_begin(struct store *s, int write) __attribute__((warn_unused_result));
int store_commit(struct store *s) __attribute__((warn_unused_result));
void store_rollback(struct store *s);

/*
 * Small settings kept in store_info beside the store id and the schema
 * version (capture mode, changelog cursors). *out is malloc'd;
 * ERR_NOTFOUND when key is not set. Keys "store_id", "schema_version" and
 * "created_at" are the store's own and cannot be set.
 */
int store_meta_get(struct store *s, const char *key, char **out)
	__attribute__((warn_unused_result));
int store_meta_set(struct store *s, const char *key, const char *value)
	__attribute__((warn_unused_result));

/* Adds or updates a target (by name). url and website_id may be NULL. */
int store_target_put(struct store *s, const char *name, const char *url,
		     const char *website_id)
	__attribute__((warn_unused_result));

/*
 * Persisted type keys (type_map, brief §5). A type's key is set once and
 * then kept whatever the type is renamed to. store_type_key_get gives the
 * key of a Catalyst type id (ERR_NOTFOUND when it has none yet);
 * store_type_key_find the type that holds key in a website (ERR_NOTFOUND);
 * store_type_key_put binds type_id to key: origin is "generated" or
 * "mapped" (map TYPE KEY). A key already held by another type of the
 * website is ERR_CONFLICT. Rebinding a type to a new key replaces its old
 * key. store_type_keys gives {type id: key} for a website (NULL: all).
 */
int store_type_key_get(struct store *s, const char *type_id, char **key_out)
	__attribute__((warn_unused_result));
int store_type_key_find(struct store *s, const char *website_id,
			const char *key, char **type_id_out)
	__attribute__((warn_unused_result));
int store_type_key_put(struct store *s, const char *website_id,
		       const char *type_id, const char *key, const char *origin)
	__attribute__((warn_unused_result));
int store_type_keys(struct store *s, const char *website_id, json_t **out)
	__attribute__((warn_unused_result));

/*
 * Persisted property keys (field_map): a field is known by its id, else
 * by "name:" + its name (fk->field_ref), so a renamed field keeps its key.
 * store_field_keys gives every entry of a type as a new array (*nr_out
 * entries; free with store_field_keys_free). store_field_key_put adds or
 * updates one (by ref); a key held by another field of the type is
 * ERR_CONFLICT.
 */
int store_field_keys(struct store *s, const char *type_id,
		     struct store_field_key **out, size_t *nr_out)
	__attribute__((warn_unused_result));
void store_field_keys_free(struct store_field_key *fks, size_t nr);
int store_field_key_put(struct store *s, const char *type_id,
			const struct store_field_key *fk)
	__attribute__((warn_unused_result));

/*
 * The target overlay of a type (brief §4): the target-owned members of its
 * remote document, refreshed from every remote read. *out is a new
 * reference; ERR_NOTFOUND when there is none.
 */
int store_overlay_get(struct store *s, const char *target, const char *type_id,
		      json_t **out) __attribute__((warn_unused_result));
int store_overlay_put(struct store *s, const char *target, const char *type_id,
		      const json_t *overlay)
	__attribute__((warn_unused_result));

/*
 * Adds a version with its parents. v->id, type_id, website_id,
 * content_hash, source and created_ms are required; snapshot is required
 * unless deleted. Sets v->seq. Adding a version that exists already (same
 * id) changes nothing and returns 1: version ids are content addresses.
 * A changelog (install, id) pair that already made a version is
 * ERR_CONFLICT. Parents must exist (ERR_NOTFOUND otherwise).
 */
int store_version_put(struct store *s, struct store_version *v)
	__attribute__((warn_unused_result));

/* The version with this full id, snapshot included (ERR_NOTFOUND). *out
 * is released by the caller with store_version_release. */
int store_version_get(struct store *s, const char *id,
		      struct store_version *out)
	__attribute__((warn_unused_result));

/*
 * A full version id from a full id or a unique prefix of at least 7 hex
 * characters (brief §16): ERR_NOTFOUND when none matches, ERR_INVALID when
 * the prefix is too short, not hex, or matches several (the message lists
 * them). *id_out is malloc'd.
 */
int store_version_resolve(struct store *s, const char *prefix, char **id_out)
	__attribute__((warn_unused_result));

/*
 * Calls fn for the versions q selects, newest first (by seq). fn returns 0
 * to go on or an error code to stop (returned). The version is valid during
 * the call only.
 */
int store_version_query(struct store *s, const struct store_version_query *q,
			store_version_fn fn, void *payload)
	__attribute__((warn_unused_result));

/*
 * The heads of a type: its versions that no other version names as a
 * parent, newest first, without snapshots. More than one head means
 * branches. An unknown type has none (an empty list, not an error).
 */
int store_version_heads(struct store *s, const char *type_id,
			struct store_version_list *out)
	__attribute__((warn_unused_result));

/*
 * The newest main-line version of a type (what its Catalyst row holds, as
 * far as the history knows), snapshot included. ERR_NOTFOUND when the type
 * has no version.
 */
int store_version_mainline(struct store *s, const char *type_id,
			   struct store_version *out)
	__attribute__((warn_unused_result));

/* Every type with versions: a new object {type id: website id}. */
int store_version_types(struct store *s, json_t **out)
	__attribute__((warn_unused_result));

/*
 * Intents (brief §7). store_intent_add writes a pending intent (kind,
 * type_id, payload copied) and gives its id; store_intent_finish ends it
 * as "done" or "abandoned" with an optional note (ERR_NOTFOUND for an
 * unknown or already ended intent); store_intent_pending calls fn for each
 * pending intent, oldest first.
 */
int store_intent_add(struct store *s, const char *kind, const char *type_id,
		     const json_t *payload, long long *id_out)
	__attribute__((warn_unused_result));
int store_intent_finish(struct store *s, long long id, const char *state,
			const char *note) __attribute__((warn_unused_result));
int store_intent_pending(struct store *s, store_intent_fn fn, void *payload)
	__attribute__((warn_unused_result));

/*
 * The per-target lock (brief §13). store_lock_acquire takes the lock of
 * target for this process (pid and host name, a new random token in
 * *out) for ttl_ms. It succeeds when the lock is free, expired, or held by
 * a process of this host that no longer exists (taken over, with a
 * warning); otherwise ERR_CONFLICT naming the holder, whose record is put
 * in *holder_out when that is not NULL. store_lock_renew pushes the expiry
 * ttl_ms past now (ERR_CONFLICT when the lock is no longer ours);
 * store_unlock gives it up (releasing a lock that is not ours does
 * nothing). store_lock_get reads the current record (ERR_NOTFOUND).
 */
int store_lock_acquire(struct store *s, const char *target, long long ttl_ms,
		       struct store_lock *out, struct store_lock *holder_out)
	__attribute__((warn_unused_result));
int store_lock_renew(struct store *s, const struct store_lock *lock,
		     long long ttl_ms) __attribute__((warn_unused_result));
int store_unlock(struct store *s, const struct store_lock *lock)
	__attribute__((warn_unused_result));
int store_lock_get(struct store *s, const char *target, struct store_lock *out)
	__attribute__((warn_unused_result));

/*
 * Sync state (brief §8), one record per (target, type): get
 * (ERR_NOTFOUND), put (insert or replace; target, type_id and status are
 * required), and list: a new array of {target, type_id, type_key,
 * local_version, status, last_sync} for a type (NULL: all types).
 */
int store_sync_state_get(struct store *s, const char *target,
			 const char *type_id, struct store_sync_state *out)
	__attribute__((warn_unused_result));
int store_sync_state_put(struct store *s, const struct store_sync_state *st)
	__attribute__((warn_unused_result));
int store_sync_state_list(struct store *s, const char *type_id, json_t **out)
	__attribute__((warn_unused_result));

/* ---- runs, their journal, the sync history and backups (brief §11) ---- */

/* A run of the executor (sync_runs). */
struct store_run {
	/* 12 lower-case hex digits, random (the store takes 4 to 64) */
	char *id;
	char *target; /* the target's name */
	char *mode;   /* "push", "pull" or "bidirectional" */
	/* "running", "done" (every operation done), "partial" (some failed
	 * or were skipped), "failed" (none done), "interrupted" (stopped by
	 * a signal or a crash; resumable) */
	char *status;
	char *actor;	 /* who asked (--actor, else user@host) */
	json_t *plan;	 /* the plan it runs (core/plan.h); required */
	json_t *summary; /* counts when finished; may be NULL */
	long long started_ms;
	long long finished_ms; /* 0 while running or interrupted */
};
void store_run_release(struct store_run *r);

/* One operation of a run (sync_ops): the journal of brief §11. */
struct store_op {
	char *run_id;
	long seq;	/* the operation's number in the plan, from 0 */
	char *type_id;	/* may be NULL (a type known only remotely) */
	char *type_key; /* may be NULL for an import (several types) */
	/* "create", "update", "delete", "link" (the second phase of a
	 * cycle), "import" (a manifest chunk of creates), "record_base"
	 * (adopt or converged: no request), "forget" */
	char *action;
	/* "pending", "running" (sent, or about to be), "done", "failed",
	 * "skipped" */
	char *state;
	json_t *request;  /* what is (or was) sent; may be NULL */
	json_t *response; /* the answer's document; may be NULL */
	char *etag;	  /* the ETag sent with If-Match; may be NULL */
	char *error;	  /* why it failed or was skipped; may be NULL */
	int attempts;	  /* how many times it was started */
	long long started_ms, finished_ms; /* 0: not yet */
};
void store_op_release(struct store_op *op);
void store_ops_free(struct store_op *ops, size_t nr);

/* One row of the audit trail (sync_history). */
struct store_history_entry {
	long long id; /* set by the store */
	char *run_id; /* may be NULL */
	char *target;
	char *type_id; /* may be NULL */
	char *type_key;
	char *version_id; /* the local version pushed; may be NULL */
	char *direction;  /* "push" or "pull" */
	char *action;	  /* create, update, delete, link, import, ... */
	/* "SUCCESS", "FAILED", "PARTIAL" (a two-phase create whose second
	 * phase failed), "SKIPPED" */
	char *status;
	json_t *pushed;	  /* what was sent; may be NULL */
	json_t *response; /* what came back; may be NULL */
	char *error;	  /* may be NULL */
	char *actor;	  /* may be NULL */
	long long started_ms, finished_ms;
};

/*
 * What store_history_query selects; zero/NULL members do not filter, and
 * the members that are set must all match.
 */
struct store_history_query {
	const char *target;
	const char *type_key;
	const char *type_id;
	const char *run_id; /* a full run id */
	const char *status; /* "SUCCESS", "FAILED", "PARTIAL" or "SKIPPED" */
	long long since_ms; /* started at or after */
	size_t limit;	    /* newest first; 0: all */
};

/* A remote document saved before it was changed or deleted (backups). */
struct store_backup {
	long long id; /* set by the store */
	char *run_id; /* may be NULL */
	char *target;
	char *type_id; /* may be NULL */
	char *type_key;
	json_t *doc; /* the canonical remote document */
	char *etag;  /* may be NULL */
	long long created_ms;
};
void store_backup_release(struct store_backup *b);

/* What store_gc removed (or, with dry_run, would remove): row counts. */
struct store_gc_report {
	size_t runs, ops, history, backups, intents;
	size_t conflicts; /* resolved conflicts (conflict_log) */
};

/*
 * Runs. store_run_put inserts or replaces a run (by id; id, target, mode,
 * status, plan and started_ms are required; the id is 4 to 64 lower-case
 * hex digits; an unknown mode or status is ERR_INVALID). Replacing a run
 * keeps its operations; a NULL plan replaces the rest of a run that exists
 * and keeps its plan as stored (a plan of 1,000 types is megabytes, and a
 * run's end changes only its status and counts), ERR_NOTFOUND when there
 * is no such run. store_run_get reads one by its full id
 * (ERR_NOTFOUND); *out is released with store_run_release.
 * store_run_resolve gives the full id of a run from its full id or a
 * unique prefix of at least 4 hex digits: ERR_NOTFOUND when none matches,
 * ERR_INVALID when the prefix is too short, not hex, or matches several
 * (the message lists them); *id_out is malloc'd. store_run_list gives a
 * new array of {id, target, mode, status, actor, summary, started,
 * finished, duration_ms} (times as ISO 8601 UTC strings; finished and
 * duration_ms null while unfinished; actor and summary null when unset),
 * newest first (by start), at most limit (0: all), for one target (NULL:
 * all). store_run_unfinished gives the id of the newest run of target
 * (NULL: of any target) whose status is "running" or "interrupted"
 * (ERR_NOTFOUND when there is none); *id_out is malloc'd.
 */
int store_run_put(struct store *s, const struct store_run *r)
	__attribute__((warn_unused_result));
int store_run_get(struct store *s, const char *id, struct store_run *out)
	__attribute__((warn_unused_result));
int store_run_resolve(struct store *s, const char *prefix, char **id_out)
	__attribute__((warn_unused_result));
int store_run_list(struct store *s, const char *target, size_t limit,
		   json_t **out) __attribute__((warn_unused_result));
int store_run_unfinished(struct store *s, const char *target, char **id_out)
	__attribute__((warn_unused_result));

/*
 * The journal. store_op_put inserts or replaces one operation (by run_id
 * and seq; run_id, action and state are required, seq and attempts are 0
 * or more, an unknown action or state is ERR_INVALID; the run must exist:
 * ERR_NOTFOUND otherwise). store_ops gives every operation of a run in
 * seq order (a new array of *nr_out entries, freed with store_ops_free;
 * NULL and 0 when the run has none); ERR_NOTFOUND for an unknown run.
 */
int store_op_put(struct store *s, const struct store_op *op)
	__attribute__((warn_unused_result));
int store_ops(struct store *s, const char *run_id, struct store_op **out,
	      size_t *nr_out) __attribute__((warn_unused_result));

/*
 * The sync history. store_history_add appends an entry (target, type_key,
 * direction, action, status and started_ms required; action is one of the
 * journal's, status one of the four above, else ERR_INVALID; a run_id
 * must name a run: ERR_NOTFOUND otherwise) and sets e->id. e is only read
 * otherwise and stays the caller's. store_history_query gives a new array
 * of {id, run_id, target, type_id, type_key, version_id, direction,
 * action, status, pushed, response, error, actor, started, finished}
 * (times ISO 8601 UTC; members without a value are null) of the entries q
 * selects, newest first (by start, then by id); an unknown status in q is
 * ERR_INVALID.
 */
int store_history_add(struct store *s, struct store_history_entry *e)
	__attribute__((warn_unused_result));
int store_history_query(struct store *s, const struct store_history_query *q,
			json_t **out) __attribute__((warn_unused_result));

/*
 * Backups. store_backup_add saves one (target, type_key, doc and
 * created_ms required; a run_id must name a run: ERR_NOTFOUND otherwise)
 * and sets b->id. store_backup_get reads one by id (ERR_NOTFOUND); *out
 * is released with store_backup_release. store_backups_of_run gives a new
 * array of the backups a run made, {id, target, type_id, type_key, doc,
 * etag, created}, in the order they were made (ERR_NOTFOUND for an
 * unknown run). store_backup_latest gives the newest backup (by
 * created_ms, then id) of a type's key in a target (ERR_NOTFOUND).
 */
int store_backup_add(struct store *s, struct store_backup *b)
	__attribute__((warn_unused_result));
int store_backup_get(struct store *s, long long id, struct store_backup *out)
	__attribute__((warn_unused_result));
int store_backups_of_run(struct store *s, const char *run_id, json_t **out)
	__attribute__((warn_unused_result));
int store_backup_latest(struct store *s, const char *target,
			const char *type_key, struct store_backup *out)
	__attribute__((warn_unused_result));

/* ---- the conflict log (brief §9) ---- */

/* The origins of a conflict. */
#define STORE_CONFLICT_SYNC "sync"     /* Catalyst against a target */
#define STORE_CONFLICT_BRANCH "branch" /* two versions edited from one */

/* One conflict (brief §9): a path changed differently on two sides. */
struct store_conflict {
	long long id; /* set by store_conflict_add */
	char *origin; /* "sync" or "branch" */
	char *target; /* sync: the target; branch: NULL */
	/* The Catalyst type (required) and its key (required for sync; may
	 * be NULL for branch). */
	char *type_id, *type_key;
	char *path;	  /* display path, "" for the whole document */
	json_t *segments; /* array of member names; may be NULL */
	char *kind;	  /* "field", "structural" or "delete" */
	/* The value on each side; NULL = absent on that side (a JSON null
	 * is a value, and is kept as one). */
	json_t *base_value, *local_value, *remote_value;
	/* The documents' hashes when it was seen; may be NULL. */
	char *base_hash, *local_hash, *remote_hash;
	char *run_id; /* the run that met it; may be NULL (not a reference:
			 it outlives its run) */
	/* "pending", "local_wins", "remote_wins", "merged", "manual",
	 * "superseded" (seen again with other documents) */
	char *resolution;
	json_t *resolved_value; /* NULL = absent (the path was removed) */
	char *resolved_by;	/* may be NULL */
	long long resolved_ms;	/* 0 while pending */
	long long created_ms;
};
/* Frees c's members and zeroes it; NULL is fine. */
void store_conflict_release(struct store_conflict *c);

/* A list of conflicts, as store_conflict_query gives it. */
struct store_conflict_list {
	struct store_conflict *items;
	size_t nr, alloc;
};
void store_conflict_list_release(struct store_conflict_list *l);

/* What store_conflict_query selects; NULL/0 members do not filter. */
struct store_conflict_query {
	const char *origin;  /* NULL: any */
	const char *target;  /* NULL: any */
	const char *type_id; /* NULL: any */
	int pending_only;    /* only the pending ones (else resolved too) */
	size_t limit;	     /* newest first; 0: all */
};

/*
 * Records a conflict and sets c->id; c is only read otherwise and stays
 * the caller's. Required: origin ("sync" or "branch"), type_id, path (""
 * is the whole document), kind ("field", "structural" or "delete"); a sync
 * conflict needs target and type_key, a branch one has no target;
 * segments is an array when set; else ERR_INVALID. created_ms 0 means now
 * (and is set in c). resolution NULL means "pending", and then the
 * resolved_* members are ignored; a conflict recorded already resolved
 * (say by --strategy local) keeps resolved_value, resolved_by and
 * resolved_ms (0: now, set in c).
 *
 * The same conflict is not recorded twice, so that re-planning does not
 * flood the log. A pending conflict of the same origin, target, type_id and
 * path that was seen with the same local_hash and remote_hash (NULL equals
 * NULL) is the same: its id is set in c->id and nothing is written (when
 * c comes already resolved, that pending row is resolved as c says, at
 * c->resolved_ms, 0: now). A pending one of the same origin, target, type
 * and path seen with other hashes is marked "superseded" (resolved_at now,
 * resolved_by NULL) and c is recorded. One transaction (a savepoint inside
 * the caller's). Returns 0 in every one of these cases.
 */
int store_conflict_add(struct store *s, struct store_conflict *c)
	__attribute__((warn_unused_result));

/*
 * The conflicts q selects (q NULL: the whole log, resolved ones too),
 * newest first (by created_ms, then id), into *out (released by the caller
 * with store_conflict_list_release; empty on error). An unknown origin in
 * q is ERR_INVALID.
 */
int store_conflict_query(struct store *s, const struct store_conflict_query *q,
			 struct store_conflict_list *out)
	__attribute__((warn_unused_result));

/*
 * Resolves every pending conflict of (origin, target, type_id), or only
 * the one at path when path is not NULL, as resolution ("local_wins",
 * "remote_wins", "merged", "manual" or "superseded"; else ERR_INVALID)
 * with the value it was resolved to (copied; NULL: absent, the path was
 * removed), by whom (may be NULL) and when (at_ms; 0: now). origin and
 * type_id are required; target is required for "sync" and NULL for
 * "branch". *count_out (may be NULL) gets how many were resolved; none is
 * not an error.
 */
int store_conflict_resolve(struct store *s, const char *origin,
			   const char *target, const char *type_id,
			   const char *path, const char *resolution,
			   const json_t *value, const char *by, long long at_ms,
			   size_t *count_out)
	__attribute__((warn_unused_result));

/*
 * Retention (sync.state.retention): removes what ended before before_ms:
 * finished runs (done, partial, failed) whose finished_ms (else
 * started_ms) is before it, with their operations, history entries and
 * backups; history entries and backups of no run made before it; and
 * intents that ended (done, abandoned) before it; and conflicts resolved
 * (or superseded) before it. Never a running or interrupted run (it may be
 * resumed) nor what belongs to one, never a version (history is never
 * rewritten), never a pending conflict, and never the newest backup of a
 * (target, type key), so that the last state before a change can always
 * be restored (a kept backup of a removed run loses its run_id). With
 * dry_run nothing is removed and out says what would be, counted the same
 * way. One transaction (a savepoint inside the caller's).
 */
int store_gc(struct store *s, long long before_ms, int dry_run,
	     struct store_gc_report *out) __attribute__((warn_unused_result));

/* 32 random hex digits (store ids, lock tokens); caller frees. */
char *store_random_id(void);

/*
 * The SQLite backend (store_sqlite.c): opens or creates the file at path.
 * *created_out says whether it was made now.
 */
int store_sqlite_open(struct store_backend **out, const char *path,
		      const struct store_options *opt, int *created_out)
	__attribute__((warn_unused_result));

/* A numbered migration of a backend (migrations.c). */
struct store_migration {
	int version;
	const char *name;
	const char *sql; /* statements separated by ';' */
};
/* The SQLite migrations, in order; the last entry has version 0. */
extern const struct store_migration store_sqlite_migrations[];

#endif
