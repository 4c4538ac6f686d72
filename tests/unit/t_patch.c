#include <stdlib.h>
#include <string.h>

#include "core/patch.h"
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

static void is_json(const json_t *got, const char *want_text, const char *name)
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

/* The owned part of a canonical document, for round-trip comparisons. */
static json_t *owned_part(const json_t *doc)
{
	json_t *out = json_object(), *props = json_object();
	const char *k, *pk;
	json_t *v, *p, *m;

	json_object_foreach((json_t *)doc, k, v) {
		if (tform_type_member_owned(k) && strcmp(k, "properties") &&
		    strcmp(k, "key"))
			json_object_set(out, k, v);
	}
	json_object_foreach(json_object_get(doc, "properties"), k, p) {
		json_t *q = json_object();

		json_object_foreach(p, pk, m) {
			if (!tform_property_member_owned(pk))
				continue;
			if (!strcmp(pk, "items") && json_is_object(m)) {
				json_t *it = json_object();
				const char *ik;
				json_t *iv;

				json_object_foreach(m, ik, iv) {
					if (tform_property_member_owned(ik))
						json_object_set(it, ik, iv);
				}
				json_object_set_new(q, pk, it);
			} else {
				json_object_set(q, pk, m);
			}
		}
		json_object_set_new(props, k, q);
	}
	json_object_set_new(out, "properties", props);
	return out;
}

/*
 * Computes the patch from remote to desired, checks it against want, then
 * checks that applying it to remote gives desired on owned paths and that
 * the result satisfies the patch.
 */
static void check(const char *remote_text, const char *desired_text,
		  enum api_version v, const char *want, const char *name)
{
	json_t *r = load(remote_text), *l = load(desired_text);
	json_t *p = patch_compute(r, l, v);
	json_t *applied = patch_apply(r, p);
	json_t *got_owned, *want_owned;

	is_json(p, want, name);
	tform_canonicalize(applied, API_V1);
	got_owned = owned_part(applied);
	want_owned = owned_part(l);
	ok(json_equal(got_owned, want_owned),
	   "%s: remote + patch = desired on owned paths", name);
	ok(patch_satisfied(applied, p), "%s: the result satisfies the patch",
	   name);
	if (!patch_is_empty(p))
		ok(!patch_satisfied(r, p), "%s: the remote does not", name);
	json_decref(got_owned);
	json_decref(want_owned);
	json_decref(applied);
	json_decref(p);
	json_decref(r);
	json_decref(l);
}

#define BASE_R                                                                 \
	"{\"key\":\"Article\",\"displayName\":\"Article\","                    \
	"\"baseType\":\"_page\",\"sortOrder\":5,"                              \
	"\"mayContainTypes\":[\"Author\"],"                                    \
	"\"properties\":{"                                                     \
	"\"title\":{\"type\":\"string\",\"displayName\":\"Title\","            \
	"\"isRequired\":true,\"maxLength\":100,\"minLength\":2,"               \
	"\"indexingType\":\"searchable\",\"group\":\"Content\"},"              \
	"\"hero\":{\"type\":\"contentReference\","                             \
	"\"allowedTypes\":[\"_image\"],\"group\":\"Media\"},"                  \
	"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","         \
	"\"maxLength\":20},\"maxItems\":10}}}"

static void test_no_change(void)
{
	check(BASE_R, BASE_R, API_V1, "{}", "equal documents give {}");
	check(BASE_R, BASE_R, API_PREVIEW3, "{}",
	      "equal documents give {} under preview3");
	ok(patch_is_empty(NULL), "NULL is an empty patch");
}

static void test_type_members(void)
{
	check(BASE_R,
	      "{\"key\":\"Article\",\"displayName\":\"News article\","
	      "\"description\":\"A story\",\"baseType\":\"_page\","
	      "\"sortOrder\":5,\"mayContainTypes\":[\"Author\"],"
	      "\"properties\":{"
	      "\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
	      "\"isRequired\":true,\"maxLength\":100,\"minLength\":2,"
	      "\"indexingType\":\"searchable\",\"group\":\"Content\"},"
	      "\"hero\":{\"type\":\"contentReference\","
	      "\"allowedTypes\":[\"_image\"],\"group\":\"Media\"},"
	      "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	      "\"maxLength\":20},\"maxItems\":10}}}",
	      API_V1,
	      "{\"displayName\":\"News article\",\"description\":\"A story\"}",
	      "changed and new type members are sent");
	check("{\"key\":\"A\",\"displayName\":\"A\",\"description\":\"x\","
	      "\"baseType\":\"_page\",\"properties\":{}}",
	      "{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"properties\":{}}",
	      API_V1, "{\"description\":null}",
	      "a description that goes away is sent as null");
	check("{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"sortOrder\":3,\"mayContainTypes\":[\"X\"],"
	      "\"accessRights\":[],\"properties\":{}}",
	      "{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"properties\":{}}",
	      API_V1, "{}", "target-owned type members are never sent");
	check("{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"properties\":{}}",
	      "{\"key\":\"B\",\"displayName\":\"A\","
	      "\"baseType\":\"_component\",\"properties\":{}}",
	      API_V1, "{\"baseType\":\"_component\"}",
	      "the key is never sent; a base type change is");
}

static void test_properties_v1(void)
{
	check(BASE_R,
	      "{\"key\":\"Article\",\"displayName\":\"Article\","
	      "\"baseType\":\"_page\",\"properties\":{"
	      "\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
	      "\"maxLength\":200},"
	      "\"hero\":{\"type\":\"contentReference\"},"
	      "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	      "\"maxLength\":30},\"maxItems\":10},"
	      "\"summary\":{\"type\":\"string\",\"isRequired\":true,"
	      "\"indexingType\":\"queryable\",\"group\":\"Seo\"}}}",
	      API_V1,
	      "{\"properties\":{"
	      "\"title\":{\"maxLength\":200,\"isRequired\":false,"
	      "\"minLength\":null},"
	      "\"hero\":{\"allowedTypes\":[]},"
	      "\"tags\":{\"items\":{\"maxLength\":30}},"
	      "\"summary\":{\"type\":\"string\",\"isRequired\":true}}}",
	      "changed attributes, explicit defaults, new property");
	check(BASE_R,
	      "{\"key\":\"Article\",\"displayName\":\"Article\","
	      "\"baseType\":\"_page\",\"sortOrder\":5,"
	      "\"mayContainTypes\":[\"Author\"],\"properties\":{"
	      "\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
	      "\"isRequired\":true,\"maxLength\":100,\"minLength\":2,"
	      "\"indexingType\":\"searchable\",\"group\":\"Content\"}}}",
	      API_V1, "{\"properties\":{\"hero\":null,\"tags\":null}}",
	      "removed properties are sent as null");
	check(BASE_R,
	      "{\"key\":\"Article\",\"displayName\":\"Article\","
	      "\"baseType\":\"_page\",\"properties\":{"
	      "\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
	      "\"isRequired\":true,\"maxLength\":100,\"minLength\":2},"
	      "\"hero\":{\"type\":\"string\",\"maxLength\":10},"
	      "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"content\","
	      "\"allowedTypes\":[\"Tag\"]},\"maxItems\":10}}}",
	      API_V1,
	      "{\"properties\":{"
	      "\"hero\":{\"type\":\"string\",\"maxLength\":10,"
	      "\"allowedTypes\":null,\"restrictedTypes\":null,"
	      "\"contentType\":null},"
	      "\"tags\":{\"items\":{\"type\":\"content\","
	      "\"allowedTypes\":[\"Tag\"],\"maxLength\":null,"
	      "\"minLength\":null,\"pattern\":null,\"enum\":null}}}}",
	      "type changes drop the old type's members with null, not []");
	check("{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"properties\":{\"list\":{\"type\":\"array\","
	      "\"items\":{\"type\":\"string\"}}}}",
	      "{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"properties\":{\"list\":{\"type\":\"string\"}}}",
	      API_V1,
	      "{\"properties\":{\"list\":{\"type\":\"string\","
	      "\"items\":null,\"minItems\":null,\"maxItems\":null}}}",
	      "items that go away are sent as null, with the array's members");
	check("{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"properties\":{\"n\":{\"type\":\"integer\",\"enum\":["
	      "{\"value\":1,\"displayName\":\"One\"}]}}}",
	      "{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"properties\":{\"n\":{\"type\":\"integer\"}}}",
	      API_V1, "{\"properties\":{\"n\":{\"enum\":[]}}}",
	      "an enum that goes away is sent as []");
	check("{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\"}",
	      "{\"key\":\"A\",\"displayName\":\"A\",\"baseType\":\"_page\","
	      "\"properties\":{\"x\":{\"type\":\"string\","
	      "\"editorSettings\":{\"a\":1},\"displayMode\":\"hidden\"}}}",
	      API_V1, "{\"properties\":{\"x\":{\"type\":\"string\"}}}",
	      "a new property is sent without target-owned members");
}

static void test_properties_preview3(void)
{
	json_t *r, *l, *p, *wire;

	check(BASE_R,
	      "{\"key\":\"Article\",\"displayName\":\"Article\","
	      "\"baseType\":\"_page\",\"properties\":{"
	      "\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
	      "\"maxLength\":200,\"minLength\":2},"
	      "\"hero\":{\"type\":\"contentReference\","
	      "\"allowedTypes\":[\"_image\"]},"
	      "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	      "\"maxLength\":30},\"maxItems\":10}}}",
	      API_PREVIEW3,
	      "{\"properties\":{"
	      "\"title\":{\"type\":\"string\",\"displayName\":\"Title\","
	      "\"maxLength\":200,\"minLength\":2,\"isRequired\":false,"
	      "\"indexingType\":\"searchable\",\"group\":\"Content\"},"
	      "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
	      "\"maxLength\":30},\"maxItems\":10}}}",
	      "preview3 sends changed properties whole");

	r = load(BASE_R);
	l = load("{\"key\":\"Article\",\"displayName\":\"Article\","
		 "\"baseType\":\"_page\",\"properties\":{"
		 "\"title\":{\"type\":\"string\",\"displayName\":\"Title\"},"
		 "\"hero\":{\"type\":\"contentReference\","
		 "\"allowedTypes\":[\"_image\"]},"
		 "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
		 "\"maxLength\":20},\"maxItems\":10}}}");
	p = patch_compute(r, l, API_PREVIEW3);
	wire = tform_to_wire(p, API_PREVIEW3);
	is_json(wire,
		"{\"properties\":{\"title\":{\"type\":\"string\","
		"\"displayName\":\"Title\",\"required\":false,"
		"\"maxLength\":null,\"minLength\":null,"
		"\"indexingType\":\"searchable\",\"group\":\"Content\"}}}",
		"the preview3 wire form renames the explicit false");
	json_decref(wire);
	json_decref(p);
	json_decref(l);
	json_decref(r);
}

static void test_data_loss(void)
{
	json_t *r = load(BASE_R);
	json_t *reasons = NULL, *p;

	p = load("{\"displayName\":\"X\",\"properties\":{\"title\":"
		 "{\"maxLength\":5,\"isRequired\":false},"
		 "\"new\":{\"type\":\"string\",\"isLocalized\":true}}}");
	is_int(patch_data_loss(r, p, &reasons), 0,
	       "attribute changes and new properties lose nothing");
	is_int(json_array_size(reasons), 0, "and give no reasons");
	json_decref(reasons);
	json_decref(p);

	p = load("{\"properties\":{\"hero\":null}}");
	is_int(patch_data_loss(r, p, &reasons), 1, "removing a property");
	is_json(reasons,
		"[{\"path\":\"properties.hero\","
		"\"reason\":\"property 'hero' removed\"}]",
		"names the property");
	json_decref(reasons);
	json_decref(p);

	p = load("{\"properties\":{\"title\":{\"type\":\"richText\"},"
		 "\"tags\":{\"items\":{\"type\":\"integer\"}},"
		 "\"hero\":{\"isLocalized\":true,\"indexingType\":null}}}");
	is_int(patch_data_loss(r, p, &reasons), 3,
	       "type and item type changes, isLocalized on");
	json_decref(reasons);
	json_decref(p);

	p = load("{\"properties\":{\"title\":{\"isLocalized\":true},"
		 "\"hero\":{\"indexingType\":\"disabled\"}}}");
	is_int(patch_data_loss(r, p, NULL), 2,
	       "isLocalized on, indexingType set");
	json_decref(p);

	p = load("{\"properties\":{\"title\":{\"indexingType\":null}}}");
	is_int(patch_data_loss(r, p, NULL), 1, "indexingType removed");
	json_decref(p);

	p = load("{\"properties\":{\"title\":"
		 "{\"indexingType\":\"searchable\",\"isLocalized\":false}}}");
	is_int(patch_data_loss(r, p, NULL), 0,
	       "unchanged values sent whole lose nothing");
	json_decref(p);

	p = load("{\"mayContainTypes\":[\"Author\",\"Tag\"]}");
	is_int(patch_data_loss(r, p, NULL), 0, "mayContainTypes growing");
	json_decref(p);
	p = load("{\"mayContainTypes\":[\"Tag\"]}");
	is_int(patch_data_loss(r, p, &reasons), 1, "mayContainTypes shrinking");
	is_str(jx_str(json_array_get(reasons, 0), "path"), "mayContainTypes",
	       "names the member");
	json_decref(reasons);
	json_decref(p);
	p = load("{\"mayContainTypes\":null}");
	is_int(patch_data_loss(r, p, NULL), 1, "mayContainTypes emptied");
	json_decref(p);

	p = load("{\"baseType\":\"_component\"}");
	is_int(patch_data_loss(r, p, NULL), 1, "baseType changed");
	json_decref(p);
	p = load("{\"baseType\":\"_page\"}");
	is_int(patch_data_loss(r, p, NULL), 0, "baseType unchanged");
	json_decref(p);

	p = load("{\"properties\":{\"tags\":{\"type\":\"string\","
		 "\"items\":null}}}");
	is_int(patch_data_loss(r, p, NULL), 2,
	       "array to string: type and items");
	json_decref(p);

	json_decref(r);
}

static void test_data_loss_from_compute(void)
{
	json_t *r = load(BASE_R);
	json_t *l = load("{\"key\":\"Article\",\"displayName\":\"Article\","
			 "\"baseType\":\"_page\",\"sortOrder\":5,"
			 "\"mayContainTypes\":[\"Author\"],"
			 "\"properties\":{"
			 "\"title\":{\"type\":\"richText\","
			 "\"indexingType\":\"searchable\","
			 "\"group\":\"Content\"}}}");
	json_t *p = patch_compute(r, l, API_PREVIEW3);
	json_t *reasons = NULL;

	is_int(patch_data_loss(r, p, &reasons), 3,
	       "computed patch: title retyped, hero and tags removed");
	is_json(reasons,
		"[{\"path\":\"properties.hero\","
		"\"reason\":\"property 'hero' removed\"},"
		"{\"path\":\"properties.tags\","
		"\"reason\":\"property 'tags' removed\"},"
		"{\"path\":\"properties.title\",\"reason\":"
		"\"type of 'title' changed from 'string' to 'richText'\"}]",
		"in key order");
	json_decref(reasons);
	json_decref(p);
	json_decref(l);
	json_decref(r);
}

static void test_apply_and_satisfied(void)
{
	json_t *d = load("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"e\":[1]}");
	json_t *p = load("{\"a\":null,\"b\":{\"c\":null,\"x\":true},"
			 "\"e\":[2],\"f\":{\"g\":null}}");
	json_t *got = patch_apply(d, p);

	is_json(got, "{\"b\":{\"d\":3,\"x\":true},\"e\":[2],\"f\":{}}",
		"patch_apply follows RFC 7396");
	ok(patch_satisfied(got, p), "the result satisfies the patch");
	ok(!patch_satisfied(d, p), "the original does not");
	json_decref(got);
	json_decref(p);
	p = load("{\"x\":false,\"y\":[],\"z\":null}");
	ok(patch_satisfied(d, p), "defaults match absent members");
	json_decref(p);
	got = patch_apply(NULL, d);
	ok(json_equal(got, d), "applying to NULL copies");
	json_decref(got);
	json_decref(d);
}

int main(void)
{
	plan_lazy();
	test_no_change();
	test_type_members();
	test_properties_v1();
	test_properties_preview3();
	test_data_loss();
	test_data_loss_from_compute();
	test_apply_and_satisfied();
	return done_testing();
}
