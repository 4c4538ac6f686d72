/*
 * faults: fault settings and scripted rules, to and from JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

json_t *faults_to_json(const struct emu_faults *f)
{
	return json_pack("{s:I, s:I, s:f, s:I, s:I, s:f, s:f, s:I}",
			 "latencyMs", (json_int_t)f->latency_ms, "jitterMs",
			 (json_int_t)f->jitter_ms, "errorRate", f->error_rate,
			 "rateLimit", (json_int_t)f->rate_limit, "tokenTtl",
			 (json_int_t)f->token_ttl, "dropRate", f->drop_rate,
			 "truncateRate", f->truncate_rate, "staleReadMs",
			 (json_int_t)f->stale_read_ms);
}

static int get_long(const json_t *v, const char *name, long min, long max,
		    long *out, json_t *errs)
{
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		errs_add(errs, name, "'%s' must be an integer from %ld to %ld.",
			 name, min, max);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static int get_rate(const json_t *v, const char *name, double *out,
		    json_t *errs)
{
	if (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 1) {
		errs_add(errs, name, "'%s' must be a number from 0 to 1.",
			 name);
		return -1;
	}
	*out = json_number_value(v);
	return 0;
}

int faults_from_json(struct emu_faults *f, const json_t *j, json_t *errs)
{
	struct emu_faults n = *f;
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)j, k, v)
	{
		if (!strcmp(k, "latencyMs"))
			get_long(v, k, 0, 600000, &n.latency_ms, errs);
		else if (!strcmp(k, "jitterMs"))
			get_long(v, k, 0, 600000, &n.jitter_ms, errs);
		else if (!strcmp(k, "errorRate"))
			get_rate(v, k, &n.error_rate, errs);
		else if (!strcmp(k, "rateLimit"))
			get_long(v, k, 0, 1000000, &n.rate_limit, errs);
		else if (!strcmp(k, "tokenTtl"))
			get_long(v, k, 1, 86400 * 365, &n.token_ttl, errs);
		else if (!strcmp(k, "dropRate"))
			get_rate(v, k, &n.drop_rate, errs);
		else if (!strcmp(k, "truncateRate"))
			get_rate(v, k, &n.truncate_rate, errs);
		else if (!strcmp(k, "staleReadMs"))
			get_long(v, k, 0, 3600000, &n.stale_read_ms, errs);
		else
			errs_add(errs, k, "'%s' is not a fault setting.", k);
	}
	if (json_array_size(errs))
		return -1;
	*f = n;
	return 0;
}

static const char *const action_names[] = {"status", "drop", "truncate",
					   "delay", NULL};

int rule_from_json(struct fault_rule *r, const json_t *j, json_t *errs)
{
	const char *k;
	json_t *v;
	const char *method = "*", *path = "*";

	memset(r, 0, sizeof(*r));
	r->count = 1;
	r->status = 503;
	r->retry_after = -1;
	r->phase_after = 1;
	json_object_foreach((json_t *)j, k, v)
	{
		if (!strcmp(k, "method") || !strcmp(k, "path")) {
			if (!json_is_string(v) || !json_string_length(v))
				errs_add(errs, k, "'%s' must be a string.", k);
			else if (!strcmp(k, "method"))
				method = json_string_value(v);
			else
				path = json_string_value(v);
		} else if (!strcmp(k, "after")) {
			get_long(v, k, 0, 1000000000, &r->after, errs);
		} else if (!strcmp(k, "count")) {
			get_long(v, k, 0, 1000000000, &r->count, errs);
		} else if (!strcmp(k, "status")) {
			long s = 0;

			if (!get_long(v, k, 100, 599, &s, errs))
				r->status = (int)s;
		} else if (!strcmp(k, "retryAfter")) {
			get_long(v, k, 0, 86400, &r->retry_after, errs);
		} else if (!strcmp(k, "delayMs")) {
			get_long(v, k, 0, 600000, &r->delay_ms, errs);
		} else if (!strcmp(k, "action")) {
			size_t a;

			for (a = 0; action_names[a]; a++)
				if (json_is_string(v) &&
				    !strcmp(json_string_value(v),
					    action_names[a]))
					break;
			if (!action_names[a])
				errs_add(errs, k,
					 "'action' must be status, drop, "
					 "truncate or delay.");
			else
				r->action = (enum rule_action)a;
		} else if (!strcmp(k, "phase")) {
			const char *s = json_string_value(v);

			if (s && !strcmp(s, "before"))
				r->phase_after = 0;
			else if (s && !strcmp(s, "after"))
				r->phase_after = 1;
			else
				errs_add(errs, k,
					 "'phase' must be before or after.");
		} else if (strcmp(k, "id")) {
			errs_add(errs, k, "'%s' is not a member of a rule.", k);
		}
	}
	if (json_array_size(errs))
		return -1;
	r->method = xstrdup(method);
	r->path = xstrdup(path);
	return 0;
}

json_t *rule_to_json(const struct fault_rule *r)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:I, s:I, s:s}", "id",
			      (json_int_t)r->id, "method", r->method, "path",
			      r->path, "after", (json_int_t)r->after, "count",
			      (json_int_t)r->count, "action",
			      action_names[r->action]);

	if (r->action == RULE_STATUS) {
		json_object_set_new(j, "status", json_integer(r->status));
		if (r->retry_after >= 0)
			json_object_set_new(j, "retryAfter",
					    json_integer(r->retry_after));
	}
	if (r->action == RULE_DELAY)
		json_object_set_new(j, "delayMs", json_integer(r->delay_ms));
	if (r->action == RULE_DROP)
		json_object_set_new(
			j, "phase",
			json_string(r->phase_after ? "after" : "before"));
	return j;
}

void rule_release(struct fault_rule *r)
{
	FREE_AND_NULL(r->method);
	FREE_AND_NULL(r->path);
}

void rules_clear(struct emu *e)
{
	for (size_t i = 0; i < e->rules_nr; i++)
		rule_release(&e->rules[i]);
	e->rules_nr = 0;
}
