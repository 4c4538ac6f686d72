/*
 * catalyst-sync resolve: settles a type changed on both sides, with a
 * strategy or a merge file a person filled in (brief §9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "cmd/syncenv.h"
#include "core/history.h"
#include "core/plan.h"
#include "store/store.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/banned.h"

static const char resolve_synopsis[] =
	"catalyst-sync resolve TYPE --strategy merge|local|remote\n"
	"                             [--allow-data-loss] [--auto-approve]\n"
	"                             [--json] [--actor NAME]\n"
	"   or: catalyst-sync resolve TYPE --file MERGED.json [...]\n"
	"   or: catalyst-sync resolve TYPE --branch VERSION [--strategy "
	"...]";
static const char resolve_description[] =
	"Settles a content type changed both in Catalyst and in the CMS:\n"
	"the three-way merge of the base, Catalyst's version and the CMS's\n"
	"goes to both sides (the CMS with If-Match, Catalyst as a new SYNC\n"
	"version). --strategy merge applies a clean merge; local lets\n"
	"Catalyst win the conflicting paths, remote the CMS (everything\n"
	"else still merges). --file applies the choices made in a merge\n"
	"file written by 'catalyst-sync conflicts TYPE --out FILE'; a file\n"
	"made before either side changed again is refused as stale.\n"
	"--branch merges a branch of the version history into the main\n"
	"line instead (local: the main line wins conflicts; remote: the\n"
	"branch). Every conflict and its resolution go to the conflict log.\n"
	"A resolution that would lose content in the CMS (a property the\n"
	"winning side removed) stops there unless --allow-data-loss is\n"
	"given. Shows the plan and asks on a terminal (elsewhere\n"
	"--auto-approve).";

/* The value a conflict's "take" names; *absent when it removes. */
static int chosen_value(const json_t *c, size_t i, const json_t **v,
			int *absent)
{
	const char *take = jx_str(c, "take");
	const char *from = NULL;

	*v = NULL;
	*absent = 0;
	if (!take)
		return err_set(ERR_INVALID,
			       "conflicts[%zu] (%s): choose \"take\": local, "
			       "remote, base or value",
			       i, jx_str(c, "path") ? jx_str(c, "path") : "?");
	if (!strcmp(take, "local") || !strcmp(take, "remote") ||
	    !strcmp(take, "base"))
		from = take;
	else if (!strcmp(take, "value"))
		from = "value";
	else
		return err_set(ERR_INVALID,
			       "conflicts[%zu] (%s): \"take\" is '%s'; it must "
			       "be local, remote, base or value",
			       i, jx_str(c, "path"), take);
	*v = json_object_get(c, from);
	*absent = !*v;
	return 0;
}

/* {key: [{segments, value?}]} from a merge file, checked. */
static int load_choices(const char *path, const char *key, json_t **choices,
			json_t **hashes)
{
	json_t *doc = NULL, *list, *c;
	const json_t *v;
	size_t i;
	int ret, absent;

	if ((ret = jx_load_file(&doc, path)) < 0)
		return ret;
	if (!jx_str(doc, "kind") || strcmp(jx_str(doc, "kind"), "merge")) {
		ret = err_set(ERR_INVALID,
			      "%s: not a merge file (\"kind\" is not "
			      "\"merge\"; see 'catalyst-sync conflicts TYPE "
			      "--out FILE')",
			      path);
		goto out;
	}
	if (!jx_str(doc, "type") || strcmp(jx_str(doc, "type"), key)) {
		ret = err_set(ERR_INVALID,
			      "%s: the merge file is for '%s', not '%s'", path,
			      jx_str(doc, "type") ? jx_str(doc, "type") : "?",
			      key);
		goto out;
	}
	list = json_array();
	json_array_foreach(json_object_get(doc, "conflicts"), i, c)
	{
		json_t *one;

		if ((ret = chosen_value(c, i, &v, &absent)) < 0) {
			err_prefix("%s", path);
			json_decref(list);
			goto out;
		}
		if (!json_is_array(json_object_get(c, "segments"))) {
			json_decref(list);
			ret = err_set(ERR_INVALID,
				      "%s: conflicts[%zu].segments is missing",
				      path, i);
			goto out;
		}
		one = json_pack("{s:O}", "segments",
				json_object_get(c, "segments"));
		if (!absent)
			json_object_set(one, "value", (json_t *)v);
		json_array_append_new(list, one);
	}
	*choices = json_pack("{s:o}", key, list);
	*hashes = json_incref(json_object_get(doc, "hashes"));
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

/* The merge file must be about the sides as they are now. */
static int check_fresh(struct sync_env *env, struct plan_flags *f,
		       const char *key, const json_t *hashes)
{
	json_t *plan = NULL;
	const json_t *t, *found = NULL;
	static const char *const sides[] = {"base", "local", "remote"};
	size_t i;
	int ret;

	if ((ret = sync_env_plan(env, f, &plan)) < 0)
		return ret;
	json_array_foreach(json_object_get(plan, "types"), i,
			   t) if (!strcmp(jx_str(t, "key"), key)) found = t;
	for (i = 0; found && i < 3; i++) {
		char member[16];

		snprintf(member, sizeof(member), "%s_hash", sides[i]);
		if (!json_equal(json_object_get(hashes, sides[i]),
				json_object_get(found, member))) {
			ret = err_set(
				ERR_INVALID,
				"the merge file is stale: %s changed "
				"since it was written; run 'catalyst-sync "
				"conflicts %s --out FILE' again",
				!strcmp(sides[i], "local") ? "Catalyst"
				: !strcmp(sides[i], "remote")
					? "the CMS"
					: "the sync state",
				key);
			break;
		}
	}
	if (!found)
		ret = err_set(ERR_INVALID, "'%s' is not in conflict any more",
			      key);
	json_decref(plan);
	return ret;
}

static int resolve_branch(struct sync_env *env, const char *type_id,
			  const char *branch, const char *strategy,
			  const char *actor_opt, int json)
{
	struct history_merge_result mr = {0};
	char *id = NULL, *actor = sync_actor(actor_opt);
	enum history_merge_strategy st =
		!strategy || !strcmp(strategy, "merge") ? HISTORY_MERGE_AUTO
		: !strcmp(strategy, "local")		? HISTORY_MERGE_HEAD
							: HISTORY_MERGE_BRANCH;
	int ret;

	if ((ret = store_version_resolve(env->store, branch, &id)) < 0 ||
	    (ret = history_merge(env->store, env->cap, type_id, id, st, actor,
				 &mr)) < 0)
		goto out;
	if (json) {
		json_t *o =
			json_pack("{s:s?, s:s?, s:I, s:O?}", "version",
				  mr.version[0] ? mr.version : NULL, "ancestor",
				  mr.ancestor[0] ? mr.ancestor : NULL,
				  "conflicts", (json_int_t)mr.conflicts,
				  "conflict_list", mr.conflict_list);

		output_json(stdout, o);
		json_decref(o);
	} else if (mr.version[0]) {
		printf("Merged branch %.12s into the main line: version "
		       "%.12s.\n",
		       id, mr.version);
	} else {
		printf("Branch %.12s has %zu conflicting path%s with the main "
		       "line (logged; 'catalyst-sync conflicts --log'); give "
		       "--strategy local or remote.\n",
		       id, mr.conflicts, mr.conflicts == 1 ? "" : "s");
	}
	ret = mr.version[0] ? EXIT_OK : EXIT_ATTENTION;
out:
	history_merge_result_release(&mr);
	free(id);
	free(actor);
	return ret;
}

int cmd_resolve(int argc, char **argv, struct ctx *ctx)
{
	struct plan_flags f = {0};
	struct run_flags rf = {0};
	const char *file = NULL, *branch = NULL;
	const struct opt_spec opts[] = {
		OPT_STRING_("strategy", 0, &f.strategy, "S",
			    "merge (a clean merge), local (Catalyst wins the "
			    "conflicts) or remote (the CMS wins them)"),
		OPT_STRING_("file", 0, &file, "MERGED.json",
			    "the merge file with a choice for each conflict"),
		OPT_STRING_("branch", 0, &branch, "VERSION",
			    "merge this branch of the history instead"),
		OPT_FLAG_("allow-data-loss", 0, &f.allow_data_loss,
			  "let the resolution lose content in the CMS"),
		OPT_FLAG_("auto-approve", 0, &rf.auto_approve,
			  "resolve without asking"),
		OPT_FLAG_("json", 0, &rf.json, "print the outcome as JSON"),
		OPT_STRING_("actor", 0, &rf.actor, "NAME",
			    "who resolves, for the log (default: user@host)"),
		OPT_END_()};
	struct sync_env env;
	json_t *hashes = NULL;
	const char *id = NULL, *key = NULL;
	char *pos[1];
	int nr, ret;

	memset(&env, 0, sizeof(env));
	ret = cmd_parse(ctx, argc, argv, opts, resolve_synopsis,
			resolve_description, pos, &nr, 1);
	if (ret) {
		plan_flags_release(&f);
		return ret > 0 ? EXIT_OK : ret;
	}
	if (nr != 1) {
		ret = err_set(ERR_USAGE, "resolve needs a TYPE");
		goto out;
	}
	if (!!f.strategy + !!file != 1 && !branch) {
		ret = err_set(ERR_USAGE,
			      "resolve needs either --strategy or --file");
		goto out;
	}
	if (branch && file) {
		ret = err_set(ERR_USAGE, "--branch merges with --strategy, "
					 "not --file");
		goto out;
	}
	if ((ret = sync_check_strategy(f.strategy)) < 0 ||
	    (ret = sync_env_open(ctx, &env, 1)) < 0 ||
	    (ret = model_find_type(&env.model, pos[0], &id)) < 0)
		goto out;
	key = jx_str(env.model.type_keys, id);
	if (branch) {
		ret = resolve_branch(&env, id, branch, f.strategy, rf.actor,
				     rf.json);
		goto out;
	}
	opt_list_add(&f.only, key);
	/* Both sides take the result, whatever sync.mode says. */
	f.mode = "bidirectional";
	if (file && ((ret = load_choices(file, key, &f.choices, &hashes)) < 0 ||
		     (ret = check_fresh(&env, &f, key, hashes)) < 0))
		goto out;
	ret = sync_run(&env, &f, &rf);
	if (ret >= 0 && rf.ran && !rf.failed && !rf.json) {
		const json_t *t;
		size_t i;

		json_array_foreach(
			json_object_get(rf.plan, "types"), i,
			t) if (!strcmp(jx_str(t, "key"), key) &&
			       plan_action_parse(jx_str(t, "action")) ==
				       PLAN_CONFLICT)
			printf("%s still has conflicting changes: give "
			       "--strategy local or remote, or a merge "
			       "file (--file).\n",
			       key);
	}
	json_decref(rf.plan);
out:
	json_decref(hashes);
	sync_env_close(&env);
	plan_flags_release(&f);
	return ret;
}
