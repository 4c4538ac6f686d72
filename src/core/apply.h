/*
 * apply: the executor (brief §11). Runs a plan's operations (core/plan.h)
 * against a target as a dependency graph with bounded concurrency, and
 * journals each one in the state store so that a run killed at any point
 * can be finished by apply_resume without doing anything twice.
 *
 * The journal protocol, per operation:
 *   1. (update, delete) the remote document the plan saw is saved as a
 *      backup;
 *   2. the operation is marked "running" (committed before the request);
 *   3. the request goes out, with If-Match for updates and deletes;
 *   4. the answer, the new sync state of the type (base, ETag, overlay,
 *      status) and the sync_history entry are committed together with the
 *      operation's end state.
 * A crash between 2 and 4 leaves the operation "running"; apply_resume
 * reads the type's true state with a GET and decides: the write took
 * effect (done: record it), it did not (run it again), or someone else
 * changed the type meanwhile (failed, as a conflict). Creates are also
 * protected by the server's 409, which the target checks (target.h).
 *
 * A failed operation never stops the others; the operations that depend
 * on it are skipped with the reason. A 412 on an update or delete means
 * the type changed in the CMS after the plan: it becomes a conflict and is
 * never overwritten. When *stop becomes non-zero (SIGINT, SIGTERM) no new
 * operation starts; those in flight finish and are journaled, and the run
 * ends "interrupted" (resumable).
 *
 * Bulk creates: on v1, when at least bulk_min creates are ready at the
 * start and a fresh LIST (or the plan's own, made by this process
 * moments before) confirms none of their keys exists, they are sent
 * as POST /manifest chunks in dependency order (each chunk atomic); one
 * LIST afterwards records their bases (the manifest returns no documents).
 * A chunk that fails falls back to one create per type.
 *
 * CS_FAULT_AT=apply:N (debug builds) kills the process with SIGKILL at the
 * N-th journal point, for the crash tests.
 */
#ifndef CORE_APPLY_H
#define CORE_APPLY_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

struct capture;
struct progress;
struct store;
struct target;

struct apply_options {
	const char *actor;    /* who runs it (sync_history, sync_runs) */
	unsigned concurrency; /* operations in flight; 0: 8 */
	int backup;	      /* protection.backup: save before writing */
	int bulk;	      /* manifest imports allowed (v1 only) */
	size_t bulk_min;      /* creates needed to use them; 0: 20 */
	size_t chunk_size;    /* types per manifest; 0: 1000 */
	/* The plan was made by this process a moment ago: its list is
	 * fresh, and the imports need not list again. */
	int fresh_plan;
	/* Types refused before the run ({key: reason}); their operations
	 * and dependents are skipped. May be NULL. */
	const json_t *refuse;
	/* Catalyst's database, for the operations that write it (pull,
	 * import, remove_local: brief §12); NULL fails them. */
	struct capture *capture;
	struct progress *progress;   /* may be NULL */
	volatile sig_atomic_t *stop; /* may be NULL */
};

struct apply_report {
	char run_id[65];
	size_t total, done, failed, skipped, pending;
	size_t refused;	  /* skipped as stale (or behind a stale one) */
	size_t conflicts; /* failures that are conflicts (412, 409) */
	size_t imported;  /* creates sent in manifest chunks */
	int interrupted;  /* stopped by *stop; resumable */
	/* [{seq, key, action, state, error}] of the operations that did not
	 * end done (new; the caller releases it with apply_report_release) */
	json_t *problems;
};
void apply_report_release(struct apply_report *r);

/*
 * Sets the status (and conflict_status "detected" or "none") of a type's
 * sync state in target, keeping its base; a type without one gets a state
 * without a base. Nothing for a NULL type_id. For the types a run failed
 * or a plan left alone, so that 'status' says why.
 */
int apply_mark_status(struct store *s, const char *target, const char *type_id,
		      const char *type_key, const char *status, int conflict)
	__attribute__((warn_unused_result));

/*
 * Starts a run of plan (checked with plan_check) on t: a new sync_runs
 * row and journal, then the operations. Takes the target's lock for the
 * run (ERR_CONFLICT when another process holds it). Returns 0 when the
 * run ended (whatever its operations did: see *out), or an error when it
 * could not run at all (store, lock, engine).
 */
int apply_start(struct store *s, struct target *t, const json_t *plan,
		const struct apply_options *o, struct apply_report *out)
	__attribute__((warn_unused_result));

/*
 * Finishes the run run_id (interrupted, or left "running" by a crash):
 * reconciles the operations that were running, then runs what is left.
 * ERR_NOTFOUND for an unknown run, ERR_INVALID for one that has ended.
 */
int apply_resume(struct store *s, struct target *t, const char *run_id,
		 const struct apply_options *o, struct apply_report *out)
	__attribute__((warn_unused_result));

#endif
