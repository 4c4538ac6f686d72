/*
 * api_manifest: GET and POST /manifest (v1 only).
 *
 * POST validates every entry of every section first, against the stored
 * model plus the manifest's own types (one hash lookup per reference), and
 * applies nothing unless all of it is valid.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu.h"
#include "util/jx.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"


static const char *const sections[] = {"contentTypes", "propertyGroups",
				       "displayTemplates", "locales", NULL};

static void add_map(struct buf *out, struct rmap *map, int include_ro,
		    long long *latest)
{
	int n = 0;

	buf_addch(out, '[');
	for (size_t i = 0; i < map->nr; i++) {
		struct res *r = map->items[i];
		const struct buf *f;

		if (r->read_only && !include_ro)
			continue;
		f = res_form(r, FORM_V1);
		if (n++)
			buf_addch(out, ',');
		buf_add(out, f->ptr, f->len);
		if (r->modified_ms > *latest)
			*latest = r->modified_ms;
	}
	buf_addch(out, ']');
}

static void manifest_get(struct call *c)
{
	struct model *m = &c->emu->model;
	const char *ro = call_query(c, "includeReadOnly");
	json_t *errs = json_array();
	struct buf out = BUF_INIT;
	long long latest = 0;
	int include_ro = 0;

	for (size_t i = 0; i < c->q_nr; i++) {
		const char *p = c->q[i].value;

		if (strcmp(c->q[i].name, "sections"))
			continue;
		while (*p) {
			size_t n = strcspn(p, ","), k;

			for (k = 0; sections[k]; k++)
				if (strlen(sections[k]) == n &&
				    !strncasecmp(sections[k], p, n))
					break;
			if (n && !sections[k])
				errs_add(errs, "sections",
					 "'%.*s' is not a section "
					 "(contentTypes, "
					 "propertyGroups, displayTemplates, "
					 "locales).",
					 (int)n, p);
			p += n;
			if (*p == ',')
				p++;
		}
	}
	if (ro && strcasecmp(ro, "true") && strcasecmp(ro, "false"))
		errs_add(errs, "includeReadOnly",
			 "'includeReadOnly' must be true or false.");
	if (json_array_size(errs)) {
		reply_problem(c, 400, "ValidationFailed", errs,
			      "One or more validation errors occurred.");
		return;
	}
	json_decref(errs);
	include_ro = ro && !strcasecmp(ro, "true");

	buf_adds(&out, "{\"contentTypes\":");
	add_map(&out, &m->types, include_ro, &latest);
	if (call_query_has(c, "sections", "propertyGroups")) {
		buf_adds(&out, ",\"propertyGroups\":");
		add_map(&out, &m->groups, include_ro, &latest);
	}
	if (call_query_has(c, "sections", "displayTemplates")) {
		buf_adds(&out, ",\"displayTemplates\":");
		add_map(&out, &m->templates, 1, &latest);
	}
	if (call_query_has(c, "sections", "locales"))
		buf_adds(&out, ",\"locales\":[]");
	if (latest) {
		buf_adds(&out, ",\"lastModified\":\"");
		time_format_iso(&out, latest);
		buf_addch(&out, '"');
	}
	buf_addch(&out, '}');
	reply_raw(c, 200, JSON_CTYPE, out.ptr, out.len);
	buf_release(&out);
}

enum entry_state { ENTRY_BAD = 0, ENTRY_CREATE, ENTRY_UPDATE, ENTRY_SAME };

/* One entry of a section on its way in. */
struct entry {
	const char *key;
	json_t *in;   /* stored member names */
	json_t *norm; /* what will be stored, without read-only members */
	struct res *existing;
	enum entry_state state;
};

struct import {
	struct call *c;
	json_t *errors;
	json_t *outcomes;
	int ignore_data_loss;
};

static void message(json_t *list, const char *section, const char *resource,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void message(json_t *list, const char *section, const char *resource,
		    const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	json_t *m = json_object(), *s;

	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	s = json_stringn(b.ptr, b.len);
	json_object_set_new(m, "section", json_string(section));
	json_object_set_new(m, "resource",
			    resource ? json_string(resource) : json_null());
	json_object_set_new(m, "message", s ? s : json_string("error"));
	json_array_append_new(list, m);
	buf_release(&b);
}

/* Turns validation errors ({field, detail}) into import errors. */
static void report(struct import *im, const char *section, const char *key,
		   const char *prefix, json_t *errs)
{
	size_t i;
	json_t *e;

	json_array_foreach(errs, i, e)
		message(im->errors, section, key, "%s%s: %s", prefix,
			jx_str(e, "field") ? jx_str(e, "field") : "",
			jx_str(e, "detail") ? jx_str(e, "detail") : "");
	json_array_clear(errs);
}

static const json_t *section_list(struct import *im, const json_t *body,
				  const char *name)
{
	const json_t *v = json_object_get(body, name);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_array(v)) {
		message(im->errors, name, NULL, "'%s' must be an array.", name);
		return NULL;
	}
	return v;
}

static void entries_free(struct entry *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_decref(list[i].in);
		json_decref(list[i].norm);
	}
	free(list);
}

/* Pass 1 for any section: objects with unique string keys. */
static struct entry *collect(struct import *im, const json_t *list,
			     const char *section, json_t *index,
			     enum res_kind kind)
{
	size_t n = json_array_size(list), i;
	struct entry *out = xcalloc(n ? n : 1, sizeof(*out));
	json_t *errs = json_array(), *t;

	json_array_foreach(list, i, t)
	{
		struct entry *en = &out[i];
		struct buf where = BUF_INIT;

		buf_addf(&where, "%s[%zu]", section, i);
		if (!json_is_object(t)) {
			message(im->errors, section, NULL,
				"%s: must be an object.", where.ptr);
			buf_release(&where);
			continue;
		}
		if (kind == RES_TYPE)
			en->in = ctype_from_wire(t, EMU_V1, 0, "", errs);
		else if (kind == RES_GROUP)
			en->in = group_from_wire(t, EMU_V1, 0, "", errs);
		else
			en->in = json_deep_copy(t);
		en->key = jx_str(en->in, "key");
		if (!en->key) {
			message(im->errors, section, NULL,
				"%s.key: The key is required.", where.ptr);
		} else if (json_object_get(index, en->key)) {
			message(im->errors, section, en->key,
				"The key '%s' appears more than once in '%s'.",
				en->key, section);
			en->key = NULL;
		} else {
			json_object_set(index, en->key, en->in);
			en->state = ENTRY_CREATE;
		}
		report(im, section, en->key, "", errs);
		buf_release(&where);
	}
	json_decref(errs);
	return out;
}

/* json_equal, except that two absent members are the same. */
static int same(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	return json_equal((json_t *)a, (json_t *)b);
}

static void check_types(struct import *im, struct entry *list, size_t n,
			const json_t *index)
{
	struct model *m = &im->c->emu->model;
	json_t *errs = json_array();

	for (size_t i = 0; i < n; i++) {
		struct entry *en = &list[i];
		struct vctx vc = {EMU_V1, m, index, en->key, en->in};
		json_t *old;

		if (en->state != ENTRY_CREATE)
			continue;
		en->existing = rmap_get(&m->types, en->key);
		if (en->existing && en->existing->read_only) {
			en->norm = ctype_normalize(en->in);
			old = ctype_strip(en->existing->doc);
			if (json_equal(old, en->norm)) {
				en->state = ENTRY_SAME;
			} else {
				message(im->errors, "contentTypes", en->key,
					"The content type '%s' is read-only.",
					en->key);
				en->state = ENTRY_BAD;
			}
			json_decref(old);
			continue;
		}
		ctype_validate(en->in, &vc, "", errs);
		if (json_array_size(errs)) {
			report(im, "contentTypes", en->key, "", errs);
			en->state = ENTRY_BAD;
			continue;
		}
		en->norm = ctype_normalize(en->in);
		if (!en->existing)
			continue;
		old = ctype_strip(en->existing->doc);
		if (!same(json_object_get(old, "isContract"),
			  json_object_get(en->norm, "isContract")) ||
		    !same(json_object_get(old, "baseType"),
			  json_object_get(en->norm, "baseType"))) {
			message(im->errors, "contentTypes", en->key,
				"The baseType and isContract of '%s' cannot be "
				"changed.",
				en->key);
			en->state = ENTRY_BAD;
		} else if (json_equal(old, en->norm)) {
			en->state = ENTRY_SAME;
		} else if (ctype_breaking(old, en->norm, errs) &&
			   !im->ignore_data_loss) {
			message(im->errors, "contentTypes", en->key,
				"The changes to '%s' are considered breaking "
				"and "
				"could potentially result in data loss. Use "
				"the "
				"'ignoreDataLossWarnings' option to apply the "
				"changes anyway.",
				en->key);
			en->state = ENTRY_BAD;
		} else {
			en->state = ENTRY_UPDATE;
		}
		json_array_clear(errs);
		json_decref(old);
	}
	json_decref(errs);
}

static void check_groups(struct import *im, struct entry *list, size_t n)
{
	struct model *m = &im->c->emu->model;
	json_t *errs = json_array();

	for (size_t i = 0; i < n; i++) {
		struct entry *en = &list[i];
		json_t *old;

		if (en->state != ENTRY_CREATE)
			continue;
		group_validate(en->in, EMU_V1, 1, "", errs);
		if (json_array_size(errs)) {
			report(im, "propertyGroups", en->key, "", errs);
			en->state = ENTRY_BAD;
			continue;
		}
		en->norm = group_normalize(en->in);
		en->existing = rmap_get(&m->groups, en->key);
		if (!en->existing)
			continue;
		old = group_strip(en->existing->doc);
		en->state =
			json_equal(old, en->norm) ? ENTRY_SAME : ENTRY_UPDATE;
		json_decref(old);
	}
	json_decref(errs);
}

static void check_templates(struct import *im, struct entry *list, size_t n,
			    const json_t *index)
{
	struct model *m = &im->c->emu->model;
	json_t *errs = json_array();

	for (size_t i = 0; i < n; i++) {
		struct entry *en = &list[i];
		struct vctx vc = {EMU_V1, m, index, NULL, NULL};
		json_t *old;

		if (en->state != ENTRY_CREATE)
			continue;
		template_validate(en->in, &vc, "", errs);
		if (json_array_size(errs)) {
			report(im, "displayTemplates", en->key, "", errs);
			en->state = ENTRY_BAD;
			continue;
		}
		en->norm = template_strip(en->in);
		en->existing = rmap_get(&m->templates, en->key);
		if (!en->existing)
			continue;
		old = template_strip(en->existing->doc);
		en->state =
			json_equal(old, en->norm) ? ENTRY_SAME : ENTRY_UPDATE;
		json_decref(old);
	}
	json_decref(errs);
}

static void apply(struct import *im, struct entry *list, size_t n,
		  enum res_kind kind)
{
	struct call *c = im->c;
	struct emu *e = c->emu;
	struct model *m = &e->model;
	struct rmap *map = kind == RES_TYPE    ? &m->types
			   : kind == RES_GROUP ? &m->groups
					       : &m->templates;
	const char *section = kind == RES_TYPE	  ? "contentTypes"
			      : kind == RES_GROUP ? "propertyGroups"
						  : "displayTemplates";
	const char *noun = kind == RES_TYPE    ? "Content type"
			   : kind == RES_GROUP ? "Property group"
					       : "Display template";
	const char *user = call_user(c);
	struct buf now = BUF_INIT;
	long long stale = kind == RES_TYPE ? e->faults.stale_read_ms : 0;

	call_now_iso(c, &now);
	for (size_t i = 0; i < n; i++) {
		struct entry *en = &list[i];
		struct res *r = en->existing;
		const json_t *old = r ? r->doc : NULL;
		json_t *doc;

		if (en->state == ENTRY_SAME) {
			message(im->outcomes, section, en->key,
				"%s '%s' is unchanged.", noun, en->key);
			continue;
		}
		if (en->state != ENTRY_CREATE && en->state != ENTRY_UPDATE)
			continue;
		if (kind == RES_TYPE)
			doc = ctype_finish(
				en->norm, old ? jx_str(old, "source") : NULL,
				old ? jx_str(old, "created") : now.ptr,
				old ? jx_str(old, "createdBy") : user, now.ptr,
				user);
		else if (kind == RES_GROUP)
			doc = group_finish(
				en->norm, old ? jx_str(old, "source") : NULL,
				old ? jx_str(old, "created") : now.ptr,
				old ? jx_str(old, "createdBy") : user, now.ptr,
				user);
		else
			doc = template_finish(en->norm,
					      old && jx_str(old, "created")
						      ? jx_str(old, "created")
						      : now.ptr,
					      old && jx_str(old, "createdBy")
						      ? jx_str(old, "createdBy")
						      : user,
					      now.ptr, user);
		if (!r) {
			r = res_new(en->key, kind);
			res_set_doc(m, r, doc, c->now_ms, stale);
			rmap_add(map, r);
		} else {
			res_set_doc(m, r, doc, c->now_ms, stale);
		}
		message(im->outcomes, section, en->key, "%s '%s' was %s.", noun,
			en->key,
			en->state == ENTRY_CREATE ? "created" : "updated");
	}
	buf_release(&now);
}

static void manifest_post(struct call *c)
{
	const char *ctype = httpd_header(c->req, "Content-Type");
	struct import im = {c, json_array(), json_array(), 0};
	json_t *body = NULL, *types_index = json_object();
	json_t *groups_index = json_object(), *templates_index = json_object();
	const json_t *types, *groups, *templates;
	struct entry *tl = NULL, *gl = NULL, *dl = NULL;
	size_t tn, gn, dn;
	size_t i;

	if (!media_type_is(ctype, "application/json") &&
	    !media_type_is(ctype,
			   "application/vnd.optimizely.cms.v1.manifest+json")) {
		reply_problem(c, 415, "UnsupportedMediaType", NULL,
			      "The manifest must be sent as application/json "
			      "or application/vnd.optimizely.cms.v1.manifest"
			      "+json.");
		goto out;
	}
	if (!(body = call_body_object(c)))
		goto out;
	im.ignore_data_loss = call_ignores_data_loss(c);

	types = section_list(&im, body, "contentTypes");
	groups = section_list(&im, body, "propertyGroups");
	templates = section_list(&im, body, "displayTemplates");
	tn = json_array_size(types);
	gn = json_array_size(groups);
	dn = json_array_size(templates);
	tl = collect(&im, types, "contentTypes", types_index, RES_TYPE);
	gl = collect(&im, groups, "propertyGroups", groups_index, RES_GROUP);
	dl = collect(&im, templates, "displayTemplates", templates_index,
		     RES_TEMPLATE);
	check_types(&im, tl, tn, types_index);
	check_groups(&im, gl, gn);
	check_templates(&im, dl, dn, types_index);

	if (!json_array_size(im.errors)) {
		model_prune_ghosts(&c->emu->model, time_mono_ms());
		for (i = 0; i < tn; i++) {
			size_t j = 0;
			struct model *m = &c->emu->model;

			if (tl[i].state != ENTRY_CREATE)
				continue;
			for (size_t g = 0; g < m->ghosts_nr; g++) {
				if (strcmp(m->ghosts[g]->key, tl[i].key))
					m->ghosts[j++] = m->ghosts[g];
				else
					res_free(m->ghosts[g]);
			}
			m->ghosts_nr = j;
		}
		apply(&im, gl, gn, RES_GROUP);
		apply(&im, tl, tn, RES_TYPE);
		apply(&im, dl, dn, RES_TEMPLATE);
		emu_persist(c->emu);
	} else {
		json_array_clear(im.outcomes);
	}
	reply_json(c, 200,
		   json_pack("{s:O, s:O}", "outcomes", im.outcomes, "errors",
			     im.errors));
out:
	if (tl)
		entries_free(tl, tn);
	if (gl)
		entries_free(gl, gn);
	if (dl)
		entries_free(dl, dn);
	json_decref(body);
	json_decref(types_index);
	json_decref(groups_index);
	json_decref(templates_index);
	json_decref(im.errors);
	json_decref(im.outcomes);
}

void api_manifest(struct call *c)
{
	if (!strcmp(c->req->method, "GET")) {
		manifest_get(c);
	} else if (!strcmp(c->req->method, "POST")) {
		manifest_post(c);
	} else {
		reply_header(c, "Allow", "GET, POST");
		reply_problem(c, 405, "MethodNotAllowed", NULL,
			      "Use GET or POST on /manifest.");
	}
}
