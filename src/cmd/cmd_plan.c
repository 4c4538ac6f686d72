/*
 * catalyst-sync plan: what a sync would do, type by type, without doing
 * it (brief §8, §10, §16).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "cmd/syncenv.h"
#include "core/plan.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/banned.h"

static const char plan_synopsis[] =
	"catalyst-sync plan [--out FILE] [--json] [--detailed-exitcode]\n"
	"                          [--allow-data-loss] [--recreate]\n"
	"                          [--strategy merge|local|remote]\n"
	"                          [--type KEY]... [--exclude KEY]...";
static const char plan_description[] =
	"Compares every managed content type on three sides (Catalyst, the\n"
	"last agreed base, and the CMS) and shows what a sync would do: what\n"
	"is created, updated (with each property change), deleted, recorded,\n"
	"and what is left alone and why (drift, conflicts, data loss,\n"
	"validation errors, unsafe deletes). Nothing is written. With --out\n"
	"the plan is saved, and 'catalyst-sync apply FILE' applies exactly\n"
	"it. Exit codes: 0, 1 (a type has validation errors), 2 (changes\n"
	"pending, with --detailed-exitcode), 3 (attention needed).";

int cmd_plan(int argc, char **argv, struct ctx *ctx)
{
	struct plan_flags f = {0};
	const char *out_path = NULL;
	int json = 0, detailed = 0;
	const struct opt_spec opts[] = {
		OPT_STRING_("out", 0, &out_path, "FILE",
			    "save the plan for 'apply FILE'"),
		OPT_FLAG_("json", 0, &json, "print the plan as JSON"),
		OPT_FLAG_("detailed-exitcode", 0, &detailed,
			  "exit 2 when there are changes to apply"),
		OPT_FLAG_("allow-data-loss", 0, &f.allow_data_loss,
			  "plan changes that lose content in the CMS"),
		OPT_FLAG_("recreate", 0, &f.recreate,
			  "create types deleted in the CMS again (with "
			  "--allow-data-loss: re-create changed categories)"),
		OPT_STRING_(
			"strategy", 0, &f.strategy, "S",
			"settle conflicts: merge (default), local (Catalyst "
			"wins), remote (the CMS wins)"),
		OPT_LIST_("type", 0, &f.only, "KEY",
			  "plan only these types (key, id or name)"),
		OPT_LIST_("exclude", 0, &f.exclude, "KEY",
			  "leave these types out"),
		OPT_END_()};
	struct sync_env env;
	json_t *plan = NULL;
	char *pos[1];
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, plan_synopsis, plan_description,
			pos, &nr, 0);
	if (ret) {
		plan_flags_release(&f);
		return ret > 0 ? EXIT_OK : ret;
	}
	if ((ret = sync_check_strategy(f.strategy)) < 0 ||
	    (ret = sync_env_open(ctx, &env, 1)) < 0 ||
	    (ret = sync_env_plan(&env, &f, &plan)) < 0)
		goto out;
	if (out_path && (ret = output_save_json(out_path, plan)) < 0)
		goto out;
	if (json) {
		output_json(stdout, plan);
	} else {
		plan_print(stdout, plan);
		if (out_path)
			printf("\nSaved the plan to %s; 'catalyst-sync apply "
			       "%s' applies exactly it.\n",
			       out_path, out_path);
	}
	ret = plan_exit_code(plan, detailed);
out:
	json_decref(plan);
	sync_env_close(&env);
	plan_flags_release(&f);
	return ret;
}
