/*
 * The per-website pipeline: keys for every type before any type is
 * transformed, references resolved through them, persisted and taken keys,
 * TYPE lookup, per-type errors, determinism.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "testlib.h"
#include "core/model.h"
#include "source/catalyst_sqlite.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jx.h"

#define QA "cmedxk9n20000v8q4website01"

static const char *const fixture[] = { "catalyst-938657b-fixture.sql", NULL };

/* What a run saw, by Catalyst id. */
struct seen {
	json_t *keys;    /* {id: key} */
	json_t *hashes;  /* {id: content hash + target hash} */
	json_t *targets; /* {id: target doc} */
	json_t *errors;  /* {id: error} */
	json_t *codes;   /* {id: [finding codes]} */
	int stop_after;  /* > 0: return an error after that many */
	int calls;
};

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->keys = json_object();
	s->hashes = json_object();
	s->targets = json_object();
	s->errors = json_object();
	s->codes = json_object();
}

static void seen_release(struct seen *s)
{
	json_decref(s->keys);
	json_decref(s->hashes);
	json_decref(s->targets);
	json_decref(s->errors);
	json_decref(s->codes);
}

static int collect(struct model_type *t, void *payload)
{
	struct seen *s = payload;
	json_t *codes;
	char both[2 * CANON_HASH_LEN + 2];

	s->calls++;
	if (s->stop_after && s->calls > s->stop_after)
		return err_set(ERR_CONFLICT, "stop");
	codes = json_array();
	json_object_set_new(s->keys, t->row->id, json_string(t->key));
	snprintf(both, sizeof(both), "%s/%s", t->content_hash, t->target_hash);
	json_object_set_new(s->hashes, t->row->id, json_string(both));
	if (t->target)
		json_object_set(s->targets, t->row->id, t->target);
	if (t->error)
		json_object_set_new(s->errors, t->row->id, json_string(t->error));
	for (size_t i = 0; i < t->findings.nr; i++)
		json_array_append_new(codes,
				      json_string(t->findings.items[i].code));
	json_object_set_new(s->codes, t->row->id, codes);
	return 0;
}

static int run(struct seen *s, const char *path, const char *website,
	       const json_t *persisted, const json_t *taken)
{
	struct catalyst_db *db = NULL;
	struct model m;
	int ret;

	if ((ret = catalyst_db_open(&db, path)) < 0)
		return ret;
	ret = model_open(&m, db, website, persisted, taken);
	if (!ret)
		ret = model_each(&m, collect, s);
	model_release(&m);
	catalyst_db_close(db);
	return ret;
}

static const char *target_str(struct seen *s, const char *id,
			      const char *prop, const char *member)
{
	json_t *t = json_object_get(s->targets, id);
	json_t *p = json_object_get(json_object_get(t, "properties"), prop);
	json_t *v = json_object_get(p, member);

	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_string_value(v);
}

static void test_pipeline(const char *path)
{
	struct seen a, b;

	seen_init(&a);
	seen_init(&b);
	is_int(run(&a, path, QA, NULL, NULL), 0, "the QA website runs");
	is_int(a.calls, 5, "five types, each handed over once");
	is_str(json_string_value(json_object_get(a.keys,
						 "cmeg00bv8q4r2kbsqmyiam2ue")),
	       "Article", "keys are generated from names");
	is_str(target_str(&a, "cmeg00bv8q4r2kbsqmyiam2ue", "author",
			  "allowedTypes"),
	       "Author", "a reference names its target's key");
	is_int(json_object_size(a.errors), 0, "no row errors");
	ok(json_array_size(json_object_get(a.codes,
					   "cmeg00bv8q4r2kbsqmyiam2ue")) == 0,
	   "and no findings on the real Article");
	is_int(run(&b, path, QA, NULL, NULL), 0, "a second run");
	ok(json_equal(a.hashes, b.hashes), "gives the same hashes");
	ok(strlen(json_string_value(json_object_get(
		       a.hashes, "cmeg00bv8q4r2kbsqmyiam2ue"))) ==
		   2 * CANON_HASH_LEN + 1,
	   "both hashes are there");
	seen_release(&a);
	seen_release(&b);
}

static void test_persisted_and_taken(const char *path)
{
	struct seen s;
	json_t *persisted = json_pack("{s:s}", "cmeg00av8q4lbvno60oqlua99",
				      "WriterProfile");
	json_t *taken = json_pack("{s:b}", "Product", 1);
	json_t *codes;

	seen_init(&s);
	is_int(run(&s, path, QA, persisted, taken), 0,
	       "a run with persisted and taken keys");
	is_str(json_string_value(json_object_get(s.keys,
						 "cmeg00av8q4lbvno60oqlua99")),
	       "WriterProfile", "a persisted key is kept");
	is_str(target_str(&s, "cmeg00bv8q4r2kbsqmyiam2ue", "author",
			  "allowedTypes"),
	       "WriterProfile", "and references follow it");
	is_str(json_string_value(json_object_get(s.keys,
						 "cmeg00dv8q4p2q8pvopdmtbh3")),
	       "Product2", "a key taken remotely is suffixed");
	codes = json_object_get(s.codes, "cmeg00dv8q4p2q8pvopdmtbh3");
	is_str(json_string_value(json_array_get(codes, 0)), "key-collision",
	       "with a key-collision finding on that type");
	seen_release(&s);
	json_decref(persisted);
	json_decref(taken);
}

static void test_find_and_errors(void)
{
	static const char extra[] =
		"INSERT INTO \"ContentType\" VALUES ('cbad1','" QA "','Broken',"
		"'{\"fields\":[', NULL, 1755226900000, 1755226900000);"
		"INSERT INTO \"ContentType\" VALUES ('ctwin','" QA "','Author',"
		"'[{\"name\":\"x\",\"type\":\"text\"}]', NULL, 1755226901000,"
		" 1755226901000);";
	char *path = test_build_db(fixture, extra);
	struct catalyst_db *db = NULL;
	struct model m;
	struct seen s;
	const char *id;

	is_int(catalyst_db_open(&db, path), 0, "a database with a bad row");
	is_int(model_open(&m, db, QA, NULL, NULL), 0, "opens");
	is_int(model_find_type(&m, "Article", &id), 0, "find by key");
	is_str(id, "cmeg00bv8q4r2kbsqmyiam2ue", "gives the id");
	is_int(model_find_type(&m, "cmeg00cv8q4tfjgrx9y01obw8", &id), 0,
	       "find by id");
	is_int(model_find_type(&m, "Author", &id), 0,
	       "a key wins over a name used twice");
	is_int(model_find_type(&m, "Author2", &id), 0,
	       "the second Author got a suffixed key");
	is_str(id, "ctwin", "which finds it");
	is_int(model_find_type(&m, "NoSuch", &id), ERR_NOTFOUND,
	       "an unknown type");
	seen_init(&s);
	is_int(model_each(&m, collect, &s), 0, "a bad row does not stop a run");
	is_int(s.calls, 7, "every row is handed over");
	ok(strstr(json_string_value(json_object_get(s.errors, "cbad1")),
		  "content type 'cbad1' (Broken)") != NULL,
	   "the bad row carries its error, naming it");
	ok(json_object_get(s.targets, "cbad1") == NULL,
	   "and has no target document");
	seen_release(&s);

	seen_init(&s);
	s.stop_after = 2;
	is_int(model_each(&m, collect, &s), ERR_CONFLICT,
	       "the callback's error stops the run and is returned");
	is_int(s.calls, 3, "right away");
	seen_release(&s);
	model_release(&m);
	catalyst_db_close(db);
	unlink(path);
	free(path);
}

/*
 * model_each processes types on worker threads and hands them over in
 * order. Whatever the threads and the window, fn must see the same
 * sequence: every type once, in createdAt order, with the same keys,
 * hashes, errors, findings and error state.
 */
#define MANY 240

/* One generated row of the many-types database (SQL appended to b). */
static void add_many_row(struct buf *b, int i)
{
	static const char *const kinds[] = {
		"\"type\":\"text\",\"maxLength\":5,"
		"\"validation\":{\"pattern\":\"^[a-z]+$\"}",
		"\"type\":\"text\",\"validation\":{\"pattern\":\"[a-\"}",
		"\"type\":\"select\",\"options\":[\"A\",\"B\",\"A\"]",
		"\"type\":\"number\",\"validation\":{\"min\":9,\"max\":1}",
		"\"type\":\"reference\"",
		"\"type\":\"mystery\",\"default\":1",
		"\"type\":\"email\"",
	};

	buf_addf(b,
		 "INSERT INTO \"ContentType\" VALUES ('many%03d','" QA
		 "','%s','",
		 i, i % 11 == 3 ? "Many Dup" : "Many");
	if (i % 37 == 5)
		buf_adds(b, "[{\"name\":\"x\","); /* not JSON */
	else if (i % 41 == 7)
		buf_adds(b, "[{\"name\":\"x\",\"type\":1,\"type\":2}]");
	else {
		buf_addf(b, "{\"name\":\"Many %d\",\"fields\":[", i);
		for (int f = 0; f < 1 + i % 7; f++)
			buf_addf(b,
				 "%s{\"id\":\"f%d\",\"name\":\"Field %d\",%s}",
				 f ? "," : "", i * 10 + f, (i + f) % 5,
				 kinds[(i + f) % 7]);
		buf_addf(b,
			 "],\"relationships\":[{\"id\":\"r%d\",\"name\":"
			 "\"Field 4\",\"type\":\"manyToOne\","
			 "\"targetContentTypeId\":\"many%03d\"}]}",
			 i, (i + 1) % MANY);
	}
	/* Ties on createdAt are ordered by id. */
	buf_addf(b, "', NULL, %d, %d);\n", 1755400000 + i / 3 * 1000,
		 1755400000 + i);
}

/* Everything fn sees of a type, one line per type, in call order. */
static int record(struct model_type *t, void *payload)
{
	struct buf *b = payload;

	buf_addf(b, "%s|%s|%d|%s|%s|%s|%d:%s", t->row->id, t->key,
		 (int)t->shape, t->content_hash, t->target_hash,
		 t->error ? t->error : "-", err_code(), err_msg());
	for (size_t i = 0; i < t->findings.nr; i++)
		buf_addf(b, "|%d %s %s %s", (int)t->findings.items[i].severity,
			 t->findings.items[i].code, t->findings.items[i].path,
			 t->findings.items[i].message);
	if (t->target)
		buf_addf(b, "|%zu",
			 json_object_size(
				 json_object_get(t->target, "properties")));
	buf_addch(b, '\n');
	return 0;
}

struct stopper {
	struct buf seen;
	int calls, stop_at;
};

static int record_and_stop(struct model_type *t, void *payload)
{
	struct stopper *s = payload;

	if (++s->calls == s->stop_at)
		return err_set(ERR_CONFLICT, "stop at %d", s->calls);
	return record(t, &s->seen);
}

static int run_many(struct buf *out, const char *path, int serial,
		    size_t window)
{
	struct catalyst_db *db = NULL;
	struct model m;
	int ret;

	if ((ret = catalyst_db_open(&db, path)) < 0)
		return ret;
	ret = model_open(&m, db, QA, NULL, NULL);
	m.serial = serial;
	m.window = window;
	if (!ret)
		ret = model_each(&m, record, out);
	model_release(&m);
	catalyst_db_close(db);
	return ret;
}

static void test_threads_keep_order(void)
{
	static const struct {
		int serial;
		size_t window;
		const char *what;
	} runs[] = {
		{0, 0, "with workers and the default window"},
		{0, 1, "with workers and a window of one type"},
		{0, 2, "with workers and a window of two"},
		{0, 3, "with workers and a window of three"},
		{1, 5, "on the calling thread with a window of five"},
	};
	struct buf sql = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	struct catalyst_db *db = NULL;
	struct stopper st = {BUF_INIT, 0, 0};
	struct model m;
	char *path;
	size_t lines = 0;

	for (int i = MANY - 1; i >= 0; i--) /* inserted out of order */
		add_many_row(&sql, i);
	path = test_build_db(fixture, sql.ptr);

	is_int(run_many(&want, path, 1, 0), 0,
	       "%d types on the calling thread only", MANY);
	for (size_t i = 0; i < want.len; i++)
		lines += want.ptr[i] == '\n';
	is_int(lines, MANY + 5, "every type handed over once");
	ok(strstr(want.ptr, "many005|") &&
		   strstr(want.ptr, "invalid-pattern") &&
		   strstr(want.ptr, "duplicate-option-value") &&
		   strstr(want.ptr, "key-collision"),
	   "with row errors and findings of every stage");
	for (size_t r = 0; r < sizeof(runs) / sizeof(*runs); r++) {
		buf_reset(&got);
		is_int(run_many(&got, path, runs[r].serial, runs[r].window), 0,
		       "a run %s", runs[r].what);
		is_str(got.ptr, want.ptr,
		       "sees the same types in the same "
		       "order, %s",
		       runs[r].what);
	}

	/* fn stopping the run: no type after it, whatever is in flight. */
	is_int(catalyst_db_open(&db, path), 0, "open again");
	is_int(model_open(&m, db, QA, NULL, NULL), 0, "a model");
	m.window = 4;
	st.stop_at = 100;
	is_int(model_each(&m, record_and_stop, &st), ERR_CONFLICT,
	       "fn's error stops a threaded run and is returned");
	is_str(err_msg(), "stop at 100", "with fn's message");
	is_int(st.calls, 100, "right away");
	ok(st.seen.len < want.len &&
		   !memcmp(st.seen.ptr, want.ptr, st.seen.len),
	   "after the same types in the same order");
	model_release(&m);
	catalyst_db_close(db);

	buf_release(&st.seen);
	buf_release(&sql);
	buf_release(&want);
	buf_release(&got);
	unlink(path);
	free(path);
}

int main(void)
{
	char *path = test_build_db(fixture, NULL);

	plan_lazy();
	test_pipeline(path);
	test_persisted_and_taken(path);
	test_find_and_errors();
	test_threads_keep_order();
	unlink(path);
	free(path);
	return done_testing();
}
