/*
 * t_diff: the structural diff, down to each attribute; sets as sets.
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "core/diff.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"

static json_t *j(const char *text)
{
	json_t *v = NULL;

	if (jx_load(&v, text, strlen(text), "test") < 0) {
		diag("%s", err_msg());
		abort();
	}
	return v;
}

/* The formatted diff of two documents given as text. */
static char *diff_text(const char *a, const char *b)
{
	struct diff d = DIFF_INIT;
	struct buf out = BUF_INIT;
	json_t *ja = a ? j(a) : NULL, *jb = b ? j(b) : NULL;

	diff_json(&d, ja, jb, NULL);
	diff_format(&out, &d);
	diff_release(&d);
	json_decref(ja);
	json_decref(jb);
	return buf_detach(&out, NULL);
}

static void check(const char *a, const char *b, const char *want,
		  const char *what)
{
	char *got = diff_text(a, b);

	is_str(got, want, "%s", what);
	free(got);
}

int main(void)
{
	struct diff d = DIFF_INIT;
	json_t *a, *b, *arr;

	plan_lazy();
	check("{\"a\":1}", "{\"a\":1}", "", "equal documents: no entries");
	check("{\"a\":1}", "{\"a\":1.0}", "", "numbers compare by value");
	check("{\"fields\":{\"title\":{\"label\":\"Title\",\"required\":true}}"
	      "}",
	      "{\"fields\":{\"title\":{\"label\":\"Headline\",\"required\":"
	      "true}}}",
	      "~ fields.title.label: \"Title\" -> \"Headline\"\n",
	      "down to a field attribute");
	check("{\"fields\":{\"a\":{\"type\":\"text\"}}}",
	      "{\"fields\":{\"a\":{\"type\":\"text\"},\"b\":{\"type\":\"url\"}}"
	      "}",
	      "+ fields.b: {\"type\":\"url\"}\n", "an added field");
	check("{\"fields\":{\"a\":{\"type\":\"text\"},\"b\":{}}}",
	      "{\"fields\":{\"a\":{\"type\":\"text\"}}}", "- fields.b: {}\n",
	      "a removed field");
	check("{\"z\":1,\"a\":{\"y\":1,\"b\":2}}",
	      "{\"z\":2,\"a\":{\"y\":2,\"b\":3}}",
	      "~ a.b: 2 -> 3\n~ a.y: 1 -> 2\n~ z: 1 -> 2\n", "ordered by path");
	check("{\"properties\":{\"p\":{\"options\":[1,2]}}}",
	      "{\"properties\":{\"p\":{\"options\":[2,1]}}}",
	      "~ properties.p.options: [1,2] -> [2,1]\n",
	      "an ordinary array is one value");
	check("{\"properties\":{\"p\":{\"allowedTypes\":[\"A\",\"B\"]}}}",
	      "{\"properties\":{\"p\":{\"allowedTypes\":[\"B\",\"C\"]}}}",
	      "- properties.p.allowedTypes[]: \"A\"\n"
	      "+ properties.p.allowedTypes[]: \"C\"\n",
	      "a set-valued array: elements added and removed");
	check("{\"properties\":{\"p\":{\"allowedTypes\":[\"A\",\"B\"]}}}",
	      "{\"properties\":{\"p\":{\"allowedTypes\":[\"B\",\"A\"]}}}", "",
	      "a set in another order is the same set");
	check("{\"fields\":{\"a.b\":{\"x\":1}}}",
	      "{\"fields\":{\"a.b\":{\"x\":2}}}",
	      "~ fields[\"a.b\"].x: 1 -> 2\n", "names with dots are quoted");
	check("{\"a\":{\"b\":1}}", "{\"a\":\"text\"}",
	      "~ a: {\"b\":1} -> \"text\"\n", "a change of kind is one entry");
	check("{\"a\":1}", NULL, "- (the whole type): {\"a\":1}\n",
	      "a deleted document");
	check(NULL, "{\"a\":1}", "+ (the whole type): {\"a\":1}\n",
	      "a created document");
	check("{\"a\":null}", "{}", "- a: null\n", "null is a value");

	a = j("{\"properties\":{\"t\":{\"maxLength\":10,\"allowedTypes\":["
	      "\"X\"]}}}");
	b = j("{\"properties\":{\"t\":{\"maxLength\":20,\"allowedTypes\":[]}}"
	      "}");
	diff_json(&d, a, b, NULL);
	is_int(d.nr, 2, "two entries");
	if (d.nr == 2) {
		is_int(d.items[0].op, DIFF_REMOVE, "the set element removed");
		ok(d.items[0].set_member, "marked as a set member");
		is_int(json_array_size(d.items[1].segments), 3,
		       "segments name each member");
		is_str(json_string_value(
			       json_array_get(d.items[1].segments, 2)),
		       "maxLength", "down to the attribute");
	}
	arr = diff_to_json(&d);
	ok(json_array_size(arr) == 2 &&
		   !strcmp(jx_str(json_array_get(arr, 1), "op"), "change") &&
		   json_integer_value(json_object_get(json_array_get(arr, 1),
						      "new")) == 20,
	   "as JSON");
	json_decref(arr);
	diff_release(&d);
	json_decref(a);
	json_decref(b);
	ok(diff_equal(NULL, NULL) && !diff_equal(NULL, json_null()),
	   "absent is not null");
	return done_testing();
}
