/*
 * plan_file: reading plan documents (a saved plan, before apply trusts
 * it) and the questions commands ask of them.
 */
#include <string.h>

#include "core/plan.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/banned.h"

static const char *const op_actions[] = {
	"create", "update", "delete",	   "link",	  "record_base",
	"forget", "pull",   "pull_create", "pull_delete", NULL};

static int known_op_action(const char *a)
{
	size_t i;

	for (i = 0; a && op_actions[i]; i++)
		if (!strcmp(a, op_actions[i]))
			return 1;
	return 0;
}

static int bad(const char *what, size_t i, const char *member)
{
	if (i == (size_t)-1)
		return err_set(ERR_INVALID, "not a usable plan: %s %s", what,
			       member);
	return err_set(ERR_INVALID, "not a usable plan: operations[%zu].%s %s",
		       i, member, what);
}

static int check_op(const json_t *op, size_t i)
{
	const char *action = jx_str(op, "action");
	const json_t *after = json_object_get(op, "after"), *d;
	json_int_t seq;
	size_t j;

	if (!json_is_object(op))
		return err_set(ERR_INVALID,
			       "not a usable plan: operations[%zu] is not an "
			       "object",
			       i);
	if (!json_is_integer(json_object_get(op, "seq")) ||
	    json_integer_value(json_object_get(op, "seq")) != (json_int_t)i)
		return bad("must be its index", i, "seq");
	if (!known_op_action(action))
		return bad("is not a known action", i, "action");
	if (!jx_str(op, "key"))
		return bad("is missing", i, "key");
	if (!json_is_array(after))
		return bad("must be an array", i, "after");
	json_array_foreach(after, j, d)
	{
		seq = json_integer_value(d);
		if (!json_is_integer(d) || seq < 0 || (size_t)seq >= i)
			return bad("must name earlier operations", i, "after");
	}
	if (!strcmp(action, "create") &&
	    !json_is_object(json_object_get(op, "doc")))
		return bad("must be an object", i, "doc");
	if ((!strcmp(action, "update") || !strcmp(action, "link")) &&
	    !json_is_object(json_object_get(op, "patch")))
		return bad("must be an object", i, "patch");
	if ((!strcmp(action, "update") || !strcmp(action, "delete")) &&
	    !json_is_object(json_object_get(op, "remote")))
		return bad("must be an object", i, "remote");
	if ((!strcmp(action, "record_base") ||
	     !strcmp(action, "pull_create")) &&
	    !json_is_object(json_object_get(op, "doc")))
		return bad("must be an object", i, "doc");
	if ((!strcmp(action, "pull") || !strcmp(action, "pull_create")) &&
	    !json_is_object(json_object_get(op, "form")))
		return bad("must be an object", i, "form");
	if ((!strcmp(action, "pull") || !strcmp(action, "pull_delete")) &&
	    (!jx_str(op, "type_id") || !jx_str(op, "version")))
		return bad("are missing", i, "type_id or version");
	return 0;
}

int plan_check(const json_t *plan)
{
	const json_t *ops, *op, *types, *fv;
	size_t i;
	int ret;

	if (!json_is_object(plan))
		return err_set(ERR_INVALID, "not a plan: not a JSON object");
	if (!jx_str(plan, "kind") || strcmp(jx_str(plan, "kind"), "plan"))
		return err_set(ERR_INVALID,
			       "not a plan: \"kind\" is not \"plan\"");
	fv = json_object_get(plan, "format_version");
	if (!json_is_integer(fv))
		return bad("is missing", (size_t)-1, "format_version");
	if (json_integer_value(fv) != PLAN_FORMAT_VERSION)
		return err_set(ERR_INVALID,
			       "the plan has format_version %lld; this "
			       "catalyst-sync reads %d: plan again with it",
			       (long long)json_integer_value(fv),
			       PLAN_FORMAT_VERSION);
	if (!jx_str(plan, "id") || !jx_str(plan, "store_id") ||
	    !jx_str(json_object_get(plan, "target"), "name") ||
	    !jx_str(json_object_get(plan, "target"), "identity"))
		return bad("are missing", (size_t)-1,
			   "id, store_id or target.name/identity");
	types = json_object_get(plan, "types");
	ops = json_object_get(plan, "operations");
	if (!json_is_array(types) || !json_is_array(ops))
		return bad("must be arrays", (size_t)-1,
			   "\"types\" and \"operations\"");
	json_array_foreach(types, i, op)
	{
		if (!jx_str(op, "key") ||
		    plan_action_parse(jx_str(op, "action")) < 0)
			return err_set(ERR_INVALID,
				       "not a usable plan: types[%zu] needs a "
				       "key and a known action",
				       i);
	}
	json_array_foreach(ops, i,
			   op) if ((ret = check_op(op, i)) < 0) return ret;
	return 0;
}

size_t plan_count(const json_t *plan, enum plan_action a)
{
	const json_t *summary = json_object_get(plan, "summary");

	return (size_t)json_integer_value(
		json_object_get(summary, plan_action_name(a)));
}

int plan_has_changes(const json_t *plan)
{
	return json_array_size(json_object_get(plan, "operations")) > 0;
}

int plan_needs_attention(const json_t *plan)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(plan, "types"), i, t)
	{
		int a = plan_action_parse(jx_str(t, "action"));

		if (a >= 0 && plan_action_attention((enum plan_action)a))
			return 1;
	}
	return 0;
}

int plan_has_invalid(const json_t *plan)
{
	const json_t *t, *f;
	size_t i, j;

	json_array_foreach(json_object_get(plan, "types"), i, t)
	{
		if (plan_action_parse(jx_str(t, "action")) != PLAN_BLOCKED)
			continue;
		if (jx_true(t, "invalid"))
			return 1;
		json_array_foreach(json_object_get(t, "findings"), j, f)
		{
			const char *code = jx_str(f, "code");

			if (code && strcmp(code, "data-loss") &&
			    jx_str(f, "severity") &&
			    !strcmp(jx_str(f, "severity"), "error"))
				return 1;
		}
	}
	return 0;
}
