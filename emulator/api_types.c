/*
 * api_types: /contenttypes and /contenttypes/{key}, plus the editor's
 * writes of the control API, which share the code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"


static void not_found(struct call *c, const char *key)
{
	reply_problem(c, 404, "NotFound", NULL,
		      "The content type '%s' does not exist.", key);
}

static enum res_form form_of(const struct call *c)
{
	return c->version == EMU_P3 ? FORM_P3 : FORM_V1;
}

static void reply_doc(struct call *c, int status, const json_t *doc)
{
	reply_json(c, status, ctype_render(doc, c->version));
}

/* Parses a paging parameter: digits only, within [min, max]. */
static int paging(struct call *c, const char *name, long def, long min,
		  long max, long *out, json_t *errs)
{
	const char *v = call_query(c, name);
	char *end;
	long n;

	*out = def;
	if (!v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max ||
	    strspn(v, "0123456789") != strlen(v)) {
		errs_add(errs, name, "'%s' must be an integer from %ld to %ld.",
			 name, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

static int list_has_string(const json_t *list, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i,
			   e) if (json_is_string(e) &&
				  !strcmp(json_string_value(e), s)) return 1;
	return 0;
}

static int may_contain(const json_t *container, const json_t *t)
{
	const json_t *list = json_object_get(container, "mayContainTypes");
	const char *key = jx_str(t, "key"), *bt = jx_str(t, "baseType");

	if (json_is_true(json_object_get(t, "isContract")))
		return 0;
	return list_has_string(list, "*") ||
	       (key && list_has_string(list, key)) ||
	       (bt && list_has_string(list, bt));
}

static void types_list(struct call *c)
{
	struct model *m = &c->emu->model;
	json_t *errs = json_array();
	const char *fct = call_query(c, "forContainerType");
	const struct res *container = fct ? rmap_get(&m->types, fct) : NULL;
	struct buf out = BUF_INIT;
	long index, size, total = 0, first, shown = 0;

	paging(c, "pageIndex", 0, 0, EMU_PAGE_MAX, &index, errs);
	paging(c, "pageSize", EMU_PAGE_SIZE_DEFAULT, 1, EMU_PAGE_MAX, &size,
	       errs);
	if (json_array_size(errs)) {
		reply_problem(c, 400, "ValidationFailed", errs,
			      "One or more validation errors occurred.");
		return;
	}
	json_decref(errs);
	first = index * size;
	buf_adds(&out, "{\"items\":[");
	for (size_t i = 0; i < m->types.nr; i++) {
		struct res *r = m->types.items[i];
		const char *src = jx_str(r->doc, "source");
		const struct buf *f;

		if (!call_query_has(c, "sources", src ? src : "DEFAULT"))
			continue;
		if (fct && (!container || !may_contain(container->doc, r->doc)))
			continue;
		if (total++ < first || shown >= size)
			continue;
		f = res_form(r, form_of(c));
		if (shown++)
			buf_addch(&out, ',');
		buf_add(&out, f->ptr, f->len);
	}
	buf_addf(&out, "],\"pageIndex\":%ld,\"pageSize\":%ld,\"%s\":%ld}",
		 index, size,
		 c->version == EMU_P3 ? "totalItemCount" : "totalCount", total);
	reply_raw(c, 200, JSON_CTYPE, out.ptr, out.len);
	buf_release(&out);
}

static void types_get(struct call *c, const char *key)
{
	struct model *m = &c->emu->model;
	struct res *r = rmap_get(&m->types, key);
	long long mono = time_mono_ms();

	if (r && r->stale_until > mono) {
		if (r->prev_absent) {
			not_found(c, key);
			return;
		}
		reply_doc(c, 200, r->prev_doc);
		if (call_not_modified(c, r->prev_etag, r->prev_modified_ms))
			reply_not_modified(c);
		reply_validators(c, r->prev_etag, r->prev_modified_ms);
		return;
	}
	if (!r)
		r = model_ghost(m, key, mono);
	if (!r) {
		not_found(c, key);
		return;
	}
	reply_res(c, 200, r);
	if (call_not_modified(c, r->etag, r->modified_ms))
		reply_not_modified(c);
	reply_validators(c, r->etag, r->modified_ms);
}

static void set_location(struct call *c, const char *key)
{
	const char *host = httpd_header(c->req, "Host");
	struct buf loc = BUF_INIT;

	buf_addf(&loc, "http://%s%s/contenttypes/", host ? host : "localhost",
		 c->prefix ? c->prefix : "/_cms/v1");
	httpd_escape(&loc, key);
	reply_header(c, "Location", loc.ptr);
	buf_release(&loc);
}

static void drop_ghost(struct model *m, const char *key)
{
	size_t j = 0;

	for (size_t i = 0; i < m->ghosts_nr; i++) {
		if (strcmp(m->ghosts[i]->key, key))
			m->ghosts[j++] = m->ghosts[i];
		else
			res_free(m->ghosts[i]);
	}
	m->ghosts_nr = j;
}

static void types_create(struct call *c, const char *user, int editor)
{
	struct emu *e = c->emu;
	struct model *m = &e->model;
	json_t *body, *errs = json_array(), *in = NULL, *norm = NULL;
	struct vctx vc = {c->version, m, NULL, NULL, NULL};
	struct buf now = BUF_INIT;
	const char *key;
	struct res *r;
	int prefer = c->version == EMU_V1 && call_wants_representation(c);

	if (!(body = call_body_object(c)))
		goto out;
	in = ctype_from_wire(body, c->version, 0, "", errs);
	json_decref(body);
	key = jx_str(in, "key");
	vc.self_key = key;
	vc.self = in;
	ctype_validate(in, &vc, "", errs);
	if (json_array_size(errs)) {
		reply_problem(c, 400, "ValidationFailed", errs,
			      "One or more validation errors occurred.");
		errs = NULL;
		goto out;
	}
	if (rmap_get(&m->types, key)) {
		reply_problem(c, 409, "ConflictingResource", NULL,
			      "A content type with the key '%s' already "
			      "exists.",
			      key);
		goto out;
	}
	model_prune_ghosts(m, time_mono_ms());
	drop_ghost(m, key);
	norm = ctype_normalize(in);
	call_now_iso(c, &now);
	r = res_new(key, RES_TYPE);
	res_set_doc(m, r,
		    ctype_finish(norm, NULL, now.ptr, user, now.ptr, user),
		    c->now_ms, e->faults.stale_read_ms);
	rmap_add(&m->types, r);
	emu_persist(e);

	if (prefer || editor || c->version == EMU_P3)
		reply_res(c, 201, r);
	else
		reply_empty(c, 201);
	if (prefer)
		reply_header(c, "Preference-Applied", "return=representation");
	set_location(c, key);
	reply_validators(c, r->etag, r->modified_ms);
out:
	json_decref(errs);
	json_decref(in);
	json_decref(norm);
	buf_release(&now);
}

/* Reports a patch that changes key, baseType or isContract. */
static int check_immutable(const json_t *patch, const json_t *old, json_t *errs)
{
	static const char *const names[] = {"key", "baseType", "isContract"};
	int contract = json_is_true(json_object_get(old, "isContract"));

	for (size_t i = 0; i < 3; i++) {
		const json_t *p = json_object_get(patch, names[i]);
		const json_t *o = json_object_get(old, names[i]);

		if (!p || (contract && i == 1))
			continue;
		if (!o || !json_equal((json_t *)p, (json_t *)o))
			errs_add(errs, names[i],
				 "'%s' cannot be changed after the content "
				 "type is created.",
				 names[i]);
	}
	return json_array_size(errs) ? -1 : 0;
}

static void types_patch(struct call *c, const char *key, const char *editor)
{
	struct emu *e = c->emu;
	struct model *m = &e->model;
	struct res *r = rmap_get(&m->types, key);
	json_t *body = NULL, *errs = json_array(), *patch = NULL, *old = NULL;
	json_t *merged = NULL, *norm = NULL, *bre = NULL;
	struct vctx vc = {c->version, m, NULL, key, NULL};
	struct buf now = BUF_INIT;
	int prefer = c->version == EMU_V1 && call_wants_representation(c);

	if (!editor && !media_type_is(httpd_header(c->req, "Content-Type"),
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
	if (!editor && call_check_preconditions(c, r) < 0)
		goto out;
	if (!(body = call_body_object(c)))
		goto out;
	patch = ctype_from_wire(body, c->version, 1, "", errs);
	if (json_array_size(errs)) {
		reply_problem(c, 400, "ValidationFailed", errs,
			      "One or more validation errors occurred.");
		errs = NULL;
		goto out;
	}
	if (check_immutable(patch, r->doc, errs) < 0) {
		reply_problem(c, 400, "ImmutableField", errs,
			      "The key, baseType and isContract of '%s' cannot "
			      "be changed.",
			      key);
		errs = NULL;
		goto out;
	}
	if (json_is_true(json_object_get(r->doc, "isContract")))
		json_object_del(patch, "baseType");
	old = ctype_strip(r->doc);
	merged = merge_patch(old, patch);
	vc.self = merged;
	ctype_validate(merged, &vc, "", errs);
	if (json_array_size(errs)) {
		reply_problem(c, 400, "ValidationFailed", errs,
			      "One or more validation errors occurred.");
		errs = NULL;
		goto out;
	}
	norm = ctype_normalize(merged);
	if (editor || !json_equal(norm, old)) {
		bre = json_array();
		if (!editor && ctype_breaking(old, norm, bre) &&
		    !call_ignores_data_loss(c)) {
			reply_problem(
				c, 400, "DataLoss", bre,
				"The changes to '%s' are considered "
				"breaking and could potentially result in "
				"data loss.",
				key);
			bre = NULL;
			goto out;
		}
		model_prune_ghosts(m, time_mono_ms());
		call_now_iso(c, &now);
		res_set_doc(m, r,
			    ctype_finish(norm, jx_str(r->doc, "source"),
					 jx_str(r->doc, "created"),
					 jx_str(r->doc, "createdBy"), now.ptr,
					 editor ? editor : call_user(c)),
			    c->now_ms, e->faults.stale_read_ms);
		emu_persist(e);
	}
	reply_written(c, r, c->version == EMU_P3 || prefer || editor, prefer);
	reply_validators(c, r->etag, r->modified_ms);
out:
	json_decref(body);
	json_decref(errs);
	json_decref(patch);
	json_decref(old);
	json_decref(merged);
	json_decref(norm);
	json_decref(bre);
	buf_release(&now);
}

static int is_system_contract(const struct res *r)
{
	return r->system && !strncmp(r->key, "globalcontract:", 15);
}

static void types_delete(struct call *c, const char *key, int editor)
{
	struct emu *e = c->emu;
	struct model *m = &e->model;
	struct res *r = rmap_get(&m->types, key);
	int prefer = c->version == EMU_V1 && call_wants_representation(c);
	long long stale = e->faults.stale_read_ms;

	if (!r) {
		not_found(c, key);
		return;
	}
	if (!editor) {
		if (call_check_preconditions(c, r) < 0)
			return;
		if (r->system && !strcmp(key, "BlankSection")) {
			reply_problem(c, 400, "SystemResource", NULL,
				      "The content type '%s' is a system type "
				      "and cannot be deleted.",
				      key);
			return;
		}
		if (is_system_contract(r)) {
			reply_problem(c, 409, "ContentTypeInUse", NULL,
				      "Unable to delete content type '%s' as "
				      "it is a system contract in use.",
				      key);
			return;
		}
		if (r->instances > 0) {
			reply_problem(c, 409, "ContentTypeInUse", NULL,
				      "Unable to delete content type '%s' as "
				      "content instances of this type exist.",
				      key);
			return;
		}
	}
	reply_written(c, r, !editor && (prefer || c->version == EMU_P3),
		      prefer);
	model_prune_ghosts(m, time_mono_ms());
	drop_ghost(m, key);
	r = rmap_take(&m->types, key);
	if (stale > 0) {
		r->stale_until = time_mono_ms() + stale;
		model_add_ghost(m, r);
	} else {
		res_free(r);
	}
	emu_persist(e);
}

void api_types(struct call *c, const char *key)
{
	const char *method = c->req->method;

	if (!key) {
		if (!strcmp(method, "GET"))
			types_list(c);
		else if (!strcmp(method, "POST"))
			types_create(c, call_user(c), 0);
		else {
			reply_header(c, "Allow", "GET, POST");
			reply_problem(c, 405, "MethodNotAllowed", NULL,
				      "Use GET or POST on /contenttypes.");
		}
		return;
	}
	if (!strcmp(method, "GET")) {
		types_get(c, key);
	} else if (!strcmp(method, "PATCH")) {
		types_patch(c, key, NULL);
	} else if (!strcmp(method, "DELETE")) {
		types_delete(c, key, 0);
	} else {
		reply_header(c, "Allow", "GET, PATCH, DELETE");
		reply_problem(c, 405, "MethodNotAllowed", NULL,
			      "Use GET, PATCH or DELETE on a content type.");
	}
}

void types_editor_create(struct call *c, const char *user)
{
	types_create(c, user, 1);
}

void types_editor_patch(struct call *c, const char *key, const char *user)
{
	types_patch(c, key, user);
}

void types_editor_delete(struct call *c, const char *key)
{
	types_delete(c, key, 1);
}
