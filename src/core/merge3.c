/*
 * merge3: three-way merge of JSON documents, member by member.
 *
 * One walk over the union of the members of the three objects, in bytewise
 * name order (so conflicts come out in path order), building a new merged
 * document as it goes. Leaves are compared with diff_equal only where an
 * object walk stops; the path is a stack of borrowed member names, turned
 * into segments and a display path only for a conflict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/canon.h"
#include "core/diff.h"
#include "core/merge3.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

struct member;

struct merge_ctx {
	const char *const *sets;
	enum merge_side prefer;
	struct merge_result *out;
	/* The member names from the root to the node being merged, borrowed
	 * from the inputs' keys. */
	const char **path;
	size_t depth, alloc;
	/* The members of the objects being merged, a stack shared by the
	 * levels so that the walk allocates only once it has grown. */
	struct member *scratch;
	size_t nr_scratch, alloc_scratch;
};

/*
 * jansson returns NULL only when out of memory; give up then, like
 * xmalloc, rather than merge with a member silently missing.
 */
static json_t *must(json_t *v)
{
	if (!v) {
		fprintf(stderr, "fatal: out of memory\n");
		abort();
	}
	return v;
}

/* A deep copy (merged and conflicts never share values with the inputs,
 * which callers may change); NULL stays NULL. */
static json_t *dup_value(const json_t *v)
{
	return v ? must(json_deep_copy(v)) : NULL;
}

/*
 * A total order on JSON values that agrees with diff_equal (0 exactly when
 * equal): by kind (null, false, true, numbers, strings, arrays, objects),
 * then numbers by value, strings bytewise, arrays element by element,
 * objects by size, sorted names, then values. It sorts merged sets the
 * same way whichever side an element came from.
 */
static int kind_rank(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		return 0;
	case JSON_FALSE:
		return 1;
	case JSON_TRUE:
		return 2;
	case JSON_INTEGER:
	case JSON_REAL:
		return 3;
	case JSON_STRING:
		return 4;
	case JSON_ARRAY:
		return 5;
	default:
		return 6;
	}
}

static int sign(long long x)
{
	return (x > 0) - (x < 0);
}

static int value_cmp(const json_t *a, const json_t *b);

static int object_cmp(const json_t *a, const json_t *b)
{
	size_t na = json_object_size(a), nb = json_object_size(b), i;
	const char **ka, **kb;
	int c = 0;

	if (na != nb)
		return na < nb ? -1 : 1;
	ka = jx_sorted_keys(a, &na);
	kb = jx_sorted_keys(b, &nb);
	for (i = 0; !c && i < na; i++)
		c = sign(strcmp(ka[i], kb[i]));
	for (i = 0; !c && i < na; i++)
		c = value_cmp(json_object_get(a, ka[i]),
			      json_object_get(b, kb[i]));
	free(ka);
	free(kb);
	return c;
}

static int value_cmp(const json_t *a, const json_t *b)
{
	int ra = kind_rank(a), rb = kind_rank(b), c;
	size_t la, lb, i;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (ra) {
	case 3: {
		double x = json_number_value(a), y = json_number_value(b);

		return (x > y) - (x < y);
	}
	case 4:
		la = json_string_length(a);
		lb = json_string_length(b);
		c = memcmp(json_string_value(a), json_string_value(b),
			   la < lb ? la : lb);
		if (c)
			return sign(c);
		return (la > lb) - (la < lb);
	case 5:
		la = json_array_size(a);
		lb = json_array_size(b);
		for (i = 0; i < la && i < lb; i++) {
			c = value_cmp(json_array_get(a, i),
				      json_array_get(b, i));
			if (c)
				return c;
		}
		return (la > lb) - (la < lb);
	case 6:
		return object_cmp(a, b);
	default:
		return 0;
	}
}

static int elem_cmp(const void *a, const void *b)
{
	return value_cmp(*(const json_t *const *)a, *(const json_t *const *)b);
}

/* A set: the distinct elements of an array, sorted by value_cmp, borrowed
 * from it. An absent array (NULL) is the empty set. */
struct vset {
	const json_t **v;
	size_t nr;
};

static void vset_init(struct vset *s, const json_t *arr)
{
	size_t n = json_array_size(arr), i, k = 0;

	s->v = xmalloc(st_mult(n ? n : 1, sizeof(*s->v)));
	for (i = 0; i < n; i++)
		s->v[i] = json_array_get(arr, i);
	qsort(s->v, n, sizeof(*s->v), elem_cmp);
	for (i = 0; i < n; i++)
		if (!k || value_cmp(s->v[k - 1], s->v[i]))
			s->v[k++] = s->v[i];
	s->nr = k;
}

static void vset_release(struct vset *s)
{
	FREE_AND_NULL(s->v);
	s->nr = 0;
}

static int vset_has(const struct vset *s, const json_t *x)
{
	size_t lo = 0, hi = s->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = value_cmp(s->v[mid], x);

		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* How many elements are in one set and not the other (what diff reports
 * as set-member entries). */
static size_t vset_changes(const struct vset *a, const struct vset *b)
{
	size_t i = 0, j = 0, n = 0;

	while (i < a->nr || j < b->nr) {
		int c = i == a->nr   ? 1
			: j == b->nr ? -1
				     : value_cmp(a->v[i], b->v[j]);

		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		n += c != 0;
	}
	return n;
}

static int is_set_key(const char *name, const char *const *sets)
{
	for (; *sets; sets++)
		if (!strcmp(name, *sets))
			return 1;
	return 0;
}

/* Whether the node being merged is a set-valued member (by its name, at
 * any depth, as diff.c decides). */
static int at_set(const struct merge_ctx *c)
{
	return c->depth && is_set_key(c->path[c->depth - 1], c->sets);
}

static int array_or_absent(const json_t *v)
{
	return !v || json_is_array(v);
}

/* The changes one side made from b to x, counted as merge_result says. */
static size_t count_changes(const struct merge_ctx *c, const json_t *b,
			    const json_t *x)
{
	struct vset sb, sx;
	size_t n;

	if (!json_is_array(b) || !json_is_array(x) || !at_set(c))
		return 1;
	vset_init(&sb, b);
	vset_init(&sx, x);
	n = vset_changes(&sb, &sx);
	vset_release(&sb);
	vset_release(&sx);
	return n;
}

/*
 * Both sides changed a set differently: the elements of base kept by both
 * plus those added by either, walking the union of the two sorted sides
 * (so the result is sorted too). Empty is absent when a side removed the
 * member, [] otherwise.
 */
static json_t *merge_set(struct merge_ctx *c, const json_t *b, const json_t *l,
			 const json_t *r)
{
	struct vset sb, sl, sr;
	json_t *res = must(json_array());
	size_t i = 0, j = 0;

	vset_init(&sb, b);
	vset_init(&sl, l);
	vset_init(&sr, r);
	while (i < sl.nr || j < sr.nr) {
		int cmp = i == sl.nr   ? 1
			  : j == sr.nr ? -1
				       : value_cmp(sl.v[i], sr.v[j]);
		const json_t *x = cmp <= 0 ? sl.v[i] : sr.v[j];

		if (!cmp || !vset_has(&sb, x))
			json_array_append_new(res, dup_value(x));
		if (cmp <= 0)
			i++;
		if (cmp >= 0)
			j++;
	}
	c->out->local_changes += vset_changes(&sb, &sl);
	c->out->remote_changes += vset_changes(&sb, &sr);
	vset_release(&sb);
	vset_release(&sl);
	vset_release(&sr);
	if (!json_array_size(res) && (!l || !r)) {
		json_decref(res);
		res = NULL;
	}
	return res;
}

static void add_conflict(struct merge_ctx *c, enum merge_kind kind,
			 const json_t *b, const json_t *l, const json_t *r)
{
	struct merge_result *out = c->out;
	struct merge_conflict *m;
	json_t *segments = must(json_array());
	size_t i;

	for (i = 0; i < c->depth; i++)
		json_array_append_new(segments, must(json_string(c->path[i])));
	ALLOC_GROW(out->items, out->nr + 1, out->alloc);
	m = &out->items[out->nr++];
	m->kind = kind;
	m->segments = segments;
	m->path = diff_path(segments, c->depth);
	m->base = dup_value(b);
	m->local = dup_value(l);
	m->remote = dup_value(r);
}

/* One member of an object, borrowed. */
struct member {
	const char *key;
	const json_t *value;
};

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->key,
		      ((const struct member *)b)->key);
}

static void sort_members(struct member *m, size_t n)
{
	size_t i, k;

	if (n > 32) {
		qsort(m, n, sizeof(*m), member_cmp);
		return;
	}
	/* A property's attributes: insertion sort beats qsort's indirect
	 * calls and copies at this size. */
	for (i = 1; i < n; i++) {
		struct member x = m[i];

		for (k = i; k && strcmp(m[k - 1].key, x.key) > 0; k--)
			m[k] = m[k - 1];
		m[k] = x;
	}
}

/*
 * Appends obj's members to the scratch stack in bytewise name order and
 * returns how many. Stored documents come back from canonical JSON and
 * merged ones are built in order, so checking is usually all it takes.
 */
static size_t push_members(struct merge_ctx *c, const json_t *obj)
{
	size_t n = json_object_size(obj), start = c->nr_scratch, i = start;
	struct member *m;
	void *it;
	int sorted = 1;

	if (!n)
		return 0;
	ALLOC_GROW(c->scratch, start + n, c->alloc_scratch);
	m = c->scratch;
	/* The iterator itself, not json_object_foreach, which looks each
	 * key up again to find the next. */
	for (it = json_object_iter((json_t *)obj); it && i < start + n;
	     it = json_object_iter_next((json_t *)obj, it)) {
		m[i].key = json_object_iter_key(it);
		m[i].value = json_object_iter_value(it);
		if (i > start && sorted && strcmp(m[i - 1].key, m[i].key) > 0)
			sorted = 0;
		i++;
	}
	n = i - start;
	if (!sorted)
		sort_members(m + start, n);
	c->nr_scratch += n;
	return n;
}

static int merge_node(struct merge_ctx *c, const json_t *b, const json_t *l,
		      const json_t *r, json_t **res);

/*
 * Merges two objects (and a base object, or NULL) over the union of their
 * members in bytewise name order: the three sorted member lists are
 * walked side by side, with no lookups by name. The lists live on the
 * scratch stack (indices, not pointers: deeper levels may move it).
 */
static int merge_object(struct merge_ctx *c, const json_t *b, const json_t *l,
			const json_t *r, json_t **res)
{
	size_t start = c->nr_scratch, end[3], at[3], i;
	const json_t *val[3];
	json_t *obj = NULL, *v;
	const char *key;
	int ret = 0;

	if (c->depth >= MERGE_MAX_DEPTH)
		return err_set(ERR_INVALID,
			       "cannot merge: a document nested deeper than %d "
			       "levels",
			       MERGE_MAX_DEPTH);
	at[0] = start;
	end[0] = at[0] + push_members(c, b);
	at[1] = end[0];
	end[1] = at[1] + push_members(c, l);
	at[2] = end[1];
	end[2] = at[2] + push_members(c, r);
	ALLOC_GROW(c->path, c->depth + 1, c->alloc);
	obj = must(json_object());
	for (;;) {
		/* The smallest name at the head of the three lists. */
		key = NULL;
		for (i = 0; i < 3; i++)
			if (at[i] < end[i] &&
			    (!key || strcmp(c->scratch[at[i]].key, key) < 0))
				key = c->scratch[at[i]].key;
		if (!key)
			break;
		for (i = 0; i < 3; i++) {
			val[i] = NULL;
			if (at[i] < end[i] &&
			    (c->scratch[at[i]].key == key ||
			     !strcmp(c->scratch[at[i]].key, key)))
				val[i] = c->scratch[at[i]++].value;
		}
		c->path[c->depth++] = key;
		ret = merge_node(c, val[0], val[1], val[2], &v);
		c->depth--;
		if (ret < 0)
			goto out;
		/* _nocheck: the names come from jansson, valid UTF-8. */
		if (v && json_object_set_new_nocheck(obj, key, v))
			must(NULL);
	}
	*res = obj;
	obj = NULL;
out:
	c->nr_scratch = start;
	json_decref(obj);
	return ret;
}

/*
 * The merged value of one node, given its value in base, local and remote
 * (NULL = absent): a new value, or NULL when absent from merged.
 */
static int merge_node(struct merge_ctx *c, const json_t *b, const json_t *l,
		      const json_t *r, json_t **res)
{
	enum merge_kind kind;
	size_t n;

	*res = NULL;
	/* Both objects: member by member, even with the same content, so
	 * that the changes are counted per leaf. A base that is not an
	 * object has no members to keep. */
	if (json_is_object(l) && json_is_object(r))
		return merge_object(c, json_is_object(b) ? b : NULL, l, r, res);
	if (diff_equal(l, r)) {
		if (!diff_equal(b, l)) {
			n = count_changes(c, b, l);
			c->out->local_changes += n;
			c->out->remote_changes += n;
		}
		*res = dup_value(l);
		return 0;
	}
	if (diff_equal(b, l)) {
		c->out->remote_changes += count_changes(c, b, r);
		*res = dup_value(r);
		return 0;
	}
	if (diff_equal(b, r)) {
		c->out->local_changes += count_changes(c, b, l);
		*res = dup_value(l);
		return 0;
	}
	if (at_set(c) && array_or_absent(b) && array_or_absent(l) &&
	    array_or_absent(r)) {
		*res = merge_set(c, b, l, r);
		return 0;
	}
	if (!b)
		kind = MERGE_BOTH_ADDED;
	else if (!l || !r)
		kind = MERGE_DELETE_MODIFY;
	else
		kind = MERGE_BOTH_CHANGED;
	add_conflict(c, kind, b, l, r);
	*res = dup_value(c->prefer == MERGE_REMOTE ? r : l);
	return 0;
}

int merge3(const json_t *base, const json_t *local, const json_t *remote,
	   const struct merge_options *opt, struct merge_result *out)
{
	struct merge_ctx c;
	int ret;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.sets = opt && opt->set_keys ? opt->set_keys : diff_default_set_keys;
	c.prefer = opt ? opt->prefer : MERGE_LOCAL;
	c.out = out;
	ret = merge_node(&c, base, local, remote, &out->merged);
	free(c.path);
	free(c.scratch);
	if (ret < 0)
		merge_result_release(out);
	return ret;
}

void merge_result_release(struct merge_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr; i++) {
		struct merge_conflict *m = &r->items[i];

		json_decref(m->segments);
		free(m->path);
		json_decref(m->base);
		json_decref(m->local);
		json_decref(m->remote);
	}
	free(r->items);
	json_decref(r->merged);
	memset(r, 0, sizeof(*r));
}

const char *merge_kind_name(enum merge_kind k)
{
	switch (k) {
	case MERGE_BOTH_CHANGED:
		return "both-changed";
	case MERGE_DELETE_MODIFY:
		return "delete-modify";
	case MERGE_BOTH_ADDED:
		return "both-added";
	}
	return "unknown";
}

json_t *merge_conflicts_to_json(const struct merge_result *r)
{
	json_t *arr = must(json_array());
	size_t i;

	for (i = 0; i < r->nr; i++) {
		const struct merge_conflict *m = &r->items[i];
		json_t *o = must(json_object());

		json_object_set_new(o, "path", must(json_string(m->path)));
		json_object_set_new(o, "segments", dup_value(m->segments));
		json_object_set_new(
			o, "kind", must(json_string(merge_kind_name(m->kind))));
		jx_set_new(o, "base", dup_value(m->base));
		jx_set_new(o, "local", dup_value(m->local));
		jx_set_new(o, "remote", dup_value(m->remote));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* Checks segments, and that every holder on the way is an object or
 * missing, before anything changes. */
static int check_path(const json_t *doc, const json_t *segments)
{
	size_t n, i;
	const json_t *cur = doc;
	char *where, *what;
	int ret;

	if (!json_is_array(segments))
		return err_set(ERR_INVALID,
			       "cannot set a path: segments is not an array");
	n = json_array_size(segments);
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(segments, i)))
			return err_set(ERR_INVALID,
				       "cannot set a path: segment %zu is not "
				       "a string",
				       i);
	for (i = 0; i < n && cur; i++) {
		if (!json_is_object(cur)) {
			what = diff_path(segments, n);
			where = diff_path(segments, i);
			if (*where)
				ret = err_set(ERR_INVALID,
					      "cannot set '%s': '%s' is not an "
					      "object",
					      what, where);
			else
				ret = err_set(ERR_INVALID,
					      "cannot set '%s': the document "
					      "is not an object",
					      what);
			free(what);
			free(where);
			return ret;
		}
		cur = json_object_get(
			cur, json_string_value(json_array_get(segments, i)));
	}
	return 0;
}

int merge_set_path(json_t **doc, const json_t *segments, const json_t *value)
{
	size_t n, i;
	json_t *cur, *next, *copy;
	const char *name;
	int ret;

	ret = check_path(*doc, segments);
	if (ret < 0)
		return ret;
	n = json_array_size(segments);
	/* Copy before changing *doc: value may live inside it. */
	copy = dup_value(value);
	if (!n) {
		json_decref(*doc);
		*doc = copy;
		return 0;
	}
	if (!*doc) {
		if (!copy)
			return 0; /* nothing to remove */
		*doc = must(json_object());
	}
	cur = *doc;
	for (i = 0; i + 1 < n; i++) {
		name = json_string_value(json_array_get(segments, i));
		next = json_object_get(cur, name);
		if (!next) {
			if (!copy)
				return 0; /* nothing to remove */
			next = must(json_object());
			if (json_object_set_new(cur, name, next))
				must(NULL);
		}
		cur = next;
	}
	name = json_string_value(json_array_get(segments, n - 1));
	if (!copy)
		json_object_del(cur, name);
	else if (json_object_set_new(cur, name, copy))
		must(NULL);
	return 0;
}

/* A value for people: canonical JSON (sorted keys, 1.0 as 1), falling
 * back to jansson's dump for what canon refuses. */
static void add_value(struct buf *out, const json_t *v)
{
	if (!v)
		buf_adds(out, "(absent)");
	else if (canon_json(out, v) < 0) {
		err_clear();
		jx_dump_compact(out, v);
	}
}

void merge_format_conflicts(struct buf *out, const struct merge_result *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++) {
		const struct merge_conflict *m = &r->items[i];

		buf_addf(out, "%s\n", *m->path ? m->path : "(the whole type)");
		buf_adds(out, "  base:   ");
		add_value(out, m->base);
		buf_adds(out, "\n  local:  ");
		add_value(out, m->local);
		buf_adds(out, "\n  remote: ");
		add_value(out, m->remote);
		buf_addch(out, '\n');
	}
}
