/*
 * syncenv: opening what a sync needs, and the plan for people.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/syncenv.h"
#include "core/plan.h"
#include "source/capture.h"
#include "source/catalyst_sqlite.h"
#include "store/store.h"
#include "target/target.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

int sync_env_open(struct ctx *ctx, struct sync_env *env, int model)
{
	json_t *websites = NULL, *keys = NULL;
	int ret;

	memset(env, 0, sizeof(*env));
	if ((ret = ctx_config(ctx, &env->cfg)) < 0)
		return ret;
	if ((ret = ctx_open_history(ctx, &env->store, &env->cap)) < 0)
		return ret;
	if ((ret = ctx_open_target(ctx, &env->target, &env->tcfg)) < 0)
		return ret;
	if (!model)
		return 0;
	if ((ret = ctx_open_catalyst(ctx, &env->db, &websites)) < 0)
		return ret;
	if (json_array_size(websites) != 1) {
		ret = err_set(ERR_USAGE,
			      "a target syncs one website and the database "
			      "has %zu; pick one with --website (or "
			      "source.website)",
			      json_array_size(websites));
		json_decref(websites);
		return ret;
	}
	env->website = json_incref(json_array_get(websites, 0));
	json_decref(websites);
	if ((ret = store_target_put(env->store, env->tcfg->name, env->tcfg->url,
				    jx_str(env->website, "id"))) < 0 ||
	    (ret = store_type_keys(env->store, jx_str(env->website, "id"),
				   &keys)) < 0)
		return ret;
	ret = model_open(&env->model, env->db, jx_str(env->website, "id"), keys,
			 NULL);
	json_decref(keys);
	if (ret < 0)
		return ret;
	env->model_open = 1;
	env->model.store = env->store;
	return 0;
}

void sync_env_close(struct sync_env *env)
{
	if (env->model_open)
		model_release(&env->model);
	catalyst_db_close(env->db);
	target_free(env->target);
	capture_close(env->cap);
	store_close(env->store);
	json_decref(env->website);
	memset(env, 0, sizeof(*env));
}

void plan_flags_release(struct plan_flags *f)
{
	opt_list_release(&f->only);
	opt_list_release(&f->exclude);
	opt_list_release(&f->adopt);
	json_decref(f->choices);
	json_decref(f->desired);
}

static json_t *list_json(const struct opt_list *l)
{
	json_t *a;
	size_t i;

	if (!l->nr)
		return NULL;
	a = json_array();
	for (i = 0; i < l->nr; i++)
		json_array_append_new(a, json_string(l->items[i]));
	return a;
}

int sync_check_strategy(const char *s)
{
	if (!s || !strcmp(s, "merge") || !strcmp(s, "local") ||
	    !strcmp(s, "remote"))
		return 0;
	return err_set(ERR_USAGE,
		       "--strategy must be merge, local or remote, not '%s'",
		       s);
}

int sync_env_plan(struct sync_env *env, const struct plan_flags *f,
		  json_t **out)
{
	struct plan_options o = {0};
	json_t *only = list_json(&f->only), *exclude = list_json(&f->exclude);
	json_t *adopt = list_json(&f->adopt);
	int ret;

	o.target_name = env->tcfg->name;
	o.target_url = env->tcfg->url;
	o.website_id = jx_str(env->website, "id");
	o.website_name = jx_str(env->website, "name");
	o.mode = f->mode ? f->mode : env->cfg->mode;
	o.strategy = f->strategy;
	o.allow_delete = f->allow_delete;
	o.adopt = adopt;
	o.choices = f->choices;
	o.desired = f->desired;
	o.keep_base = f->keep_base;
	o.allow_data_loss = f->allow_data_loss;
	o.recreate = f->recreate;
	o.strict =
		env->cfg->validation && !strcmp(env->cfg->validation, "strict");
	o.only = only;
	o.exclude = exclude;
	ret = plan_build(env->store, env->target, &env->model, &o, out);
	json_decref(only);
	json_decref(exclude);
	json_decref(adopt);
	return ret;
}

char *sync_actor(const char *given)
{
	struct buf b = BUF_INIT;
	const char *user = getenv("USER");
	char host[256] = "";

	if (given && *given)
		return xstrdup(given);
	if (!user || !*user) {
		struct passwd *pw = getpwuid(getuid());

		user = pw && pw->pw_name ? pw->pw_name : "unknown";
	}
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	buf_addf(&b, "%s@%s", user, host);
	return buf_detach(&b, NULL);
}

/* ---- the plan for people --------------------------------------------------
 */

static const char *sign(int a)
{
	switch (a) {
	case PLAN_CREATE:
		return "+";
	case PLAN_UPDATE:
		return "~";
	case PLAN_DELETE:
		return "-";
	case PLAN_RECREATE:
		return "-/+";
	case PLAN_ADOPT:
	case PLAN_CONVERGED:
	case PLAN_FORGET:
		return "=";
	case PLAN_BLOCKED:
		return "x";
	case PLAN_PULL:
		return "<";
	case PLAN_MERGE:
		return "<>";
	case PLAN_IMPORT:
		return "<+";
	case PLAN_REMOVE_LOCAL:
		return "<-";
	case PLAN_UNPUSHED:
		return ">";
	default:
		return "!";
	}
}

static void print_value(FILE *out, const json_t *v)
{
	struct buf b = BUF_INIT;

	jx_dump_compact(&b, v);
	if (b.len > 120) {
		buf_setlen(&b, 117);
		buf_adds(&b, "...");
	}
	fputs(b.ptr, out);
	buf_release(&b);
}

static void print_changes(FILE *out, const json_t *t, const char *member,
			  const char *indent)
{
	const json_t *c, *loss = json_object_get(t, "data_loss"), *l;
	size_t i, j;

	json_array_foreach(json_object_get(t, member), i, c)
	{
		const char *op = jx_str(c, "op");
		const char *path = jx_str(c, "path");
		const char *why = NULL;

		json_array_foreach(loss, j,
				   l) if (path && jx_str(l, "path") &&
					  !strncmp(path, jx_str(l, "path"),
						   strlen(jx_str(l, "path"))))
			why = jx_str(l, "reason");
		fprintf(out, "%s%s %s", indent,
			!strcmp(op, "add")	? "+"
			: !strcmp(op, "remove") ? "-"
						: "~",
			path);
		if (!strcmp(op, "change")) {
			fputs(": ", out);
			print_value(out, json_object_get(c, "old"));
			fputs(" -> ", out);
			print_value(out, json_object_get(c, "new"));
		} else if (!strcmp(op, "add")) {
			fputs(": ", out);
			print_value(out, json_object_get(c, "new"));
		} else if (jx_true(c, "set_member")) {
			/* "- allowedTypes[]" alone would not say which. */
			fputs(": ", out);
			print_value(out, json_object_get(c, "old"));
		}
		if (why)
			fprintf(out, "   (data loss: %s)", why);
		fputc('\n', out);
	}
}

static void print_type(FILE *out, const json_t *t, int detail)
{
	int a = plan_action_parse(jx_str(t, "action"));
	const char *name = jx_str(t, "name");
	const json_t *f;
	size_t i;

	fprintf(out, "  %-3s %-9s %s", sign(a), jx_str(t, "action"),
		jx_str(t, "key"));
	if (name && strcmp(name, jx_str(t, "key")))
		fprintf(out, " (Catalyst '%s')", name);
	if (a == PLAN_CREATE && json_object_get(t, "properties"))
		fprintf(out, ", %lld properties",
			(long long)json_integer_value(
				json_object_get(t, "properties")));
	fputc('\n', out);
	if (jx_str(t, "reason"))
		fprintf(out, "                %s\n", jx_str(t, "reason"));
	/* What validation found, as 'validate' says it. */
	json_array_foreach(json_object_get(t, "findings"), i, f)
		fprintf(out, "                %s: %s: %s [%s]\n",
			jx_str(f, "severity"), jx_str(f, "path"),
			jx_str(f, "message"), jx_str(f, "code"));
	if (detail)
		print_changes(out, t, "changes", "                  ");
	if (detail && json_array_size(json_object_get(t, "catalyst_changes"))) {
		fprintf(out, "                Catalyst takes:\n");
		print_changes(out, t, "catalyst_changes", "                  ");
	}
}

void plan_print(FILE *out, const json_t *plan)
{
	const json_t *target = json_object_get(plan, "target");
	const json_t *types = json_object_get(plan, "types"), *t;
	const json_t *summary = json_object_get(plan, "summary");
	size_t i, writes = 0, alone = 0, unpushed = 0;
	static const int order[] = {
		PLAN_CREATE, PLAN_UPDATE,    PLAN_RECREATE, PLAN_DELETE,
		PLAN_MERGE,  PLAN_PULL,	     PLAN_IMPORT,   PLAN_REMOVE_LOCAL,
		PLAN_ADOPT,  PLAN_CONVERGED, PLAN_FORGET};
	static const int attention[] = {PLAN_CONFLICT, PLAN_DRIFT,
					PLAN_REMOTE_DELETED, PLAN_BLOCKED};
	size_t k;

	fprintf(out, "Plan %s for target '%s' (%s, %s), website '%s':\n\n",
		jx_str(plan, "id"), jx_str(target, "name"),
		jx_str(target, "url") ? jx_str(target, "url") : "?",
		jx_str(target, "api_version"),
		jx_str(json_object_get(plan, "website"), "name")
			? jx_str(json_object_get(plan, "website"), "name")
			: jx_str(json_object_get(plan, "website"), "id"));
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		json_array_foreach(types, i, t) if (plan_action_parse(jx_str(
							    t, "action")) ==
						    order[k])
		{
			print_type(out, t,
				   order[k] == PLAN_UPDATE ||
					   order[k] == PLAN_RECREATE ||
					   order[k] == PLAN_MERGE ||
					   order[k] == PLAN_PULL);
			writes++;
		}
	if (!writes)
		fprintf(out, "  No changes to make.\n");
	json_array_foreach(types, i,
			   t) if (plan_action_parse(jx_str(t, "action")) ==
				  PLAN_UNPUSHED)
	{
		if (!unpushed++)
			fprintf(out, "\nNot pushed (pull writes Catalyst "
				     "only):\n");
		print_type(out, t, 0);
	}
	for (k = 0; k < sizeof(attention) / sizeof(attention[0]); k++)
		json_array_foreach(types, i, t) if (plan_action_parse(jx_str(
							    t, "action")) ==
						    attention[k])
		{
			if (!alone++)
				fprintf(out, "\nLeft alone (needs "
					     "attention):\n");
			print_type(out, t, 1);
		}
	fprintf(out,
		"\nPlan: %lld to create, %lld to update, %lld to delete, "
		"%lld to record",
		(long long)(plan_count(plan, PLAN_CREATE) +
			    plan_count(plan, PLAN_RECREATE)),
		(long long)plan_count(plan, PLAN_UPDATE),
		(long long)(plan_count(plan, PLAN_DELETE) +
			    plan_count(plan, PLAN_RECREATE)),
		(long long)(plan_count(plan, PLAN_ADOPT) +
			    plan_count(plan, PLAN_CONVERGED) +
			    plan_count(plan, PLAN_FORGET)));
	if (plan_count(plan, PLAN_PULL) + plan_count(plan, PLAN_MERGE) +
	    plan_count(plan, PLAN_IMPORT) + plan_count(plan, PLAN_REMOVE_LOCAL))
		fprintf(out, "; %lld to write into Catalyst",
			(long long)(plan_count(plan, PLAN_PULL) +
				    plan_count(plan, PLAN_MERGE) +
				    plan_count(plan, PLAN_IMPORT) +
				    plan_count(plan, PLAN_REMOVE_LOCAL)));
	if (alone)
		fprintf(out, "; %zu left alone", alone);
	fprintf(out, "; %lld unchanged",
		(long long)plan_count(plan, PLAN_NONE));
	if (json_integer_value(json_object_get(summary, "unmanaged")))
		fprintf(out, "; %lld remote types not managed",
			(long long)json_integer_value(
				json_object_get(summary, "unmanaged")));
	fprintf(out, ".\n");
	if (jx_true(plan, "allow_data_loss"))
		fprintf(out, "Data loss is allowed in this plan "
			     "(--allow-data-loss).\n");
}

int plan_exit_code(const json_t *plan, int detailed)
{
	if (plan_has_invalid(plan))
		return EXIT_ERROR;
	if (plan_needs_attention(plan))
		return EXIT_ATTENTION;
	if (detailed && plan_has_changes(plan))
		return EXIT_CHANGES;
	return EXIT_OK;
}
