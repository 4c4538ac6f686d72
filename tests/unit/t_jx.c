/*
 * t_jx: the JSON loader. jx_load reads through a fast path (yajl lexing,
 * jansson building) and leaves what that path declines to jansson's own
 * parser; the law it keeps is in tests/jxlaw.h. It is checked on
 * hand-picked edges, the sample rows, every file of the fuzz corpus
 * (tests/fuzz/corpus/jx) and seeded random mutations.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jxlaw.h"
#include "tap.h"
#include "testlib.h"
#include "util/buf.h"
#include "util/jx.h"

/* Counters over every document checked. */
static long checked, taken, broken;

/*
 * Checks the law on one document without a TAP line of its own (the
 * random rounds check thousands); 0 when it holds, else says why.
 */
static int law_holds(const char *text, size_t len, const char *name)
{
	struct buf why = BUF_INIT;
	int fast, ret = jxlaw_check(text, len, &fast, &why);

	checked++;
	taken += fast;
	if (ret) {
		broken++;
		diag("%s: %s", name, why.ptr);
	}
	buf_release(&why);
	return ret;
}

static int law(const char *text, const char *name)
{
	return law_holds(text, strlen(text), name);
}

/* Documents the fast path must read itself (the everyday shapes). */
static void test_taken(void)
{
	static const char *const docs[] = {
		"{}",
		"[]",
		"null",
		"true",
		"[0]",
		"[-0]",
		"[-12]",
		"[9223372036854775807]",
		"[-9223372036854775808]",
		"[1.5]",
		"[1.0]",
		"[-0.0]",
		"[1e3]",
		"[1E-3]",
		"[2.5e+10]",
		"[1e-400]",
		"\"\"",
		"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		"\"tab\\tquote\\\"slash\\/back\\\\nl\\n\\u00e9\\u0000\"",
		"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
		"{\"z\":1,\"a\":2,\"m\":3}",
		"{\"k\\u00e9y\":1,\"k\\\"q\":[{\"x\":\"\\u00e9\"}]}",
		" \t\r\n[1 , 2 ]\n",
		"{\"\":\"empty name\"}",
		"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		"]]]]]]]]]]",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		json_t *v = NULL;

		ok(jx_parse_fast(&v, docs[i], strlen(docs[i])) == 0 && v,
		   "the fast path reads everyday case %zu", i);
		json_decref(v);
		ok(law(docs[i], "everyday case") == 0,
		   "everyday case %zu: the same tree as jansson's", i);
	}
}

/*
 * Documents the fast path declines: jansson then reads or refuses them,
 * and jx_load says what jansson says.
 */
static void test_declined(void)
{
	static const char *const docs[] = {
		/* jansson's errors */
		"",
		"   ",
		"{",
		"[1,]",
		"{\"a\":1,}",
		"{\"a\" 1}",
		"[1 2]",
		"01",
		"1.",
		".5",
		"+1",
		"-",
		"1e",
		"NaN",
		"Infinity",
		"tru",
		"[1] [2]",
		"{\"a\":1}x",
		"\"\\x\"",
		"\"\\u12\"",
		"\"a\x01b\"",
		"\"unterminated",
		"/* comment */ 1",
		"[1,\f2]",
		"[1,\v2]",
		"\xef\xbb\xbf{}",
		/* duplicates and names jansson refuses */
		"{\"a\":1,\"a\":2}",
		"{\"a\":{\"b\":1,\"b\":1}}",
		"{\"\\u0041\":1,\"A\":2}",
		"{\"a\\u0000b\":1}",
		/* out of range */
		"9223372036854775808",
		"-9223372036854775809",
		"1e400",
		"-1e400",
		"123456789012345678901234567890123456789012345678901234567890"
		"1234567890",
		/* invalid UTF-8, raw or escaped */
		"\"\xc0\x80\"",
		"\"\xed\xa0\x80\"",
		"\"\xf4\x90\x80\x80\"",
		"\"\xff\"",
		"\"\xe2\x82\"",
		"{\"\xc3\":1}",
		"\"\\ud800\"",
		"\"\\udc00\"",
		"\"\\ud800\\u0041\"",
		"\"\\ud800x\"",
		"\"\\uDBFF\\uDFFF\"",
		"\"\\ud83d\\ude00\"",
		/* a number alone has no end yajl marks */
		"0",
		"-12",
		"1.5",
		"1e400",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		char name[64];

		snprintf(name, sizeof(name), "declined case %zu", i);
		ok(law(docs[i], name) == 0, "%s holds", name);
	}
}

/* Deep nesting: past the fast path's depth, and past jansson's. */
static void test_depth(void)
{
	struct buf b = BUF_INIT;
	json_t *v = NULL;
	int depths[] = {511, 512, 513, 2047, 2048, 2049, 5000};
	size_t i;

	for (i = 0; i < sizeof(depths) / sizeof(*depths); i++) {
		buf_reset(&b);
		for (int k = 0; k < depths[i]; k++)
			buf_adds(&b, "[");
		for (int k = 0; k < depths[i]; k++)
			buf_adds(&b, "]");
		ok(law_holds(b.ptr, b.len, "nesting") == 0,
		   "nesting %d deep as jansson", depths[i]);
	}
	buf_reset(&b);
	for (int k = 0; k < 100; k++)
		buf_adds(&b, "{\"a\":");
	buf_adds(&b, "1");
	for (int k = 0; k < 100; k++)
		buf_adds(&b, "}");
	ok(jx_parse_fast(&v, b.ptr, b.len) == 0, "100 objects deep are read");
	json_decref(v);
	buf_release(&b);
}

/* A string value that holds a NUL byte keeps its length. */
static void test_nul_in_value(void)
{
	static const char doc[] = "{\"a\":\"x\\u0000y\"}";
	json_t *v = NULL;

	ok(jx_parse_fast(&v, doc, strlen(doc)) == 0, "read");
	is_int(json_string_length(json_object_get(v, "a")), 3,
	       "the NUL is inside the value");
	json_decref(v);
}

/* Keys that yajl hands over unescaped in its own buffer stay right. */
static void test_escaped_keys(void)
{
	static const char doc[] =
		"{\"\\u0061\":\"\\u0062\",\"c\\td\":{\"e\\\"\":\"f\\n\"}}";
	json_t *v = NULL;

	ok(jx_parse_fast(&v, doc, strlen(doc)) == 0, "read");
	is_str(json_string_value(json_object_get(v, "a")), "b",
	       "escaped name, escaped value");
	ok(json_object_get(json_object_get(v, "c\td"), "e\"") != NULL,
	   "nested escaped names");
	json_decref(v);
}

/* Every sample row's fields and settings, and every corpus file. */
static void test_files(void)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	const char *dir = "fuzz/corpus/jx";
	struct dirent *d;
	DIR *dh;
	long n = 0, bad = 0;

	for (int i = 0; i < TEST_NR_SAMPLES; i++) {
		test_fixture_path(&path, test_samples[i]);
		buf_reset(&text);
		if (test_read_file(&text, path.ptr) < 0) {
			ok(0, "cannot read %s", path.ptr);
			continue;
		}
		ok(law_holds(text.ptr, text.len, test_samples[i]) == 0,
		   "sample %s", test_samples[i]);
	}
	dh = opendir(dir);
	ok(dh != NULL, "the corpus is at tests/%s", dir);
	while (dh && (d = readdir(dh))) {
		if (d->d_name[0] == '.')
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, d->d_name);
		buf_reset(&text);
		if (test_read_file(&text, path.ptr) < 0) {
			bad++;
			continue;
		}
		n++;
		bad += law_holds(text.ptr, text.len, d->d_name) != 0;
	}
	if (dh)
		closedir(dh);
	ok(n >= 10, "the corpus has documents (%ld)", n);
	is_int(bad, 0, "the law holds on every corpus document");
	buf_release(&path);
	buf_release(&text);
}

/* A small deterministic generator (the rounds must be repeatable). */
static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* Bytes and pieces that change how a JSON text reads. */
static const char *const pieces[] = {
	"{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\ud800",
	"\\udc00", "\\u0000", "\\n", " ", "\t", "\n", "\r", "\f", "\v",
	"0", "1", "9", "-", "+", ".", "e", "E", "00", "1e999", "true",
	"false", "null", "\x80", "\xc0\x80", "\xc3\xa9", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\xff", "\x01", "\x7f", "\"a\":1", "\"a\":",
	"99999999999999999999", "0.1", "-0",
};

static void mutate(struct buf *b)
{
	size_t at = b->len ? rnd((unsigned)b->len + 1) : 0;
	struct buf tail = BUF_INIT;

	buf_add(&tail, b->ptr + at, b->len - at);
	buf_setlen(b, at);
	switch (rnd(3)) {
	case 0: /* insert */
		buf_adds(b, pieces[rnd(sizeof(pieces) / sizeof(*pieces))]);
		buf_add(b, tail.ptr, tail.len);
		break;
	case 1: { /* delete one to three bytes */
		size_t n = 1 + rnd(3);

		if (n > tail.len)
			n = tail.len;
		buf_add(b, tail.ptr + n, tail.len - n);
		break;
	}
	default: /* replace one byte */
		buf_adds(b, pieces[rnd(sizeof(pieces) / sizeof(*pieces))]);
		if (tail.len)
			buf_add(b, tail.ptr + 1, tail.len - 1);
		break;
	}
	buf_release(&tail);
}

static void test_random(void)
{
	static const char *const seeds[] = {
		"{\"name\":\"Type 1\",\"fields\":[{\"id\":\"f1\",\"name\":"
		"\"title\",\"type\":\"text\",\"required\":true,\"validation\":"
		"{\"minLength\":2,\"maxLength\":120},\"order\":0}]}",
		"[1,-2.5,1e3,\"caf\xc3\xa9\",{\"a\":[true,false,null]}]",
		"{\"k\\u00e9y\":\"v\\\"al\\\\ue\\n\",\"n\":{\"m\":{}}}",
		"{\"options\":[{\"label\":\"A\",\"value\":\"a\"}],\"d\":0.0}",
	};
	struct buf b = BUF_INIT;
	long before = broken, taken_before = taken;
	int rounds = getenv("CS_TEST_VALGRIND") ? 3000 : 30000;

	for (int r = 0; r < rounds; r++) {
		int edits = 1 + (int)rnd(4);

		buf_reset(&b);
		buf_adds(&b, seeds[rnd(sizeof(seeds) / sizeof(*seeds))]);
		while (edits--)
			mutate(&b);
		if (law_holds(b.ptr, b.len, "mutation") && broken - before < 5)
			diag("the mutation: %s", b.ptr);
	}
	is_int(broken - before, 0, "the law holds on %d mutated documents",
	       rounds);
	ok((taken - taken_before) * 20 > rounds,
	   "the fast path read %ld of them", taken - taken_before);
	buf_release(&b);
}

/* Numbers and strings at their edges, dumped as jansson dumps them. */
static void test_dump_edges(void)
{
	static const double reals[] = {
		0.0, -0.0, 1.0, -1.5, 0.1, 1e21, 1e22, 1e-7, 1.5e-300,
		2.2250738585072014e-308, 4.9e-324, 1.7976931348623157e308,
		123456789012345678.0, 3.0e100, -2.5e-5, 100.0, 1e16, 0.5,
	};
	static const json_int_t ints[] = {
		0, 1, -1, 9, 10, -10, 1234567890123LL, INT64_MAX, INT64_MIN,
	};
	json_t *a = json_array(), *o = json_object();
	struct buf got = BUF_INIT;
	char *want;
	size_t i;

	for (i = 0; i < sizeof(reals) / sizeof(*reals); i++)
		json_array_append_new(a, json_real(reals[i]));
	for (i = 0; i < sizeof(ints) / sizeof(*ints); i++)
		json_array_append_new(a, json_integer(ints[i]));
	for (i = 0; i < 0x80; i++) {
		char s[3] = {'a', (char)i, 'b'};

		json_array_append_new(a, json_stringn(s, 3));
	}
	json_object_setn_new(o, "k\"\\\n\x01\xc3\xa9", 7, json_true());
	json_object_set_new(o, "a", a);
	json_object_set_new(o, "f", json_false());
	json_object_set_new(o, "n", json_null());
	json_object_set_new(o, "e", json_object());
	json_object_set_new(o, "E", json_array());
	want = json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY);
	jx_dump_compact(&got, o);
	is_str(got.ptr, want, "edge numbers and every ASCII byte: as jansson");
	free(want);
	buf_reset(&got);
	jx_dump_compact(&got, json_array_get(a, 0));
	is_str(got.ptr, "0.0", "a real alone keeps its point");
	buf_reset(&got);
	jx_dump_compact(&got, NULL);
	is_int(got.len, 0, "nothing for NULL");
	json_decref(o);
	buf_release(&got);
}

int main(void)
{
	plan_lazy();
	test_taken();
	test_declined();
	test_depth();
	test_nul_in_value();
	test_escaped_keys();
	test_files();
	test_random();
	test_dump_edges();
	diag("%ld documents checked, %ld read by the fast path", checked,
	     taken);
	return done_testing();
}
