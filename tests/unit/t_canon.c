/*
 * t_canon: RFC 8785 canonical JSON and the hashes built on it.
 *
 * FROZEN: the PIN_* values below were computed outside this code, with
 * sha256sum over canonical JSON written out by hand (for the form, written
 * by Node.js: JSON.stringify with keys in JavaScript's UTF-16 sort order).
 * Content hashes, version ids and tree hashes are persisted in every store,
 * so these values must never change without a store migration. A failure here
 * means the serializer changed, not that the pins need updating.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "core/canon.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"
#include "util/xalloc.h"

/* SHA-256 of "", "a" and "b": stand-ins for content hashes and ids. */
#define HASH_EMPTY                                                             \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HASH_A                                                                 \
	"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define HASH_B                                                                 \
	"3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"

/*
 * sha256sum of
 * {"content":HASH_EMPTY,"parents":[HASH_B,HASH_A],"type":"ct_article"}
 */
#define PIN_VERSION_TWO_PARENTS                                                \
	"5e794d25a11e2b2a02b49fc8bb22ff36d5c1d14d160d52a00de67d53a6554a25"
/* sha256sum of {"content":HASH_EMPTY,"parents":[],"type":"ct_article"} */
#define PIN_VERSION_ROOT                                                       \
	"1a10331aae7f69fadf1bc534a6db22544ced86244f3b1aa634177b216e059d5c"
/* sha256sum of {"A":HASH_A,"B":HASH_B} */
#define PIN_TREE                                                               \
	"1e7dcefb47e1b18acdf5956eeafe95b2b951dec73b5ec090b6c5d425ca4096cd"
/* sha256sum of {} */
#define PIN_TREE_EMPTY                                                         \
	"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
/* sha256sum of the canonical JSON of BASE_FORM without its ids */
#define PIN_FORM_CONTENT                                                       \
	"f8f1f2940f40632df8f3ee36c501248030b4230f17b39dcaad2b7a56bc52075a"

/* A small Catalyst form (core/catalyst_form.h), quotes written as '. */
static const char BASE_FORM[] =
	"{'id': 'ct_1', 'websiteId': 'site_1', 'name': 'Article',"
	" 'key': 'article', 'category': 'page', 'settings': {'id': 'kept'},"
	" 'fields': {"
	"  'title': {'id': 'f_title', 'type': 'text', 'label': 'Title',"
	"   'required': true, 'order': 0, 'validation': {'maxLength': 80}},"
	"  'status': {'id': 'f_status', 'type': 'select', 'label': 'Status',"
	"   'required': false, 'order': 1,"
	"   'options': [{'label': 'Draft', 'value': 'draft'},"
	"               {'label': 'Live', 'value': 'live'}]},"
	"  'author': {'id': 'f_author', 'type': 'object', 'label': 'Author',"
	"   'required': false, 'order': 2,"
	"   'fields': {'name': {'id': 'f_author_name', 'type': 'text',"
	"    'label': 'Name', 'required': true, 'order': 0}}}},"
	" 'relationships': {'tags': {'id': 'r_tags', 'type': 'manyToMany',"
	"  'targetContentTypeId': 'ct_tag'}}}";

/* Parses test input; a mistake in it is a bug in this file. */
static json_t *parse(const char *text)
{
	json_t *v;

	if (jx_load(&v, text, strlen(text), "test input")) {
		diag("%s", err_msg());
		abort();
	}
	return v;
}

/* Parses JSON written with ' for ", which keeps C literals readable. */
static json_t *parse_q(const char *text)
{
	char *s = xstrdup(text);
	json_t *v;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = parse(s);
	free(s);
	return v;
}

/* The member or element named by a "/"-separated path (borrowed). */
static json_t *at(json_t *v, const char *path)
{
	while (v && *path) {
		size_t n = strcspn(path, "/");

		if (json_is_array(v))
			v = json_array_get(v, strtoul(path, NULL, 10));
		else
			v = json_object_getn(v, path, n);
		path += n + (path[n] == '/');
	}
	return v;
}

static void check_canon(const char *in, const char *want, const char *name)
{
	struct buf b = BUF_INIT;
	json_t *v = parse(in);

	is_int(canon_json(&b, v), 0, "%s: canonicalizes", name);
	is_str(b.ptr, want, "%s", name);
	buf_release(&b);
	json_decref(v);
}

static void check_number(double d, const char *want)
{
	struct buf b = BUF_INIT;

	canon_number(&b, d);
	is_str(b.ptr, want, "number %.17g is %s", d, want);
	buf_release(&b);
}

static double from_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* RFC 8785 Appendix B: IEEE 754 bit patterns and their serialization. */
static void test_rfc_numbers(void)
{
	static const struct {
		uint64_t bits;
		const char *want;
	} table[] = {
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		check_number(from_bits(table[i].bits), table[i].want);
}

/* The ECMAScript layout rules at their boundaries, and some plain values. */
static void test_number_forms(void)
{
	check_number(1.0, "1");
	check_number(-1.5, "-1.5");
	check_number(0.1, "0.1");
	check_number(0.1 + 0.2, "0.30000000000000004");
	check_number(4.5, "4.5");
	check_number(0.002, "0.002");
	check_number(100, "100");
	check_number(1e20, "100000000000000000000");
	check_number(1e21, "1e+21");
	check_number(1.5e21, "1.5e+21");
	check_number(0.000001, "0.000001");
	check_number(0.0000015, "0.0000015");
	check_number(1e-7, "1e-7");
	check_number(1.5e-7, "1.5e-7");
	check_number(1e30, "1e+30");
	check_number(333333333.33333329, "333333333.3333333");
	/*
	 * A power of two where printf's closest 16-digit value does not read
	 * back but its neighbour does: ECMAScript still wants 16 digits.
	 */
	check_number(ldexp(1, 172), "5.986310706507379e+51");
	check_number(ldexp(1, -1022), "2.2250738585072014e-308");
}

/* RFC 8785 §3.2.3, and numbers reaching canon_json through jansson. */
static void test_rfc_example(void)
{
	struct buf b = BUF_INIT;
	json_t *v;

	check_canon(
		"{\n"
		"  \"numbers\": [333333333.33333329, 1E30, 4.50,\n"
		"              2e-3, 0.000000000000000000000000001],\n"
		"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042"
		"\\u0022\\u005c\\\\\\\"\\/\",\n"
		"  \"literals\": [null, true, false]\n"
		"}",
		"{\"literals\":[null,true,false],"
		"\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
		"\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
		"the RFC 8785 example");
	check_canon("[1.0, -0.0, 100, 1e2, 0.0]", "[1,0,100,100,0]",
		    "1.0, -0.0 and 1e2 print as integers");

	/* jansson integers become doubles, as RFC 8785 requires. */
	v = json_pack("[I,I]", (json_int_t)INT64_MAX,
		      (json_int_t)-9007199254740993LL);
	is_int(canon_json(&b, v), 0, "integers canonicalize");
	is_str(b.ptr, "[9223372036854776000,-9007199254740992]",
	       "integers are rounded to the nearest double");
	json_decref(v);
	buf_release(&b);
}

/* Object members sort by UTF-16 code units, not by UTF-8 bytes. */
static void test_key_order(void)
{
	check_canon("{\"\\u20ac\": \"Euro Sign\","
		    " \"\\r\": \"Carriage Return\","
		    " \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\","
		    " \"1\": \"One\","
		    " \"\\ud83d\\ude00\": \"Emoji: Grinning Face\","
		    " \"\\u0080\": \"Control\","
		    " \"\\u00f6\": \"Latin Small Letter O With Diaeresis\","
		    " \"\\u0434\\u0435\\u0442\": \"Cyrillic\"}",
		    "{\"\\r\":\"Carriage Return\","
		    "\"1\":\"One\","
		    "\"\xc2\x80\":\"Control\","
		    "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		    "\"\xd0\xb4\xd0\xb5\xd1\x82\":\"Cyrillic\","
		    "\"\xe2\x82\xac\":\"Euro Sign\","
		    "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		    "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}",
		    "the RFC 8785 sorting example, plus a Cyrillic key");
	check_canon("{\"\\ue000\": 1, \"\\ud800\\udc00\": 2}",
		    "{\"\xf0\x90\x80\x80\":2,\"\xee\x80\x80\":1}",
		    "U+10000 sorts before U+E000 (surrogates, not bytes)");
	check_canon("{\"ab\": 1, \"a\": 2, \"\": 3, \"B\": 4}",
		    "{\"\":3,\"B\":4,\"a\":2,\"ab\":1}",
		    "a prefix sorts first, upper case before lower");
	check_canon("{\"b\": {\"d\": [3, {\"f\": 1, \"e\": 2}], \"c\": {}},"
		    " \"a\": []}",
		    "{\"a\":[],\"b\":{\"c\":{},\"d\":[3,{\"e\":2,\"f\":1}]}}",
		    "nested objects sort, arrays keep their order");
}

static void test_strings(void)
{
	struct buf b = BUF_INIT;
	char controls[32];
	json_t *v;

	for (int i = 0; i < 32; i++)
		controls[i] = (char)i;
	v = json_stringn(controls, sizeof(controls));
	is_int(canon_json(&b, v), 0, "control characters canonicalize");
	is_str(b.ptr,
	       "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
	       "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
	       "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
	       "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"",
	       "short escapes where they exist, else lowercase \\u00xx");
	json_decref(v);

	check_canon("\"/\\u007f\\u2028\\\"\\\\\\u00e9\"",
		    "\"/\x7f\xe2\x80\xa8\\\"\\\\\xc3\xa9\"",
		    "'/', DEL and U+2028 stay literal; quote and backslash "
		    "escape");
	check_canon("\"\\udbff\\udfff\"", "\"\xf4\x8f\xbf\xbf\"",
		    "U+10FFFF is written as UTF-8");

	buf_release(&b);

	buf_adds(&b, "x=");
	v = json_true();
	is_int(canon_json(&b, v), 0, "true canonicalizes");
	is_str(b.ptr, "x=true", "canon_json appends to what is there");
	json_decref(v);
	buf_release(&b);
}

/* Expects ERR_INVALID with a message holding want, and out left alone. */
static void check_rejected(const json_t *v, const char *want, const char *name)
{
	struct buf b = BUF_INIT;
	char hash[CANON_HASH_LEN + 1];

	err_clear();
	buf_adds(&b, "kept");
	is_int(canon_json(&b, v), ERR_INVALID, "%s: rejected", name);
	ok(strstr(err_msg(), want) != NULL, "%s: the message says '%s' (%s)",
	   name, want, err_msg());
	is_str(b.ptr, "kept", "%s: nothing is appended", name);
	is_int(canon_hash(hash, v), ERR_INVALID, "%s: cannot be hashed", name);
	err_clear();
	buf_release(&b);
}

static void test_invalid_utf8(void)
{
	static const struct {
		const char *bytes;
		const char *name;
	} bad[] = {
		{"\x80", "a stray continuation byte"},
		{"a\xc3(", "a lead byte without its continuation"},
		{"\xe2\x82", "a truncated sequence"},
		{"\xc0\xaf", "an overlong '/'"},
		{"\xe0\x80\xaf", "an overlong three-byte sequence"},
		{"\xed\xa0\x80", "an encoded surrogate"},
		{"\xf4\x90\x80\x80", "a code point above U+10FFFF"},
		{"\xff", "the byte 0xff"},
	};
	json_t *v, *obj;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = json_string_nocheck(bad[i].bytes);
		check_rejected(v, "invalid UTF-8 in a string", bad[i].name);
		json_decref(v);
	}

	v = parse("{\"a\": [1, {\"b/c\": null}]}");
	json_object_set_new_nocheck(at(v, "a/1"), "b/c",
				    json_string_nocheck("\xc3("));
	check_rejected(v, "at '/a/1/b~1c'", "a bad string deep inside");
	json_decref(v);

	obj = json_object();
	json_object_set_new_nocheck(obj, "ok", json_null());
	json_object_set_new_nocheck(obj, "k\xff", json_null());
	v = json_pack("{s:o}", "outer", obj);
	check_rejected(v, "invalid UTF-8 in an object key at '/outer'",
		       "a bad object key");
	json_decref(v);
}

/*
 * canon_json refuses NaN and Infinity too, but jansson never lets one into
 * a document, so that is what can be tested.
 */
static void test_nan(void)
{
	json_t *v, *r = json_real(1);

	ok(json_real(NAN) == NULL, "jansson makes no NaN");
	ok(json_real(INFINITY) == NULL, "nor Infinity");
	ok(json_real_set(r, -INFINITY) < 0, "nor sets one");
	check_canon("[1.0]", "[1]", "a real still works");
	v = NULL;
	is_int(jx_load(&v, "[NaN]", 5, "nan"), ERR_INVALID,
	       "a document with NaN does not parse");
	is_int(jx_load(&v, "[1e400]", 7, "inf"), ERR_INVALID,
	       "nor one that overflows to Infinity");
	ok(v == NULL, "and gives no value");
	err_clear();
	json_decref(r);
}

static void hash_of(char out[CANON_HASH_LEN + 1], const char *text)
{
	json_t *v = parse(text);

	if (canon_hash(out, v))
		diag("%s", err_msg());
	json_decref(v);
}

static void test_hash(void)
{
	char h1[CANON_HASH_LEN + 1], h2[CANON_HASH_LEN + 1];

	hash_of(h1, "{}");
	is_str(h1, PIN_TREE_EMPTY, "the hash of {} is sha256(\"{}\")");
	hash_of(h1, "{\"b\": 1, \"a\": {\"y\": [1, 2], \"x\": \"s\"}}");
	hash_of(h2, "{\"a\": {\"x\": \"s\", \"y\": [1, 2]}, \"b\": 1}");
	is_str(h1, h2, "the order of members does not change the hash");
	hash_of(h2, "{ \"a\" : { \"x\":\"s\",\n\"y\":[ 1 ,2 ] },\"b\":1.0 }");
	is_str(h1, h2, "whitespace and 1.0 for 1 do not either");
	hash_of(h2, "{\"b\": 1, \"a\": {\"y\": [2, 1], \"x\": \"s\"}}");
	ok(strcmp(h1, h2), "the order of array elements does");
	hash_of(h1, "{\"n\": 1}");
	hash_of(h2, "{\"n\": 1.0}");
	is_str(h1, h2, "1.0 and 1 hash the same");
	hash_of(h2, "{\"n\": 1.5}");
	ok(strcmp(h1, h2), "1.5 and 1 do not");
}

static void content_hash(char out[CANON_HASH_LEN + 1], const json_t *form)
{
	if (canon_content_hash(out, form))
		diag("%s", err_msg());
}

/* Replaces (or with value NULL removes) member key of the object at path. */
struct form_edit {
	const char *path;
	const char *key;
	const char *value;
	const char *what;
};

static void check_edits(const struct form_edit *edits, size_t nr,
			const char *base_hash, int same)
{
	char hash[CANON_HASH_LEN + 1];

	for (size_t i = 0; i < nr; i++) {
		json_t *form = parse_q(BASE_FORM);
		json_t *obj = at(form, edits[i].path);

		if (!json_is_object(obj)) {
			diag("no object at '%s' in BASE_FORM", edits[i].path);
			abort();
		}
		if (edits[i].value)
			json_object_set_new(obj, edits[i].key,
					    parse_q(edits[i].value));
		else
			json_object_del(obj, edits[i].key);
		content_hash(hash, form);
		if (same)
			is_str(hash, base_hash, "%s: same content hash",
			       edits[i].what);
		else
			ok(strcmp(hash, base_hash),
			   "%s: changes the content hash", edits[i].what);
		json_decref(form);
	}
}

static void test_content_hash(void)
{
	static const struct form_edit identity[] = {
		{"", "id", "'ct_2'", "another type id"},
		{"", "websiteId", "'site_2'", "another website id"},
		{"", "id", NULL, "no type id"},
		{"fields/title", "id", "'f_other'", "another field id"},
		{"fields/status", "id", NULL, "no field id"},
		{"fields/author/fields/name", "id", "'f_x'",
		 "another nested field id"},
		{"relationships/tags", "id", "'r_other'",
		 "another relationship id"},
		{"fields/title/validation", "maxLength", "80.0", "80.0 for 80"},
	};
	static const struct form_edit content[] = {
		{"fields/title", "label", "'Headline'", "a field label"},
		{"fields/title", "required", "false", "required true to false"},
		{"fields/status", "required", "true", "required false to true"},
		{"fields/status/options/1", "value", "'published'",
		 "an option value"},
		{"fields/status/options/0", "label", "'Drafted'",
		 "an option label"},
		{"fields/title/validation", "maxLength", "81",
		 "a validation bound"},
		{"fields/title", "order", "3", "a field's order"},
		{"fields/author/fields/name", "label", "'Full name'",
		 "a nested field's label"},
		{"fields/author/fields/name", "required", "false",
		 "a nested field's required"},
		{"fields/title", "helpText", "'Shown to editors'",
		 "a new member of a field"},
		{"fields", "body", "{'type': 'richText', 'order': 3}",
		 "a new field"},
		{"fields", "status", NULL, "a field removed"},
		{"relationships/tags", "targetContentTypeId", "'ct_cat'",
		 "a relationship target"},
		{"", "name", "'Post'", "the type name"},
		{"", "category", "'component'", "the category"},
		{"settings", "id", "'other'", "an 'id' inside settings"},
		{"fields/title", "type", "'textarea'", "a field type"},
	};
	char base[CANON_HASH_LEN + 1], hash[CANON_HASH_LEN + 1];
	json_t *form = parse_q(BASE_FORM), *v;

	content_hash(base, form);
	is_str(base, PIN_FORM_CONTENT, "the content hash of the base form");
	ok(json_object_get(form, "id") && at(form, "fields/title/id") &&
		   at(form, "relationships/tags/id"),
	   "the form itself keeps its ids");
	check_edits(identity, sizeof(identity) / sizeof(identity[0]), base, 1);
	check_edits(content, sizeof(content) / sizeof(content[0]), base, 0);

	is_int(canon_hash(hash, form), 0, "the whole form hashes too");
	ok(strcmp(hash, base), "and that hash includes the ids");

	v = json_array();
	err_clear();
	is_int(canon_content_hash(hash, v), ERR_INVALID,
	       "a form that is not an object is refused");
	json_decref(v);
	json_object_set_new_nocheck(at(form, "fields/title"), "label",
				    json_string_nocheck("\xff"));
	is_int(canon_content_hash(hash, form), ERR_INVALID,
	       "a form with invalid UTF-8 is refused");
	ok(strstr(err_msg(), "'/fields/title/label'") != NULL,
	   "and the message names the member (%s)", err_msg());
	err_clear();
	json_decref(form);
}

static void test_version_id(void)
{
	const char *ab[] = {HASH_A, HASH_B}, *ba[] = {HASH_B, HASH_A};
	const char *a[] = {HASH_A}, *b[] = {HASH_B}, *bad[] = {"\xff"};
	char id[CANON_HASH_LEN + 1], other[CANON_HASH_LEN + 1];
	json_t *doc;

	is_int(canon_version_id(id, "ct_article", HASH_EMPTY, ab, 2), 0,
	       "a version id with two parents");
	is_str(id, PIN_VERSION_TWO_PARENTS, "is the pinned value");
	is_int(canon_version_id(other, "ct_article", HASH_EMPTY, ba, 2), 0,
	       "the same parents in another order");
	is_str(other, id, "give the same id");

	doc = parse("{\"type\": \"ct_article\", \"content\": \"" HASH_EMPTY
		    "\", \"parents\": [\"" HASH_B "\", \"" HASH_A "\"]}");
	is_int(canon_hash(other, doc), 0, "the documented object hashes");
	is_str(other, id, "to the version id");
	json_decref(doc);

	is_int(canon_version_id(id, "ct_article", HASH_EMPTY, NULL, 0), 0,
	       "a root version (no parents)");
	is_str(id, PIN_VERSION_ROOT, "is the pinned value");

	is_int(canon_version_id(id, "ct_article", HASH_EMPTY, a, 1), 0,
	       "one parent");
	is_int(canon_version_id(other, "ct_article", HASH_EMPTY, b, 1), 0,
	       "another parent");
	ok(strcmp(id, other), "different parents, different ids");
	is_int(canon_version_id(other, "ct_article", HASH_EMPTY, ab, 2), 0,
	       "one more parent");
	ok(strcmp(id, other), "gives a different id");
	is_int(canon_version_id(other, "ct_article", HASH_B, a, 1), 0,
	       "other content");
	ok(strcmp(id, other), "gives a different id");
	is_int(canon_version_id(other, "ct_page", HASH_EMPTY, a, 1), 0,
	       "another type");
	ok(strcmp(id, other), "gives a different id");

	err_clear();
	is_int(canon_version_id(id, "ct_article", HASH_EMPTY, bad, 1),
	       ERR_INVALID, "a parent that is not UTF-8 is refused");
	is_int(canon_version_id(id, "ct\xc3", HASH_EMPTY, NULL, 0), ERR_INVALID,
	       "so is such a type id");
	err_clear();
}

static void test_tree_hash(void)
{
	char hash[CANON_HASH_LEN + 1], other[CANON_HASH_LEN + 1];
	json_t *tree = json_pack("{s:s,s:s}", "B", HASH_B, "A", HASH_A);
	json_t *empty = json_object(), *wrong;

	is_int(canon_tree_hash(hash, tree), 0, "a tree of two types");
	is_str(hash, PIN_TREE, "is the pinned value");
	is_int(canon_hash(other, tree), 0, "hashing the object itself");
	is_str(other, hash, "gives the same");
	is_int(canon_tree_hash(hash, empty), 0, "an empty tree");
	is_str(hash, PIN_TREE_EMPTY, "is the pinned value");

	json_object_set_new(tree, "B", json_string(HASH_EMPTY));
	is_int(canon_tree_hash(other, tree), 0, "a tree with one type changed");
	ok(strcmp(other, PIN_TREE), "has another hash");

	err_clear();
	wrong = json_pack("{s:i}", "A", 1);
	is_int(canon_tree_hash(hash, wrong), ERR_INVALID,
	       "a tree entry that is not a string is refused");
	json_decref(wrong);
	wrong = json_array();
	is_int(canon_tree_hash(hash, wrong), ERR_INVALID,
	       "so is a tree that is not an object");
	err_clear();
	json_decref(wrong);
	json_decref(empty);
	json_decref(tree);
}

int main(void)
{
	plan_lazy();
	test_rfc_numbers();
	test_number_forms();
	test_rfc_example();
	test_key_order();
	test_strings();
	test_invalid_utf8();
	test_nan();
	test_hash();
	test_content_hash();
	test_version_id();
	test_tree_hash();
	return done_testing();
}
