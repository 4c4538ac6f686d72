/*
 * model: resources, the ordered map that holds them, the built-ins and the
 * state document. The rules for what a valid document is are in rules.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"
#include "support.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/sha256.h"
#include "util/timeutil.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define SEED_TIME "2024-01-01T00:00:00.000Z"
#define SEED_TIME_MS 1704067200000LL
#define STATE_FORMAT "optimizely-emulator-state"

struct res *res_new(const char *key, enum res_kind kind)
{
	struct res *r = xcalloc(1, sizeof(*r));

	r->key = xstrdup(key);
	r->kind = kind;
	for (int f = 0; f < FORM_NR; f++)
		buf_init(&r->form[f], 0);
	return r;
}

void res_free(struct res *r)
{
	if (!r)
		return;
	free(r->key);
	json_decref(r->doc);
	json_decref(r->prev_doc);
	for (int f = 0; f < FORM_NR; f++)
		buf_release(&r->form[f]);
	free(r);
}

static json_t *render(const struct res *r, enum emu_version v)
{
	switch (r->kind) {
	case RES_TYPE:
		return ctype_render(r->doc, v);
	case RES_GROUP:
		return group_render(r->doc, v);
	default:
		return json_incref(r->doc);
	}
}

const struct buf *res_form(struct res *r, enum res_form f)
{
	struct buf *b = &r->form[f];
	json_t *v;

	if (b->len)
		return b;
	if (f == FORM_STORED) {
		jx_dump_compact(b, r->doc);
		return b;
	}
	v = render(r, f == FORM_P3 ? EMU_P3 : EMU_V1);
	jx_dump_compact(b, v);
	json_decref(v);
	return b;
}

void res_set_doc(struct model *m, struct res *r, json_t *doc,
		 long long modified_ms, long long stale_ms)
{
	if (stale_ms > 0) {
		json_decref(r->prev_doc);
		r->prev_doc = r->doc;
		r->prev_absent = !r->doc;
		memcpy(r->prev_etag, r->etag, ETAG_MAX);
		r->prev_modified_ms = r->modified_ms;
		r->stale_until = time_mono_ms() + stale_ms;
	} else {
		json_decref(r->doc);
		json_decref(r->prev_doc);
		r->prev_doc = NULL;
		r->stale_until = 0;
	}
	r->doc = doc;
	r->modified_ms = modified_ms;
	model_new_etag(m, r->key, r->etag);
	for (int f = 0; f < FORM_NR; f++)
		buf_release(&r->form[f]);
}

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void rmap_init(struct rmap *m)
{
	memset(m, 0, sizeof(*m));
}

void rmap_release(struct rmap *m)
{
	for (size_t i = 0; i < m->nr; i++)
		res_free(m->items[i]);
	free(m->items);
	free(m->buckets);
	rmap_init(m);
}

struct res *rmap_get(const struct rmap *m, const char *key)
{
	struct res *r;

	if (!m->nbuckets)
		return NULL;
	r = m->buckets[hash_key(key) & (m->nbuckets - 1)];
	for (; r; r = r->hnext)
		if (!strcmp(r->key, key))
			return r;
	return NULL;
}

static void rehash(struct rmap *m, size_t nbuckets)
{
	free(m->buckets);
	m->buckets = xcalloc(nbuckets, sizeof(*m->buckets));
	m->nbuckets = nbuckets;
	for (size_t i = 0; i < m->nr; i++) {
		struct res *r = m->items[i];
		size_t b = hash_key(r->key) & (nbuckets - 1);

		r->hnext = m->buckets[b];
		m->buckets[b] = r;
	}
}

void rmap_add(struct rmap *m, struct res *r)
{
	size_t b;

	ALLOC_GROW(m->items, m->nr + 1, m->alloc);
	r->index = m->nr;
	m->items[m->nr++] = r;
	if (m->nr > m->nbuckets) {
		rehash(m, m->nbuckets ? m->nbuckets * 4 : 64);
		return;
	}
	b = hash_key(r->key) & (m->nbuckets - 1);
	r->hnext = m->buckets[b];
	m->buckets[b] = r;
}

struct res *rmap_take(struct rmap *m, const char *key)
{
	struct res **pp, *r;

	if (!m->nbuckets)
		return NULL;
	pp = &m->buckets[hash_key(key) & (m->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->hnext)
		if (!strcmp((*pp)->key, key))
			break;
	r = *pp;
	if (!r)
		return NULL;
	*pp = r->hnext;
	r->hnext = NULL;
	memmove(m->items + r->index, m->items + r->index + 1,
		(m->nr - r->index - 1) * sizeof(*m->items));
	m->nr--;
	for (size_t i = r->index; i < m->nr; i++)
		m->items[i]->index = i;
	return r;
}

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	rmap_init(&m->types);
	rmap_init(&m->groups);
	rmap_init(&m->templates);
}

void model_release(struct model *m)
{
	rmap_release(&m->types);
	rmap_release(&m->groups);
	rmap_release(&m->templates);
	for (size_t i = 0; i < m->ghosts_nr; i++)
		res_free(m->ghosts[i]);
	free(m->ghosts);
	model_init(m);
}

void model_new_etag(struct model *m, const char *key, char out[ETAG_MAX])
{
	struct buf b = BUF_INIT;
	char hex[SHA256_HEX_LEN + 1];

	buf_addf(&b, "%s\n%llu", key, ++m->etag_counter);
	sha256_hex(hex, b.ptr, b.len);
	snprintf(out, ETAG_MAX, "\"%.16s\"", hex);
	buf_release(&b);
}

void model_add_ghost(struct model *m, struct res *r)
{
	ALLOC_GROW(m->ghosts, m->ghosts_nr + 1, m->ghosts_alloc);
	m->ghosts[m->ghosts_nr++] = r;
}

struct res *model_ghost(struct model *m, const char *key, long long now_mono)
{
	for (size_t i = m->ghosts_nr; i-- > 0;)
		if (!strcmp(m->ghosts[i]->key, key) &&
		    m->ghosts[i]->stale_until > now_mono)
			return m->ghosts[i];
	return NULL;
}

void model_prune_ghosts(struct model *m, long long now_mono)
{
	size_t j = 0;

	for (size_t i = 0; i < m->ghosts_nr; i++) {
		if (m->ghosts[i]->stale_until > now_mono)
			m->ghosts[j++] = m->ghosts[i];
		else
			res_free(m->ghosts[i]);
	}
	m->ghosts_nr = j;
}

struct builtin_type {
	const char *key;
	const char *display_name;
	const char *base_type; /* NULL for contracts */
	int may_contain_all;
	long instances;
	int read_only;
};

static const struct builtin_type builtin_types[] = {
	{"BlankExperience", "Blank Experience", "_experience", 1, 0, 0},
	{"BlankSection", "Blank Section", "_section", 0, 0, 0},
	{"SysContentFolder", "Folder", "_folder", 1, 1, 1},
	{"globalcontract:_Item", "Item", NULL, 0, 0, 1},
	{"globalcontract:_Metadata", "Metadata", NULL, 0, 0, 1},
	{"globalcontract:_AssetItem", "Asset Item", NULL, 0, 0, 1},
	{"globalcontract:_AssetMetadata", "Asset Metadata", NULL, 0, 0, 1},
	{"globalcontract:_ImageItem", "Image Item", NULL, 0, 0, 1},
	{"globalcontract:_ImageMetadata", "Image Metadata", NULL, 0, 0, 1},
};

static const struct {
	const char *key;
	const char *display_name;
	int sort_order;
} builtin_groups[] = {
	{"Content", "Content", 10},
	{"Scheduling", "Scheduling", 20},
	{"Settings", "Settings", 30},
	{"Shortcut", "Shortcut", 40},
	{"Categories", "Categories", 50},
	{"DynamicBlocks", "Dynamic Blocks", 60},
};

int group_is_reserved(const char *key)
{
	for (size_t i = 0; i < sizeof(builtin_groups) / sizeof(*builtin_groups);
	     i++)
		if (!strcasecmp(builtin_groups[i].key, key))
			return 1;
	return 0;
}

void model_seed(struct model *m)
{
	model_release(m);
	for (size_t i = 0; i < sizeof(builtin_types) / sizeof(*builtin_types);
	     i++) {
		const struct builtin_type *b = &builtin_types[i];
		json_t *in = json_object(), *norm;
		struct res *r = res_new(b->key, RES_TYPE);

		json_object_set_new(in, "key", json_string(b->key));
		json_object_set_new(in, "displayName",
				    json_string(b->display_name));
		if (b->base_type)
			json_object_set_new(in, "baseType",
					    json_string(b->base_type));
		else
			json_object_set_new(in, "isContract", json_true());
		if (b->may_contain_all)
			json_object_set_new(in, "mayContainTypes",
					    json_pack("[s]", "*"));
		norm = ctype_normalize(in);
		res_set_doc(m, r,
			    ctype_finish(norm, "system", SEED_TIME, "system",
					 SEED_TIME, "system"),
			    SEED_TIME_MS, 0);
		r->system = 1;
		r->read_only = b->read_only;
		r->instances = b->instances;
		rmap_add(&m->types, r);
		json_decref(norm);
		json_decref(in);
	}
	for (size_t i = 0; i < sizeof(builtin_groups) / sizeof(*builtin_groups);
	     i++) {
		json_t *in, *norm;
		struct res *r = res_new(builtin_groups[i].key, RES_GROUP);

		in = json_pack("{s:s, s:s, s:i}", "key", builtin_groups[i].key,
			       "displayName", builtin_groups[i].display_name,
			       "sortOrder", builtin_groups[i].sort_order);
		norm = group_normalize(in);
		res_set_doc(m, r,
			    group_finish(norm, "system", SEED_TIME, "system",
					 SEED_TIME, "system"),
			    SEED_TIME_MS, 0);
		r->system = 1;
		r->read_only = 1;
		rmap_add(&m->groups, r);
		json_decref(norm);
		json_decref(in);
	}
}

static void add_string(struct buf *out, const char *s)
{
	json_t *v = json_string(s);

	jx_dump_compact(out, v);
	json_decref(v);
}

static void dump_map(struct rmap *map, struct buf *out, const char *member)
{
	buf_addch(out, '[');
	for (size_t i = 0; i < map->nr; i++) {
		struct res *r = map->items[i];
		const struct buf *f = res_form(r, FORM_STORED);

		if (i)
			buf_addch(out, ',');
		buf_adds(out, "{\"etag\":");
		add_string(out, r->etag);
		if (r->kind == RES_TYPE)
			buf_addf(out, ",\"instances\":%ld", r->instances);
		if (r->kind != RES_TEMPLATE)
			buf_addf(out, ",\"readOnly\":%s",
				 r->read_only ? "true" : "false");
		buf_addf(out, ",\"%s\":", member);
		buf_add(out, f->ptr, f->len);
		buf_addch(out, '}');
	}
	buf_addch(out, ']');
}

void model_dump(struct model *m, struct buf *out)
{
	buf_addf(out,
		 "{\"format\":\"%s\",\"version\":1,\"etagCounter\":%llu,"
		 "\"contentTypes\":",
		 STATE_FORMAT, m->etag_counter);
	dump_map(&m->types, out, "type");
	buf_adds(out, ",\"propertyGroups\":");
	dump_map(&m->groups, out, "group");
	buf_adds(out, ",\"displayTemplates\":");
	dump_map(&m->templates, out, "template");
	buf_adds(out, "}\n");
}

static int load_map(struct model *m, struct rmap *map, const json_t *list,
		    const char *section, const char *member, enum res_kind kind)
{
	size_t i;
	json_t *e;

	if (!list)
		return 0;
	if (!json_is_array(list))
		return err_set(ERR_INVALID, "'%s' is not an array", section);
	json_array_foreach(list, i, e)
	{
		const json_t *doc = json_object_get(e, member);
		const json_t *inst = json_object_get(e, "instances");
		const char *key = jx_str(doc, "key");
		const char *etag = jx_str(e, "etag");
		const char *modified = jx_str(doc, "lastModified");
		struct res *r;
		long long ms = 0;

		if (!json_is_object(e) || !json_is_object(doc) || !key)
			return err_set(ERR_INVALID,
				       "%s[%zu] needs an object '%s' with a "
				       "string 'key'",
				       section, i, member);
		if (rmap_get(map, key))
			return err_set(ERR_INVALID,
				       "%s[%zu]: duplicate key '%s'", section,
				       i, key);
		if (inst &&
		    (!json_is_integer(inst) || json_integer_value(inst) < 0))
			return err_set(ERR_INVALID,
				       "%s[%zu]: 'instances' must be a "
				       "non-negative integer",
				       section, i);
		if (modified && iso_parse(&ms, modified) < 0)
			return err_set(ERR_INVALID,
				       "%s[%zu]: bad lastModified '%s'",
				       section, i, modified);
		r = res_new(key, kind);
		res_set_doc(m, r, json_deep_copy(doc), ms, 0);
		if (etag && *etag == '"' && strlen(etag) < ETAG_MAX &&
		    etag[strlen(etag) - 1] == '"' && strlen(etag) >= 2)
			snprintf(r->etag, ETAG_MAX, "%s", etag);
		r->instances = inst ? (long)json_integer_value(inst) : 0;
		r->read_only = jx_true(e, "readOnly");
		r->system = !strcmp(
			jx_str(doc, "source") ? jx_str(doc, "source") : "",
			"system");
		rmap_add(map, r);
	}
	return 0;
}

int model_load(struct model *m, const json_t *doc)
{
	struct model tmp;
	const json_t *counter = json_object_get(doc, "etagCounter");
	const char *format = jx_str(doc, "format");
	int ret = -1;

	model_init(&tmp);
	if (!json_is_object(doc) || !format || strcmp(format, STATE_FORMAT)) {
		ret = err_set(ERR_INVALID,
			      "not an %s document (no \"format\": "
			      "\"%s\")",
			      STATE_FORMAT, STATE_FORMAT);
		goto out;
	}
	if (!json_is_integer(json_object_get(doc, "version")) ||
	    json_integer_value(json_object_get(doc, "version")) != 1) {
		ret = err_set(ERR_INVALID, "unsupported state version");
		goto out;
	}
	if ((ret = load_map(&tmp, &tmp.types,
			    json_object_get(doc, "contentTypes"),
			    "contentTypes", "type", RES_TYPE)) < 0 ||
	    (ret = load_map(&tmp, &tmp.groups,
			    json_object_get(doc, "propertyGroups"),
			    "propertyGroups", "group", RES_GROUP)) < 0 ||
	    (ret = load_map(&tmp, &tmp.templates,
			    json_object_get(doc, "displayTemplates"),
			    "displayTemplates", "template", RES_TEMPLATE)) < 0)
		goto out;
	if (json_is_integer(counter) &&
	    (unsigned long long)json_integer_value(counter) > tmp.etag_counter)
		tmp.etag_counter =
			(unsigned long long)json_integer_value(counter);
	model_release(m);
	*m = tmp;
	model_init(&tmp);
	ret = 0;
out:
	model_release(&tmp);
	return ret;
}
