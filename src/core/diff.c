/*
 * diff: member-by-member comparison of JSON documents.
 */
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "util/buf.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

/* The set-valued members of brief §4. */
const char *const diff_default_set_keys[] = {
	"mayContainTypes",	"allowedTypes",	       "restrictedTypes",
	"compositionBehaviors", "mediaFileExtensions", NULL};

int diff_equal(const json_t *a, const json_t *b)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!a || !b)
		return a == b;
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v)
		{
			if (!diff_equal(v, json_object_get(b, k)))
				return 0;
		}
		return 1;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, v)
		{
			if (!diff_equal(v, json_array_get(b, i)))
				return 0;
		}
		return 1;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b),
			       json_string_length(a));
	default:
		return 1; /* true, false, null */
	}
}

static int is_ident(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '$' ||
		      *s == '-'))
			return 0;
	return 1;
}

char *diff_path(const json_t *segments, size_t nr)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < nr && i < json_array_size(segments); i++) {
		const json_t *s = json_array_get(segments, i);
		const char *name = json_string_value(s);

		if (is_ident(name)) {
			if (i)
				buf_addch(&b, '.');
			buf_adds(&b, name);
		} else {
			buf_addch(&b, '[');
			jx_dump_compact(&b, s);
			buf_addch(&b, ']');
		}
	}
	return buf_detach(&b, NULL);
}

static char *display_path(const json_t *segments, int set_member)
{
	char *path = diff_path(segments, json_array_size(segments));
	struct buf b = BUF_INIT;

	if (!set_member)
		return path;
	buf_adds(&b, path);
	buf_adds(&b, "[]");
	free(path);
	return buf_detach(&b, NULL);
}

static void add(struct diff *d, enum diff_op op, const json_t *segments,
		const json_t *old, const json_t *new, int set_member)
{
	struct diff_entry *e;

	ALLOC_GROW(d->items, d->nr + 1, d->alloc);
	e = &d->items[d->nr++];
	e->op = op;
	e->segments = json_deep_copy(segments);
	e->path = display_path(segments, set_member);
	e->old = old ? json_deep_copy(old) : NULL;
	e->new = new ? json_deep_copy(new) : NULL;
	e->set_member = set_member;
}

static int is_set_key(const char *name, const char *const *sets)
{
	for (; *sets; sets++)
		if (!strcmp(name, *sets))
			return 1;
	return 0;
}

static int set_has(const json_t *arr, const json_t *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(arr, i, x)
	{
		if (diff_equal(x, v))
			return 1;
	}
	return 0;
}

static void walk(struct diff *d, json_t *segments, const json_t *a,
		 const json_t *b, const char *const *sets)
{
	const char **keys;
	json_t *all, *x;
	size_t nr, i;
	const char *k;

	if (diff_equal(a, b))
		return;
	if (!a) {
		add(d, DIFF_ADD, segments, NULL, b, 0);
		return;
	}
	if (!b) {
		add(d, DIFF_REMOVE, segments, a, NULL, 0);
		return;
	}
	if (json_is_array(a) && json_is_array(b) && json_array_size(segments) &&
	    is_set_key(json_string_value(json_array_get(
			       segments, json_array_size(segments) - 1)),
		       sets)) {
		json_array_foreach(a, i, x)
		{
			if (!set_has(b, x))
				add(d, DIFF_REMOVE, segments, x, NULL, 1);
		}
		json_array_foreach(b, i, x)
		{
			if (!set_has(a, x))
				add(d, DIFF_ADD, segments, NULL, x, 1);
		}
		return;
	}
	if (!json_is_object(a) || !json_is_object(b)) {
		add(d, DIFF_CHANGE, segments, a, b, 0);
		return;
	}
	/* The union of the members, in bytewise order. */
	all = json_object();
	json_object_foreach((json_t *)a, k, x)
	{
		json_object_set_new(all, k, json_true());
	}
	json_object_foreach((json_t *)b, k, x)
	{
		json_object_set_new(all, k, json_true());
	}
	keys = jx_sorted_keys(all, &nr);
	for (i = 0; i < nr; i++) {
		json_array_append_new(segments, json_string(keys[i]));
		walk(d, segments, json_object_get(a, keys[i]),
		     json_object_get(b, keys[i]), sets);
		json_array_remove(segments, json_array_size(segments) - 1);
	}
	free(keys);
	json_decref(all);
}

void diff_json(struct diff *out, const json_t *a, const json_t *b,
	       const struct diff_options *opt)
{
	json_t *segments = json_array();

	walk(out, segments, a, b,
	     opt && opt->set_keys ? opt->set_keys : diff_default_set_keys);
	json_decref(segments);
}

void diff_release(struct diff *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		json_decref(d->items[i].segments);
		free(d->items[i].path);
		json_decref(d->items[i].old);
		json_decref(d->items[i].new);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

void diff_format(struct buf *out, const struct diff *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		const struct diff_entry *e = &d->items[i];
		const char *path = *e->path ? e->path : "(the whole type)";

		switch (e->op) {
		case DIFF_ADD:
			buf_addf(out, "+ %s: ", path);
			jx_dump_compact(out, e->new);
			break;
		case DIFF_REMOVE:
			buf_addf(out, "- %s: ", path);
			jx_dump_compact(out, e->old);
			break;
		case DIFF_CHANGE:
			buf_addf(out, "~ %s: ", path);
			jx_dump_compact(out, e->old);
			buf_adds(out, " -> ");
			jx_dump_compact(out, e->new);
			break;
		}
		buf_addch(out, '\n');
	}
}

json_t *diff_to_json(const struct diff *d)
{
	static const char *const ops[] = {"add", "remove", "change"};
	json_t *arr = json_array();

	for (size_t i = 0; i < d->nr; i++) {
		const struct diff_entry *e = &d->items[i];
		json_t *o = json_object();

		json_object_set_new(o, "op", json_string(ops[e->op]));
		json_object_set_new(o, "path", json_string(e->path));
		json_object_set(o, "segments", e->segments);
		if (e->old)
			json_object_set(o, "old", e->old);
		if (e->new)
			json_object_set(o, "new", e->new);
		if (e->set_member)
			json_object_set_new(o, "set_member", json_true());
		json_array_append_new(arr, o);
	}
	return arr;
}
