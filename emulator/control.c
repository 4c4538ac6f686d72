/*
 * control: the /_emulator/ routes (see docs/emulator.md "Control API").
 * Called with the lock held, from loopback clients only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define EDITOR_USER "editor@example.com"

static void no_route(struct call *c)
{
	reply_problem(c, 404, "NotFound", NULL, "No control route '%s'.",
		      c->req->path);
}

static void bad_method(struct call *c, const char *allow)
{
	reply_header(c, "Allow", allow);
	reply_problem(c, 405, "MethodNotAllowed", NULL, "'%s' takes %s.",
		      c->req->path, allow);
}

static int is(const struct call *c, const char *method)
{
	return !strcmp(c->req->method, method);
}

/* Parses a whole request body as JSON; replies 400 and returns NULL. */
static json_t *body_json(struct call *c)
{
	json_t *v = NULL;

	if (jx_load(&v, c->req->body, c->req->body_len, "the request body") <
	    0) {
		reply_problem(c, 400, "InvalidJson", NULL, "%s", err_msg());
		err_clear();
		return NULL;
	}
	return v;
}

static int query_number(struct call *c, const char *name, long long *out)
{
	const char *v = call_query(c, name);
	char *end;

	if (!v)
		return 0;
	errno = 0;
	*out = strtoll(v, &end, 10);
	if (!*v || *end || errno || *out < 0) {
		reply_problem(c, 400, "ValidationFailed", NULL,
			      "'%s' must be a non-negative integer.", name);
		return -1;
	}
	return 0;
}

static void state_route(struct call *c)
{
	struct emu *e = c->emu;
	json_t *doc;
	struct buf out = BUF_INIT;

	if (is(c, "GET")) {
		model_dump(&e->model, &out);
		reply_raw(c, 200, JSON_CTYPE, out.ptr, out.len);
		buf_release(&out);
	} else if (is(c, "PUT")) {
		if (!(doc = body_json(c)))
			return;
		if (model_load(&e->model, doc) < 0) {
			reply_problem(c, 400, "ValidationFailed", NULL, "%s",
				      err_msg());
			err_clear();
		} else {
			emu_persist(e);
			reply_empty(c, 204);
		}
		json_decref(doc);
	} else {
		bad_method(c, "GET, PUT");
	}
}

static void journal_route(struct call *c)
{
	long long since = 0, limit = 0;

	if (is(c, "GET")) {
		if (query_number(c, "since", &since) < 0 ||
		    query_number(c, "limit", &limit) < 0)
			return;
		reply_json(c, 200,
			   journal_to_json(&c->emu->journal, since, limit));
	} else if (is(c, "DELETE")) {
		journal_clear(&c->emu->journal);
		reply_empty(c, 204);
	} else {
		bad_method(c, "GET, DELETE");
	}
}

static char *decode_key(struct call *c, const char *seg)
{
	struct buf key = BUF_INIT;

	if (!*seg || strchr(seg, '/') ||
	    httpd_unescape(&key, seg, strlen(seg), 0) < 0) {
		err_clear();
		buf_release(&key);
		no_route(c);
		return NULL;
	}
	return buf_detach(&key, NULL);
}

static void instances_route(struct call *c, const char *seg)
{
	struct model *m = &c->emu->model;
	struct res *r;
	json_t *counts, *body;
	const json_t *count;
	char *key;

	if (!seg) {
		if (!is(c, "GET")) {
			bad_method(c, "GET");
			return;
		}
		counts = json_object();
		for (size_t i = 0; i < m->types.nr; i++)
			if (m->types.items[i]->instances > 0)
				json_object_set_new(
					counts, m->types.items[i]->key,
					json_integer(
						m->types.items[i]->instances));
		reply_json(c, 200, json_pack("{s:o}", "counts", counts));
		return;
	}
	if (!(key = decode_key(c, seg)))
		return;
	r = rmap_get(&m->types, key);
	if (!is(c, "GET") && !is(c, "PUT")) {
		bad_method(c, "GET, PUT");
	} else if (!r) {
		reply_problem(c, 404, "NotFound", NULL,
			      "The content type '%s' does not exist.", key);
	} else if (is(c, "GET")) {
		reply_json(c, 200,
			   json_pack("{s:s, s:I}", "key", key, "count",
				     (json_int_t)r->instances));
	} else if ((body = body_json(c))) {
		count = json_object_get(body, "count");
		if (!json_is_integer(count) || json_integer_value(count) < 0 ||
		    json_integer_value(count) > 1000000000) {
			reply_problem(c, 400, "ValidationFailed", NULL,
				      "The body must be {\"count\": N} with N "
				      ">= 0.");
		} else {
			r->instances = (long)json_integer_value(count);
			emu_persist(c->emu);
			reply_json(c, 200,
				   json_pack("{s:s, s:I}", "key", key, "count",
					     (json_int_t)r->instances));
		}
		json_decref(body);
	}
	free(key);
}

static void editor_route(struct call *c, const char *seg)
{
	const char *user = call_query(c, "user");
	char *key;

	c->version = EMU_V1;
	c->prefix = "/_cms/v1";
	if (!user || !*user)
		user = EDITOR_USER;
	if (!seg) {
		if (is(c, "POST"))
			types_editor_create(c, user);
		else
			bad_method(c, "POST");
		return;
	}
	if (!(key = decode_key(c, seg)))
		return;
	if (is(c, "POST"))
		types_editor_patch(c, key, user);
	else if (is(c, "DELETE"))
		types_editor_delete(c, key);
	else
		bad_method(c, "POST, DELETE");
	free(key);
}

static void faults_route(struct call *c)
{
	struct emu *e = c->emu;
	json_t *body, *errs;

	if (is(c, "GET")) {
		reply_json(c, 200, faults_to_json(&e->faults));
	} else if (is(c, "PUT")) {
		if (!(body = body_json(c)))
			return;
		errs = json_array();
		if (!json_is_object(body)) {
			reply_problem(c, 400, "InvalidJson", NULL,
				      "The body must be a JSON object.");
			json_decref(errs);
		} else if (faults_from_json(&e->faults, body, errs) < 0) {
			reply_problem(c, 400, "ValidationFailed", errs,
				      "One or more validation errors "
				      "occurred.");
		} else {
			json_decref(errs);
			reply_json(c, 200, faults_to_json(&e->faults));
		}
		json_decref(body);
	} else {
		bad_method(c, "GET, PUT");
	}
}

static void script_route(struct call *c, const char *seg)
{
	struct emu *e = c->emu;
	struct fault_rule r;
	json_t *body, *errs, *list;
	char *end;
	long id;

	if (seg) {
		if (!is(c, "DELETE")) {
			bad_method(c, "DELETE");
			return;
		}
		errno = 0;
		id = strtol(seg, &end, 10);
		for (size_t i = 0; !*end && !errno && i < e->rules_nr; i++) {
			if (e->rules[i].id != id)
				continue;
			rule_release(&e->rules[i]);
			memmove(e->rules + i, e->rules + i + 1,
				(e->rules_nr - i - 1) * sizeof(*e->rules));
			e->rules_nr--;
			reply_empty(c, 204);
			return;
		}
		reply_problem(c, 404, "NotFound", NULL, "No rule '%s'.", seg);
		return;
	}
	if (is(c, "GET")) {
		list = json_array();
		for (size_t i = 0; i < e->rules_nr; i++)
			json_array_append_new(list, rule_to_json(&e->rules[i]));
		reply_json(c, 200, json_pack("{s:o}", "rules", list));
	} else if (is(c, "DELETE")) {
		rules_clear(e);
		reply_empty(c, 204);
	} else if (is(c, "POST")) {
		if (!(body = body_json(c)))
			return;
		errs = json_array();
		if (!json_is_object(body)) {
			reply_problem(c, 400, "InvalidJson", NULL,
				      "The body must be a JSON object.");
			json_decref(errs);
		} else if (rule_from_json(&r, body, errs) < 0) {
			reply_problem(c, 400, "ValidationFailed", errs,
				      "One or more validation errors "
				      "occurred.");
		} else {
			json_decref(errs);
			r.id = e->next_rule_id++;
			ALLOC_GROW(e->rules, e->rules_nr + 1, e->rules_alloc);
			e->rules[e->rules_nr++] = r;
			reply_json(c, 201, rule_to_json(&r));
		}
		json_decref(body);
	} else {
		bad_method(c, "GET, POST, DELETE");
	}
}

/* Splits "/a/b" into whether it starts with name and the rest after it. */
static int route_is(const char *rest, const char *name, const char **seg)
{
	size_t n = strlen(name);

	*seg = NULL;
	if (strncmp(rest, name, n))
		return 0;
	if (!rest[n] || (rest[n] == '/' && !rest[n + 1]))
		return 1;
	if (rest[n] == '/') {
		*seg = rest + n + 1;
		return 1;
	}
	return 0;
}

void control_handle(struct call *c, const char *rest)
{
	struct emu *e = c->emu;
	const char *seg;

	if (route_is(rest, "/health", &seg) && !seg) {
		if (is(c, "GET"))
			reply_json(c, 200,
				   json_pack("{s:s, s:s}", "status", "ok",
					     "version", EMU_VERSION_TEXT));
		else
			bad_method(c, "GET");
	} else if (route_is(rest, "/reset", &seg) && !seg) {
		if (is(c, "POST")) {
			emu_reset(e);
			emu_persist(e);
			reply_empty(c, 204);
		} else {
			bad_method(c, "POST");
		}
	} else if (route_is(rest, "/state", &seg) && !seg) {
		state_route(c);
	} else if (route_is(rest, "/journal", &seg) && !seg) {
		journal_route(c);
	} else if (route_is(rest, "/instances", &seg)) {
		instances_route(c, seg);
	} else if (route_is(rest, "/editor/contenttypes", &seg)) {
		editor_route(c, seg);
	} else if (route_is(rest, "/faults/script", &seg)) {
		script_route(c, seg);
	} else if (route_is(rest, "/faults", &seg) && !seg) {
		faults_route(c);
	} else if (route_is(rest, "/tokens/expire", &seg) && !seg) {
		if (is(c, "POST")) {
			e->token_gen++;
			reply_empty(c, 204);
		} else {
			bad_method(c, "POST");
		}
	} else {
		no_route(c);
	}
}
