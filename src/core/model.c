#include <stdlib.h>
#include <string.h>

#include "core/history.h"
#include "core/keys.h"
#include "core/lens.h"
#include "core/model.h"
#include "core/validate.h"
#include "source/catalyst_sqlite.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/xalloc.h"

struct key_pass {
	struct keys_type *types;
	size_t nr, alloc;
};

static int collect_seed(const struct catalyst_row *row, void *payload)
{
	struct key_pass *p = payload;
	struct keys_type *t;

	ALLOC_GROW(p->types, p->nr + 1, p->alloc);
	t = &p->types[p->nr++];
	t->id = xstrdup(row->id ? row->id : "");
	t->name = xstrdup(row->name ? row->name : "");
	t->seed = xstrdup(row->key && *row->key ? row->key
						: row->name ? row->name : "");
	t->created_ms = row->created_ms;
	t->key = NULL;
	return 0;
}

int model_open(struct model *m, struct catalyst_db *db, const char *website_id,
	       const json_t *persisted, const json_t *taken)
{
	struct key_pass pass = { 0 };
	int ret;

	memset(m, 0, sizeof(*m));
	m->db = db;
	m->website_id = website_id ? xstrdup(website_id) : NULL;
	m->type_keys = json_object();
	m->known_keys = json_object();
	m->names = json_object();
	ret = catalyst_db_each_header(db, website_id, collect_seed, &pass);
	if (ret < 0)
		goto out;
	for (size_t i = 0; persisted && i < pass.nr; i++) {
		const char *k = json_string_value(
			json_object_get(persisted, pass.types[i].id));
		if (k)
			pass.types[i].key = xstrdup(k);
	}
	keys_assign_types(pass.types, pass.nr, taken, &m->key_findings);
	for (size_t i = 0; i < pass.nr; i++) {
		json_object_set_new(m->type_keys, pass.types[i].id,
				    json_string(pass.types[i].key));
		json_t *ids = json_object_get(m->names, pass.types[i].name);

		json_object_set_new(m->known_keys, pass.types[i].key,
				    json_string(pass.types[i].id));
		if (!ids) {
			ids = json_array();
			json_object_set_new(m->names, pass.types[i].name, ids);
		}
		json_array_append_new(ids, json_string(pass.types[i].id));
	}
	m->types_nr = pass.nr;
	ret = 0;
out:
	for (size_t i = 0; i < pass.nr; i++) {
		free((char *)pass.types[i].id);
		free((char *)pass.types[i].name);
		free((char *)pass.types[i].seed);
		free(pass.types[i].key);
	}
	free(pass.types);
	return ret;
}

/* Files the first pass's findings about this type (by its name in paths). */
static void add_key_findings(struct model *m, struct model_type *t)
{
	size_t n = t->row->name ? strlen(t->row->name) : 0;

	for (size_t i = 0; i < m->key_findings.nr; i++) {
		const struct finding *f = &m->key_findings.items[i];

		if (n && !strncmp(f->path, t->row->name, n) && f->path[n] == ':')
			findings_add(&t->findings, f->severity, f->code,
				     f->path, "%s", f->message);
	}
}

struct each_state {
	struct model *m;
	model_type_fn fn;
	void *payload;
};

static int process_row(const struct catalyst_row *row, void *payload)
{
	struct each_state *s = payload;
	struct model_type t;
	struct lens_ctx lc;
	const char *label = row->name ? row->name : row->id;
	int ret;

	memset(&t, 0, sizeof(t));
	t.row = row;
	t.key = json_string_value(json_object_get(s->m->type_keys, row->id));
	add_key_findings(s->m, &t);
	err_clear();
	if (catalyst_form_from_row(&t.form, &t.shape, row, &t.findings) < 0) {
		t.error = err_msg();
		goto hand_over;
	}
	if (canon_content_hash(t.content_hash, t.form) < 0) {
		t.error = err_msg();
		json_decref(t.form);
		t.form = NULL;
		goto hand_over;
	}
	validate_catalyst(t.form, label, &t.findings);
	if (s->m->store) {
		/* Persisted keys first, so a renamed field keeps its key. */
		if (history_prop_keys(s->m->store, row->id, t.form, 0,
				      &t.prop_keys) < 0) {
			t.error = err_msg();
			goto hand_over;
		}
	} else {
		t.prop_keys = keys_assign_properties(
			t.form, NULL, label,
			lens_base_type(json_string_value(
				json_object_get(t.form, "category"))),
			&t.findings);
	}
	lc.type_key = t.key;
	lc.type_keys = s->m->type_keys;
	lc.prop_keys = t.prop_keys;
	lc.overlay = NULL;
	lc.findings = &t.findings;
	if (lens_forward(&t.target, t.form, &lc) < 0 ||
	    canon_hash(t.target_hash, t.target) < 0) {
		t.error = err_msg();
		json_decref(t.target);
		t.target = NULL;
		goto hand_over;
	}
	validate_target(t.target, s->m->known_keys, &t.findings);
hand_over:
	ret = s->fn(&t, s->payload);
	json_decref(t.form);
	json_decref(t.target);
	json_decref(t.prop_keys);
	findings_release(&t.findings);
	return ret;
}

int model_each(struct model *m, model_type_fn fn, void *payload)
{
	struct each_state s = { m, fn, payload };

	return catalyst_db_each_type(m->db, m->website_id, process_row, &s);
}

void model_release(struct model *m)
{
	free(m->website_id);
	json_decref(m->type_keys);
	json_decref(m->known_keys);
	json_decref(m->names);
	findings_release(&m->key_findings);
	memset(m, 0, sizeof(*m));
}

size_t model_type_failures(const struct model_type *t, int strict)
{
	return (t->error ? 1 : 0) + validate_failures(&t->findings, strict);
}

int model_find_type(const struct model *m, const char *spec,
		    const char **id_out)
{
	json_t *v, *ids;
	struct buf list = BUF_INIT;
	size_t i;
	int ret;

	if ((v = json_object_get(m->known_keys, spec)) ||
	    (json_object_get(m->type_keys, spec) &&
	     (v = json_object_get(m->type_keys, spec)) &&
	     (v = json_object_get(m->known_keys, json_string_value(v))))) {
		*id_out = json_string_value(v);
		return 0;
	}
	ids = json_object_get(m->names, spec);
	if (json_array_size(ids) == 1) {
		*id_out = json_string_value(json_array_get(ids, 0));
		return 0;
	}
	if (!ids)
		return err_set(ERR_NOTFOUND,
			       "no content type '%s' (give a key, an id or a "
			       "name)",
			       spec);
	json_array_foreach(ids, i, v)
		buf_addf(&list, "%s%s", i ? ", " : "", json_string_value(v));
	ret = err_set(ERR_INVALID,
		      "%zu content types are named '%s' (%s); give an id or a "
		      "key",
		      json_array_size(ids), spec, list.ptr);
	buf_release(&list);
	return ret;
}
