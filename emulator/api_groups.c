/*
 * api_groups: /propertygroups and /propertygroups/{key}.
 */
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"


static void not_found(struct call *c, const char *key)
{
	reply_problem(c, 404, "NotFound", NULL,
		      "The property group '%s' does not exist.", key);
}

static int refuse_system(struct call *c, const struct res *r)
{
	if (!r->system)
		return 0;
	reply_problem(c, 400, "SystemResource", NULL,
		      "The property group '%s' is a system group and cannot "
		      "be changed.",
		      r->key);
	return -1;
}

static void groups_list(struct call *c)
{
	struct model *m = &c->emu->model;
	struct buf out = BUF_INIT;
	long shown = 0;

	buf_adds(&out, "{\"items\":[");
	for (size_t i = 0; i < m->groups.nr; i++) {
		struct res *r = m->groups.items[i];
		const char *src = jx_str(r->doc, "source");
		const struct buf *f;

		if (!call_query_has(c, "sources", src ? src : "DEFAULT"))
			continue;
		f = res_form(r, c->version == EMU_P3 ? FORM_P3 : FORM_V1);
		if (shown++)
			buf_addch(&out, ',');
		buf_add(&out, f->ptr, f->len);
	}
	buf_addf(&out, "],\"pageIndex\":0,\"pageSize\":%ld,\"%s\":%ld}",
		 shown ? shown : 1,
		 c->version == EMU_P3 ? "totalItemCount" : "totalCount", shown);
	reply_raw(c, 200, JSON_CTYPE, out.ptr, out.len);
	buf_release(&out);
}

static void groups_get(struct call *c, const char *key)
{
	struct res *r = rmap_get(&c->emu->model.groups, key);

	if (!r) {
		not_found(c, key);
		return;
	}
	reply_res(c, 200, r);
	if (call_not_modified(c, r->etag, r->modified_ms))
		reply_not_modified(c);
	reply_validators(c, r->etag, r->modified_ms);
}

static void groups_create(struct call *c)
{
	struct emu *e = c->emu;
	json_t *body, *errs = json_array(), *in = NULL, *norm = NULL;
	struct buf now = BUF_INIT, loc = BUF_INIT;
	const char *key, *host = httpd_header(c->req, "Host");
	struct res *r;
	int prefer = c->version == EMU_V1 && call_wants_representation(c);

	if (!(body = call_body_object(c)))
		goto out;
	in = group_from_wire(body, c->version, 0, "", errs);
	json_decref(body);
	group_validate(in, c->version, 1, "", errs);
	if (json_array_size(errs)) {
		reply_problem(c, 400, "ValidationFailed", errs,
			      "One or more validation errors occurred.");
		errs = NULL;
		goto out;
	}
	key = jx_str(in, "key");
	if (rmap_get(&e->model.groups, key)) {
		reply_problem(c, 409, "ConflictingResource", NULL,
			      "A property group with the key '%s' already "
			      "exists.",
			      key);
		goto out;
	}
	norm = group_normalize(in);
	call_now_iso(c, &now);
	r = res_new(key, RES_GROUP);
	res_set_doc(&e->model, r,
		    group_finish(norm, NULL, now.ptr, call_user(c), now.ptr,
				 call_user(c)),
		    c->now_ms, 0);
	rmap_add(&e->model.groups, r);
	emu_persist(e);
	if (prefer || c->version == EMU_P3)
		reply_res(c, 201, r);
	else
		reply_empty(c, 201);
	if (prefer)
		reply_header(c, "Preference-Applied", "return=representation");
	buf_addf(&loc, "http://%s%s/propertygroups/", host ? host : "localhost",
		 c->prefix);
	httpd_escape(&loc, key);
	reply_header(c, "Location", loc.ptr);
	reply_validators(c, r->etag, r->modified_ms);
out:
	json_decref(errs);
	json_decref(in);
	json_decref(norm);
	buf_release(&now);
	buf_release(&loc);
}

static void groups_patch(struct call *c, const char *key)
{
	struct emu *e = c->emu;
	struct res *r = rmap_get(&e->model.groups, key);
	json_t *body = NULL, *errs = json_array(), *patch = NULL, *old = NULL;
	json_t *merged = NULL, *norm = NULL, *pk;
	struct buf now = BUF_INIT;
	int prefer = c->version == EMU_V1 && call_wants_representation(c);

	if (!media_type_is(httpd_header(c->req, "Content-Type"),
			   "application/merge-patch+json")) {
		reply_problem(c, 415, "UnsupportedMediaType", NULL,
			      "PATCH needs 'Content-Type: "
			      "application/merge-patch+json'.");
		goto out;
	}
	if (!r) {
		not_found(c, key);
		goto out;
	}
	if (call_check_preconditions(c, r) < 0 || refuse_system(c, r) < 0)
		goto out;
	if (!(body = call_body_object(c)))
		goto out;
	patch = group_from_wire(body, c->version, 1, "", errs);
	pk = json_object_get(patch, "key");
	if (pk && !json_equal(pk, json_object_get(r->doc, "key"))) {
		errs_add(errs, "key",
			 "'key' cannot be changed after the property group is "
			 "created.");
		reply_problem(c, 400, "ImmutableField", errs,
			      "The key of '%s' cannot be changed.", key);
		errs = NULL;
		goto out;
	}
	old = group_strip(r->doc);
	merged = merge_patch(old, patch);
	if (!json_array_size(errs))
		group_validate(merged, c->version, 0, "", errs);
	if (json_array_size(errs)) {
		reply_problem(c, 400, "ValidationFailed", errs,
			      "One or more validation errors occurred.");
		errs = NULL;
		goto out;
	}
	norm = group_normalize(merged);
	if (!json_equal(norm, old)) {
		call_now_iso(c, &now);
		res_set_doc(&e->model, r,
			    group_finish(norm, NULL, jx_str(r->doc, "created"),
					 jx_str(r->doc, "createdBy"), now.ptr,
					 call_user(c)),
			    c->now_ms, 0);
		emu_persist(e);
	}
	reply_written(c, r, c->version == EMU_P3 || prefer, prefer);
	reply_validators(c, r->etag, r->modified_ms);
out:
	json_decref(body);
	json_decref(errs);
	json_decref(patch);
	json_decref(old);
	json_decref(merged);
	json_decref(norm);
	buf_release(&now);
}

static void groups_delete(struct call *c, const char *key)
{
	struct emu *e = c->emu;
	struct res *r = rmap_get(&e->model.groups, key);
	int prefer = c->version == EMU_V1 && call_wants_representation(c);

	if (!r) {
		not_found(c, key);
		return;
	}
	if (call_check_preconditions(c, r) < 0 || refuse_system(c, r) < 0)
		return;
	reply_written(c, r, prefer || c->version == EMU_P3, prefer);
	res_free(rmap_take(&e->model.groups, key));
	emu_persist(e);
}

void api_groups(struct call *c, const char *key)
{
	const char *method = c->req->method;

	if (!key) {
		if (!strcmp(method, "GET"))
			groups_list(c);
		else if (!strcmp(method, "POST"))
			groups_create(c);
		else {
			reply_header(c, "Allow", "GET, POST");
			reply_problem(c, 405, "MethodNotAllowed", NULL,
				      "Use GET or POST on /propertygroups.");
		}
		return;
	}
	if (!strcmp(method, "GET")) {
		groups_get(c, key);
	} else if (!strcmp(method, "PATCH")) {
		groups_patch(c, key);
	} else if (!strcmp(method, "DELETE")) {
		groups_delete(c, key);
	} else {
		reply_header(c, "Allow", "GET, PATCH, DELETE");
		reply_problem(c, 405, "MethodNotAllowed", NULL,
			      "Use GET, PATCH or DELETE on a property group.");
	}
}
