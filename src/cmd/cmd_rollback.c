/*
 * catalyst-sync rollback: makes the CMS (and, with --catalyst, Catalyst)
 * match an earlier version, or undoes what one run changed, from its
 * backups (brief §12). Always a new plan, shown before it runs; history
 * is never rewritten.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/syncenv.h"
#include "core/history.h"
#include "core/lens.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

static const char rollback_synopsis[] =
	"catalyst-sync rollback TYPE --to VERSION [--catalyst]\n"
	"                              [--auto-approve] [--json] [--actor "
	"NAME]\n"
	"   or: catalyst-sync rollback --run ID [--auto-approve] [--json]";
static const char rollback_description[] =
	"'rollback TYPE --to VERSION' makes the CMS's content type match an\n"
	"earlier version of its history. Without --catalyst only the CMS\n"
	"changes: Catalyst keeps its version, so the type shows as drift\n"
	"until you pull the rollback in or push Catalyst's version again\n"
	"('apply --strategy local'). With --catalyst Catalyst takes the old\n"
	"version too, as a new SYNC version whose message says what it\n"
	"undid. 'rollback --run ID' restores every type a run changed from\n"
	"the backups it made (types it created are deleted); the CMS only.\n"
	"Either way a plan is shown first and runs on approval (elsewhere\n"
	"--auto-approve); writes carry If-Match as any apply.";

struct catalyst_write {
	const char *type_id;
	const json_t *form;
	const char *message;
	const char *actor;
	int quiet; /* --json: the outcome is the only output */
};

/*
 * The new version is the one synced: the writes of the type record it as
 * their version (head_version), and when the CMS holds it already (no
 * write), the sync state names it at once.
 */
static int synced_at(struct sync_env *env, const json_t *plan,
		     const char *type_id, const char *version)
{
	struct store_sync_state st = {0};
	const json_t *op;
	int writes = 0, ret;
	size_t i;

	json_array_foreach(json_object_get(plan, "operations"), i, op)
		if (jx_str(op, "type_id") && !strcmp(jx_str(op, "type_id"),
						      type_id)) {
			json_object_set_new((json_t *)op, "head_version",
					    json_true());
			writes++;
		}
	if (writes)
		return 0;
	ret = store_sync_state_get(env->store, env->tcfg->name, type_id, &st);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		return 0;
	}
	if (ret < 0)
		return ret;
	free(st.local_version);
	st.local_version = xstrdup(version);
	ret = store_sync_state_put(env->store, &st);
	store_sync_state_release(&st);
	return ret;
}

/* --catalyst: Catalyst takes the old version once the plan is approved. */
static int write_catalyst(struct sync_env *env, const json_t *plan,
			  void *payload)
{
	struct catalyst_write *w = payload;
	struct history_edit ed = {0};
	struct history_record_result rr;
	int ret;

	ed.type_id = w->type_id;
	ed.form = w->form;
	ed.source = STORE_SOURCE_SYNC;
	ed.author = w->actor;
	ed.message = w->message;
	ed.no_merge = 1;
	if ((ret = history_record(env->store, env->cap, &ed, &rr)) < 0)
		return ret;
	if (rr.branch)
		return err_set(ERR_CONFLICT,
			       "'%s' changed in Catalyst meanwhile; roll back "
			       "again",
			       w->type_id);
	if (!rr.version[0])
		return 0;
	if (!w->quiet)
		printf("Catalyst: version %.12s (%s).\n", rr.version,
		       w->message);
	return synced_at(env, plan, w->type_id, rr.version);
}

/* The target document an old Catalyst form maps to. */
static int lens_of(struct sync_env *env, const char *type_id, const char *key,
		   const json_t *form, json_t **out)
{
	struct lens_ctx lc = {0};
	json_t *pk = NULL;
	int ret;

	if ((ret = history_prop_keys(env->store, type_id, form, 0, &pk)) < 0)
		return ret;
	lc.type_key = key;
	lc.type_keys = env->model.type_keys;
	lc.prop_keys = pk;
	ret = lens_forward(out, form, &lc);
	json_decref(pk);
	return ret;
}

static int to_version(struct sync_env *env, struct plan_flags *f,
		      struct run_flags *rf, const char *spec, const char *to,
		      int catalyst)
{
	struct store_version v;
	struct catalyst_write w = {0};
	struct buf msg = BUF_INIT;
	char head[CANON_HASH_LEN + 1];
	const char *id = NULL, *key;
	char *vid = NULL, *actor = NULL;
	json_t *doc = NULL;
	int ret, got = 0;

	store_version_init(&v);
	if ((ret = model_find_type(&env->model, spec, &id)) < 0 ||
	    (ret = store_version_resolve(env->store, to, &vid)) < 0 ||
	    (ret = store_version_get(env->store, vid, &v)) < 0)
		goto out;
	got = 1;
	key = jx_str(env->model.type_keys, id);
	if (strcmp(v.type_id, id)) {
		ret = err_set(ERR_INVALID,
			      "version %.12s is a version of another content "
			      "type ('%s')",
			      vid, v.type_id);
		goto out;
	}
	if (v.deleted || !v.snapshot) {
		ret = err_set(ERR_INVALID,
			      "version %.12s records the deletion of '%s'; "
			      "pick a version that has the type",
			      vid, key);
		goto out;
	}
	if ((ret = lens_of(env, id, key, v.snapshot, &doc)) < 0 ||
	    (ret = history_heads(env->store, id, head, NULL)) < 0)
		goto out;
	f->desired = json_pack("{s:o}", key, doc);
	opt_list_add(&f->only, key);
	f->keep_base = !catalyst;
	if (catalyst) {
		actor = sync_actor(rf->actor);
		buf_addf(&msg, "Rollback to %.12s (undoes %.12s)", vid, head);
		w.type_id = id;
		w.form = v.snapshot;
		w.message = msg.ptr;
		w.actor = actor;
		w.quiet = rf->json;
		rf->before_apply = write_catalyst;
		rf->payload = &w;
	}
	ret = sync_run(env, f, rf);
	json_decref(rf->plan);
out:
	if (got)
		store_version_release(&v);
	buf_release(&msg);
	free(vid);
	free(actor);
	return ret;
}

static int undo_run(struct sync_env *env, struct plan_flags *f,
		    struct run_flags *rf, const char *spec)
{
	struct store_op *ops = NULL;
	json_t *backups = NULL, *b;
	char *run = NULL;
	size_t i, nr = 0;
	int ret;

	if ((ret = store_run_resolve(env->store, spec, &run)) < 0 ||
	    (ret = store_backups_of_run(env->store, run, &backups)) < 0 ||
	    (ret = store_ops(env->store, run, &ops, &nr)) < 0)
		goto out;
	f->desired = json_object();
	/* The first backup of a type is its state before the run. */
	json_array_foreach(backups, i, b)
	{
		const char *key = jx_str(b, "type_key");

		if (key && !json_object_get(f->desired, key) &&
		    !strcmp(jx_str(b, "target"), env->tcfg->name))
			json_object_set(f->desired, key,
					json_object_get(b, "doc"));
	}
	/* What the run created did not exist before it. */
	for (i = 0; i < nr; i++)
		if (!strcmp(ops[i].action, "create") &&
		    !strcmp(ops[i].state, "done") && ops[i].type_key &&
		    !json_object_get(f->desired, ops[i].type_key))
			json_object_set_new(f->desired, ops[i].type_key,
					    json_null());
	if (!json_object_size(f->desired)) {
		printf("Run %.12s changed nothing in the CMS: nothing to "
		       "roll back.\n",
		       run);
		ret = EXIT_OK;
		goto out;
	}
	{
		const char *key;
		json_t *v;

		json_object_foreach(f->desired, key, v)
			opt_list_add(&f->only, key);
	}
	f->keep_base = 1;
	ret = sync_run(env, f, rf);
	json_decref(rf->plan);
out:
	store_ops_free(ops, nr);
	json_decref(backups);
	free(run);
	return ret;
}

int cmd_rollback(int argc, char **argv, struct ctx *ctx)
{
	struct plan_flags f = {0};
	struct run_flags rf = {0};
	const char *to = NULL, *run = NULL;
	int catalyst = 0;
	const struct opt_spec opts[] = {
		OPT_STRING_("to", 0, &to, "VERSION",
			    "the version TYPE goes back to"),
		OPT_FLAG_("catalyst", 0, &catalyst,
			  "write Catalyst back too (a new version)"),
		OPT_STRING_("run", 0, &run, "ID",
			    "undo what this run changed in the CMS"),
		OPT_FLAG_("auto-approve", 0, &rf.auto_approve,
			  "roll back without asking"),
		OPT_FLAG_("json", 0, &rf.json, "print the outcome as JSON"),
		OPT_STRING_("actor", 0, &rf.actor, "NAME",
			    "who rolls back (default: user@host)"),
		OPT_END_()};
	struct sync_env env;
	char *pos[1];
	int nr, ret;

	memset(&env, 0, sizeof(env));
	ret = cmd_parse(ctx, argc, argv, opts, rollback_synopsis,
			rollback_description, pos, &nr, 1);
	if (ret) {
		plan_flags_release(&f);
		return ret > 0 ? EXIT_OK : ret;
	}
	if (run ? (nr || to || catalyst) : (nr != 1 || !to)) {
		ret = err_set(
			ERR_USAGE,
			run ? "rollback --run ID takes no TYPE, --to or "
			      "--catalyst"
			    : "rollback needs TYPE --to VERSION, or --run "
			      "ID");
		goto out;
	}
	/* The user asked for exactly this: the CMS is overwritten (with
	 * If-Match), whatever it holds now. */
	f.mode = "push";
	f.strategy = "local";
	if ((ret = sync_env_open(ctx, &env, 1)) < 0)
		goto out;
	ret = run ? undo_run(&env, &f, &rf, run)
		  : to_version(&env, &f, &rf, pos[0], to, catalyst);
out:
	sync_env_close(&env);
	plan_flags_release(&f);
	return ret;
}
