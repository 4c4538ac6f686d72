/*
 * syncrun: running a fresh plan (apply, pull, resolve, rollback share
 * it), the outcome of a run, and the conflicts it met (brief §9, §11).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "cmd/syncenv.h"
#include "core/apply.h"
#include "core/plan.h"
#include "store/store.h"
#include "target/target.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/progress.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

volatile sig_atomic_t *sync_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	stop_requested = 0;
	return &stop_requested;
}

/* Where a plan's operations write: the CMS, Catalyst, or both. */
enum write_sides { WRITES_CMS = 1 << 0, WRITES_CATALYST = 1 << 1 };

static unsigned plan_writes(const json_t *plan)
{
	const json_t *op;
	unsigned w = 0;
	size_t i;

	json_array_foreach(json_object_get(plan, "operations"), i, op)
	{
		const char *a = jx_str(op, "action");

		if (!a)
			continue;
		if (!strncmp(a, "pull", 4))
			w |= WRITES_CATALYST;
		else if (strcmp(a, "record_base") && strcmp(a, "forget"))
			w |= WRITES_CMS;
	}
	return w;
}

/* Asks on the terminal, naming what would be written. */
static int confirm(const json_t *plan, const char *target)
{
	unsigned w = plan_writes(plan);
	char line[64];

	if (w == (WRITES_CMS | WRITES_CATALYST))
		printf("\nMake these changes in target '%s' and in Catalyst?\n",
		       target);
	else if (w == WRITES_CATALYST)
		printf("\nWrite these changes into Catalyst?\n");
	else
		printf("\nApply these changes to target '%s'?\n", target);
	printf("Only 'yes' is accepted: ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return !strcmp(line, "yes");
}

/* Types left alone get their status in the store, for 'status'. */
void sync_apply_options(struct apply_options *o, struct sync_env *env,
			const char *actor, long concurrency, int no_bulk)
{
	memset(o, 0, sizeof(*o));
	o->actor = actor;
	o->concurrency = concurrency > 0 ? (unsigned)concurrency
			 : env->tcfg->concurrency > 0
				 ? (unsigned)env->tcfg->concurrency
				 : 8;
	o->backup = !env->cfg->backup || strcmp(env->cfg->backup, "disabled");
	o->bulk = !no_bulk;
	o->capture = env->cap;
}

void sync_print_report(const struct apply_report *r, int json,
		       const char *status)
{
	const json_t *p;
	size_t i;

	if (json) {
		json_t *o = json_pack(
			"{s:i, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, "
			"s:I, s:I}, s:o}",
			"format_version", OUTPUT_FORMAT_VERSION, "run_id",
			r->run_id, "status", status, "summary", "total",
			(json_int_t)r->total, "done", (json_int_t)r->done,
			"failed", (json_int_t)r->failed, "skipped",
			(json_int_t)r->skipped, "refused",
			(json_int_t)r->refused, "pending",
			(json_int_t)r->pending, "conflicts",
			(json_int_t)r->conflicts, "imported",
			(json_int_t)r->imported, "problems",
			r->problems ? json_incref(r->problems) : json_array());

		output_json(stdout, o);
		json_decref(o);
		return;
	}
	json_array_foreach(r->problems, i,
			   p) if (strcmp(jx_str(p, "state"), "pending"))
		printf("  %-7s %-7s %s: %s\n", jx_str(p, "state"),
		       jx_str(p, "action"), jx_str(p, "key"),
		       jx_str(p, "error") ? jx_str(p, "error") : "");
	printf("Run %s %s: %zu of %zu operations done", r->run_id, status,
	       r->done, r->total);
	if (r->imported)
		printf(" (%zu created through manifest imports)", r->imported);
	if (r->failed)
		printf(", %zu failed", r->failed);
	if (r->conflicts)
		printf(" (%zu conflicts)", r->conflicts);
	if (r->skipped)
		printf(", %zu skipped", r->skipped);
	if (r->refused)
		printf(", %zu refused as stale", r->refused);
	printf(".\n");
	if (r->interrupted)
		printf("Interrupted with %zu operations left: 'catalyst-sync "
		       "resume' finishes the run.\n",
		       r->pending);
}

int sync_report_exit(const struct apply_report *r)
{
	if (r->interrupted)
		return EXIT_INTERRUPTED;
	if (r->failed > r->conflicts || r->skipped)
		return EXIT_PARTIAL;
	/* Only conflicts (a 412: changed in the CMS meanwhile): nothing
	 * broke, someone must look (brief §16). */
	if (r->conflicts)
		return EXIT_ATTENTION;
	return EXIT_OK;
}

const char *sync_report_status(const struct apply_report *r)
{
	if (r->interrupted)
		return "interrupted";
	if (!r->failed && !r->skipped && !r->refused)
		return "done";
	return r->done ? "partial" : "failed";
}

/* Finishes an interrupted run before a new one starts. */
int sync_finish_unfinished(struct sync_env *env, const struct apply_options *o,
			   int json)
{
	struct apply_report r = {0};
	char *id = NULL;
	int ret = store_run_unfinished(env->store, env->tcfg->name, &id);

	if (ret == ERR_NOTFOUND) {
		err_clear();
		return 0;
	}
	if (ret < 0)
		return ret;
	if (!json)
		printf("Finishing the interrupted run %s first.\n", id);
	ret = apply_resume(env->store, env->target, id, o, &r);
	free(id);
	if (ret == 0 && !json)
		sync_print_report(&r, 0, sync_report_status(&r));
	if (ret == 0 && r.interrupted)
		ret = err_set(ERR_GENERIC, "interrupted");
	apply_report_release(&r);
	return ret;
}

static const char *conflict_kind(const char *merge_kind)
{
	if (merge_kind && !strcmp(merge_kind, "delete-modify"))
		return "delete";
	if (merge_kind && !strcmp(merge_kind, "both-added"))
		return "structural";
	return "field";
}

/*
 * Logs a type's conflicts (origin "sync"): one row per path of its
 * "conflicts", or one for the whole document when one side deleted it.
 * resolution NULL leaves them pending; otherwise they are settled at once.
 */
static int log_conflicts(struct sync_env *env, const json_t *t,
			 const char *run_id, const char *resolution,
			 const char *actor)
{
	const json_t *list = json_object_get(t, "conflicts"), *c;
	json_t *whole = NULL;
	size_t i;
	int ret = 0;

	if (!json_array_size(list)) {
		/* Deleted on one side, changed on the other. */
		whole = json_pack("[{s:s, s:[], s:s}]", "path", "", "segments",
				  "kind", "delete-modify");
		list = whole;
	}
	json_array_foreach(list, i, c)
	{
		struct store_conflict sc = {0};

		sc.origin = (char *)"sync";
		sc.target = (char *)env->tcfg->name;
		sc.type_id = (char *)jx_str(t, "type_id");
		sc.type_key = (char *)jx_str(t, "key");
		sc.path = (char *)jx_str(c, "path");
		sc.segments = json_object_get(c, "segments");
		sc.kind = (char *)conflict_kind(jx_str(c, "kind"));
		sc.base_value = json_object_get(c, "base");
		sc.local_value = json_object_get(c, "local");
		sc.remote_value = json_object_get(c, "remote");
		sc.base_hash = (char *)jx_str(t, "base_hash");
		sc.local_hash = (char *)jx_str(t, "local_hash");
		sc.remote_hash = (char *)jx_str(t, "remote_hash");
		sc.run_id = (char *)run_id;
		if ((ret = store_conflict_add(env->store, &sc)) < 0)
			break;
	}
	json_decref(whole);
	if (ret < 0 || !resolution)
		return ret;
	return store_conflict_resolve(env->store, "sync", env->tcfg->name,
				      jx_str(t, "type_id"), NULL, resolution,
				      NULL, actor, time_now_ms(), NULL);
}

int sync_mark_left_alone(struct sync_env *env, const json_t *plan,
			 const char *run_id)
{
	const json_t *t;
	size_t i;
	int ret;

	json_array_foreach(json_object_get(plan, "types"), i, t)
	{
		int a = plan_action_parse(jx_str(t, "action"));
		const char *status = a == PLAN_DRIFT	  ? "drift"
				     : a == PLAN_CONFLICT ? "conflict"
				     : a == PLAN_BLOCKED  ? "blocked"
							  : NULL;

		if (status &&
		    (ret = apply_mark_status(
			     env->store, env->tcfg->name, jx_str(t, "type_id"),
			     jx_str(t, "key"), status, a == PLAN_CONFLICT)) < 0)
			return ret;
		if (a == PLAN_CONFLICT && jx_str(t, "type_id") &&
		    (ret = log_conflicts(env, t, run_id, NULL, NULL)) < 0)
			return ret;
	}
	return 0;
}

/* A type none of whose operations went wrong. */
static int type_ok(const struct apply_report *r, const char *key)
{
	const json_t *p;
	size_t i;

	json_array_foreach(r->problems, i,
			   p) if (jx_str(p, "key") &&
				  !strcmp(jx_str(p, "key"), key)) return 0;
	return 1;
}

/* The conflicts a strategy (or a merge file) settled, once they are. */
static int log_settled(struct sync_env *env, const json_t *plan,
		       const struct apply_report *r, const char *strategy,
		       int by_hand, const char *actor)
{
	const json_t *t;
	size_t i;
	int ret;

	json_array_foreach(json_object_get(plan, "types"), i, t)
	{
		int a = plan_action_parse(jx_str(t, "action"));
		const char *res = by_hand ? "manual"
				  : strategy && !strcmp(strategy, "remote")
					  ? "remote_wins"
				  : strategy && !strcmp(strategy, "local")
					  ? "local_wins"
					  : "merged";

		if ((a != PLAN_MERGE && a != PLAN_UPDATE && a != PLAN_PULL) ||
		    !json_object_get(t, "conflicts") || !jx_str(t, "type_id") ||
		    !type_ok(r, jx_str(t, "key")))
			continue;
		if ((ret = log_conflicts(env, t, r->run_id, res, actor)) < 0)
			return ret;
	}
	return 0;
}

int sync_run(struct sync_env *env, const struct plan_flags *f,
	     struct run_flags *rf)
{
	struct apply_options o;
	struct apply_report r = {0};
	struct progress *progress = NULL;
	char *actor = sync_actor(rf->actor);
	int ret, code;

	rf->plan = NULL;
	rf->ran = 0;
	rf->failed = 0;
	sync_apply_options(&o, env, actor, rf->concurrency, rf->no_bulk);
	o.stop = sync_catch_signals();
	if ((ret = sync_finish_unfinished(env, &o, rf->json)) < 0 ||
	    (ret = sync_env_plan(env, f, &rf->plan)) < 0)
		goto out;
	if (!rf->json)
		plan_print(stdout, rf->plan);
	if (!plan_has_changes(rf->plan)) {
		/* rollback --catalyst: the CMS may hold the version already,
		 * Catalyst still goes back. */
		if (rf->before_apply &&
		    (ret = rf->before_apply(env, rf->plan, rf->payload)) < 0)
			goto out;
		if (!rf->json)
			printf("\nNothing to apply.\n");
		else
			sync_print_report(&r, 1, "done");
		rf->ran = 1;
		ret = sync_mark_left_alone(env, rf->plan, NULL);
		if (ret == 0)
			ret = plan_exit_code(rf->plan, 0);
		goto out;
	}
	if (!rf->auto_approve) {
		if (!isatty(STDIN_FILENO)) {
			ret = err_set(ERR_GENERIC,
				      "refusing to apply a plan nobody "
				      "reviewed: run on a terminal, give "
				      "--auto-approve, or save it with 'plan "
				      "--out FILE' and run 'apply FILE'");
			goto out;
		}
		if (!confirm(rf->plan, env->tcfg->name)) {
			printf("Cancelled: nothing was written.\n");
			ret = EXIT_OK;
			goto out;
		}
	}
	if (rf->before_apply &&
	    (ret = rf->before_apply(env, rf->plan, rf->payload)) < 0)
		goto out;
	/* The plan (stdout) before the progress (stderr), on a pipe too. */
	fflush(stdout);
	progress = progress_new(stderr,
				rf->json ? PROGRESS_QUIET : PROGRESS_AUTO, 0);
	o.progress = progress;
	o.fresh_plan = 1; /* planned just now, by this process */
	if ((ret = apply_start(env->store, env->target, rf->plan, &o, &r)) < 0)
		goto out;
	rf->ran = 1;
	rf->failed = r.failed + r.skipped;
	if ((ret = sync_mark_left_alone(env, rf->plan, r.run_id)) < 0 ||
	    (ret = log_settled(env, rf->plan, &r, f->strategy,
			       f->choices != NULL, actor)) < 0)
		goto out;
	sync_print_report(&r, rf->json, sync_report_status(&r));
	code = sync_report_exit(&r);
	if (code == EXIT_OK)
		code = plan_exit_code(rf->plan, 0);
	ret = code;
out:
	apply_report_release(&r);
	progress_free(progress);
	free(actor);
	return ret;
}
