/*
 * catalyst-sync apply [FILE]: runs a plan (brief §10, §11, §16).
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
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/progress.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char apply_synopsis[] =
	"catalyst-sync apply [FILE] [--auto-approve] [--concurrency N]\n"
	"                           [--actor NAME] [--json] [--no-bulk]\n"
	"                           [--allow-data-loss] [--recreate]\n"
	"                           [--type KEY]... [--exclude KEY]...";
static const char apply_description[] =
	"Applies a plan to the target. 'apply FILE' applies exactly the plan\n"
	"that 'plan --out FILE' saved, without asking: a type that changed\n"
	"in Catalyst or in the CMS since then is refused as stale, and the\n"
	"others go on. Plain 'apply' plans afresh, shows the plan, and asks\n"
	"for confirmation on a terminal; elsewhere it needs --auto-approve.\n"
	"Every write is journaled: an interrupted run (Ctrl-C, a crash) is\n"
	"finished by 'catalyst-sync resume' or the next apply. Updates and\n"
	"deletes carry the ETag the plan saw, so an edit made in the CMS\n"
	"meanwhile becomes a conflict, never a lost update. Exit codes: 0,\n"
	"1, 3 (attention needed), 4 (some operations failed or were\n"
	"skipped), 130 (interrupted; resumable).";

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

/* The filters a saved plan was made with, for the fresh plan. */
static void list_from_json(struct opt_list *l, const json_t *a)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v))
			continue;
		ALLOC_GROW(l->items, l->nr + 1, l->alloc);
		l->items[l->nr++] = xstrdup(json_string_value(v));
	}
}

static int confirm(const char *target)
{
	char line[64];

	printf("\nApply these changes to target '%s'?\n"
	       "Only 'yes' is accepted: ",
	       target);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return !strcmp(line, "yes");
}

static const json_t *find_type(const json_t *plan, const char *key)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(plan, "types"), i, t)
		if (jx_str(t, "key") && !strcmp(jx_str(t, "key"), key))
			return t;
	return NULL;
}

static int differs(const json_t *a, const json_t *b, const char *member)
{
	const char *x = jx_str(a, member), *y = jx_str(b, member);

	if (!x || !y)
		return x != y;
	return strcmp(x, y) != 0;
}

/*
 * Which types of a saved plan moved since it was made: a fresh plan is
 * computed and compared per type. {key: reason}.
 */
static json_t *stale_types(const json_t *saved, const json_t *fresh)
{
	json_t *stale = json_object();
	const json_t *op;
	size_t i;

	json_array_foreach(json_object_get(saved, "operations"), i, op)
	{
		const char *key = jx_str(op, "key");
		const json_t *was = find_type(saved, key);
		const json_t *now = find_type(fresh, key);
		const char *why = NULL;

		if (json_object_get(stale, key) || !was)
			continue;
		if (!now)
			why = "stale: it is in sync now (applied by someone "
			      "else?); plan again";
		else if (differs(was, now, "local_hash"))
			why = "stale: changed in Catalyst since the plan; plan "
			      "again";
		else if (differs(was, now, "base_hash"))
			why = "stale: its sync state changed since the plan "
			      "(another apply?); plan again";
		else if (differs(was, now, "remote_hash") ||
			 differs(was, now, "remote_etag"))
			why = "stale: changed in the CMS since the plan; plan "
			      "again";
		if (why)
			json_object_set_new(stale, key, json_string(why));
	}
	return stale;
}

/* A saved plan must be for this store and this target. */
static int check_identity(const json_t *plan, struct sync_env *env)
{
	struct store_info info = {0};
	const json_t *target = json_object_get(plan, "target");
	int ret;

	if ((ret = store_info(env->store, &info)) < 0)
		return ret;
	if (strcmp(jx_str(plan, "store_id"), info.store_id))
		ret = err_set(ERR_INVALID,
			      "the plan was made with another state store "
			      "(%s, this one is %s); plan again",
			      jx_str(plan, "store_id"), info.store_id);
	else if (strcmp(jx_str(target, "identity"), env->target->identity))
		ret = err_set(ERR_INVALID,
			      "the plan is for target %s, and the configured "
			      "target is %s; plan again",
			      jx_str(target, "identity"),
			      env->target->identity);
	store_info_release(&info);
	return ret;
}

/* Types left alone get their status in the store, for 'status'. */
static int mark_left_alone(struct sync_env *env, const json_t *plan)
{
	const json_t *t;
	size_t i;
	int ret;

	json_array_foreach(json_object_get(plan, "types"), i, t)
	{
		int a = plan_action_parse(jx_str(t, "action"));
		const char *status = a == PLAN_DRIFT	   ? "drift"
				     : a == PLAN_CONFLICT ? "conflict"
				     : a == PLAN_BLOCKED  ? "blocked"
							  : NULL;

		if (status &&
		    (ret = apply_mark_status(env->store, env->tcfg->name,
					     jx_str(t, "type_id"),
					     jx_str(t, "key"), status,
					     a == PLAN_CONFLICT)) < 0)
			return ret;
	}
	return 0;
}

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
}

void sync_print_report(const struct apply_report *r, int json,
		       const char *status)
{
	const json_t *p;
	size_t i;

	if (json) {
		json_t *o = json_pack(
			"{s:i, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, "
			"s:I, s:I}, s:O}",
			"format_version", OUTPUT_FORMAT_VERSION, "run_id",
			r->run_id, "status", status, "summary", "total",
			(json_int_t)r->total, "done", (json_int_t)r->done,
			"failed", (json_int_t)r->failed, "skipped",
			(json_int_t)r->skipped, "refused",
			(json_int_t)r->refused, "pending",
			(json_int_t)r->pending, "conflicts",
			(json_int_t)r->conflicts, "imported",
			(json_int_t)r->imported, "problems", r->problems);

		output_json(stdout, o);
		json_decref(o);
		return;
	}
	json_array_foreach(r->problems, i, p)
		if (strcmp(jx_str(p, "state"), "pending"))
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
static int finish_unfinished(struct sync_env *env,
			     const struct apply_options *o, int json)
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

int cmd_apply(int argc, char **argv, struct ctx *ctx)
{
	struct plan_flags f = {0};
	const char *actor_opt = NULL;
	long concurrency = 0;
	int auto_approve = 0, json = 0, no_bulk = 0;
	const struct opt_spec opts[] = {
		OPT_FLAG_("auto-approve", 0, &auto_approve,
			  "apply without asking (needed without a terminal)"),
		OPT_INT_("concurrency", 0, &concurrency, "N",
			 "operations in flight (default: the target's "
			 "options.concurrency, 8)"),
		OPT_STRING_("actor", 0, &actor_opt, "NAME",
			    "who applies, for the history (default: "
			    "user@host)"),
		OPT_FLAG_("json", 0, &json, "print the outcome as JSON"),
		OPT_FLAG_("no-bulk", 0, &no_bulk,
			  "create one type per request, never in manifests"),
		OPT_FLAG_("allow-data-loss", 0, &f.allow_data_loss,
			  "as 'plan --allow-data-loss' (without FILE)"),
		OPT_FLAG_("recreate", 0, &f.recreate,
			  "as 'plan --recreate' (without FILE)"),
		OPT_LIST_("type", 0, &f.only, "KEY",
			  "apply only these types (without FILE)"),
		OPT_LIST_("exclude", 0, &f.exclude, "KEY",
			  "leave these types out (without FILE)"),
		OPT_END_()};
	struct apply_options o;
	struct apply_report r = {0};
	struct sync_env env;
	json_t *plan = NULL, *fresh = NULL, *refuse = NULL;
	struct progress *progress = NULL;
	char *actor = NULL, *pos[1];
	int nr, ret, code;

	ret = cmd_parse(ctx, argc, argv, opts, apply_synopsis,
			apply_description, pos, &nr, 1);
	if (ret) {
		plan_flags_release(&f);
		return ret > 0 ? EXIT_OK : ret;
	}
	memset(&env, 0, sizeof(env));
	if (nr && (f.allow_data_loss || f.recreate || f.only.nr ||
		   f.exclude.nr)) {
		ret = err_set(ERR_USAGE,
			      "apply FILE applies the plan as it was made: "
			      "give --allow-data-loss, --recreate, --type and "
			      "--exclude to 'plan' instead");
		goto out;
	}
	if (concurrency < 0 || concurrency > 64) {
		ret = err_set(ERR_USAGE, "--concurrency must be 1 to 64");
		goto out;
	}
	if (nr) {
		if ((ret = jx_load_file(&plan, pos[0])) < 0 ||
		    (ret = plan_check(plan)) < 0)
			goto out;
		f.allow_data_loss = jx_true(plan, "allow_data_loss");
		f.recreate = jx_true(plan, "recreate");
		list_from_json(&f.only, json_object_get(plan, "only"));
		list_from_json(&f.exclude, json_object_get(plan, "exclude"));
	}
	if ((ret = sync_env_open(ctx, &env, 1)) < 0)
		goto out;
	actor = sync_actor(actor_opt);
	sync_apply_options(&o, &env, actor, concurrency, no_bulk);
	o.stop = sync_catch_signals();
	if ((ret = finish_unfinished(&env, &o, json)) < 0)
		goto out;
	if (plan) {
		if ((ret = check_identity(plan, &env)) < 0 ||
		    (ret = sync_env_plan(&env, &f, &fresh)) < 0)
			goto out;
		refuse = stale_types(plan, fresh);
		o.refuse = refuse;
	} else {
		if ((ret = sync_env_plan(&env, &f, &plan)) < 0)
			goto out;
		if (!json)
			plan_print(stdout, plan);
		if (!plan_has_changes(plan)) {
			if (!json)
				printf("\nNothing to apply.\n");
			else
				sync_print_report(&r, 1, "done");
			ret = mark_left_alone(&env, plan);
			if (ret == 0)
				ret = plan_exit_code(plan, 0);
			goto out;
		}
		if (!auto_approve) {
			if (!isatty(STDIN_FILENO)) {
				ret = err_set(ERR_GENERIC,
					      "refusing to apply a plan nobody "
					      "reviewed: run on a terminal, "
					      "give --auto-approve, or save "
					      "it with 'plan --out FILE' and "
					      "run 'apply FILE'");
				goto out;
			}
			if (!confirm(env.tcfg->name)) {
				printf("Apply cancelled.\n");
				ret = EXIT_OK;
				goto out;
			}
		}
	}
	if ((ret = mark_left_alone(&env, plan)) < 0)
		goto out;
	/* The plan (stdout) before the progress (stderr), on a pipe too. */
	fflush(stdout);
	progress = progress_new(stderr, json ? PROGRESS_QUIET : PROGRESS_AUTO,
				0);
	o.progress = progress;
	o.fresh_plan = 1; /* planned (again) just now, by this process */
	if ((ret = apply_start(env.store, env.target, plan, &o, &r)) < 0)
		goto out;
	sync_print_report(&r, json, sync_report_status(&r));
	code = sync_report_exit(&r);
	if (code == EXIT_OK)
		code = plan_exit_code(plan, 0);
	if (code == EXIT_OK && r.refused)
		code = EXIT_ATTENTION;
	ret = code;
out:
	apply_report_release(&r);
	progress_free(progress);
	json_decref(plan);
	json_decref(fresh);
	json_decref(refuse);
	free(actor);
	sync_env_close(&env);
	plan_flags_release(&f);
	return ret;
}
