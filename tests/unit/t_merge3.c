/*
 * t_merge3: the three-way merge, rule by rule on content-type documents,
 * then a seeded property test over random edits on both sides.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "core/diff.h"
#include "core/merge3.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"

/* Parses text with ' for " (content types hold no apostrophes). */
static json_t *j(const char *text)
{
	size_t n = strlen(text);
	char *s = malloc(n + 1);
	json_t *v = NULL;

	for (size_t i = 0; i <= n; i++)
		s[i] = text[i] == '\'' ? '"' : text[i];
	if (jx_load(&v, s, n, "test") < 0) {
		diag("%s", err_msg());
		abort();
	}
	free(s);
	return v;
}

static char *dump(const json_t *v)
{
	struct buf b = BUF_INIT;

	if (v)
		jx_dump_compact(&b, v);
	else
		buf_adds(&b, "(absent)");
	return buf_detach(&b, NULL);
}

/* got equals want (text, NULL = absent) as diff_equal sees it. */
#define is_json(got, want, ...)                                                \
	is_json_at(__FILE__, __LINE__, got, want, __VA_ARGS__)
static int is_json_at(const char *file, int line, const json_t *got,
		      const char *want, const char *name)
{
	json_t *w = want ? j(want) : NULL;
	int same = diff_equal(got, w);

	ok_at(file, line, same, "%s", name);
	if (!same) {
		char *g = dump(got), *x = dump(w);

		diag("   got: %s", g);
		diag("  want: %s", x);
		free(g);
		free(x);
	}
	json_decref(w);
	return same;
}

/* Merges three documents given as text (NULL = absent). */
static void merge_text(struct merge_result *res, const char *b, const char *l,
		       const char *r, enum merge_side prefer)
{
	struct merge_options opt = {NULL, prefer};
	json_t *jb = b ? j(b) : NULL, *jl = l ? j(l) : NULL,
	       *jr = r ? j(r) : NULL;

	if (merge3(jb, jl, jr, &opt, res) < 0) {
		diag("merge3: %s", err_msg());
		abort();
	}
	json_decref(jb);
	json_decref(jl);
	json_decref(jr);
}

static const char *seg(const struct merge_conflict *m, size_t i)
{
	return json_string_value(json_array_get(m->segments, i));
}

/* A conflict's kind, path, segments and three values in one check. */
static void check_conflict(const struct merge_conflict *m, enum merge_kind kind,
			   const char *path, const char *segments,
			   const char *base, const char *local,
			   const char *remote, const char *what)
{
	json_t *want = j(segments);

	is_int(m->kind, kind, "%s: kind %s", what, merge_kind_name(kind));
	is_str(m->path, path, "%s: path", what);
	ok(json_equal(m->segments, want), "%s: segments", what);
	is_json(m->base, base, "base value");
	is_json(m->local, local, "local value");
	is_json(m->remote, remote, "remote value");
	json_decref(want);
}

#define ARTICLE                                                                \
	"{'key':'Article','displayName':'Article','baseType':'_page',"         \
	"'properties':{"                                                       \
	"'title':{'type':'string','displayName':'Title','maxLength':100},"     \
	"'body':{'type':'string','format':'html','displayName':'Body'},"       \
	"'related':{'type':'contentArea','displayName':'Related',"             \
	"'allowedTypes':['ArticlePage']},"                                     \
	"'color':{'type':'string','enum':['red','green']}}}"

static void test_disjoint(void)
{
	struct merge_result res = MERGE_RESULT_INIT;

	merge_text(
		&res, ARTICLE,
		"{'key':'Article','displayName':'Article','baseType':'_page',"
		"'properties':{"
		"'title':{'type':'string','displayName':'Title','maxLength':"
		"120},"
		"'body':{'type':'string','format':'html','displayName':"
		"'Body'},"
		"'related':{'type':'contentArea','displayName':'Related',"
		"'allowedTypes':['ArticlePage']},"
		"'color':{'type':'string','enum':['red','green']}}}",
		"{'key':'Article','displayName':'News article','baseType':"
		"'_page','properties':{"
		"'title':{'type':'string','displayName':'Headline',"
		"'maxLength':100},"
		"'body':{'type':'string','format':'html','displayName':"
		"'Body'},"
		"'related':{'type':'contentArea','displayName':'Related',"
		"'allowedTypes':['ArticlePage']},"
		"'color':{'type':'string','enum':['red','green']},"
		"'teaser':{'type':'string','displayName':'Teaser'}}}",
		MERGE_LOCAL);
	is_int(res.nr, 0, "disjoint edits: no conflict");
	is_json(res.merged,
		"{'key':'Article','displayName':'News article','baseType':"
		"'_page','properties':{"
		"'title':{'type':'string','displayName':'Headline','maxLength':"
		"120},"
		"'body':{'type':'string','format':'html','displayName':'Body'},"
		"'related':{'type':'contentArea','displayName':'Related',"
		"'allowedTypes':['ArticlePage']},"
		"'color':{'type':'string','enum':['red','green']},"
		"'teaser':{'type':'string','displayName':'Teaser'}}}",
		"disjoint edits: both sides' changes in merged");
	is_int(res.local_changes, 1, "one change taken from local");
	is_int(res.remote_changes, 3, "three taken from remote");
	merge_result_release(&res);

	/* The Catalyst form: one field, two attributes. */
	merge_text(
		&res,
		"{'name':'Article','fields':{'title':{'type':'text','label':"
		"'Title','order':1},'body':{'type':'richtext','order':2}}}",
		"{'name':'Article','fields':{'title':{'type':'text','label':"
		"'Headline','order':1},'body':{'type':'richtext','order':2}}}",
		"{'name':'Article','fields':{'title':{'type':'text','label':"
		"'Title','order':2},'body':{'type':'richtext','order':1}}}",
		MERGE_LOCAL);
	is_int(res.nr, 0, "catalyst form: label and order merge");
	is_json(res.merged,
		"{'name':'Article','fields':{'title':{'type':'text','label':"
		"'Headline','order':2},'body':{'type':'richtext','order':1}}}",
		"catalyst form: merged down to the field attribute");
	merge_result_release(&res);

	/* Removed on one side, untouched on the other: removed. */
	merge_text(&res, "{'fields':{'a':{'order':1},'b':{'order':2}}}",
		   "{'fields':{'a':{'order':1}}}",
		   "{'fields':{'a':{'order':3},'b':{'order':2}}}", MERGE_LOCAL);
	is_int(res.nr, 0, "a removal and an unrelated change");
	is_json(res.merged, "{'fields':{'a':{'order':3}}}",
		"the removal is taken");
	merge_result_release(&res);
}

static void test_both_changed(void)
{
	struct merge_result res = MERGE_RESULT_INIT;
	const char *local =
		"{'key':'Article','displayName':'Article','baseType':'_page',"
		"'properties':{"
		"'title':{'type':'string','displayName':'Title','maxLength':"
		"120},"
		"'body':{'type':'string','format':'html','displayName':'Body'},"
		"'related':{'type':'contentArea','displayName':'Related',"
		"'allowedTypes':['ArticlePage']},"
		"'color':{'type':'string','enum':['red','green']}}}";
	const char *remote =
		"{'key':'Article','displayName':'Article','baseType':'_page',"
		"'properties':{"
		"'title':{'type':'string','displayName':'Title','maxLength':80}"
		","
		"'body':{'type':'string','format':'html','displayName':'Text'},"
		"'related':{'type':'contentArea','displayName':'Related',"
		"'allowedTypes':['ArticlePage']},"
		"'color':{'type':'string','enum':['red','green']}}}";

	merge_text(&res, ARTICLE, local, remote, MERGE_LOCAL);
	is_int(res.nr, 1, "one attribute changed differently: one conflict");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_BOTH_CHANGED,
			       "properties.title.maxLength",
			       "['properties','title','maxLength']", "100",
			       "120", "80", "maxLength");
	is_json(json_object_get(json_object_get(json_object_get(res.merged,
								"properties"),
						"title"),
				"maxLength"),
		"120", "merged holds local's value by default");
	is_json(json_object_get(json_object_get(json_object_get(res.merged,
								"properties"),
						"body"),
				"displayName"),
		"'Text'", "the other side's change is still merged");
	is_int(res.local_changes, 0, "the conflict counts on neither side");
	is_int(res.remote_changes, 1, "remote's other change counts");
	merge_result_release(&res);

	merge_text(&res, ARTICLE, local, remote, MERGE_REMOTE);
	is_json(json_object_get(json_object_get(json_object_get(res.merged,
								"properties"),
						"title"),
				"maxLength"),
		"80", "prefer remote: merged holds remote's value");
	merge_result_release(&res);

	/* The same change on both sides, numbers by value. */
	merge_text(
		&res, ARTICLE,
		"{'key':'Article','displayName':'Article','baseType':'_page',"
		"'properties':{"
		"'title':{'type':'string','displayName':'Title','maxLength':"
		"120},"
		"'body':{'type':'string','format':'html','displayName':"
		"'Body'},"
		"'related':{'type':'contentArea','displayName':'Related',"
		"'allowedTypes':['ArticlePage']},"
		"'color':{'type':'string','enum':['red','green']}}}",
		"{'key':'Article','displayName':'Article','baseType':'_page',"
		"'properties':{"
		"'title':{'type':'string','displayName':'Title','maxLength':"
		"120.0},"
		"'body':{'type':'string','format':'html','displayName':"
		"'Body'},"
		"'related':{'type':'contentArea','displayName':'Related',"
		"'allowedTypes':['ArticlePage']},"
		"'color':{'type':'string','enum':['red','green']}}}",
		MERGE_LOCAL);
	is_int(res.nr, 0, "the same change on both sides (120 and 120.0)");
	is_int(res.local_changes + res.remote_changes, 2,
	       "counted on both sides");
	merge_result_release(&res);

	/* A non-set array is one value. */
	merge_text(&res, "{'properties':{'color':{'enum':['red','green']}}}",
		   "{'properties':{'color':{'enum':['red','green','blue']}}}",
		   "{'properties':{'color':{'enum':['green','red']}}}",
		   MERGE_LOCAL);
	is_int(res.nr, 1, "enum changed differently: a conflict");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_BOTH_CHANGED,
			       "properties.color.enum",
			       "['properties','color','enum']",
			       "['red','green']", "['red','green','blue']",
			       "['green','red']", "enum");
	merge_result_release(&res);

	/* A change of kind against a change inside. */
	merge_text(&res, "{'properties':{'p':{'maxLength':1}}}",
		   "{'properties':{'p':'gone'}}",
		   "{'properties':{'p':{'maxLength':2}}}", MERGE_LOCAL);
	is_int(res.nr, 1, "object replaced by a string against an edit inside");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_BOTH_CHANGED,
			       "properties.p", "['properties','p']",
			       "{'maxLength':1}", "'gone'", "{'maxLength':2}",
			       "kind change");
	merge_result_release(&res);

	/* JSON null is a value; only a missing member is absent. */
	merge_text(&res, "{'a':1,'b':null,'c':null}", "{'a':null,'c':null}",
		   "{'a':2,'b':null}", MERGE_LOCAL);
	is_int(res.nr, 1, "null against 2 conflicts; null kept is no change");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_BOTH_CHANGED, "a", "['a']",
			       "1", "null", "2", "null is a value");
	is_json(res.merged, "{'a':null}", "removals of null members taken");
	merge_result_release(&res);

	/* Quoted names and path order. */
	merge_text(&res, "{'z':1,'fields':{'a.b':{'x':1},'b':{'x':1}},'a':1}",
		   "{'z':2,'fields':{'a.b':{'x':2},'b':{'x':2}},'a':2}",
		   "{'z':3,'fields':{'a.b':{'x':3},'b':{'x':3}},'a':3}",
		   MERGE_LOCAL);
	is_int(res.nr, 4, "four conflicts");
	if (res.nr == 4) {
		is_str(res.items[0].path, "a", "in path order: a");
		is_str(res.items[1].path, "fields[\"a.b\"].x",
		       "then a quoted name, as diff writes it");
		is_str(res.items[2].path, "fields.b.x", "then fields.b.x");
		is_str(res.items[3].path, "z", "then z");
		is_str(seg(&res.items[1], 1), "a.b", "segments unquoted");
	}
	merge_result_release(&res);
}

static void test_delete_modify(void)
{
	struct merge_result res = MERGE_RESULT_INIT;
	const char *base = "{'key':'Article','properties':{"
			   "'title':{'type':'string','maxLength':100},"
			   "'body':{'type':'string'}}}";
	const char *removed = "{'key':'Article','properties':{"
			      "'body':{'type':'string'}}}";
	const char *changed = "{'key':'Article','properties':{"
			      "'title':{'type':'string','maxLength':200},"
			      "'body':{'type':'string','displayName':'B'}}}";

	merge_text(&res, base, removed, changed, MERGE_LOCAL);
	is_int(res.nr, 1, "removed against changed inside: one conflict");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_DELETE_MODIFY,
			       "properties.title", "['properties','title']",
			       "{'type':'string','maxLength':100}", NULL,
			       "{'type':'string','maxLength':200}",
			       "delete-modify");
	is_json(res.merged,
		"{'key':'Article','properties':{'body':{'type':'string',"
		"'displayName':'B'}}}",
		"prefer local: the property stays removed");
	merge_result_release(&res);

	merge_text(&res, base, removed, changed, MERGE_REMOTE);
	is_json(res.merged, changed, "prefer remote: the changed property");
	merge_result_release(&res);

	merge_text(&res, base, changed, removed, MERGE_LOCAL);
	is_int(res.nr, 1, "changed locally, removed remotely");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_DELETE_MODIFY,
			       "properties.title", "['properties','title']",
			       "{'type':'string','maxLength':100}",
			       "{'type':'string','maxLength':200}", NULL,
			       "delete-modify, the other way");
	merge_result_release(&res);

	/* A leaf removed against the leaf changed. */
	merge_text(&res, "{'p':{'maxLength':1,'x':1}}", "{'p':{'x':1}}",
		   "{'p':{'maxLength':2,'x':1}}", MERGE_REMOTE);
	is_int(res.nr, 1, "a leaf removed against changed");
	if (res.nr == 1)
		is_int(res.items[0].kind, MERGE_DELETE_MODIFY, "delete-modify");
	is_json(res.merged, "{'p':{'maxLength':2,'x':1}}", "remote's value");
	merge_result_release(&res);
}

static void test_both_added(void)
{
	struct merge_result res = MERGE_RESULT_INIT;
	const char *base = "{'key':'Article','properties':{}}";

	merge_text(&res, base,
		   "{'key':'Article','properties':{'summary':{'type':'string',"
		   "'displayName':'Summary','maxLength':200,'allowedTypes':["
		   "'A']}}}",
		   "{'key':'Article','properties':{'summary':{'type':'string',"
		   "'displayName':'Abstract','maxLength':200,'isRequired':true,"
		   "'allowedTypes':['B']}}}",
		   MERGE_LOCAL);
	is_int(res.nr, 1, "added on both sides: only the differing leaf");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_BOTH_ADDED,
			       "properties.summary.displayName",
			       "['properties','summary','displayName']", NULL,
			       "'Summary'", "'Abstract'", "both-added");
	is_json(res.merged,
		"{'key':'Article','properties':{'summary':{'type':'string',"
		"'displayName':'Summary','maxLength':200,'isRequired':true,"
		"'allowedTypes':['A','B']}}}",
		"disjoint additions inside merge, sets as a union");
	merge_result_release(&res);

	merge_text(&res, base,
		   "{'key':'Article','properties':{'s':{'type':'string'}}}",
		   "{'key':'Article','properties':{'s':'string'}}",
		   MERGE_REMOTE);
	is_int(res.nr, 1, "added as an object and as a string");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_BOTH_ADDED, "properties.s",
			       "['properties','s']", NULL, "{'type':'string'}",
			       "'string'", "both-added, different kinds");
	is_json(res.merged, "{'key':'Article','properties':{'s':'string'}}",
		"prefer remote");
	merge_result_release(&res);
}

static void test_sets(void)
{
	struct merge_result res = MERGE_RESULT_INIT;
	const char *const enum_set[] = {"enum", NULL};
	struct merge_options opt = {enum_set, MERGE_LOCAL};
	json_t *b, *l, *r;

	merge_text(&res, "{'p':{'allowedTypes':['ArticlePage']}}",
		   "{'p':{'allowedTypes':['ArticlePage','NewsPage']}}",
		   "{'p':{'allowedTypes':['BlogPage','ArticlePage']}}",
		   MERGE_LOCAL);
	is_int(res.nr, 0, "both added to a set: no conflict");
	is_json(res.merged,
		"{'p':{'allowedTypes':['ArticlePage','BlogPage','NewsPage']}}",
		"the union, sorted");
	is_int(res.local_changes, 1, "one element from local");
	is_int(res.remote_changes, 1, "one from remote");
	merge_result_release(&res);

	merge_text(&res, "{'p':{'allowedTypes':['ArticlePage','BlogPage']}}",
		   "{'p':{'allowedTypes':['BlogPage']}}",
		   "{'p':{'allowedTypes':['NewsPage','ArticlePage','BlogPage']"
		   "}}",
		   MERGE_LOCAL);
	is_int(res.nr, 0, "one removes, the other adds");
	is_json(res.merged, "{'p':{'allowedTypes':['BlogPage','NewsPage']}}",
		"removed and added");
	merge_result_release(&res);

	merge_text(&res, "{'p':{'allowedTypes':['A','B']}}",
		   "{'p':{'allowedTypes':['B','A']}}",
		   "{'p':{'allowedTypes':['A','B'],'x':1}}", MERGE_LOCAL);
	is_int(res.nr + res.local_changes, 0,
	       "another order is the same set (no change counted)");
	merge_result_release(&res);

	merge_text(&res, "{'p':{}}", "{'p':{'allowedTypes':['B']}}",
		   "{'p':{'allowedTypes':['A','B']}}", MERGE_LOCAL);
	is_json(res.merged, "{'p':{'allowedTypes':['A','B']}}",
		"both added the set: a union, no conflict");
	merge_result_release(&res);

	merge_text(&res, "{'p':{'allowedTypes':['A']}}", "{'p':{}}",
		   "{'p':{'allowedTypes':['A','B']}}", MERGE_LOCAL);
	is_int(res.nr, 0, "a set removed against an element added");
	is_json(res.merged, "{'p':{'allowedTypes':['B']}}",
		"the absent set is the empty set");
	merge_result_release(&res);

	merge_text(&res, "{'p':{'allowedTypes':['A','B']}}", "{'p':{}}",
		   "{'p':{'allowedTypes':['A']}}", MERGE_LOCAL);
	is_json(res.merged, "{'p':{}}",
		"nothing left, removed on a side: absent");
	merge_result_release(&res);

	merge_text(&res, "{'p':{'allowedTypes':['A','B']}}",
		   "{'p':{'allowedTypes':['B']}}",
		   "{'p':{'allowedTypes':['A']}}", MERGE_LOCAL);
	is_json(res.merged, "{'p':{'allowedTypes':[]}}",
		"nothing left, both present: []");
	merge_result_release(&res);

	merge_text(&res, "{'mayContainTypes':['x',1]}",
		   "{'mayContainTypes':['x',1.0,'b',{'k':1}]}",
		   "{'mayContainTypes':[null,'x',1,'a',{'k':1.0}]}",
		   MERGE_LOCAL);
	is_json(res.merged, "{'mayContainTypes':[null,1,'a','b','x',{'k':1}]}",
		"elements by value, in a stable order by kind");
	merge_result_release(&res);

	/* The result does not depend on which side is which. */
	b = j("{'allowedTypes':['A','C']}");
	l = j("{'allowedTypes':['D','C','A','B']}");
	r = j("{'allowedTypes':['C','E']}");
	{
		struct merge_result r2 = MERGE_RESULT_INIT;

		if (merge3(b, l, r, NULL, &res) < 0 ||
		    merge3(b, r, l, NULL, &r2) < 0)
			abort();
		ok(json_equal(res.merged, r2.merged),
		   "a merged set is the same array whichever the side");
		is_json(res.merged, "{'allowedTypes':['B','C','D','E']}",
			"kept by both, added by either, minus removed");
		merge_result_release(&r2);
	}
	merge_result_release(&res);
	json_decref(b);
	json_decref(l);
	json_decref(r);

	/* Sets are named by the options. */
	b = j("{'p':{'enum':['a'],'allowedTypes':['A']}}");
	l = j("{'p':{'enum':['a','b'],'allowedTypes':['A','B']}}");
	r = j("{'p':{'enum':['c','a'],'allowedTypes':['C','A']}}");
	if (merge3(b, l, r, &opt, &res) < 0)
		abort();
	is_int(res.nr, 1, "set_keys: allowedTypes is an ordinary array now");
	if (res.nr == 1)
		is_str(res.items[0].path, "p.allowedTypes", "conflicts");
	is_json(json_object_get(json_object_get(res.merged, "p"), "enum"),
		"['a','b','c']", "and enum merges as a set");
	merge_result_release(&res);
	json_decref(b);
	json_decref(l);
	json_decref(r);

	/* A set-valued name over something that is not an array. */
	merge_text(&res, "{'properties':{'allowedTypes':{'type':'string'}}}",
		   "{'properties':{'allowedTypes':{'type':'text'}}}",
		   "{'properties':{'allowedTypes':{'type':'url'}}}",
		   MERGE_LOCAL);
	is_int(res.nr, 1, "a property named allowedTypes is an object");
	merge_result_release(&res);
}

static void test_documents(void)
{
	struct merge_result res = MERGE_RESULT_INIT;

	merge_text(&res, ARTICLE, NULL, ARTICLE, MERGE_LOCAL);
	ok(!res.merged && !res.nr, "deleted locally, unchanged: deleted");
	is_int(res.local_changes, 1, "one change, the deletion");
	merge_result_release(&res);

	merge_text(&res, ARTICLE, NULL, "{'key':'Article'}", MERGE_LOCAL);
	is_int(res.nr, 1, "deleted locally, changed remotely: a conflict");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_DELETE_MODIFY, "", "[]",
			       ARTICLE, NULL, "{'key':'Article'}",
			       "the whole document");
	ok(!res.merged, "prefer local: deleted");
	merge_result_release(&res);

	merge_text(&res, ARTICLE, NULL, "{'key':'Article'}", MERGE_REMOTE);
	is_json(res.merged, "{'key':'Article'}", "prefer remote: kept");
	merge_result_release(&res);

	merge_text(&res, ARTICLE, NULL, NULL, MERGE_REMOTE);
	ok(!res.merged && !res.nr, "deleted on both sides");
	merge_result_release(&res);

	merge_text(&res, NULL, NULL, NULL, MERGE_LOCAL);
	ok(!res.merged && !res.nr, "absent everywhere");
	merge_result_release(&res);

	merge_text(&res, NULL, NULL, ARTICLE, MERGE_LOCAL);
	is_json(res.merged, ARTICLE, "created on one side");
	merge_result_release(&res);

	merge_text(&res, NULL, ARTICLE, ARTICLE, MERGE_LOCAL);
	ok(!res.nr, "created on both sides alike");
	is_json(res.merged, ARTICLE, "that document");
	merge_result_release(&res);

	merge_text(&res, NULL,
		   "{'key':'Article','displayName':'Article','properties':{"
		   "'title':{'type':'string'}}}",
		   "{'key':'Article','displayName':'Post','properties':{"
		   "'body':{'type':'string'}}}",
		   MERGE_LOCAL);
	is_int(res.nr, 1, "created on both sides: leaves conflict");
	if (res.nr == 1)
		check_conflict(&res.items[0], MERGE_BOTH_ADDED, "displayName",
			       "['displayName']", NULL, "'Article'", "'Post'",
			       "both created");
	is_json(res.merged,
		"{'key':'Article','displayName':'Article','properties':{"
		"'title':{'type':'string'},'body':{'type':'string'}}}",
		"the rest merges");
	merge_result_release(&res);

	merge_text(&res, "'x'", "'y'", "'z'", MERGE_LOCAL);
	is_int(res.nr, 1, "documents that are not objects are leaves");
	if (res.nr == 1)
		is_str(res.items[0].path, "", "at the root");
	merge_result_release(&res);
}

/* merged shares no value with the inputs: each of its values is held
 * once, by its parent (true, false and null are immutable singletons). */
static int owned(const json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_true(v) || json_is_false(v) || json_is_null(v))
		return 1;
	if (v->refcount != 1)
		return 0;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x)
		{
			if (!owned(x))
				return 0;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			if (!owned(x))
				return 0;
		}
	}
	return 1;
}

static void test_ownership(void)
{
	struct merge_result res = MERGE_RESULT_INIT;
	json_t *b = j(ARTICLE), *l = j(ARTICLE),
	       *r = j("{'key':'Article','properties':{'x':{'a':[1]}}}");
	json_t *keep = json_deep_copy(r);

	if (merge3(b, l, r, NULL, &res) < 0)
		abort();
	ok(owned(res.merged), "merged is a deep copy");
	json_object_set_new(
		json_object_get(json_object_get(res.merged, "properties"), "x"),
		"a", json_integer(5));
	ok(json_equal(r, keep), "editing merged leaves the inputs alone");
	merge_result_release(&res);
	ok(!res.merged && !res.items && !res.nr, "released to empty");
	merge_result_release(&res);
	merge_result_release(NULL);
	json_decref(b);
	json_decref(l);
	json_decref(r);
	json_decref(keep);
}

static void test_set_path(void)
{
	json_t *doc = j("{'properties':{'title':{'maxLength':100}}}");
	json_t *seg, *v = json_integer(120), *none = NULL;
	json_t *root = NULL;
	int ret;

	seg = j("['properties','title','maxLength']");
	ok(!merge_set_path(&doc, seg, v), "set a leaf");
	is_json(doc, "{'properties':{'title':{'maxLength':120}}}",
		"the leaf changed");
	json_integer_set(v, 7);
	is_json(doc, "{'properties':{'title':{'maxLength':120}}}",
		"the value was copied");
	json_decref(seg);

	seg = j("['properties','body','format']");
	json_decref(v);
	v = j("'html'");
	ok(!merge_set_path(&doc, seg, v), "set under missing objects");
	is_json(doc,
		"{'properties':{'title':{'maxLength':120},'body':{'format':"
		"'html'}}}",
		"objects created on the way");
	json_decref(seg);

	seg = j("['properties','title']");
	ok(!merge_set_path(&doc, seg, NULL), "remove a member");
	is_json(doc, "{'properties':{'body':{'format':'html'}}}", "removed");
	ok(!merge_set_path(&doc, seg, NULL), "remove a missing member");
	json_decref(seg);
	seg = j("['nothing','here']");
	ok(!merge_set_path(&doc, seg, NULL), "remove under a missing object");
	is_json(doc, "{'properties':{'body':{'format':'html'}}}",
		"nothing created");
	json_decref(seg);

	seg = j("['properties','body','format','x']");
	ret = merge_set_path(&doc, seg, v);
	is_int(ret, ERR_INVALID, "through a string: ERR_INVALID");
	is_str(err_msg(),
	       "cannot set 'properties.body.format.x': "
	       "'properties.body.format' is not an object",
	       "the message names the path");
	is_json(doc, "{'properties':{'body':{'format':'html'}}}",
		"unchanged on error");
	json_decref(seg);

	seg = j("['properties',1]");
	is_int(merge_set_path(&doc, seg, v), ERR_INVALID,
	       "a segment that is not a string");
	json_decref(seg);
	is_int(merge_set_path(&doc, v, v), ERR_INVALID,
	       "segments that are not an array");

	/* A value from inside the document itself. */
	seg = j("['copy']");
	ok(!merge_set_path(&doc, seg, json_object_get(doc, "properties")),
	   "a value taken from the document");
	is_json(doc,
		"{'properties':{'body':{'format':'html'}},'copy':{'body':{"
		"'format':'html'}}}",
		"copied in");
	json_decref(seg);

	seg = j("[]");
	ok(!merge_set_path(&doc, seg, v), "empty segments replace the doc");
	is_json(doc, "'html'", "replaced");
	json_decref(seg);
	seg = j("['a']");
	ret = merge_set_path(&doc, seg, v);
	is_int(ret, ERR_INVALID, "into a document that is not an object");
	is_str(err_msg(), "cannot set 'a': the document is not an object",
	       "said so");
	json_decref(seg);
	seg = j("[]");
	ok(!merge_set_path(&doc, seg, NULL), "remove the document");
	ok(!doc, "gone");
	json_decref(seg);

	seg = j("['fields','title','label']");
	ok(!merge_set_path(&root, seg, v), "into a NULL document");
	is_json(root, "{'fields':{'title':{'label':'html'}}}",
		"it became an object");
	ok(!merge_set_path(&none, seg, NULL) && !none,
	   "removing from a NULL document");
	json_decref(seg);
	json_decref(root);
	json_decref(v);
}

static void test_resolve(void)
{
	struct merge_result res = MERGE_RESULT_INIT, want = MERGE_RESULT_INIT;
	json_t *b = j(ARTICLE), *l, *r;
	size_t i;

	l = j("{'key':'Article','displayName':'Local','baseType':'_page',"
	      "'properties':{'title':{'type':'string','maxLength':1},"
	      "'color':{'type':'string','enum':['red']}}}");
	r = j("{'key':'Article','displayName':'Remote','baseType':'_block',"
	      "'properties':{'title':{'type':'text','maxLength':2},"
	      "'body':{'type':'string','format':'html','displayName':'B'},"
	      "'color':{'type':'string','enum':['blue']}}}");
	if (merge3(b, l, r, NULL, &res) < 0)
		abort();
	{
		struct merge_options o = {NULL, MERGE_REMOTE};

		if (merge3(b, l, r, &o, &want) < 0)
			abort();
	}
	ok(res.nr >= 4, "several conflicts (%zu)", res.nr);
	for (i = 0; i < res.nr; i++)
		if (merge_set_path(&res.merged, res.items[i].segments,
				   res.items[i].remote) < 0)
			abort();
	ok(diff_equal(res.merged, want.merged),
	   "resolving each conflict to remote gives prefer=remote's merge");
	merge_result_release(&res);
	merge_result_release(&want);
	json_decref(b);
	json_decref(l);
	json_decref(r);
}

static void test_output(void)
{
	struct merge_result res = MERGE_RESULT_INIT;
	struct buf out = BUF_INIT;
	json_t *arr, *o;

	merge_text(&res,
		   "{'properties':{'title':{'maxLength':100,'x':{'b':1,'a':2}}"
		   ",'gone':{'a':1}}}",
		   "{'properties':{'title':{'maxLength':120.0,'x':{'b':1,'a':"
		   "3}}}}",
		   "{'properties':{'title':{'maxLength':80,'x':{'b':2,'a':2}},"
		   "'gone':{'a':2},'new':'n'}}",
		   MERGE_LOCAL);
	is_int(res.nr, 2, "two conflicts");
	merge_format_conflicts(&out, &res);
	is_str(out.ptr,
	       "properties.gone\n"
	       "  base:   {\"a\":1}\n"
	       "  local:  (absent)\n"
	       "  remote: {\"a\":2}\n"
	       "properties.title.maxLength\n"
	       "  base:   100\n"
	       "  local:  120\n"
	       "  remote: 80\n",
	       "the three-way view");
	buf_release(&out);

	arr = merge_conflicts_to_json(&res);
	ok(json_array_size(arr) == 2, "one JSON object per conflict");
	o = json_array_get(arr, 0);
	is_str(jx_str(o, "path"), "properties.gone", "path");
	is_str(jx_str(o, "kind"), "delete-modify", "kind");
	ok(json_equal(json_object_get(o, "segments"), res.items[0].segments),
	   "segments");
	ok(json_object_get(o, "base") && !json_object_get(o, "local") &&
		   json_object_get(o, "remote"),
	   "an absent side is left out");
	is_int(json_object_size(o), 5, "and nothing else");
	o = json_array_get(arr, 1);
	is_str(jx_str(o, "kind"), "both-changed", "both-changed");
	is_json(json_object_get(o, "local"), "120", "local value");
	json_decref(arr);
	merge_result_release(&res);

	merge_text(&res, "{'a':1}", NULL, "{'a':2}", MERGE_LOCAL);
	merge_format_conflicts(&out, &res);
	is_str(out.ptr,
	       "(the whole type)\n"
	       "  base:   {\"a\":1}\n"
	       "  local:  (absent)\n"
	       "  remote: {\"a\":2}\n",
	       "the whole document");
	buf_release(&out);
	arr = merge_conflicts_to_json(&res);
	is_str(jx_str(json_array_get(arr, 0), "path"), "", "path \"\"");
	json_decref(arr);
	merge_result_release(&res);

	merge_text(&res, NULL, "{'a':1}", "{'a':2}", MERGE_LOCAL);
	arr = merge_conflicts_to_json(&res);
	is_str(jx_str(json_array_get(arr, 0), "kind"), "both-added",
	       "both-added");
	ok(!json_object_get(json_array_get(arr, 0), "base"), "no base");
	json_decref(arr);
	merge_result_release(&res);

	is_str(merge_kind_name(MERGE_BOTH_CHANGED), "both-changed", "names");
	is_str(merge_kind_name(MERGE_DELETE_MODIFY), "delete-modify", "names");
	is_str(merge_kind_name(MERGE_BOTH_ADDED), "both-added", "names");
}

static void test_depth(void)
{
	struct merge_result res = MERGE_RESULT_INIT;
	json_t *l = json_object(), *r, *cur = l;
	int ret;

	for (int i = 0; i < MERGE_MAX_DEPTH + 5; i++) {
		json_t *next = json_object();

		json_object_set_new(cur, "a", next);
		cur = next;
	}
	json_object_set_new(cur, "x", json_integer(1));
	r = json_deep_copy(l);
	ret = merge3(NULL, l, r, NULL, &res);
	is_int(ret, ERR_INVALID, "too deep: ERR_INVALID");
	ok(!res.merged && !res.nr, "and an empty result");
	json_decref(l);
	json_decref(r);
}

/*
 * The property test. Random content types (seeded, so any failure
 * reproduces) get random edits on each side; the changes each side made
 * are read back with diff_json, and the merge is checked against them.
 */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static size_t pick(size_t n)
{
	return (size_t)(rnd() % n);
}

static const char *const prop_names[] = {"title",   "body",    "teaser",
					 "image",   "related", "author",
					 "summary", "tags"};
static const char *const attr_names[] = {
	"displayName", "maxLength", "isRequired", "allowedTypes",
	"enum",	       "sortOrder", "description"};
static const char *const type_pool[] = {"ArticlePage", "NewsPage",  "BlogPage",
					"ImageFile",   "VideoFile", "Teaser"};
#define NR(a) (sizeof(a) / sizeof((a)[0]))

static json_t *rand_leaf(void)
{
	switch (pick(9)) {
	case 0:
		return json_integer(50 * (json_int_t)(1 + pick(3)));
	case 1:
		return json_real(100.0); /* equal to the integer 100 */
	case 2:
		return json_string(pick(2) ? "Title" : "Headline");
	case 3:
		return json_string(pick(2) ? "Body" : "Text");
	case 4:
		return json_boolean(pick(2));
	case 5:
		return json_null();
	case 6:
		return pick(2) ? json_pack("[ss]", "a", "b")
			       : json_pack("[ss]", "b", "a");
	case 7:
		return json_pack("{s:i}", "rows", (int)pick(3));
	default:
		return json_string(type_pool[pick(NR(type_pool))]);
	}
}

static json_t *rand_set(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < NR(type_pool); i++)
		if (pick(3) == 0)
			json_array_append_new(a, json_string(type_pool[i]));
	return a;
}

static json_t *rand_property(void)
{
	static const char *const types[] = {"string", "integer", "contentArea",
					    "boolean"};
	json_t *p = json_pack("{s:s, s:s}", "type", types[pick(NR(types))],
			      "displayName", pick(2) ? "Title" : "Body");

	if (pick(2))
		json_object_set_new(
			p, "maxLength",
			json_integer(50 * (json_int_t)(1 + pick(3))));
	if (pick(2))
		json_object_set_new(p, "isRequired", json_boolean(pick(2)));
	if (pick(2))
		json_object_set_new(p, "allowedTypes", rand_set());
	if (pick(3) == 0)
		json_object_set_new(p, "enum", json_pack("[ss]", "a", "b"));
	if (pick(3) == 0)
		json_object_set_new(p, "editorSettings",
				    json_pack("{s:i, s:s}", "rows",
					      (int)pick(3), "toolbar", "full"));
	return p;
}

static json_t *rand_doc(void)
{
	json_t *props = json_object();
	size_t n = 2 + pick(5);

	for (size_t i = 0; i < n; i++)
		json_object_set_new(props, prop_names[pick(NR(prop_names))],
				    rand_property());
	return json_pack("{s:s, s:s, s:s, s:i, s:o, s:o}", "key", "Article",
			 "displayName", "Article", "baseType",
			 pick(2) ? "_page" : "_block", "sortOrder",
			 (int)pick(100), "mayContainTypes", rand_set(),
			 "properties", props);
}

/* The members of a document, for picking an edit's target. */
struct member {
	json_t *parent;
	const char *key;
	json_t *value;
	int in_properties; /* a property: the member of "properties" */
};

struct members {
	struct member m[256];
	size_t nr;
	json_t *objects[128]; /* every object, the root first */
	int props_obj[128];   /* the object is "properties" */
	size_t nr_obj;
};

static void collect(struct members *ms, json_t *obj, int is_props)
{
	const char *k;
	json_t *v;

	if (ms->nr_obj < NR(ms->objects)) {
		ms->props_obj[ms->nr_obj] = is_props;
		ms->objects[ms->nr_obj++] = obj;
	}
	json_object_foreach(obj, k, v)
	{
		if (ms->nr < NR(ms->m))
			ms->m[ms->nr++] = (struct member){obj, k, v, is_props};
		if (json_is_object(v))
			collect(ms, v,
				obj == ms->objects[0] &&
					!strcmp(k, "properties"));
	}
}

static int is_set_name(const char *k)
{
	return !strcmp(k, "allowedTypes") || !strcmp(k, "mayContainTypes");
}

/* One random edit of doc (an object). */
static void rand_edit(json_t *doc)
{
	struct members ms;
	struct member *m;
	size_t i, tries;

	ms.nr = ms.nr_obj = 0;
	collect(&ms, doc, 0);
	switch (pick(5)) {
	case 0: /* change a leaf */
		for (tries = 0; tries < 20; tries++) {
			m = &ms.m[pick(ms.nr)];
			if (!json_is_object(m->value) && !is_set_name(m->key)) {
				json_object_set_new(m->parent, m->key,
						    rand_leaf());
				return;
			}
		}
		return;
	case 1: /* remove a member */
		m = &ms.m[pick(ms.nr)];
		json_object_del(m->parent, m->key);
		return;
	case 2: { /* add a member */
		size_t o = pick(ms.nr_obj);

		if (ms.props_obj[o])
			json_object_set_new(ms.objects[o],
					    prop_names[pick(NR(prop_names))],
					    rand_property());
		else {
			const char *k = attr_names[pick(NR(attr_names))];

			json_object_set_new(ms.objects[o], k,
					    is_set_name(k) ? rand_set()
							   : rand_leaf());
		}
		return;
	}
	default: /* add or remove a set element */
		for (tries = 0; tries < 20; tries++) {
			json_t *set, *x;

			m = &ms.m[pick(ms.nr)];
			if (!is_set_name(m->key) || !json_is_array(m->value))
				continue;
			set = m->value;
			if (json_array_size(set) && pick(2)) {
				json_array_remove(set,
						  pick(json_array_size(set)));
				return;
			}
			x = json_string(type_pool[pick(NR(type_pool))]);
			for (i = 0; i < json_array_size(set); i++)
				if (json_equal(json_array_get(set, i), x))
					break;
			if (i == json_array_size(set))
				json_array_append(set, x);
			json_decref(x);
			return;
		}
	}
}

/* The value at segments, borrowed; NULL when absent. */
static const json_t *get_at(const json_t *doc, const json_t *segments)
{
	size_t i;
	json_t *s;

	json_array_foreach(segments, i, s)
	{
		doc = json_object_get(doc, json_string_value(s));
	}
	return doc;
}

enum rel { UNRELATED = 0, PREFIX, EQUAL, EXTENDS };

/* How path a relates to path b. */
static enum rel rel(const json_t *a, const json_t *b)
{
	size_t na = json_array_size(a), nb = json_array_size(b), i;

	for (i = 0; i < na && i < nb; i++)
		if (strcmp(json_string_value(json_array_get(a, i)),
			   json_string_value(json_array_get(b, i))))
			return UNRELATED;
	return na == nb ? EQUAL : na < nb ? PREFIX : EXTENDS;
}

static int last_is_set(const json_t *segments)
{
	size_t n = json_array_size(segments);

	return n &&
	       is_set_name(json_string_value(json_array_get(segments, n - 1)));
}

/* A diff entry that works on a set: one element, or a whole set array. */
static int setish(const struct diff_entry *e)
{
	return e->set_member || (last_is_set(e->segments) &&
				 (!e->old || json_is_array(e->old)) &&
				 (!e->new || json_is_array(e->new)));
}

static int arr_has(const json_t *arr, const json_t *x)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (diff_equal(v, x))
			return 1;
	}
	return 0;
}

struct prop_stats {
	int fail[5]; /* (a), (b), (c), (d), sanity */
	int diags;
	int cases, conflicts, unchanged_counts;
};

static void fail(struct prop_stats *st, int which, unsigned seed,
		 const char *what, const json_t *segments)
{
	st->fail[which]++;
	if (st->diags++ < 10) {
		char *p = dump(segments);

		diag("seed %u: (%c) %s at %s", seed, "abcds"[which], what, p);
		free(p);
	}
}

/* A conflict at segments, or at a path above it (prefix ok) or below it
 * (extends ok), as asked. */
static int conflict_near(const struct merge_result *res, const json_t *seg,
			 int prefix, int equal, int extends)
{
	for (size_t i = 0; i < res->nr; i++) {
		enum rel x = rel(res->items[i].segments, seg);

		if ((x == PREFIX && prefix) || (x == EQUAL && equal) ||
		    (x == EXTENDS && extends))
			return 1;
	}
	return 0;
}

/* Every piece of x is in m: leaves equal, set elements present; a path
 * below that is a conflict is named there instead. */
static int contained(const struct merge_result *res, json_t *seg,
		     const json_t *x, const json_t *m)
{
	const char *k;
	json_t *v;
	size_t i;
	int good = 1;

	if (conflict_near(res, seg, 0, 1, 0))
		return 1;
	if (json_is_object(x)) {
		if (!json_is_object(m))
			return 0;
		json_object_foreach((json_t *)x, k, v)
		{
			json_array_append_new(seg, json_string(k));
			good = good &&
			       contained(res, seg, v, json_object_get(m, k));
			json_array_remove(seg, json_array_size(seg) - 1);
		}
		return good;
	}
	if (json_is_array(x) && last_is_set(seg)) {
		json_array_foreach(x, i, v)
		{
			if (!arr_has(m, v))
				return 0;
		}
		return 1;
	}
	return diff_equal(x, m);
}

/* Checks (a) and (c) for the changes side made (d_side), against the other
 * side's (d_other). */
static void check_side(struct prop_stats *st, unsigned seed,
		       const struct merge_result *res, const json_t *side,
		       const struct diff *d_side, const struct diff *d_other,
		       size_t side_changes, const char *name)
{
	int any_overlap = 0;

	for (size_t i = 0; i < d_side->nr; i++) {
		const struct diff_entry *e = &d_side->items[i];
		const json_t *merged_at = get_at(res->merged, e->segments);
		int overlap = 0, covered;

		for (size_t k = 0; k < d_other->nr; k++) {
			const struct diff_entry *o = &d_other->items[k];
			enum rel x = rel(e->segments, o->segments);

			if (x == UNRELATED)
				continue;
			/* Sets merge (never conflict), but are counted
			 * element by element then. */
			any_overlap = 1;
			if (x == EQUAL && setish(e) && setish(o))
				continue;
			overlap = 1;
		}
		covered = conflict_near(res, e->segments, 1, 1, 0);
		if (!overlap && conflict_near(res, e->segments, 1, 1, 1))
			fail(st, 0, seed, "a one-sided change conflicts",
			     e->segments);
		if (setish(e)) {
			/* Each element added is there, each removed gone. */
			const json_t *old = e->set_member ? NULL : e->old;
			const json_t *new = e->set_member ? NULL : e->new;
			size_t n;
			json_t *x;

			if (covered)
				continue;
			if (merged_at && !json_is_array(merged_at)) {
				fail(st, 2, seed, "a set is not an array",
				     e->segments);
				continue;
			}
			if (e->set_member) {
				if (arr_has(merged_at,
					    e->new ? e->new : e->old) !=
				    !!e->new)
					fail(st, overlap ? 2 : 0, seed,
					     "a set element lost", e->segments);
				continue;
			}
			json_array_foreach(new, n, x)
			{
				if (!arr_has(old, x) && !arr_has(merged_at, x))
					fail(st, overlap ? 2 : 0, seed,
					     "an added set lost an element",
					     e->segments);
			}
			json_array_foreach(old, n, x)
			{
				if (!arr_has(new, x) && arr_has(merged_at, x))
					fail(st, overlap ? 2 : 0, seed,
					     "a removed element is back",
					     e->segments);
			}
			continue;
		}
		if (!overlap) {
			if (!diff_equal(merged_at, get_at(side, e->segments)))
				fail(st, 0, seed, "a one-sided change lost",
				     e->segments);
			continue;
		}
		if (covered)
			continue;
		{
			json_t *seg = json_deep_copy(e->segments);
			const json_t *want = get_at(side, e->segments);

			if (want ? !contained(res, seg, want, merged_at)
				 : merged_at != NULL)
				fail(st, 2, seed, "a change lost", e->segments);
			json_decref(seg);
		}
	}
	/* Without overlaps every change is taken, counted as diff does. */
	if (!any_overlap) {
		st->unchanged_counts++;
		if (side_changes != d_side->nr) {
			diag("seed %u: %s changes %zu, diff %zu", seed, name,
			     side_changes, d_side->nr);
			st->fail[4]++;
		}
	}
}

/* (b): paths both sides changed. */
static void check_both(struct prop_stats *st, unsigned seed,
		       const struct merge_result *res, const json_t *l,
		       const json_t *r, const struct diff *dl,
		       const struct diff *dr)
{
	for (size_t i = 0; i < dl->nr; i++) {
		const struct diff_entry *a = &dl->items[i];

		for (size_t k = 0; k < dr->nr; k++) {
			const struct diff_entry *b = &dr->items[k];
			enum rel x = rel(a->segments, b->segments);
			const json_t *vl, *vr;

			if (x == UNRELATED || setish(a) || setish(b))
				continue;
			if (x == PREFIX || x == EXTENDS) {
				/* One side stopped above the other's change:
				 * a conflict right there. */
				const json_t *top =
					x == PREFIX ? a->segments : b->segments;

				if (!conflict_near(res, top, 0, 1, 0))
					fail(st, 1, seed,
					     "no conflict above a change", top);
				continue;
			}
			vl = get_at(l, a->segments);
			vr = get_at(r, a->segments);
			if (diff_equal(vl, vr)) {
				if (conflict_near(res, a->segments, 1, 1, 1) ||
				    !diff_equal(
					    get_at(res->merged, a->segments),
					    vl))
					fail(st, 1, seed,
					     "the same change not merged",
					     a->segments);
			} else if (json_is_object(vl) && json_is_object(vr)) {
				if (conflict_near(res, a->segments, 0, 1, 0) ||
				    !json_is_object(
					    get_at(res->merged, a->segments)))
					fail(st, 1, seed,
					     "two objects not merged",
					     a->segments);
			} else if (!conflict_near(res, a->segments, 0, 1, 0)) {
				fail(st, 1, seed, "a difference not a conflict",
				     a->segments);
			}
		}
	}
}

/* Each conflict: sorted, backed by changes on both sides, values right,
 * merged holding the preferred side. */
static void check_conflicts(struct prop_stats *st, unsigned seed,
			    const struct merge_result *res, const json_t *b,
			    const json_t *l, const json_t *r,
			    const struct diff *dl, const struct diff *dr,
			    const json_t *preferred)
{
	for (size_t i = 0; i < res->nr; i++) {
		const struct merge_conflict *m = &res->items[i];
		const json_t *vb = get_at(b, m->segments),
			     *vl = get_at(l, m->segments),
			     *vr = get_at(r, m->segments);
		enum merge_kind kind = !vb	    ? MERGE_BOTH_ADDED
				       : !vl || !vr ? MERGE_DELETE_MODIFY
						    : MERGE_BOTH_CHANGED;
		int in_l = 0, in_r = 0;
		size_t k;

		if (i) {
			const json_t *p = res->items[i - 1].segments;
			size_t n = json_array_size(p), q;
			int c = 0;

			for (q = 0;
			     !c && q < n && q < json_array_size(m->segments);
			     q++)
				c = strcmp(
					json_string_value(json_array_get(p, q)),
					json_string_value(json_array_get(
						m->segments, q)));
			if (c > 0 || (!c && n >= json_array_size(m->segments)))
				fail(st, 4, seed, "conflicts out of order",
				     m->segments);
		}
		for (k = 0; k < dl->nr; k++)
			in_l |= rel(dl->items[k].segments, m->segments) != 0;
		for (k = 0; k < dr->nr; k++)
			in_r |= rel(dr->items[k].segments, m->segments) != 0;
		if (!in_l || !in_r)
			fail(st, 4, seed, "a conflict without two changes",
			     m->segments);
		if (m->kind != kind || !diff_equal(m->base, vb) ||
		    !diff_equal(m->local, vl) || !diff_equal(m->remote, vr) ||
		    diff_equal(vl, vr))
			fail(st, 4, seed, "a conflict's kind or values",
			     m->segments);
		if (!diff_equal(get_at(res->merged, m->segments),
				get_at(preferred, m->segments)))
			fail(st, 4, seed, "merged not the preferred side",
			     m->segments);
		for (k = 0; k < dl->nr; k++)
			if (!dl->items[k].set_member &&
			    rel(dl->items[k].segments, m->segments) == EQUAL &&
			    strcmp(dl->items[k].path, m->path))
				fail(st, 4, seed, "a path unlike diff's",
				     m->segments);
	}
}

/* (d): swapping the sides and the preference swaps the conflicts. */
static void check_swap(struct prop_stats *st, unsigned seed,
		       const struct merge_result *x,
		       const struct merge_result *y)
{
	int good = diff_equal(x->merged, y->merged) && x->nr == y->nr &&
		   x->local_changes == y->remote_changes &&
		   x->remote_changes == y->local_changes;

	for (size_t i = 0; good && i < x->nr; i++) {
		const struct merge_conflict *a = &x->items[i],
					    *b = &y->items[i];

		good = a->kind == b->kind && !strcmp(a->path, b->path) &&
		       json_equal(a->segments, b->segments) &&
		       diff_equal(a->base, b->base) &&
		       diff_equal(a->local, b->remote) &&
		       diff_equal(a->remote, b->local);
	}
	if (!good)
		fail(st, 3, seed, "the swapped merge differs", NULL);
}

static void test_property(void)
{
	struct prop_stats st;
	const unsigned cases = 400;

	memset(&st, 0, sizeof(st));
	for (unsigned seed = 1; seed <= cases; seed++) {
		struct merge_result res = MERGE_RESULT_INIT,
				    rem = MERGE_RESULT_INIT,
				    swp = MERGE_RESULT_INIT;
		struct merge_options opt_remote = {NULL, MERGE_REMOTE};
		struct diff dl = DIFF_INIT, dr = DIFF_INIT;
		json_t *b, *l, *r;
		uint64_t shared;
		size_t n;

		rng_state = 0x9e3779b97f4a7c15ULL * seed;
		b = rand_doc();
		l = json_deep_copy(b);
		r = json_deep_copy(b);
		shared = rng_state;
		for (n = pick(6); n; n--)
			rand_edit(l);
		/* Now and then the same first edits on both sides. */
		if (pick(4) == 0)
			rng_state = shared;
		for (n = pick(6); n; n--)
			rand_edit(r);
		switch (pick(30)) {
		case 0:
			json_decref(l);
			l = NULL;
			break;
		case 1:
			json_decref(r);
			r = NULL;
			break;
		case 2:
			json_decref(b);
			b = NULL;
			break;
		}
		if (merge3(b, l, r, NULL, &res) < 0 ||
		    merge3(b, l, r, &opt_remote, &rem) < 0 ||
		    merge3(b, r, l, NULL, &swp) < 0)
			abort();
		diff_json(&dl, b, l, NULL);
		diff_json(&dr, b, r, NULL);

		if (res.merged && !owned(res.merged))
			fail(&st, 4, seed, "merged shares a value", NULL);
		check_side(&st, seed, &res, l, &dl, &dr, res.local_changes,
			   "local");
		check_side(&st, seed, &res, r, &dr, &dl, res.remote_changes,
			   "remote");
		check_side(&st, seed, &rem, l, &dl, &dr, rem.local_changes,
			   "local");
		check_side(&st, seed, &rem, r, &dr, &dl, rem.remote_changes,
			   "remote");
		check_both(&st, seed, &res, l, r, &dl, &dr);
		check_both(&st, seed, &rem, l, r, &dl, &dr);
		check_conflicts(&st, seed, &res, b, l, r, &dl, &dr, l);
		check_conflicts(&st, seed, &rem, b, l, r, &dl, &dr, r);
		check_swap(&st, seed, &rem, &swp);
		st.cases++;
		st.conflicts += res.nr ? 1 : 0;

		diff_release(&dl);
		diff_release(&dr);
		merge_result_release(&res);
		merge_result_release(&rem);
		merge_result_release(&swp);
		json_decref(b);
		json_decref(l);
		json_decref(r);
	}
	diag("%d random merges, %d with conflicts, %d sides without overlap",
	     st.cases, st.conflicts, st.unchanged_counts);
	ok(st.conflicts > st.cases / 10 && st.conflicts < st.cases * 9 / 10,
	   "the generator makes conflicts often, not always");
	is_int(st.fail[0], 0, "(a) a change made by one side only is merged");
	is_int(st.fail[1], 0,
	       "(b) a path both changed differently conflicts or merges");
	is_int(st.fail[2], 0, "(c) every change is merged or in a conflict");
	is_int(st.fail[3], 0, "(d) swapping sides and preference is symmetric");
	is_int(st.fail[4], 0,
	       "conflicts sorted, valued, preferred; counts; no sharing");
}

int main(void)
{
	plan_lazy();
	test_disjoint();
	test_both_changed();
	test_delete_modify();
	test_both_added();
	test_sets();
	test_documents();
	test_ownership();
	test_set_path();
	test_resolve();
	test_output();
	test_depth();
	test_property();
	return done_testing();
}
