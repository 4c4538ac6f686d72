#include <stdlib.h>
#include <string.h>

#include "core/canon.h"
#include "core/tform.h"
#include "tap.h"
#include "util/err.h"
#include "util/jx.h"

static json_t *load(const char *text)
{
	json_t *v = NULL;

	if (jx_load(&v, text, strlen(text), "test JSON") < 0)
		diag("bad test JSON: %s (%s)", text, err_msg());
	return v;
}

/* Compares got with the JSON text want; shows both when they differ. */
static void is_json(const json_t *got, const char *want_text,
		    const char *name)
{
	json_t *want = load(want_text);
	char *g = got ? json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT |
						JSON_ENCODE_ANY)
		      : NULL;

	if (!ok(got && want && json_equal(got, want), "%s", name)) {
		diag("got:  %s", g ? g : "(null)");
		diag("want: %s", want_text);
	}
	free(g);
	json_decref(want);
}

static void test_api_version(void)
{
	enum api_version v = API_V1;

	is_int(tform_parse_api_version(&v, "preview3"), 0, "preview3 parses");
	is_int(v, API_PREVIEW3, "as API_PREVIEW3");
	is_int(tform_parse_api_version(&v, "v1"), 0, "v1 parses");
	is_int(v, API_V1, "as API_V1");
	is_int(tform_parse_api_version(&v, "v2"), ERR_USAGE, "v2 is refused");
	ok(strstr(err_msg(), "'v2'") != NULL, "and the message names it");
	is_int(tform_parse_api_version(&v, "V1"), ERR_USAGE,
	       "names are case-sensitive");
	is_int(tform_parse_api_version(&v, NULL), ERR_USAGE, "NULL is refused");
	is_str(tform_api_version_name(API_V1), "v1", "name of v1");
	is_str(tform_api_version_name(API_PREVIEW3), "preview3",
	       "name of preview3");
	err_clear();
}

static const char preview3_remote[] =
	"{\"key\":\"Article\",\"displayName\":\"Article\",\"description\":\"\","
	"\"baseType\":\"_page\",\"source\":\"\","
	"\"created\":\"2025-08-15T01:00:00Z\","
	"\"lastModified\":\"2025-08-15T02:00:00Z\","
	"\"lastModifiedBy\":\"editor@example.com\",\"sortOrder\":0,"
	"\"mayContainTypes\":[\"b\",\"*\",\"a\",\"b\"],"
	"\"mediaFileExtensions\":[],\"compositionBehaviors\":null,"
	"\"properties\":{"
	"\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
	"\"description\":null,\"required\":true,\"localized\":false,"
	"\"maxLength\":120,\"minLength\":null,\"pattern\":\"\","
	"\"enum\":null,\"allowedTypes\":[],\"sortOrder\":0,"
	"\"indexingType\":\"searchable\",\"group\":\"Content\","
	"\"format\":null,\"contentType\":null},"
	"\"hero\":{\"type\":\"contentReference\","
	"\"allowedTypes\":[\"_video\",\"_image\",\"_image\"],"
	"\"restrictedTypes\":[],\"required\":false,\"localized\":true,"
	"\"imageDescriptor\":{\"width\":0,\"height\":0,"
	"\"pregenerated\":false}},"
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"required\":true,\"format\":null,\"allowedTypes\":[\"z\",\"a\"],"
	"\"enum\":[]},\"maxItems\":10.0,\"minimum\":1.5,\"maximum\":2.0,"
	"\"minItems\":0},"
	"\"choice\":{\"type\":\"integer\",\"enum\":[{\"value\":1.0,"
	"\"displayName\":\"One\"},{\"value\":2,\"displayName\":\"Two\"}]},"
	"\"gone\":null}}";

static const char preview3_canonical[] =
	"{\"key\":\"Article\",\"displayName\":\"Article\","
	"\"baseType\":\"_page\",\"sortOrder\":0,"
	"\"mayContainTypes\":[\"*\",\"a\",\"b\"],"
	"\"properties\":{"
	"\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
	"\"isRequired\":true,\"maxLength\":120,\"sortOrder\":0,"
	"\"indexingType\":\"searchable\",\"group\":\"Content\"},"
	"\"hero\":{\"type\":\"contentReference\","
	"\"allowedTypes\":[\"_image\",\"_video\"],\"isLocalized\":true,"
	"\"imageDescriptor\":{\"width\":0,\"height\":0}},"
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"isRequired\":true,\"allowedTypes\":[\"a\",\"z\"]},"
	"\"maxItems\":10,\"minimum\":1.5,\"maximum\":2,\"minItems\":0},"
	"\"choice\":{\"type\":\"integer\",\"enum\":[{\"value\":1,"
	"\"displayName\":\"One\"},{\"value\":2,\"displayName\":\"Two\"}]}"
	"}}";

static void test_canonical_preview3(void)
{
	json_t *remote = load(preview3_remote);
	json_t *c = tform_canonical(remote, API_PREVIEW3);
	json_t *again = tform_canonical(c, API_PREVIEW3);
	json_t *v1 = tform_canonical(c, API_V1);

	is_json(c, preview3_canonical,
		"a preview3 document canonicalizes to the v1 form");
	ok(json_equal(again, c), "canonicalizing twice changes nothing");
	ok(json_equal(v1, c), "nor does reading the result as v1");
	ok(json_object_get(remote, "source") != NULL,
	   "the input is left alone");
	ok(json_is_real(json_object_get(
		   json_object_get(json_object_get(remote, "properties"),
				   "tags"),
		   "maxItems")),
	   "even its numbers");
	tform_canonicalize(remote, API_PREVIEW3);
	ok(json_equal(remote, c), "canonicalizing in place gives the same");
	tform_canonicalize(NULL, API_V1);
	ok(1, "and takes NULL");
	json_decref(again);
	json_decref(v1);
	json_decref(c);
	json_decref(remote);
}

static void test_canonical_v1(void)
{
	json_t *remote = load(
		"{\"key\":\"Block\",\"displayName\":\"Block\","
		"\"baseType\":\"_component\",\"isContract\":false,"
		"\"source\":\"system\",\"createdBy\":\"x\","
		"\"accessRights\":[],\"contracts\":[\"C2\",\"C1\"],"
		"\"compositionBehaviors\":[\"sectionEnabled\","
		"\"elementEnabled\"],"
		"\"mediaFileExtensions\":[\"png\",\"jpg\",\"png\"],"
		"\"composition\":{\"format\":\"outline\","
		"\"allowedTypes\":[\"B\",\"A\"],\"restrictedTypes\":[]},"
		"\"properties\":{"
		"\"body\":{\"type\":\"richText\",\"isRequired\":false,"
		"\"isLocalized\":true,\"editorSettings\":{},"
		"\"displayMode\":\"available\"},"
		"\"intro\":{\"type\":\"richText\",\"editorSettings\":"
		"{\"preset\":\"minimal\",\"extra\":null}},"
		"\"legacy\":{\"type\":\"string\",\"required\":true},"
		"\"editorSettings\":{},"
		"\"acl\":{\"type\":\"json\",\"accessRights\":[[{\"n\":1.0}]]}"
		"}}");
	json_t *c = tform_canonical(remote, API_V1);
	json_t *contract = load("{\"key\":\"C\",\"isContract\":true,"
				"\"accessRights\":null}");
	json_t *cc = tform_canonical(contract, API_V1);
	json_t *arr = load("[1.0,{\"a\":false}]");
	json_t *carr = tform_canonical(arr, API_V1);

	is_json(c,
		"{\"key\":\"Block\",\"displayName\":\"Block\","
		"\"baseType\":\"_component\",\"accessRights\":[],"
		"\"contracts\":[\"C2\",\"C1\"],"
		"\"compositionBehaviors\":[\"elementEnabled\","
		"\"sectionEnabled\"],"
		"\"mediaFileExtensions\":[\"jpg\",\"png\"],"
		"\"composition\":{\"format\":\"outline\","
		"\"allowedTypes\":[\"A\",\"B\"]},"
		"\"properties\":{"
		"\"body\":{\"type\":\"richText\",\"isLocalized\":true,"
		"\"displayMode\":\"available\"},"
		"\"intro\":{\"type\":\"richText\",\"editorSettings\":"
		"{\"preset\":\"minimal\"}},"
		"\"legacy\":{\"type\":\"string\",\"required\":true},"
		"\"editorSettings\":{},\"acl\":{\"type\":\"json\","
		"\"accessRights\":[[{\"n\":1}]]}}}",
		"a v1 document: read-only members, false and {} "
		"editorSettings go, an empty accessRights stays, sets sorted, "
		"preview3 names are not mapped");
	is_json(cc, "{\"key\":\"C\",\"isContract\":true}",
		"isContract true stays, accessRights null goes");
	is_json(carr, "[1.0,{\"a\":false}]",
		"a document that is not an object is copied as it is");
	json_decref(carr);
	json_decref(arr);
	json_decref(cc);
	json_decref(contract);
	json_decref(c);
	json_decref(remote);
}

static const char v1_full[] =
	"{\"key\":\"Article\",\"displayName\":\"Article\","
	"\"baseType\":\"_page\",\"isContract\":true,"
	"\"contracts\":[\"Seo\"],\"accessRights\":[{\"name\":\"Editors\"}],"
	"\"sortOrder\":5,"
	"\"properties\":{"
	"\"title\":{\"type\":\"string\",\"isRequired\":true,"
	"\"isLocalized\":true,\"displayMode\":\"hidden\","
	"\"editorSettings\":{\"a\":1},\"maxLength\":10},"
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	"\"editorSettings\":{\"b\":2}},\"maxItems\":3}}}";

static void test_to_wire(void)
{
	json_t *c = load(v1_full);
	json_t *w1 = tform_to_wire(c, API_V1);
	json_t *w3 = tform_to_wire(c, API_PREVIEW3);
	json_t *back = tform_canonical(w3, API_PREVIEW3);
	json_t *plain = load(preview3_canonical);
	json_t *plain3 = tform_to_wire(plain, API_PREVIEW3);
	json_t *plain_back = tform_canonical(plain3, API_PREVIEW3);
	json_t *patch = load("{\"properties\":{\"title\":{\"isRequired\":"
			     "false},\"old\":null},\"description\":null}");
	json_t *patch3 = tform_to_wire(patch, API_PREVIEW3);

	ok(w1 == c, "v1 wire form is the document itself (shared, unchanged)");
	is_json(w3,
		"{\"key\":\"Article\",\"displayName\":\"Article\","
		"\"baseType\":\"_page\",\"sortOrder\":5,"
		"\"properties\":{"
		"\"title\":{\"type\":\"string\",\"required\":true,"
		"\"localized\":true,\"maxLength\":10},"
		"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
		"\"maxItems\":3}}}",
		"preview3 renames the flags and drops what it lacks");
	is_json(back,
		"{\"key\":\"Article\",\"displayName\":\"Article\","
		"\"baseType\":\"_page\",\"sortOrder\":5,"
		"\"properties\":{"
		"\"title\":{\"type\":\"string\",\"isRequired\":true,"
		"\"isLocalized\":true,\"maxLength\":10},"
		"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
		"\"maxItems\":3}}}",
		"preview3 round trip keeps everything preview3 can hold");
	ok(json_equal(plain_back, plain),
	   "a document with preview3 members only round-trips exactly");
	ok(json_object_get(json_object_get(json_object_get(plain3,
							   "properties"),
					   "title"),
			   "required") != NULL,
	   "its wire form says required");
	is_json(patch3,
		"{\"properties\":{\"title\":{\"required\":false},"
		"\"old\":null},\"description\":null}",
		"a merge patch keeps its explicit false and null");
	json_decref(patch3);
	json_decref(patch);
	json_decref(plain_back);
	json_decref(plain3);
	json_decref(plain);
	json_decref(back);
	json_decref(w3);
	json_decref(w1);
	json_decref(c);
}

static void test_owned(void)
{
	static const char *const owned[] = {
		"type", "format", "contentType", "items", "displayName",
		"description", "isRequired", "sortOrder", "minimum", "maximum",
		"minLength", "maxLength", "pattern", "enum", "minItems",
		"maxItems", "allowedTypes", "restrictedTypes",
	};
	static const char *const not_owned[] = {
		"indexingType", "group", "editorSettings", "displayMode",
		"isLocalized", "required", "localized", "imageDescriptor",
		"key", "",
	};
	static const char *const type_owned[] = {
		"key", "displayName", "description", "baseType", "properties",
	};
	static const char *const type_not_owned[] = {
		"sortOrder", "mayContainTypes", "mediaFileExtensions",
		"accessRights", "compositionBehaviors", "contracts",
		"isContract", "composition",
	};
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(*owned); i++)
		ok(tform_property_member_owned(owned[i]),
		   "property member %s is owned", owned[i]);
	for (i = 0; i < sizeof(not_owned) / sizeof(*not_owned); i++)
		ok(!tform_property_member_owned(not_owned[i]),
		   "property member '%s' is target-owned", not_owned[i]);
	for (i = 0; i < sizeof(type_owned) / sizeof(*type_owned); i++)
		ok(tform_type_member_owned(type_owned[i]),
		   "type member %s is owned", type_owned[i]);
	for (i = 0; i < sizeof(type_not_owned) / sizeof(*type_not_owned); i++)
		ok(!tform_type_member_owned(type_not_owned[i]),
		   "type member %s is target-owned", type_not_owned[i]);
	ok(!tform_property_member_owned(NULL), "NULL is not owned");
	ok(!tform_type_member_owned(NULL), "NULL is not owned (type)");
}

static void test_overlay(void)
{
	json_t *c = load(v1_full);
	json_t *o = tform_overlay(c);
	json_t *plain = load("{\"key\":\"A\",\"properties\":{\"x\":"
			     "{\"type\":\"string\"}}}");
	json_t *po = tform_overlay(plain);

	is_json(o,
		"{\"type\":{\"isContract\":true,\"contracts\":[\"Seo\"],"
		"\"accessRights\":[{\"name\":\"Editors\"}],\"sortOrder\":5},"
		"\"properties\":{\"title\":{\"isLocalized\":true,"
		"\"displayMode\":\"hidden\",\"editorSettings\":{\"a\":1}},"
		"\"tags\":{\"items\":{\"editorSettings\":{\"b\":2}}}}}",
		"the overlay holds the target-owned members");
	ok(json_object_get(json_object_get(o, "type"), "accessRights") !=
		   json_object_get(c, "accessRights"),
	   "as copies, not shared with the document");
	is_json(po, "{\"type\":{},\"properties\":{}}",
		"a document with owned members only has an empty overlay");
	json_decref(po);
	json_decref(plain);
	json_decref(o);
	json_decref(c);
}

static void test_owned_projection(void)
{
	json_t *doc = load(
		"{\"key\":\"Article\",\"displayName\":\"Article\","
		"\"baseType\":\"_page\",\"sortOrder\":20,"
		"\"mayContainTypes\":[\"*\"],\"properties\":{"
		"\"title\":{\"type\":\"string\",\"isRequired\":true,"
		"\"indexingType\":\"searchable\",\"group\":\"Content\"},"
		"\"tags\":{\"type\":\"array\",\"maxItems\":5,"
		"\"items\":{\"type\":\"string\",\"maxLength\":20,"
		"\"editorSettings\":{\"x\":1}}}}}");
	json_t *want = load(
		"{\"key\":\"Article\",\"displayName\":\"Article\","
		"\"baseType\":\"_page\",\"properties\":{"
		"\"title\":{\"type\":\"string\",\"isRequired\":true},"
		"\"tags\":{\"type\":\"array\",\"maxItems\":5,"
		"\"items\":{\"type\":\"string\",\"maxLength\":20}}}}");
	json_t *got = tform_owned(doc);
	json_t *overlay = tform_overlay(doc);

	ok(json_equal(got, want),
	   "the owned projection keeps what the lens produces, at every level");
	ok(json_is_object(json_object_get(
		   json_object_get(json_object_get(overlay, "properties"),
				   "title"),
		   "group") ? json_object_get(overlay, "properties") : NULL),
	   "and the overlay holds the rest");
	json_decref(doc);
	json_decref(want);
	json_decref(got);
	json_decref(overlay);
}

/* canon_owned_hash hashes the projection tform_owned would build. */
static void test_owned_hash(void)
{
	static const char *const docs[] = {
		"{\"key\":\"A\",\"displayName\":\"A\",\"sortOrder\":3,"
		"\"accessRights\":[{\"n\":1}],\"properties\":{\"t\":{"
		"\"type\":\"string\",\"group\":\"G\",\"isRequired\":true,"
		"\"indexingType\":\"x\"},\"l\":{\"type\":\"array\","
		"\"items\":{\"type\":\"content\",\"allowedTypes\":[\"B\"],"
		"\"editorSettings\":{\"e\":1},\"items\":{\"group\":1}},"
		"\"displayMode\":\"d\"}}}",
		"{\"key\":\"A\",\"properties\":[1,2]}",
		"{\"key\":\"A\",\"properties\":{\"p\":7,\"q\":{\"items\":3,"
		"\"group\":\"g\"}}}",
		"{\"sortOrder\":1,\"mayContainTypes\":[\"*\"]}",
		"{}",
		"[1,{\"key\":\"A\"}]",
		"\"text\"",
	};
	json_t *full = load(v1_full);
	char got[CANON_HASH_LEN + 1], want[CANON_HASH_LEN + 1];
	size_t i;

	for (i = 0; i <= sizeof(docs) / sizeof(*docs); i++) {
		json_t *doc = i < sizeof(docs) / sizeof(*docs)
				      ? load(docs[i])
				      : json_incref(full);
		json_t *owned = tform_owned(doc);

		ok(canon_owned_hash(got, doc) == 0 &&
			   canon_hash(want, owned) == 0 && !strcmp(got, want),
		   "owned hash of document %zu: the projection's hash", i);
		json_decref(owned);
		json_decref(doc);
	}
	json_decref(full);
}

int main(void)
{
	plan_lazy();
	test_api_version();
	test_canonical_preview3();
	test_canonical_v1();
	test_to_wire();
	test_owned();
	test_overlay();
	test_owned_projection();
	test_owned_hash();
	return done_testing();
}
