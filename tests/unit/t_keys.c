#include <stdlib.h>
#include <string.h>

#include "core/findings.h"
#include "core/keys.h"
#include "tap.h"
#include "util/jx.h"
#include "util/xalloc.h"

/* seed -> type key, property key (brief §5, docs/lens.md) */
static const struct {
	const char *seed;
	const char *type_key;
	const char *prop_key;
} key_cases[] = {
	/* separators and case changes */
	{ "Blog Post", "BlogPost", "blogPost" },
	{ "blog-post", "BlogPost", "blogPost" },
	{ "blog_post", "BlogPost", "blogPost" },
	{ "blog post", "BlogPost", "blogPost" },
	{ "blogPost", "BlogPost", "blogPost" },
	{ "BlogPost", "BlogPost", "blogPost" },
	{ "  Blog   Post  ", "BlogPost", "blogPost" },
	{ "blog.post/v2", "BlogPostV2", "blogPostV2" },
	{ "First Name", "FirstName", "firstName" },
	{ "fullName", "FullName", "fullName" },
	{ "metaTitle", "MetaTitle", "metaTitle" },
	{ "contentType", "ContentType", "contentType" },
	{ "featured image", "FeaturedImage", "featuredImage" },
	/* words in capitals */
	{ "SEO Title", "SEOTitle", "seoTitle" },
	{ "SEOTitle", "SEOTitle", "seoTitle" },
	{ "HTMLParser", "HTMLParser", "htmlParser" },
	{ "parseHTML", "ParseHTML", "parseHTML" },
	{ "userID", "UserID", "userID" },
	{ "ID", "ID", "id" },
	{ "URL", "URL", "url" },
	{ "ABC", "ABC", "abc" },
	{ "aB", "AB", "aB" },
	{ "SKU", "SKU", "sku" },
	{ "BLOG POST", "BLOGPOST", "blogPOST" },
	/* digits */
	{ "field_1755226803000", "Field1755226803000", "field1755226803000" },
	{ "item2Name", "Item2Name", "item2Name" },
	{ "ISO8601Date", "ISO8601Date", "iso8601Date" },
	{ "a1", "A1", "a1" },
	{ "1", "Type1", "field1" },
	{ "42", "Type42", "field42" },
	{ "3D Model", "Type3DModel", "field3DModel" },
	{ "123-Invalid!@#Name", "Type123InvalidName", "field123InvalidName" },
	{ "2024 Événements", "Type2024Evenements", "field2024Evenements" },
	/* too short or empty */
	{ "x", "TypeX", "fieldX" },
	{ "X", "TypeX", "fieldX" },
	{ "_x", "TypeX", "fieldX" },
	{ "Ab", "Ab", "ab" },
	{ "", "Type", "field" },
	{ "   ", "Type", "field" },
	{ "!!!", "Type", "field" },
	{ "\xc3\x97", "Type", "field" }, /* U+00D7, not a letter */
	{ "é", "TypeE", "fieldE" },
	/* accented Latin letters */
	{ "Événements", "Evenements", "evenements" },
	{ "Crème brûlée", "CremeBrulee", "cremeBrulee" },
	{ "naïve café", "NaiveCafe", "naiveCafe" },
	{ "façade", "Facade", "facade" },
	{ "Ñandú", "Nandu", "nandu" },
	{ "Über uns", "UberUns", "uberUns" },
	{ "Ünïcödé", "Unicode", "unicode" },
	{ "ÀÉÎÕÜ", "AEIOU", "aeiou" },
	{ "àâäèêëç", "Aaaeeec", "aaaeeec" },
	{ "Straße", "Strasse", "strasse" },
	{ "Øresund", "Oresund", "oresund" },
	{ "Åland", "Aland", "aland" },
	{ "ŒUVRE", "OEUVRE", "oeuvre" },
	{ "Œuvre", "Oeuvre", "oeuvre" },
	{ "œuvre", "Oeuvre", "oeuvre" },
	{ "Ægir", "Aegir", "aegir" },
	{ "ÆON", "AEON", "aeon" },
	{ "Þing", "Thing", "thing" },
	{ "Łódź", "Lodz", "lodz" },
	{ "İstanbul", "Istanbul", "istanbul" },
	{ "Škoda Čeština", "SkodaCestina", "skodaCestina" },
	{ "Żółć", "Zolc", "zolc" },
	{ "Ĳssel", "Ijssel", "ijssel" },
	{ "größeMaß", "GrosseMass", "grosseMass" },
	{ "ÿ ſ", "YS", "yS" },
	/* everything else separates words */
	{ "Product × Price", "ProductPrice", "productPrice" },
	{ "price (€)", "Price", "price" },
	{ "emoji 📝 notes", "EmojiNotes", "emojiNotes" },
	{ "日本語 Title", "Title", "title" },
	{ "Ελληνικά name", "Name", "name" },
	{ "a\xff" "b", "AB", "aB" }, /* invalid UTF-8 */
	{ "über-cool_type 2", "UberCoolType2", "uberCoolType2" },
	{ "Reading Time (min)", "ReadingTimeMin", "readingTimeMin" },
};

static void test_key_table(void)
{
	size_t n = sizeof(key_cases) / sizeof(*key_cases);

	for (size_t i = 0; i < n; i++) {
		char *t = keys_type_key(key_cases[i].seed);
		char *p = keys_property_key(key_cases[i].seed);

		is_str(t, key_cases[i].type_key, "type key of '%s'",
		       key_cases[i].seed);
		is_str(p, key_cases[i].prop_key, "property key of '%s'",
		       key_cases[i].seed);
		free(t);
		free(p);
	}
}

static void test_null_and_long(void)
{
	char long_seed[400];
	char *k;

	k = keys_type_key(NULL);
	is_str(k, "Type", "a NULL seed gives 'Type'");
	free(k);
	k = keys_property_key(NULL);
	is_str(k, "field", "a NULL seed gives 'field'");
	free(k);

	memset(long_seed, 'a', 300);
	long_seed[300] = '\0';
	k = keys_type_key(long_seed);
	is_int(strlen(k), KEYS_MAX_LEN, "type keys are cut at 255");
	ok(k[0] == 'A' && k[254] == 'a', "and keep their start");
	free(k);
	k = keys_property_key(long_seed);
	is_int(strlen(k), KEYS_MAX_LEN, "property keys are cut at 255");
	free(k);

	/* a prefixed key is cut too */
	memset(long_seed, '9', 300);
	k = keys_type_key(long_seed);
	is_int(strlen(k), KEYS_MAX_LEN, "a prefixed key is cut at 255");
	ok(!strncmp(k, "Type999", 7), "after its prefix");
	free(k);
}

static void test_reserved(void)
{
	ok(keys_is_reserved_type("BlankExperience"), "BlankExperience");
	ok(keys_is_reserved_type("BlankSection"), "BlankSection");
	ok(keys_is_reserved_type("SysContentFolder"), "SysContentFolder");
	ok(keys_is_reserved_type("blankexperience"), "ignoring case");
	ok(keys_is_reserved_type("globalcontract:_Item"), "globalcontract:");
	ok(keys_is_reserved_type("GlobalContract:Anything"),
	   "globalcontract: ignoring case");
	ok(!keys_is_reserved_type("BlankExperience2"), "not BlankExperience2");
	ok(!keys_is_reserved_type("BlankPage"), "not BlankPage");
	ok(!keys_is_reserved_type("Article"), "not Article");
	ok(!keys_is_reserved_type("globalcontract"), "not a bare prefix");
	ok(!keys_is_reserved_type(NULL), "not NULL");

	ok(keys_is_reserved_property("composition", "_experience"),
	   "composition on _experience");
	ok(keys_is_reserved_property("Composition", "_experience"),
	   "Composition on _experience");
	ok(!keys_is_reserved_property("composition", "_page"),
	   "not composition on _page");
	ok(!keys_is_reserved_property("composition", NULL),
	   "not without a base type");
	ok(!keys_is_reserved_property("title", "_experience"),
	   "not title on _experience");
}

static int has_finding(const struct findings *f, const char *code,
		       const char *path, const char *needle1,
		       const char *needle2)
{
	for (size_t i = 0; i < f->nr; i++) {
		const struct finding *it = &f->items[i];

		if (strcmp(it->code, code) || strcmp(it->path, path))
			continue;
		if (it->severity != FINDING_WARNING)
			continue;
		if (needle1 && !strstr(it->message, needle1))
			continue;
		if (needle2 && !strstr(it->message, needle2))
			continue;
		return 1;
	}
	return 0;
}

static void dump_findings(const struct findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		diag("%s %s: %s", f->items[i].code, f->items[i].path,
		     f->items[i].message);
}

static void release_types(struct keys_type *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].key);
}

static void test_assign_order(void)
{
	struct findings f = FINDINGS_INIT;
	struct keys_type t[] = {
		{ "id-b", "Blog Post", NULL, 2000, NULL },
		{ "id-c", "blog-post", NULL, 1000, NULL },
		{ "id-a", "BlogPost", NULL, 1000, NULL },
		{ "id-d", "Author", NULL, 500, NULL },
	};

	keys_assign_types(t, 4, NULL, &f);
	is_str(t[2].key, "BlogPost", "the oldest (then lowest id) keeps it");
	is_str(t[1].key, "BlogPost2", "same time, next id gets 2");
	is_str(t[0].key, "BlogPost3", "the newest gets 3");
	is_str(t[3].key, "Author", "others are untouched");
	is_int(f.nr, 2, "two collisions reported");
	ok(has_finding(&f, "key-collision", "blog-post:key", "'blog-post'",
		       "'BlogPost' (id id-a)"),
	   "the warning names both sides");
	ok(has_finding(&f, "key-collision", "Blog Post:key", "BlogPost3",
		       NULL),
	   "and the new key");
	dump_findings(&f);
	release_types(t, 4);
	findings_release(&f);
}

static void test_assign_reserved_and_taken(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *taken = json_pack("{s:{},s:{},s:{}}", "Article", "Foo",
				  "BlankSection2");
	struct keys_type t[] = {
		{ "1", "Blank Experience", NULL, 1, NULL },
		{ "2", "Article", NULL, 2, NULL },
		{ "3", "Blank Section", NULL, 3, NULL },
		{ "4", "foo", NULL, 4, NULL },
		{ "5", "Sys Content Folder", NULL, 5, NULL },
		{ "6", "Plain", NULL, 6, NULL },
	};

	keys_assign_types(t, 6, taken, &f);
	is_str(t[0].key, "BlankExperience2", "a reserved key gets 2");
	is_str(t[1].key, "Article2", "a key taken in the target gets 2");
	is_str(t[2].key, "BlankSection3", "reserved, and 2 is taken: 3");
	is_str(t[3].key, "Foo2", "taken keys compare ignoring case");
	is_str(t[4].key, "SysContentFolder2", "SysContentFolder is reserved");
	is_str(t[5].key, "Plain", "a free key is kept");
	is_int(f.nr, 5, "five warnings");
	ok(has_finding(&f, "key-collision", "Blank Experience:key",
		       "reserved", "BlankExperience2"),
	   "the reserved warning says so");
	ok(has_finding(&f, "key-collision", "Article:key",
		       "the target's type 'Article'", "Article2"),
	   "the taken warning names the target's type");
	dump_findings(&f);
	release_types(t, 6);
	json_decref(taken);
	findings_release(&f);
}

static void test_assign_persisted(void)
{
	struct findings f = FINDINGS_INIT;
	struct keys_type t[] = {
		{ "new", "Blog Post", NULL, 1, NULL },
		{ "old", "Renamed Post", NULL, 99, xstrdup("BlogPost") },
		{ "res", "Whatever", NULL, 100, xstrdup("BlankSection") },
		{ "seo1", "SEO Page", NULL, 200, NULL },
		{ "seo2", "Seo Page", NULL, 300, NULL },
		{ "seed", "Blog Entry", "blog_entry", 400, NULL },
		{ NULL, NULL, NULL, 500, NULL },
		{ "empty", "Author Page", "", 600, NULL },
	};

	keys_assign_types(t, 8, NULL, &f);
	is_str(t[1].key, "BlogPost", "a persisted key is kept");
	is_str(t[0].key, "BlogPost2",
	       "and wins over an older type that would generate it");
	is_str(t[2].key, "BlankSection", "persisted keys are never changed");
	is_str(t[3].key, "SEOPage", "SEO Page -> SEOPage");
	is_str(t[4].key, "SeoPage2", "keys differing in case only collide");
	is_str(t[5].key, "BlogEntry", "the seed (key column) is used");
	is_str(t[6].key, "Type", "no seed, no name: Type");
	is_str(t[7].key, "AuthorPage", "an empty seed counts as none");
	ok(has_finding(&f, "key-collision", "Blog Post:key",
		       "'Renamed Post' (id old)", "BlogPost2"),
	   "the warning names the persisted holder");
	ok(has_finding(&f, "key-collision", "Seo Page:key", "'SEO Page'",
		       NULL),
	   "the case-only clash is reported");
	dump_findings(&f);
	release_types(t, 8);
	findings_release(&f);
}

static void test_assign_long_and_quiet(void)
{
	char name[300];
	struct keys_type t[2] = {
		{ "a", name, NULL, 1, NULL },
		{ "b", name, NULL, 2, NULL },
	};

	memset(name, 'q', 299);
	name[299] = '\0';
	keys_assign_types(t, 2, NULL, NULL);
	is_int(strlen(t[0].key), KEYS_MAX_LEN, "a long key is cut");
	is_int(strlen(t[1].key), KEYS_MAX_LEN, "its suffixed twin too");
	ok(t[1].key[254] == '2' && !strncmp(t[0].key, t[1].key, 254),
	   "the suffix replaces the last character");
	release_types(t, 2);
	keys_assign_types(NULL, 0, NULL, NULL);
	ok(1, "no types is fine");
}

static json_t *load(const char *text)
{
	json_t *v = NULL;

	if (jx_load(&v, text, strlen(text), "test JSON") < 0)
		diag("bad test JSON: %s", text);
	return v;
}

static void is_json(const json_t *got, const char *want_text,
		    const char *name)
{
	json_t *want = load(want_text);
	char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);

	if (!ok(got && want && json_equal(got, want), "%s", name)) {
		diag("got:  %s", g ? g : "(null)");
		diag("want: %s", want_text);
	}
	free(g);
	json_decref(want);
}

static void test_properties(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *form = load(
		"{\"name\":\"Article\",\"fields\":{"
		"\"seoTitle\":{\"type\":\"text\",\"order\":3},"
		"\"Title\":{\"type\":\"text\",\"order\":1},"
		"\"SEO Title\":{\"type\":\"text\",\"order\":2},"
		"\"title\":{\"type\":\"text\",\"order\":0},"
		"\"x\":{\"type\":\"text\",\"required\":false,\"order\":4},"
		"\"name\":{\"type\":\"text\",\"required\":false,\"order\":5},"
		"\"Name\":{\"type\":\"text\",\"required\":false,\"order\":5},"
		"\"field_1755226803000\":{\"type\":\"text\",\"required\":false,"
		"\"order\":6}}}");
	json_t *keys;

	keys = keys_assign_properties(form, NULL, "Article", "_page", &f);
	is_json(keys,
		"{\"title\":\"title\",\"Title\":\"title2\","
		"\"SEO Title\":\"seoTitle\",\"seoTitle\":\"seoTitle2\","
		"\"x\":\"fieldX\",\"Name\":\"name\",\"name\":\"name2\","
		"\"field_1755226803000\":\"field1755226803000\"}",
		"property keys are suffixed in field order, then name");
	is_int(f.nr, 3, "three collisions");
	ok(has_finding(&f, "key-collision", "Article:fields.Title",
		       "field 'Title'", "field 'title'"),
	   "the warning names both fields");
	ok(has_finding(&f, "key-collision", "Article:fields.seoTitle",
		       "'seoTitle2'", "field 'SEO Title'"),
	   "and the new key");
	ok(has_finding(&f, "key-collision", "Article:fields.name", "name2",
		       "field 'Name'"),
	   "an order tie is broken by name");
	dump_findings(&f);
	json_decref(keys);
	json_decref(form);
	findings_release(&f);
}

static void test_properties_existing(void)
{
	struct findings f = FINDINGS_INIT;
	json_t *form = load(
		"{\"name\":\"Article\",\"fields\":{"
		"\"headline\":{\"type\":\"text\",\"order\":0},"
		"\"heading\":{\"type\":\"text\",\"order\":1},"
		"\"composition\":{\"type\":\"json\",\"required\":false,"
		"\"order\":2},"
		"\"late\":{\"type\":\"text\",\"required\":false}}}");
	json_t *existing = load("{\"headline\":\"heading\","
				"\"gone\":\"late\"}");
	json_t *keys;

	keys = keys_assign_properties(form, existing, "Landing",
				      "_experience", &f);
	is_json(keys,
		"{\"headline\":\"heading\",\"heading\":\"heading2\","
		"\"composition\":\"composition2\",\"late\":\"late2\"}",
		"persisted keys are kept and block new ones; composition is "
		"reserved on _experience");
	ok(has_finding(&f, "key-collision", "Landing:fields.heading",
		       "field 'headline'", "heading2"),
	   "the clash with a persisted key names its field");
	ok(has_finding(&f, "key-collision", "Landing:fields.composition",
		       "reserved on _experience", NULL),
	   "the reserved name is reported");
	ok(has_finding(&f, "key-collision", "Landing:fields.late",
		       "field 'gone'", NULL),
	   "keys of removed fields stay taken");
	json_decref(keys);

	keys = keys_assign_properties(form, NULL, "Page", "_page", NULL);
	is_str(jx_str(keys, "composition"), "composition",
	       "composition is fine on _page");
	json_decref(keys);

	json_decref(form);
	form = load("{\"name\":\"Empty\",\"fields\":{}}");
	keys = keys_assign_properties(form, NULL, "Empty", "_page", NULL);
	is_json(keys, "{}", "no fields, no keys");
	json_decref(keys);
	json_decref(form);
	json_decref(existing);
	findings_release(&f);
}

int main(void)
{
	plan_lazy();
	test_key_table();
	test_null_and_long();
	test_reserved();
	test_assign_order();
	test_assign_reserved_and_taken();
	test_assign_persisted();
	test_assign_long_and_quiet();
	test_properties();
	test_properties_existing();
	return done_testing();
}
