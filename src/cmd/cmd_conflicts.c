/*
 * catalyst-sync conflicts: the types changed on both sides, with a
 * three-way view of every conflicting path, the merge file a person
 * resolves them in, and the conflict log (brief §9).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/output.h"
#include "cmd/syncenv.h"
#include "core/plan.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/banned.h"

static const char conflicts_synopsis[] =
	"catalyst-sync conflicts [TYPE] [--json] [--out FILE] [--log]";
static const char conflicts_description[] =
	"Lists the content types changed both in Catalyst and in the CMS,\n"
	"with, for every path changed differently on the two sides, the\n"
	"value of the base (what both last agreed on), Catalyst's and the\n"
	"CMS's. A type whose changes merge cleanly says so. With --out FILE\n"
	"(one TYPE) a merge file is written: choose a side for each\n"
	"conflict there, then run 'catalyst-sync resolve TYPE --file FILE'.\n"
	"--log shows the conflict log instead: every conflict met, how it\n"
	"was resolved, by whom and when. Exit codes: 0 (none), 3\n"
	"(conflicts wait for a decision).";

static void value_text(struct buf *b, const json_t *v)
{
	if (!v)
		buf_adds(b, "(absent)");
	else
		jx_dump_compact(b, v);
}

static void print_view(const json_t *t)
{
	const json_t *c;
	size_t i;

	printf("%s (%s): %s\n", jx_str(t, "key"),
	       jx_str(t, "name") ? jx_str(t, "name") : "?",
	       jx_str(t, "reason"));
	json_array_foreach(json_object_get(t, "conflicts"), i, c)
	{
		struct buf b = BUF_INIT;

		buf_addf(&b, "  %s  [%s]\n    base:   ",
			 *jx_str(c, "path") ? jx_str(c, "path") : "(document)",
			 jx_str(c, "kind"));
		value_text(&b, json_object_get(c, "base"));
		buf_adds(&b, "\n    local:  ");
		value_text(&b, json_object_get(c, "local"));
		buf_adds(&b, "\n    remote: ");
		value_text(&b, json_object_get(c, "remote"));
		printf("%s\n", b.ptr);
		buf_release(&b);
	}
}

/* The merge file: made for a person to fill in (docs/json-formats.md). */
static json_t *merge_file(const json_t *plan, const json_t *t)
{
	json_t *conflicts = json_array(), *c, *doc;
	size_t i;
	struct buf how = BUF_INIT;

	json_array_foreach(json_object_get(t, "conflicts"), i, c)
	{
		json_t *o = json_pack("{s:O, s:O, s:O}", "path",
				      json_object_get(c, "path"), "kind",
				      json_object_get(c, "kind"), "segments",
				      json_object_get(c, "segments"));

		if (json_object_get(c, "base"))
			json_object_set(o, "base", json_object_get(c, "base"));
		if (json_object_get(c, "local"))
			json_object_set(o, "local",
					json_object_get(c, "local"));
		if (json_object_get(c, "remote"))
			json_object_set(o, "remote",
					json_object_get(c, "remote"));
		json_object_set_new(o, "take", json_null());
		json_array_append_new(conflicts, o);
	}
	buf_addf(&how,
		 "For each conflict set \"take\" to \"local\" (Catalyst's "
		 "value), \"remote\" (the CMS's), \"base\" (the value both "
		 "had), or \"value\" and put the value you want in "
		 "\"value\" (leave \"value\" out to remove the member). "
		 "Everything else merges by itself. Then run: "
		 "catalyst-sync resolve %s --file THIS-FILE",
		 jx_str(t, "key"));
	doc = json_pack("{s:i, s:s, s:O, s:s?, s:s, s:{s:O, s:O, s:O}, s:o, "
			"s:o}",
			"format_version", OUTPUT_FORMAT_VERSION, "kind",
			"merge", "type", json_object_get(t, "key"), "name",
			jx_str(t, "name"), "target",
			jx_str(json_object_get(plan, "target"), "name"),
			"hashes", "base", json_object_get(t, "base_hash"),
			"local", json_object_get(t, "local_hash"), "remote",
			json_object_get(t, "remote_hash"), "instructions",
			json_string(how.ptr), "conflicts", conflicts);
	buf_release(&how);
	return doc;
}

static json_t *conflict_json(const struct store_conflict *c)
{
	struct buf when = BUF_INIT;
	json_t *o;

	time_format_iso(&when, c->created_ms);
	o = json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s}", "id",
		      (json_int_t)c->id, "origin", c->origin, "target",
		      c->target, "type_id", c->type_id, "type_key", c->type_key,
		      "path", c->path, "kind", c->kind, "resolution",
		      c->resolution, "created", when.ptr);
	if (c->base_value)
		json_object_set(o, "base", c->base_value);
	if (c->local_value)
		json_object_set(o, "local", c->local_value);
	if (c->remote_value)
		json_object_set(o, "remote", c->remote_value);
	if (c->resolved_ms) {
		buf_reset(&when);
		time_format_iso(&when, c->resolved_ms);
		json_object_set_new(o, "resolved", json_string(when.ptr));
		if (c->resolved_by)
			json_object_set_new(o, "resolved_by",
					    json_string(c->resolved_by));
	}
	buf_release(&when);
	return o;
}

static int show_log(struct sync_env *env, const char *type_id, int json)
{
	struct store_conflict_query q = {0};
	struct store_conflict_list l = {0};
	json_t *arr = json_array();
	size_t i;
	int ret;

	q.type_id = type_id;
	if ((ret = store_conflict_query(env->store, &q, &l)) < 0)
		goto out;
	for (i = 0; i < l.nr; i++)
		json_array_append_new(arr, conflict_json(&l.items[i]));
	if (json) {
		json_t *o = json_pack("{s:i, s:O}", "format_version",
				      OUTPUT_FORMAT_VERSION, "conflicts", arr);

		output_json(stdout, o);
		json_decref(o);
	} else if (!l.nr) {
		printf("The conflict log is empty.\n");
	}
	for (i = 0; !json && i < l.nr; i++) {
		const struct store_conflict *c = &l.items[i];
		const json_t *o = json_array_get(arr, i);

		printf("#%lld %s %s %s: %s [%s] %s", c->id,
		       jx_str(o, "created"), c->origin,
		       c->type_key ? c->type_key : c->type_id,
		       *c->path ? c->path : "(document)", c->kind,
		       c->resolution);
		if (c->resolved_by)
			printf(" by %s", c->resolved_by);
		if (jx_str(o, "resolved"))
			printf(" at %s", jx_str(o, "resolved"));
		printf("\n");
	}
	ret = 0;
out:
	store_conflict_list_release(&l);
	json_decref(arr);
	return ret;
}

int cmd_conflicts(int argc, char **argv, struct ctx *ctx)
{
	struct plan_flags f = {0};
	const char *out_path = NULL;
	int json = 0, log = 0;
	const struct opt_spec opts[] = {
		OPT_FLAG_("json", 0, &json, "print them as JSON"),
		OPT_STRING_("out", 0, &out_path, "FILE",
			    "write TYPE's merge file, for 'resolve --file'"),
		OPT_FLAG_("log", 0, &log,
			  "show the conflict log (all, resolved too)"),
		OPT_END_()};
	struct sync_env env;
	json_t *plan = NULL, *list = json_array();
	const json_t *t;
	char *pos[1];
	size_t i;
	int nr, ret;

	memset(&env, 0, sizeof(env));
	ret = cmd_parse(ctx, argc, argv, opts, conflicts_synopsis,
			conflicts_description, pos, &nr, 1);
	if (ret) {
		json_decref(list);
		return ret > 0 ? EXIT_OK : ret;
	}
	if (out_path && !nr) {
		ret = err_set(ERR_USAGE, "--out needs the TYPE whose merge "
					 "file to write");
		goto out;
	}
	if (nr)
		opt_list_add(&f.only, pos[0]);
	/* Push mode settles nothing: every conflict is shown as it is. */
	f.mode = "push";
	if ((ret = sync_env_open(ctx, &env, 1)) < 0)
		goto out;
	if (log) {
		const char *id = NULL;

		if (nr && (ret = model_find_type(&env.model, pos[0], &id)) < 0)
			goto out;
		ret = show_log(&env, id, json);
		goto out;
	}
	if ((ret = sync_env_plan(&env, &f, &plan)) < 0)
		goto out;
	json_array_foreach(json_object_get(plan, "types"), i,
			   t) if (plan_action_parse(jx_str(t, "action")) ==
				  PLAN_CONFLICT)
		json_array_append(list, (json_t *)t);
	if (out_path) {
		json_t *doc;

		if (!json_array_size(list)) {
			ret = err_set(ERR_NOTFOUND, "'%s' is not in conflict",
				      pos[0]);
			goto out;
		}
		t = json_array_get(list, 0);
		if (!json_array_size(json_object_get(t, "conflicts"))) {
			ret = err_set(
				ERR_INVALID,
				"'%s' has no conflicting paths to choose "
				"between (%s); use 'resolve %s --strategy "
				"local|remote|merge'",
				pos[0], jx_str(t, "reason"), pos[0]);
			goto out;
		}
		if (!(doc = merge_file(plan, t))) {
			ret = err_set(ERR_GENERIC,
				      "cannot build the merge file");
			goto out;
		}
		ret = output_save_json(out_path, doc);
		json_decref(doc);
		if (ret < 0)
			goto out;
		if (!json)
			printf("Wrote the merge file of %s to %s: choose a "
			       "side "
			       "for each of its %zu conflicts, then run "
			       "'catalyst-sync resolve %s --file %s'.\n",
			       jx_str(t, "key"), out_path,
			       json_array_size(json_object_get(t, "conflicts")),
			       jx_str(t, "key"), out_path);
	}
	if (json) {
		json_t *o = json_pack("{s:i, s:O}", "format_version",
				      OUTPUT_FORMAT_VERSION, "types", list);

		output_json(stdout, o);
		json_decref(o);
	} else if (!out_path) {
		json_array_foreach(list, i, t) print_view(t);
		if (!json_array_size(list))
			printf("No conflicts.\n");
	}
	ret = json_array_size(list) ? EXIT_ATTENTION : EXIT_OK;
out:
	json_decref(plan);
	json_decref(list);
	sync_env_close(&env);
	plan_flags_release(&f);
	return ret;
}
