/*
 * order: the order of a plan's writes (brief §10).
 *
 * The references followed are those the server checks (docs/emulator.md,
 * "Validation"): on a create, and on a patch (against the merged result),
 * every contentType and every entry of allowedTypes and restrictedTypes
 * (of a property or of its items) and of mayContainTypes must be '*', a
 * base type or an existing key, the type being written counting as
 * existing. So a create that references itself is accepted as it is and
 * is not split, and a self-reference is no dependency at all.
 *
 * Ordering covers more than the server requires in one place: the server
 * does not check references on delete (it leaves them dangling), while we
 * refuse to delete a type that a surviving type still references, and
 * order deletes so that no step ever leaves one behind. That is safe: the
 * worst it does is keep a type.
 *
 * NEEDSWORK: v1 also checks that contracts[i] names an existing contract.
 * contracts is target-owned (never created from Catalyst), so it is not
 * followed here.
 *
 * How: the references become edges u -> v ("v's step runs after u's, and
 * cannot run when u's is blocked"):
 *
 *  - j -> i when create or update i references create j;
 *  - d -> j when deleted d references deleted j (d goes first);
 *  - u -> d when update u takes a reference to deleted d away.
 *
 * Tarjan's algorithm (iterative) finds the strongly connected components;
 * a component of more than one node can only hold creates (only creates
 * have edges into creates and updates). Kahn's algorithm over the
 * components, with a heap ordered by (creates and updates first, smallest
 * key), gives the order. Edges between components become the steps'
 * dependencies; edges inside a component of creates become the link
 * steps' ones. Everything is O(n + e) apart from sorting.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/order.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"
#include "util/banned.h"

#define NOIDX SIZE_MAX

/* At most this many keys are named in a "references ..." reason. */
#define ORDER_NAMES_MAX 3

enum node_class {
	CLASS_WRITE = 0, /* create or update */
	CLASS_DELETE = 1,
	CLASS_NONE = 2 /* no step */
};

struct strv {
	const char **v;
	size_t nr, alloc;
};

struct edge {
	size_t from, to;
};

struct orderer {
	const struct order_node *nodes;
	size_t nr;

	size_t *by_rank; /* node indices sorted by key */

	size_t *slots; /* key map: node index + 1, 0 when empty */
	size_t mask;

	/* The references of each node's doc: refs[refs_off[i]..[i+1]),
	 * sorted, unique, borrowed from the doc; ref_node resolves them. */
	struct strv refs;
	size_t *refs_off;
	size_t *ref_node;

	/* Edges in CSR form: adj[adj_off[u]..adj_off[u+1]). */
	struct edge *edges;
	size_t edges_nr, edges_alloc;
	size_t *adj, *adj_off;

	/* Components. */
	size_t *comp; /* comp[node] */
	size_t ncomp;
	size_t *comp_size;
	size_t *comp_rank; /* smallest rank of its members */
	size_t *comp_indeg;

	size_t *seq; /* class 0 and 1 nodes in order */
	size_t seq_nr;

	size_t *main_step, *link_step;
};

/* ------------------------------------------------------------------ */
/* References */

static int is_type_key(const char *k)
{
	return k && *k && k[0] != '_' && strcmp(k, "*");
}

static void add_ref(struct strv *sv, const json_t *s)
{
	const char *k = json_string_value(s);

	if (!is_type_key(k))
		return;
	ALLOC_GROW(sv->v, sv->nr + 1, sv->alloc);
	sv->v[sv->nr++] = k;
}

static void add_ref_list(struct strv *sv, const json_t *list)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
	{
		add_ref(sv, e);
	}
}

static void add_member_refs(struct strv *sv, const json_t *p)
{
	add_ref(sv, json_object_get(p, "contentType"));
	add_ref_list(sv, json_object_get(p, "allowedTypes"));
	add_ref_list(sv, json_object_get(p, "restrictedTypes"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Appends the references of doc to sv, then sorts sv->v[start..] and
 * takes out the duplicates.
 */
static void collect_refs(struct strv *sv, size_t start, const json_t *doc)
{
	json_t *props, *p;
	const char *k;
	size_t i, n;

	if (json_is_object(doc)) {
		add_ref_list(sv, json_object_get(doc, "mayContainTypes"));
		props = json_object_get(doc, "properties");
		json_object_foreach(props, k, p)
		{
			if (!json_is_object(p))
				continue;
			add_member_refs(sv, p);
			add_member_refs(sv, json_object_get(p, "items"));
		}
	}
	if (sv->nr - start < 2)
		return;
	qsort(sv->v + start, sv->nr - start, sizeof(*sv->v), cmp_str);
	for (i = n = start + 1; i < sv->nr; i++)
		if (strcmp(sv->v[i], sv->v[n - 1]))
			sv->v[n++] = sv->v[i];
	sv->nr = n;
}

json_t *order_refs(const json_t *doc)
{
	struct strv sv = {0};
	json_t *out = json_array();
	size_t i;

	collect_refs(&sv, 0, doc);
	for (i = 0; i < sv.nr; i++)
		json_array_append_new(out, json_string(sv.v[i]));
	free(sv.v);
	return out;
}

/* ------------------------------------------------------------------ */
/* Keys */

static size_t hash_key(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 29));
}

static size_t lookup(const struct orderer *o, const char *key)
{
	size_t h = hash_key(key) & o->mask, s;

	while ((s = o->slots[h])) {
		if (!strcmp(o->nodes[s - 1].key, key))
			return s - 1;
		h = (h + 1) & o->mask;
	}
	return NOIDX;
}

static int build_keymap(struct orderer *o)
{
	size_t cap = 16, i, h;

	while (cap < 2 * o->nr)
		cap *= 2;
	o->mask = cap - 1;
	o->slots = xcalloc(cap, sizeof(*o->slots));
	for (i = 0; i < o->nr; i++) {
		const char *key = o->nodes[i].key;

		assert(key);
		if (lookup(o, key) != NOIDX)
			return err_set(ERR_INVALID,
				       "content type '%s' is given twice", key);
		h = hash_key(key) & o->mask;
		while (o->slots[h])
			h = (h + 1) & o->mask;
		o->slots[h] = i + 1;
	}
	return 0;
}

struct keyed {
	const char *key;
	size_t node;
};

static int cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key,
		      ((const struct keyed *)b)->key);
}

static void build_ranks(struct orderer *o)
{
	struct keyed *k = xcalloc(o->nr ? o->nr : 1, sizeof(*k));
	size_t i;

	o->by_rank = xcalloc(o->nr ? o->nr : 1, sizeof(*o->by_rank));
	for (i = 0; i < o->nr; i++) {
		k[i].key = o->nodes[i].key;
		k[i].node = i;
	}
	qsort(k, o->nr, sizeof(*k), cmp_keyed);
	for (i = 0; i < o->nr; i++)
		o->by_rank[i] = k[i].node;
	free(k);
}

static enum node_class node_class(const struct order_node *n)
{
	switch (n->kind) {
	case ORDER_CREATE:
	case ORDER_UPDATE:
		return CLASS_WRITE;
	case ORDER_DELETE:
		return CLASS_DELETE;
	default:
		return CLASS_NONE;
	}
}

/* True when node j is there after the plan (or is being created). */
static int survives(const struct order_node *n)
{
	return n->kind == ORDER_CREATE || n->kind == ORDER_UPDATE ||
	       (n->kind == ORDER_NONE && n->doc);
}

/* ------------------------------------------------------------------ */
/* Graph */

static void add_edge(struct orderer *o, size_t from, size_t to)
{
	ALLOC_GROW(o->edges, o->edges_nr + 1, o->edges_alloc);
	o->edges[o->edges_nr].from = from;
	o->edges[o->edges_nr].to = to;
	o->edges_nr++;
}

static void collect_all_refs(struct orderer *o)
{
	size_t i, p;

	o->refs_off = xcalloc(o->nr + 1, sizeof(*o->refs_off));
	for (i = 0; i < o->nr; i++) {
		o->refs_off[i] = o->refs.nr;
		collect_refs(&o->refs, o->refs.nr, o->nodes[i].doc);
	}
	o->refs_off[o->nr] = o->refs.nr;
	o->ref_node =
		xcalloc(o->refs.nr ? o->refs.nr : 1, sizeof(*o->ref_node));
	for (p = 0; p < o->refs.nr; p++)
		o->ref_node[p] = lookup(o, o->refs.v[p]);
}

/* True when the sorted refs of node i hold key. */
static int node_refs_key(const struct orderer *o, size_t i, const char *key)
{
	size_t lo = o->refs_off[i], hi = o->refs_off[i + 1];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(o->refs.v[mid], key);

		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static void build_edges(struct orderer *o)
{
	struct strv old = {0};
	size_t r, i, p, j, *fill;

	/* In key order, so that adjacency lists are in key order too. */
	for (r = 0; r < o->nr; r++) {
		const struct order_node *n;

		i = o->by_rank[r];
		n = &o->nodes[i];
		for (p = o->refs_off[i]; p < o->refs_off[i + 1]; p++) {
			j = o->ref_node[p];
			if (j == NOIDX || j == i)
				continue;
			if (node_class(n) == CLASS_WRITE &&
			    o->nodes[j].kind == ORDER_CREATE)
				add_edge(o, j, i);
			else if (n->kind == ORDER_DELETE &&
				 o->nodes[j].kind == ORDER_DELETE)
				add_edge(o, i, j);
		}
		if (n->kind != ORDER_UPDATE || !n->remote)
			continue;
		old.nr = 0;
		collect_refs(&old, 0, n->remote);
		for (p = 0; p < old.nr; p++) {
			j = lookup(o, old.v[p]);
			if (j != NOIDX && j != i &&
			    o->nodes[j].kind == ORDER_DELETE &&
			    !node_refs_key(o, i, old.v[p]))
				add_edge(o, i, j);
		}
	}
	free(old.v);

	o->adj_off = xcalloc(o->nr + 1, sizeof(*o->adj_off));
	o->adj = xcalloc(o->edges_nr ? o->edges_nr : 1, sizeof(*o->adj));
	for (p = 0; p < o->edges_nr; p++)
		o->adj_off[o->edges[p].from + 1]++;
	for (i = 0; i < o->nr; i++)
		o->adj_off[i + 1] += o->adj_off[i];
	fill = xcalloc(o->nr ? o->nr : 1, sizeof(*fill));
	for (p = 0; p < o->edges_nr; p++) {
		size_t u = o->edges[p].from;

		o->adj[o->adj_off[u] + fill[u]++] = o->edges[p].to;
	}
	free(fill);
}

/* Tarjan's strongly connected components, without recursion. */
static void find_components(struct orderer *o)
{
	struct frame {
		size_t v, e;
	} *frames = NULL;
	size_t *idx = NULL, *low = NULL, *stack = NULL;
	char *on_stack = NULL;
	size_t n = o->nr, counter = 0, sp = 0, fp, s;

	o->comp = xcalloc(n ? n : 1, sizeof(*o->comp));
	if (!n)
		return;
	idx = xmalloc(st_mult(n, sizeof(*idx)));
	low = xmalloc(st_mult(n, sizeof(*low)));
	stack = xmalloc(st_mult(n, sizeof(*stack)));
	frames = xmalloc(st_mult(n, sizeof(*frames)));
	on_stack = xcalloc(n, 1);
	for (s = 0; s < n; s++)
		idx[s] = NOIDX;

	for (s = 0; s < n; s++) {
		if (idx[s] != NOIDX)
			continue;
		idx[s] = low[s] = counter++;
		stack[sp++] = s;
		on_stack[s] = 1;
		frames[0].v = s;
		frames[0].e = o->adj_off[s];
		fp = 1;
		while (fp) {
			struct frame *f = &frames[fp - 1];
			size_t v = f->v, w;

			if (f->e < o->adj_off[v + 1]) {
				w = o->adj[f->e++];
				if (idx[w] == NOIDX) {
					idx[w] = low[w] = counter++;
					stack[sp++] = w;
					on_stack[w] = 1;
					frames[fp].v = w;
					frames[fp].e = o->adj_off[w];
					fp++;
				} else if (on_stack[w] && idx[w] < low[v]) {
					low[v] = idx[w];
				}
				continue;
			}
			fp--;
			if (low[v] == idx[v]) {
				do {
					w = stack[--sp];
					on_stack[w] = 0;
					o->comp[w] = o->ncomp;
				} while (w != v);
				o->ncomp++;
			}
			if (fp && low[v] < low[frames[fp - 1].v])
				low[frames[fp - 1].v] = low[v];
		}
	}
	free(idx);
	free(low);
	free(stack);
	free(frames);
	free(on_stack);
}

/* A binary min-heap of components, by (class, smallest key). */
struct heap {
	size_t *v;
	size_t nr;
	const struct orderer *o;
};

static int comp_before(const struct orderer *o, size_t a, size_t b)
{
	size_t na = o->by_rank[o->comp_rank[a]];
	size_t nb = o->by_rank[o->comp_rank[b]];
	enum node_class ca = node_class(&o->nodes[na]);
	enum node_class cb = node_class(&o->nodes[nb]);

	if (ca != cb)
		return ca < cb;
	return o->comp_rank[a] < o->comp_rank[b];
}

static void heap_push(struct heap *h, size_t c)
{
	size_t i = h->nr++, parent;

	h->v[i] = c;
	while (i) {
		parent = (i - 1) / 2;
		if (!comp_before(h->o, h->v[i], h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		h->v[parent] = c;
		i = parent;
	}
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0], i = 0, last = h->v[--h->nr];

	if (!h->nr)
		return top;
	h->v[0] = last;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->nr && comp_before(h->o, h->v[l], h->v[m]))
			m = l;
		if (r < h->nr && comp_before(h->o, h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		h->v[i] = h->v[m];
		h->v[m] = last;
		i = m;
	}
	return top;
}

/* Kahn's algorithm over the components: fills seq. */
static void sort_components(struct orderer *o)
{
	struct heap h = {NULL, 0, o};
	size_t *members = NULL, *member_off = NULL, *fill = NULL;
	size_t c, i, r, p, nc = o->ncomp;

	o->comp_size = xcalloc(nc + 1, sizeof(*o->comp_size));
	o->comp_rank = xcalloc(nc + 1, sizeof(*o->comp_rank));
	o->comp_indeg = xcalloc(nc + 1, sizeof(*o->comp_indeg));
	o->seq = xcalloc(o->nr ? o->nr : 1, sizeof(*o->seq));
	for (c = 0; c < nc; c++)
		o->comp_rank[c] = NOIDX;
	for (r = 0; r < o->nr; r++) {
		c = o->comp[o->by_rank[r]];
		o->comp_size[c]++;
		if (o->comp_rank[c] == NOIDX)
			o->comp_rank[c] = r;
	}
	member_off = xcalloc(nc + 1, sizeof(*member_off));
	for (c = 0; c < nc; c++)
		member_off[c + 1] = member_off[c] + o->comp_size[c];
	members = xcalloc(o->nr ? o->nr : 1, sizeof(*members));
	fill = xcalloc(nc + 1, sizeof(*fill));
	for (r = 0; r < o->nr; r++) {
		i = o->by_rank[r];
		c = o->comp[i];
		members[member_off[c] + fill[c]++] = i;
	}
	for (p = 0; p < o->edges_nr; p++) {
		size_t cu = o->comp[o->edges[p].from];
		size_t cv = o->comp[o->edges[p].to];

		if (cu != cv)
			o->comp_indeg[cv]++;
	}

	h.v = xcalloc(nc + 1, sizeof(*h.v));
	for (c = 0; c < nc; c++) {
		size_t first = members[member_off[c]];

		if (node_class(&o->nodes[first]) != CLASS_NONE &&
		    !o->comp_indeg[c])
			heap_push(&h, c);
	}
	while (h.nr) {
		c = heap_pop(&h);
		for (p = member_off[c]; p < member_off[c + 1]; p++) {
			size_t u = members[p], e;

			o->seq[o->seq_nr++] = u;
			for (e = o->adj_off[u]; e < o->adj_off[u + 1]; e++) {
				size_t cv = o->comp[o->adj[e]];

				if (cv != c && !--o->comp_indeg[cv])
					heap_push(&h, cv);
			}
		}
	}
	/* The components form a DAG: every write got its place. */
	for (i = 0, p = 0; i < o->nr; i++)
		p += node_class(&o->nodes[i]) != CLASS_NONE;
	assert(o->seq_nr == p);
	(void)p;
	free(h.v);
	free(members);
	free(member_off);
	free(fill);
}

/* ------------------------------------------------------------------ */
/* Steps */

static void add_dep(struct order_step *s, size_t dep)
{
	s->deps[s->deps_nr++] = dep;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int cyclic_comp(const struct orderer *o, size_t c)
{
	return o->comp_size[c] > 1;
}

static void build_steps(struct orderer *o, struct order_result *out)
{
	size_t nsteps = 0, i, k, p, *count;
	struct order_step *steps;

	o->main_step = xcalloc(o->nr ? o->nr : 1, sizeof(*o->main_step));
	o->link_step = xcalloc(o->nr ? o->nr : 1, sizeof(*o->link_step));
	for (i = 0; i < o->nr; i++)
		o->main_step[i] = o->link_step[i] = NOIDX;

	/* Creates and updates, link steps, deletes. */
	for (k = 0; k < o->seq_nr; k++) {
		i = o->seq[k];
		if (node_class(&o->nodes[i]) == CLASS_WRITE)
			o->main_step[i] = nsteps++;
	}
	for (k = 0; k < o->seq_nr; k++) {
		i = o->seq[k];
		if (node_class(&o->nodes[i]) == CLASS_WRITE &&
		    cyclic_comp(o, o->comp[i])) {
			assert(o->nodes[i].kind == ORDER_CREATE);
			o->link_step[i] = nsteps++;
		}
	}
	for (k = 0; k < o->seq_nr; k++) {
		i = o->seq[k];
		if (node_class(&o->nodes[i]) == CLASS_DELETE)
			o->main_step[i] = nsteps++;
	}

	steps = xcalloc(nsteps ? nsteps : 1, sizeof(*steps));
	out->steps = steps;
	out->nr = nsteps;
	for (i = 0; i < o->nr; i++) {
		if (o->main_step[i] != NOIDX) {
			steps[o->main_step[i]].node = i;
			steps[o->main_step[i]].phase = ORDER_MAIN;
		}
		if (o->link_step[i] != NOIDX) {
			steps[o->link_step[i]].node = i;
			steps[o->link_step[i]].phase = ORDER_LINK;
		}
	}

	/* Count the dependencies, then fill them in. */
	count = xcalloc(nsteps ? nsteps : 1, sizeof(*count));
	for (p = 0; p < o->edges_nr; p++) {
		size_t u = o->edges[p].from, v = o->edges[p].to;

		if (o->comp[u] != o->comp[v])
			count[o->main_step[v]]++;
		else if (o->link_step[v] != NOIDX)
			count[o->link_step[v]]++;
	}
	for (i = 0; i < o->nr; i++)
		if (o->link_step[i] != NOIDX)
			count[o->link_step[i]]++;
	for (k = 0; k < nsteps; k++)
		if (count[k])
			steps[k].deps = xcalloc(count[k], sizeof(size_t));
	free(count);
	for (p = 0; p < o->edges_nr; p++) {
		size_t u = o->edges[p].from, v = o->edges[p].to;

		if (o->comp[u] != o->comp[v])
			add_dep(&steps[o->main_step[v]], o->main_step[u]);
		else if (o->link_step[v] != NOIDX)
			add_dep(&steps[o->link_step[v]], o->main_step[u]);
	}
	for (i = 0; i < o->nr; i++)
		if (o->link_step[i] != NOIDX)
			add_dep(&steps[o->link_step[i]], o->main_step[i]);
	for (k = 0; k < nsteps; k++) {
		if (steps[k].deps_nr > 1)
			qsort(steps[k].deps, steps[k].deps_nr, sizeof(size_t),
			      cmp_size);
		for (p = 0; p < steps[k].deps_nr; p++)
			assert(steps[k].deps[p] < k);
	}
}

/* ------------------------------------------------------------------ */
/* Blocking */

/* The first path in doc that references key ("properties.hero"). */
static void ref_path(struct buf *out, const json_t *doc, const char *key)
{
	struct strv sv = {0};
	const char **names = NULL;
	size_t nr = 0, i, k;
	json_t *props = json_object_get(doc, "properties");

	add_ref_list(&sv, json_object_get(doc, "mayContainTypes"));
	for (k = 0; k < sv.nr; k++)
		if (!strcmp(sv.v[k], key)) {
			buf_adds(out, "mayContainTypes");
			goto out;
		}
	names = jx_sorted_keys(props, &nr);
	for (i = 0; i < nr; i++) {
		json_t *p = json_object_get(props, names[i]);

		sv.nr = 0;
		add_member_refs(&sv, p);
		for (k = 0; k < sv.nr; k++)
			if (!strcmp(sv.v[k], key)) {
				buf_addf(out, "properties.%s", names[i]);
				goto out;
			}
		sv.nr = 0;
		add_member_refs(&sv, json_object_get(p, "items"));
		for (k = 0; k < sv.nr; k++)
			if (!strcmp(sv.v[k], key)) {
				buf_addf(out, "properties.%s.items", names[i]);
				goto out;
			}
	}
out:
	free(names);
	free(sv.v);
}

/* Why create or update i must not run, or NULL. */
static char *missing_reason(const struct orderer *o, size_t i)
{
	const char *names[ORDER_NAMES_MAX];
	struct buf b = BUF_INIT;
	size_t p, nr = 0, k;

	for (p = o->refs_off[i]; p < o->refs_off[i + 1]; p++) {
		size_t j = o->ref_node[p];

		if (j != NOIDX && (j == i || survives(&o->nodes[j]) ||
				   o->nodes[j].kind == ORDER_DELETE))
			continue;
		if (nr < ORDER_NAMES_MAX)
			names[nr] = o->refs.v[p];
		nr++;
	}
	if (!nr)
		return NULL;
	buf_adds(&b, "references ");
	for (k = 0; k < nr && k < ORDER_NAMES_MAX; k++) {
		if (k && (k + 1 < nr || nr > ORDER_NAMES_MAX))
			buf_adds(&b, ", ");
		else if (k)
			buf_adds(&b, " and ");
		buf_addf(&b, "'%s'", names[k]);
	}
	if (nr > ORDER_NAMES_MAX)
		buf_addf(&b, " and %zu more", nr - ORDER_NAMES_MAX);
	if (nr == 1)
		buf_adds(&b, ", which is not in the target and is not being "
			     "created");
	else
		buf_adds(&b, ", which are not in the target and are not "
			     "being created");
	return buf_detach(&b, NULL);
}

/* Why the delete of each node must not run: survivors referencing it. */
static void still_referenced(const struct orderer *o, char **reason)
{
	size_t *first = xmalloc(st_mult(o->nr ? o->nr : 1, sizeof(size_t)));
	size_t *count = xcalloc(o->nr ? o->nr : 1, sizeof(size_t));
	size_t r, s, p, j;

	for (j = 0; j < o->nr; j++)
		first[j] = NOIDX;
	for (r = 0; r < o->nr; r++) {
		s = o->by_rank[r];
		if (!survives(&o->nodes[s]))
			continue;
		for (p = o->refs_off[s]; p < o->refs_off[s + 1]; p++) {
			j = o->ref_node[p];
			if (j == NOIDX || j == s ||
			    o->nodes[j].kind != ORDER_DELETE)
				continue;
			if (!count[j]++)
				first[j] = s;
		}
	}
	for (j = 0; j < o->nr; j++) {
		struct buf b = BUF_INIT;

		if (!count[j])
			continue;
		s = first[j];
		buf_addf(&b, "still referenced by '%s' (", o->nodes[s].key);
		ref_path(&b, o->nodes[s].doc, o->nodes[j].key);
		buf_addch(&b, ')');
		if (count[j] == 2)
			buf_adds(&b, " and 1 other type");
		else if (count[j] > 2)
			buf_addf(&b, " and %zu other types", count[j] - 1);
		reason[j] = buf_detach(&b, NULL);
	}
	free(first);
	free(count);
}

/* The reason of v when u, which v waits for, is blocked. */
static char *propagated(const struct orderer *o, size_t u, size_t v)
{
	struct buf b = BUF_INIT;
	const struct order_node *nu = &o->nodes[u];

	if (o->nodes[v].kind != ORDER_DELETE)
		buf_addf(&b, "depends on '%s', which is blocked", nu->key);
	else
		buf_addf(&b, "still referenced by '%s', whose %s is blocked",
			 nu->key,
			 nu->kind == ORDER_UPDATE ? "update" : "delete");
	return buf_detach(&b, NULL);
}

static void block_steps(struct orderer *o, struct order_result *out)
{
	char **seed = xcalloc(o->nr ? o->nr : 1, sizeof(*seed));
	size_t *queue = xcalloc(o->nr ? o->nr : 1, sizeof(*queue));
	size_t a, b, k, i;

	for (i = 0; i < o->nr; i++)
		if (node_class(&o->nodes[i]) == CLASS_WRITE)
			seed[i] = missing_reason(o, i);
	still_referenced(o, seed);

	/* Component by component, in step order: seq keeps them together. */
	for (a = 0; a < o->seq_nr; a = b) {
		size_t c = o->comp[o->seq[a]], qh = 0, qt = 0;

		for (b = a; b < o->seq_nr && o->comp[o->seq[b]] == c; b++) {
			struct order_step *s;

			i = o->seq[b];
			s = &out->steps[o->main_step[i]];
			if (seed[i]) {
				s->blocked = seed[i];
				seed[i] = NULL;
			}
			for (k = 0; !s->blocked && k < s->deps_nr; k++) {
				const struct order_step *d =
					&out->steps[s->deps[k]];

				if (d->blocked)
					s->blocked = propagated(o, d->node, i);
			}
			if (s->blocked)
				queue[qt++] = i;
		}
		/* In a cycle, one blocked member blocks them all. */
		while (b - a > 1 && qh < qt) {
			size_t u = queue[qh++], e;

			for (e = o->adj_off[u]; e < o->adj_off[u + 1]; e++) {
				size_t v = o->adj[e];
				struct order_step *s =
					&out->steps[o->main_step[v]];

				if (o->comp[v] != c || s->blocked)
					continue;
				s->blocked = propagated(o, u, v);
				queue[qt++] = v;
			}
		}
	}
	for (i = 0; i < o->nr; i++) {
		const char *r;

		if (o->link_step[i] == NOIDX)
			continue;
		r = out->steps[o->main_step[i]].blocked;
		if (r)
			out->steps[o->link_step[i]].blocked = xstrdup(r);
	}
	for (i = 0; i < o->nr; i++)
		free(seed[i]);
	free(seed);
	free(queue);
}

/* ------------------------------------------------------------------ */
/* Phase 1 */

/* A deep copy of v whose objects have their members in key order. */
static json_t *sorted_copy(const json_t *v)
{
	const char **names;
	json_t *out, *e;
	size_t nr, i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		out = json_object();
		names = jx_sorted_keys(v, &nr);
		for (i = 0; i < nr; i++)
			json_object_set_new(
				out, names[i],
				sorted_copy(json_object_get(v, names[i])));
		free(names);
		return out;
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, e)
		{
			json_array_append_new(out, sorted_copy(e));
		}
		return out;
	default:
		return json_deep_copy(v);
	}
}

/* True when key names another member of node v's cycle. */
static int is_cyclic_key(const struct orderer *o, size_t v, const char *key)
{
	size_t j;

	if (!is_type_key(key))
		return 0;
	j = lookup(o, key);
	return j != NOIDX && j != v && o->comp[j] == o->comp[v];
}

/*
 * Takes the cyclic keys out of list member name of obj. Returns 1 when
 * the list had entries and has none left (it would mean "any").
 */
static int strip_list(const struct orderer *o, size_t v, json_t *obj,
		      const char *name)
{
	json_t *list = json_object_get(obj, name);
	size_t i = 0;

	if (!json_array_size(list))
		return 0;
	while (i < json_array_size(list)) {
		if (is_cyclic_key(o, v,
				  json_string_value(json_array_get(list, i))))
			json_array_remove(list, i);
		else
			i++;
	}
	return !json_array_size(list);
}

/* Strips a property (or its items); returns 1 when it must go. */
static int strip_member(const struct orderer *o, size_t v, json_t *p)
{
	if (!json_is_object(p))
		return 0;
	if (is_cyclic_key(o, v, jx_str(p, "contentType")))
		return 1;
	if (strip_list(o, v, p, "allowedTypes") ||
	    strip_list(o, v, p, "restrictedTypes"))
		return 1;
	return strip_member(o, v, json_object_get(p, "items"));
}

static json_t *phase1_doc(const struct orderer *o, size_t v)
{
	json_t *doc = sorted_copy(o->nodes[v].doc);
	json_t *props = json_object_get(doc, "properties"), *p;
	const char *k;
	void *tmp;

	if (strip_list(o, v, doc, "mayContainTypes"))
		json_object_del(doc, "mayContainTypes");
	json_object_foreach_safe(props, tmp, k, p)
	{
		if (strip_member(o, v, p))
			json_object_del(props, k);
	}
	return doc;
}

/* ------------------------------------------------------------------ */

static void orderer_release(struct orderer *o)
{
	free(o->by_rank);
	free(o->slots);
	free(o->refs.v);
	free(o->refs_off);
	free(o->ref_node);
	free(o->edges);
	free(o->adj);
	free(o->adj_off);
	free(o->comp);
	free(o->comp_size);
	free(o->comp_rank);
	free(o->comp_indeg);
	free(o->seq);
	free(o->main_step);
	free(o->link_step);
}

int order_plan(const struct order_node *nodes, size_t nr,
	       struct order_result *out)
{
	struct orderer o;
	size_t i;
	int ret = -1;

	memset(&o, 0, sizeof(o));
	out->steps = NULL;
	out->nr = 0;
	o.nodes = nodes;
	o.nr = nr;
	if ((ret = build_keymap(&o)) < 0)
		goto out;
	build_ranks(&o);
	collect_all_refs(&o);
	build_edges(&o);
	find_components(&o);
	sort_components(&o);
	build_steps(&o, out);
	block_steps(&o, out);
	for (i = 0; i < nr; i++)
		if (o.link_step[i] != NOIDX && nodes[i].doc)
			out->steps[o.main_step[i]].phase1_doc =
				phase1_doc(&o, i);
	ret = 0;
out:
	orderer_release(&o);
	return ret;
}

void order_result_release(struct order_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr; i++) {
		free(r->steps[i].deps);
		free(r->steps[i].blocked);
		json_decref(r->steps[i].phase1_doc);
	}
	free(r->steps);
	r->steps = NULL;
	r->nr = 0;
}
