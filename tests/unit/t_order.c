/*
 * t_order: the order of a plan's writes: dependencies, cycles in two
 * phases, deletes in reverse, safe deletion, blocking and its propagation,
 * and an invariant check over a large random graph.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "core/order.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

/* JSON written with ' for " to keep the tests readable. */
static json_t *j(const char *text)
{
	char *t = xstrdup(text), *c;
	json_t *v = NULL;

	for (c = t; *c; c++)
		if (*c == '\'')
			*c = '"';
	if (jx_load(&v, t, strlen(t), "test") < 0) {
		diag("%s", err_msg());
		abort();
	}
	free(t);
	return v;
}

#define FIX_MAX 32

struct fix {
	struct order_node nodes[FIX_MAX];
	json_t *docs[FIX_MAX], *remotes[FIX_MAX];
	size_t nr;
	struct order_result res;
};

static void add(struct fix *f, const char *key, enum order_kind kind,
		const char *doc, const char *remote)
{
	size_t i = f->nr++;

	if (i >= FIX_MAX)
		abort();
	f->docs[i] = doc ? j(doc) : NULL;
	f->remotes[i] = remote ? j(remote) : NULL;
	f->nodes[i].key = key;
	f->nodes[i].kind = kind;
	f->nodes[i].doc = f->docs[i];
	f->nodes[i].remote = f->remotes[i];
}

static void fix_release(struct fix *f)
{
	size_t i;

	order_result_release(&f->res);
	for (i = 0; i < f->nr; i++) {
		json_decref(f->docs[i]);
		json_decref(f->remotes[i]);
	}
	memset(f, 0, sizeof(*f));
}

static int run(struct fix *f)
{
	int ret = order_plan(f->nodes, f->nr, &f->res);

	if (ret < 0)
		diag("order_plan: %s", err_msg());
	return ret;
}

/* "C B A A+": each step's key, '+' for a link step. */
static char *order_str(const struct fix *f)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < f->res.nr; i++) {
		const struct order_step *s = &f->res.steps[i];

		if (i)
			buf_addch(&b, ' ');
		buf_adds(&b, f->nodes[s->node].key);
		if (s->phase == ORDER_LINK)
			buf_addch(&b, '+');
	}
	return buf_detach(&b, NULL);
}

static long find(const struct fix *f, const char *key, enum order_phase ph)
{
	size_t i;

	for (i = 0; i < f->res.nr; i++)
		if (!strcmp(f->nodes[f->res.steps[i].node].key, key) &&
		    f->res.steps[i].phase == ph)
			return (long)i;
	return -1;
}

/* "B,C+": the deps of a step, by key. */
static char *deps_str(const struct fix *f, const char *key, enum order_phase ph)
{
	struct buf b = BUF_INIT;
	long s = find(f, key, ph);
	size_t i;

	if (s < 0)
		return xstrdup("(no step)");
	for (i = 0; i < f->res.steps[s].deps_nr; i++) {
		const struct order_step *d =
			&f->res.steps[f->res.steps[s].deps[i]];

		if (i)
			buf_addch(&b, ',');
		buf_adds(&b, f->nodes[d->node].key);
		if (d->phase == ORDER_LINK)
			buf_addch(&b, '+');
	}
	return buf_detach(&b, NULL);
}

static void is_order(const struct fix *f, const char *want, const char *name)
{
	char *got = order_str(f);

	is_str(got, want, "%s: order", name);
	free(got);
}

static void is_deps(const struct fix *f, const char *key, enum order_phase ph,
		    const char *want, const char *name)
{
	char *got = deps_str(f, key, ph);

	is_str(got, want, "%s: deps of %s%s", name, key,
	       ph == ORDER_LINK ? " (link)" : "");
	free(got);
}

static const char *blocked(const struct fix *f, const char *key,
			   enum order_phase ph)
{
	long s = find(f, key, ph);

	return s < 0 ? "(no step)" : f->res.steps[s].blocked;
}

static void is_json(const json_t *got, const char *want_text, const char *name)
{
	json_t *want = j(want_text);
	char *g = got ? json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	if (!ok(got && json_equal(got, want), "%s", name)) {
		diag("got:  %s", g ? g : "(null)");
		diag("want: %s", want_text);
	}
	free(g);
	json_decref(want);
}

static const json_t *phase1(const struct fix *f, const char *key)
{
	long s = find(f, key, ORDER_MAIN);

	return s < 0 ? NULL : f->res.steps[s].phase1_doc;
}

static size_t nr_blocked(const struct fix *f)
{
	size_t i, n = 0;

	for (i = 0; i < f->res.nr; i++)
		n += f->res.steps[i].blocked != NULL;
	return n;
}

/* ------------------------------------------------------------------ */

static void test_chain(void)
{
	struct fix f = {0};

	add(&f, "A", ORDER_CREATE,
	    "{'key':'A','properties':{'b':{'type':'component',"
	    "'contentType':'B'}}}",
	    NULL);
	add(&f, "B", ORDER_CREATE,
	    "{'key':'B','baseType':'_component','properties':{'c':{"
	    "'type':'contentReference','allowedTypes':['C']}}}",
	    NULL);
	add(&f, "C", ORDER_CREATE, "{'key':'C','baseType':'_component'}", NULL);
	is_int(run(&f), 0, "chain: ordered");
	is_order(&f, "C B A", "chain");
	is_deps(&f, "C", ORDER_MAIN, "", "chain");
	is_deps(&f, "B", ORDER_MAIN, "C", "chain");
	is_deps(&f, "A", ORDER_MAIN, "B", "chain");
	is_int(nr_blocked(&f), 0, "chain: nothing blocked");
	ok(!phase1(&f, "A") && !phase1(&f, "B"), "chain: no phase-1 docs");
	fix_release(&f);
}

static void test_diamond(void)
{
	struct fix f = {0};

	add(&f, "Top", ORDER_CREATE,
	    "{'key':'Top','mayContainTypes':['Left','Right','*']}", NULL);
	add(&f, "Right", ORDER_CREATE,
	    "{'key':'Right','properties':{'x':{'type':'array','items':{"
	    "'type':'contentReference','allowedTypes':['Bottom']}}}}",
	    NULL);
	add(&f, "Left", ORDER_CREATE,
	    "{'key':'Left','properties':{'x':{'type':'content',"
	    "'restrictedTypes':['Bottom']}}}",
	    NULL);
	add(&f, "Bottom", ORDER_CREATE, "{'key':'Bottom'}", NULL);
	is_int(run(&f), 0, "diamond: ordered");
	is_order(&f, "Bottom Left Right Top", "diamond");
	is_deps(&f, "Top", ORDER_MAIN, "Left,Right", "diamond");
	is_deps(&f, "Left", ORDER_MAIN, "Bottom", "diamond");
	is_deps(&f, "Right", ORDER_MAIN, "Bottom", "diamond");
	fix_release(&f);
}

static void test_independent(void)
{
	struct fix f = {0};

	add(&f, "Zeta", ORDER_CREATE, "{'key':'Zeta'}", NULL);
	add(&f, "Mu", ORDER_UPDATE, "{'key':'Mu'}", "{'key':'Mu'}");
	add(&f, "Alpha", ORDER_CREATE, "{'key':'Alpha'}", NULL);
	add(&f, "Kept", ORDER_NONE, "{'key':'Kept'}", NULL);
	add(&f, "Beta", ORDER_UPDATE, "{'key':'Beta'}", NULL);
	add(&f, "Gone", ORDER_DELETE, "{'key':'Gone'}", NULL);
	add(&f, "Away", ORDER_DELETE, "{'key':'Away'}", NULL);
	is_int(run(&f), 0, "independent: ordered");
	is_order(&f, "Alpha Beta Mu Zeta Away Gone", "independent (by key)");
	is_int(f.res.nr, 6, "independent: no step for a NONE type");
	fix_release(&f);

	is_int(order_plan(NULL, 0, &f.res), 0, "no nodes: ordered");
	is_int(f.res.nr, 0, "no nodes: no steps");
	order_result_release(&f.res);
}

static void test_two_cycle(void)
{
	struct fix f = {0};

	add(&f, "Page", ORDER_CREATE,
	    "{'key':'Page','baseType':'_page',"
	    "'mayContainTypes':['Card','*'],"
	    "'properties':{"
	    "'card':{'type':'component','contentType':'Card'},"
	    "'cards':{'type':'array','items':{'type':'component',"
	    "'contentType':'Card'}},"
	    "'links':{'type':'contentReference',"
	    "'allowedTypes':['Card','_image']},"
	    "'title':{'type':'string','maxLength':10}}}",
	    NULL);
	add(&f, "Card", ORDER_CREATE,
	    "{'key':'Card','baseType':'_component',"
	    "'mayContainTypes':['Page'],"
	    "'properties':{"
	    "'back':{'type':'contentReference','allowedTypes':['Page']},"
	    "'not':{'type':'content','restrictedTypes':['Page','Card']},"
	    "'self':{'type':'contentReference','allowedTypes':['Card']}}}",
	    NULL);
	add(&f, "Reader", ORDER_CREATE,
	    "{'key':'Reader','properties':{'p':{'type':'contentReference',"
	    "'allowedTypes':['Page']}}}",
	    NULL);
	add(&f, "Base", ORDER_CREATE, "{'key':'Base','baseType':'_component'}",
	    NULL);
	is_int(run(&f), 0, "2-cycle: ordered");
	is_order(&f, "Base Card Page Reader Card+ Page+", "2-cycle");
	is_json(phase1(&f, "Page"),
		"{'key':'Page','baseType':'_page','mayContainTypes':['*'],"
		"'properties':{'links':{'type':'contentReference',"
		"'allowedTypes':['_image']},"
		"'title':{'type':'string','maxLength':10}}}",
		"2-cycle: Page's phase 1 drops component properties on Card, "
		"Card from lists and mayContainTypes");
	is_json(phase1(&f, "Card"),
		"{'key':'Card','baseType':'_component','properties':{"
		"'not':{'type':'content','restrictedTypes':['Card']},"
		"'self':{'type':'contentReference','allowedTypes':['Card']}}}",
		"2-cycle: Card's phase 1 drops emptied lists with their "
		"property, an emptied mayContainTypes, keeps itself");
	ok(phase1(&f, "Page") != f.docs[0], "2-cycle: phase 1 is a new doc");
	ok(json_object_get(json_object_get(f.docs[0], "properties"), "card"),
	   "2-cycle: the node's own doc is left alone");
	ok(!phase1(&f, "Reader") && !phase1(&f, "Base"),
	   "2-cycle: no phase-1 doc outside the cycle");
	is_deps(&f, "Card", ORDER_MAIN, "", "2-cycle");
	is_deps(&f, "Page", ORDER_MAIN, "", "2-cycle");
	is_deps(&f, "Card", ORDER_LINK, "Card,Page", "2-cycle");
	is_deps(&f, "Page", ORDER_LINK, "Card,Page", "2-cycle");
	is_deps(&f, "Reader", ORDER_MAIN, "Page", "2-cycle");
	ok(find(&f, "Card", ORDER_LINK) > find(&f, "Page", ORDER_MAIN) &&
		   find(&f, "Page", ORDER_LINK) > find(&f, "Card", ORDER_MAIN),
	   "2-cycle: link steps after every create of the cycle");
	ok(find(&f, "Reader", ORDER_LINK) < 0, "2-cycle: no link for Reader");
	is_int(nr_blocked(&f), 0, "2-cycle: nothing blocked");
	fix_release(&f);
}

static void test_three_cycle(void)
{
	struct fix f = {0};

	add(&f, "Other", ORDER_NONE, "{'key':'Other'}", NULL);
	add(&f, "A", ORDER_CREATE,
	    "{'key':'A','properties':{"
	    "'b':{'type':'contentReference','allowedTypes':['B','Other']},"
	    "'c':{'type':'contentReference','allowedTypes':['Other'],"
	    "'restrictedTypes':['C']}}}",
	    NULL);
	add(&f, "B", ORDER_CREATE,
	    "{'key':'B','properties':{'cs':{'type':'array','items':{"
	    "'type':'contentReference','allowedTypes':['C']}},"
	    "'x':{'type':'string'}}}",
	    NULL);
	add(&f, "C", ORDER_CREATE,
	    "{'key':'C','mayContainTypes':['A'],'properties':{'o':{"
	    "'type':'content','contentType':'Other'}}}",
	    NULL);
	add(&f, "D", ORDER_UPDATE, "{'key':'D','mayContainTypes':['B']}",
	    "{'key':'D'}");
	is_int(run(&f), 0, "3-cycle: ordered");
	is_order(&f, "A B C D A+ B+ C+", "3-cycle");
	is_json(phase1(&f, "A"),
		"{'key':'A','properties':{"
		"'b':{'type':'contentReference','allowedTypes':['Other']}}}",
		"3-cycle: A keeps Other, loses the emptied restrictedTypes' "
		"property");
	is_json(phase1(&f, "B"),
		"{'key':'B','properties':{'x':{'type':'string'}}}",
		"3-cycle: B loses the array whose items' list emptied");
	is_json(phase1(&f, "C"),
		"{'key':'C','properties':{'o':{'type':'content',"
		"'contentType':'Other'}}}",
		"3-cycle: C loses mayContainTypes");
	is_deps(&f, "A", ORDER_LINK, "A,B,C", "3-cycle");
	is_deps(&f, "B", ORDER_LINK, "B,C", "3-cycle");
	is_deps(&f, "C", ORDER_LINK, "A,C", "3-cycle");
	is_deps(&f, "D", ORDER_MAIN, "B", "3-cycle: the update waits for B");
	fix_release(&f);
}

static void test_self_reference(void)
{
	struct fix f = {0};

	add(&f, "Article", ORDER_CREATE,
	    "{'key':'Article','mayContainTypes':['Article'],'properties':{"
	    "'related':{'type':'contentReference',"
	    "'allowedTypes':['Article']}}}",
	    NULL);
	is_int(run(&f), 0, "self-reference: ordered");
	is_order(&f, "Article", "self-reference: one step, not split");
	ok(!phase1(&f, "Article"), "self-reference: no phase-1 doc");
	ok(!blocked(&f, "Article", ORDER_MAIN), "self-reference: not blocked");
	fix_release(&f);
}

static void test_updates(void)
{
	struct fix f = {0};

	add(&f, "Art", ORDER_UPDATE,
	    "{'key':'Art','properties':{'h':{'type':'component',"
	    "'contentType':'Hero'},'a':{'type':'contentReference',"
	    "'allowedTypes':['Author']}}}",
	    "{'key':'Art'}");
	add(&f, "Hero", ORDER_CREATE, "{'key':'Hero','baseType':'_component'}",
	    NULL);
	add(&f, "Author", ORDER_NONE, "{'key':'Author'}", NULL);
	add(&f, "Aaa", ORDER_UPDATE, "{'key':'Aaa'}", "{'key':'Aaa'}");
	is_int(run(&f), 0, "updates: ordered");
	is_order(&f, "Aaa Hero Art", "updates: after the creates they need");
	is_deps(&f, "Art", ORDER_MAIN, "Hero",
		"updates: existing types are no dependency");
	fix_release(&f);
}

static void test_deletes(void)
{
	struct fix f = {0};
	const char *r;

	/* Old1 -> Old2 -> Old3, all deleted: dependents first. */
	add(&f, "Old3", ORDER_DELETE, "{'key':'Old3'}", NULL);
	add(&f, "Old1", ORDER_DELETE,
	    "{'key':'Old1','mayContainTypes':['Old2']}", NULL);
	add(&f, "Old2", ORDER_DELETE,
	    "{'key':'Old2','properties':{'x':{'type':'contentReference',"
	    "'allowedTypes':['Old3']}}}",
	    NULL);
	/* Kept (NONE) still references Used: blocked. */
	add(&f, "Used", ORDER_DELETE, "{'key':'Used'}", NULL);
	add(&f, "Kept", ORDER_NONE,
	    "{'key':'Kept','properties':{'u':{'type':'array','items':{"
	    "'type':'contentReference','allowedTypes':['Used']}}}}",
	    NULL);
	/* Behind deleted Behind2, which references Used (blocked). */
	add(&f, "Behind", ORDER_DELETE, "{'key':'Behind'}", NULL);
	add(&f, "Behind2", ORDER_DELETE,
	    "{'key':'Behind2','mayContainTypes':['Behind','Used']}", NULL);
	/* An update that keeps the reference, one that takes it away. */
	add(&f, "Hero", ORDER_DELETE, "{'key':'Hero'}", NULL);
	add(&f, "Article", ORDER_UPDATE,
	    "{'key':'Article','properties':{'hero':{'type':'component',"
	    "'contentType':'Hero'}}}",
	    "{'key':'Article','properties':{'hero':{'type':'component',"
	    "'contentType':'Hero'}}}");
	add(&f, "Tag", ORDER_DELETE, "{'key':'Tag'}", NULL);
	add(&f, "Post", ORDER_UPDATE, "{'key':'Post'}",
	    "{'key':'Post','properties':{'t':{'type':'contentReference',"
	    "'allowedTypes':['Tag']}}}");
	/* Four survivors reference Many. */
	add(&f, "Many", ORDER_DELETE, "{'key':'Many'}", NULL);
	add(&f, "M1", ORDER_NONE, "{'key':'M1','mayContainTypes':['Many']}",
	    NULL);
	add(&f, "M2", ORDER_NONE, "{'key':'M2','mayContainTypes':['Many']}",
	    NULL);
	add(&f, "M3", ORDER_CREATE, "{'key':'M3','mayContainTypes':['Many']}",
	    NULL);
	/* A delete cycle: no deps inside it, and no blocking. */
	add(&f, "Cy1", ORDER_DELETE, "{'key':'Cy1','mayContainTypes':['Cy2']}",
	    NULL);
	add(&f, "Cy2", ORDER_DELETE, "{'key':'Cy2','mayContainTypes':['Cy1']}",
	    NULL);
	/* NONE without a doc does not exist: it references nothing. */
	add(&f, "Ghost", ORDER_NONE, NULL, NULL);
	is_int(run(&f), 0, "deletes: ordered");
	is_order(&f,
		 "Article M3 Post Behind2 Behind Cy1 Cy2 Hero Many Old1 "
		 "Old2 Old3 Tag Used",
		 "deletes: last, dependents first");
	is_deps(&f, "Old2", ORDER_MAIN, "Old1", "deletes");
	is_deps(&f, "Old3", ORDER_MAIN, "Old2", "deletes");
	is_deps(&f, "Cy1", ORDER_MAIN, "", "deletes: cycle");
	is_deps(&f, "Cy2", ORDER_MAIN, "", "deletes: cycle");
	ok(!blocked(&f, "Cy1", ORDER_MAIN) && !blocked(&f, "Cy2", ORDER_MAIN),
	   "deletes: a cycle of deleted types is not blocked");
	ok(!blocked(&f, "Old1", ORDER_MAIN) && !blocked(&f, "Old3", ORDER_MAIN),
	   "deletes: the chain is not blocked");
	is_str(blocked(&f, "Used", ORDER_MAIN),
	       "still referenced by 'Kept' (properties.u.items)",
	       "deletes: blocked by a surviving NONE type");
	is_str(blocked(&f, "Behind2", ORDER_MAIN), NULL,
	       "deletes: Behind2 itself is free to go");
	is_str(blocked(&f, "Hero", ORDER_MAIN),
	       "still referenced by 'Article' (properties.hero)",
	       "deletes: blocked by an update that keeps the reference");
	is_str(blocked(&f, "Tag", ORDER_MAIN), NULL,
	       "deletes: not blocked when the update takes the reference away");
	is_deps(&f, "Tag", ORDER_MAIN, "Post",
		"deletes: the delete waits for that update");
	r = blocked(&f, "Many", ORDER_MAIN);
	is_str(r,
	       "still referenced by 'M1' (mayContainTypes) and 2 other types",
	       "deletes: several referrers are counted");
	is_int(nr_blocked(&f), 3, "deletes: three blocked");
	fix_release(&f);

	/* A blocked delete keeps what it references. */
	add(&f, "Used", ORDER_DELETE, "{'key':'Used'}", NULL);
	add(&f, "Kept", ORDER_NONE, "{'key':'Kept','mayContainTypes':['Used']}",
	    NULL);
	add(&f, "Mid", ORDER_DELETE, "{'key':'Mid'}", NULL);
	add(&f, "Used2", ORDER_DELETE,
	    "{'key':'Used2','mayContainTypes':['Mid']}", NULL);
	add(&f, "Kept2", ORDER_UPDATE,
	    "{'key':'Kept2','mayContainTypes':['Used2']}", "{'key':'Kept2'}");
	add(&f, "Low", ORDER_DELETE, "{'key':'Low'}", NULL);
	add(&f, "Up", ORDER_UPDATE,
	    "{'key':'Up','properties':{'n':{'type':'component',"
	    "'contentType':'Nowhere'}}}",
	    "{'key':'Up','mayContainTypes':['Low']}");
	is_int(run(&f), 0, "propagation of deletes: ordered");
	is_str(blocked(&f, "Mid", ORDER_MAIN),
	       "still referenced by 'Used2', whose delete is blocked",
	       "deletes: blocked behind a blocked delete");
	is_str(blocked(&f, "Used2", ORDER_MAIN),
	       "still referenced by 'Kept2' (mayContainTypes)",
	       "deletes: blocked by an update that adds the reference");
	is_str(blocked(&f, "Low", ORDER_MAIN),
	       "still referenced by 'Up', whose update is blocked",
	       "deletes: blocked when the update that frees it is");
	fix_release(&f);
}

static void test_missing(void)
{
	struct fix f = {0};

	add(&f, "Art", ORDER_CREATE,
	    "{'key':'Art','properties':{'h':{'type':'component',"
	    "'contentType':'Hero'}}}",
	    NULL);
	add(&f, "Page", ORDER_UPDATE,
	    "{'key':'Page','mayContainTypes':['Art','_page','*']}",
	    "{'key':'Page'}");
	add(&f, "Ok", ORDER_CREATE, "{'key':'Ok','mayContainTypes':['Page']}",
	    NULL);
	add(&f, "Ghost", ORDER_NONE, NULL, NULL);
	add(&f, "Haunted", ORDER_UPDATE,
	    "{'key':'Haunted','mayContainTypes':['Ghost','X1','X2']}",
	    "{'key':'Haunted'}");
	add(&f, "Many", ORDER_CREATE,
	    "{'key':'Many','mayContainTypes':['X1','X2','X3','X4','X5']}",
	    NULL);
	add(&f, "Cyc1", ORDER_CREATE,
	    "{'key':'Cyc1','mayContainTypes':['Cyc2','Lost']}", NULL);
	add(&f, "Cyc2", ORDER_CREATE,
	    "{'key':'Cyc2','mayContainTypes':['Cyc3']}", NULL);
	add(&f, "Cyc3", ORDER_CREATE,
	    "{'key':'Cyc3','mayContainTypes':['Cyc1']}", NULL);
	add(&f, "Old", ORDER_DELETE, "{'key':'Old'}", NULL);
	add(&f, "UsesOld", ORDER_CREATE,
	    "{'key':'UsesOld','mayContainTypes':['Old']}", NULL);
	is_int(run(&f), 0, "missing: ordered");
	is_str(blocked(&f, "Art", ORDER_MAIN),
	       "references 'Hero', which is not in the target and is not "
	       "being created",
	       "missing: blocked");
	is_str(blocked(&f, "Page", ORDER_MAIN),
	       "depends on 'Art', which is blocked",
	       "missing: an update behind it is blocked");
	is_str(blocked(&f, "Ok", ORDER_MAIN), NULL,
	       "missing: a reference to a blocked update is fine (it exists)");
	is_str(blocked(&f, "Haunted", ORDER_MAIN),
	       "references 'Ghost', 'X1' and 'X2', which are not in the "
	       "target and are not being created",
	       "missing: a NONE type without a doc does not exist");
	is_str(blocked(&f, "Many", ORDER_MAIN),
	       "references 'X1', 'X2', 'X3' and 2 more, which are not in "
	       "the target and are not being created",
	       "missing: at most three named");
	is_str(blocked(&f, "Cyc1", ORDER_MAIN),
	       "references 'Lost', which is not in the target and is not "
	       "being created",
	       "missing: in a cycle");
	is_str(blocked(&f, "Cyc2", ORDER_MAIN),
	       "depends on 'Cyc3', which is blocked",
	       "missing: the whole cycle is blocked (Cyc2)");
	is_str(blocked(&f, "Cyc3", ORDER_MAIN),
	       "depends on 'Cyc1', which is blocked",
	       "missing: the whole cycle is blocked (Cyc3)");
	is_str(blocked(&f, "Cyc2", ORDER_LINK),
	       "depends on 'Cyc3', which is blocked",
	       "missing: link steps share the reason");
	is_str(blocked(&f, "UsesOld", ORDER_MAIN), NULL,
	       "missing: a type being deleted is still there");
	is_str(blocked(&f, "Old", ORDER_MAIN),
	       "still referenced by 'UsesOld' (mayContainTypes)",
	       "missing: and its delete is blocked instead");
	fix_release(&f);
}

static void test_twice(void)
{
	struct fix f = {0};

	add(&f, "A", ORDER_CREATE, "{'key':'A'}", NULL);
	add(&f, "B", ORDER_NONE, "{'key':'B'}", NULL);
	add(&f, "A", ORDER_DELETE, "{'key':'A'}", NULL);
	is_int(order_plan(f.nodes, f.nr, &f.res), ERR_INVALID,
	       "a key given twice: ERR_INVALID");
	is_str(err_msg(), "content type 'A' is given twice",
	       "a key given twice: the message");
	ok(!f.res.steps && !f.res.nr, "a key given twice: no steps");
	err_clear();
	fix_release(&f);
}

static void test_refs(void)
{
	json_t *doc =
		j("{'key':'Art','mayContainTypes':['Zed','*','_page','Art'],"
		  "'properties':{"
		  "'a':{'type':'array','items':{'type':'contentReference',"
		  "'allowedTypes':['Img','_image'],'restrictedTypes':['Bad']}},"
		  "'b':{'type':'array','items':{'type':'component',"
		  "'contentType':'Block'}},"
		  "'c':{'type':'component','contentType':'Block'},"
		  "'d':{'type':'content','contentType':'_image'},"
		  "'e':{'type':'contentReference','allowedTypes':['*','Img'],"
		  "'restrictedTypes':['Zed']},"
		  "'f':{'type':'string'}}}");
	json_t *refs = order_refs(doc), *none = order_refs(NULL);

	is_json(refs, "['Art','Bad','Block','Img','Zed']",
		"order_refs: nested items, sorted, unique, no base types");
	is_json(none, "[]", "order_refs: NULL has none");
	json_decref(refs);
	json_decref(none);
	json_decref(doc);
}

/* ------------------------------------------------------------------ */
/* A random graph, checked against the invariants directly. */

static uint64_t rng_state;

static size_t rnd(size_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (size_t)((rng_state >> 33) % n);
}

#define BIG 2000
#define NOIDX_T ((size_t)-1)

struct big {
	struct order_node nodes[BIG];
	char keys[BIG][16];
	json_t *docs[BIG], *remotes[BIG];
	json_t *refs[BIG]; /* order_refs of docs */
	long main_step[BIG], link_step[BIG];
	size_t nr;
};

static void add_random_ref(json_t *doc, const char *target)
{
	json_t *props = json_object_get(doc, "properties");
	json_t *p;
	char name[32];
	const char *where[] = {"allowedTypes", "restrictedTypes",
			       "mayContainTypes"};
	size_t w = rnd(5);

	snprintf(name, sizeof(name), "p%zu", json_object_size(props));
	if (w == 3) {
		p = json_pack("{s:s, s:s}", "type", "component", "contentType",
			      target);
	} else if (w == 4) {
		p = json_pack("{s:s, s:{s:s, s:[s, s]}}", "type", "array",
			      "items", "type", "contentReference",
			      "allowedTypes", target, "_image");
	} else if (w == 2) {
		json_t *m = json_object_get(doc, "mayContainTypes");

		if (!m) {
			m = json_array();
			json_object_set_new(doc, "mayContainTypes", m);
		}
		json_array_append_new(m, json_string(target));
		return;
	} else {
		p = json_pack("{s:s, s:[s]}", "type", "contentReference",
			      where[w], target);
	}
	json_object_set_new(props, name, p);
}

static const char *random_target(struct big *b)
{
	static char missing[16];

	if (!rnd(400)) {
		snprintf(missing, sizeof(missing), "Missing%zu", rnd(10));
		return missing;
	}
	return b->keys[rnd(b->nr)];
}

static void big_build(struct big *b)
{
	size_t i, k, n;

	b->nr = BIG;
	for (i = 0; i < BIG; i++)
		snprintf(b->keys[i], sizeof(b->keys[i]), "T%04zu",
			 (i * 7919) % BIG);
	for (i = 0; i < BIG; i++) {
		size_t r = rnd(100);
		enum order_kind kind = r < 40	? ORDER_CREATE
				       : r < 60 ? ORDER_UPDATE
				       : r < 80 ? ORDER_DELETE
						: ORDER_NONE;
		b->nodes[i].key = b->keys[i];
		b->nodes[i].kind = kind;
		b->docs[i] = b->remotes[i] = NULL;
		if (kind == ORDER_NONE && !rnd(4))
			continue;
		b->docs[i] = json_pack("{s:s, s:{}}", "key", b->keys[i],
				       "properties");
		n = rnd(3);
		for (k = 0; k < n; k++)
			add_random_ref(b->docs[i], random_target(b));
		if (kind == ORDER_UPDATE && rnd(2)) {
			b->remotes[i] = json_pack("{s:s, s:{}}", "key",
						  b->keys[i], "properties");
			n = rnd(3);
			for (k = 0; k < n; k++)
				add_random_ref(b->remotes[i],
					       b->keys[rnd(b->nr)]);
		}
	}
	/* Random cycles among creates (and some through deletes). */
	for (k = 0; k < 60; k++) {
		size_t len = 2 + rnd(5), first = NOIDX_T, prev = NOIDX_T, c;
		enum order_kind want = k % 4 ? ORDER_CREATE : ORDER_DELETE;

		for (c = 0; c < len; c++) {
			size_t tries = 0;

			do
				i = rnd(b->nr);
			while ((b->nodes[i].kind != want || !b->docs[i]) &&
			       ++tries < 1000);
			if (tries == 1000)
				break;
			if (prev != NOIDX_T)
				add_random_ref(b->docs[prev], b->keys[i]);
			else
				first = i;
			prev = i;
		}
		if (first != NOIDX_T && prev != first)
			add_random_ref(b->docs[prev], b->keys[first]);
	}
	for (i = 0; i < BIG; i++) {
		b->nodes[i].doc = b->docs[i];
		b->nodes[i].remote = b->remotes[i];
		b->refs[i] = order_refs(b->docs[i]);
	}
}

static size_t big_index(json_t *map, const char *key)
{
	json_t *v = json_object_get(map, key);

	return v ? (size_t)json_integer_value(v) : NOIDX_T;
}

static int survivor(const struct order_node *n)
{
	return n->kind == ORDER_CREATE || n->kind == ORDER_UPDATE ||
	       (n->kind == ORDER_NONE && n->doc);
}

static int in_array(const json_t *arr, const char *s)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
	{
		if (!strcmp(json_string_value(e), s))
			return 1;
	}
	return 0;
}

/* Marks in seen[] (== stamp) every step that s waits for, transitively. */
static void closure(const struct order_result *res, size_t s, unsigned *seen,
		    unsigned stamp, size_t *stack)
{
	size_t sp = 0, k;

	stack[sp++] = s;
	while (sp) {
		size_t t = stack[--sp];

		for (k = 0; k < res->steps[t].deps_nr; k++) {
			size_t d = res->steps[t].deps[k];

			if (seen[d] != stamp) {
				seen[d] = stamp;
				stack[sp++] = d;
			}
		}
	}
}

/* True when deleted node from reaches deleted node to by references. */
static int delete_reaches(struct big *b, json_t *map, size_t from, size_t to)
{
	char *seen = xcalloc(b->nr, 1);
	size_t *stack = xcalloc(b->nr, sizeof(size_t)), sp = 0, k;
	int found = 0;

	stack[sp++] = from;
	seen[from] = 1;
	while (sp && !found) {
		size_t u = stack[--sp];
		json_t *e;

		json_array_foreach(b->refs[u], k, e)
		{
			size_t v = big_index(map, json_string_value(e));

			if (v == NOIDX_T || b->nodes[v].kind != ORDER_DELETE ||
			    seen[v])
				continue;
			if (v == to)
				found = 1;
			seen[v] = 1;
			stack[sp++] = v;
		}
	}
	free(seen);
	free(stack);
	return found;
}

#define VIOLATION(...)                                                         \
	do {                                                                   \
		if (bad++ < 5)                                                 \
			diag(__VA_ARGS__);                                     \
	} while (0)

static void big_check(struct big *b, const struct order_result *res)
{
	json_t *map = json_object();
	unsigned *seen = xcalloc(res->nr + 1, sizeof(unsigned));
	size_t *stack = xcalloc(res->nr + 1, sizeof(size_t));
	size_t i, s, k, last_class = 0, nr_blocked = 0, nr_links = 0;
	unsigned stamp = 0;
	int bad;

	for (i = 0; i < b->nr; i++) {
		json_object_set_new(map, b->keys[i], json_integer((long)i));
		b->main_step[i] = b->link_step[i] = -1;
	}

	/* One main step per write, links for creates only, in classes. */
	bad = 0;
	for (s = 0; s < res->nr; s++) {
		const struct order_step *st = &res->steps[s];
		const struct order_node *n = &b->nodes[st->node];
		size_t cls = st->phase == ORDER_LINK   ? 1
			     : n->kind == ORDER_DELETE ? 2
						       : 0;

		if (cls < last_class)
			VIOLATION("step %zu (%s) out of its class", s, n->key);
		last_class = cls;
		if (n->kind == ORDER_NONE)
			VIOLATION("step %zu for a NONE type", s);
		if (st->phase == ORDER_LINK) {
			nr_links++;
			if (n->kind != ORDER_CREATE ||
			    b->link_step[st->node] >= 0)
				VIOLATION("bad link step %zu", s);
			b->link_step[st->node] = (long)s;
		} else {
			if (b->main_step[st->node] >= 0)
				VIOLATION("two main steps for %s", n->key);
			b->main_step[st->node] = (long)s;
		}
		nr_blocked += st->blocked != NULL;
	}
	for (i = 0; i < b->nr; i++) {
		if ((b->nodes[i].kind != ORDER_NONE) != (b->main_step[i] >= 0))
			VIOLATION("%s has no main step", b->keys[i]);
		if (b->link_step[i] >= 0 &&
		    !res->steps[b->main_step[i]].phase1_doc)
			VIOLATION("%s has a link but no phase-1 doc",
				  b->keys[i]);
		if (b->link_step[i] < 0 && b->main_step[i] >= 0 &&
		    res->steps[b->main_step[i]].phase1_doc)
			VIOLATION("%s has a phase-1 doc but no link",
				  b->keys[i]);
	}
	ok(!bad,
	   "big: one main step per write, links for cyclic creates, "
	   "in order (%zu steps, %zu links, %zu blocked)",
	   res->nr, nr_links, nr_blocked);

	/* Deps come earlier; blocked deps block. */
	bad = 0;
	for (s = 0; s < res->nr; s++) {
		const struct order_step *st = &res->steps[s];

		for (k = 0; k < st->deps_nr; k++) {
			if (st->deps[k] >= s)
				VIOLATION("step %zu depends on %zu", s,
					  st->deps[k]);
			if (k && st->deps[k] <= st->deps[k - 1])
				VIOLATION("step %zu: deps not sorted", s);
			if (res->steps[st->deps[k]].blocked && !st->blocked)
				VIOLATION("step %zu waits for a blocked step",
					  s);
		}
		if (st->blocked && !*st->blocked)
			VIOLATION("step %zu: empty reason", s);
	}
	ok(!bad, "big: every step's deps come earlier, blocking propagates");

	/* References of creates and updates. */
	bad = 0;
	for (s = 0; s < res->nr; s++) {
		const struct order_step *st = &res->steps[s];
		const struct order_node *n = &b->nodes[st->node];
		const json_t *doc;
		json_t *refs, *e;
		int missing = 0;

		if (n->kind != ORDER_CREATE && n->kind != ORDER_UPDATE)
			continue;
		doc = st->phase == ORDER_MAIN && st->phase1_doc ? st->phase1_doc
								: n->doc;
		refs = order_refs(doc);
		stamp++;
		closure(res, s, seen, stamp, stack);
		json_array_foreach(b->refs[st->node], k, e)
		{
			size_t t = big_index(map, json_string_value(e));

			if (t == NOIDX_T || (b->nodes[t].kind == ORDER_NONE &&
					     !b->nodes[t].doc))
				missing = 1;
		}
		if (missing && !st->blocked)
			VIOLATION("%s references a missing key, not blocked",
				  n->key);
		json_array_foreach(refs, k, e)
		{
			const char *r = json_string_value(e);
			size_t t = big_index(map, r);
			const struct order_node *tn;

			if (t == st->node)
				continue;
			if (t == NOIDX_T)
				continue; /* checked above */
			tn = &b->nodes[t];
			if (st->phase == ORDER_MAIN && st->phase1_doc &&
			    tn->kind == ORDER_CREATE &&
			    b->main_step[t] > (long)s)
				VIOLATION("phase-1 doc of %s references %s, "
					  "created later",
					  n->key, r);
			if (st->blocked)
				continue;
			if (tn->kind == ORDER_UPDATE ||
			    (tn->kind == ORDER_NONE && tn->doc))
				continue;
			if (tn->kind == ORDER_DELETE &&
			    res->steps[b->main_step[t]].blocked)
				continue;
			if (tn->kind == ORDER_CREATE &&
			    seen[b->main_step[t]] == stamp &&
			    !res->steps[b->main_step[t]].blocked)
				continue;
			VIOLATION("%s%s references %s, which is not there",
				  n->key, st->phase == ORDER_LINK ? "+" : "",
				  r);
		}
		json_decref(refs);
	}
	ok(!bad, "big: every reference of a write that runs is to a survivor "
		 "or to a create it waits for; phase-1 docs reference no "
		 "later create");

	/* Deletes. */
	bad = 0;
	for (s = 0; s < res->nr; s++) {
		const struct order_step *st = &res->steps[s];
		size_t d = st->node;

		if (b->nodes[d].kind != ORDER_DELETE || st->blocked)
			continue;
		stamp++;
		closure(res, s, seen, stamp, stack);
		for (i = 0; i < b->nr; i++) {
			const struct order_node *n = &b->nodes[i];

			if (i == d)
				continue;
			if (survivor(n) && in_array(b->refs[i], b->keys[d]))
				VIOLATION("%s deleted, %s references it",
					  b->keys[d], n->key);
			if (n->kind == ORDER_DELETE &&
			    in_array(b->refs[i], b->keys[d])) {
				const struct order_step *o =
					&res->steps[b->main_step[i]];

				if (o->blocked)
					VIOLATION("%s deleted, kept %s "
						  "references it",
						  b->keys[d], n->key);
				else if (seen[b->main_step[i]] != stamp &&
					 !delete_reaches(b, map, d, i))
					VIOLATION("%s deleted before %s",
						  b->keys[d], n->key);
			}
			if (n->kind == ORDER_UPDATE && n->remote) {
				json_t *old = order_refs(n->remote);

				if (in_array(old, b->keys[d]) &&
				    (seen[b->main_step[i]] != stamp ||
				     res->steps[b->main_step[i]].blocked))
					VIOLATION("%s deleted before the "
						  "update of %s",
						  b->keys[d], n->key);
				json_decref(old);
			}
		}
	}
	ok(!bad, "big: no delete that runs leaves a reference behind");

	free(seen);
	free(stack);
	json_decref(map);
}

/* The result as text by key, to compare runs over reordered input. */
static char *big_text(const struct order_node *nodes,
		      const struct order_result *res)
{
	struct buf b = BUF_INIT;
	size_t s, k;

	for (s = 0; s < res->nr; s++) {
		const struct order_step *st = &res->steps[s];
		char *p1 = st->phase1_doc
				   ? json_dumps(st->phase1_doc, JSON_COMPACT)
				   : NULL;

		buf_addf(&b, "%s%s [", nodes[st->node].key,
			 st->phase == ORDER_LINK ? "+" : "");
		for (k = 0; k < st->deps_nr; k++)
			buf_addf(&b, " %s%s",
				 nodes[res->steps[st->deps[k]].node].key,
				 res->steps[st->deps[k]].phase == ORDER_LINK
					 ? "+"
					 : "");
		buf_addf(&b, " ] %s %s\n", st->blocked ? st->blocked : "-",
			 p1 ? p1 : "-");
		free(p1);
	}
	return buf_detach(&b, NULL);
}

static void test_big(uint64_t seed)
{
	struct big *b = xcalloc(1, sizeof(*b));
	struct order_node *rev = xcalloc(BIG, sizeof(*rev));
	struct order_result res = {0}, res2 = {0};
	char *t1, *t2;
	size_t i;

	rng_state = seed;
	big_build(b);
	is_int(order_plan(b->nodes, b->nr, &res), 0, "big (seed %llu): ordered",
	       (unsigned long long)seed);
	big_check(b, &res);

	for (i = 0; i < BIG; i++)
		rev[i] = b->nodes[BIG - 1 - i];
	is_int(order_plan(rev, BIG, &res2), 0, "big: reversed input ordered");
	t1 = big_text(b->nodes, &res);
	t2 = big_text(rev, &res2);
	ok(!strcmp(t1, t2), "big: the same plan whatever the input order");
	free(t1);
	free(t2);

	order_result_release(&res);
	order_result_release(&res2);
	for (i = 0; i < BIG; i++) {
		json_decref(b->docs[i]);
		json_decref(b->remotes[i]);
		json_decref(b->refs[i]);
	}
	free(rev);
	free(b);
}

/* 10,000 types in one chain and in one cycle: no recursion to overflow. */
static void test_deep(void)
{
	enum { N = 10000 };
	struct order_node *nodes = xcalloc(N, sizeof(*nodes));
	json_t **docs = xcalloc(N, sizeof(*docs));
	char(*keys)[16] = xcalloc(N, sizeof(*keys));
	struct order_result res = {0};
	size_t i, bad;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < N; i++)
			snprintf(keys[i], sizeof(keys[i]), "K%05zu", i);
		for (i = 0; i < N; i++) {
			/* K00000 references K00001 ... (and the last the
			 * first in the cycle). */
			size_t next = i + 1 < N ? i + 1 : 0;

			docs[i] = json_pack("{s:s, s:[s]}", "key", keys[i],
					    "mayContainTypes",
					    (pass || i + 1 < N) ? keys[next]
								: "*");
			nodes[i].key = keys[i];
			nodes[i].kind = ORDER_CREATE;
			nodes[i].doc = docs[i];
		}
		is_int(order_plan(nodes, N, &res), 0, "deep %s: ordered",
		       pass ? "cycle" : "chain");
		bad = 0;
		if (!pass) {
			is_int(res.nr, N, "deep chain: one step each");
			for (i = 0; i < res.nr; i++)
				bad += res.steps[i].node != N - 1 - i ||
				       res.steps[i].deps_nr != (i ? 1u : 0u) ||
				       res.steps[i].blocked;
			is_int(bad, 0,
			       "deep chain: last first, each after "
			       "the one before");
		} else {
			is_int(res.nr, 2 * N, "deep cycle: a link step each");
			for (i = 0; i < N; i++)
				bad += !res.steps[i].phase1_doc ||
				       json_object_get(res.steps[i].phase1_doc,
						       "mayContainTypes") ||
				       res.steps[N + i].deps_nr != 2;
			is_int(bad, 0,
			       "deep cycle: phase 1 without the "
			       "reference, links after");
		}
		order_result_release(&res);
		for (i = 0; i < N; i++)
			json_decref(docs[i]);
	}
	free(nodes);
	free(docs);
	free(keys);
}

int main(void)
{
	plan_lazy();
	test_chain();
	test_diamond();
	test_independent();
	test_two_cycle();
	test_three_cycle();
	test_self_reference();
	test_updates();
	test_deletes();
	test_missing();
	test_twice();
	test_refs();
	test_big(1);
	test_big(20250815);
	test_deep();
	return done_testing();
}
