/*
 * catalyst-sync resume [RUN]: finishes a run that was interrupted or
 * killed (brief §11).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/syncenv.h"
#include "core/apply.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"
#include "util/progress.h"
#include "util/banned.h"

static const char resume_synopsis[] =
	"catalyst-sync resume [RUN] [--concurrency N] [--actor NAME] [--json]";
static const char resume_description[] =
	"Finishes the target's interrupted run (or RUN, an id or a unique\n"
	"prefix of one): each operation that was in flight when the run\n"
	"stopped is checked against the CMS first (did the write take\n"
	"effect?), so nothing is done twice; then the operations left are\n"
	"run as the plan says. Without an unfinished run it says so and\n"
	"exits 0. Exit codes as 'apply'.";

int cmd_resume(int argc, char **argv, struct ctx *ctx)
{
	const char *actor_opt = NULL;
	long concurrency = 0;
	int json = 0;
	const struct opt_spec opts[] = {
		OPT_INT_("concurrency", 0, &concurrency, "N",
			 "operations in flight"),
		OPT_STRING_("actor", 0, &actor_opt, "NAME",
			    "who resumes, for the history (default: "
			    "user@host)"),
		OPT_FLAG_("json", 0, &json, "print the outcome as JSON"),
		OPT_END_()};
	struct apply_options o;
	struct apply_report r = {0};
	struct sync_env env;
	struct progress *progress = NULL;
	char *actor = NULL, *id = NULL, *pos[1];
	int nr, ret;

	ret = cmd_parse(ctx, argc, argv, opts, resume_synopsis,
			resume_description, pos, &nr, 1);
	if (ret)
		return ret > 0 ? EXIT_OK : ret;
	if (concurrency < 0 || concurrency > 64)
		return err_set(ERR_USAGE, "--concurrency must be 1 to 64");
	if ((ret = sync_env_open(ctx, &env, 0)) < 0)
		goto out;
	if (nr)
		ret = store_run_resolve(env.store, pos[0], &id);
	else
		ret = store_run_unfinished(env.store, env.tcfg->name, &id);
	if (ret == ERR_NOTFOUND && !nr) {
		err_clear();
		if (!json)
			printf("Nothing to resume: no run of target '%s' was "
			       "interrupted.\n",
			       env.tcfg->name);
		ret = EXIT_OK;
		goto out;
	}
	if (ret < 0)
		goto out;
	actor = sync_actor(actor_opt);
	sync_apply_options(&o, &env, actor, concurrency, 1);
	o.stop = sync_catch_signals();
	progress = progress_new(stderr, json ? PROGRESS_QUIET : PROGRESS_AUTO,
				0);
	o.progress = progress;
	if (!json)
		printf("Resuming run %s.\n", id);
	if ((ret = apply_resume(env.store, env.target, id, &o, &r)) < 0)
		goto out;
	sync_print_report(&r, json, sync_report_status(&r));
	ret = sync_report_exit(&r);
out:
	apply_report_release(&r);
	progress_free(progress);
	free(actor);
	free(id);
	sync_env_close(&env);
	return ret;
}
