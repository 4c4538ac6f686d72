#include <stdlib.h>
#include <string.h>

#include "core/findings.h"
#include "core/validate.h"
#include "tap.h"
#include "util/buf.h"
#include "util/xalloc.h"

/*
 * JSON in these tests is written with single quotes for readability; load()
 * turns them into double quotes first (no test value contains a quote).
 */
static json_t *load(const char *text)
{
	char *s = xstrdup(text);
	json_error_t e;
	json_t *v;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(s, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
	if (!v) {
		diag("test JSON does not parse at %d:%d: %s: %s", e.line,
		     e.column, e.text, s);
		abort();
	}
	free(s);
	return v;
}

static void dump_findings(const struct findings *f)
{
	for (size_t i = 0; i < f->nr; i++)
		diag("  %s %s %s: %s",
		     finding_severity_name(f->items[i].severity),
		     f->items[i].code, f->items[i].path, f->items[i].message);
}

/* Exactly one finding, with this code, severity and path. */
static void expect_one(struct findings *f, const char *code,
		       enum finding_severity sev, const char *path,
		       const char *what)
{
	if (!is_int(f->nr, 1, "%.70s: one finding", what)) {
		dump_findings(f);
		if (!f->nr)
			return;
	}
	is_str(f->items[0].code, code, "%.70s: code", what);
	is_str(finding_severity_name(f->items[0].severity),
	       finding_severity_name(sev), "%.70s: severity", what);
	is_str(f->items[0].path, path, "%.70s: path", what);
	ok(f->items[0].message[0] >= 'a' && f->items[0].message[0] <= 'z',
	   "%.70s: message starts lowercase", what);
	ok(f->items[0].message[strlen(f->items[0].message) - 1] != '.',
	   "%.70s: message has no trailing period", what);
}

static void expect_none(struct findings *f, const char *what)
{
	if (!is_int(f->nr, 0, "%.70s: no findings", what))
		dump_findings(f);
}

/* ------------------------------------------------------------------ */
/* Stage 2                                                             */

static const char *known_json = "{'Author':{},'Seo':{},'Article':{}}";

static void run_target_known(const char *doc_text, const char *known_text,
			     struct findings *f)
{
	json_t *doc = load(doc_text);
	json_t *known = known_text ? load(known_text) : NULL;

	findings_release(f);
	validate_target(doc, known, f);
	json_decref(doc);
	json_decref(known);
}

static void run_target(const char *doc_text, struct findings *f)
{
	run_target_known(doc_text, known_json, f);
}

/* A valid type around the given properties object. */
static void run_props(const char *props, struct findings *f)
{
	struct buf b = BUF_INIT;

	buf_addf(&b,
		 "{'key':'Article','displayName':'Article',"
		 "'baseType':'_page','properties':%s}",
		 props);
	run_target(b.ptr, f);
	buf_release(&b);
}

static void target_one(const char *props, const char *code,
		       enum finding_severity sev, const char *path)
{
	struct findings f = FINDINGS_INIT;

	run_props(props, &f);
	expect_one(&f, code, sev, path, props);
	findings_release(&f);
}

static void target_none(const char *props, const char *what)
{
	struct findings f = FINDINGS_INIT;

	run_props(props, &f);
	expect_none(&f, what);
	findings_release(&f);
}

static void test_target_clean(void)
{
	struct findings f = FINDINGS_INIT;
	const char *doc =
		"{'key':'Article','displayName':'Article',"
		"'description':'Long-form article','baseType':'_page',"
		"'sortOrder':10,'mayContainTypes':['*','Author','_image'],"
		"'mediaFileExtensions':['jpg'],'contracts':['Seo'],"
		"'properties':{"
		" 'title':{'type':'string','displayName':'Title',"
		"  'description':'Shown as the H1','isRequired':true,"
		"  'isLocalized':true,'sortOrder':0,'minLength':5,"
		"  'maxLength':120,'pattern':'^[A-Za-z0-9 ]+$',"
		"  'indexingType':'searchable','group':'Content',"
		"  'format':'shortString','displayMode':'available'},"
		" 'status':{'type':'string','format':'selectOne','enum':["
		"  {'value':'draft','displayName':'Draft'},"
		"  {'value':'live','displayName':'Live'}]},"
		" 'email':{'type':'string',"
		"  'pattern':'^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$'},"
		" 'link':{'type':'url'},"
		" 'featured':{'type':'boolean'},"
		" 'readingTime':{'type':'integer','minimum':1,'maximum':60,"
		"  'enum':[{'value':1,'displayName':'One'},"
		"  {'value':2.0,'displayName':'Two'}]},"
		" 'price':{'type':'float','minimum':0,'maximum':99.5,"
		"  'enum':[{'value':1.5,'displayName':'Cheap'}]},"
		" 'publishDate':{'type':'dateTime',"
		"  'minimum':'2024-01-01T00:00:00Z',"
		"  'maximum':'2030-12-31T23:59:59.999+01:00',"
		"  "
		"'enum':[{'value':'2025-01-01T00:00:00Z','displayName':'NY'}]},"
		" 'hero':{'type':'contentReference','allowedTypes':['_image'],"
		"  'indexingType':'disabled'},"
		" 'author':{'type':'contentReference','allowedTypes':['Author']"
		","
		"  'restrictedTypes':['Seo']},"
		" 'authorOnly':{'type':'contentReference','contentType':'"
		"Author'},"
		" 'block':{'type':'content','restrictedTypes':['_page']},"
		" 'cta':{'type':'link'},"
		" 'body':{'type':'richText','editorSettings':{'preset':'"
		"default'}},"
		" 'data':{'type':'json'},"
		" 'tags':{'type':'array','minItems':0,'maxItems':10,"
		"  'items':{'type':'string','minLength':1,'maxLength':30,"
		"  'pattern':'^\\\\w+$','format':'shortString'}},"
		" 'choices':{'type':'array','format':'selectMany',"
		"  'items':{'type':'string','enum':["
		"  {'value':'a','displayName':'A'}]}},"
		" 'gallery':{'type':'array',"
		"  "
		"'items':{'type':'contentReference','allowedTypes':['_image']}}"
		","
		" 'links':{'type':'array','format':'LinkCollection',"
		"  'items':{'type':'link'}},"
		" 'seos':{'type':'array','items':{'type':'component',"
		"  'contentType':'Seo'}},"
		" 'scores':{'type':'array','items':{'type':'integer',"
		"  'minimum':0,'maximum':10}},"
		" 'seo':{'type':'component','contentType':'Seo'},"
		" 'self':{'type':'contentReference','allowedTypes':['Article']}"
		","
		" 'nulls':{'type':'string','minLength':null,'enum':null}"
		"}}";

	run_target(doc, &f);
	expect_none(&f, "a valid type with every property kind");
	run_target_known(doc, NULL, &f);
	expect_none(&f, "the same without known types");
	run_target("{'key':'Folder1','displayName':'F','baseType':'_folder'}",
		   &f);
	expect_none(&f, "a type without properties");
	run_target("{'key':'Contract','displayName':'C','isContract':true}",
		   &f);
	expect_none(&f, "a contract needs no baseType");
	run_target("{'key':'Exp','displayName':'E','baseType':'_experience',"
		   "'mayContainTypes':['*']}",
		   &f);
	expect_none(&f, "an experience");
	run_target(
		"{'key':'Elem','displayName':'E','baseType':'_component',"
		"'compositionBehaviors':['elementEnabled','sectionEnabled']}",
		&f);
	expect_none(&f, "compositionBehaviors on a component");
	findings_release(&f);
}

static void test_target_keys(void)
{
	struct findings f = FINDINGS_INIT;
	struct buf b = BUF_INIT;

	run_target("{'key':'my-type','displayName':'X','baseType':'_page'}",
		   &f);
	expect_one(&f, "invalid-key", FINDING_ERROR, "my-type:key",
		   "a type key with a dash");
	run_target("{'key':'1Type','displayName':'X','baseType':'_page'}", &f);
	expect_one(&f, "invalid-key", FINDING_ERROR, "1Type:key",
		   "a type key starting with a digit");
	run_target("{'key':'_Type','displayName':'X','baseType':'_page'}", &f);
	expect_one(&f, "invalid-key", FINDING_ERROR, "_Type:key",
		   "a type key starting with '_'");
	run_target("{'key':'A','displayName':'X','baseType':'_page'}", &f);
	expect_one(&f, "invalid-key", FINDING_ERROR, "A:key",
		   "a one-letter type key");
	run_target("{'displayName':'X','baseType':'_page'}", &f);
	expect_one(&f, "invalid-key", FINDING_ERROR, "?:key",
		   "a type without a key");
	run_target("{'key':'Ab_9','displayName':'X','baseType':'_page'}", &f);
	expect_none(&f, "letters, digits and '_'");

	buf_adds(&b, "{'key':'");
	for (int i = 0; i < 256; i++)
		buf_addch(&b, 'K');
	buf_adds(&b, "','displayName':'X','baseType':'_page'}");
	run_target(b.ptr, &f);
	is_int(f.nr, 1, "a 256-character key is one finding");
	if (f.nr)
		is_str(f.items[0].code, "invalid-key", "it is invalid-key");
	buf_reset(&b);
	buf_adds(&b, "{'key':'");
	for (int i = 0; i < 255; i++)
		buf_addch(&b, 'K');
	buf_adds(&b, "','displayName':'X','baseType':'_page'}");
	run_target(b.ptr, &f);
	expect_none(&f, "a 255-character key");

	target_one("{'bad-key':{'type':'string'}}", "invalid-key",
		   FINDING_ERROR, "Article:properties.bad-key");
	target_one("{'x':{'type':'string'}}", "invalid-key", FINDING_ERROR,
		   "Article:properties.x");
	target_one("{'2nd':{'type':'string'}}", "invalid-key", FINDING_ERROR,
		   "Article:properties.2nd");

	run_target("{'key':'BlankExperience','displayName':'X',"
		   "'baseType':'_experience'}",
		   &f);
	expect_one(&f, "reserved-key", FINDING_ERROR, "BlankExperience:key",
		   "BlankExperience");
	run_target("{'key':'BlankSection','displayName':'X',"
		   "'baseType':'_section'}",
		   &f);
	expect_one(&f, "reserved-key", FINDING_ERROR, "BlankSection:key",
		   "BlankSection");
	run_target("{'key':'SysContentFolder','displayName':'X',"
		   "'baseType':'_folder'}",
		   &f);
	expect_one(&f, "reserved-key", FINDING_ERROR, "SysContentFolder:key",
		   "SysContentFolder");
	run_target("{'key':'globalcontract:_Item','displayName':'X',"
		   "'baseType':'_component'}",
		   &f);
	expect_one(&f, "reserved-key", FINDING_ERROR,
		   "globalcontract:_Item:key", "a globalcontract: key");
	run_target("{'key':'Exp','displayName':'E','baseType':'_experience',"
		   "'properties':{'composition':{'type':'json'}}}",
		   &f);
	expect_one(&f, "reserved-key", FINDING_ERROR,
		   "Exp:properties.composition", "composition on _experience");
	target_none("{'composition':{'type':'json'}}",
		    "composition on a page is fine");
	buf_release(&b);
	findings_release(&f);
}

static void test_target_type_members(void)
{
	struct findings f = FINDINGS_INIT;
	struct buf b = BUF_INIT;

	run_target("{'key':'Article','baseType':'_page'}", &f);
	expect_one(&f, "missing-display-name", FINDING_ERROR,
		   "Article:displayName", "no displayName");
	run_target("{'key':'Article','displayName':'','baseType':'_page'}", &f);
	expect_one(&f, "missing-display-name", FINDING_ERROR,
		   "Article:displayName", "an empty displayName");

	buf_adds(&b, "{'key':'Article','baseType':'_page','displayName':'");
	for (int i = 0; i < 256; i++)
		buf_addch(&b, 'd');
	buf_adds(&b, "'}");
	run_target(b.ptr, &f);
	expect_one(&f, "value-too-long", FINDING_ERROR, "Article:displayName",
		   "a 256-character displayName");

	buf_reset(&b);
	buf_adds(&b, "{'key':'Article','baseType':'_page','displayName':'");
	for (int i = 0; i < 255; i++)
		buf_adds(&b, "\xc3\xa9");
	buf_adds(&b, "'}");
	run_target(b.ptr, &f);
	expect_none(&f, "255 two-byte characters are 255 characters");

	buf_reset(&b);
	buf_adds(&b, "{'key':'Article','baseType':'_page','displayName':'A',"
		     "'description':'");
	for (int i = 0; i < 256; i++)
		buf_addch(&b, 'd');
	buf_adds(&b, "'}");
	run_target(b.ptr, &f);
	expect_one(&f, "value-too-long", FINDING_ERROR, "Article:description",
		   "a 256-character type description");

	buf_reset(&b);
	buf_adds(&b, "{'tt':{'type':'string','description':'");
	for (int i = 0; i < 2001; i++)
		buf_addch(&b, 'd');
	buf_adds(&b, "'}}");
	target_one(b.ptr, "value-too-long", FINDING_ERROR,
		   "Article:properties.tt.description");
	buf_reset(&b);
	buf_adds(&b, "{'tt':{'type':'string','description':'");
	for (int i = 0; i < 2000; i++)
		buf_addch(&b, 'd');
	buf_adds(&b, "'}}");
	target_none(b.ptr, "a 2000-character property description");
	buf_reset(&b);
	buf_adds(&b, "{'tt':{'type':'string','displayName':'");
	for (int i = 0; i < 256; i++)
		buf_addch(&b, 'd');
	buf_adds(&b, "'}}");
	target_one(b.ptr, "value-too-long", FINDING_ERROR,
		   "Article:properties.tt.displayName");

	run_target("{'key':'Article','displayName':'A','baseType':'_element'}",
		   &f);
	expect_one(&f, "invalid-base-type", FINDING_ERROR, "Article:baseType",
		   "_element");
	ok(f.nr && strstr(f.items[0].message,
			  "the base type '_element' is not supported"),
	   "_element is refused in the server's words");
	run_target("{'key':'Article','displayName':'A','baseType':'page'}", &f);
	expect_one(&f, "invalid-base-type", FINDING_ERROR, "Article:baseType",
		   "a preview2 base type");
	run_target("{'key':'Article','displayName':'A'}", &f);
	expect_one(&f, "invalid-base-type", FINDING_ERROR, "Article:baseType",
		   "no baseType");

	run_target("{'key':'Article','displayName':'A','baseType':'_page',"
		   "'sortOrder':'first'}",
		   &f);
	expect_one(&f, "invalid-member", FINDING_ERROR, "Article:sortOrder",
		   "a string sortOrder");
	run_target("{'key':'Article','displayName':'A','baseType':'_page',"
		   "'properties':[]}",
		   &f);
	expect_one(&f, "invalid-member", FINDING_ERROR, "Article:properties",
		   "properties as a list");
	run_target("{'key':'Article','displayName':'A','baseType':'_page',"
		   "'compositionBehaviors':['elementEnabled']}",
		   &f);
	expect_one(&f, "member-not-allowed", FINDING_ERROR,
		   "Article:compositionBehaviors",
		   "compositionBehaviors on a page");
	run_target("{'key':'Blk','displayName':'A','baseType':'_component',"
		   "'compositionBehaviors':['bogus']}",
		   &f);
	expect_one(&f, "invalid-member", FINDING_ERROR,
		   "Blk:compositionBehaviors[0]", "an unknown behavior");
	run_target("[1]", &f);
	expect_one(&f, "invalid-member", FINDING_ERROR,
		   "?:", "a document that is not an object");
	buf_release(&b);
	findings_release(&f);
}

static void test_target_property_members(void)
{
	target_one("{'tt':{'type':'string','isRequired':'yes'}}",
		   "invalid-member", FINDING_ERROR,
		   "Article:properties.tt.isRequired");
	target_one("{'tt':{'type':'string','sortOrder':1.5}}", "invalid-member",
		   FINDING_ERROR, "Article:properties.tt.sortOrder");
	target_one("{'tt':{'type':'string','maxLength':'10'}}",
		   "invalid-member", FINDING_ERROR,
		   "Article:properties.tt.maxLength");
	target_one("{'tt':{'type':'string','maxLength':4294967296}}",
		   "invalid-member", FINDING_ERROR,
		   "Article:properties.tt.maxLength");
	target_one("{'tt':{'type':'contentReference','allowedTypes':[1]}}",
		   "invalid-member", FINDING_ERROR,
		   "Article:properties.tt.allowedTypes");
	target_one("{'tt':{'type':'string','indexingType':'bogus'}}",
		   "invalid-member", FINDING_ERROR,
		   "Article:properties.tt.indexingType");
	target_one("{'tt':{'type':'string','displayMode':'shown'}}",
		   "invalid-member", FINDING_ERROR,
		   "Article:properties.tt.displayMode");
	target_one("{'tt':'string'}", "invalid-member", FINDING_ERROR,
		   "Article:properties.tt");
	target_one("{'tt':{'type':'array','items':'string'}}", "invalid-member",
		   FINDING_ERROR, "Article:properties.tt.items");
	target_one("{'tt':{'type':'string','enum':['a']}}", "invalid-member",
		   FINDING_ERROR, "Article:properties.tt.enum[0]");

	target_one("{'tt':{'type':'binary'}}", "invalid-property-type",
		   FINDING_ERROR, "Article:properties.tt.type");
	target_one("{'tt':{'type':'String'}}", "invalid-property-type",
		   FINDING_ERROR, "Article:properties.tt.type");
	target_one("{'tt':{'displayName':'T'}}", "invalid-property-type",
		   FINDING_ERROR, "Article:properties.tt.type");
	target_one("{'tt':{'type':'array','items':{'type':'bogus'}}}",
		   "invalid-property-type", FINDING_ERROR,
		   "Article:properties.tt.items.type");
	target_one("{'tt':{'type':'array','items':{'format':'x'}}}",
		   "invalid-property-type", FINDING_ERROR,
		   "Article:properties.tt.items.type");
}

static void test_target_companions(void)
{
	target_one("{'tags':{'type':'array'}}", "missing-items", FINDING_ERROR,
		   "Article:properties.tags.items");
	target_one("{'mm':{'type':'array','items':{'type':'array'}}}",
		   "nested-array", FINDING_ERROR,
		   "Article:properties.mm.items.type");
	target_one("{'seo':{'type':'component'}}", "missing-content-type",
		   FINDING_ERROR, "Article:properties.seo.contentType");
	target_one("{'seos':{'type':'array','items':{'type':'component'}}}",
		   "missing-content-type", FINDING_ERROR,
		   "Article:properties.seos.items.contentType");
	target_one("{'aa':{'type':'contentReference','contentType':'Author',"
		   "'allowedTypes':['Author']}}",
		   "content-type-and-allowed-types", FINDING_ERROR,
		   "Article:properties.aa.allowedTypes");
	target_one("{'aa':{'type':'array','items':{'type':'content',"
		   "'contentType':'Author','allowedTypes':['_image']}}}",
		   "content-type-and-allowed-types", FINDING_ERROR,
		   "Article:properties.aa.items.allowedTypes");

	target_one("{'nn':{'type':'integer','minLength':1}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.nn.minLength");
	target_one("{'uu':{'type':'url','maxLength':10}}", "member-not-allowed",
		   FINDING_ERROR, "Article:properties.uu.maxLength");
	target_one("{'bb':{'type':'boolean','pattern':'^a$'}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.bb.pattern");
	target_one("{'bb':{'type':'boolean','enum':[{'value':true,"
		   "'displayName':'Yes'}]}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.bb.enum");
	target_one("{'rr':{'type':'richText','enum':[{'value':'a',"
		   "'displayName':'A'}]}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.rr.enum");
	target_one("{'ss':{'type':'string','minItems':1}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.ss.minItems");
	target_one("{'ss':{'type':'string','minimum':'a'}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.ss.minimum");
	target_one("{'ss':{'type':'string','items':{'type':'string'}}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.ss.items");
	target_one("{'aa':{'type':'array','enum':[{'value':'a',"
		   "'displayName':'A'}],'items':{'type':'string'}}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.aa.enum");
	target_one("{'aa':{'type':'array','maxLength':3,"
		   "'items':{'type':'string'}}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.aa.maxLength");
	target_one("{'aa':{'type':'array','items':{'type':'integer',"
		   "'pattern':'x'}}}",
		   "member-not-allowed", FINDING_ERROR,
		   "Article:properties.aa.items.pattern");

	target_one("{'rr':{'type':'contentReference',"
		   "'indexingType':'queryable'}}",
		   "indexing-not-allowed", FINDING_ERROR,
		   "Article:properties.rr.indexingType");
	target_one("{'cc':{'type':'content','indexingType':'searchable'}}",
		   "indexing-not-allowed", FINDING_ERROR,
		   "Article:properties.cc.indexingType");
	target_none("{'cc':{'type':'string','indexingType':'queryable'}}",
		    "indexingType on a primitive");
}

static void test_target_enum(void)
{
	target_one("{'nn':{'type':'integer','enum':[{'value':1.5,"
		   "'displayName':'x'}]}}",
		   "invalid-enum-value", FINDING_ERROR,
		   "Article:properties.nn.enum[0].value");
	target_one("{'ss':{'type':'string','enum':[{'value':'a',"
		   "'displayName':'A'},{'value':1,'displayName':'B'}]}}",
		   "invalid-enum-value", FINDING_ERROR,
		   "Article:properties.ss.enum[1].value");
	target_one("{'ff':{'type':'float','enum':[{'value':'1',"
		   "'displayName':'x'}]}}",
		   "invalid-enum-value", FINDING_ERROR,
		   "Article:properties.ff.enum[0].value");
	target_one("{'dd':{'type':'dateTime','enum':[{'value':'2024-01-01',"
		   "'displayName':'x'}]}}",
		   "invalid-enum-value", FINDING_ERROR,
		   "Article:properties.dd.enum[0].value");
	target_one("{'ss':{'type':'string','enum':[{'displayName':'x'}]}}",
		   "invalid-enum-value", FINDING_ERROR,
		   "Article:properties.ss.enum[0].value");
	target_one("{'aa':{'type':'array','items':{'type':'string','enum':["
		   "{'value':2,'displayName':'x'}]}}}",
		   "invalid-enum-value", FINDING_ERROR,
		   "Article:properties.aa.items.enum[0].value");
	target_one("{'ss':{'type':'string','enum':[{'value':'a'}]}}",
		   "missing-enum-display-name", FINDING_ERROR,
		   "Article:properties.ss.enum[0].displayName");
	target_one("{'ss':{'type':'string','enum':[{'value':'a',"
		   "'displayName':''}]}}",
		   "missing-enum-display-name", FINDING_ERROR,
		   "Article:properties.ss.enum[0].displayName");
	target_one("{'ss':{'type':'string','enum':[{'value':'a',"
		   "'displayName':'A'},{'value':'b','displayName':'B'},"
		   "{'value':'a','displayName':'C'}]}}",
		   "duplicate-enum-value", FINDING_ERROR,
		   "Article:properties.ss.enum[2].value");
	target_one("{'nn':{'type':'float','enum':[{'value':1,"
		   "'displayName':'A'},{'value':1.0,'displayName':'B'}]}}",
		   "duplicate-enum-value", FINDING_ERROR,
		   "Article:properties.nn.enum[1].value");
}

static void test_target_bounds(void)
{
	target_one("{'nn':{'type':'integer','minimum':10,'maximum':5}}",
		   "invalid-bounds", FINDING_ERROR,
		   "Article:properties.nn.maximum");
	target_one("{'nn':{'type':'float','minimum':0.5,'maximum':0.25}}",
		   "invalid-bounds", FINDING_ERROR,
		   "Article:properties.nn.maximum");
	target_one("{'dd':{'type':'dateTime','minimum':'2025-01-01T00:00:00Z',"
		   "'maximum':'2024-01-01T00:00:00Z'}}",
		   "invalid-bounds", FINDING_ERROR,
		   "Article:properties.dd.maximum");
	target_one("{'ss':{'type':'string','minLength':5,'maxLength':3}}",
		   "invalid-bounds", FINDING_ERROR,
		   "Article:properties.ss.maxLength");
	target_one("{'ss':{'type':'string','minLength':-1}}", "invalid-bounds",
		   FINDING_ERROR, "Article:properties.ss.minLength");
	target_one("{'aa':{'type':'array','minItems':3,'maxItems':2,"
		   "'items':{'type':'string'}}}",
		   "invalid-bounds", FINDING_ERROR,
		   "Article:properties.aa.maxItems");
	target_one("{'aa':{'type':'array','maxItems':-2,"
		   "'items':{'type':'string'}}}",
		   "invalid-bounds", FINDING_ERROR,
		   "Article:properties.aa.maxItems");
	target_one("{'aa':{'type':'array','items':{'type':'string',"
		   "'minLength':9,'maxLength':1}}}",
		   "invalid-bounds", FINDING_ERROR,
		   "Article:properties.aa.items.maxLength");
	target_none("{'nn':{'type':'integer','minimum':5,'maximum':5},"
		    "'ss':{'type':'string','minLength':0,'maxLength':0}}",
		    "equal bounds");

	target_one("{'nn':{'type':'integer','minimum':1.5}}",
		   "bound-type-mismatch", FINDING_ERROR,
		   "Article:properties.nn.minimum");
	target_one("{'nn':{'type':'float','maximum':'10'}}",
		   "bound-type-mismatch", FINDING_ERROR,
		   "Article:properties.nn.maximum");
	target_one("{'dd':{'type':'dateTime','minimum':5}}",
		   "bound-type-mismatch", FINDING_ERROR,
		   "Article:properties.dd.minimum");
	target_one("{'dd':{'type':'dateTime','minimum':'2024-01-01'}}",
		   "bound-type-mismatch", FINDING_ERROR,
		   "Article:properties.dd.minimum");
	target_one("{'aa':{'type':'array','items':{'type':'dateTime',"
		   "'maximum':'tomorrow'}}}",
		   "bound-type-mismatch", FINDING_ERROR,
		   "Article:properties.aa.items.maximum");
}

/* .NET patterns that must pass, and ones that must not. */
static void test_target_patterns(void)
{
	static const char *const good[] = {
		"^[a-z0-9-]+$",
		"^(?:https?://)?[\\\\w.-]+$",
		"^\\\\d{3}-\\\\d{4}$",
		"^\\\\p{Lu}\\\\p{Ll}*$",
		"(?<year>\\\\d{4})-(?<month>\\\\d{2})",
		"^(?i)abc$",
		"^a.*?b$",
		"^(?=.*[A-Z])(?=.*\\\\d).{8,}$",
		"^(?!admin$).+$",
		"(?<=@)\\\\w+",
		"^[^\\\\]]+$",
		"^[\\\\[\\\\]]$",
		"^[a\\\\-z]$",
		"^[\\\\^x]$",
		"^[\\\\^]$",
		"^[\\\\u00C0-\\\\u017F]+$",
		"^[a-z-[aeiou]]+$",
		"^\\\\x41\\\\u0042$",
		"a{,3}",
		"x{1000000}",
		"^.{1,5000}$",
		"(a)\\\\1",
		"\\\\bword\\\\b",
		"^[\\\\s\\\\S]*$",
		"^[[:alpha:]]$",
		"^\\\\$\\\\d+(\\\\.\\\\d{2})?$",
		"\\\\A\\\\w+\\\\z",
		"(?#comment)abc",
		"^[é-ü]+$",
		"^[-a]$",
		"^[a-]$",
		"^[]a]$",
		"^[\\\\d-z]$",
		NULL};
	static const char *const bad[] = {
		"(",	   "a)",      "[z-a]",	  "[abc",      "a{3,2}",
		"*a",	   "\\\\",    "\\\\q",	  "(?<name",   "(?Q)",
		"\\\\p{L", "\\\\xZZ", "(a)\\\\2", "[a-\\\\d]", NULL};
	struct buf b = BUF_INIT;

	for (const char *const *p = good; *p; p++) {
		buf_reset(&b);
		buf_addf(&b, "{'ss':{'type':'string','pattern':'%s'}}", *p);
		target_none(b.ptr, *p);
	}
	for (const char *const *p = bad; *p; p++) {
		buf_reset(&b);
		buf_addf(&b, "{'ss':{'type':'string','pattern':'%s'}}", *p);
		target_one(b.ptr, "invalid-pattern", FINDING_ERROR,
			   "Article:properties.ss.pattern");
	}
	target_one("{'aa':{'type':'array','items':{'type':'string',"
		   "'pattern':'(('}}}",
		   "invalid-pattern", FINDING_ERROR,
		   "Article:properties.aa.items.pattern");
	target_one("{'ss':{'type':'string','pattern':'a\\u0000b'}}",
		   "invalid-pattern", FINDING_ERROR,
		   "Article:properties.ss.pattern");
	buf_release(&b);
}

static void test_target_references(void)
{
	struct findings f = FINDINGS_INIT;

	target_one("{'aa':{'type':'contentReference','allowedTypes':"
		   "['Author','Nope']}}",
		   "unknown-reference", FINDING_ERROR,
		   "Article:properties.aa.allowedTypes[1]");
	target_one("{'aa':{'type':'content','restrictedTypes':['Nope']}}",
		   "unknown-reference", FINDING_ERROR,
		   "Article:properties.aa.restrictedTypes[0]");
	target_one("{'cc':{'type':'component','contentType':'Nope'}}",
		   "unknown-reference", FINDING_ERROR,
		   "Article:properties.cc.contentType");
	target_one("{'gg':{'type':'array','items':{'type':'contentReference',"
		   "'allowedTypes':['Nope']}}}",
		   "unknown-reference", FINDING_ERROR,
		   "Article:properties.gg.items.allowedTypes[0]");
	target_one("{'gg':{'type':'array','items':{'type':'component',"
		   "'contentType':'Nope'}}}",
		   "unknown-reference", FINDING_ERROR,
		   "Article:properties.gg.items.contentType");
	run_target("{'key':'Article','displayName':'A','baseType':'_page',"
		   "'mayContainTypes':['Author','Ghost']}",
		   &f);
	expect_one(&f, "unknown-reference", FINDING_ERROR,
		   "Article:mayContainTypes[1]", "mayContainTypes");
	ok(f.nr && strstr(f.items[0].message, "'Ghost'"),
	   "the message names the missing type");
	run_target_known("{'key':'Article','displayName':'A',"
			 "'baseType':'_page','mayContainTypes':['Ghost']}",
			 NULL, &f);
	expect_none(&f, "no known types: references are not checked");
	run_target_known("{'key':'Solo','displayName':'A','baseType':'_page',"
			 "'properties':{'next':{'type':'contentReference',"
			 "'allowedTypes':['Solo','_page','*']}}}",
			 "{}", &f);
	expect_none(&f, "self, base types and '*' are always fine");
	findings_release(&f);
}

/* ------------------------------------------------------------------ */
/* Stage 1                                                             */

static void run_catalyst(const char *form_text, struct findings *f)
{
	json_t *form = load(form_text);

	findings_release(f);
	validate_catalyst(form, "Article", f);
	json_decref(form);
}

/* A form around the given fields object (and relationships). */
static void cat_one(const char *fields, const char *code,
		    enum finding_severity sev, const char *path)
{
	struct findings f = FINDINGS_INIT;
	struct buf b = BUF_INIT;

	buf_addf(&b, "{'name':'Article','fields':%s,'relationships':{}}",
		 fields);
	run_catalyst(b.ptr, &f);
	expect_one(&f, code, sev, path, fields);
	findings_release(&f);
	buf_release(&b);
}

static void cat_none(const char *fields, const char *what)
{
	struct findings f = FINDINGS_INIT;
	struct buf b = BUF_INIT;

	buf_addf(&b, "{'name':'Article','fields':%s,'relationships':{}}",
		 fields);
	run_catalyst(b.ptr, &f);
	expect_none(&f, what);
	findings_release(&f);
	buf_release(&b);
}

static void test_catalyst_clean(void)
{
	struct findings f = FINDINGS_INIT;

	run_catalyst(
		"{'id':'c1','websiteId':'w1','name':'Article',"
		"'category':'page','fields':{"
		" 'title':{'type':'text','label':'Title','required':true,"
		"  'order':0,'validation':{'minLength':5,'maxLength':120,"
		"  'pattern':'^[A-Za-z ]+$'}},"
		" 'summary':{'type':'textarea','required':false,'order':1},"
		" 'body':{'type':'richText','required':true,'order':2},"
		" 'legacyBody':{'type':'richtext','required':false,'order':3},"
		" 'readingTime':{'type':'number','required':false,'order':4,"
		"  'validation':{'min':1,'max':60,'precision':0}},"
		" 'featured':{'type':'boolean','required':false,'order':5},"
		" 'publishDate':{'type':'date','required':true,'order':6,"
		"  'validation':{'minDate':'2025-01-01',"
		"  "
		"'maxDate':'2025-01-01T10:00:00+02:00','format':'YYYY-MM-DD'}},"
		" 'updated':{'type':'datetime','required':false,'order':7},"
		" 'hero':{'type':'image','required':false,'order':8,"
		"  'validation':{'maxSize':5242880,"
		"  'allowedTypes':['image/png']}},"
		" 'author':{'type':'reference','required':true,'order':9},"
		" 'editor':{'type':'reference','required':false,'order':10},"
		" 'status':{'type':'select','required':true,'order':11,"
		"  'options':[{'label':'Draft','value':'draft'},"
		"  {'label':'Live','value':'live'}]},"
		" 'sizes':{'type':'multiselect','required':false,'order':12,"
		"  "
		"'options':[{'label':'S','value':1},{'label':'M','value':2.5}]}"
		","
		" 'toggle':{'type':'select','required':false,'order':13,"
		"  'options':[{'label':'Yes','value':true},"
		"  {'label':'No','value':false}]},"
		" 'photos':{'type':'gallery','required':false,'order':14},"
		" 'labels':{'type':'tags','required':false,'order':15},"
		" 'meta':{'type':'json','required':false,'order':16},"
		" 'site':{'type':'url','required':false,'order':17},"
		" 'features':{'type':'array','itemType':'text','required':"
		"false,"
		"  'order':18,'validation':{'minItems':1,'maxItems':10}},"
		" 'notes':{'type':'markdown','required':false,'order':19},"
		" 'contact':{'type':'email','required':false,'order':20},"
		" 'social':{'type':'object','required':false,'order':21,"
		"  'fields':{'twitter':{'type':'text','required':false,"
		"  'order':0},'-':{'type':'url','required':false,'order':1}}},"
		" 'video':{'type':'media','required':false,'order':22,"
		"  'accept':'video/*'},"
		" 'slug':{'type':'string','required':false,'order':23},"
		" 'Été':{'type':'text','required':false,'order':24}"
		"},'relationships':{"
		" 'author':{'type':'manyToOne','targetContentTypeId':'c2'},"
		" 'editedBy':{'type':'manyToOne','targetContentTypeId':'c2',"
		"  'fieldName':'editor'}}}",
		&f);
	expect_none(&f, "a valid form with every field type");
	findings_release(&f);
}

static void test_catalyst_types_and_names(void)
{
	cat_one("{'x':{'type':'widget'}}", "unknown-field-type",
		FINDING_WARNING, "Article:fields.x.type");
	cat_one("{'x':{'required':true}}", "missing-field-type", FINDING_ERROR,
		"Article:fields.x.type");
	cat_one("{'x':{'type':''}}", "missing-field-type", FINDING_ERROR,
		"Article:fields.x.type");
	cat_one("{'x':{'type':5}}", "missing-field-type", FINDING_ERROR,
		"Article:fields.x.type");
	cat_one("{'!!!':{'type':'text'}}", "unusable-field-name",
		FINDING_WARNING, "Article:fields.!!!");
	cat_one("{'\xe5\x90\x8d\xe5\x89\x8d':{'type':'text'}}",
		"unusable-field-name", FINDING_WARNING,
		"Article:fields.\xe5\x90\x8d\xe5\x89\x8d");
	cat_none("{'_1':{'type':'text'},'\xc3\xa9':{'type':'text'}}",
		 "a digit or an accented letter is enough");
	cat_one("{'m':{'type':'array','itemType':'array'}}", "nested-array",
		FINDING_ERROR, "Article:fields.m.itemType");
	cat_one("{'m':{'type':'array','itemType':'widget'}}",
		"unknown-field-type", FINDING_WARNING,
		"Article:fields.m.itemType");
	cat_one("{'social':{'type':'object','fields':{'twitter':"
		"{'type':'widget'}}}}",
		"unknown-field-type", FINDING_WARNING,
		"Article:fields.social.fields.twitter.type");
	cat_one("{'social':{'type':'object','fields':{'a':{'type':'object',"
		"'fields':{'b':{'type':'text','validation':{'minLength':3,"
		"'maxLength':1}}}}}}}",
		"invalid-bounds", FINDING_ERROR,
		"Article:fields.social.fields.a.fields.b.validation.maxLength");
	cat_none("{'social':{'type':'object','fields':{'author':"
		 "{'type':'reference'}}}}",
		 "nested references and names are not checked");
}

static void test_catalyst_options(void)
{
	cat_one("{'c':{'type':'select','options':[{'label':'A','value':'a'},"
		"{'label':'B','value':1}]}}",
		"mixed-option-types", FINDING_ERROR,
		"Article:fields.c.options[1].value");
	cat_one("{'c':{'type':'multiselect','options':[{'label':'A',"
		"'value':true},{'label':'B','value':0}]}}",
		"mixed-option-types", FINDING_ERROR,
		"Article:fields.c.options[1].value");
	cat_one("{'c':{'type':'select','options':[{'label':'A','value':'a'},"
		"{'label':'B','value':'b'},{'label':'C','value':'a'}]}}",
		"duplicate-option-value", FINDING_ERROR,
		"Article:fields.c.options[2].value");
	cat_one("{'c':{'type':'select','options':[{'label':'A','value':1},"
		"{'label':'B','value':1.0}]}}",
		"duplicate-option-value", FINDING_ERROR,
		"Article:fields.c.options[1].value");
	cat_one("{'c':{'type':'select','options':'A,B'}}", "invalid-option",
		FINDING_ERROR, "Article:fields.c.options");
	cat_one("{'c':{'type':'select','options':[7]}}", "invalid-option",
		FINDING_ERROR, "Article:fields.c.options[0]");
	cat_one("{'c':{'type':'select','options':[{'label':'A'}]}}",
		"invalid-option", FINDING_ERROR,
		"Article:fields.c.options[0].value");
	cat_one("{'c':{'type':'select','options':[{'label':'A',"
		"'value':{'x':1}}]}}",
		"invalid-option", FINDING_ERROR,
		"Article:fields.c.options[0].value");
	cat_none("{'c':{'type':'text','options':[{'value':'a'},{'value':1}]}}",
		 "options on a text field are not checked");
}

static void test_catalyst_validation(void)
{
	cat_one("{'title':{'type':'text','validation':{'minLength':5,"
		"'maxLength':3}}}",
		"invalid-bounds", FINDING_ERROR,
		"Article:fields.title.validation.maxLength");
	cat_one("{'n':{'type':'number','validation':{'min':10,'max':1}}}",
		"invalid-bounds", FINDING_ERROR,
		"Article:fields.n.validation.max");
	cat_one("{'d':{'type':'date','validation':{'minDate':'2025-06-01',"
		"'maxDate':'2025-01-01'}}}",
		"invalid-bounds", FINDING_ERROR,
		"Article:fields.d.validation.maxDate");
	cat_one("{'d':{'type':'date','validation':"
		"{'minDate':'2025-01-01T10:00:00+00:00',"
		"'maxDate':'2025-01-01T11:00:00+02:00'}}}",
		"invalid-bounds", FINDING_ERROR,
		"Article:fields.d.validation.maxDate");
	cat_one("{'t':{'type':'text','validation':{'minLength':-1}}}",
		"invalid-bounds", FINDING_ERROR,
		"Article:fields.t.validation.minLength");
	cat_one("{'a':{'type':'array','validation':{'minItems':4,"
		"'maxItems':2}}}",
		"invalid-bounds", FINDING_ERROR,
		"Article:fields.a.validation.maxItems");
	cat_one("{'t':{'type':'text','validation':{'pattern':'(abc'}}}",
		"invalid-pattern", FINDING_ERROR,
		"Article:fields.t.validation.pattern");
	cat_one("{'t':{'type':'text','validation':'none'}}",
		"invalid-validation", FINDING_ERROR,
		"Article:fields.t.validation");
	cat_one("{'t':{'type':'text','validation':{'maxLength':'ten'}}}",
		"invalid-validation", FINDING_ERROR,
		"Article:fields.t.validation.maxLength");
	cat_one("{'t':{'type':'text','validation':{'maxLength':2.5}}}",
		"invalid-validation", FINDING_ERROR,
		"Article:fields.t.validation.maxLength");
	cat_one("{'n':{'type':'number','validation':{'min':'1'}}}",
		"invalid-validation", FINDING_ERROR,
		"Article:fields.n.validation.min");
	cat_one("{'d':{'type':'date','validation':{'minDate':'soon'}}}",
		"invalid-validation", FINDING_ERROR,
		"Article:fields.d.validation.minDate");
	cat_one("{'d':{'type':'date','validation':{'maxDate':'2025-13-01'}}}",
		"invalid-validation", FINDING_ERROR,
		"Article:fields.d.validation.maxDate");
	cat_one("{'t':{'type':'text','validation':{'pattern':5}}}",
		"invalid-validation", FINDING_ERROR,
		"Article:fields.t.validation.pattern");
	cat_one("{'n':{'type':'number','validation':{'precision':-2}}}",
		"invalid-bounds", FINDING_ERROR,
		"Article:fields.n.validation.precision");
	cat_none("{'t':{'type':'text','validation':{'minLength':3,"
		 "'maxLength':3.0,'minDate':null}}}",
		 "equal bounds, a whole real and a null are fine");
}

static void test_catalyst_references(void)
{
	struct findings f = FINDINGS_INIT;

	cat_one("{'author':{'type':'reference'}}",
		"reference-without-relationship", FINDING_WARNING,
		"Article:fields.author");
	run_catalyst("{'name':'Article','fields':{'author':"
		     "{'type':'reference'}}}",
		     &f);
	expect_one(&f, "reference-without-relationship", FINDING_WARNING,
		   "Article:fields.author", "a form without relationships");
	run_catalyst("{'name':'Article','fields':{'author':"
		     "{'type':'reference'}},'relationships':{'writtenBy':"
		     "{'type':'manyToOne','fieldName':'author'}}}",
		     &f);
	expect_none(&f, "a relationship found by fieldName");
	findings_release(&f);
}

static void test_failures(void)
{
	struct findings f = FINDINGS_INIT;

	is_int(validate_failures(&f, 0), 0, "no findings, no failures");
	findings_add(&f, FINDING_WARNING, "unknown-field-type", "A:fields.x",
		     "w");
	is_int(validate_failures(&f, 0), 0, "a warning is not a failure");
	is_int(validate_failures(&f, 1), 1, "unless strict");
	findings_add(&f, FINDING_ERROR, "invalid-key", "A:key", "e");
	findings_add(&f, FINDING_ERROR, "invalid-key", "B:key", "e");
	is_int(validate_failures(&f, 0), 2, "errors count");
	is_int(validate_failures(&f, 1), 3, "strict counts both");
	findings_release(&f);
}

int main(void)
{
	plan_lazy();
	test_target_clean();
	test_target_keys();
	test_target_type_members();
	test_target_property_members();
	test_target_companions();
	test_target_enum();
	test_target_bounds();
	test_target_patterns();
	test_target_references();
	test_catalyst_clean();
	test_catalyst_types_and_names();
	test_catalyst_options();
	test_catalyst_validation();
	test_catalyst_references();
	test_failures();
	return done_testing();
}
