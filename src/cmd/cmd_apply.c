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
	"                           [--strategy merge|local|remote]\n"
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

/* The filters a saved plan was made with, for the fresh plan. */
static void list_from_json(struct opt_list *l, const json_t *a)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		if (json_is_string(v))
			opt_list_add(l, json_string_value(v));
	}
}

static const json_t *find_type(const json_t *plan, const char *key)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(plan, "types"), i,
			   t) if (jx_str(t, "key") &&
				  !strcmp(jx_str(t, "key"), key)) return t;
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

/* apply FILE: exactly the saved plan; stale types are refused. */
static int apply_file(struct sync_env *env, struct plan_flags *f,
		      struct run_flags *rf, const char *path)
{
	struct apply_options o;
	struct apply_report r = {0};
	json_t *plan = NULL, *fresh = NULL, *refuse = NULL;
	struct progress *progress = NULL;
	char *actor = sync_actor(rf->actor);
	int ret, code;

	if ((ret = jx_load_file(&plan, path)) < 0 ||
	    (ret = plan_check(plan)) < 0)
		goto out;
	f->allow_data_loss = jx_true(plan, "allow_data_loss");
	f->recreate = jx_true(plan, "recreate");
	f->mode = jx_str(plan, "mode");
	f->strategy = jx_str(plan, "strategy");
	list_from_json(&f->only, json_object_get(plan, "only"));
	list_from_json(&f->exclude, json_object_get(plan, "exclude"));
	sync_apply_options(&o, env, actor, rf->concurrency, rf->no_bulk);
	o.stop = sync_catch_signals();
	if ((ret = sync_finish_unfinished(env, &o, rf->json)) < 0 ||
	    (ret = check_identity(plan, env)) < 0 ||
	    (ret = sync_env_plan(env, f, &fresh)) < 0)
		goto out;
	refuse = stale_types(plan, fresh);
	o.refuse = refuse;
	fflush(stdout);
	progress = progress_new(stderr,
				rf->json ? PROGRESS_QUIET : PROGRESS_AUTO, 0);
	o.progress = progress;
	o.fresh_plan = 1; /* planned again just now, by this process */
	if ((ret = apply_start(env->store, env->target, plan, &o, &r)) < 0 ||
	    (ret = sync_mark_left_alone(env, plan, r.run_id)) < 0)
		goto out;
	sync_print_report(&r, rf->json, sync_report_status(&r));
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
	return ret;
}

int cmd_apply(int argc, char **argv, struct ctx *ctx)
{
	struct plan_flags f = {0};
	struct run_flags rf = {0};
	const struct opt_spec opts[] = {
		OPT_FLAG_("auto-approve", 0, &rf.auto_approve,
			  "apply without asking (needed without a terminal)"),
		OPT_INT_("concurrency", 0, &rf.concurrency, "N",
			 "operations in flight (default: the target's "
			 "options.concurrency, 8)"),
		OPT_STRING_("actor", 0, &rf.actor, "NAME",
			    "who applies, for the history (default: "
			    "user@host)"),
		OPT_FLAG_("json", 0, &rf.json, "print the outcome as JSON"),
		OPT_FLAG_("no-bulk", 0, &rf.no_bulk,
			  "create one type per request, never in manifests"),
		OPT_FLAG_("allow-data-loss", 0, &f.allow_data_loss,
			  "as 'plan --allow-data-loss' (without FILE)"),
		OPT_FLAG_("recreate", 0, &f.recreate,
			  "as 'plan --recreate' (without FILE)"),
		OPT_STRING_("strategy", 0, &f.strategy, "S",
			    "as 'plan --strategy' (without FILE)"),
		OPT_LIST_("type", 0, &f.only, "KEY",
			  "apply only these types (without FILE)"),
		OPT_LIST_("exclude", 0, &f.exclude, "KEY",
			  "leave these types out (without FILE)"),
		OPT_END_()};
	struct sync_env env;
	char *pos[1];
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, apply_synopsis,
			apply_description, pos, &nr, 1);
	if (ret) {
		plan_flags_release(&f);
		return ret > 0 ? EXIT_OK : ret;
	}
	memset(&env, 0, sizeof(env));
	if (nr && (f.allow_data_loss || f.recreate || f.only.nr ||
		   f.exclude.nr || f.strategy)) {
		ret = err_set(ERR_USAGE,
			      "apply FILE applies the plan as it was made: "
			      "give --allow-data-loss, --recreate, --strategy, "
			      "--type and --exclude to 'plan' instead");
		goto out;
	}
	if (rf.concurrency < 0 || rf.concurrency > 64) {
		ret = err_set(ERR_USAGE, "--concurrency must be 1 to 64");
		goto out;
	}
	if ((ret = sync_check_strategy(f.strategy)) < 0 ||
	    (ret = sync_env_open(ctx, &env, 1)) < 0)
		goto out;
	if (nr) {
		ret = apply_file(&env, &f, &rf, pos[0]);
	} else {
		ret = sync_run(&env, &f, &rf);
		json_decref(rf.plan);
	}
out:
	sync_env_close(&env);
	plan_flags_release(&f);
	return ret;
}
