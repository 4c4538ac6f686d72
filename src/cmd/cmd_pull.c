/*
 * catalyst-sync pull: changes made in the CMS come back to Catalyst
 * (brief §6, §12).
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/syncenv.h"
#include "util/err.h"
#include "util/banned.h"

static const char pull_synopsis[] =
	"catalyst-sync pull [--auto-approve] [--json] [--actor NAME]\n"
	"                          [--strategy merge|local|remote]\n"
	"                          [--adopt KEY]... [--allow-delete]\n"
	"                          [--type KEY]... [--exclude KEY]...";
static const char pull_description[] =
	"Brings the changes made in the CMS into Catalyst, through the\n"
	"backward lens: each changed type becomes a new SYNC version and its\n"
	"Catalyst row is rewritten in its own shape, keeping everything the\n"
	"CMS does not hold. A type changed on both sides is merged: Catalyst\n"
	"takes the merge and the next 'apply' sends Catalyst's own changes;\n"
	"real conflicts wait for 'catalyst-sync resolve' (or --strategy).\n"
	"Pull never writes the CMS. --adopt KEY imports a CMS type nobody\n"
	"manages as a new Catalyst type; --allow-delete removes from\n"
	"Catalyst the types deleted in the CMS. Shows the plan first and\n"
	"asks on a terminal (elsewhere it needs --auto-approve). Exit codes\n"
	"as 'apply'.";

int cmd_pull(int argc, char **argv, struct ctx *ctx)
{
	struct plan_flags f = {0};
	struct run_flags rf = {0};
	const struct opt_spec opts[] = {
		OPT_FLAG_("auto-approve", 0, &rf.auto_approve,
			  "pull without asking (needed without a terminal)"),
		OPT_FLAG_("json", 0, &rf.json, "print the outcome as JSON"),
		OPT_STRING_("actor", 0, &rf.actor, "NAME",
			    "who pulls, for the history (default: user@host)"),
		OPT_STRING_("strategy", 0, &f.strategy, "S",
			    "settle conflicts: merge (default), local "
			    "(Catalyst wins), remote (the CMS wins)"),
		OPT_LIST_("adopt", 0, &f.adopt, "KEY",
			  "import this CMS type into Catalyst"),
		OPT_FLAG_("allow-delete", 0, &f.allow_delete,
			  "remove the types deleted in the CMS from Catalyst"),
		OPT_LIST_("type", 0, &f.only, "KEY",
			  "pull only these types (key, id or name)"),
		OPT_LIST_("exclude", 0, &f.exclude, "KEY",
			  "leave these types out"),
		OPT_END_()};
	struct sync_env env;
	char *pos[1];
	int nr, ret;

	memset(&env, 0, sizeof(env));
	ret = cmd_parse(ctx, argc, argv, opts, pull_synopsis, pull_description,
			pos, &nr, 0);
	if (ret) {
		plan_flags_release(&f);
		return ret > 0 ? EXIT_OK : ret;
	}
	f.mode = "pull";
	if ((ret = sync_check_strategy(f.strategy)) < 0 ||
	    (ret = sync_env_open(ctx, &env, 1)) < 0)
		goto out;
	ret = sync_run(&env, &f, &rf);
	json_decref(rf.plan);
out:
	sync_env_close(&env);
	plan_flags_release(&f);
	return ret;
}
