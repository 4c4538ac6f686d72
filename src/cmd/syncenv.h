/*
 * syncenv: what plan, apply and resume open together: the state store
 * with the history brought up to date, the Catalyst model of the one
 * website a target syncs, and the target; plus the plan's text form.
 */
#ifndef CMD_SYNCENV_H
#define CMD_SYNCENV_H

#include <jansson.h>
#include <stdio.h>

#include "core/model.h"
#include "util/opt.h"

struct capture;
struct catalyst_db;
struct config;
struct config_target;
struct ctx;
struct store;
struct target;

struct sync_env {
	struct config *cfg; /* borrowed from ctx */
	const struct config_target *tcfg;
	struct store *store;
	struct capture *cap;
	struct target *target;
	struct catalyst_db *db;
	json_t *website; /* {id, name} */
	struct model model;
	int model_open;
};

/*
 * Opens everything. With model unset the Catalyst model is not read
 * (resume needs only the store and the target). Errors say what is
 * missing and how to fix it.
 */
int sync_env_open(struct ctx *ctx, struct sync_env *env, int model)
	__attribute__((warn_unused_result));
void sync_env_close(struct sync_env *env);

/* What the user asked of a plan (plan and apply share these flags). */
struct plan_flags {
	int allow_data_loss;
	int recreate;
	struct opt_list only;
	struct opt_list exclude;
	/* The rest are set by the commands that need them (core/plan.h). */
	const char *mode;      /* NULL: the configuration's sync.mode */
	const char *strategy;  /* --strategy */
	int allow_delete;      /* pull --allow-delete */
	struct opt_list adopt; /* pull --adopt */
	json_t *choices;       /* resolve --file (owned) */
	json_t *desired;       /* rollback (owned) */
	int keep_base;	       /* rollback without --catalyst */
};
void plan_flags_release(struct plan_flags *f);

/* --strategy must be merge, local or remote (NULL is fine). */
int sync_check_strategy(const char *strategy);

/* Builds a plan (core/plan.h) for env's website and target. */
int sync_env_plan(struct sync_env *env, const struct plan_flags *f,
		  json_t **out) __attribute__((warn_unused_result));

/* Prints a plan for people: every change, every type left alone and
 * why, and the totals. */
void plan_print(FILE *out, const json_t *plan);

/* The exit code a plan calls for (brief §16): 1 when a type has
 * validation errors, 3 when one needs attention, 2 with detailed when
 * there are changes, else 0. */
int plan_exit_code(const json_t *plan, int detailed);

/* --actor, else $USER@host. */
char *sync_actor(const char *given);

/* What apply and resume share (cmd_apply.c). */
#include <signal.h>
struct apply_options;
struct apply_report;
/* SIGINT and SIGTERM set the returned flag (the executor's stop). */
volatile sig_atomic_t *sync_catch_signals(void);
/* Executor options from the configuration and the flags. */
void sync_apply_options(struct apply_options *o, struct sync_env *env,
			const char *actor, long concurrency, int no_bulk);
/* How a fresh plan is run (apply, pull, resolve, rollback). */
struct run_flags {
	int auto_approve;
	int json;
	int no_bulk;
	long concurrency;
	const char *actor; /* given, else user@host */
	/* Called once the plan is approved, before it runs (rollback
	 * --catalyst writes Catalyst there); may be NULL. */
	int (*before_apply)(struct sync_env *env, const json_t *plan,
			    void *payload);
	void *payload;
	/* Set when the run ended: the plan it ran (owned by the caller). */
	json_t *plan;
	int ran;       /* the operations ran (the user approved, or none) */
	size_t failed; /* operations that failed or were skipped */
};
/*
 * Plans afresh with f, shows the plan, asks (unless auto_approve; refuses
 * without a terminal), applies, logs the conflicts met and settled, and
 * prints the outcome. Returns the exit code (brief §16) or an error.
 */
int sync_run(struct sync_env *env, const struct plan_flags *f,
	     struct run_flags *rf) __attribute__((warn_unused_result));
/* Types left alone get their status, and their conflicts are logged. */
int sync_mark_left_alone(struct sync_env *env, const json_t *plan,
			 const char *run_id);
/* Finishes an interrupted run before a new one starts. */
int sync_finish_unfinished(struct sync_env *env, const struct apply_options *o,
			   int json);

/* The outcome of a run, as text or JSON, and its exit code. */
void sync_print_report(const struct apply_report *r, int json,
		       const char *status);
const char *sync_report_status(const struct apply_report *r);
int sync_report_exit(const struct apply_report *r);

#endif
